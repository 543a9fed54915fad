"""What each analysis asks for, declared once: the fields of its query (name, type, default,
bounds, choices, help in sv and en, the CLI's option name and the API's parameter name). The
CLI (`lagesbild analyse ...`) and the API (`/api/v1/analyse/...`) generate their options and
parameters from these (`cli.analyse`, `web.api_analyse`), so they cannot drift apart; this
module knows neither framework.

Bounds and choices are the HTTP schema's: the API refuses a value outside them with a 422
before any work. Every caller, the CLI too, also meets the analyses' own checks, which say in
the domain's words what is wrong (e.g. a cell of 0 m, a bandwidth wider than 100 cells)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

REQUIRED: Any = ...  # no default: the caller must give it


@dataclass(frozen=True)
class Field:
    """One parameter of an analysis. `name` is the key the services read (a Python name);
    `flag` the CLI option (default `--name`), `alias` the API's name where it is no Python name
    (`from`). `type` is the type of one value; `repeat` n: exactly n values (the CLI repeats the
    option, the API the parameter); `pair`: two values (one CLI option followed by two values,
    the API parameter repeated). `gt`/`le`/`choices` bound the API's values."""

    name: str
    type: type = str
    default: Any = None
    help: Mapping[str, str] = field(default_factory=dict)
    flag: str | None = None
    alias: str | None = None
    gt: float | None = None
    le: float | None = None
    choices: tuple[str, ...] | None = None
    repeat: int | None = None
    pair: bool = False

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
        return self.help.get(lang, "")

    def but(self, **changes: Any) -> Field:
        """The same field with some of its declaration changed (a default, the help)."""
        return replace(self, **changes)


@dataclass(frozen=True)
class Query:
    """An analysis's query: its name (the CLI command and the API path), its fields in the
    order they are listed, and what it does in sv and en (the command's help)."""

    name: str
    fields: tuple[Field, ...]
    help: Mapping[str, str]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def complete(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The values of every field (the defaults for those not given); a name the query does
        not have is a programming error."""
        unknown = set(values) - {f.name for f in self.fields}
        if unknown:
            raise TypeError(f"{self.name} has no field {', '.join(sorted(unknown))}")
        out = {}
        for f in self.fields:
            v = values.get(f.name, None if f.required else f.default)
            if f.pair:  # the API may send one value or none: no pair then
                v = tuple(v) if v is not None and len(v) == 2 else None
            out[f.name] = v
        return out


def _h(en: str, sv: str) -> dict[str, str]:
    return {"en": en, "sv": sv}


LAYERS = ("crimes", "observations")
PLACE = Field(
    "place", default=REQUIRED, help=_h("Place name, code or id", "Platsens namn, kod eller id")
)
CATEGORY = Field(
    "category",
    help=_h(
        "Category code or group, e.g. drug-related",
        "Kategorins kod eller grupp, t.ex. drug-related",
    ),
)
LAYER = Field(
    "layer",
    default="crimes",
    choices=LAYERS,
    help=_h("crimes or observations", "crimes eller observations"),
)
FROM = Field(
    "date_from",
    flag="--from",
    alias="from",
    help=_h("First day (or month/year)", "Första dagen (eller månad/år)"),
)
TO = Field(
    "date_to",
    flag="--to",
    alias="to",
    help=_h("Last day (or month/year), included", "Sista dagen (eller månad/år), medräknad"),
)
CELL = Field(
    "cell", float, 50.0, gt=0, le=10000, help=_h("Cell size in metres", "Rutans storlek i meter")
)
SIMULATIONS = Field(
    "simulations",
    int,
    999,
    gt=98,
    le=9999,
    help=_h(
        "Simulated maps for Monte Carlo p-values (99 to 9999)",
        "Antal simulerade kartor för Monte Carlo-p-värden (99 till 9999)",
    ),
)
SEED = Field("seed", int, 0, help=_h("Seed of the simulation", "Slumpfrö för simuleringen"))
SLICE = Field(
    "slice",
    default="month",
    choices=("week", "month"),
    help=_h("month or week", "month (månad) eller week (vecka)"),
)

INDICATORS = Query(
    "indicators",
    (
        PLACE,
        Field(
            "period",
            default=REQUIRED,
            repeat=2,
            help=_h(
                "Two periods A then B: 2022, 2023-05 or 2023-01-01..2023-06-30",
                "Två perioder, A sedan B: 2022, 2023-05 eller 2023-01-01..2023-06-30",
            ),
        ),
        CATEGORY,
        LAYER,
    ),
    _h(
        "Counts, area, count per hectare and the rate ratio B/A with its 95 % interval and "
        "p-value, for the place, its extents and the city.",
        "Antal, yta, antal per hektar och kvoten B/A med 95 % konfidensintervall och p-värde, "
        "för platsen, dess utbredningar och staden.",
    ),
)

HOTSPOTS = Query(
    "hotspots",
    (
        FROM.but(default=REQUIRED),
        TO.but(default=REQUIRED),
        PLACE.but(
            default=None,
            help=_h(
                "Place whose box the grid covers",
                "Platsen vars omslutande rektangel rutnätet täcker",
            ),
        ),
        LAYER,
        CATEGORY,
        CELL,
        Field(
            "method",
            default="gistar",
            choices=("gistar", "kde"),
            help=_h("gistar or kde", "gistar eller kde"),
        ),
        Field(
            "distance",
            float,
            gt=0,
            help=_h(
                "Gi* band in metres (default: the 8 neighbours)",
                "Gi*-avstånd i meter (standard: de 8 grannrutorna)",
            ),
        ),
        Field(
            "bandwidth",
            float,
            gt=0,
            help=_h(
                "KDE bandwidth in metres (default 3 cells)",
                "Bandbredd för KDE i meter (standard 3 rutor)",
            ),
        ),
        Field(
            "inference",
            default="auto",
            choices=("auto", "normal", "montecarlo"),
            help=_h(
                "Gi* p-values: normal, montecarlo (simulated maps, max-T adjusted) or auto "
                "(montecarlo on sparse counts)",
                "Gi*-p-värden: normal, montecarlo (simulerade kartor, max-T-justerade) eller "
                "auto (montecarlo vid glesa antal)",
            ),
        ),
        SIMULATIONS,
        SEED,
        Field(
            "weights",
            default="band",
            choices=("band", "knn", "decay"),
            help=_h(
                "Gi* neighbourhood: band (within the distance), knn (8 nearest cells) or "
                "decay (bisquare within the distance)",
                "Gi*-grannskap: band (inom avståndet), knn (8 närmaste rutor) eller decay "
                "(bikvadratisk vikt inom avståndet)",
            ),
        ),
    ),
    _h(
        "Hot spots on a grid: Getis-Ord Gi* (z, p, BH q, hot/cold class) or quartic kernel "
        "density.",
        "Brännpunkter i ett rutnät: Getis-Ord Gi* (z, p, BH q, varm/kall klass) eller "
        "kärntäthet (kvartisk kärna).",
    ),
)

LISA = Query(
    "lisa",
    (
        PLACE.but(
            help=_h(
                "Place whose box the grid covers",
                "Platsen vars omslutande rektangel rutnätet täcker",
            )
        ),
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
            help=_h(
                "Conditional permutations for the p-values (99 to 9999)",
                "Antal villkorade permutationer för p-värdena (99 till 9999)",
            ),
        ),
        SEED,
    ),
    _h(
        "Clusters and outliers on a grid: local Moran's I per cell (i, z, p, BH q and the "
        "quadrant HH, LH, LL or HL), zero cells included.",
        "Kluster och avvikare i ett rutnät: lokalt Morans I per ruta (i, z, p, BH q och "
        "kvadranten HH, LH, LL eller HL), tomma rutor medräknade.",
    ),
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
            help=_h(
                "Near in space: at most this many metres apart",
                "Nära i rummet: högst så många meter från varandra",
            ),
        ),
        Field(
            "days",
            int,
            REQUIRED,
            gt=-1,
            le=365,
            help=_h(
                "Near in time: at most this many days apart (0: the same day)",
                "Nära i tiden: högst så många dagar från varandra (0: samma dag)",
            ),
        ),
        CATEGORY,
        SIMULATIONS,
        SEED,
    ),
    _h(
        "Near repeats: the Knox test (pairs close in space and time against chance) with the "
        "table by distance and time bands.",
        "Närliggande upprepningar: Knox-test (par nära i rum och tid mot slumpen) med "
        "tabellen per avstånds- och tidsintervall.",
    ),
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
            help=_h(
                "Largest Ripley distance in metres (default a quarter of the place's shorter side)",
                "Största Ripley-avstånd i meter (standard en fjärdedel av platsens kortare sida)",
            ),
        ),
        Field(
            "simulations",
            int,
            99,
            gt=18,
            le=9999,
            help=_h(
                "Random patterns for the envelope and the test (19 to 9999)",
                "Antal slumpmönster för intervallet och testet (19 till 9999)",
            ),
        ),
        SEED,
    ),
    _h(
        "Point pattern in the place: nearest-neighbour index (Clark-Evans) and Ripley's K and "
        "L with a random-pattern envelope, the place as the window.",
        "Punktmönster i platsen: närmaste-granne-index (Clark-Evans) och Ripleys K och L med "
        "intervall från slumpmönster, med platsen som fönster.",
    ),
)

PAI = Query(
    "pai",
    (
        PLACE,
        Field(
            "train",
            default=REQUIRED,
            help=_h(
                "Training period: 2022, 2023-05 or 2023-01-01..2023-06-30",
                "Träningsperiod: 2022, 2023-05 eller 2023-01-01..2023-06-30",
            ),
        ),
        Field(
            "test",
            default=REQUIRED,
            help=_h(
                "Test period, after the training period",
                "Testperiod, efter träningsperioden",
            ),
        ),
        CATEGORY,
        CELL,
    ),
    _h(
        "Predictive accuracy of a hot-spot map made on the training period: PAI and PEI of "
        "the top 1-20 % of cells by density and of the Gi* hot cells, on the test period.",
        "Träffsäkerhet för en brännpunktskarta från träningsperioden: PAI och PEI för de "
        "översta 1-20 % av rutorna efter täthet och för Gi*-brännpunkterna, på testperioden.",
    ),
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
    ),
    _h(
        "Emerging hot spots: Gi* per time slice and a Mann-Kendall trend per cell.",
        "Framväxande brännpunkter: Gi* per tidsintervall och en Mann-Kendall-trend per ruta.",
    ),
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
            help=_h(
                "Two mapping rounds, e.g. --compare 2022 2023",
                "Två kartläggningsomgångar, t.ex. --compare 2022 2023",
            ),
        ),
        Field("seed", int, 0, help=_h("Seed of the bootstrap", "Slumpfrö för bootstrap")),
    ),
    _h(
        "A proposed scene boundary with its area (bootstrap interval), or the comparison of "
        "two stored extents: area gained, lost, kept and the centroid shift.",
        "En föreslagen gräns för scenen med dess yta (bootstrapintervall), eller jämförelsen "
        "av två sparade utbredningar: tillkommen, förlorad och kvarvarande yta och "
        "mittpunktens förflyttning.",
    ),
)

COVERAGE = Query(
    "coverage",
    (
        PLACE,
        Field(
            "round",
            help=_h(
                "Use the place's extent of this round",
                "Använd platsens utbredning i denna kartläggningsomgång",
            ),
        ),
        Field(
            "date",
            help=_h(
                "Cameras and guard areas valid on this day (default today)",
                "Kameror och förordnandeområden som gäller denna dag (standard i dag)",
            ),
        ),
    ),
    _h(
        "Camera and guard coverage of the area and the street length; uncovered streets.",
        "Kamerornas och ordningsvakternas täckning av ytan och gatulängden; gator utan täckning.",
    ),
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
            help=_h("Buffer ring width in metres", "Buffertringens bredd i meter"),
        ),
        Field(
            "control",
            default=REQUIRED,
            help=_h("Control area (a place)", "Kontrollområde (en plats)"),
        ),
        Field("before", default=REQUIRED, help=_h("Period before", "Perioden före")),
        Field("after", default=REQUIRED, help=_h("Period after", "Perioden efter")),
        CATEGORY,
        LAYER,
    ),
    _h(
        "Weighted displacement quotient (Bowers & Johnson 2003) with its parts.",
        "Viktad förflyttningskvot (Bowers & Johnson 2003) med dess delar.",
    ),
)

EFFECT = Query(
    "effect",
    (
        PLACE,
        Field(
            "intervention",
            default=REQUIRED,
            help=_h("Date of the intervention", "Datum för insatsen"),
        ),
        Field("control", help=_h("Comparison area", "Jämförelseområde")),
        CATEGORY,
        LAYER,
        FROM,
        TO,
        SLICE,
    ),
    _h(
        "Interrupted time series (segmented Poisson regression) and difference-in-differences.",
        "Avbruten tidsserie (segmenterad Poissonregression) och skillnad-i-skillnader.",
    ),
)

SURVEY = Query(
    "survey",
    (
        Field(
            "area",
            default=REQUIRED,
            help=_h(
                "Place name (as in the survey results)",
                "Platsens namn (som i enkätresultaten)",
            ),
        ),
        Field(
            "question",
            help=_h("The question (or a part of it)", "Frågan (eller en del av den)"),
        ),
    ),
    _h(
        "Survey shares by year with Wilson intervals, against the city average.",
        "Andelar i trygghetsmätningen per år med Wilsonintervall, mot stadens genomsnitt.",
    ),
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
