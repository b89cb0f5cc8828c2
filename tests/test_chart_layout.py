"""Every chart family, in English and Chinese, keeps its text inside the figure and no two texts overlap.

Each chart is drawn on small synthetic data of the shape the model writes, then rendered with Agg; the window
extent of every visible, non-empty text (titles, axis and tick labels, legend entries, annotations, colour-bar
labels) must lie inside the figure and must not overlap another's.
"""

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text
from test_charts import PARKS, draw_cluster_counts, draw_clusters, draw_distribution, draw_land, parks, target, yearly  # noqa: F401  (fixtures)

from parkabm.experiments import charts
from parkabm.model.outputs.registry import display_unit, output

TOLERANCE = 0.5
"""Pixels by which two extents may touch (anti-aliasing and rounding) before they count as overlapping."""

FACTORS = ("redevelopment_mu_per_year", "redevelopment_lag_years", "standard_factory_m2_per_year",
           "new_land_quota_mu_per_year", "manufacturing_fund_yi_per_year", "tech_upgrade_subsidy_rate",
           "industry_fund_yi", "effort", "leading_focus", "chain_pull", "enforcement", "weight")


def drawn_texts(fig):
    """Return every text artist the figure draws: visible, non-empty, in a visible axes, ticks inside the view."""
    ticks, shown = set(), []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            span = (hi - lo) or 1.0
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                ticks.update({id(tick.label1), id(tick.label2)})
                inside = lo - 1e-9 * span <= tick.get_loc() <= hi + 1e-9 * span
                if ax.get_visible() and axis.get_visible() and inside:
                    shown += [t for t in (tick.label1, tick.label2) if t.get_visible() and t.get_text().strip()]
    for text in fig.findobj(Text):
        if id(text) in ticks or not text.get_visible() or not text.get_text().strip():
            continue
        if text.axes is not None and not text.axes.get_visible():
            continue
        shown.append(text)
    return list({id(t): t for t in shown}.values())


def layout_problems(fig) -> list[str]:
    """Return the texts of ``fig`` that leave the figure or overlap another text, as readable lines."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    frame = fig.bbox
    # the text's own extent: an annotation's extent would include its arrow, which may cross other texts
    boxes = [(t.get_text().replace("\n", " ")[:40], Text.get_window_extent(t, renderer)) for t in drawn_texts(fig)]
    problems = []
    for text, box in boxes:
        if (box.x0 < frame.x0 - TOLERANCE or box.y0 < frame.y0 - TOLERANCE or box.x1 > frame.x1 + TOLERANCE
                or box.y1 > frame.y1 + TOLERANCE):
            problems.append(f"outside the figure: {text!r}")
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            if width > TOLERANCE and height > TOLERANCE:
                problems.append(f"overlap: {a!r} and {b!r}")
    return problems


def fan(frame, lang):
    fig, ax = charts.new_figure((6.0, 3.6))
    scenario = charts.scenario_label("baseline", lang)
    title = charts.label("fan_title_total_output_yi", lang, scenario=scenario,
                         scope=charts.label("scope_industrial", lang))
    charts.fan_chart(frame[frame.scenario == "baseline"], "total_output_yi", ax=ax, lang=lang,
                     target=target("total_output_yi", 30000), title=title)
    return fig


def distribution(frame, lang):
    fig, ax = charts.new_figure((6.4, 3.4))
    draw_distribution(frame, ax, lang)
    return fig


def clusters(frame, lang):
    fig, ax = charts.new_figure((6.4, 3.4))
    draw_clusters(frame, ax, lang)
    return fig


def cluster_counts(frame, lang):
    fig, ax = charts.new_figure((6.0, 3.4))
    draw_cluster_counts(frame, ax, lang)
    return fig


def land_balance(frame, lang):
    fig, ax = charts.new_figure((6.4, 3.6))
    draw_land(frame, ax, lang)
    return fig


def parks_chart(frame, lang, metric):
    fig, axes = charts.new_figure((7.8, 4.0), nrows=2, ncols=4, sharex=True)
    reference = 0.6 if metric == "leading_share" else None
    names = charts.park_names(lang, short=True)
    names = {p: names[p] for p in PARKS}
    charts.park_small_multiples(frame, metric, axes=axes, lang=lang, reference=reference, names=names,
                                title=charts.label(f"parks_title_{metric}", lang))
    fig.set_layout_engine("constrained")
    return fig


def every_park(lang):
    """All 16 shipped zones in the 4 × 4 grid of ``parkabm plot``, so that every real name is checked."""
    ids = list(charts.park_names("en"))
    rows = [{"replicate": r, "year": year, "park": park, "output_yi": 100.0 * (k + 1) + r,
             "leading_share": 0.3 + 0.02 * k} for r in range(3) for year in range(2021, 2026)
            for k, park in enumerate(ids)]
    fig, axes = charts.new_figure((7.8, 1.75 * 4 + 0.4), nrows=4, ncols=4, sharex=True)
    charts.park_small_multiples(pd.DataFrame(rows), "output_yi", axes=axes, lang=lang,
                                title=charts.label("parks_title_output_yi", lang))
    return fig


def comparison_table():
    rows = []
    for k, scenario in enumerate(("baseline", "land_first", "subsidy_first", "combined")):
        for metric, name, value, p in (("total_output_yi", "output", 30000, 0.2 + 0.2 * k),
                                       ("leading_share", "leading", 0.6, 0.95 - 0.1 * k)):
            rows.append({"scenario": scenario, "kind": "target", "name": name, "name_en": f"{name} target",
                         "name_zh": "目标", "metric": metric, "year": 2025, "p_met": p, "ci_low": p - 0.08,
                         "ci_high": min(1.0, p + 0.08), "n": 50, "comparison": ">=", "target_value": value})
        base = 27000 + 1500 * k
        rows.append({"scenario": scenario, "kind": "metric", "name": "total_output_yi", "metric": "total_output_yi",
                     "year": 2025, "n": 50, "mean": base, "p05": base - 3000, "p25": base - 1000, "p50": base,
                     "p75": base + 1000, "p95": base + 3500})
    return pd.DataFrame(rows)


def comparison(lang):
    fig, axes = charts.new_figure((10.0, 3.8), ncols=2, width_ratios=(1.15, 1.0))
    fig.set_layout_engine("constrained")
    charts.comparison_chart(comparison_table(), ax=axes, lang=lang)
    return fig


def sobol_indices(constant=False):
    rng = np.random.default_rng(3)
    rows = []
    for k, factor in enumerate(FACTORS):
        st = 0.0 if constant else 0.6 / (k + 1) ** 1.5
        for index, value in (("ST", st), ("S1", 0.8 * st)):
            rows.append({"factor": factor, "index": index, "value": value,
                         "ci_low": value - (0 if constant else 0.02 + 0.01 * rng.random()),
                         "ci_high": value + (0 if constant else 0.02 + 0.01 * rng.random())})
    return pd.DataFrame(rows)


def sobol(lang, constant=False):
    indices = sobol_indices(constant)
    fig, ax = charts.new_figure((6.4, 0.45 * len(FACTORS) + 1.6))
    charts.sensitivity_chart(indices, ax=ax, lang=lang, title=charts.label("sa_output_total_output", lang, year=2025),
                             n=64, runs=64 * (len(FACTORS) + 2))
    return fig


def morris_indices():
    rows = []
    for k, factor in enumerate(FACTORS):
        mu = 9000 / (k + 1) ** 2  # a few factors matter, most sit near the origin
        rows += [{"factor": factor, "index": "mu_star", "value": mu, "ci_low": mu * 0.6, "ci_high": mu * 1.5},
                 {"factor": factor, "index": "sigma", "value": mu * (0.4 + 0.05 * k), "ci_low": np.nan,
                  "ci_high": np.nan}]
    return pd.DataFrame(rows)


def morris(lang):
    fig, ax = charts.new_figure((6.4, 4.4))
    charts.morris_chart(morris_indices().assign(output="total_output"), ax=ax, lang=lang, n=20,
                        runs=20 * (len(FACTORS) + 1), title=charts.label("sa_output_total_output", lang, year=2025))
    return fig


def prim_result(restricted=True):
    trajectory = pd.DataFrame({"coverage": np.linspace(1, 0.3, 8), "density": np.linspace(0.25, 0.9, 8),
                               "res_dim": [0, 1, 1, 2, 2, 3, 3, 3]})
    box = pd.DataFrame({"factor": ["redevelopment_mu_per_year", "leading_focus", "effort", "weight"],
                        "min": [14200.0, 0.71, 0.8, 0.0], "max": [20000.0, 1.0, 1.3, 1.0],
                        "data_min": [5000.0, 0.3, 0.8, 0.0], "data_max": [20000.0, 1.0, 1.5, 1.0],
                        "restricted": [restricted, restricted, restricted, False],
                        "qp_low": [1.5e-6, 0.003, np.nan, np.nan], "qp_high": [np.nan, np.nan, 0.04, np.nan]})
    stats = {"coverage": 0.64, "density": 0.83, "base_rate": 0.21, "mass": 0.16, "res_dim": 3 if restricted else 0}
    return trajectory, box, stats


def prim_title(lang):
    return charts.label("titled", lang, scenario=charts.scenario_label("baseline", lang),
                        title=charts.class_title("both", lang))


def prim_tradeoff(lang):
    trajectory, _, _ = prim_result()
    fig, ax = charts.new_figure((5.6, 4.2))
    charts.prim_tradeoff_chart(trajectory, chosen=5, ax=ax, lang=lang, title=prim_title(lang))
    return fig


def prim_box(lang, restricted=True):
    _, box, stats = prim_result(restricted)
    fig, ax = charts.new_figure((6.4, 0.5 * 3 + 1.9))
    charts.prim_box_chart(box, stats, ax=ax, lang=lang, title=prim_title(lang))
    return fig


FAMILIES = {
    "fan": lambda data, lang: fan(data["yearly"], lang),
    "distribution": lambda data, lang: distribution(data["yearly"], lang),
    "clusters": lambda data, lang: clusters(data["yearly"], lang),
    "cluster_counts": lambda data, lang: cluster_counts(data["yearly"], lang),
    "land_balance": lambda data, lang: land_balance(data["yearly"], lang),
    "parks_output": lambda data, lang: parks_chart(data["parks"], lang, "output_yi"),
    "parks_leading_share": lambda data, lang: parks_chart(data["parks"], lang, "leading_share"),
    "parks_every_zone": lambda data, lang: every_park(lang),
    "comparison": lambda data, lang: comparison(lang),
    "sobol": lambda data, lang: sobol(lang),
    "sobol_constant": lambda data, lang: sobol(lang, constant=True),
    "morris": lambda data, lang: morris(lang),
    "prim_tradeoff": lambda data, lang: prim_tradeoff(lang),
    "prim_box": lambda data, lang: prim_box(lang),
    "prim_box_empty": lambda data, lang: prim_box(lang, restricted=False),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_no_text_overlaps_or_leaves_the_figure(yearly, parks, family, lang):  # noqa: F811
    import matplotlib.pyplot as plt

    with plt.rc_context(charts.chart_rc(lang)):
        fig = FAMILIES[family]({"yearly": yearly, "parks": parks}, lang)
        problems = layout_problems(fig)
    assert not problems, problems


def test_the_layout_check_finds_overlaps_and_text_outside():
    """The check is not vacuous: two texts at one place, and a text past the edge, are both reported."""
    fig, ax = charts.new_figure((3.0, 2.0))
    ax.annotate("first label", (0.5, 0.5))
    ax.annotate("second label", (0.5, 0.5))
    ax.annotate("far past the right edge", (0.9, 0.2), xycoords="figure fraction")
    problems = layout_problems(fig)
    assert any("overlap: 'first label' and 'second label'" in p for p in problems)
    assert any("outside the figure: 'far past the right edge'" in p for p in problems)


# titles, units and target legends


def texts_of(fig):
    return [t.get_text() for t in drawn_texts(fig)]


def legend_texts(ax):
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend is not None else []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_fan_chart_axis_has_the_registry_unit_and_the_target_its_value_unit_and_year(yearly, lang):  # noqa: F811
    fig = fan(yearly, lang)
    ax = fig.axes[0]
    assert ax.get_ylabel() == charts.zh_brackets(output("total_output_yi").label(lang, with_unit=True), lang)
    unit = display_unit("亿元", lang)
    assert any("30,000" in t and unit in t and "2025" in t for t in legend_texts(ax)), legend_texts(ax)
    if lang == "zh":  # one kind of bracket in Chinese titles: full width
        assert "(" not in ax.get_title() and "（" in ax.get_title()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_comparison_names_the_output_as_the_registry_does_on_both_panels(lang):
    fig = comparison(lang)
    left, right = fig.axes[:2]
    name = charts.zh_brackets(output("total_output_yi").label(lang), lang)
    assert any(t.startswith(name) and "30,000" in t and display_unit("亿元", lang) in t and "2025" in t
               for t in legend_texts(left)), legend_texts(left)
    assert not any(">=" in t for t in legend_texts(left) + legend_texts(right))  # no raw encoding
    assert any("30,000" in t and "2025" in t for t in legend_texts(right))
    assert name in right.get_title()
    assert display_unit("亿元", lang) in right.get_ylabel()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_cluster_targets_are_marked_at_the_target_count_not_between_counts(yearly, lang):  # noqa: F811
    fig = cluster_counts(yearly, lang)
    ax = fig.axes[0]
    marks = [line for line in ax.get_lines() if line.get_marker() == "v"]
    assert sorted(round(float(line.get_xdata()[0])) for line in marks) == [2, 3]  # the 3 千亿级 and 2 万亿级 targets
    between = [line for line in ax.get_lines() if len(set(line.get_xdata())) == 1 and line.get_xdata()[0] % 1 == 0.5]
    assert not between
    assert all("2025" in t for t in legend_texts(ax)[1::2])  # each level's target entry has its year


def test_land_axis_starts_near_the_firms_land_with_a_note_and_the_grid_below(yearly):  # noqa: F811
    fig = land_balance(yearly, "en")
    ax = fig.axes[0]
    bottom = ax.get_ylim()[0]
    assert 0 < bottom <= yearly["land_firms_mu"].min() / 1e4
    assert any(f"starts at {bottom:g}" in t for t in texts_of(fig))
    assert ax.get_axisbelow() is True


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_morris_shows_units_separators_every_interval_and_names_only_the_largest(lang):
    fig = morris(lang)
    ax = fig.axes[0]
    assert display_unit("亿元", lang) in ax.get_xlabel() and display_unit("亿元", lang) in ax.get_ylabel()
    mu = morris_indices().query("index == 'mu_star'")
    assert ax.get_xlim()[1] >= mu["ci_high"].max()  # no interval cut at the axis
    assert any("," in t.get_text() for t in ax.get_xticklabels())
    named = [t for t in texts_of(fig) if t in {charts.factor_label(f, lang) for f in FACTORS}]
    assert named == [charts.factor_label(f, lang) for f in FACTORS[:6]][::-1] or set(named) == {
        charts.factor_label(f, lang) for f in FACTORS[:6]}
    assert "n = 20" in ax.get_title() and "260" in ax.get_title()


def test_sobol_chart_shows_n_and_runs_and_says_when_the_output_is_constant():
    fig = sobol("en")
    assert "n = 64" in fig.axes[0].get_title() and "896 runs" in fig.axes[0].get_title()
    constant = sobol("en", constant=True)
    assert "output constant: no indices" in texts_of(constant)
    assert not constant.axes[0].patches  # no empty bars that would read as "no factor matters"


def test_prim_box_names_scenario_and_target_explains_quasi_p_and_says_when_nothing_survived():
    fig = prim_box("en")
    title = fig.axes[0].get_title().replace("\n", " ")
    assert "Baseline" in title and "30,000" in title and "2025" in title
    assert any(t.startswith("quasi-p < 0.001") for t in texts_of(fig))
    assert any(t.startswith("quasi-p: ") for t in texts_of(fig))  # the note that says what it is
    empty = prim_box("en", restricted=False)
    assert any("no restriction survived pruning" in t for t in texts_of(empty))


def test_parks_charts_share_one_panel_order_and_one_line_titles(parks):  # noqa: F811
    orders = []
    for metric in ("output_yi", "leading_share"):
        fig = parks_chart(parks, "en", metric)
        titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_visible()]
        assert all("\n" not in t for t in titles)
        orders.append(titles)
    assert orders[0] == orders[1]
    assert max(len(n) for n in charts.park_names("en", short=True).values()) <= 34  # fits one line of a panel


def test_the_report_warns_instead_of_ranking_a_constant_output_as_the_chart_notes_it(tmp_path):
    from parkabm.experiments.analysis.sensitivity.analysis import SensitivityResult, report_text

    def indices(constant):
        return sobol_indices(constant).assign(scenario="baseline", output="total_output", n=64)

    noise = pd.DataFrame(columns=["scenario", "output", "replicates", "noise_share_single_run",
                                  "noise_share_averaged"])
    flat = report_text(SensitivityResult(tmp_path, "sobol", 64, indices(True), pd.DataFrame(), noise, []), 2025)
    assert "**Warning:** every index and interval is 0" in flat and "0.000 [0.000, 0.000]" not in flat
    varied = report_text(SensitivityResult(tmp_path, "sobol", 64, indices(False), pd.DataFrame(), noise, []), 2025)
    assert "**Warning:**" not in varied and "| 1 | `redevelopment_mu_per_year` | ST |" in varied


def test_the_discovery_summary_says_when_pruning_removed_every_restriction():
    from parkabm.experiments.analysis.discovery import describe_box

    _, box, stats = prim_result(restricted=False)
    assert "no restriction survived pruning" in describe_box(box, stats)
    _, box, stats = prim_result(restricted=True)
    assert "no restriction" not in describe_box(box, stats)
