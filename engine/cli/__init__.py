"""The `sanfu` command line."""
