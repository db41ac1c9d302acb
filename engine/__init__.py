"""sanfu engine: deploy, run and persist BPMN workflows (no web framework here)."""
