"""Every chart string in English and Chinese.

Output labels come from the output registry (:mod:`parkabm.model.outputs.registry`); scenario, group, park and
factor names and value formats are here.
"""

from __future__ import annotations

import re

from parkabm.model.outputs.registry import GROUP_LABELS, display_unit, output
from parkabm.scenarios.errors import UserInputError
from parkabm.scenarios.parameters import PARAMETERS
from parkabm.scenarios.schema import lever_label

LANGUAGES = ("en", "zh")

LABELS = {
    "comparison_p_met": {"en": "P(target met), 95% interval", "zh": "达标概率（95%置信区间）"},
    "comparison_targets": {"en": "Headline targets", "zh": "主要目标"},
    "comparison_output": {"en": "Zone output in {year}, over replicates",
                          "zh": "{year}年开发区(园区)总产值（各次模拟）"},
    "comparison_box": {"en": "box 25–75%, whiskers 5–95%, dot mean", "zh": "箱体25%–75%，须5%–95%，圆点为均值"},
    "comparison_not_evaluated": {"en": "n/a", "zh": "未评估"},
    "year": {"en": "Year", "zh": "年份"},
    "median": {"en": "median", "zh": "中位数"},
    "mean": {"en": "mean", "zh": "均值"},
    "band_90": {"en": "5–95% of replicates", "zh": "5%–95% 区间"},
    "band_50": {"en": "25–75% of replicates", "zh": "25%–75% 区间"},
    "target": {"en": "target", "zh": "目标"},
    "p_met": {"en": "P(target met in {year}) = {p:.0%} [{lo:.0%}, {hi:.0%}]",
              "zh": "{year}年达标概率 = {p:.0%} [{lo:.0%}, {hi:.0%}]"},
    "fan_title_total_output_yi": {"en": "{scenario}: zone output, {scope}",
                                  "zh": "{scenario}：开发区(园区)总产值（{scope}）"},
    "fan_title_leading_share": {"en": "{scenario}: leading-industry share", "zh": "{scenario}：主导产业占比"},
    "scope_industrial": {"en": "industrial enterprises above scale", "zh": "规上工业口径"},
    "scope_all_guishang": {"en": "all enterprises above scale", "zh": "全部规上企业口径"},
    "reps": {"en": "{n} replicates", "zh": "{n} 次重复模拟"},
    "target_line": {"en": "target: {cmp} {value} in {year}", "zh": "目标：{year}年{cmp}{value}"},
    "named_target": {"en": "{name} {cmp} {value} in {year}", "zh": "{name}：{year}年{cmp}{value}"},
    "titled": {"en": "{scenario}: {title}", "zh": "{scenario}：{title}"},
    # the front of a lever-package design (parkabm design)
    "front_title": {"en": "{scenario}: cheapest lever packages for P({goal} in {year})",
                    "zh": "{scenario}：{year}年{goal}概率的最低成本政策组合"},
    "front_cost": {"en": "Cumulative fiscal cost {first}–{year} (100 million yuan)",
                   "zh": "{first}–{year}年累计财政支出（亿元）"},
    "front_p": {"en": "P(met), search replicates", "zh": "达标概率（搜索模拟）"},
    "front_others": {"en": "packages evaluated", "zh": "已评价组合"},
    "front_front": {"en": "Pareto front (95% interval)", "zh": "帕累托前沿（95%区间）"},
    "front_fresh": {"en": "chosen and best, P on fresh replicates", "zh": "入选及最优组合（新模拟复核概率）"},
    "front_budget": {"en": "budget {budget:g}", "zh": "预算{budget:g}"},
    "front_goal_both": {"en": "both targets", "zh": "两项目标均达成"},
    "front_goal_output": {"en": "3 trillion yuan output", "zh": "产值3万亿"},
    "front_goal_leading": {"en": "≥60% leading share", "zh": "主导产业占比≥60%"},
    # metrics without a label of their own above
    # scenario comparison
    "in_year": {"en": "{what} in {year}", "zh": "{year}年{what}"},
    "replicates": {"en": "replicates", "zh": "各次模拟"},
    "p_met_header": {"en": "P(target met)\n[95% CI]", "zh": "达标概率\n[95%置信区间]"},
    "p_met_short": {"en": "{p:.0%} [{lo:.0%}, {hi:.0%}]", "zh": "{p:.0%} [{lo:.0%}, {hi:.0%}]"},
    "not_evaluated": {"en": "not evaluated", "zh": "未评估"},
    # per-park small multiples
    "parks_title_output_yi": {"en": "output by zone (100 million yuan), median and 5–95% of replicates",
                              "zh": "各开发区(园区)产值（亿元），中位数与5%–95%区间"},
    "parks_title_leading_share": {
        "en": "leading-industry share by zone, median and 5–95% of replicates; dashed line = 60% city target",
        "zh": "各开发区(园区)主导产业占比，中位数与5%–95%区间；虚线为全市目标60%"},
    # clusters
    "cluster_title": {"en": "Output of each sector group in {year} against the cluster levels",
                      "zh": "{year}年各产业集群产值与千亿级、万亿级门槛"},
    "cluster_axis": {"en": "Output (100 million yuan, log scale)", "zh": "产值(亿元，对数坐标)"},
    "qianyi_line": {"en": "100-billion-yuan level (1,000)", "zh": "千亿级(1000亿元)"},
    "wanyi_line": {"en": "trillion-yuan level (10,000)", "zh": "万亿级(1万亿元)"},
    "year_median": {"en": "median in {year}", "zh": "{year}年中位数"},
    "not_policy_cluster": {"en": "grey: not counted as a policy cluster", "zh": "灰色：不计入政策产业集群"},
    "cluster_count_title": {"en": "Clusters at each level in {year}", "zh": "{year}年千亿级、万亿级产业集群数量"},
    "cluster_count_axis": {"en": "Number of clusters", "zh": "集群数量(个)"},
    "share_of_replicates": {"en": "Share of replicates", "zh": "模拟次数占比"},
    "count_target": {"en": "target {cmp} {value} in {year}", "zh": "目标：{year}年{cmp}{value}个"},
    "p_met_in_legend": {"en": "P(met) {p}", "zh": "达标概率 {p}"},
    # land balance
    "land_title": {"en": "Industrial land in the zones (mean of replicates)",
                   "zh": "开发区(园区)工业用地构成（各次模拟均值）"},
    "land_axis": {"en": "Land (10,000 mu)", "zh": "用地（万亩）"},
    "land_axis_start": {"en": "axis starts at {bottom} (10,000 mu), not at 0", "zh": "纵轴起点为{bottom}万亩，非0"},
    "land_part_land_firms_mu": {"en": "held by firms", "zh": "企业用地"},
    "land_part_land_factory_mu": {"en": "standard factories", "zh": "标准厂房用地"},
    "land_part_land_pipeline_mu": {"en": "under redevelopment", "zh": "整治中"},
    "land_part_land_idle_mu": {"en": "idle low-efficiency land", "zh": "闲置低效用地"},
    "land_part_land_vacant_mu": {"en": "vacant serviced land", "zh": "空置可供地"},
    "land_part_zone_industrial_land_mu": {"en": "all industrial land in the zones", "zh": "工业用地总量"},
    # sector groups (short names for axes; sectors.csv has the long Chinese names)
    # shipped scenarios (short names for titles and axes; a scenario without an entry shows its name)
    "scenario_baseline": {"en": "Baseline", "zh": "基准情景"},
    "scenario_status_quo": {"en": "Status quo (pre-2022)", "zh": "延续2022年前政策"},
    "scenario_land_first": {"en": "Land first", "zh": "空间优先"},
    "scenario_subsidy_first": {"en": "Subsidy first", "zh": "资金优先"},
    "scenario_strict_mujun": {"en": "Strict per-mu evaluation", "zh": "严格亩均评价"},
    "scenario_focus_leading": {"en": "Focus on leading industries", "zh": "聚焦主导产业"},
    "scenario_draft_may_2022": {"en": "May 2022 draft", "zh": "2022年5月征求意见稿"},
    "scenario_draft_jul_2022": {"en": "July 2022 draft", "zh": "2022年7月稿"},
    "scenario_combined": {"en": "Combined package", "zh": "政策组合"},
    "scenario_industrial_scope": {"en": "Industrial scope", "zh": "规上工业口径"},
    # variance decomposition
    "decomposition_title": {"en": "{scenario}: where the uncertainty of each target comes from",
                            "zh": "{scenario}：各目标不确定性的来源"},
    "decomposition_axis": {"en": "Share of the variance of single runs", "zh": "单次模拟方差占比"},
    "decomposition_constant": {"en": "does not vary", "zh": "无变化"},
    "decomposition_runs": {"en": "{n} runs", "zh": "{n} 次模拟"},
}
"""Every chart string, in both languages."""

PERCENT_METRICS = {"leading_share", "rd_to_gdp", "fai_growth"}
"""Outputs drawn as percentages besides every ``*_share`` column."""


def check_language(lang: str) -> None:
    """Raise :class:`UserInputError` unless ``lang`` is ``en`` or ``zh``."""
    if lang not in LANGUAGES:
        raise UserInputError(f"--lang: {lang!r} — allowed: {', '.join(LANGUAGES)}")


def label(key: str, lang: str, **values) -> str:
    """Return the label ``key`` in ``lang``, formatted with ``values`` (Chinese with full-width brackets)."""
    return zh_brackets(LABELS[key][lang].format(**values), lang)


def zh_brackets(text: str, lang: str) -> str:
    """Return ``text`` with full-width brackets when ``lang`` is ``zh``.

    Chinese typesetting uses full-width brackets （） around Chinese words and units; the registry and the park
    tables write some with ASCII brackets, and a title that joins both would mix the two widths.
    """
    return text.replace("(", "（").replace(")", "）") if lang == "zh" else text


def metric_label(metric: str, lang: str) -> str:
    """Return the axis label of an output column: its registry label with unit (its name when it is not declared)."""
    if metric in LABELS:
        return label(metric, lang)
    try:
        return zh_brackets(output(metric).label(lang, with_unit=True), lang)
    except KeyError:
        return metric


def scenario_label(name: str, lang: str) -> str:
    """Return the short display name of a scenario (its name when :data:`LABELS` has none)."""
    key = f"scenario_{name}"
    return label(key, lang) if key in LABELS else str(name)


def group_label(group: str, lang: str) -> str:
    """Return the short display name of a sector group (from the output registry; its id when it has none)."""
    names = GROUP_LABELS.get(group)
    return zh_brackets(names[1 if lang == "zh" else 0], lang) if names else str(group)


PARK_NAME_SHORTENINGS = (("Economic and Technological Development Zone", "ETDZ"),
                         ("Industrial Development Zone", "IDZ"), ("Economic Development Zone", "EDZ"),
                         ("Airport Economy Demonstration Zone", "Airport Econ. Zone"),
                         ("Demonstration Zone", "Demo. Zone"))
"""Abbreviations that keep English park names short enough for a small-multiple panel title."""


def park_names(lang: str, *, short: bool = False, world=None) -> dict[str, str]:
    """Return park display names by park id, from ``parks.csv`` (``name_zh`` or ``name_en``).

    Args:
        lang: ``en`` or ``zh``.
        short: Abbreviate the English zone types (ETDZ, EDZ, IDZ) and drop a second name in brackets, so that a
            name fits one line of a small panel's title.
        world: World tables; the shipped world when omitted.

    Returns:
        Names by park id.
    """
    from parkabm.scenarios.world import load_world

    check_language(lang)
    parks = (world if world is not None else load_world()).parks
    names = {str(k): str(v) for k, v in parks[f"name_{lang}"].items()}
    if short and lang == "en":
        for long, abbreviation in PARK_NAME_SHORTENINGS:
            names = {k: v.replace(long, abbreviation) for k, v in names.items()}
        # the other name in brackets ("Gongshu industrial zone (Smart Web Valley)") would wrap a panel title
        names = {k: re.sub(r"\s*\([^)]*\)$", "", v) for k, v in names.items()}
    return {k: zh_brackets(v, lang) for k, v in names.items()}


def is_share(metric: str) -> bool:
    """Whether an output column is a share or rate in [0, 1] (drawn as a percentage)."""
    return metric.endswith("_share") or metric in PERCENT_METRICS


def format_value(metric: str, value: float) -> str:
    """Format a value of ``metric`` for a label: shares as percentages, amounts with thousands separators."""
    if is_share(metric):
        return f"{value:.1%}" if abs(value) < 0.1 and value != 0 else f"{value:.0%}"
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.2f}"


def comparison_sign(comparison: str) -> str:
    """Return a target's comparison as a reader writes it (``>=`` as ``≥``)."""
    return {">=": "≥", "<=": "≤", ">": ">", "<": "<"}.get(comparison, comparison)


def value_with_unit(metric: str, value: float, lang: str) -> str:
    """Return a value of ``metric`` with its registry unit, e.g. ``30,000 (100 million yuan)`` or ``30,000亿元``.

    Shares are percentages and counts are plain numbers, so neither gets a unit.
    """
    text = format_value(metric, value)
    try:
        unit = output(metric).unit
    except KeyError:
        return text
    if unit in ("share", "count", "flag", "rank"):
        return text
    shown = display_unit(unit, lang)
    return f"{text}{shown}" if lang == "zh" else f"{text} ({shown})"


def target_label(metric: str, target: dict, lang: str, *, name: str | None = None) -> str:
    """Return the legend text of a target: value, unit and year, e.g. ``target: ≥ 30,000 (100 million yuan) in 2025``.

    Args:
        metric: The output the target is set on (for the value's format and unit).
        target: ``target`` (value), ``year`` and ``comparison`` (``>=`` when missing).
        lang: ``en`` or ``zh``.
        name: What the target is on (e.g. the output's label), written instead of "target".
    """
    cmp = comparison_sign(target.get("comparison", ">="))
    value = value_with_unit(metric, target["target"], lang)
    if name is None:
        return label("target_line", lang, cmp=cmp, value=value, year=target["year"])
    return label("named_target", lang, name=name, cmp=cmp, value=value, year=target["year"])


def class_title(which: str, lang: str) -> str:
    """Return the class of runs a scenario discovery looks for (``both``, ``output``, ``leading``).

    The headline targets' values, units and year come from ``targets.csv``, as in the discovery's summary.
    """
    from parkabm.model.outputs.targets import headline_targets

    head = headline_targets()
    texts = {}
    for key, metric in (("output", "total_output_yi"), ("leading", "leading_share")):
        t = head[metric]
        texts[key] = label("target_short", lang, cmp=comparison_sign(t.comparison),
                           value=value_with_unit(metric, t.value, lang), year=t.year)
    return label(f"prim_class_{which}", lang, **texts)



LABELS.update({
    "sa_index": {"en": "Sensitivity index (95% CI)", "zh": "敏感性指数（95%置信区间）"},
    "sa_S1": {"en": "first order S1", "zh": "一阶指数 S1"},
    "sa_ST": {"en": "total order ST", "zh": "总效应指数 ST"},
    "sa_S2": {"en": "second order S2", "zh": "二阶指数 S2"},
    "sa_delta": {"en": "δ (moment-independent)", "zh": "δ（矩独立）"},
    "sa_pawn_median": {"en": "PAWN (median KS; bar = range across slides)", "zh": "PAWN（KS中位数；线段为各切片范围）"},
    "morris_mu_star": {"en": "μ* (mean |elementary effect|)", "zh": "μ*（基本效应绝对值均值）"},
    "morris_sigma": {"en": "σ (spread of elementary effects)", "zh": "σ（基本效应标准差）"},
    "morris_unlabelled": {"en": "{k} more factors near the origin, not named", "zh": "原点附近另有{k}个因素未标注"},
    "sa_constant": {"en": "output constant: no indices", "zh": "输出恒定：无敏感性指数"},
    "sa_n": {"en": "n = {n}", "zh": "样本量 n = {n}"},
    "sa_runs": {"en": "{runs} runs", "zh": "{runs}次运行"},
    "sa_share_unit": {"en": "share, 0–1", "zh": "占比，0–1"},
    "sa_probability_unit": {"en": "probability, 0–1", "zh": "概率，0–1"},
    "morris_line": {"en": "σ = μ*: interactions or non-linearity above", "zh": "σ = μ*：其上方为交互或非线性"},
    "prim_coverage": {"en": "Coverage (share of successes in the box)", "zh": "覆盖率（成功情景落在框内的比例）"},
    "prim_density": {"en": "Density (share of box runs that succeed)", "zh": "密度（框内情景的成功比例）"},
    "prim_dims": {"en": "restricted factors", "zh": "受限因素数"},
    "prim_chosen": {"en": "chosen box", "zh": "选定的框"},
    "prim_box_title": {"en": "Box: coverage {coverage:.0%}, density {density:.0%}",
                       "zh": "框：覆盖率 {coverage:.0%}，密度 {density:.0%}"},
    "prim_no_restriction": {"en": "no restriction survived pruning:\nthe box is the whole sampled space",
                            "zh": "剪枝后无保留的限制条件：\n框即整个抽样空间"},
    "prim_quasi_p_note": {"en": "quasi-p: chance that a restriction this strong arises by chance (binomial test)",
                          "zh": "准p值（quasi-p）：如此强的限制出于偶然的概率（二项检验）"},
    "prim_class_output": {"en": "runs meeting the output target, {output}",
                          "zh": "产值目标达标的情景（{output}）"},
    "prim_class_leading": {"en": "runs meeting the leading-share target, {leading}",
                           "zh": "主导产业占比目标达标的情景（{leading}）"},
    "prim_class_both": {"en": "runs meeting both targets, output {output} and leading share {leading}",
                        "zh": "两项目标均达标的情景（{output}；{leading}）"},
    "target_short": {"en": "{cmp} {value} in {year}", "zh": "{year}年{cmp}{value}"},
    "prim_range": {"en": "sampled range", "zh": "抽样范围"},
    "prim_box_range": {"en": "box", "zh": "框内范围"},
    "prim_axis": {"en": "Position within the sampled range", "zh": "在抽样范围中的位置"},
    "sa_output_total_output": {"en": "Zone output in {year}", "zh": "{year}年开发区(园区)总产值"},
    "sa_output_leading_share": {"en": "Leading-industry share in {year}", "zh": "{year}年主导产业占比"},
    "sa_output_p_output_target": {"en": "P(output target met in {year})", "zh": "{year}年产值目标达标概率"},
    "sa_output_p_leading_target": {"en": "P(leading-share target met in {year})", "zh": "{year}年主导产业占比达标概率"},
    "sa_output_p_both_targets": {"en": "P(both headline targets met in {year})",
                                 "zh": "{year}年两项主要目标均达标概率"},
})


def factor_label(name: str, lang: str) -> str:
    """Return the declared name of a factor in ``lang``.

    A lever path's label comes from the scenario schema, a behavioural parameter's from
    :data:`~parkabm.scenarios.parameters.PARAMETERS`; anything else shows its name's last part in words.
    """
    if str(name).startswith("levers."):
        return lever_label(str(name), lang)
    parameter = PARAMETERS.get(str(name))
    if parameter is not None and parameter.label[0]:
        return parameter.label[1 if lang == "zh" else 0]
    return str(name).split(".")[-1].replace("_", " ")
