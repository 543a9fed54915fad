"""Analysis engine: pure functions on arrays and Shapely geometries in a projected CRS (metres).

Nothing here reads or writes files, the store or the network; results are frozen dataclasses
with ``to_dict()`` / ``to_records()`` for the CLI, the web app and the reports.

Modules (one per statistic family): :mod:`.rates` (counts per hectare, Poisson intervals, rate
ratios), :mod:`.grid` (aligned cell grids), :mod:`.hotspots` (Getis-Ord Gi*, BH q-values),
:mod:`.kde` (quartic kernel density), :mod:`.emerging` (emerging hot spots, Mann-Kendall),
:mod:`.extent` (scene extent and comparison), :mod:`.coverage` (camera and guard coverage),
:mod:`.displacement` (weighted displacement quotient), :mod:`.effects` (interrupted time
series, difference-in-differences), :mod:`.survey` (Wilson intervals, area vs city),
:mod:`.assign` (points in polygons).
"""

import importlib

from .assign import Assignment, assign_points, count_in_polygons
from .coverage import CoverageResult, UncoveredSegment, camera_sector, camera_sectors, coverage
from .displacement import DisplacementResult, weighted_displacement_quotient
from .grid import Grid, bin_points, grid_for_points, make_grid

# The statistics modules load SciPy (about 2 s); they are imported when first used, so that
# the command line and an import, which need only the cheap modules above, start quickly.
_LAZY = {
    "DiDResult": "effects",
    "ITSResult": "effects",
    "PoissonFit": "effects",
    "difference_in_differences": "effects",
    "fit_poisson": "effects",
    "interrupted_time_series": "effects",
    "its_design": "effects",
    "EmergingResult": "emerging",
    "MannKendallResult": "emerging",
    "emerging_hot_spots": "emerging",
    "mann_kendall": "emerging",
    "space_time_gi_star": "emerging",
    "ExtentComparison": "extent",
    "ExtentResult": "extent",
    "compare_extents": "extent",
    "dbscan_labels": "extent",
    "propose_extent": "extent",
    "CLASS_LABELS": "hotspots",
    "GiStarResult": "hotspots",
    "band_stencil": "hotspots",
    "benjamini_hochberg": "hotspots",
    "classify_hot_cold": "hotspots",
    "gi_star": "hotspots",
    "gi_star_points": "hotspots",
    "gi_star_sparse": "hotspots",
    "KDEResult": "kde",
    "kde_quartic": "kde",
    "quartic_kernel": "kde",
    "PoissonInterval": "rates",
    "RateRatio": "rates",
    "area_ha": "rates",
    "per_hectare": "rates",
    "poisson_interval": "rates",
    "rate_ratio": "rates",
    "ShareComparison": "survey",
    "ShareInterval": "survey",
    "compare_shares": "survey",
    "survey_series": "survey",
    "wilson_interval": "survey",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "CLASS_LABELS",
    "Assignment",
    "CoverageResult",
    "DiDResult",
    "DisplacementResult",
    "EmergingResult",
    "ExtentComparison",
    "ExtentResult",
    "GiStarResult",
    "Grid",
    "ITSResult",
    "KDEResult",
    "MannKendallResult",
    "PoissonFit",
    "PoissonInterval",
    "RateRatio",
    "ShareComparison",
    "ShareInterval",
    "UncoveredSegment",
    "area_ha",
    "assign_points",
    "band_stencil",
    "benjamini_hochberg",
    "bin_points",
    "camera_sector",
    "camera_sectors",
    "classify_hot_cold",
    "compare_extents",
    "compare_shares",
    "count_in_polygons",
    "coverage",
    "dbscan_labels",
    "difference_in_differences",
    "emerging_hot_spots",
    "fit_poisson",
    "gi_star",
    "gi_star_points",
    "gi_star_sparse",
    "grid_for_points",
    "interrupted_time_series",
    "its_design",
    "kde_quartic",
    "make_grid",
    "mann_kendall",
    "per_hectare",
    "poisson_interval",
    "propose_extent",
    "quartic_kernel",
    "rate_ratio",
    "space_time_gi_star",
    "survey_series",
    "weighted_displacement_quotient",
    "wilson_interval",
]
