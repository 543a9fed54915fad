import numpy as np
import pytest
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

from lagesbild.analysis.survey import compare_shares, survey_series, wilson_interval


@pytest.mark.parametrize("x,n", [(0, 20), (1, 20), (42, 120), (119, 120), (120, 120), (300, 1500)])
@pytest.mark.parametrize("conf", [0.90, 0.95, 0.99])
def test_wilson_equals_statsmodels(x, n, conf):
    s = wilson_interval(x, n, conf)
    lo, hi = proportion_confint(x, n, alpha=1 - conf, method="wilson")
    assert s.ci_low == pytest.approx(lo, abs=1e-12)
    assert s.ci_high == pytest.approx(hi, abs=1e-12)


@pytest.mark.parametrize("xa,na,xc,nc", [(42, 120, 300, 1500), (10, 80, 95, 900), (0, 30, 5, 400)])
def test_newcombe_and_z_equal_statsmodels(xa, na, xc, nc):
    c = compare_shares(xa, na, xc, nc)
    lo, hi = confint_proportions_2indep(xa, na, xc, nc, method="newcomb")
    assert c.ci_low == pytest.approx(lo, abs=1e-12)
    assert c.ci_high == pytest.approx(hi, abs=1e-12)
    z, p = proportions_ztest([xa, xc], [na, nc])
    assert c.z == pytest.approx(z, rel=1e-12)
    assert c.p_value == pytest.approx(p, rel=1e-10)


def test_series_by_year():
    rows = survey_series(
        [2021, 2022, 2023], [40, 45, 30], [100, 110, 90], [200, 210, 190], [1000, 1000, 1000]
    )
    assert [r.label for r in rows] == ["2021", "2022", "2023"]
    assert rows[0].significant and rows[0].difference == pytest.approx(0.2)
    d = rows[2].to_dict()
    assert d["area_share"] == pytest.approx(1 / 3) and "diff_ci_low" in d
    with pytest.raises(ValueError):
        survey_series([2021], [1, 2], [3], [4], [5])


def test_invalid():
    with pytest.raises(ValueError):
        wilson_interval(5, 3)
    assert np.isfinite(wilson_interval(0, 1).ci_high)


def test_design_effect_uses_the_effective_sample_like_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    s = wilson_interval(120, 400, design_effect=2.0)
    lo, hi = proportion_confint(60, 200, method="wilson")
    assert (s.share, s.n) == (0.3, 200.0)
    assert s.ci_low == pytest.approx(lo, rel=1e-12) and s.ci_high == pytest.approx(hi, rel=1e-12)
    plain = compare_shares(120, 400, 1000, 4000)
    weighted = compare_shares(120, 400, 1000, 4000, design_effect=2.0)
    assert weighted.difference == pytest.approx(plain.difference)
    assert weighted.p_value > plain.p_value
    assert weighted.ci_high - weighted.ci_low > plain.ci_high - plain.ci_low
    with pytest.raises(ValueError):
        wilson_interval(1, 10, design_effect=0)


def test_kish_design_effect_against_its_closed_forms():
    from lagesbild.analysis import kish_design_effect

    w = np.random.default_rng(4).lognormal(0.0, 0.6, 500)
    k = kish_design_effect(w)
    assert k.n == 500
    assert k.n_eff == pytest.approx(w.sum() ** 2 / (w**2).sum(), rel=1e-12)
    # Kish's 1 + CV^2 with the population standard deviation
    assert k.design_effect == pytest.approx(1 + (w.std() / w.mean()) ** 2, rel=1e-12)
    assert kish_design_effect(np.full(40, 2.5)).design_effect == pytest.approx(1.0)
    for bad in ([], [1.0, -1.0], [0.0, 0.0], [1.0, np.nan]):
        with pytest.raises(ValueError):
            kish_design_effect(np.array(bad))
