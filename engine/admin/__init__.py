"""Accounts, 三员分立 administration, the audit log viewer, API tokens."""
