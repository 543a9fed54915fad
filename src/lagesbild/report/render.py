"""The report as HTML (print styles, charts embedded) and PDF (WeasyPrint, the same HTML)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lagesbild.briefing.render import environment, write_document
from lagesbild.domain.model import SHARED_AUDIENCE, Viewer
from lagesbild.i18n import format as fmt
from lagesbild.i18n import section
from lagesbild.store.engine import Store

HERE = Path(__file__).parent


def render(store: Store, ctx: dict[str, Any], template: str, viewer: Viewer) -> str:
    lang = ctx["lang"]
    ctx["shared_only"] = viewer is SHARED_AUDIENCE  # the footer says what it counts
    env = environment(HERE / "templates")
    return env.get_template(template).render(
        r=ctx,
        f=ctx["f"],
        t=section("doc", lang),
        lang=lang,
        when=lambda v: fmt.when(v, store.tz, lang),
        generated=datetime.now(UTC).astimezone(store.tz).strftime("%Y-%m-%d %H:%M"),
    )


def place_report(
    store: Store, viewer: Viewer, place: str, date_from: str, date_to: str, lang: str = "sv"
) -> tuple[str, dict[str, Any]]:
    """The HTML of the place report and its context (with `f.values`, every printed figure)."""
    from lagesbild.report import place as build

    ctx = build.build(store, viewer, place, date_from, date_to, lang)
    return render(store, ctx, "place.html", viewer), ctx


def municipality_report(
    store: Store, viewer: Viewer, area: str, date_from: str, date_to: str, lang: str = "sv"
) -> tuple[str, dict[str, Any]]:
    from lagesbild.report import municipality as build

    ctx = build.build(store, viewer, area, date_from, date_to, lang)
    return render(store, ctx, "municipality.html", viewer), ctx


def write(html: str, out: str | Path) -> Path:
    return write_document(html, out)
