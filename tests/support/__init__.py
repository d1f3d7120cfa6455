"""Helpers shared by the tests and the benchmarks (``bench/``): no tests live here."""
