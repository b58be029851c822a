"""Benchmarks of grayrelease that print figures (run from the repository root with ``python -m bench.<name>``)."""
