r"""Survey shares with Wilson intervals, and an area against the city average.

*Wilson (score) interval* for a share :math:`\hat p = x / n` (Wilson 1927):

.. math::

    \frac{\hat p + \frac{z^2}{2n}}{1 + \frac{z^2}{n}} \pm
    \frac{z}{1 + \frac{z^2}{n}} \sqrt{\frac{\hat p (1 - \hat p)}{n} + \frac{z^2}{4 n^2}},
    \qquad z = \Phi^{-1}(1 - \alpha / 2).

*Difference of two shares* :math:`d = \hat p_1 - \hat p_2` with Newcombe's (1998, method 10)
hybrid score interval built from the two Wilson intervals :math:`(l_i, u_i)`:

.. math::

    \left[d - \sqrt{(\hat p_1 - l_1)^2 + (u_2 - \hat p_2)^2},\;
          d + \sqrt{(u_1 - \hat p_1)^2 + (\hat p_2 - l_2)^2}\right],

and the pooled two-proportion z test
:math:`z = d / \sqrt{\bar p (1 - \bar p)(1/n_1 + 1/n_2)}`, :math:`\bar p = (x_1+x_2)/(n_1+n_2)`.

*Design effect.* A weighted or clustered survey carries less information than a simple random
sample of the same size. With design effect :math:`D` (Kish 1965; e.g. :math:`1 + CV_w^2` for
weighting alone, :math:`CV_w` the coefficient of variation of the weights) the effective sample
size is :math:`n_\text{eff} = n / D`, and the intervals and the test above use
:math:`n_\text{eff}` and :math:`x_\text{eff} = \hat p\, n_\text{eff}` (the share itself is
unchanged). ``design_effect=1`` is a simple random sample.

The test treats the two samples as independent. When the area's respondents are also part of the
city sample the city share is not independent of the area share; the comparison is then slightly
conservative (the true difference variance is smaller). Compare against "the rest of the city"
when those counts are available.

References
----------
Wilson, E. B. (1927). Probable inference... *JASA* 22, 209-212.
Kish, L. (1965). *Survey Sampling*. Wiley, sec. 8.2.
Newcombe, R. G. (1998). Interval estimation for the difference between independent proportions.
*Statistics in Medicine* 17, 873-890.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

__all__ = [
    "KishDesign",
    "ShareComparison",
    "ShareInterval",
    "compare_shares",
    "kish_design_effect",
    "survey_series",
    "wilson_interval",
]


@dataclass(frozen=True)
class ShareInterval:
    """A share ``successes / n`` with its Wilson interval."""

    successes: float
    n: float
    share: float
    ci_low: float
    ci_high: float
    confidence: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ShareComparison:
    """Share in the area minus share in the reference (city), Newcombe interval, z test."""

    area: ShareInterval
    reference: ShareInterval
    difference: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float
    significant: bool
    label: str = ""

    def to_dict(self) -> dict:
        out = {"label": self.label}
        for prefix, s in (("area", self.area), ("reference", self.reference)):
            out.update({f"{prefix}_{k}": v for k, v in s.to_dict().items() if k != "confidence"})
        out.update(
            difference=self.difference,
            diff_ci_low=self.ci_low,
            diff_ci_high=self.ci_high,
            z=self.z,
            p_value=self.p_value,
            significant=self.significant,
            confidence=self.area.confidence,
        )
        return out


@dataclass(frozen=True)
class KishDesign:
    """Kish's effective sample size of a weighted sample: ``n`` respondents carry the
    information of ``n_eff`` in a simple random sample; ``design_effect`` is ``n / n_eff``."""

    n: int
    n_eff: float
    design_effect: float

    def to_dict(self) -> dict:
        return {"n": self.n, "n_eff": self.n_eff, "design_effect": self.design_effect}


def kish_design_effect(weights: np.ndarray) -> KishDesign:
    r"""Kish's (1965) effective sample size :math:`n_\text{eff} = (\sum w)^2 / \sum w^2` of the
    respondents' weights and the design effect of weighting
    :math:`D = n / n_\text{eff} = 1 + CV_w^2` (the weights' coefficient of variation with the
    population standard deviation). Pass ``design_effect`` on to `wilson_interval`.

    Examples
    --------
    >>> k = kish_design_effect(np.array([1.0, 1.0, 2.0, 4.0]))
    >>> round(k.n_eff, 3), round(k.design_effect, 3)
    (2.909, 1.375)
    """
    w = np.asarray(weights, dtype=float).ravel()
    if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
        raise ValueError("weights must be finite, non-negative and not all zero")
    n_eff = float(w.sum() ** 2 / np.sum(w * w))
    return KishDesign(int(w.size), n_eff, w.size / n_eff)


def wilson_interval(
    successes: float, n: float, confidence: float = 0.95, *, design_effect: float = 1.0
) -> ShareInterval:
    """Share and Wilson score interval; equals statsmodels ``proportion_confint(method="wilson")``
    (on the effective sample :math:`n / D` when ``design_effect`` :math:`D` is given; the
    result's ``n`` and ``successes`` are then the effective ones).

    Examples
    --------
    >>> s = wilson_interval(42, 120)
    >>> round(s.share, 3), round(s.ci_low, 3), round(s.ci_high, 3)
    (0.35, 0.271, 0.439)
    """
    if not n > 0 or not 0 <= successes <= n:
        raise ValueError("need 0 <= successes <= n and n > 0")
    if not design_effect > 0:
        raise ValueError("design_effect must be positive")
    successes, n = successes / design_effect, n / design_effect
    z = float(stats.norm.isf((1 - confidence) / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return ShareInterval(
        float(successes), float(n), p, max(0.0, centre - half), min(1.0, centre + half), confidence
    )


def compare_shares(
    x_area: float,
    n_area: float,
    x_ref: float,
    n_ref: float,
    *,
    confidence: float = 0.95,
    label: str = "",
    design_effect: float = 1.0,
    design_effect_ref: float | None = None,
) -> ShareComparison:
    """Area share minus reference share, Newcombe hybrid score interval and pooled z test.

    ``significant`` is True when the interval excludes 0 (it agrees with the z test in all
    but borderline cases; the interval is the reported criterion). ``design_effect`` applies
    to the area and, unless ``design_effect_ref`` is given, to the reference too.
    """
    deff_ref = design_effect if design_effect_ref is None else design_effect_ref
    a = wilson_interval(x_area, n_area, confidence, design_effect=design_effect)
    r = wilson_interval(x_ref, n_ref, confidence, design_effect=deff_ref)
    x_area, n_area, x_ref, n_ref = a.successes, a.n, r.successes, r.n
    d = a.share - r.share
    low = d - math.sqrt((a.share - a.ci_low) ** 2 + (r.ci_high - r.share) ** 2)
    high = d + math.sqrt((a.ci_high - a.share) ** 2 + (r.share - r.ci_low) ** 2)
    pooled = (x_area + x_ref) / (n_area + n_ref)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_area + 1 / n_ref))
    z = d / se if se > 0 else 0.0
    p = float(2 * stats.norm.sf(abs(z)))
    return ShareComparison(a, r, d, low, high, z, p, bool(low > 0 or high < 0), label)


def survey_series(
    years: Sequence[int],
    x_area: Sequence[float],
    n_area: Sequence[float],
    x_city: Sequence[float],
    n_city: Sequence[float],
    *,
    confidence: float = 0.95,
    design_effect: float = 1.0,
) -> list[ShareComparison]:
    """One :func:`compare_shares` per year (area against the city), labelled by year."""
    cols = (years, x_area, n_area, x_city, n_city)
    if len({len(c) for c in cols}) != 1:
        raise ValueError("all sequences must have the same length")
    return [
        compare_shares(
            xa, na, xc, nc, confidence=confidence, label=str(yr), design_effect=design_effect
        )
        for yr, xa, na, xc, nc in zip(*cols, strict=True)
    ]
