"""Gi* on a square grid: lagesbild vs PySAL esda G_Local(star=True, permutations=0).

Run: .venv/bin/python benchmarks/bench_hotspots.py
Both run on the same counts, esda with a libpysal ``Graph`` built from a sparse queen lattice
(the time to build it is shown apart, and not in the ratio); the z-scores are compared too.
Our time is the best of three runs, esda's a single run. The whole script takes under a minute.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from scipy import sparse

from lagesbild.analysis.hotspots import gi_star


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def queen_lattice(ny: int, nx: int) -> sparse.csr_array:
    """Binary queen adjacency of an ny x nx lattice in row-major order (no diagonal)."""

    def path(n):
        return sparse.diags_array([np.ones(n - 1), np.ones(n - 1)], offsets=[-1, 1])

    iy, ix = sparse.eye_array(ny), sparse.eye_array(nx)
    py, px = path(ny), path(nx)
    return sparse.csr_array(sparse.kron(py, ix) + sparse.kron(iy, px) + sparse.kron(py, px))


def esda_z(counts: np.ndarray) -> tuple[float, float, np.ndarray]:
    from esda import G_Local
    from libpysal.graph import Graph

    t = time.perf_counter()
    g = Graph.from_sparse(queen_lattice(*counts.shape))
    t_w = time.perf_counter() - t
    t = time.perf_counter()
    z = G_Local(counts.ravel(), g, star=True, transform="B", permutations=0).Zs
    return t_w, time.perf_counter() - t, z


def main() -> None:
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    print(
        f"{'grid':>11} {'lagesbild s':>12} {'esda s':>9} {'esda W s':>9} {'ratio':>7} "
        f"{'max|dz|':>9}"
    )
    for n in (100, 250, 500, 1000):
        c = rng.poisson(1.5, (n, n)).astype(float)
        t_ours, r = best_of(lambda c=c: gi_star(c, 50.0))
        t_w, t_esda, z = esda_z(c)
        dz = np.nanmax(np.abs(r.z.ravel() - z))
        print(
            f"{n:>5}x{n:<5} {t_ours:12.4f} {t_esda:9.3f} {t_w:9.3f} {t_esda / t_ours:7.1f} "
            f"{dz:9.1e}"
        )
    t_ours, _ = best_of(lambda: gi_star(c, 50.0, distance=400.0))
    print(
        f"lagesbild 1000x1000, distance band 400 m on 50 m cells (197 neighbours, FFT): "
        f"{t_ours:.3f} s"
    )


if __name__ == "__main__":
    main()
