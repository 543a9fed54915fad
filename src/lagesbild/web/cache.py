"""Fast map layers: an ETag per (layer, query, what the caller may see, data version), and a
small in-process cache of the serialised answer. The data version (row count, largest id,
latest change) is read from the store whenever the database may have changed (see
`freshness.ChangeWatch`), so every process answers the same and a cached answer is never stale;
a client that sends the ETag back gets 304 Not Modified."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Awaitable, Callable, Hashable

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from lagesbild.domain.model import SYSTEM, Viewer
from lagesbild.store.engine import Store
from lagesbild.web.lru import LRU


class ResponseCache(LRU):
    """Serialised answers: items are (body, ids of restricted records in it)."""

    def __init__(self, size: int = 64) -> None:
        super().__init__(size)

    def put(self, key: Hashable, item: tuple[bytes, list[int]]) -> None:
        """Keep the body gzip-compressed: map layers compress about tenfold, and a cached answer
        is then sent as it is to every client that accepts gzip."""
        body, restricted_ids = item
        super().put(key, (gzip.compress(body, compresslevel=5), restricted_ids))


def _version_columns(table) -> list:
    cols = [
        select(func.count()).select_from(table).scalar_subquery(),
        select(func.max(table.c.id)).scalar_subquery(),
    ]
    if "updated_at" in table.c:
        cols.append(select(func.max(table.c.updated_at)).scalar_subquery())
    return cols


def store_version(store: Store, tables: tuple[str, ...]) -> str:
    """The data versions (row count, largest id, latest change) of several tables, in one
    statement."""
    from lagesbild.store.schema import metadata

    cols = [c for name in tables for c in _version_columns(metadata.tables[name])]
    with store.read() as conn:
        return "/".join(str(v) for v in conn.execute(select(*cols)).one())


async def request_version(request, tables: tuple[str, ...]) -> str:
    """`store_version` for a request: read again only when the database may have changed
    (the latest change is a scan of each table, the dearest part of a cached answer)."""
    from lagesbild.web.freshness import remembered

    store = request.app.state.store
    return await remembered(request, ("version", tables), lambda: store_version(store, tables))


def audience(viewer: Viewer) -> str:
    """Who sees the same records: the access rule depends only on this."""
    if viewer == SYSTEM:
        return "system"
    return "public" if viewer.is_public else f"org:{viewer.organisation_id}"


def cache_key(layer: str, query: list[tuple[str, str]], viewer: Viewer, version: str) -> str:
    raw = f"{layer}|{audience(viewer)}|{sorted(query)}|{version}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


async def cached_answer(
    request,
    viewer: Viewer,
    tables: tuple[str, ...],
    results: ResponseCache,
    compute: Callable[[], bytes | tuple[bytes, list[int]]],
    media_type: str = "application/json",
    cheap: bool = False,
    on_reuse: Callable[[list[int]], Awaitable[None]] | None = None,
    vary: str = "",
):
    """An answer computed once per (URL, audience, data version of `tables`): the
    same request from the same kind of caller on unchanged data is served from memory, and a
    client that sends the ETag back gets 304. `compute` returns the serialised body, or the
    body and the ids of the restricted records in it; it runs in the thread pool unless it is
    `cheap` (a millisecond or so, no store access). `on_reuse(ids)` runs for every answer this
    request did not compute itself (a 304 included): listings audit it. `vary` is whatever
    else the answer depends on that the URL does not say (such as today's date)."""
    from starlette.responses import Response

    version = await request_version(request, tables)
    # the base URL (scheme, Host, root path) is part of the key: answers hold absolute links
    # built from it, and one request's Host must never show up in another client's answer
    where = f"{request.base_url}{request.url.path.lstrip('/')}|{vary}"
    key = cache_key(where, list(request.query_params.multi_items()), viewer, version)
    headers = {"ETag": f'"{key}"', "Cache-Control": "private, no-cache"}
    item = results.get(key)
    if request.headers.get("if-none-match") == headers["ETag"] and item:
        if on_reuse:
            await on_reuse(item[1])
        return Response(status_code=304, headers=headers)
    computed = []

    def run() -> tuple[bytes, list[int]]:
        out = compute()
        computed.append(True)
        return out if isinstance(out, tuple) else (out, [])

    if item is None and cheap:
        item = results.get_or_compute(key, run)
    elif item is None:
        item = await run_in_threadpool(results.get_or_compute, key, run)
    if on_reuse and not computed:
        await on_reuse(item[1])
    return await respond(request, item[0], media_type, headers)


async def respond(request, body_gz: bytes, media_type: str, headers: dict[str, str]):
    """Send a cached (gzip) body: as it is when the client accepts gzip, else decompressed (in
    the thread pool: a map layer is megabytes)."""
    from starlette.responses import Response

    headers = {**headers, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(
            body_gz, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"}
        )
    body = await run_in_threadpool(gzip.decompress, body_gz)
    return Response(body, media_type=media_type, headers=headers)
