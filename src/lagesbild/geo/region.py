"""The region a store's coordinates must fall in: the guard against lon/lat swapped."""

from __future__ import annotations

from dataclasses import dataclass

from lagesbild.errors import ValidationError


@dataclass(frozen=True)
class Region:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @classmethod
    def parse(cls, text: str) -> Region:
        """Parse `minlon,minlat,maxlon,maxlat`."""
        try:
            parts = [float(p) for p in str(text).split(",")]
        except ValueError:
            parts = []
        if len(parts) != 4:
            raise ValidationError(
                "region", f"{text!r} is not minlon,minlat,maxlon,maxlat", "e.g. 10.0,55.0,24.5,69.5"
            )
        r = cls(*parts)
        if not (-180 <= r.min_lon < r.max_lon <= 180 and -90 <= r.min_lat < r.max_lat <= 90):
            raise ValidationError("region", f"{text!r} is not a valid lon/lat box")
        return r

    def contains(self, lon: float, lat: float) -> bool:
        return self.min_lon <= lon <= self.max_lon and self.min_lat <= lat <= self.max_lat

    def contains_bounds(self, bounds: tuple[float, float, float, float]) -> bool:
        minx, miny, maxx, maxy = bounds
        return self.contains(minx, miny) and self.contains(maxx, maxy)

    def __str__(self) -> str:
        return f"{self.min_lon:g},{self.min_lat:g},{self.max_lon:g},{self.max_lat:g}"


# Sweden with a margin: the default region of a store.
SWEDEN = Region(10.0, 55.0, 24.5, 69.5)
