"""Timer texts and their meaning on the engine clock: ISO 8601, Quartz cron, the timer event definitions
SpiffWorkflow runs, task due dates."""
