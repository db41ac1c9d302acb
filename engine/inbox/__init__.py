"""A person's task rows and the inbox views over them (tabs, filters, bulk actions)."""
