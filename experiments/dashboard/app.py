"""The dashboard page (Solara): choose a scenario, move levers, run replicates, read P(target met) and its change.

Served by ``parkabm dashboard`` (see :func:`parkabm.experiments.dashboard.serve`); Solara imports this module and
shows :func:`Page`, one independent copy of the state per browser tab. The numbers come from
:mod:`parkabm.experiments.dashboard.runs` and the lever catalogue from :mod:`parkabm.experiments.dashboard.levers`.

Page elements carry stable CSS classes (``parkabm-…``) and ``data-`` attributes, so that the browser test reads the
page as a user sees it instead of the program's state.
"""

from __future__ import annotations

import base64
import html
import threading

import solara
import solara.lab

from parkabm.experiments.dashboard import levers as lever_catalogue
from parkabm.experiments.dashboard import runs
from parkabm.experiments.dashboard.settings import SETTINGS
from parkabm.scenarios.errors import UserInputError

TEXT = {
    "title": {"en": "Hangzhou development zones: what if?", "zh": "杭州开发区(园区)政策情景推演"},
    "scenario": {"en": "Scenario", "zh": "情景"},
    "reference": {"en": "Compare with", "zh": "对照情景"},
    "run": {"en": "Run {n} replicates", "zh": "运行 {n} 次模拟"},
    "reset": {"en": "Reset levers", "zh": "恢复情景取值"},
    "running": {"en": "Running {done} of {total} replicates…", "zh": "正在运行第 {done}/{total} 次模拟…"},
    "not_run": {"en": "Move the levers, then press Run.", "zh": "调整政策杠杆后点击运行。"},
    "stale": {"en": "The levers changed since this run; press Run to update.",
              "zh": "政策杠杆已调整，点击运行以更新结果。"},
    "invalid": {"en": "Not run: fix the values below.", "zh": "未运行：请修正以下取值。"},
    "range": {"en": "range {range}; source: {source}", "zh": "取值范围 {range}；依据：{source}"},
    "changed": {"en": "Changed levers: {list}", "zh": "已调整的政策杠杆：{list}"},
    "unchanged": {"en": "No lever changed from the scenario.", "zh": "未调整政策杠杆。"},
    "targets": {"en": "Targets: P(met) with 95% intervals, and the difference from {ref} "
                      "(common random numbers: the same {n} replicate seeds and parameter draws)",
                "zh": "目标达成概率（95%置信区间）及与{ref}之差（共同随机数：相同的 {n} 个重复模拟种子与参数抽样）"},
    "col_target": {"en": "Target", "zh": "目标"},
    "col_value": {"en": "Target value", "zh": "目标值"},
    "col_p": {"en": "P(met) [95% CI]", "zh": "达标概率 [95%置信区间]"},
    "col_ref": {"en": "P(met), {ref}", "zh": "{ref}达标概率"},
    "col_diff": {"en": "Difference [95% CI]", "zh": "差值 [95%置信区间]"},
    "col_source": {"en": "Source", "zh": "依据"},
    "not_evaluated": {"en": "not evaluated (runs end before {year})", "zh": "未评估（模拟未到{year}年）"},
    "costs": {"en": "Cumulative fiscal cost {first}–{last} (亿元)", "zh": "{first}–{last}年累计财政支出(亿元)"},
    "col_component": {"en": "Item", "zh": "项目"},
    "col_mean": {"en": "Mean [5–95%]", "zh": "均值 [5%–95%]"},
    "col_ref_mean": {"en": "Mean, {ref}", "zh": "{ref}均值"},
    "col_cost_diff": {"en": "Difference (paired mean)", "zh": "差值（配对均值）"},
    "zones": {"en": "Zones", "zh": "各开发区(园区)"},
    "downloads": {"en": "Downloads", "zh": "下载"},
    "download_yaml": {"en": "Settings as scenario YAML", "zh": "当前设置（情景YAML）"},
    "error_run": {"en": "The run failed: {error}", "zh": "运行失败：{error}"},
}
"""Every page string, in both languages (chart strings are in :data:`parkabm.experiments.charts.LABELS`)."""

LANGUAGES = {"English": "en", "中文": "zh"}


def text(key: str, lang: str, **values) -> str:
    """Return the page string ``key`` in ``lang``, formatted with ``values``."""
    return TEXT[key][lang].format(**values)


CONTROLS = lever_catalogue.lever_controls()

scenario_name = solara.reactive(SETTINGS.scenario)
reference_name = solara.reactive(SETTINGS.reference)
language = solara.reactive("en")
lever_values: solara.Reactive[dict] = solara.reactive({})


def _base(name: str):
    return SETTINGS.scenario_of(name)


def _values_of(name: str) -> dict:
    base = _base(name)
    return {c.key: c.value_of(base) for c in CONTROLS}


@solara.lab.task
def update_task(base_name: str, ref_name: str, changes: dict, lang: str) -> runs.Update | None:
    """Run the page's settings and the reference in this background thread (the page stays responsive)."""
    scenario = lever_catalogue.build_scenario(_base(base_name), changes, population_scale=SETTINGS.population_scale)
    reference = lever_catalogue.build_scenario(_base(ref_name), {}, population_scale=SETTINGS.population_scale)

    def progress(share: float) -> None:
        update_task.progress = 100.0 * share

    update = runs.run_update(scenario, reference, base_name=base_name, reference_name=ref_name, changes=changes,
                             reps=SETTINGS.reps, seed=SETTINGS.seed, world=SETTINGS.world, progress=progress,
                             cancelled=lambda: not update_task.is_current())
    if update is not None:
        update.chart_images(lang)  # drawn here, in the background, not while the page renders
        other = "zh" if lang == "en" else "en"
        threading.Thread(target=update.chart_images, args=(other,), daemon=True).start()  # instant language switch
    return update


def _percent(x: float) -> str:
    return "–" if x != x else f"{x:.0%}"


def _points(x: float) -> str:
    return "–" if x != x else f"{100 * x:+.0f} pp"


def _target_rows(update: runs.Update, lang: str) -> str:
    from parkabm.experiments import charts
    from parkabm.model.outputs.targets import status_text

    ref = charts.scenario_label(update.reference_name, lang)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in (
        text("col_target", lang), text("col_value", lang), text("col_p", lang), text("col_ref", lang, ref=ref),
        text("col_diff", lang), text("col_source", lang)))
    body = []
    for r in update.targets.itertuples(index=False):
        name = r.name_zh if lang == "zh" else r.name_en
        cmp = {">=": "≥", "<=": "≤"}.get(r.comparison, r.comparison)
        value = f"{cmp} {charts.format_value(r.metric, r.target_value)} ({r.year})"
        status = getattr(r, "status", "modelled")
        if status != "modelled":  # not an outcome of the runs: its status and reason, never a probability
            shown = f"{status_text(status, lang)} ({getattr(r, 'status_note', '')})"
            cells = f'<td class="p-met status" colspan="3">{html.escape(shown)}</td>'
        elif r.n == 0:
            cells = f'<td class="p-met" colspan="3">{html.escape(text("not_evaluated", lang, year=r.year))}</td>'
        else:
            cells = (f'<td class="p-met" data-value="{r.p_met:.6f}">{_percent(r.p_met)} '
                     f"[{_percent(r.ci_low)}, {_percent(r.ci_high)}]</td>"
                     f'<td class="ref-p-met" data-value="{r.ref_p_met:.6f}">{_percent(r.ref_p_met)}</td>'
                     f'<td class="diff" data-value="{r.diff:.6f}">{_points(r.diff)} '
                     f"[{_points(r.diff_low)}, {_points(r.diff_high)}]</td>")
        body.append(f'<tr data-target="{html.escape(r.target)}"><td>{html.escape(name)}</td>'
                    f"<td>{html.escape(value)}</td>{cells}<td class=\"source\">{html.escape(r.source)}</td></tr>")
    return (f'<table class="parkabm-targets"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def _cost_rows(update: runs.Update, lang: str) -> str:
    from parkabm.experiments import charts
    from parkabm.model.outputs.registry import output

    ref = charts.scenario_label(update.reference_name, lang)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in (
        text("col_component", lang), text("col_mean", lang), text("col_ref_mean", lang, ref=ref),
        text("col_cost_diff", lang)))
    body = []
    for r in update.costs.itertuples(index=False):
        declared = output(r.component)
        name = declared.label_zh if lang == "zh" else declared.label_en
        total = ' class="total"' if r.component == "fiscal_total_yi" else ""
        body.append(f'<tr data-component="{r.component}"{total}><td>{html.escape(name)}</td>'
                    f'<td class="mean" data-value="{r.mean:.6f}">{r.mean:,.1f} [{r.p05:,.1f}, {r.p95:,.1f}]</td>'
                    f"<td>{r.ref_mean:,.1f}</td><td class=\"diff\">{r.diff:+,.1f}</td></tr>")
    return (f'<table class="parkabm-costs"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


STYLE = """
@font-face {font-family: "parkabm CJK"; src: url("/parkabm-fonts/NotoSansSC-Regular.otf") format("opentype");
    unicode-range: U+2E80-9FFF, U+F900-FAFF, U+FF00-FFEF;}
.v-application, .v-application * {font-family: Roboto, "parkabm CJK", "Noto Sans CJK SC", sans-serif !important;}
.parkabm-targets, .parkabm-costs {border-collapse: collapse; font-size: 13px; margin: 4px 0 12px 0;}
.parkabm-targets th, .parkabm-targets td, .parkabm-costs th, .parkabm-costs td
    {border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top;}
.parkabm-targets td.source {color: #555; font-size: 11px; max-width: 320px;}
.parkabm-costs tr.total td {font-weight: bold;}
.parkabm-chart {max-width: 100%; height: auto;}
.parkabm-lever-note {color: #555; font-size: 11px; margin: 2px 0 10px 0; line-height: 1.25;}
.parkabm-error pre {white-space: pre-wrap; font-size: 12px; margin: 0;}
"""


@solara.component
def LeverControlView(control: lever_catalogue.LeverControl, value, lang: str):
    """One lever: a slider within the schema's bounds and a number field that accepts any number."""

    def set_value(new) -> None:
        lever_values.set({**lever_values.value, control.key: new})

    inside = value is not None and control.low <= value <= control.high
    shown = min(max(value if value is not None else control.low, control.low), control.high)

    def from_slider(new) -> None:
        # a slider cannot show a typed value outside its range; ignore the clamped value it reports back
        if inside or new != shown:
            set_value(new)

    with solara.Column(gap="0px", classes=["parkabm-lever"], style={"margin-bottom": "2px"}):
        solara.Text(control.label(lang), style={"font-weight": "500", "font-size": "13px"})
        with solara.Row(style={"align-items": "center"}):
            if control.integer:
                solara.SliderInt("", value=int(shown), min=int(control.low), max=int(control.high),
                                 step=int(control.step), on_value=from_slider)
                solara.InputInt(control.unit, value=value, on_value=set_value,
                                classes=["parkabm-input", f"parkabm-input-{control.key.split('.')[-1]}"],
                                style={"max-width": "150px"}, dense=True)
            else:
                solara.SliderFloat("", value=float(shown), min=control.low, max=control.high, step=control.step,
                                   on_value=from_slider)
                solara.InputFloat(control.unit, value=value, on_value=set_value,
                                  classes=["parkabm-input", f"parkabm-input-{control.key.split('.')[-1]}"],
                                  style={"max-width": "150px"}, dense=True)
        solara.HTML(tag="div", classes=["parkabm-lever-note"],
                    unsafe_innerHTML=html.escape(text("range", lang, range=control.range_text(),
                                                      source=control.source)),
                    attributes={"title": control.description})


def _image(data: bytes, chart: str, lang: str) -> None:
    src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    solara.HTML(tag="div", unsafe_innerHTML=(f'<img class="parkabm-chart" data-chart="{chart}" data-lang="{lang}" '
                                             f'alt="{chart}" src="{src}">'))


@solara.component
def Results(update: runs.Update, lang: str):
    """The charts, tables and downloads of one finished update."""
    from parkabm.experiments import charts

    images = update.chart_images(lang)
    ref = charts.scenario_label(update.reference_name, lang)
    with solara.Columns([1, 1]):
        _image(images["fan_total_output"], "fan_total_output", lang)
        _image(images["fan_leading_share"], "fan_leading_share", lang)
    solara.Markdown(f"#### {text('targets', lang, ref=ref, n=update.reps)}")
    solara.HTML(tag="div", unsafe_innerHTML=_target_rows(update, lang))
    first, last = update.scenario.world.base_year + 1, update.scenario.world.horizon
    solara.Markdown(f"#### {text('costs', lang, first=first, last=last)}")
    solara.HTML(tag="div", unsafe_innerHTML=_cost_rows(update, lang))
    solara.Markdown(f"#### {text('zones', lang)}")
    _image(images["parks_output"], "parks_output", lang)
    solara.Markdown(f"#### {text('downloads', lang)}")
    with solara.Row(style={"flex-wrap": "wrap"}):
        for chart in runs.CHARTS:
            for fmt in ("png", "svg"):
                solara.FileDownload(
                    lambda chart=chart, fmt=fmt: runs.render_chart(update, chart, lang, fmt),
                    filename=f"{update.base_name}_{chart}_{lang}.{fmt}", label=f"{chart}.{fmt}",
                    mime_type="image/png" if fmt == "png" else "image/svg+xml")


@solara.component
def Page():
    """The dashboard: levers on the left, the latest run's results on the right."""
    lang = language.value
    names = SETTINGS.scenario_names
    if not lever_values.value:
        lever_values.set(_values_of(scenario_name.value))

    def choose_scenario(name: str) -> None:
        scenario_name.set(name)
        lever_values.set(_values_of(name))

    base = _base(scenario_name.value)
    values = lever_values.value or _values_of(scenario_name.value)
    changes = lever_catalogue.changed_levers(base, values, CONTROLS)
    problem = None
    try:
        lever_catalogue.build_scenario(base, changes)
    except UserInputError as exc:
        problem = str(exc)

    def run() -> None:
        if problem is None:
            update_task(scenario_name.value, reference_name.value, changes, language.value)

    settings_yaml = lever_catalogue.scenario_yaml(scenario_name.value, changes, controls=CONTROLS,
                                                  population_scale=SETTINGS.population_scale)
    solara.Style(STYLE)
    solara.Title("parkabm dashboard")
    with solara.Row(style={"align-items": "center", "justify-content": "space-between"}):
        solara.Markdown(f"## {text('title', lang)}")
        solara.ToggleButtonsSingle(value={v: k for k, v in LANGUAGES.items()}[lang], values=list(LANGUAGES),
                                   on_value=lambda shown: language.set(LANGUAGES[shown]),
                                   classes=["parkabm-language"])
    with solara.Columns([1, 2]):
        with solara.Column(classes=["parkabm-levers"]):
            solara.Select(text("scenario", lang), values=names, value=scenario_name.value,
                          on_value=choose_scenario, classes=["parkabm-scenario"])
            solara.Select(text("reference", lang), values=names, value=reference_name.value,
                          on_value=reference_name.set, classes=["parkabm-reference"])
            for family, heading in lever_catalogue.FAMILIES.items():
                members = [c for c in CONTROLS if c.family == family]
                if not members:
                    continue
                solara.Markdown(f"**{heading[lang]}**")
                for control in members:
                    LeverControlView(control, values.get(control.key), lang)
        with solara.Column(classes=["parkabm-results"]):
            with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
                solara.Button(text("run", lang, n=SETTINGS.reps), on_click=run, color="primary",
                              disabled=problem is not None, classes=["parkabm-run"])
                solara.Button(text("reset", lang), on_click=lambda: lever_values.set(_values_of(scenario_name.value)),
                              text=True, classes=["parkabm-reset"])
                solara.FileDownload(settings_yaml, filename=f"{scenario_name.value}_dashboard.yaml",
                                    label=text("download_yaml", lang), mime_type="application/x-yaml")
            listed = ", ".join(f"{k.removeprefix('levers.')} = {v}" for k, v in changes.items())
            solara.Text(text("changed", lang, list=listed) if changes else text("unchanged", lang),
                        classes=["parkabm-changes"])
            if problem is not None:
                with solara.Error(classes=["parkabm-error"]):
                    solara.Text(text("invalid", lang))
                    solara.HTML(tag="pre", unsafe_innerHTML=html.escape(problem), classes=["parkabm-problem"])
            if update_task.pending:
                share = update_task.progress or 0.0
                total = 2 * SETTINGS.reps
                solara.ProgressLinear(value=share, classes=["parkabm-progress"])
                solara.Text(text("running", lang, done=round(share / 100 * total), total=total),
                            classes=["parkabm-status"])
            elif update_task.error:
                solara.Error(text("error_run", lang, error=update_task.exception), classes=["parkabm-run-error"])
            update = update_task.latest if update_task.latest is not None else None
            if update is None:
                if not update_task.pending:
                    solara.Info(text("not_run", lang))
            else:
                stale = update.base_name != scenario_name.value or update.changes != changes \
                    or update.reference_name != reference_name.value
                status = "stale" if stale and not update_task.pending else "current"
                solara.HTML(tag="div", classes=["parkabm-run-state"], attributes={"data-state": status},
                            unsafe_innerHTML=html.escape(text("stale", lang)) if status == "stale" else "")
                Results(update, lang)
