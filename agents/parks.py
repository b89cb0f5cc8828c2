"""Development zones (开发区/园区): Mesa agents whose state lives in arrays shared with the model.

There are only ~16 parks, but their land stocks are read and written by vectorised rules that touch every firm
(space allocation, recruitment, 赛马 allocation), so the numbers live in :class:`ParkState` arrays indexed by park.
Each :class:`Park` is a Mesa agent and a named view into one entry of those arrays: ``model.parks_by_id["..."]``
shows a park's current land balance, output and ranking without copying anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa
import numpy as np

MU_PER_M2 = 1 / 666.67
"""One 亩 is 666.67 m²."""


@dataclass
class ParkState:
    """Land stocks and standing of every park, one entry per park (index = position in the world's park table).

    Land categories partition each park's industrial land exactly (DESIGN §4.12):
    land held by firms + ``factory_land_mu`` + ``idle_mu`` + pipeline + ``vacant_mu`` = ``industrial_land_mu``.

    Attributes:
        industrial_land_mu: Industrial land inside the park, 亩.
        idle_mu: Idle low-efficiency land (低效用地) waiting for 整治, 亩.
        vacant_mu: Serviced land ready for new projects or expansion, 亩.
        factory_land_mu: Land under standard factories (标准厂房), 亩.
        factory_space_mu: Standard-factory floor not yet rented, in 亩 of land-equivalent capacity.
        pipeline_mu: Land under redevelopment, by years until delivery (parks × (lag + 1)), 亩.
        recruitment_capacity: Relative 招商 capacity (1 = average).
        recruitment_effort: Park-level effort multiplier from the scenario (1 = the city's effort).
        strategic_candidate: Candidate for provincial 高能级战略平台 status.
        quota_share: This year's share of the city's land and fund quotas (赛马 allocation).
        rank: Last ranking position (0 = best).
        bottom_years: Consecutive years ranked last.
        downgraded: Merged or downgraded (seed 003): receives no quotas and recruits no projects.
        output_yi: Output at the last record, 亿元.
        leading_share: Leading-industry share at the last record.
    """

    industrial_land_mu: np.ndarray
    idle_mu: np.ndarray
    vacant_mu: np.ndarray
    factory_land_mu: np.ndarray
    factory_space_mu: np.ndarray
    pipeline_mu: np.ndarray
    recruitment_capacity: np.ndarray
    recruitment_effort: np.ndarray
    strategic_candidate: np.ndarray
    quota_share: np.ndarray = field(default=None)
    rank: np.ndarray = field(default=None)
    bottom_years: np.ndarray = field(default=None)
    downgraded: np.ndarray = field(default=None)
    output_yi: np.ndarray = field(default=None)
    leading_share: np.ndarray = field(default=None)

    def __post_init__(self):
        p = len(self.industrial_land_mu)
        if self.quota_share is None:
            self.quota_share = self.industrial_land_mu / self.industrial_land_mu.sum()
        for name, dtype in (("rank", np.int64), ("bottom_years", np.int64), ("downgraded", bool),
                            ("output_yi", np.float64), ("leading_share", np.float64)):
            if getattr(self, name) is None:
                setattr(self, name, np.zeros(p, dtype=dtype))

    @property
    def available_space_mu(self) -> np.ndarray:
        """Space a firm or project can take now: vacant land plus unrented standard-factory floor, 亩."""
        return self.vacant_mu + self.factory_space_mu


class Park(mesa.Agent):
    """One development zone; a named view into :class:`ParkState`.

    Attributes:
        index: Position in the park arrays.
        park_id: Identifier from parks.csv.
        name_zh: Chinese name.
        name_en: English name.
    """

    def __init__(self, model: mesa.Model, index: int, park_id: str, name_zh: str, name_en: str):
        """Register the park with the model.

        Args:
            model: The city model that owns the :class:`ParkState`.
            index: Position in the park arrays.
            park_id: Identifier from parks.csv.
            name_zh: Chinese name.
            name_en: English name.
        """
        super().__init__(model)
        self.index = index
        self.park_id = park_id
        self.name_zh = name_zh
        self.name_en = name_en

    def _value(self, name: str) -> float:
        return getattr(self.model.park_state, name)[self.index].item()

    @property
    def vacant_mu(self) -> float:
        """Serviced land ready for projects, 亩."""
        return self._value("vacant_mu")

    @property
    def idle_mu(self) -> float:
        """Idle low-efficiency land awaiting 整治, 亩."""
        return self._value("idle_mu")

    @property
    def factory_space_mu(self) -> float:
        """Unrented standard-factory floor, 亩 of land-equivalent."""
        return self._value("factory_space_mu")

    @property
    def output_yi(self) -> float:
        """Output at the last record, 亿元."""
        return self._value("output_yi")

    @property
    def leading_share(self) -> float:
        """Leading-industry share of output at the last record."""
        return self._value("leading_share")

    @property
    def rank(self) -> int:
        """Last 赛马 ranking position (0 = best)."""
        return int(self._value("rank"))

    @property
    def downgraded(self) -> bool:
        """Whether the park has been merged or downgraded (seed 003)."""
        return bool(self._value("downgraded"))

    def __repr__(self) -> str:
        """Show the park's id and current output."""
        return f"Park({self.park_id!r}, output_yi={self.output_yi:.1f})"
