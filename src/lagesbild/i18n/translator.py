"""`Translator`: the catalogue, the formatter and the code labels bound to one language (and a
time zone), as the pages' templates use them (`t("nav.map")`, `t.num(x)`, `t.code(...)`)."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from lagesbild.domain.taxonomy import Category
from lagesbild.i18n import codes, format, rejects
from lagesbild.i18n.catalogue import DEFAULT_LANG, LANGS, has, messages, text


class Translator:
    """Messages, numbers, dates and code labels for one language; `t` in the templates."""

    def __init__(self, lang: str, tz: tzinfo | None = None) -> None:
        self.lang = lang if lang in LANGS else DEFAULT_LANG
        self.tz = tz

    def __call__(self, key: str, **values: object) -> str:
        return text(key, self.lang, **values)

    def has(self, key: str) -> bool:
        return has(key)

    # numbers and dates
    def num(self, value: float | int | None, digits: int = 0) -> str:
        return format.num(value, self.lang, digits)

    def ha(self, value: float | None, digits: int = 1) -> str:
        return format.ha(value, self.lang, digits)

    def pct(self, share: float | None, digits: int = 0) -> str:
        return format.pct(share, self.lang, digits)

    def date(self, value: date | datetime | None) -> str:
        return format.day(value, self.lang, self.tz)

    def datetime(self, value: datetime | None) -> str:
        return format.moment(value, self.lang, self.tz)

    # codes
    def code(self, vocabulary: str, value: object) -> str:
        """A code's label, e.g. `t.code("organisation_kind", "police")` -> "polis"."""
        return codes.label(vocabulary, value, self.lang)

    def scope(self, value: str) -> str:
        return codes.scope(value, self.lang)

    def reason(self, value: str) -> str:
        """A rejected import row's reason (written in English by ingest) in this language."""
        return rejects.reason(value, self.lang)

    def label(self, category: Category) -> str:
        """A taxonomy category's label in this language."""
        return category.label(self.lang)

    def js(self) -> dict[str, str]:
        """The messages the scripts need, keyed without the `js.` prefix, and the extents'
        statuses under their own keys (`status.listed`), which the maps' tooltips show."""
        out = {k[3:]: v[self.lang] for k, v in messages().items() if k.startswith("js.")}
        out.update(self.statuses())
        return out

    def statuses(self) -> dict[str, str]:
        """An extent's status code -> its label, keyed `status.CODE`."""
        return {k: v[self.lang] for k, v in messages().items() if k.startswith("status.")}
