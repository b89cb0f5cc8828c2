"""Global sensitivity analysis through SALib: one module per method, one signature for all.

Every method module offers::

    design(problem, n, *, seed, **options) -> numpy.ndarray      # the sample, one row per model run
    analyze(problem, X, Y, *, seed, **options) -> pandas.DataFrame  # tidy indices with confidence intervals

where ``problem`` is a :class:`~parkabm.experiments.design.problem.SAProblem`. The tidy result has one row per
factor (or factor pair) and index, with columns ``factor``, ``index``, ``value``, ``ci_low``, ``ci_high``.

Methods: :mod:`~.sobol` (first, total, optional second order; Saltelli/Sobol sampling, bootstrap CIs),
:mod:`~.morris` (μ*, μ, σ with CIs for μ*), :mod:`~.delta` (Borgonovo's moment-independent δ and first order, on a
Latin hypercube), :mod:`~.pawn` (PAWN median KS statistic across slides; no CI, reported with its spread).
"""

from __future__ import annotations

from types import ModuleType

from parkabm.experiments.analysis.sensitivity import delta, morris, pawn, sobol
from parkabm.experiments.design.problem import SAProblem

METHODS: dict[str, ModuleType] = {"sobol": sobol, "morris": morris, "delta": delta, "pawn": pawn}
"""Sensitivity methods by name."""

__all__ = ["METHODS", "SAProblem", "delta", "morris", "pawn", "sobol"]
