"""Benchmarks of Works Console (SPEC 10): `make bench` or `python -m bench --help`. See bench/README.md."""
