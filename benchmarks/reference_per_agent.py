"""A plain per-agent Mesa implementation of the yearly rules: the reference the fast engine is timed and checked by.

The performance budget (README, "Performance") asks the fast engine (:class:`parkabm.model.city.ParkModel`, firm rules
vectorised over NumPy arrays) to be at least 50× faster than "a plain per-agent Mesa implementation of the same
rules". This module is that implementation. Every firm is a :class:`FirmAgent` and every park a :class:`ParkAgent`
(both ``mesa.Agent``), each with its own plain Python attributes; every yearly rule of the baseline scenario is a
Python method of those agents, run agent by agent through Mesa's agent sets (``model.agents_by_type[...]``, ``.do``,
``.shuffle_do``, ``.select``, ``.agg``, ``.get``). Park × sector and city sums are accumulated agent by agent; the model
only adds up what its park agents report and walks the year's phases in the order of
:data:`parkabm.model.schedule.PHASES` (docs/ODD.md §3):

1. evaluate — 亩均 classes, D years, scores, electricity surcharges and the land, water and gas price differences
   (:meth:`FirmAgent.evaluate`, §7.11); release of unused land by firms whose land tax rose
   (:meth:`FirmAgent.release_unused_land`); chain leaders (:meth:`FirmAgent.mark_chain_leader`, §7.9); the
   agglomeration index (:meth:`ParkAgent.agglomeration_row`, §7.1);
2. price — the macro shock and trend drift (§7.18) and the industrial and service price indices;
3. allocate — 赛马 ranking and quota shares (:meth:`ParkAgent.set_quota_share`, §7.12);
4. supply — 低效用地整治 with its 腾笼换鸟 clearances (:meth:`ParkAgent.plan_redevelopment`,
   :meth:`ParkAgent.clear_low_efficiency_firms`, §7.5), delivery of redeveloped land, standard factories and the
   new-land quota (§7.6, 7.7);
5. recruit — 精准招商 arrivals, siting on reserved and ordinary space, industry-fund stakes (:meth:`ParkAgent.recruit`,
   §7.8);
6. firms — growth with ramp-up, the 用能指标 energy-use quota (§7.16), space requests served by class priority and
   市级统筹 relocation (§7.1, 7.2); 技术改造 upgrading (§7.3); innovation support (§7.10); exit (§7.4); service entry
   (:meth:`ParkAgent.enter_service_firms`, §7.14);
7. fund — milestone rewards and the manufacturing fund's settlement (§7.10);
8. record — the citywide and per-park outcomes (a subset of the registry's outputs, :data:`RECORDED`), tallied
   firm by firm into the park agents.

What is reused from the fast engine: the set-up only. The fast model is built for the run's scenario, parameters and
seed — world tables, synthetic population, park stocks, the base-year 亩均 evaluation (which fixes the benchmarks and
class cut-offs) and the macro innovations drawn at set-up — and then each firm row is copied into a
:class:`FirmAgent` and each park's stocks into a :class:`ParkAgent`; the fast model is dropped. Parameters, levers
and constants (growth bounds, milestone rewards, attribute dispersions …) are imported from the rule modules. Nothing
of the year runs through the fast engine's functions or vectorised passes over firms; NumPy is used for scalar
Poisson draws only. Exited firms leave the model (``Agent.remove``) instead of keeping a row.

Random draws do not match the fast engine draw for draw; outcome distributions should
(``benchmarks/bench_reference.py``, ``tests/test_reference_engine.py`` check them). Siting and space requests follow
the fast engine's prefix rule (:func:`parkabm.model.rules.space.allocate_space`: in priority order a request gets
what is left of the park's stock after all earlier *requests*, so after the first project that does not fit, none
later does).

Left out, because the baseline switches them off (the model refuses a scenario that switches them on): the 嘉兴
进/退/聚 platform levers (merging of weak parks, ``downgrade_after_years``; the 前6名 bonus, ``top_count`` and
``top_bonus``; 万亩千亿 priority in quotas and siting, ``wanmu_priority``; 退出型 parks and their clearance,
``exit_type`` / ``exit_weakest``), so no park is ever closed.
"""

from __future__ import annotations

import bisect
import math
from statistics import NormalDist
from typing import Any

import mesa

from parkabm.agents.firms import FIELDS, GUISHANG_THRESHOLD_YI, NOT_EVALUATED
from parkabm.agents.parks import MU_PER_M2
from parkabm.agents.population import ATTRIBUTE_DISPERSION, MILESTONES_YI, SIZE_MEDIAN_YI, SIZE_SIGMA
from parkabm.model.city import ParkModel, release_agent_id_counter
from parkabm.model.outputs.reporters import HIGHTECH_RD_THRESHOLD
from parkabm.model.rules.evaluation import INDICATORS, PERSISTENT_D_YEARS, PRICE_INDEXED
from parkabm.model.rules.exit import EXIT_SIZE_REFERENCE_YI, PHASEOUT_SHARE_CAP
from parkabm.model.rules.funds import MILESTONE_REWARDS_YI
from parkabm.model.rules.growth import AGGLOMERATION_BOUNDS, GROWTH_BOUNDS, MIN_SIZE_FOR_VOLATILITY_YI
from parkabm.model.rules.land import LOW_EFFICIENCY_CAP
from parkabm.model.rules.macro import EXPORT_GROUPS, LAST_HISTORY_YEAR, SERVICE_GROUPS
from parkabm.model.rules.prices import SERVICE_PRICE_FROM_YEAR
from parkabm.model.rules.recruitment import LARGE_PROJECT_YI
from parkabm.model.rules.resources import BIND_TOLERANCE, QUOTA_ORDER, YUAN_PER_YI
from parkabm.model.rules.upgrading import MAX_RD_INTENSITY, MAX_VALUE_ADDED_RATE, UPGRADE_MAX_PROBABILITY
from parkabm.scenarios.loader import MANUFACTURING_OPINIONS_LAST_YEAR

_MILESTONES = [float(m) for m in MILESTONES_YI]
_REWARDS = [float(r) for r in MILESTONE_REWARDS_YI]
_NORMAL = NormalDist()
_FIT = 1.0 - 1e-9
"""A project is sited when it gets at least this share of the space it needs (as in the fast engine's siting)."""

RECORDED = ("total_output_yi", "industrial_output_yi", "leading_share", "price_index", "tax_per_mu_wan",
            "value_added_per_mu_wan", "guishang_industrial_firms", "guishang_firms", "firms_alive", "hightech_firms",
            "chain_leaders", "entries", "service_entries", "exits", "enforced_exits", "relocations", "upgrades",
            "projects_signed", "projects_unsited", "class_a_share", "class_b_share", "class_c_share", "class_d_share",
            "land_firms_mu", "land_vacant_mu", "land_idle_mu", "land_pipeline_mu", "fai_yi", "surcharge_revenue_yi",
            "fiscal_total_yi", "fiscal_tech_upgrade_subsidy_yi")
"""The outputs the reference records each year (same names and definitions as the registry's)."""


def _class_lookup(values: Any) -> list[float]:
    """Per-class lookup of a lever with fields a, b, c, d (code 4, not evaluated, is 0)."""
    return [values.a, values.b, values.c, values.d, 0.0]


class FirmAgent(mesa.Agent):
    """One firm, with every state variable of :data:`parkabm.agents.firms.FIELDS` as a Python attribute.

    Attributes:
        score: This year's 亩均 score (0 when not evaluated).
        surcharge_share: This year's electricity surcharge as a cost share of output.
        resource_share: This year's land, water and gas price differences as a cost share of output.
        leader: Whether the firm is a chain leader (链主) this year.
    """

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, values: dict[str, Any]):
        """Create a firm from its field values (a copied firm row, a sited project or an entering service firm)."""
        super().__init__(model)
        self.__dict__.update(values)
        self.score = values.get("score", 0.0)
        self.surcharge_share = values.get("surcharge_share", 0.0)
        self.resource_share = values.get("resource_share", 0.0)
        self.leader = False
        self.growing = False
        self.real = self.desired = self.request = self.energy_need = 0.0
        self.granted_floor = self.granted_land = 0.0
        self.moved = False

    @property
    def space_mu(self) -> float:
        """Land plus standard-factory floor, 亩 of land-equivalent."""
        return self.land_mu + self.floor_mu

    @property
    def guishang(self) -> bool:
        """规上: output at least the scaled 规上 threshold."""
        return self.output_yi >= self.model.guishang_threshold

    @property
    def park_agent(self) -> ParkAgent:
        """The park the firm is in."""
        return self.model.park_list[self.park]

    # --- evaluate phase --------------------------------------------------------------------------------------------

    def evaluate(self, c: dict) -> None:
        """亩均论英雄: score against the fixed benchmarks, class, count D years, set surcharges and resource prices."""
        cls = NOT_EVALUATED
        self.score = 0.0
        space = self.land_mu + self.floor_mu
        covered = (self.industrial and self.ramp_left == 0 and space >= c["min_space"]
                   and (not c["guishang_only"] or self.output_yi >= self.model.guishang_threshold))
        if c["scale"] > 0 and covered and c["benchmarks"] is not None:
            out, va = self.output_yi, self.value_added_rate
            values = (out * self.tax_ratio / space, out * va / space, va / self.electricity, va / self.emission,
                      va * self.labour_productivity, self.rd_intensity)
            cap = c["cap"]
            score = sum(w * min(v / b, cap) for w, v, b in zip(c["weights"], values, c["benchmarks"], strict=True))
            qa, qb, qc = c["cutoffs"]
            cls = 0 if score >= qa else 1 if score >= qb else 2 if score >= qc else 3
            self.score = score
        self.mujun_class = cls
        if c["scale"] <= 0:
            self.years_in_d = 0
            self.surcharge_share = self.resource_share = 0.0
            return
        self.years_in_d = self.years_in_d + 1 if cls == 3 else 0
        surcharge = c["surcharge"][cls]
        if cls == 3 and self.years_in_d > PERSISTENT_D_YEARS:
            surcharge = c["persistent"]
        self.surcharge_share = c["scale"] * surcharge * self.electricity / 1e4
        land_yuan = c["land_tax"][cls] * c["tax_per_mu"] * self.land_mu
        output_yuan = self.output_yi * YUAN_PER_YI
        land_share = land_yuan / output_yuan if output_yuan > 0 else 0.0
        self.resource_share = c["scale"] * (land_share + c["per_kwh"][cls] * self.electricity / 1e4)

    def release_unused_land(self, c: dict) -> None:
        """差别化用地: a firm whose land tax rose hands part of the land it does not use back to its park."""
        rate = c["rate"][self.mujun_class]
        if not (self.industrial and self.ramp_left == 0 and rate > 0 and self.land_mu > 0):
            return
        space = self.land_mu + self.floor_mu
        capacity = space * self.productivity
        used = self.output_yi / self.model.price / capacity if capacity > 0 else 1.0
        unused = min(max(1.0 - used, 0.0), 1.0)
        released = min(rate * unused * space, self.land_mu)
        self.land_mu -= released
        self.park_agent.vacant_mu += released

    def mark_chain_leader(self, threshold: float) -> None:
        """链主: at or above the threshold (real output) in a leading industry of its park; add output to the cell."""
        m = self.model
        park = self.park_agent
        self.leader = self.output_yi / m.price * m.scale >= threshold and park.leading[self.sector]
        if self.leader:
            park.leader_sectors.add(self.sector)
        park.cell_output[self.sector] += self.output_yi

    # --- supply phase -----------------------------------------------------------------------------------------------

    def tax_per_mu(self) -> float:
        """亩均税收 in the evaluation's units (亿元 per 亩 of land and floor; 0 without space)."""
        space = self.land_mu + self.floor_mu
        return self.output_yi * self.tax_ratio / space if space > 0 else 0.0

    def is_low_efficiency(self, c: dict) -> bool:
        """低效用地: an industrial firm with land and too little 亩均税收, or D past its rectification deadline."""
        if not (self.industrial and self.land_mu > 0):
            return False
        if self.mujun_class == 3 and self.years_in_d > c["rectification_years"]:
            return True
        return c["threshold"] is not None and self.ramp_left == 0 and self.tax_per_mu() < c["threshold"]

    def report_low_efficiency(self, c: dict) -> None:
        """Add the firm's land to its park's low-efficiency land when it is low-efficiency land."""
        if self.is_low_efficiency(c):
            self.park_agent.low_efficiency_firm_mu += self.land_mu

    # --- firms phase ------------------------------------------------------------------------------------------------

    def ramp_up_or_plan_growth(self, c: dict) -> None:
        """A project in ramp-up moves one year closer to full scale; a producing firm draws this year's growth.

        Real growth ``g`` (docs/ODD.md §7.1): trend, macro term, agglomeration, chain-leader spillover and service,
        minus the pass-through of the class's price differences, plus a size-dependent shock; within the growth
        bounds. An energy-intensive industrial firm registers its energy use and the extra energy it needs with its
        park (用能指标).
        """
        m = self.model
        self.growing = False
        if self.entry_year >= m.year:
            return
        if self.ramp_left > 0:
            self.ramp_left -= 1
            price = m.price if self.industrial else m.service_price
            self.output_yi = self.target_output_yi * (m.rampup_years - self.ramp_left) / m.rampup_years * price
            return
        self.growing = True
        self.moved = False
        s = self.sector
        park = self.park_agent
        real = self.output_yi / (m.price_prev if self.industrial else m.service_price_prev)
        g = c["trend"] * (m.sector_trend[s] * c["trend_multiplier"] - c["channels"] * self.industrial)
        g += m.macro_growth[s]
        g += c["agglomeration"] * park.agglomeration[s]
        if not self.leader and s in park.leader_sectors:
            g += c["spillover"]
        if self.leader:
            g += c["service"]
        g -= c["pass_through"] * (self.surcharge_share + self.resource_share)
        if c["shocks"]:
            size = max(real * m.scale, MIN_SIZE_FOR_VOLATILITY_YI)
            vol = m.sector_volatility[s] * c["volatility"] * size ** (-c["size_exponent"])
            g += c["shocks"] * vol * m.random.gauss(0.0, 1.0)
        g = min(max(g, GROWTH_BOUNDS[0]), GROWTH_BOUNDS[1])
        self.real = real
        self.desired = real * (1.0 + g)
        self.energy_need = 0.0
        if c["energy_quota"] > 0 and self.industrial and self.electricity >= c["energy_intensive"]:
            self.energy_need = max(self.desired - real, 0.0) * 1e4 * self.electricity
            park.energy_use += real * 1e4 * self.electricity
            park.energy_asked[self.quota_class()] += self.energy_need
            park.energy_firms.append(self)

    def quota_class(self) -> int:
        """Class the energy quota and space allocation serve the firm as (not evaluated ranks with C)."""
        return 2 if self.mujun_class == NOT_EVALUATED else self.mujun_class

    def take_energy_grant(self, m_quota: float) -> None:
        """用能指标: take the share of the firm's class that its park could serve; grow less if short."""
        park = self.park_agent
        cls = self.quota_class()
        grant = self.energy_need * park.energy_ratio[cls] if cls in QUOTA_ORDER else 0.0
        unit = 1e4 * self.electricity
        cut = m_quota * (self.energy_need - grant) / unit
        if self.energy_need - grant > BIND_TOLERANCE * max(self.energy_need, 1e-12):
            self.model.energy_quota_bound += 1
        park.energy_granted += grant
        self.desired = max(self.desired - cut, min(self.real, self.desired))

    def ask_for_space(self, c: dict) -> None:
        """Intensify in place; an industrial firm short of capacity asks its park for the missing space (亩)."""
        if not self.growing:
            return
        self.productivity *= c["land_growth"]
        self.request = 0.0
        if not (c["space"] and self.industrial):
            return
        capacity = (self.land_mu + self.floor_mu) * self.productivity
        if self.desired > capacity:
            self.request = (self.desired - capacity) / self.productivity
            spread = 4.0 * (1.0 - c["priority"]) + 0.5
            key = c["priority"] * self.quota_class() + self.model.random.random() * spread
            self.park_agent.space_requests.append((key, self))

    def take_space(self, c: dict) -> None:
        """Take the space granted; a 规上 firm still missing enough may be drawn to relocate (市级统筹)."""
        self.floor_mu += self.granted_floor
        self.land_mu += self.granted_land
        missing = self.request - self.granted_floor - self.granted_land
        if self.mujun_class == 0:
            self.model.counts["space_requested_a_mu"] += self.request
            self.model.counts["space_granted_a_mu"] += self.granted_floor + self.granted_land
        if (missing > c["relocation_shortfall"] * (self.land_mu + self.floor_mu) and self.guishang
                and c["relocation"] > 0 and self.model.random.random() < min(c["relocation"], 1.0)):
            self.model.movers.append((self, missing))

    def relocate(self, missing: float) -> None:
        """Move, with the whole space needed, to the other park with most available space, if it has that much."""
        m = self.model
        best = None
        for park in m.park_list:
            if park.index != self.park and (best is None or park.available_mu > best.available_mu):
                best = park
        total = self.land_mu + self.floor_mu + missing
        if best is None or best.available_mu < total:
            return
        old = self.park_agent
        old.vacant_mu += self.land_mu
        old.factory_space_mu += self.floor_mu
        floor = min(total, best.factory_space_mu)
        land_mu = total - floor
        best.factory_space_mu -= floor
        best.vacant_mu = max(best.vacant_mu - land_mu, 0.0)
        self.land_mu, self.floor_mu, self.park = land_mu, floor, best.index
        self.moved = True
        m.counts["relocations"] += 1

    def finish_growth(self, c: dict) -> None:
        """Produce the desired output, at most capacity for an industrial firm that did not relocate."""
        if not self.growing:
            return
        m = self.model
        desired = self.desired
        if c["space"] and self.industrial and not self.moved:
            desired = min(desired, (self.land_mu + self.floor_mu) * self.productivity)
        self.output_yi = desired * (m.price if self.industrial else m.service_price)
        self.last_growth = desired / self.real - 1.0 if self.real > 0 else 0.0

    def consider_upgrade(self, c: dict) -> None:
        """技术改造: invest with the probability that the return beats the hurdle on the firm's share of the cost."""
        m = self.model
        if not (self.industrial and self.ramp_left == 0 and self.entry_year < m.year):
            return
        investment = c["investment_ratio"] * self.output_yi
        threshold = c["strategic_min"] if m.sector_strategic[self.sector] else c["min_investment"]
        cls = self.mujun_class
        eligible = investment * m.scale >= threshold and cls != 3
        rho = c["return_per_margin"] * self.value_added_rate / m.sector_value_added[self.sector]
        hurdle = c["hurdle"] * (1.0 - (c["rate"] if eligible else 0.0))
        accept = _NORMAL.cdf(math.log(rho / hurdle) / c["return_sd"])
        prob = c["base"] * accept / c["typical_accept"]
        if cls == 2:
            prob *= c["rectification_c"]
        elif cls == 3:
            prob *= c["rectification_d"]
        if self.output_yi > c["pressure_utilisation"] * (self.land_mu + self.floor_mu) * self.productivity * m.price:
            prob *= c["pressure_factor"]
        if m.random.random() >= min(prob, UPGRADE_MAX_PROBABILITY):
            return
        gain = c["gain"]
        self.productivity *= 1.0 + gain
        self.value_added_rate = min(self.value_added_rate * (1.0 + gain / 2), MAX_VALUE_ADDED_RATE)
        self.electricity /= 1.0 + gain / 2
        self.emission /= 1.0 + gain
        self.rd_intensity = min(self.rd_intensity * (1.0 + c["rd_gain"]), MAX_RD_INTENSITY)
        self.output_yi *= 1.0 + gain / 2
        self.upgrades += 1
        m.counts["upgrades"] += 1
        m.counts["fai_yi"] += investment
        if eligible:
            m.counts["subsidised_upgrades"] += 1
            m.subsidy_demand += c["rate"] * investment
            m.subsidy_demand_full += c["full_rate"] * investment

    def innovation_target(self) -> bool:
        """A 规上 industrial firm in a leading industry of its park (innovation-platform support)."""
        return self.industrial and self.guishang and self.park_agent.leading[self.sector]

    def receive_innovation_support(self, leverage: float) -> None:
        """Raise R&D intensity by the park's support per 亿元 of its targets' output."""
        self.rd_intensity = min(self.rd_intensity + leverage * self.park_agent.support_per_output, MAX_RD_INTENSITY)

    def consider_exit(self, c: dict) -> None:
        """Exit with a hazard that falls with size and age, raised by output decline and by enforcement (§7.4)."""
        m = self.model
        if self.entry_year >= m.year:
            return
        size = max(self.output_yi / m.price * m.scale, GUISHANG_THRESHOLD_YI)
        factor = (size / EXIT_SIZE_REFERENCE_YI) ** (-c["size_elasticity"])
        if self.entry_year > m.base_year:
            factor *= 1.0 + (c["young_multiplier"] - 1.0) * math.exp(-(m.year - self.entry_year) / c["young_years"])
        hazard = 1.0 + c["loss"] * max(0.0, -self.last_growth)
        overdue = self.mujun_class == 3 and self.years_in_d > c["rectification_years"]
        if overdue:
            hazard += c["enforcement"] * (c["d_multiplier"] - 1.0) * c["acceptance"]
        hazard *= c["m_exit"] * c["h0"] * factor
        if m.random.random() < hazard:
            enforced = overdue and c["enforcement"] > 0
            if enforced:
                m.counts["enforced_exit_land_mu"] += self.land_mu
            self.leave(enforced=enforced, land_to=c["enforced_land_to"] if enforced else "idle")

    def leave(self, *, enforced: bool, land_to: str) -> None:
        """Exit: land goes to the park's idle land or redevelopment pipeline, floor is freed; the agent is removed."""
        m = self.model
        park = self.park_agent
        if land_to == "pipeline":
            park.pipeline[-1] += self.land_mu
            m.ledger["redevelopment"] += self.land_mu * m.levers.land.redevelopment_cost_wan_per_mu / 1e4
        else:
            park.idle_mu += self.land_mu
        park.factory_space_mu += self.floor_mu
        if enforced:
            share = m.levers.funds.phaseout_compensation_share * min(m.mechanisms.funds, 1.0)
            per_mu = m.params["phaseout_compensation_wan_per_mu"]
            m.ledger["phaseout_compensation"] += share * per_mu * self.land_mu / 1e4
            m.counts["enforced_exits"] += 1
        m.counts["exits"] += 1
        self.alive = False
        self.remove()

    def count_service_firm(self) -> None:
        """Count a service firm in its park × sector cell (service entry is proportional to the cell's firms)."""
        if not self.industrial:
            self.park_agent.service_firms[self.sector] += 1

    # --- fund and record phases ------------------------------------------------------------------------------------

    def claim_milestone(self, reward_scale: float) -> None:
        """Collect the reward difference when an industrial firm first reaches a higher output milestone."""
        if not self.industrial:
            return
        m = self.model
        level = bisect.bisect_right(_MILESTONES, self.output_yi * m.scale)
        if level > self.reward_level:
            m.ledger["milestone_rewards"] += reward_scale * (_REWARDS[level] - _REWARDS[self.reward_level]) / m.scale
            self.reward_level = level

    def report(self, leader_threshold: float) -> None:
        """Add the firm's contribution to its park's tally of the year (规上 statistics count 规上 firms only)."""
        m = self.model
        park = self.park_agent
        t = park.tally
        t["alive"] += 1
        t["firm_land"] += self.land_mu
        t["surcharge_revenue"] += self.surcharge_share * self.output_yi
        if self.mujun_class < NOT_EVALUATED:
            park.class_counts[self.mujun_class] += 1
        if self.output_yi / m.price * m.scale >= leader_threshold and park.leading[self.sector]:
            t["chain_leaders"] += 1
        if not self.guishang:
            return
        out = self.output_yi
        t["output"] += out
        t["guishang"] += 1
        t["value_added"] += out * self.value_added_rate
        if self.rd_intensity >= HIGHTECH_RD_THRESHOLD:
            t["hightech"] += 1
        if park.leading[self.sector]:
            t["leading_output"] += out
        if self.industrial:
            t["industrial_output"] += out
            t["guishang_industrial"] += 1
            t["tax"] += out * self.tax_ratio
            t["space"] += self.land_mu + self.floor_mu


class ParkAgent(mesa.Agent):
    """One development zone with its land stocks, standing and this year's tallies as Python attributes.

    Attributes:
        index: Position of the park in the world's park table.
        leading: Per sector, whether it is a leading industry of the park.
        industrial_land_mu: Industrial land of the park, 亩.
        idle_mu: Idle low-efficiency land awaiting 整治, 亩.
        vacant_mu: Serviced vacant land, 亩.
        factory_land_mu: Land under standard factories, 亩.
        factory_space_mu: Unrented standard-factory floor, 亩 of land-equivalent.
        pipeline: Land under redevelopment by years to delivery, 亩.
        reserved_mu: Redeveloped land delivered this year and offered first to leading-industry projects, 亩.
        quota_share: This year's share of the city's land and fund quotas.
        rank: This year's 赛马 position (0 = best).
    """

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, index: int, stocks: dict[str, Any]):
        """Create a park from its copied stocks."""
        super().__init__(model)
        self.index = index
        self.__dict__.update(stocks)
        n_sectors = model.n_sectors
        self.cell_output = [0.0] * n_sectors
        self.agglomeration = [0.0] * n_sectors
        self.leader_sectors: set[int] = set()
        self.output_prev: float | None = None
        self.growth = self.tax_per_mu_wan = self.leading_share = 0.0
        self.low_efficiency_firm_mu = self.low_mu = self.excess_mu = self.redevelopment_mu = 0.0
        self.on_idle_mu = self.leftover_mu = 0.0
        self.space_requests: list[tuple[float, FirmAgent]] = []
        self.energy_firms: list[FirmAgent] = []
        self.energy_use = self.energy_granted = 0.0
        self.energy_asked = [0.0] * 4
        self.energy_ratio = [0.0] * 4
        self.service_firms = [0] * n_sectors
        self.innovation_output = self.support_per_output = 0.0
        self.projects: list[dict[str, Any]] = []
        self.tally: dict[str, float] = {}
        self.class_counts = [0] * 4

    @property
    def available_mu(self) -> float:
        """Space a firm or project can take now: vacant land plus unrented standard-factory floor, 亩."""
        return self.vacant_mu + self.factory_space_mu

    # --- evaluate phase --------------------------------------------------------------------------------------------

    def start_cells(self) -> None:
        """Clear the park × sector output and chain-leader cells before the firms report to them."""
        self.cell_output = [0.0] * len(self.cell_output)
        self.leader_sectors = set()

    def agglomeration_row(self, sector_share: list[float], centre: float | None) -> float:
        """Set the park's agglomeration index per sector (log own share over city share, clipped, then centred).

        Called once with ``centre=None`` to set the raw clipped index and return the park's output-weighted sum, and
        once with the city's output-weighted mean to centre it.
        """
        if centre is not None:
            self.agglomeration = [a - centre for a in self.agglomeration]
            return 0.0
        total = sum(self.cell_output)
        low, high = AGGLOMERATION_BOUNDS
        row = []
        for s, out in enumerate(self.cell_output):
            value = math.log(out / total / sector_share[s]) if out > 0 else 0.0
            row.append(min(max(value, low), high))
        self.agglomeration = row
        return sum(out * a for out, a in zip(self.cell_output, row, strict=True))

    # --- allocate phase --------------------------------------------------------------------------------------------

    def race_factor(self) -> float:
        """赛马 multiplier of the park's quota per unit of claim: ``(1 − w) + w · (1 + s · (1 − 2 rank/(P−1)))``."""
        m = self.model
        w = min(m.levers.race.weight * m.mechanisms.race, 1.0)
        k = 1.0 + m.params["race_spread"] * (1.0 - 2.0 * self.rank / max(m.n_parks - 1, 1))
        return (1.0 - w) + w * k

    def set_quota_share(self, land_total: float, weighted_total: float) -> None:
        """Quota share: pro rata to industrial land, blended with the rank-weighted share by the race weight."""
        m = self.model
        w = min(m.levers.race.weight * m.mechanisms.race, 1.0)
        self.quota_share = ((1.0 - w) * self.industrial_land_mu / land_total
                            + w * self.industrial_land_mu * self.rank_weight / weighted_total)

    # --- supply phase ---------------------------------------------------------------------------------------------

    def plan_redevelopment(self) -> None:
        """Low-efficiency land (idle + pipeline + low-efficiency firms' land) and its excess over the 30% cap."""
        self.low_mu = self.idle_mu + sum(self.pipeline) + self.low_efficiency_firm_mu
        self.excess_mu = max(self.low_mu - LOW_EFFICIENCY_CAP * self.industrial_land_mu, 0.0)

    def take_redevelopment_quota(self, first_ratio: float, rest: float, claims: float) -> None:
        """Take the park's redevelopment quota and work it on idle land; what is left clears low-efficiency firms."""
        first = self.excess_mu * first_ratio
        claim = (self.low_mu - first) * self.race_factor()
        second = rest * claim / claims if rest > 0 and claims > 0 else 0.0
        quota = first + second
        self.redevelopment_mu = quota
        on_idle = min(quota, self.idle_mu)
        self.idle_mu -= on_idle
        self.on_idle_mu = on_idle
        m = self.model
        self.leftover_mu = (quota - on_idle) * m.levers.evaluation.enforcement * min(m.mechanisms.evaluation, 1.0)

    def clear_low_efficiency_firms(self, firms: list[FirmAgent]) -> None:
        """腾笼换鸟: clear low-efficiency firms, lowest 亩均税收 first, while the land before each is in the quota."""
        before = 0.0
        for firm in sorted(firms, key=FirmAgent.tax_per_mu):
            land_mu = firm.land_mu
            if before >= self.leftover_mu:
                break
            before += land_mu
            firm.leave(enforced=True, land_to="pipeline")

    def finish_redevelopment(self) -> None:
        """Redeveloped idle land joins the pipeline; count the quota and book the cost."""
        m = self.model
        self.pipeline[-1] += self.on_idle_mu
        m.counts["redevelopment_mu"] += self.redevelopment_mu
        if self.rank < m.n_parks / 2:
            m.counts["redevelopment_top_half_mu"] += self.redevelopment_mu
        m.ledger["redevelopment"] += self.on_idle_mu * m.levers.land.redevelopment_cost_wan_per_mu / 1e4

    def deliver_redeveloped_land(self) -> None:
        """Land whose lag has passed becomes vacant; part of it is reserved for leading-industry projects."""
        m = self.model
        delivered = self.pipeline[0]
        self.vacant_mu += delivered
        self.reserved_mu = m.levers.land.redeveloped_leading_share * min(m.mechanisms.recruitment, 1.0) * delivered
        self.pipeline = [*self.pipeline[1:], 0.0]

    def build_standard_factories(self, city_m2: float) -> None:
        """标准厂房: build the park's quota share of the city's floor target on at most part of its vacant land."""
        m = self.model
        plot_ratio = m.levers.land.standard_factory_plot_ratio
        land_needed = city_m2 * self.quota_share * MU_PER_M2 / plot_ratio
        land_used = min(land_needed, m.params["factory_land_share_of_vacant"] * self.vacant_mu)
        built = land_used * plot_ratio / MU_PER_M2
        self.vacant_mu -= land_used
        self.factory_land_mu += land_used
        self.factory_space_mu += built * MU_PER_M2 / m.params["existing_plot_ratio"]
        cost = built * m.levers.land.standard_factory_cost_yuan_per_m2 / 1e8
        m.ledger["standard_factories"] += cost
        m.counts["standard_factory_m2"] += built
        m.counts["fai_yi"] += cost

    def receive_new_land(self, city_mu: float) -> None:
        """Take the park's quota share of the city's new land into its vacant and industrial land."""
        added = city_mu * self.quota_share
        self.vacant_mu += added
        self.industrial_land_mu += added
        self.model.outside_land_mu -= added

    # --- recruit phase --------------------------------------------------------------------------------------------

    def recruit(self, c: dict) -> None:
        """精准招商: draw this year's projects per sector and site them on the park's space.

        Arrivals per sector are Poisson with mean ``λ_p · w[p, s] · (1 + fund · lead[p, s])`` (docs/ODD.md §7.8);
        each project draws its investment, full-scale output and land productivity. Leading-industry projects take
        the reserved redeveloped land first, then every project not yet sited takes floor, then vacant land, in a
        random order; a project is sited only if it gets all it needs.
        """
        m = self.model
        space = self.available_mu
        lam_park = (m.scale * c["rate"] * self.recruitment_effort * self.recruitment_capacity * space / 100.0
                    / (1.0 + space / c["saturation"]))
        rng = m.random
        projects = []
        for s in range(m.n_sectors):
            weight = (c["focus_rest"] * self.recruit_mix[s] + c["focus"] * self.lead_weight[s])
            weight *= 1.0 + c["chain_pull"] * (s in self.leader_sectors)
            lam = lam_park * weight * (1.0 + c["fund"] * self.leading[s])
            for _ in range(int(m.rng.poisson(lam)) if lam > 0 else 0):
                investment = math.exp(c["log_median"] + c["sigma"] * rng.gauss(0.0, 1.0)) / m.scale
                target = investment * c["output_per_investment"]
                productivity = m.sector_output_per_mu[s] / 1e4 * c["premium"] * m.draw_land_productivity()
                projects.append({"sector": s, "investment": investment, "target": target,
                                 "productivity": productivity, "need": target / c["slack"] / productivity,
                                 "leading": self.leading[s], "key": rng.random(), "floor": 0.0, "land": 0.0,
                                 "sited": False})
        self.projects = projects
        reserve = min(self.reserved_mu, self.vacant_mu)
        self.reserved_mu = 0.0
        projects.sort(key=lambda p: p["key"])
        if reserve > 0:
            before = 0.0
            for p in projects:
                if not p["leading"]:
                    continue
                got = min(p["need"], max(reserve - before, 0.0))
                before += p["need"]
                if got >= p["need"] * _FIT:
                    p["land"], p["sited"] = got, True
                    self.vacant_mu -= got
        floor_stock, land_stock = self.factory_space_mu, self.vacant_mu
        before = 0.0
        for p in projects:
            if p["sited"]:
                continue
            need = p["need"]
            granted = min(need, max(floor_stock + land_stock - before, 0.0))
            from_floor = min(max(min(before + granted, floor_stock) - before, 0.0), need)
            before += need
            if granted >= need * _FIT:
                p["floor"], p["land"], p["sited"] = from_floor, granted - from_floor, True
                self.factory_space_mu = max(self.factory_space_mu - from_floor, 0.0)
                self.vacant_mu = max(self.vacant_mu - (granted - from_floor), 0.0)

    # --- firms phase ------------------------------------------------------------------------------------------------

    def set_energy_quota(self, city_increment: float, weighted_total: float, m_quota: float) -> None:
        """用能指标: the park's share of the city's increment, served to classes A, B, then C pro rata to requests."""
        if m_quota <= 0 or not self.energy_firms:
            self.energy_ratio = [0.0] * 4
            return
        left = city_increment * self.energy_use * self.race_factor() / weighted_total if weighted_total > 0 else 0.0
        ratio = [0.0] * 4
        for code in QUOTA_ORDER:
            asked = self.energy_asked[code]
            served = min(asked, left)
            ratio[code] = served / asked if asked > 0 else 0.0
            left -= served
        self.energy_ratio = ratio
        self.model.energy_quota_requested[self.index] = sum(self.energy_asked)
        for firm in self.energy_firms:
            firm.take_energy_grant(m_quota)
        self.model.energy_quota_granted[self.index] = self.energy_granted

    def serve_space_requests(self) -> None:
        """Serve this year's space requests in class-priority order: standard-factory floor first, then vacant land."""
        for _, firm in sorted(self.space_requests, key=lambda r: r[0]):
            floor = min(firm.request, max(self.factory_space_mu, 0.0))
            self.factory_space_mu -= floor
            land_mu = min(firm.request - floor, max(self.vacant_mu, 0.0))
            self.vacant_mu -= land_mu
            firm.granted_floor, firm.granted_land = floor, land_mu
        self.factory_space_mu = max(self.factory_space_mu, 0.0)
        self.vacant_mu = max(self.vacant_mu, 0.0)

    def set_innovation_support(self, budget: float) -> None:
        """The park's share of the innovation budget per 亿元 of its targets' output (none without targets)."""
        pot = budget * self.quota_share
        self.support_per_output = pot / self.innovation_output if self.innovation_output > 0 else 0.0
        if self.innovation_output > 0:
            self.model.ledger["innovation_support"] += pot

    def enter_service_firms(self, c: dict) -> None:
        """Service firms enter each service sector of the park at a rate per firm alive there (§7.14)."""
        m = self.model
        for s, alive in enumerate(self.service_firms):
            if alive == 0:
                continue
            for _ in range(int(m.rng.poisson(c["rate"] * alive))):
                u = m.random.uniform(c["low"], c["high"])
                u = min(max(u, 1e-12), 1 - 1e-12)
                size = math.exp(c["log_median"] + SIZE_SIGMA * _NORMAL.inv_cdf(u)) / m.scale
                m.add_firm(self.index, s, size, productivity=0.0, floor_mu=0.0, land_mu=0.0, rampup_years=1)
                m.counts["service_entries"] += 1

    # --- record phase ---------------------------------------------------------------------------------------------

    def start_tally(self) -> None:
        """Clear the park's tally of the year before the firms report to it."""
        self.tally = dict.fromkeys(("alive", "firm_land", "surcharge_revenue", "chain_leaders", "output", "guishang",
                                    "value_added", "hightech", "leading_output", "industrial_output",
                                    "guishang_industrial", "tax", "space"), 0.0)
        self.class_counts = [0] * 4

    def finish_tally(self) -> None:
        """Growth since the last record, 亩均税收 and the leading-industry share, from the firms' reports."""
        t = self.tally
        prev = self.output_prev if self.output_prev is not None else t["output"]
        self.growth = t["output"] / prev - 1.0 if prev > 0 else 0.0
        self.tax_per_mu_wan = t["tax"] * 1e4 / t["space"] if t["space"] > 0 else 0.0
        self.leading_share = t["leading_output"] / t["output"] if t["output"] > 0 else 0.0
        self.output_prev = t["output"]


class ReferenceModel(mesa.Model):
    """The city model with every yearly rule run agent by agent (the fast engine's set-up only)."""

    def __init__(self, scenario, *, parameters: dict[str, float] | None = None, rng: Any = None,
                 world: Any = None, seed: int | None = None):
        """Build the fast model's base-year world, copy it into firm and park agents and record the base year.

        Args:
            scenario: A resolved scenario or a shipped scenario name.
            parameters: Behavioural parameter values (drawn from the scenario when omitted).
            rng: Seed, ``SeedSequence`` or generator, as for :class:`ParkModel`.
            world: World tables (the shipped world when omitted).
            seed: Integer seed (give ``seed`` or ``rng``).

        Raises:
            ValueError: The scenario switches on a mechanism the reference leaves out (the 嘉兴 platform levers).
        """
        fast = ParkModel(scenario, parameters=parameters, rng=rng, seed=seed, world=world)
        _check_supported(fast)
        super().__init__(rng=int(fast.rng.integers(2**62)))
        self.policy, self.params = fast.policy, fast.params
        self.levers, self.levers_after_2021, self.mechanisms = fast.levers, fast.levers_after_2021, fast.mechanisms
        self.base_year, self.horizon, self.year = fast.base_year, fast.horizon, fast.year
        self.scale, self.rampup_years = fast.scale, fast.rampup_years
        self.guishang_threshold = fast.firms.guishang_threshold_yi
        self.n_parks, self.n_sectors = fast.n_parks, fast.n_sectors
        self.sector_trend = fast.sector_trend.tolist()
        self.sector_volatility = fast.sector_volatility.tolist()
        self.sector_strategic = fast.sector_strategic.tolist()
        self.sector_output_per_mu = fast.sector_output_per_mu.tolist()
        self.sector_value_added = fast.sector_table["value_added_rate"].tolist()
        self.sector_industrial = fast.sector_table["industrial"].tolist()
        self.sector_table = {k: v.tolist() for k, v in fast.sector_table.items()}
        self.sector_loading = self._sector_loadings(fast)
        self.macro_innovations = fast.macro_innovations.tolist()
        self.macro_shock, self.macro_drift = fast.macro_shock, fast.macro_drift
        self.macro_growth = [0.0] * self.n_sectors
        self.price = self.price_prev = fast.price
        self.service_price = self.service_price_prev = fast.service_price
        self.outside_land_mu = fast.outside_land_mu
        self.subsidy_ration = fast.subsidy_ration
        self.subsidy_demand = self.subsidy_demand_full = 0.0
        self.benchmark = None if fast.mujun_benchmark is None else fast.mujun_benchmark[:, 0].tolist()
        self.cutoffs = None if fast.mujun_cutoffs is None else fast.mujun_cutoffs.tolist()
        self.energy_quota_bound = 0
        self.energy_quota_granted = [0.0] * self.n_parks
        self.energy_quota_requested = [0.0] * self.n_parks
        self.movers: list[tuple[FirmAgent, float]] = []
        self.records: list[dict[str, float]] = []
        self.park_records: list[dict[str, list[float]]] = []
        self._reset_year()

        state = fast.park_state
        lead = fast.lead_mask.tolist()
        lead_weight = fast.lead_weight.tolist()
        mix = fast.recruit_mix.tolist()
        for p in range(self.n_parks):
            ParkAgent(self, p, {
                "leading": lead[p], "lead_weight": lead_weight[p], "recruit_mix": mix[p],
                "industrial_land_mu": float(state.industrial_land_mu[p]), "idle_mu": float(state.idle_mu[p]),
                "vacant_mu": float(state.vacant_mu[p]), "factory_land_mu": float(state.factory_land_mu[p]),
                "factory_space_mu": float(state.factory_space_mu[p]), "pipeline": state.pipeline_mu[p].tolist(),
                "reserved_mu": float(state.reserved_mu[p]), "quota_share": float(state.quota_share[p]),
                "rank": int(state.rank[p]), "rank_weight": 1.0,
                "recruitment_capacity": float(state.recruitment_capacity[p]),
                "recruitment_effort": float(state.recruitment_effort[p]),
            })
        self.parks = self.agents_by_type[ParkAgent]
        self.park_list: list[ParkAgent] = list(self.parks)
        f = fast.firms
        columns = {name: getattr(f, name).tolist() for name in FIELDS}
        columns["score"] = fast.score.tolist()
        columns["surcharge_share"] = fast.surcharge_share.tolist()
        columns["resource_share"] = fast.resource_share.tolist()
        for i in range(f.n):
            FirmAgent(self, {name: col[i] for name, col in columns.items()})
        self.record()
        self.running = self.year < self.horizon
        if self.year > MANUFACTURING_OPINIONS_LAST_YEAR:
            self.levers = self.levers_after_2021

    # --- set-up helpers -------------------------------------------------------------------------------------------

    @staticmethod
    def _sector_loadings(fast: ParkModel) -> list[float]:
        """Loading of each sector on the common macro shock, by its group (docs/ODD.md §7.18)."""
        par = fast.params
        industry = par["macro_loading_industry"]
        by_group = [industry * par["macro_loading_export"] if g in EXPORT_GROUPS
                    else par["macro_loading_services"] if g in SERVICE_GROUPS else industry for g in fast.group_ids]
        return [by_group[k] for k in fast.sector_group.tolist()]

    @property
    def firms(self) -> mesa.agent.AgentSet:
        """The firms alive (exited firms are removed from the model)."""
        return self.agents_by_type[FirmAgent]

    def _reset_year(self) -> None:
        self.ledger = dict.fromkeys(("redevelopment", "standard_factories", "tech_upgrade_subsidy", "milestone_rewards",
                                     "innovation_support", "phaseout_compensation", "industry_fund"), 0.0)
        self.counts = dict.fromkeys(("entries", "exits", "enforced_exits", "relocations", "upgrades",
                                     "projects_signed", "projects_unsited", "projects_over_10yi", "fai_yi",
                                     "standard_factory_m2", "service_entries", "space_requested_a_mu",
                                     "space_granted_a_mu", "redevelopment_mu", "redevelopment_top_half_mu",
                                     "projects_signed_leading", "subsidised_upgrades", "enforced_exit_land_mu",
                                     "fund_room_yi", "fund_subsidy_demand_yi"), 0.0)

    # --- new firms ------------------------------------------------------------------------------------------------

    def draw_attributes(self, sector: int) -> dict[str, float]:
        """Draw a new firm's efficiency attributes around its sector's values (latent quality, mean-one factors)."""
        rng = self.random
        quality = rng.gauss(0.0, 1.0)
        factor = {}
        for name, (sd, loading) in ATTRIBUTE_DISPERSION.items():
            z = loading * quality + math.sqrt(1 - loading ** 2) * rng.gauss(0.0, 1.0)
            factor[name] = math.exp(sd * z - sd ** 2 / 2)
        t = self.sector_table
        return {
            "value_added_rate": min(max(t["value_added_rate"][sector] * factor["value_added_rate"], 0.05), 0.7),
            "tax_ratio": t["tax_ratio"][sector] * factor["tax_ratio"],
            "electricity": t["electricity_kwh_per_wan"][sector] * factor["electricity"],
            "emission": t["emission_index"][sector] * factor["emission"],
            "rd_intensity": min(max(t["rd_intensity"][sector] * factor["rd_intensity"], 0.0), 0.3),
            "labour_productivity": t["labour_productivity_wan"][sector] * factor["labour_productivity"],
        }

    def draw_land_productivity(self) -> float:
        """Draw a relative land productivity (mean one, the population's dispersion), independent of the rest."""
        sd = ATTRIBUTE_DISPERSION["land_productivity"][0]
        return math.exp(sd * self.random.gauss(0.0, 1.0) - sd ** 2 / 2)

    def add_firm(self, park: int, sector: int, target_output_yi: float, *, productivity: float, floor_mu: float,
                 land_mu: float, rampup_years: int | None = None) -> FirmAgent:
        """Add a sited project or an entering service firm as a new firm agent (in ramp-up unless ramp is 1)."""
        ramp = self.rampup_years if rampup_years is None else rampup_years
        industrial = bool(self.sector_industrial[sector])
        output = target_output_yi / ramp * (self.price if industrial else self.service_price)
        self.counts["entries"] += 1
        return FirmAgent(self, {
            "park": park, "sector": sector, "alive": True, "industrial": industrial, "output_yi": output,
            "land_mu": land_mu, "floor_mu": floor_mu, "productivity": productivity, "mujun_class": NOT_EVALUATED,
            "years_in_d": 0, "upgrades": 0, "entry_year": self.year, "exit_year": 0, "ramp_left": ramp - 1,
            "target_output_yi": target_output_yi, "last_growth": 0.0,
            "reward_level": bisect.bisect_right(_MILESTONES, output * self.scale), **self.draw_attributes(sector),
        })

    # --- evaluate phase ---------------------------------------------------------------------------------------------

    def evaluate(self) -> None:
        """亩均 evaluation of every firm, release of unused land, chain leaders and the agglomeration index."""
        lev = self.levers.evaluation
        par = self.params
        scale = self.mechanisms.evaluation
        s = lev.surcharge_yuan_per_kwh
        surcharge = _class_lookup(s)
        water, gas = _class_lookup(lev.water_surcharge_yuan_per_m3), _class_lookup(lev.gas_surcharge_yuan_per_m3)
        land_tax = _class_lookup(lev.land_tax_change)
        per_kwh = [w * par["water_m3_per_kwh"] + g * par["gas_m3_per_kwh"] for w, g in zip(water, gas, strict=True)]
        benchmarks = None
        if self.benchmark is not None and self.cutoffs is not None:
            benchmarks = [b * (self.price if indexed else 1.0)
                          for b, indexed in zip(self.benchmark, PRICE_INDEXED.tolist(), strict=True)]
        self.firms.do("evaluate", {
            "scale": scale, "min_space": max(lev.min_land_mu, 1e-9), "guishang_only": lev.coverage == "guishang",
            "benchmarks": benchmarks, "cutoffs": self.cutoffs, "cap": par["mujun_score_cap"],
            "weights": [getattr(lev.weights, k) for k in INDICATORS],
            "surcharge": surcharge, "persistent": max(lev.persistent_d_surcharge_yuan_per_kwh, s.d),
            "land_tax": land_tax, "tax_per_mu": par["land_use_tax_yuan_per_m2"] / MU_PER_M2,
            "per_kwh": per_kwh,
        })
        if self.year > self.base_year and scale > 0:
            response = par["land_release_response"] * min(scale, 1.0)
            self.firms.do("release_unused_land", {"rate": [min(response * max(t, 0.0), 1.0) for t in land_tax]})
        self.parks.do("start_cells")
        self.firms.do("mark_chain_leader", self.levers.chain_leaders.threshold_yi)
        cells = self.parks.get("cell_output")
        city = sum(map(sum, cells))
        sector_share = [sum(col) / city if city > 0 else 0.0 for col in zip(*cells, strict=True)]
        weighted = sum(self.parks.map("agglomeration_row", sector_share, None))
        self.parks.do("agglomeration_row", sector_share, weighted / city if city > 0 else 0.0)

    # --- price phase ------------------------------------------------------------------------------------------------

    def draw_macro_shocks(self) -> None:
        """Advance the AR(1) city shock and the trend drift by this year's innovations; set each sector's term."""
        par = self.params
        e, eta = self.macro_innovations[self.year - self.base_year - 1]
        if self.year <= LAST_HISTORY_YEAR:
            self.macro_growth = [0.0] * self.n_sectors
            return
        self.macro_shock = par["macro_shock_persistence"] * self.macro_shock + par["macro_shock_sd"] * e
        self.macro_drift += par["macro_trend_drift"] + par["macro_trend_drift_sd"] * eta
        m = self.mechanisms.macro_shocks
        self.macro_growth = [m * (load * self.macro_shock + self.macro_drift) for load in self.sector_loading]

    def advance_prices(self) -> None:
        """Move the industrial price index by the year's price growth and the service index from 2022."""
        self.price_prev = self.price
        self.price *= 1.0 + self.params.get(f"price_growth_{self.year}", self.params["price_growth_later"])
        self.service_price_prev = self.service_price
        if self.year >= SERVICE_PRICE_FROM_YEAR:
            self.service_price *= 1.0 + self.params["macro_service_price_growth"]

    # --- allocate phase ---------------------------------------------------------------------------------------------

    def rank_parks(self) -> None:
        """赛马: rank parks on last year's growth, 亩均税收 and leading share; set each park's quota share."""
        parks = self.park_list
        rank_sum = [0] * self.n_parks  # the sum of the three ranks orders parks as their mean does, without rounding
        for metric in ("growth", "tax_per_mu_wan", "leading_share"):
            for position, park in enumerate(sorted(parks, key=lambda q: -getattr(q, metric))):
                rank_sum[park.index] += position
        for position, park in enumerate(sorted(parks, key=lambda q: rank_sum[q.index])):
            park.rank = position
            park.rank_weight = 1.0 + self.params["race_spread"] * (1.0 - 2.0 * position / max(self.n_parks - 1, 1))
        land = self.parks.agg("industrial_land_mu", sum)
        weighted = sum(q.industrial_land_mu * q.rank_weight for q in parks)
        self.parks.do("set_quota_share", land, weighted)
        total = self.parks.agg("quota_share", sum)
        for park in parks:
            park.quota_share /= total

    # --- supply phase ---------------------------------------------------------------------------------------------

    def low_efficiency_test(self) -> dict:
        """What makes a firm's land low-efficiency land this year (the 亩均税收 threshold, price-indexed)."""
        threshold = None
        if self.benchmark is not None:
            threshold = self.params["low_efficiency_tax_share"] * self.benchmark[0] * self.price
        return {"threshold": threshold, "rectification_years": self.levers.evaluation.rectification_years}

    def redevelop(self) -> None:
        """低效用地整治 and 腾笼换鸟 (docs/ODD.md §7.5): split the city's quota, work idle land, clear weak firms."""
        test = self.low_efficiency_test()
        for park in self.park_list:
            park.low_efficiency_firm_mu = 0.0
        self.firms.do("report_low_efficiency", test)
        self.parks.do("plan_redevelopment")
        city_mu = self.levers.land.redevelopment_mu_per_year * self.mechanisms.redevelopment
        excess = self.parks.agg("excess_mu", sum)
        first_ratio = min(1.0, city_mu / excess) if excess > 0 else 0.0
        rest = city_mu - excess * first_ratio
        claims = sum((q.low_mu - q.excess_mu * first_ratio) * q.race_factor() for q in self.park_list)
        self.parks.do("take_redevelopment_quota", first_ratio, rest, claims)
        if sum(self.parks.get("leftover_mu")) > 0:
            year = self.year
            candidates = self.firms.select(lambda a: a.entry_year < year and a.is_low_efficiency(test))
            by_park: dict[int, list[FirmAgent]] = {}
            for firm in candidates:
                by_park.setdefault(firm.park, []).append(firm)
            for park in self.park_list:
                if park.leftover_mu > 0 and park.index in by_park:
                    park.clear_low_efficiency_firms(by_park[park.index])
        self.parks.do("finish_redevelopment")

    def supply(self) -> None:
        """Redevelopment, delivery of redeveloped land, standard factories and the new-land quota, park by park."""
        self.redevelop()
        self.parks.do("deliver_redeveloped_land")
        lev = self.levers.land
        self.parks.do("build_standard_factories", lev.standard_factory_m2_per_year * self.mechanisms.standard_factories)
        quota = min(lev.new_land_quota_mu_per_year * self.mechanisms.land_quota, self.outside_land_mu)
        self.parks.do("receive_new_land", quota)
        self.outside_land_mu = max(self.outside_land_mu, 0.0)

    # --- recruit phase --------------------------------------------------------------------------------------------

    def recruit(self) -> None:
        """精准招商 in every park, then the industry fund's stakes (largest sited leading projects first)."""
        mech = self.mechanisms
        if mech.recruitment <= 0:
            return
        par, lev = self.params, self.levers.recruitment
        self.parks.do("recruit", {
            "rate": mech.recruitment * par["recruitment_rate"], "saturation": par["recruitment_saturation_mu"],
            "focus": lev.leading_focus, "focus_rest": 1.0 - lev.leading_focus, "chain_pull": lev.chain_pull,
            "fund": par["industry_fund_elasticity"] * self.levers.funds.industry_fund_yi / 100.0 * min(mech.funds, 1.0),
            "log_median": math.log(par["project_investment_median_yi"]), "sigma": par["project_investment_sigma"],
            "output_per_investment": par["project_output_per_investment"],
            "premium": par["new_project_productivity_premium"], "slack": par["project_capacity_slack"],
        })
        projects = [(park, p) for park in self.park_list for p in park.projects]
        budget = self.levers.funds.industry_fund_yi * min(mech.funds, 1.0) / par["industry_fund_deployment_years"]
        share = par["industry_fund_stake_share"]
        joined = [p for _, p in projects if p["sited"] and p["leading"]]
        for p in sorted(joined, key=lambda p: -p["investment"]):
            stake = min(max(budget, 0.0), p["investment"] * share / (1.0 - share))
            budget -= stake
            self.ledger["industry_fund"] += stake
            growth = 1.0 + stake / p["investment"]
            p["investment"] *= growth
            p["target"] *= growth
            p["productivity"] *= growth
        for park, p in projects:
            if not p["sited"]:
                self.counts["projects_unsited"] += 1
                continue
            self.counts["projects_signed"] += 1
            self.counts["projects_signed_leading"] += p["leading"]
            self.counts["projects_over_10yi"] += p["investment"] * self.scale >= LARGE_PROJECT_YI
            self.counts["fai_yi"] += p["investment"]
            self.add_firm(park.index, p["sector"], p["target"], productivity=p["productivity"], floor_mu=p["floor"],
                          land_mu=p["land"])
        for park in self.park_list:
            park.projects = []

    # --- firms phase ------------------------------------------------------------------------------------------------

    def grow(self) -> None:
        """Growth, the energy-use quota, space requests and relocation (docs/ODD.md §7.1, 7.2, 7.16)."""
        par, mech = self.params, self.mechanisms
        lev = self.levers
        c = {
            "trend": mech.growth_trend, "trend_multiplier": par["trend_growth_multiplier"],
            "channels": par["macro_trend_channels_industry"],
            "agglomeration": mech.agglomeration * par["agglomeration_elasticity"],
            "spillover": mech.chain_spillover * par["chain_spillover"],
            "service": mech.chain_leader_service * lev.chain_leaders.service_boost,
            "pass_through": par["surcharge_pass_through"], "shocks": mech.shocks,
            "volatility": par["volatility_multiplier"], "size_exponent": par["size_volatility_exponent"],
            "land_growth": 1.0 + mech.growth_trend * par["land_productivity_growth"],
            "space": mech.space_constraint > 0, "priority": lev.land.class_priority,
            "relocation_shortfall": par["relocation_min_shortfall"],
            "relocation": lev.land.relocation_probability * mech.relocation,
            "energy_quota": mech.energy_quota,
            "energy_intensive": lev.evaluation.energy_quota.energy_intensive_kwh_per_wan,
        }
        for park in self.park_list:
            park.energy_firms, park.energy_use, park.energy_granted = [], 0.0, 0.0
            park.energy_asked = [0.0] * 4
            park.space_requests = []
        self.energy_quota_bound = 0
        self.energy_quota_granted = [0.0] * self.n_parks
        self.energy_quota_requested = [0.0] * self.n_parks
        self.firms.shuffle_do("ramp_up_or_plan_growth", c)
        if mech.energy_quota > 0:
            use = self.parks.agg("energy_use", sum)
            weighted = sum(q.energy_use * q.race_factor() for q in self.park_list)
            increment = lev.evaluation.energy_quota.increment_share * use
            self.parks.do("set_energy_quota", increment, weighted, mech.energy_quota)
        self.firms.do("ask_for_space", c)
        self.parks.do("serve_space_requests")
        self.movers = []
        for park in self.park_list:
            for _, firm in park.space_requests:
                firm.take_space(c)
        for firm, missing in self.movers:
            firm.relocate(missing)
        self.firms.do("finish_growth", c)

    def upgrade(self) -> None:
        """技术改造 of every producing industrial firm (docs/ODD.md §7.3)."""
        mech, par, lev = self.mechanisms, self.params, self.levers.funds
        if mech.upgrading <= 0:
            return
        full_rate = lev.tech_upgrade_subsidy_rate * min(mech.funds, 1.0)
        return_per_margin = par["upgrade_productivity_gain"] * par["upgrade_margin"] / par["upgrade_investment_ratio"]
        typical = _NORMAL.cdf(math.log(return_per_margin / par["upgrade_hurdle_rate"]) / par["upgrade_return_sd"])
        self.firms.shuffle_do("consider_upgrade", {
            "investment_ratio": par["upgrade_investment_ratio"], "strategic_min": lev.strategic_min_investment_yi,
            "min_investment": lev.tech_upgrade_min_investment_yi, "return_per_margin": return_per_margin,
            "hurdle": par["upgrade_hurdle_rate"], "return_sd": par["upgrade_return_sd"], "typical_accept": typical,
            "base": mech.upgrading * par["upgrade_propensity"], "full_rate": full_rate,
            "rate": full_rate * self.subsidy_ration, "gain": par["upgrade_productivity_gain"],
            "rectification_c": par["rectification_upgrade_factor_c"],
            "rectification_d": par["rectification_upgrade_factor_d"],
            "pressure_utilisation": par["capacity_pressure_utilisation"],
            "pressure_factor": par["capacity_pressure_upgrade_factor"], "rd_gain": par["rd_gain_per_upgrade"],
        })

    def support_innovation(self) -> None:
        """Innovation-platform support to 规上 leading-industry firms, by quota share and within a park by output."""
        budget = self.levers.funds.innovation_support_yi_per_year * min(self.mechanisms.funds, 1.0)
        if budget <= 0:
            return
        targets = self.firms.select(FirmAgent.innovation_target)
        for park in self.park_list:
            park.innovation_output = 0.0
        for firm in targets:
            firm.park_agent.innovation_output += firm.output_yi
        self.parks.do("set_innovation_support", budget)
        targets.do("receive_innovation_support", self.params["innovation_rd_leverage"])

    def exit(self) -> None:
        """Exit of every firm that entered before this year (docs/ODD.md §7.4)."""
        mech, par, lev = self.mechanisms, self.params, self.levers
        if mech.exit <= 0:
            return
        compensation = lev.funds.phaseout_compensation_share * min(mech.funds, 1.0)
        self.firms.shuffle_do("consider_exit", {
            "loss": par["exit_loss_sensitivity"], "rectification_years": lev.evaluation.rectification_years,
            "enforcement": lev.evaluation.enforcement * min(mech.evaluation, 1.0),
            "acceptance": (1.0 - min(compensation, PHASEOUT_SHARE_CAP)) ** (-par["phaseout_acceptance_elasticity"]),
            "d_multiplier": par["exit_d_multiplier"], "m_exit": mech.exit, "h0": par["exit_base_hazard"],
            "size_elasticity": par["exit_size_elasticity"], "young_years": par["exit_young_years"],
            "young_multiplier": par["exit_young_multiplier"],
            "enforced_land_to": "pipeline" if mech.redevelopment > 0 else "idle",
        })

    def enter_service_firms(self) -> None:
        """Service entry in every park × service sector, in proportion to the service firms alive there."""
        mech = self.mechanisms.entry
        if mech <= 0:
            return
        for park in self.park_list:
            park.service_firms = [0] * self.n_sectors
        self.firms.do("count_service_firm")
        par = self.params
        log_median = math.log(SIZE_MEDIAN_YI * par["entry_size_ratio"])
        low, high = (_NORMAL.cdf((math.log(b) - log_median) / SIZE_SIGMA) if b < math.inf else 1.0
                     for b in (par["small_firm_floor_yi"], par["entry_max_size_yi"]))
        self.parks.do("enter_service_firms", {"rate": mech * par["service_entry_rate"], "log_median": log_median,
                                               "low": low, "high": high})

    # --- fund phase -------------------------------------------------------------------------------------------------

    def settle_fund(self) -> None:
        """Pay this year's 技术改造 subsidies within the manufacturing fund's room; set next year's rationing."""
        cap = self.levers.funds.manufacturing_fund_yi_per_year
        room = max(cap - self.ledger["milestone_rewards"] - self.ledger["innovation_support"], 0.0)
        self.ledger["tech_upgrade_subsidy"] += min(self.subsidy_demand, room)
        self.counts["fund_room_yi"] += room
        self.counts["fund_subsidy_demand_yi"] += self.subsidy_demand_full
        full = self.subsidy_demand_full
        self.subsidy_ration = min(1.0, room / full) if full > 1e-12 else 1.0
        self.subsidy_demand = self.subsidy_demand_full = 0.0

    # --- record phase ---------------------------------------------------------------------------------------------

    def record(self) -> None:
        """Tally the year firm by firm into the parks and append the outputs of :data:`RECORDED`."""
        threshold = self.levers.chain_leaders.threshold_yi
        self.parks.do("start_tally")
        self.firms.do("report", threshold)
        self.parks.do("finish_tally")
        t = {k: sum(q.tally[k] for q in self.park_list) for k in self.park_list[0].tally}
        classes = [sum(q.class_counts[k] for q in self.park_list) for k in range(4)]
        evaluated = sum(classes)
        parks = self.parks
        row = {
            "year": self.year, "total_output_yi": t["output"], "industrial_output_yi": t["industrial_output"],
            "leading_share": t["leading_output"] / t["output"] if t["output"] > 0 else 0.0,
            "price_index": self.price,
            "tax_per_mu_wan": t["tax"] * 1e4 / t["space"] if t["space"] > 0 else 0.0,
            "value_added_per_mu_wan": t["value_added"] * 1e4 / t["space"] if t["space"] > 0 else 0.0,
            "guishang_industrial_firms": t["guishang_industrial"], "guishang_firms": t["guishang"],
            "firms_alive": t["alive"], "hightech_firms": t["hightech"], "chain_leaders": t["chain_leaders"],
            **{k: self.counts[k] for k in ("entries", "service_entries", "exits", "enforced_exits", "relocations",
                                           "upgrades", "projects_signed", "projects_unsited", "fai_yi")},
            **{f"class_{label}_share": classes[k] / evaluated if evaluated else math.nan
               for k, label in enumerate("abcd")},
            "land_firms_mu": t["firm_land"], "land_vacant_mu": parks.agg("vacant_mu", sum),
            "land_idle_mu": parks.agg("idle_mu", sum), "land_pipeline_mu": sum(map(sum, parks.get("pipeline"))),
            "surcharge_revenue_yi": t["surcharge_revenue"], "fiscal_total_yi": sum(self.ledger.values()),
            "fiscal_tech_upgrade_subsidy_yi": self.ledger["tech_upgrade_subsidy"],
        }
        self.records.append(row)
        self.park_records.append({"year": self.year, **{name: parks.get(attr) for name, attr in (
            ("park_growth", "growth"), ("park_tax_per_mu_wan", "tax_per_mu_wan"),
            ("park_leading_share", "leading_share"), ("park_rank", "rank"), ("park_quota_share", "quota_share"))}})

    # --- the year ---------------------------------------------------------------------------------------------------

    def step(self) -> None:
        """Advance one year through the phases of :data:`parkabm.model.schedule.PHASES`, every rule per agent."""
        if self.year >= self.horizon:
            self.running = False
            return
        self.year += 1
        if self.year > MANUFACTURING_OPINIONS_LAST_YEAR:
            self.levers = self.levers_after_2021
        self._reset_year()
        self.evaluate()
        self.draw_macro_shocks()
        self.advance_prices()
        self.rank_parks()
        self.supply()
        self.recruit()
        self.grow()
        self.upgrade()
        self.support_innovation()
        self.exit()
        self.enter_service_firms()
        self.firms.do("claim_milestone", self.levers.funds.milestone_reward_scale * min(self.mechanisms.funds, 1.0))
        self.settle_fund()
        self.record()
        self.running = self.year < self.horizon

    def run_model(self) -> None:
        """Step to the horizon, then release Mesa's agent-id counter for this model (see the fast engine)."""
        while self.running and self.year < self.horizon:
            self.step()
        self.running = False
        release_agent_id_counter(self)


def _check_supported(fast: ParkModel) -> None:
    """Refuse a scenario that switches on a mechanism the reference leaves out (the 嘉兴 进/退/聚 levers).

    Raises:
        ValueError: Naming the levers that are on.
    """
    lev = fast.levers
    state = fast.park_state
    on = []
    if lev.race.downgrade_after_years > 0 and fast.mechanisms.race > 0:
        on.append("levers.race.downgrade_after_years")
    if lev.platforms.top_count > 0 and lev.platforms.top_bonus > 0:
        on.append("levers.platforms.top_count")
    if lev.platforms.wanmu_priority > 0:
        on.append("levers.platforms.wanmu_priority")
    if state.exit_type.any() and lev.platforms.exit_clearance_share > 0:
        on.append("退出型 parks (exit_type, levers.platforms.exit_weakest)")
    if on:
        raise ValueError("the per-agent reference leaves out the 嘉兴 platform levers; switched on: " + ", ".join(on))
