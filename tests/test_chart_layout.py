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
