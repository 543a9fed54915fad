"""The meetings of the collaboration: the operational briefing (*samverkansuppställning*), the
EST weekly picture and priorities, and the strategic forum's goals dashboard.

- `figures`: the store queries the meetings need beyond `services.analyse` (every one passes
  `store.access.visible`); counts and rate ratios reuse the analysis engine.
- `picture`: the generated situational picture of a briefing.
- `service`: briefings as records: new, attend, decide, action items, lock.
- `est`: weekly picture, priority places, four-monthly ranking by need, feedback to reporters.
- `forum`: goals and their dashboard (trend and uncertainty).
- `render`: printable HTML and PDF.
"""
