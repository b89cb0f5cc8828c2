"""The levers the dashboard shows, read from the scenario schema, and the scenario built from their values.

Each control names one field of :class:`parkabm.scenarios.schema.Levers` by its dotted key path. Everything a user
needs to judge a value comes from the schema itself — its unit, its source clause, its bounds and its description —
so that the page and ``parkabm validate`` can never disagree. Only the short bilingual name and the slider step are
stated here. A family of the catalogue that the schema does not have (``platforms`` in an older schema) is left
out, so the page shows exactly the levers the installed model accepts.

Values are turned into a scenario with :func:`parkabm.scenarios.loader.apply_changes`, so a value outside its range
gets the same problem line a scenario file with that value gets; and :func:`scenario_yaml` writes the settings as a
scenario file that ``extends:`` the chosen scenario and that ``parkabm run`` accepts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import annotated_types
import yaml
from pydantic import BaseModel

from parkabm.scenarios.loader import apply_changes
from parkabm.scenarios.schema import Levers, Scenario, format_number

FAMILIES: dict[str, dict[str, str]] = {
    "land": {"en": "Land supply", "zh": "用地供给"},
    "funds": {"en": "Funds and subsidies", "zh": "资金与补助"},
    "evaluation": {"en": "亩均 evaluation", "zh": "亩均论英雄"},
    "recruitment": {"en": "Recruitment (精准招商)", "zh": "精准招商"},
    "chain_leaders": {"en": "Chain leaders (链主)", "zh": "链主企业"},
    "race": {"en": "Park race (赛马)", "zh": "赛马机制"},
    "platforms": {"en": "Platforms (万亩千亿)", "zh": "万亩千亿平台"},
}
"""Lever families in page order, with their headings."""

CATALOGUE: tuple[tuple[str, str, str, float], ...] = (
    ("land.redevelopment_mu_per_year", "Low-efficiency land redeveloped", "低效用地整治", 500),
    ("land.standard_factory_m2_per_year", "Standard factories built", "新增标准厂房", 250_000),
    ("land.new_land_quota_mu_per_year", "New land quota for the zones", "新增用地指标", 500),
    ("funds.tech_upgrade_subsidy_rate", "Technical-transformation subsidy rate", "技改补助比例", 0.01),
    ("funds.manufacturing_fund_yi_per_year", "Manufacturing fund (yearly cap)", "制造业专项资金", 1),
    ("funds.industry_fund_yi", "Industry fund size", "产业基金规模", 10),
    ("evaluation.enforcement", "Enforcement on D-class firms", "D类企业整治力度", 0.05),
    ("evaluation.rectification_years", "Rectification deadline of D-class firms", "D类企业整改期限", 1),
    ("recruitment.effort", "Recruitment effort", "招商力度", 0.1),
    ("recruitment.leading_focus", "Focus on leading industries", "主导产业招商聚焦度", 0.05),
    ("chain_leaders.threshold_yi", "Chain-leader output threshold", "链主企业产值门槛", 1),
    ("race.weight", "Weight of the park ranking", "赛马排名权重", 0.05),
)
"""The main levers of each family: (key path below ``levers``, English name, Chinese name, slider step)."""

SOURCE = "dashboard"
"""How problems name the origin of values typed on the page."""


@dataclass(frozen=True)
class LeverControl:
    """One lever as the page shows it.

    Attributes:
        key: Dotted key path from the scenario's top, e.g. ``levers.land.redevelopment_mu_per_year``.
        family: The lever family (a key of :data:`FAMILIES`).
        name_en: Short English name.
        name_zh: Short Chinese name.
        unit: The field's unit (schema metadata).
        source: The field's source clause (schema metadata).
        description: The field's description (schema).
        low: Smallest allowed value (schema bound).
        high: Largest allowed value (schema bound).
        step: Slider step.
        integer: Whether the field holds whole numbers.
    """

    key: str
    family: str
    name_en: str
    name_zh: str
    unit: str
    source: str
    description: str
    low: float
    high: float
    step: float
    integer: bool

    def name(self, lang: str) -> str:
        """Return the lever's short name in ``lang`` (``en`` or ``zh``)."""
        return self.name_zh if lang == "zh" else self.name_en

    def label(self, lang: str) -> str:
        """Return the control's label: name and unit, e.g. ``Low-efficiency land redeveloped [亩/yr]``."""
        return f"{self.name(lang)} [{self.unit}]"

    def value_of(self, scenario: Scenario) -> float | int:
        """Return this lever's value in ``scenario``."""
        node: Any = scenario
        for part in self.key.split("."):
            node = getattr(node, part)
        return node

    def range_text(self) -> str:
        """Return the allowed range as text, e.g. ``0 – 50000``."""
        return f"{format_number(self.low)} – {format_number(self.high)}"


def _bounds(info) -> tuple[float, float]:
    low, high = -math.inf, math.inf
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            low = float(item.ge)
        elif isinstance(item, annotated_types.Gt):
            low = float(item.gt)
        elif isinstance(item, annotated_types.Le):
            high = float(item.le)
        elif isinstance(item, annotated_types.Lt):
            high = float(item.lt)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"lever {info} needs finite bounds in the schema to be shown as a slider")
    return low, high


def lever_controls() -> list[LeverControl]:
    """Return the controls of :data:`CATALOGUE` whose fields the schema has, in family order.

    Returns:
        One control per lever, with unit, source, description and bounds read from the schema.
    """
    controls = []
    for path, name_en, name_zh, step in CATALOGUE:
        family, field = path.split(".")
        group = Levers.model_fields.get(family)
        model = group.annotation if group is not None else None
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or field not in model.model_fields:
            continue
        info = model.model_fields[field]
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        low, high = _bounds(info)
        controls.append(LeverControl(
            key=f"levers.{path}", family=family, name_en=name_en, name_zh=name_zh,
            unit=str(extra.get("unit", "")), source=str(extra.get("source", "")),
            description=(info.description or "").split(" Unit: ")[0], low=low, high=high, step=step,
            integer=info.annotation is int,
        ))
    return controls


def normalise(value: float | int | None) -> float | int | None:
    """Return a typed value as a scenario file would hold it: whole numbers as ``int``, others as ``float``.

    A whole number written in a YAML file is read as an ``int``, so normalising the same way gives the page the
    very problem line ``parkabm validate`` prints for that value (``60000``, not ``60000.0``).
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def changed_levers(base: Scenario, values: Mapping[str, Any], controls: list[LeverControl]) -> dict[str, Any]:
    """Return the values that differ from ``base``, by key path, normalised as a file would hold them.

    Args:
        base: The chosen scenario.
        values: Current values by key path (missing keys keep the scenario's value).
        controls: The page's controls.
    """
    changes = {}
    for control in controls:
        if control.key not in values:
            continue
        value = normalise(values[control.key])
        if value != control.value_of(base):
            changes[control.key] = value
    return changes


def build_scenario(base: Scenario, changes: Mapping[str, Any], *, population_scale: float | None = None) -> Scenario:
    """Return ``base`` with ``changes`` applied, validated like a scenario file.

    Args:
        base: The chosen scenario.
        changes: New values by key path (:func:`changed_levers`).
        population_scale: A smaller or larger synthetic firm population for quick looks (``world.population_scale``);
            None keeps the scenario's.

    Raises:
        UserInputError: A value outside its range or of the wrong type, with the problem lines of the CLI.
    """
    full = dict(changes)
    if population_scale is not None:
        full["world.population_scale"] = population_scale
    return apply_changes(base, full, source=SOURCE) if full else base


def scenario_yaml(base_name: str, changes: Mapping[str, Any], *, name: str | None = None,
                  population_scale: float | None = None, controls: list[LeverControl] | None = None) -> str:
    """Write the page's settings as a scenario file that extends the chosen scenario.

    Args:
        base_name: The chosen shipped scenario (the value of ``extends:``).
        changes: Changed values by key path (:func:`changed_levers`).
        name: The new scenario's name (default ``<base_name>_dashboard``).
        population_scale: Written as ``world.population_scale`` when the page ran a scaled population, so the
            file reproduces what the page showed.
        controls: The page's controls, for the comments naming each lever's unit and source.

    Returns:
        YAML text with ``name``, ``extends``, ``description`` and the changed levers.
    """
    by_key = {c.key: c for c in (controls if controls is not None else lever_controls())}
    listed = ", ".join(f"{k.removeprefix('levers.')} = {format_number(v)}" for k, v in changes.items()) or "none"
    document: dict[str, Any] = {
        "name": name or f"{base_name}_dashboard",
        "extends": base_name,
        "description": {"en": f"{base_name} with levers set on the dashboard: {listed}.",
                        "zh": f"在{base_name}情景基础上于仪表盘调整的政策杠杆：{listed}。"},
    }
    if population_scale is not None and population_scale != 1.0:
        document["world"] = {"population_scale": population_scale}
    for key, value in changes.items():
        node = document
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)
    notes = [f"# {k.removeprefix('levers.')}: unit {by_key[k].unit}; source: {by_key[k].source}"
             for k in changes if k in by_key]
    header = [f"# Scenario written by `parkabm dashboard`: {base_name} with the levers below changed.",
              f"# Run it with: parkabm run {document['name']}.yaml", *notes]
    return "\n".join(header) + "\n" + text
