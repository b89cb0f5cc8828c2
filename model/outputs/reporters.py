"""Yearly outputs (docs/ODD.md §8), citywide and per park.

Each output is a named module-level function of a :class:`Tally`, the one pass over the firm arrays made when a year
is recorded; its docstring is the output's description. :mod:`parkabm.model.outputs.registry` declares each one
(name, unit, English and Chinese label) and lists them in output-column order. Amounts are nominal
亿元 unless the name says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from parkabm.agents.parks import ParkState
from parkabm.model import kernels
from parkabm.model.outputs.clusters import cluster_output_values
from parkabm.model.rules.land import CITY_INDUSTRIAL_LAND_MU, LOW_EFFICIENCY_CAP, low_efficiency_land_mu

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel

HIGHTECH_RD_THRESHOLD = 0.03
"""R&D intensity above which a 规上 firm counts toward 高新技术企业. assumed: the national certification asks
3–5% of revenue by firm size; the lowest band is used (a definition of the output, not a behaviour)."""

QIANYI_YI = 1_000.0
"""千亿级 cluster: output ≥ 1000亿元."""
WANYI_YI = 10_000.0
"""万亿级 cluster: output ≥ 1万亿元."""
STRATEGIC_PLATFORM_OUTPUT_YI = 1_000.0
"""A candidate park counts as a provincial 高能级战略平台 when its output is ≥ 1000亿元 and its leading share ≥ 60%.
assumed: the provincial criteria are not in the sources; 嘉兴万亩千亿实施意见 speaks of 千亿级重大平台 and the 60% share
is the
city's own target."""
STRATEGIC_PLATFORM_LEADING_SHARE = 0.60
CITY_GDP_2021_YI = 18109.0
"""Hangzhou's 2021 GDP, 亿元 (DATA-SOURCES: 2021 18109亿, later revised to 18247亿)."""
FISCAL_LEVERS = ("redevelopment", "standard_factories", "tech_upgrade_subsidy", "milestone_rewards",
                 "innovation_support", "phaseout_compensation", "industry_fund")
"""Fiscal cost items, one per lever family that spends money."""


@dataclass
class Tally:
    """Aggregates of one year, computed once and read by every reporter.

    Reporters read only these typed fields, never the model: the per-park stocks through ``parks`` (the model's
    :class:`ParkState`, read at record time), this year's events in ``counts`` and its fiscal items in ``ledger``.
    """

    year: int
    price: float
    total_output: float
    industrial_output: float
    park_output: np.ndarray
    park_leading_output: np.ndarray
    park_growth: np.ndarray
    park_tax_per_mu: np.ndarray
    park_leading_share: np.ndarray
    park_low_efficiency_share: np.ndarray
    park_firms: np.ndarray
    park_guishang: np.ndarray
    group_output: np.ndarray
    cluster_group: np.ndarray
    sector_output: np.ndarray
    sector_ids: list[str]
    tax: float
    value_added: float
    rd: float
    space_guishang: float
    guishang_industrial: int
    guishang: int
    alive: int
    hightech: int
    chain_leaders: int
    class_counts: np.ndarray
    firm_land: float
    surcharge_revenue: float
    parks: ParkState
    counts: dict[str, float]
    ledger: dict[str, float]
    outside_land_mu: float
    group_ids: list[str]
    base_year: int
    zone_gdp_2021: float
    value_added_anchor: float
    fai_first: float | None

    @cached_property
    def cluster_output(self) -> np.ndarray:
        """Output of every cluster of ``clusters.csv`` (亿元), in its order; computed once for the two counts."""
        return cluster_output_values(self.sector_output, self.sector_ids)


def tally(model: ParkModel) -> Tally:
    """Make the one pass over the firm arrays that every reporter of this year reads.

    Also carries the anchors of two relative outputs: the value added of the 2021 tables (the zones' GDP moves
    with the modelled value added relative to it) and the investment of the first projected year (investment growth
    is measured from it).
    """
    f = model.firms
    p = model.n_parks
    s = model.n_sectors
    rows = (_row_sums_compiled if kernels.enabled() else _row_sums_numpy)(model)
    cell = rows.cell_output.reshape(p, s)
    park_output = cell.sum(axis=1)
    park_leading = (cell * model.lead_mask).sum(axis=1)
    park_tax, park_space = rows.park_tax, rows.park_space
    state = model.park_state
    low = low_efficiency_land_mu(model) / state.industrial_land_mu
    prev = model.park_output_prev if model.park_output_prev is not None else park_output
    big = rows.big  # few: look up only these
    leaders = model.lead_mask.ravel()[f.park[big].astype(np.intp) * s + f.sector[big]]
    return Tally(
        year=model.year,
        price=model.price,
        total_output=float(park_output.sum()),
        industrial_output=float(rows.industrial_output.sum()),
        park_output=park_output,
        park_leading_output=park_leading,
        park_growth=np.divide(park_output, prev, out=np.ones(p), where=prev > 0) - 1.0,
        park_tax_per_mu=np.divide(park_tax * 1e4, park_space, out=np.zeros(p), where=park_space > 0),
        park_leading_share=np.divide(park_leading, park_output, out=np.zeros(p), where=park_output > 0),
        park_low_efficiency_share=low,
        park_firms=rows.park_firms,
        park_guishang=rows.park_guishang,
        group_output=np.bincount(model.sector_group, weights=cell.sum(axis=0), minlength=model.n_groups),
        cluster_group=model.cluster_group_mask,
        sector_output=cell.sum(axis=0),
        sector_ids=model.sector_ids,
        tax=float(rows.tax.sum()),
        value_added=float(rows.value_added.sum()),
        rd=float(rows.rd.sum()),
        space_guishang=float(rows.space.sum()),
        guishang_industrial=len(rows.tax),
        guishang=len(rows.value_added),
        alive=rows.alive,
        hightech=rows.hightech,
        chain_leaders=int(np.count_nonzero(leaders)),
        class_counts=rows.class_counts[:4],
        firm_land=float(f.land_mu.sum()),
        surcharge_revenue=float(rows.surcharge_revenue.sum()),
        parks=state,
        counts=model.counts,
        ledger=model.ledger,
        outside_land_mu=float(model.outside_land_mu),
        group_ids=model.group_ids,
        base_year=model.base_year,
        zone_gdp_2021=model.zone_gdp_2021,
        value_added_anchor=model.value_added_2021,
        fai_first=model.counts["fai_yi"] if model.year == model.base_year + 1 else model.fai_first,
    )


@dataclass(frozen=True)
class RowSums:
    """What the tally takes from the firm rows, before NumPy sums it (:func:`_row_sums_numpy`).

    Attributes:
        cell_output: Output of 规上 firms per park × sector, flattened, summed in row order.
        park_tax: Tax of 规上 industrial firms per park.
        park_space: Space (land + floor) of 规上 industrial firms per park.
        park_firms: Alive firms per park.
        park_guishang: 规上 industrial firms per park.
        class_counts: Alive firms per 亩均 class code (A–D, then not evaluated).
        big: Rows of alive firms at or above the chain-leader threshold.
        industrial_output: Output of each industrial firm in row order, zero unless alive and 规上.
        surcharge_revenue: Surcharge share × output of each firm.
        value_added: Value added of each 规上 firm, in row order.
        rd: R&D spending of each 规上 firm, in row order.
        tax: Tax of each 规上 industrial firm, in row order.
        space: Space of each 规上 industrial firm, in row order.
        alive: Alive firms.
        hightech: 规上 firms of R&D intensity ≥ :data:`HIGHTECH_RD_THRESHOLD`.
    """

    cell_output: np.ndarray
    park_tax: np.ndarray
    park_space: np.ndarray
    park_firms: np.ndarray
    park_guishang: np.ndarray
    class_counts: np.ndarray
    big: np.ndarray
    industrial_output: np.ndarray
    surcharge_revenue: np.ndarray
    value_added: np.ndarray
    rd: np.ndarray
    tax: np.ndarray
    space: np.ndarray
    alive: int
    hightech: int


def _row_sums_numpy(model: ParkModel) -> RowSums:
    """The tally's pass over the firm rows, as whole-array NumPy operations."""
    f = model.firms
    p = model.n_parks
    s = model.n_sectors
    # Rows of the alive, 规上 and 规上 industrial firms (规上 statistics count 规上 firms only). Sums over them are
    # taken over the same rows in the same order as over the masked arrays, so they come out the same to the bit.
    alive_rows = np.flatnonzero(f.alive)
    gs_rows = alive_rows[f.output_yi[alive_rows] >= f.guishang_threshold_yi]
    gi_rows = gs_rows[f.industrial[gs_rows]]
    out_gs = f.output_yi[gs_rows]
    cell_gs = f.park[gs_rows].astype(np.intp) * s + f.sector[gs_rows]
    park_gi = f.park[gi_rows]
    tax_gi = f.output_yi[gi_rows] * f.tax_ratio[gi_rows]
    space_gi = f.land_mu[gi_rows] + f.floor_mu[gi_rows]
    real = f.output_yi[alive_rows] / model.price
    out = np.zeros(f.n)
    out[gs_rows] = out_gs  # 规上 output, zero elsewhere: the industrial total is summed over every industrial row
    return RowSums(
        cell_output=np.bincount(cell_gs, weights=out_gs, minlength=p * s),
        park_tax=np.bincount(park_gi, weights=tax_gi, minlength=p),
        park_space=np.bincount(park_gi, weights=space_gi, minlength=p),
        park_firms=np.bincount(f.park[alive_rows], minlength=p),
        park_guishang=np.bincount(park_gi, minlength=p),
        class_counts=np.bincount(f.mujun_class[alive_rows], minlength=5),
        big=alive_rows[real * model.scale >= model.levers.chain_leaders.threshold_yi],
        industrial_output=out[f.industrial],
        surcharge_revenue=model.surcharge_share * f.output_yi,
        value_added=out_gs * f.value_added_rate[gs_rows],
        rd=out_gs * f.rd_intensity[gs_rows],
        tax=tax_gi,
        space=space_gi,
        alive=len(alive_rows),
        hightech=int(np.count_nonzero(f.rd_intensity[gs_rows] >= HIGHTECH_RD_THRESHOLD)),
    )


def _row_sums_compiled(model: ParkModel) -> RowSums:
    """:func:`_row_sums_numpy` in one compiled pass (:func:`parkabm.model.kernels.tally_rows`), same numbers."""
    f = model.firms
    p = model.n_parks
    n = f.n
    cell_output, park_tax, park_space = np.zeros(p * model.n_sectors), np.zeros(p), np.zeros(p)
    park_firms, park_guishang = np.zeros(p, dtype=np.intp), np.zeros(p, dtype=np.intp)
    class_counts = np.zeros(5, dtype=np.intp)
    industrial_output, surcharge_revenue = np.empty(n), np.empty(n)
    value_added, rd, tax, space = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    big = np.empty(n, dtype=np.intp)
    leader_threshold = model.levers.chain_leaders.threshold_yi
    alive, guishang, industrial, n_big, hightech, industrial_rows = kernels.tally_rows(
        f.alive, f.output_yi, f.guishang_threshold_yi, f.industrial, f.park, f.sector, model.n_sectors, f.tax_ratio,
        f.land_mu, f.floor_mu, f.value_added_rate, f.rd_intensity, f.mujun_class, model.price, model.scale,
        leader_threshold, kernels.below_for_sure(leader_threshold, model.price, model.scale), HIGHTECH_RD_THRESHOLD,
        model.surcharge_share, cell_output, park_tax, park_space, park_firms, park_guishang, class_counts,
        industrial_output, surcharge_revenue, value_added, rd, tax, space, big)
    return RowSums(cell_output, park_tax, park_space, park_firms, park_guishang, class_counts, big[:n_big],
                   industrial_output[:industrial_rows], surcharge_revenue, value_added[:guishang], rd[:guishang],
                   tax[:industrial], space[:industrial], alive, hightech)


# --- citywide reporters -------------------------------------------------------------------------------------------

def total_output_yi(t: Tally) -> float:
    """Output of 规上 firms in the scope (规上工业总产值, plus 规上 service revenue in the all-规上 scope), 亿元."""
    return t.total_output


def industrial_output_yi(t: Tally) -> float:
    """Output of industrial firms only, 亿元."""
    return t.industrial_output


def leading_share(t: Tally) -> float:
    """Output-weighted share of firms in their own park's leading industries (主导产业占比), in [0, 1]."""
    return t.park_leading_output.sum() / t.total_output if t.total_output > 0 else 0.0


def price_index(t: Tally) -> float:
    """Industrial price level relative to the base year."""
    return t.price


def clusters_qianyi(t: Tally) -> float:
    """Number of the 1910 clusters (``clusters.csv``) with output in the zones in [1000亿, 1万亿) (千亿级产业集群)."""
    g = t.cluster_output
    return float(((g >= QIANYI_YI) & (g < WANYI_YI)).sum())


def clusters_wanyi(t: Tally) -> float:
    """Number of the 1910 clusters (``clusters.csv``) with output in the zones ≥ 1万亿 (万亿级产业集群)."""
    g = t.cluster_output
    return float((g >= WANYI_YI).sum())


def strategic_platforms(t: Tally) -> float:
    """Candidate parks meeting the (assumed) provincial 高能级战略平台 criteria."""
    ok = (t.parks.strategic_candidate & (t.park_output >= STRATEGIC_PLATFORM_OUTPUT_YI)
          & (t.park_leading_share >= STRATEGIC_PLATFORM_LEADING_SHARE))
    return float(ok.sum())


def rd_to_gdp(t: Tally) -> float:
    """R&D spending of 规上 firms over the zones' GDP (规上企业研发经费支出占生产总值比重, 杭政函〔2023〕13号 (二)).

    The zones' GDP is not modelled: it is ``zone_gdp_share_2021`` × the city's 2021 GDP (DATA-SOURCES: 18109亿)
    per 元 of the value added of the 2021 tables, times the value added of the modelled 规上 firms. It moves with the
    world: a higher ``base_output_multiplier`` raises R&D and GDP alike, so the base year's R&D share is the
    tables' (R&D over value added, over the GDP per value added), not decided by the size of the base.
    """
    gdp = t.zone_gdp_2021 * t.value_added / t.value_added_anchor if t.value_added_anchor else 0.0
    return t.rd / gdp if gdp > 0 else 0.0


def tax_per_mu_wan(t: Tally) -> float:
    """Tax per 亩 of space of 规上 industrial firms (亩均税收), 万元/亩."""
    return t.tax * 1e4 / t.space_guishang if t.space_guishang > 0 else 0.0


def value_added_per_mu_wan(t: Tally) -> float:
    """Value added per 亩 of space of 规上 firms (亩均增加值), 万元/亩 (industrial space only in the denominator)."""
    return t.value_added * 1e4 / t.space_guishang if t.space_guishang > 0 else 0.0


def fai_yi(t: Tally) -> float:
    """Fixed-asset investment this year: signed projects, 技术改造 and standard factories, 亿元."""
    return t.counts["fai_yi"]


def fai_growth(t: Tally) -> float:
    """Average yearly growth of fixed-asset investment since the first projected year (NaN before the second)."""
    first = t.fai_first
    years = t.year - t.base_year - 1
    if years <= 0 or not first:
        return float("nan")
    return (t.counts["fai_yi"] / first) ** (1.0 / years) - 1.0


def zone_land_share(t: Tally) -> float:
    """Share of the city's industrial land inside the zones (集聚度)."""
    return float(t.parks.industrial_land_mu.sum() / CITY_INDUSTRIAL_LAND_MU)


def max_low_efficiency_share(t: Tally) -> float:
    """Highest low-efficiency land share of any park (idle + under redevelopment + low-efficiency firms' land)."""
    return float(t.park_low_efficiency_share.max())


def parks_over_low_efficiency_cap(t: Tally) -> float:
    """Parks whose low-efficiency land share exceeds 30%."""
    return float((t.park_low_efficiency_share > LOW_EFFICIENCY_CAP).sum())


def projects_signed(t: Tally) -> float:
    """New projects sited this year."""
    return float(t.counts["projects_signed"])


def projects_over_10yi(t: Tally) -> float:
    """New projects of ≥10亿元 investment sited this year."""
    return float(t.counts["projects_over_10yi"])


def projects_unsited(t: Tally) -> float:
    """Projects that arrived but found no space this year."""
    return float(t.counts["projects_unsited"])


def class_a_space_met_share(t: Tally) -> float:
    """Share of the space A-class firms asked for this year that their parks granted (1 when none was asked)."""
    asked = t.counts["space_requested_a_mu"]
    return t.counts["space_granted_a_mu"] / asked if asked > 0 else 1.0


def leading_project_share(t: Tally) -> float:
    """Share of this year's sited projects that are in their park's leading industries (0 when none was sited)."""
    signed = t.counts["projects_signed"]
    return t.counts["projects_signed_leading"] / signed if signed > 0 else 0.0


def redevelopment_quota_top_half_share(t: Tally) -> float:
    """Share of this year's redevelopment quota given to the better-ranked half of the zones (赛马)."""
    total = t.counts["redevelopment_mu"]
    return t.counts["redevelopment_top_half_mu"] / total if total > 0 else 0.0


def quota_top_half_share(t: Tally) -> float:
    """Share of this year's land and fund quotas given to the better-ranked half of the zones (赛马)."""
    return float(t.parks.quota_share[t.parks.rank < len(t.parks.rank) / 2].sum())


def guishang_industrial_firms(t: Tally) -> float:
    """规上 industrial firms (output ≥ 2000万元)."""
    return float(t.guishang_industrial)


def guishang_firms(t: Tally) -> float:
    """规上 firms of every kind in the scope."""
    return float(t.guishang)


def firms_alive(t: Tally) -> float:
    """Firms in the population that have not exited."""
    return float(t.alive)


def hightech_firms(t: Tally) -> float:
    """规上 firms with R&D intensity ≥ 3% (a proxy for 高新技术企业)."""
    return float(t.hightech)


def chain_leaders(t: Tally) -> float:
    """Chain leaders (链主): firms at or above the threshold in their park's leading industries."""
    return float(t.chain_leaders)


def entries(t: Tally) -> float:
    """Firms that entered this year (sited projects)."""
    return float(t.counts["entries"])


def service_entries(t: Tally) -> float:
    """Service firms entering this year (:func:`parkabm.model.rules.entry.enter_service_firms`; 规下 included)."""
    return float(t.counts["service_entries"])


def exits(t: Tally) -> float:
    """Firms that exited this year, for any reason."""
    return float(t.counts["exits"])


def enforced_exits(t: Tally) -> float:
    """Exits under 亩均 enforcement or 腾笼换鸟 clearance this year."""
    return float(t.counts["enforced_exits"])


def relocations(t: Tally) -> float:
    """Firms that moved to another park this year (市级统筹)."""
    return float(t.counts["relocations"])


def upgrades(t: Tally) -> float:
    """技术改造 projects this year."""
    return float(t.counts["upgrades"])


def _class_share(t: Tally, code: int) -> float:
    evaluated = t.class_counts.sum()
    return float(t.class_counts[code] / evaluated) if evaluated else float("nan")


def class_a_share(t: Tally) -> float:
    """Share of evaluated firms in 亩均 class A."""
    return _class_share(t, 0)


def class_b_share(t: Tally) -> float:
    """Share of evaluated firms in 亩均 class B."""
    return _class_share(t, 1)


def class_c_share(t: Tally) -> float:
    """Share of evaluated firms in 亩均 class C."""
    return _class_share(t, 2)


def class_d_share(t: Tally) -> float:
    """Share of evaluated firms in 亩均 class D."""
    return _class_share(t, 3)


def land_firms_mu(t: Tally) -> float:
    """Industrial land held by firms, 亩."""
    return t.firm_land


def land_vacant_mu(t: Tally) -> float:
    """Serviced vacant land in the zones, 亩."""
    return float(t.parks.vacant_mu.sum())


def land_idle_mu(t: Tally) -> float:
    """Idle low-efficiency land awaiting 整治, 亩."""
    return float(t.parks.idle_mu.sum())


def land_pipeline_mu(t: Tally) -> float:
    """Land under redevelopment, 亩."""
    return float(t.parks.pipeline_mu.sum())


def land_factory_mu(t: Tally) -> float:
    """Land under standard factories, 亩."""
    return float(t.parks.factory_land_mu.sum())


def factory_space_free_mu(t: Tally) -> float:
    """Unrented standard-factory floor, 亩 of land-equivalent."""
    return float(t.parks.factory_space_mu.sum())


def zone_industrial_land_mu(t: Tally) -> float:
    """Industrial land inside the zones, 亩."""
    return float(t.parks.industrial_land_mu.sum())


def outside_land_mu(t: Tally) -> float:
    """The city's industrial land outside the zones, 亩."""
    return float(t.outside_land_mu)


def standard_factory_m2(t: Tally) -> float:
    """Standard-factory floor built this year, m²."""
    return float(t.counts["standard_factory_m2"])


def surcharge_revenue_yi(t: Tally) -> float:
    """Differentiated electricity surcharges collected from C and D firms this year, 亿元."""
    return t.surcharge_revenue


def fiscal_total_yi(t: Tally) -> float:
    """Fiscal cost of all levers this year, 亿元."""
    return float(sum(t.ledger[k] for k in FISCAL_LEVERS))


def fiscal_redevelopment_yi(t: Tally) -> float:
    """Cost of 低效用地整治 this year, 亿元."""
    return float(t.ledger["redevelopment"])


def fiscal_standard_factories_yi(t: Tally) -> float:
    """Cost of building standard factories this year, 亿元."""
    return float(t.ledger["standard_factories"])


def fiscal_tech_upgrade_subsidy_yi(t: Tally) -> float:
    """技术改造 subsidies paid this year, 亿元."""
    return float(t.ledger["tech_upgrade_subsidy"])


def fiscal_milestone_rewards_yi(t: Tally) -> float:
    """Output-milestone rewards paid this year, 亿元."""
    return float(t.ledger["milestone_rewards"])


def fiscal_innovation_support_yi(t: Tally) -> float:
    """Innovation-platform support spent this year, 亿元."""
    return float(t.ledger["innovation_support"])


def fiscal_phaseout_compensation_yi(t: Tally) -> float:
    """The city's share of compensation for enforced exits this year, 亿元."""
    return float(t.ledger["phaseout_compensation"])


def group_output_columns(t: Tally) -> dict[str, float]:
    """Output of each sector group (产业集群) this year, as columns ``group_output_<group>_yi`` (亿元).

    The groups are those of sectors.csv in the run's scope; their sizes against the 千亿/万亿 lines are what the
    cluster targets count.
    """
    return {f"group_output_{g}_yi": float(t.group_output[i]) for i, g in enumerate(t.group_ids)}


# --- per-park reporters -------------------------------------------------------------------------------------------

def park_output_yi(t: Tally) -> np.ndarray:
    """Output of each park, 亿元."""
    return t.park_output


def park_leading_share(t: Tally) -> np.ndarray:
    """Leading-industry share of each park."""
    return t.park_leading_share


def park_tax_per_mu_wan(t: Tally) -> np.ndarray:
    """亩均税收 of each park's 规上 industrial firms, 万元/亩."""
    return t.park_tax_per_mu


def park_low_efficiency_share(t: Tally) -> np.ndarray:
    """Low-efficiency land share of each park."""
    return t.park_low_efficiency_share


def park_vacant_mu(t: Tally) -> np.ndarray:
    """Vacant serviced land of each park, 亩."""
    return t.parks.vacant_mu.copy()


def park_factory_space_mu(t: Tally) -> np.ndarray:
    """Unrented standard-factory floor of each park, 亩 of land-equivalent."""
    return t.parks.factory_space_mu.copy()


def park_industrial_land_mu(t: Tally) -> np.ndarray:
    """Industrial land of each park, 亩."""
    return t.parks.industrial_land_mu.copy()


def park_firms(t: Tally) -> np.ndarray:
    """Firms alive in each park."""
    return t.park_firms.astype(float)


def park_guishang_industrial_firms(t: Tally) -> np.ndarray:
    """规上 industrial firms in each park."""
    return t.park_guishang.astype(float)


def park_rank(t: Tally) -> np.ndarray:
    """赛马 ranking position used this year (0 = best)."""
    return t.parks.rank.astype(float)


def park_quota_share(t: Tally) -> np.ndarray:
    """Share of the city's land and fund quotas received this year."""
    return t.parks.quota_share.copy()


def park_downgraded(t: Tally) -> np.ndarray:
    """Whether each park has been downgraded (1) or not (0)."""
    return t.parks.downgraded.astype(float)



def fiscal_industry_fund_yi(t: Tally) -> float:
    """The industry fund's stakes in this year's sited leading-industry projects, 亿元 (booked when deployed)."""
    return float(t.ledger["industry_fund"])
