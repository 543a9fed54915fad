"""What the public may see: scene extents per mapping round and counts per place and year,
aggregated, with small counts suppressed and no point locations. Counts are of the records
every signed-in partner sees (public and shared; `SHARED_AUDIENCE`): with restricted records in
them, a signed-in user could take away what they see and learn how many restricted records a
place has.

Every figure the public can reach that counts more than public records (these counts, and the
public goals' baseline, yearly and monthly counts) is decided in one table by
`services.disclosure.suppress` (`public_figures`): a count of 1-4 is "<5", and more counts are
withheld (">=5") where a total and its parts, two overlapping places, or a goal's category group
and these per-category counts would otherwise give a "<5" away. Public goals are counted by
calendar month and year only (see `briefing.forum_public`), so no moving window is reachable.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations

from sqlalchemy import and_, case, func, literal, literal_column, select

from lagesbild.domain.model import PUBLIC_VIEWER, SHARED_AUDIENCE
from lagesbild.services import public_goals
from lagesbild.services.disclosure import THRESHOLD, Shown, Table, suppress
from lagesbild.store.access import visible
from lagesbild.store.engine import Store
from lagesbild.store.schema import assignments, crimes, goals, observations, places

SUPPRESS_BELOW = THRESHOLD
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublicCount:
    place: str
    kind: str
    year: int
    layer: str
    category: str
    count: Shown  # a number, "<5" or ">=5" (services.disclosure)

    @property
    def suppressed(self) -> bool:
        return isinstance(self.count, str)

    @property
    def display(self) -> str:
        return str(self.count)

    def to_dict(self) -> dict:
        return {
            "place": self.place,
            "kind": self.kind,
            "year": self.year,
            "layer": self.layer,
            "category": self.category,
            "count": self.count,
            "display": self.display,
            "suppressed": self.suppressed,
        }


def public_counts(store: Store, year: int | None = None) -> list[PublicCount]:
    """The counts per place, local year, layer and category, as the public sees them."""
    figures, rows = _suppressed(store)
    return [
        PublicCount(name, kind, y, layer, cat, figures[("count", name, y, layer, cat)])
        for name, kind, y, layer, cat in rows
        if year is None or y == year
    ]


@dataclass(frozen=True)
class AreaSeries:
    """One place's counts of one layer (or one category of it) per year, as the public sees
    them: a number, a suppression mark, or None where the layer has no data that year."""

    place: str
    kind: str
    layer: str
    area_ha: float | None
    by_year: dict[int, Shown]

    def per_ha(self, year: int) -> float | None:
        """Count per hectare, only from a count the public sees as a number (never derived
        from a suppressed one)."""
        n = self.by_year.get(year)
        if not isinstance(n, int) or not self.area_ha:
            return None
        return n / self.area_ha

    def change(self, year: int) -> float | None:
        """The change from the year before as a share, only between two shown numbers."""
        now, before = self.by_year.get(year), self.by_year.get(year - 1)
        if not isinstance(now, int) or not isinstance(before, int) or before == 0:
            return None
        return (now - before) / before


def layer_years(store: Store) -> dict[str, tuple[int, int]]:
    """(first, last) year with public counts of each layer: before the first there is no data
    (shown as "no data", not 0)."""
    out: dict[str, tuple[int, int]] = {}
    for _name, _kind, y, layer, _cat in _suppressed(store)[1]:
        lo, hi = out.get(layer, (y, y))
        out[layer] = (min(lo, y), max(hi, y))
    return out


def public_totals(store: Store) -> list[PublicCount]:
    """Each place's count of a layer and year over all categories (category ``""``)."""
    figures, rows = _suppressed(store)
    kinds = {name: kind for name, kind, *_ in rows}
    return [
        PublicCount(k[1], kinds[k[1]], k[2], k[3], "", v)
        for k, v in figures.items()
        if k[0] == "total"
    ]


def area_series(
    store: Store, areas: dict[str, float | None], layer: str | None, category: str | None
) -> list[AreaSeries]:
    """The public series per place: every layer's totals, or one category of one layer.
    `areas` is each public place's area in hectares."""
    figures, rows = _suppressed(store)
    spans = layer_years(store)
    if not spans:
        return []
    years = range(min(a for a, _ in spans.values()), max(b for _, b in spans.values()) + 1)
    kinds = {name: kind for name, kind, *_ in rows}
    layers = [layer] if layer else sorted(spans)
    out = []
    for name, kind in sorted(kinds.items()):
        for lay in layers:
            if lay not in spans:
                continue
            first, last = spans[lay]
            by_year: dict[int, Shown] = {}
            for y in years:
                key = ("count", name, y, lay, category) if category else ("total", name, y, lay)
                by_year[y] = figures.get(key, 0) if first <= y <= last else None
            out.append(AreaSeries(name, kind, lay, areas.get(name), by_year))
    return out


def public_figures(store: Store) -> dict[Hashable, Shown]:
    """Every suppressed figure the public can reach, decided together."""
    return _suppressed(store)[0]


_MEMO: dict[int, tuple[tuple, tuple]] = {}  # id(store): (fingerprint, (figures, rows))
_SOLVED_AT: dict[int, datetime] = {}  # id(store): when the counts of its figures were read
_SOLVING = threading.Lock()  # one solve at a time: a second caller waits for the first's answer
_STALE_OK: set[int] = set()  # stores whose readers get the previous figures during a solve
_REFRESH: dict[int, threading.Thread] = {}  # id(store): the background solve running


def serve_stale(store: Store) -> None:
    """Stale-while-revalidate for this store's public figures (a served app): after a write,
    readers get the previous figures, complete and suppressed, while one background solve
    makes the new ones, which replace them whole. Only the first solve is waited for."""
    _STALE_OK.add(id(store))


def solved_at(store: Store) -> datetime | None:
    """When the counts behind the figures now served were read (None before the first solve)."""
    return _SOLVED_AT.get(id(store))


def _suppressed(store: Store) -> tuple[dict[Hashable, Shown], list[tuple]]:
    """The suppressed table, read again only when the counted tables have changed (solving it
    takes seconds on a city's data; every public request needs it)."""
    key = _fingerprint(store)
    hit = _MEMO.get(id(store))
    if hit is not None and hit[0] == key:
        return hit[1]
    if hit is not None and id(store) in _STALE_OK:
        _refresh(store)
        return hit[1]  # the previous figures, never a part-solved or unsuppressed table
    return _solve(store, key)


def _solve(store: Store, key: tuple) -> tuple[dict[Hashable, Shown], list[tuple]]:
    with _SOLVING:
        hit = _MEMO.get(id(store))
        if hit is not None and hit[0] == key:  # solved meanwhile (by `warm`, say)
            return hit[1]
        read_at = datetime.now(store.tz)
        table, rows = _count_table(store)
        public_goals.add_goals(store, table)
        value = (suppress(table), rows)
        # both at once: a reader sees the old figures or the new, never a mix
        _MEMO[id(store)] = (key, value)
        _SOLVED_AT[id(store)] = read_at
    return value


def _refresh(store: Store) -> threading.Thread:
    """One background solve per store at a time (`serve_stale`)."""
    with _SOLVING_START:
        running = _REFRESH.get(id(store))
        if running is not None and running.is_alive():
            return running

        def solve() -> None:
            try:
                _solve(store, _fingerprint(store))
            except Exception:  # noqa: BLE001 - the previous figures stay; the next reader retries
                log.warning("could not solve the public figures again", exc_info=True)

        thread = threading.Thread(target=solve, name="public-figures", daemon=True)
        _REFRESH[id(store)] = thread
        thread.start()
        return thread


_SOLVING_START = threading.Lock()


def warm(store: Store) -> threading.Thread:
    """Solve the public table in the background when a server starts, so that the first
    visitor of a public page does not wait seconds for it."""

    def solve() -> None:
        try:
            _suppressed(store)
        except Exception:  # noqa: BLE001 - a warm-up only: the first request solves it then
            log.warning("could not prepare the public figures at start-up", exc_info=True)

    thread = threading.Thread(target=solve, name="public-figures", daemon=True)
    thread.start()
    return thread


def _fingerprint(store: Store) -> tuple:
    """Rows and last change of every table the public figures are made of."""
    out: list = [store.url]
    with store.read() as conn:
        for t in (crimes, observations, places, assignments, goals):
            cols = [func.count()]
            if "updated_at" in t.c:
                cols.append(func.max(t.c.updated_at))
            out.append(tuple(conn.execute(select(*cols).select_from(t)).one()))
        out.append(conn.execute(select(func.sum(assignments.c.place_id))).scalar())
    return tuple(out)


def _count_table(store: Store) -> tuple[Table, list[tuple]]:
    """The public counts as cells ``("count", place, year, layer, category)``; where two places
    share records, hidden cells for what each has alone and what they share, so that a place
    minus a place inside it cannot give a small count away."""
    t = Table()
    rows = []
    members: dict[tuple, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for name, kind, y, layer, cat, rid in _assigned(store):
        members[(y, layer, cat)][name].add(rid)
        key = ("count", name, y, layer, cat)
        if key not in t.cells:
            rows.append((name, kind, y, layer, cat))
            t.add(key, 0)
        t.cells[key] += 1
    for (y, layer, cat), by_place in members.items():
        for a, b in combinations(sorted(by_place), 2):
            both = by_place[a] & by_place[b]
            if not both:
                continue
            k_both = ("overlap", a, b, y, layer, cat)
            t.add(k_both, len(both), hidden=True)
            for x in (a, b):
                k_only = ("alone", x, a, b, y, layer, cat)
                t.add(k_only, len(by_place[x] - both), hidden=True)
                t.relate(("count", x, y, layer, cat), [k_only, k_both])
    # a place's total of a layer and year beside its categories: one more sum to protect
    parts: dict[tuple, list] = defaultdict(list)
    for name, _kind, y, layer, cat in rows:
        parts[(name, y, layer)].append(("count", name, y, layer, cat))
    for (name, y, layer), keys in parts.items():
        t.add(("total", name, y, layer), sum(t.cells[k] or 0 for k in keys))
        t.relate(("total", name, y, layer), keys)
    return t, rows


def _assigned(store: Store):
    """(place, kind, local year, layer, category, record id) of each counted record."""
    with store.read() as conn:
        for layer, table in (("crimes", crimes), ("observations", observations)):
            year_expr = _year(conn, table.c.occurred_at, store.tz)
            q = (
                select(
                    places.c.name,
                    places.c.kind,
                    year_expr.label("local_year"),
                    table.c.category,
                    table.c.id,
                )
                .select_from(assignments)
                .join(
                    table, and_(table.c.id == assignments.c.record_id, assignments.c.layer == layer)
                )
                .join(places, places.c.id == assignments.c.place_id)
                .where(
                    assignments.c.round_id == 0,
                    visible(places, PUBLIC_VIEWER),
                    visible(table, SHARED_AUDIENCE),
                )
                # by the label: PostgreSQL would not match the CASE's parameters twice
                .order_by(places.c.name, literal_column("local_year"), table.c.category)
            )
            for name, kind, y, cat, rid in conn.execute(q):
                yield name, kind, int(y), layer, cat, rid


def _year(conn, col, tz):
    """The calendar year in the store's zone: a CASE over each year's local new-year instant
    (a crime at 00:30 on 1 January belongs to the new year, though it is still the old year in
    UTC). Same SQL on both backends; the years are those of the data."""
    lo, hi = conn.execute(select(func.min(col), func.max(col))).one()
    if lo is None:
        return literal(0)
    first, last = lo.astimezone(tz).year, hi.astimezone(tz).year
    whens = [(col < datetime(y + 1, 1, 1, tzinfo=tz), y) for y in range(first, last)]
    return case(*whens, else_=last) if whens else literal(last)
