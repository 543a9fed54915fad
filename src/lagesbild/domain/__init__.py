"""Entities and rules of the domain, with no I/O."""
