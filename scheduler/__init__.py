"""The timed work of samad-ivr (APScheduler), started inside `samad-ivr serve`."""
