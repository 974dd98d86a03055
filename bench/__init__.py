"""Benchmarks and synthetic tenants (developer tooling; not shipped in the wheel)."""
