"""`analyse emerging` takes the hot-spot map's inference choice (auto, normal, montecarlo) for
its bins' Gi* p-values and says which it used."""

from __future__ import annotations

from typer.testing import CliRunner

from lagesbild.cli import app as cli_app
from lagesbild.domain.model import SYSTEM
from lagesbild.errors import ValidationError
from lagesbild.services.analyse import answer

from .test_analyse import scene  # noqa: F401  (the shared fixture)

ASKED = {"place": "Scen", "date_from": "2022", "date_to": "2023", "cell": 100.0}


def test_emerging_says_which_inference_and_auto_takes_monte_carlo_on_sparse_counts(scene):  # noqa: F811
    store, _ = scene
    auto = answer("emerging", store, SYSTEM, {**ASKED, "seed": 4})
    normal = answer("emerging", store, SYSTEM, {**ASKED, "inference": "normal"})
    s = auto.summary
    assert (s["inference"], s["simulations"], s["seed"]) == ("montecarlo", 199, 4)
    assert normal.summary["inference"] == "normal" and normal.summary["simulations"] == 0
    assert auto.parameters["inference"] == "auto" and auto.parameters["simulations"] == 199
    # seeded: the same seed, the same categories
    again = answer("emerging", store, SYSTEM, {**ASKED, "seed": 4})
    assert [r["category"] for r in again.rows] == [r["category"] for r in auto.rows]


def test_the_cli_bounds_emerging_simulations(scene):  # noqa: F811
    store, _ = scene
    argv = ["analyse", "emerging", "--place", "Scen", "--from", "2022", "--to", "2023"]
    r = CliRunner().invoke(cli_app, [*argv, "--simulations", "50", "--db", store.url])
    assert isinstance(r.exception, ValidationError)
    assert str(r.exception) == "simulations: expected 99 to 9999; got 50"
