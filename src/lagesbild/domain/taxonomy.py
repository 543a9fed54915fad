"""The category taxonomy: default codes from docs/domain.md, with Swedish and English labels.

The taxonomy is configurable per deployment (a store may add categories); these defaults are
always accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

from lagesbild.errors import ValidationError


@dataclass(frozen=True)
class Category:
    code: str
    sv: str
    en: str
    layer: str  # "crimes" or "observations"
    severity: int = 1  # 1 low .. 3 high; used to pick notable events for briefings

    def label(self, lang: str = "sv") -> str:
        return self.sv if lang == "sv" else self.en


CRIME_CATEGORIES: tuple[Category, ...] = (
    Category("drug_offence", "narkotikabrott", "drug offence", "crimes", 2),
    Category("violent_crime", "våldsbrott", "violent crime", "crimes", 3),
    Category("theft", "stöld", "theft", "crimes", 1),
    Category("vandalism", "skadegörelse", "criminal damage", "crimes", 1),
    Category("weapons_offence", "vapenbrott", "weapons offence", "crimes", 3),
    Category("public_order", "ordningsbrott", "public order offence", "crimes", 1),
    Category("other", "övrigt", "other", "crimes", 1),
)

OBSERVATION_CATEGORIES: tuple[Category, ...] = (
    Category("drug_sale", "narkotikaförsäljning", "drug dealing seen", "observations", 2),
    Category("drug_use", "narkotikabruk", "drug use seen", "observations", 2),
    Category("drug_litter", "sprutor och narkotikaskräp", "syringes, drug litter", "observations"),
    Category("violence", "våld, slagsmål", "violence, fight", "observations", 3),
    Category("threat", "hot, trakasserier", "threats, harassment", "observations", 3),
    Category("disorder", "ordningsstörning", "disorder", "observations", 1),
    Category("vulnerable_youth", "unga i riskmiljö", "young people at risk", "observations", 3),
    Category("gathering", "grupperingar", "groups gathering", "observations", 1),
    Category("litter", "nedskräpning", "litter", "observations", 1),
    Category("lighting", "trasig belysning", "broken lighting", "observations", 1),
    Category("damage", "skadegörelse", "damage", "observations", 1),
    Category("other", "övrigt", "other", "observations", 1),
)

# Groups name several codes at once; every command that takes a category accepts a group.
GROUPS: dict[str, frozenset[str]] = {
    "drug-related": frozenset({"drug_offence", "drug_sale", "drug_use", "drug_litter"}),
}

DRUG_OFFENCE = "drug_offence"


class Taxonomy:
    """The categories a store accepts for each layer."""

    def __init__(
        self, categories: tuple[Category, ...] = CRIME_CATEGORIES + OBSERVATION_CATEGORIES
    ):
        self._by_layer: dict[str, dict[str, Category]] = {}
        for cat in categories:
            self._by_layer.setdefault(cat.layer, {})[cat.code] = cat

    def codes(self, layer: str) -> list[str]:
        return list(self._by_layer.get(layer, {}))

    def get(self, layer: str, code: str) -> Category | None:
        return self._by_layer.get(layer, {}).get(code)

    def validate(self, layer: str, code: object, field: str = "category") -> str:
        """Return the canonical code, or raise naming the field and the allowed codes."""
        text = str(code or "").strip().lower()
        if text in self._by_layer.get(layer, {}):
            return text
        allowed = ", ".join(self.codes(layer))
        raise ValidationError(field, f"unknown category {code!r}; expected one of: {allowed}")

    def expand(self, layer: str, selector: str | None) -> list[str] | None:
        """A category, a group (e.g. `drug-related`) or None (all) to the list of codes."""
        if selector is None:
            return None
        sel = selector.strip().lower()
        if sel in GROUPS:
            return sorted(c for c in GROUPS[sel] if c in self._by_layer.get(layer, {}))
        return [self.validate(layer, sel)]


DEFAULT_TAXONOMY = Taxonomy()


def with_extra(extra: list[dict]) -> Taxonomy:
    """The default taxonomy plus a deployment's own categories (stored as JSON in the store's
    settings): the default codes always stay accepted."""
    cats = list(CRIME_CATEGORIES + OBSERVATION_CATEGORIES)
    known = {(c.layer, c.code) for c in cats}
    for e in extra:
        if (e["layer"], e["code"]) not in known:
            cats.append(
                Category(e["code"], e["sv"], e["en"], e["layer"], int(e.get("severity", 1)))
            )
    return Taxonomy(tuple(cats))
