"""Experiments with the model.

Projections of a scenario (:mod:`parkabm.experiments.projection`), charts (:mod:`parkabm.experiments.charts`) and
the ``parkabm`` command line (:mod:`parkabm.experiments.cli`).
"""
