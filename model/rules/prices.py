"""The industrial price index: output is stored nominal, rules work in base-year prices (docs/ODD.md §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel


def advance_price(model: ParkModel) -> None:
    """Move the price index by the year's nominal price growth (``price_growth_<year>``, later ``price_growth_later``).

    Keeps last year's level in ``model.price_prev``, which growth uses to turn last year's output real.
    """
    model.price_prev = model.price
    model.price *= 1.0 + model.price_growth(model.year)
