"""Experiment design: experiment specs (YAML), the design kinds and the factor problem they sample.

Design kinds: grid, Monte Carlo, Latin hypercube, Sobol (Saltelli) and Morris.
"""
