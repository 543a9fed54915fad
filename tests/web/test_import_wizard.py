"""The web import wizard (issue 20) through the app: upload, look and map, dry run, import,
summary and rejected rows as CSV; profiles shared with `lagesbild import --profile`."""

from __future__ import annotations

import csv
import io
import re
import time

import pytest

from lagesbild.errors import NotFound
from lagesbild.ingest.profiles import load_profile

from .conftest import login

# a police export: cp1252, ';', SWEREF 99 TM, its own column names; lines 4 and 5 are bad
POLICE = (
    "Händelsenr;Brottsdatum;Brottskod;X_SWEREF;Y_SWEREF;Plats\n"
    "P-1;2024-03-01 21:00;Misshandel;674032;6580822;Sergels torg\n"
    "P-2;2024-03-02 22:15;Stöld;674100;6580900;Klarabergsgatan\n"
    "P-3;inte ett datum;Rån;674100;6580900;Drottninggatan\n"
    "P-4;2024-03-04 20:00;Stöld;;6580900;Åhléns\n"
    "P-5;2024-03-05 23:30;Narkotikabrott;674150;6580950;Vasagatan\n"
).encode("cp1252")


def _upload(client, csrf: str, body: bytes = POLICE, name: str = "police_export.csv"):
    r = client.post(
        "/import",
        data={"layer": "crimes", "csrf_token": csrf},
        files={"file": (name, body, "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return r.headers["location"]


def _selected(html: str, canonical: str) -> str | None:
    m = re.search(rf'<select id="map-{canonical}" name="map\.{canonical}">(.*?)</select>', html)
    assert m, canonical
    chosen = re.search(r'<option value="([^"]*)" selected>', m.group(1))
    return chosen.group(1) if chosen else None


def _mapping(html: str) -> dict:
    names = re.findall(r'name="map\.(\w+)"', html)
    return {f"map.{n}": _selected(html, n) or "" for n in names}


def test_the_wizard_takes_a_police_export(client, app_store):
    csrf = login(client, "analyst-polis")
    where = _upload(client, csrf)
    html = client.get(where + "?lang=sv").text
    assert 'data-testid="column-mapping"' in html
    assert "cp1252" in html and "semikolon" in html and "EPSG:3006" in html
    assert "Sergels torg" in html  # the preview
    # the proposal: the CLI's names and the police's own
    assert _selected(html, "id") == "Händelsenr"
    assert _selected(html, "occurred_at") == "Brottsdatum"
    assert _selected(html, "offence_code") == "Brottskod"
    assert (_selected(html, "x"), _selected(html, "y")) == ("X_SWEREF", "Y_SWEREF")
    # options are the file's columns (and "not in the file")
    opts = re.search(r'name="map\.category">(.*?)</select>', html).group(1)
    assert re.findall(r'value="([^"]*)"', opts) == [
        "",
        "Händelsenr",
        "Brottsdatum",
        "Brottskod",
        "X_SWEREF",
        "Y_SWEREF",
        "Plats",
    ]
    form = {**_mapping(html), "crs": "EPSG:3006", "csrf_token": csrf}
    before = client.get("/api/v1/crimes?limit=1000").json()["numberMatched"]
    dry = client.post(where + "?lang=sv", data={**form, "action": "dry"})
    assert dry.status_code == 200, dry.text
    counts = dict(re.findall(r'data-k="(\w+)">([^<]*)<', dry.text.split("dry-result")[1]))
    assert (counts["read"], counts["stored"], counts["rejected"]) == ("5", "3", "2"), re.findall(
        r"<td>([^<]*)</td>", dry.text
    )
    assert client.get("/api/v1/crimes?limit=1000").json()["numberMatched"] == before  # none
    r = client.post(
        where + "?lang=sv",
        data={**form, "action": "import", "save_as": "polisen-test"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    for _ in range(100):
        page = client.get(r.headers["location"] + "?lang=sv").text
        if "import-result" in page:
            break
        time.sleep(0.1)
    counts = dict(re.findall(r'data-k="(\w+)">([^<]*)<', page))
    assert (counts["stored"], counts["rejected"]) == ("3", "2")
    link = re.search(r'href="([^"]+)" data-testid="rejected-download"', page).group(1)
    rows = list(
        csv.reader(io.StringIO(client.get(link.replace("&amp;", "&")).text.lstrip("\ufeff")))
    )
    assert rows[0] == ["Rad", "Orsak"]
    assert [r[0] for r in rows[1:]] == ["4", "5"]
    assert "occurred_at" in rows[1][1] and "expected" not in rows[1][1]  # Swedish reason
    # the profile is the CLI's, found for the organisation (`--profile NAME --organisation ORG`)
    saved = load_profile(app_store, "polisen-test", _org_of(app_store, "analyst-polis"))
    assert saved.map["occurred_at"] == "Brottsdatum" and saved.crs == "EPSG:3006"


def test_another_user_cannot_open_an_upload(client):
    csrf = login(client, "analyst-polis")
    where = _upload(client, csrf)
    client.post("/api/v1/logout", headers={"x-csrf-token": csrf})
    login(client, "analyst-soc")
    assert client.get(where).status_code == 404


def test_a_file_without_crs_names_the_file_on_the_dry_run(client):
    csrf = login(client, "analyst-polis")
    where = _upload(client, csrf)
    html = client.get(where).text
    form = {**_mapping(html), "crs": "", "csrf_token": csrf, "action": "dry"}
    r = client.post(where + "?lang=en", data=form)
    assert r.status_code == 400
    assert "police_export.csv: columns x/y need their CRS" in r.text
    assert "/tmp" not in r.text


def test_a_running_import_shows_its_progress(client, monkeypatch):
    """While the import's thread works, the result page shows rows done of the file's rows and
    refreshes itself; the count is the file's lines less the header."""
    from lagesbild.web import pages_import

    started = []
    monkeypatch.setattr(pages_import, "_start_import", lambda *a: started.append(a))
    csrf = login(client, "analyst-polis")
    where = _upload(client, csrf)
    html = client.get(where).text
    form = {**_mapping(html), "crs": "EPSG:3006", "csrf_token": csrf, "action": "import"}
    r = client.post(where, data=form, follow_redirects=False)
    assert r.status_code == 303 and started
    folder = started[0][4]
    assert pages_import._count_rows(folder / "police_export.csv") == 5
    pages_import._write_json(folder / "progress.json", {"done": 2, "total": 5})
    page = client.get(r.headers["location"] + "?lang=en").text
    assert 'data-testid="import-running"' in page and 'http-equiv="refresh"' in page
    assert '<progress max="5" value="2">' in page and "2 of 5 rows" in page


def _org_of(store, username: str) -> int:
    from lagesbild.store.schema import users

    with store.read() as conn:
        return (
            conn.execute(users.select().where(users.c.username == username)).one().organisation_id
        )


def _profiles(html: str) -> list[str]:
    m = re.search(r'<select id="profile" name="profile"[^>]*>(.*?)</select>', html)
    return re.findall(r'<option value="([^"]+)"', m.group(1)) if m else []


def test_a_profile_belongs_to_the_savers_organisation(client, app_store):
    """Saved in the wizard, a profile is the organisation's: its members see and use it, another
    organisation does not; a store-wide (CLI) profile is offered to both."""
    from lagesbild.ingest.profiles import MappingProfile, list_profiles, save_profile

    save_profile(app_store, "cli-wide", MappingProfile("crimes", {"id": "Händelsenr"}))
    csrf = login(client, "analyst-polis")
    where = _upload(client, csrf)
    html = client.get(where).text
    assert _profiles(html) == ["cli-wide"]
    form = {**_mapping(html), "crs": "EPSG:3006", "csrf_token": csrf, "action": "dry"}
    r = client.post(where, data={**form, "save_as": "polisens-export"})
    assert 'data-testid="profile-saved"' in r.text
    assert _profiles(client.get(where).text) == ["cli-wide", "polisens-export"]
    used = client.get(where + "?profile=polisens-export").text
    assert _selected(used, "occurred_at") == "Brottsdatum"

    client.post("/api/v1/logout", headers={"x-csrf-token": csrf})
    csrf = login(client, "analyst-soc")
    other = _upload(client, csrf)
    assert _profiles(client.get(other).text) == ["cli-wide"]  # not the police's
    refused = client.get(other + "?lang=en&profile=polisens-export").text
    assert '<p class="field-error" id="profile-error" role="alert">No such profile.</p>' in refused

    # the store: the CLI's list is store-wide; the organisation's profile under its id only
    polis, soc = _org_of(app_store, "analyst-polis"), _org_of(app_store, "analyst-soc")
    assert polis != soc
    assert list_profiles(app_store) == ["cli-wide"]
    assert list_profiles(app_store, polis) == ["cli-wide", "polisens-export"]
    assert list_profiles(app_store, soc) == ["cli-wide"]
    assert load_profile(app_store, "polisens-export", polis).crs == "EPSG:3006"
    with pytest.raises(NotFound):
        load_profile(app_store, "polisens-export", soc)
    with pytest.raises(NotFound):
        load_profile(app_store, "polisens-export")  # the CLI without --organisation


# a code the default table does not know ("3-0857" is the police's own numbering)
OWN_CODES = (
    "Händelsenr;Brottsdatum;Brottskod;X_SWEREF;Y_SWEREF\n"
    "K-1;2024-03-01 21:00;3-0857;674032;6580822\n"
    "K-2;2024-03-02 22:15;Stöld;674100;6580900\n"
).encode("cp1252")


def _dry_counts(html: str) -> dict:
    return dict(re.findall(r'data-k="(\w+)">([^<]*)<', html.split("dry-result")[1]))


def test_the_wizard_takes_an_offence_table_as_the_cli_does(client, app_store, tmp_path):
    """Without a table the unknown Brottskod is rejected; with an uploaded table (as
    `--offence-table`) it is stored; the table is kept for the organisation, chosen again by
    name and travels in a saved profile; another organisation does not see it."""
    from typer.testing import CliRunner

    from lagesbild.cli import app as cli_app

    csrf = login(client, "analyst-polis")
    where = _upload(client, csrf, OWN_CODES, "egna_koder.csv")
    html = client.get(where).text
    assert 'data-testid="offence-table"' in html
    form = {**_mapping(html), "crs": "EPSG:3006", "csrf_token": csrf, "action": "dry"}
    plain = client.post(where + "?lang=en", data=form)
    assert (_dry_counts(plain.text)["stored"], _dry_counts(plain.text)["rejected"]) == ("1", "1")

    table = "offence_code;category;label\n3-0857;theft;Stöld ur bil\n".encode("cp1252")
    bad = client.post(
        where + "?lang=en",
        data=form,
        files={"offence_table_file": ("koder.csv", b"kod,kategori\nx,y\n", "text/csv")},
    )
    assert bad.status_code == 400
    assert "koder.csv: an offence table needs the columns offence_code and category" in bad.text
    assert "/tmp" not in bad.text
    with_table = client.post(
        where + "?lang=en",
        data={**form, "save_as": "polisen-koder"},
        files={"offence_table_file": ("polisens_koder.csv", table, "text/csv")},
    )
    assert with_table.status_code == 200, with_table.text
    counts = _dry_counts(with_table.text)
    assert (counts["stored"], counts["rejected"]) == ("2", "0")
    assert '<option value="saved:polisens_koder" selected>' in with_table.text
    # chosen again by name, without an upload
    again = client.post(where, data={**form, "offence_table": "saved:polisens_koder"})
    assert _dry_counts(again.text)["stored"] == "2"
    # the profile brings its table along
    used = client.get(where + "?profile=polisen-koder").text
    assert '<option value="saved:polisens_koder" selected>' in used

    # the CLI with the same table: the same counts (the same behaviour as --offence-table)
    data = tmp_path / "egna_koder.csv"
    data.write_bytes(OWN_CODES)
    (tmp_path / "t.csv").write_bytes(table)
    with app_store.read() as conn:
        before = conn.exec_driver_sql("select count(*) from crimes").scalar()
    mapping = ["--map", "id=Händelsenr", "--map", "occurred_at=Brottsdatum", "--map", "x=X_SWEREF"]
    mapping += ["--map", "y=Y_SWEREF", "--map", "offence_code=Brottskod"]
    r = CliRunner().invoke(
        cli_app,
        ["import", "crimes", str(data), "--crs", "EPSG:3006", *mapping,
         "--offence-table", str(tmp_path / "t.csv"), "--organisation", "polis",
         "--db", app_store.url],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    with app_store.read() as conn:
        assert conn.exec_driver_sql("select count(*) from crimes").scalar() == before + 2

    client.post("/api/v1/logout", headers={"x-csrf-token": csrf})
    csrf = login(client, "analyst-soc")
    other = client.get(_upload(client, csrf, OWN_CODES, "egna_koder.csv")).text
    assert "polisens_koder" not in other
