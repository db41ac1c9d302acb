"""Load an instance, advance its workflow, project what changed, save it."""
