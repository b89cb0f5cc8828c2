"""Publication charts in one project style, labelled in English or Chinese (DESIGN §8).

Plot functions take a tidy DataFrame and an optional ``ax`` and return the ``ax``; they never run the model. Labels
come from :data:`LABELS`, one table for both languages; park names from ``parks.csv`` (``name_zh``/``name_en``).
Chinese labels need a CJK font: :func:`language_rc` uses Noto Sans SC from the optional ``zh`` extra
(``pip install 'parkabm[zh]'``, registered with matplotlib when first asked for, never at import) or a CJK font
installed on the system, and fails with a message naming how to install one rather than drawing empty boxes.

The charts of DESIGN §8 that a projection supports:

- :func:`fan_chart` — one metric over the years, replicate bands, the target line and P(target);
- :func:`scenario_distribution_chart` — several scenarios' distributions of one metric in one year;
- :func:`park_small_multiples` — one panel per park over the years (output, leading-industry share, …);
- :func:`cluster_chart` — output of each sector group against the 千亿级/万亿级 levels
  (needs per-group output columns, see :func:`group_outputs`); :func:`cluster_count_chart` — how many clusters
  reach each level;
- :func:`land_balance_chart` — how the zones' industrial land is used over the years.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from parkabm.scenarios.errors import UserInputError

LANGUAGES = ("en", "zh")
FORMATS = ("png", "svg", "pdf")
DPI = 300

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
             "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC", "Droid Sans Fallback",
             "AR PL UMing CN", "Noto Serif CJK SC")
"""CJK-capable font families installed on the system, tried in order for ``lang="zh"`` when the packaged font of
the ``zh`` extra is not installed."""

PACKAGED_CJK_FONT = ("pylopdf_fonts_zh_cn", "NotoSansSC-Regular.otf")
"""Module and file name of the CJK font the ``zh`` extra installs: Noto Sans SC Regular (the Simplified-Chinese
subset of Noto Sans CJK, SIL Open Font License 1.1), shipped as a data-only package on PyPI."""

ZH_FONT_HINT = ("install the project's Chinese font with `pip install 'parkabm[zh]'` (or `make test`), "
                "or a system CJK font, e.g. `apt-get install fonts-noto-cjk` (Debian/Ubuntu)")
"""How to get a CJK font, for the message when none is found."""

LABELS = {
    "comparison_p_met": {"en": "P(target met), 95% interval", "zh": "达标概率（95%置信区间）"},
    "comparison_targets": {"en": "Headline targets", "zh": "主要目标"},
    "comparison_output": {"en": "Zone output in {year}", "zh": "{year}年开发区(园区)总产值"},
    "comparison_box": {"en": "box 25–75%, whiskers 5–95%, dot mean", "zh": "箱体25%–75%，须5%–95%，圆点为均值"},
    "comparison_not_evaluated": {"en": "n/a", "zh": "未评估"},
    "total_output_yi": {"en": "Zone output (100 million yuan)", "zh": "开发区(园区)总产值(亿元)"},
    "leading_share": {"en": "Leading-industry share of output", "zh": "主导产业占比"},
    "year": {"en": "Year", "zh": "年份"},
    "median": {"en": "median", "zh": "中位数"},
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
    "titled": {"en": "{scenario}: {title}", "zh": "{scenario}：{title}"},
    # metrics without a label of their own above
    "output_yi": {"en": "Output (100 million yuan)", "zh": "产值(亿元)"},
    "clusters_qianyi": {"en": "100-billion-yuan clusters", "zh": "千亿级产业集群"},
    "clusters_wanyi": {"en": "trillion-yuan clusters", "zh": "万亿级产业集群"},
    # scenario comparison
    "in_year": {"en": "{what} in {year}", "zh": "{year}年{what}"},
    "replicates": {"en": "replicates", "zh": "各次模拟"},
    "p_met_header": {"en": "P(target met)\n[95% CI]", "zh": "达标概率\n[95%置信区间]"},
    "p_met_short": {"en": "{p:.0%} [{lo:.0%}, {hi:.0%}]", "zh": "{p:.0%} [{lo:.0%}, {hi:.0%}]"},
    "not_evaluated": {"en": "not evaluated", "zh": "未评估"},
    # per-park small multiples
    "parks_title_output_yi": {"en": "Output by zone (100 million yuan): median and 5–95% of replicates",
                              "zh": "各开发区(园区)产值(亿元)：中位数与5%–95%区间"},
    "parks_title_leading_share": {
        "en": "Leading-industry share by zone: median and 5–95% of replicates; dashed: 60% (city target)",
        "zh": "各开发区(园区)主导产业占比：中位数与5%–95%区间；虚线为60%（全市目标）"},
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
    "count_target": {"en": "target {cmp} {value}", "zh": "目标{cmp}{value}"},
    "p_met_in_legend": {"en": "P(met) {p}", "zh": "达标概率 {p}"},
    # land balance
    "land_title": {"en": "Industrial land in the zones (mean of replicates)",
                   "zh": "开发区(园区)工业用地构成（各次模拟均值）"},
    "land_axis": {"en": "Land (10,000 mu)", "zh": "用地(万亩)"},
    "land_part_land_firms_mu": {"en": "held by firms", "zh": "企业用地"},
    "land_part_land_factory_mu": {"en": "standard factories", "zh": "标准厂房用地"},
    "land_part_land_pipeline_mu": {"en": "under redevelopment", "zh": "整治中"},
    "land_part_land_idle_mu": {"en": "idle low-efficiency land", "zh": "闲置低效用地"},
    "land_part_land_vacant_mu": {"en": "vacant serviced land", "zh": "空置可供地"},
    "land_part_zone_industrial_land_mu": {"en": "all industrial land in the zones", "zh": "工业用地总量"},
    # sector groups (short names for axes; sectors.csv has the long Chinese names)
    "group_smart_iot": {"en": "Smart IoT", "zh": "智能物联"},
    "group_biomedicine": {"en": "Biomedicine", "zh": "生物医药"},
    "group_high_end_equipment": {"en": "High-end equipment", "zh": "高端装备"},
    "group_new_materials": {"en": "New materials", "zh": "新材料"},
    "group_green_energy": {"en": "Green energy", "zh": "绿色能源"},
    "group_frontier": {"en": "Integrated circuits and AI", "zh": "集成电路与人工智能"},
    "group_nev": {"en": "New-energy vehicles", "zh": "新能源汽车"},
    "group_traditional": {"en": "Traditional manufacturing", "zh": "传统制造业"},
    "group_digital_services": {"en": "Digital services", "zh": "数字服务"},
    "group_other_services": {"en": "Other services", "zh": "其他服务业"},
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
}
"""Every chart string, in both languages."""

GROUP_OUTPUT_COLUMN = "group_output_{group}_yi"
"""Name of a yearly output column holding one sector group's output (亿元), read by :func:`group_outputs`."""

LAND_PARTS = ("land_firms_mu", "land_factory_mu", "land_pipeline_mu", "land_idle_mu", "land_vacant_mu")
"""The uses that together make up the zones' industrial land, bottom to top of :func:`land_balance_chart`."""

COLOUR = "#1f5f8b"
"""The project's main colour (bands, medians, bars)."""
TARGET_COLOUR = "#b2182b"
"""Colour of targets and P(target)."""

_PERCENT_METRICS = {"leading_share", "rd_to_gdp", "fai_growth"}
"""Outputs drawn as percentages besides every ``*_share`` column."""


def check_language(lang: str) -> None:
    """Raise :class:`UserInputError` unless ``lang`` is ``en`` or ``zh``."""
    if lang not in LANGUAGES:
        raise UserInputError(f"--lang: {lang!r} — allowed: {', '.join(LANGUAGES)}")


def check_format(fmt: str) -> None:
    """Raise :class:`UserInputError` unless ``fmt`` is ``png``, ``svg`` or ``pdf``."""
    if fmt not in FORMATS:
        raise UserInputError(f"--format: {fmt!r} — allowed: {', '.join(FORMATS)}")


def label(key: str, lang: str, **values) -> str:
    """Return the label ``key`` in ``lang``, formatted with ``values``."""
    return LABELS[key][lang].format(**values)


def metric_label(metric: str, lang: str) -> str:
    """Return the axis label of an output column (its name when it has no label)."""
    return label(metric, lang) if metric in LABELS else metric


def scenario_label(name: str, lang: str) -> str:
    """Return the short display name of a scenario (its name when :data:`LABELS` has none)."""
    key = f"scenario_{name}"
    return label(key, lang) if key in LABELS else str(name)


def group_label(group: str, lang: str) -> str:
    """Return the short display name of a sector group (its id when :data:`LABELS` has none)."""
    key = f"group_{group}"
    return label(key, lang) if key in LABELS else str(group)


PARK_NAME_SHORTENINGS = (("Economic and Technological Development Zone", "ETDZ"),
                         ("Industrial Development Zone", "IDZ"), ("Economic Development Zone", "EDZ"),
                         ("Demonstration Zone", "Demo. Zone"))
"""Abbreviations that keep English park names short enough for a small-multiple panel title."""


def park_names(lang: str, *, short: bool = False, world=None) -> dict[str, str]:
    """Return park display names by park id, from ``parks.csv`` (``name_zh`` or ``name_en``).

    Args:
        lang: ``en`` or ``zh``.
        short: Abbreviate the English zone types (ETDZ, EDZ, IDZ) for small panels.
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
    return names


def is_share(metric: str) -> bool:
    """Whether an output column is a share or rate in [0, 1] (drawn as a percentage)."""
    return metric.endswith("_share") or metric in _PERCENT_METRICS


def format_value(metric: str, value: float) -> str:
    """Format a value of ``metric`` for a label: shares as percentages, amounts with thousands separators."""
    if is_share(metric):
        return f"{value:.1%}" if abs(value) < 0.1 and value != 0 else f"{value:.0%}"
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.2f}"


def target_label(metric: str, target: dict, lang: str) -> str:
    """Return the legend text of a target line, e.g. ``target: ≥ 30,000 in 2025``."""
    cmp = {">=": "≥", "<=": "≤"}.get(target.get("comparison", ">="), target.get("comparison", ""))
    return label("target_line", lang, cmp=cmp, value=format_value(metric, target["target"]), year=target["year"])


def _new_axes(figsize: tuple[float, float]):
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def _year_ticks(ax, years, *, every: int = 1) -> None:
    years = [int(y) for y in years]
    shown = years[::every] if years[-1] in years[::every] else [*years[::every], years[-1]]
    ax.set_xticks(shown)
    ax.set_xticklabels([str(y) for y in shown])


def _value_axis(ax, metric: str, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = ax.yaxis if axis == "y" else ax.xaxis
    if is_share(metric):
        # ticks at whole steps of 1, 2 or 5 percentage points, so that no two ticks round to the same label
        target.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 5, 10]))
        target.set_major_formatter(FuncFormatter(_percent))
    elif ax.get_xscale() != "log" or axis == "y":
        target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 10 or v == 0 else f"{v:g}"))
    else:
        target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _percent(value: float, _position=None) -> str:
    whole = round(value * 100, 6)
    return f"{value:.0%}" if float(whole).is_integer() else f"{value:.1%}"


def packaged_cjk_font() -> Path | None:
    """Return the path of the CJK font installed by the ``zh`` extra, or None when the extra is not installed."""
    import importlib.util

    module, filename = PACKAGED_CJK_FONT
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / filename
        if path.is_file():
            return path
    return None


def find_cjk_font() -> str | None:
    """Return the family name of a CJK-capable font matplotlib can use, or None.

    The packaged font of the ``zh`` extra comes first, so that charts look the same on every machine; it is
    registered with matplotlib's font manager here, at first use (once per process). Otherwise the first family of
    :data:`CJK_FONTS` installed on the system is used.
    """
    from matplotlib import font_manager

    packaged = packaged_cjk_font()
    if packaged is not None:
        registered = {Path(f.fname): f.name for f in font_manager.fontManager.ttflist}
        if packaged not in registered:
            font_manager.fontManager.addfont(str(packaged))
            registered = {Path(f.fname): f.name for f in font_manager.fontManager.ttflist}
        return registered[packaged]
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FONTS:
        if family in installed:
            return family
    return None


def language_rc(lang: str) -> dict:
    """Return the matplotlib settings (fonts) for ``lang``, for an ``rc_context`` or ``rcParams.update``.

    Chinese text is set in the CJK font of :func:`find_cjk_font`; Latin text and symbols it lacks fall back to
    DejaVu Sans, matplotlib's own font.

    Raises:
        UserInputError: ``lang`` is not ``en`` or ``zh``, or is ``zh`` and no CJK font is available.
    """
    check_language(lang)
    families = ["DejaVu Sans"]
    if lang == "zh":
        family = find_cjk_font()
        if family is None:
            raise UserInputError(f"--lang zh: no Chinese font found — allowed: {ZH_FONT_HINT}")
        families = [family, *families]
    return {"font.family": "sans-serif", "font.sans-serif": families, "axes.unicode_minus": False}


def use_language(lang: str) -> None:
    """Set matplotlib's fonts for ``lang`` for the rest of the session (e.g. in a notebook).

    Raises:
        UserInputError: ``lang`` is ``zh`` and no CJK font is available (see :func:`language_rc`).
    """
    import matplotlib as mpl

    mpl.rcParams.update(language_rc(lang))


def use_style(lang: str = "en") -> None:
    """Set the project style and the fonts for ``lang`` for the rest of the session (for notebooks).

    Inline notebook charts are rendered after the cell has run, outside any ``rc_context``, so a notebook sets the
    style for the session instead; call it again to switch language.

    Raises:
        UserInputError: ``lang`` is ``zh`` and no CJK font is available (see :func:`language_rc`).
    """
    import matplotlib as mpl

    mpl.rcParams.update(chart_rc(lang))


def chart_rc(lang: str) -> dict:
    """Return the project style with the fonts for ``lang``: what every chart is drawn in."""
    return {**project_style(), **language_rc(lang)}


def project_style() -> dict:
    """Return the project's matplotlib style (used as an ``rc_context``)."""
    return {
        "figure.dpi": 100, "savefig.dpi": DPI, "savefig.bbox": "tight", "font.size": 9,
        "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
        "axes.titlesize": 10, "legend.frameon": False, "legend.fontsize": 8,
    }


def fan_chart(yearly: pd.DataFrame, metric: str, *, ax=None, lang: str = "en", target: dict | None = None,
              title: str | None = None):
    """Draw a fan chart of one metric over replicates: 5–95% and 25–75% bands and the median.

    The legend sits below the axes so that it never hides a band; P(target) is written in the top left corner on a
    white ground.

    Args:
        yearly: Tidy yearly outputs with ``year``, ``replicate`` and ``metric`` columns.
        metric: Column to draw.
        ax: Axes to draw on; a new figure when omitted.
        lang: ``en`` or ``zh``.
        target: Optional target to mark: ``{"target": value, "year": year, "comparison", "p_met", "ci_low",
            "ci_high"}`` (a target entry of ``summary.json``).
        title: Optional title.

    Returns:
        The axes.
    """
    if ax is None:
        ax = _new_axes((6.0, 3.6))
    q = yearly.groupby("year")[metric].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    years = q.index.to_numpy()
    ax.fill_between(years, q[0.05], q[0.95], color=COLOUR, alpha=0.18, lw=0, label=label("band_90", lang))
    ax.fill_between(years, q[0.25], q[0.75], color=COLOUR, alpha=0.35, lw=0, label=label("band_50", lang))
    ax.plot(years, q[0.5], color=COLOUR, lw=1.8, label=label("median", lang))
    if target is not None:
        ax.axhline(target["target"], color=TARGET_COLOUR, lw=1.2, ls="--", label=target_label(metric, target, lang))
        if target.get("p_met") is not None and target["p_met"] == target["p_met"]:
            text = label("p_met", lang, year=target["year"], p=target["p_met"], lo=target["ci_low"],
                         hi=target["ci_high"])
            ax.annotate(text, xy=(0.02, 0.97), xycoords="axes fraction", va="top", ha="left", fontsize=8,
                        color=TARGET_COLOUR, bbox={"boxstyle": "square,pad=0.2", "fc": "white", "ec": "none",
                                                   "alpha": 0.85})
    ax.set_xlabel(label("year", lang))
    ax.set_ylabel(metric_label(metric, lang))
    _year_ticks(ax, years)
    _value_axis(ax, metric)
    lo, hi = ax.get_ylim()
    if target is not None:
        hi = max(hi, target["target"] + 0.12 * (hi - lo))
    ax.set_ylim(lo, hi)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=4, handlelength=1.6, columnspacing=1.2)
    if title:
        ax.set_title(title)
    return ax


def new_figure(figsize: tuple[float, float] = (6.0, 3.6), **subplots):
    """Return ``(figure, axes)`` detached from pyplot, for charts written to files.

    A figure made this way changes no matplotlib backend or pyplot state, so writing files from a notebook leaves
    the notebook's inline charts working.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots(**subplots)


def save_figure(fig, path: Path, fmt: str) -> Path:
    """Write ``fig`` to ``path`` in ``fmt`` (300 dpi for PNG) and return the path."""
    check_format(fmt)
    fig.savefig(path, format=fmt, dpi=DPI, bbox_inches="tight")
    return path


def projection_charts(yearly: pd.DataFrame, summary: dict, out: Path, *, lang: str = "en",
                      fmt: str = "png") -> dict[str, Path]:
    """Write the projection's fan charts (total output, leading share) with their headline targets.

    Args:
        yearly: Tidy yearly outputs of the replicates.
        summary: The projection summary (for targets, scenario name and scope).
        out: Folder to write into.
        lang: ``en`` or ``zh``.
        fmt: ``png``, ``svg`` or ``pdf``.

    Returns:
        Paths by chart name.
    """
    import matplotlib.pyplot as plt

    check_format(fmt)
    rc = chart_rc(lang)
    files = {}
    targets = {t["metric"]: t for t in summary["targets"]}
    scope = label(f"scope_{summary['scope']}", lang)
    scenario = scenario_label(summary["scenario"], lang)
    with plt.rc_context(rc):
        for metric, name in (("total_output_yi", "fan_total_output"), ("leading_share", "fan_leading_share")):
            fig, ax = new_figure((6.0, 3.6))
            title = label(f"fan_title_{metric}", lang, scenario=scenario, scope=scope)
            title += " · " + label("reps", lang, n=summary["reps"])
            fan_chart(yearly, metric, ax=ax, lang=lang, target=targets.get(metric), title=title)
            files[name] = save_figure(fig, out / f"{name}.{fmt}", fmt)
    return files


def scenario_distribution_chart(yearly: pd.DataFrame, metric: str, *, year: int | None = None, ax=None,
                                lang: str = "en", target: dict | None = None,
                                probabilities: pd.DataFrame | None = None, names: dict[str, str] | None = None,
                                legend: bool = True):
    """Compare scenarios: the distribution over replicates of one metric in one year, one row per scenario.

    Each row shows every replicate as a dot, the 25–75% box, the 5–95% whisker and the median; the target is a
    vertical line, and P(target met) with its interval is written at the right of each row when given.

    Args:
        yearly: Tidy yearly outputs of several scenarios: ``scenario``, ``year`` and ``metric`` columns, one row per
            scenario × replicate × year. Scenarios are drawn top to bottom in order of first appearance.
        metric: Column to compare.
        year: Year to compare (default: the last year of ``yearly``, usually the target year 2025).
        ax: Axes to draw on; a new figure when omitted.
        lang: ``en`` or ``zh``.
        target: Optional target line: ``{"target": value, "year": year, "comparison": ">="}``.
        probabilities: Optional P(target met) per scenario: ``scenario``, ``p_met``, ``ci_low``, ``ci_high``
            (e.g. :func:`parkabm.model.outputs.targets.target_probabilities` by scenario, rows of one target).
        names: Display names by scenario (e.g. for a scenario edited in a notebook); the short names of
            :data:`LABELS` (``scenario_<name>``), else the scenario name, when omitted.
        legend: Draw the legend (below the axes); leave it out on all but one of several stacked charts.

    Returns:
        The axes.
    """
    import numpy as np
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    year = int(yearly["year"].max()) if year is None else int(year)
    at = yearly[yearly["year"] == year]
    scenarios = list(dict.fromkeys(at["scenario"]))
    if ax is None:
        ax = _new_axes((6.4, 0.55 * len(scenarios) + 1.6))
    rng = np.random.default_rng(0)  # jitter of the dots only: fixed so that a chart is the same every time
    for row, scenario in enumerate(scenarios):
        y = len(scenarios) - 1 - row
        values = at.loc[at["scenario"] == scenario, metric].dropna().to_numpy(dtype=float)
        if len(values) == 0:
            continue
        p05, p25, p50, p75, p95 = np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95])
        ax.scatter(values, y + rng.uniform(-0.17, 0.17, len(values)), s=6, color=COLOUR, alpha=0.3, lw=0,
                   zorder=2)
        ax.plot([p05, p95], [y, y], color=COLOUR, lw=1.2, zorder=3)
        ax.add_patch(_box(p25, y - 0.2, p75 - p25, 0.4))
        ax.plot([p50, p50], [y - 0.26, y + 0.26], color="black", lw=2.0, zorder=5)
    handles = [Line2D([], [], ls="", marker="o", ms=3, color=COLOUR, alpha=0.5, label=label("replicates", lang)),
               Patch(fc=COLOUR, alpha=0.45, label=label("band_50", lang)),
               Line2D([], [], color=COLOUR, lw=1.2, label=label("band_90", lang)),
               Line2D([], [], color="black", lw=2.0, label=label("median", lang))]
    if target is not None:
        ax.axvline(target["target"], color=TARGET_COLOUR, lw=1.2, ls="--", zorder=1)
        handles.append(Line2D([], [], color=TARGET_COLOUR, lw=1.2, ls="--",
                              label=target_label(metric, target, lang)))
    if probabilities is not None:
        p = probabilities.set_index("scenario")
        ax.annotate(label("p_met_header", lang), xy=(1.02, 1.0), xycoords="axes fraction", ha="left",
                    va="bottom", fontsize=7.5, color=TARGET_COLOUR)
        for row, scenario in enumerate(scenarios):
            if scenario not in p.index:
                continue
            r = p.loc[scenario]
            text = (label("not_evaluated", lang) if r["p_met"] != r["p_met"] else
                    label("p_met_short", lang, p=r["p_met"], lo=r["ci_low"], hi=r["ci_high"]))
            ax.annotate(text, xy=(1.02, len(scenarios) - 1 - row), xycoords=ax.get_yaxis_transform(),
                        ha="left", va="center", fontsize=8, color=TARGET_COLOUR)
    ax.set_yticks(range(len(scenarios)))
    ax.set_yticklabels([(names or {}).get(s) or scenario_label(s, lang) for s in reversed(scenarios)])
    ax.set_ylim(-0.6, len(scenarios) - 0.4)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(label("in_year", lang, what=metric_label(metric, lang), year=year))
    _value_axis(ax, metric, axis="x")
    if legend:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=3, handlelength=1.6)
    return ax


def _box(x: float, y: float, width: float, height: float):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), width, height, fc=COLOUR, alpha=0.45, ec=COLOUR, lw=0.8, zorder=4)


def park_small_multiples(parks: pd.DataFrame, metric: str = "output_yi", *, axes=None, lang: str = "en",
                         names: dict[str, str] | None = None, reference: float | None = None, ncols: int = 4,
                         title: str | None = None):
    """Draw one small panel per park: the median and 5–95% band of one per-park output over the years.

    Panels are ordered by the park's median in the first year, largest first, and each has its own value scale
    (the zones differ by a factor of 40 in output), so read levels from each panel's axis.

    Args:
        parks: Tidy per-park outputs (``parks.parquet``): ``park``, ``year``, ``replicate`` and ``metric``.
        metric: Column to draw (``output_yi``, ``leading_share``, ``tax_per_mu_wan``, …).
        axes: Array of at least as many axes as parks; a new figure with ``ncols`` columns when omitted.
        lang: ``en`` or ``zh``.
        names: Display names by park id; the shipped ``parks.csv`` names (short form) when omitted.
        reference: Optional value drawn as a dashed line in every panel (e.g. 0.6 for the 60% target).
        ncols: Panels per row of a new figure.
        title: Optional title over all panels.

    Returns:
        The axes, as a flat array in drawing order (spare axes hidden).
    """
    import textwrap

    import numpy as np

    names = names if names is not None else park_names(lang, short=True)
    q = parks.groupby(["park", "year"])[metric].quantile([0.05, 0.5, 0.95]).unstack()
    first = q.xs(q.index.get_level_values("year").min(), level="year")[0.5]
    order = list(first.sort_values(ascending=False).index)
    if axes is None:
        import matplotlib.pyplot as plt

        nrows = -(-len(order) // ncols)
        _, axes = plt.subplots(nrows, ncols, figsize=(1.95 * ncols, 1.6 * nrows), sharex=True,
                               layout="constrained")
    axes = np.asarray(axes).ravel()
    if len(axes) < len(order):
        raise ValueError(f"park_small_multiples: {len(order)} parks need as many axes, got {len(axes)}")
    wrap = 16 if lang == "zh" else 26  # characters per line of a panel title
    values = [q[0.05].min(), q[0.95].max(), *([reference] if reference is not None else [])]
    share_range = (max(0.0, min(values) - 0.03), min(1.0, max(values) + 0.03))
    for ax, park in zip(axes, order, strict=False):
        p = q.loc[park]
        years = p.index.to_numpy()
        ax.fill_between(years, p[0.05], p[0.95], color=COLOUR, alpha=0.22, lw=0)
        ax.plot(years, p[0.5], color=COLOUR, lw=1.4)
        if reference is not None:
            ax.axhline(reference, color=TARGET_COLOUR, lw=0.9, ls="--")
        ax.set_title(textwrap.fill(names.get(park, park), wrap, break_on_hyphens=False), fontsize=7.5, loc="left")
        ax.tick_params(labelsize=7)
        _year_ticks(ax, years, every=2 if len(years) > 6 else 1)
        if is_share(metric):
            ax.set_ylim(*share_range)  # one scale for every park: shares compare across parks
        else:
            ax.set_ylim(bottom=0)  # own scale per park: outputs differ by a factor of 40
        _value_axis(ax, metric)
    for ax in axes[len(order):]:
        ax.set_visible(False)
    if title:
        axes[0].figure.suptitle(title, fontsize=10)
    return axes


def group_outputs(yearly: pd.DataFrame) -> pd.DataFrame:
    """Return the output of each sector group as a tidy frame, from the yearly per-group columns.

    The yearly outputs carry one group's output in a column named as :data:`GROUP_OUTPUT_COLUMN`
    (``group_output_<group>_yi``); results without such columns give an empty frame.

    Args:
        yearly: Tidy yearly outputs (``replicate``, ``year``, optionally ``scenario``).

    Returns:
        Columns ``replicate``, ``year`` (and ``scenario``), ``group``, ``output_yi``.
    """
    prefix, suffix = GROUP_OUTPUT_COLUMN.split("{group}")
    columns = {c: c[len(prefix):-len(suffix)] for c in yearly.columns
               if c.startswith(prefix) and c.endswith(suffix) and len(c) > len(prefix) + len(suffix)}
    keys = [c for c in ("scenario", "replicate", "year") if c in yearly.columns]
    if not columns:
        return pd.DataFrame(columns=[*keys, "group", "output_yi"])
    tidy = yearly[keys + list(columns)].melt(id_vars=keys, var_name="group", value_name="output_yi")
    tidy["group"] = tidy["group"].map(columns)
    return tidy


def cluster_chart(groups: pd.DataFrame, *, year: int | None = None, ax=None, lang: str = "en",
                  policy_clusters: tuple[str, ...] | None = None):
    """Draw each sector group's output in one year against the 千亿级 (1000亿) and 万亿级 (1万亿) cluster levels.

    One row per group, largest on top: the median (dot) and 5–95% of replicates (bar) in ``year``, and the median
    of the first year (open circle) to show the way travelled. The value axis is logarithmic so that groups of a
    few hundred 亿 and of a 万亿 can be read on one chart.

    Args:
        groups: Tidy group outputs: ``replicate``, ``year``, ``group``, ``output_yi`` (see :func:`group_outputs`).
        year: Year to draw (default: the last year).
        ax: Axes to draw on; a new figure when omitted.
        lang: ``en`` or ``zh``.
        policy_clusters: Groups counted as policy clusters (the others are grey); the model's list when omitted.

    Returns:
        The axes.
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import LogLocator, NullFormatter

    from parkabm.model.outputs.reporters import QIANYI_YI, WANYI_YI

    if policy_clusters is None:
        from parkabm.model.city import POLICY_CLUSTERS

        policy_clusters = POLICY_CLUSTERS
    year = int(groups["year"].max()) if year is None else int(year)
    first_year = int(groups["year"].min())
    q = groups[groups["year"] == year].groupby("group")["output_yi"].quantile([0.05, 0.5, 0.95]).unstack()
    start = groups[groups["year"] == first_year].groupby("group")["output_yi"].median()
    q = q.sort_values(0.5)
    if ax is None:
        ax = _new_axes((6.4, 0.38 * len(q) + 1.6))
    for y, (group, r) in enumerate(q.iterrows()):
        colour = COLOUR if group in policy_clusters else "#8c8c8c"
        ax.plot([r[0.05], r[0.95]], [y, y], color=colour, lw=4, alpha=0.35, solid_capstyle="butt")
        ax.plot([r[0.5]], [y], "o", color=colour, ms=5)
        if group in start.index and first_year != year:
            ax.plot([start[group]], [y], "o", mfc="white", mec=colour, ms=5, mew=1.0)
    ax.axvline(QIANYI_YI, color=TARGET_COLOUR, lw=1.0, ls="--")
    ax.axvline(WANYI_YI, color=TARGET_COLOUR, lw=1.6, ls="-")
    ax.set_xscale("log")
    lo = min(q[0.05].min(), start.min() if len(start) else q[0.05].min(), QIANYI_YI)
    hi = max(q[0.95].max(), WANYI_YI)
    ax.set_xlim(lo / 1.5, hi * 1.5)
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))  # 1,000 · 2,000 · 5,000 · 10,000 …
    ax.xaxis.set_minor_formatter(NullFormatter())
    _value_axis(ax, "output_yi", axis="x")
    ax.set_yticks(range(len(q)))
    ax.set_yticklabels([group_label(g, lang) for g in q.index])
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(label("cluster_axis", lang))
    ax.set_title(label("cluster_title", lang, year=year))
    # legend columns (filled top to bottom): this year's values | the first year and grey | the two levels
    handles = [Line2D([], [], ls="", marker="o", color=COLOUR, ms=5, label=label("year_median", lang, year=year)),
               Line2D([], [], color=COLOUR, lw=4, alpha=0.35, label=label("band_90", lang))]
    if first_year != year:
        handles.append(Line2D([], [], ls="", marker="o", mfc="white", mec=COLOUR, ms=5,
                              label=label("year_median", lang, year=first_year)))
    if any(g not in policy_clusters for g in q.index):
        handles.append(Line2D([], [], ls="", marker="o", color="#8c8c8c", ms=5,
                              label=label("not_policy_cluster", lang)))
    handles += [Line2D([], [], color=TARGET_COLOUR, lw=1.0, ls="--", label=label("qianyi_line", lang)),
                Line2D([], [], color=TARGET_COLOUR, lw=1.6, label=label("wanyi_line", lang))]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=-(-len(handles) // 2),
              handlelength=1.6)
    return ax


def cluster_count_chart(yearly: pd.DataFrame, *, year: int | None = None, ax=None, lang: str = "en",
                        targets: dict[str, dict] | None = None):
    """Draw how many policy clusters reach the 千亿级 and 万亿级 levels in one year, over replicates.

    Bars give the share of replicates with 0, 1, 2, … clusters of each level (``clusters_qianyi``,
    ``clusters_wanyi``); dashed lines mark the targets (3 千亿级 and 2 万亿级 in the 2023 text).

    Args:
        yearly: Tidy yearly outputs with ``year``, ``clusters_qianyi`` and ``clusters_wanyi``.
        year: Year to draw (default: the last year).
        ax: Axes to draw on; a new figure when omitted.
        lang: ``en`` or ``zh``.
        targets: Optional targets by metric (entries of ``summary.json``: ``target``, ``comparison``, ``year``).

    Returns:
        The axes.
    """
    import numpy as np
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    year = int(yearly["year"].max()) if year is None else int(year)
    at = yearly[yearly["year"] == year]
    metrics = ("clusters_qianyi", "clusters_wanyi")
    colours = {"clusters_qianyi": COLOUR, "clusters_wanyi": "#e08214"}
    top = int(np.nanmax(at[list(metrics)].to_numpy(dtype=float)))
    for t in (targets or {}).values():
        top = max(top, int(t["target"]))
    counts = np.arange(top + 2)
    if ax is None:
        ax = _new_axes((6.0, 3.4))
    handles, texts = [], []  # one legend column per level: its bars, then its target
    for i, metric in enumerate(metrics):
        values = at[metric].dropna().to_numpy(dtype=float)
        share = np.array([(values == k).mean() if len(values) else 0.0 for k in counts])
        handles.append(ax.bar(counts + (i - 0.5) * 0.38, share, width=0.36, color=colours[metric]))
        texts.append(label(metric, lang))
        target = (targets or {}).get(metric)
        if target is not None:
            # the boundary between missing and meeting the target: the bars on its met side count
            cmp = target.get("comparison", ">=")
            boundary = target["target"] - 0.5 if cmp == ">=" else target["target"] + 0.5
            text = label("count_target", lang, cmp={">=": "≥", "<=": "≤"}.get(cmp, cmp),
                         value=format_value(metric, target["target"]))
            if target.get("p_met") is not None and target["p_met"] == target["p_met"]:
                p = label("p_met_short", lang, p=target["p_met"], lo=target["ci_low"], hi=target["ci_high"])
                text += " · " + label("p_met_in_legend", lang, p=p)
            handles.append(ax.axvline(boundary, color=colours[metric], lw=1.2, ls="--"))
            texts.append(text)
    ax.set_xticks(counts)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(label("cluster_count_axis", lang))
    ax.set_ylabel(label("share_of_replicates", lang))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, 1.05)
    ax.grid(axis="x", visible=False)
    ax.set_title(label("cluster_count_title", lang, year=year))
    ax.legend(handles, texts, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=2 if len(texts) > 2 else 1,
              handlelength=1.6)
    return ax


def land_balance_chart(yearly: pd.DataFrame, *, ax=None, lang: str = "en"):
    """Draw how the zones' industrial land is used over the years, stacked (mean of replicates, 万亩).

    The parts of :data:`LAND_PARTS` (land held by firms, standard factories, land under redevelopment, idle
    low-efficiency land, vacant serviced land) add up to the zones' industrial land, drawn as a line on top. Means
    are stacked because, unlike medians, they add up.

    Args:
        yearly: Tidy yearly outputs with ``year`` and the :data:`LAND_PARTS` columns (and optionally
            ``zone_industrial_land_mu``).
        ax: Axes to draw on; a new figure when omitted.
        lang: ``en`` or ``zh``.

    Returns:
        The axes.
    """
    columns = [c for c in (*LAND_PARTS, "zone_industrial_land_mu") if c in yearly.columns]
    mean = yearly.groupby("year")[columns].mean() / 1e4
    years = mean.index.to_numpy()
    if ax is None:
        ax = _new_axes((6.4, 3.6))
    colours = ("#1f5f8b", "#6baed6", "#fdae6b", "#e6550d", "#bdbdbd")
    parts = [c for c in LAND_PARTS if c in mean.columns]
    ax.stackplot(years, *[mean[c] for c in parts], colors=colours[:len(parts)], alpha=0.9, lw=0,
                 labels=[label(f"land_part_{c}", lang) for c in parts])
    if "zone_industrial_land_mu" in mean.columns:
        ax.plot(years, mean["zone_industrial_land_mu"], color="black", lw=1.2,
                label=label("land_part_zone_industrial_land_mu", lang))
    ax.set_ylim(0, mean[parts].sum(axis=1).max() * 1.08)
    ax.set_xlim(years.min(), years.max())
    _year_ticks(ax, years)
    ax.set_xlabel(label("year", lang))
    ax.set_ylabel(label("land_axis", lang))
    ax.set_title(label("land_title", lang))
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return ax


def quantile_table(yearly: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Return the per-year quantiles a fan chart draws (for tables beside charts)."""
    q = yearly.groupby("year")[metric].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    q.columns = [f"p{round(c * 100):02d}" for c in q.columns]
    return q.reset_index()


def comparison_chart(table: pd.DataFrame, *, ax=None, lang: str = "en"):
    """Draw a scenario comparison: P(met) of the headline targets with Wilson 95% intervals, and output ranges.

    Two panels side by side, because the two halves have different units: on the left, per scenario, the
    probability of meeting the output and leading-share targets with their 95% intervals; on the right, per
    scenario, the distribution of zone output in the comparison year over the replicates (box 25–75%, whiskers
    5–95%, line the median, dot the mean) against the output target.

    Args:
        table: The tidy comparison table of :func:`parkabm.experiments.analysis.compare.comparison_table` (rows of kind
            ``target`` with ``p_met``/``ci_low``/``ci_high``, rows of kind ``metric`` with ``mean`` and
            ``p05``…``p95``).
        ax: Two axes to draw on (targets, output); a new figure with both when omitted.
        lang: ``en`` or ``zh``.

    Returns:
        The two axes.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    headline = ("total_output_yi", "leading_share")
    scenarios = list(dict.fromkeys(table["scenario"]))
    names = [LABELS.get(f"scenario_{s}", {}).get(lang, s) for s in scenarios]
    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(10.0, 3.8), width_ratios=(1.15, 1.0), layout="constrained")
    left, right = ax
    targets = table[(table["kind"] == "target") & table["metric"].isin(headline)]
    rows = [targets[targets["metric"] == m] for m in headline]
    rows = [r for r in rows if len(r)]
    x = np.arange(len(scenarios), dtype=float)
    width = 0.8 / max(1, len(rows))
    colours = ("#1f5f8b", "#e08214")
    for i, group in enumerate(rows):
        by = group.set_index("scenario").reindex(scenarios)
        p = by["p_met"].to_numpy(dtype=float)
        error = np.vstack([p - by["ci_low"].to_numpy(dtype=float), by["ci_high"].to_numpy(dtype=float) - p])
        first = group.iloc[0]
        name = first["name_zh"] if lang == "zh" and isinstance(first.get("name_zh"), str) else first["name_en"]
        name = name if isinstance(name, str) else first["name"]
        text = f"{name} ({first['comparison']}{first['target_value']:g}, {int(first['year'])})"
        at = x + (i - (len(rows) - 1) / 2) * width
        left.bar(at, np.nan_to_num(p), width * 0.9, yerr=np.nan_to_num(error), capsize=3,
                 color=colours[i % len(colours)], alpha=0.85, label=text, error_kw={"lw": 1})
        for xi, pi, hi in zip(at, p, by["ci_high"].to_numpy(dtype=float), strict=True):
            shown = label("comparison_not_evaluated", lang) if np.isnan(pi) else f"{pi:.0%}"
            left.annotate(shown, xy=(xi, 0.0 if np.isnan(hi) else hi), xytext=(0, 2), textcoords="offset points",
                          ha="center", va="bottom", fontsize=7)
    left.set_xticks(x)
    left.set_xticklabels(names, rotation=20, ha="right")
    left.set_ylim(0, 1.12)
    left.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    left.set_ylabel(label("comparison_p_met", lang))
    left.set_title(label("comparison_targets", lang))
    left.legend(loc="upper left", fontsize=7)
    output = table[(table["kind"] == "metric") & (table["name"] == "total_output_yi")].set_index("scenario")
    output = output.reindex(scenarios)
    stats = [{"label": n, "whislo": r.p05, "q1": r.p25, "med": r.p50, "q3": r.p75, "whishi": r.p95, "mean": r.mean,
              "fliers": []} for n, r in zip(names, output.itertuples(), strict=True)]
    right.bxp(stats, showmeans=True, showfliers=False, widths=0.55, patch_artist=True,
              boxprops={"facecolor": "#1f5f8b", "alpha": 0.35}, medianprops={"color": "#1f5f8b", "lw": 1.6},
              meanprops={"marker": "o", "markerfacecolor": "white", "markeredgecolor": "#1f5f8b", "markersize": 4})
    right.set_xticks(np.arange(1, len(names) + 1))
    right.set_xticklabels(names, rotation=20, ha="right")
    goal = targets[targets["metric"] == "total_output_yi"]
    if len(goal):
        right.axhline(float(goal["target_value"].iloc[0]), color="#b2182b", lw=1.2, ls="--",
                      label=label("target", lang))
        right.legend(loc="lower right")
    year = int(output["year"].dropna().iloc[0]) if output["year"].notna().any() else ""
    right.set_title(label("comparison_output", lang, year=year))
    right.set_ylabel(label("total_output_yi", lang))
    right.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    right.annotate(label("comparison_box", lang), xy=(0.01, 0.01), xycoords="axes fraction", va="bottom", fontsize=7,
                   color="#555555")
    return ax


# --- sensitivity analysis and scenario discovery -----------------------------------------------------------------

FACTOR_LABELS = {
    "redevelopment_mu_per_year": {"en": "Low-efficiency land redevelopment (mu/yr)", "zh": "低效用地整治(亩/年)"},
    "redevelopment_lag_years": {"en": "Redevelopment lag (years)", "zh": "整治周期(年)"},
    "standard_factory_m2_per_year": {"en": "Standard factories (m²/yr)", "zh": "新增标准厂房(m²/年)"},
    "standard_factory_plot_ratio": {"en": "Standard-factory plot ratio", "zh": "标准厂房容积率"},
    "new_land_quota_mu_per_year": {"en": "New land quota (mu/yr)", "zh": "新增用地指标(亩/年)"},
    "class_priority": {"en": "Land priority by per-mu class", "zh": "按亩均等级差别化供地"},
    "relocation_probability": {"en": "Cross-park relocation", "zh": "跨园区统筹迁移"},
    "manufacturing_fund_yi_per_year": {"en": "Manufacturing fund (100M yuan/yr)", "zh": "制造业专项资金(亿元/年)"},
    "tech_upgrade_subsidy_rate": {"en": "Technical-upgrade subsidy rate", "zh": "技改补助比例"},
    "industry_fund_yi": {"en": "Industry fund (100M yuan)", "zh": "产业基金规模(亿元)"},
    "innovation_support_yi_per_year": {"en": "Innovation support (100M yuan/yr)", "zh": "创新平台支持(亿元/年)"},
    "milestone_reward_scale": {"en": "Output-milestone rewards (×)", "zh": "产值跨档奖励(倍)"},
    "phaseout_compensation_share": {"en": "Phase-out compensation share", "zh": "淘汰落后产能补助比例"},
    "enforcement": {"en": "Per-mu enforcement", "zh": "亩均整治力度"},
    "rectification_years": {"en": "Rectification deadline (years)", "zh": "D类整改期限(年)"},
    "effort": {"en": "Investment-promotion effort (×)", "zh": "招商力度(倍)"},
    "leading_focus": {"en": "One-park-one-industry focus", "zh": "一园一主业招商聚焦度"},
    "chain_pull": {"en": "Chain pull (firms attract firms)", "zh": "以企招企(产业链招商)"},
    "threshold_yi": {"en": "Chain-leader threshold (100M yuan)", "zh": "链主门槛(亿元)"},
    "service_boost": {"en": "Chain-leader service boost", "zh": "链主一对一服务"},
    "weight": {"en": "Park race weight", "zh": "赛马机制权重"},
    "trend_growth_multiplier": {"en": "Sector trend growth (×)", "zh": "行业趋势增速(倍)"},
    "base_output_multiplier": {"en": "2021 output base (×)", "zh": "2021年产值基数(倍)"},
    "land_productivity_growth": {"en": "In-place intensification (/yr)", "zh": "原地提效增速(/年)"},
    "recruitment_rate": {"en": "Project arrival rate", "zh": "项目落地率"},
    "price_growth_later": {"en": "Price growth from 2025", "zh": "2025年起价格变动"},
    "exit_base_hazard": {"en": "Base exit hazard", "zh": "企业基础退出率"},
    "agglomeration_elasticity": {"en": "Agglomeration elasticity", "zh": "集聚效应弹性"},
    "volatility_multiplier": {"en": "Growth volatility (×)", "zh": "增长波动(倍)"},
}
"""Readable names of common factors (by the last part of a lever path, or a parameter name)."""

LABELS.update({
    "sa_index": {"en": "Sensitivity index (95% CI)", "zh": "敏感性指数（95%置信区间）"},
    "sa_S1": {"en": "first order S1", "zh": "一阶指数 S1"},
    "sa_ST": {"en": "total order ST", "zh": "总效应指数 ST"},
    "sa_S2": {"en": "second order S2", "zh": "二阶指数 S2"},
    "sa_delta": {"en": "δ (moment-independent)", "zh": "δ（矩独立）"},
    "sa_pawn_median": {"en": "PAWN (median KS; bar = range across slides)", "zh": "PAWN（KS中位数；线段为各切片范围）"},
    "morris_mu_star": {"en": "μ* (mean |elementary effect|)", "zh": "μ*（基本效应绝对值均值）"},
    "morris_sigma": {"en": "σ (spread of elementary effects)", "zh": "σ（基本效应标准差）"},
    "morris_line": {"en": "σ = μ*: interactions or non-linearity above", "zh": "σ = μ*：其上方为交互或非线性"},
    "prim_coverage": {"en": "Coverage (share of successes in the box)", "zh": "覆盖率（成功情景落在框内的比例）"},
    "prim_density": {"en": "Density (share of box runs that succeed)", "zh": "密度（框内情景的成功比例）"},
    "prim_dims": {"en": "restricted factors", "zh": "受限因素数"},
    "prim_chosen": {"en": "chosen box", "zh": "选定的框"},
    "prim_box_title": {"en": "Box: coverage {coverage:.0%}, density {density:.0%}",
                       "zh": "框：覆盖率 {coverage:.0%}，密度 {density:.0%}"},
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
    """Return the readable name of a factor (a lever path or parameter name), or the name's last part."""
    key = str(name).split(".")[-1]
    return FACTOR_LABELS[key][lang] if key in FACTOR_LABELS else key.replace("_", " ")


def sensitivity_chart(indices: pd.DataFrame, *, ax=None, lang: str = "en", title: str | None = None):
    """Draw sensitivity indices of one output as horizontal bars with their confidence intervals.

    Sobol: first-order and total-order bars per factor (sorted by ST); δ and PAWN: one bar per factor.

    Args:
        indices: Tidy indices of one output (columns factor, index, value, ci_low, ci_high).
        ax: Axes to draw on.
        lang: ``en`` or ``zh``.
        title: Optional title.

    Returns:
        The axes.
    """
    import numpy as np

    kinds = [k for k in ("ST", "S1", "delta", "pawn_median") if k in set(indices["index"])]
    main = kinds[0]
    order = (indices[indices["index"] == main].sort_values("value")["factor"]).tolist()
    if ax is None:
        ax = _new_axes((6.4, 0.45 * len(order) + 1.6))
    y = np.arange(len(order), dtype=float)
    height = 0.8 / len(kinds)
    colours = {"ST": COLOUR, "S1": "#92c5de", "delta": COLOUR, "pawn_median": COLOUR}
    for i, kind in enumerate(kinds):
        rows = indices[indices["index"] == kind].set_index("factor").reindex(order)
        value = rows["value"].to_numpy(dtype=float)
        err = np.vstack([np.clip(value - rows["ci_low"].to_numpy(dtype=float), 0, None),
                         np.clip(rows["ci_high"].to_numpy(dtype=float) - value, 0, None)])
        at = y + (i - (len(kinds) - 1) / 2) * height
        ax.barh(at, value, height * 0.9, xerr=err, color=colours[kind], label=label(f"sa_{kind}", lang),
                error_kw={"lw": 0.8, "capsize": 2})
    ax.set_yticks(y)
    ax.set_yticklabels([factor_label(f, lang) for f in order])
    ax.axvline(0, color="black", lw=0.6)
    ax.set_xlabel(label("sa_index", lang))
    ax.legend(loc="lower right")
    if title:
        ax.set_title(title)
    return ax


def morris_chart(indices: pd.DataFrame, *, ax=None, lang: str = "en", title: str | None = None):
    """Draw Morris μ* against σ for one output, with the μ* confidence intervals and the σ = μ* line.

    Factors far right matter; factors above the line act through interactions or non-linearly.

    Args:
        indices: Tidy Morris indices of one output (``mu_star`` with CI, ``sigma``).
        ax: Axes to draw on.
        lang: ``en`` or ``zh``.
        title: Optional title.

    Returns:
        The axes.
    """
    import numpy as np

    mu = indices[indices["index"] == "mu_star"].set_index("factor")
    sigma = indices[indices["index"] == "sigma"].set_index("factor")["value"].reindex(mu.index)
    if ax is None:
        ax = _new_axes((6.4, 4.4))
    x = mu["value"].to_numpy(dtype=float)
    err = np.vstack([np.clip(x - mu["ci_low"].to_numpy(dtype=float), 0, None),
                     np.clip(mu["ci_high"].to_numpy(dtype=float) - x, 0, None)])
    ax.errorbar(x, sigma.to_numpy(dtype=float), xerr=err, fmt="o", color=COLOUR, ms=5, lw=0.8, capsize=2)
    top = float(np.nanmax([x.max(initial=0), sigma.max()])) * 1.1 or 1.0
    ax.plot([0, top], [0, top], ls="--", color="grey", lw=0.8, label=label("morris_line", lang))
    for name, xi, si in zip(mu.index, x, sigma.to_numpy(dtype=float), strict=True):
        ax.annotate(factor_label(name, lang), (xi, si), xytext=(4, 3), textcoords="offset points", fontsize=7)
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel(label("morris_mu_star", lang))
    ax.set_ylabel(label("morris_sigma", lang))
    ax.legend(loc="upper left")
    if title:
        ax.set_title(title)
    return ax


def prim_tradeoff_chart(trajectory: pd.DataFrame, *, chosen: int | None = None, ax=None, lang: str = "en"):
    """Draw PRIM's peeling trajectory: coverage against density, coloured by the number of restricted factors.

    Args:
        trajectory: Columns ``coverage``, ``density``, ``res_dim`` (one row per box).
        chosen: Row of the chosen box, circled.
        ax: Axes to draw on.
        lang: ``en`` or ``zh``.

    Returns:
        The axes.
    """
    if ax is None:
        ax = _new_axes((5.6, 4.2))
    points = ax.scatter(trajectory["coverage"], trajectory["density"], c=trajectory["res_dim"], cmap="viridis",
                        s=18, zorder=3)
    bar = ax.figure.colorbar(points, ax=ax)
    bar.set_label(label("prim_dims", lang))
    if chosen is not None:
        row = trajectory.iloc[chosen]
        ax.scatter([row["coverage"]], [row["density"]], s=120, facecolors="none", edgecolors=TARGET_COLOUR,
                   lw=1.5, zorder=4, label=label("prim_chosen", lang))
        ax.legend(loc="lower left")
    ax.set_xlabel(label("prim_coverage", lang))
    ax.set_ylabel(label("prim_density", lang))
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.xaxis.set_major_formatter(_percent)
    ax.yaxis.set_major_formatter(_percent)
    return ax


def prim_box_chart(box: pd.DataFrame, stats: dict, *, ax=None, lang: str = "en"):
    """Draw a PRIM box: each restricted factor's box range within its sampled range, with quasi-p-values.

    Args:
        box: Rows of :attr:`DiscoveryResult.box <parkabm.experiments.analysis.discovery.DiscoveryResult.box>`.
        stats: The box's ``coverage`` and ``density``.
        ax: Axes to draw on.
        lang: ``en`` or ``zh``.

    Returns:
        The axes.
    """
    import numpy as np

    rows = box[box["restricted"]].reset_index(drop=True)
    if ax is None:
        ax = _new_axes((6.4, 0.5 * max(len(rows), 1) + 1.4))
    for i, r in rows.iterrows():
        span = (r["data_max"] - r["data_min"]) or 1.0
        low, high = (r["min"] - r["data_min"]) / span, (r["max"] - r["data_min"]) / span
        ax.plot([0, 1], [i, i], color="#d9d9d9", lw=6, solid_capstyle="butt",
                label=label("prim_range", lang) if i == 0 else None)
        ax.plot([low, high], [i, i], color=COLOUR, lw=6, solid_capstyle="butt",
                label=label("prim_box_range", lang) if i == 0 else None)
        ax.annotate(f"{_limit(r['min'])} – {_limit(r['max'])}", (high, i), xytext=(4, 4),
                    textcoords="offset points", fontsize=7)
        qps = [q for q in (r["qp_low"], r["qp_high"]) if not np.isnan(q)]
        if qps:
            ax.annotate(f"qp {max(qps):.2g}", (1.0, i), xytext=(4, -9), textcoords="offset points", fontsize=6,
                        color="grey")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([factor_label(f, lang) for f in rows["factor"]])
    ax.set_ylim(-0.7, max(len(rows), 1) - 0.3)
    ax.set_xlim(0, 1.25)
    ax.set_xticks([0, 0.5, 1])
    ax.xaxis.set_major_formatter(_percent)
    ax.set_xlabel(label("prim_axis", lang))
    ax.set_title(label("prim_box_title", lang, coverage=stats["coverage"], density=stats["density"]))
    if len(rows):
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, fontsize=7)
    return ax


def _limit(value: float) -> str:
    """Format a box limit: thousands with separators, small numbers with three significant digits."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
