"""The collaboration side of the demo scenario: operational briefings at Klara (Tuesday and
Thursday evenings, autumn 2024) with their rosters, action items and decisions; police presence
in Klara since 2019 as roster entries; the collaboration agreement's goals; one user per role.

Briefings, action items, decisions, goals and users have no canonical import layer, so they are
inserted with SQLAlchemy Core, each looked up first by its natural key (briefing: place, kind and
time; item and decision: briefing and text; goal: title; user: username) and skipped when it
exists. Existing users are never touched, so their password hashes are not renewed on reload.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Table, and_, func, insert, select
from sqlalchemy.engine import Connection

from lagesbild.demo.geography import DISTRICT_ORG, KLARA, ODENPLAN, SCENE, Triple
from lagesbild.demo.records import YEARS
from lagesbild.demo.sampling import TZ
from lagesbild.domain.model import SYSTEM
from lagesbild.ingest.writer import WriteSummary
from lagesbild.store.engine import Store
from lagesbild.store.schema import (
    action_items,
    briefings,
    decisions,
    goals,
    organisations,
    places,
    store_settings,
    users,
)

FIRST_BRIEFING = date(2024, 10, 1)
LAST_BRIEFING = date(2024, 12, 12)
PRESENCE_END = date(2024, 12, 31)
DEMO_PASSWORD = "demo"

# username, display name, role, organisation code
USERS: tuple[tuple[str, str, str, str], ...] = (
    ("admin", "Demo: administratör", "admin", DISTRICT_ORG),
    ("samordnare", "Demo: trygghetssamordnare", "coordinator", DISTRICT_ORG),
    ("analytiker", "Demo: polisanalytiker", "analyst", "polis"),
    ("falt", "Demo: ordningsvakt (fältrapportör)", "field_reporter", "mov"),
    ("lasare", "Demo: läsare", "viewer", "cis"),
)

# organisation -> (role, (low, high) headcount) of the briefings' rosters
_ROSTER: dict[str, tuple[str, tuple[int, int]]] = {
    "polis": ("Yttre tjänst, Fokusområde Klara", (4, 8)),
    "mov": ("Mobila ordningsvakter", (2, 4)),
    "ujour": ("Ungdomsjouren, fältarbete", (2, 3)),
    "uppsok": ("Uppsökarteamet", (1, 2)),
    "sl": ("Ordningsvakter, T-Centralen", (2, 4)),
    "kuls": ("Ordningsvakter, Kulturhuset", (1, 2)),
    "jernhusen": ("Ordningsvakter, Centralstationen", (1, 2)),
    "mtr": ("Stationsvärd (duty officer)", (1, 1)),
}
_PRESENCE_MEAN = {2019: 6.0, 2020: 5.5, 2021: 6.0, 2022: 6.5, 2023: 6.5, 2024: 6.0}

_NOTES = (
    "Försäljningen har flyttat upp mot Sergelgatan de senaste kvällarna.",
    "Lugnare helg. Fortsatt bruk i trappan mot T-Centralen.",
    "Flera yngre flickor sedda sent på Plattan; Ungdomsjouren prioriterar kvällen.",
    "Två våldsincidenter vid glasobelisken i helgen. Gemensam närvaro 21-23.",
    "Trasig belysning vid Kulturhusets östra entré gör platsen mörk.",
    "Sprutor i rabatterna vid Drottninggatan, sanering beställd.",
    "Ökad gruppering vid Hamngatan efter stängning.",
)

# (briefing number, text, responsible organisation, days to due date)
_ACTIONS: tuple[tuple[int, str, str, int], ...] = (
    (0, "Byta trasig belysning i trappan mellan Plattan och Sergelgatan", "tk", 14),
    (1, "Förstärka närvaron fredag och lördag kväll vid Plattan", "ujour", 3),
    (2, "Riktad insats mot försäljning på Sergelgatan", "polis", 7),
    (3, "Se över belysningen i arkaden vid Sergelgatan", "vasakronan", 30),
    (4, "Samordna ordningsvakter vid T-Centralens uppgång under helgen", "sl", 3),
    (5, "Beställa extra städning och sprutinsamling på Plattan", DISTRICT_ORG, 7),
    (7, "Följa upp gruppen unga vid Kulturhusets entré", "uppsok", 10),
    (9, "Informera butikerna på Drottninggatan om kvällens lägesbild", "cis", 5),
    (
        11,
        "Se över kamerabevakningen vid Centralstationens entré mot Klarabergsgatan",
        "jernhusen",
        45,
    ),
    (13, "Rapportera störningar vid spärrlinjen i T-Centralen till polisen", "mtr", 7),
    (15, "Planera vinteraktivering på Plattan", "kuls", 60),
    (17, "Bjuda in Länsstyrelsen till strategiskt forum om kartläggningen 2025", DISTRICT_ORG, 21),
    (19, "Felanmäla släckt armatur vid Hamngatan", "tk", 7),
    (20, "Gemensam kvällsvandring med fastighetsägarna", "amf", 14),
)
_DECISIONS: tuple[tuple[int, str], ...] = (
    (
        2,
        "Gemensam insats fredag kväll: polis, mobila ordningsvakter och Ungdomsjouren samlas "
        "vid Plattan kl. 20.",
    ),
    (
        6,
        "Ordningsvakterna från Kulturhuset och SL delar upp Plattan och trappan mot T-Centralen "
        "mellan sig kvällstid.",
    ),
    (10, "Lägesbilden inför julhandeln tas upp på strategiskt forum i december."),
    (14, "Fokus på Sergelgatan och Hamngatan de kommande två veckorna."),
    (18, "Uppsökarteamet och Ungdomsjouren samordnar kvällspassen under jullovet."),
)


def briefing_times() -> list[datetime]:
    """Tuesday and Thursday evenings at 18:00, from the first to the last briefing day."""
    out, day = [], FIRST_BRIEFING
    while day <= LAST_BRIEFING:
        if day.weekday() in (1, 3):
            out.append(datetime.combine(day, time(18, 0), TZ))
        day += timedelta(days=1)
    return out


def _ids(conn: Connection, table: Table, key_col: str) -> dict[str, int]:
    return {k: i for i, k in conn.execute(select(table.c.id, table.c[key_col]))}


def _organisations(conn: Connection) -> tuple[dict[str | None, int], dict[int, str]]:
    """Ids by code (None: the store's default organisation, the district's) and names by id."""
    ids: dict[str | None, int] = {}
    names: dict[int, str] = {}
    for oid, code, name in conn.execute(
        select(organisations.c.id, organisations.c.code, organisations.c.name)
    ):
        names[oid] = name
        if code is not None:
            ids[code] = oid
    default = conn.execute(
        select(store_settings.c.value).where(store_settings.c.key == "default_organisation")
    ).scalar_one()
    ids[DISTRICT_ORG] = int(default)
    return ids, names


def _ensure(
    conn: Connection,
    table: Table,
    key: dict[str, Any],
    values: dict[str, Any],
    summary: WriteSummary,
) -> int:
    """The id of the row matching `key`, inserting `key | values` if there is none."""
    summary.read += 1
    where = and_(*[table.c[k] == v for k, v in key.items()])
    found = conn.execute(select(table.c.id).where(where)).scalar()
    if found is not None:
        summary.duplicates += 1
        return found
    summary.stored += 1
    return conn.execute(insert(table).values(**key, **values)).inserted_primary_key[0]


def load_briefings(store: Store, seed: int) -> tuple[WriteSummary, list[int]]:
    """The briefings; returns their summary and ids in time order."""
    rng = np.random.default_rng([seed, 201])
    summary = WriteSummary("briefings")
    times = briefing_times()
    ids = []
    with store.write() as conn:
        orgs, org_names = _organisations(conn)
        klara = _ids(conn, places, "name")[KLARA]
        for n, at in enumerate(times):
            locked = n < len(times) - 2
            attending = [org_names[orgs[o]] for o in (DISTRICT_ORG, *working_tonight(seed, n))]
            ids.append(
                _ensure(
                    conn,
                    briefings,
                    {"place_id": klara, "kind": "operational", "at": at},
                    {
                        "period_from": at - timedelta(days=4 if at.weekday() == 1 else 2),
                        "status": "locked" if locked else "open",
                        "notes": _NOTES[int(rng.integers(len(_NOTES)))],
                        "attendance": attending,
                        "locked_at": at + timedelta(hours=1) if locked else None,
                        "owner_org_id": orgs["polis"],
                        "sensitivity": "shared",
                        "created_at": at,
                        "updated_at": at,
                    },
                    summary,
                )
            )
    return summary, ids


def working_tonight(seed: int, n: int) -> list[str]:
    """The organisations on the roster of briefing number `n`: the police and most others."""
    sub = np.random.default_rng([seed, 202, n])
    return [org for org in _ROSTER if org == "polis" or sub.random() < 0.8]


def roster_records(seed: int, briefing_ids: list[int]) -> list[Triple]:
    """Who works at each briefing's evening, and police presence in Klara since 2019."""
    rng = np.random.default_rng([seed, 203])
    rows: list[dict[str, Any]] = []
    for n, (at, bid) in enumerate(zip(briefing_times(), briefing_ids, strict=True)):
        for org in working_tonight(seed, n):
            role, (low, high) = _ROSTER[org]
            rows.append(
                {
                    "id": f"demo-bemanning-{at:%Y%m%d}-{org}",
                    "organisation": org,
                    "role": role,
                    "headcount": int(rng.integers(low, high + 1)),
                    "starts_at": at,
                    "ends_at": at + timedelta(hours=7),
                    "place": KLARA,
                    "briefing": bid,
                    "sensitivity": "shared",
                }
            )
    first_briefing = datetime.combine(FIRST_BRIEFING, time(0), TZ)
    day = date(YEARS[0], 1, 1)
    while day <= PRESENCE_END:
        start = datetime.combine(day, time(18, 0), TZ)
        briefing_day = day.weekday() in (1, 3)
        if day.weekday() in (1, 3, 4, 5) and not (briefing_day and start >= first_briefing):
            rows.append(
                {
                    "id": f"demo-polisnarvaro-{day:%Y%m%d}",
                    "organisation": "polis",
                    "role": "Yttre tjänst, Fokusområde Klara",
                    "headcount": max(1, int(rng.poisson(_PRESENCE_MEAN[day.year]))),
                    "starts_at": start,
                    "ends_at": start + timedelta(hours=8),
                    "place": KLARA,
                    "sensitivity": "shared",
                }
            )
        day += timedelta(days=1)
    return [(i, rec, None) for i, rec in enumerate(rows, start=1)]


def load_follow_up(store: Store, briefing_ids: list[int]) -> list[WriteSummary]:
    """Action items, decisions, goals and users."""
    items, decided = WriteSummary("action_items"), WriteSummary("decisions")
    goal_sum, user_sum = WriteSummary("goals"), WriteSummary("users")
    times = briefing_times()
    baseline = _goal_baseline(store)
    with store.write() as conn:
        orgs, _ = _organisations(conn)
        place_ids = _ids(conn, places, "name")
        for n, text, org, days in _ACTIONS:
            at, due = times[n], times[n].date() + timedelta(days=days)
            done = due < LAST_BRIEFING - timedelta(days=10)
            status = "cancelled" if n == 11 else ("done" if done else "open")
            _ensure(
                conn,
                action_items,
                {"briefing_id": briefing_ids[n], "text": text},
                {
                    "responsible_org_id": orgs[org],
                    "due_date": due,
                    "status": status,
                    "place_id": place_ids[KLARA],
                    "done_at": datetime.combine(due, time(12), TZ) if status == "done" else None,
                    "owner_org_id": orgs["polis"],
                    "sensitivity": "shared",
                    "created_at": at,
                    "updated_at": at,
                },
                items,
            )
        for n, text in _DECISIONS:
            _ensure(
                conn,
                decisions,
                {"briefing_id": briefing_ids[n], "text": text},
                {
                    "owner_org_id": orgs["polis"],
                    "sensitivity": "shared",
                    "created_at": times[n],
                    "updated_at": times[n],
                },
                decided,
            )
        for title, values in _goals(place_ids, baseline):
            _ensure(
                conn,
                goals,
                {"title": title},
                {
                    **values,
                    "owner_org_id": orgs[DISTRICT_ORG],
                    "sensitivity": "public",
                    "created_at": _AGREED,
                    "updated_at": _AGREED,
                },
                goal_sum,
            )
        _ensure_users(conn, orgs, user_sum)
    return [items, decided, goal_sum, user_sum]


_AGREED = datetime(2023, 1, 16, 10, 0, tzinfo=TZ)  # the collaboration agreement 2023


def _goal_baseline(store: Store) -> int:
    """The violent-crime goal's 2022 baseline as `forum.add_goal` counts it for a public goal
    (`counted_for`: public and shared records), not every generated crime: restricted ones
    would show in `goals list` and differ from the dashboard's baseline."""
    from lagesbild.domain.periods import parse_period
    from lagesbild.services import data
    from lagesbild.store.access import counted_for

    klara = data.find_place(store, SYSTEM, KLARA)
    period = parse_period("2022", store.tz, "baseline")
    who = counted_for("public", None)
    return sum(data.count_in(store, who, "crimes", klara.id, 0, period, ["violent_crime"]).values())


def _goals(place_ids: dict[str, int], baseline: int) -> Iterable[tuple[str, dict[str, Any]]]:
    yield (
        "Våldsbrotten i Klara ska minska med 20 % från 2022",
        {
            "place_id": place_ids[KLARA],
            "indicator": "crimes:violent_crime",
            "baseline_period": "2022",
            "baseline_value": float(baseline),
            "target_value": float(round(baseline * 0.8)),
            "target_change": -0.20,
            "deadline": date(2025, 12, 31),
        },
    )
    yield (
        "Klara ska inte längre vara en öppen drogscen",
        {
            "place_id": place_ids[SCENE],
            "indicator": "status",
            "baseline_period": "2023",
            "deadline": date(2026, 3, 31),
        },
    )
    yield (
        "Odenplan/Observatorielunden ska inte åter bli en öppen drogscen",
        {
            "place_id": place_ids[ODENPLAN],
            "indicator": "status",
            "baseline_period": "2023",
            "deadline": date(2025, 3, 31),
        },
    )


def _ensure_users(
    conn: Connection,
    orgs: dict[str | None, int],
    summary: WriteSummary,
    hasher: Callable[[str], str] | None = None,
) -> None:
    existing = {u.lower() for (u,) in conn.execute(select(func.lower(users.c.username)))}
    for username, display, role, org in USERS:
        summary.read += 1
        if username in existing:
            summary.duplicates += 1
            continue
        if hasher is None:
            from argon2 import PasswordHasher

            hasher = PasswordHasher().hash
        conn.execute(
            insert(users).values(
                username=username,
                display_name=display,
                role=role,
                organisation_id=orgs[org],
                password_hash=hasher(DEMO_PASSWORD),
                active=True,
                created_at=_AGREED,
            )
        )
        summary.stored += 1
