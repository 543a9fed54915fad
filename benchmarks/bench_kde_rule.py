"""When is the exact quartic KDE cheap enough? Measured times of ``method="exact"`` and
``method="binned"`` against the cost model of :func:`lagesbild.analysis.kde.choose_kde_method`,
and the binned method's actual error against the exact sum.

Run: .venv/bin/python benchmarks/bench_kde_rule.py   (about a minute)

Columns: points, cells, bandwidth in cells, measured exact and binned seconds (best of 2),
the model's predictions, the rule's choice, and the binned error at the peak and in the worst
cell, relative to the peak density. The peer of the binned values is the exact sum itself.
"""

from __future__ import annotations

import time

import numpy as np

from lagesbild.analysis.grid import make_grid
from lagesbild.analysis.kde import choose_kde_method, kde_quartic, predict_kde_seconds

CASES = [  # (cells per side, points, bandwidth in cells)
    (40, 100_000, 3),  # the example: 1.6 % error at the peak when binned
    (200, 1_000, 3),
    (200, 100_000, 3),
    (200, 10_000, 8),
    (500, 10_000, 3),
    (500, 200_000, 3),
    (100, 500_000, 3),
    (1000, 1_000, 3),
    (1000, 100_000, 3),
    (1000, 1_000_000, 3),
]


def best_of(fn, repeat=2):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    rng = np.random.default_rng(0)
    print(
        f"{'points':>9} {'cells':>9} {'h/s':>4} {'exact s':>8} {'binned s':>9} "
        f"{'pred ex':>8} {'pred bin':>8} {'choice':>7} {'err peak':>9} {'err max':>8}"
    )
    for side, n, hs in CASES:
        s = 50.0
        g = make_grid((0, 0, side * s, side * s), s)
        # clustered points: a Gaussian blob on a uniform background
        k = n // 2
        x = np.r_[rng.uniform(0, side * s, n - k), rng.normal(side * s / 2, 4 * s, k)]
        y = np.r_[rng.uniform(0, side * s, n - k), rng.normal(side * s / 2, 4 * s, k)]
        h = hs * s
        te, ex = best_of(lambda g=g, x=x, y=y, h=h: kde_quartic(x, y, g, h, method="exact"))
        tb, bi = best_of(lambda g=g, x=x, y=y, h=h: kde_quartic(x, y, g, h, method="binned"))
        pe, pb = predict_kde_seconds(n, g, h)
        peak = ex.density.max()
        at = np.unravel_index(np.argmax(ex.density), g.shape)
        err_peak = abs(bi.density[at] - peak) / peak
        err_max = np.abs(bi.density - ex.density).max() / peak
        choice = choose_kde_method(n, g, h)
        print(
            f"{n:>9} {g.n_cells:>9} {hs:>4} {te:8.3f} {tb:9.3f} {pe:8.3f} {pb:8.3f} "
            f"{choice:>7} {err_peak:9.2%} {err_max:8.2%}",
            flush=True,
        )


if __name__ == "__main__":
    main()
