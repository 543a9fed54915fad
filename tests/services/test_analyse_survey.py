"""`analyse survey --design-effect D`: a weighted survey's shares with intervals and the test
on Kish's effective sample n / D, checked against statsmodels; the output says the design
effect. Through the CLI and the API as well."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import box
from statsmodels.stats.proportion import proportion_confint
from typer.testing import CliRunner

from lagesbild.analysis import kish_design_effect
from lagesbild.cli import app as cli_app
from lagesbild.domain.model import SYSTEM
from lagesbild.errors import ValidationError
from lagesbild.ingest.writer import write_records
from lagesbild.services.analyse import answer
from tests.services.surveys import write_survey


@pytest.fixture
def surveyed(sqlite_store):
    box_ = box(18.055, 59.329, 18.070, 59.336)
    write_records(sqlite_store, "places", [(1, {"name": "Klara", "kind": "priority_place"}, box_)])
    write_survey(
        sqlite_store,
        [(2023, "Klara", 0.235, 400), (2023, "city", 0.19, 9100)],
    )
    return sqlite_store


def test_a_design_effect_widens_the_intervals_to_those_of_the_effective_sample(surveyed):
    weights = np.random.default_rng(8).lognormal(0.0, 0.7, 400)
    deff = kish_design_effect(weights).design_effect  # about 1.6
    plain = answer("survey", surveyed, SYSTEM, {"area": "Klara"})
    out = answer("survey", surveyed, SYSTEM, {"area": "Klara", "design_effect": deff})
    r, r0 = out.rows[0], plain.rows[0]
    n_eff = 400 / deff
    lo, hi = proportion_confint(0.235 * n_eff, n_eff, method="wilson")
    assert (r["share"], r["n"], r["n_eff"]) == pytest.approx((0.235, 400, n_eff))
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((lo, hi), rel=1e-10)
    clo, chi = proportion_confint(0.19 * 9100 / deff, 9100 / deff, method="wilson")
    assert (r["city_ci_low"], r["city_ci_high"]) == pytest.approx((clo, chi), rel=1e-10)
    assert r["ci_high"] - r["ci_low"] > r0["ci_high"] - r0["ci_low"]
    # the gap (0.045) is significant on 400 respondents, no longer on the effective ~250
    assert r0["significant"] is True and r["significant"] is False
    assert r["p_value"] > r0["p_value"]
    assert out.summary["design_effect"] == pytest.approx(deff) and out.summary["design"] == "given"
    assert plain.summary["design_effect"] == 1.0
    assert plain.summary["design"] == "simple random sample"
    assert out.parameters["design_effect"] == pytest.approx(deff)


def test_the_cli_takes_and_bounds_the_design_effect(surveyed):
    argv = ["analyse", "survey", "--area", "Klara", "--db", surveyed.url]
    r = CliRunner().invoke(cli_app, [*argv, "--design-effect", "1.6"], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "design_effect" in r.output and "1.6" in r.output
    r = CliRunner().invoke(cli_app, [*argv, "--design-effect", "0"])
    assert isinstance(r.exception, ValidationError)
    assert str(r.exception) == "design_effect: must be a positive number; got 0"
