"""Systematic place observation (the SLU Movium protocol on a phone): one observation round is a
visit to a place at a start time with the people counted per group, the weather, the
activities going on and a note. Its counts are stored as `measurements` of the place (metric
``people_observed``, one row per group and one for everyone, ``all``, their sum), so the chart,
the goals and the effect analyses read them like the imported rounds.

Recording is idempotent: the client's key (one per round, kept in the phone's outbox) makes a
repeated send answer with the round already stored. Planned rounds (place, weekday, time, from
a date) say which rounds are due today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from lagesbild.domain.model import REPORT_ROLES, SYSTEM, WRITE_ROLES, Viewer
from lagesbild.errors import AccessDenied, ValidationError
from lagesbild.services import data
from lagesbild.store import audit
from lagesbild.store.access import visible
from lagesbild.store.engine import Store
from lagesbild.store.schema import measurements, observation_rounds, places, planned_rounds

METRIC = "people_observed"
WEATHER: tuple[str, ...] = ("sun", "cloud", "rain", "snow")
ACTIVITIES: tuple[str, ...] = ("stage", "park", "art", "market", "sport", "cleanup", "other")
MAX_COUNT = 5000
NOTE_MAX = 1000
METHOD = "Systematisk platsobservation (lagesbild /observe)"
DUE_BEFORE = timedelta(minutes=30)  # a planned round is due from half an hour before
DUE_AFTER = timedelta(hours=2)  # ... until two hours after its time


@dataclass(frozen=True)
class Round:
    id: int
    created: bool


def _int(value: Any, field: str) -> int:
    try:
        n = int(str(value).strip() or "0")
    except ValueError:
        raise ValidationError(field, f"{value!r} is not a whole number") from None
    if not 0 <= n <= MAX_COUNT:
        raise ValidationError(field, f"{n} is not a count from 0 to {MAX_COUNT}")
    return n


def parse_round(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    """A round as the phone sends it, checked: every mistake names its field."""
    key = str(body.get("key") or "").strip()
    if not 8 <= len(key) <= 100:
        raise ValidationError("key", "a round needs its key (8-100 characters) from the form")
    raw = str(body.get("started_at") or "").strip()
    try:
        started = datetime.fromisoformat(raw.replace(" ", "T"))
    except ValueError:
        raise ValidationError("started_at", f"{raw!r} is not a time (YYYY-MM-DDTHH:MM)") from None
    if started.tzinfo is None:
        started = started.replace(tzinfo=store.tz)
    if started > datetime.now(UTC) + timedelta(hours=1):
        raise ValidationError("started_at", "is in the future")
    counts = body.get("counts") or {}
    if not isinstance(counts, dict):
        raise ValidationError("counts", "expected a count per group")
    groups = [g.code for g in store.taxonomy.observed_groups()]  # the taxonomy's, addable
    unknown = set(counts) - set(groups)
    if unknown:
        raise ValidationError(
            "counts", f"unknown group {sorted(unknown)[0]!r}; expected {', '.join(groups)}"
        )
    clean = {g: _int(counts.get(g, 0), f"counts.{g}") for g in groups}
    weather = str(body.get("weather") or "").strip() or None
    if weather is not None and weather not in WEATHER:
        raise ValidationError("weather", f"expected one of {', '.join(WEATHER)}")
    acts = body.get("activities") or []
    if isinstance(acts, str):
        acts = [a for a in acts.split(",") if a]
    bad = [a for a in acts if a not in ACTIVITIES]
    if bad:
        raise ValidationError("activities", f"unknown {bad[0]!r}; expected {', '.join(ACTIVITIES)}")
    note = str(body.get("note") or "").strip() or None
    if note and len(note) > NOTE_MAX:
        raise ValidationError("note", f"is longer than {NOTE_MAX} characters")
    planned = body.get("planned_id")
    return {
        "key": key,
        "place": str(body.get("place") or "").strip(),
        "started_at": started,
        "counts": clean,
        "weather": weather,
        "activities": ",".join(a for a in ACTIVITIES if a in acts) or None,
        "note": note,
        "planned_id": int(planned) if str(planned or "").isdigit() else None,
    }


def record_round(
    store: Store, viewer: Viewer, body: dict[str, Any], remote: str | None = None
) -> Round:
    """Store one round and its counts as measurements, once per key."""
    if viewer != SYSTEM and viewer.role not in REPORT_ROLES:
        raise AccessDenied("your role may not record observation rounds")
    r = parse_round(store, body)
    if not r["place"]:
        raise ValidationError("place", "choose the place of the round")
    place = data.find_place(store, viewer, r["place"])
    org = viewer.organisation_id
    source = f"round:{org}:{r['key']}" if org is not None else f"round:{r['key']}"
    now = datetime.now(UTC)
    owned = {
        "owner_org_id": org if org is not None else _first_org(store),
        "sensitivity": "shared",
        "created_at": now,
        "updated_at": now,
        "created_by": viewer.user_id,
    }
    with store.read() as conn:
        found = conn.execute(
            select(observation_rounds.c.id).where(observation_rounds.c.source_key == source)
        ).scalar()
    if found is not None:
        return Round(int(found), False)
    counts = {**r["counts"], "all": sum(r["counts"].values())}
    try:
        with store.write() as conn:
            rid = conn.execute(
                insert(observation_rounds).values(
                    source_key=source,
                    place_id=place.id,
                    started_at=r["started_at"],
                    weather=r["weather"],
                    activities=r["activities"],
                    note=r["note"],
                    planned_id=r["planned_id"],
                    **owned,
                )
            ).inserted_primary_key[0]
            conn.execute(
                insert(measurements),
                [
                    {
                        "source_key": f"{source}:{g}",
                        "source_id": r["key"],
                        "place_id": place.id,
                        "measured_at": r["started_at"],
                        "metric": METRIC,
                        "group": g,
                        "value": float(n),
                        "unit": "personer",
                        "method": METHOD,
                        **owned,
                    }
                    for g, n in counts.items()
                ],
            )
            audit.record(conn, viewer, "create", "observation_rounds", rid, remote=remote)
    except IntegrityError:  # the same key raced in from a retry: that one stored it
        with store.read() as conn:
            rid = conn.execute(
                select(observation_rounds.c.id).where(observation_rounds.c.source_key == source)
            ).scalar_one()
        return Round(int(rid), False)
    return Round(int(rid), True)


def _first_org(store: Store) -> int:
    from lagesbild.store.schema import organisations

    with store.read() as conn:
        return int(conn.execute(select(organisations.c.id).order_by(organisations.c.id)).scalar())


def plan_round(
    store: Store,
    viewer: Viewer,
    place: str,
    weekday: int,
    at: str,
    starts_on: date,
    ends_on: date | None = None,
) -> int:
    """A round to make every `weekday` (0 Monday) at `at` (HH:MM) from `starts_on`."""
    if viewer != SYSTEM and viewer.role not in WRITE_ROLES:
        raise AccessDenied("your role may not plan observation rounds")
    if not 0 <= weekday <= 6:
        raise ValidationError("weekday", f"{weekday} is not 0 (Monday) to 6 (Sunday)")
    try:
        hh, mm = (int(x) for x in at.split(":"))
        time(hh, mm)
    except ValueError:
        raise ValidationError("time", f"{at!r} is not a time HH:MM") from None
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError("ends_on", "is before the first day")
    p = data.find_place(store, viewer, place)
    now = datetime.now(UTC)
    with store.write() as conn:
        pid = conn.execute(
            insert(planned_rounds).values(
                place_id=p.id,
                weekday=weekday,
                time=f"{hh:02d}:{mm:02d}",
                starts_on=starts_on,
                ends_on=ends_on,
                owner_org_id=viewer.organisation_id or _first_org(store),
                sensitivity="shared",
                created_at=now,
                updated_at=now,
                created_by=viewer.user_id,
            )
        ).inserted_primary_key[0]
        audit.record(conn, viewer, "create", "planned_rounds", pid)
    return int(pid)


def rounds_of_day(store: Store, viewer: Viewer, now: datetime) -> list[dict[str, Any]]:
    """Today's planned rounds (in the store's zone) with their state: ``done`` (a round at the
    place within two hours of its time), ``due`` (from half an hour before to two hours after),
    ``later`` or ``missed``."""
    local = now.astimezone(store.tz)
    day = local.date()
    pr = planned_rounds.c
    with store.read() as conn:
        plans = conn.execute(
            select(pr.id, pr.place_id, pr.time, places.c.name)
            .join(places, places.c.id == pr.place_id)
            .where(
                visible(planned_rounds, viewer),
                pr.weekday == day.weekday(),
                pr.starts_on <= day,
                (pr.ends_on.is_(None)) | (pr.ends_on >= day),
            )
            .order_by(pr.time)
        ).all()
        start = datetime.combine(day, time(), store.tz)
        done = conn.execute(
            select(observation_rounds.c.place_id, observation_rounds.c.started_at).where(
                visible(observation_rounds, viewer),
                observation_rounds.c.started_at >= start,
                observation_rounds.c.started_at < start + timedelta(days=1),
            )
        ).all()
    out = []
    for pid, place_id, hhmm, name in plans:
        hh, mm = (int(x) for x in hhmm.split(":"))
        at = datetime.combine(day, time(hh, mm), store.tz)
        made = any(p == place_id and abs(t.astimezone(store.tz) - at) <= DUE_AFTER for p, t in done)
        state = (
            "done"
            if made
            else "due"
            if at - DUE_BEFORE <= local <= at + DUE_AFTER
            else "later"
            if local < at
            else "missed"
        )
        out.append({"id": pid, "place": name, "time": hhmm, "at": at, "state": state})
    return out


def recent_rounds(store: Store, viewer: Viewer, limit: int = 10) -> list[dict[str, Any]]:
    """The viewer's own latest rounds with everyone counted."""
    o, m = observation_rounds.c, measurements.c
    with store.read() as conn:
        rows = conn.execute(
            select(o.id, o.started_at, o.weather, places.c.name, o.source_key)
            .join(places, places.c.id == o.place_id)
            .where(visible(observation_rounds, viewer), o.created_by == viewer.user_id)
            .order_by(o.started_at.desc())
            .limit(limit)
        ).all()
        totals = dict(
            conn.execute(
                select(m.source_key, m.value).where(m.source_key.in_([f"{r[4]}:all" for r in rows]))
            ).all()
        )
    return [
        {
            "id": r[0],
            "started_at": r[1].astimezone(store.tz),
            "weather": r[2],
            "place": r[3],
            "total": totals.get(f"{r[4]}:all"),
        }
        for r in rows
    ]
