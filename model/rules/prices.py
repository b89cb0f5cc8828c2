"""The industrial (PPI) and service price indices: output is stored nominal, rules work in base-year prices.

docs/ODD.md §2 and §7.18: industrial firms' nominal output is real output times ``model.price``, service firms'
times ``model.service_price``.
"""

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
    advance_service_price(model)


SERVICE_PRICE_FROM_YEAR = 2022
"""First year the service price path moves: a back-cast (years up to 2021) keeps service output in 2021 prices."""


def advance_service_price(model: ParkModel) -> None:
    """Move the service price index by ``macro_service_price_growth`` (from 2022; flat in back-cast years).

    Keeps last year's level in ``model.service_price_prev``.
    """
    model.service_price_prev = model.service_price
    if model.year >= SERVICE_PRICE_FROM_YEAR:
        model.service_price *= 1.0 + model.params["macro_service_price_growth"]
