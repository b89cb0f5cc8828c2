"""Agents of the model.

Firms as a structure of arrays (:mod:`parkabm.agents.firms`), parks as Mesa agents over shared arrays
(:mod:`parkabm.agents.parks`), and the synthetic firm population (:mod:`parkabm.agents.population`).
"""
