"""What the public may see: scene extents per mapping round and counts per place and year,
aggregated, with small counts suppressed and no point locations. Counts are of the records
every signed-in partner sees (public and shared; `SHARED_AUDIENCE`): with restricted records in
them, a signed-in user could take away what they see and learn how many restricted records a
place has. A cell of 1-4 is shown as "fewer than 5" so that no single incident can be singled
out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, literal, literal_column, select

from lagesbild.domain.model import PUBLIC_VIEWER, SHARED_AUDIENCE
from lagesbild.store.access import visible
from lagesbild.store.engine import Store
from lagesbild.store.schema import assignments, crimes, observations, places

SUPPRESS_BELOW = 5


@dataclass(frozen=True)
class PublicCount:
    place: str
    kind: str
    year: int
    layer: str
    category: str
    count: int | None  # None when suppressed

    @property
    def display(self) -> str:
        return f"fewer than {SUPPRESS_BELOW}" if self.count is None else str(self.count)

    def to_dict(self) -> dict:
        return {
            "place": self.place,
            "kind": self.kind,
            "year": self.year,
            "layer": self.layer,
            "category": self.category,
            "count": self.count,
            "display": self.display,
            "suppressed": self.count is None,
        }


def suppress(n: int) -> int | None:
    return None if 0 < n < SUPPRESS_BELOW else n


def public_counts(store: Store, year: int | None = None) -> list[PublicCount]:
    out: list[PublicCount] = []
    with store.read() as conn:
        for layer, table in (("crimes", crimes), ("observations", observations)):
            year_expr = _year(conn, table.c.occurred_at, store.tz)
            q = (
                select(
                    places.c.name,
                    places.c.kind,
                    year_expr.label("local_year"),
                    table.c.category,
                    func.count().label("n"),
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
                .group_by(
                    places.c.name, places.c.kind, literal_column("local_year"), table.c.category
                )
                .order_by(places.c.name, literal_column("local_year"), table.c.category)
            )
            for name, kind, y, cat, n in conn.execute(q):
                if year is None or int(y) == year:
                    out.append(PublicCount(name, kind, int(y), layer, cat, suppress(int(n))))
    return out


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
