"""The policy brief (``parkabm report``): the question, every target's P(met), charts, effects and caveats in one file.

:func:`~parkabm.experiments.report.build.build_report` runs the scenarios and writes a self-contained HTML page
(charts as inline SVG) or a PDF printed from it by a headless Chromium (:mod:`.pdf`), in English or Chinese from one
table of texts (:mod:`.text`); method, data sources and caveats are cut from the project's documents
(:mod:`.sources`).
"""
