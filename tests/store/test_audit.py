"""The audit log is append-only in the database itself, on both backends."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lagesbild.domain.model import SYSTEM
from lagesbild.store import audit


def test_audit_rows_cannot_be_changed_or_deleted(store):
    with store.write() as conn:
        audit.record(conn, SYSTEM, "export", "crimes", None, "export of 10 rows")
    for stmt in ("UPDATE audit_log SET detail = 'nothing happened'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            with store.write() as conn:
                conn.execute(text(stmt))
    rows = audit.read(store, audit.AuditFilter(action="export"))
    assert [r["detail"] for r in rows] == ["export of 10 rows"]
    assert rows[0]["remote"] == "cli" and rows[0]["at"].tzinfo is not None


def test_user_filter_folds_case_and_unknown_actions_are_refused(store):
    from lagesbild.accounts import add_user, authenticate
    from lagesbild.errors import ValidationError

    add_user(store, "Anna", "password-1", "analyst", "Stadsdelsförvaltningen", actor=SYSTEM)
    authenticate(store, "anna", "password-1")
    for name in ("Anna", "anna", "ANNA"):  # as log-in compares names
        rows = audit.read(store, audit.AuditFilter(username=name))
        assert [r["action"] for r in rows] == ["login"], name
    assert audit.read(store, audit.AuditFilter(username="bertil")) == []
    with pytest.raises(ValidationError, match="unknown action 'creat'.*create"):
        audit.read(store, audit.AuditFilter(action="creat"))
