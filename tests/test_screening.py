"""Screening by the draw: exit and upgrading give the same firms, to the bit, as without it.

Both rules compute their per-firm formula only for the firms whose draw can pass it.
"""

import numpy as np
import pytest
from model_fixtures import scenario_with

from parkabm.agents.firms import FIELDS
from parkabm.model.city import ParkModel
from parkabm.model.rules import exit as exit_rule
from parkabm.model.rules import upgrading
from parkabm.model.simulate import replicate_seed


def _firm_arrays(monkeypatch, patch=None, *, replicate: int) -> tuple[dict[str, np.ndarray], list[int]]:
    """Run a small baseline to 2024; return its firm arrays and how many firms each screened formula was given."""
    given: list[int] = []
    size_age, acceptance = exit_rule.exit_size_age_factor, upgrading.investment_acceptance

    def counted_size_age(model, idx):
        given.append(len(idx))
        return size_age(model, idx)

    def counted_acceptance(par, relative_margin, subsidy_rate):
        given.append(len(relative_margin))
        return acceptance(par, relative_margin, subsidy_rate)

    with monkeypatch.context() as m:
        m.setattr(exit_rule, "exit_size_age_factor", counted_size_age)
        m.setattr(upgrading, "investment_acceptance", counted_acceptance)
        if patch is not None:
            patch(m)
        model = ParkModel(scenario_with(horizon=2024), rng=replicate_seed(11, replicate), mesa_datacollector=False)
        model.run_model()
    return {name: getattr(model.firms, name).copy() for name in FIELDS}, given


def _no_screen(m) -> None:
    m.setattr(exit_rule, "exit_size_age_bound", lambda par: float("inf"))
    m.setattr(upgrading, "upgrade_probability_bound", lambda model, typical, rectification: 1.0)


@pytest.mark.parametrize("replicate", [0, 1, 2])
def test_screening_by_the_draw_changes_no_firm(monkeypatch, replicate):
    screened, given_screened = _firm_arrays(monkeypatch, replicate=replicate)
    full, given_full = _firm_arrays(monkeypatch, _no_screen, replicate=replicate)
    for name in FIELDS:
        np.testing.assert_array_equal(screened[name], full[name], err_msg=name)
    # The screen left firms out (the test exercises it): fewer firms reached the formulas.
    assert sum(given_screened) < sum(given_full)


def test_a_bound_below_the_largest_factor_would_change_exits(monkeypatch):
    """A bound that is too low leaves out firms that exit: the check above is sharp."""
    screened, _ = _firm_arrays(monkeypatch, replicate=0)
    low, _ = _firm_arrays(monkeypatch, lambda m: m.setattr(exit_rule, "exit_size_age_bound", lambda par: 0.5),
                          replicate=0)
    assert not np.array_equal(screened["alive"], low["alive"])


def test_the_exit_bound_is_the_factor_of_the_smallest_youngest_firm():
    par = {"exit_size_elasticity": 0.4, "exit_young_multiplier": 2.0}
    assert exit_rule.exit_size_age_bound(par) == pytest.approx(0.2 ** -0.4 * 2.0)
    assert exit_rule.exit_size_age_bound({**par, "exit_size_elasticity": -0.1}) == float("inf")
