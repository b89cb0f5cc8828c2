"""Experiments with the model, by stage of the data's way (each sub-package imports only those listed before it).

- :mod:`~parkabm.experiments.design`: experiment specs (YAML) and design kinds (grid, Monte Carlo, Latin hypercube,
  Sobol, Morris);
- :mod:`~parkabm.experiments.execution`: executors (serial, process pool, Dask), the batch runner and the resumable
  Parquet results store (``parkabm batch``);
- :mod:`~parkabm.experiments.charts`: charts in English and Chinese, and ``parkabm plot``;
- :mod:`~parkabm.experiments.analysis`: projections and P(target met) (``parkabm run``), scenario comparison
  (``parkabm compare``), sensitivity analysis (Sobol, Morris, delta, PAWN through SALib), scenario discovery (PRIM)
  and calibration;
- :mod:`~parkabm.experiments.cli`: the ``parkabm`` command line.
"""
