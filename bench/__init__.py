"""Benchmarks against the real stack (``make bench``); results go to ``bench/RESULTS.md``."""
