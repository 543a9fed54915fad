"""The one schema of a lagesbild store, for SQLite and PostgreSQL/PostGIS alike.

Every data record carries its owner organisation and a sensitivity (public / shared /
restricted); `store.access` turns those into the one visibility rule all reads go through.
Spatial tables carry their bounding box (`minx`..`maxy`, WGS84) so that SQLite can index them in
an R*Tree; on PostGIS the geometry column has a GiST index as well.

Migrations (store/migrations) build this schema; a test checks that they agree.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    literal_column,
)

from lagesbild.store.types import Geometry, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Tables whose rows have a geometry (and bbox columns, and a spatial index).
SPATIAL_TABLES = (
    "places",
    "extents",
    "crimes",
    "observations",
    "cameras",
    "guard_areas",
    "streets",
    "activation_events",
    "resident_reports",
)


def _owned() -> list[Column]:
    """Owner organisation, sensitivity and bookkeeping: on every data record."""
    return [
        Column("owner_org_id", Integer, ForeignKey("organisations.id"), nullable=False, index=True),
        Column("sensitivity", String(12), nullable=False, server_default="shared"),
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
        Column("created_by", Integer, ForeignKey("users.id"), nullable=True),
    ]


def _keyed() -> list[Column]:
    """Identity of a record from a source: its own id, else a content hash (idempotent import)."""
    return [
        Column("source_key", String(200), nullable=False, unique=True),
        Column("source_id", String(200), nullable=True),
    ]


def _spatial(nullable: bool = False) -> list[Column]:
    return [
        Column("geom", Geometry, nullable=nullable),
        Column("minx", Float, nullable=nullable),
        Column("miny", Float, nullable=nullable),
        Column("maxx", Float, nullable=nullable),
        Column("maxy", Float, nullable=nullable),
    ]


store_settings = Table(
    "store_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

organisations = Table(
    "organisations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("code", String(64), nullable=True, unique=True),
    Column("kind", String(64), nullable=True),
    Column("parent_id", Integer, ForeignKey("organisations.id"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=True),
    Column("role", String(20), nullable=False),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("password_hash", String(300), nullable=True),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
)

places = Table(
    "places",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("code", String(64), nullable=True, unique=True),
    Column("kind", String(32), nullable=False),
    Column("parent_id", Integer, ForeignKey("places.id"), nullable=True),
    *_spatial(),
    *_owned(),
)

mapping_rounds = Table(
    "mapping_rounds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("year", Integer, nullable=False, unique=True),
    Column("name", String(200), nullable=True),
)

extents = Table(
    "extents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("place_id", Integer, ForeignKey("places.id", ondelete="CASCADE"), nullable=False),
    Column("round_id", Integer, ForeignKey("mapping_rounds.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("criteria", Text, nullable=True),
    Column("assessed_at", Date, nullable=True),
    Column("assessed_by", String(200), nullable=True),
    *_spatial(),
    *_owned(),
    # the mapping round's workspace (migration 0006): why (required to delist), which
    # organisations took part (`;`-separated names), and the version the browser saved last
    Column("motivation", Text, nullable=True),
    Column("participants", Text, nullable=True),
    # Every UPDATE of an extent that does not set the version itself (an import, an API
    # PATCH) bumps it here, in one place, so a browser form opened before is refused as stale.
    # NULL (never saved in the workspace) counts as version 1.
    Column(
        "version",
        Integer,
        nullable=True,
        onupdate=func.coalesce(literal_column("version"), 1) + 1,
    ),
    UniqueConstraint("place_id", "round_id", name="uq_extents_place_round"),
)

# Every save of an extent in the round's workspace: a snapshot (geometry as GeoJSON in WGS84)
# with who, when and what changed, so that an earlier version can be viewed and restored.
extent_versions = Table(
    "extent_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("extent_id", Integer, ForeignKey("extents.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("saved_at", UTCDateTime, nullable=False),
    Column("saved_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("saved_by_name", String(100), nullable=True),
    Column("change", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("criteria", Text, nullable=True),
    Column("motivation", Text, nullable=True),
    Column("participants", Text, nullable=True),
    Column("assessed_at", Date, nullable=True),
    Column("geometry", Text, nullable=False),
    UniqueConstraint("extent_id", "version", name="uq_extent_versions_extent_version"),
)

crimes = Table(
    "crimes",
    metadata,
    Column("id", Integer, primary_key=True),
    *_keyed(),
    Column("offence_code", String(32), nullable=True),
    Column("category", String(32), nullable=False, index=True),
    Column("occurred_at", UTCDateTime, nullable=False, index=True),
    Column("reported_at", UTCDateTime, nullable=True),
    Column("place_text", String(300), nullable=True),
    # A record known only to an area (no point) refers to that place.
    Column("area_place_id", Integer, ForeignKey("places.id"), nullable=True),
    *_spatial(nullable=True),
    *_owned(),
)

observations = Table(
    "observations",
    metadata,
    Column("id", Integer, primary_key=True),
    *_keyed(),
    Column("category", String(32), nullable=False, index=True),
    Column("occurred_at", UTCDateTime, nullable=False, index=True),
    Column("count", Integer, nullable=True),
    Column("text", Text, nullable=True),
    *_spatial(),
    *_owned(),
)

measurements = Table(
    "measurements",
    metadata,
    Column("id", Integer, primary_key=True),
    *_keyed(),
    Column("place_id", Integer, ForeignKey("places.id", ondelete="CASCADE"), nullable=False),
    Column("measured_at", UTCDateTime, nullable=False),
    Column("metric", String(64), nullable=False),
    Column("group", String(64), nullable=True),
    Column("value", Float, nullable=False),
    Column("unit", String(32), nullable=True),
    Column("method", String(200), nullable=True),
    *_owned(),
)

cameras = Table(
    "cameras",
    metadata,
    Column("id", Integer, primary_key=True),
    *_keyed(),
    Column("operator", String(200), nullable=False),
    Column("bearing", Float, nullable=False),
    Column("angle", Float, nullable=False),
    Column("range_m", Float, nullable=False),
    Column("legal_basis", String(300), nullable=True),
    Column("active_from", Date, nullable=True),
    Column("active_to", Date, nullable=True),
    *_spatial(),
    *_owned(),
)

guard_areas = Table(
    "guard_areas",
    metadata,
    Column("id", Integer, primary_key=True),
    *_keyed(),
    Column("name", String(200), nullable=False),
    Column("decision", String(200), nullable=True),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    *_spatial(),
    *_owned(),
)

streets = Table(
    "streets",
    metadata,
    Column("id", Integer, primary_key=True),
    *_keyed(),
    Column("name", String(200), nullable=False),
    *_spatial(),
    *_owned(),
)

activation_events = Table(
    "activation_events",
    metadata,
    Column("id", Integer, primary_key=True),
    *_keyed(),
    Column("title", String(300), nullable=False),
    Column("kind", String(64), nullable=True),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("place_id", Integer, ForeignKey("places.id"), nullable=True),
    *_spatial(nullable=True),
    *_owned(),
)

survey_results = Table(
    "survey_results",
    metadata,
    Column("id", Integer, primary_key=True),
    *_keyed(),
    Column("survey", String(200), nullable=False),
    Column("year", Integer, nullable=False),
    Column("area", String(200), nullable=False),  # a place name, or "city"
    Column("place_id", Integer, ForeignKey("places.id"), nullable=True),
    Column("question", String(500), nullable=False),
    Column("share", Float, nullable=False),  # 0..1
    Column("n", Integer, nullable=False),
    Column("ci_low", Float, nullable=True),
    Column("ci_high", Float, nullable=True),
    *_owned(),
)

briefings = Table(
    "briefings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("place_id", Integer, ForeignKey("places.id"), nullable=True),
    Column("kind", String(16), nullable=False, server_default="operational"),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("period_from", UTCDateTime, nullable=True),
    Column("status", String(12), nullable=False, server_default="open"),
    Column("picture", JSON, nullable=True),  # the generated situational picture, kept when locked
    Column("notes", Text, nullable=True),
    Column("attendance", JSON, nullable=True),
    Column("locked_at", UTCDateTime, nullable=True),
    *_owned(),
)

roster_entries = Table(
    "roster_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    *_keyed(),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("role", String(200), nullable=True),
    Column("headcount", Integer, nullable=False),
    Column("starts_at", UTCDateTime, nullable=False, index=True),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("place_id", Integer, ForeignKey("places.id"), nullable=True),
    Column("briefing_id", Integer, ForeignKey("briefings.id"), nullable=True),
    *_owned(),
)

action_items = Table(
    "action_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("responsible_org_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("due_date", Date, nullable=True),
    Column("status", String(12), nullable=False, server_default="open"),
    Column("briefing_id", Integer, ForeignKey("briefings.id"), nullable=True),
    Column("place_id", Integer, ForeignKey("places.id"), nullable=True),
    Column("done_at", UTCDateTime, nullable=True),
    *_owned(),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("briefing_id", Integer, ForeignKey("briefings.id", ondelete="CASCADE"), nullable=False),
    Column("text", Text, nullable=False),
    *_owned(),
)

goals = Table(
    "goals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(300), nullable=False),
    Column("place_id", Integer, ForeignKey("places.id"), nullable=True),
    Column("indicator", String(64), nullable=False),  # e.g. "crimes:violent_crime", "status"
    Column("baseline_period", String(32), nullable=True),
    Column("baseline_value", Float, nullable=True),
    Column("target_value", Float, nullable=True),
    Column("target_change", Float, nullable=True),  # e.g. -0.20 for "down 20 %"
    Column("deadline", Date, nullable=True),
    Column("retired_at", UTCDateTime, nullable=True),  # no longer followed: off the dashboard
    *_owned(),
)

# Which places and extents contain each crime and observation: filled at import with a spatial
# index, so that counts per place are a join, not a point-in-polygon loop.
assignments = Table(
    "assignments",
    metadata,
    Column("layer", String(16), primary_key=True),
    Column("place_id", Integer, ForeignKey("places.id", ondelete="CASCADE"), primary_key=True),
    # 0: the place's own boundary; otherwise the id of the mapping round whose extent holds it.
    Column("round_id", Integer, primary_key=True, autoincrement=False),
    Column("record_id", Integer, primary_key=True, autoincrement=False),
    Index("ix_assignments_record", "layer", "record_id"),
)

# Added by migration 0002: append-only audit log.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("username", String(100), nullable=True),
    Column("organisation_id", Integer, nullable=True),
    Column("action", String(32), nullable=False),  # create, update, delete, export, open, ...
    Column("layer", String(32), nullable=True),
    Column("record_id", Integer, nullable=True),
    Column("detail", Text, nullable=True),
    Column("remote", String(64), nullable=True),  # where from: IP address or "cli"
)

LAYER_TABLES: dict[str, Table] = {
    "organisations": organisations,
    "places": places,
    "extents": extents,
    "crimes": crimes,
    "observations": observations,
    "measurements": measurements,
    "cameras": cameras,
    "guard_areas": guard_areas,
    "streets": streets,
    "activation_events": activation_events,
    "survey_results": survey_results,
    "roster": roster_entries,
}

# Added by migration 0003: log-in sessions, API tokens and the log-in throttle live in the
# store, so that any number of app processes serve the same users.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column(
        "user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("remote", String(64), nullable=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column(
        "user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("last_used_at", UTCDateTime, nullable=True),
)

# A counter that only changes of who may sign in move (users, organisations, sessions, API
# tokens; bumped by SQLite triggers, migration 0013): the web's remembered token and session
# look-ups stay valid while records are written (`web.freshness`). One row, id 1.
auth_version = Table(
    "auth_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("n", Integer, nullable=False),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False),
    Column("remote", String(64), nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Column("success", Boolean, nullable=False),
    Index("ix_login_attempts_user_at", "username", "at"),
)

# Added by migration 0004.
# Residents' reports (a digital safety walk): public, no log-in, held for moderation.
resident_reports = Table(
    "resident_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("category", String(32), nullable=False),  # unsafe_place, lighting, litter, drug_litter
    Column("text", Text, nullable=True),
    *_spatial(),
    Column(
        "status", String(12), nullable=False, server_default="pending"
    ),  # accepted, rejected, merged
    Column("observation_id", Integer, ForeignKey("observations.id"), nullable=True),
    Column("merged_into", Integer, ForeignKey("resident_reports.id"), nullable=True),
    Column("moderated_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("moderated_at", UTCDateTime, nullable=True),
    # issue 19: the event's time, the resident's reference and private status link, when a
    # moderator first saw it (under review), a rejection's reason, the redacted text approved
    Column("occurred_at", UTCDateTime, nullable=True),
    Column("ref", String(16), nullable=True),
    Column("token", String(64), nullable=True, index=True, unique=True),
    Column("seen_at", UTCDateTime, nullable=True),
    Column("reason", Text, nullable=True),
    Column("published_text", Text, nullable=True),
)

# A resident's photo, re-encoded without EXIF (services.photos); moderators only, never public.
resident_photos = Table(
    "resident_photos",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "report_id",
        Integer,
        ForeignKey("resident_reports.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
        unique=True,
    ),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("mime", String(32), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("kept", Boolean, nullable=True),  # approved with the photo
)

# EST: the weekly meeting's priority places for the coming week, per organisation.
priorities = Table(
    "priorities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("week_start", Date, nullable=False, index=True),
    Column("place_id", Integer, ForeignKey("places.id", ondelete="CASCADE"), nullable=False),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("briefing_id", Integer, ForeignKey("briefings.id"), nullable=True),
    Column("note", Text, nullable=True),
    # a point or small area drawn inside the place (WGS84); none: the place's outline
    Column("geom", Geometry, nullable=True),
    *_owned(),
)

# Events counted for rate limits (public forms, API), kept in the store so every app process
# counts the same.
rate_events = Table(
    "rate_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_rate_events_key_at", "key", "at"),
)

# Added by migration 0009: systematic place observation from a phone (`/observe`). A round is
# one visit (start time, weather, activities going on, a note); its counts per group are
# stored as `measurements` (metric people_observed, source key "<round key>:<group>"). Planned
# rounds say which place at which weekday and time, so the page can show which are due.
observation_rounds = Table(
    "observation_rounds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_key", String(200), nullable=False, unique=True),  # the client's key
    Column("place_id", Integer, ForeignKey("places.id", ondelete="CASCADE"), nullable=False),
    Column("started_at", UTCDateTime, nullable=False, index=True),
    Column("weather", String(32), nullable=True),
    Column("activities", String(300), nullable=True),  # codes, comma-separated
    Column("note", Text, nullable=True),
    Column("planned_id", Integer, ForeignKey("planned_rounds.id"), nullable=True),
    *_owned(),
)

planned_rounds = Table(
    "planned_rounds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("place_id", Integer, ForeignKey("places.id", ondelete="CASCADE"), nullable=False),
    Column("weekday", Integer, nullable=False),  # 0 Monday .. 6 Sunday
    Column("time", String(5), nullable=False),  # HH:MM in the store's zone
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=True),
    *_owned(),
)
