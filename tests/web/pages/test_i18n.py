"""Languages without a browser: every message in both languages, numbers and dates in the
reader's locale, and every page answering in the language asked for."""

from datetime import date

import pytest

from lagesbild.i18n import Translator, messages


def test_every_message_has_swedish_and_english():
    for key, texts in messages().items():
        assert set(texts) == {"sv", "en"} and all(p.strip() for p in texts.values()), key


def test_numbers_and_dates_in_the_locale():
    sv, en = Translator("sv"), Translator("en")
    assert sv.ha(12.5) == "12,5 ha" and en.ha(12.5) == "12.5 ha"
    assert sv.num(17850) == "17\u00a0850" and en.num(17850) == "17,850"
    assert sv.pct(0.335) == "34\u00a0%" and en.pct(0.335) == "34%"
    assert sv.date(date(2023, 5, 1)) == "2023-05-01" and en.date(date(2023, 5, 1)) == "1 May 2023"
    assert sv.num(None) == "–" and sv.num(float("nan")) == "–"
    assert Translator("fr").lang == "sv"  # Swedish by default


@pytest.mark.parametrize(
    "path", ["/", "/login", "/residents", "/survey", "/cameras", "/organisations"]
)
def test_pages_answer_in_the_language_asked_for(client, path):
    sv = client.get(path)
    en = client.get(path, params={"lang": "en"})
    assert sv.status_code == en.status_code == 200
    assert '<html lang="sv">' in sv.text and '<html lang="en">' in en.text
    assert en.cookies.get("lang") == "en" or "lang=en" in en.headers.get("set-cookie", "")


def test_pages_need_the_right_role(client):
    from tests.web.conftest import login

    assert client.get("/report", follow_redirects=False).status_code == 303
    login(client, "viewer-polis")
    assert client.get("/report").status_code == 403
    assert client.get("/audit").status_code == 403
    login(client, "admin-polis")
    assert client.get("/audit").status_code == 200


def test_the_import_page_gives_rejected_rows_in_the_readers_language(client):
    """The wizard's dry run (upload -> mapping -> dry run) names a rejected row's reason and
    the layer in the reader's language."""
    import re

    from tests.web.conftest import login

    csrf = login(client, "admin-polis")
    csv_text = (
        "id,occurred_at,category,lat,lon\n"
        "i-1,2024-03-01 21:00,theft,59.3325,18.0645\n"
        "i-2,,theft,59.3326,18.0646\n"
    )
    shown = {}
    for lang in ("sv", "en"):
        r = client.post(
            f"/import?lang={lang}",
            data={"csrf_token": csrf, "layer": "crimes"},
            files={"file": ("t.csv", csv_text.encode(), "text/csv")},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        where = r.headers["location"]
        html = client.get(where, params={"lang": lang}).text
        chosen = dict(
            re.findall(
                r'name="map\.(\w+)">(?:(?!</select>).)*?<option value="([^"]*)" selected>',
                html,
                re.S,
            )
        )
        form = {f"map.{k}": v for k, v in chosen.items()}
        dry = client.post(
            f"{where}?lang={lang}",
            data={**form, "crs": "EPSG:4326", "csrf_token": csrf, "action": "dry"},
        )
        assert dry.status_code == 200, dry.text
        shown[lang] = html + dry.text
    assert "occurred_at: krävs (datum och tid, t.ex. 2023-05-01 21:30)" in shown["sv"]
    assert "anmälda brott" in shown["sv"]  # the layer's name, not its code
    assert "occurred_at: is required (a date-time, e.g. 2023-05-01 21:30)" in shown["en"]
