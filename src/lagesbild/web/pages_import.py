"""The web import wizard (issue 20), the browser's `lagesbild import`:

1. upload (`POST /import`): the file is streamed to disk, capped (`web.uploads`), into a folder
   of its own named by a random token that only its uploader may open;
2. look and map (`GET /import/{token}`): the detected encoding, delimiter and CRS, the first
   rows, and a column mapping (a select per canonical column, pre-filled by the CLI's matching,
   the names of known sources and a saved profile) with the CRS;
3. dry run (`POST /import/{token}`, action=dry): every row checked and counted in a transaction
   that is rolled back, with the first rejected rows;
4. import (action=import): in a thread, its progress written beside the file, the page
   refreshing itself until the summary, whose rejected rows download as CSV (line, reason in
   the page's language).

A mapping can be saved as a profile of the user's organisation (`ingest.profiles`): its members
see it, other organisations do not; the store-wide profiles of `lagesbild import
--save-profile` are offered to everyone.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from lagesbild.domain.layers import LAYERS
from lagesbild.domain.model import WRITE_ROLES, Role
from lagesbild.errors import LagesbildError, NotFound
from lagesbild.i18n import Translator, reason, text
from lagesbild.ingest.intake import guess_crs, look_at, propose_mapping
from lagesbild.ingest.layers import layer_spec
from lagesbild.ingest.sources import canonical_columns
from lagesbild.web.intake import file_message, hide_path
from lagesbild.web.lang import lang_of
from lagesbild.web.pages import CallerDep, need, page, render
from lagesbild.web.security import Caller, remote_of
from lagesbild.web.uploads import max_upload_bytes, save_upload

router = APIRouter(include_in_schema=False)

UPLOADS = Path(tempfile.gettempdir()) / "lagesbild-uploads"
KEEP_SECONDS = 24 * 3600  # an upload's folder is removed a day after it was made
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SHOWN_REJECTED = 20  # rows of a dry run's or an import's rejected rows on the page
PROGRESS_EVERY = 0.5  # seconds between two writes of an import's progress


# ------------------------------------------------------------------ the upload's folder


def _folder(token: str, caller: Caller) -> tuple[Path, dict[str, Any]]:
    """The upload's folder and its facts; NotFound for an unknown token or another's upload."""
    if not TOKEN.match(token):
        raise NotFound("no such upload")
    folder = UPLOADS / token
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise NotFound("no such upload") from None
    if caller.user is None or meta["user_id"] != caller.user.id:
        raise NotFound("no such upload")
    return folder, meta


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)  # a reader sees the old or the new, never half


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _sweep() -> None:
    """Remove the folders of uploads older than a day."""
    if not UPLOADS.exists():
        return
    limit = time.time() - KEEP_SECONDS
    for old in UPLOADS.iterdir():
        try:
            if old.stat().st_mtime < limit:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue


def _options(
    caller: Caller,
    mapping: dict[str, str],
    crs: str | None,
    strict: bool,
    dry: bool,
    offence_table: Path | str | None = None,
):
    from lagesbild.ingest.service import ImportOptions

    user = caller.user
    return ImportOptions(
        mapping=mapping,
        crs=crs,
        strict=strict,
        organisation=user.organisation,
        user_id=user.id,
        writer_org=None if user.role == Role.ADMIN else caller.viewer.organisation_id,
        dry_run=dry,
        offence_table=offence_table,
    )


# ------------------------------------------------------------------ 1. upload


def _start_context(values: dict, errors: dict) -> dict:
    return {
        "step": "upload",
        "layers": list(LAYERS),
        "values": values,
        "errors": errors,
        "max_mb": f"{max_upload_bytes() / (1 << 20):g}",
    }


@router.get("/import", response_class=HTMLResponse)
@page
def import_page(request: Request, caller: CallerDep):
    need(caller, WRITE_ROLES)
    return render(request, caller, "import.html", _start_context({"layer": "crimes"}, {}))


@router.post("/import", response_class=HTMLResponse)
@page
async def import_upload(
    request: Request,
    caller: CallerDep,
    layer: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
):
    need(caller, WRITE_ROLES)
    errors: dict[str, str] = {}
    if layer not in LAYERS:
        errors["layer"] = "err.required"
    elif layer == "organisations" and caller.user.role != Role.ADMIN:
        errors["layer"] = "import.admin_only"
    if file is None or not file.filename:
        errors["file"] = "import.no_file"
    if errors:
        return render(request, caller, "import.html", _start_context({"layer": layer}, errors), 400)
    _sweep()
    name = Path(file.filename).name.replace("..", "_") or "upload.csv"
    token = secrets.token_urlsafe(18)
    folder = UPLOADS / token
    folder.mkdir(parents=True, mode=0o700)
    path = folder / name
    try:
        await save_upload(file, path)
        look = await run_in_threadpool(look_at, path, layer)
    except LagesbildError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        errors["file"] = file_message(exc, path, name, lang_of(request))
        return render(request, caller, "import.html", _start_context({"layer": layer}, errors), 400)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    meta = {
        "user_id": caller.user.id,
        "layer": layer,
        "name": name,
        "kind": look.kind,
        "columns": look.columns,
        "encoding": look.encoding,
        "delimiter": look.delimiter,
        "crs": look.crs,
        "preview": look.preview,
        "size": path.stat().st_size,
    }
    _write_json(folder / "meta.json", meta)
    return RedirectResponse(f"/import/{token}", status_code=303)


# ------------------------------------------------------------------ 2. look and map


def _mapping_context(
    request: Request,
    caller: Caller,
    token: str,
    meta: dict,
    chosen: dict[str, str],
    crs: str,
    **more: Any,
) -> dict:
    from lagesbild.ingest.profiles import list_offence_tables, list_profiles

    spec = layer_spec(meta["layer"])
    canon = canonical_columns(spec)
    return {
        "step": "map",
        "token": token,
        "meta": meta,
        "canonical": canon,
        "required": set(spec.required),
        "chosen": chosen,
        "crs": crs,
        "profiles": list_profiles(request.app.state.store, caller.viewer.organisation_id),
        "tables": list_offence_tables(request.app.state.store, _table_owner(caller)),
        "offence_choice": "",
        "delimiter_name": {",": "comma", ";": "semicolon", "\t": "tab"}.get(
            meta.get("delimiter") or "", ""
        ),
        "errors": {},
        "dry": None,
        "values": {},
        **more,
    }


@router.get("/import/{token}", response_class=HTMLResponse)
@page
def import_mapping(request: Request, caller: CallerDep, token: str, profile: str | None = None):
    need(caller, WRITE_ROLES)
    _, meta = _folder(token, caller)
    chosen = propose_mapping(meta["layer"], meta["columns"])
    crs = guess_crs(_look(meta), chosen) or ""
    errors: dict[str, str] = {}
    offence_choice = ""
    if profile:
        from lagesbild.ingest.profiles import load_profile

        try:
            saved = load_profile(request.app.state.store, profile, caller.viewer.organisation_id)
        except LagesbildError:
            errors["profile"] = "intake.no_profile"
        else:
            by_lower = {c.lower(): c for c in meta["columns"]}
            chosen.update(
                {k: by_lower[v.lower()] for k, v in saved.map.items() if v.lower() in by_lower}
            )
            crs = saved.crs or crs
            offence_choice = _profile_table_choice(profile, saved.offence_table)
    ctx = _mapping_context(request, caller, token, meta, chosen, crs, profile=profile or "")
    ctx["errors"] = errors
    ctx["offence_choice"] = offence_choice
    return render(request, caller, "import.html", ctx)


# ------------------------------------------------------------------ the offence table
# The CLI's `--offence-table`: a CSV offence_code,category on top of the default table. In the
# wizard it is uploaded (checked, then kept for the organisation under the file's name) or one
# saved before is chosen; the choice travels in the form as `saved:NAME`, or `profile:NAME` for
# a CLI profile's table (a file on the server, whose path the page never shows).


def _table_owner(caller: Caller) -> int:
    """Whose saved offence tables: the caller's organisation (0 for an admin without one)."""
    return caller.viewer.organisation_id or 0


def _profile_table_choice(profile: str, table: str | None) -> str:
    from lagesbild.ingest.profiles import SAVED_TABLE

    if not table:
        return ""
    return table if table.startswith(SAVED_TABLE) else f"profile:{profile}"


def _table_name(filename: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(filename).stem)[:50].strip("._") or "offences"
    return stem


async def _offence_table(
    request: Request, caller: Caller, form, folder: Path
) -> tuple[str, Path | str | None, str | None]:
    """(the choice for the form, the table to import with, an error message or None)."""
    from lagesbild.ingest.offences import load_table
    from lagesbild.ingest.profiles import (
        SAVED_TABLE,
        load_offence_table,
        load_profile,
        save_offence_table,
    )

    store = request.app.state.store
    owner = _table_owner(caller)
    upload = form.get("offence_table_file")
    if isinstance(upload, StarletteUpload) and upload.filename:
        name = Path(upload.filename).name
        dest = folder / "offence-table.upload"
        try:
            await save_upload(upload, dest)
            await run_in_threadpool(load_table, dest, store.taxonomy)  # as the import will
            raw = dest.read_bytes()
        except LagesbildError as exc:
            dest.unlink(missing_ok=True)
            return "", None, _table_message(exc, dest, name, lang_of(request))
        try:
            table_text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            table_text = raw.decode("cp1252", errors="replace")
        saved = _table_name(name)
        await run_in_threadpool(save_offence_table, store, saved, table_text, owner)
        choice = SAVED_TABLE + saved
    else:
        choice = str(form.get("offence_table") or "")
    if not choice:
        return "", None, None
    try:
        if choice.startswith(SAVED_TABLE):
            table_text = load_offence_table(store, choice[len(SAVED_TABLE) :], owner)
            path = folder / "offence-table.csv"
            path.write_text(table_text, encoding="utf-8")
            return choice, path, None
        if choice.startswith("profile:"):
            saved_profile = load_profile(store, choice[8:], caller.viewer.organisation_id)
            if saved_profile.offence_table:
                return choice, saved_profile.offence_table, None
    except LagesbildError:
        pass
    return "", None, text("intake2.no_table", lang_of(request))


def _table_message(exc: LagesbildError, path: Path, name: str, lang: str) -> str:
    """An unusable offence table, told with the user's file name in the page's language."""
    message = hide_path(exc.message, path, name)
    if "needs the columns offence_code and category" in message:
        found = (exc.hint or "").removeprefix("found: ")
        return text("intake2.table_columns", lang, file=name, found=found)
    m = re.fullmatch(r".*?, row (\d+): (.*)", message, re.S)
    if m:
        return text(
            "intake2.table_row", lang, file=name, row=m.group(1), error=reason(m.group(2), lang)
        )
    return file_message(exc, path, name, lang)


def _look(meta: dict):
    from lagesbild.ingest.intake import FileLook

    return FileLook(
        meta["kind"],
        meta["columns"],
        meta.get("encoding"),
        meta.get("delimiter"),
        meta.get("crs"),
        meta.get("preview") or [],
    )


@router.post("/import/{token}", response_class=HTMLResponse)
@page
async def import_run(request: Request, caller: CallerDep, token: str):
    """A dry run (action=dry) or the import (action=import) with the chosen mapping."""
    from lagesbild.ingest.profiles import (
        SAVED_TABLE,
        MappingProfile,
        list_offence_tables,
        save_profile,
    )
    from lagesbild.ingest.service import import_file

    need(caller, WRITE_ROLES)
    folder, meta = _folder(token, caller)
    form = await request.form()
    columns = set(meta["columns"])
    chosen = {
        k[4:]: str(v) for k, v in form.multi_items() if k.startswith("map.") and str(v) in columns
    }
    crs = str(form.get("crs") or "").strip()
    strict = bool(form.get("strict"))
    action = str(form.get("action") or "dry")
    save_as = str(form.get("save_as") or "").strip()
    lang = lang_of(request)
    path = folder / meta["name"]
    values = {"strict": strict, "save_as": save_as}
    ctx = _mapping_context(request, caller, token, meta, chosen, crs, values=values)
    store = request.app.state.store
    choice, table, problem = await _offence_table(request, caller, form, folder)
    ctx["offence_choice"] = choice
    ctx["tables"] = list_offence_tables(store, _table_owner(caller))
    if problem:
        ctx["errors"]["offence_table"] = problem
        return render(request, caller, "import.html", ctx, 400)
    if save_as:
        # a CLI profile's table stays that file; a saved table is named, never a server path
        kept = choice if choice.startswith(SAVED_TABLE) else (str(table) if table else None)
        try:
            save_profile(
                store,
                save_as,
                MappingProfile(meta["layer"], chosen, crs or None, kept),
                caller.viewer.organisation_id,  # the organisation's; an admin without one: all
            )
            ctx["saved"] = save_as
            ctx["profiles"] = sorted({*ctx["profiles"], save_as})
        except LagesbildError:
            ctx["errors"]["save_as"] = "intake.bad_profile_name"
            return render(request, caller, "import.html", ctx, 400)
    mapping = {k: v for k, v in chosen.items()}
    if action == "import":
        options = _options(caller, mapping, crs or None, strict, dry=False, offence_table=table)
        _start_import(store, caller, meta, path, folder, options, remote_of(request))
        return RedirectResponse(f"/import/{token}/result", status_code=303)
    options = _options(caller, mapping, crs or None, strict, dry=True, offence_table=table)
    try:
        result = await run_in_threadpool(import_file, store, meta["layer"], path, options)
    except LagesbildError as exc:
        field = "crs" if "CRS" in exc.message or "crs" in exc.message.split(":")[0] else "file"
        ctx["errors"][field] = file_message(exc, path, meta["name"], lang)
        return render(request, caller, "import.html", ctx, 400)
    rejected = sorted(result.summary.rejected, key=lambda r: r.line)
    ctx["dry"] = {
        "summary": result.summary.as_dict(),
        "rejected": [(r.line, reason(r.reason, lang)) for r in rejected[:SHOWN_REJECTED]],
        "source": result.source,
    }
    return render(request, caller, "import.html", ctx)


# ------------------------------------------------------------------ 3. import and summary


def _start_import(store, caller: Caller, meta, path, folder, options, remote) -> None:
    """The import in a thread of its own; its progress and result written beside the file
    (so any worker process serves the page that follows it)."""
    from lagesbild.ingest.service import audit_import, import_file

    total = _count_rows(path) if meta["kind"] == "csv" else None
    _write_json(folder / "progress.json", {"done": 0, "total": total, "finished": False})
    last = [0.0]

    def progress(done: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            _write_json(folder / "progress.json", {"done": done, "total": total})

    def run() -> None:
        out: dict[str, Any]
        try:
            result = import_file(store, meta["layer"], path, options, on_progress=progress)
            audit_import(store, caller.viewer, result, remote)
            out = {
                "summary": result.summary.as_dict(),
                "source": result.source,
                "ignored": list(result.ignored_columns),
                "rejected": [
                    [r.line, r.reason]
                    for r in sorted(result.summary.rejected, key=lambda r: r.line)
                ],
            }
        except LagesbildError as exc:
            out = {"error": exc.message}
        except Exception as exc:  # noqa: BLE001 - a page must say it failed, not spin forever
            out = {"error": f"the import failed ({type(exc).__name__})"}
        _write_json(folder / "result.json", out)

    threading.Thread(target=run, name=f"import-{folder.name}", daemon=True).start()


def _count_rows(path: Path) -> int:
    """Lines of the file less the header: the progress bar's end, counted in blocks."""
    n = 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            n += block.count(b"\n")
    return max(n - 1, 0)


@router.get("/import/{token}/result", response_class=HTMLResponse)
@page
def import_result(request: Request, caller: CallerDep, token: str):
    need(caller, WRITE_ROLES)
    folder, meta = _folder(token, caller)
    lang = lang_of(request)
    result = _read_json(folder / "result.json")
    ctx: dict[str, Any] = {"step": "result", "token": token, "meta": meta, "errors": {}}
    if result is None:
        ctx["step"] = "running"
        ctx["progress"] = _read_json(folder / "progress.json") or {"done": 0, "total": None}
        return render(request, caller, "import.html", ctx)
    if "error" in result:
        exc = LagesbildError(result["error"])
        ctx["errors"]["file"] = file_message(exc, folder / meta["name"], meta["name"], lang)
        return render(request, caller, "import.html", ctx)
    ctx["result"] = {
        **result,
        "shown": [(line, reason(why, lang)) for line, why in result["rejected"][:SHOWN_REJECTED]],
    }
    return render(request, caller, "import.html", ctx)


@router.get("/import/{token}/rejected.csv")
@page
def import_rejected(request: Request, caller: CallerDep, token: str) -> Response:
    """The rejected rows: line and reason in the page's language."""
    need(caller, WRITE_ROLES)
    folder, meta = _folder(token, caller)
    result = _read_json(folder / "result.json")
    if not result or not result.get("rejected"):
        raise NotFound("no rejected rows")
    lang = lang_of(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([text("import.line", lang), text("import.reason", lang)])
    for line, why in result["rejected"]:
        writer.writerow([line, _safe(reason(why, lang))])
    stem = Path(meta["name"]).stem
    return Response(
        "\ufeff" + out.getvalue(),  # a BOM: a spreadsheet reads it as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_ascii(stem)}.rejected.csv"'},
    )


def _safe(value: str) -> str:
    from lagesbild.domain.values import safe_cell

    return safe_cell(value)


def _ascii(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "import"


@router.get("/pages/messages.json")
def messages(request: Request) -> JSONResponse:
    """The scripts' messages in the reader's language."""
    return JSONResponse(Translator(lang_of(request)).js())
