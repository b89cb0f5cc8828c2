"""PRIM scenario discovery on a synthetic case whose box is known."""

import numpy as np
import pandas as pd
import pytest

from parkabm.experiments.analysis.discovery import choose_box, describe_box, find_box
from parkabm.scenarios.errors import UserInputError


def synthetic(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"land": rng.uniform(0, 30000, n), "focus": rng.uniform(0, 1, n), "noise": rng.uniform(0, 1, n)})
    inside = (x["land"] >= 15000) & (x["focus"] >= 0.6)
    y = np.where(inside, rng.random(n) < 0.9, rng.random(n) < 0.05)
    return x, y


def test_prim_finds_the_true_box_and_ignores_noise():
    x, y = synthetic()
    result = find_box(x, y, threshold=0.8)
    box = result.box.set_index("factor")
    assert box.loc["land", "restricted"] and box.loc["focus", "restricted"]
    assert not box.loc["noise", "restricted"]
    assert box.loc["land", "min"] == pytest.approx(15000, abs=2000)
    assert box.loc["focus", "min"] == pytest.approx(0.6, abs=0.07)
    assert result.stats["density"] >= 0.8
    assert result.stats["coverage"] > 0.6
    assert box.loc["land", "qp_low"] < 0.05 and box.loc["focus", "qp_low"] < 0.05
    assert result.stats["base_rate"] == pytest.approx(y.mean())


def test_trajectory_trades_coverage_for_density():
    x, y = synthetic()
    t = find_box(x, y).trajectory
    assert t["coverage"].iloc[0] == pytest.approx(1.0)
    assert t["density"].iloc[-1] > t["density"].iloc[0]
    assert (np.diff(t["coverage"]) <= 1e-12).all()


def test_summary_states_density_coverage_and_ranges():
    x, y = synthetic()
    result = find_box(x, y, labels={"land": "land redevelopment (亩/yr)"}, what="both targets are met")
    assert "both targets are met in" in result.summary
    assert "land redevelopment (亩/yr) ≥" in result.summary
    assert "focus ≥" in result.summary
    assert "noise" not in result.summary


def test_choose_box_prefers_coverage_among_dense_boxes():
    t = pd.DataFrame({"coverage": [1.0, 0.8, 0.6, 0.3], "density": [0.2, 0.5, 0.85, 0.95]})
    assert choose_box(t, min_density=0.8) == 2
    assert choose_box(t, min_density=0.99) == 3


def test_describe_box_flags_weak_restrictions():
    box = pd.DataFrame([{"factor": "a", "min": 0.5, "max": 1.0, "data_min": 0.0, "data_max": 1.0,
                         "restricted": True, "qp_low": 0.2, "qp_high": np.nan}])
    text = describe_box(box, {"density": 0.9, "coverage": 0.5, "base_rate": 0.1})
    assert "a ≥ 0.5 (weak: quasi-p 0.20)" in text


@pytest.mark.parametrize("y", [np.zeros(50, bool), np.ones(50, bool)])
def test_no_contrast_is_a_user_error(y):
    x = pd.DataFrame({"a": np.linspace(0, 1, 50)})
    with pytest.raises(UserInputError, match="discover"):
        find_box(x, y)
