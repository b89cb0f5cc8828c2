"""Publication charts in one project style, labelled in English or Chinese (DESIGN §8).

Plot functions take a tidy DataFrame and an optional ``ax`` and return the ``ax``; they never run the model. Labels
come from :data:`LABELS`, one table for both languages. Chinese labels need a CJK font: :func:`use_language` finds one
installed on the system and fails with a message naming how to install one rather than drawing empty boxes.
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
"""CJK-capable font families tried in order for ``lang="zh"``."""

LABELS = {
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
}
"""Every chart string, in both languages."""

_PERCENT_METRICS = {"leading_share"}


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


def find_cjk_font() -> str | None:
    """Return the family name of an installed CJK-capable font, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FONTS:
        if family in installed:
            return family
    return None


def use_language(lang: str) -> None:
    """Set matplotlib's fonts for ``lang``.

    Raises:
        UserInputError: ``lang`` is ``zh`` and no CJK font is installed.
    """
    import matplotlib as mpl

    check_language(lang)
    base = ["DejaVu Sans"]
    if lang == "zh":
        family = find_cjk_font()
        if family is None:
            raise UserInputError(
                "--lang zh: no Chinese font found — allowed: install one, e.g. `apt-get install fonts-noto-cjk` "
                "(Debian/Ubuntu) or any of: " + ", ".join(CJK_FONTS[:4]))
        base = [family, *base]
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = base
    mpl.rcParams["axes.unicode_minus"] = False


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

    Args:
        yearly: Tidy yearly outputs with ``year``, ``replicate`` and ``metric`` columns.
        metric: Column to draw.
        ax: Axes to draw on; a new figure when omitted.
        lang: ``en`` or ``zh``.
        target: Optional target to mark: ``{"target": value, "year": year, "p_met", "ci_low", "ci_high"}``.
        title: Optional title.

    Returns:
        The axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.6))
    q = yearly.groupby("year")[metric].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    years = q.index.to_numpy()
    colour = "#1f5f8b"
    ax.fill_between(years, q[0.05], q[0.95], color=colour, alpha=0.18, lw=0, label=label("band_90", lang))
    ax.fill_between(years, q[0.25], q[0.75], color=colour, alpha=0.35, lw=0, label=label("band_50", lang))
    ax.plot(years, q[0.5], color=colour, lw=1.8, label=label("median", lang))
    if target is not None:
        ax.axhline(target["target"], color="#b2182b", lw=1.2, ls="--", label=label("target", lang))
        if target.get("p_met") is not None:
            text = label("p_met", lang, year=target["year"], p=target["p_met"], lo=target["ci_low"],
                         hi=target["ci_high"])
            ax.annotate(text, xy=(0.02, 0.97), xycoords="axes fraction", va="top", ha="left", fontsize=8,
                        color="#b2182b")
    ax.set_xlabel(label("year", lang))
    ax.set_ylabel(label(metric, lang) if metric in LABELS else metric)
    ax.set_xticks(years)
    ax.set_xticklabels([str(int(y)) for y in years])
    if metric in _PERCENT_METRICS:
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    lo, hi = ax.get_ylim()
    if target is not None:
        hi = max(hi, target["target"] * 1.05)
    ax.set_ylim(lo, hi)
    ax.legend(loc="lower right")
    if title:
        ax.set_title(title)
    return ax


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
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    use_language(lang)
    files = {}
    targets = {t["metric"]: t for t in summary["targets"]}
    scope = label(f"scope_{summary['scope']}", lang)
    with plt.rc_context(project_style()):
        for metric, name in (("total_output_yi", "fan_total_output"), ("leading_share", "fan_leading_share")):
            fig, ax = plt.subplots(figsize=(6.0, 3.6))
            title = label(f"fan_title_{metric}", lang, scenario=summary["scenario"], scope=scope)
            title += " · " + label("reps", lang, n=summary["reps"])
            fan_chart(yearly, metric, ax=ax, lang=lang, target=targets.get(metric), title=title)
            path = out / f"{name}.{fmt}"
            fig.savefig(path, format=fmt)
            plt.close(fig)
            files[name] = path
    return files


def quantile_table(yearly: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Return the per-year quantiles a fan chart draws (for tables beside charts)."""
    q = yearly.groupby("year")[metric].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    q.columns = [f"p{round(c * 100):02d}" for c in q.columns]
    return q.reset_index()
