"""Looking up the records that other records refer to by name: organisations, places, mapping
rounds. One `Resolver` per write transaction caches what it has found."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from lagesbild.errors import ValidationError
from lagesbild.store.names import find_id
from lagesbild.store.schema import (
    briefings,
    mapping_rounds,
    organisations,
    places,
    store_settings,
)


class Resolver:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._orgs: dict[str, int] = {}
        self._places: dict[str, int] = {}
        self._rounds: dict[int, int] = {}
        # (cache, key) of records this resolver inserted since the last keep_created()
        self._created: list[tuple[dict, object]] = []
        self._default_org: int | None = None
        self._complete = False  # everything is cached: a miss is unknown, without a query

    def preload(self) -> None:
        """Cache every organisation and place now: a bulk import then looks names up without a
        query per distinct name, and by Python's case folding (SQLite's lower() folds ASCII
        only, so 'Åhléns' would not find 'åhléns'). Only for writes that create neither."""
        self.default_organisation()
        for table, cache in ((organisations, self._orgs), (places, self._places)):
            for id_, name, code in self.conn.execute(
                select(table.c.id, table.c.name, table.c.code).order_by(table.c.id.desc())
            ):
                for key in (code, name):  # the lowest id wins, as the query's first row
                    if key is not None:
                        cache[str(key).strip().lower()] = id_
        self._complete = True

    def default_organisation(self) -> int:
        if self._default_org is None:
            value = self.conn.execute(
                select(store_settings.c.value).where(store_settings.c.key == "default_organisation")
            ).scalar()
            if value is None:
                raise ValidationError("organisation", "the store has no default organisation")
            self._default_org = int(value)
        return self._default_org

    def organisation(
        self, name: str | None, field: str = "organisation", create: bool = False
    ) -> int:
        if name is None:
            return self.default_organisation()
        key = name.strip().lower()
        if key not in self._orgs and self._complete and not create:
            raise ValidationError(
                field,
                f"unknown organisation {name!r}",
                "import it with the organisations layer first",
            )
        if key not in self._orgs:
            found = find_id(self.conn, organisations, name, by_id=False)
            row = None if found is None else (found,)
            if row is None:
                if not create:
                    raise ValidationError(
                        field,
                        f"unknown organisation {name!r}",
                        "import it with the organisations layer first",
                    )
                row = (
                    self.conn.execute(
                        insert(organisations).values(
                            name=name.strip(), created_at=datetime.now(UTC)
                        )
                    ).inserted_primary_key[0],
                )
                self._created.append((self._orgs, key))
            self._orgs[key] = row[0]
        return self._orgs[key]

    def place(self, name: str | None, field: str = "place", required: bool = True) -> int | None:
        if name is None:
            if required:
                raise ValidationError(field, "is required")
            return None
        key = name.strip().lower()
        if key not in self._places and self._complete:
            raise ValidationError(field, f"unknown place {name!r}", "import the places layer first")
        if key not in self._places:
            found = find_id(self.conn, places, name, by_id=False)
            row = None if found is None else (found,)
            if row is None:
                raise ValidationError(
                    field, f"unknown place {name!r}", "import the places layer first"
                )
            self._places[key] = row[0]
        return self._places[key]

    def briefing(self, number: int | None) -> int | None:
        """A roster entry's briefing: its number in this store, which must exist."""
        if number is None:
            return None
        found = self.conn.execute(select(briefings.c.id).where(briefings.c.id == number)).first()
        if found is None:
            raise ValidationError(
                "briefing",
                f"there is no briefing {number} in this store",
                "give the number of a briefing held here, or leave it empty",
            )
        return number

    def forget_place(self, name: str) -> None:
        """Look the place up again (it may have just been stored), and again after a rollback."""
        key = name.strip().lower()
        self._places.pop(key, None)
        self._created.append((self._places, key))

    def keep_created(self) -> None:
        """The row that created records went in: they stay."""
        self._created.clear()

    def forget_created(self) -> None:
        """The row's savepoint was rolled back: the records it created are gone, and a later
        row must create them again, not refer to their ids."""
        for cache, key in self._created:
            cache.pop(key, None)
        self._created.clear()

    def mapping_round(self, year: int) -> int:
        if year not in self._rounds:
            row = self.conn.execute(
                select(mapping_rounds.c.id).where(mapping_rounds.c.year == year)
            ).first()
            if row is None:
                row = (
                    self.conn.execute(
                        insert(mapping_rounds).values(year=year, name=f"Kartläggning {year}")
                    ).inserted_primary_key[0],
                )
                self._created.append((self._rounds, year))
            self._rounds[year] = row[0]
        return self._rounds[year]
