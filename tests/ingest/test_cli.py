"""The commands as a user runs them: exit codes, summaries, one-line errors, profiles."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from lagesbild.cli import app
from lagesbild.store.lifecycle import init_store

from .conftest import write_police_csv

MAPS = [
    "--map",
    "id=Ärende",
    "--map",
    "occurred_at=Brottsdatum",
    "--map",
    "offence_code=Brottskategori",
    "--map",
    "place_text=Plats",
]


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    init_store(url).dispose()
    return url


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lagesbild", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=120,
    )


def test_import_export_with_profile(db, tmp_path):
    runner = CliRunner()
    path = write_police_csv(tmp_path / "polisen.csv")
    res = runner.invoke(
        app, ["import", "crimes", str(path), *MAPS, "--save-profile", "polisen", "--db", db]
    )
    assert res.exit_code == 0, res.output
    assert "Saved mapping profile polisen" in res.output
    assert "stored" in res.output and "4" in res.output
    res = runner.invoke(app, ["import", "crimes", str(path), "--profile", "polisen", "--db", db])
    assert res.exit_code == 0, res.output
    out = tmp_path / "out.geojson"
    res = runner.invoke(
        app,
        [
            "export",
            "crimes",
            "--format",
            "geojson",
            "--out",
            str(out),
            "--category",
            "drug-related",
            "--db",
            db,
        ],
    )
    assert res.exit_code == 0, res.output
    assert "Exported 1 crimes record(s)" in res.output
    # the terminal's imports are in the audit log, as the web's are
    from lagesbild.store import audit
    from lagesbild.store.lifecycle import open_store

    store = open_store(db)
    entries = audit.read(store, audit.AuditFilter(None, "import", "crimes", None, None, 10, 0))
    store.dispose()
    assert len(entries) == 2 and all(e["remote"] == "cli" for e in entries)
    assert "polisen.csv" in entries[0]["detail"] and "'stored': 4" in entries[-1]["detail"]


def test_file_error_is_one_line_exit_2(db, tmp_path):
    path = tmp_path / "nocat.csv"
    path.write_text("occurred_at,lat,lon\n2023-05-01,59.3,18.0\n")
    res = run("import", "crimes", str(path), "--db", db)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "nocat.csv: missing required column(s) for layer crimes" in res.stderr


def test_rejects_reported_and_strict(db, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        "occurred_at,category,lat,lon\n2023-05-01,theft,59.33,18.06\n2023-05-01,bogus,59.33,18.06\n"
    )
    res = run("import", "crimes", str(path), "--db", db)
    assert res.returncode == 0, res.stderr
    assert "c.csv.rejected.csv" in res.stdout
    res = run("import", "crimes", str(path), "--strict", "--db", db)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "rejected with --strict, so nothing was stored" in res.stderr


def test_unknown_profile_and_organisation(db, tmp_path):
    path = write_police_csv(tmp_path / "p.csv")
    res = run("import", "crimes", str(path), "--profile", "nope", "--db", db)
    assert res.returncode == 2 and "no mapping profile 'nope'" in res.stderr
    res = run("import", "crimes", str(path), *MAPS, "--organisation", "Ghost AB", "--db", db)
    assert res.returncode == 2 and "unknown organisation 'Ghost AB'" in res.stderr
