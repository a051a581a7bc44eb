"""Fake external services speaking real HTTP on loopback, for tests and benches."""
