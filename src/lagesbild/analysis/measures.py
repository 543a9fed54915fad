"""Statistics of place measurements that are not point counts: the ratio of two means with a
Welch t interval, and a segmented least-squares regression (ITS) for averaged series.

Counts (syringes per month, people per observation round) use the Poisson machinery of
`analysis.rates` and `analysis.effects`; these functions are for averages (footfall per day,
metres, shares), where a count model does not fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from lagesbild.analysis.effects import its_design


@dataclass(frozen=True)
class MeanRatio:
    """Mean of B over mean of A. The interval is Welch's t interval of ``mean_b - mean_a``
    divided by ``mean_a`` (the baseline mean taken as the reference level), so
    ``ci_low = 1 + diff_low / mean_a``; ``diff_*`` are statsmodels
    ``CompareMeans.tconfint_diff(usevar="unequal")`` (B minus A)."""

    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    ratio: float
    ci_low: float
    ci_high: float
    diff: float
    diff_low: float
    diff_high: float
    df: float
    p_value: float


def mean_ratio(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> MeanRatio:
    """Welch's two-sample t interval of the change in mean from A to B, and as a ratio."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.size < 2 or b.size < 2:
        raise ValueError("each period needs at least two values for a t interval")
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    # Welch-Satterthwaite degrees of freedom
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1)) if se > 0 else np.inf
    diff = float(b.mean() - a.mean())
    crit = float(stats.t.isf((1 - confidence) / 2, df))
    low, high = diff - crit * se, diff + crit * se
    p = float(2 * stats.t.sf(abs(diff) / se, df)) if se > 0 else (1.0 if diff == 0 else 0.0)
    ma = float(a.mean())
    rel = (lambda d: 1 + d / ma) if ma else (lambda d: math.nan)
    return MeanRatio(
        int(a.size), int(b.size), ma, float(b.mean()), rel(diff), rel(low), rel(high),
        diff, low, high, float(df), p,
    )  # fmt: skip


@dataclass(frozen=True)
class OlsITS:
    """Segmented OLS of an averaged series: ``level_change`` and ``trend_change`` in the
    metric's unit as ``(estimate, ci_low, ci_high)`` (t intervals, statsmodels ``OLS``)."""

    params: np.ndarray
    bse: np.ndarray
    df_resid: int
    level_change: tuple[float, float, float]
    trend_change: tuple[float, float, float]
    counterfactual: np.ndarray
    fitted: np.ndarray


def ols_its(
    y: np.ndarray, intervention_index: int, *, period: int | None = 12, confidence: float = 0.95
) -> OlsITS:
    """Least squares on const, time, level, trend change and (24+ steps) Fourier seasons."""
    y = np.asarray(y, float)
    seasonality = "fourier" if period and y.size >= 24 else "none"
    X, _names = its_design(y.size, intervention_index, period=period, seasonality=seasonality)
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    df = y.size - X.shape[1]
    if df <= 0:
        raise ValueError("too few time steps for the regression")
    sigma2 = float(resid @ resid) / df
    cov = sigma2 * np.linalg.inv(X.T @ X)
    bse = np.sqrt(np.diag(cov))
    crit = float(stats.t.isf((1 - confidence) / 2, df))

    def ci(i: int) -> tuple[float, float, float]:
        return (float(beta[i]), float(beta[i] - crit * bse[i]), float(beta[i] + crit * bse[i]))

    cf = X.copy()
    cf[:, 2:4] = 0.0
    return OlsITS(beta, bse, df, ci(2), ci(3), cf @ beta, X @ beta)
