"""The one restricted evaluator behind every expression and script, and the SpiffWorkflow script engine
built on it."""
