"""Importing a file in the browser, with the same validation report as `lagesbild import`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse

from lagesbild.domain.layers import LAYERS
from lagesbild.domain.model import WRITE_ROLES, Role
from lagesbild.errors import LagesbildError
from lagesbild.i18n import Translator
from lagesbild.web.intake import file_message
from lagesbild.web.lang import lang_of
from lagesbild.web.pages import (
    CallerDep,
    need,
    page,
    render,
)
from lagesbild.web.security import remote_of
from lagesbild.web.uploads import save_upload

router = APIRouter(include_in_schema=False)


# ------------------------------------------------------------------ import


def _import_context(values: dict, errors: dict, result=None) -> dict:
    return {"layers": list(LAYERS), "values": values, "errors": errors, "result": result}


@router.get("/import", response_class=HTMLResponse)
@page
def import_page(request: Request, caller: CallerDep):
    need(caller, WRITE_ROLES)
    return render(request, caller, "import.html", _import_context({"layer": "crimes"}, {}))


@router.post("/import", response_class=HTMLResponse)
@page
async def import_submit(
    request: Request,
    caller: CallerDep,
    layer: Annotated[str, Form()] = "",
    crs: Annotated[str, Form()] = "",
    strict: Annotated[str | None, Form()] = None,
    file: Annotated[UploadFile | None, File()] = None,
):
    """The CLI's `lagesbild import` for one uploaded file, with the same summary and the same
    list of rejected rows; rows are owned by the importer's organisation."""
    from lagesbild.ingest.service import ImportOptions, audit_import, import_file, open_file
    from lagesbild.ingest.writer import StrictRejection

    need(caller, WRITE_ROLES)
    store = request.app.state.store
    user = caller.user
    values = {"layer": layer, "crs": crs, "strict": bool(strict)}
    errors: dict[str, str] = {}
    if layer not in LAYERS:
        errors["layer"] = "err.required"
    elif layer == "organisations" and user.role != Role.ADMIN:
        errors["layer"] = "import.admin_only"
    if file is None or not file.filename:
        errors["file"] = "import.no_file"
    if errors:
        return render(request, caller, "import.html", _import_context(values, errors), 400)
    name = Path(file.filename).name.replace("..", "_") or "upload.csv"
    with tempfile.TemporaryDirectory(prefix="lagesbild-import-") as tmp:
        path = Path(tmp) / name
        await save_upload(file, path)
        options = ImportOptions(
            crs=crs.strip() or None,
            strict=bool(strict),
            organisation=user.organisation,
            user_id=user.id,
            writer_org=None if user.role == Role.ADMIN else caller.viewer.organisation_id,
        )
        try:
            source = open_file(store, layer, path, options)
            result = import_file(store, layer, path, options, source=source)
        except StrictRejection as exc:
            errors["strict"] = "import.strict_failed"
            errors["detail"] = exc.message
            return render(request, caller, "import.html", _import_context(values, errors), 400)
        except LagesbildError as exc:
            field = getattr(exc, "field", None)
            message = file_message(exc, path, name, lang_of(request))
            errors["crs" if field and "crs" in field else "file"] = message
            return render(request, caller, "import.html", _import_context(values, errors), 400)
    audit_import(store, caller.viewer, result, remote_of(request))
    rejected = sorted(result.summary.rejected, key=lambda r: r.line)[:500]
    shown = {
        "source": result.source,
        "name": name,
        "summary": result.summary,
        "rejected": rejected,
        "ignored": list(result.ignored_columns),
        "organisation": user.organisation,
    }
    return render(request, caller, "import.html", _import_context(values, {}, shown))


@router.get("/pages/messages.json")
def messages(request: Request) -> JSONResponse:
    """The scripts' messages in the reader's language."""
    return JSONResponse(Translator(lang_of(request)).js())
