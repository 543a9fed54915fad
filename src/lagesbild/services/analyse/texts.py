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
