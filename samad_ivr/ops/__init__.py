"""Running the service in production: the call path's own database capacity, health,
metrics and systemd's notify protocol."""
