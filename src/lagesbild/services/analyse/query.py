"""What each analysis asks for, declared once: the fields of its query (name, type, default,
bounds, choices, the catalogue key of its help, the CLI's option name and the API's parameter
name). The CLI (`lagesbild analyse ...`) and the API (`/api/v1/analyse/...`) generate their
options and parameters from these (`cli.analyse`, `web.api_analyse`), so they cannot drift
apart; this module knows neither framework. The texts themselves (sv and en) are in the
catalogue, `lagesbild.i18n`, looked up when a caller asks for `text(lang)`.

Bounds and choices are declared here once and applied at every edge before any work: the API's
schema refuses a value outside them with a 422, and `Query.complete` (the path of the CLI, the
pages and `services.analyse.answer`) with a `ValidationError` naming the field and the allowed
range. The analyses keep only the checks a declaration cannot state (a grid of too many cells,
a bandwidth wider than 100 cells)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from lagesbild import i18n
from lagesbild.errors import ValidationError

REQUIRED: Any = ...  # no default: the caller must give it


@dataclass(frozen=True)
class Field:
    """One parameter of an analysis. `name` is the key the services read (a Python name);
    `flag` the CLI option (default `--name`), `alias` the API's name where it is no Python name
    (`from`). `type` is the type of one value; `repeat` n: exactly n values (the CLI repeats the
    option, the API the parameter); `pair`: two values (one CLI option followed by two values,
    the API parameter repeated). `gt`/`le`/`choices` bound its values (`check`), `unit` names
    what a number counts ("m": metres) in the messages. `help` is the key of its text in the
    catalogue (`i18n/messages/analyse.json`)."""

    name: str
    type: type = str
    default: Any = None
    help: str = ""
    flag: str | None = None
    alias: str | None = None
    gt: float | None = None
    le: float | None = None
    choices: tuple[str, ...] | None = None
    repeat: int | None = None
    pair: bool = False
    unit: str | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def option(self) -> str:
        return self.flag or f"--{self.name}"

    @property
    def api_name(self) -> str:
        return self.alias or self.name

    def text(self, lang: str = "en") -> str:
        return i18n.text(self.help, lang) if self.help else ""

    def check(self, value: Any) -> None:
        """Refuse a value outside the declared choices or bounds, naming the field and what it
        may be (the same words the API's callers and the CLI's read)."""
        if value is None:
            return
        if self.choices and value not in self.choices:
            *head, last = self.choices
            raise ValidationError(
                self.api_name, f"expected {', '.join(head)} or {last}; got {value}"
            )
        if self.type is int and self.gt is not None and self.le is not None:
            lo = int(self.gt) + 1  # an integer above gt
            if not lo <= value <= self.le:
                raise ValidationError(self.api_name, f"expected {lo} to {self.le:g}; got {value}")
            return
        unit = f" {self.unit}" if self.unit else ""
        # `not >`: NaN is below every bound
        if self.gt is not None and not value > self.gt:
            what = "a positive number" if self.gt == 0 else f"more than {self.gt:g}{unit}"
            words = " of metres" if self.gt == 0 and self.unit == "m" else ""
            raise ValidationError(self.api_name, f"must be {what}{words}; got {value:g}")
        if self.le is not None and not value <= self.le:
            raise ValidationError(self.api_name, f"at most {self.le:g}{unit}; got {value:g}")

    def but(self, **changes: Any) -> Field:
        """The same field with some of its declaration changed (a default, the help)."""
        return replace(self, **changes)


@dataclass(frozen=True)
class Query:
    """An analysis's query: its name (the CLI command and the API path), its fields in the
    order they are listed, and the catalogue key of what it does (the command's help)."""

    name: str
    fields: tuple[Field, ...]
    help: str

    def text(self, lang: str = "en") -> str:
        return i18n.text(self.help, lang)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def complete(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The values of every field (the defaults for those not given), each within its
        declared bounds and choices (`Field.check`); a name the query does not have is a
        programming error."""
        unknown = set(values) - {f.name for f in self.fields}
        if unknown:
            raise TypeError(f"{self.name} has no field {', '.join(sorted(unknown))}")
        out = {}
        for f in self.fields:
            v = values.get(f.name, None if f.required else f.default)
            if f.pair:  # the API may send one value or none: no pair then
                v = tuple(v) if v is not None and len(v) == 2 else None
            elif not f.repeat:
                f.check(v)
            out[f.name] = v
        return out

    def options(self, asked: Mapping[str, Any], *resolved: str) -> dict[str, Any]:
        """The completed values of the fields an analysis takes as written, by name: all but
        those it `resolved` to domain objects (by default `WHERE`: place, period, category)."""
        skip = set(resolved or WHERE)
        return {f.name: asked[f.name] for f in self.fields if f.name not in skip}

    def echo(self, asked: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
        """The request as the caller wrote it, by the API's names (`from`, not `date_from`),
        with `extra` (the store's CRS of the coordinates)."""
        return {**{f.api_name: asked[f.name] for f in self.fields}, **extra}


# the fields the analyses resolve to domain objects (a place, a period, category codes)
WHERE = ("place", "date_from", "date_to", "category")


LAYERS = ("crimes", "observations")
PLACE = Field("place", default=REQUIRED, help="analyse.field.place")
CATEGORY = Field(
    "category",
    help="analyse.field.category",
)
LAYER = Field(
    "layer",
    default="crimes",
    choices=LAYERS,
    help="analyse.field.layer",
)
FROM = Field(
    "date_from",
    flag="--from",
    alias="from",
    help="analyse.field.date_from",
)
TO = Field(
    "date_to",
    flag="--to",
    alias="to",
    help="analyse.field.date_to",
)
CELL = Field("cell", float, 50.0, gt=0, le=10000, help="analyse.field.cell", unit="m")
SIMULATIONS = Field(
    "simulations",
    int,
    999,
    gt=98,
    le=9999,
    help="analyse.field.simulations",
)
SEED = Field("seed", int, 0, help="analyse.field.seed")
INFERENCE = Field(
    "inference",
    default="auto",
    choices=("auto", "normal", "montecarlo"),
    help="analyse.field.hotspots.inference",
)
SLICE = Field(
    "slice",
    default="month",
    choices=("week", "month"),
    help="analyse.field.slice",
)

INDICATORS = Query(
    "indicators",
    (
        PLACE,
        Field(
            "period",
            default=REQUIRED,
            repeat=2,
            help="analyse.field.indicators.period",
        ),
        CATEGORY,
        LAYER,
    ),
    "analyse.query.indicators",
)

HOTSPOTS = Query(
    "hotspots",
    (
        FROM.but(default=REQUIRED),
        TO.but(default=REQUIRED),
        PLACE.but(
            default=None,
            help="analyse.field.hotspots.place",
        ),
        LAYER,
        CATEGORY,
        CELL,
        Field(
            "method",
            default="gistar",
            choices=("gistar", "kde"),
            help="analyse.field.hotspots.method",
        ),
        Field(
            "distance",
            float,
            gt=0,
            help="analyse.field.hotspots.distance",
            unit="m",
        ),
        # metres, or "cv": the analysis reads it (`hotspots.read_bandwidth`)
        Field("bandwidth", help="analyse.field.hotspots.bandwidth_or_cv"),
        INFERENCE,
        SIMULATIONS,
        SEED,
        Field(
            "weights",
            default="band",
            choices=("band", "knn", "decay"),
            help="analyse.field.hotspots.weights",
        ),
    ),
    "analyse.query.hotspots",
)

LISA = Query(
    "lisa",
    (
        PLACE.but(help="analyse.field.hotspots.place"),
        FROM.but(default=REQUIRED),
        TO.but(default=REQUIRED),
        CELL,
        LAYER,
        CATEGORY,
        Field(
            "permutations",
            int,
            999,
            gt=98,
            le=9999,
            help="analyse.field.lisa.permutations",
        ),
        SEED,
    ),
    "analyse.query.lisa",
)

NEARREPEAT = Query(
    "nearrepeat",
    (
        PLACE,
        FROM.but(default=REQUIRED),
        TO.but(default=REQUIRED),
        Field(
            "distance",
            float,
            REQUIRED,
            gt=0,
            le=5000,
            help="analyse.field.nearrepeat.distance",
            unit="m",
        ),
        Field(
            "days",
            int,
            REQUIRED,
            gt=-1,
            le=365,
            help="analyse.field.nearrepeat.days",
        ),
        LAYER,
        CATEGORY,
        SIMULATIONS,
        SEED,
    ),
    "analyse.query.nearrepeat",
)

PATTERN = Query(
    "pattern",
    (
        PLACE,
        FROM.but(default=REQUIRED),
        TO.but(default=REQUIRED),
        LAYER,
        CATEGORY,
        Field(
            "distance",
            float,
            gt=0,
            le=50000,
            help="analyse.field.pattern.distance",
            unit="m",
        ),
        Field(
            "simulations",
            int,
            99,
            gt=18,
            le=9999,
            help="analyse.field.pattern.simulations",
        ),
        SEED,
    ),
    "analyse.query.pattern",
)

PAI = Query(
    "pai",
    (
        PLACE,
        Field(
            "train",
            default=REQUIRED,
            help="analyse.field.pai.train",
        ),
        Field(
            "test",
            default=REQUIRED,
            help="analyse.field.pai.test",
        ),
        CATEGORY,
        CELL,
    ),
    "analyse.query.pai",
)

EMERGING = Query(
    "emerging",
    (
        FROM.but(default=REQUIRED),
        TO.but(default=REQUIRED),
        PLACE.but(default=None),
        LAYER,
        CATEGORY,
        CELL.but(default=100.0),
        SLICE,
        INFERENCE,
        # a cube holds slices x cells bins: fewer maps than a map's 999 keep it to seconds
        SIMULATIONS.but(default=199),
        SEED,
    ),
    "analyse.query.emerging",
)

EXTENT = Query(
    "extent",
    (
        PLACE,
        FROM,
        TO,
        CATEGORY.but(default="drug-related"),
        Field(
            "compare",
            pair=True,
            help="analyse.field.extent.compare",
        ),
        Field("seed", int, 0, help="analyse.field.extent.seed"),
    ),
    "analyse.query.extent",
)

COVERAGE = Query(
    "coverage",
    (
        PLACE,
        Field(
            "round",
            help="analyse.field.coverage.round",
        ),
        Field(
            "date",
            help="analyse.field.coverage.date",
        ),
    ),
    "analyse.query.coverage",
)

DISPLACEMENT = Query(
    "displacement",
    (
        PLACE,
        Field(
            "buffer",
            float,
            REQUIRED,
            gt=0,
            le=5000,
            help="analyse.field.displacement.buffer",
            unit="m",
        ),
        Field(
            "control",
            default=REQUIRED,
            help="analyse.field.displacement.control",
        ),
        Field("before", default=REQUIRED, help="analyse.field.displacement.before"),
        Field("after", default=REQUIRED, help="analyse.field.displacement.after"),
        CATEGORY,
        LAYER,
    ),
    "analyse.query.displacement",
)

EFFECT = Query(
    "effect",
    (
        PLACE,
        Field(
            "intervention",
            default=REQUIRED,
            help="analyse.field.effect.intervention",
        ),
        Field("control", help="analyse.field.effect.control"),
        CATEGORY,
        # place measurements too: a metric (and a group) instead of a category
        LAYER.but(choices=(*LAYERS, "measurements"), help="measure.field.effect.layer"),
        FROM,
        TO,
        SLICE,
        Field("metric", help="measure.field.effect.metric"),
        Field("group", help="measure.field.effect.group"),
    ),
    "analyse.query.effect",
)

SURVEY = Query(
    "survey",
    (
        Field(
            "area",
            default=REQUIRED,
            help="analyse.field.survey.area",
        ),
        Field(
            "question",
            help="analyse.field.survey.question",
        ),
        Field(
            "design_effect",
            float,
            gt=0,
            le=100,
            flag="--design-effect",
            help="analyse.field.survey.design_effect",
        ),
    ),
    "analyse.query.survey",
)

QUERIES: dict[str, Query] = {
    q.name: q
    for q in (
        INDICATORS,
        HOTSPOTS,
        LISA,
        NEARREPEAT,
        PATTERN,
        PAI,
        EMERGING,
        EXTENT,
        COVERAGE,
        DISPLACEMENT,
        EFFECT,
        SURVEY,
    )
}

# a help key missing from the catalogue would show as the key itself: refuse it at import
_MISSING = [
    k
    for q in QUERIES.values()
    for k in (q.help, *(f.help for f in q.fields))
    if k and not i18n.has(k)
]
if _MISSING:
    raise LookupError(f"analyse help keys missing from the catalogue: {', '.join(_MISSING)}")
