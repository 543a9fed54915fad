"""Messages about an uploaded file name the user's file, never the server's temporary path,
in the caller's language, without the CLI's flags (issue 20)."""

from __future__ import annotations

import re

from .conftest import login

XY = "Händelsenr;Brottsdatum;category;x;y\nA1;2023-05-01 21:30;theft;674000;6580000\n"
BAD_ROW = "id,occurred_at,category,lat,lon\nb1,not a date,theft,59.332,18.06\n"


def _post(client, csrf: str, body: str, lang: str | None = None, name="police_export.csv"):
    return client.post(
        "/api/v1/imports/crimes" + (f"?lang={lang}" if lang else ""),
        files={"file": (name, body.encode("cp1252"), "text/csv")},
        headers={"x-csrf-token": csrf},
    )


def test_the_api_names_the_users_file_not_a_server_path(client):
    csrf = login(client, "analyst-polis")
    r = _post(client, csrf, XY)
    assert r.status_code == 400, r.text
    detail = r.json()["detail"]
    assert detail.startswith("police_export.csv: columns x/y need their CRS"), detail
    assert "/tmp" not in r.text and "lagesbild-import" not in r.text
    assert "--crs" not in r.text and "hint" not in r.json()


def test_the_api_answers_in_the_callers_language(client):
    csrf = login(client, "analyst-polis")
    r = _post(client, csrf, XY, lang="sv")
    assert r.json()["detail"].startswith("police_export.csv: kolumnerna x/y behöver"), r.text
    r = _post(client, csrf, "a,b\n1,2\n", lang="sv", name="tom.csv")
    detail = r.json()["detail"]
    assert detail.startswith(
        "tom.csv: obligatoriska kolumner saknas för lagret anmälda brott: occurred_at, "
        "category (eller"
    ), detail
    r = _post(client, csrf, BAD_ROW, lang="sv", name="rows.csv")
    assert r.status_code == 200, r.text
    (row,) = r.json()["rejected_rows"]
    assert row["line"] == 2
    assert row["reason"].startswith("occurred_at:") and "expected" not in row["reason"], row


def test_an_unknown_format_names_the_users_file_in_swedish(client):
    csrf = login(client, "analyst-polis")
    r = _post(client, csrf, "x", lang="sv", name="export.xlsx")
    assert r.json()["detail"].startswith("export.xlsx: okänt filformat"), r.text


def test_the_import_page_names_the_users_file_in_swedish(client):
    csrf = login(client, "analyst-polis")
    r = client.post(
        "/import",
        data={"layer": "crimes", "csrf_token": csrf},
        files={"file": ("police_export.csv", XY.encode("cp1252"), "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    form = {"map.x": "x", "map.y": "y", "crs": "", "action": "dry", "csrf_token": csrf}
    r = client.post(r.headers["location"] + "?lang=sv", data=form)
    assert r.status_code == 400
    assert "police_export.csv: kolumnerna x/y behöver sitt koordinatsystem" in r.text
    assert not re.search(r"/tmp|lagesbild-(import|uploads)|--crs", r.text)


def test_too_large_is_told_in_the_callers_language(client, monkeypatch):
    monkeypatch.setenv("LAGESBILD_MAX_UPLOAD_MB", "0.001")
    csrf = login(client, "analyst-polis")
    r = _post(client, csrf, BAD_ROW * 100, lang="sv")
    assert r.status_code == 413
    assert r.json()["detail"].startswith("Filen är större än servern tar emot"), r.text
