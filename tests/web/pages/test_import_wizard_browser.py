"""The import wizard in Chromium (issue 20): a police export in cp1252 with ';' and SWEREF 99 TM
coordinates, its own column names and two bad rows, from upload to the rejected rows' CSV.
Screenshots of each step at 1366x900 and 390x844, in Swedish and English, go to SHOTS."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from tests.web.pages.conftest import login
from tests.web.test_import_wizard import POLICE

SHOTS = Path(os.environ.get("LAGESBILD_SHOTS", "/work/shots/intake"))


def _shot(page, name: str) -> None:
    if SHOTS.parent.exists():
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.parametrize(
    ("lang", "size"),
    [("sv", (1366, 900)), ("en", (1366, 900)), ("sv", (390, 844)), ("en", (390, 844))],
)
def test_the_wizard_imports_a_police_export(server, browser, tmp_path, lang, size):
    export = tmp_path / "police_export.csv"
    export.write_bytes(POLICE.replace(b"\nP-", f"\nPW{lang}{size[0]}-".encode()))
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="sv-SE")
    ctx.add_cookies([{"name": "lang", "value": lang, "url": server.url}])
    page = ctx.new_page()
    tag = f"{lang}-{size[0]}"
    try:
        login(page, server.url, "analytiker", "/import")
        # the layers are named, not coded
        assert page.locator("#layer option[value=crimes]").text_content() != "crimes"
        _shot(page, f"1-upload-{tag}")
        page.select_option("#layer", "crimes")
        page.set_input_files("#file", str(export))
        page.click("form[data-testid=upload] button.primary")
        form = page.wait_for_selector("[data-testid=column-mapping]")
        assert form is not None
        assert page.text_content("[data-k=encoding]").strip() == "cp1252"
        assert ";" in page.text_content("[data-k=delimiter]")
        assert page.input_value("#crs") == "EPSG:3006"  # guessed from the coordinates
        assert page.input_value("select[name='map.occurred_at']") == "Brottsdatum"
        assert page.input_value("select[name='map.offence_code']") == "Brottskod"
        assert page.input_value("select[name='map.x']") == "X_SWEREF"
        options = page.locator("select[name='map.category'] option").all_text_contents()
        assert options[1:] == [
            "Händelsenr",
            "Brottsdatum",
            "Brottskod",
            "X_SWEREF",
            "Y_SWEREF",
            "Plats",
        ]
        _shot(page, f"2-mapping-{tag}")
        page.click("[data-testid=dry-run]")
        page.wait_for_selector("[data-testid=dry-result]")
        dry = page.locator("[data-testid=dry-result] td[data-k]")
        counts = dict(
            zip(
                ["read", "stored", "updated", "duplicates", "rejected"],
                dry.all_text_contents(),
                strict=True,
            )
        )
        assert (counts["read"], counts["stored"], counts["rejected"]) == ("5", "3", "2")
        _shot(page, f"3-dry-run-{tag}")
        page.click("[data-testid=import]")
        page.wait_for_selector("#import-result", timeout=30_000)
        assert page.text_content("#import-result td[data-k=stored]").strip() == "3"
        link = page.locator("[data-testid=rejected-download]")
        _shot(page, f"4-result-{tag}")
        with page.expect_download() as got:
            link.click()
        text = Path(got.value.path()).read_text(encoding="utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == (["Rad", "Orsak"] if lang == "sv" else ["Line", "Reason"])
        assert [r[0] for r in rows[1:]] == ["4", "5"]
        stored = server.query(
            "SELECT count(*) FROM crimes WHERE source_id LIKE ?", f"PW{lang}{size[0]}-%"
        )
        assert stored == [(3,)]
    finally:
        ctx.close()
