"""`analyse effect` reports the residual autocorrelation of its time series (Ljung-Box and
Durbin-Watson on the Pearson residuals), checked against statsmodels on the same series, and
prints a caveat only when the residuals are autocorrelated."""

from __future__ import annotations

import json

import numpy as np
import pytest
import statsmodels.api as sm
from shapely.geometry import box
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.stattools import durbin_watson
from typer.testing import CliRunner

from lagesbild import analysis as an
from lagesbild.cli import app as cli_app
from lagesbild.domain.model import SYSTEM
from lagesbild.ingest.writer import write_records
from lagesbild.services.analyse import answer

TARGET = box(18.060, 59.330, 18.062, 59.331)
MONTHS = 48  # 2021-01 .. 2024-12; the intervention on 2023-01-01: index 24


def _store_with(store, counts):
    write_records(
        store,
        "places",
        [(1, {"name": "Mål", "kind": "priority_place", "sensitivity": "public"}, TARGET)],
    )
    recs, i = [], 0
    for m, n in enumerate(counts):
        year, month = 2021 + m // 12, m % 12 + 1
        for j in range(int(n)):
            recs.append(
                {
                    "id": f"c{i}",
                    "occurred_at": f"{year}-{month:02d}-{1 + j % 27:02d} 12:00",
                    "category": "violent_crime",
                    "lat": 59.3305,
                    "lon": 18.061,
                    "sensitivity": "shared",
                    "reported_at": None,
                    "offence_code": None,
                }
            )
            i += 1
    write_records(store, "crimes", [(k, r, None) for k, r in enumerate(recs)])
    return store


ASKED = {"place": "Mål", "intervention": "2023-01-01", "date_from": "2021", "date_to": "2024"}


def _statsmodels(y):
    """The same segmented Poisson model fitted by statsmodels, its Pearson residuals' tests."""
    X, _ = an.its_design(y.size, 24, period=12, seasonality="fourier")
    e = sm.GLM(y, X, family=sm.families.Poisson()).fit().resid_pearson
    lags = min(10, y.size // 5)
    lb = acorr_ljungbox(e, lags=[lags])
    return float(lb["lb_stat"].iloc[0]), float(lb["lb_pvalue"].iloc[0]), durbin_watson(e)


def test_a_slow_wave_is_autocorrelated_like_statsmodels_and_carries_a_caveat(sqlite_store):
    # a 30-month wave the yearly seasonality cannot absorb: consecutive residuals agree
    y = np.round(20 + 8 * np.sin(2 * np.pi * np.arange(MONTHS) / 30))
    store = _store_with(sqlite_store, y)
    out = answer("effect", store, SYSTEM, ASKED)
    assert [r["count"] for r in out.rows] == list(y)
    q, p, dw = _statsmodels(y)
    ac = out.top_level["autocorrelation"]
    assert ac["test"] == "ljung-box" and ac["lags"] == 9
    assert ac["statistic"] == pytest.approx(q, rel=1e-6)
    assert ac["p"] == pytest.approx(p, rel=1e-5, abs=1e-12)
    assert ac["durbin_watson"] == pytest.approx(dw, rel=1e-6)
    assert ac["present"] and p < 0.05 and dw < 1.5
    assert len(out.top_level["caveats"]) == 1 and "autocorrelated" in out.top_level["caveats"][0]
    assert out.top_level["caveats"][0] in out.notes  # the CLI prints the notes
    body = out.to_json()
    assert body["autocorrelation"]["statistic"] == ac["statistic"] and body["caveats"]


def test_independent_counts_carry_no_caveat(sqlite_store):
    y = np.random.default_rng(3).poisson(15, MONTHS).astype(float)
    store = _store_with(sqlite_store, y)
    out = answer("effect", store, SYSTEM, ASKED)
    q, p, dw = _statsmodels(y)
    assert out.summary["ljung_box_q"] == pytest.approx(q, rel=1e-6)
    assert out.summary["durbin_watson"] == pytest.approx(dw, rel=1e-6)
    assert p > 0.05 and not out.top_level["autocorrelation"]["present"]
    assert out.top_level["caveats"] == [] and not any("autocorrelated" in n for n in out.notes)


def test_the_cli_prints_and_writes_the_caveat(sqlite_store, tmp_path):
    y = np.round(20 + 8 * np.sin(2 * np.pi * np.arange(MONTHS) / 30))
    store = _store_with(sqlite_store, y)
    path = tmp_path / "effect.json"
    argv = ["analyse", "effect", "--place", "Mål", "--intervention", "2023-01-01"]
    argv += ["--from", "2021", "--to", "2024", "--db", store.url, "--out", str(path)]
    r = CliRunner().invoke(cli_app, argv, terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "autocorrelated" in r.output and "ljung_box_p" in r.output
    doc = json.loads(path.read_text())
    assert doc["autocorrelation"]["test"] == "ljung-box" and len(doc["caveats"]) == 1
