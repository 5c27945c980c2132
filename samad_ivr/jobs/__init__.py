"""Scheduled jobs: plain async functions taking the pool and `now`; scheduler/ sets triggers."""
