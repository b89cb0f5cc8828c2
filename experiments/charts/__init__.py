"""Publication charts in one project style, labelled in English or Chinese (README, "Charts").

Plot functions take a tidy DataFrame and an optional ``ax`` and return the ``ax``; they never run the model. Labels
come from :data:`LABELS`, one table for both languages; park names from ``parks.csv`` (``name_zh``/``name_en``).
Chinese labels need a CJK font: :func:`language_rc` uses Noto Sans SC from the optional ``zh`` extra
(``pip install 'parkabm[zh]'``, registered with matplotlib when first asked for, never at import) or a CJK font
installed on the system, and fails with a message naming how to install one rather than drawing empty boxes.

The charts a projection supports:

- :func:`fan_chart` — one metric over the years, replicate bands, the target line and P(target);
- :func:`scenario_distribution_chart` — several scenarios' distributions of one metric in one year;
- :func:`park_small_multiples` — one panel per park over the years (output, leading-industry share, …);
- :func:`cluster_chart` — output of each sector group against the 千亿级/万亿级 levels
  (needs per-group output columns, see :func:`group_outputs`); :func:`cluster_count_chart` — how many clusters
  reach each level;
- :func:`land_balance_chart` — how the zones' industrial land is used over the years.
"""

from __future__ import annotations

from parkabm.experiments.charts.clusters import (  # noqa: F401
    GROUP_OUTPUT_COLUMN,
    cluster_chart,
    cluster_count_chart,
    group_outputs,
)
from parkabm.experiments.charts.comparison import (  # noqa: F401
    comparison_chart,
)
from parkabm.experiments.charts.discovery import (  # noqa: F401
    prim_box_chart,
    prim_tradeoff_chart,
)
from parkabm.experiments.charts.labels import (  # noqa: F401
    LABELS,
    LANGUAGES,
    PARK_NAME_SHORTENINGS,
    PERCENT_METRICS,
    check_language,
    class_title,
    factor_label,
    format_value,
    group_label,
    is_share,
    label,
    metric_label,
    park_names,
    scenario_label,
    target_label,
    value_with_unit,
    zh_brackets,
)
from parkabm.experiments.charts.land import (  # noqa: F401
    LAND_PARTS,
    land_balance_chart,
)
from parkabm.experiments.charts.parks import (  # noqa: F401
    park_small_multiples,
)
from parkabm.experiments.charts.projection import (  # noqa: F401
    fan_chart,
    projection_charts,
    quantile_table,
    scenario_distribution_chart,
)
from parkabm.experiments.charts.sensitivity import (  # noqa: F401
    morris_chart,
    sensitivity_chart,
)
from parkabm.experiments.charts.style import (  # noqa: F401
    CJK_FONTS,
    COLOUR,
    DPI,
    FORMATS,
    PACKAGED_CJK_FONT,
    TARGET_COLOUR,
    ZH_FONT_HINT,
    chart_file,
    chart_rc,
    check_format,
    find_cjk_font,
    language_rc,
    legend_below,
    new_axes,
    new_figure,
    note,
    packaged_cjk_font,
    percent,
    project_style,
    save_figure,
    use_language,
    use_style,
    value_axis,
    year_ticks,
)
