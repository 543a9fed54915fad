"""The printable briefing: one A4 page of HTML with print styles, and the same page as PDF.

PDF is made from the HTML by WeasyPrint (needs Pango: Debian's libpango-1.0-0 and
libpangoft2-1.0-0, and a font such as fonts-dejavu-core), so the browser's print view and the
PDF are one layout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from lagesbild.domain.model import SYSTEM, Viewer
from lagesbild.errors import ValidationError
from lagesbild.i18n import codes, section, text
from lagesbild.i18n import format as fmt
from lagesbild.store.engine import Store

HERE = Path(__file__).parent

MAX_NOTABLE = 14


def environment(folder: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = fmt.num
    env.filters["pct"] = fmt.pct
    env.globals["category"] = codes.category
    env.globals["code"] = codes.label
    env.globals["scope"] = codes.scope
    env.globals["ratio_ci"] = fmt.ratio_ci
    return env


def open_actions(briefing: dict[str, Any]) -> list[dict[str, Any]]:
    """The items open at the briefing and those added at it, each once (the print's "open
    action items" must not leave out the one just added)."""
    pic, minutes = briefing["picture"], briefing["minutes"]
    out: dict[Any, dict] = {}
    for a in [*(pic.get("actions") or []), *(minutes.get("new_actions") or [])]:
        if a.get("status", "open") == "open":
            out[a["id"]] = a
    return list(out.values())


def briefing_html(
    store: Store, briefing: dict[str, Any], lang: str = "sv", viewer: Viewer = SYSTEM
) -> str:
    """The print of a briefing; `viewer` names the hot spots' streets with their access."""
    from lagesbild.briefing.agenda import agenda
    from lagesbild.briefing.counts import ratio_text, too_few
    from lagesbild.briefing.picture import name_cells

    lang = fmt.check_lang(lang)
    tz = store.tz
    env = environment(HERE / "templates")
    pic = briefing["picture"]
    labels = section("print", lang)
    # a weekly meeting's or a forum's minutes are titled as such, not as an operational briefing
    t = {**labels, "title": labels.get(f"title_{briefing.get('kind')}", labels["title"])}
    return env.get_template("briefing.html").render(
        b=briefing,
        p=pic,
        m=briefing["minutes"],
        t=t,
        lang=lang,
        when=lambda v, with_time=True: fmt.when(v, tz, lang, with_time),
        clock=lambda v: fmt.clock(v, tz),
        max_notable=MAX_NOTABLE,
        today=fmt.when(briefing["at"], tz, lang, False),
        ratio=lambda r: ratio_text(r, lang),
        actions=open_actions(briefing),
        hot={
            layer: name_cells(
                store,
                viewer,
                [
                    dict(c)
                    for c in (pic["hotspots"].get(layer) or {}).get("cells") or []
                    if c.get("count")
                ],
            )
            for layer in ("crimes", "observations")
        },
        plural=lambda n, one, many: labels[one] if n == 1 else labels[many],
        agenda=agenda(store, viewer, briefing),
        few=too_few,
        status_word=lambda s: text("goals.status." + str(s).replace(" ", "_"), lang),
    )


def write_pdf(html: str, path: str | Path) -> Path:
    """HTML (with its print CSS and embedded images) to PDF."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        raise ValidationError(
            "--out",
            f"PDF output needs WeasyPrint and Pango ({exc})",
            "install the package weasyprint and Debian's libpango-1.0-0 libpangoft2-1.0-0",
        ) from None
    path = Path(path)
    HTML(string=html, base_url=str(HERE)).write_pdf(path)
    return path


def write_document(html: str, out: str | Path) -> Path:
    """By extension: .html as it is, .pdf through WeasyPrint."""
    path = Path(out)
    if not path.parent.exists():
        raise ValidationError("--out", f"folder {path.parent} does not exist")
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        path.write_text(html, encoding="utf-8")
        return path
    if suffix == ".pdf":
        return write_pdf(html, path)
    raise ValidationError("--out", f"{path.name}: expected a .html or .pdf file")
