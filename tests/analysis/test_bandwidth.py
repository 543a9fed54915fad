"""Likelihood cross-validated bandwidth against statsmodels' KDEMultivariate(bw="cv_ml"), and
the quartic equivalent against the canonical-bandwidth closed form."""

import math

import numpy as np
import pytest
from scipy import integrate
from statsmodels.nonparametric.kernel_density import KDEMultivariate

from lagesbild.analysis.bandwidth import QUARTIC_PER_GAUSSIAN, likelihood_cv_bandwidth


def test_one_dimension_equals_statsmodels_cv_ml():
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(0, 50, 150), rng.normal(400, 20, 50)]
    ours = likelihood_cv_bandwidth(x, min_distance=0.0)
    sm = KDEMultivariate(x, var_type="c", bw="cv_ml").bw[0]
    assert ours.sigma == pytest.approx(sm, rel=2e-3)


def test_isotropic_points_agree_with_statsmodels_per_axis():
    rng = np.random.default_rng(1)
    xy = np.vstack([rng.normal(0, 100, (200, 2)), rng.normal(600, 30, (60, 2))])
    ours = likelihood_cv_bandwidth(xy, min_distance=0.0)
    sm = KDEMultivariate(xy, var_type="cc", bw="cv_ml").bw
    # statsmodels fits one bandwidth per axis; on isotropic data both are near our one sigma
    assert ours.sigma == pytest.approx(np.sqrt(sm[0] * sm[1]), rel=0.15)
    assert ours.bandwidth == pytest.approx(ours.sigma * QUARTIC_PER_GAUSSIAN)


def test_quartic_factor_is_the_ratio_of_canonical_bandwidths():
    # R(K) and the second moment per axis of the planar quartic, by numerical integration
    def k(r):
        return 3 / math.pi * (1 - r * r) ** 2

    r_q = integrate.quad(lambda r: k(r) ** 2 * 2 * math.pi * r, 0, 1)[0]
    mu_q = integrate.quad(lambda r: 0.5 * r * r * k(r) * 2 * math.pi * r, 0, 1)[0]
    r_g, mu_g = 1 / (4 * math.pi), 1.0
    ratio = (r_q / mu_q**2) ** (1 / 6) / (r_g / mu_g**2) ** (1 / 6)
    assert QUARTIC_PER_GAUSSIAN == pytest.approx(ratio, rel=1e-9)
    assert QUARTIC_PER_GAUSSIAN == pytest.approx(2.779, abs=1e-3)


def test_duplicates_do_not_collapse_the_bandwidth():
    rng = np.random.default_rng(2)
    xy = rng.normal(0, 100, (150, 2))
    dup = np.vstack([xy, xy[:40]])  # 40 crimes geocoded to the same address as another
    plain = likelihood_cv_bandwidth(xy)
    with_dups = likelihood_cv_bandwidth(dup)
    assert with_dups.sigma == pytest.approx(plain.sigma, rel=0.3)
    # leaving only the point itself out, its duplicate pulls the bandwidth down
    assert likelihood_cv_bandwidth(dup, min_distance=0.0).sigma < 0.85 * with_dups.sigma


def test_subset_is_seeded():
    rng = np.random.default_rng(3)
    xy = rng.normal(0, 100, (400, 2))
    a = likelihood_cv_bandwidth(xy, max_points=200, seed=5)
    b = likelihood_cv_bandwidth(xy, max_points=200, seed=5)
    assert a == b and a.n_used == 200 and a.n_points == 400
