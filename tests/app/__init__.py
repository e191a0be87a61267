"""App tests: the dashboard driven through Pilot, its exit and its snapshots."""
