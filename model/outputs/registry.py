"""The output registry: every yearly output of a run declared once, citywide and per park.

Each :class:`Output` names its column, unit, English and Chinese label, level (``city`` or ``park``) and the reporter
function of :mod:`parkabm.model.outputs.reporters` that computes it from the year's :class:`Tally`; the reporter's
docstring is the output's description. Everything else reads this table: the model's records and its Mesa
``DataCollector``, the Parquet column metadata, chart labels, sensitivity and discovery outputs and comparison
tables. The per-group outputs (``group_output_<group>_yi``) depend on the world's sector groups and are declared by
:func:`group_output`.

Units are written as the data are: ``亿元`` (1e8 CNY, nominal unless the name says ``real``), ``万元/亩``, ``亩``,
``m²``, ``share`` (a fraction in [0, 1]), ``count``, ``index`` (base year = 1), ``rank`` and ``flag`` (0 or 1).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from parkabm.model.outputs import reporters as r

Level = Literal["city", "park"]


@dataclass(frozen=True)
class Output:
    """One declared output of a run.

    Attributes:
        name: Column name in the yearly (city) or per-park tables.
        unit: Unit of the values (see the module docstring).
        label_en: Short English label for charts and tables.
        label_zh: Short Chinese label for charts and tables.
        level: ``city`` (one value a year) or ``park`` (one value per park and year).
        reporter: Function of the year's tally that computes the value (an array over parks for park outputs).
        description: What the value is, from the reporter's docstring.
    """

    name: str
    unit: str
    label_en: str
    label_zh: str
    level: Level
    reporter: Callable[[r.Tally], Any]
    description: str

    def label(self, lang: str = "en", *, with_unit: bool = False) -> str:
        """Return the label in ``lang`` (``en`` or ``zh``), optionally followed by its unit in brackets."""
        text = self.label_zh if lang == "zh" else self.label_en
        if not with_unit or self.unit in ("count", "flag", "rank", "share"):
            return text
        unit = display_unit(self.unit, lang)
        return f"{text}（{unit}）" if lang == "zh" else f"{text} ({unit})"


UNIT_NAMES = {
    "亿元": {"en": "100 million yuan", "zh": "亿元"},
    "亿元 real": {"en": "100 million yuan, base-year prices", "zh": "亿元，基年价格"},
    "万元/亩": {"en": "10,000 yuan per mu", "zh": "万元/亩"},
    "亩": {"en": "mu", "zh": "亩"},
    "m²": {"en": "m²", "zh": "平方米"},
    "share": {"en": "share", "zh": "占比"},
    "count": {"en": "count", "zh": "个"},
    "index": {"en": "base year = 1", "zh": "基年=1"},
    "rank": {"en": "rank, 0 = best", "zh": "排名，0为最好"},
    "flag": {"en": "0 or 1", "zh": "0或1"},
    "per year": {"en": "per year", "zh": "年均"},
}
"""How each unit is written in English and Chinese labels."""


def display_unit(unit: str, lang: str = "en") -> str:
    """Return ``unit`` as written in ``lang`` (the unit itself when it has no translation)."""
    return UNIT_NAMES.get(unit, {}).get(lang, unit)


def _describe(reporter: Callable[..., Any]) -> str:
    doc = inspect.getdoc(reporter) or ""
    return doc.split("\n\n")[0].replace("\n", " ").strip()


def _outputs(level: Level, rows: tuple[tuple[Callable[..., Any], str, str, str], ...]) -> dict[str, Output]:
    prefix = "park_" if level == "park" else ""
    declared = {}
    for reporter, unit, label_en, label_zh in rows:
        name = reporter.__name__.removeprefix(prefix)
        declared[name] = Output(name, unit, label_en, label_zh, level, reporter, _describe(reporter))
    return declared


CITY_OUTPUTS: dict[str, Output] = _outputs("city", (
    (r.total_output_yi, "亿元", "Zone output", "开发区(园区)总产值"),
    (r.industrial_output_yi, "亿元", "Zone industrial output", "开发区(园区)规上工业总产值"),
    (r.leading_share, "share", "Leading-industry share of output", "主导产业占比"),
    (r.price_index, "index", "Industrial price level", "工业价格指数"),
    (r.clusters_qianyi, "count", "100-billion-yuan clusters", "千亿级产业集群"),
    (r.clusters_wanyi, "count", "Trillion-yuan clusters", "万亿级产业集群"),
    (r.strategic_platforms, "count", "Provincial strategic platforms", "省级高能级战略平台"),
    (r.rd_to_gdp, "share", "R&D spending over GDP", "规上企业研发经费支出占生产总值比重"),
    (r.tax_per_mu_wan, "万元/亩", "Tax per mu", "亩均税收"),
    (r.value_added_per_mu_wan, "万元/亩", "Value added per mu", "亩均增加值"),
    (r.fai_yi, "亿元", "Fixed-asset investment", "固定资产投资"),
    (r.fai_growth, "per year", "Growth of fixed-asset investment", "固定资产投资年均增速"),
    (r.zone_land_share, "share", "Share of industrial land in zones", "工业用地集聚度"),
    (r.max_low_efficiency_share, "share", "Highest low-efficiency land share of a zone", "园区低效用地占比最高值"),
    (r.parks_over_low_efficiency_cap, "count", "Zones above the 30% low-efficiency cap", "低效用地占比超30%的园区"),
    (r.projects_signed, "count", "Projects sited", "落地项目"),
    (r.projects_over_10yi, "count", "Projects of 1 billion yuan or more", "10亿元以上项目"),
    (r.projects_unsited, "count", "Projects without space", "未落地项目"),
    (r.guishang_industrial_firms, "count", "Industrial enterprises above scale", "规上工业企业"),
    (r.guishang_firms, "count", "Enterprises above scale", "规上企业"),
    (r.firms_alive, "count", "Firms", "企业数"),
    (r.hightech_firms, "count", "High-tech enterprises", "高新技术企业"),
    (r.chain_leaders, "count", "Chain leaders", "链主企业"),
    (r.entries, "count", "Entries", "新进入企业"),
    (r.exits, "count", "Exits", "退出企业"),
    (r.enforced_exits, "count", "Enforced exits", "腾退企业"),
    (r.relocations, "count", "Relocations between zones", "跨园区迁移"),
    (r.upgrades, "count", "Technical transformation projects", "技术改造项目"),
    (r.class_a_share, "share", "Class A share", "A类企业占比"),
    (r.class_b_share, "share", "Class B share", "B类企业占比"),
    (r.class_c_share, "share", "Class C share", "C类企业占比"),
    (r.class_d_share, "share", "Class D share", "D类企业占比"),
    (r.land_firms_mu, "亩", "Land held by firms", "企业用地"),
    (r.land_vacant_mu, "亩", "Vacant serviced land", "可供用地"),
    (r.land_idle_mu, "亩", "Idle low-efficiency land", "闲置低效用地"),
    (r.land_pipeline_mu, "亩", "Land under redevelopment", "整治中用地"),
    (r.land_factory_mu, "亩", "Land under standard factories", "标准厂房用地"),
    (r.factory_space_free_mu, "亩", "Unrented standard-factory floor", "标准厂房空置面积"),
    (r.zone_industrial_land_mu, "亩", "Industrial land in zones", "园区工业用地"),
    (r.outside_land_mu, "亩", "Industrial land outside zones", "园区外工业用地"),
    (r.standard_factory_m2, "m²", "Standard-factory floor built", "新建标准厂房面积"),
    (r.surcharge_revenue_yi, "亿元", "Differentiated surcharge revenue", "差别化电价加价收入"),
    (r.fiscal_total_yi, "亿元", "Fiscal cost of all levers", "政策财政支出合计"),
    (r.fiscal_redevelopment_yi, "亿元", "Fiscal cost: redevelopment", "财政支出：低效用地整治"),
    (r.fiscal_standard_factories_yi, "亿元", "Fiscal cost: standard factories", "财政支出：标准厂房"),
    (r.fiscal_tech_upgrade_subsidy_yi, "亿元", "Fiscal cost: technical transformation", "财政支出：技术改造补助"),
    (r.fiscal_milestone_rewards_yi, "亿元", "Fiscal cost: output-milestone rewards", "财政支出：产值奖励"),
    (r.fiscal_innovation_support_yi, "亿元", "Fiscal cost: innovation support", "财政支出：创新平台支持"),
    (r.fiscal_phaseout_compensation_yi, "亿元", "Fiscal cost: phase-out compensation", "财政支出：淘汰落后产能补偿"),
    (r.service_entries, "count", "Service firms entering", "新进入服务业企业"),
    (r.fiscal_industry_fund_yi, "亿元", "Fiscal cost: industry fund stakes", "财政支出：产业基金投入"),
    (r.class_a_space_met_share, "share", "Share of A-class firms' space requests met", "A类企业用地需求满足率"),
    (r.leading_project_share, "share", "Share of sited projects in leading industries", "落地项目中主导产业占比"),
    (r.redevelopment_quota_top_half_share, "share", "Redevelopment quota to the better-ranked half of zones",
     "排名前半园区获得的整治指标份额"),
    (r.quota_top_half_share, "share", "Land and fund quotas to the better-ranked half of zones",
     "排名前半园区获得的用地与资金指标份额"),
))
"""Citywide outputs in column order."""

PARK_OUTPUTS: dict[str, Output] = _outputs("park", (
    (r.park_output_yi, "亿元", "Output", "产值"),
    (r.park_leading_share, "share", "Leading-industry share", "主导产业占比"),
    (r.park_tax_per_mu_wan, "万元/亩", "Tax per mu", "亩均税收"),
    (r.park_low_efficiency_share, "share", "Low-efficiency land share", "低效用地占比"),
    (r.park_vacant_mu, "亩", "Vacant serviced land", "可供用地"),
    (r.park_factory_space_mu, "亩", "Unrented standard-factory floor", "标准厂房空置面积"),
    (r.park_industrial_land_mu, "亩", "Industrial land", "工业用地"),
    (r.park_firms, "count", "Firms", "企业数"),
    (r.park_guishang_industrial_firms, "count", "Industrial enterprises above scale", "规上工业企业"),
    (r.park_rank, "rank", "Race rank", "赛马排名"),
    (r.park_quota_share, "share", "Share of land and fund quotas", "用地与资金指标份额"),
    (r.park_downgraded, "flag", "Downgraded", "降级"),
))
"""Per-park outputs in column order (column names without the ``park_`` prefix of their reporters)."""

GROUP_OUTPUT_COLUMN = "group_output_{group}_yi"
"""Column of the yearly table holding one sector group's output (亿元), one per group of the run's scope."""

GROUP_LABELS = {
    "smart_iot": ("Smart IoT", "智能物联"),
    "biomedicine": ("Biomedicine", "生物医药"),
    "high_end_equipment": ("High-end equipment", "高端装备"),
    "new_materials": ("New materials", "新材料"),
    "green_energy": ("Green energy", "绿色能源"),
    "frontier": ("Integrated circuits and AI", "集成电路与人工智能"),
    "nev": ("New-energy vehicles", "新能源汽车"),
    "traditional": ("Traditional manufacturing", "传统制造业"),
    "digital_services": ("Digital services", "数字服务"),
    "other_services": ("Other services", "其他服务业"),
}
"""English and Chinese names of the sector groups of ``sectors.csv``."""


def group_output(group: str) -> Output:
    """Return the declaration of the output column of sector group ``group`` (``group_output_<group>_yi``)."""
    en, zh = GROUP_LABELS.get(group, (group.replace("_", " "), group))
    return Output(GROUP_OUTPUT_COLUMN.format(group=group), "亿元", f"Output: {en}", f"产值：{zh}", "city",
                  r.group_output_columns, f"Output of the sector group {en} ({zh}) this year, 亿元.")


CITY_REPORTERS: dict[str, Callable[[r.Tally], float]] = {name: o.reporter for name, o in CITY_OUTPUTS.items()}
"""Citywide reporter functions by column name."""

PARK_REPORTERS: dict[str, Callable[[r.Tally], Any]] = {name: o.reporter for name, o in PARK_OUTPUTS.items()}
"""Per-park reporter functions by column name."""


def output(name: str) -> Output:
    """Return the declaration of output column ``name`` (citywide, per group, or per park).

    Raises:
        KeyError: No output has that name.
    """
    if name in CITY_OUTPUTS:
        return CITY_OUTPUTS[name]
    if name in PARK_OUTPUTS:
        return PARK_OUTPUTS[name]
    if name.startswith("group_output_") and name.endswith("_yi"):
        return group_output(name.removeprefix("group_output_").removesuffix("_yi"))
    raise KeyError(name)
