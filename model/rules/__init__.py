"""The model's rules by mechanism, each a vectorised operation over the firm arrays or the park stocks.

The order in which they run each year is :data:`parkabm.model.schedule.PHASES`; docs/ODD.md section 7 states each
rule with its equation and parameters.
"""
