"""Drawing points and times for the demo scenario from one `numpy.random.Generator`.

Points are drawn in SWEREF 99 TM (metres) from a mixture of a uniform spread over the zone and
Gaussian hot spots, rounded to 1e-6 degrees (about 0.1 m), and kept only when the rounded point
lies inside the zone: the count per zone is then exact, whatever the seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from lagesbild.geo.crs import Projector

TZ = ZoneInfo("Europe/Stockholm")
PROJ = Projector("EPSG:3006")

# (lon, lat, sigma in metres, weight)
Hotspot = tuple[float, float, float, float]

MONTH_WEIGHTS = np.array([0.80, 0.75, 0.85, 0.95, 1.05, 1.15, 1.25, 1.20, 1.05, 0.95, 0.85, 0.90])
# Monday .. Sunday
WEEKDAY_WEIGHTS = np.array([0.85, 0.90, 0.95, 1.00, 1.20, 1.25, 0.95])
HOUR_WEIGHTS = {
    # violence and disorder: evenings and nights, peaking around midnight
    "night": np.array(
        [8, 7, 5, 3, 2, 1, 1, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9, 9], float
    ),
    # drug offences and field observations: afternoon and evening
    "evening": np.array(
        [4, 3, 2, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 9, 8, 7, 5], float
    ),
    # theft and other: daytime and shopping hours
    "day": np.array(
        [2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8, 8, 8, 7, 6, 5, 4, 3, 2], float
    ),
}


def sample_points(
    rng: np.random.Generator,
    zone: BaseGeometry,
    n: int,
    hotspots: Sequence[Hotspot] = (),
    uniform_weight: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """`n` points (lon, lat arrays, rounded to 1e-6 degrees) inside the WGS84 polygon `zone`."""
    if n == 0:
        return np.empty(0), np.empty(0)
    minx, miny, maxx, maxy = PROJ.to_projected(zone).bounds
    centres = np.array([PROJ.lonlat_to_xy(h[0], h[1]) for h in hotspots], float).reshape(-1, 2)
    sigmas = np.array([h[2] for h in hotspots], float)
    weights = np.array([uniform_weight, *[h[3] for h in hotspots]], float)
    weights /= weights.sum()
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    found = 0
    while found < n:
        m = max(64, 3 * (n - found))
        comp = rng.choice(len(weights), size=m, p=weights)
        x = rng.uniform(minx, maxx, m)
        y = rng.uniform(miny, maxy, m)
        spot = comp > 0
        if spot.any():
            k = comp[spot] - 1
            x[spot] = centres[k, 0] + rng.normal(0.0, 1.0, spot.sum()) * sigmas[k]
            y[spot] = centres[k, 1] + rng.normal(0.0, 1.0, spot.sum()) * sigmas[k]
        lon, lat = PROJ.xy_to_lonlat(x, y)
        lon, lat = np.round(lon, 6), np.round(lat, 6)
        inside = shapely.contains_xy(zone, lon, lat)
        lons.append(lon[inside])
        lats.append(lat[inside])
        found += int(inside.sum())
    return np.concatenate(lons)[:n], np.concatenate(lats)[:n]


def sample_times(
    rng: np.random.Generator, year: int, n: int, hours: str, months: Sequence[int] | None = None
) -> list[datetime]:
    """`n` local times in `year` (optionally only in `months`), weighted by season, weekday
    and the hour profile `hours`, in whole minutes."""
    first = date(year, 1, 1)
    days = np.array(
        [first + timedelta(days=int(d)) for d in range((date(year + 1, 1, 1) - first).days)]
    )
    month = np.array([d.month for d in days])
    weight = MONTH_WEIGHTS[month - 1] * WEEKDAY_WEIGHTS[[d.weekday() for d in days]]
    if months is not None:
        weight = weight * np.isin(month, list(months))
    day_idx = rng.choice(len(days), size=n, p=weight / weight.sum())
    hour_w = HOUR_WEIGHTS[hours]
    hour = rng.choice(24, size=n, p=hour_w / hour_w.sum())
    minute = rng.integers(0, 60, size=n)
    return [
        datetime.combine(days[d], datetime.min.time(), TZ).replace(hour=int(h), minute=int(mi))
        for d, h, mi in zip(day_idx, hour, minute, strict=True)
    ]


def pick(rng: np.random.Generator, options: Sequence, weights: Sequence[float] | None = None):
    """One of `options`, by weight."""
    p = None
    if weights is not None:
        p = np.asarray(weights, float)
        p = p / p.sum()
    return options[int(rng.choice(len(options), p=p))]
