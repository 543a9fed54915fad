"""The follow-up report on the demo scenario: it renders in Swedish and English, every printed
figure is the analysis engine's figure for the same query (read back from the HTML's figure
spans and recomputed here through `services.analyse`), and its PDF pages, rendered to images by
pdftoppm, are not blank."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
from html import unescape

import numpy as np
import pytest

from lagesbild import analysis as an
from lagesbild.briefing import est
from lagesbild.demo.scenario import load_demo
from lagesbild.domain.model import SYSTEM
from lagesbild.i18n.format import parse_num
from lagesbild.report import municipality, render
from lagesbild.report import place as build
from lagesbild.services import data
from lagesbild.store.lifecycle import init_store
from tests.services import asked as svc

SCENE = "Sergels torg/Klara"
SPAN = re.compile(
    r'<span class="fig" data-key="([^"]*)" data-value="([^"]*)" data-digits="(\d+)" '
    r'data-pct="([01])">([^<]*)</span>'
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    store = init_store(f"sqlite:///{tmp_path_factory.mktemp('report') / 'store.sqlite'}")
    load_demo(store)
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def reports(demo):
    return {
        lang: render.place_report(demo, SYSTEM, SCENE, "2023", "2023", lang)
        for lang in ("sv", "en")
    }


def spans(html: str) -> list[tuple[str, float | None, int, bool, str]]:
    out = []
    for key, value, digits, pct, text in SPAN.findall(html):
        out.append((unescape(key), float(value) if value else None, int(digits), pct == "1", text))
    return out


def test_renders_in_both_languages(reports):
    sv, en = reports["sv"][0], reports["en"][0]
    assert "Uppföljning: Sergels torg/Klara" in sv and "Sammanfattning" in sv
    assert "Follow-up: Sergels torg/Klara" in en and "Summary" in en
    assert svc.ENFORCEMENT_CAVEAT["sv"] in sv and svc.ENFORCEMENT_CAVEAT["en"] in en
    assert "Narkotikabrott i Sergels torg/Klara" in sv
    assert "Drug offence in Sergels torg/Klara" in en
    for html in (sv, en):
        assert html.count("data:image/png;base64,") >= 3  # extent maps, survey, effect
    assert "14,1" in sv and "14.1" in en  # the 2022 extent in hectares, each language's way


def test_printed_text_is_the_figure_it_keeps(reports):
    for lang, (html, ctx) in reports.items():
        found = spans(html)
        assert len(found) > 80
        for key, value, digits, pct, text in found:
            assert ctx["f"].values[key] == pytest.approx(value, nan_ok=True) or value is None
            if value is None or not math.isfinite(value):
                continue
            shown = parse_num(text, lang) / (100 if pct else 1)
            tol = 0.5 * 10 ** -(digits + (2 if pct else 0)) + 1e-12
            assert abs(shown - value) <= tol, (lang, key, text, value)
        assert ("," in html) and (lang == "sv" or "0.79" in html)


def _engine(store, ctx) -> dict[str, float]:
    """Every figure of the report, recomputed here from the services for the same queries."""
    expected: dict[str, float] = {}
    ind = svc.indicators(store, SYSTEM, SCENE, "2022-01-01..2022-12-31", "2023-01-01..2023-12-31")
    for r in ind.rows:
        for field in (
            "count_a",
            "count_b",
            "per_ha_a",
            "per_ha_b",
            "rate_ratio",
            "ci_low",
            "ci_high",
            "p_value",
            "area_b_ha",
        ):
            expected[f"ind|{r['scope']}|{r['category']}|{field}"] = r[field]
        pi = an.poisson_interval(r["count_b"], r["area_b_ha"])
        q = f"rate|{r['scope']}|{r['category']}"
        expected.update(
            {f"{q}|rate": pi.rate, f"{q}|ci_low": pi.ci_low, f"{q}|ci_high": pi.ci_high}
        )
    p = data.find_place(store, SYSTEM, SCENE)
    expected["place|area_ha"] = p.geom.area / 1e4
    for e in data.place_extents(store, SYSTEM, p):
        expected[f"extent|{e.round}|area_ha"] = e.geom.area / 1e4
    cmp = svc.extent(store, SYSTEM, SCENE, compare=("2022", "2023")).summary
    expected.update({f"cmp|{k}": v for k, v in cmp.items() if isinstance(v, float)})
    hot = svc.hotspots(store, SYSTEM, SCENE, "2023-01-01", "2023-12-31").summary
    expected.update({f"hot|{k}": v for k, v in hot.items()})
    expected.update({"hot|cells_hot_95": hot.get("cells_hot_95", 0)})
    cov = svc.coverage(store, SYSTEM, SCENE, "2023", "2023-12-31")
    expected.update({f"cov|{k}": v for k, v in cov.summary.items() if not isinstance(v, str)})
    for i, r in enumerate(cov.rows):
        expected[f"cov|row|{i}|length_m"] = r["length_m"]
    for area in ("Sergels torg", "Klara"):
        for r in svc.survey(store, SYSTEM, area).rows:
            for field in ("share", "ci_low", "ci_high", "city_share", "n"):
                if field in r:
                    expected[f"survey|{area}|{r['year']}|{field}"] = r[field]
    ev = ctx["effect_event"]
    eff = svc.effect(
        store,
        SYSTEM,
        SCENE,
        str(ev["starts_at"])[:10],
        control="Medborgarplatsen",
        date_from="2023-01-01",
        date_to="2023-12-31",
    ).summary
    expected.update({f"effect|{k}": v for k, v in eff.items() if isinstance(v, float)})
    expected["events|count"] = len(ctx["events"])
    # the place measurements: the syringes of each year's months, exact Poisson interval
    from scipy import stats

    from lagesbild.services import measurements as ms

    vals = ms.load(store, SYSTEM, p.id, "syringes_collected")
    a = sum(v.value for v in vals if v.at.year == 2022)
    b = sum(v.value for v in vals if v.at.year == 2023)
    ci = stats.binomtest(int(b), int(a + b)).proportion_ci(0.95, method="exact")
    k = "measure|syringes_collected|value"
    expected.update(
        {
            f"{k}|value_a": a,
            f"{k}|value_b": b,
            f"{k}|change": b / a - 1,
            f"{k}|change_low": ci.low / (1 - ci.low) - 1,
            f"{k}|change_high": ci.high / (1 - ci.high) - 1,
        }
    )
    return expected


def test_every_figure_equals_the_engines(demo, reports):
    html, ctx = reports["en"]
    expected = _engine(demo, ctx)
    printed = {key: value for key, value, *_ in spans(html)}
    assert set(printed) <= set(expected), set(printed) - set(expected)
    for key, value in printed.items():
        want = expected[key]
        if value is None or want is None or (isinstance(want, float) and not math.isfinite(want)):
            assert value is None or not math.isfinite(value) or want is None, key
            continue
        assert value == pytest.approx(want, rel=1e-12, abs=1e-12), key
    # and the headline figures are there
    assert "ind|place: Sergels torg/Klara|violent_crime|count_b" in printed
    assert "ind|extent of each period's round (2022 vs 2023)|violent_crime|rate_ratio" in printed
    assert "cov|camera_area_share" in printed and "effect|level_change_rr" in printed


def test_municipality_report_figures(demo):
    html, ctx = render.municipality_report(demo, SYSTEM, "Norra innerstaden", "2024", "2024", "sv")
    assert "Lägesbild över brottslighet och otrygghet" in html and "2023:196" in html
    assert "Åtgärdsplan" in html
    printed = {key: value for key, value, *_ in spans(html)}
    ranking = est.ranking(demo, SYSTEM, "Norra innerstaden", ctx["last"], 12)
    for a in ranking["areas"]:
        assert printed[f"rank|{a['place']}|count_now"] == a["count_now"]
        assert printed[f"rank|{a['place']}|per_ha"] == pytest.approx(a["per_ha"])
    ind = svc.indicators(demo, SYSTEM, "Klara", "2023", "2024")
    klara = [r for r in ind.rows if r["scope"] == "place: Klara"]
    assert printed["year|Klara|2024|count"] == sum(r["count_b"] for r in klara)
    assert printed["year|Klara|2023|count"] == sum(r["count_a"] for r in klara)
    assert printed["goal|1|current_count"] > 0


def _pages_not_blank(pdf, tmp_path) -> int:
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    for page in pages:
        pixels = np.asarray(Image.open(page).convert("L"), dtype=float)
        assert pixels.std() > 8, page.name  # text, tables and maps, not an empty page
        assert (pixels < 128).mean() > 0.005, page.name
    return len(pages)


@pytest.mark.skipif(
    shutil.which("pdftoppm") is None and os.environ.get("CI") != "true",
    reason="pdftoppm (poppler-utils) is not installed",
)
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_pdf_pages_are_not_blank(reports, tmp_path, lang):
    html, _ = reports[lang]
    pdf = render.write(html, tmp_path / f"report-{lang}.pdf")
    assert _pages_not_blank(pdf, tmp_path) >= 3


def test_cli_writes_html_and_pdf(demo, tmp_path):
    from typer.testing import CliRunner

    from lagesbild.cli import app

    runner = CliRunner()
    for out in ("r.html", "r.pdf"):
        res = runner.invoke(
            app,
            [
                "report",
                "--place",
                SCENE,
                "--from",
                "2023",
                "--to",
                "2023",
                "--lang",
                "en",
                "--out",
                str(tmp_path / out),
                "--db",
                demo.url,
            ],
        )
        assert res.exit_code == 0, res.output
        assert (tmp_path / out).stat().st_size > 10_000
    bad = runner.invoke(
        app, ["report", "--from", "2023", "--to", "2023", "--out", "x.html", "--db", demo.url]
    )
    assert bad.exit_code != 0


def test_a_period_after_the_data_is_no_data_not_a_decrease(demo):
    """The demo's crimes end in 2024: a 2025 report has 0 crimes, which is missing data, not
    "a certain decrease" against 2024."""
    for lang, says in (("en", "No crimes are recorded after 2024-"), ("sv", "efter 2024-")):
        html, ctx = render.place_report(demo, SYSTEM, SCENE, "2025", "2025", lang)
        assert ctx["data_ends"].year == 2024
        assert says in html
        assert "certain decrease" not in html and "säker minskning" not in html
        assert ("no data for the period" if lang == "en" else "inga uppgifter") in html
    html, ctx = render.place_report(demo, SYSTEM, SCENE, "2023", "2023", "en")
    assert ctx["data_ends"] is None
    assert f"Coverage of {SCENE}, mapping round 2023" in unescape(html)  # not "Coverage of 2023"


def test_a_period_that_runs_past_the_data_gets_no_verdict(demo):
    """July 2024 - June 2025 holds half a year of the demo's crimes: its counts lack the days
    after 2024-12-31 and would read as a fall, so the report says so and gives no verdict."""
    for lang, says, verdict in (
        ("en", "Crimes are recorded up to 2024-12-31", "incomplete data, no verdict"),
        ("sv", "till och med 2024-12-31", "ofullständiga uppgifter"),
    ):
        html, ctx = render.place_report(demo, SYSTEM, SCENE, "2024-07", "2025-06", lang)
        assert str(ctx["data_incomplete"]) == "2024-12-31" and not ctx["no_data"]
        assert says in html and "2025-06-30" in html and verdict in html
        assert "certain decrease" not in html and "säker minskning" not in html
    _, ctx = render.place_report(demo, SYSTEM, SCENE, "2024", "2024", "en")
    assert ctx["data_incomplete"] is None  # the data reach the period's last day


def test_a_municipality_period_after_the_data_ranks_no_area(demo):
    """The demo's crimes end in 2024: a 2026 lägesbild ranks no area on zeros and gives no
    trend, shows no year after the data as a year of 0 crimes, and no goal ratio against it."""
    for lang, says, trend in (
        ("en", "No crimes are recorded after 2024-", "no certain change"),
        ("sv", "Inga brott finns registrerade efter 2024-", "ingen säker förändring"),
    ):
        html, ctx = render.municipality_report(
            demo, SYSTEM, "Norra innerstaden", "2026", "2026", lang
        )
        assert ctx["ranking"]["no_data"] and ctx["ranking"]["areas"] == []
        assert says in html and trend not in html
        assert max(next(iter(ctx["years"].values()))) == 2024
        printed = {key for key, *_ in spans(html)}
        assert not any(k.startswith("rank|") for k in printed)
        assert "goal|1|rate_ratio" not in printed  # "no data", not "ratio 0.00 ... no data"
    _, ctx = render.municipality_report(demo, SYSTEM, "Norra innerstaden", "2024", "2024", "en")
    assert not ctx["no_data"] and ctx["ranking"]["areas"]


def test_the_ranking_compares_the_period_the_report_names(demo):
    """The 2024 lägesbild says "compared with 2023-01-01 – 2023-12-31": its ranking's counts
    before are the 2023 counts of its own table by year, and the Swedish note is Swedish."""
    html, ctx = render.municipality_report(demo, SYSTEM, "Norra innerstaden", "2024", "2024", "sv")
    printed = {key: value for key, value, *_ in spans(html)}
    for a in ctx["ranking"]["areas"]:
        assert a["count_before"] == printed[f"year|{a['place']}|2023|count"], a["place"]
    assert "records per hectare" not in html and "Nivå: anmälda brott per hektar" in html
    # a period that is not whole months is ranked over exactly that period
    _, ctx = render.municipality_report(
        demo, SYSTEM, "Norra innerstaden", "2024-03-15", "2024-06-20", "en"
    )
    period = ctx["ranking"]["period"]
    assert str(period["from"])[:10] == "2024-03-15" and str(period["to"])[:10] == "2024-06-21"
    assert str(ctx["ranking"]["previous"]["from"])[:10] == ctx["before"][:10] == "2023-12-08"


def test_the_printed_report_leaves_restricted_records_out(demo, tmp_path):
    """`lagesbild report` writes a document for everyone who reads it: it counts public and
    shared records, never restricted ones (the demo has restricted violent crimes in Klara)."""
    from typer.testing import CliRunner

    from lagesbild.cli import app
    from lagesbild.domain.model import SHARED_AUDIENCE

    out = tmp_path / "klara.html"
    args = ["report", "--place", "Klara", "--from", "2023", "--to", "2023", "--lang", "en"]
    res = CliRunner().invoke(app, [*args, "--out", str(out), "--db", demo.url])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    printed = {key: value for key, value, *_ in spans(html)}
    key = "ind|place: Klara|violent_crime|count_b"

    def count(viewer):
        rows = svc.indicators(demo, viewer, "Klara", "2022", "2023").rows
        klara = [r for r in rows if r["scope"] == "place: Klara"]
        return next(r["count_b"] for r in klara if r["category"] == "violent_crime")

    assert count(SYSTEM) > count(SHARED_AUDIENCE)  # else this test shows nothing
    assert printed[key] == count(SHARED_AUDIENCE)
    assert "restricted records are not included" in html


def test_a_store_without_crimes_gives_no_verdict(tmp_path):
    """A store with places but no crime at all: the report says so, and calls nothing "no
    certain change"."""
    import json

    from lagesbild.ingest.service import import_file

    store = init_store(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    ring = [[18.06, 59.332], [18.066, 59.332], [18.066, 59.335], [18.06, 59.335], [18.06, 59.332]]
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Torget", "kind": "priority_place"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    path = tmp_path / "places.geojson"
    path.write_text(json.dumps(fc))
    import_file(store, "places", path)
    html, ctx = render.place_report(store, SYSTEM, "Torget", "2023", "2023", "en")
    assert ctx["no_data"] and ctx["data_ends"] is None
    assert "No crimes are recorded: the period has no data." in html
    assert "no certain change" not in html
    store.dispose()


def test_a_report_looks_its_place_up_once(demo, monkeypatch):
    """Every section takes the place the report resolved: no analysis looks it up again by
    its name, and the municipality report's ranking takes the district it holds."""
    asked: list[str] = []
    find = data.find_place

    def counting(store, viewer, name):
        asked.append(name)
        return find(store, viewer, name)

    monkeypatch.setattr(data, "find_place", counting)
    build.build(demo, SYSTEM, SCENE, "2023", "2023", "en")
    assert asked == [SCENE]
    asked.clear()
    municipality.build(demo, SYSTEM, "Norra innerstaden", "2024", "2024", "en")
    assert asked.count("Norra innerstaden") == 1
