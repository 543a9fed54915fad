"""The sv/en texts of the analyses, in one place so that they move to `lagesbild.i18n` in one go.
The notes an analysis returns are English (the API's and the CLI's language); reports translate
the caveat below."""

from __future__ import annotations

ENFORCEMENT_CAVEAT = {
    "sv": "Narkotikabrott upptäcks mest genom polisens egen aktivitet: färre anmälningar kan "
    "betyda mindre polisiärt fokus, inte mindre brottslighet.",
    "en": "Drug offences are mostly found by police activity: fewer reports can mean less police "
    "focus, not less crime.",
}

NO_POLICE_PRESENCE = (
    "No police presence is recorded for one or both periods, so a change in "
    "drug offences cannot be told apart from a change in police activity."
)


def police_presence(hours_a: float, hours_b: float) -> str:
    return f"Police presence: {hours_a:.0f} person-hours in A, {hours_b:.0f} in B."


CITY_ITSELF = "These are the city's own figures; there is no city average to compare."


def not_listed(round_: int, status: str) -> str:
    return (
        f"In round {round_} the status was {status}, not listed: its extent is the area "
        "assessed, not an open drug scene of that round."
    )


def no_camera(day: object, what: str) -> str:
    return f"On {day}, no camera you may see has any of {what} in its field of view."


def no_guard_area(day: object, what: str) -> str:
    return f"On {day}, no guard-designated area you may see overlaps {what}."


def no_street(what: str) -> str:
    return f"There is no street (of the streets layer) in {what}: no street shares."


def control_overlap(
    control: str, target: str, buffer_m: float, overlap_ha: float, ha: float
) -> str:
    return (
        f"The control area {control} overlaps {target} or its {buffer_m:g} m "
        f"buffer; the overlap ({overlap_ha:.2f} of {ha:.2f} ha) is "
        "left out of the control, which must not contain them (Bowers & Johnson 2003)."
    )


def no_did(control: str, before: int, after: int) -> str:
    return (
        f"No difference-in-differences: {control} has {before} records "
        f"before and {after} after the intervention that you may see (it "
        "needs some in both); choose a larger control area or a longer period."
    )
