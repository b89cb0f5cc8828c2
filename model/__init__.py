"""The Mesa model of the city's development zones: yearly phases, rules, 亩均 evaluation, reporters and targets.

- :mod:`parkabm.model.city`: :class:`ParkModel`, the city (a ``mesa.Model``) with its declared, typed state, its flat
  lever keywords (:func:`~parkabm.model.city.lever_keywords`) and its ``DataCollector``;
- :mod:`parkabm.model.schedule`: the yearly phases as data (:data:`~parkabm.model.schedule.PHASES`);
- :mod:`parkabm.model.rules`: the rules, one module per mechanism (evaluation, chain_leaders, growth, prices, race,
  land, space, recruitment, upgrading, exit, funds), vectorised over firms;
- :mod:`parkabm.model.outputs.reporters`: yearly outputs; :mod:`parkabm.model.outputs.registry` declares them;
  :mod:`parkabm.model.outputs.targets`: targets and P(met);
- :mod:`parkabm.scenarios.parameters`: behavioural parameters with ranges and sources;
- :mod:`parkabm.model.simulate`: one headless run.

Nothing here imports plotting, progress bars or the command line.
"""
