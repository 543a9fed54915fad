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

# ------------------------------------------------------------------ place measurements

# How a metric is measured decides how it adds up over a month and which interval fits it:
# counts are summed (exact Poisson), the others are averaged (a t interval). The kinds' labels
# are in the catalogue (`measure.kind.*`).
METRIC_KINDS: tuple[str, ...] = ("count_month", "count_round", "mean_day", "metres", "share")
COUNT_KINDS = frozenset({"count_month", "count_round"})


@dataclass(frozen=True)
class Metric:
    """A place measurement's metric (the `measurements` layer's "category"): its kind and unit."""

    code: str
    sv: str
    en: str
    kind: str  # one of METRIC_KINDS
    unit_sv: str = ""
    unit_en: str = ""

    def label(self, lang: str = "sv") -> str:
        return self.sv if lang == "sv" else self.en

    def unit(self, lang: str = "sv") -> str:
        return self.unit_sv if lang == "sv" else self.unit_en

    @property
    def summed(self) -> bool:
        """A count per month is summed over a period; every other kind is averaged."""
        return self.kind == "count_month"

    @property
    def is_count(self) -> bool:
        return self.kind in COUNT_KINDS


METRICS: tuple[Metric, ...] = (
    Metric(
        "syringes_collected",
        "insamlade sprutor",
        "syringes collected",
        "count_month",
        "st",
        "items",
    ),
    Metric("broken_lights", "trasiga lampor", "broken lights", "count_month", "st", "items"),
    Metric("litter", "nedskräpning", "litter", "count_month", "st", "items"),
    Metric("footfall", "gångflöde", "footfall", "mean_day", "personer/dygn", "people a day"),
    Metric(
        "people_observed",
        "observerade personer",
        "people observed",
        "count_round",
        "personer",
        "people",
    ),
    Metric("graffiti", "klotter", "graffiti", "metres", "m", "m"),
    Metric(
        "share_lit",
        "andel fungerande belysning",
        "share of lights working",
        "share",
        "andel",
        "share",
    ),
)


@dataclass(frozen=True)
class ObservedGroup:
    """A group of people a systematic place observation counts (`/observe`), e.g. girls 13-18;
    a deployment adds its own with `lagesbild category add groups CODE`."""

    code: str
    sv: str
    en: str

    def label(self, lang: str = "sv") -> str:
        return self.sv if lang == "sv" else self.en


OBSERVED_GROUPS: tuple[ObservedGroup, ...] = (
    ObservedGroup("girls_13_18", "flickor 13–18", "girls 13-18"),
    ObservedGroup("boys_13_18", "pojkar 13–18", "boys 13-18"),
    ObservedGroup("children", "barn under 13", "children under 13"),
    ObservedGroup("adults", "vuxna", "adults"),
)


class Taxonomy:
    """The categories a store accepts for each layer."""

    def __init__(
        self,
        categories: tuple[Category, ...] = CRIME_CATEGORIES + OBSERVATION_CATEGORIES,
        metrics: tuple[Metric, ...] = METRICS,
        groups: tuple[ObservedGroup, ...] = OBSERVED_GROUPS,
    ):
        self._by_layer: dict[str, dict[str, Category]] = {}
        for cat in categories:
            self._by_layer.setdefault(cat.layer, {})[cat.code] = cat
        self._metrics: dict[str, Metric] = {m.code: m for m in metrics}
        self._groups: dict[str, ObservedGroup] = {g.code: g for g in groups}

    def observed_groups(self) -> list[ObservedGroup]:
        """The groups an observation round counts, in the form's order."""
        return list(self._groups.values())

    def observed_group(self, code: str | None) -> ObservedGroup | None:
        return self._groups.get(code or "")

    def metrics(self) -> list[Metric]:
        return list(self._metrics.values())

    def metric(self, code: object, field: str = "metric") -> Metric:
        """The metric of a code, or raise naming the field and the known metrics."""
        text = str(code or "").strip().lower()
        if text in self._metrics:
            return self._metrics[text]
        allowed = ", ".join(self._metrics)
        raise ValidationError(field, f"unknown metric {code!r}; expected one of: {allowed}")

    def metric_or_plain(self, code: str) -> Metric:
        """A stored metric the taxonomy does not list is shown by its code, averaged."""
        return self._metrics.get(code) or Metric(code, code, code.replace("_", " "), "mean_day")

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
    metrics = {m.code: m for m in METRICS}
    groups = {g.code: g for g in OBSERVED_GROUPS}
    for e in extra:
        if e["layer"] == "groups":  # a group the observation rounds count
            groups.setdefault(e["code"], ObservedGroup(e["code"], e["sv"], e["en"]))
        elif e["layer"] == "measurements":  # a metric: its kind and unit instead of a severity
            metrics.setdefault(
                e["code"],
                Metric(
                    e["code"],
                    e["sv"],
                    e["en"],
                    e.get("kind", "count_month"),
                    e.get("unit_sv", ""),
                    e.get("unit_en", ""),
                ),
            )
        elif (e["layer"], e["code"]) not in known:
            cats.append(
                Category(e["code"], e["sv"], e["en"], e["layer"], int(e.get("severity", 1)))
            )
    return Taxonomy(tuple(cats), tuple(metrics.values()), tuple(groups.values()))
