"""The observation groups are taxonomy data (issue 23): a group added with `lagesbild category
add groups CODE` is counted by /observe's form, accepted by the round's API and named in words
by the charts."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from lagesbild.errors import ValidationError
from lagesbild.services import observe_rounds as rounds
from lagesbild.services.measurements import group_label
from lagesbild.web.app import create_app
from tests.web.conftest import login


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": "src"}
    return subprocess.run(
        [sys.executable, "-m", "lagesbild", *args], capture_output=True, text=True, env=env
    )


def test_an_added_group_is_on_observe_and_in_its_rounds(app_store):
    url = app_store.url
    r = _cli("category", "add", "groups", "seniors", "--sv", "äldre", "--en", "older people",
             "--db", url)  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    again = _cli("category", "add", "groups", "seniors", "--sv", "x", "--en", "x", "--db", url)
    assert again.returncode != 0 and "already exists" in again.stdout + again.stderr
    with TestClient(create_app(url), base_url="https://testserver") as c:
        login(c, "field_reporter-polis")
        page = c.get("/observe?lang=en")
        assert page.status_code == 200
        assert 'name="count_seniors"' in page.text and "older people" in page.text
        assert 'name="count_girls_13_18"' in page.text  # the built-in groups stay
        store = c.app.state.store
        body = {"key": "round-0001", "started_at": "2024-06-01T12:00", "place": "x",
                "counts": {"seniors": 3, "girls_13_18": 2}}  # fmt: skip
        parsed = rounds.parse_round(store, body)
        assert parsed["counts"]["seniors"] == 3 and parsed["counts"]["adults"] == 0
        with pytest.raises(ValidationError) as exc:
            rounds.parse_round(store, {**body, "counts": {"martians": 1}})
        assert exc.value.field == "counts" and "seniors" in exc.value.message
        assert group_label("seniors", "sv", store.taxonomy) == "äldre"
        assert group_label("girls_13_18", "en", store.taxonomy) == "girls 13-18"
