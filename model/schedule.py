"""The yearly schedule: the named phases :meth:`ParkModel.step` runs, in order, as data.

docs/ODD.md, "Process overview and scheduling", lists the same phases with the same rules in the same order
(tests/test_odd.py reads :data:`PHASES` to check it). Each rule is a function of the model; firm rules are vectorised
over the firm arrays, and the per-park parts of the supply and recruitment phases run through the park agents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from parkabm.model.rules.chain_leaders import chain_leaders
from parkabm.model.rules.entry import enter_service_firms
from parkabm.model.rules.evaluation import evaluate_mujun
from parkabm.model.rules.exit import exit_firms
from parkabm.model.rules.funds import pay_milestone_rewards, settle_fund, support_innovation
from parkabm.model.rules.growth import agglomeration_index, grow_firms
from parkabm.model.rules.land import (
    build_standard_factories,
    clear_exit_parks,
    deliver_pipeline,
    redevelop_low_efficiency_land,
    supply_new_land,
)
from parkabm.model.rules.macro import draw_macro_shocks
from parkabm.model.rules.prices import advance_price
from parkabm.model.rules.race import rank_parks
from parkabm.model.rules.recruitment import recruit_projects
from parkabm.model.rules.resources import release_unused_land
from parkabm.model.rules.upgrading import upgrade_firms
from parkabm.model.streams import start_rule_stream

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel

Rule = Callable[["ParkModel"], None]


def record_year(model: ParkModel) -> None:
    """Tally the year once and append every registered output to the model's records (and its DataCollector)."""
    model.record()


@dataclass(frozen=True)
class Phase:
    """One phase of the year.

    Attributes:
        name: Short name, as in docs/ODD.md.
        rules: The rules the phase runs, in order.
        description: What the phase does.
    """

    name: str
    rules: tuple[Rule, ...]
    description: str

    def run(self, model: ParkModel) -> None:
        """Apply the phase's rules to ``model`` in order."""
        for rule in self.rules:
            stream = RULE_STREAMS.get(rule.__name__)
            if stream is not None:
                start_rule_stream(model, stream, len(RULE_INDEX))
            rule(model)


EVALUATE = Phase("evaluate", (evaluate_mujun, release_unused_land, chain_leaders, agglomeration_index),
                 "亩均论英雄 classes and surcharges, chain leaders and agglomeration, from last year's state.")
"""The evaluation phase, also run once when the model is built (before the base year is recorded)."""

PHASES: tuple[Phase, ...] = (
    EVALUATE,
    Phase("price", (draw_macro_shocks, advance_price),
          "The city-wide macro shock and trend drift move; the industrial and service price indices move by the "
          "year's price growth."),
    Phase("allocate", (rank_parks,), "赛马 ranking sets this year's land and fund quota shares."),
    Phase("supply", (redevelop_low_efficiency_land, deliver_pipeline, build_standard_factories, supply_new_land,
                     clear_exit_parks),
          "Parks redevelop low-efficiency land, deliver redeveloped land, build standard factories and receive "
          "new land quota; 退出型 parks are cleared into their receiving platforms."),
    Phase("recruit", (recruit_projects,), "New projects arrive and are sited on the parks' space."),
    Phase("firms", (grow_firms, upgrade_firms, support_innovation, exit_firms, enter_service_firms),
          "Firms grow (asking for space, relocating), upgrade, receive innovation support and exit; service firms "
          "enter."),
    Phase("fund", (pay_milestone_rewards, settle_fund),
          "Milestone rewards and the manufacturing fund's settlement."),
    Phase("record", (record_year,), "Every registered output of the year is recorded."),
)
"""The phases of one year, in the order :meth:`ParkModel.step` runs them."""


def rule_names() -> list[str]:
    """Return the names of every rule of the year, in the order they run."""
    return [rule.__name__ for phase in PHASES for rule in phase.rules]


RULE_INDEX: dict[str, int] = {name: i for i, name in enumerate(rule_names())}
"""Place of every rule in the year, by name: each rule of each year that draws does so from its own random stream,
numbered by this place (:func:`parkabm.model.streams.start_rule_stream`), so a change in what one rule draws leaves
the others' draws alone and paired runs keep common random numbers."""

RANDOM_RULES: frozenset[str] = frozenset({
    "clear_exit_parks", "recruit_projects", "grow_firms", "upgrade_firms", "exit_firms", "enter_service_firms",
})
"""The rules that draw random numbers. Only these start their own stream (:data:`RULE_STREAMS`); the others draw
nothing, so starting a stream for them would change no number and cost a generator state each
(tests/test_reproducibility.py checks that every other rule leaves the generator's state as it found it)."""

RULE_STREAMS: dict[str, int] = {name: RULE_INDEX[name] for name in RANDOM_RULES}
"""The stream of each rule that draws: its place in the year (:data:`RULE_INDEX`), so a rule's stream does not depend
on which other rules draw."""
