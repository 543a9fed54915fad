"""User-facing errors. Anything a user can cause is raised as a `LagesbildError` subclass and
shown by the CLI and the web app as one clear line, never as a traceback."""

from __future__ import annotations


class LagesbildError(Exception):
    """A problem the user can fix. `hint` says what to do about it."""

    http_status = 400

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class StoreError(LagesbildError):
    """The store cannot be opened, reached or used (wrong URL, server down, wrong version)."""

    http_status = 503


class GeometryError(LagesbildError):
    """A geometry that is invalid and cannot be repaired, or lies outside the store's region."""

    http_status = 422


class ValidationError(LagesbildError):
    """A value of a field is not what was expected."""

    http_status = 422

    def __init__(self, field: str, message: str, hint: str | None = None) -> None:
        super().__init__(f"{field}: {message}", hint)
        self.field = field


class NotFound(LagesbildError):
    http_status = 404


class AccessDenied(LagesbildError):
    http_status = 403
