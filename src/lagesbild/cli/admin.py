"""Administration at the terminal: `lagesbild user ...` and `lagesbild audit`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from lagesbild.cli.options import DbOption, console, open_store_cli
from lagesbild.domain.model import SYSTEM

user_app = typer.Typer(help="Add, list, disable users and set passwords.", no_args_is_help=True)

PasswordOption = Annotated[
    str | None,
    typer.Option(
        help="The password (asked for, hidden, when not given).", envvar="LAGESBILD_PASSWORD"
    ),
]


def _password(value: str | None) -> str:
    return value or typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[
        str, typer.Option(help="admin, coordinator, analyst, field_reporter or viewer")
    ],
    organisation: Annotated[str, typer.Option(help="Organisation name or code.")],
    password: PasswordOption = None,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    db: DbOption = None,
) -> None:
    """Add a user with a role in an organisation."""
    from lagesbild.accounts import add_user

    store = open_store_cli(db)
    user = add_user(store, username, _password(password), role, organisation, name, actor=SYSTEM)
    console.print(f"added [bold]{user.username}[/bold] ({user.role}) in {user.organisation}")


@user_app.command("list")
def user_list(db: DbOption = None) -> None:
    """List users with role, organisation and whether they are active."""
    from lagesbild.accounts import list_users

    table = Table("user", "name", "role", "organisation", "active", title="Users")
    for u in list_users(open_store_cli(db)):
        table.add_row(
            u.username,
            u.display_name or "",
            u.role.value,
            u.organisation,
            "yes" if u.active else "no",
        )
    console.print(table)


@user_app.command("disable")
def user_disable(username: str, db: DbOption = None) -> None:
    """Disable a user (signed out at once; can be enabled again)."""
    from lagesbild.accounts import set_active

    set_active(open_store_cli(db), username, False, SYSTEM)
    console.print(f"disabled {username}")


@user_app.command("unlock")
def user_unlock(username: str, db: DbOption = None) -> None:
    """Lift a user's lock after failed log-ins (written to the audit log)."""
    from lagesbild.accounts import unlock

    removed = unlock(open_store_cli(db), username, SYSTEM)
    console.print(f"unlocked {username} ({removed} failed log-ins forgotten)")


@user_app.command("enable")
def user_enable(username: str, db: DbOption = None) -> None:
    """Enable a disabled user."""
    from lagesbild.accounts import set_active

    set_active(open_store_cli(db), username, True, SYSTEM)
    console.print(f"enabled {username}")


@user_app.command("set-password")
def user_set_password(username: str, password: PasswordOption = None, db: DbOption = None) -> None:
    """Set a user's password (ends the user's sessions)."""
    from lagesbild.accounts import set_password

    set_password(open_store_cli(db), username, _password(password), SYSTEM)
    console.print(f"password set for {username}")


def audit_command(
    db: DbOption = None,
    user: Annotated[str | None, typer.Option(help="Only this user name.")] = None,
    action: Annotated[
        str | None, typer.Option(help="Only this action (create, export, open, ...).")
    ] = None,
    layer: Annotated[str | None, typer.Option(help="Only this layer.")] = None,
    since: Annotated[datetime | None, typer.Option(help="From this time (UTC).")] = None,
    limit: Annotated[
        int, typer.Option(min=1, help="At most this many entries, newest first.")
    ] = 50,
) -> None:
    """Read the audit log: who created, changed, exported or opened restricted records."""

    from lagesbild.store.audit import AuditFilter, read

    store = open_store_cli(db)
    since_utc = since.replace(tzinfo=UTC) if since and since.tzinfo is None else since
    rows = read(store, AuditFilter(user, action, layer, since_utc, None, limit))
    table = Table("time", "user", "action", "layer", "record", "from", "detail", title="Audit log")
    for r in rows:
        local = r["at"].astimezone(store.tz).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(
            local,
            r["username"] or "",
            r["action"],
            r["layer"] or "",
            str(r["record_id"] or ""),
            r["remote"] or "",
            r["detail"] or "",
        )
    console.print(table)


def backup_command(
    out: Annotated[str, typer.Option("--out", help="The backup file to write (.zip)")],
    db: DbOption = None,
) -> None:
    """Write a consistent backup of the whole store (safe while the app runs)."""
    from lagesbild.store.backup import backup

    store = open_store_cli(db)
    with console.status("backing up...") as status:
        manifest = backup(store, out, lambda t, n: status.update(f"backed up {t}: {n} rows"))
    total = sum(t["rows"] for t in manifest["tables"].values())
    console.print(
        f"wrote {out}: {total} rows in {len(manifest['tables'])} tables "
        f"(schema revision {manifest['revision']})"
    )


def restore_command(
    file: Annotated[str, typer.Argument(help="A backup written by `lagesbild backup`")],
    db: DbOption = None,
) -> None:
    """Restore a backup into an empty, initialised store (all or nothing, checksums checked)."""
    from lagesbild.store.backup import restore

    store = open_store_cli(db)
    with console.status("restoring...") as status:
        manifest = restore(store, file, lambda t, n: status.update(f"restored {t}: {n} rows"))
    total = sum(t["rows"] for t in manifest["tables"].values())
    console.print(f"restored {total} rows from {file}; every table's count and checksum matched")


def retention_command(
    days: Annotated[int, typer.Option("--days", min=1, help="Free text older than this many days")],
    mode: Annotated[str, typer.Option("--mode", help="pseudonymise or delete")] = "pseudonymise",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count the records it would change.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Pseudonymise or delete the free text of observations and residents' reports older than
    N days, and delete residents' photos as old (GDPR). Safe to run from cron; each run writes
    an audit entry."""
    from lagesbild.services.retention import apply_retention

    n = apply_retention(open_store_cli(db), days, mode, SYSTEM, dry_run=dry_run)
    what = f"free text of {n} record(s) (observations and residents' reports)"
    if dry_run:
        console.print(f"{mode} would change the {what} older than {days} days; nothing changed")
    else:
        console.print(f"{mode}: {what} older than {days} days")


category_app = typer.Typer(
    help="The category taxonomy: list it, add a deployment's own.", no_args_is_help=True
)


@category_app.command("list")
def category_list(db: DbOption = None) -> None:
    """Every category each layer accepts, with Swedish and English labels."""
    store = open_store_cli(db)
    table = Table("layer", "code", "sv", "en", "severity / kind", title="Categories")
    for layer in ("crimes", "observations"):
        for code in store.taxonomy.codes(layer):
            c = store.taxonomy.get(layer, code)
            table.add_row(layer, c.code, c.sv, c.en, str(c.severity))
    for m in store.taxonomy.metrics():
        table.add_row("measurements", m.code, m.sv, m.en, f"{m.kind} ({m.unit_en})")
    console.print(table)


@category_app.command("add")
def category_add(
    layer: Annotated[
        str,
        typer.Argument(
            help="crimes, observations, measurements (a metric) or groups (counted by /observe)"
        ),
    ],
    code: Annotated[str, typer.Argument(help="The code, e.g. begging")],
    sv: Annotated[str, typer.Option(help="Swedish label")],
    en: Annotated[str, typer.Option(help="English label")],
    severity: Annotated[int, typer.Option(min=1, max=3, help="1 low .. 3 high")] = 1,
    kind: Annotated[
        str | None,
        typer.Option(help="A metric's kind: count_month, count_round, mean_day, metres, share"),
    ] = None,
    unit: Annotated[str | None, typer.Option(help="A metric's unit, e.g. st")] = None,
    db: DbOption = None,
) -> None:
    """Add a category of this deployment (the default codes stay accepted)."""
    import json
    import re

    from sqlalchemy import delete, insert, select

    from lagesbild.domain.taxonomy import METRIC_KINDS
    from lagesbild.errors import ValidationError
    from lagesbild.store import audit
    from lagesbild.store.schema import store_settings

    if layer not in ("crimes", "observations", "measurements", "groups"):
        raise ValidationError("layer", "expected crimes, observations, measurements or groups")
    if layer == "measurements" and kind not in METRIC_KINDS:
        raise ValidationError("kind", f"a metric needs --kind, one of: {', '.join(METRIC_KINDS)}")
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,31}", code):
        raise ValidationError("code", "use 2-32 lower-case letters, digits and _ (e.g. begging)")
    store = open_store_cli(db)
    if layer == "groups":
        known = store.taxonomy.observed_group(code) is not None
    elif layer == "measurements":
        known = code in {m.code for m in store.taxonomy.metrics()}
    else:
        known = store.taxonomy.get(layer, code) is not None
    if known:
        raise ValidationError("code", f"{code!r} already exists for {layer}")
    with store.write() as conn:
        raw = conn.execute(
            select(store_settings.c.value).where(store_settings.c.key == "taxonomy")
        ).scalar()
        extra = json.loads(raw) if raw else []
        entry = {"layer": layer, "code": code, "sv": sv, "en": en, "severity": severity}
        if layer == "measurements":
            entry.update(kind=kind, unit_sv=unit or "", unit_en=unit or "")
        extra.append(entry)
        conn.execute(delete(store_settings).where(store_settings.c.key == "taxonomy"))
        conn.execute(insert(store_settings).values(key="taxonomy", value=json.dumps(extra)))
        audit.record(conn, SYSTEM, "update", "taxonomy", None, f"added {layer} category {code}")
    console.print(f"added {layer} category [bold]{code}[/bold] ({sv} / {en})")
