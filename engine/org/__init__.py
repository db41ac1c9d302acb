"""The organisation: units, sections, people and roles; lanes resolved to people; personal data."""
