"""The notes an analysis returns are the catalogue's English texts (`messages/analyse.json`),
written out here as the API and the CLI have always given them: the numbers formatted as before
(whole person-hours, hectares to two decimals, a buffer without trailing zeros), and a Swedish
text with the same placeholders for the reports and pages."""

from __future__ import annotations

from datetime import date

import pytest

from lagesbild.i18n import text
from lagesbild.services.analyse import CAVEAT, ENFORCEMENT_CAVEAT

NOTES = [
    (
        "analyse.note.police_presence",
        {"hours_a": 12.5, "hours_b": 3.49},
        "Police presence: 12 person-hours in A, 3 in B.",
    ),
    (
        "analyse.note.control_overlap",
        {"control": "C", "target": "T", "buffer_m": 200.0, "overlap_ha": 1.2345, "ha": 7.891},
        "The control area C overlaps T or its 200 m buffer; the overlap (1.23 of 7.89 ha) is "
        "left out of the control, which must not contain them (Bowers & Johnson 2003).",
    ),
    (
        "analyse.note.no_camera",
        {"day": date(2024, 3, 1), "what": "Plattan"},
        "On 2024-03-01, no camera you may see has any of Plattan in its field of view.",
    ),
    (
        "analyse.note.not_listed",
        {"round": 2022, "status": "assessed"},
        "In round 2022 the status was assessed, not listed: its extent is the area assessed, "
        "not an open drug scene of that round.",
    ),
    (
        "analyse.note.no_did",
        {"control": "C", "before": 4, "after": 0},
        "No difference-in-differences: C has 4 records before and 0 after the intervention "
        "that you may see (it needs some in both); choose a larger control area or a longer "
        "period.",
    ),
]


@pytest.mark.parametrize(("key", "values", "english"), NOTES)
def test_the_notes_read_in_english_as_they_always_did(key, values, english):
    assert text(key, "en", **values) == english
    swedish = text(key, "sv", **values)
    assert swedish != english and swedish != key


def test_the_caveat_is_one_key_in_both_languages():
    assert ENFORCEMENT_CAVEAT == {"sv": text(CAVEAT, "sv"), "en": text(CAVEAT, "en")}
    assert ENFORCEMENT_CAVEAT["en"].startswith("Drug offences are mostly found by police")
    assert ENFORCEMENT_CAVEAT["sv"].startswith("Narkotikabrott upptäcks mest")
