"""The demo scenario of the seed report (Klara/Sergels torg, Odenplan, Norra innerstaden).

`lagesbild demo` calls `lagesbild.demo.scenario.load_demo`; the demo users' password is
``demo`` (see `lagesbild.demo.scenario`).
"""
