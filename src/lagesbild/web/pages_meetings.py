"""The meetings' own pages, one router for `web.app`: the forum's goals (`pages_goals`), the EST
week (`pages_week`) and the live briefing for the big screen (`pages_live`)."""

from __future__ import annotations

from fastapi import APIRouter

from lagesbild.web import pages_goals, pages_live, pages_week

router = APIRouter(include_in_schema=False)
router.include_router(pages_goals.router)
router.include_router(pages_live.router)
router.include_router(pages_week.router)
