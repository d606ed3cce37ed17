"""Benchmarks: each `bench/*/run.py` is one, run by `make bench`."""
