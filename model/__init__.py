"""The Mesa model of the city's development zones: yearly phases, rules, 亩均 evaluation, reporters and targets.

- :mod:`parkabm.model.city`: :class:`ParkModel`, the city (a ``mesa.Model``) and its yearly ``step``;
- :mod:`parkabm.model.rules.firms`, :mod:`parkabm.model.rules.land`, :mod:`parkabm.model.rules.parks`,
  :mod:`parkabm.model.rules.evaluation`: the rules, vectorised over firms;
- :mod:`parkabm.model.outputs.reporters`: yearly outputs; :mod:`parkabm.model.outputs.targets`: targets and P(met);
- :mod:`parkabm.scenarios.parameters`: behavioural parameters with ranges and sources;
- :mod:`parkabm.model.simulate`: one headless run.

Nothing here imports plotting, progress bars or the command line.
"""
