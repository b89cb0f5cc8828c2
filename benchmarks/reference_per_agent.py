"""A plain per-agent Mesa implementation of the firm rules: the reference the fast engine is timed and checked against.

The performance budget (README, "Performance") asks the fast engine (:class:`parkabm.model.city.ParkModel`, firm rules
vectorised over NumPy arrays) to be at least 50× faster than "a plain per-agent Mesa implementation of the same
rules". This module is that implementation: every firm is a :class:`FirmAgent` (a ``mesa.Agent``) with its own Python
attributes and one method per
rule, and the model loops over its agents in Python, one firm at a time, drawing each firm's random numbers from a
Python ``random.Random``.

What is reused unchanged from the fast engine (none of it is a per-firm rule):

- set-up: world tables, the synthetic population, park stocks and the base-year evaluation (the fast model is built,
  then each firm row is copied into a :class:`FirmAgent`);
- park and city rules: 赛马 ranking, 低效用地整治 (with its 腾笼换鸟 clearances), delivery of redeveloped land,
  standard factories, the new-land quota, 精准招商 recruitment and service entry (new rows become new agents), the
  fund's settlement;
- the 亩均 evaluation (classes, D years, scores, surcharges) and every reporter.

Those read the firm arrays, so the agents' state is written back to the arrays once a year (before the evaluation
and the reporters) and read back from them after the rules that change firms (clearances, recruitment).

What is re-implemented per agent: chain leaders and the agglomeration index (park × sector sums accumulated agent by
agent), growth (trend, agglomeration, chain-leader spillover and service, surcharge, size-dependent shock, ramp-up),
the space constraint (requests served from park stocks in class-priority order, floor before land) with 市级统筹
relocation, 技术改造 upgrading, innovation support, exit, and milestone rewards.

Random draws do not match the fast engine draw for draw; outcome distributions should
(``benchmarks/bench_reference.py`` checks them).
"""

from __future__ import annotations

import bisect
import math
import random
from operator import attrgetter

import mesa
import numpy as np

from parkabm.agents.firms import FIELDS, GUISHANG_THRESHOLD_YI
from parkabm.agents.population import MILESTONES_YI
from parkabm.model.city import ParkModel, release_agent_id_counter
from parkabm.model.rules import growth as fr
from parkabm.model.rules import land
from parkabm.model.rules.entry import enter_service_firms
from parkabm.model.rules.evaluation import evaluate_mujun
from parkabm.model.rules.exit import EXIT_SIZE_REFERENCE_YI
from parkabm.model.rules.funds import MILESTONE_REWARDS_YI, settle_fund
from parkabm.model.rules.macro import draw_macro_shocks
from parkabm.model.rules.prices import advance_price
from parkabm.model.rules.race import rank_parks
from parkabm.model.rules.recruitment import recruit_projects
from parkabm.model.rules.resources import release_unused_land
from parkabm.model.rules.upgrading import UPGRADE_MAX_PROBABILITY, expected_upgrade_return, investment_acceptance

_MILESTONES = [float(m) for m in MILESTONES_YI]
_REWARDS = [float(r) for r in MILESTONE_REWARDS_YI]


class FirmAgent(mesa.Agent):
    """One firm, with every state variable of :data:`parkabm.agents.firms.FIELDS` as a Python attribute.

    Attributes:
        row: The firm's row in the fast engine's arrays (used to write the state back for the reporters).
        score: This year's 亩均 score.
        surcharge_share: This year's electricity surcharge as a cost share of output.
        leader: Whether the firm is a chain leader (链主) this year.
    """

    def __init__(self, model: ReferenceModel, row: int, values: dict):
        """Create the agent of firm ``row`` from its field values."""
        super().__init__(model)
        self.row = row
        self.__dict__.update(values)
        self.score = 0.0
        self.surcharge_share = 0.0
        self.resource_share = 0.0
        self.leader = False
        self.request = 0.0
        self.desired = 0.0
        self.real = 0.0

    # --- growth --------------------------------------------------------------------------------------------------

    def ramp_up(self) -> None:
        """Move a project in ramp-up one year closer to full scale."""
        m = self.model
        self.ramp_left -= 1
        price = m.price if self.industrial else m.service_price
        self.output_yi = self.target_output_yi * (m.rampup_years - self.ramp_left) / m.rampup_years * price

    def plan_growth(self, c: dict) -> None:
        """Draw this year's real growth and, for an industrial firm short of capacity, the space to ask for."""
        m = self.model
        p, s = self.park, self.sector
        price_prev = m.price_prev if self.industrial else m.service_price_prev
        real = self.output_yi / price_prev
        g = c["trend"] * (m.trend_list[s] * c["trend_multiplier"] - c["channels"] * self.industrial)
        g += m.macro_list[s]
        g += c["agglomeration"] * m.agglomeration_list[p][s]
        if (p, s) in m.leader_cells and not self.leader:
            g += c["spillover"]
        if self.leader:
            g += c["service"]
        g -= c["pass_through"] * (self.surcharge_share + self.resource_share)
        if c["shocks"]:
            size = max(real * m.scale, fr.MIN_SIZE_FOR_VOLATILITY_YI)
            vol = m.volatility_list[s] * c["volatility"] * size ** (-c["size_exponent"])
            g += c["shocks"] * vol * m.pyrng.gauss(0.0, 1.0)
        g = min(max(g, fr.GROWTH_BOUNDS[0]), fr.GROWTH_BOUNDS[1])
        self.real = real
        self.desired = real * (1.0 + g)
        self.productivity *= c["land_growth"]
        self.request = 0.0
        if c["space"] and self.industrial:
            capacity = (self.land_mu + self.floor_mu) * self.productivity
            if self.desired > capacity:
                self.request = (self.desired - capacity) / self.productivity

    def receive_space(self, floor: float, land_mu: float, c: dict) -> None:
        """Take the space the park granted; a 规上 firm still short enough may relocate (市级统筹)."""
        self.floor_mu += floor
        self.land_mu += land_mu
        missing = self.request - floor - land_mu
        space = self.land_mu + self.floor_mu
        guishang = self.alive and self.output_yi >= c["guishang"]
        if missing > c["relocation_shortfall"] * space and guishang and c["relocation"] > 0:
            if self.model.pyrng.random() < min(c["relocation"], 1.0):
                self.relocate(missing)

    def relocate(self, missing: float) -> None:
        """Move to the other park with most available space, if it has room for all the space the firm needs."""
        m = self.model
        state = m.park_state
        best, best_space = -1, -math.inf
        for q in range(m.n_parks):
            avail = 0.0 if (state.downgraded[q] or q == self.park) else state.vacant_mu[q] + state.factory_space_mu[q]
            if avail > best_space:
                best, best_space = q, avail
        total = self.land_mu + self.floor_mu + missing
        if best_space < total:
            return
        state.vacant_mu[self.park] += self.land_mu
        state.factory_space_mu[self.park] += self.floor_mu
        floor = min(total, max(float(state.factory_space_mu[best]), 0.0))
        land_mu = min(total - floor, max(float(state.vacant_mu[best]), 0.0))
        state.factory_space_mu[best] = max(state.factory_space_mu[best] - floor, 0.0)
        state.vacant_mu[best] = max(state.vacant_mu[best] - land_mu, 0.0)
        self.floor_mu, self.land_mu, self.park = floor, land_mu, best
        self.moved = True
        m.counts["relocations"] += 1

    def finish_growth(self, c: dict) -> None:
        """Produce the desired output, or at capacity for an industrial firm that did not relocate."""
        desired = self.desired
        if c["space"] and self.industrial and not self.moved:
            desired = min(desired, (self.land_mu + self.floor_mu) * self.productivity)
        m = self.model
        self.output_yi = desired * (m.price if self.industrial else m.service_price)
        self.last_growth = desired / self.real - 1.0 if self.real > 0 else 0.0

    # --- other rules ---------------------------------------------------------------------------------------------

    def upgrade(self, c: dict) -> None:
        """技术改造: invest with a probability raised by the expected subsidy, rectification and capacity pressure."""
        m = self.model
        investment = c["investment_ratio"] * self.output_yi
        threshold = c["strategic_min"] if m.strategic_list[self.sector] else c["min_investment"]
        cls = self.mujun_class
        eligible = investment * m.scale >= threshold and cls != 3
        rho = c["return_per_margin"] * self.value_added_rate / m.sector_table["value_added_rate"][self.sector]
        hurdle = c["hurdle"] * (1.0 - c["rate"] * eligible)
        accept = 0.5 * math.erfc(-math.log(rho / hurdle) / c["return_sd"] / math.sqrt(2.0))
        prob = c["base"] * accept / c["typical_accept"]
        prob *= {2: c["rectification_c"], 3: c["rectification_d"]}.get(cls, 1.0)
        capacity = (self.land_mu + self.floor_mu) * self.productivity * m.price
        if self.output_yi > c["pressure_utilisation"] * capacity:
            prob *= c["pressure_factor"]
        prob = min(prob, UPGRADE_MAX_PROBABILITY)
        if m.pyrng.random() >= prob:
            return
        gain = c["gain"]
        self.productivity *= 1.0 + gain
        self.value_added_rate = min(self.value_added_rate * (1.0 + gain / 2), 0.7)
        self.electricity /= 1.0 + gain / 2
        self.emission /= 1.0 + gain
        self.rd_intensity = min(self.rd_intensity * (1.0 + c["rd_gain"]), 0.3)
        self.output_yi *= 1.0 + gain / 2
        self.upgrades += 1
        m.counts["upgrades"] += 1
        m.counts["fai_yi"] += investment
        if eligible:
            m.subsidy_demand += c["rate"] * investment
            m.subsidy_demand_full += c["full_rate"] * investment

    def consider_exit(self, c: dict) -> None:
        """Exit with a hazard that falls with size and age, raised by output decline and by enforcement."""
        m = self.model
        size = max(self.output_yi / m.price * m.scale, c["size_floor"])
        size_age = (size / c["size_reference"]) ** -c["size_elasticity"]
        if self.entry_year > m.base_year:
            size_age *= 1.0 + (c["young_multiplier"] - 1.0) * math.exp(-(m.year - self.entry_year) / c["young_years"])
        hazard = 1.0 + c["loss"] * max(0.0, -self.last_growth)
        overdue = self.mujun_class == 3 and self.years_in_d > c["rectification_years"]
        if overdue:
            hazard += c["enforcement"] * (c["d_multiplier"] - 1.0) * (1.0 + c["compensation"])
        hazard *= c["h0"] * size_age
        if self.model.pyrng.random() < hazard:
            self.leave(enforced=overdue and c["enforcement"] > 0, compensation=c["compensation"])

    def leave(self, *, enforced: bool, compensation: float) -> None:
        """Exit: land becomes idle low-efficiency land, standard-factory floor is freed."""
        m = self.model
        state = m.park_state
        state.idle_mu[self.park] += self.land_mu
        state.factory_space_mu[self.park] += self.floor_mu
        if enforced:
            per_mu = m.params["phaseout_compensation_wan_per_mu"]
            m.ledger["phaseout_compensation"] += compensation * per_mu * self.land_mu / 1e4
            m.counts["enforced_exits"] += 1
        self.alive = False
        self.exit_year = m.year
        self.output_yi = self.land_mu = self.floor_mu = 0.0
        m.counts["exits"] += 1

    def claim_milestone(self, reward_scale: float) -> None:
        """Collect the reward difference when an industrial firm first reaches a higher output milestone."""
        m = self.model
        level = bisect.bisect_right(_MILESTONES, self.output_yi * m.scale)
        if level > self.reward_level:
            m.ledger["milestone_rewards"] += reward_scale * (_REWARDS[level] - _REWARDS[self.reward_level]) / m.scale
            self.reward_level = level


class ReferenceModel(ParkModel):
    """The city model with its firm rules run agent by agent (same set-up, park rules and reporters)."""

    def __init__(self, scenario, **kwargs):
        """Build the fast model's base-year world, then one :class:`FirmAgent` per firm row.

        Args:
            scenario: A resolved scenario.
            **kwargs: ``parameters``, ``rng`` and ``world``, as for :class:`ParkModel`.
        """
        super().__init__(scenario, **kwargs)
        # Firm agents are not parks: keep the citywide outputs only, so the collector does not visit every firm.
        self.datacollector = mesa.DataCollector(model_reporters=self.datacollector.model_reporters)
        self.datacollector.collect(self)
        self.pyrng = random.Random(int(self.rng.integers(2**62)))
        self.trend_list = self.sector_trend.tolist()
        self.volatility_list = self.sector_volatility.tolist()
        self.strategic_list = self.sector_strategic.tolist()
        self.lead_list = self.lead_mask.tolist()
        self.firm_agents: list[FirmAgent] = []
        self._adopt_rows(0)
        for a in self.firm_agents:
            a.score, a.surcharge_share, a.leader = float(self.score[a.row]), float(self.surcharge_share[a.row]), False
        self._chain_leaders()
        self._agglomeration()

    # --- synchronisation with the arrays the reused rules read ---------------------------------------------------

    def _adopt_rows(self, start: int) -> None:
        """Create agents for firm rows ``start`` onwards (the initial population, then recruited projects)."""
        f = self.firms
        columns = {name: getattr(f, name)[start:].tolist() for name in FIELDS}
        for k in range(f.n - start):
            self.firm_agents.append(FirmAgent(self, start + k, {name: col[k] for name, col in columns.items()}))

    def _push(self) -> None:
        """Write every agent's state into the firm arrays (for the evaluation, clearances and reporters)."""
        f = self.firms
        agents = self.firm_agents
        for name in FIELDS:
            getattr(f, name)[:] = list(map(attrgetter(name), agents))

    def _pull_evaluation(self) -> None:
        """Read this year's 亩均 classes, D years, scores and surcharges into the agents."""
        cls = self.firms.mujun_class.tolist()
        years = self.firms.years_in_d.tolist()
        score = self.score.tolist()
        surcharge = self.surcharge_share.tolist()
        resource = self.resource_share.tolist()
        land_mu = self.firms.land_mu.tolist()  # release_unused_land hands unused land back
        for a in self.firm_agents:
            i = a.row
            a.land_mu = land_mu[i]
            a.mujun_class, a.years_in_d, a.score, a.surcharge_share = cls[i], years[i], score[i], surcharge[i]
            a.resource_share = resource[i] if i < len(resource) else 0.0

    def _pull_clearances(self) -> None:
        """Mark the agents of firms the redevelopment rule cleared (腾笼换鸟) as exited."""
        alive = self.firms.alive.tolist()
        for a in self.firm_agents:
            if a.alive and not alive[a.row]:
                a.alive, a.exit_year = False, self.year
                a.output_yi = a.land_mu = a.floor_mu = 0.0

    # --- per-agent rules -----------------------------------------------------------------------------------------

    def _chain_leaders(self) -> None:
        threshold = self.levers.chain_leaders.threshold_yi
        self.leader_cells = set()
        for a in self.firm_agents:
            a.leader = (a.alive and a.output_yi / self.price * self.scale >= threshold
                        and self.lead_list[a.park][a.sector])
            if a.leader:
                self.leader_cells.add((a.park, a.sector))

    def _agglomeration(self) -> None:
        p, s = self.n_parks, self.n_sectors
        cell = [[0.0] * s for _ in range(p)]
        for a in self.firm_agents:
            cell[a.park][a.sector] += a.output_yi
        park_total = [sum(row) for row in cell]
        sector_total = [sum(cell[q][j] for q in range(p)) for j in range(s)]
        city = sum(sector_total)
        index = [[0.0] * s for _ in range(p)]
        for q in range(p):
            for j in range(s):
                if cell[q][j] > 0 and park_total[q] > 0 and city > 0:
                    index[q][j] = min(max(math.log(cell[q][j] / park_total[q] / (sector_total[j] / city)), -3.0), 3.0)
        # Centred so that its output-weighted mean is zero (agglomeration_index of the fast engine).
        mean = sum(cell[q][j] * index[q][j] for q in range(p) for j in range(s)) / city if city > 0 else 0.0
        self.agglomeration_list = [[value - mean for value in row] for row in index]

    def _grow(self) -> None:
        par, mech = self.params, self.mechanisms
        c = {
            "trend": mech.growth_trend,
            "trend_multiplier": par["trend_growth_multiplier"],
            "channels": par["macro_trend_channels_industry"],
            "agglomeration": mech.agglomeration * par["agglomeration_elasticity"] if mech.agglomeration else 0.0,
            "spillover": mech.chain_spillover * par["chain_spillover"],
            "service": mech.chain_leader_service * self.levers.chain_leaders.service_boost,
            "pass_through": par["surcharge_pass_through"],
            "shocks": mech.shocks,
            "volatility": par["volatility_multiplier"],
            "size_exponent": par["size_volatility_exponent"],
            "land_growth": 1.0 + mech.growth_trend * par["land_productivity_growth"],
            "space": mech.space_constraint > 0,
            "guishang": self.firms.guishang_threshold_yi,
            "relocation_shortfall": par["relocation_min_shortfall"],
            "relocation": self.levers.land.relocation_probability * mech.relocation,
        }
        growers = []
        for a in self.firm_agents:
            if not a.alive or a.entry_year >= self.year:
                continue
            a.moved = False
            if a.ramp_left > 0:
                a.ramp_up()
            else:
                a.plan_growth(c)
                growers.append(a)
        askers = [a for a in growers if a.request > 0]
        if askers:
            self._serve_requests(askers)
            for a in askers:
                a.receive_space(a.granted_floor, a.granted_land, c)
        for a in growers:
            a.finish_growth(c)

    def _serve_requests(self, askers: list[FirmAgent]) -> None:
        """Serve space requests park by park in 亩均-class order: standard-factory floor first, then vacant land."""
        priority = self.levers.land.class_priority
        spread = 4.0 * (1.0 - priority) + 0.5
        rng = self.pyrng
        keyed = []
        for a in askers:
            cls = a.mujun_class if a.mujun_class <= 3 else 2
            keyed.append((a.park, priority * cls + rng.random() * spread, a))
        keyed.sort(key=lambda t: (t[0], t[1]))
        state = self.park_state
        floor_stock = state.factory_space_mu.tolist()
        land_stock = state.vacant_mu.tolist()
        for p, _, a in keyed:
            floor = min(a.request, max(floor_stock[p], 0.0))
            floor_stock[p] -= floor
            land_mu = min(a.request - floor, max(land_stock[p], 0.0))
            land_stock[p] -= land_mu
            a.granted_floor, a.granted_land = floor, land_mu
        state.factory_space_mu[:] = [max(x, 0.0) for x in floor_stock]
        state.vacant_mu[:] = [max(x, 0.0) for x in land_stock]

    def _upgrade(self) -> None:
        mech, par, lev = self.mechanisms, self.params, self.levers.funds
        if mech.upgrading <= 0:
            return
        full_rate = lev.tech_upgrade_subsidy_rate * min(mech.funds, 1.0)
        c = {
            "investment_ratio": par["upgrade_investment_ratio"],
            "rectification_c": par["rectification_upgrade_factor_c"],
            "rectification_d": par["rectification_upgrade_factor_d"],
            "pressure_utilisation": par["capacity_pressure_utilisation"],
            "pressure_factor": par["capacity_pressure_upgrade_factor"],
            "rd_gain": par["rd_gain_per_upgrade"],
            "strategic_min": lev.strategic_min_investment_yi,
            "min_investment": lev.tech_upgrade_min_investment_yi,
            "base": mech.upgrading * par["upgrade_propensity"],
            "return_per_margin": float(expected_upgrade_return(par, np.ones(1))[0]),
            "hurdle": par["upgrade_hurdle_rate"],
            "return_sd": par["upgrade_return_sd"],
            "typical_accept": float(investment_acceptance(par, np.ones(1), np.zeros(1))[0]),
            "full_rate": full_rate,
            "rate": full_rate * self.subsidy_ration,
            "gain": par["upgrade_productivity_gain"],
        }
        for a in self.firm_agents:
            if a.alive and a.industrial and a.ramp_left == 0 and a.entry_year < self.year:
                a.upgrade(c)

    def _support_innovation(self) -> None:
        budget = self.levers.funds.innovation_support_yi_per_year * min(self.mechanisms.funds, 1.0)
        if budget <= 0:
            return
        threshold = self.firms.guishang_threshold_yi
        targets = [a for a in self.firm_agents if a.alive and a.output_yi >= threshold and a.industrial
                   and self.lead_list[a.park][a.sector]]
        if not targets:
            return
        park_output = [0.0] * self.n_parks
        for a in targets:
            park_output[a.park] += a.output_yi
        pot = (budget * self.park_state.quota_share).tolist()
        per_output = [pot[q] / park_output[q] if park_output[q] > 0 else 0.0 for q in range(self.n_parks)]
        for a in targets:
            a.rd_intensity = min(a.rd_intensity + self.params["innovation_rd_leverage"] * per_output[a.park], 0.3)
        self.ledger["innovation_support"] += sum(pot[q] for q in range(self.n_parks) if park_output[q] > 0)

    def _exit(self) -> None:
        mech, par, lev = self.mechanisms, self.params, self.levers
        if mech.exit <= 0:
            return
        c = {
            "loss": par["exit_loss_sensitivity"],
            "rectification_years": lev.evaluation.rectification_years,
            "enforcement": lev.evaluation.enforcement * min(mech.evaluation, 1.0),
            "compensation": lev.funds.phaseout_compensation_share * min(mech.funds, 1.0),
            "d_multiplier": par["exit_d_multiplier"],
            "h0": mech.exit * par["exit_base_hazard"],
            "size_floor": GUISHANG_THRESHOLD_YI,
            "size_reference": EXIT_SIZE_REFERENCE_YI,
            "size_elasticity": par["exit_size_elasticity"],
            "young_years": par["exit_young_years"],
            "young_multiplier": par["exit_young_multiplier"],
        }
        for a in self.firm_agents:
            if a.alive and a.entry_year < self.year:
                a.consider_exit(c)

    def _milestones(self) -> None:
        reward_scale = self.levers.funds.milestone_reward_scale * min(self.mechanisms.funds, 1.0)
        for a in self.firm_agents:
            if a.alive and a.industrial:
                a.claim_milestone(reward_scale)

    # --- the year ------------------------------------------------------------------------------------------------

    def step(self) -> None:
        """Advance one year through the fast engine's phases, with the firm rules run agent by agent."""
        self.year += 1
        self._reset_year()
        evaluate_mujun(self)  # reads the arrays, which the last _push left current
        release_unused_land(self)
        self._pull_evaluation()
        self._chain_leaders()
        self._agglomeration()
        draw_macro_shocks(self)
        advance_price(self)
        self.macro_list = self.macro_growth.tolist()
        rank_parks(self)
        land.redevelop_low_efficiency_land(self)
        self._pull_clearances()
        land.deliver_pipeline(self)
        land.build_standard_factories(self)
        land.supply_new_land(self)
        land.clear_exit_parks(self)
        self._pull_clearances()
        start = len(self.firm_agents)
        recruit_projects(self)
        self._adopt_rows(start)
        self._grow()
        self._upgrade()
        self._support_innovation()
        self._exit()
        self._push()
        start = len(self.firm_agents)
        enter_service_firms(self)
        self._adopt_rows(start)
        self._milestones()
        settle_fund(self)
        self._push()
        self.record()

    def run_model(self) -> None:
        """Step to the horizon, then release Mesa's agent-id counter for this model (see the fast engine)."""
        super().run_model()
        release_agent_id_counter(self)
