"""Each analysis's query is declared once (`services.analyse.query`); the CLI's options and the
API's parameters are generated from it. These check that both list exactly the declared fields
(names, order, required), that the API's bounds refuse with the messages they always gave, and
that the CLI's own checks still speak."""

from __future__ import annotations

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from lagesbild.cli import app as cli_app
from lagesbild.errors import ValidationError
from lagesbild.i18n import has
from lagesbild.services.analyse import QUERIES
from lagesbild.services.analyse.query import HOTSPOTS, INDICATORS, REQUIRED, Field, Query
from lagesbild.store.lifecycle import init_store
from lagesbild.web.app import create_app


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('query') / 's.sqlite'}"
    init_store(url).dispose()
    with TestClient(create_app(url)) as client:
        yield client


def _cli_command(name: str):
    return typer.main.get_command(cli_app).commands["analyse"].commands[name]


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_the_api_lists_the_declared_fields_in_order(api, name):
    op = api.get("/api/v1/openapi.json").json()["paths"][f"/api/v1/analyse/{name}"]["get"]
    got = [(p["name"], bool(p.get("required"))) for p in op["parameters"]]
    assert got == [(f.api_name, f.required) for f in QUERIES[name].fields]


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_the_cli_lists_the_declared_fields_then_out_and_db(name):
    cmd = _cli_command(name)
    got = [(p.opts[0], p.required) for p in cmd.params if p.param_type_name == "option"]
    declared = [(f.option, f.required) for f in QUERIES[name].fields]
    assert got == [*declared, ("--out", False), ("--db", False)]
    assert cmd.help == QUERIES[name].text("en")


def test_every_field_has_help_in_swedish_and_english():
    """The help is a catalogue key: each resolves to a text (not the key shown as itself) in
    both languages, and the Swedish is a translation, not the English again."""
    for q in QUERIES.values():
        assert has(q.help) and q.text("sv") != q.text("en"), q.name
        for f in q.fields:
            assert has(f.help), (q.name, f.name)
            assert f.text("sv") and f.text("en") and f.text("sv") != f.text("en"), (q.name, f.name)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("hotspots?from=2023&to=2023&cell=0", "cell", "Input should be greater than 0"),
        (
            "hotspots?from=2023&to=2023&cell=20000",
            "cell",
            "Input should be less than or equal to 10000",
        ),
        ("hotspots?from=2023&to=2023&method=x", "method", "Input should be 'gistar' or 'kde'"),
        (
            "emerging?from=2023&to=2023&layer=foo",
            "layer",
            "Input should be 'crimes' or 'observations'",
        ),
        ("hotspots?to=2023", "from", "Field required"),
        (
            "indicators?place=Klara&period=2023",
            "period",
            "List should have at least 2 items after validation, not 1",
        ),
        (
            "displacement?place=K&buffer=6000&control=x&before=2022&after=2023",
            "buffer",
            "Input should be less than or equal to 5000",
        ),
    ],
)
def test_a_bound_broken_over_http_is_refused_as_before(api, query, field, message):
    r = api.get(f"/api/v1/analyse/{query}")
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": field, "location": "query", "message": message}]


def test_the_cli_asks_for_two_periods_and_names_a_cell_of_zero(tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli_app, ["analyse", "indicators", "--place", "K", "--period", "2023"])
    assert r.exit_code == 2
    assert "give --period twice: A then B" in r.output
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    assert runner.invoke(cli_app, ["init", "--db", db]).exit_code == 0
    args = ["analyse", "hotspots", "--from", "2023", "--to", "2023", "--cell", "0", "--db", db]
    r = runner.invoke(cli_app, args)  # `lagesbild`'s entry point prints what it raises
    assert isinstance(r.exception, ValidationError) and r.exception.field == "cell"
    assert str(r.exception) == "cell: must be a positive number of metres; got 0"


def test_a_query_fills_defaults_and_refuses_a_field_it_has_not():
    asked = HOTSPOTS.complete({"date_from": "2023", "date_to": "2023"})
    assert asked["cell"] == 50.0 and asked["method"] == "gistar" and asked["place"] is None
    with pytest.raises(TypeError, match="window"):
        HOTSPOTS.complete({"window": None})
    assert INDICATORS.field("period").repeat == 2


def test_a_pair_is_two_values_or_none():
    q = Query("q", (Field("compare", pair=True), Field("x", default=REQUIRED)), "")
    assert q.complete({"compare": ["2022", "2023"], "x": 1})["compare"] == ("2022", "2023")
    assert q.complete({"compare": ["2022"], "x": 1})["compare"] is None
    assert q.complete({"x": 1})["compare"] is None


def test_a_scope_is_its_label_when_written_and_keeps_what_it_names():
    import copy
    import json
    import pickle

    import orjson
    from shapely.geometry import box

    from lagesbild.services.analyse.indicators import ROUNDS, Scope
    from lagesbild.services.data import PlaceGeo

    place = PlaceGeo(7, "Klara", "scene", box(0, 0, 1, 1), box(0, 0, 1, 1))
    s = Scope("extent of each period's round (2022 vs 2023)", ROUNDS, place, (2022, 2023))
    row = {"scope": s}
    assert json.loads(json.dumps(row)) == {"scope": str(s)}
    assert orjson.loads(orjson.dumps(row)) == {"scope": str(s)}
    for kept in (copy.deepcopy(s), pickle.loads(pickle.dumps(s))):
        assert (kept, kept.kind, kept.place_id, kept.name, kept.rounds) == (
            s,
            ROUNDS,
            7,
            "Klara",
            (2022, 2023),
        )


@pytest.mark.parametrize(
    "args, field, message",
    [
        (["lisa", "--permutations", "5"], "permutations", "expected 99 to 9999; got 5"),
        (["pattern", "--simulations", "18"], "simulations", "expected 19 to 9999; got 18"),
        (["nearrepeat", "--days", "366"], "days", "expected 0 to 365; got 366"),
        (
            ["nearrepeat", "--distance", "6000"],
            "distance",
            "at most 5000 m; got 6000",
        ),
        (
            ["hotspots", "--inference", "exact"],
            "inference",
            "expected auto, normal or montecarlo; got exact",
        ),
        (["hotspots", "--weights", "queen"], "weights", "expected band, knn or decay; got queen"),
        (["lisa", "--cell", "nan"], "cell", "must be a positive number of metres; got nan"),
    ],
)
def test_the_cli_applies_the_declared_bounds_before_opening_a_store(args, field, message):
    """The bounds the API's schema applies, at the CLI's edge too, naming the option and the
    range; no store is opened (the --db given does not exist)."""
    base = {
        "lisa": ["--place", "K", "--from", "2023", "--to", "2023"],
        "pattern": ["--place", "K", "--from", "2023", "--to", "2023"],
        "nearrepeat": ["--place", "K", "--from", "2023", "--to", "2023"],
        "hotspots": ["--from", "2023", "--to", "2023"],
    }[args[0]]
    required = ["--distance", "100", "--days", "7"] if args[0] == "nearrepeat" else []
    # the option under test last: click keeps the last of a repeated option
    argv = ["analyse", args[0], *base, *required, *args[1:], "--db", "sqlite:////nonexistent/x"]
    r = CliRunner().invoke(cli_app, argv)
    assert isinstance(r.exception, ValidationError), r.output
    assert (r.exception.field, str(r.exception)) == (field, f"{field}: {message}")


def test_the_entry_point_prints_a_bound_as_one_line_without_a_traceback():
    import subprocess
    import sys

    argv = ["analyse", "lisa", "--place", "K", "--from", "2023", "--to", "2023"]
    r = subprocess.run(
        [sys.executable, "-m", "lagesbild", *argv, "--permutations", "5"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert "permutations: expected 99 to 9999; got 5" in r.stderr + r.stdout
    assert "Traceback" not in r.stderr + r.stdout
