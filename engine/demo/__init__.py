"""`sanfu demo`: the demo province."""
