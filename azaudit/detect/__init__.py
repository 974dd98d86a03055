"""Detectors: pure functions that judge values (image references, credentials) in memory."""
