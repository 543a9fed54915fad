"""The printable briefing: one A4 page of HTML with print styles, and the same page as PDF.

PDF is made from the HTML by WeasyPrint (needs Pango: Debian's libpango-1.0-0 and
libpangoft2-1.0-0, and a font such as fonts-dejavu-core), so the browser's print view and the
PDF are one layout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from lagesbild.briefing import fmt
from lagesbild.errors import ValidationError
from lagesbild.store.engine import Store

HERE = Path(__file__).parent

LABELS: dict[str, dict[str, str]] = {
    "sv": {
        "title": "Samverkansuppställning",
        "title_weekly": "Veckomöte (EST)",
        "title_forum": "Strategiskt samverkansforum",
        "period": "Period",
        "compared": "jämfört med föregående period lika lång",
        "status": "Status",
        "open": "öppen",
        "locked": "låst",
        "counts": "Händelser per kategori",
        "crimes": "Anmälda brott",
        "observations": "Observationer i fält",
        "category": "Kategori",
        "before": "Före",
        "now": "Nu",
        "ratio": "Kvot (95 % KI)",
        "notable": "Särskilda händelser",
        "severe": "allvarlig",
        "new": "ny kategori",
        "more": "fler",
        "none": "Inga",
        "hotspots": "Brännpunkter (Gi*)",
        "hot_cells": "signifikanta heta rutor",
        "by_org": "Observationer per organisation",
        "reports": "rapporter",
        "roster": "Bemanning i kväll",
        "headcount": "antal",
        "priorities": "Veckans prioriterade platser",
        "activations": "Platsaktivering i kväll och kommande dagar",
        "actions": "Öppna åtgärder",
        "responsible": "Ansvarig",
        "due": "Klart senast",
        "overdue": "försenad",
        "minutes": "Protokoll",
        "attendance": "Närvarande",
        "decisions": "Beslut",
        "new_actions": "Nya åtgärder",
        "generated": "Genererad",
        "generated_on_view": "lägesbilden genererades när den visades (ingen sparad bild)",
        "cells": "rutor",
        "points": "punkter",
    },
    "en": {
        "title": "Operational briefing",
        "title_weekly": "Weekly meeting (EST)",
        "title_forum": "Strategic forum",
        "period": "Period",
        "compared": "compared with the previous period of equal length",
        "status": "Status",
        "open": "open",
        "locked": "locked",
        "counts": "Events by category",
        "crimes": "Reported crimes",
        "observations": "Field observations",
        "category": "Category",
        "before": "Before",
        "now": "Now",
        "ratio": "Ratio (95 % CI)",
        "notable": "Notable events",
        "severe": "high severity",
        "new": "new category",
        "more": "more",
        "none": "None",
        "hotspots": "Hot spots (Gi*)",
        "hot_cells": "significant hot cells",
        "by_org": "Observations by organisation",
        "reports": "reports",
        "roster": "Tonight's roster",
        "headcount": "people",
        "priorities": "This week's priority places",
        "activations": "Activation events tonight and the next days",
        "actions": "Open action items",
        "responsible": "Responsible",
        "due": "Due",
        "overdue": "overdue",
        "minutes": "Minutes",
        "attendance": "Present",
        "decisions": "Decisions",
        "new_actions": "New action items",
        "generated": "Generated",
        "generated_on_view": "the picture was generated when shown (none was stored)",
        "cells": "cells",
        "points": "points",
    },
}

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
    env.globals["category"] = fmt.category
    env.globals["ratio_ci"] = fmt.ratio_ci
    return env


def briefing_html(store: Store, briefing: dict[str, Any], lang: str = "sv") -> str:
    lang = fmt.check_lang(lang)
    tz = store.tz
    env = environment(HERE / "templates")
    pic = briefing["picture"]
    labels = LABELS[lang]
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
