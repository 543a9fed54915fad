"""Locked accounts (issue 20): an administrator sees the accounts that too many failed log-ins
locked and lifts a lock from the browser, as `lagesbild user unlock` does in the terminal; the
lifting is audited under the administrator's name."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from lagesbild import accounts
from lagesbild.domain.model import Role
from lagesbild.web.pages import CallerDep, need, page, render

router = APIRouter(include_in_schema=False)


@router.get("/accounts/locked", response_class=HTMLResponse)
@page
async def locked_page(request: Request, caller: CallerDep, unlocked: str | None = None):
    need(caller, {Role.ADMIN})
    locked = await run_in_threadpool(accounts.locked_accounts, request.app.state.store)
    ctx = {"locked": locked, "unlocked": unlocked}
    return render(request, caller, "accounts_locked.html", ctx)


@router.post("/accounts/locked", response_class=HTMLResponse)
@page
async def unlock_account(
    request: Request, caller: CallerDep, username: Annotated[str, Form()] = ""
):
    need(caller, {Role.ADMIN})
    # NotFound for a name of no user: the page wrapper answers 404
    await run_in_threadpool(accounts.unlock, request.app.state.store, username, caller.viewer)
    return RedirectResponse(f"/accounts/locked?unlocked={quote(username)}", status_code=303)
