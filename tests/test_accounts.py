"""Accounts at the terminal's level: what a password must be."""

import pytest

from lagesbild.accounts import add_user, set_password
from lagesbild.domain.model import SYSTEM
from lagesbild.errors import ValidationError


def test_blank_password_is_refused(sqlite_store):
    with pytest.raises(ValidationError, match="only spaces"):
        add_user(sqlite_store, "bo", " " * 12, "viewer", "Stadsdelsförvaltningen", actor=SYSTEM)
    add_user(sqlite_store, "bo", "ett lösenord", "viewer", "Stadsdelsförvaltningen", actor=SYSTEM)
    with pytest.raises(ValidationError, match="only spaces"):
        set_password(sqlite_store, "bo", "\t" * 9, SYSTEM)
