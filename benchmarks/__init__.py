"""Benchmark harness for samad-ivr (issue #5); run with ``python -m benchmarks``."""
