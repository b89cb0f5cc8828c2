"""The sensitivity methods against the Ishigami function's analytic indices (a = 7, b = 0.1)."""

import math

import numpy as np
import pytest

from parkabm.experiments.analysis.sensitivity import METHODS, SAProblem

A, B = 7.0, 0.1
N_SOBOL = 1024
"""Base sample size at which the analytic indices are checked (2^10; 5,120 runs without second order)."""


def ishigami(X):
    return np.sin(X[:, 0]) + A * np.sin(X[:, 1]) ** 2 + B * X[:, 2] ** 4 * np.sin(X[:, 0])


def analytic_indices():
    v = A**2 / 8 + B * math.pi**4 / 5 + B**2 * math.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
    first = {"x1": v1 / v, "x2": v2 / v, "x3": 0.0}
    total = {"x1": (v1 + v13) / v, "x2": v2 / v, "x3": v13 / v}
    return first, total


PROBLEM = SAProblem(["x1", "x2", "x3"], [(-math.pi, math.pi)] * 3)


def indices(frame, index):
    sub = frame[frame["index"] == index].set_index("factor")
    return sub


def test_sobol_reproduces_ishigami_within_ci_and_005():
    X = METHODS["sobol"].design(PROBLEM, N_SOBOL, seed=1)
    result = METHODS["sobol"].analyze(PROBLEM, X, ishigami(X), seed=2, num_resamples=300)
    first, total = analytic_indices()
    for index, truth in (("S1", first), ("ST", total)):
        got = indices(result, index)
        for name, value in truth.items():
            row = got.loc[name]
            assert abs(row["value"] - value) < 0.05, (index, name, row["value"], value)
            assert row["ci_low"] <= value <= row["ci_high"], (index, name, row.to_dict(), value)


def test_sobol_second_order_finds_the_x1_x3_interaction_only():
    X = METHODS["sobol"].design(PROBLEM, 512, seed=3, second_order=True)
    result = indices(METHODS["sobol"].analyze(PROBLEM, X, ishigami(X), seed=4, second_order=True), "S2")
    _, total = analytic_indices()
    assert result.loc["x1×x3", "value"] == pytest.approx(total["x3"], abs=0.06)
    assert abs(result.loc["x1×x2", "value"]) < 0.06
    assert abs(result.loc["x2×x3", "value"]) < 0.06


def test_morris_ranks_x3_above_zero_and_x1_first():
    X = METHODS["morris"].design(PROBLEM, 200, seed=5)
    mu_star = indices(METHODS["morris"].analyze(PROBLEM, X, ishigami(X), seed=6), "mu_star")["value"]
    assert mu_star.idxmax() in {"x1", "x2"}
    assert mu_star["x3"] > 0.5  # x3 matters through its interaction with x1 although S1(x3) = 0
    sigma = indices(METHODS["morris"].analyze(PROBLEM, X, ishigami(X), seed=6), "sigma")["value"]
    assert sigma["x3"] > 0.5 * mu_star["x3"]  # an interaction shows as a large σ


def test_delta_ranks_the_ishigami_factors_and_gives_cis():
    X = METHODS["delta"].design(PROBLEM, 600, seed=7)
    result = METHODS["delta"].analyze(PROBLEM, X, ishigami(X), seed=8, num_resamples=20)
    delta = indices(result, "delta")
    assert delta["value"]["x2"] > delta["value"]["x3"]
    assert delta["value"]["x1"] > delta["value"]["x3"]
    assert (delta["ci_low"] <= delta["value"]).all() and (delta["value"] <= delta["ci_high"]).all()
    s1 = indices(result, "S1")["value"]
    assert s1["x3"] < 0.1 < min(s1["x1"], s1["x2"])  # analytic S1: x1 0.31, x2 0.44, x3 0


def test_pawn_sees_every_ishigami_factor_and_a_dummy_as_small():
    problem = SAProblem(["x1", "x2", "x3", "dummy"], [(-math.pi, math.pi)] * 4)
    X = METHODS["pawn"].design(problem, 2000, seed=9)
    got = indices(METHODS["pawn"].analyze(problem, X, ishigami(X[:, :3]), seed=10), "pawn_median")["value"]
    assert got["dummy"] < min(got["x1"], got["x2"], got["x3"])


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_has_the_same_signature(method):
    import inspect

    module = METHODS[method]
    design = inspect.signature(module.design)
    analyze = inspect.signature(module.analyze)
    assert list(design.parameters)[:3] == ["problem", "n", "seed"]
    assert design.parameters["seed"].kind is inspect.Parameter.KEYWORD_ONLY
    assert list(analyze.parameters)[:4] == ["problem", "X", "Y", "seed"]
    assert analyze.parameters["seed"].kind is inspect.Parameter.KEYWORD_ONLY


def test_same_seed_same_design_and_indices():
    for method in METHODS:
        m = METHODS[method]
        n = 64 if method == "sobol" else 40 if method == "morris" else 200
        X1, X2 = m.design(PROBLEM, n, seed=11), m.design(PROBLEM, n, seed=11)
        np.testing.assert_array_equal(X1, X2)
        a = m.analyze(PROBLEM, X1, ishigami(X1), seed=12)
        b = m.analyze(PROBLEM, X2, ishigami(X2), seed=12)
        assert a.equals(b), method


def test_problem_rejects_bad_bounds_and_shapes():
    with pytest.raises(ValueError, match="below"):
        SAProblem(["a"], [(1.0, 1.0)])
    with pytest.raises(ValueError, match="unique"):
        SAProblem(["a", "a"], [(0, 1), (0, 1)])
    X = METHODS["delta"].design(PROBLEM, 10, seed=0)
    with pytest.raises(ValueError, match="columns"):
        METHODS["delta"].analyze(SAProblem(["a"], [(0, 1)]), X, np.zeros(10), seed=0)
