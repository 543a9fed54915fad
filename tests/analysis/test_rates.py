"""Poisson intervals and rate ratios against scipy/statsmodels and closed forms."""

import math

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer
from scipy import stats
from statsmodels.stats import rates as smr

from lagesbild.analysis.rates import area_ha, per_hectare, poisson_interval, rate_ratio


@pytest.mark.parametrize("k", [0, 1, 3, 10, 57, 400])
def test_garwood_interval_equals_statsmodels_exact(k):
    r = poisson_interval(k, exposure=2.5)
    lo, hi = smr.confint_poisson(k, 2.5, method="exact-c")
    assert r.ci_low == pytest.approx(lo, rel=1e-10, abs=1e-12)
    assert r.ci_high == pytest.approx(hi, rel=1e-10)


def test_garwood_zero_count_closed_form():
    r = poisson_interval(0)
    assert r.ci_low == 0.0
    assert r.ci_high == pytest.approx(-math.log(0.025), rel=1e-12)  # chi2_2(.975)/2


CASES = [(40, 12.0, 38, 6.0), (12, 1.0, 3, 1.0), (5, 3.2, 9, 1.7), (150, 30.0, 120, 31.0)]


@pytest.mark.parametrize("a,ea,b,eb", CASES)
@pytest.mark.parametrize(
    "method,sm", [("exact", "exact-cond"), ("midp", "cond-midp"), ("score", "score")]
)
def test_p_values_equal_statsmodels(a, ea, b, eb, method, sm):
    r = rate_ratio(a, ea, b, eb, method=method)
    ref = smr.test_poisson_2indep(b, eb, a, ea, method=sm).pvalue
    assert r.p_value == pytest.approx(ref, rel=1e-9)
    assert r.ratio == pytest.approx((b / eb) / (a / ea))


@pytest.mark.parametrize("a,ea,b,eb", CASES)
def test_exact_interval_is_clopper_pearson_via_scipy_binomtest(a, ea, b, eb):
    r = rate_ratio(a, ea, b, eb, method="exact")
    ci = stats.binomtest(b, a + b).proportion_ci(0.95, method="exact")
    to_r = lambda p: p / (1 - p) * ea / eb  # noqa: E731
    assert r.ci_low == pytest.approx(to_r(ci.low), rel=1e-9)
    assert r.ci_high == pytest.approx(to_r(ci.high), rel=1e-9)


@pytest.mark.parametrize("a,ea,b,eb", CASES)
def test_score_interval_equals_statsmodels(a, ea, b, eb):
    r = rate_ratio(a, ea, b, eb, method="score")
    lo, hi = smr.confint_poisson_2indep(b, eb, a, ea, method="score", compare="ratio")
    # statsmodels inverts the test numerically (fmin, xtol 1e-8); ours is closed form
    assert r.ci_low == pytest.approx(lo, rel=1e-6)
    assert r.ci_high == pytest.approx(hi, rel=1e-6)


def test_midp_interval_solves_its_defining_equations():
    a, ea, b, eb = 12, 1.0, 3, 1.0
    r = rate_ratio(a, ea, b, eb, method="midp")
    n = a + b
    p_lo = r.ci_low * eb / (ea + r.ci_low * eb)
    p_hi = r.ci_high * eb / (ea + r.ci_high * eb)
    up = stats.binom.sf(b, n, p_lo) + 0.5 * stats.binom.pmf(b, n, p_lo)
    down = stats.binom.cdf(b - 1, n, p_hi) + 0.5 * stats.binom.pmf(b, n, p_hi)
    assert up == pytest.approx(0.025, abs=1e-10) and down == pytest.approx(0.025, abs=1e-10)
    exact = rate_ratio(a, ea, b, eb, method="exact")
    assert exact.ci_low < r.ci_low < r.ci_high < exact.ci_high


def test_zero_counts():
    r = rate_ratio(0, 1.0, 4, 1.0)
    assert r.ratio == math.inf and r.ci_high == math.inf and r.ci_low > 0
    r0 = rate_ratio(0, 1.0, 0, 1.0)
    assert math.isnan(r0.ratio) and r0.p_value == 1.0
    with pytest.raises(ValueError):
        rate_ratio(-1, 1.0, 2, 1.0)


def test_seed_pattern_total_down_but_per_hectare_up():
    # 2022: 60 violent crimes on 10 ha; 2023: 50 on 4.5 ha
    total = rate_ratio(60, 1.0, 50, 1.0)
    per_ha = rate_ratio(60, 10.0, 50, 4.5)
    assert total.ratio < 1 and per_ha.ratio > 1.8 and per_ha.ci_low > 1


def test_per_hectare_and_area():
    assert per_hectare(30, 25_000.0) == pytest.approx(12.0)
    assert area_ha(shapely.box(0, 0, 200, 100)) == pytest.approx(2.0)


def test_projected_area_within_0_1_percent_of_geodesic():
    """A 300 x 200 m block at Sergels torg in SWEREF 99 TM against pyproj's geodesic area."""
    to_3006 = Transformer.from_crs(4326, 3006, always_xy=True)
    to_4326 = Transformer.from_crs(3006, 4326, always_xy=True)
    x, y = to_3006.transform(18.0649, 59.3326)
    poly = shapely.box(x - 150, y - 100, x + 150, y + 100).segmentize(10.0)
    lon, lat = to_4326.transform(*np.asarray(poly.exterior.coords).T)
    geo_area, _ = Geod(ellps="GRS80").polygon_area_perimeter(lon, lat)
    assert area_ha(poly) == pytest.approx(abs(geo_area) / 1e4, rel=1e-3)
