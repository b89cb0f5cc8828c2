"""Lever values that are allowed but implausible: far below or far above the lever's default.

A value inside a lever's bounds can still be a slip of the unit: ``standard_factory_m2_per_year: 400`` reads like
400万m² but means 400 m², a ten-thousandth of the default. :func:`implausible_levers` lists the levers whose value
is below :data:`LOW_RATIO` or above :data:`HIGH_RATIO` times the default; ``parkabm validate`` and ``parkabm run``
print them as warnings (the scenario still runs).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from parkabm.scenarios.schema import Scenario, lever_field, lever_label

LOW_RATIO = 0.01
"""A lever set below 1% of its default is reported."""

HIGH_RATIO = 100.0
"""A lever set above 100 times its default is reported."""


def _walk(model: BaseModel, prefix: str) -> list[tuple[str, Any, Any]]:
    """Return ``(path, value, default)`` for every numeric field below ``model``."""
    found = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        path = f"{prefix}.{name}"
        if isinstance(value, BaseModel):
            found += _walk(value, path)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            default = info.get_default(call_default_factory=True)
            if isinstance(default, int | float) and not isinstance(default, bool):
                found.append((path, float(value), float(default)))
    return found


def implausible_levers(scenario: Scenario) -> list[str]:
    """Return one warning per lever whose value is below 1% or above 100× its default (levers at 0 are allowed).

    Args:
        scenario: A validated scenario.

    Returns:
        Messages naming the lever path, its label, the value, the default and its unit, e.g.
        ``levers.land.standard_factory_m2_per_year: 400 is 0.01% of the default 4e+06 m²/yr — check the unit``.
    """
    warnings = []
    for path, value, default in _walk(scenario.levers, "levers"):
        if default <= 0 or value == 0:
            continue
        ratio = value / default
        if LOW_RATIO <= ratio <= HIGH_RATIO:
            continue
        info = lever_field(path)
        extra = info.json_schema_extra if info is not None and isinstance(info.json_schema_extra, dict) else {}
        unit = f" {extra['unit']}" if "unit" in extra else ""
        where = "below 1%" if ratio < LOW_RATIO else "above 100×"
        warnings.append(f"{path} ({lever_label(path)}): {value:g}{unit} is {where} of its default {default:g}{unit} "
                        f"— check the unit")
    return warnings
