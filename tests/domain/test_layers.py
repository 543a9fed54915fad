"""The layer vocabulary (domain.layers) agrees with the store's tables and with the builders of
ingest.layers, and names a layer the way users write it."""

from __future__ import annotations

import dataclasses

import pytest

from lagesbild.domain.layers import LAYERS, Layer, layer_named
from lagesbild.errors import ValidationError
from lagesbild.ingest.layers import layer_spec
from lagesbild.store.schema import metadata


@pytest.mark.parametrize("name", list(LAYERS))
def test_each_layer_is_kept_in_a_table_of_the_store(name):
    layer = LAYERS[name]
    table = metadata.tables[layer.table]
    # a layer with a geometry keeps it (and the box the spatial indexes use); the others have none
    assert ("geom" in table.c) == (layer.geometry is not None)
    assert ("minx" in table.c) == (layer.geometry is not None)
    assert set(layer.required).isdisjoint(layer.optional)


@pytest.mark.parametrize("name", list(LAYERS))
def test_the_builders_describe_the_same_layers(name):
    spec = layer_spec(name)
    fields = {f.name: getattr(spec, f.name) for f in dataclasses.fields(Layer)}
    assert Layer(**fields) == LAYERS[name]
    assert callable(spec.build)


def test_a_layer_is_named_as_users_write_it():
    assert layer_named(" Guard-Areas ") is LAYERS["guard_areas"]
    assert layer_named("ROSTER").table == "roster_entries"
    with pytest.raises(ValidationError, match="unknown layer 'crime'.*crimes"):
        layer_named("crime")
