"""Bringing records in: the builders that make a store row of a canonical record (`layers`; the
layers themselves and the value parsers are in `domain`), the file readers, the writer that
stores rows idempotently and assigns points to places, and its fast path (`bulk`)."""
