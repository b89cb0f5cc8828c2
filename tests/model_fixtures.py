"""Helpers shared by the model tests: small scenarios, seeded runs, tiny worlds, invariant checks, golden runs.

Imported by the test modules (``from model_fixtures import ...``) and by ``tests/update_golden.py``.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from parkabm.agents.firms import FIELDS, Firms
from parkabm.agents.parks import ParkState
from parkabm.model.city import ParkModel
from parkabm.model.rules.land import CITY_INDUSTRIAL_LAND_MU
from parkabm.model.simulate import simulate
from parkabm.scenarios.loader import apply_changes, load_scenario
from parkabm.scenarios.parameters import defaults
from parkabm.scenarios.world import DATA_DIR

ROUNDING_MU = 1e-9
"""Amounts of land or floor this close to zero count as zero in invariant checks (floating-point rounding)."""
SHARE_ROUNDING = 1e-12
"""Shares may leave [0, 1] by this much through floating-point rounding."""
SMALL_SCALE = 0.25
"""population_scale of the small test worlds."""


# --- scenarios and runs -------------------------------------------------------------------------------------------

@cache
def shipped(name: str = "baseline"):
    """Return a shipped scenario, loaded once per process (scenarios are immutable)."""
    return load_scenario(name)


def scenario_with(changes: dict | None = None, *, name: str = "baseline", scale: float = SMALL_SCALE,
                  horizon: int = 2025):
    """Return a shipped scenario at a small population scale and short horizon, with extra changes."""
    return apply_changes(shipped(name), {"world.population_scale": scale, "world.horizon": horizon,
                                         **(changes or {})})


def run_model(scenario, seed: int, parameters: dict | None = None, world=None) -> ParkModel:
    """Build and run a model with fixed default parameters (unless given) and an integer seed."""
    model = ParkModel(scenario, parameters=defaults() if parameters is None else parameters, rng=seed, world=world)
    model.run_model()
    return model


def yearly(scenario, seed: int, parameters: dict | None = None) -> pd.DataFrame:
    """Return the yearly outputs of one seeded run, indexed by year."""
    return run_model(scenario, seed, parameters).yearly_frame().set_index("year")


# --- hand-built pieces --------------------------------------------------------------------------------------------

def park_state(vacant, factory_space=None, **extra) -> ParkState:
    """Return a ParkState with the given vacant land and standard-factory floor (other stocks zero)."""
    vacant = np.asarray(vacant, dtype=float)
    p = len(vacant)
    zeros = np.zeros(p)
    fields = dict(
        industrial_land_mu=np.full(p, 1000.0), idle_mu=zeros.copy(), vacant_mu=vacant.copy(),
        factory_land_mu=zeros.copy(),
        factory_space_mu=zeros.copy() if factory_space is None else np.asarray(factory_space, dtype=float).copy(),
        pipeline_mu=np.zeros((p, 1)), recruitment_capacity=np.ones(p), recruitment_effort=np.ones(p),
        strategic_candidate=np.zeros(p, dtype=bool),
    )
    fields.update(extra)
    return ParkState(**fields)


def firms_of(**columns) -> Firms:
    """Return a Firms population from a few columns; ``alive`` and ``industrial`` default to True."""
    n = len(next(iter(columns.values())))
    columns.setdefault("alive", np.ones(n, dtype=bool))
    columns.setdefault("industrial", np.ones(n, dtype=bool))
    return Firms({k: np.asarray(v, dtype=FIELDS[k]) for k, v in columns.items()})


def model_stub(firms: Firms, scenario=None, **extra) -> SimpleNamespace:
    """Return the few model attributes a single rule reads: firms, levers, mechanisms, parameters, ledger, counts."""
    scenario = scenario if scenario is not None else shipped()
    stub = SimpleNamespace(
        firms=firms, levers=scenario.levers, mechanisms=scenario.levers.mechanisms, params=defaults(),
        ledger={"milestone_rewards": 0.0}, counts={}, price=1.0, scale=1.0,
        mujun_benchmark=None, mujun_cutoffs=None,
    )
    for key, value in extra.items():
        setattr(stub, key, value)
    return stub


def write_tiny_world(folder: Path, *, parks: pd.DataFrame, sectors: list[str],
                     park_sectors: list[tuple[str, str, float]]) -> Path:
    """Write a small world in the format of ``scenarios/data`` and return its folder.

    Sector rows are copied from the shipped sectors.csv; park rows are the given frame (any shipped column it
    lacks is copied from the shipped first park); scope, targets, history and concentration are the shipped files.
    """
    folder.mkdir(parents=True, exist_ok=True)
    shipped_sectors = pd.read_csv(DATA_DIR / "sectors.csv")
    shipped_sectors[shipped_sectors["sector"].isin(sectors)].to_csv(folder / "sectors.csv", index=False)
    template = pd.read_csv(DATA_DIR / "parks.csv")
    rows = []
    for _, row in parks.iterrows():
        full = template.iloc[0].copy()
        for column, value in row.items():
            full[column] = value
        rows.append(full)
    pd.DataFrame(rows, columns=template.columns).to_csv(folder / "parks.csv", index=False)
    pd.DataFrame(park_sectors, columns=["park", "sector", "output_2021_yi"]).assign(
        source="assumed: test world").to_csv(folder / "park_sectors.csv", index=False)
    for name in ("scope", "targets", "history", "concentration"):
        (folder / f"{name}.csv").write_bytes((DATA_DIR / f"{name}.csv").read_bytes())
    return folder


# --- invariants ---------------------------------------------------------------------------------------------------

def in_unit_interval(values) -> bool:
    """Whether every value lies in [0, 1] up to :data:`SHARE_ROUNDING`."""
    values = np.asarray(values, dtype=float)
    return bool(((values >= -SHARE_ROUNDING) & (values <= 1 + SHARE_ROUNDING)).all())


def land_balance_gap(model) -> np.ndarray:
    """Per park: (firm land + factory land + idle + pipeline + vacant) / industrial land − 1."""
    f = model.firms
    s = model.park_state
    held = np.bincount(f.park[f.alive], weights=f.land_mu[f.alive], minlength=model.n_parks)
    parts = held + s.factory_land_mu + s.idle_mu + s.pipeline_mu.sum(axis=1) + s.vacant_mu
    return parts / s.industrial_land_mu - 1.0


def invariant_problems(model) -> list[str]:
    """Return every violated invariant of the model's current state (an empty list when all hold)."""
    problems = []
    f = model.firms
    s = model.park_state
    gap = np.abs(land_balance_gap(model))
    if gap.max() > 1e-6:
        problems.append(f"park land balance off by up to {gap.max():.2e} (relative)")
    city = s.industrial_land_mu.sum() + model.outside_land_mu
    if not math.isclose(city, CITY_INDUSTRIAL_LAND_MU, rel_tol=1e-9):
        problems.append(f"zones + outside land = {city}, not {CITY_INDUSTRIAL_LAND_MU}")
    for name in ("output_yi", "land_mu", "floor_mu", "productivity", "target_output_yi"):
        values = getattr(f, name)
        # Rounding of allocate_space can leave −1e-14 亩 (see test_allocate_space_never_grants_negative_space).
        if (values < -ROUNDING_MU).any() or not np.isfinite(values).all():
            problems.append(f"firm {name} negative or not finite")
    for name in ("industrial_land_mu", "idle_mu", "vacant_mu", "factory_land_mu", "factory_space_mu",
                 "pipeline_mu"):
        values = getattr(s, name)
        if (values < -ROUNDING_MU).any() or not np.isfinite(values).all():
            problems.append(f"park {name} negative or not finite: min {values.min()}")
    if model.outside_land_mu < -ROUNDING_MU:
        problems.append(f"outside land negative: {model.outside_land_mu}")
    quota = s.quota_share
    if not in_unit_interval(quota) or not math.isclose(quota.sum(), 1.0, rel_tol=1e-9):
        problems.append(f"quota shares not in [0, 1] or not summing to 1: {quota}")
    dead = ~f.alive
    if (f.exit_year[dead] <= 0).any():
        problems.append("exited firms without an exit year")
    if (f.output_yi[dead] != 0).any() or (f.land_mu[dead] != 0).any() or (f.floor_mu[dead] != 0).any():
        problems.append("exited firms keep output, land or floor")
    if (f.exit_year[f.alive] != 0).any():
        problems.append("alive firms with an exit year")
    record = model.records[-1]
    for name in ("leading_share", "class_a_share", "class_b_share", "class_c_share", "class_d_share",
                 "zone_land_share", "max_low_efficiency_share"):
        value = record[name]
        if not (np.isnan(value) and name.startswith("class_")) and not in_unit_interval(value):
            problems.append(f"{name} = {value} outside [0, 1]")
    classes = [record[f"class_{c}_share"] for c in "abcd"]
    if not np.isnan(classes).all() and not math.isclose(sum(classes), 1.0, rel_tol=1e-9):
        problems.append(f"class shares sum to {sum(classes)}")
    park = model.park_records[-1]
    for name in ("leading_share", "low_efficiency_share", "quota_share"):
        values = np.asarray(park[name])
        if not in_unit_interval(values):
            problems.append(f"park {name} outside [0, 1]: {values}")
    for name, value in record.items():
        if name in ("fai_growth", "year") or name.startswith("class_"):
            continue
        if not np.isfinite(value) or value < -ROUNDING_MU:
            problems.append(f"{name} = {value} negative or not finite")
    return problems


# --- concentration facts ------------------------------------------------------------------------------------------

def concentration_facts(park: np.ndarray, sector: np.ndarray, industrial: np.ndarray, output: np.ndarray,
                        park_ids: list[str], sector_ids: list[str], guishang_yi: float = 0.2) -> dict[str, float]:
    """Compute the firm-size facts of concentration.csv from a population (sizes at population_scale 1).

    余杭经开区 (``yuhang_etdz``, industrial firms): firms ≥1亿, their share of 规上 output, the top 15's share.
    钱塘 biomedicine (``hangzhou_etdz`` × ``biomedicine``): 规上 firms and firms ≥1亿, ≥5亿, ≥10亿.
    """
    yuhang = (park == park_ids.index("yuhang_etdz")) & industrial & (output >= guishang_yi)
    y = output[yuhang]
    biomed = (park == park_ids.index("hangzhou_etdz")) & (sector == sector_ids.index("biomedicine"))
    b = output[biomed]
    return {
        "yuhang_ge_1yi": float((y >= 1).sum()),
        "yuhang_ge_1yi_share": float(y[y >= 1].sum() / y.sum()),
        "yuhang_top15_share": float(np.sort(y)[-15:].sum() / y.sum()),
        "qiantang_biomed_guishang": float((b >= guishang_yi).sum()),
        "qiantang_biomed_ge_1yi": float((b >= 1).sum()),
        "qiantang_biomed_ge_5yi": float((b >= 5).sum()),
        "qiantang_biomed_ge_10yi": float((b >= 10).sum()),
    }


CONCENTRATION_TOLERANCES = {
    # fact: (data value, lowest accepted mean, highest accepted mean)
    "yuhang_ge_1yi": (113, 113 * 0.7, 113 * 1.3),
    "yuhang_ge_1yi_share": (0.9, 0.9, 1.0),
    "yuhang_top15_share": (0.7, 0.5, 0.85),
    "qiantang_biomed_guishang": (83, 83 * 0.75, 83 * 1.25),
    "qiantang_biomed_ge_1yi": (54, 54 * 0.7, 54 * 1.3),
    "qiantang_biomed_ge_5yi": (21, 21 * 0.6, 21 * 1.4),
    "qiantang_biomed_ge_10yi": (11, 11 * 0.5, 11 * 1.5),
}
"""Accepted range of each fact's mean over seeds. Counts: ±30% (规上 count ±25%, the ≥5亿 and ≥10亿 tails, which
hold 21 and 11 firms, ±40% and ±50%); 余杭 ≥1亿 firms hold more than 90% of 规上 output; its top 15 hold 50–85%
(reported about 70%)."""


def concentration_misses(mean_facts: dict[str, float]) -> dict[str, tuple[float, float, float]]:
    """Return the facts whose mean lies outside :data:`CONCENTRATION_TOLERANCES` as (value, low, high)."""
    misses = {}
    for name, (_, low, high) in CONCENTRATION_TOLERANCES.items():
        value = mean_facts[name]
        if not low <= value <= high:
            misses[name] = (value, low, high)
    return misses


# --- golden baseline ----------------------------------------------------------------------------------------------

GOLDEN_PATH = Path(__file__).parent / "golden" / "baseline.json"
GOLDEN_SETTINGS = {"scenario": "baseline", "population_scale": 0.25, "horizon": 2025, "seed": 12345,
                   "replicates": 3, "parameters": "sampled from the scenario's uncertainties"}
GOLDEN_METRICS = ("total_output_yi", "leading_share", "tax_per_mu_wan", "guishang_industrial_firms", "exits",
                  "projects_signed", "fiscal_total_yi")
GOLDEN_RTOL = 1e-9


def golden_values() -> dict:
    """Run the golden baseline and return its metrics as ``{replicate: {year: {metric: value}}}`` (JSON keys)."""
    scenario = apply_changes(shipped(GOLDEN_SETTINGS["scenario"]), {
        "world.population_scale": GOLDEN_SETTINGS["population_scale"],
        "world.horizon": GOLDEN_SETTINGS["horizon"],
    })
    values = {}
    for r in range(GOLDEN_SETTINGS["replicates"]):
        result = simulate(scenario, seed=GOLDEN_SETTINGS["seed"], replicate=r)
        frame = result.yearly.set_index("year")
        values[str(r)] = {str(year): {m: float(frame.loc[year, m]) for m in GOLDEN_METRICS} for year in frame.index}
    return values


def golden_document(values: dict) -> dict:
    """Return the JSON document of the golden baseline: its settings, metrics, tolerance and values."""
    return {"settings": GOLDEN_SETTINGS, "metrics": list(GOLDEN_METRICS), "rtol": GOLDEN_RTOL, "values": values}


def read_golden(path: Path = GOLDEN_PATH) -> dict:
    """Return the stored golden document."""
    return json.loads(path.read_text(encoding="utf-8"))


def write_golden(document: dict, path: Path = GOLDEN_PATH) -> None:
    """Write the golden document (sorted keys, one value per line, so that diffs are readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def golden_differences(old: dict, new: dict, rtol: float = GOLDEN_RTOL) -> list[tuple[str, str, str, float, float]]:
    """Return ``(replicate, year, metric, old, new)`` for every value that differs beyond ``rtol``.

    A value missing on one side is shown as NaN.
    """
    out = []
    for r in sorted(set(old) | set(new), key=int):
        years_old, years_new = old.get(r, {}), new.get(r, {})
        for year in sorted(set(years_old) | set(years_new), key=int):
            a_all, b_all = years_old.get(year, {}), years_new.get(year, {})
            for metric in sorted(set(a_all) | set(b_all)):
                a = a_all.get(metric, math.nan)
                b = b_all.get(metric, math.nan)
                same = math.isclose(a, b, rel_tol=rtol, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
                if not same:
                    out.append((r, year, metric, a, b))
    return out
