r"""How well a hot-spot map made on one period predicts the next: PAI and PEI.

A map made on a *training* period (a Gi* map, a kernel density, plain counts: any score per
cell) selects *hot* cells: those flagged by the method, or the top share of the study area by
score. On the *test* period, with :math:`n` events in the hot cells of area :math:`a`, and
:math:`N` events in the whole study area :math:`A`:

.. math::

    \text{hit rate} = \frac{n}{N}, \qquad
    \mathrm{PAI} = \frac{n / N}{a / A} \quad \text{(Chainey, Tompson \& Uhlig 2008)},

the hit rate per share of area (1 = no better than chance; it grows as the area shrinks, so
compare maps at the same area). The *predictive efficiency index* (Hunt 2016) divides by the
best possible PAI for the same area, that of the :math:`a` cells with the most test events
(:math:`n^*` events):

.. math::

    \mathrm{PEI} = \frac{\mathrm{PAI}}{\mathrm{PAI}^*} = \frac{n}{n^*} \in [0, 1].

Cells of equal area are assumed (a grid); the area is counted in cells.

*When not to use.* With few test events PAI jumps with each event (report :math:`n` and
:math:`N`); the top-share selection breaks ties in the score by cell order, which matters for
sparse counts (many zero scores), so prefer a smooth score (a density) there.

References
----------
Chainey, S., Tompson, L. & Uhlig, S. (2008). The utility of hotspot mapping for predicting
spatial patterns of crime. *Security Journal* 21, 4-28.
Hunt, J. M. (2016). Do crime hot spots move? Exploring the effects of the modifiable areal unit
problem and modifiable temporal unit problem on crime hot spot stability. PhD thesis, American
University (the predictive efficiency index).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["PredictiveAccuracy", "predictive_accuracy", "predictive_accuracy_curve"]


@dataclass(frozen=True)
class PredictiveAccuracy:
    """PAI and PEI of one selection of hot cells (see the module docstring)."""

    hot_cells: int
    cells: int
    area_share: float
    hits: float
    events: float
    hit_rate: float
    pai: float
    best_hits: float
    pei: float

    def to_dict(self) -> dict:
        return asdict(self)


def _top_cells(score: np.ndarray, k: int) -> np.ndarray:
    """Boolean selection of the ``k`` highest scores (ties: the earlier cell first)."""
    order = np.argsort(-score, kind="stable")
    sel = np.zeros(score.size, bool)
    sel[order[:k]] = True
    return sel


def predictive_accuracy(
    test_counts: np.ndarray,
    *,
    hot: np.ndarray | None = None,
    score: np.ndarray | None = None,
    area_share: float | None = None,
    mask: np.ndarray | None = None,
) -> PredictiveAccuracy:
    """PAI and PEI of hot cells against the test period's events per cell.

    Parameters
    ----------
    test_counts : ndarray
        Events per cell in the test period (any shape; the grid's).
    hot : ndarray of bool, optional
        The hot cells (e.g. ``GiStarResult.gi_bin > 0`` on the training period).
    score, area_share : optional
        Instead of ``hot``: the training map's score per cell and the share of the study
        area to select, the highest scores first.
    mask : ndarray of bool, optional
        Cells of the study area (default: all).

    Examples
    --------
    >>> test = np.array([5, 3, 1, 1, 0, 0, 0, 0, 0, 0])
    >>> r = predictive_accuracy(test, hot=np.r_[[False, True], np.zeros(8, bool)])
    >>> r.hit_rate, r.pai, r.pei
    (0.3, 3.0, 0.6)
    """
    y = np.asarray(test_counts, float).ravel()
    m = np.ones(y.size, bool) if mask is None else np.asarray(mask, bool).ravel()
    y = y[m]
    if hot is not None:
        sel = np.asarray(hot, bool).ravel()[m]
    elif score is not None and area_share is not None:
        if not 0 < area_share <= 1:
            raise ValueError("area_share must be in (0, 1]")
        s = np.asarray(score, float).ravel()[m]
        sel = _top_cells(np.nan_to_num(s, nan=-np.inf), int(round(area_share * y.size)))
    else:
        raise ValueError("give hot, or score and area_share")
    k, cells = int(sel.sum()), int(y.size)
    events, hits = float(y.sum()), float(y[sel].sum())
    best = float(np.sort(y)[::-1][:k].sum())
    share = k / cells
    rate = hits / events if events else float("nan")
    pai = hits * cells / (events * k) if events and k else float("nan")
    pei = hits / best if best else float("nan")
    return PredictiveAccuracy(k, cells, share, hits, events, rate, pai, best, pei)


def predictive_accuracy_curve(
    score: np.ndarray,
    test_counts: np.ndarray,
    *,
    area_shares: Sequence[float] = (0.01, 0.02, 0.05, 0.10, 0.20),
    mask: np.ndarray | None = None,
) -> list[PredictiveAccuracy]:
    """:func:`predictive_accuracy` of the top ``area_shares`` of the training ``score``."""
    return [
        predictive_accuracy(test_counts, score=score, area_share=a, mask=mask) for a in area_shares
    ]
