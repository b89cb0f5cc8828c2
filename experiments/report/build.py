"""The policy brief (``parkabm report``): one self-contained HTML or PDF from a comparison of scenarios.

The brief runs the scenarios side by side (:func:`~parkabm.experiments.analysis.compare.run_comparison`, common
random numbers), measures the lever effects of the first scenario
(:func:`~parkabm.experiments.analysis.effects.run_effects`, or reads an ``effects.csv``), and writes one file with:

1. the question — the headline targets of ``targets.csv`` (:func:`~parkabm.model.outputs.targets.headline_targets`)
   and the output scope the scenarios use (``scope.csv``, docs/ODD.md §2);
2. every target's P(met) with its Wilson 95% interval per scenario ("not modelled" where the model does not
   produce the target's indicator, or ``targets.csv`` says so in a ``modelled`` column);
3. the fan charts of output and leading share per scenario, as embedded SVG;
4. the comparison chart, the outcomes in the target year and the differences in P(met) from the first scenario;
5. the lever effects;
6. what the answer depends on: a variance decomposition given as a CSV file (``group``, ``target`` or ``output``,
   ``share``), or else the rank correlation of the target-year outcomes with each uncertain input the replicates
   sampled, labelled as such;
7. method, data sources and caveats, cut from docs/ODD.md and scenarios/data (:mod:`.sources`).

Written to the output folder (replaced whole, and only when parkabm wrote every file in it):
``report.<lang>.html`` or ``report.<lang>.pdf``, and the tables behind it: ``comparison.csv``, ``effects.csv``
and ``depends.csv``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from parkabm.experiments.report import sources
from parkabm.experiments.report.text import text
from parkabm.scenarios.errors import UserInputError

KIND = "report"
"""The kind of result folder ``parkabm report`` writes, as its ownership marker records it."""

FORMATS = ("html", "pdf")

DEFAULT_REPS = 100
"""Replicates per scenario by default (as ``parkabm run`` and ``parkabm compare``)."""

DEFAULT_EFFECTS_REPS = 20
"""Paired replicates per lever step when the brief measures the effects itself. ``parkabm report baseline
land_first`` is then 200 comparison runs and about 100 arms × 20 effect runs, 95–115 CPU-seconds in all: about a
minute on two free cores. Half of ``parkabm effects``' 40, so the land and recruitment levers' intervals are about
1.4 times as wide; ``--effects DIR`` reads a larger ``parkabm effects`` run instead (README, "Report")."""

EFFECT_ROWS = 12
"""Lever steps shown in the effects table at most (the others are in effects.csv)."""

MECHANISMS = "levers.mechanisms."
"""Switches of the model's mechanisms (growth trend, agglomeration …): measured by ``parkabm effects`` but not policy
levers, so the brief's table leaves them out (they are in effects.csv)."""

DEPENDS_ROWS = 10
"""Uncertain inputs shown in the fallback of "what the answer depends on" at most."""

DECOMPOSITION_COLUMNS = ("group", "share")
"""Columns a variance decomposition file must have, besides one of ``target`` or ``output``."""

FALSE_WORDS = {"false", "no", "0", "n", "f"}


@dataclass
class Report:
    """What ``parkabm report`` produced.

    Attributes:
        out: The output folder.
        files: Every file written, by role.
        seconds: Wall time, from the start to the file.
        runs: Model runs made (comparison and effects).
    """

    out: Path
    files: dict[str, Path]
    seconds: float
    runs: int


# ----------------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------------


def read_effects(folder: str | Path) -> pd.DataFrame:
    """Read the ``effects.csv`` of a ``parkabm effects`` folder.

    Raises:
        UserInputError: The file is missing, unreadable or lacks a column of ``effects.csv``.
    """
    from parkabm.experiments.analysis.effects import COLUMNS

    path = Path(folder) / "effects.csv"
    try:
        table = pd.read_csv(path)
    except FileNotFoundError:
        raise UserInputError(f"--effects: {folder} — allowed: a folder written by `parkabm effects` (it has no "
                             "effects.csv)") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise UserInputError(f"--effects: {path} — allowed: the effects.csv of `parkabm effects` ({exc})") from None
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise UserInputError(f"--effects: {path}: missing columns {', '.join(missing)} — allowed: the effects.csv "
                             "of `parkabm effects`")
    table["significant"] = table["significant"].astype(str).str.lower().eq("true")
    return table


def read_decomposition(path: str | Path) -> pd.DataFrame:
    """Read a variance decomposition: one row per input group × target or output, with its share of variance.

    Returns:
        Columns ``group``, ``what`` (the ``target`` or ``output`` column) and ``share`` (a number in [0, 1]).

    Raises:
        UserInputError: The file is missing, unreadable, lacks a column, or a share is not a number in [0, 1].
    """
    path = Path(path)
    allowed = "a CSV file with columns group, target (or output) and share (a number from 0 to 1)"
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise UserInputError(f"--decomposition: {path} — allowed: {allowed} ({exc})") from None
    what = next((c for c in ("target", "output") if c in table.columns), None)
    missing = [c for c in DECOMPOSITION_COLUMNS if c not in table.columns] + ([] if what else ["target"])
    if missing:
        raise UserInputError(f"--decomposition: {path}: missing column {', '.join(missing)} — allowed: {allowed}")
    shares = pd.to_numeric(table["share"], errors="coerce")
    bad = table.index[shares.isna() | (shares < 0) | (shares > 1)]
    if len(bad):
        row = int(bad[0])
        raise UserInputError(f"--decomposition: {path}: row {row + 2}, share: {table['share'].iloc[row]!r} — "
                             f"allowed: a number from 0 to 1")
    return pd.DataFrame({"group": table["group"].astype(str), "what": table[what].astype(str), "share": shares})


def target_statuses(targets: pd.DataFrame) -> dict[str, str]:
    """Return, by target id, the target's status: modelled, not modelled or met at base year.

    The status is the ``modelled`` column of targets.csv (:func:`parkabm.model.outputs.targets.target_status`); a
    target whose indicator is not an output of the registry is not modelled whatever the column says.
    """
    from parkabm.model.outputs.registry import CITY_OUTPUTS
    from parkabm.model.outputs.targets import NOT_MODELLED, target_status

    table = targets.reset_index() if "target" not in targets.columns else targets
    return {str(row["target"]): target_status(row)[0] if str(row["metric"]) in CITY_OUTPUTS else NOT_MODELLED
            for row in table.to_dict("records")}


def modelled_targets(targets: pd.DataFrame) -> dict[str, bool]:
    """Return, by target id, whether the runs decide the target (its status is modelled, :func:`target_statuses`)."""
    from parkabm.model.outputs.targets import MODELLED

    return {target: status == MODELLED for target, status in target_statuses(targets).items()}


# ----------------------------------------------------------------------------------------------------
# Cells
# ----------------------------------------------------------------------------------------------------


def goal_text(metric: str, comparison: str, value: float, year: int, lang: str) -> str:
    """Return a target as a reader writes it, e.g. ``≥ 30,000 (100 million yuan) in 2025`` or ``2025年≥3万亿``."""
    from parkabm.experiments.charts.labels import comparison_sign, value_with_unit

    shown = value_with_unit(metric, value, lang)
    return text("goal_text", lang, cmp=comparison_sign(comparison), value=shown, year=int(year))


def probability_cell(p: float, low: float, high: float) -> str:
    """``43% [36%, 50%]``."""
    return f"{p:.0%} [{low:.0%}, {high:.0%}]"


def number(value: float, share: bool) -> str:
    """A number for a table: a percentage for a share, thousands separated from 100 up, else three digits."""
    if value != value:
        return "–"
    if share:
        return f"{value:.1%}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def effect_cell(row: pd.Series | None, *, scale: float = 1.0) -> str:
    """``+438`` over ``[+230, +645]`` (times ``scale``, two lines); the status when the step was not evaluated."""
    if row is None or str(row["status"]) != "evaluated" or not np.isfinite(row["effect"]):
        return "–" if row is None else str(row["status"])
    values = [row["effect"] * scale, row["ci_low"] * scale, row["ci_high"] * scale]
    if all(v == 0 for v in values):
        return "0\n[0, 0]"
    biggest = max(abs(v) for v in values)
    digits = 0 if biggest >= 100 else 1 if biggest >= 1 else 2
    return "{:+.{d}f}\n[{:+.{d}f}, {:+.{d}f}]".format(*values, d=digits)


# ----------------------------------------------------------------------------------------------------
# Charts as SVG
# ----------------------------------------------------------------------------------------------------


def svg_of(fig) -> str:
    """Return a figure as inline SVG (text drawn as paths, so the page needs no font for it)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    # ids of one chart must not collide with another's in the same page
    salt = hashlib.sha256(svg.encode("utf-8")).hexdigest()[:8]
    svg = re.sub(r'id="([^"]+)"', rf'id="\1-{salt}"', svg)
    svg = re.sub(r'url\(#([^)]+)\)', rf'url(#\1-{salt})', svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', rf'xlink:href="#\1-{salt}"', svg)
    return re.sub(r"<svg ", '<svg class="chart" ', svg, count=1)


def fan_svgs(yearly: pd.DataFrame, table: pd.DataFrame, scenarios: Sequence[str], scopes: dict[str, str],
             lang: str) -> list[dict[str, str]]:
    """Return the fan charts of output and leading share, one per scenario and metric, as SVG with captions."""
    import matplotlib as mpl

    from parkabm.experiments import charts

    figures = []
    targets = table[table["kind"] == "target"]
    reps = yearly.groupby("scenario")["replicate"].nunique()
    with mpl.rc_context(charts.chart_rc(lang)):
        for scenario in scenarios:
            mine = yearly[yearly["scenario"] == scenario]
            for metric in ("total_output_yi", "leading_share"):
                row = targets[(targets["scenario"] == scenario) & (targets["metric"] == metric)]
                target = None
                if len(row):
                    r = row.iloc[0]
                    target = {"target": float(r["target_value"]), "year": int(r["year"]),
                              "comparison": str(r["comparison"]),
                              "p_met": None if r["n"] == 0 else float(r["p_met"]),
                              "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"])}
                title = charts.label(f"fan_title_{metric}", lang, scenario=charts.scenario_label(scenario, lang),
                                     scope=charts.label(f"scope_{scopes[scenario]}", lang))
                title += " · " + charts.label("reps", lang, n=int(reps.get(scenario, 0)))
                fig, ax = charts.new_figure((4.6, 3.4))
                charts.fan_chart(mine, metric, ax=ax, lang=lang, target=target, title=title)
                figures.append({"svg": svg_of(fig), "caption": title})
    return figures


def comparison_svg(table: pd.DataFrame, lang: str) -> str:
    """Return the comparison chart (:func:`~parkabm.experiments.charts.comparison_chart`) as SVG."""
    import matplotlib as mpl

    from parkabm.experiments import charts

    with mpl.rc_context(charts.chart_rc(lang)):
        fig, axes = charts.new_figure((10.0, 3.9), ncols=2, width_ratios=(1.15, 1.0))
        charts.comparison_chart(table, ax=axes, lang=lang)
        return svg_of(fig)


# ----------------------------------------------------------------------------------------------------
# Sections
# ----------------------------------------------------------------------------------------------------


def question_section(scenarios: Sequence[str], scopes: dict[str, str], world, lang: str, *,
                     base_year: int) -> dict[str, Any]:
    """The question (headline targets from targets.csv) and the output scope (scope.csv, docs/ODD.md §2)."""
    from parkabm.model.outputs.targets import headline_targets

    head = headline_targets(world.targets.reset_index())
    targets = world.targets.reset_index().set_index("target")
    name = "name_zh" if lang == "zh" else "name_en"
    out, lead = head["total_output_yi"], head["leading_share"]

    def named(t) -> str:
        shown = str(targets.loc[t.target, name])
        return shown if lang == "zh" else shown[0].lower() + shown[1:]

    def goal(t) -> str:
        from parkabm.experiments.charts.labels import comparison_sign, value_with_unit

        return f"{comparison_sign(t.comparison)}{'' if lang == 'zh' else ' '}{value_with_unit(t.metric, t.value, lang)}"

    question = text("question_text", lang, output_name=named(out), output_goal=goal(out), leading_name=named(lead),
                    leading_goal=goal(lead), year=out.year)
    clauses = list(dict.fromkeys(str(targets.loc[t.target, "source"]) for t in (out, lead)))
    scope_table = world.scope if "scope" not in world.scope.columns else world.scope.set_index("scope")
    lines = []
    for scope in dict.fromkeys(scopes[s] for s in scenarios):
        row = scope_table.loc[scope]
        others = [s for s in scope_table.index if s != scope]
        other = scope_table.loc[others[0]] if others else row
        lines.append(text("scope_text", lang, scope_name=row[name], scope_id=scope,
                          total=float(row["total_2021_yi"]), base_year=base_year,
                          low=float(row["total_2021_low"]), high=float(row["total_2021_high"]),
                          other_name=other[name], other_id=others[0] if others else scope,
                          other_total=float(other["total_2021_yi"])))
    if len(set(scopes.values())) > 1:
        from parkabm.experiments.charts.labels import scenario_label

        lines.append(text("scope_mixed", lang) + " " + "; ".join(
            f"{scenario_label(s, lang)}: {scopes[s]}" for s in scenarios))
    return {"question": question, "sources": text("question_source", lang, sources="; ".join(clauses)),
            "scope_lines": lines, "scope_passage": sources.odd_passage("2", "Output scope")}


def target_rows(table: pd.DataFrame, scenarios: Sequence[str], world, lang: str) -> list[dict[str, Any]]:
    """Every target with its goal, source and, per scenario, P(met) [95% CI] or why there is none."""
    from parkabm.model.outputs.targets import MODELLED, status_text

    statuses = target_statuses(world.targets)
    modelled = {target: status == MODELLED for target, status in statuses.items()}
    targets = table[table["kind"] == "target"]
    name = "name_zh" if lang == "zh" else "name_en"
    rows = []
    for target, group in targets.groupby("name", sort=False):
        first = group.iloc[0]
        cells = []
        for s in scenarios:
            r = group[group["scenario"] == s]
            if not modelled.get(str(target), True):
                cells.append(status_text(statuses[str(target)], lang))
            elif not len(r) or int(r.iloc[0]["n"]) == 0:
                cells.append(text("not_evaluated", lang))
            else:
                r = r.iloc[0]
                cells.append(probability_cell(r["p_met"], r["ci_low"], r["ci_high"]))
        rows.append({"name": str(first[name]), "id": str(target),
                     "goal": goal_text(str(first["metric"]), str(first["comparison"]), float(first["target_value"]),
                                       int(first["year"]), lang),
                     "cells": cells, "source": str(first["source"]), "modelled": modelled.get(str(target), True)})
    return rows


def difference_rows(yearly: pd.DataFrame, table: pd.DataFrame, scenarios: Sequence[str], world,
                    lang: str) -> list[dict[str, Any]]:
    """P(met) of each modelled, evaluated target minus the first scenario's, in points, with a paired interval.

    Replicate r of every scenario shares its draws (common random numbers), so the difference is paired: the mean
    of the per-replicate differences of the met indicators with a 95% t interval, as ``parkabm effects`` gives
    (:func:`~parkabm.experiments.analysis.effects.paired_interval`; [0, 0] when no replicate changes status).
    """
    from parkabm.experiments.analysis.effects import paired_interval
    from parkabm.model.outputs.targets import select_targets, targets_met

    if len(scenarios) < 2:
        return []
    modelled = modelled_targets(world.targets)
    chosen = select_targets(world.targets.reset_index() if "target" not in world.targets.columns
                            else world.targets, "2023")
    chosen = chosen[[modelled.get(str(t), True) and m in yearly.columns
                     for t, m in zip(chosen["target"], chosen["metric"], strict=True)]]
    met = targets_met(yearly[["scenario", "replicate", "year", *dict.fromkeys(chosen["metric"])]], chosen)
    met = met[met["evaluated"]]
    name = "name_zh" if lang == "zh" else "name_en"
    rows = []
    for t in chosen.itertuples(index=False):
        mine = met[met["target"] == t.target].pivot_table(index="replicate", columns="scenario", values="met",
                                                          aggfunc="first")
        if scenarios[0] not in mine.columns:
            continue
        cells = []
        for s in scenarios[1:]:
            if s not in mine.columns:
                cells.append(text("not_evaluated", lang))
                continue
            both = mine[[scenarios[0], s]].dropna().astype(bool)
            if not len(both):
                cells.append(text("not_evaluated", lang))
                continue
            d, low, high, _ = paired_interval(both[s].to_numpy(dtype=float)
                                              - both[scenarios[0]].to_numpy(dtype=float))
            if d != d:
                cells.append(text("not_evaluated", lang))
            elif d == low == high == 0:
                cells.append("0 [0, 0]")
            else:
                cells.append(f"{d * 100:+.0f} [{low * 100:+.0f}, {high * 100:+.0f}]")
        rows.append({"name": str(getattr(t, name)), "cells": cells})
    return rows


def outcome_rows(table: pd.DataFrame, scenarios: Sequence[str], lang: str) -> list[dict[str, Any]]:
    """The outcomes of the comparison table in its year: mean [p05, p95] per scenario."""
    from parkabm.model.outputs.registry import output

    metrics = table[table["kind"] == "metric"]
    rows = []
    for metric, group in metrics.groupby("metric", sort=False):
        info = output(str(metric))
        share = info.unit == "share"
        cells = []
        for s in scenarios:
            r = group[group["scenario"] == s]
            if not len(r):
                cells.append("–")
                continue
            r = r.iloc[0]
            cells.append(f"{number(r['mean'], share)} [{number(r['p05'], share)}, {number(r['p95'], share)}]")
        from parkabm.experiments.charts.labels import zh_brackets

        rows.append({"name": zh_brackets(info.label(lang, with_unit=True), lang), "cells": cells})
    return rows


def effect_section(effects: pd.DataFrame, *, scenario: str, lang: str, source: str | None,
                   base_year: int) -> dict[str, Any]:
    """The lever steps with a detectable effect on output, leading share or a headline target, largest first."""
    from parkabm.experiments.analysis.effects import CUMULATIVE_FISCAL, lever_label
    from parkabm.experiments.charts.labels import scenario_label
    from parkabm.model.outputs.registry import display_unit, output
    from parkabm.model.outputs.targets import headline_targets

    head = headline_targets()
    target_outcomes = [f"p_met:{head[m].target}" for m in ("total_output_yi", "leading_share")]
    indexed = {key: g.set_index("outcome") for key, g in effects.groupby(["lever", "change"], sort=False)}
    year = int(effects.loc[effects["kind"] == "outcome", "year"].iloc[0]) if len(effects) else 0
    watched = ["total_output_yi", "leading_share", *target_outcomes]
    steps = []
    for (lever, change), rows in indexed.items():
        if str(lever).startswith(MECHANISMS):
            continue
        present = [o for o in watched if o in rows.index]
        if not any(bool(rows.loc[o, "significant"]) for o in present):
            continue
        out = rows.loc["total_output_yi"] if "total_output_yi" in rows.index else None
        size = abs(float(out["effect"])) if out is not None and np.isfinite(out["effect"]) else 0.0
        steps.append((size, lever, change, rows))
    steps.sort(key=lambda s: -s[0])
    shown = steps[:EFFECT_ROWS]
    targets = headline_targets()
    name = "name_zh" if lang == "zh" else "name_en"
    world_targets = _targets_by_id()
    headers = [text("lever", lang), text("change", lang),
               f"{output('total_output_yi').label(lang)}\n({display_unit('亿元', lang)})",
               f"{output('leading_share').label(lang)}\n({text('pp', lang)})"]
    headers += [f"{text('p_of', lang, name=world_targets.loc[targets[m].target, name])}\n({text('pp', lang)})"
                for m in ("total_output_yi", "leading_share")
                if f"p_met:{targets[m].target}" in effects["outcome"].values]
    headers.append(f"{text('fiscal', lang)}\n({display_unit('亿元', lang)})")
    body = []
    for _, lever, change, rows in shown:
        cells = [lever_label(str(lever), lang), _change(rows.iloc[0], str(change))]
        cells.append(effect_cell(rows.loc["total_output_yi"] if "total_output_yi" in rows.index else None))
        cells.append(effect_cell(rows.loc["leading_share"] if "leading_share" in rows.index else None, scale=100))
        for outcome in target_outcomes:
            if outcome in effects["outcome"].values:
                cells.append(effect_cell(rows.loc[outcome] if outcome in rows.index else None, scale=100))
        cells.append(effect_cell(rows.loc[CUMULATIVE_FISCAL] if CUMULATIVE_FISCAL in rows.index else None))
        body.append(cells)
    reps = int(effects["n_reps"].max()) if len(effects) else 0
    policy = sum(not str(lever).startswith(MECHANISMS) for lever, _ in indexed)
    intro = text("effects_intro", lang, scenario=scenario_label(scenario, lang) if scenario else "", year=year,
                 reps=reps, steps=policy, shown=len(shown), more=len(indexed) - len(shown), first=base_year + 1)
    return {"intro": intro, "headers": headers, "rows": body,
            "source": text("effects_from", lang, path=source) if source else None,
            "empty": text("effects_none", lang) if not body else None}


def _targets_by_id() -> pd.DataFrame:
    from parkabm.scenarios.world import load_world

    targets = load_world().targets
    return targets.reset_index().set_index("target") if "target" in targets.reset_index().columns else targets


def _change(row: pd.Series, change: str) -> str:
    """A step's change over its values, ``×2`` and ``10,000 → 20,000``; draft and choice steps as they are."""
    def fmt(v: Any) -> str:
        try:
            x = float(v)
        except (TypeError, ValueError):
            return str(v)
        return f"{x:,.0f}" if x.is_integer() else f"{x:g}"

    if change.startswith("→"):
        return change
    return f"{change}\n{fmt(row['from_value'])} → {fmt(row['to_value'])}"


def parameter_draws(scenarios: Sequence[str], reps: int, seed: int) -> pd.DataFrame:
    """Return the uncertain inputs each replicate of each scenario drew, as the comparison's runs drew them.

    The comparison runs on common random numbers, so replicate r draws from ``parameter_seed(seed, r)``
    (:func:`~parkabm.model.simulate.draw_parameters`), as ``parkabm run`` does.
    """
    from parkabm.model.simulate import draw_parameters
    from parkabm.scenarios.loader import load_scenario

    rows = []
    for s in scenarios:
        scenario = load_scenario(s)
        for r in range(reps):
            rows.append({"scenario": s, "replicate": r, **draw_parameters(scenario, seed, r)})
    return pd.DataFrame(rows)


def correlation_table(yearly: pd.DataFrame, draws: pd.DataFrame, scenarios: Sequence[str], year: int) -> pd.DataFrame:
    """Spearman correlation of the year's output and leading share with every input that varies, per scenario.

    Returns:
        Columns ``scenario``, ``input``, ``outcome`` (``total_output_yi`` or ``leading_share``), ``rho``, ``n``.
    """
    at = yearly[yearly["year"] == year]
    rows = []
    for s in scenarios:
        mine = at[at["scenario"] == s].merge(draws[draws["scenario"] == s].drop(columns="scenario"), on="replicate")
        inputs = [c for c in draws.columns if c not in ("scenario", "replicate")
                  and pd.api.types.is_numeric_dtype(draws[c]) and mine[c].nunique() > 1]
        for outcome in ("total_output_yi", "leading_share"):
            y = mine[outcome].rank().to_numpy(dtype=float)
            for name in inputs:
                x = mine[name].rank().to_numpy(dtype=float)
                rho = float(np.corrcoef(x, y)[0, 1]) if np.std(y) > 0 else math.nan
                rows.append({"scenario": s, "input": name, "outcome": outcome, "rho": rho, "n": len(mine)})
    return pd.DataFrame(rows, columns=["scenario", "input", "outcome", "rho", "n"])


def depends_section(*, decomposition: pd.DataFrame | None, path: str | None, correlations: pd.DataFrame,
                    scenarios: Sequence[str], year: int, lang: str) -> dict[str, Any]:
    """The decomposition's table when one is given, else the labelled fallback of rank correlations."""
    from parkabm.experiments.charts.labels import factor_label, scenario_label

    if decomposition is not None:
        from parkabm.model.outputs.registry import output

        targets = _targets_by_id()
        name = "name_zh" if lang == "zh" else "name_en"

        def what_label(what: str) -> str:
            if what in targets.index:
                return str(targets.loc[what, name])
            try:
                return output(what).label(lang)
            except KeyError:
                return what

        columns = list(dict.fromkeys(decomposition["what"]))
        rows = []
        for group, mine in decomposition.groupby("group", sort=False):
            shares = mine.set_index("what")["share"]
            rows.append([factor_label(str(group), lang) if "." in str(group) else str(group),
                         *[f"{shares[c]:.0%}" if c in shares.index else "–" for c in columns]])
        return {"intro": text("depends_decomposition", lang, path=path),
                "headers": [text("input_group", lang), *[what_label(c) for c in columns]], "rows": rows,
                "empty": None}
    first = correlations[(correlations["scenario"] == scenarios[0]) & (correlations["outcome"] == "total_output_yi")]
    order = first.assign(size=first["rho"].abs()).sort_values("size", ascending=False)["input"].tolist()
    order = order[:DEPENDS_ROWS]
    headers = [text("input", lang)]
    keys = []
    for outcome in ("total_output_yi", "leading_share"):
        for s in scenarios:
            headers.append(text(f"rho_{outcome}", lang) + "\n" + scenario_label(s, lang))
            keys.append((s, outcome))
    indexed = correlations.set_index(["scenario", "outcome", "input"])["rho"]
    rows = []
    for name in order:
        cells = [factor_label(name, lang)]
        for s, outcome in keys:
            rho = indexed.get((s, outcome, name), math.nan)
            cells.append("–" if rho != rho else f"{rho:+.2f}")
        rows.append(cells)
    return {"intro": text("depends_fallback", lang, year=year, scenario=scenario_label(scenarios[0], lang)),
            "headers": headers, "rows": rows, "empty": text("depends_none", lang) if not rows else None}


def method_section(lang: str) -> dict[str, Any]:
    """Method (ODD §1 purpose, §3, §8 targets), data (the CSV files, data README) and caveats (ODD §11, §10)."""
    files = sources.data_files()
    rows = [[r.file, f"{int(r.rows)}",
             "–" if r.assumed != r.assumed else f"{int(r.assumed)} / {int(r.partly_assumed)}", r.what]
            for r in files.itertuples(index=False)]
    return {
        "model": [sources.odd_passage("1", "Purpose"), sources.odd_passage("3")],
        "targets": [_odd_targets()],
        "data_rows": rows,
        "data_passages": [sources.data_readme_passage("Most numbers here are assumptions")],
        "caveats": [sources.odd_passage("11"), sources.odd_passage("10", "Targets structurally out of reach")],
    }


def _odd_targets() -> sources.Passage:
    """The paragraph of docs/ODD.md §8 on targets (it starts with "Targets (")."""
    markdown = sources.read_document(sources.ODD)
    body = sources.section(markdown, "8") if markdown is not None else None
    found = None
    if body:
        found = next((b.strip() for b in re.split(r"\n\s*\n", body) if b.strip().startswith("Targets (")), None)
    return sources.Passage("§8", sources.markdown_html(found) if found else None, "docs/ODD.md")


# ----------------------------------------------------------------------------------------------------
# The command
# ----------------------------------------------------------------------------------------------------


def default_out(scenarios: Sequence[str]) -> Path:
    """Return ``results/report-<scenario>-<scenario>…`` (shortened with a hash when very long)."""
    name = "report-" + "-".join(Path(s).stem for s in scenarios)
    if len(name) > 80:
        name = name[:70] + "-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return Path("results") / name


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("parkabm")
    except PackageNotFoundError:
        return "unknown"


def render_html(context: dict[str, Any], *, font_url: str | None) -> str:
    """Render the brief's template with ``context``; ``font_url`` is a local CJK font for printing, if any."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("parkabm.experiments.report", "."), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html.j2").render(**context, font_url=font_url)


def build_report(scenarios: Sequence[str], *, lang: str = "en", fmt: str = "html", out: str | Path | None = None,
                 reps: int = DEFAULT_REPS, seed: int = 0, effects: str | Path | None = None,
                 effects_reps: int | None = None, levers: str | Path | None = None,
                 decomposition: str | Path | None = None,
                 workers: int | None = None, progress: bool = False, command: str = "") -> Report:
    """Run the scenarios and write the policy brief (see the module docstring).

    Every input is checked before anything runs; the runs go to a temporary folder, and the brief's folder is
    written beside ``out`` and swapped in whole at the end.

    Args:
        scenarios: Shipped scenario names or scenario files; the first is the reference of the differences and
            the scenario whose levers are measured.
        lang: ``en`` or ``zh``.
        fmt: ``html`` (self-contained, charts as inline SVG) or ``pdf`` (printed by a headless Chromium).
        out: Output folder (default :func:`default_out`).
        reps: Replicates per scenario.
        seed: Master seed.
        effects: A ``parkabm effects`` folder to read effects.csv from, instead of measuring them.
        effects_reps: Paired replicates per lever step when measuring them (at least 2; default
            :data:`DEFAULT_EFFECTS_REPS`).
        levers: A lever file choosing the levers to measure (as ``parkabm effects --levers``); all when omitted.
        decomposition: A variance decomposition CSV (``group``, ``target`` or ``output``, ``share``).
        workers: Local worker processes (default: all CPUs; 1 runs in this process).
        progress: Show progress bars.
        command: The command line's arguments, for the brief's last line.

    Returns:
        The folder, the files, the wall time and the number of runs.

    Raises:
        UserInputError: A bad scenario, option, file or output folder (nothing is written).
    """
    from parkabm.experiments import charts
    from parkabm.experiments.analysis.compare import comparison_experiment, run_comparison
    from parkabm.experiments.analysis.effects import run_effects
    from parkabm.experiments.execution.executors import make_executor
    from parkabm.experiments.execution.files import check_output_folder, staged_folder
    from parkabm.experiments.execution.store import load_results
    from parkabm.experiments.report import pdf
    from parkabm.scenarios.loader import load_scenario
    from parkabm.scenarios.world import load_world

    start = time.perf_counter()
    effects_reps = DEFAULT_EFFECTS_REPS if effects_reps is None else effects_reps
    charts.check_language(lang)
    if fmt not in FORMATS:
        raise UserInputError(f"--format: {fmt!r} — allowed: {', '.join(FORMATS)}")
    charts.language_rc(lang)  # no Chinese font: stop before running
    if reps < 2:
        raise UserInputError(f"--reps: {reps} — allowed: a whole number ≥ 2")
    if effects is None and effects_reps < 2:
        raise UserInputError(f"--effects-reps: {effects_reps} — allowed: a whole number ≥ 2 (a paired interval needs "
                             "two replicates)")
    browser = pdf.require_chromium() if fmt == "pdf" else None
    given_effects = read_effects(effects) if effects is not None else None
    given_decomposition = read_decomposition(decomposition) if decomposition is not None else None
    scenarios = list(scenarios)
    comparison_experiment(scenarios, reps=reps, seed=seed)  # every scenario valid
    loaded = {s: load_scenario(s) for s in scenarios}
    names = [loaded[s].name for s in scenarios]
    if len(set(names)) < len(names):
        raise UserInputError(f"SCENARIO: {' '.join(scenarios)} — allowed: different scenarios (a name is repeated)")
    out = Path(out) if out is not None else default_out(scenarios)
    check_output_folder(out, kind=KIND)
    world = load_world()
    scopes = {n: loaded[s].world.scope for s, n in zip(scenarios, names, strict=True)}
    base_year = int(loaded[scenarios[0]].world.base_year)
    runs = 0
    with tempfile.TemporaryDirectory(prefix="parkabm-report-") as work_dir:
        work = Path(work_dir)
        with make_executor(workers=workers) as executor:
            compared = run_comparison(scenarios, reps=reps, seed=seed, out=work / "compare", executor=executor,
                                      lang=lang, progress=progress)
            runs += compared.batch.ran
            if given_effects is None:
                measured = run_effects(scenarios[0], reps=effects_reps, seed=seed, out=work / "effects", lang=lang,
                                       levers=levers, executor=executor, progress=progress)
                effect_table = measured.table
                runs += (len(measured.steps) + 1) * effects_reps
            else:
                effect_table = given_effects
        table = compared.table
        yearly = load_results(work / "compare")
        year = int(table.loc[table["kind"] == "metric", "year"].iloc[0])
        draws = parameter_draws(scenarios, reps, seed)
        draws["scenario"] = draws["scenario"].map(dict(zip(scenarios, names, strict=True)))
        correlations = correlation_table(yearly, draws, names, year)
        from parkabm.experiments.charts.labels import scenario_label

        context = {
            "lang": lang,
            "t": {key: text(key, lang) for key in _PLAIN_KEYS},
            "title": text("title", lang, year=year),
            "run_line": text("run_line", lang, scenarios=("、" if lang == "zh" else ", ").join(
                                 scenario_label(n, lang) for n in names),
                             reps=reps, seed=seed, version=_version(), date=dt.datetime.now(dt.UTC).date()),
            "scenario_names": [scenario_label(n, lang) for n in names],
            "question": question_section(names, scopes, world, lang, base_year=base_year),
            "from_odd": lambda where: text("from_odd", lang, where=where),
            "missing": lambda what: text("missing_doc", lang, what=what),
            "answer_intro": text("answer_intro", lang, not_modelled=text("not_modelled", lang),
                                 not_evaluated=text("not_evaluated", lang)),
            "targets": target_rows(table, names, world, lang),
            "fans": fan_svgs(yearly, table, names, scopes, lang),
            "comparison_svg": comparison_svg(table, lang),
            "outcomes_title": text("outcomes", lang, year=year),
            "outcomes": outcome_rows(table, names, lang),
            "difference_title": text("difference", lang, reference=scenario_label(names[0], lang)),
            "differences": difference_rows(yearly, table, names, world, lang),
            "effects": effect_section(effect_table, scenario=names[0] if given_effects is None else "", lang=lang,
                                      source=str(Path(effects) / "effects.csv") if effects is not None else None,
                                      base_year=base_year),
            "depends": depends_section(decomposition=given_decomposition, path=str(decomposition),
                                       correlations=correlations, scenarios=names, year=year, lang=lang),
            "method": method_section(lang),
            "footer": text("footer", lang, args=command or " ".join(scenarios)),
        }
        name = f"report.{lang}.{fmt}"
        with staged_folder(out, kind=KIND) as staging:
            table.to_csv(staging / "comparison.csv", index=False, encoding="utf-8")
            effect_table.to_csv(staging / "effects.csv", index=False, encoding="utf-8")
            if given_decomposition is not None:
                given_decomposition.to_csv(staging / "depends.csv", index=False, encoding="utf-8")
            else:
                correlations.to_csv(staging / "depends.csv", index=False, encoding="utf-8")
            if fmt == "html":
                (staging / name).write_text(render_html(context, font_url=None), encoding="utf-8")
            else:
                font = charts.packaged_cjk_font()
                page = work / "print.html"
                page.write_text(render_html(context, font_url=font.resolve().as_uri() if font else None),
                                encoding="utf-8")
                profile = work / "browser"
                profile.mkdir()
                pdf.print_pdf(page, staging / name, browser=str(browser), profile=profile)
    files = {"report": out / name, "comparison": out / "comparison.csv", "effects": out / "effects.csv",
             "depends": out / "depends.csv"}
    return Report(out, files, time.perf_counter() - start, runs)


_PLAIN_KEYS = ("contents", "question", "scope", "answer", "target", "goal", "source", "projections",
               "projections_intro", "comparison", "comparison_intro", "outcome", "effects", "depends", "method",
               "method_model", "method_targets", "data", "data_intro", "file", "rows", "assumed_rows", "what_file",
               "caveats", "not_modelled")
"""Texts the template shows as they are (without values to fill in)."""
