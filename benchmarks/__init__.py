"""Benchmarks: run as ``python -m benchmarks.NAME``; they talk to loopback only."""
