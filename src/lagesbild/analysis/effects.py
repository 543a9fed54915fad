r"""Intervention effects: interrupted time series and difference-in-differences on counts.

Both are Poisson log-linear models :math:`\log \mu_t = x_t^\top \beta + \log E_t` (offset
:math:`\log E_t` for an exposure such as days in the month or area), fitted here by iteratively
reweighted least squares (McCullagh & Nelder 1989, sec. 2.5): with
:math:`\eta = X\beta + o`, :math:`\mu = e^\eta`, working response
:math:`z = \eta - o + (y - \mu)/\mu` and weights :math:`W = \mathrm{diag}(\mu)`, iterate
:math:`\beta \leftarrow (X^\top W X)^{-1} X^\top W z` until :math:`\beta` stops changing. The
covariance is :math:`\phi (X^\top W X)^{-1}`, where :math:`\phi = 1` (Poisson) or the Pearson
estimate :math:`\hat\phi = \sum (y - \mu)^2/\mu \,/\, (n - p)` (quasi-Poisson, for the
overdispersion usual in crime counts). Intervals are Wald: :math:`\hat\beta \pm z_{1-\alpha/2}
\mathrm{se}`, reported on the rate-ratio scale :math:`e^\beta`.

*Segmented regression* (Wagner et al. 2002; Bernal, Cummins & Gasparrini 2017):

.. math::

    \log \mu_t = \beta_0 + \beta_1 t + \beta_2 D_t + \beta_3 (t - t_0) D_t + s(t) + \log E_t,

:math:`D_t = 1` from the intervention time :math:`t_0` on; :math:`e^{\beta_2}` is the level
change, :math:`e^{\beta_3}` the change in the trend per time step, and :math:`s(t)` Fourier terms
:math:`\sum_k [a_k \sin(2\pi k t / P) + b_k \cos(2\pi k t / P)]` or season dummies.

*Difference-in-differences* on counts:
:math:`\log \mu = \beta_0 + \beta_1 G + \beta_2 T + \beta_3 G T + \log E`, with :math:`G = 1` for
the treated place and :math:`T = 1` after the intervention; :math:`e^{\beta_3}` is the ratio of
the treated place's before/after rate ratio to the control's. With one count per cell of the
2 x 2 table, :math:`\hat\beta_3 = \log\frac{y_{11} y_{00}}{y_{10} y_{01}}` (exposures
cancelling accordingly) and :math:`\mathrm{se} = \sqrt{\sum 1/y}`.

*Residual autocorrelation.* Counts in consecutive months are seldom independent; the intervals
above assume they are. On the Pearson residuals :math:`e_t = (y_t - \hat\mu_t)/\sqrt{\hat\mu_t}`
the Durbin-Watson statistic :math:`DW = \sum_t (e_t - e_{t-1})^2 / \sum_t e_t^2` (about 2 without
autocorrelation, below 2 with positive) and the Ljung-Box test
:math:`Q = T (T + 2) \sum_{k=1}^{h} \hat\rho_k^2 / (T - k) \sim \chi^2_h` over
:math:`h = \min(10, \lfloor T/5 \rfloor)` lags (Ljung & Box 1978) are reported;
``autocorrelated`` is true when the Ljung-Box p-value is below 0.05, and then the level and
trend intervals are too narrow (a caveat to print; Bernal et al. 2017 suggest Newey-West
errors or an ARIMA model for the residuals).

References
----------
Ljung, G. M. & Box, G. E. P. (1978). On a measure of lack of fit in time series models.
*Biometrika* 65, 297-303.
Durbin, J. & Watson, G. S. (1950). Testing for serial correlation in least squares regression I.
*Biometrika* 37, 409-428.
McCullagh, P. & Nelder, J. A. (1989). *Generalized Linear Models*, 2nd ed. Chapman & Hall.
Wagner, A. K. et al. (2002). Segmented regression analysis of interrupted time series studies.
*J. Clin. Pharm. Ther.* 27, 299-309.
Bernal, J. L., Cummins, S. & Gasparrini, A. (2017). Interrupted time series regression for the
evaluation of public health interventions: a tutorial. *Int. J. Epidemiol.* 46, 348-355.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

__all__ = [
    "DiDResult",
    "ITSResult",
    "PoissonFit",
    "difference_in_differences",
    "fit_poisson",
    "interrupted_time_series",
    "its_design",
    "residual_autocorrelation",
]

Scale = float | Literal["pearson", "auto"]


@dataclass(frozen=True)
class PoissonFit:
    """A fitted Poisson log-linear model (IRLS).

    ``params``, ``bse``, ``ci_low``, ``ci_high``, ``z``, ``p`` are per column of the design
    matrix, named by ``names``; ``scale`` is the dispersion used for ``cov`` and ``bse``.
    """

    names: tuple[str, ...]
    params: np.ndarray
    bse: np.ndarray
    cov: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    z: np.ndarray
    p: np.ndarray
    fitted: np.ndarray
    deviance: float
    pearson_chi2: float
    df_resid: int
    scale: float
    n_iter: int
    converged: bool
    confidence: float

    def index(self, name: str) -> int:
        return self.names.index(name)

    def to_records(self) -> list[dict]:
        """Per coefficient: estimate, se, Wald interval, z, p and the rate ratio exp(.)."""
        return [
            {
                "term": nm,
                "estimate": float(b),
                "se": float(s),
                "ci_low": float(lo),
                "ci_high": float(hi),
                "z": float(zz),
                "p": float(pp),
                "rate_ratio": math.exp(b),
                "rr_low": math.exp(lo),
                "rr_high": math.exp(hi),
            }
            for nm, b, s, lo, hi, zz, pp in zip(
                self.names,
                self.params,
                self.bse,
                self.ci_low,
                self.ci_high,
                self.z,
                self.p,
                strict=True,
            )
        ]


def _irls(
    X: np.ndarray, y: np.ndarray, offset: np.ndarray, tol: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray, int, bool]:
    mu = (y + y.mean()) / 2.0  # statsmodels' start: positive even where y == 0
    eta = np.log(mu)
    beta = np.zeros(X.shape[1])
    for it in range(1, max_iter + 1):
        zw = eta - offset + (y - mu) / mu
        sw = np.sqrt(mu)
        new, *_ = np.linalg.lstsq(X * sw[:, None], zw * sw, rcond=None)
        eta = X @ new + offset
        mu = np.exp(eta)
        done = np.all(np.abs(new - beta) <= tol * (1.0 + np.abs(new)))
        beta = new
        if done and it > 1:
            return beta, mu, it, True
    return beta, mu, max_iter, False


def fit_poisson(
    X: np.ndarray,
    y: np.ndarray,
    *,
    offset: np.ndarray | None = None,
    names: Sequence[str] | None = None,
    scale: Scale = 1.0,
    confidence: float = 0.95,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> PoissonFit:
    """Fit a Poisson GLM with log link by IRLS (see module docstring).

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Design matrix (include a constant column yourself).
    y : ndarray, shape (n,)
        Non-negative counts.
    offset : ndarray, optional
        Added to the linear predictor, e.g. ``log(exposure)``.
    scale : float or {"pearson", "auto"}
        Dispersion: a number (1 = Poisson), ``"pearson"`` (quasi-Poisson, statsmodels
        ``fit(scale="X2")``) or ``"auto"`` (Pearson when it exceeds 1 and ``n > p``, else 1).
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, k = X.shape
    if y.shape != (n,) or np.any(y < 0):
        raise ValueError("y must be non-negative with one value per row of X")
    o = np.zeros(n) if offset is None else np.asarray(offset, dtype=float)
    beta, mu, it, ok = _irls(X, y, o, tol, max_iter)
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = 2.0 * np.sum(np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu))
    chi2 = float(np.sum((y - mu) ** 2 / mu))
    df = n - k
    phi = _dispersion(scale, chi2, df)
    cov = phi * np.linalg.inv((X * mu[:, None]).T @ X)
    bse = np.sqrt(np.diag(cov))
    crit = float(stats.norm.isf((1 - confidence) / 2))
    zv = beta / bse
    names = tuple(names) if names is not None else tuple(f"x{i}" for i in range(k))
    return PoissonFit(
        names,
        beta,
        bse,
        cov,
        beta - crit * bse,
        beta + crit * bse,
        zv,
        2 * stats.norm.sf(np.abs(zv)),
        mu,
        float(dev),
        chi2,
        df,
        phi,
        it,
        ok,
        confidence,
    )


def _dispersion(scale: Scale, chi2: float, df: int) -> float:
    if scale == "pearson":
        if df <= 0:
            raise ValueError("Pearson dispersion needs more observations than parameters")
        return chi2 / df
    if scale == "auto":
        return max(1.0, chi2 / df) if df > 0 else 1.0
    return float(scale)


def its_design(
    n_times: int,
    intervention_index: int,
    *,
    period: int | None = 12,
    harmonics: int = 2,
    seasonality: Literal["fourier", "dummies", "none"] = "fourier",
    season: np.ndarray | None = None,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Design matrix of the segmented regression: const, time, level, trend_change, season.

    ``time`` is ``0..n_times-1``; ``level = 1`` for ``t >= intervention_index``;
    ``trend_change = (t - intervention_index) * level``. Seasonal terms use ``season`` (the
    position in the cycle per time step, e.g. month 0..11) or ``t mod period``.
    """
    if not 0 < intervention_index < n_times:
        raise ValueError("the intervention must fall inside the series")
    t = np.arange(n_times, dtype=float)
    level = (t >= intervention_index).astype(float)
    cols = [np.ones(n_times), t, level, (t - intervention_index) * level]
    names = ["const", "time", "level", "trend_change"]
    if seasonality != "none" and period:
        pos = np.asarray(season, dtype=float) if season is not None else t % period
        if seasonality == "fourier":
            for k in range(1, harmonics + 1):
                cols += [np.sin(2 * np.pi * k * pos / period), np.cos(2 * np.pi * k * pos / period)]
                names += [f"sin{k}", f"cos{k}"]
        else:
            for s in range(1, period):
                cols.append((np.rint(pos) % period == s).astype(float))
                names.append(f"season{s}")
    return np.column_stack(cols), tuple(names)


@dataclass(frozen=True)
class ITSResult:
    """Segmented Poisson regression of an interrupted time series.

    ``level_change`` (rate ratio at the intervention), ``trend_change`` (rate ratio per time
    step after the intervention, relative to before) and ``effect_at_end`` (fitted over
    counterfactual at the last time step) each as ``(estimate, ci_low, ci_high)``.
    ``counterfactual`` is the fitted series with the level and trend-change terms set to zero.
    ``durbin_watson``, ``ljung_box_q``, ``ljung_box_p`` and ``ljung_box_lags`` describe the
    residual autocorrelation; ``autocorrelated`` is true when the Ljung-Box p is below 0.05
    (print a caveat: the intervals are then too narrow).
    """

    fit: PoissonFit
    intervention_index: int
    level_change: tuple[float, float, float]
    trend_change: tuple[float, float, float]
    effect_at_end: tuple[float, float, float]
    counterfactual: np.ndarray
    durbin_watson: float = float("nan")
    ljung_box_q: float = float("nan")
    ljung_box_p: float = float("nan")
    ljung_box_lags: int = 0

    @property
    def autocorrelated(self) -> bool:
        """True when the residuals are autocorrelated (Ljung-Box p < 0.05)."""
        return bool(self.ljung_box_p < 0.05)

    def to_dict(self) -> dict:
        keys = ("estimate", "ci_low", "ci_high")
        out = {"intervention_index": self.intervention_index, "scale": self.fit.scale}
        for name in ("level_change", "trend_change", "effect_at_end"):
            out.update({f"{name}_{k}": v for k, v in zip(keys, getattr(self, name), strict=True)})
        for name in ("durbin_watson", "ljung_box_q", "ljung_box_p", "ljung_box_lags"):
            out[name] = getattr(self, name)
        out["autocorrelated"] = self.autocorrelated
        out["coefficients"] = self.fit.to_records()
        return out


def _exp(v: float) -> float:
    """exp that saturates to inf (a degenerate fit, e.g. all zeros, has huge SEs)."""
    return math.inf if v > 700 else math.exp(v)


def _rr(fit: PoissonFit, a: np.ndarray) -> tuple[float, float, float]:
    """exp(a'beta) with its Wald interval (delta method on the log scale)."""
    est = float(a @ fit.params)
    se = math.sqrt(float(a @ fit.cov @ a))
    crit = float(stats.norm.isf((1 - fit.confidence) / 2))
    return (_exp(est), _exp(est - crit * se), _exp(est + crit * se))


def residual_autocorrelation(
    residuals: np.ndarray, lags: int | None = None
) -> tuple[float, float, float, int]:
    """Durbin-Watson statistic and Ljung-Box ``(Q, p, lags)`` of a residual series.

    Equal to statsmodels ``durbin_watson`` and ``acorr_ljungbox(residuals, lags=[h])``.
    """
    e = np.asarray(residuals, float)
    t = e.size
    h = max(1, min(10, t // 5)) if lags is None else int(lags)
    dw = float(np.sum(np.diff(e) ** 2) / np.sum(e**2))
    c = e - e.mean()
    denom = np.sum(c**2)
    rho = np.array([np.sum(c[k:] * c[:-k]) / denom for k in range(1, h + 1)])
    q = float(t * (t + 2) * np.sum(rho**2 / (t - np.arange(1, h + 1))))
    return dw, q, float(stats.chi2.sf(q, h)), h


def interrupted_time_series(
    counts: np.ndarray,
    intervention_index: int,
    *,
    exposure: np.ndarray | None = None,
    period: int | None = 12,
    harmonics: int = 2,
    seasonality: Literal["fourier", "dummies", "none"] = "fourier",
    season: np.ndarray | None = None,
    scale: Scale = "auto",
    confidence: float = 0.95,
) -> ITSResult:
    """Segmented Poisson regression of counts per time step (weeks: ``period=52``).

    Examples
    --------
    >>> y = np.r_[np.full(24, 20), np.full(24, 10)]
    >>> r = interrupted_time_series(y, 24, seasonality="none")
    >>> round(r.level_change[0], 3)
    0.5
    """
    y = np.asarray(counts, dtype=float)
    X, names = its_design(
        y.size,
        intervention_index,
        period=period,
        harmonics=harmonics,
        seasonality=seasonality,
        season=season,
    )
    off = None if exposure is None else np.log(np.asarray(exposure, dtype=float))
    fit = fit_poisson(X, y, offset=off, names=names, scale=scale, confidence=confidence)
    k = len(names)
    e_level, e_trend = np.zeros(k), np.zeros(k)
    e_level[2], e_trend[3] = 1.0, 1.0
    e_end = e_level + e_trend * (y.size - 1 - intervention_index)
    cf_X = X.copy()
    cf_X[:, 2:4] = 0.0
    cf = np.exp(cf_X @ fit.params + (0.0 if off is None else off))
    pearson = (y - fit.fitted) / np.sqrt(fit.fitted)
    return ITSResult(
        fit,
        int(intervention_index),
        _rr(fit, e_level),
        _rr(fit, e_trend),
        _rr(fit, e_end),
        cf,
        *residual_autocorrelation(pearson),
    )


@dataclass(frozen=True)
class DiDResult:
    """Difference-in-differences on counts: ``rate_ratio = exp(beta_treated:post)``."""

    fit: PoissonFit
    rate_ratio: float
    ci_low: float
    ci_high: float
    p_value: float

    def to_dict(self) -> dict:
        return {
            "rate_ratio": self.rate_ratio,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
            "scale": self.fit.scale,
            "coefficients": self.fit.to_records(),
        }


def difference_in_differences(
    counts: np.ndarray,
    treated: np.ndarray,
    post: np.ndarray,
    *,
    exposure: np.ndarray | None = None,
    scale: Scale = "auto",
    confidence: float = 0.95,
) -> DiDResult:
    """Poisson DiD with ``const, treated, post, treated:post`` (see module docstring).

    One row per observation (e.g. place x month); ``treated`` and ``post`` are 0/1.

    Examples
    --------
    >>> r = difference_in_differences([100, 50, 200, 190], [1, 1, 0, 0], [0, 1, 0, 1])
    >>> round(r.rate_ratio, 4)
    0.5263
    """
    y = np.asarray(counts, dtype=float)
    g = np.asarray(treated, dtype=float)
    t = np.asarray(post, dtype=float)
    # the four-cell model is saturated in its cells: a cell with no counts has no finite MLE
    for gv in (0.0, 1.0):
        for tv in (0.0, 1.0):
            if not y[(g == gv) & (t == tv)].sum() > 0:
                raise ValueError("every group needs a positive count both before and after")
    X = np.column_stack([np.ones_like(y), g, t, g * t])
    off = None if exposure is None else np.log(np.asarray(exposure, dtype=float))
    names = ("const", "treated", "post", "treated:post")
    fit = fit_poisson(X, y, offset=off, names=names, scale=scale, confidence=confidence)
    i = 3
    return DiDResult(
        fit,
        math.exp(fit.params[i]),
        math.exp(fit.ci_low[i]),
        math.exp(fit.ci_high[i]),
        float(fit.p[i]),
    )
