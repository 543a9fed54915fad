"""Analysis engine: pure functions on arrays and Shapely geometries in a projected CRS (metres).

Nothing here reads or writes files, the store or the network; results are frozen dataclasses
with ``to_dict()`` / ``to_records()`` for the CLI, the web app and the reports.

Modules (one per statistic family): :mod:`.rates` (counts per hectare, Poisson intervals, rate
ratios), :mod:`.grid` (aligned cell grids), :mod:`.hotspots` (Getis-Ord Gi*, BH q-values),
:mod:`.kde` (quartic kernel density), :mod:`.emerging` (emerging hot spots, Mann-Kendall),
:mod:`.extent` (scene extent and comparison), :mod:`.coverage` (camera and guard coverage),
:mod:`.displacement` (weighted displacement quotient), :mod:`.effects` (interrupted time
series, difference-in-differences), :mod:`.survey` (Wilson intervals, area vs city),
:mod:`.assign` (points in polygons), :mod:`.neighbours` (spatial weights on a grid),
:mod:`.gistar_inference` (conditional Monte Carlo test of Gi*), :mod:`.lisa` (local Moran's
I), :mod:`.nearrepeat` (Knox test), :mod:`.pai` (PAI and PEI), :mod:`.pattern` (nearest-
neighbour index, Ripley's K and L), :mod:`.bandwidth` (cross-validated KDE bandwidth).
See docs/analysis.md for what each method assumes and when not to use it.
"""

import importlib

from .assign import Assignment, assign_points, count_in_polygons
from .coverage import CoverageResult, UncoveredSegment, camera_sector, camera_sectors, coverage
from .displacement import DisplacementResult, weighted_displacement_quotient
from .grid import Grid, bin_points, grid_for_points, make_grid

# The statistics modules load SciPy (about 2 s); they are imported when first used, so that
# the command line and an import, which need only the cheap modules above, start quickly.
_LAZY = {
    "BandwidthChoice": "bandwidth",
    "likelihood_cv_bandwidth": "bandwidth",
    "DiDResult": "effects",
    "ITSResult": "effects",
    "PoissonFit": "effects",
    "difference_in_differences": "effects",
    "fit_poisson": "effects",
    "interrupted_time_series": "effects",
    "its_design": "effects",
    "residual_autocorrelation": "effects",
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
    "MonteCarloInference": "gistar_inference",
    "conditional_monte_carlo": "gistar_inference",
    "AUTO_MONTECARLO_MEAN": "hotspots",
    "CLASS_LABELS": "hotspots",
    "GiStarResult": "hotspots",
    "band_stencil": "hotspots",
    "benjamini_hochberg": "hotspots",
    "classify_hot_cold": "hotspots",
    "gi_star": "hotspots",
    "gi_star_points": "hotspots",
    "gi_star_sparse": "hotspots",
    "resolve_inference": "hotspots",
    "KDEResult": "kde",
    "choose_kde_method": "kde",
    "kde_quartic": "kde",
    "predict_kde_seconds": "kde",
    "quartic_kernel": "kde",
    "LocalMoranResult": "lisa",
    "local_moran": "lisa",
    "KnoxBand": "nearrepeat",
    "KnoxResult": "nearrepeat",
    "knox_test": "nearrepeat",
    "decay_stencil": "neighbours",
    "knn_matrix": "neighbours",
    "PredictiveAccuracy": "pai",
    "predictive_accuracy": "pai",
    "predictive_accuracy_curve": "pai",
    "NearestNeighbourIndex": "pattern",
    "RipleyResult": "pattern",
    "nearest_neighbour_index": "pattern",
    "ripley": "pattern",
    "PoissonInterval": "rates",
    "RateRatio": "rates",
    "area_ha": "rates",
    "per_hectare": "rates",
    "poisson_interval": "rates",
    "rate_ratio": "rates",
    "KishDesign": "survey",
    "ShareComparison": "survey",
    "ShareInterval": "survey",
    "compare_shares": "survey",
    "kish_design_effect": "survey",
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
    "AUTO_MONTECARLO_MEAN",
    "CLASS_LABELS",
    "Assignment",
    "BandwidthChoice",
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
    "KishDesign",
    "KnoxBand",
    "KnoxResult",
    "LocalMoranResult",
    "MannKendallResult",
    "MonteCarloInference",
    "NearestNeighbourIndex",
    "PoissonFit",
    "PoissonInterval",
    "PredictiveAccuracy",
    "RateRatio",
    "RipleyResult",
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
    "choose_kde_method",
    "classify_hot_cold",
    "compare_extents",
    "compare_shares",
    "conditional_monte_carlo",
    "count_in_polygons",
    "coverage",
    "dbscan_labels",
    "decay_stencil",
    "difference_in_differences",
    "emerging_hot_spots",
    "fit_poisson",
    "gi_star",
    "gi_star_points",
    "gi_star_sparse",
    "grid_for_points",
    "interrupted_time_series",
    "kish_design_effect",
    "its_design",
    "kde_quartic",
    "knn_matrix",
    "knox_test",
    "likelihood_cv_bandwidth",
    "local_moran",
    "make_grid",
    "mann_kendall",
    "nearest_neighbour_index",
    "per_hectare",
    "poisson_interval",
    "predict_kde_seconds",
    "predictive_accuracy",
    "predictive_accuracy_curve",
    "propose_extent",
    "quartic_kernel",
    "rate_ratio",
    "residual_autocorrelation",
    "resolve_inference",
    "ripley",
    "space_time_gi_star",
    "survey_series",
    "weighted_displacement_quotient",
    "wilson_interval",
]
