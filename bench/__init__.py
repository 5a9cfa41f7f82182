"""Benchmarks (not part of `make test`): `make bench`. See bench/README.md."""
