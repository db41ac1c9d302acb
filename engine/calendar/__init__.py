"""The working-day calendar: which days count when a deadline says 个工作日."""
