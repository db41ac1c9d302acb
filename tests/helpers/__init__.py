"""Test helpers shared across test folders (data, fixtures, servers)."""
