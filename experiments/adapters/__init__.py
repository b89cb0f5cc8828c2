"""Adapters that hand parkabm's declarations to the tools researchers use: EMA Workbench and SALib."""
