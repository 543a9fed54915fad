"""The vocabulary of lagesbild: kinds, statuses, roles and sensitivity levels.

Records themselves live as rows in the store; these enums and small value objects are what every
layer agrees on. Codes are the canonical ones of `docs/formats.md`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from lagesbild.errors import ValidationError


class PlaceKind(StrEnum):
    SCENE = "scene"
    PRIORITY_PLACE = "priority_place"
    COMPARISON_AREA = "comparison_area"
    DISTRICT = "district"
    CITY = "city"


class ExtentStatus(StrEnum):
    LISTED = "listed"
    DELISTED = "delisted"
    WATCH = "watch"


class Criterion(StrEnum):
    """The mapping round's default checklist (docs: "The mapping round's criteria"); an
    extent keeps the ones its assessors judged met, stored as `;`-separated codes."""

    OPEN_SELLING = "open_selling"
    OPEN_USE = "open_use"
    RECURRING = "recurring"
    STABLE_PLACE = "stable_place"
    VISIBLE = "visible"
    INSECURITY = "insecurity"


def parse_criteria(value: object, field: str = "criteria") -> list[str]:
    """`;`-separated criterion codes (or a list of them) -> the known codes, in checklist
    order; an unknown code is refused naming the field and the codes expected."""
    if value is None:
        return []
    parts = value if isinstance(value, (list, tuple)) else str(value).split(";")
    codes = [str(p).strip() for p in parts if str(p).strip()]
    known = [c.value for c in Criterion]
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValidationError(
            field, f"unknown criterion {unknown[0]!r}; expected codes from {', '.join(known)}"
        )
    return [c for c in known if c in codes]


class Sensitivity(StrEnum):
    """Who may see a record: everyone, every signed-in organisation, or the owner only."""

    PUBLIC = "public"
    SHARED = "shared"
    RESTRICTED = "restricted"


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    ANALYST = "analyst"
    FIELD_REPORTER = "field_reporter"
    VIEWER = "viewer"


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class BriefingKind(StrEnum):
    OPERATIONAL = "operational"  # samverkansuppställning, twice a week in the field
    WEEKLY = "weekly"  # EST weekly picture and priorities
    FORUM = "forum"  # strategic forum, monthly


class BriefingStatus(StrEnum):
    OPEN = "open"
    LOCKED = "locked"


def parse_enum(enum: type[StrEnum], value: object, field: str) -> StrEnum:
    """Read an enum value case-insensitively, or raise a ValidationError naming the field."""
    from lagesbild.errors import ValidationError

    text = str(value or "").strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return enum(text)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise ValidationError(field, f"{value!r} is not one of: {allowed}") from None


@dataclass(frozen=True)
class Viewer:
    """Who is asking: the one input of every access decision (see `store.access`).

    `organisation_id` None with role None is the anonymous public.
    """

    user_id: int | None
    organisation_id: int | None
    role: Role | None
    username: str | None = field(default=None, compare=False)

    @property
    def is_public(self) -> bool:
        return self.role is None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


PUBLIC_VIEWER = Viewer(None, None, None)
# The terminal operator: someone with access to the store itself (the CLI) sees everything.
SYSTEM = Viewer(None, None, Role.ADMIN, "cli")
# What every signed-in partner sees (public and shared records, no organisation's restricted
# ones): the audience of what is made once for all of them, such as a briefing's picture, a
# goal's figures and the public counts. Compared by identity (`is`), never by value.
SHARED_AUDIENCE = Viewer(None, None, Role.VIEWER, "partners")

# What each role may do beyond reading what the access rule lets it see.
WRITE_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR, Role.ANALYST})
REPORT_ROLES = WRITE_ROLES | {Role.FIELD_REPORTER}
DELETE_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR})
