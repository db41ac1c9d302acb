"""Work that happens on the clock: timer rows and their leases, timer start events, the scheduler."""
