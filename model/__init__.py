"""The Mesa model of the city's development zones: yearly phases, rules, 亩均 evaluation, reporters and targets.

- :mod:`parkabm.model.city`: :class:`ParkModel`, the city (a ``mesa.Model``) and its yearly ``step``;
- :mod:`parkabm.model.firm_rules`, :mod:`parkabm.model.land`, :mod:`parkabm.model.park_rules`,
  :mod:`parkabm.model.evaluation`: the rules, vectorised over firms;
- :mod:`parkabm.model.reporters`: yearly outputs; :mod:`parkabm.model.targets`: targets and P(met);
- :mod:`parkabm.model.parameters`: behavioural parameters with ranges and sources;
- :mod:`parkabm.model.simulate`: one headless run.

Nothing here imports plotting, progress bars or the command line.
"""
