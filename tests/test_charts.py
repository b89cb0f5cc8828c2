"""Every chart renders in English and Chinese, as PNG and SVG, and Chinese text is set in a font that has its glyphs.

The data are small synthetic frames with the columns of ``parkabm run``'s outputs, so these tests never run the model.
The Chinese font is the one the project's ``zh`` extra installs (part of the ``test`` extra): a missing font is a
failure here, not a skip.
"""

import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text

from parkabm.experiments import charts
from parkabm.scenarios.errors import UserInputError

YEARS = range(2021, 2026)
REPS = 12
PARKS = ("hangzhou_etdz", "hangzhou_hitech", "chunan_edz", "gongshu_zone", "linkong_zone")
GROUPS = {"smart_iot": 2900, "digital_services": 6500, "traditional": 3500, "green_energy": 500}
SCENARIOS = ("baseline", "land_first", "my_edit")
CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")


@pytest.fixture(scope="module")
def yearly():
    rng = np.random.default_rng(1)
    rows = []
    for scenario in SCENARIOS:
        for r in range(REPS):
            level = rng.lognormal(0, 0.08)
            for i, year in enumerate(YEARS):
                row = {"scenario": scenario, "replicate": r, "year": year,
                       "total_output_yi": 20000 * level * 1.08**i, "leading_share": 0.48 + 0.015 * i * level,
                       "clusters_qianyi": float(rng.integers(4, 8)), "clusters_wanyi": float(rng.integers(0, 2)),
                       "land_firms_mu": 218000 + 1500 * i, "land_factory_mu": 2400.0 * i,
                       "land_pipeline_mu": 10000 + 2000 * i, "land_idle_mu": 46000 - 1900 * i,
                       "land_vacant_mu": 11000 - 1000 * i, "zone_industrial_land_mu": 285600 + 3000 * i}
                for group, base in GROUPS.items():
                    row[charts.GROUP_OUTPUT_COLUMN.format(group=group)] = base * level * 1.08**i
                rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def parks():
    rng = np.random.default_rng(2)
    rows = [{"replicate": r, "year": year, "park": park, "output_yi": (k + 1) * 300 * rng.lognormal(0, 0.1),
             "leading_share": 0.2 + 0.1 * k + 0.01 * (year - 2021)}
            for r in range(REPS) for year in YEARS for k, park in enumerate(PARKS)]
    return pd.DataFrame(rows)


def target(metric, value, p=0.35):
    return {"metric": metric, "target": value, "year": 2025, "comparison": ">=", "p_met": p, "ci_low": p - 0.1,
            "ci_high": p + 0.1}


def draw_fan(yearly, ax, lang):
    return charts.fan_chart(yearly[yearly.scenario == "baseline"], "total_output_yi", ax=ax, lang=lang,
                            target=target("total_output_yi", 30000), title=charts.scenario_label("baseline", lang))


def draw_distribution(yearly, ax, lang):
    p = pd.DataFrame({"scenario": SCENARIOS, "p_met": [0.3, 0.5, np.nan], "ci_low": [0.2, 0.4, np.nan],
                      "ci_high": [0.4, 0.6, np.nan]})
    return charts.scenario_distribution_chart(yearly, "leading_share", ax=ax, lang=lang,
                                              target=target("leading_share", 0.6), probabilities=p,
                                              names={"my_edit": {"en": "My edit", "zh": "我的方案"}[lang]})


def draw_clusters(yearly, ax, lang):
    return charts.cluster_chart(charts.group_outputs(yearly[yearly.scenario == "baseline"]), ax=ax, lang=lang)


def draw_cluster_counts(yearly, ax, lang):
    return charts.cluster_count_chart(yearly, ax=ax, lang=lang,
                                      targets={"clusters_qianyi": target("clusters_qianyi", 3),
                                               "clusters_wanyi": target("clusters_wanyi", 2)})


def draw_land(yearly, ax, lang):
    return charts.land_balance_chart(yearly, ax=ax, lang=lang)


ONE_AXES_CHARTS = {"fan": draw_fan, "distribution": draw_distribution, "clusters": draw_clusters,
                   "cluster_counts": draw_cluster_counts, "land_balance": draw_land}


def glyph_warnings(caught):
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def render(draw, path, fmt, lang):
    """Draw into a new figure and save it, inside the language's style; return the figure's texts and warnings."""
    import matplotlib.pyplot as plt

    with warnings.catch_warnings(record=True) as caught, plt.rc_context(charts.chart_rc(lang)):
        warnings.simplefilter("always")
        fig, ax = draw()
        charts.save_figure(fig, path, fmt)
    texts = [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
    return ax, texts, glyph_warnings(caught)


@pytest.mark.parametrize("fmt", ["png", "svg"])
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", sorted(ONE_AXES_CHARTS))
def test_chart_renders_without_missing_glyphs(yearly, tmp_path, name, lang, fmt):
    def draw():
        fig, ax = charts.new_figure()
        returned = ONE_AXES_CHARTS[name](yearly, ax, lang)
        assert returned is ax  # every chart function draws on the axes it is given and returns them
        return fig, ax

    path = tmp_path / f"{name}.{fmt}"
    _, texts, missing = render(draw, path, fmt, lang)
    assert path.stat().st_size > 5_000
    assert not missing, missing
    if lang == "zh":
        assert any(CJK.search(t) for t in texts), "a Chinese chart without Chinese text"
    else:
        assert not any(CJK.search(t) for t in texts), [t for t in texts if CJK.search(t)]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_park_small_multiples_draw_one_panel_per_park_with_its_name(parks, tmp_path, lang):
    def draw():
        fig, axes = charts.new_figure((7.8, 4.0), nrows=2, ncols=3)
        returned = charts.park_small_multiples(parks, "leading_share", axes=axes, lang=lang, reference=0.6,
                                               title=charts.label("parks_title_leading_share", lang))
        return fig, returned

    axes, _, missing = render(draw, tmp_path / "parks.png", "png", lang)
    assert not missing, missing
    visible = [ax for ax in axes if ax.get_visible()]
    assert len(visible) == len(PARKS)
    names = charts.park_names(lang, short=True)
    titles = [ax.get_title(loc="left").replace("\n", " ") for ax in visible]
    assert titles[0] == names["linkong_zone"]  # ordered by first-year value, largest first
    assert set(titles) == {names[p] for p in PARKS}
    assert len({ax.get_ylim() for ax in visible}) == 1  # shares share one scale


def test_park_small_multiples_need_enough_axes(parks):
    _, axes = charts.new_figure(nrows=1, ncols=2)
    with pytest.raises(ValueError, match="5 parks"):
        charts.park_small_multiples(parks, axes=axes)


def test_chinese_labels_have_glyphs_in_the_font_that_sets_them():
    family = charts.chart_rc("zh")["font.sans-serif"][0]
    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    charmap = FT2Font(path).get_charmap()
    texts = [v["zh"] for v in charts.LABELS.values()] + list(charts.park_names("zh").values())
    chinese = {c for t in texts for c in t if CJK.match(c)}
    assert len(chinese) > 100
    assert not {c for c in chinese if ord(c) not in charmap}


def test_the_project_font_is_installed_and_used():
    """The ``zh`` extra (in the ``test`` extra) provides the font, so CI checks the project's own install steps."""
    path = charts.packaged_cjk_font()
    assert path is not None and path.suffix in (".otf", ".ttf")
    assert charts.find_cjk_font() == FT2Font(str(path)).family_name


def test_no_chinese_font_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(charts.style, "packaged_cjk_font", lambda: None)
    monkeypatch.setattr(charts.style, "CJK_FONTS", ("No Such CJK Font",))
    with pytest.raises(UserInputError, match=r"parkabm\[zh\]"):
        charts.language_rc("zh")
    assert charts.language_rc("en")["font.sans-serif"] == ["DejaVu Sans"]


def test_every_label_has_both_languages_and_english_needs_no_cjk_font():
    for key, text in charts.LABELS.items():
        assert set(text) == {"en", "zh"}, key
        assert not CJK.search(text["en"]), key
        assert CJK.search(text["zh"]) or key in ("p_met_short",), key
    assert not any(CJK.search(n) for n in charts.park_names("en").values())


def test_importing_the_charts_changes_no_global_state():
    code = ("import matplotlib as mpl; from matplotlib import font_manager as fm; before = dict(mpl.rcParams); "
            "n = len(fm.fontManager.ttflist); import parkabm.experiments.charts, parkabm.experiments.charts.plot; "
            "assert dict(mpl.rcParams) == before; assert len(fm.fontManager.ttflist) == n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_group_outputs_make_a_tidy_frame(yearly):
    tidy = charts.group_outputs(yearly)
    assert set(tidy.columns) == {"scenario", "replicate", "year", "group", "output_yi"}
    assert set(tidy["group"]) == set(GROUPS)
    assert len(tidy) == len(yearly) * len(GROUPS)
    assert charts.group_outputs(yearly[["replicate", "year", "total_output_yi"]]).empty


def test_values_and_targets_are_formatted_for_readers():
    assert charts.format_value("total_output_yi", 30000) == "30,000"
    assert charts.format_value("leading_share", 0.6) == "60%"
    assert charts.format_value("rd_to_gdp", 0.038) == "3.8%"
    assert charts.target_label("total_output_yi", target("total_output_yi", 30000), "zh") == "目标：2025年≥30,000亿元"
    assert charts.target_label("total_output_yi", target("total_output_yi", 30000), "en") == (
        "target: ≥ 30,000 (100 million yuan) in 2025")
    assert charts.target_label("leading_share", target("leading_share", 0.6), "en") == "target: ≥ 60% in 2025"
    assert charts.scenario_label("land_first", "zh") == "空间优先"
    assert charts.scenario_label("my_policy", "zh") == "my_policy"


def test_the_missing_glyph_check_catches_tofu(tmp_path):
    """The check above is not vacuous: Chinese text in the English fonts warns."""
    def draw():
        fig, ax = charts.new_figure()
        ax.set_title("主导产业占比")
        return fig, ax

    _, _, missing = render(draw, tmp_path / "tofu.png", "png", "en")
    assert missing
