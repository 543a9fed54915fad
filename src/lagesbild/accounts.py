"""Users, passwords, log-in sessions and API tokens.

Passwords are hashed with Argon2id (argon2-cffi). Session and API tokens are 256-bit random
strings given to the client once; the store keeps only their SHA-256, so a copy of the database
does not let anyone in. Log-in is throttled per user name and client address from the failures
recorded in the store (so every app process sees the same count).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from lagesbild.domain.model import SYSTEM, Role, Viewer, parse_enum
from lagesbild.domain.users import user_key
from lagesbild.errors import LagesbildError, NotFound, ValidationError
from lagesbild.store import audit
from lagesbild.store.engine import Store
from lagesbild.store.resolve import Resolver
from lagesbild.store.schema import api_tokens, login_attempts, organisations, users, web_sessions

HASHER = PasswordHasher()  # Argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile)


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the hasher's cost (tests use a cheaper Argon2id to keep the suite fast)."""
    global HASHER
    HASHER = hasher


SESSION_HOURS = 12
MAX_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)
# Per account, from every address together (an attacker with many addresses): after
# ACCOUNT_BACKOFF_AFTER failures each further try must wait 1, 2, 4, ... seconds after the last
# failure; at ACCOUNT_LOCK_AT the account is locked until its failures leave the window (or an
# administrator lifts the lock: `lagesbild user unlock`). The real user's own address is hit
# too: the price of not letting a botnet guess without limit.
ACCOUNT_BACKOFF_AFTER = 6
ACCOUNT_LOCK_AT = 10
WRONG = "wrong user name or password"
MIN_PASSWORD = 8


class LoginFailed(LagesbildError):
    http_status = 401


class TooManyAttempts(LagesbildError):
    http_status = 429


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str | None
    role: Role
    organisation_id: int
    organisation: str
    active: bool

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.id, self.organisation_id, self.role, self.username)


def _now() -> datetime:
    return datetime.now(UTC)


def digest(token: str) -> str:
    """How tokens and session ids are stored (and remembered): never the secret itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError("password", f"must be at least {MIN_PASSWORD} characters")
    if not password.strip():  # eight spaces passed the length check
        raise ValidationError("password", "must not be only spaces")


def _user_query():
    return select(
        users.c.id,
        users.c.username,
        users.c.display_name,
        users.c.role,
        users.c.organisation_id,
        organisations.c.name.label("organisation"),
        users.c.active,
    ).join(organisations, organisations.c.id == users.c.organisation_id)


def _to_user(row) -> User:
    return User(
        row.id,
        row.username,
        row.display_name,
        Role(row.role),
        row.organisation_id,
        row.organisation,
        bool(row.active),
    )


def add_user(
    store: Store,
    username: str,
    password: str,
    role: str,
    organisation: str,
    display_name: str | None = None,
    actor: Viewer | None = None,
) -> User:
    name = username.strip()
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise ValidationError("username", "must be 1-100 characters without spaces")
    _check_password(password)
    role_value = parse_enum(Role, role, "role").value
    with store.write() as conn:
        if _same_name(conn, name):
            raise ValidationError("username", f"{name!r} is taken")
        org_id = Resolver(conn).organisation(organisation)
        uid = conn.execute(
            insert(users).values(
                username=name,
                display_name=display_name,
                role=role_value,
                organisation_id=org_id,
                password_hash=HASHER.hash(password),
                active=True,
                created_at=_now(),
            )
        ).inserted_primary_key[0]
        if actor is not None:
            audit.record(conn, actor, "user", "users", uid, f"added {name} as {role_value}")
    return get_user(store, uid)


def get_user(store: Store, user_id: int) -> User:
    with store.read() as conn:
        row = conn.execute(_user_query().where(users.c.id == user_id)).first()
    if row is None:
        raise NotFound(f"no user with id {user_id}")
    return _to_user(row)


def _same_name(conn: Connection, username: str) -> list:
    """The users (id, username) whose name has the same `user_key` as `username`."""
    key = user_key(username)
    rows = conn.execute(select(users.c.id, users.c.username)).all()
    return [r for r in rows if user_key(r.username) == key]


def find_user(conn: Connection, username: str):
    """The user with this name (compared by `user_key`), with the password hash; None when
    there is none, or when several older accounts share the key and none is named exactly so."""
    same = _same_name(conn, username)
    pick = [r for r in same if r.username == username.strip()] or (same if len(same) == 1 else [])
    if not pick:
        return None
    return conn.execute(
        _user_query().add_columns(users.c.password_hash).where(users.c.id == pick[0].id)
    ).first()


def list_users(store: Store) -> list[User]:
    with store.read() as conn:
        return [_to_user(r) for r in conn.execute(_user_query().order_by(users.c.username))]


def set_active(store: Store, username: str, active: bool, actor: Viewer) -> None:
    with store.write() as conn:
        row = find_user(conn, username)
        if row is None:
            raise NotFound(f"no user {username!r}")
        conn.execute(update(users).where(users.c.id == row.id).values(active=active))
        if not active:  # a disabled user is signed out everywhere and their API tokens are
            # revoked for good: enabling the user again does not bring them back
            conn.execute(delete(web_sessions).where(web_sessions.c.user_id == row.id))
            conn.execute(
                update(api_tokens)
                .where(api_tokens.c.user_id == row.id, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=_now())
            )
        audit.record(
            conn,
            actor,
            "user",
            "users",
            row.id,
            f"{'enabled' if active else 'disabled'} {username}",
        )


def set_password(store: Store, username: str, password: str, actor: Viewer) -> None:
    _check_password(password)
    with store.write() as conn:
        row = find_user(conn, username)
        if row is None:
            raise NotFound(f"no user {username!r}")
        conn.execute(
            update(users).where(users.c.id == row.id).values(password_hash=HASHER.hash(password))
        )
        # A changed password ends every session of that user.
        conn.execute(delete(web_sessions).where(web_sessions.c.user_id == row.id))
        audit.record(conn, actor, "user", "users", row.id, f"password changed for {username}")


def authenticate(store: Store, username: str, password: str, remote: str | None = None) -> User:
    """The user, or LoginFailed / TooManyAttempts. Every attempt is recorded.

    Failures are counted per user name and client address: someone who guesses a name cannot
    lock its user out of every other address (the real user's), only themselves. Unknown and
    disabled users cost a hash check too, so the time taken does not tell which names exist."""
    key = user_key(username)  # attempts are stored and counted by the key find_user matches
    with store.write() as conn:
        since = _now() - THROTTLE_WINDOW
        same_remote = (
            login_attempts.c.remote.is_(None)
            if remote is None
            else login_attempts.c.remote == remote
        )
        failures = conn.execute(
            select(func.count())
            .select_from(login_attempts)
            .where(
                and_(
                    login_attempts.c.username == key,
                    same_remote,
                    login_attempts.c.at >= since,
                    login_attempts.c.success.is_(False),
                )
            )
        ).scalar_one()
        if failures >= MAX_FAILURES:
            raise TooManyAttempts(
                "too many failed log-ins for this user from here; try again in 15 minutes"
            )
        account_failures, last_failure = _account_failures(conn, key, since)
        if _account_waits(account_failures, last_failure):
            raise TooManyAttempts(WRONG)  # the same words as a wrong password: tells nothing
        row = find_user(conn, username)
        stored = row.password_hash if row is not None and row.password_hash else None
        verified = _verify(stored or _decoy_hash(), password)
        ok = stored is not None and bool(row.active) and verified
        conn.execute(
            insert(login_attempts).values(username=key, remote=remote, at=_now(), success=ok)
        )
        if not ok and account_failures + 1 == ACCOUNT_LOCK_AT and row is not None:
            audit.record(
                conn,
                SYSTEM,
                "lock",
                "users",
                row.id,
                f"locked {row.username} after {ACCOUNT_LOCK_AT} failed log-ins within "
                f"{int(THROTTLE_WINDOW.total_seconds() // 60)} minutes",
                remote=remote,
            )
    if not ok:
        raise LoginFailed(WRONG)
    with store.write() as conn:
        user = _to_user(row)
        audit.record(conn, user.viewer, "login", remote=remote)
        if HASHER.check_needs_rehash(row.password_hash):
            conn.execute(
                update(users)
                .where(users.c.id == row.id)
                .values(password_hash=HASHER.hash(password))
            )
    return user


def _account_failures(conn: Connection, key: str, since: datetime) -> tuple[int, datetime | None]:
    """Failed log-ins of the account from any address in the window, since its last success
    (or an administrator's unlock): how many, and when the last one was."""
    last_ok = conn.execute(
        select(func.max(login_attempts.c.at)).where(
            login_attempts.c.username == key, login_attempts.c.success.is_(True)
        )
    ).scalar()
    start = max(since, _aware(last_ok)) if last_ok is not None else since
    n, last = conn.execute(
        select(func.count(), func.max(login_attempts.c.at)).where(
            login_attempts.c.username == key,
            login_attempts.c.success.is_(False),
            login_attempts.c.at > start,
        )
    ).one()
    return n, _aware(last) if last is not None else None


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _account_waits(failures: int, last: datetime | None) -> bool:
    """Locked, or still in the back-off after the last failure."""
    if failures >= ACCOUNT_LOCK_AT:
        return True
    if failures < ACCOUNT_BACKOFF_AFTER or last is None:
        return False
    return _now() - last < timedelta(seconds=2 ** (failures - ACCOUNT_BACKOFF_AFTER))


def account_locked(store: Store, username: str) -> bool:
    with store.read() as conn:
        n, _last = _account_failures(conn, user_key(username), _now() - THROTTLE_WINDOW)
    return n >= ACCOUNT_LOCK_AT


@dataclass(frozen=True)
class LockedAccount:
    username: str
    failures: int
    last_failure: datetime


def locked_accounts(store: Store) -> list[LockedAccount]:
    """The users whose account is locked now (for the administrator's page), most recent
    first. Names tried that belong to no user are left out (nobody to unlock)."""
    since = _now() - THROTTLE_WINDOW
    out: list[LockedAccount] = []
    with store.read() as conn:
        # a cheap first cut: names with enough failures in the window at all
        keys = conn.execute(
            select(login_attempts.c.username)
            .where(login_attempts.c.success.is_(False), login_attempts.c.at > since)
            .group_by(login_attempts.c.username)
            .having(func.count() >= ACCOUNT_LOCK_AT)
        ).scalars()
        for key in list(keys):
            n, last = _account_failures(conn, key, since)
            row = find_user(conn, key) if n >= ACCOUNT_LOCK_AT else None
            if row is not None and last is not None:
                out.append(LockedAccount(row.username, n, last))
    return sorted(out, key=lambda a: a.last_failure, reverse=True)


def unlock(store: Store, username: str, actor: Viewer) -> int:
    """Lift a user's lock (and every address's back-off for the name): the failed log-ins
    are removed; the lifting is written to the audit log. The number of failures removed."""
    key = user_key(username)
    with store.write() as conn:
        row = find_user(conn, username)
        if row is None:
            raise NotFound(f"no user {username!r}")
        removed = conn.execute(
            delete(login_attempts).where(
                login_attempts.c.username == key, login_attempts.c.success.is_(False)
            )
        ).rowcount
        audit.record(conn, actor, "user", "users", row.id, f"unlocked {row.username}")
    return removed


_DECOY: dict[int, str] = {}


def _decoy_hash() -> str:
    """A hash of nothing anyone knows, made by the current hasher (so checking it costs what
    checking a user's does)."""
    found = _DECOY.get(id(HASHER))
    if found is None:
        found = _DECOY[id(HASHER)] = HASHER.hash(secrets.token_urlsafe(16))
    return found


def _verify(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# ------------------------------------------------------------------ sessions


def start_session(store: Store, user: User, remote: str | None = None) -> tuple[str, str]:
    """A new session: (session token for the cookie, CSRF token for forms)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    with store.write() as conn:
        conn.execute(
            insert(web_sessions).values(
                token_hash=digest(token),
                user_id=user.id,
                csrf_token=csrf,
                created_at=_now(),
                expires_at=_now() + timedelta(hours=SESSION_HOURS),
                remote=remote,
            )
        )
    return token, csrf


def session_record(store: Store, token: str) -> tuple[User, str, datetime] | None:
    """The session's user, CSRF token and expiry, whether expired or not; None when the session
    is unknown or its user disabled. The caller checks the expiry (web.security.identify, on
    every request, since the look-up itself may be remembered)."""
    with store.read() as conn:
        row = conn.execute(
            _user_query()
            .add_columns(web_sessions.c.csrf_token, web_sessions.c.expires_at)
            .join(web_sessions, web_sessions.c.user_id == users.c.id)
            .where(web_sessions.c.token_hash == digest(token))
        ).first()
    if row is None or not row.active:
        return None
    return _to_user(row), row.csrf_token, row.expires_at


def end_session(store: Store, token: str) -> None:
    with store.write() as conn:
        conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == digest(token)))


# ------------------------------------------------------------------ API tokens


def create_token(store: Store, user: User, name: str) -> tuple[int, str]:
    """A new API token; the clear text is returned once and never stored."""
    if not name.strip():
        raise ValidationError("name", "give the token a name (what it is for)")
    token = "lb_" + secrets.token_urlsafe(32)
    with store.write() as conn:
        tid = conn.execute(
            insert(api_tokens).values(
                token_hash=digest(token),
                user_id=user.id,
                name=name.strip()[:200],
                created_at=_now(),
            )
        ).inserted_primary_key[0]
        audit.record(conn, user.viewer, "token", "api_tokens", tid, f"created token {name!r}")
    return tid, token


def token_user(store: Store, token: str) -> User | None:
    with store.read() as conn:
        row = conn.execute(
            _user_query()
            .add_columns(api_tokens.c.id.label("token_id"))
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == digest(token), api_tokens.c.revoked_at.is_(None))
        ).first()
    if row is None or not row.active:
        return None
    return _to_user(row)


def list_tokens(store: Store, user: User) -> list[dict]:
    with store.read() as conn:
        return [
            dict(r)
            for r in conn.execute(
                select(
                    api_tokens.c.id,
                    api_tokens.c.name,
                    api_tokens.c.created_at,
                    api_tokens.c.revoked_at,
                )
                .where(api_tokens.c.user_id == user.id)
                .order_by(api_tokens.c.id)
            ).mappings()
        ]


def revoke_token(store: Store, user: User, token_id: int) -> None:
    with store.write() as conn:
        done = conn.execute(
            update(api_tokens)
            .where(
                api_tokens.c.id == token_id,
                api_tokens.c.user_id == user.id,
                api_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=_now())
        ).rowcount
        if not done:
            raise NotFound(f"no active token {token_id} of yours")
        audit.record(conn, user.viewer, "token", "api_tokens", token_id, "revoked")
