"""The shape every analysis service returns, and how it is written to a file by extension
(.geojson, .csv, .json): the same for the CLI's `--out`, the API and the reports."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from lagesbild.domain.values import safe_cell
from lagesbild.errors import ValidationError
from lagesbild.geo.crs import Projector


@dataclass(frozen=True)
class AnalysisOutput:
    """`rows` are the full result (one dict per row); `geometries`, when given, go with the rows
    one to one; `summary` is the few figures a person reads first; `notes` are caveats (e.g. the
    enforcement caveat for drug offences); `parameters` the request as the caller wrote it;
    `top_level` the figures an analysis's contract puts at the top of its JSON (nearrepeat's
    `close_pairs`, `expected`, `ratio`, `p`, `bands`), besides the summary and rows.

    The services return geometries in the store's projected CRS (reports and briefings measure
    and draw them there); the edges that write GeoJSON take `in_wgs84` first."""

    name: str
    summary: dict[str, Any]
    rows: list[dict[str, Any]]
    geometries: list[BaseGeometry | None] | None = None
    notes: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    top_level: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            **self.top_level,
            "analysis": self.name,
            "parameters": self.parameters,
            "summary": self.summary,
            "notes": self.notes,
        }
        if self.geometries is not None:
            body["features"] = self.features()
        else:
            body["rows"] = self.rows
        return clean(body)

    def echo(self, parameters: dict[str, Any]) -> AnalysisOutput:
        """The same result answering `parameters` (the request as the caller wrote it)."""
        return replace(self, parameters=parameters)

    def in_wgs84(self, projector: Projector) -> AnalysisOutput:
        """The same result with its geometries in WGS84 (lon, lat), as GeoJSON wants them."""
        if not self.geometries:
            return self
        return replace(self, geometries=geometries_to_wgs84(projector, self.geometries))

    def features(self) -> list[dict[str, Any]]:
        geoms = self.geometries or [None] * len(self.rows)
        return [
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(_rfc7946(g)) if g is not None else None,
                "properties": clean(r),
            }
            for r, g in zip(self.rows, geoms, strict=True)
        ]


def geometries_to_wgs84(projector: Projector, geoms) -> list[BaseGeometry | None]:
    """Projected geometries (None kept) to WGS84 in one vectorised transform."""
    present = [k for k, g in enumerate(geoms) if g is not None]
    out: list[BaseGeometry | None] = [None] * len(geoms)
    if not present:
        return out
    arr = np.asarray([geoms[k] for k in present], dtype=object)
    coords = shapely.get_coordinates(arr)
    lon, lat = projector.xy_to_lonlat(coords[:, 0], coords[:, 1])
    moved = shapely.set_coordinates(arr.copy(), np.column_stack([lon, lat]))
    for k, g in zip(present, moved, strict=True):
        out[k] = g
    return out


def _rfc7946(geom: BaseGeometry) -> BaseGeometry:
    """Exterior rings counter-clockwise, holes clockwise, as RFC 7946 (GeoJSON) asks; a
    difference or hull from Shapely/GEOS need not come out that way."""
    if hasattr(shapely, "orient_polygons"):  # Shapely >= 2.1
        return shapely.orient_polygons(geom, exterior_cw=False)
    from shapely.geometry import MultiPolygon, Polygon
    from shapely.geometry.polygon import orient

    if isinstance(geom, Polygon):
        return orient(geom, 1.0)
    if isinstance(geom, MultiPolygon):
        return MultiPolygon([orient(p, 1.0) for p in geom.geoms])
    return geom


def clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become None (JSON has neither)."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return clean(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def write_output(out: AnalysisOutput, path: str | Path) -> Path:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".geojson", ".csv", ".json"):
        raise ValidationError("--out", f"{path.name}: expected a .geojson, .csv or .json file")
    if not path.parent.exists():
        raise ValidationError("--out", f"folder {path.parent} does not exist")
    if suffix == ".json":
        path.write_text(json.dumps(out.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
    elif suffix == ".geojson":
        if out.geometries is None:
            raise ValidationError(
                "--out", f"the {out.name} result has no geometry; use .csv or .json"
            )
        fc = {"type": "FeatureCollection", "features": out.features()}
        path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    else:
        rows = [clean(r) for r in out.rows]
        columns: list[str] = []
        for r in rows:
            columns += [k for k in r if k not in columns]
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            for r in rows:
                writer.writerow({k: safe_cell(v) for k, v in r.items()})
    return path
