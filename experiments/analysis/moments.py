"""Calibration moments: what the model is compared with, how its analogue is measured, and how much each weighs.

A calibration run is a back-cast: the model starts in :data:`CALIBRATION_BASE_YEAR` from the 2021 world deflated
along the sourced history (:func:`parkabm.model.city.backcast_factors`) and runs to 2021 under the pre-2022 policy.
While it runs, an :class:`Observer` records, after every year, the statistics the moments need (:data:`STATISTICS`:
comparable-basis growth rates, zone output levels, firm-size facts, 亩均 levels) into a tidy frame with columns
``year``, ``statistic``, ``value``. :func:`moment_table` reads the sourced values from ``history.csv`` and
``concentration.csv`` and attaches to each the model statistic it is compared with and its standard deviation;
:func:`moment_values` reads one run's statistics into one value per moment.

Only figures for years up to :data:`LAST_DATA_YEAR` (2021) are used: later years are what the model projects.

**Weights.** Each moment has ``sd² = sd_data² + sd_extra²`` (plus the model's own spread across seeds, added by
:mod:`parkabm.experiments.analysis.calibration`):

- ``sd_data``: the measurement uncertainty of the figure: a quarter of its low–high range where
  ``history.csv`` gives one, else by its confidence mark (:data:`MEASUREMENT_SD`);
- ``sd_extra``: what the model cannot represent, stated per moment: year-to-year macro shocks (the model has
  trend growth only; :func:`macro_growth_sd` measures their size from the sourced growth series), a zone's own
  shocks, the gap between a city figure and the zones' analogue.

The objective is then a sum of squared standardised residuals, χ²-like, so a rise of 3.84 above its minimum
marks a 95% interval for one parameter.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

CALIBRATION_BASE_YEAR = 2019
"""First year of a calibration back-cast: 2020 and 2021 growth are then outcomes of the model."""

LAST_DATA_YEAR = 2021
"""Last year of data used; later figures are never compared with the model."""

DIGITAL_SECTORS = ("integrated_circuits", "artificial_intelligence", "smart_iot", "software_information",
                   "internet_platforms")
"""Sectors taken as the zones' part of 数字经济核心产业 (digital-product manufacturing, software and information
services, internet platforms). assumed: the statistical definition also counts digital trade and telecoms, which the
model does not hold."""

CONCENTRATION_YEAR = 2021
"""Firm-size facts of this year are moments; the c.2014 facts and the city's 百强 (group revenue, partly outside
the zones) only shaped the size law (docs/ODD.md §5)."""

MEASUREMENT_SD = {
    "growth": {"O": 0.003, "M": 0.005, "I": 0.010},
    "relative": {"O": 0.01, "M": 0.03, "I": 0.08},
}
"""Measurement sd of a figure without a range, by its confidence mark (DATA-SOURCES: O official or mainstream news,
M seen on a mirror or repost, I inference): absolute for growth rates, relative to the value for levels, counts and
shares. assumed: revisions of Chinese city statistics are of a few tenths of a point for growth and a few percent
for levels."""

ZONE_VS_CITY_SD = 0.01
"""sd of the gap between the zones' growth and the city's in a year. assumed: the zones are >60% of the city's
规上 industry (DATA-SOURCES), so their growth can differ from the city's by about a point."""

ZONE_OWN_SD = 0.08
"""sd of one zone's yearly growth around the city's: new plants, relocations and boundary changes the model does
not have. assumed: 余杭经开区 grew +23.2% in 2021 against the city's +10.6% (DATA-SOURCES), a gap of 12.6 points;
range 0.05–0.12."""

SECTOR_OWN_SD = 0.03
"""sd of the gap between a city sector's growth and the zones' part of it. assumed: the zones hold most of the
city's 集成电路 output (360 of ≈383亿, scenarios/data/README.md)."""

INVESTMENT_SWING_SD = 0.15
"""sd of a year's growth of manufacturing investment around its trend. assumed: Chinese city investment growth
swings by tens of points a year; the model has no investment cycle."""

DEFLATOR_2021 = 4100.0 / 3634.0 / 1.106 - 1.0
"""Implied 2021 price change of 规上工业增加值: nominal 3634 → 4100亿 against +10.6% real (DATA-SOURCES); used to
turn the model's real 2021 growth into the nominal growth of 余杭经开区's output. assumed: output prices moved
like value-added prices."""

CITY_INDUSTRIAL_OUTPUT_2021 = (2021, "city", "guishang_industrial_output_yi")
"""history.csv key of the city's 2021 规上工业总产值 (derived: 4100亿 ÷ value-added rate 0.235; range 16400–18636)."""


@dataclass(frozen=True)
class MomentSpec:
    """How one sourced figure is compared with the model.

    Attributes:
        name: Identifier of the moment.
        label: What the figure is, in a few English words (chart labels need no CJK font).
        data_key: ``(year, entity, metric)`` of ``history.csv``, or ``("fact", fact_id)`` of
            ``concentration.csv`` (with ``fact_field`` naming the column).
        statistic: The model statistic compared with it (see :data:`STATISTICS`).
        year: The year of the model statistic.
        kind: ``equal`` (two-sided) or ``at_least`` (the figure is a lower bound: "more than X").
        extra_sd: Representation sd (absolute, or relative when ``extra_relative``).
        extra_relative: Whether ``extra_sd`` is relative to the figure.
        extra_macro: Add the yearly macro-shock sd (:func:`macro_growth_sd`) to the representation sd.
        deflator: The figure is nominal: compare with ``(1 + model) · (1 + deflator) − 1``.
        role: ``fit`` (in the objective) or ``check`` (reported only: the model value is set by the data the back-cast
            starts from, not by the fitted parameters).
        note: The analogue and the assumptions behind its sd.
        fact_field: For concentration facts: ``firm_count`` or ``share_of_output``.
        term: The figure's Chinese statistical term, for the report.
    """

    name: str
    label: str
    data_key: tuple
    statistic: str
    year: int
    kind: str = "equal"
    extra_sd: float = 0.0
    extra_relative: bool = False
    extra_macro: bool = False
    deflator: float = 0.0
    role: str = "fit"
    note: str = ""
    fact_field: str = ""
    term: str = ""


def _growth(name, label, term, key, statistic, year, *, extra, note, deflator=0.0) -> MomentSpec:
    return MomentSpec(name, label, key, statistic, year, term=term, extra_sd=extra, extra_macro=True,
                      deflator=deflator, note=note)


MOMENT_SPECS: tuple[MomentSpec, ...] = (
    _growth("city_industrial_va_growth_2020", "Industrial value added, real growth 2020", "规上工业增加值",
            (2020, "city", "guishang_industrial_va_growth"), "industrial_va_growth", 2020, extra=ZONE_VS_CITY_SD,
            note="model: real value added of the zones' 规上 industrial firms, comparable basis (this year's 规上 "
                 "firms against their own last year); assumed: the zones' growth tracks the city's"),
    _growth("city_industrial_va_growth_2021", "Industrial value added, real growth 2021", "规上工业增加值",
            (2021, "city", "guishang_industrial_va_growth"), "industrial_va_growth", 2021, extra=ZONE_VS_CITY_SD,
            note="as for 2020"),
    _growth("digital_va_growth_2020", "Digital-core value added, growth 2020", "数字经济核心产业增加值",
            (2020, "city", "digital_core_va_growth"), "digital_va_growth", 2020, extra=ZONE_VS_CITY_SD,
            note="model: real value added of 规上 firms in the digital sectors (IC, AI, smart IoT, software, "
                 "platforms), comparable basis"),
    _growth("digital_va_growth_2021", "Digital-core value added, growth 2021", "数字经济核心产业增加值",
            (2021, "city", "digital_core_va_yi"), "digital_va_growth", 2021, extra=ZONE_VS_CITY_SD,
            note="the figure is derived from the levels 4290 → 4905亿 (nominal; digital prices taken as flat)"),
    _growth("ic_output_growth_2020", "Integrated-circuit output, growth 2020", "集成电路",
            (2020, "city", "ic_growth"), "ic_output_growth", 2020, extra=math.hypot(ZONE_VS_CITY_SD, SECTOR_OWN_SD),
            note="model: real output of 规上 IC firms, comparable basis; prices taken as flat in 2020"),
    _growth("yuhang_output_growth_2021", "Yuhang ETDZ output, growth 2021", "余杭经开区 规模工业总产值",
            (2021, "yuhang_etdz", "industrial_output_growth"), "park_output_growth:yuhang_etdz", 2021,
            extra=ZONE_OWN_SD, deflator=DEFLATOR_2021,
            note="model: real 规上 industrial output of the zone, comparable basis, made nominal with the implied "
                 "2021 value-added deflator; one zone in one year, so its own shocks weigh in"),
    MomentSpec("yuhang_output_2021", "Yuhang ETDZ output 2021 (100m yuan)", (2021, "yuhang_etdz",
               "industrial_output_yi"), "park_output:yuhang_etdz", 2021, term="余杭经开区 规模工业总产值",
               extra_sd=ZONE_OWN_SD * math.sqrt(2), extra_relative=True,
               note="an outcome of the 2019 start (the 2021 world deflated along the city's growth) and two years "
                    "of the zone's growth, so it checks that the zone does not drift from the city; the zone's own "
                    "shocks over two years weigh in"),
    MomentSpec("hangzhou_etdz_output_2021", "Hangzhou ETDZ output 2021 (100m yuan)", (2021, "hangzhou_etdz",
               "guishang_industrial_output_yi"), "park_output:hangzhou_etdz", 2021, term="杭州经开区 规上工业产值",
               kind="at_least", extra_sd=ZONE_OWN_SD * math.sqrt(2), extra_relative=True,
               note="one-sided (more than 3000亿); the data files take the zone as all of 钱塘 (3300亿 in 2021)"),
    MomentSpec("zones_share_of_city_2021", "Zones' share of city industrial output 2021", (2021, "zones",
               "share_of_guishang_industrial_output"), "zones_share_of_city", 2021, term="占全市规上工业总产值",
               kind="at_least", extra_sd=ZONE_VS_CITY_SD * math.sqrt(2), extra_relative=True,
               note="model: the zones' 2021 规上 industrial output over the city's derived 17447亿 (range "
                    "16400–18636, whose spread is added); one-sided"),
    MomentSpec("investment_growth_2021", "Manufacturing investment, growth 2021", (2021, "city",
               "manufacturing_investment_growth"), "investment_growth", 2021, term="制造业投资",
               extra_sd=INVESTMENT_SWING_SD, role="check",
               note="model: growth of the zones' fixed-asset investment (projects, 技术改造, standard factories). "
                    "Not fitted: in the back-cast it follows how fast the zones' vacant land (2021 stocks, no "
                    "earlier figure) is taken up by projects, not an investment cycle, which the model does not have"),
)
"""Moments from ``history.csv`` (growth rates, 2021 levels); firm-size facts are added by :func:`moment_table`."""

CHECK_SPECS: tuple[MomentSpec, ...] = (
    MomentSpec("zijingang_output_2019", "Zijingang output 2019 (100m yuan)", (2019, "zijingang_sci_city",
               "guishang_output_yi"), "park_output:zijingang_sci_city", 2019, term="紫金港科技城 规上总产值",
               role="check",
               note="the start of the back-cast (set by the data: 252亿 in 2021 ÷ the city's growth, 2021 prices)"),
    MomentSpec("zijingang_tax_per_mu_2019", "Zijingang tax per mu 2019 (10k yuan)", (2019, "zijingang_sci_city",
               "tax_per_mu_wan"), "park_tax_per_mu:zijingang_sci_city", 2019, term="紫金港科技城 亩均税收",
               role="check", note="set by sector tax ratios and the zone's land (data files), not by behaviour"),
    MomentSpec("zijingang_va_per_mu_2019", "Zijingang value added per mu 2019 (10k yuan)", (2019,
               "zijingang_sci_city", "va_per_mu_wan"), "park_va_per_mu:zijingang_sci_city", 2019,
               term="紫金港科技城 亩均增加值", role="check",
               note="set by sector value-added rates and the zone's land (data files)"),
    MomentSpec("hangzhou_etdz_leading_share_2021", "Hangzhou ETDZ: five leading industries' share 2021", (2021,
               "hangzhou_etdz", "five_leading_share"),
               "sector_share:hangzhou_etdz:nev_auto+biomedicine+integrated_circuits+chemicals+new_materials+aerospace",
               2021, term="车药芯化航 占比", role="check",
               note="the 2021 composition is data (park_sectors.csv: 0.85); in the back-cast it is the start tilted "
                    "back and grown again, so it moves little"),
    MomentSpec("yuhang_leading_share_2021", "Yuhang ETDZ: three leading industries' share 2021", (2021,
               "yuhang_etdz", "three_leading_share"),
               "sector_share:yuhang_etdz:high_end_equipment+biomedicine+home_textiles_fashion", 2021,
               term="高端装备+生物医药+家纺时尚 占比", role="check", kind="at_least",
               note="as for Hangzhou ETDZ (park_sectors.csv: 0.92); one-sided (more than 90%)"),
    MomentSpec("zones_tax_per_mu_2019", "Zones' tax per mu 2019 vs Zhejiang 2017 (10k yuan)", (2017, "zhejiang",
               "guishang_tax_per_mu_wan"), "tax_per_mu", 2019, term="规上 亩均税收", role="check", kind="at_least",
               note="the province's 2017 average against the zones in 2019: the zones should be at or above it"),
)
"""Sourced figures reported beside the fit but not fitted: the model's value is fixed by the data it starts from."""

NOT_USED = {
    "亩均 class split (one county, 2022: A 10.7%, B 35.2%, C 46.1%, D 8.0%)":
        "after 2021, and a scheme of absolute score thresholds; the model classes by quantile cut-offs (a lever), so "
        "its split equals the cut-offs whatever the parameters",
    "杭州制造业百强 2021 (8 firms >1000亿, 26 at 100–1000亿, entry 14.93亿)":
        "group revenue, partly earned outside the zones and the city; it only shaped the firm-size law",
    "c.2014 firm counts (杭州经开区 ≈200 firms ≥1亿; 萧山经开区 210 规上, 98 ≥1亿)":
        "before the back-cast starts; they only shaped the firm-size law",
    "zones' shares of GDP (>50%) and fiscal revenue (>40%)":
        "the model has neither the zones' GDP nor their fiscal revenue (the GDP share sets a parameter directly)",
    "杭州经开区 R&D intensity 4.54%": "the sources do not say of what (GDP, revenue, 规上 industry)",
    "city GDP levels and growth":
        "not modelled; used only to size the macro shocks (macro_growth_sd) and to back-cast other services",
    "Zhejiang 亩均税收 growth 2017 (+17.5%)": "one provincial year before the back-cast, with tax-policy changes",
}
"""Sourced figures up to 2021 that are not compared with the model, and why (the report lists them)."""

STATISTICS = (
    "industrial_va_growth", "digital_va_growth", "ic_output_growth", "investment_growth", "zones_share_of_city",
    "tax_per_mu", "park_output:<park>", "park_output_growth:<park>", "park_tax_per_mu:<park>",
    "park_va_per_mu:<park>", "count_ge:<park>:<sector|all>:<threshold>", "share_ge:<park>:<sector|all>:<threshold>",
    "top_share:<park>:<sector|all>:<n>", "sector_share:<park>:<sector+sector+…>",
)
"""Statistics an :class:`Observer` records (``<park>`` etc. are filled in from the moments)."""


# ------------------------------------------------------------------------------------------ pure helpers


def comparable_growth(now: np.ndarray, before: np.ndarray, members: np.ndarray) -> float:
    """Growth on a comparable basis (可比口径): this year's members against their own values a year before.

    Chinese statistics compute the growth of 规上 aggregates over the enterprises that are 规上 this year, each
    compared with its own figure of last year (zero for a firm that did not yet produce), so firms that exited or
    dropped out of the 规上 set leave both years.

    Args:
        now: This year's value per firm.
        before: Last year's value per firm (zero for new firms).
        members: Firms in this year's set.

    Returns:
        ``Σ now / Σ before − 1`` over the members (NaN when the base is zero).
    """
    base = float(before[members].sum())
    return float(now[members].sum()) / base - 1.0 if base > 0 else float("nan")


def top_share(values: np.ndarray, n: int) -> float:
    """Share of the total held by the ``n`` largest values (NaN when the total is zero)."""
    total = float(values.sum())
    if total <= 0 or n <= 0:
        return float("nan")
    return float(np.sort(values)[::-1][:n].sum() / total)


def macro_growth_sd(history: pd.DataFrame, *, last_year: int = LAST_DATA_YEAR) -> float:
    """Pooled year-to-year sd of the city's sourced growth series: the size of the macro shocks the model lacks.

    Series: 规上工业增加值 real growth, 数字经济核心产业增加值 growth (the 2021 value from the levels) and GDP real
    growth, each over the years ≤ ``last_year`` that have a figure. The within-series variances are pooled with
    ``n − 1`` degrees of freedom each.

    Args:
        history: ``history.csv``.
        last_year: Last year used.

    Returns:
        The pooled sd (a growth rate; NaN when no series has two years).
    """
    from parkabm.model.city import sourced_growth

    ss, dof = 0.0, 0
    for stem in ("guishang_industrial_va", "digital_core_va", "gdp"):
        rows = history[(history["entity"] == "city") & history["metric"].isin([f"{stem}_growth", f"{stem}_yi"])]
        years = sorted(y for y in set(rows["year"].astype(int)) if y <= last_year)
        values = [g for y in years if (g := sourced_growth(history, "city", stem, y)) is not None]
        if len(values) >= 2:
            v = np.asarray(values)
            ss += float(((v - v.mean()) ** 2).sum())
            dof += len(v) - 1
    return math.sqrt(ss / dof) if dof else float("nan")


def city_industrial_output(history: pd.DataFrame) -> float:
    """Return the city's 2021 规上工业总产值 from ``history.csv`` (the denominator of the zones' share)."""
    year, entity, metric = CITY_INDUSTRIAL_OUTPUT_2021
    rows = history[(history["year"] == year) & (history["entity"] == entity) & (history["metric"] == metric)]
    return float(rows["value"].iloc[0]) if len(rows) else float("nan")


# ------------------------------------------------------------------------------------------ the moment table


def _measurement_sd(value: float, low: float, high: float, confidence: str, is_growth: bool) -> float:
    if not (math.isnan(low) or math.isnan(high)) and high > low:
        return (high - low) / 4.0
    conf = confidence if confidence in MEASUREMENT_SD["growth"] else "I"
    if is_growth:
        return MEASUREMENT_SD["growth"][conf]
    return MEASUREMENT_SD["relative"][conf] * abs(value)


PLACE_NAMES = {("yuhang_etdz", "all"): "Yuhang ETDZ", ("hangzhou_etdz", "biomedicine"): "Qiantang life health"}
"""Short English names of the populations the firm-size facts describe (labels of the report and charts)."""


def _size(threshold_yi: float) -> str:
    """A size threshold in 亿元 as English words (100m yuan = 1亿)."""
    yuan = threshold_yi * 1e8
    return f"{yuan / 1e9:g}bn" if yuan >= 1e9 else f"{yuan / 1e6:g}m"


def _concentration_specs(concentration: pd.DataFrame) -> list[MomentSpec]:
    specs = []
    for row in concentration.itertuples(index=False):
        if f"_{CONCENTRATION_YEAR}" not in str(row.fact) or row.entity == "city":
            continue
        sector = row.sector if isinstance(row.sector, str) and row.sector else "all"
        where = f"{row.entity}:{sector}"
        place = PLACE_NAMES.get((row.entity, sector), f"{row.entity} {sector}")
        note = "firm-size fact; model: 规上 industrial firms of the zone in 2021 (real output, 2021 prices)"
        if not pd.isna(row.top_n):
            n = int(row.top_n)
            specs.append(MomentSpec(
                f"{row.fact}_share", f"{place}: top {n} firms' share of output", ("fact", row.fact),
                f"top_share:{where}:{n}", CONCENTRATION_YEAR, fact_field="share_of_output", note=note,
                term="企业规模分布"))
            continue
        threshold = float(row.threshold_yi)
        specs.append(MomentSpec(
            f"{row.fact}_count", f"{place}: firms with output ≥ {_size(threshold)} yuan", ("fact", row.fact),
            f"count_ge:{where}:{threshold:g}", CONCENTRATION_YEAR, fact_field="firm_count", term="企业规模分布",
            note=note + "; counts are divided by the population scale"))
        if not pd.isna(row.share_of_output):
            specs.append(MomentSpec(
                f"{row.fact}_share", f"{place}: share of output in firms ≥ {_size(threshold)} yuan",
                ("fact", row.fact), f"share_ge:{where}:{threshold:g}", CONCENTRATION_YEAR, kind="at_least",
                fact_field="share_of_output", term="企业规模分布", note=note + "; the figure is a lower bound (>)"))
    return specs


def moment_table(world, *, specs: Iterable[MomentSpec] | None = None, checks: bool = True) -> pd.DataFrame:
    """Return the moments: one row per sourced figure compared with the model, with its weights' ingredients.

    Args:
        world: The world (its ``history`` and ``concentration`` tables are read).
        specs: Moment specifications (default: :data:`MOMENT_SPECS`, the 2021 firm-size facts, and, if
            ``checks``, :data:`CHECK_SPECS`).
        checks: Include the reported-only checks.

    Returns:
        Columns ``moment, label, term, statistic, year, data_year, data, kind, sd_data, sd_extra, sd, deflator, role,
        source, confidence, note``; ``sd = √(sd_data² + sd_extra²)``. No row has a ``data_year`` or ``year`` after
        :data:`LAST_DATA_YEAR`.

    Raises:
        KeyError: A specification names a figure the data files do not have.
    """
    history = world.history
    concentration = world.concentration.set_index("fact", drop=False)
    if specs is None:
        specs = [*MOMENT_SPECS, *_concentration_specs(world.concentration), *(CHECK_SPECS if checks else ())]
    macro = macro_growth_sd(history)
    rows = []
    for spec in specs:
        if spec.data_key[0] == "fact":
            fact = concentration.loc[spec.data_key[1]]
            value = float(fact[spec.fact_field])
            data_year = CONCENTRATION_YEAR
            low = high = float("nan")
            source = str(fact["source"])
            confidence = "O" if "(O)" in source else ("I" if "(I)" in source else "M")
            is_growth = False
        else:
            year, entity, metric = spec.data_key
            match = history[(history["year"] == year) & (history["entity"] == entity) & (history["metric"] == metric)]
            if match.empty:
                raise KeyError(f"history.csv has no {metric} of {entity} in {year}")
            row = match.iloc[0]
            data_year = int(year)
            source, confidence = str(row["source"]), str(row["confidence"])
            low, high = float(row["low"]), float(row["high"])
            if metric.endswith("_yi") and spec.statistic.endswith("growth"):
                # A growth rate derived from two sourced levels.
                from parkabm.model.city import sourced_growth

                value = sourced_growth(history, entity, metric.removesuffix("_yi"), int(year))
                low = high = float("nan")
                confidence = "I"
                source = f"{source}; growth derived from the {int(year) - 1} and {int(year)} levels"
            else:
                value = float(row["value"])
            is_growth = spec.statistic.endswith("growth")
        sd_data = _measurement_sd(value, low, high, confidence, is_growth)
        extra = spec.extra_sd * (abs(value) if spec.extra_relative else 1.0)
        if spec.extra_macro:
            extra = math.hypot(extra, macro)
        if spec.statistic == "zones_share_of_city":
            city = history.set_index(["year", "entity", "metric"]).loc[CITY_INDUSTRIAL_OUTPUT_2021]
            sd_data = math.hypot(sd_data, value * (city["high"] - city["low"]) / 4.0 / city["value"])
        rows.append({
            "moment": spec.name, "label": spec.label, "term": spec.term, "statistic": spec.statistic, "year": spec.year,
            "data_year": data_year, "data": value, "kind": spec.kind, "sd_data": sd_data, "sd_extra": extra,
            "sd": math.hypot(sd_data, extra), "deflator": spec.deflator, "role": spec.role, "source": source,
            "confidence": confidence, "note": spec.note,
        })
    table = pd.DataFrame(rows)
    late = table[(table["year"] > LAST_DATA_YEAR) | (table["data_year"] > LAST_DATA_YEAR)]
    if not late.empty:
        raise ValueError(f"moments after {LAST_DATA_YEAR}: {list(late['moment'])}")
    return table


def moment_values(statistics: pd.DataFrame, moments: pd.DataFrame) -> np.ndarray:
    """Return the model's value of each moment from one run's statistics.

    Args:
        statistics: Columns ``year, statistic, value`` (an :class:`Observer`'s record of one run).
        moments: The moment table (:func:`moment_table`).

    Returns:
        One value per moment row, nominal where the figure is (``deflator``); NaN where the run has no such
        statistic.
    """
    rows = statistics[["year", "statistic", "value"]].itertuples(index=False)
    keys = list(zip(moments["year"].astype(int), moments["statistic"], strict=True))
    return values_from_rows(rows, keys, moments["deflator"].to_numpy(dtype=float))


def values_from_rows(rows: Iterable[tuple[int, str, float]], keys: list[tuple[int, str]],
                     deflators: np.ndarray) -> np.ndarray:
    """Return the value of each ``(year, statistic)`` key from ``(year, statistic, value)`` rows (NaN if absent).

    The fast path of :func:`moment_values`, used inside the calibration loop.
    """
    lookup = {(int(y), s): v for y, s, v in rows}
    out = np.array([lookup.get(k, np.nan) for k in keys], dtype=float)
    nominal = deflators != 0
    out[nominal] = (1.0 + out[nominal]) * (1.0 + deflators[nominal]) - 1.0
    return out


def residuals(model_mean: np.ndarray, moments: pd.DataFrame, sd: np.ndarray) -> np.ndarray:
    """Standardised residuals ``(model − data) / sd``; for ``at_least`` moments only a shortfall counts."""
    data = moments["data"].to_numpy(dtype=float)
    r = (model_mean - data) / sd
    at_least = (moments["kind"] == "at_least").to_numpy()
    r[at_least] = np.minimum(r[at_least], 0.0)
    return r


# ------------------------------------------------------------------------------------------ observation


def _parse(statistic: str) -> tuple[str, list[str]]:
    head, *rest = statistic.split(":")
    return head, rest


class Observer:
    """Record, after each year of a run, the statistics a moment table asks for.

    Comparable-basis growth needs each firm's value of last year, so the observer keeps each firm's real output
    and value added from its previous call (rows are never deleted, new firms are appended). Outputs are real (the
    model's output over its price index): in a back-cast they are in 2021 prices, like the 2021 figures.

    Args:
        model: The :class:`parkabm.model.city.ParkModel` being run.
        statistics: The statistic names to record (e.g. ``moment_table(...)["statistic"].unique()``).
    """

    def __init__(self, model, statistics: Iterable[str]):
        self.model = model
        self.rows: list[tuple[int, str, float]] = []
        self._prev_output = np.zeros(0)
        self._prev_va = np.zeros(0)
        self._prev_fai: float | None = None
        park = {pid: i for i, pid in enumerate(model.park_ids)}
        sector = {sid: i for i, sid in enumerate(model.sector_ids)}
        self._digital = np.isin(np.array(model.sector_ids), DIGITAL_SECTORS)
        self._ic = sector.get("integrated_circuits", -1)
        self._city_output = city_industrial_output(model.world.history)
        self._plan = []
        for stat in dict.fromkeys(statistics):
            head, args = _parse(stat)
            number = float(args[2]) if len(args) > 2 else None
            if head == "sector_share":
                where = (park[args[0]], -1)
                number = np.array([sector[x] for x in args[1].split("+")])
            else:
                where = (park[args[0]], -1 if len(args) < 2 or args[1] == "all" else sector[args[1]]) if args else None
            self._plan.append((stat, head, where, number))

    def record(self) -> None:
        """Record this year's statistics (growth statistics from the second call on)."""
        model = self.model
        f = model.firms
        n = f.n
        real = f.output_yi / model.price
        va = real * f.value_added_rate
        prev_out = np.zeros(n)
        prev_out[: len(self._prev_output)] = self._prev_output
        prev_va = np.zeros(n)
        prev_va[: len(self._prev_va)] = self._prev_va
        first = len(self._prev_output) == 0
        gs = f.guishang
        gi = gs & f.industrial
        space = f.land_mu + f.floor_mu
        fai = float(model.counts["fai_yi"]) / model.price
        scale = model.scale
        masks: dict[tuple[int, int], np.ndarray] = {}

        def firms_in(where: tuple[int, int]) -> np.ndarray:
            if where not in masks:
                mask = gi & (f.park == where[0])
                masks[where] = mask if where[1] < 0 else mask & (f.sector == where[1])
            return masks[where]

        for stat, head, where, number in self._plan:
            value = float("nan")
            if head == "industrial_va_growth" and not first:
                value = comparable_growth(va, prev_va, gi)
            elif head == "digital_va_growth" and not first:
                value = comparable_growth(va, prev_va, gs & self._digital[f.sector])
            elif head == "ic_output_growth" and not first:
                value = comparable_growth(real, prev_out, gs & (f.sector == self._ic))
            elif head == "investment_growth" and self._prev_fai:
                value = fai / self._prev_fai - 1.0
            elif head == "zones_share_of_city":
                value = float(real[gi].sum()) / self._city_output
            elif head == "tax_per_mu":
                value = _per_mu(real * f.tax_ratio, space, gi)
            elif head == "park_output":
                value = float(real[firms_in(where)].sum())
            elif head == "park_output_growth" and not first:
                value = comparable_growth(real, prev_out, firms_in(where))
            elif head == "park_tax_per_mu":
                value = _per_mu(real * f.tax_ratio, space, firms_in(where))
            elif head == "park_va_per_mu":
                value = _per_mu(va, space, firms_in(where))
            elif head in ("count_ge", "share_ge"):
                mask = firms_in(where)
                big = mask & (real * scale >= number)
                if head == "count_ge":
                    value = float(big.sum()) / scale
                else:
                    total = float(real[mask].sum())
                    value = float(real[big].sum()) / total if total > 0 else float("nan")
            elif head == "top_share":
                value = top_share(real[firms_in(where)], max(1, round(number * scale)))
            elif head == "sector_share":
                mask = firms_in(where)
                total = float(real[mask].sum())
                value = float(real[mask & np.isin(f.sector, number)].sum()) / total if total > 0 else float("nan")
            if not math.isnan(value):
                self.rows.append((model.year, stat, value))
        self._prev_output = real
        self._prev_va = va
        self._prev_fai = None if first else fai

    def frame(self) -> pd.DataFrame:
        """Return the recorded statistics: columns ``year``, ``statistic``, ``value``."""
        return pd.DataFrame(self.rows, columns=["year", "statistic", "value"])


def _per_mu(amount: np.ndarray, space: np.ndarray, mask: np.ndarray) -> float:
    """Sum of ``amount`` per 亩 of space over the masked firms, in 万元/亩 (NaN without space)."""
    held = float(space[mask].sum())
    return float(amount[mask].sum()) * 1e4 / held if held > 0 else float("nan")
