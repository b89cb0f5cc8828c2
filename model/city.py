"""The city model: a Mesa model that owns the parks, the firm population, the levers and one random generator.

One ``step()`` is one calendar year, in the named phases of :data:`parkabm.model.schedule.PHASES` (docs/ODD.md,
"Process overview and scheduling"). Every attribute a rule reads or writes is declared, with its type, on
:class:`ParkModel` and created in its ``__init__``; rules are functions typed against it.

The model is Mesa-native: ``ParkModel("baseline", seed=1, redevelopment_mu_per_year=20000)`` takes a shipped scenario
name (or a resolved scenario) and flat lever keywords (:func:`lever_keywords`), keeps a ``mesa.DataCollector`` fed
from the output registry, and stops (``running = False``) at the scenario's horizon, so ``mesa.batch_run`` works.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
import types
import weakref
from dataclasses import dataclass
from typing import Any, Literal

import mesa
import numpy as np
import pandas as pd
from pydantic import BaseModel

from parkabm.agents.firms import Firms
from parkabm.agents.parks import Park, ParkState
from parkabm.agents.population import (
    ATTRIBUTES,
    BASE_POPULATIONS,
    MILESTONES_YI,
    draw_firm_attributes,
    generate_firms,
)
from parkabm.model import kernels
from parkabm.model.outputs.registry import CITY_OUTPUTS, CITY_REPORTERS, PARK_OUTPUTS, PARK_REPORTERS
from parkabm.model.outputs.reporters import CITY_GDP_2021_YI, FISCAL_LEVERS, Tally, group_output_columns, tally
from parkabm.model.rules import exit as exit_rules
from parkabm.model.rules import land, macro
from parkabm.model.rules import race as race_rules
from parkabm.model.schedule import EVALUATE, PHASES
from parkabm.scenarios.errors import Problem, UserInputError
from parkabm.scenarios.loader import MANUFACTURING_OPINIONS_LAST_YEAR, levers_after_2021
from parkabm.scenarios.parameters import PARAMETERS, defaults
from parkabm.scenarios.schema import Levers, Mechanisms, Scenario, WorldSettings
from parkabm.scenarios.world import World, load_world

DATA_YEAR = 2021
"""The year the world's output data describe."""

POLICY_CLUSTERS = ("smart_iot", "biomedicine", "high_end_equipment", "new_materials", "green_energy",
                   "frontier", "nev", "digital_services")
"""Sector groups counted as 产业集群 for the 千亿级/万亿级 targets: the five 产业生态圈, the frontier industries,
new-energy vehicles and digital services (杭政函〔2023〕13号 (三)); traditional industries and other services are
not."""

PHASEOUT_COMPENSATION_WAN_PER_MU = PARAMETERS["phaseout_compensation_wan_per_mu"].default
"""Default of the parameter ``phaseout_compensation_wan_per_mu`` (a run reads its own value from ``params``)."""

ENTRANT_ROWS_PER_YEAR = 0.1
"""Spare firm rows reserved per simulated year, as a share of the initial population: entrants (projects and
service firms) add 4–7% a year, so a run rarely outgrows the reserve and its firm arrays are never copied
(:class:`parkabm.agents.firms.Firms`)."""

_COUNTS = ("entries", "exits", "enforced_exits", "relocations", "upgrades", "projects_signed", "projects_unsited",
           "projects_over_10yi", "fai_yi", "standard_factory_m2", "service_entries",
           "space_requested_a_mu", "space_granted_a_mu", "redevelopment_mu", "redevelopment_top_half_mu",
           "projects_signed_leading")
_FUND_COUNTS = ("subsidised_upgrades", "enforced_exit_land_mu", "fund_room_yi", "fund_subsidy_demand_yi")
"""Counts of the fund rules (docs/ODD.md §7.3, 7.4, 7.10): upgrades that earned the 技术改造 subsidy, land that
overdue D firms leaving under enforcement (腾退, in ``exit_firms``) send to redevelopment (亩), the manufacturing
fund's room left for subsidies after rewards and innovation support and the subsidy demand at the full rate
(亿元)."""


def release_agent_id_counter(model: mesa.Model) -> None:
    """Drop Mesa's class-level reference to ``model`` once its agents exist, so a finished run can be freed.

    Mesa 3.3 counts agent ids in ``Agent._ids``, a class attribute keyed by model, which keeps every model alive
    for the life of the process (mesa issue #3179, fixed in Mesa 3.4 by assigning ids at registration): a worker
    running thousands of jobs grew by about 1.3 MB a run until the kernel killed it. All agents of the city (the
    parks) are created in ``__init__``, so the counter is no longer needed after it.
    """
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)


class _WeakMethod:
    """A method of an object that the object itself stores, calling it through a weak reference to the object.

    Mesa's ``Model.__init__`` stores two bound methods on the model (``step``, its wrapper, and ``_user_step``, the
    model's own), each a strong reference back to the model: a reference cycle, freed only when the cycle
    collector next runs. See :func:`break_model_cycles`.
    """

    __slots__ = ("_function", "_owner")

    def __init__(self, method: Any):
        self._function = method.__func__
        self._owner = weakref.ref(method.__self__)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the method on its object (which exists while anyone calls through it: the object holds this)."""
        return self._function(self._owner(), *args, **kwargs)


def break_model_cycles(model: mesa.Model) -> None:
    """Make the bound methods Mesa stores on ``model`` refer to it weakly, so that no cycle keeps it alive.

    With the parks' weak reference to their model (:attr:`parkabm.agents.parks.Park.model`), nothing the model
    holds refers back to it: a finished run is freed as soon as its last reference goes, and its firm arrays are
    reused by the next run while still in the processor's caches. Left to the cycle collector, the finished models
    of a batch waited for a collection with their memory held: a baseline run took 2.6% longer (median of 16
    blocks of 40 runs, alternating with and without, in one process). Behaviour is the same: ``model.step()``
    runs Mesa's step wrapper, which calls the model's own ``step``.
    """
    for name in ("step", "_user_step"):
        bound = model.__dict__.get(name)
        if isinstance(bound, types.MethodType) and bound.__self__ is model:
            setattr(model, name, _WeakMethod(bound))


_MALLOC_SETTINGS = {-3: 32 << 20, -1: 1 << 30, -2: 64 << 20}
"""glibc ``mallopt`` settings of :func:`retain_freed_memory`: ``M_MMAP_THRESHOLD`` (-3) at 32 MiB, the largest glibc
allows, ``M_TRIM_THRESHOLD`` (-1) at 1 GiB and ``M_TOP_PAD`` (-2) at 64 MiB (the heap grows in steps of that much
rather than by each request)."""
_malloc_tuned: bool | None = None  # decided once per process


def retain_freed_memory() -> bool:
    """Let freed array memory be reused as it is: the C allocator keeps it (glibc only), NumPy asks no huge pages.

    Every rule builds temporary arrays of one value per firm, about 8 MB each at 10⁶ firms. With glibc's default
    settings a block that size is mapped fresh from the kernel when allocated and unmapped when freed, so each new
    temporary is page-faulted in again, page by page: at 10⁶ firms that cost more than the arithmetic (stepping at
    ``population_scale`` 170 took 40% less time with the blocks kept). Raising the mmap and trim thresholds
    (:data:`_MALLOC_SETTINGS`) makes freed blocks stay in the heap, where the next temporary reuses them; the
    price is that a process keeps the memory of its largest run until it exits. NumPy also asks the kernel for
    transparent huge pages for every array of 4 MB or more; for memory that is reused rather than faulted in, they
    save nothing, and where the kernel compacts memory to find them (``defrag`` on ``madvise``) the request stalled
    the set-up of a 10⁶-firm run for most of its time (1.0 s against 0.27 s without), so it is switched off too.

    Applied once per process, when the first model is built. The allocator part is a no-op off glibc and when
    ``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TRIM_THRESHOLD_`` is set in the environment, the huge-page part when
    ``NUMPY_MADVISE_HUGEPAGE`` is set: the user's own choice wins.

    Returns:
        Whether the allocator settings are in force.
    """
    global _malloc_tuned
    if _malloc_tuned is None:
        _malloc_tuned = False
        user_set = os.environ.get("MALLOC_MMAP_THRESHOLD_") or os.environ.get("MALLOC_TRIM_THRESHOLD_")
        if not user_set and sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
            try:
                libc = ctypes.CDLL(None)
                _malloc_tuned = all(libc.mallopt(option, value) == 1 for option, value in _MALLOC_SETTINGS.items())
            except (OSError, AttributeError):
                pass
        # NumPy's own switch (what NUMPY_MADVISE_HUGEPAGE=0 sets at import); absent in other NumPy versions.
        set_hugepage = getattr(getattr(getattr(np, "_core", None), "multiarray", None), "_set_madvise_hugepage", None)
        if set_hugepage is not None and "NUMPY_MADVISE_HUGEPAGE" not in os.environ:
            set_hugepage(False)
    return _malloc_tuned


def check_parameters(values: dict[str, float]) -> dict[str, float]:
    """Return every behavioural parameter: the given values over the defaults.

    Raises:
        UserInputError: A name is not a parameter of :mod:`parkabm.scenarios.parameters`, or a value is outside its
            hard bounds.
    """
    problems = []
    for name, value in values.items():
        p = PARAMETERS.get(name)
        if p is None:
            problems.append(Problem.of("parameters", name, value, "a parameter: " + ", ".join(sorted(PARAMETERS))))
        elif not p.low <= value <= p.high:
            problems.append(Problem.of("parameters", name, value, f"a number from {p.low:g} to {p.high:g}"))
    if problems:
        raise UserInputError(problems)
    return {**defaults(), **values}


def _flag(column: pd.Series) -> np.ndarray:
    return column.astype(str).str.lower().isin(["true", "1", "yes"]).to_numpy()


@dataclass(frozen=True)
class WorldTables:
    """The world's tables as arrays for one output scope: what every run of that world and scope shares.

    Built once per world and scope (:func:`world_tables`) so that a batch of thousands of runs does not redo the
    pandas work; runs copy what they change.
    """

    sector_ids: list[str]
    park_ids: list[str]
    park_names_zh: list[str]
    park_names_en: list[str]
    sector_table: dict[str, np.ndarray]
    sector_trend: np.ndarray
    sector_volatility: np.ndarray
    sector_output_per_mu: np.ndarray
    sector_strategic: np.ndarray
    group_ids: list[str]
    sector_group: np.ndarray
    cluster_group_mask: np.ndarray
    lead_mask: np.ndarray
    cell_park: np.ndarray
    cell_sector: np.ndarray
    cell_output_2021: np.ndarray
    recruit_mix: np.ndarray
    park_land: dict[str, np.ndarray]
    recruitment_capacity: np.ndarray
    strategic_candidate: np.ndarray


_TABLES: dict[tuple[int, str], tuple[World, WorldTables]] = {}


def world_tables(world: World, scope: str) -> WorldTables:
    """Return the array form of ``world`` for ``scope``, built on first use and cached per world object."""
    key = (id(world), scope)
    cached = _TABLES.get(key)
    if cached is not None and cached[0] is world:
        return cached[1]
    sector_ids = world.sector_ids(scope)
    park_ids = list(world.parks.index)
    sec = world.sectors.loc[sector_ids]
    sector_table = {
        "industrial": (sec["kind"] == "industrial").to_numpy(),
        **{c: sec[c].to_numpy(dtype=float) for c in (
            "value_added_rate", "tax_ratio", "output_per_mu_wan", "electricity_kwh_per_wan",
            "emission_index", "rd_intensity", "labour_productivity_wan")},
    }
    groups = list(dict.fromkeys(sec["group"]))
    s_index = {s: i for i, s in enumerate(sector_ids)}
    p_index = {p: i for i, p in enumerate(park_ids)}
    lead_mask = np.zeros((len(park_ids), len(sector_ids)), dtype=bool)
    for p, pid in enumerate(park_ids):
        for s in world.leading_sectors(pid):
            if s in s_index:
                lead_mask[p, s_index[s]] = True
    cells = world.park_sectors[world.park_sectors["sector"].isin(s_index)]
    cell_park = cells["park"].map(p_index).to_numpy(dtype=np.int64)
    cell_sector = cells["sector"].map(s_index).to_numpy(dtype=np.int64)
    output = cells["output_2021_yi"].to_numpy(dtype=float)
    mix = np.zeros(lead_mask.shape)
    industrial = sector_table["industrial"][cell_sector]
    np.add.at(mix, (cell_park[industrial], cell_sector[industrial]), output[industrial])
    rows = mix.sum(axis=1, keepdims=True)
    uniform = sector_table["industrial"] / sector_table["industrial"].sum()
    parks = world.parks
    tables = WorldTables(
        sector_ids=sector_ids, park_ids=park_ids,
        park_names_zh=list(parks["name_zh"]), park_names_en=list(parks["name_en"]),
        sector_table=sector_table,
        sector_trend=sec["trend_growth"].to_numpy(dtype=float),
        sector_volatility=sec["volatility"].to_numpy(dtype=float),
        sector_output_per_mu=sec["output_per_mu_wan"].to_numpy(dtype=float),
        sector_strategic=_flag(sec["strategic"]),
        group_ids=groups,
        sector_group=np.array([groups.index(g) for g in sec["group"]], dtype=np.int64),
        cluster_group_mask=np.array([g in POLICY_CLUSTERS for g in groups]),
        lead_mask=lead_mask, cell_park=cell_park, cell_sector=cell_sector, cell_output_2021=output,
        recruit_mix=np.where(rows > 0, mix / np.where(rows > 0, rows, 1.0), uniform),
        park_land={c: parks[c].to_numpy(dtype=float) for c in (
            "industrial_land_mu", "occupied_land_mu", "low_efficiency_land_mu", "vacant_land_mu")},
        recruitment_capacity=parks["recruitment_capacity"].to_numpy(dtype=float),
        strategic_candidate=_flag(parks["strategic_platform_candidate"]),
    )
    _TABLES[key] = (world, tables)
    return tables


BACKCAST_SERIES = {
    "industrial": ("city", "guishang_industrial_va"),
    "digital_services": ("city", "digital_core_va"),
    "services": ("city", "gdp"),
}
"""Sourced yearly growth series (``history.csv``: entity, metric stem) that set a back-cast's group totals.

Industrial sectors follow the city's 规上工业增加值 (real growth: +3.8% in 2020, +10.6% in 2021; assumed: the zones,
>60% of the city's industry, grew with it); digital services follow 数字经济核心产业增加值 (+13.3% in 2020; 2021
from the levels 4290 → 4905亿, nominal, with digital-service prices taken as flat); other services follow the city's
real GDP growth (+3.9%, +8.5%). A year without a sourced figure (2019, for base year 2018) falls back to the
sectors' trends."""


_BACKCASTS: dict[tuple[int, int, int], tuple[WorldTables, pd.DataFrame, np.ndarray]] = {}


def sourced_growth(history: pd.DataFrame, entity: str, stem: str, year: int) -> float | None:
    """Return the sourced growth of ``<stem>`` in ``year`` (from ``year - 1``), or None when there is none.

    A ``<stem>_growth`` row of ``history.csv`` is used when there is one; otherwise the ratio of the
    ``<stem>_yi`` levels of ``year`` and ``year - 1``.
    """
    rows = history[history["entity"] == entity]
    value = rows.loc[(rows["year"] == year) & (rows["metric"] == f"{stem}_growth"), "value"]
    if len(value):
        return float(value.iloc[0])
    levels = rows[rows["metric"] == f"{stem}_yi"].set_index("year")["value"]
    if year in levels.index and year - 1 in levels.index:
        return float(levels[year] / levels[year - 1] - 1.0)
    return None


def backcast_factors(tables: WorldTables, history: pd.DataFrame, base_year: int) -> np.ndarray:
    """Per-sector growth from ``base_year`` to 2021 (in 2021 prices) by which a back-cast deflates the 2021 world.

    Sectors form three groups (industrial, digital services, other services), each tied to a sourced city series
    (:data:`BACKCAST_SERIES`). Going back one year at a time from 2021, each sector is deflated by its own trend
    growth (``sectors.csv``; not the fitted trend multiplier, so the start does not depend on the parameters being
    calibrated), and the group is then rescaled so that its total falls by exactly the sourced growth of that year.
    The 2021 composition thus tilts back along the sector trends while the group totals follow the sourced history;
    a year without a sourced figure uses the trends alone. The output stays in 2021 prices: in a back-cast the
    price index runs from 1 at the base year with ``price_growth_later``, so the model's real output is in 2021
    prices and its 2021 level compares directly with 2021 data.

    Args:
        tables: The world's tables for the run's scope.
        history: ``history.csv`` (the world's ``history`` table).
        base_year: First simulated year, before 2021.

    Returns:
        Factor per sector (≥ 0); base-year output = 2021 output / factor.
    """
    key = (id(tables), id(history), base_year)
    cached = _BACKCASTS.get(key)
    if cached is not None and cached[0] is tables and cached[1] is history:
        return cached[2]
    industrial = tables.sector_table["industrial"]
    digital = np.array([tables.group_ids[g] == "digital_services" for g in tables.sector_group])
    group = np.where(industrial, 0, np.where(digital, 1, 2))
    sector_output: np.ndarray = np.bincount(tables.cell_sector, weights=tables.cell_output_2021,
                                            minlength=len(industrial))
    trend = 1.0 + tables.sector_trend
    factor = np.ones(len(industrial))
    level = sector_output.copy()
    for year in range(DATA_YEAR, base_year, -1):
        step = trend.copy()
        for g, (entity, stem) in enumerate(BACKCAST_SERIES.values()):
            members = group == g
            growth = sourced_growth(history, entity, stem, year)
            total = level[members].sum()
            if growth is None or total <= 0:
                continue
            tilted = (level[members] / trend[members]).sum()
            step[members] *= tilted / (total / (1.0 + growth))
        level = level / step
        factor *= step
    _BACKCASTS[key] = (tables, history, factor)
    return factor


@dataclass(frozen=True)
class LeverKeyword:
    """One flat keyword of :class:`ParkModel` and the scenario field it sets.

    Attributes:
        name: The keyword (``redevelopment_mu_per_year``).
        path: Dotted path of the field from the scenario's top (``levers.land.redevelopment_mu_per_year``).
        unit: Unit of the value (from the schema).
        low: Smallest allowed value (None: no lower bound, or not a number).
        high: Largest allowed value (None: no upper bound, or not a number).
        choices: The allowed values of a choice field (empty for numbers).
        description: What the field sets, from the schema.
    """

    name: str
    path: str
    unit: str
    low: float | None
    high: float | None
    choices: tuple[str, ...]
    description: str

    def allowed(self) -> str:
        """Return what the keyword allows, for messages and the documented list."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.low is not None and self.high is not None:
            return f"a number from {self.low:g} to {self.high:g}"
        if self.low is not None:
            return f"a number of at least {self.low:g}"
        return "a number"


def _leaf_fields(model: type[BaseModel], path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    leaves = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            leaves += _leaf_fields(annotation, (*path, name))
        elif not name.startswith("_") and getattr(annotation, "__origin__", None) is not dict:
            leaves.append(((*path, name), info))
    return leaves


def _keyword(name: str, path: tuple[str, ...], info: Any) -> LeverKeyword:
    low = high = None
    for bound in info.metadata:
        low = getattr(bound, "ge", getattr(bound, "gt", low))
        high = getattr(bound, "le", getattr(bound, "lt", high))
    annotation = info.annotation
    choices = tuple(str(c) for c in annotation.__args__) if getattr(annotation, "__origin__", None) is Literal else ()
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    description = (info.description or "").split(" Unit:")[0]
    return LeverKeyword(name, ".".join(path), str(extra.get("unit", "")), low, high, choices, description)


def _lever_keywords() -> dict[str, LeverKeyword]:
    leaves = [(("world", *p[1:]), i) for p, i in _leaf_fields(WorldSettings, ("world",))]
    leaves += _leaf_fields(Levers, ("levers",))
    counts: dict[str, int] = {}
    for path, _ in leaves:
        counts[path[-1]] = counts.get(path[-1], 0) + 1
    keywords: dict[str, LeverKeyword] = {}
    for path, info in leaves:
        if path[1] == "mechanisms":
            name = "mechanism_" + path[-1]  # a bare mechanism name (``exit``, ``race``) reads as a lever of its own
        elif len(path) > 3 or counts[path[-1]] > 1:
            name = "_".join(path[-2:])  # a field of a nested group (``class_cutoffs.a``) keeps its group's name
        else:
            name = path[-1]
        if name in keywords:
            raise RuntimeError(f"two scenario fields would share the keyword {name}: {keywords[name].path}, {path}")
        keywords[name] = _keyword(name, path, info)
    return keywords


LEVER_KEYWORDS: dict[str, LeverKeyword] = _lever_keywords()
"""Every flat keyword of :class:`ParkModel`, derived from the scenario schema: a world setting or a lever of a family
by its field name (``redevelopment_mu_per_year``, ``population_scale``), a field of a nested group by the group and
the name (``class_cutoffs_a``, ``weights_tax_per_mu``, ``surcharge_yuan_per_kwh_d``), and ``mechanism_<name>`` for the
mechanism switches. Per-park
overrides (``levers.parks``) have no keyword; give them in a scenario file."""


def lever_keywords() -> list[LeverKeyword]:
    """Return the documented list of :class:`ParkModel`'s flat keywords, with unit, allowed range and description."""
    return list(LEVER_KEYWORDS.values())


def resolve_scenario(scenario: Scenario | str, keywords: dict[str, Any]) -> Scenario:
    """Return ``scenario`` (a resolved scenario or a shipped scenario name) with the flat lever keywords applied.

    Raises:
        UserInputError: An unknown keyword or a value it does not allow (each named, with what is allowed).
    """
    from parkabm.scenarios.loader import apply_changes, load_scenario

    resolved = load_scenario(scenario) if isinstance(scenario, str) else scenario
    if not keywords:
        return resolved
    problems = []
    changes = {}
    for name, value in keywords.items():
        lever = LEVER_KEYWORDS.get(name)
        if lever is None:
            problems.append(Problem.of("ParkModel", name, value, "a keyword of parkabm.model.city.lever_keywords(): "
                                       + ", ".join(sorted(LEVER_KEYWORDS))))
        elif lever.choices and str(value) not in lever.choices:
            problems.append(Problem.of("ParkModel", name, value, lever.allowed()))
        elif not lever.choices and (isinstance(value, bool) or not isinstance(value, int | float)
                                    or (lever.low is not None and value < lever.low)
                                    or (lever.high is not None and value > lever.high)):
            problems.append(Problem.of("ParkModel", name, value, lever.allowed()))
        else:
            changes[lever.path] = value
    if problems:
        raise UserInputError(problems)
    return apply_changes(resolved, changes, source="ParkModel")


def _city_reporter(name: str) -> Any:
    def report(model: ParkModel) -> float:
        return model.records[-1][name]
    report.__doc__ = CITY_OUTPUTS[name].description
    return report


def _park_reporter(name: str) -> Any:
    def report(agent: mesa.Agent) -> float | None:
        return agent.reported(name) if isinstance(agent, Park) else None
    report.__doc__ = PARK_OUTPUTS[name].description
    return report


class ParkModel(mesa.Model):
    """Hangzhou's development zones and their firms under one scenario.

    Every attribute below is created in ``__init__`` and read or written by the rules of
    :mod:`parkabm.model.rules` (typed against this class) and the reporters (through the year's :class:`Tally`).

    Attributes:
        policy: The resolved parkabm scenario (levers, world settings, uncertainties). Not ``scenario``: Mesa ≥ 3.5
            reserves that name for its own scenario objects.
        world: The world tables.
        levers: ``policy.levers``.
        mechanisms: ``policy.levers.mechanisms`` (0 switches a mechanism off).
        base_year: First recorded year.
        horizon: Last simulated year.
        scope: Output scope (``industrial`` or ``all_guishang``).
        params: Behavioural parameter values of this run (see :mod:`parkabm.scenarios.parameters`).
        rampup_years: Years a new project takes to reach full scale.
        scale: ``world.population_scale``. A firm stands for ``1 / scale`` firms of ``scale`` times its output, so
            every size threshold (规上, chain leader, milestones, project and investment sizes) compares
            ``output × scale``, and project arrivals are ``scale`` times as many.
        tables: The world's shared arrays for the run's scope.
        sector_ids: Sector ids in array order.
        park_ids: Park ids in array order.
        n_sectors: Number of sectors.
        n_parks: Number of parks.
        sector_table: Per-sector arrays (``industrial``, value-added rate, tax ratio, …).
        sector_trend: Real trend growth per sector.
        sector_volatility: Firm growth volatility per sector.
        sector_output_per_mu: Typical output per 亩 per sector, 万元/亩.
        sector_strategic: Whether each sector is strategic (lower 技术改造 investment threshold).
        group_ids: Sector groups (产业集群) in array order.
        n_groups: Number of sector groups.
        sector_group: Group index of each sector.
        cluster_group_mask: Whether each group counts as a policy cluster.
        cell_park: Park index of each park × sector cell of the world.
        cell_sector: Sector index of each cell.
        cell_output: Base-year output of each cell, 亿元.
        lead_mask: Parks × sectors: the park's leading industries (scenario overrides applied).
        lead_weight: ``lead_mask`` divided by each park's number of leading industries.
        recruit_mix: Parks × sectors: the sector mix of each park's recruitment without 一园一主业 focus.
        park_state: Park land stocks and standing (:class:`parkabm.agents.parks.ParkState`).
        parks_by_id: The :class:`Park` agents by park id.
        firms: The firm population (:class:`parkabm.agents.firms.Firms`).
        year: The calendar year of the current state.
        price: Industrial price level relative to the base year.
        price_prev: Last year's price level.
        outside_land_mu: The city's industrial land outside the zones, 亩.
        subsidy_ration: Share of the full 技术改造 subsidy rate firms expect this year (fund rationing).
        subsidy_demand: 技术改造 subsidies claimed this year at the expected rate, 亿元.
        subsidy_demand_full: The same claims at the full rate, 亿元.
        park_output_prev: Output of each park at the last record (None before the first), 亿元.
        fai_first: Fixed-asset investment of the first projected year (None before it), 亿元.
        zone_gdp_2021: The zones' GDP at the anchor year, 亿元.
        value_added_2021: Value added of the scope's 2021 park × sector tables (output × sector value-added rate,
            at ``base_output_multiplier`` 1), 亿元: the zones' GDP is ``zone_gdp_2021`` times the modelled firms'
            value added over this.
        ledger: Fiscal cost of this year by item of :data:`FISCAL_LEVERS`, 亿元.
        counts: Events and flows of this year (entries, exits, projects, investment …).
        score: This year's 亩均 score of each firm (0 when not evaluated).
        surcharge_share: This year's electricity surcharge of each firm as a cost share of output.
        mujun_benchmark: The 亩均 indicator benchmarks fixed at the base-year evaluation (6 × 1, base-year prices;
            None before it).
        mujun_cutoffs: The scores at which classes A, B and C end, fixed at the base-year evaluation (None before).
        leader: Whether each firm is a chain leader this year.
        has_leader: Parks × sectors: whether the cell hosts a chain leader.
        agglomeration: Parks × sectors: the agglomeration index.
        macro_innovations: Standard-normal innovations (e, η) of the macro shock and the trend drift, one row per
            simulated year, drawn when the model is built (docs/ODD.md §7.18).
        macro_shock: This year's common city-wide growth shock x (docs/ODD.md §7.18).
        macro_drift: The trend's drift τ since the base year (the trend shift included).
        macro_growth: This year's macro growth term of each sector, ``m_macro_shocks · (λ_k x + τ)``.
        service_price: Service price level relative to the base year (the service price path).
        service_price_prev: Last year's service price level.
        records: Citywide outputs, one dict per recorded year.
        park_records: Per-park outputs (arrays over parks), one dict per recorded year.
        last_tally: The tally of the last recorded year.
        datacollector: Mesa's collector of the registry's outputs, citywide and per park agent (None in a model
            built with ``mesa_datacollector=False``, whose outputs are read from ``records`` and ``park_records``).
        resource_share: This year's land, water and gas price differences of each firm as a cost share of output
            (firms added since the evaluation count 0).
        energy_quota_bound: Firms whose growth the energy-use quota (用能指标) capped this year.
        energy_quota_granted: Energy-use increment granted per park this year (万元 × kWh/万元).
        energy_quota_requested: Energy-use increment requested per park this year (万元 × kWh/万元).
        stream_entropy: Seed of every rule's random stream (:mod:`parkabm.model.streams`), drawn once at
            initialisation.
    """

    policy: Scenario
    world: World
    levers: Levers
    mechanisms: Mechanisms
    base_year: int
    horizon: int
    scope: str
    params: dict[str, float]
    rampup_years: int
    scale: float
    tables: WorldTables
    sector_ids: list[str]
    park_ids: list[str]
    n_sectors: int
    n_parks: int
    sector_table: dict[str, np.ndarray]
    sector_trend: np.ndarray
    sector_volatility: np.ndarray
    sector_output_per_mu: np.ndarray
    sector_strategic: np.ndarray
    group_ids: list[str]
    n_groups: int
    sector_group: np.ndarray
    cluster_group_mask: np.ndarray
    cell_park: np.ndarray
    cell_sector: np.ndarray
    cell_output: np.ndarray
    lead_mask: np.ndarray
    lead_weight: np.ndarray
    recruit_mix: np.ndarray
    park_state: ParkState
    parks_by_id: dict[str, Park]
    firms: Firms
    year: int
    price: float
    price_prev: float
    outside_land_mu: float
    subsidy_ration: float
    subsidy_demand: float
    subsidy_demand_full: float
    park_output_prev: np.ndarray | None
    fai_first: float | None
    zone_gdp_2021: float
    value_added_2021: float
    ledger: dict[str, float]
    counts: dict[str, float]
    score: np.ndarray
    surcharge_share: np.ndarray
    mujun_benchmark: np.ndarray | None
    mujun_cutoffs: np.ndarray | None
    leader: np.ndarray
    has_leader: np.ndarray
    agglomeration: np.ndarray
    macro_innovations: np.ndarray
    macro_shock: float
    macro_drift: float
    macro_growth: np.ndarray
    service_price: float
    service_price_prev: float
    records: list[dict[str, float]]
    park_records: list[dict[str, Any]]
    last_tally: Tally
    datacollector: mesa.DataCollector | None
    levers_after_2021: Levers
    resource_share: np.ndarray
    energy_quota_bound: int
    energy_quota_granted: np.ndarray
    energy_quota_requested: np.ndarray
    stream_entropy: int

    def __init__(self, scenario: Scenario | str = "baseline", *, seed: int | None = None,
                 rng: int | np.random.SeedSequence | np.random.Generator | None = None,
                 parameters: dict[str, float] | None = None, world: World | None = None,
                 mesa_datacollector: bool = True, **levers: Any):
        """Build the base-year world: parks, the synthetic firm population and the first evaluation.

        Args:
            scenario: A resolved :class:`parkabm.scenarios.schema.Scenario` or the name of a shipped scenario.
            seed: Integer seed of the model's one generator (as Mesa's ``seed``); give ``seed`` or ``rng``.
            rng: Seed, ``SeedSequence`` or generator for the model's one generator.
            parameters: Behavioural parameter values; when omitted, one draw from the scenario's uncertainties
                (made with this model's generator, before anything else).
            world: World tables; the shipped Hangzhou world when omitted.
            mesa_datacollector: Keep a ``mesa.DataCollector`` of the registry's outputs in ``datacollector``, as
                Mesa tools expect (the default). Headless runs pass False and read the same values from ``records``
                and ``park_records``, saving the collector's work every year.
            **levers: Flat lever and world keywords (:func:`lever_keywords`), e.g.
                ``redevelopment_mu_per_year=20000`` or ``population_scale=0.2``, applied over the scenario.

        Raises:
            UserInputError: An unknown keyword, a value outside what it allows, or parameter values outside
                their bounds.
            ValueError: Both ``seed`` and ``rng`` given.
        """
        if seed is not None and rng is not None:
            raise ValueError("give seed or rng, not both")
        retain_freed_memory()
        policy = resolve_scenario(scenario, levers)
        # One numpy generator for everything; Mesa draws the seed of its stdlib ``random`` from it.
        super().__init__(rng=np.random.default_rng(seed if seed is not None else rng))
        break_model_cycles(self)
        self.policy = policy
        self.world = world if world is not None else load_world()
        self.levers = policy.levers
        self.mechanisms = policy.levers.mechanisms
        settings = policy.world
        self.base_year = settings.base_year
        self.horizon = settings.horizon
        self.scope = settings.scope
        self.params = check_parameters(parameters) if parameters is not None else policy.parameter_values(self.rng)
        self.rampup_years = self.levers.recruitment.rampup_years
        self.scale = settings.population_scale
        # The macro path comes first from the generator, so every lever and mechanism sees the same one (§7.18).
        self.macro_innovations = macro.draw_macro_innovations(self.rng, max(self.horizon - self.base_year, 0))
        self._build_tables()
        self._build_population(settings.population_scale)
        kernels.count_firm_years(self.firms.n)  # the base-year evaluation and record (compiled when worth it)
        self.year = self.base_year
        self.price = self.price_prev = 1.0
        self.outside_land_mu = land.CITY_INDUSTRIAL_LAND_MU - self.park_state.industrial_land_mu.sum()
        self.subsidy_ration = 1.0
        self.subsidy_demand = self.subsidy_demand_full = 0.0
        self.park_output_prev = None
        self.fai_first = None
        self.zone_gdp_2021 = CITY_GDP_2021_YI * self.params["zone_gdp_share_2021"]
        # The zones' GDP moves with the value added of the modelled firms, from the 2021 tables' value added.
        table_value_added = self.tables.cell_output_2021 * self.sector_table["value_added_rate"][self.cell_sector]
        self.value_added_2021 = float(table_value_added.sum())
        self.score = self.firms.new_column()
        self.surcharge_share = self.firms.new_column()
        self.mujun_benchmark = None
        self.mujun_cutoffs = None
        self.leader = self.firms.new_column(bool)
        self.has_leader = np.zeros((self.n_parks, self.n_sectors), dtype=bool)
        self.agglomeration = np.zeros((self.n_parks, self.n_sectors))
        # Differentiated resource prices, energy-use quotas (docs/ODD.md §7.11, §7.16) and the per-rule random
        # streams (§7.17). resource_share: this year's land, water and gas price differences of each firm as a cost
        # share of output (firms added later in the year count 0); energy_quota_bound: firms whose growth the
        # 用能指标 capped this year; energy_quota_granted / _requested: energy-use increments per park, in kWh
        # of base-year prices' output (万元 × kWh/万元); stream_entropy: seeds every rule's stream, drawn once here.
        self.resource_share = self.firms.new_column()
        self.energy_quota_bound = 0
        self.energy_quota_granted = np.zeros(self.n_parks)
        self.energy_quota_requested = np.zeros(self.n_parks)
        self.stream_entropy = int(self.rng.integers(2**63))
        # Macro shocks and the service price path (docs/ODD.md §7.18): the shock starts at zero, the drift at the
        # run's trend shift; the service price at 1 like the industrial one.
        self.macro_shock = 0.0
        self.macro_drift = self.params["macro_trend_shift"]
        self.macro_growth = np.zeros(self.n_sectors)
        self.service_price = self.service_price_prev = 1.0
        self.records = []
        self.park_records = []
        self.datacollector = mesa.DataCollector(
            model_reporters={name: _city_reporter(name) for name in CITY_OUTPUTS},
            agent_reporters={name: _park_reporter(name) for name in PARK_OUTPUTS},
        ) if mesa_datacollector else None
        self._reset_year()
        EVALUATE.run(self)
        self.record()
        self.running = self.year < self.horizon
        # 进/退/聚 flags and receivers (docs/ODD.md §7.15) read the base-year tally; the fund levers that apply after
        # 制造业高质量发展若干意见 expired (world.manufacturing_opinions_after_2021, docs/ODD.md §7.10).
        race_rules.mark_platforms(self)
        self.levers_after_2021 = levers_after_2021(policy)
        if self.year > MANUFACTURING_OPINIONS_LAST_YEAR:
            self.levers = self.levers_after_2021

    # --- set-up -------------------------------------------------------------------------------------------------

    def _build_tables(self) -> None:
        t = world_tables(self.world, self.scope)
        self.tables = t
        self.sector_ids, self.park_ids = t.sector_ids, t.park_ids
        self.n_sectors, self.n_parks = len(t.sector_ids), len(t.park_ids)
        self.sector_table = t.sector_table
        self.sector_trend, self.sector_volatility = t.sector_trend, t.sector_volatility
        self.sector_output_per_mu, self.sector_strategic = t.sector_output_per_mu, t.sector_strategic
        self.group_ids, self.n_groups = t.group_ids, len(t.group_ids)
        self.sector_group, self.cluster_group_mask = t.sector_group, t.cluster_group_mask
        self.cell_park, self.cell_sector = t.cell_park, t.cell_sector

        s_index = {s: i for i, s in enumerate(t.sector_ids)}
        self.lead_mask = t.lead_mask.copy()
        effort = np.full(self.n_parks, self.levers.recruitment.effort)
        for pid, override in self.levers.parks.items():
            p = t.park_ids.index(pid)
            if override.leading is not None:
                self.lead_mask[p] = False
                self.lead_mask[p, [s_index[s] for s in override.leading if s in s_index]] = True
            if override.recruitment_effort is not None:
                effort[p] = override.recruitment_effort
        n_lead = self.lead_mask.sum(axis=1, keepdims=True)
        self.lead_weight = np.divide(self.lead_mask, n_lead, out=np.zeros(self.lead_mask.shape), where=n_lead > 0)

        output = t.cell_output_2021 * self.params["base_output_multiplier"]
        if self.base_year < DATA_YEAR:
            output = output * self._backcast_factor()[self.cell_sector]
        self.cell_output = output
        self.recruit_mix = t.recruit_mix

        self.park_state = ParkState(
            industrial_land_mu=t.park_land["industrial_land_mu"].copy(),
            idle_mu=t.park_land["low_efficiency_land_mu"].copy(),
            vacant_mu=t.park_land["vacant_land_mu"].copy(),
            factory_land_mu=np.zeros(self.n_parks),
            factory_space_mu=np.zeros(self.n_parks),
            pipeline_mu=np.zeros((self.n_parks, self.levers.land.redevelopment_lag_years + 1)),
            recruitment_capacity=t.recruitment_capacity.copy(),
            recruitment_effort=effort,
            strategic_candidate=t.strategic_candidate,
        )
        self.parks_by_id = {
            pid: Park(self, i, pid, name_zh, name_en)
            for i, (pid, name_zh, name_en) in enumerate(zip(t.park_ids, t.park_names_zh, t.park_names_en, strict=True))
        }
        release_agent_id_counter(self)

    def _backcast_factor(self) -> np.ndarray:
        """Per-sector multiplier (< 1 for growing sectors) that takes 2021 output back to the base year.

        The inverse of :func:`backcast_factors`: sourced group growth, tilted along the sector trends, in 2021 prices.
        """
        return 1.0 / backcast_factors(self.tables, self.world.history, self.base_year)

    def _build_population(self, scale: float) -> None:
        occupied = self.tables.park_land["occupied_land_mu"]
        self.firms = generate_firms(
            cell_park=self.cell_park, cell_sector=self.cell_sector, cell_output=self.cell_output,
            sectors=self.sector_table, park_occupied_mu=occupied,
            utilisation=self.params["initial_utilisation"], base_year=self.base_year, rng=self.rng, scale=scale,
            utilisation_sd=self.params["utilisation_sd"], small_floor=self.params["small_firm_floor_yi"],
            headroom=ENTRANT_ROWS_PER_YEAR * max(self.horizon - self.base_year, 1), reuse=BASE_POPULATIONS,
            passes=kernels.attribute_passes(),
        )
        held = np.bincount(self.firms.park, weights=self.firms.land_mu, minlength=self.n_parks)
        # Occupied land of a park without industrial firms in the scope is idle, so the land balance holds.
        self.park_state.idle_mu += np.maximum(occupied - held, 0.0)
        land.start_pipeline(self.park_state, self.levers.land.redevelopment_lag_years,
                            self.params["prior_redevelopment_mu_per_year"])

    # --- changes to the population --------------------------------------------------------------------------------

    def draw_land_productivity(self, k: int) -> np.ndarray:
        """Draw relative land productivities for ``k`` new firms (same dispersion as the initial population)."""
        drawn = draw_firm_attributes(np.zeros(k, dtype=np.int64), self.sector_table, self.rng,
                                     names=("land_productivity",), passes=kernels.attribute_passes())
        return drawn["land_productivity"]

    def add_firms(self, park: np.ndarray, sector: np.ndarray, target_output_yi: np.ndarray, productivity: np.ndarray,
                  floor_mu: np.ndarray, land_mu: np.ndarray, rampup_years: int | None = None) -> np.ndarray:
        """Add sited projects (or entering service firms) as new firms in ramp-up.

        Args:
            park: Park index of each project.
            sector: Sector index of each project.
            target_output_yi: Real full-scale output, 亿元.
            productivity: Output capacity per 亩 of space, 亿元/亩.
            floor_mu: Standard-factory floor granted, 亩 of land-equivalent.
            land_mu: Land granted, 亩.
            rampup_years: Years to full scale; the recruitment lever ``rampup_years`` when None (1: at full scale
                in the year of entry).

        Returns:
            Row indices of the new firms.
        """
        k = len(park)
        if k == 0:
            return np.zeros(0, dtype=np.int64)
        # Land productivity is the firms' own (given), so only the other attributes are drawn.
        attrs = draw_firm_attributes(sector, self.sector_table, self.rng, names=ATTRIBUTES[1:],
                                     passes=kernels.attribute_passes())
        ramp = self.rampup_years if rampup_years is None else rampup_years
        industrial = self.sector_table["industrial"][sector]
        output = target_output_yi / ramp * np.where(industrial, self.price, self.service_price)
        rows = self.firms.append({
            "park": park, "sector": sector, "alive": True, "industrial": industrial,
            "output_yi": output, "land_mu": land_mu, "floor_mu": floor_mu, "productivity": productivity,
            "mujun_class": 4, "entry_year": self.year, "ramp_left": ramp - 1,
            "target_output_yi": target_output_yi,
            "reward_level": np.searchsorted(MILESTONES_YI, output * self.scale, side="right").astype(np.int8),
            **attrs,
        })
        self.counts["entries"] += k
        # The per-firm model arrays gain zero rows for the new firms (in place while their buffers have room).
        self.score = self.firms.extend_column(self.score)
        self.surcharge_share = self.firms.extend_column(self.surcharge_share)
        self.leader = self.firms.extend_column(self.leader)
        return rows

    def remove_firms(self, idx: np.ndarray, *, enforced: bool, land_to: Literal["idle", "pipeline"]) -> None:
        """Mark firms as exited and return their space to their parks (:func:`parkabm.model.rules.exit.remove_firms`).

        Args:
            idx: Rows of the exiting firms.
            enforced: Exit under 亩均 enforcement or 腾笼换鸟; the city pays its share of compensation.
            land_to: ``idle`` (land becomes low-efficiency land awaiting 整治) or ``pipeline`` (cleared for
                redevelopment this year).
        """
        exit_rules.remove_firms(self, idx, enforced=enforced, land_to=land_to)

    # --- the year -----------------------------------------------------------------------------------------------

    def price_growth(self, year: int) -> float:
        """Nominal industrial price change in ``year`` (an uncertain input per year up to 2024)."""
        name = f"price_growth_{year}"
        return self.params.get(name, self.params["price_growth_later"])

    def _reset_year(self) -> None:
        self.ledger = dict.fromkeys(FISCAL_LEVERS, 0.0)
        self.counts = dict.fromkeys((*_COUNTS, *_FUND_COUNTS), 0.0)

    def step(self) -> None:
        """Advance one calendar year through the phases of :data:`parkabm.model.schedule.PHASES`, in order.

        At the horizon the model stops: ``running`` becomes False, and a step past the horizon changes nothing.
        """
        if self.year >= self.horizon:
            self.running = False
            return
        self.year += 1
        if self.year > MANUFACTURING_OPINIONS_LAST_YEAR:
            self.levers = self.levers_after_2021
        self._reset_year()
        kernels.count_firm_years(self.firms.n)  # may switch this process to the compiled kernels (same results)
        for phase in PHASES:
            phase.run(self)
        self.running = self.year < self.horizon

    def record(self) -> None:
        """Tally the year once, append every registered output to the records, and let the DataCollector read them."""
        t = tally(self)
        self.fai_first = t.fai_first
        self.records.append({"year": self.year, **{name: f(t) for name, f in CITY_REPORTERS.items()},
                             **group_output_columns(t)})
        self.park_records.append({"year": self.year, **{name: f(t) for name, f in PARK_REPORTERS.items()}})
        self.last_tally = t
        self.park_state.output_yi[:] = t.park_output
        self.park_state.leading_share[:] = t.park_leading_share
        self.park_output_prev = t.park_output
        if self.datacollector is not None:
            self.datacollector.collect(self)

    def run_model(self) -> None:
        """Step from the base year to the scenario's horizon."""
        if self.horizon <= self.base_year:
            raise UserInputError(f"world.horizon = {self.horizon} — allowed: a year after {self.base_year}")
        while self.running and self.year < self.horizon:
            self.step()
        self.running = False

    # --- results ------------------------------------------------------------------------------------------------

    def yearly_frame(self) -> pd.DataFrame:
        """Citywide outputs, one row per recorded year (base year included)."""
        return pd.DataFrame.from_records(self.records)

    def parks_frame(self) -> pd.DataFrame:
        """Per-park outputs, one row per year × park."""
        frames = []
        for rec in self.park_records:
            frame = pd.DataFrame({k: v for k, v in rec.items() if k != "year"})
            frame.insert(0, "park", self.park_ids)
            frame.insert(0, "year", rec["year"])
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)
