import pytest

from lagesbild.domain.model import ExtentStatus, PlaceKind, Sensitivity, parse_enum
from lagesbild.domain.taxonomy import DEFAULT_TAXONOMY
from lagesbild.errors import ValidationError

CRIME_CODES = [
    "drug_offence",
    "violent_crime",
    "theft",
    "vandalism",
    "weapons_offence",
    "public_order",
    "other",
]
OBS_CODES = [
    "drug_sale",
    "drug_use",
    "drug_litter",
    "violence",
    "threat",
    "disorder",
    "vulnerable_youth",
    "gathering",
    "litter",
    "lighting",
    "damage",
    "other",
]


def test_default_codes_of_domain_md_are_all_accepted():
    # The list is written out here from docs/domain.md, not read from the code under test.
    assert DEFAULT_TAXONOMY.codes("crimes") == CRIME_CODES
    assert DEFAULT_TAXONOMY.codes("observations") == OBS_CODES
    for code in CRIME_CODES:
        assert DEFAULT_TAXONOMY.validate("crimes", code.upper()) == code


def test_unknown_category_names_the_field_and_the_allowed_codes():
    with pytest.raises(ValidationError) as exc:
        DEFAULT_TAXONOMY.validate("crimes", "burglary")
    assert exc.value.field == "category" and "drug_offence" in str(exc.value)


def test_drug_related_group_per_layer():
    assert DEFAULT_TAXONOMY.expand("crimes", "drug-related") == ["drug_offence"]
    assert DEFAULT_TAXONOMY.expand("observations", "drug-related") == [
        "drug_litter",
        "drug_sale",
        "drug_use",
    ]
    assert DEFAULT_TAXONOMY.expand("crimes", None) is None


def test_labels_in_both_languages():
    cat = DEFAULT_TAXONOMY.get("crimes", "violent_crime")
    assert cat.label("sv") == "våldsbrott" and cat.label("en") == "violent crime"


def test_enums_parse_case_insensitively_and_name_the_field():
    assert parse_enum(PlaceKind, "Priority place", "kind") == PlaceKind.PRIORITY_PLACE
    assert parse_enum(ExtentStatus, "LISTED", "status") == ExtentStatus.LISTED
    with pytest.raises(ValidationError, match="sensitivity.*public, shared, restricted"):
        parse_enum(Sensitivity, "secret", "sensitivity")
