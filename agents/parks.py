"""Development zones (开发区/园区): Mesa agents whose state lives in arrays shared with the model.

There are only ~16 parks, but their land stocks are read and written by vectorised rules that touch every firm
(space allocation, recruitment, 赛马 allocation), so the numbers live in :class:`ParkState` arrays indexed by park.
Each :class:`Park` is a Mesa agent and a named view into one entry of those arrays: ``model.parks_by_id["..."]``
shows a park's current land balance, output and ranking without copying anything.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel

MU_PER_M2 = 1 / 666.67
"""One 亩 is 666.67 m²."""


def _unset() -> np.ndarray:
    """An empty array: the standing field was not given and ``__post_init__`` fills it."""
    return np.zeros(0)


@dataclass
class ParkState:
    """Land stocks and standing of every park, one entry per park (index = position in the world's park table).

    Land categories partition each park's industrial land exactly (docs/ODD.md §7.13):
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
        downgraded: Merged or downgraded (嘉兴万亩千亿实施意见): receives no quotas and recruits no projects.
        output_yi: Output at the last record, 亿元.
        leading_share: Leading-industry share at the last record.
        factory_built_m2: Standard-factory floor built this year, m².
        reserved_mu: Part of ``vacant_mu`` delivered from redevelopment this year and offered first to projects in
            the park's leading industries (the priority ends with the year's recruitment), 亩.
        wanmu_platform: A 万亩千亿 platform (嘉兴万亩千亿实施意见 二(一), 二(三)): parks.csv ``wanmu_qianyi_platform``
            or ``levers.platforms.wanmu_parks``.
        exit_type: A 退出型 park (嘉兴万亩千亿实施意见 二(二)三, 二(三)三): parks.csv ``exit_type`` or
            ``levers.platforms.exit_parks`` / ``exit_weakest``; no new industrial land, its firms are cleared.
        receiver: Index of the park that takes this park's quota when it is merged and its firms when it is 退出型
            (区位相临、产业相近的重大平台; -1: none), set by :func:`parkabm.model.rules.race.assign_receivers`.
        land_received_mu: Space received since the base year: new land, redeveloped land delivered, and the net
            land-equivalent capacity standard factories add (capacity built less the vacant land they use), 亩,
            cumulative.
        relocated_in: Firms moved into the park from 退出型 parks since the base year, cumulative.
        relocated_out: Firms moved out of the park as a 退出型 park since the base year, cumulative.
        cleared_exits: Firms of the park that exited in 腾退 as a 退出型 park since the base year, cumulative.
        land_returned_mu: Industrial land of the park returned to the city's stock outside the zones in 腾退, 亩,
            cumulative.
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
    quota_share: np.ndarray = field(default_factory=_unset)
    rank: np.ndarray = field(default_factory=_unset)
    bottom_years: np.ndarray = field(default_factory=_unset)
    downgraded: np.ndarray = field(default_factory=_unset)
    output_yi: np.ndarray = field(default_factory=_unset)
    leading_share: np.ndarray = field(default_factory=_unset)
    factory_built_m2: np.ndarray = field(default_factory=_unset)
    reserved_mu: np.ndarray = field(default_factory=_unset)
    wanmu_platform: np.ndarray = field(default_factory=_unset)
    exit_type: np.ndarray = field(default_factory=_unset)
    receiver: np.ndarray = field(default_factory=_unset)
    land_received_mu: np.ndarray = field(default_factory=_unset)
    relocated_in: np.ndarray = field(default_factory=_unset)
    relocated_out: np.ndarray = field(default_factory=_unset)
    cleared_exits: np.ndarray = field(default_factory=_unset)
    land_returned_mu: np.ndarray = field(default_factory=_unset)

    def __post_init__(self) -> None:
        """Fill the standing arrays not given: quota shares pro rata to industrial land, the others zero."""
        p = len(self.industrial_land_mu)
        if self.quota_share.size == 0:
            self.quota_share = self.industrial_land_mu / self.industrial_land_mu.sum()
        for name, dtype in (("rank", np.int64), ("bottom_years", np.int64), ("downgraded", bool),
                            ("output_yi", np.float64), ("leading_share", np.float64),
                            ("factory_built_m2", np.float64), ("reserved_mu", np.float64),
                            ("wanmu_platform", bool), ("exit_type", bool), ("land_received_mu", np.float64),
                            ("relocated_in", np.int64), ("relocated_out", np.int64), ("cleared_exits", np.int64),
                            ("land_returned_mu", np.float64)):
            if getattr(self, name).size == 0:
                setattr(self, name, np.zeros(p, dtype=dtype))
        if self.receiver.size == 0:
            self.receiver = np.full(p, -1, dtype=np.int64)

    @property
    def closed(self) -> np.ndarray:
        """Parks that take no quotas and no new projects: merged or downgraded, or 退出型."""
        return self.downgraded | self.exit_type

    @property
    def available_space_mu(self) -> np.ndarray:
        """Space a firm or project can take now: vacant land plus unrented standard-factory floor, 亩."""
        return self.vacant_mu + self.factory_space_mu


class Park(mesa.Agent):
    """One development zone; a named view into :class:`ParkState`, and the actor of the per-park land phases.

    The model runs the per-park parts of the supply phase through Mesa's agent set, in park order
    (``model.agents_by_type[Park].do("build_standard_factories", m2)``); each method changes this park's entries of
    the :class:`ParkState` arrays only, so the result is that of the same operation on the whole arrays.

    Attributes:
        index: Position in the park arrays.
        park_id: Identifier from parks.csv.
        name_zh: Chinese name.
        name_en: English name.
    """

    @property
    def model(self) -> ParkModel:
        """The city model the park belongs to (held weakly: the model holds its parks, so no cycle keeps it alive).

        Raises:
            ReferenceError: The model no longer exists (a park outlived every reference to its model).
        """
        model = self._model_ref()
        if model is None:
            raise ReferenceError(f"the model of park {self.park_id!r} no longer exists")
        return model

    @model.setter
    def model(self, model: ParkModel) -> None:
        self._model_ref = weakref.ref(model)

    def __init__(self, model: ParkModel, index: int, park_id: str, name_zh: str, name_en: str):
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

    # --- per-park phases ----------------------------------------------------------------------------------------

    def deliver_redeveloped_land(self) -> None:
        """Move this park's land whose redevelopment lag has passed from the pipeline to vacant land.

        ``levers.land.redeveloped_leading_share`` of it is reserved this year for leading-industry projects
        (腾笼换鸟 扩大主导产业发展空间, 2022年7月征求意见稿 三.2).
        """
        model = self.model
        state = model.park_state
        p = self.index
        pipe = state.pipeline_mu[p]
        delivered = pipe[0]
        state.vacant_mu[p] += delivered
        state.land_received_mu[p] += delivered
        share = model.levers.land.redeveloped_leading_share * min(model.mechanisms.recruitment, 1.0)
        state.reserved_mu[p] = share * delivered
        pipe[:-1] = pipe[1:]
        pipe[-1] = 0.0

    def build_standard_factories(self, city_m2: float) -> None:
        """Build this park's quota share of the city's floor target ``city_m2`` on at most part of its vacant land.

        Records the floor built in ``ParkState.factory_built_m2`` (the rule sums the cost and count over parks).
        """
        model = self.model
        state = model.park_state
        params = model.params
        p = self.index
        plot_ratio = model.levers.land.standard_factory_plot_ratio
        land_needed = city_m2 * state.quota_share[p] * MU_PER_M2 / plot_ratio
        land_used = min(land_needed, params["factory_land_share_of_vacant"] * state.vacant_mu[p])
        built = land_used * plot_ratio / MU_PER_M2
        capacity = built * MU_PER_M2 / params["existing_plot_ratio"]
        state.vacant_mu[p] -= land_used
        state.factory_land_mu[p] += land_used
        state.factory_space_mu[p] += capacity
        state.land_received_mu[p] += capacity - land_used
        state.factory_built_m2[p] = built

    def receive_new_land(self, city_mu: float) -> None:
        """Take this park's quota share of the city's new land ``city_mu`` into its vacant and industrial land."""
        state = self.model.park_state
        p = self.index
        added = city_mu * state.quota_share[p]
        state.vacant_mu[p] += added
        state.industrial_land_mu[p] += added
        state.land_received_mu[p] += added

    # --- views --------------------------------------------------------------------------------------------------

    def reported(self, name: str) -> float:
        """Return this park's value of the per-park output ``name`` at the last record (registry ``PARK_OUTPUTS``)."""
        return float(self.model.park_records[-1][name][self.index])

    def _value(self, name: str) -> float:
        return float(getattr(self.model.park_state, name)[self.index])
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
        """Whether the park has been merged or downgraded (嘉兴万亩千亿实施意见)."""
        return bool(self._value("downgraded"))

    def __repr__(self) -> str:
        """Show the park's id and current output."""
        return f"Park({self.park_id!r}, output_yi={self.output_yi:.1f})"
