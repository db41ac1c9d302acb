"""DMN decision tables and FEEL: the model, parsing, evaluation and the SpiffWorkflow business rule task."""
