"""The follow-up report (`lagesbild report`): for a place and a period, or for a whole
municipality (the statutory *lägesbild* under lag 2023:196), in Swedish or English, as HTML
with print styles or as PDF. Every figure comes from the analysis services and is printed
through `report.numbers.Figures`, which keeps each printed number with its key, so tests can
check the document against the engine."""
