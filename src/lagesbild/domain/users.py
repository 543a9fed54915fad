"""How user names are compared: one rule for finding a user, counting failed log-ins and
filtering the audit log (accounts and store.audit both need it, so it lives below both)."""

from __future__ import annotations

import unicodedata


def user_key(username: str) -> str:
    """How user names are compared, for finding the user and for counting failed log-ins alike:
    NFKC with the case folded, in Python (SQLite's lower() folds ASCII only, so 'Åsa' and the
    Kelvin sign in 'analyti\u212aer' would be compared differently by the two)."""
    folded = unicodedata.normalize("NFKC", username.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)[:100]
