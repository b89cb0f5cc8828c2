"""Read scenario files: find them, resolve ``extends:``, validate, and report every problem in one pass.

A scenario is named either by the name of a shipped file (``baseline`` is ``scenarios/baseline.yaml`` of the
installed package) or by a path to a YAML file. ``extends:`` names the scenario a file is derived from:

- a value with a ``/`` or ending in ``.yaml``/``.yml`` is a path, relative to the extending file;
- a bare name is the file ``<name>.yaml`` next to the extending file if there is one, else the shipped
  scenario of that name (so a copied folder of scenarios keeps working, and a user file can extend a shipped
  scenario).

The parent is read first and the child is merged into it: mappings merge key by key (the child wins), lists
and scalars are replaced. Two mappings are replaced as a whole instead of merged, because mixing two of them
makes no sense: ``description`` (both languages belong together) and each entry of ``uncertainties`` (a
distribution). Every file of a chain needs its own ``name``.

Problems are reported against the file that wrote the offending key, with the path as the user gave it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from pydantic import ValidationError

from parkabm.scenarios.errors import Problem, UserInputError, shorten
from parkabm.scenarios.parameters import PARAMETERS
from parkabm.scenarios.schema import IDENTIFIER_RULE, Levers, Scenario, WorldSettings
from parkabm.scenarios.validation import WHOLE_FILE, closest, format_number, problems_from, read_yaml_mapping
from parkabm.scenarios.world import GUISHANG_THRESHOLD_YI, load_world

SCENARIO_DIR = Path(__file__).parent
"""Folder of the shipped scenario files (``<name>.yaml``)."""

_SUFFIXES = (".yaml", ".yml")
_FILE = WHOLE_FILE


class WorldIds(Protocol):
    """What validation needs from a world: parks and sectors indexed by id (see ``scenarios/world.py``)."""

    @property
    def parks(self) -> pd.DataFrame:
        """Parks indexed by park id."""
        ...

    @property
    def sectors(self) -> pd.DataFrame:
        """Sectors indexed by sector id."""
        ...


# ----------------------------------------------------------------------------------------------------
# Finding files and resolving extends
# ----------------------------------------------------------------------------------------------------


def shipped_names() -> list[str]:
    """Return the names of the shipped scenarios, sorted."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def _looks_like_path(text: str) -> bool:
    return "/" in text or os.sep in text or text.lower().endswith(_SUFFIXES)


def _unknown_scenario_hint(text: str) -> str:
    names = shipped_names()
    hint = closest(text, names)
    return (f"did you mean {hint!r}? " if hint else "") + "a shipped scenario (" + ", ".join(names) + ")"


def _locate(ref: str | Path) -> tuple[str, Path | None, list[Problem]]:
    """Turn a reference given by the user into (display name, file path) or a problem."""
    if isinstance(ref, Path):
        return str(ref), ref, []
    text = str(ref)
    if _looks_like_path(text) or Path(text).is_file():
        return text, Path(text), []
    shipped = SCENARIO_DIR / f"{text}.yaml"
    if shipped.is_file():
        return text, shipped, []
    if Path(text).exists():
        return text, Path(text), []  # reported as "(a directory)" when read
    allowed = _unknown_scenario_hint(text) + " or a path to a YAML file"
    return text, None, [Problem(text, _FILE, "(no such file or shipped scenario)", allowed)]


def _locate_parent(value: str, child: Path, child_display: str) -> tuple[str, Path] | None:
    """Find the file named by a child's ``extends:`` value; None if there is none."""
    if _looks_like_path(value):
        given = Path(value)
        path = given if given.is_absolute() else child.parent / given
        if given.is_absolute():
            display = value
        else:
            display = os.path.normpath(os.path.join(os.path.dirname(child_display), value))
        return (display, path) if path.exists() else None
    sibling = child.parent / f"{value}.yaml"
    if sibling.is_file() and sibling.parent.resolve() != SCENARIO_DIR.resolve():
        return os.path.normpath(os.path.join(os.path.dirname(child_display), f"{value}.yaml")), sibling
    shipped = SCENARIO_DIR / f"{value}.yaml"
    return (value, shipped) if shipped.is_file() else None


def _is_atomic(path: tuple[Any, ...]) -> bool:
    """Whether a mapping at ``path`` replaces the parent's instead of merging into it."""
    return path == ("description",) or (len(path) == 2 and path[0] == "uncertainties")


def _merge(parent: Mapping[str, Any], child: Mapping[str, Any], child_display: str,
           origin: dict[tuple[Any, ...], str], path: tuple[Any, ...] = ()) -> dict[str, Any]:
    """Merge ``child`` into ``parent`` (child wins) and record which file wrote each key in ``origin``."""
    merged = dict(parent)
    for key, value in child.items():
        here = (*path, key)
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping) and not _is_atomic(here):
            origin[here] = child_display
            merged[key] = _merge(merged[key], value, child_display, origin, here)
        else:
            for stale in [p for p in origin if p[: len(here)] == here]:
                del origin[stale]
            origin[here] = child_display
            merged[key] = value
    return merged


class _Chain:
    """The files of one scenario, leaf first, read and merged.

    A chain that cannot be followed to its root (a parent that is missing, unreadable or part of a cycle) is
    ``incomplete``: the files read so far are still merged, so that their own keys are checked in the same pass.
    """

    def __init__(self, display: str, path: Path) -> None:
        self.leaf = display
        self.problems: list[Problem] = []
        self.origin: dict[tuple[Any, ...], str] = {}
        self.data: dict[str, Any] | None = None
        self.incomplete = False
        documents: list[tuple[str, dict[str, Any]]] = []
        visited: list[tuple[Path, str]] = []
        while True:
            document, problems = read_yaml_mapping(path, display, what="scenario", keys=Scenario.model_fields)
            if document is None:
                self.problems += problems
                self.incomplete = True
                break
            documents.append((display, document))
            visited.append((path.resolve(), display))
            parent = document.get("extends")
            if parent is None:
                break
            if "name" not in document:
                self.problems.append(Problem(
                    display, "name", "(missing)",
                    "required in every scenario file, also one that extends another: " + IDENTIFIER_RULE,
                ))
            found = self._parent(parent, path, display, visited)
            if found is None:
                self.incomplete = True
                break
            display, path = found
        if not documents:
            return
        merged: dict[str, Any] = {}
        for doc_display, document in reversed(documents):
            merged = _merge(merged, document, doc_display, self.origin)
        self.data = merged

    def _parent(self, parent: Any, path: Path, display: str,
                visited: list[tuple[Path, str]]) -> tuple[str, Path] | None:
        """Find the parent named by ``extends:``; record a problem and return None when it cannot be followed."""
        if not isinstance(parent, str) or not parent.strip():
            self.problems.append(Problem.of(display, "extends", parent,
                                            "a scenario name or a path to a YAML file (text)"))
            return None
        found = _locate_parent(parent, path, display)
        if found is None:
            self.problems.append(Problem.of(
                display, "extends", parent,
                _unknown_scenario_hint(parent) + ", a <name>.yaml next to this file, or a path relative to it",
            ))
            return None
        resolved = found[1].resolve()
        if any(resolved == seen for seen, _ in visited):
            cycle = [d for _, d in visited[[p for p, _ in visited].index(resolved):]] + [found[0]]
            self.problems.append(Problem(
                display, "extends", shorten(repr(parent) + " (cycle: " + " → ".join(cycle) + ")"),
                "a parent chain without cycles",
            ))
            return None
        return found

    def file_of(self, key_path: tuple[Any, ...]) -> str:
        """Return the file that wrote ``key_path`` (or its nearest written ancestor); the leaf if none did."""
        for end in range(len(key_path), 0, -1):
            file = self.origin.get(tuple(key_path[:end]))
            if file is not None:
                return file
        return self.leaf


# ----------------------------------------------------------------------------------------------------
# Checks against the world data
# ----------------------------------------------------------------------------------------------------


class _WorldSource:
    """Loads the world at most once, and only when a scenario is checked against it."""

    def __init__(self, world: WorldIds | None) -> None:
        self._world = world

    def get(self) -> WorldIds:
        if self._world is None:
            self._world = _load_default_world()
        return self._world


def _load_default_world() -> WorldIds:
    return load_world()


DATA_YEAR = 2021
"""Year of the world's park × sector outputs (``park_sectors.csv``, column ``output_2021_yi``)."""


def minimum_population_scale(world: WorldIds, settings: WorldSettings) -> tuple[float, str] | None:
    """Return the smallest ``population_scale`` that leaves a 规上 firm in every park × sector cell with output.

    A synthetic firm stands for ``1 / population_scale`` firms of ``population_scale`` times its output, so the 规上
    threshold of a run is ``0.2亿元 / population_scale``. A cell smaller than that holds no 规上 firm: its output
    drops out of every 规上 statistic, and at the smallest scales the world has no 规上 firms at all (the base-year
    output is 0 and later years show only firms that grew past the threshold). The bound is taken for the smallest
    cell in the scenario's scope, at the lowest ``base_output_multiplier`` a run may draw, and for a base year
    before the data year with the fastest sector trend (``trend_growth_high``) taken back to the base year, which
    over-states the back-cast and so keeps the bound on the safe side.

    Args:
        world: The world; one without ``park_sectors`` (a stand-in that carries ids only) is not checked.
        settings: The scenario's world settings (scope and base year).

    Returns:
        ``(minimum, why)``, or None when the world has no cell outputs.
    """
    cells = getattr(world, "park_sectors", None)
    sectors = world.sectors
    if cells is None or "kind" not in sectors.columns:
        return None
    in_scope = sectors.index if settings.scope == "all_guishang" else sectors.index[sectors["kind"] == "industrial"]
    cells = cells[cells["sector"].isin(in_scope) & (cells["output_2021_yi"] > 0)]
    if cells.empty:
        return None
    smallest = cells.loc[cells["output_2021_yi"].idxmin()]
    parameter = PARAMETERS.get("base_output_multiplier")
    multiplier = parameter.low if parameter is not None else 1.0
    years = max(DATA_YEAR - settings.base_year, 0)
    growth = float(sectors["trend_growth_high"].max()) if "trend_growth_high" in sectors.columns else 0.0
    backcast = (1.0 + max(growth, 0.0)) ** years
    minimum = GUISHANG_THRESHOLD_YI * backcast / (float(smallest["output_2021_yi"]) * multiplier)
    why = (f"at a smaller scale the smallest park × sector cell ({smallest['park']} {smallest['sector']}, "
           f"{format_number(float(smallest['output_2021_yi']))}亿元 in {DATA_YEAR} × base_output_multiplier ≥ "
           f"{format_number(multiplier)}" + (f", back-cast {years} years" if years else "")
           + f") is smaller than one 规上 firm ({format_number(GUISHANG_THRESHOLD_YI)}亿元 / population_scale) and "
           "the world loses its 规上 firms")
    return minimum, why


def _scale_problems(scenario: Scenario, world: _WorldSource, file_of: Any, leaf: str) -> list[Problem]:
    """Check that ``world.population_scale`` leaves 规上 firms in every cell (see :func:`minimum_population_scale`)."""
    try:
        loaded = world.get()
    except UserInputError as exc:
        return exc.problems or [Problem(leaf, "world.population_scale", "(world data cannot be read)", str(exc))]
    found = minimum_population_scale(loaded, scenario.world)
    if found is None or scenario.world.population_scale >= found[0]:
        return []
    minimum, why = found
    key = ("world", "population_scale")
    return [Problem.of(file_of(key), ".".join(key), scenario.world.population_scale,
                       f"a number from {minimum:.3g} to 200 [×] ({why})")]


def _world_problems(data: Mapping[str, Any], world: _WorldSource, file_of: Any, leaf: str) -> list[Problem]:
    """Check park ids and sector ids named under ``levers.parks`` against the world data."""
    levers = data.get("levers")
    parks = levers.get("parks") if isinstance(levers, Mapping) else None
    if not isinstance(parks, Mapping) or not parks:
        return []
    try:
        loaded = world.get()
    except UserInputError as exc:
        return exc.problems or [Problem(leaf, "levers.parks", "(world data cannot be read)", str(exc))]
    park_ids = sorted(str(p) for p in loaded.parks.index)
    sector_ids = sorted(str(s) for s in loaded.sectors.index)
    problems = []
    for park, override in parks.items():
        if park not in park_ids:
            hint = closest(park, park_ids)
            problems.append(Problem.of(
                file_of(("levers", "parks", park)), f"levers.parks.{park}", park,
                (f"did you mean {hint!r}? " if hint else "")
                + "a park id of the world: " + ", ".join(park_ids),
            ))
        leading = override.get("leading") if isinstance(override, Mapping) else None
        if not isinstance(leading, list):
            continue
        for i, sector in enumerate(leading):
            if isinstance(sector, str) and sector not in sector_ids:
                hint = closest(sector, sector_ids)
                problems.append(Problem.of(
                    file_of(("levers", "parks", park, "leading")),
                    f"levers.parks.{park}.leading[{i}]",
                    sector,
                    (f"did you mean {hint!r}? " if hint else "") + "a sector id of the world: "
                    + ", ".join(sector_ids),
                ))
    return problems


# ----------------------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------------------


def _dedupe(problems: Iterable[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _resolve(ref: str | Path, world: _WorldSource) -> tuple[Scenario | None, list[Problem]]:
    display, path, problems = _locate(ref)
    if path is None:
        return None, problems
    chain = _Chain(display, path)
    if chain.data is None:
        return None, chain.problems
    problems = list(chain.problems)
    scenario = None
    try:
        scenario = Scenario.model_validate(chain.data)
    except ValidationError as exc:
        # Without its parents a file may lack keys they would give: report only what the file itself got wrong.
        problems += problems_from(exc, chain.data, chain.file_of, root=Scenario, skip_missing=chain.incomplete)
    problems += _world_problems(chain.data, world, chain.file_of, chain.leaf)
    if scenario is not None and not chain.incomplete:
        problems += _scale_problems(scenario, world, chain.file_of, chain.leaf)
    return (None if problems else scenario), _dedupe(problems)


def load_scenario(ref: str | Path, *, world: WorldIds | None = None) -> Scenario:
    """Load, resolve and validate one scenario.

    Args:
        ref: A shipped scenario name (``baseline``) or a path to a YAML file.
        world: World that park and sector ids and the population scale are checked against; the shipped world
            when omitted.

    Returns:
        The validated scenario, with ``extends`` resolved (the field keeps the parent's name for reference).

    Raises:
        UserInputError: Listing every problem found in the file and its parents.
    """
    scenario, problems = _resolve(ref, _WorldSource(world))
    if problems or scenario is None:
        raise UserInputError(problems)
    return scenario


def validate(refs: Iterable[str | Path], *, world: WorldIds | None = None) -> list[Problem]:
    """Check scenario files and return every problem found in any of them (an empty list when all are valid).

    Args:
        refs: Shipped scenario names or paths to YAML files.
        world: As for :func:`load_scenario`.

    Returns:
        The problems, in file order, each naming file, key path, offending value and what is allowed.
    """
    source = _WorldSource(world)
    problems: list[Problem] = []
    for ref in refs:
        problems += _resolve(ref, source)[1]
    return _dedupe(problems)


def list_scenarios() -> pd.DataFrame:
    """Return the shipped scenarios, one row each, sorted by name.

    Returns:
        Columns ``name``, ``description_en``, ``description_zh``, ``extends`` (None for a root scenario) and
        ``path`` (the installed file).

    Raises:
        UserInputError: A shipped file is invalid (listing every problem).
    """
    import pandas as pd

    rows, problems = [], []
    for name in shipped_names():
        scenario, found = _resolve(name, _WorldSource(None))
        problems += found
        if scenario is not None:
            rows.append({
                "name": scenario.name,
                "description_en": scenario.description.en,
                "description_zh": scenario.description.zh,
                "extends": scenario.extends,
                "path": str(SCENARIO_DIR / f"{name}.yaml"),
            })
    if problems:
        raise UserInputError(problems)
    columns = ["name", "description_en", "description_zh", "extends", "path"]
    return pd.DataFrame(rows, columns=columns).sort_values("name", ignore_index=True)


def apply_changes(scenario: Scenario, changes: Mapping[str, Any], *, source: str = "changes",
                  world: WorldIds | None = None) -> Scenario:
    """Return a copy of a scenario with some values changed, validated like a file.

    Used by experiments that vary levers: ``{"levers.land.redevelopment_mu_per_year": 20000}``.

    Args:
        scenario: The scenario to start from.
        changes: New values by dotted key path from the scenario's top (``levers.…``, ``world.…``,
            ``uncertainties.<name>``).
        source: How problems name the origin of the changes (e.g. the experiment file).
        world: As for :func:`load_scenario`.

    Returns:
        The changed scenario.

    Raises:
        UserInputError: Listing every problem (unknown key, wrong type, out of range, unknown park …).
    """
    data = scenario.model_dump()
    problems: list[Problem] = []
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = data
        for i, part in enumerate(parents):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                problems.append(Problem.of(source, ".".join(parents[: i + 1]), child, "a mapping of keys"))
                break
            node = child
        else:
            node[last] = value
    if problems:
        raise UserInputError(problems)
    try:
        changed = Scenario.model_validate(data)
    except ValidationError as exc:
        problems += problems_from(exc, data, source, root=Scenario)
        changed = None
    touched = {tuple(k.split(".")[:2]) for k in changes}
    if ("levers", "parks") in touched:
        problems += _world_problems(data, _WorldSource(world), lambda _path: source, source)
    if changed is not None and any(k[0] == "world" for k in touched):
        problems += _scale_problems(changed, _WorldSource(world), lambda _path: source, source)
    if problems or changed is None:
        raise UserInputError(_dedupe(problems))
    return changed


# ----------------------------------------------------------------------------------------------------
# Validity of 制造业高质量发展若干意见 after 2021
# ----------------------------------------------------------------------------------------------------

MANUFACTURING_OPINIONS_LAST_YEAR = 2021
"""制造业高质量发展若干意见: 本意见自印发之日起施行，有效期至2021年12月31日."""

LAPSED_FUND_LEVERS = ("manufacturing_fund_yi_per_year", "milestone_reward_scale", "tech_upgrade_subsidy_rate",
                      "innovation_support_yi_per_year", "industry_fund_yi", "phaseout_compensation_share")
"""The fund levers whose schedule comes from 制造业高质量发展若干意见 (二十二), (七), (十), (十八), (十九)."""

REPLACED_FUND_LEVERS = ("milestone_reward_scale", "tech_upgrade_subsidy_rate", "phaseout_compensation_share")
"""Of those, the ones no 2022–2023 text provides again: under ``replaced`` they are 0. The others continue at their
scenario values: the manufacturing fund (2022年7月征求意见稿 四.2 市级财政资金由工信专项资金切块保障; amount not
stated), the industry fund (2022年7月征求意见稿 三.6 继续做大做强全市重点产业基金规模; 杭政函〔2023〕13号 (十一)
更好发挥市级产业基金引领作用) and innovation support (杭政函〔2023〕13号 (七), (八) 科创平台, 双创孵化载体)."""


def levers_after_2021(scenario: Scenario) -> Levers:
    """Return the levers that apply after 2021 under ``world.manufacturing_opinions_after_2021``.

    ``continued``: the scenario's levers unchanged (the schedule of 制造业高质量发展若干意见 as if renewed).
    ``replaced``: :data:`REPLACED_FUND_LEVERS` set to 0. ``lapsed``: every lever of :data:`LAPSED_FUND_LEVERS`
    set to 0 (the 技术改造 thresholds then pay nothing either). Years up to 2021 (a back-cast) use the scenario's
    levers whatever the choice. :class:`parkabm.model.city.ParkModel` switches to these levers from 2022.
    """
    choice = scenario.world.manufacturing_opinions_after_2021
    if choice == "continued":
        return scenario.levers
    names = LAPSED_FUND_LEVERS if choice == "lapsed" else REPLACED_FUND_LEVERS
    funds = scenario.levers.funds.model_copy(update=dict.fromkeys(names, 0.0))
    return scenario.levers.model_copy(update={"funds": funds})
