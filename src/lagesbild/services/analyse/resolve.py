"""From the text a person types to the domain objects the analyses take, once per request:
a place (with its boundary in the store's projected CRS), a `Period` of aware instants, a day,
a point layer, the category codes. The edges (CLI, API, pages) call these; reports and
briefings already hold the objects and pass them on."""

from __future__ import annotations

from datetime import date

from lagesbild.domain.model import Viewer
from lagesbild.domain.periods import Period, between, parse_day, parse_period
from lagesbild.services import data
from lagesbild.services.data import ExtentGeo, PlaceGeo
from lagesbild.store.engine import Store

__all__ = ["ExtentGeo", "PlaceGeo", "categories", "day", "extent", "layer", "period", "place"]


def place(store: Store, viewer: Viewer, text: str) -> PlaceGeo:
    """The place named (name, code or id) among those the viewer may see."""
    return data.find_place(store, viewer, text)


def place_by_id(store: Store, viewer: Viewer, place_id: int) -> PlaceGeo:
    """The place of a page's address (/places/ID)."""
    return data.place_by_id(store, viewer, place_id)


def extent(store: Store, viewer: Viewer, of: PlaceGeo, round_: int | str) -> ExtentGeo:
    """The place's extent of a mapping round."""
    return data.find_extent(store, viewer, of, round_)


def period(store: Store, text: str, field: str = "period") -> Period:
    """A period as written (2023, 2023-05, 2023-05-01, 2023-01-01..2023-06-30)."""
    return parse_period(text, store.tz, field)


def window(store: Store, date_from: str, date_to: str) -> Period:
    """From the start of `date_from` to the end of `date_to` (each a day, month or year)."""
    start = parse_period(date_from, store.tz, "from").start
    end = parse_period(date_to, store.tz, "to").end
    return between(start, end)


def day(text: str, field: str = "date") -> date:
    return parse_day(text, field)


def layer(name: str) -> str:
    """A point layer (crimes or observations), refused with the layers there are."""
    data.point_table(name)
    return name


def categories(store: Store, layer_name: str, category: str | None) -> list[str] | None:
    """The codes of a category or group in a layer; None (every code) when none is given."""
    return store.taxonomy.expand(layer_name, category) if category else None
