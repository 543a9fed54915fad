"""Quartic KDE of 1,000,000 points on a 1000 x 1000 grid, and scikit-learn's KernelDensity.

Run: .venv/bin/python benchmarks/bench_kde.py

scikit-learn has no quartic kernel; its ``epanechnikov`` kernel has the same support (the disc
of radius h), so a tree search touches the same point-cell pairs and the cost is comparable,
but the values differ. It is single-threaded and evaluates one query point at a time; on the
full workload it would take far longer than this script should, so it runs on a subsample:
100,000 points evaluated at 100,000 cell centres (100 of the 1000 rows). lagesbild runs the
same 100,000 points on the whole 1000 x 1000 grid (10 times more cells), so the printed ratio
understates our lead; the per-cell extrapolation is printed as well and labelled.
"""

from __future__ import annotations

import time

import numpy as np

from lagesbild.analysis.grid import make_grid
from lagesbild.analysis.kde import kde_quartic


def timed(fn, repeat=3):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def sklearn_kde(px, py, qx, qy, h):
    from sklearn.neighbors import KernelDensity

    t = time.perf_counter()
    kd = KernelDensity(kernel="epanechnikov", bandwidth=h).fit(np.c_[px, py])
    kd.score_samples(np.c_[qx, qy])
    return time.perf_counter() - t


def main() -> None:
    rng = np.random.default_rng(0)
    n, side, cell, h = 1_000_000, 100_000.0, 100.0, 300.0
    centres = rng.uniform(0, side, (200, 2))
    which = rng.integers(0, 200, n)
    x = np.clip(centres[which, 0] + rng.normal(0, 1500, n), 0, side)
    y = np.clip(centres[which, 1] + rng.normal(0, 1500, n), 0, side)
    grid = make_grid((0, 0, side, side), cell)
    print(f"{n:,} points, grid {grid.nx} x {grid.ny} cells of {cell:.0f} m, bandwidth {h:.0f} m")
    t_exact, exact = timed(lambda: kde_quartic(x, y, grid, h, method="exact"), repeat=1)
    print(
        f"  lagesbild exact:                 {t_exact:6.3f} s  (max density "
        f"{exact.density.max():.3g} per ha)"
    )
    t_main = None
    for m in (1, 2, 4):
        t, r = timed(lambda m=m: kde_quartic(x, y, grid, h, oversample=m))
        t_main = t if m == 2 else t_main
        err = np.abs(r.density - exact.density).max()
        print(
            f"  lagesbild binned, oversample {m}: {t:6.3f} s  (max |binned - exact| "
            f"{err:.3g}, stated bound {r.max_error_bound:.3g} per ha)"
        )

    cx, cy = (a.ravel() for a in grid.centres())
    k = 100_000
    t_ours, _ = timed(lambda: kde_quartic(x[:k], y[:k], grid, h, oversample=2))
    t_sk = sklearn_kde(x[:k], y[:k], cx, cy, h)
    print(f"A. {k:,} points, all {grid.n_cells:,} cells, both run in full:")
    print(f"  scikit-learn KernelDensity (epanechnikov, kd_tree): {t_sk:7.2f} s")
    print(
        f"  lagesbild binned (oversample 2):                    {t_ours:7.3f} s"
        f"   ratio {t_sk / t_ours:6.1f}x"
    )
    rows = slice(450 * grid.nx, 550 * grid.nx)  # 100 central rows = 10 % of the cells
    t_sk = sklearn_kde(x, y, cx[rows], cy[rows], h)
    print(f"B. {n:,} points: scikit-learn on 10 % of the cells (100 central rows): {t_sk:.2f} s")
    print(
        f"  extrapolated to all cells x10: {10 * t_sk:.1f} s; lagesbild all cells "
        f"{t_main:.3f} s; ratio (extrapolated) {10 * t_sk / t_main:.0f}x"
    )


if __name__ == "__main__":
    main()
