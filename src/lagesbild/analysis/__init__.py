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

from .assign import Assignment, assign_points, count_in_polygons
from .coverage import CoverageResult, UncoveredSegment, camera_sector, camera_sectors, coverage
from .displacement import DisplacementResult, weighted_displacement_quotient
from .effects import (
    DiDResult,
    ITSResult,
    PoissonFit,
    difference_in_differences,
    fit_poisson,
    interrupted_time_series,
    its_design,
)
from .emerging import (
    EmergingResult,
    MannKendallResult,
    emerging_hot_spots,
    mann_kendall,
    space_time_gi_star,
)
from .extent import ExtentComparison, ExtentResult, compare_extents, dbscan_labels, propose_extent
from .grid import Grid, bin_points, grid_for_points, make_grid
from .hotspots import (
    CLASS_LABELS,
    GiStarResult,
    band_stencil,
    benjamini_hochberg,
    classify_hot_cold,
    gi_star,
    gi_star_points,
    gi_star_sparse,
)
from .kde import KDEResult, kde_quartic, quartic_kernel
from .rates import PoissonInterval, RateRatio, area_ha, per_hectare, poisson_interval, rate_ratio
from .survey import ShareComparison, ShareInterval, compare_shares, survey_series, wilson_interval

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
