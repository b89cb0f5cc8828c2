"""What a scenario file may say: world settings, policy levers and uncertain behavioural parameters.

A scenario is plain data (name, description, world settings, lever values, distributions of uncertain
parameters); run settings such as replicates and seeds live elsewhere. Every field has a default, a unit, an
allowed range and its source: a clause of one of the policy texts, a line of DATA-SOURCES (docs/data_sources.md), or
``assumed: <why>``. The policy texts are cited as

- 2022年7月征求意见稿: Hangzhou, 打造高能级产业集群 推动产业平台高质量发展的实施方案（2022-2025年）, draft of July 2022;
- 杭政函〔2023〕13号: 杭政函〔2023〕13号, 关于促进开发区(园区)高质量发展的实施意见 (clauses (一)–(二十二));
- 2022年5月公开征求意见稿: the same plan as 2022年7月征求意见稿, public-consultation draft of May 2022;
- 嘉兴万亩千亿实施意见: 关于高质量建设"万亩千亿"产业平台的实施意见 (platform opinion);
- 制造业高质量发展若干意见: 关于实施创新驱动战略 加快新旧动能转换推动制造业高质量发展的若干意见 (subsidy schedule).

All models forbid unknown keys, are immutable, and are strict about types (a quoted ``"0.3"`` or a YAML
``yes`` is not a number). Checks that need the world data (park and sector ids) are made by
:mod:`parkabm.scenarios.loader`; :mod:`parkabm.scenarios.validation` turns validation errors into readable problems.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import InitErrorDetails

from parkabm.scenarios.parameters import PARAMETERS, defaults
from parkabm.scenarios.validation import closest, format_number, rejection, relocate

if TYPE_CHECKING:
    import numpy as np

_STRICT = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
"""Every model: unknown keys refused, immutable, strict about types, numbers finite (no ``.inf`` or ``.nan``)."""

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
"""Pattern of scenario names: lowercase letters, digits and underscores, starting with a letter."""

IDENTIFIER_RULE = "lowercase letters, digits and underscores, starting with a letter (e.g. land_first)"


def _field(
    default: Any,
    *,
    unit: str,
    source: str,
    what: str,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
    label: tuple[str, str] | None = None,
) -> Any:
    """Declare a field with its unit, source and (for levers) English and Chinese label in ``json_schema_extra``.

    The label is what charts, tables, the effects report and the dashboard call the lever; a lever declared without
    one fails ``tests/test_scenarios.py``.
    """
    extra: dict[str, Any] = {"unit": unit, "source": source}
    if label is not None:
        extra["label_en"], extra["label_zh"] = label
    return Field(
        default,
        ge=ge,
        le=le,
        gt=gt,
        lt=lt,
        description=f"{what} Unit: {unit}. Source: {source}.",
        json_schema_extra=extra,
    )


# ----------------------------------------------------------------------------------------------------
# Description and world settings
# ----------------------------------------------------------------------------------------------------


class Description(BaseModel):
    """A short description of a scenario in English and Chinese (charts and reports use either language)."""

    model_config = _STRICT

    en: str = Field(min_length=1, description="One or two sentences in English.")
    zh: str = Field(min_length=1, description="一两句中文说明。")


class WorldSettings(BaseModel):
    """When the simulation starts and ends, what counts as output, and how many synthetic firms are made."""

    model_config = _STRICT

    base_year: int = _field(
        2021, ge=2018, le=2021, unit="calendar year",
        source="docs/ODD.md §2: 2021 is the last full year before the 2022 plan; earlier years are back-casts",
        what="First year of the simulation; the world data describe this year.",
    )
    horizon: int = _field(
        2025, ge=2019, le=2030, unit="calendar year",
        source="杭政函〔2023〕13号 (二): targets for 2025, second milestone 2030",
        what="Last simulated year; must be after base_year and not after 2030.",
    )
    scope: Literal["industrial", "all_guishang"] = Field(
        "all_guishang",
        description=(
            "What counts as zone output: 'industrial' (规上工业总产值 only) or 'all_guishang' "
            "(all 规上企业, industry and services). Unit: none. "
            "Source: 杭政函〔2023〕13号 (二) 规上企业总产值 3万亿元 vs 2022年7月征求意见稿 二 产业平台产值."
        ),
        json_schema_extra={"unit": "none", "source": "杭政函〔2023〕13号 (二); 2022年7月征求意见稿 二"},
    )
    population_scale: float = _field(
        1.0, gt=0, le=200, unit="×",
        source="assumed: a run setting for benchmarks and small test worlds; 1 = the calibrated population",
        what="Multiplies the number of synthetic firms.",
    )
    manufacturing_opinions_after_2021: Literal["continued", "replaced", "lapsed"] = Field(
        "continued",
        description=(
            "What the fund levers of 制造业高质量发展若干意见 (expired 2021-12-31) do in the years after 2021: "
            "'continued' (the schedule as written, every year), 'replaced' (only what the 2022–2023 texts "
            "provide again: the manufacturing and industry funds and innovation support; milestone rewards, "
            "技术改造 subsidies and phase-out compensation 0), 'lapsed' (all of those fund levers 0). Unit: none. "
            "Source: 制造业高质量发展若干意见 有效期至2021年12月31日; 2022年7月征求意见稿 三.6, 四.2; "
            "杭政函〔2023〕13号 (七), (十一)."
        ),
        json_schema_extra={
            "unit": "none",
            "source": ("制造业高质量发展若干意见 有效期至2021年12月31日; 2022年7月征求意见稿 三.6, 四.2; "
                       "杭政函〔2023〕13号 (十一)"),
            "label_en": "Manufacturing opinions after 2021", "label_zh": "制造业若干意见2021年后的处理",
        },
    )

    @model_validator(mode="after")
    def _horizon_after_base_year(self) -> WorldSettings:
        if self.horizon <= self.base_year:
            raise rejection(
                "horizon_not_after_base_year",
                f"a year from {self.base_year + 1} (base_year + 1) to 2030",
                shown=repr(self.horizon),
                field="horizon",
            )
        return self


# ----------------------------------------------------------------------------------------------------
# Levers
# ----------------------------------------------------------------------------------------------------


class LandLevers(BaseModel):
    """Land supply: redevelopment, standard factories, new land, allocation priority, relocation."""

    model_config = _STRICT

    redevelopment_mu_per_year: float = _field(
        10000.0, ge=0, le=50000, unit="亩/yr",
        source=("杭政函〔2023〕13号 (十) 每年整治低效工业用地1万亩以上; "
                "嘉兴万亩千亿实施意见 一(二) 每年腾退低效用地不少于1万亩"),
        what="Low-efficiency industrial land (低效用地) redeveloped city-wide per year, returned to parks.",
        label=("Low-efficiency land redevelopment (mu/yr)", "低效用地整治(亩/年)"),
    )
    redevelopment_lag_years: int = _field(
        2, ge=0, le=5, unit="years",
        source="assumed: clearing, compensation and re-zoning take about two years",
        what="Years between starting a redevelopment and the land becoming available.",
        label=("Redevelopment lag (years)", "整治周期(年)"),
    )
    redevelopment_cost_wan_per_mu: float = _field(
        60.0, ge=0, le=500, unit="万元/亩",
        source="assumed: typical compensation and site preparation cost of 腾笼换鸟 in Zhejiang",
        what="Fiscal cost of redeveloping one 亩.",
        label=("Redevelopment cost (10k yuan/mu)", "整治成本(万元/亩)"),
    )
    standard_factory_m2_per_year: float = _field(
        4_000_000.0, ge=0, le=20_000_000, unit="m²/yr",
        source="杭政函〔2023〕13号 (十) 每年新增标准厂房400万平方米以上",
        what="New standard-factory (标准厂房) floor space built city-wide each year.",
        label=("Standard factories (m²/yr)", "新增标准厂房(m²/年)"),
    )
    standard_factory_plot_ratio: float = _field(
        2.5, ge=0.5, le=6, unit="容积率, floor area per land area",
        source="assumed: multi-storey industrial buildings; 杭政函〔2023〕13号 (十) 提高工业用地建筑密度和开发强度",
        what="Plot ratio that converts standard-factory floor space into land-equivalent capacity.",
        label=("Standard-factory plot ratio", "标准厂房容积率"),
    )
    standard_factory_cost_yuan_per_m2: float = _field(
        3000.0, ge=0, le=20000, unit="元/m²",
        source="assumed: construction cost of multi-storey industrial buildings",
        what="Cost of building one m² of standard factory.",
        label=("Standard-factory cost (yuan/m²)", "标准厂房造价(元/m²)"),
    )
    new_land_quota_mu_per_year: float = _field(
        3000.0, ge=0, le=30000, unit="亩/yr",
        source=(
            "assumed: scale of consolidation; 杭政函〔2023〕13号 (十) 引导现状零星工业用地向开发区集中 "
            "(city industrial land is conserved at 300 km², 制造业高质量发展若干意见 (十七))"
        ),
        what="Industrial land moved each year from scattered sites outside the zones into the zones.",
        label=("New land quota (mu/yr)", "新增用地指标(亩/年)"),
    )
    class_priority: float = _field(
        1.0, ge=0, le=1, unit="share (0 = no priority, 1 = A-class first)",
        source="制造业高质量发展若干意见 (十九) 差别化用地、用能、排放等资源要素配置机制",
        what="How strictly parks allocate available space by 亩均 class (A first).",
        label=("Land priority by per-mu class (A first)", "按亩均等级差别化供地(A类优先)"),
    )
    relocation_probability: float = _field(
        0.3, ge=0, le=1, unit="probability",
        source="杭政函〔2023〕13号 (六) 产业跨区域迁移 实行市级统筹; value assumed",
        what="Probability that a firm without space in its park moves to another park with space.",
        label=("Cross-park relocation", "跨园区统筹迁移"),
    )
    redeveloped_leading_share: float = _field(
        0.5, ge=0, le=1, unit="share of delivered redeveloped land",
        source=("2022年7月征求意见稿 三.2 腾笼换鸟 … 扩大主导产业发展空间, 支持园区平台按照主导产业需求; "
                "share assumed"),
        what=("Share of the redeveloped land a park delivers in a year that is offered first to projects in its "
              "leading industries (other projects take what they leave)."),
        label=("Redeveloped land reserved for leading industries", "腾退用地优先保障主导产业比例"),
    )


class FundLevers(BaseModel):
    """Money: the manufacturing fund and the subsidies and funds paid from it."""

    model_config = _STRICT

    manufacturing_fund_yi_per_year: float = _field(
        20.0, ge=0, le=200, unit="亿元/yr",
        source="制造业高质量发展若干意见 (二十二) 市本级财政每年统筹安排20亿元资金支持制造业高质量发展",
        what="Yearly cap on all subsidies paid by the city.",
        label=("Manufacturing fund (100M yuan/yr)", "制造业专项资金(亿元/年)"),
    )
    milestone_reward_scale: float = _field(
        1.0, ge=0, le=5, unit="×",
        source="制造业高质量发展若干意见 (七) 首次达到50/100/200/500/1000亿元 → 200万/400万/800万/2000万/1亿元",
        what="Multiplies the one-off rewards for firms first reaching an output milestone.",
        label=("Output-milestone rewards (×)", "产值跨档奖励(倍)"),
    )
    tech_upgrade_subsidy_rate: float = _field(
        0.10, ge=0, le=0.5, unit="share of investment",
        source="制造业高质量发展若干意见 (十) refers to 杭政办函〔2017〕102号 without a rate; value assumed",
        what="Subsidy paid on technical-transformation (技术改造) investment.",
        label=("Technical-transformation subsidy rate", "技改补助比例"),
    )
    tech_upgrade_min_investment_yi: float = _field(
        0.5, ge=0, le=10, unit="亿元",
        source="制造业高质量发展若干意见 (十) 实际投入5000万元(含)以上的技术改造投资项目",
        what="Smallest technical-transformation project that earns the subsidy.",
        label=("Smallest subsidised upgrade (100M yuan)", "技改补助门槛(亿元)"),
    )
    strategic_min_investment_yi: float = _field(
        0.2, ge=0, le=10, unit="亿元",
        source="制造业高质量发展若干意见 (十) 战略性新兴产业 实际投入申报标准下调至2000万元",
        what="Smallest subsidised project in strategic emerging industries.",
        label=("Smallest subsidised strategic project (100M yuan)", "战略性新兴产业补助门槛(亿元)"),
    )
    innovation_support_yi_per_year: float = _field(
        3.0, ge=0, le=50, unit="亿元/yr",
        source="assumed: total scale; 制造业高质量发展若干意见 (十八) 公共服务平台 实际投入不超过30%、最高3000万元",
        what="Yearly support for innovation and public-service platforms.",
        label=("Innovation support (100M yuan/yr)", "创新平台支持(亿元/年)"),
    )
    industry_fund_yi: float = _field(
        100.0, ge=0, le=2000, unit="亿元",
        source="制造业高质量发展若干意见 (二十二) 产业基金规模扩大至100亿元; 2022年7月征求意见稿 三.6 千亿级产业基金",
        what="Size of the city's industry fund (专项产业基金) co-investing in leading-industry projects.",
        label=("Industry fund (100M yuan)", "产业基金规模(亿元)"),
    )
    phaseout_compensation_share: float = _field(
        0.30, ge=0, le=1, unit="share of compensation",
        source="制造业高质量发展若干意见 (十九) 淘汰落后产能 不超过实际支付企业补偿资金的30%",
        what="City share of the compensation paid to firms that exit under 淘汰落后产能.",
        label=("Phase-out compensation share", "淘汰落后产能补助比例"),
    )


class EvaluationWeights(BaseModel):
    """Weights of the six 亩均 indicators in the composite score; they must sum to 1."""

    model_config = _STRICT

    tax_per_mu: float = _field(
        0.30, ge=0, le=1, unit="weight",
        source="DATA-SOURCES 亩均论英雄: typical Zhejiang weights (亩均税收 30)",
        what="Weight of tax per 亩 (亩均税收).",
        label=("Weight: tax per mu", "权重：亩均税收"),
    )
    value_added_per_mu: float = _field(
        0.20, ge=0, le=1, unit="weight",
        source="DATA-SOURCES 亩均论英雄: typical Zhejiang weights (亩均增加值 20)",
        what="Weight of value added per 亩 (亩均增加值).",
        label=("Weight: value added per mu", "权重：亩均增加值"),
    )
    value_added_per_energy: float = _field(
        0.20, ge=0, le=1, unit="weight",
        source="DATA-SOURCES 亩均论英雄: typical Zhejiang weights (单位能耗增加值 20)",
        what="Weight of value added per unit of energy (单位能耗增加值).",
        label=("Weight: value added per energy", "权重：单位能耗增加值"),
    )
    value_added_per_emission: float = _field(
        0.10, ge=0, le=1, unit="weight",
        source="DATA-SOURCES 亩均论英雄: typical Zhejiang weights (单位排放增加值 10)",
        what="Weight of value added per unit of emission (单位排放增加值).",
        label=("Weight: value added per emission", "权重：单位排放增加值"),
    )
    labour_productivity: float = _field(
        0.10, ge=0, le=1, unit="weight",
        source="DATA-SOURCES 亩均论英雄: typical Zhejiang weights (全员劳动生产率 10)",
        what="Weight of labour productivity (全员劳动生产率).",
        label=("Weight: labour productivity", "权重：全员劳动生产率"),
    )
    rd_intensity: float = _field(
        0.10, ge=0, le=1, unit="weight",
        source="DATA-SOURCES 亩均论英雄: typical Zhejiang weights (R&D/营收 10)",
        what="Weight of R&D intensity (研发经费占营收比重).",
        label=("Weight: R&D intensity", "权重：研发投入强度"),
    )

    @model_validator(mode="after")
    def _sum_to_one(self) -> EvaluationWeights:
        total = sum(self.model_dump().values())
        if abs(total - 1.0) > 1e-6:
            raise rejection(
                "weights_not_summing_to_one",
                "six weights that sum to 1 (within 1e-6)",
                shown=f"sum {total:.6g}: "
                + ", ".join(f"{k}={format_number(v)}" for k, v in self.model_dump().items()),
            )
        return self


class ClassCutoffs(BaseModel):
    """Cumulative shares of evaluated firms, from the top, at which classes A, B and C end (D is the rest)."""

    model_config = _STRICT

    a: float = _field(
        0.25, gt=0, lt=1, unit="cumulative share from the top",
        source="DATA-SOURCES 亩均论英雄: scheme A top 25%", what="Share of firms in class A.",
        label=("Class A cut-off (top share)", "A类比例"),
    )
    b: float = _field(
        0.70, gt=0, lt=1, unit="cumulative share from the top",
        source="DATA-SOURCES 亩均论英雄: scheme B 26–70%", what="Share of firms in classes A and B.",
        label=("Class A+B cut-off", "A+B类累计比例"),
    )
    c: float = _field(
        0.95, gt=0, lt=1, unit="cumulative share from the top",
        source="DATA-SOURCES 亩均论英雄: scheme C 71–95%, D bottom 5%",
        what="Share of firms in classes A, B and C.",
        label=("Class A+B+C cut-off", "A+B+C类累计比例"),
    )

    @model_validator(mode="after")
    def _strictly_increasing(self) -> ClassCutoffs:
        if not self.a < self.b < self.c:
            raise rejection(
                "cutoffs_not_increasing",
                "cut-offs strictly increasing: 0 < a < b < c < 1",
                shown=f"a={format_number(self.a)}, b={format_number(self.b)}, c={format_number(self.c)}",
            )
        return self


class Surcharges(BaseModel):
    """Differentiated electricity surcharge (差别化电价) per 亩均 class; it may not fall from A to D."""

    model_config = _STRICT

    a: float = _field(
        0.0, ge=0, le=2, unit="元/kWh", source="DATA-SOURCES 亩均论英雄: no surcharge for A",
        what="Surcharge on class A.",
        label=("Surcharge, class A (yuan/kWh)", "A类差别化电价(元/千瓦时)"),
    )
    b: float = _field(
        0.0, ge=0, le=2, unit="元/kWh", source="DATA-SOURCES 亩均论英雄: no surcharge for B",
        what="Surcharge on class B.",
        label=("Surcharge, class B (yuan/kWh)", "B类差别化电价(元/千瓦时)"),
    )
    c: float = _field(
        0.1, ge=0, le=2, unit="元/kWh",
        source="assumed: C faces reduced energy quotas (DATA-SOURCES); priced here as a small surcharge",
        what="Surcharge on class C.",
        label=("Surcharge, class C (yuan/kWh)", "C类差别化电价(元/千瓦时)"),
    )
    d: float = _field(
        0.3, ge=0, le=2, unit="元/kWh", source="DATA-SOURCES 亩均论英雄: D-class surcharge +0.3元/kWh",
        what="Surcharge on class D.",
        label=("Surcharge, class D (yuan/kWh)", "D类差别化电价(元/千瓦时)"),
    )

    @model_validator(mode="after")
    def _non_decreasing(self) -> Surcharges:
        if not self.a <= self.b <= self.c <= self.d:
            raise rejection(
                "surcharges_decreasing",
                "surcharges non-decreasing from a to d: a ≤ b ≤ c ≤ d",
                shown=", ".join(f"{k}={format_number(v)}" for k, v in self.model_dump().items()),
            )
        return self


# Differentiated land, water and gas prices and energy-use quotas by 亩均 class (docs/ODD.md §7.11, §7.16).


def _non_decreasing_by_class(model: BaseModel, code: str) -> None:
    values = model.model_dump()
    if not values["a"] <= values["b"] <= values["c"] <= values["d"]:
        raise rejection(
            code, "values non-decreasing from a to d: a ≤ b ≤ c ≤ d",
            shown=", ".join(f"{k}={format_number(v)}" for k, v in values.items()),
        )


class LandTaxChange(BaseModel):
    """Differentiated 城镇土地使用税 per 亩均 class: change of the standard rate (A/B reduced, D surcharged)."""

    model_config = _STRICT

    a: float = _field(
        -0.5, ge=-1, le=3, unit="share of the standard land-use tax",
        source=("assumed: 制造业高质量发展若干意见 (十九) 差别化用地; Zhejiang counties reduce the land-use tax "
                "of A firms by half or more (DATA-SOURCES 亩均论英雄: differentiated land prices), range −1 to 0"),
        what="Change of the land-use tax for class A (−0.5 = half the standard rate).",
        label=("Land-use tax change, class A", "A类城镇土地使用税调整"),
    )
    b: float = _field(
        -0.25, ge=-1, le=3, unit="share of the standard land-use tax",
        source="assumed: a smaller reduction than A (DATA-SOURCES 亩均论英雄: B 鼓励提升), range −0.5 to 0",
        what="Change of the land-use tax for class B.",
        label=("Land-use tax change, class B", "B类城镇土地使用税调整"),
    )
    c: float = _field(
        0.0, ge=-1, le=3, unit="share of the standard land-use tax",
        source="assumed: C pays the full rate (DATA-SOURCES 亩均论英雄: C 帮扶整治), range 0 to 0.5",
        what="Change of the land-use tax for class C.",
        label=("Land-use tax change, class C", "C类城镇土地使用税调整"),
    )
    d: float = _field(
        0.5, ge=-1, le=3, unit="share of the standard land-use tax",
        source=("assumed: D pays the full rate and a 差别化 surcharge, as its electricity surcharge "
                "(DATA-SOURCES 亩均论英雄: D 淘汰关停), range 0 to 1"),
        what="Change of the land-use tax for class D.",
        label=("Land-use tax change, class D", "D类城镇土地使用税调整"),
    )

    @model_validator(mode="after")
    def _non_decreasing(self) -> LandTaxChange:
        _non_decreasing_by_class(self, "land_tax_decreasing")
        return self


class WaterSurcharges(BaseModel):
    """Differentiated water price (差别化水价) per 亩均 class; it may not fall from A to D."""

    model_config = _STRICT

    a: float = _field(
        0.0, ge=0, le=5, unit="元/m³", source="DATA-SOURCES 亩均论英雄: differentiated water prices; none for A",
        what="Water surcharge on class A.",
        label=("Water surcharge, class A (yuan/m³)", "A类差别化水价(元/立方米)"),
    )
    b: float = _field(
        0.0, ge=0, le=5, unit="元/m³", source="DATA-SOURCES 亩均论英雄: differentiated water prices; none for B",
        what="Water surcharge on class B.",
        label=("Water surcharge, class B (yuan/m³)", "B类差别化水价(元/立方米)"),
    )
    c: float = _field(
        0.5, ge=0, le=5, unit="元/m³",
        source="assumed: DATA-SOURCES 亩均论英雄 (差别化水价) gives no figure; half the D surcharge, range 0–1",
        what="Water surcharge on class C.",
        label=("Water surcharge, class C (yuan/m³)", "C类差别化水价(元/立方米)"),
    )
    d: float = _field(
        1.0, ge=0, le=5, unit="元/m³",
        source=("assumed: DATA-SOURCES 亩均论英雄 (差别化水价) gives no figure; about a third of an industrial water "
                "price of ≈3–4元/m³, range 0.5–2"),
        what="Water surcharge on class D.",
        label=("Water surcharge, class D (yuan/m³)", "D类差别化水价(元/立方米)"),
    )

    @model_validator(mode="after")
    def _non_decreasing(self) -> WaterSurcharges:
        _non_decreasing_by_class(self, "water_surcharges_decreasing")
        return self


class GasSurcharges(BaseModel):
    """Differentiated natural-gas price (差别化气价) per 亩均 class; it may not fall from A to D."""

    model_config = _STRICT

    a: float = _field(
        0.0, ge=0, le=5, unit="元/m³", source="DATA-SOURCES 亩均论英雄: differentiated gas prices; none for A",
        what="Gas surcharge on class A.",
        label=("Gas surcharge, class A (yuan/m³)", "A类差别化气价(元/立方米)"),
    )
    b: float = _field(
        0.0, ge=0, le=5, unit="元/m³", source="DATA-SOURCES 亩均论英雄: differentiated gas prices; none for B",
        what="Gas surcharge on class B.",
        label=("Gas surcharge, class B (yuan/m³)", "B类差别化气价(元/立方米)"),
    )
    c: float = _field(
        0.2, ge=0, le=5, unit="元/m³",
        source="assumed: DATA-SOURCES 亩均论英雄 (差别化气价) gives no figure; half the D surcharge, range 0–0.4",
        what="Gas surcharge on class C.",
        label=("Gas surcharge, class C (yuan/m³)", "C类差别化气价(元/立方米)"),
    )
    d: float = _field(
        0.4, ge=0, le=5, unit="元/m³",
        source=("assumed: DATA-SOURCES 亩均论英雄 (差别化气价) gives no figure; about a tenth of an industrial gas "
                "price of ≈3.5–4元/m³, as the D electricity surcharge is of a power price, range 0.2–0.8"),
        what="Gas surcharge on class D.",
        label=("Gas surcharge, class D (yuan/m³)", "D类差别化气价(元/立方米)"),
    )

    @model_validator(mode="after")
    def _non_decreasing(self) -> GasSurcharges:
        _non_decreasing_by_class(self, "gas_surcharges_decreasing")
        return self


class EnergyQuota(BaseModel):
    """用能指标: the city's yearly energy-use increment, split by 赛马 rank and class (A first, D none)."""

    model_config = _STRICT

    increment_share: float = _field(
        0.12, ge=0, le=0.5, unit="share of last year's energy use of energy-intensive firms",
        source=("assumed: 2022年7月征求意见稿 四.2 (用能指标 follow the 赛马 ranking) gives no size; set so that it "
                "caps about 35–210 of the ≈500–770 energy-intensive firms a year in the baseline (D firms, fast "
                "growers in parks ranked low), range 0.05–0.20"),
        what="Energy-use increment the city hands out each year, as a share of last year's use.",
        label=("Energy-use quota increment (share/yr)", "用能指标年增量(占上年用能)"),
    )
    energy_intensive_kwh_per_wan: float = _field(
        300.0, ge=0, le=5000, unit="kWh/万元",
        source=("assumed: sectors.csv puts textiles, chemicals, new materials, integrated circuits and green "
                "energy at ≥300 kWh/万元; lighter firms grow without a quota (range 200–450)"),
        what="Electricity intensity at and above which a firm needs 用能指标 to grow.",
        label=("Energy-intensive firm threshold (kWh per 10k yuan)", "用能指标适用电耗门槛(千瓦时/万元)"),
    )


class EvaluationLevers(BaseModel):
    """亩均论英雄: the yearly 亩均 evaluation of firms, its classes and their consequences."""

    model_config = _STRICT

    coverage: Literal["all", "guishang"] = Field(
        "all",
        description=(
            "Which firms are evaluated: 'all' (全覆盖) or 'guishang' (规上 only). Unit: none. "
            "Source: 2022年7月征求意见稿 三.2 实现园区亩均综合评价全覆盖; "
            "DATA-SOURCES 亩均论英雄 (规上 from 2018, all firms by 2020)."
        ),
        json_schema_extra={"unit": "none", "source": "2022年7月征求意见稿 三.2; DATA-SOURCES 亩均论英雄",
                           "label_en": "Per-mu evaluation coverage", "label_zh": "亩均评价覆盖范围"},
    )
    min_land_mu: float = _field(
        5.0, ge=0, le=100, unit="亩", source="DATA-SOURCES 亩均论英雄: covers firms with ≥5亩",
        what="Smallest land holding that is evaluated.",
        label=("Smallest evaluated holding (mu)", "参评最小用地(亩)"),
    )
    weights: EvaluationWeights = Field(
        default_factory=EvaluationWeights,
        description="Indicator weights of the composite score. Unit: weight. Source: DATA-SOURCES.",
    )
    class_cutoffs: ClassCutoffs = Field(
        default_factory=ClassCutoffs,
        description="Class boundaries as cumulative shares from the top. Source: DATA-SOURCES 亩均论英雄.",
    )
    surcharge_yuan_per_kwh: Surcharges = Field(
        default_factory=Surcharges,
        description="Electricity surcharge per class. Unit: 元/kWh. Source: DATA-SOURCES 亩均论英雄.",
    )
    persistent_d_surcharge_yuan_per_kwh: float = _field(
        0.4, ge=0, le=2, unit="元/kWh",
        source="DATA-SOURCES 亩均论英雄: +0.4元/kWh after three consecutive years in D",
        what="Surcharge on a firm in class D for the third year running or longer.",
        label=("Surcharge, D three years running (yuan/kWh)", "连续三年D类加价(元/千瓦时)"),
    )
    enforcement: float = _field(
        0.5, ge=0, le=1, unit="strength (0 = none, 1 = full)",
        source=("assumed: the texts do not quantify 腾笼换鸟/低散乱整治 "
                "(杭政函〔2023〕13号 (十), 嘉兴万亩千亿实施意见 二(二))"),
        what="Exit pressure on D-class firms after their rectification deadline.",
        label=("Per-mu enforcement", "亩均整治力度"),
    )
    rectification_years: int = _field(
        2, ge=1, le=5, unit="years",
        source="assumed: D-class firms get a rectification deadline (DATA-SOURCES: C 帮扶整治, D 淘汰关停)",
        what="Years a D-class firm has to improve before enforcement applies.",
        label=("Rectification deadline (years)", "D类整改期限(年)"),
    )
    land_tax_change: LandTaxChange = Field(
        default_factory=LandTaxChange,
        description=("Differentiated 城镇土地使用税 per class, as a change of the standard rate. Unit: share. "
                     "Source: 制造业高质量发展若干意见 (十九) 差别化用地; DATA-SOURCES 亩均论英雄."),
    )
    water_surcharge_yuan_per_m3: WaterSurcharges = Field(
        default_factory=WaterSurcharges,
        description="Water surcharge per class. Unit: 元/m³. Source: DATA-SOURCES 亩均论英雄 (差别化水价).",
    )
    gas_surcharge_yuan_per_m3: GasSurcharges = Field(
        default_factory=GasSurcharges,
        description="Natural-gas surcharge per class. Unit: 元/m³. Source: DATA-SOURCES 亩均论英雄 (差别化气价).",
    )
    energy_quota: EnergyQuota = Field(
        default_factory=EnergyQuota,
        description=("用能指标: yearly energy-use increment, by 赛马 rank and class. Source: 制造业高质量发展若干意见 "
                     "(十九) 差别化用能; 2022年7月征求意见稿 四.2."),
    )

    @model_validator(mode="after")
    def _persistent_not_below_d(self) -> EvaluationLevers:
        if self.persistent_d_surcharge_yuan_per_kwh < self.surcharge_yuan_per_kwh.d:
            raise rejection(
                "persistent_surcharge_below_d",
                f"a number from {format_number(self.surcharge_yuan_per_kwh.d)} "
                "(surcharge_yuan_per_kwh.d) to 2",
                shown=repr(self.persistent_d_surcharge_yuan_per_kwh),
                field="persistent_d_surcharge_yuan_per_kwh",
            )
        return self


class RecruitmentLevers(BaseModel):
    """精准招商: how many projects arrive and which sectors they are in."""

    model_config = _STRICT

    effort: float = _field(
        1.0, ge=0, le=5, unit="×",
        source="2022年7月征求意见稿 三.3 推进精准招商; value assumed (1 = calibrated arrival rate)",
        what="Multiplier of the project arrival rate in every park.",
        label=("Investment-promotion effort (×)", "招商力度(倍)"),
    )
    leading_focus: float = _field(
        0.6, ge=0, le=1, unit="weight",
        source="2022年7月征求意见稿 二 一园一主业, 三.3 精准招商; value assumed",
        what="Weight of new projects toward the park's leading industries (一园一主业).",
        label=("One-park-one-industry focus", "一园一主业招商聚焦度"),
    )
    chain_pull: float = _field(
        0.3, ge=0, le=1, unit="weight",
        source="2022年7月征求意见稿 三.3 以企招企、产业链招商; value assumed",
        what="Weight of new projects toward sectors with a chain leader (链主) in the park.",
        label=("Chain pull (firms attract firms)", "以企招企(产业链招商)"),
    )
    rampup_years: int = _field(
        3, ge=1, le=6, unit="years", source="assumed: typical time from signing to full production (投产)",
        what="Years a new project takes to reach full output.",
        label=("Project ramp-up (years)", "项目达产期(年)"),
    )


class ChainLeaderLevers(BaseModel):
    """链主: which firms count as chain leaders and what service they get."""

    model_config = _STRICT

    threshold_yi: float = _field(
        20.0, ge=1, le=1000, unit="亿元/yr of output",
        source=("2022年7月征求意见稿 三.1 年产值不少于20亿元 (July 2022); "
                "2022年5月公开征求意见稿 1. 年产值不少于50亿元 (May 2022)"),
        what="Smallest output of a firm in a leading industry that counts as a chain leader.",
        label=("Chain-leader threshold (100M yuan)", "链主门槛(亿元)"),
    )
    service_boost: float = _field(
        0.01, ge=0, le=0.1, unit="growth/yr",
        source="assumed: effect of the 一对一服务专班 (2022年7月征求意见稿 三.1) on the leader's growth",
        what="Extra yearly growth of a chain leader from one-to-one service.",
        label=("Chain-leader service boost", "链主一对一服务"),
    )


class RaceLevers(BaseModel):
    """赛马: parks ranked yearly; quotas and funds follow the ranking; persistent laggards are downgraded."""

    model_config = _STRICT

    weight: float = _field(
        0.5, ge=0, le=1, unit="share (0 = equal allocation)",
        source="2022年7月征求意见稿 四.2 建立赛马机制 按照排名情况予以财政资金和用地用能指标激励; value assumed",
        what="Share of land and energy quotas and funds allocated by park ranking.",
        label=("Park race weight", "赛马机制权重"),
    )
    downgrade_after_years: int = _field(
        0, ge=0, le=10, unit="years (0 = never)",
        source="嘉兴万亩千亿实施意见 三(三) 对连续几年转型不力、运行绩效低下的平台 予以撤消、调整或归并",
        what="Years running at the bottom of the ranking after which a park is downgraded.",
        label=("Downgrade after years last (0 = never)", "末位降级年限(0为不降级)"),
    )
    downgrade_bottom_positions: int = _field(
        1, ge=1, le=8, unit="ranking positions",
        source="assumed: 嘉兴万亩千亿实施意见 三(三) 连续几年转型不力、运行绩效低下 names no cut-off; 1 = ranked last",
        what=("A park counts as weak in a year when it is ranked in the last this-many positions; weak "
              "downgrade_after_years years running, it is merged into its receiving park."),
        label=("Weak platforms: bottom positions", "末位平台认定名次"),
    )


class PlatformLevers(BaseModel):
    """进/退/聚 (嘉兴万亩千亿实施意见): 万亩千亿 priority, 退出型 parks, support for the top platforms, merging.

    Off in the Hangzhou baseline (the Hangzhou texts do not adopt these clauses); ``jiaxing_platforms.yaml`` turns
    them on. The merging of persistently weak parks is ``levers.race.downgrade_after_years``.
    """

    model_config = _STRICT

    wanmu_priority: float = _field(
        0.0, ge=0, le=1, unit="share of the land and fund quotas",
        source=("嘉兴万亩千亿实施意见 二(三)三 统筹指标主要配置重大平台发展, 二(一)一 争创一批省万亩千亿新产业平台; "
                "share assumed (0 = off: not in the Hangzhou texts)"),
        what=("Share of the land and fund quotas given first to the 万亩千亿 platforms (pro rata to their land), "
              "and probability that a project of ≥10亿 drawn elsewhere is sited on a 万亩千亿 platform instead."),
        label=("Wanmu-qianyi platform priority", "万亩千亿平台优先"),
    )
    exit_weakest: int = _field(
        0, ge=0, le=8, unit="parks",
        source=("assumed: a stand-in for the list of 退出型 parks (嘉兴万亩千亿实施意见 二(二)三), which no retained "
                "Hangzhou zone is on; the weakest by base-year 亩均税收 are the likeliest candidates"),
        what=("Number of parks with the lowest base-year 亩均税收 (not 万亩千亿 platforms) marked 退出型, in "
              "addition to those marked in parks.csv or by levers.parks.<id>.exit_type."),
        label=("Exit-type parks: the k weakest by tax per mu", "退出型园区(亩均税收最低的k个)"),
    )
    exit_clearance_share: float = _field(
        0.25, ge=0, le=1, unit="share of firms per year",
        source=("嘉兴万亩千亿实施意见 二(二)三 加大对退出型市镇工业园区的腾退力度; pace assumed (a park cleared in "
                "about four years)"),
        what=("Yearly probability that an industrial firm of a 退出型 park is cleared (腾退): it moves to the "
              "receiving platform if it is 规上 and not D-class and the platform has space, and exits otherwise."),
        label=("Exit-type park clearance (per year)", "退出型园区年腾退比例"),
    )
    top_count: int = _field(
        0, ge=0, le=16, unit="parks",
        source="嘉兴万亩千亿实施意见 三(三) 对总得分排名前6名的重大平台 … 土地要素配置 给予重点支持 (0 = off)",
        what="Number of best-ranked parks that get the extra quota share top_bonus.",
        label=("Top-ranked platforms supported", "重点支持排名前列平台数"),
    )
    top_bonus: float = _field(
        0.5, ge=0, le=2, unit="× (extra quota per unit of claim)",
        source="assumed: 嘉兴万亩千亿实施意见 三(三) 给予重点支持 without an amount",
        what="Extra quota share of each of the top_count best-ranked parks: their claim is multiplied by 1 + bonus.",
        label=("Extra quota of the top-ranked platforms", "排名前列平台额外指标"),
    )


def _mechanism(what: str, source: str, *, label: tuple[str, str]) -> Any:
    return _field(1.0, ge=0, le=5, unit="× (0 = off, 1 = as specified)", source=source, what=what, label=label)


class Mechanisms(BaseModel):
    """Scale of each model mechanism (0 switches it off), so that what a mechanism adds is one comparison."""

    model_config = _STRICT

    growth_trend: float = _mechanism(
        "Sector trend growth of firms.", "docs/ODD.md §7.1; sectors.csv trends",
        label=("growth trend", "行业趋势增长"),
    )
    agglomeration: float = _mechanism(
        "Growth bonus from same-sector mass in the park.", "docs/ODD.md §7.1",
        label=("agglomeration", "集聚效应"),
    )
    chain_spillover: float = _mechanism(
        "Growth bonus near chain leaders.", "docs/ODD.md §7.1; 2022年7月征求意见稿 三.1",
        label=("chain spillover", "链主溢出"),
    )
    shocks: float = _mechanism(
        "Idiosyncratic firm growth shocks.", "docs/ODD.md §7.1",
        label=("shocks", "企业随机冲击"),
    )
    upgrading: float = _mechanism(
        "Technical transformation (技术改造).", "docs/ODD.md §7.3; 制造业高质量发展若干意见 (十)",
        label=("upgrading", "技术改造"),
    )
    space_constraint: float = _mechanism(
        "Growth limited by land and floor space.", "docs/ODD.md §7.2",
        label=("space constraint", "空间约束"),
    )
    relocation: float = _mechanism(
        "Moves of firms without space to other parks.", "docs/ODD.md §7.2; 杭政函〔2023〕13号",
        label=("relocation", "跨园区迁移"),
    )
    exit: float = _mechanism(
        "Firm exit (losses, D class, enforcement).", "docs/ODD.md §7.4; 嘉兴万亩千亿实施意见 二(二)",
        label=("exit", "企业退出"),
    )
    redevelopment: float = _mechanism(
        "低效用地整治 returning land to parks.", "docs/ODD.md §7.5; 杭政函〔2023〕13号 (十)",
        label=("redevelopment", "低效用地整治"),
    )
    standard_factories: float = _mechanism(
        "New 标准厂房 floor space.", "docs/ODD.md §7.6; 杭政函〔2023〕13号 (十)",
        label=("standard factories", "标准厂房"),
    )
    land_quota: float = _mechanism(
        "New land moved into the zones.", "docs/ODD.md §7.13; 杭政函〔2023〕13号 (十)",
        label=("land quota", "新增用地"),
    )
    recruitment: float = _mechanism(
        "Arrival of new projects (精准招商).", "docs/ODD.md §7.8; 2022年7月征求意见稿 三.3",
        label=("recruitment", "精准招商"),
    )
    chain_leader_service: float = _mechanism(
        "一对一 service for 链主.", "docs/ODD.md §7.9; 2022年7月征求意见稿 三.1",
        label=("chain leader service", "链主服务"),
    )
    funds: float = _mechanism(
        "Subsidies, rewards and the industry fund.", "docs/ODD.md §7.10; 制造业高质量发展若干意见",
        label=("funds", "资金与补助"),
    )
    evaluation: float = _mechanism(
        "亩均 evaluation and its consequences.", "docs/ODD.md §7.11; 制造业高质量发展若干意见 (十九)",
        label=("evaluation", "亩均评价"),
    )
    race: float = _mechanism(
        "赛马 ranking of parks.", "docs/ODD.md §7.12; 2022年7月征求意见稿 四.2",
        label=("race", "赛马机制"),
    )
    entry: float = _mechanism(
        "Entry of service firms (births at a rate per firm).", "docs/ODD.md §7.14; assumed rate",
        label=("service entry", "服务业企业进入"),
    )
    energy_quota: float = _mechanism(
        "用能指标 capping the growth of energy-intensive firms (A first, D none; parks by 赛马 rank).",
        "docs/ODD.md §7.16; 制造业高质量发展若干意见 (十九) 差别化用能; 2022年7月征求意见稿 四.2",
        label=("energy-use quota", "用能指标"),
    )
    macro_shocks: float = _mechanism(
        "City-wide macro shocks: the common AR(1) growth shock and the drift of the trend.",
        "docs/ODD.md §7.18; DATA-SOURCES history before 2021",
        label=("macro shocks", "宏观冲击"),
    )


SectorIds = Annotated[list[str], Field(min_length=1, max_length=2)]


class ParkOverride(BaseModel):
    """Changes to one park; ids are checked against the world data when the scenario is loaded."""

    model_config = _STRICT

    leading: SectorIds | None = Field(
        None,
        description=(
            "The park's 1–2 leading industries (sector ids of the world); None keeps the world data. "
            "Unit: sector ids. Source: 杭政函〔2023〕13号 (五) 聚焦1—2个主导产业."
        ),
        json_schema_extra={"unit": "sector ids", "source": "杭政函〔2023〕13号 (五)"},
    )
    recruitment_effort: float | None = _field(
        None, ge=0, le=5, unit="×", source="assumed: a park-level version of levers.recruitment.effort",
        what="Multiplier of this park's project arrival rate; None uses levers.recruitment.effort.",
    )
    wanmu_platform: bool | None = Field(
        None,
        description=(
            "Whether the park is a 万亩千亿 platform; None keeps parks.csv (wanmu_qianyi_platform). Unit: flag. "
            "Source: 嘉兴万亩千亿实施意见 二(一)一; the official list is not in DATA-SOURCES."
        ),
        json_schema_extra={"unit": "flag", "source": "嘉兴万亩千亿实施意见 二(一)一"},
    )
    exit_type: bool | None = Field(
        None,
        description=(
            "Whether the park is 退出型; None keeps parks.csv (exit_type, false for every retained Hangzhou zone). "
            "Unit: flag. Source: 嘉兴万亩千亿实施意见 二(二)三 已列入退出型的市镇工业园区."
        ),
        json_schema_extra={"unit": "flag", "source": "嘉兴万亩千亿实施意见 二(二)三"},
    )

    @field_validator("leading")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise rejection("duplicate_leading", "1–2 distinct sector ids", shown=repr(value))
        return value


class Levers(BaseModel):
    """What a government chooses: land, funds, evaluation, recruitment, chain leaders, race, mechanisms."""

    model_config = _STRICT

    land: LandLevers = Field(default_factory=LandLevers, description="Land supply levers.")
    funds: FundLevers = Field(default_factory=FundLevers, description="Fund and subsidy levers.")
    evaluation: EvaluationLevers = Field(default_factory=EvaluationLevers, description="亩均论英雄 levers.")
    recruitment: RecruitmentLevers = Field(default_factory=RecruitmentLevers, description="精准招商 levers.")
    chain_leaders: ChainLeaderLevers = Field(default_factory=ChainLeaderLevers, description="链主 levers.")
    race: RaceLevers = Field(default_factory=RaceLevers, description="赛马 levers.")
    platforms: PlatformLevers = Field(default_factory=PlatformLevers,
                                      description="进/退/聚 levers (嘉兴万亩千亿实施意见).")
    mechanisms: Mechanisms = Field(default_factory=Mechanisms, description="Scale or switch off mechanisms.")
    parks: dict[str, ParkOverride] = Field(
        default_factory=dict,
        description="Per-park changes by park id (ids of the world's parks.csv). Source: 杭政函〔2023〕13号 (五).",
    )


# ----------------------------------------------------------------------------------------------------
# Distributions of uncertain behavioural parameters
# ----------------------------------------------------------------------------------------------------


class _Distribution(BaseModel):
    """Common behaviour: every distribution turns one uniform draw into one value (inverse CDF)."""

    model_config = _STRICT

    def ppf(self, u: float) -> float:
        """Return the value at cumulative probability ``u`` (the inverse CDF).

        Args:
            u: Cumulative probability in [0, 1).
        """
        raise NotImplementedError

    def sample(self, rng: np.random.Generator) -> float:
        """Draw one value, using exactly one uniform number from ``rng``.

        Every distribution, fixed ones included, consumes one draw, so that changing one parameter's
        distribution never changes the values drawn for the others.

        Args:
            rng: The generator to draw from.

        Returns:
            The sampled value.
        """
        return self.ppf(float(rng.random()))

    def bound_problems(self, low: float, high: float) -> list[tuple[str, float]]:
        """Return the fields (and values) that lie outside a parameter's hard bounds ``[low, high]``."""
        return [
            (name, value)
            for name, value in self.model_dump(exclude={"dist"}).items()
            if name != "sd" and value is not None and not low <= value <= high
        ]


class FixedDistribution(_Distribution):
    """A parameter held at one value."""

    dist: Literal["fixed"] = Field(description="Distribution kind.")
    value: float = Field(description="The value, in the parameter's unit.")

    def ppf(self, u: float) -> float:
        """Return the fixed value whatever ``u`` is."""
        return self.value


class UniformDistribution(_Distribution):
    """Every value between ``low`` and ``high`` equally likely."""

    dist: Literal["uniform"] = Field(description="Distribution kind.")
    low: float = Field(description="Lower end, in the parameter's unit.")
    high: float = Field(description="Upper end (greater than low), in the parameter's unit.")

    @model_validator(mode="after")
    def _ordered(self) -> UniformDistribution:
        if not self.low < self.high:
            raise rejection("bad_distribution", f"a number greater than low ({format_number(self.low)})",
                           shown=repr(self.high), field="high")
        return self

    def ppf(self, u: float) -> float:
        """Return ``low + u (high − low)``."""
        return self.low + u * (self.high - self.low)


class TriangularDistribution(_Distribution):
    """A triangle from ``low`` to ``high`` peaking at ``mode``."""

    dist: Literal["triangular"] = Field(description="Distribution kind.")
    low: float = Field(description="Lower end, in the parameter's unit.")
    mode: float = Field(description="Most likely value (low ≤ mode ≤ high), in the parameter's unit.")
    high: float = Field(description="Upper end (greater than low), in the parameter's unit.")

    @model_validator(mode="after")
    def _ordered(self) -> TriangularDistribution:
        if not self.low < self.high:
            raise rejection("bad_distribution", f"a number greater than low ({format_number(self.low)})",
                           shown=repr(self.high), field="high")
        if not self.low <= self.mode <= self.high:
            raise rejection(
                "bad_distribution",
                f"a number from low ({format_number(self.low)}) to high ({format_number(self.high)})",
                shown=repr(self.mode), field="mode",
            )
        return self

    def ppf(self, u: float) -> float:
        """Return the inverse CDF of the triangular distribution at ``u``."""
        width = self.high - self.low
        split = (self.mode - self.low) / width
        if u < split:
            return self.low + math.sqrt(u * width * (self.mode - self.low))
        return self.high - math.sqrt((1.0 - u) * width * (self.high - self.mode))


class NormalDistribution(_Distribution):
    """A normal distribution, truncated to ``[low, high]``.

    Truncation is exact (not clipping): values come from the normal distribution conditioned on lying in
    ``[low, high]``, which is what resampling until inside would give, but drawn by the inverse CDF of the
    truncated normal so that each sample uses exactly one uniform draw. Inside a scenario, missing ``low`` or
    ``high`` are filled with the parameter's hard bounds, so no sample can leave them.
    """

    dist: Literal["normal"] = Field(description="Distribution kind.")
    mean: float = Field(description="Mean before truncation, in the parameter's unit.")
    sd: float = Field(gt=0, description="Standard deviation before truncation (> 0), parameter's unit.")
    low: float | None = Field(None, description="Lower truncation bound; None = the parameter's hard bound.")
    high: float | None = Field(None, description="Upper truncation bound; None = the parameter's hard bound.")

    @model_validator(mode="after")
    def _ordered(self) -> NormalDistribution:
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        if not low < high:
            raise rejection("bad_distribution", f"a number greater than low ({format_number(low)})",
                           shown=repr(self.high), field="high")
        if not low <= self.mean <= high:
            raise rejection("bad_distribution", f"a number from low ({format_number(low)}) to high "
                           f"({format_number(high)})", shown=repr(self.mean), field="mean")
        return self

    def ppf(self, u: float) -> float:
        """Return the inverse CDF of the truncated normal distribution at ``u``."""
        from scipy.stats import truncnorm

        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        a, b = (low - self.mean) / self.sd, (high - self.mean) / self.sd
        value = float(truncnorm.ppf(u, a, b, loc=self.mean, scale=self.sd))
        return min(max(value, low), high)  # guard against rounding at the bounds


Distribution = Annotated[
    FixedDistribution | UniformDistribution | TriangularDistribution | NormalDistribution,
    Field(discriminator="dist"),
]
"""Distribution of one uncertain parameter, chosen by its ``dist`` key: fixed, uniform, triangular, normal."""

_DISTRIBUTION: TypeAdapter[Any] = TypeAdapter(Distribution)


# ----------------------------------------------------------------------------------------------------
# Scenario
# ----------------------------------------------------------------------------------------------------


class Scenario(BaseModel):
    """A named set of world settings, lever values and uncertain-parameter distributions.

    Load scenario files with :func:`parkabm.scenarios.loader.load_scenario`, which resolves ``extends:`` and
    checks park and sector ids against the world data. Constructing a ``Scenario`` directly validates
    everything that does not need the world.
    """

    model_config = _STRICT

    name: str = Field(description=f"Identifier of the scenario: {IDENTIFIER_RULE}.")
    description: Description = Field(description="Short description in English and Chinese.")
    extends: str | None = Field(
        None, description="The scenario this one was derived from, as written in the file (for reference)."
    )
    world: WorldSettings = Field(default_factory=WorldSettings, description="Time span, scope, firm count.")
    levers: Levers = Field(default_factory=Levers, description="Policy levers.")
    uncertainties: dict[str, Distribution] = Field(
        default_factory=dict,
        description=(
            "Distributions of behavioural parameters by name (names and hard bounds in "
            "parkabm.scenarios.parameters); parameters not listed keep their default."
        ),
    )

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise rejection("not_identifier", IDENTIFIER_RULE)
        return value

    @field_validator("uncertainties", mode="wrap")
    @classmethod
    def _known_and_within_bounds(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> dict[str, Any]:
        """Check every entry (all problems at once): known name, valid distribution, within the hard bounds.

        A normal distribution without truncation bounds gets the parameter's hard bounds, so that its samples
        always stay inside them.
        """
        if not isinstance(value, Mapping):
            return handler(value)
        known = sorted(PARAMETERS)
        errors: list[InitErrorDetails] = []
        checked: dict[str, Any] = {}
        for name, raw in value.items():
            loc = (name if isinstance(name, str | int) else repr(name),)
            if name not in PARAMETERS:
                hint = closest(name, known)
                allowed = (f"did you mean {hint!r}? " if hint else "") + "a parameter: " + ", ".join(known)
                errors.append(InitErrorDetails(type=rejection("unknown_parameter", allowed, shown=repr(name)),
                                               loc=loc, input=raw))
                continue
            try:
                dist = _DISTRIBUTION.validate_python(raw)
            except ValidationError as exc:
                errors.extend(relocate(exc, loc))
                continue
            parameter = PARAMETERS[name]
            for field, bad in dist.bound_problems(parameter.low, parameter.high):
                allowed = (
                    f"a number from {format_number(parameter.low)} to {format_number(parameter.high)} "
                    f"(hard bounds of parameter {name!r}, unit {parameter.unit or 'none'})"
                )
                errors.append(InitErrorDetails(
                    type=rejection("outside_parameter_bounds", allowed, shown=repr(bad), field=field),
                    loc=loc, input=raw,
                ))
            if isinstance(dist, NormalDistribution):
                dist = dist.model_copy(update={
                    "low": parameter.low if dist.low is None else dist.low,
                    "high": parameter.high if dist.high is None else dist.high,
                })
            checked[name] = dist
        if errors:
            raise ValidationError.from_exception_data("uncertainties", errors)
        return checked

    def parameter_values(self, rng: np.random.Generator) -> dict[str, float]:
        """Return one value for every behavioural parameter: its default, or a draw from its distribution.

        Distributions are sampled in sorted-name order, one uniform draw each, so the same generator state
        gives the same values.

        Args:
            rng: The generator to draw from (owned by the caller, e.g. seeded per replicate).

        Returns:
            Parameter values by name, for every name in ``parkabm.scenarios.parameters.PARAMETERS``.
        """
        values = defaults()
        for name in sorted(self.uncertainties):
            values[name] = self.uncertainties[name].sample(rng)
        return values


MECHANISM_LABEL = {"en": "Mechanism: {name}", "zh": "机制：{name}"}
"""How a mechanism switch under ``levers.mechanisms`` is named in each language."""


def lever_field(path: str) -> FieldInfo | None:
    """Return the schema field of a lever path such as ``levers.land.redevelopment_mu_per_year`` (None if none)."""
    parts = path.split(".")
    if len(parts) < 2 or parts[0] != "levers":
        return None
    model: Any = Levers
    info = None
    for part in parts[1:]:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        info = fields[part]
        model = info.annotation
    return info


def lever_label(path: str, lang: str = "en") -> str:
    """Return the declared English or Chinese label of a lever path (its path without ``levers.`` if it has none)."""
    info = lever_field(path)
    extra = info.json_schema_extra if info is not None and isinstance(info.json_schema_extra, dict) else {}
    key = "label_zh" if lang == "zh" else "label_en"
    if key not in extra:
        return path.removeprefix("levers.")
    name = str(extra[key])
    return MECHANISM_LABEL[lang if lang == "zh" else "en"].format(name=name) if path.startswith(
        "levers.mechanisms.") else name
