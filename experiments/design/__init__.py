"""Experiment design: experiment specs (YAML), their factors, the design kinds and the factor problem they sample.

Modules, each importing only those listed before it: :mod:`~parkabm.experiments.design.problem` (the SALib problem),
:mod:`~parkabm.experiments.design.factors` (what a design varies), :mod:`~parkabm.experiments.design.sensitivity`
(SALib samplers), :mod:`~parkabm.experiments.design.designs` (the table of design kinds: grid, Monte Carlo, Latin
hypercube, Sobol/Saltelli, Morris) and :mod:`~parkabm.experiments.design.spec` (experiment files).
"""
