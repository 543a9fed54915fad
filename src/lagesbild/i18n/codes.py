"""Labels for the codes a person can see: place kinds, extent statuses, sensitivity, roles,
organisation kinds, activation kinds, audit actions, layer names, briefing and action-item
statuses, trends, goal statuses, coverage and indicator scopes. Categories take their labels
from the taxonomy (`domain.taxonomy`, which a store may extend), not from the catalogue.

A code with no label is shown as it is: organisation and activation kinds are free text on
import, so an unknown one is the user's own word.
"""

from __future__ import annotations

import re

from lagesbild.domain.taxonomy import DEFAULT_TAXONOMY, Taxonomy
from lagesbild.i18n.catalogue import DEFAULT_LANG, has, text

# vocabulary -> the catalogue prefix of its codes
PREFIX: dict[str, str] = {
    "place_kind": "kind",
    "extent_status": "status",
    "criterion": "criterion",
    "sensitivity": "sens",
    "role": "role",
    "organisation_kind": "orgkind",
    "activation_kind": "activation",
    "audit_action": "audit.action",
    "layer": "layername",
    "briefing_kind": "briefing.kind",
    "briefing_status": "briefing.status",
    "action_status": "briefing.action_status",
    "moderation_status": "mod.status",
    "trend": "trend",
    "goal_status": "goal",
    "coverage": "cover",
}


def label(vocabulary: str, code: object, lang: str = DEFAULT_LANG) -> str:
    """The label of `code` in `vocabulary` (a key of PREFIX); the code itself when unknown,
    "" for None."""
    if code is None or code == "":
        return ""
    key = f"{PREFIX[vocabulary]}.{code}"
    return text(key, lang) if has(key) else str(code)


def labels(vocabulary: str, codes, lang: str = DEFAULT_LANG) -> dict[str, str]:
    """code -> label for several codes (e.g. a form's choices)."""
    return {c: label(vocabulary, c, lang) for c in codes}


def category(
    layer: str, code: str, lang: str = DEFAULT_LANG, taxonomy: Taxonomy | None = None
) -> str:
    """A category's label from the taxonomy (the store's, else the default)."""
    cat = (taxonomy or DEFAULT_TAXONOMY).get(layer, code)
    return cat.label(lang) if cat else code


_EACH_ROUND = re.compile(r"extent of each period's round \((\d+) vs (\d+)\)")


def scope(value: str, lang: str = DEFAULT_LANG) -> str:
    """An indicator row's scope for a reader. `services.analyse.indicators` gives a `Scope`
    (a str label such as "extent 2022" that carries `kind`, `name` and `rounds`): labelled from
    those fields; a plain label (e.g. read back from JSON) is read as written."""
    kind = getattr(value, "kind", None)
    if kind == "place":
        return text("scope.place", lang, name=value.name)
    if kind == "city":
        return text("scope.city", lang, name=value.name)
    if kind == "rounds":
        return text("scope.each_round", lang, a=value.rounds[0], b=value.rounds[-1])
    if kind == "extent":
        return text("scope.extent", lang, year=value.rounds[0])
    if value.startswith("place: "):
        return text("scope.place", lang, name=value[7:])
    if value.startswith("city: "):
        return text("scope.city", lang, name=value[6:])
    m = _EACH_ROUND.fullmatch(value)
    if m:
        return text("scope.each_round", lang, a=m[1], b=m[2])
    if value.startswith("extent "):
        return text("scope.extent", lang, year=value[7:])
    return value
