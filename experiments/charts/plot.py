"""Redraw the charts of a results folder without running anything (``parkabm plot``).

A results folder is what ``parkabm run`` (:func:`parkabm.experiments.analysis.projection.project`) writes:
``summary.json`` and ``yearly.parquet``, usually with ``parks.parquet``.
:func:`plot_results` draws every chart the folder supports,
in English or Chinese and as PNG, SVG or PDF, so that a report can take the figures in its own language and as
vector files. Notebooks call the same function.

Charts, by name (the file is ``<name>.<lang>.<format>``, e.g. ``fan_total_output.zh.svg``):

- ``fan_total_output``, ``fan_leading_share`` — fan charts with the target line and P(target);
- ``parks_output``, ``parks_leading_share`` — per-park small multiples (needs ``parks.parquet``);
- ``clusters`` — each sector group's output against the 千亿级/万亿级 levels (needs per-group output columns,
  :data:`~parkabm.experiments.charts.GROUP_OUTPUT_COLUMN`);
- ``cluster_counts`` — how many clusters reach each level in the target year;
- ``land_balance`` — how the zones' industrial land is used over the years.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from parkabm.experiments import charts
from parkabm.experiments.execution.store import read_parquet
from parkabm.scenarios.errors import UserInputError

RESULT_FILES = ("summary.json", "yearly.parquet")
"""Files every results folder of ``parkabm run`` holds."""

CHARTS = ("fan_total_output", "fan_leading_share", "parks_output", "parks_leading_share", "clusters",
          "cluster_counts", "land_balance")
"""Every chart :func:`plot_results` can draw, in drawing order."""


@dataclass
class Results:
    """The contents of a results folder that the charts read.

    Attributes:
        folder: The results folder.
        summary: The content of ``summary.json``.
        yearly: Citywide outputs, one row per replicate × year.
        parks: Per-park outputs, one row per replicate × year × park (None when the folder has none).
    """

    folder: Path
    summary: dict
    yearly: pd.DataFrame
    parks: pd.DataFrame | None


def read_results(results_dir: str | Path) -> Results:
    """Read a results folder written by ``parkabm run``.

    Args:
        results_dir: The folder.

    Returns:
        Its summary and tables.

    Raises:
        UserInputError: The folder does not exist or is not a results folder.
    """
    folder = Path(results_dir)
    allowed = f"a folder written by `parkabm run` (with {' and '.join(RESULT_FILES)})"
    if not folder.is_dir():
        raise UserInputError(f"RESULTS_DIR: {folder} — allowed: {allowed}; this is "
                             f"{'a file' if folder.exists() else 'not there'}")
    missing = [name for name in RESULT_FILES if not (folder / name).is_file()]
    if missing:
        raise UserInputError(f"RESULTS_DIR: {folder} — allowed: {allowed}; {', '.join(missing)} missing")
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        yearly = read_parquet(folder / "yearly.parquet")
        parks = read_parquet(folder / "parks.parquet") if (folder / "parks.parquet").is_file() else None
    except (ValueError, OSError) as exc:  # JSON and Parquet errors are ValueError/OSError subclasses
        raise UserInputError(f"RESULTS_DIR: {folder} — allowed: {allowed}; cannot be read: {exc}") from exc
    needed = {"scenario", "scope", "reps", "targets"}
    if not isinstance(summary, dict) or not needed <= set(summary):
        raise UserInputError(f"RESULTS_DIR: {folder} — allowed: {allowed}; summary.json lacks "
                             f"{', '.join(sorted(needed - set(summary if isinstance(summary, dict) else {})))}")
    if not {"year", "total_output_yi", "leading_share"} <= set(yearly.columns):
        raise UserInputError(f"RESULTS_DIR: {folder} — allowed: {allowed}; yearly.parquet lacks the output columns")
    return Results(folder, summary, yearly, parks)


def unsupported_charts(results: Results) -> dict[str, str]:
    """Return the charts of :data:`CHARTS` that ``results`` cannot support, with the reason."""
    reasons = {}
    if results.parks is None:
        for name in ("parks_output", "parks_leading_share"):
            reasons[name] = "no parks.parquet in the results folder"
    if charts.group_outputs(results.yearly).empty:
        reasons["clusters"] = ("the yearly outputs have no per-group output columns ("
                               + charts.GROUP_OUTPUT_COLUMN.format(group="<group>") + ")")
    if not {"clusters_qianyi", "clusters_wanyi"} <= set(results.yearly.columns):
        reasons["cluster_counts"] = "the yearly outputs have no clusters_qianyi/clusters_wanyi columns"
    if not set(charts.LAND_PARTS) <= set(results.yearly.columns):
        reasons["land_balance"] = "the yearly outputs have no land columns (" + ", ".join(charts.LAND_PARTS) + ")"
    return reasons


def plot_results(results_dir: str | Path, *, lang: str = "en", fmt: str = "png",
                 out: str | Path | None = None) -> dict[str, Path]:
    """Draw every chart a results folder supports and write it to ``out``.

    Args:
        results_dir: A folder written by ``parkabm run``.
        lang: ``en`` or ``zh``.
        fmt: ``png`` (300 dpi), ``svg`` or ``pdf``.
        out: Folder for the charts (created if missing); the results folder when omitted.

    Returns:
        The path of each chart drawn, by chart name (see :data:`CHARTS`); charts the folder cannot support
        (:func:`unsupported_charts`) are left out.

    Raises:
        UserInputError: A bad language or format, no Chinese font for ``zh``, a folder that is not a results
            folder, or an ``out`` that is a file.
    """
    import matplotlib.pyplot as plt

    charts.check_language(lang)
    charts.check_format(fmt)
    rc = charts.chart_rc(lang)  # fails early, with how to install one, when zh has no font
    results = read_results(results_dir)
    target_dir = Path(out) if out is not None else results.folder
    if target_dir.exists() and not target_dir.is_dir():
        raise UserInputError(f"--out: {target_dir} — allowed: a folder (this is a file)")
    target_dir.mkdir(parents=True, exist_ok=True)

    skip = unsupported_charts(results)
    summary = results.summary
    scenario = charts.scenario_label(summary["scenario"], lang)
    targets = {t["metric"]: t for t in summary["targets"]}

    def path(name: str) -> Path:
        return target_dir / charts.chart_file(name, lang, fmt)

    def titled(text: str) -> str:
        return charts.label("titled", lang, scenario=scenario, title=text)

    from parkabm.experiments.execution.files import record_written

    # Charts added to a projection folder stay parkabm's: they are listed in its marker before they are drawn, so a
    # kill while drawing leaves files the marker already names (a folder with unlisted files would be refused).
    record_written(target_dir, [path(name) for name in CHARTS if name not in skip])
    files = charts.projection_charts(results.yearly, summary, target_dir, lang=lang, fmt=fmt)
    with plt.rc_context(rc):
        for name, metric in (("parks_output", "output_yi"), ("parks_leading_share", "leading_share")):
            if name in skip:
                continue
            n_parks = results.parks["park"].nunique()
            ncols = 4
            fig, axes = charts.new_figure((7.8, 1.75 * -(-n_parks // ncols) + 0.4), nrows=-(-n_parks // ncols),
                                          ncols=ncols, sharex=True)
            reference = targets.get("leading_share", {}).get("target") if metric == "leading_share" else None
            charts.park_small_multiples(results.parks, metric, axes=axes, lang=lang, reference=reference,
                                        title=titled(charts.label(f"parks_title_{metric}", lang)))
            fig.set_layout_engine("constrained")
            files[name] = charts.save_figure(fig, path(name), fmt)
        if "clusters" not in skip:
            groups = charts.group_outputs(results.yearly)
            fig, ax = charts.new_figure((6.4, 0.38 * groups["group"].nunique() + 1.8))
            charts.cluster_chart(groups, ax=ax, lang=lang)
            ax.set_title(titled(ax.get_title()))
            files["clusters"] = charts.save_figure(fig, path("clusters"), fmt)
        if "cluster_counts" not in skip:
            fig, ax = charts.new_figure((6.0, 3.4))
            charts.cluster_count_chart(results.yearly, ax=ax, lang=lang,
                                       targets={m: targets[m] for m in ("clusters_qianyi", "clusters_wanyi")
                                                if m in targets})
            ax.set_title(titled(ax.get_title()))
            files["cluster_counts"] = charts.save_figure(fig, path("cluster_counts"), fmt)
        if "land_balance" not in skip:
            fig, ax = charts.new_figure((6.4, 3.6))
            charts.land_balance_chart(results.yearly, ax=ax, lang=lang)
            ax.set_title(titled(ax.get_title()))
            files["land_balance"] = charts.save_figure(fig, path("land_balance"), fmt)
    return {name: files[name] for name in CHARTS if name in files}
