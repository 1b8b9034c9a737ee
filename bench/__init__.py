"""Benchmarks (``make bench``): not tests; each prints ratios against a baseline run alongside."""
