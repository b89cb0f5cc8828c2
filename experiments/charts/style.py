"""The project's chart style: languages, fonts, colours, axes, figures.

Chinese is set in Noto Sans SC from the ``zh`` extra or a system CJK font; figures are saved at 300 dpi.
"""

from __future__ import annotations

from pathlib import Path

from parkabm.experiments.charts.labels import check_language, is_share
from parkabm.scenarios.errors import UserInputError

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

COLOUR = "#1f5f8b"
"""The project's main colour (bands, medians, bars)."""

TARGET_COLOUR = "#b2182b"
"""Colour of targets and P(target)."""


def check_format(fmt: str) -> None:
    """Raise :class:`UserInputError` unless ``fmt`` is ``png``, ``svg`` or ``pdf``."""
    if fmt not in FORMATS:
        raise UserInputError(f"--format: {fmt!r} — allowed: {', '.join(FORMATS)}")


def new_axes(figsize: tuple[float, float]):
    """Return the one axes of a new figure of ``figsize`` inches."""
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def year_ticks(ax, years, *, every: int = 1) -> None:
    """Put a tick at every ``every``-th year (and always the last) on the x axis of ``ax``, as integers."""
    years = [int(y) for y in years]
    shown = years[::every] if years[-1] in years[::every] else [*years[::every], years[-1]]
    ax.set_xticks(shown)
    ax.set_xticklabels([str(y) for y in shown])


def value_axis(ax, metric: str, axis: str = "y") -> None:
    """Format the value axis of ``ax`` for ``metric``: percentages for shares, thousands separators otherwise."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = ax.yaxis if axis == "y" else ax.xaxis
    if is_share(metric):
        # ticks at whole steps of 1, 2 or 5 percentage points, so that no two ticks round to the same label
        target.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 5, 10]))
        target.set_major_formatter(FuncFormatter(percent))
    elif ax.get_xscale() != "log" or axis == "y":
        target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 10 or v == 0 else f"{v:g}"))
    else:
        target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def percent(value: float, _position=None) -> str:
    """Format a share as a percentage, with one decimal only where a whole percent would round it."""
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


def new_figure(figsize: tuple[float, float] = (6.0, 3.6), *, layout: str | None = "constrained", **subplots):
    """Return ``(figure, axes)`` detached from pyplot, for charts written to files.

    A figure made this way changes no matplotlib backend or pyplot state, so writing files from a notebook leaves
    the notebook's inline charts working. Its layout is ``constrained`` so that legends and notes placed outside
    the axes stay inside the figure, also where a figure is shown without a tight bounding box (a dashboard).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout=layout)
    return fig, fig.subplots(**subplots)


def chart_file(name: str, lang: str, fmt: str) -> str:
    """Return the file name of chart ``name`` in ``lang`` and ``fmt``, e.g. ``fan_total_output.zh.png``.

    Every chart file carries its language, so that drawing a chart in Chinese never overwrites the English one.
    """
    check_language(lang)
    check_format(fmt)
    return f"{name}.{lang}.{fmt}"


def legend_below(ax, handles=None, labels=None, *, below: float = 0.5, **kwargs):
    """Put the legend of ``ax`` centred below it, ``below`` inches under the axes (past tick and axis labels).

    The distance is in inches, not in axes fractions, so that the gap between the axis label and the legend is
    the same whatever the height of the axes; a constrained layout then keeps the legend inside the figure.
    """
    from matplotlib.transforms import ScaledTranslation

    transform = ax.transAxes + ScaledTranslation(0, -below, ax.figure.dpi_scale_trans)
    given = {key: value for key, value in (("handles", handles), ("labels", labels)) if value is not None}
    return ax.legend(**given, loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=transform,
                     **{"handlelength": 1.6, **kwargs})


def note(ax, text: str, *, xy=(0.5, 0.5), **kwargs):
    """Write a note in grey on a white ground inside ``ax`` (e.g. why a chart shows nothing)."""
    style = {"xycoords": "axes fraction", "ha": "center", "va": "center", "fontsize": 8, "color": "#555555",
             "bbox": {"boxstyle": "square,pad=0.3", "fc": "white", "ec": "none", "alpha": 0.9}, **kwargs}
    return ax.annotate(text, xy=xy, **style)


def save_figure(fig, path: Path, fmt: str) -> Path:
    """Write ``fig`` to ``path`` in ``fmt`` (300 dpi for PNG) and return the path."""
    check_format(fmt)
    fig.savefig(path, format=fmt, dpi=DPI, bbox_inches="tight")
    return path
