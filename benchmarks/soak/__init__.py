"""The soak (issue 14): hundreds of calls through real Asterisk while faults are injected,
then an accounting of what was kept.  ``make soak`` runs ``python -m benchmarks.soak``."""
