"""Every sv/en text a person reads, and one way to write numbers and dates per language.

- `catalogue`: the messages, as data in `messages/*.json` (one file per area: `pages`,
  `codes`, `report`, `briefing`, `rejects`), loaded once. JSON rather than Python dicts so the
  texts are data a translator can edit without reading code, and rather than TOML because
  the standard library can also write JSON (tools that add or sort keys keep the format).
  `text(key, lang, **values)` is the one lookup; `section(prefix, lang)` gives a document's
  labels as a dict (``t.title`` in a template).
- `format`: numbers, counts, percentages, hectares, days and times for `sv` and `en`
  (Swedish thousands separator U+00A0, as CLDR).
- `codes`: labels for every code a person can see (place kinds, statuses, sensitivity, roles,
  organisation and activation kinds, audit actions, layer names, ...) and indicator scopes;
  categories come from the taxonomy.
- `rejects`: a rejected import row's reason in the reader's language.
- `Translator`: all of it bound to one language, as the pages use it.

To add a text: add ``"area.key": {"sv": "...", "en": "..."}`` to the right JSON file (both
languages, the same ``{placeholders}``; tests/i18n checks it) and call ``text("area.key",
lang)`` or ``t("area.key")``. A new code of a vocabulary: add ``"<prefix>.<code>"`` (see
`codes.PREFIX`).

This package sits at the bottom with `domain`: it imports only the standard library,
`lagesbild.errors` and `lagesbild.domain`. Choosing the reader's language from a request
(`?lang=`, the cookie) is the web's business (`web/lang.py`).
"""

from __future__ import annotations

from lagesbild.i18n.catalogue import DEFAULT_LANG, LANGS, has, messages, section, text
from lagesbild.i18n.codes import category, label, labels, scope
from lagesbild.i18n.format import check_lang
from lagesbild.i18n.rejects import reason
from lagesbild.i18n.translator import Translator

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "Translator",
    "category",
    "check_lang",
    "has",
    "label",
    "labels",
    "messages",
    "reason",
    "scope",
    "section",
    "text",
]
