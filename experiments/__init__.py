"""Experiments with the model.

- :mod:`~parkabm.experiments.projection`: replicates of one scenario and P(target met) (``parkabm run``);
- :mod:`~parkabm.experiments.spec`, :mod:`~parkabm.experiments.runner`, :mod:`~parkabm.experiments.executors`,
  :mod:`~parkabm.experiments.store`: experiment specs, batches on a serial, process-pool or Dask executor, and the
  resumable Parquet results store (``parkabm batch``);
- :mod:`~parkabm.experiments.compare`: scenarios side by side (``parkabm compare``);
- :mod:`~parkabm.experiments.sensitivity`: Sobol, Morris, delta and PAWN through SALib;
- :mod:`~parkabm.experiments.discovery`: scenario discovery with PRIM;
- :mod:`~parkabm.experiments.charts`, :mod:`~parkabm.experiments.plot`: charts in English and Chinese;
- :mod:`~parkabm.experiments.cli`: the ``parkabm`` command line.
"""
