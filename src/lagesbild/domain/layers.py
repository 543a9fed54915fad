"""The canonical layers (docs/formats.md): their names, the store table each is kept in, the
columns each needs and may have, and the kind of geometry it carries. This is what a layer is;
how a record of a layer is read and checked is `ingest.layers`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lagesbild.errors import ValidationError


@dataclass(frozen=True)
class Layer:
    name: str
    table: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    geometry: str | None  # "point", "polygon", "line", "point?" (optional) or None

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer("organisations", "organisations", ("name",), ("code", "kind", "parent"), None),
        Layer(
            "places",
            "places",
            ("name", "kind"),
            (
                "code",
                "parent",
                "organisation",
                "sensitivity",
                "round",
                "status",
                "assessed_at",
                "assessed_by",
                "criteria",
            ),
            "polygon",
        ),
        Layer(
            "extents",
            "extents",
            ("place", "round", "status"),
            (
                "assessed_at",
                "assessed_by",
                "criteria",
                "motivation",
                "organisation",
                "sensitivity",
            ),
            "polygon",
        ),
        Layer(
            "crimes",
            "crimes",
            ("occurred_at", "category"),
            (
                "id",
                "reported_at",
                "offence_code",
                "place_text",
                "place",
                "organisation",
                "sensitivity",
            ),
            "point?",
        ),
        Layer(
            "observations",
            "observations",
            ("occurred_at", "category"),
            ("id", "count", "text", "organisation", "sensitivity"),
            "point",
        ),
        Layer(
            "measurements",
            "measurements",
            ("place", "measured_at", "metric", "value"),
            ("id", "group", "unit", "method", "organisation", "sensitivity"),
            None,
        ),
        Layer(
            "cameras",
            "cameras",
            ("operator", "bearing", "angle", "range"),
            ("id", "legal_basis", "active_from", "active_to", "organisation", "sensitivity"),
            "point",
        ),
        Layer(
            "guard_areas",
            "guard_areas",
            ("name", "valid_from"),
            ("id", "valid_to", "decision", "organisation", "sensitivity"),
            "polygon",
        ),
        Layer("streets", "streets", ("name",), ("id", "organisation", "sensitivity"), "line"),
        Layer(
            "activation_events",
            "activation_events",
            ("title", "starts_at", "ends_at"),
            ("id", "kind", "place", "organisation", "sensitivity"),
            "point?",
        ),
        Layer(
            "survey_results",
            "survey_results",
            ("survey", "year", "area", "question", "share", "n"),
            ("id", "ci_low", "ci_high", "organisation", "sensitivity"),
            None,
        ),
        Layer(
            "roster",
            "roster_entries",
            ("organisation", "starts_at", "ends_at", "headcount"),
            ("id", "role", "place", "briefing", "sensitivity"),
            None,
        ),
    )
}


def layer_named(name: str) -> Layer:
    """The layer of a name as users write it (any case, `-` for `_`)."""
    key = name.strip().lower().replace("-", "_")
    if key not in LAYERS:
        raise ValidationError(
            "layer", f"unknown layer {name!r}; expected one of: {', '.join(LAYERS)}"
        )
    return LAYERS[key]
