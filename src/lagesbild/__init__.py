"""lagesbild: a shared situational picture (lägesbild) for place-based work against open drug
scenes and crime. See the README for what it does and how to run it."""

__version__ = "0.1.0"
