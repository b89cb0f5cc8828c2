"""Factors of an experiment: what a design varies, and how a unit-cube coordinate becomes a factor's value.

A ``lever`` factor is a dotted lever path of the scenario schema (``levers.land.…``); an ``uncertainty`` factor is a
behavioural parameter of :data:`~parkabm.scenarios.parameters.PARAMETERS`. A factor gives exactly one of
``bounds: [low, high]`` (uniform), ``distribution:`` (the scenario schema's distributions) or ``levels: [...]`` (the
values of a grid). Names are checked against the schema and the parameters by
:func:`parkabm.experiments.design.spec.resolve_spec`; this module checks what a factor says on its own.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from parkabm.scenarios.schema import Distribution
from parkabm.scenarios.validation import allowed_field, rejection

STRICT = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
"""Every experiment model: unknown keys refused, immutable, strict about types, numbers finite."""

Level = bool | int | float | str
"""A value of a grid level: a number, a word (e.g. ``guishang``) or true/false."""


class Factor(BaseModel):
    """One factor varied by the design: a lever path or an uncertain behavioural parameter."""

    model_config = STRICT

    name: str = allowed_field("a dotted lever path (levers.land.…) or a parameter name",
                              description="Lever path (kind lever) or parameter name (kind uncertainty).")
    kind: Literal["lever", "uncertainty"] = Field(description="lever: a policy choice; uncertainty: a parameter.")
    bounds: list[float] | None = allowed_field("two numbers [low, high] with low < high", default=None,
                                               min_length=2, max_length=2, description="Uniform range.")
    distribution: Distribution | None = Field(None, description="A distribution of the scenario schema.")
    levels: list[Level] | None = allowed_field("a non-empty list of values", default=None, min_length=1,
                                               description="Values of a grid (or equally likely values).")
    group: str | None = allowed_field("text naming a group of factors (sensitivity analysis)", default=None,
                                      description="Group of factors analysed together by grouped SA methods.")

    @model_validator(mode="after")
    def _one_range(self) -> Factor:
        given = [k for k in ("bounds", "distribution", "levels") if getattr(self, k) is not None]
        if len(given) != 1:
            raise rejection("one_range", "exactly one of bounds, distribution, levels",
                            shown="(" + (", ".join(given) or "none of them") + ")")
        if self.bounds is not None and not self.bounds[0] < self.bounds[1]:
            raise rejection("bad_bounds", "two numbers [low, high] with low < high",
                            shown=repr(self.bounds), field="bounds")
        if self.levels is not None and len({level_kind(v) for v in self.levels}) > 1:
            raise rejection("mixed_levels", "levels of one kind: all numbers, all text or all true/false",
                            shown=repr(self.levels), field="levels")
        return self

    def value_at(self, u: float, *, integer: bool = False) -> Level:
        """Return the factor's value at unit-cube coordinate ``u`` in [0, 1).

        Args:
            u: Coordinate of a design point.
            integer: The factor takes whole numbers (an integer lever): bounds give every whole number from
                low to high with equal probability, and distributions are rounded.

        Returns:
            The value in the factor's unit.
        """
        if self.levels is not None:
            return self.levels[min(int(u * len(self.levels)), len(self.levels) - 1)]
        if self.bounds is not None:
            low, high = self.bounds
            if integer:
                low, high = math.ceil(low), math.floor(high)
                return int(min(low + math.floor(u * (high - low + 1)), high))
            return low + u * (high - low)
        assert self.distribution is not None  # guaranteed by _one_range
        value = self.distribution.ppf(u)
        return round(value) if integer else value

    def extremes(self, *, integer: bool = False) -> list[Level]:
        """Return the values that bound the factor's range (its levels, or the two ends of its range)."""
        if self.levels is not None:
            return list(self.levels)
        if self.bounds is not None:
            low, high = self.bounds
            return [math.ceil(low), math.floor(high)] if integer else [low, high]
        ends = [self.distribution.ppf(0.0), self.distribution.ppf(1.0)]
        return [round(v) for v in ends] if integer else ends


def level_kind(value: Level) -> str:
    """Say which kind of level a value is: ``bool``, ``text`` or ``number`` (a grid's levels share one kind)."""
    return "bool" if isinstance(value, bool) else "text" if isinstance(value, str) else "number"
