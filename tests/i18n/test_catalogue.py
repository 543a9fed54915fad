"""The catalogue: both languages for every key with the same placeholders, keys unique across
the files, every code of the domain's vocabularies labelled, and the one formatter's output in
each language checked against the written-out form (CLDR's sv: U+00A0 between thousands)."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from lagesbild.domain.layers import LAYERS
from lagesbild.domain.model import (
    ActionStatus,
    BriefingKind,
    BriefingStatus,
    ExtentStatus,
    PlaceKind,
    Role,
    Sensitivity,
)
from lagesbild.i18n import catalogue, codes, format, label, rejects, scope, section, text
from lagesbild.store.audit import ACTIONS


def _fields(message: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(message) if f}


@pytest.mark.parametrize("area", catalogue.AREAS)
def test_every_key_has_both_languages_and_the_same_placeholders(area):
    for key, texts in catalogue.area(area).items():
        assert set(texts) == {"sv", "en"}, key
        assert texts["sv"].strip() and texts["en"].strip(), key
        assert _fields(texts["sv"]) == _fields(texts["en"]), key


def test_keys_are_unique_across_the_files():
    total = sum(len(catalogue.area(a)) for a in catalogue.AREAS)
    assert len(catalogue.messages()) == total


@pytest.mark.parametrize(
    ("vocabulary", "values"),
    [
        ("place_kind", PlaceKind),
        ("extent_status", ExtentStatus),
        ("sensitivity", Sensitivity),
        ("role", Role),
        ("briefing_kind", BriefingKind),
        ("briefing_status", BriefingStatus),
        ("action_status", ActionStatus),
        ("layer", LAYERS),
        ("audit_action", ACTIONS),
        ("trend", ("rising", "falling", "stable")),
        ("goal_status", ("met", "on track", "not yet", "no target", "no data", "cannot compute")),
        ("coverage", ("cameras", "guard areas")),
    ],
)
def test_every_code_of_a_vocabulary_has_a_label(vocabulary, values):
    for v in values:
        code = getattr(v, "value", v)
        assert catalogue.has(f"{codes.PREFIX[vocabulary]}.{code}"), (vocabulary, code)
        assert label(vocabulary, code, "sv") != code, (vocabulary, code)


def test_an_unknown_free_text_kind_shows_as_written():
    assert label("organisation_kind", "bibliotek", "sv") == "bibliotek"
    assert label("organisation_kind", "property_owner", "sv") == "fastighetsägare"
    assert label("activation_kind", None) == ""


def test_text_fills_placeholders_and_a_missing_key_shows_itself():
    assert text("public.fewer", "sv", n=5) == "färre än 5"
    assert text("public.fewer", "en", n=5) == "fewer than 5"
    assert text("no.such.key", "sv") == "no.such.key"
    assert section("doc", "en")["title"] == "Follow-up"


def test_scopes_of_the_indicators():
    assert scope("place: Klara", "sv") == "Klara"
    assert scope("extent 2022", "sv") == "Utbredning 2022"
    assert scope("extent of each period's round (2022 vs 2023)", "en") == (
        "Scene extent of each period's round (2022 against 2023)"
    )
    assert scope("city: Stockholm", "sv") == "Stockholm (stad)"


def test_numbers_in_each_language():
    assert format.num(17850, "sv") == "17\u00a0850" and format.num(17850, "en") == "17,850"
    assert format.num(1234567.891, "sv", 2) == "1\u00a0234\u00a0567,89"
    assert format.num(-0.5, "sv", 1) == "\u22120,5" and format.num(-0.5, "en", 1) == "\u22120.5"
    assert format.num(None) == format.num(float("nan")) == "–"
    assert format.num(float("inf")) == "∞"
    assert format.pct(0.335, "sv") == "34\u00a0%" and format.pct(0.335, "en") == "34%"
    assert format.ha(12.53, "sv") == "12,5 ha" and format.ha(12.53, "en") == "12.5 ha"
    assert format.count(1200, "en") == "1,200"
    assert format.parse_num("17\u00a0850") == 17850 and format.parse_num("\u22120,5") == -0.5
    assert format.parse_num("34\u00a0%") == 34 and format.parse_num("0,79") == 0.79
    assert format.parse_num("1,200", "en") == 1200 and format.parse_num("0.79") == 0.79


def test_dates_in_each_language():
    tz = ZoneInfo("Europe/Stockholm")
    at = datetime(2023, 4, 30, 22, 30, tzinfo=UTC)  # 00:30 on 1 May in Stockholm
    assert format.day(date(2023, 5, 1), "sv") == "2023-05-01"
    assert format.day(date(2023, 5, 1), "en") == "1 May 2023"
    assert format.moment(at, "sv", tz) == "2023-05-01 00:30"
    assert format.moment(at, "en", tz) == "1 May 2023 00:30"
    assert format.when(at, tz, "en") == "2023-05-01 00:30"
    assert format.clock(at, tz) == "00:30"


def test_rejected_row_reasons_in_swedish():
    assert rejects.reason("lat: is required", "en") == "lat: is required"
    assert rejects.reason("lat: is required", "sv") == "lat: krävs"
    assert rejects.reason("count: 'x' is not a number", "sv") == "count: 'x' är inte ett tal"
    used = "name: 'Klara' is already used by another record of places (give each record its own"
    assert rejects.reason(used + " value, or the name of the record it is)", "sv").startswith(
        "name: 'Klara' används redan av en annan post i platser"
    )
    assert rejects.reason("something new", "sv") == "something new"  # unmatched: as written


def test_a_strict_import_names_its_first_reason_in_swedish():
    en = "2 row(s) rejected with --strict, so nothing was stored; first at line 3: lat: is required"
    assert rejects.reason(en, "sv") == (
        "2 rad(er) avvisades med --strict, så ingenting sparades; den första på rad 3: lat: krävs"
    )


def test_the_package_sits_at_the_bottom():
    """lagesbild.i18n imports the standard library, lagesbild.errors and lagesbild.domain
    only: no web framework, no store, so every layer may use it."""
    import ast
    from pathlib import Path

    import lagesbild.i18n

    allowed = ("lagesbild.i18n", "lagesbild.domain", "lagesbild.errors")
    for path in Path(lagesbild.i18n.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("lagesbild"):
                    assert name.startswith(allowed), (path.name, name)
                else:
                    assert name.split(".")[0] in __import__("sys").stdlib_module_names, name


def test_scopes_are_labelled_from_what_they_name():
    from types import SimpleNamespace

    from lagesbild.services.analyse.indicators import Scope

    place = SimpleNamespace(id=1, name="Klara")
    rounds = Scope("extent of each period's round (2022 vs 2023)", "rounds", place, (2022, 2023))
    assert scope(rounds, "sv") == "Scenens utbredning enligt periodens kartläggning (2022 mot 2023)"
    assert scope(Scope("extent 2022", "extent", place, (2022,)), "en") == "Extent 2022"
    assert scope(Scope("place: Klara", "place", place), "en") == "Klara"
