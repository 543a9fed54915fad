"""The JSON API, versioned under /api/v1; its OpenAPI document is /api/v1/openapi.json.

Layers answer GeoJSON (RFC 7946) FeatureCollections; each layer has list, read, create, update
and delete, and what a caller gets is decided by `store.access` through the services."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import (
    APIRouter,
    Body,
    Depends,
    File,
    Form,
    Header,
    Query,
    Request,
    Response,
    UploadFile,
)
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from lagesbild import accounts
from lagesbild.domain.layers import LAYERS
from lagesbild.domain.model import WRITE_ROLES, Role
from lagesbild.domain.periods import parse_period
from lagesbild.errors import AccessDenied, LagesbildError, ValidationError
from lagesbild.i18n import reason
from lagesbild.services import records
from lagesbild.store import audit
from lagesbild.web import cache
from lagesbild.web.intake import api_lang, told
from lagesbild.web.params import Id, Offset
from lagesbild.web.security import (
    SESSION_COOKIE,
    Caller,
    identify,
    remote_of,
    require_user,
    set_session_cookie,
)
from lagesbild.web.uploads import save_upload

router = APIRouter(prefix="/api/v1")
LAYER_CACHE = cache.ResponseCache()
CallerDep = Annotated[Caller, Depends(identify)]
LayerName = Literal[tuple(LAYERS)]  # type: ignore[valid-type]


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=500)


class TokenBody(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="What the token is for")


class FeatureIn(BaseModel):
    """A record to create: canonical columns (docs/import-formats.md) in `properties`, and a
    GeoJSON geometry for layers that have one (or lat/lon in properties)."""

    type: Literal["Feature"] = "Feature"
    properties: dict[str, Any]
    geometry: dict[str, Any] | None = None


def parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    if bbox is None:
        return None
    try:
        parts = tuple(float(p) for p in bbox.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4:
        raise ValidationError("bbox", "expected minlon,minlat,maxlon,maxlat")
    return parts  # type: ignore[return-value]


def record_filter(
    request: Request,
    place: str | None,
    period: str | None,
    category: str | None,
    bbox: str | None,
    limit: int,
    offset: int,
    layer: str,
) -> records.RecordFilter:
    store = request.app.state.store
    cats = store.taxonomy.expand(layer, category) if category else None
    return records.RecordFilter(
        place=place,
        period=parse_period(period, store.tz) if period else None,
        categories=cats,
        bbox=parse_bbox(bbox),
        limit=limit,
        offset=offset,
    )


# ------------------------------------------------------------------ accounts


@router.post("/login", tags=["accounts"])
def login(body: LoginBody, request: Request, response: Response) -> dict:
    store = request.app.state.store
    user = accounts.authenticate(store, body.username, body.password, remote_of(request))
    token, csrf = accounts.start_session(store, user, remote_of(request))
    set_session_cookie(request, response, token)
    return {
        "username": user.username,
        "role": user.role.value,
        "organisation": user.organisation,
        "csrf_token": csrf,
    }


@router.post("/logout", tags=["accounts"])
def logout(request: Request, response: Response, caller: CallerDep) -> dict:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        accounts.end_session(request.app.state.store, cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"signed_out": True}


@router.get("/me", tags=["accounts"])
def me(caller: CallerDep) -> dict:
    if caller.user is None:
        return {"signed_in": False}
    u = caller.user
    return {
        "signed_in": True,
        "username": u.username,
        "role": u.role.value,
        "organisation": u.organisation,
        "csrf_token": caller.csrf,
    }


@router.get("/tokens", tags=["accounts"])
def tokens(request: Request, caller: CallerDep) -> list[dict]:
    return accounts.list_tokens(request.app.state.store, require_user(caller))


@router.post("/tokens", tags=["accounts"], status_code=201)
def create_token(body: TokenBody, request: Request, caller: CallerDep) -> dict:
    tid, token = accounts.create_token(request.app.state.store, require_user(caller), body.name)
    return {
        "id": tid,
        "name": body.name,
        "token": token,
        "note": "shown once; send it as 'Authorization: Bearer <token>'",
    }


@router.delete("/tokens/{token_id}", tags=["accounts"])
def revoke_token(token_id: Id, request: Request, caller: CallerDep) -> dict:
    accounts.revoke_token(request.app.state.store, require_user(caller), token_id)
    return {"revoked": token_id}


# ------------------------------------------------------------------ audit


@router.get("/audit", tags=["audit"])
def audit_log(
    request: Request,
    caller: CallerDep,
    user: str | None = None,
    action: str | None = None,
    layer: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> list[dict]:
    if require_user(caller).role != Role.ADMIN:
        raise AccessDenied("only administrators read the audit log")
    rows = audit.read(
        request.app.state.store, audit.AuditFilter(user, action, layer, None, None, limit, offset)
    )
    for r in rows:
        r["at"] = r["at"].isoformat()
    return rows


# ------------------------------------------------------------------ layers


@router.get("/layers", tags=["layers"])
def layers() -> list[dict]:
    return [
        {
            "name": s.name,
            "geometry": s.geometry,
            "required": list(s.required),
            "optional": list(s.optional),
        }
        for s in LAYERS.values()
    ]


async def audit_listed(
    store, caller: Caller, layer: str, restricted: list[int], remote: str | None
) -> None:
    if restricted:  # a write: in the thread pool
        await run_in_threadpool(
            records.audit_listing, store, caller.viewer, layer, restricted, remote
        )


def _layer_routes(layer: str) -> None:
    tag = [f"layer: {layer}"]

    @router.get(f"/{layer}", tags=tag, name=f"list_{layer}")
    async def list_layer(
        request: Request,
        caller: CallerDep,
        place: Annotated[str | None, Query(description="Place name, code or id")] = None,
        period: Annotated[
            str | None, Query(description="2023, 2023-05 or 2023-01-01..2023-06-30")
        ] = None,
        category: Annotated[
            str | None, Query(description="Category code or group (drug-related)")
        ] = None,
        bbox: Annotated[
            str | None, Query(description="minlon,minlat,maxlon,maxlat (WGS84)")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=10000)] = 100,
        offset: Offset = 0,
    ) -> Response:
        store = request.app.state.store
        f = record_filter(request, place, period, category, bbox, limit, offset, layer)
        remote = remote_of(request)

        def compute() -> tuple[bytes, list[int]]:
            rows, total = records.list_records(store, layer, caller.viewer, f, remote)  # audits
            links = []
            if offset + limit < total:
                nxt = request.url.include_query_params(offset=offset + limit)
                links.append({"rel": "next", "href": str(nxt), "type": "application/geo+json"})
            body = orjson.dumps(
                {
                    "type": "FeatureCollection",
                    "numberMatched": total,
                    "numberReturned": len(rows),
                    "features": [records.to_feature(r, store) for r in rows],
                    "links": links,
                },
                option=orjson.OPT_NON_STR_KEYS,  # column names are str subclasses
            )
            return body, [r["id"] for r in rows if r.get("sensitivity") == "restricted"]

        return await cache.cached_answer(
            request,
            caller.viewer,
            (records.table_of(layer).name,),
            LAYER_CACHE,
            compute,
            "application/geo+json",
            # an answer served again lists its restricted records again: that is opening them
            on_reuse=lambda restricted: audit_listed(store, caller, layer, restricted, remote),
        )

    @router.get(f"/{layer}/{{record_id}}", tags=tag, name=f"get_{layer}")
    def get_one(record_id: Id, request: Request, caller: CallerDep) -> dict:
        store = request.app.state.store
        row = records.get_record(store, layer, record_id, caller.viewer, remote_of(request))
        return records.to_feature(row, store)

    @router.post(f"/{layer}", tags=tag, name=f"create_{layer}", status_code=201)
    def create(
        request: Request,
        caller: CallerDep,
        feature: Annotated[FeatureIn, Body()],
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> Response:
        store = request.app.state.store
        require_user(caller)
        rid, created = records.create_record(
            store,
            layer,
            caller.viewer,
            feature.properties,
            feature.geometry,
            idempotency_key,
            remote_of(request),
            # the user as looked up for this request (kept fresh by the auth counter, which
            # organisations move too): no query of its own for the name
            organisation_name=caller.user.organisation,
        )
        # the answer's bytes made here: FastAPI's validation and serialisation of a returned
        # dict cost a field report ~0.4 ms of the event loop's time (issue 20)
        return Response(
            orjson.dumps({"id": rid, "created": created}),
            status_code=201 if created else 200,
            media_type="application/json",
        )

    @router.patch(f"/{layer}/{{record_id}}", tags=tag, name=f"update_{layer}")
    def patch(
        record_id: Id,
        request: Request,
        caller: CallerDep,
        changes: Annotated[dict[str, Any], Body()],
    ) -> dict:
        require_user(caller)
        records.update_record(
            request.app.state.store, layer, record_id, caller.viewer, changes, remote_of(request)
        )
        return {"id": record_id, "updated": True}

    @router.delete(f"/{layer}/{{record_id}}", tags=tag, name=f"delete_{layer}")
    def remove(record_id: Id, request: Request, caller: CallerDep) -> dict:
        require_user(caller)
        records.delete_record(
            request.app.state.store, layer, record_id, caller.viewer, remote_of(request)
        )
        return {"id": record_id, "deleted": True}


for _layer in LAYERS:
    _layer_routes(_layer)


# ------------------------------------------------------------------ imports and exports


@router.post("/imports/{layer}", tags=["imports"])
async def import_layer(
    layer: LayerName,
    request: Request,
    caller: CallerDep,
    file: Annotated[UploadFile, File(description="CSV, GeoJSON, GeoPackage or zipped shapefile")],
    crs: Annotated[str | None, Form(description="CRS of x/y columns, e.g. EPSG:3006")] = None,
    mapping: Annotated[
        str | None, Form(description="canonical=Source pairs, comma-separated")
    ] = None,
    strict: Annotated[bool, Form()] = False,
) -> dict:
    """Import a file into a layer: the same validation and report as `lagesbild import`. The
    records belong to the caller's organisation, and a row whose key meets another
    organisation's record is rejected; an administrator's import may name any owner."""
    import tempfile
    from pathlib import Path

    from lagesbild.ingest.service import ImportOptions, audit_import, import_file

    user = require_user(caller)
    if user.role not in WRITE_ROLES:
        raise AccessDenied("your role may not import files")
    pairs = dict(p.split("=", 1) for p in (mapping or "").split(",") if "=" in p)
    name = Path(file.filename or "upload").name
    with tempfile.TemporaryDirectory(prefix="lagesbild-import-") as tmp:
        path = Path(tmp) / name
        await save_upload(file, path)  # in chunks, capped: never the whole file in memory
        options = ImportOptions(
            mapping={k.strip(): v.strip() for k, v in pairs.items()},
            crs=crs,
            strict=strict,
            organisation=user.organisation,
            user_id=user.id,
            writer_org=None if user.role == Role.ADMIN else caller.viewer.organisation_id,
        )
        store = request.app.state.store
        lang = api_lang(request)
        try:
            result = await run_in_threadpool(import_file, store, layer, path, options)
        except LagesbildError as exc:  # named by the user's file, never the server's path
            raise told(exc, path, name, lang) from None
        rejected = [
            {"line": r.line, "reason": reason(r.reason, lang)}
            for r in result.summary.rejected[:1000]
        ]
    audit_import(store, caller.viewer, result, remote_of(request))
    return {
        "file": name,
        "read_as": result.source,
        **result.summary.as_dict(),
        "rejected_rows": rejected,
        "ignored_columns": list(result.ignored_columns),
    }


@router.get(
    "/exports/{layer}",
    tags=["imports"],
    response_class=FileResponse,
    responses={
        200: {
            "content": {
                "application/geo+json": {},
                "text/csv": {},
                "application/geopackage+sqlite3": {},
            }
        }
    },
)
def export(
    layer: LayerName,
    request: Request,
    caller: CallerDep,
    format: Literal["geojson", "csv", "gpkg"] = "geojson",  # noqa: A002 - the CLI's name
    place: str | None = None,
    period: str | None = None,
    category: str | None = None,
) -> FileResponse:
    """Export a layer as the CLI's `lagesbild export` does: what the caller may see, filtered;
    CSV safe to open in a spreadsheet. Every export is written to the audit log."""
    import tempfile
    from pathlib import Path

    from starlette.background import BackgroundTask

    from lagesbild.ingest.export import ExportFilter, export_layer

    require_user(caller)
    tmp = Path(tempfile.mkdtemp(prefix="lagesbild-export-"))
    out = tmp / f"{layer}.{format}"
    export_layer(
        request.app.state.store,
        layer,
        format,
        out,
        viewer=caller.viewer,
        filters=ExportFilter(place, period, category),
        remote=remote_of(request),
    )
    media = {
        "geojson": "application/geo+json",
        "csv": "text/csv; charset=utf-8",
        "gpkg": "application/geopackage+sqlite3",
    }[format]
    import shutil

    return FileResponse(
        out,
        media_type=media,
        filename=out.name,
        background=BackgroundTask(shutil.rmtree, tmp, ignore_errors=True),
    )
