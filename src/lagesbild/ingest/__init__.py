"""Bringing records in: canonical layer definitions (`layers`), value parsers (`values`), and
the writer that stores rows idempotently and assigns points to places."""
