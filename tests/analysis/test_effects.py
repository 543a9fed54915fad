"""IRLS Poisson, ITS and DiD against statsmodels GLM(Poisson)."""

import numpy as np
import pytest
import statsmodels.api as sm

from lagesbild.analysis.effects import (
    difference_in_differences,
    fit_poisson,
    interrupted_time_series,
    its_design,
)


def _series(seed=3, T=72, t0=40):
    rng = np.random.default_rng(seed)
    t = np.arange(T)
    days = np.tile([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], T // 12 + 1)[:T]
    mu = days * np.exp(
        -0.5
        + 0.004 * t
        - 0.35 * (t >= t0)
        - 0.01 * (t - t0) * (t >= t0)
        + 0.25 * np.sin(2 * np.pi * t / 12)
    )
    return rng.poisson(mu), days, t0


@pytest.mark.parametrize("seasonality", ["fourier", "dummies", "none"])
@pytest.mark.parametrize("scale,sm_scale", [(1.0, None), ("pearson", "X2")])
def test_its_matches_statsmodels_glm(seasonality, scale, sm_scale):
    y, days, t0 = _series()
    r = interrupted_time_series(y, t0, exposure=days, seasonality=seasonality, scale=scale)
    X, names = its_design(len(y), t0, seasonality=seasonality)
    ref = sm.GLM(y, X, family=sm.families.Poisson(), offset=np.log(days)).fit(scale=sm_scale)
    np.testing.assert_allclose(r.fit.params, ref.params, rtol=0, atol=1e-6)
    np.testing.assert_allclose(r.fit.bse, ref.bse, rtol=1e-6)
    ci = ref.conf_int()
    np.testing.assert_allclose(r.fit.ci_low, ci[:, 0], atol=1e-6)
    assert r.fit.deviance == pytest.approx(ref.deviance, rel=1e-9)
    assert r.fit.pearson_chi2 == pytest.approx(ref.pearson_chi2, rel=1e-9)
    assert r.fit.names == names and r.fit.converged
    i = names.index("level")
    assert r.level_change[0] == pytest.approx(np.exp(ref.params[i]), rel=1e-6)


def test_its_recovers_level_drop_and_records():
    y, days, t0 = _series(seed=11, T=120)
    r = interrupted_time_series(y, t0, exposure=days)
    est, lo, hi = r.level_change
    assert lo < np.exp(-0.35) < hi and hi < 1
    assert r.counterfactual.shape == y.shape
    d = r.to_dict()
    assert d["coefficients"][2]["term"] == "level"


def test_fit_poisson_with_zeros_and_offset():
    rng = np.random.default_rng(0)
    X = np.c_[np.ones(200), rng.normal(size=200), rng.integers(0, 2, 200)]
    off = np.log(rng.uniform(0.5, 2.0, 200))
    y = rng.poisson(np.exp(-1.0 + 0.5 * X[:, 1] + 0.3 * X[:, 2] + off))
    assert (y == 0).any()
    r = fit_poisson(X, y, offset=off)
    ref = sm.GLM(y, X, family=sm.families.Poisson(), offset=off).fit()
    np.testing.assert_allclose(r.params, ref.params, atol=1e-6)
    np.testing.assert_allclose(r.bse, ref.bse, rtol=1e-6)
    np.testing.assert_allclose(r.p, ref.pvalues, rtol=1e-5)


def test_did_closed_form_and_statsmodels():
    y = np.array([100, 50, 200, 190])
    g, post = np.array([1, 1, 0, 0]), np.array([0, 1, 0, 1])
    r = difference_in_differences(y, g, post)
    assert r.rate_ratio == pytest.approx((50 / 100) / (190 / 200), rel=1e-10)
    se = np.sqrt((1 / y).sum())
    assert r.fit.bse[3] == pytest.approx(se, rel=1e-8)
    assert r.ci_low == pytest.approx(r.rate_ratio * np.exp(-1.959963984540054 * se), rel=1e-8)


def test_did_panel_with_exposure_matches_statsmodels():
    rng = np.random.default_rng(4)
    n = 48
    g = np.repeat([1, 0], n)
    t = np.tile(np.r_[np.zeros(24), np.ones(24)], 2)
    expo = np.where(g == 1, 4.5, 60.0)  # hectares
    y = rng.poisson(expo * np.exp(0.2 + 0.1 * g - 0.05 * t - 0.4 * g * t))
    r = difference_in_differences(y, g, t, exposure=expo, scale="pearson")
    X = np.c_[np.ones(2 * n), g, t, g * t]
    ref = sm.GLM(y, X, family=sm.families.Poisson(), offset=np.log(expo)).fit(scale="X2")
    np.testing.assert_allclose(r.fit.params, ref.params, atol=1e-6)
    np.testing.assert_allclose(r.fit.bse, ref.bse, rtol=1e-6)
    assert r.to_dict()["rate_ratio"] == pytest.approx(np.exp(ref.params[3]), rel=1e-6)


def test_its_design_validation():
    with pytest.raises(ValueError):
        its_design(10, 0)
    X, names = its_design(24, 12, period=12, harmonics=1)
    assert names == ("const", "time", "level", "trend_change", "sin1", "cos1")
    assert X[12, 2] == 1 and X[11, 2] == 0 and X[15, 3] == 3


def test_did_refuses_a_group_without_counts_before_or_after():
    # a control with no records after: the interaction has no finite estimate (the fit would
    # diverge into a singular matrix), so it is refused rather than fitted
    with pytest.raises(ValueError, match="positive count both before and after"):
        difference_in_differences([10, 5, 8, 0], [1, 1, 0, 0], [0, 1, 0, 1])


def test_its_reports_residual_autocorrelation_like_statsmodels():
    from statsmodels.stats.diagnostic import acorr_ljungbox
    from statsmodels.stats.stattools import durbin_watson

    rng = np.random.default_rng(4)
    # ten years of months with an AR(1) log-rate: months far more alike than Poisson allows
    eta = np.zeros(120)
    for t in range(1, 120):
        eta[t] = 0.85 * eta[t - 1] + rng.normal(0, 0.25)
    y = rng.poisson(30 * np.exp(eta)).astype(float)
    r = interrupted_time_series(y, 60, seasonality="none")
    pearson = (y - r.fit.fitted) / np.sqrt(r.fit.fitted)
    assert r.durbin_watson == pytest.approx(durbin_watson(pearson), rel=1e-12)
    lb = acorr_ljungbox(pearson, lags=[r.ljung_box_lags])
    assert r.ljung_box_q == pytest.approx(float(lb["lb_stat"].iloc[0]), rel=1e-10)
    assert r.ljung_box_p == pytest.approx(float(lb["lb_pvalue"].iloc[0]), rel=1e-8)
    assert r.ljung_box_lags == 10 and r.autocorrelated and r.durbin_watson < 1.5
    assert r.to_dict()["autocorrelated"] is True
    # independent Poisson months: no caveat
    white = interrupted_time_series(rng.poisson(30, 120).astype(float), 60, seasonality="none")
    assert not white.autocorrelated
