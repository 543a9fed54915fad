"""Property-based tests of the API from its own OpenAPI document (schemathesis): generated
requests to every operation, as a signed-in coordinator, against the real server on a
throwaway store. No request may give a 5xx, and every response must match the document."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from shapely.geometry import box

from lagesbild.accounts import add_user, create_token
from lagesbild.devtools.loadtest import Server
from lagesbild.ingest.writer import write_records
from lagesbild.store.lifecycle import init_store

TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.sqlite'}"
    store = init_store(url)
    write_records(
        store,
        "places",
        [
            (
                1,
                {"name": "Klara", "kind": "scene", "round": 2023, "status": "listed"},
                box(18.05, 59.32, 18.08, 59.34),
            )
        ],
    )
    write_records(
        store,
        "crimes",
        [
            (
                i,
                {
                    "id": str(i),
                    "occurred_at": "2023-05-01 21:00",
                    "category": "theft",
                    "lat": 59.33,
                    "lon": 18.06,
                },
                None,
            )
            for i in range(20)
        ],
    )
    user = add_user(store, "fuzzer", "fuzzer-password", "coordinator", "Stadsdelsförvaltningen")
    TOKEN["value"] = create_token(store, user, "fuzz")[1]
    store.dispose()
    server = Server(url)
    server.start()
    yield schemathesis.openapi.from_url(f"{server.base}/api/v1/openapi.json")
    server.stop()


CASES = {"run": 0}


def test_no_5xx_and_responses_match_the_schema(api_schema):
    # schemathesis's own pytest plugin does not run under pytest 9, so each operation's
    # strategy is driven by Hypothesis directly.
    headers = {"Authorization": f"Bearer {TOKEN['value']}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 60
    for op in operations:

        @given(case=op.as_strategy())
        @settings(
            max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def check(case):
            CASES["run"] += 1
            case.call_and_validate(
                headers=headers,
                checks=[not_a_server_error, content_type_conformance, response_schema_conformance],
            )

        check()
    print(f"fuzz cases run: {CASES['run']} over {len(operations)} operations")
