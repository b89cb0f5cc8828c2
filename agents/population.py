"""Synthetic firm population: park × sector output totals turned into individual firms.

Method (docs/ODD.md, "Initialisation"):

1. For every park × sector cell in the output scope, the number of firms is the cell's output divided by the mean of
   the firm-size distribution (a lognormal truncated below at the 规上 threshold, 0.2亿元), times
   ``population_scale``.
2. Sizes are drawn from that truncated lognormal by inverse transform, then the part of each size above the
   threshold is rescaled so that the cell total is met exactly (every firm stays at or above the threshold and the
   heavy tail keeps its shape).
3. Below the threshold, 规下 firms from the same lognormal between :data:`SMALL_FIRM_FLOOR_YI` and the threshold are
   added in the number the distribution implies. Their output is not part of the cell totals (which are 规上
   figures) and does not count in 规上 statistics until they grow past the threshold (小升规).
4. Each firm gets a latent quality ``z ~ N(0, 1)`` that correlates its land productivity, value-added rate, tax
   ratio, R&D intensity and labour productivity positively and its electricity and emission intensity negatively;
   this dispersion is what makes 亩均 classes A/B/C/D emerge. The lognormal factors have mean one, so the
   attributes average to their sector values.
5. Industrial firms' land is their capacity (output / utilisation) over their land productivity, rescaled per park so
   that it sums to the park's occupied industrial land. Service firms (all-规上 scope) hold no industrial land.

Everything is drawn from the one generator passed in, so the same seed gives the same firms.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from parkabm.agents.firms import GUISHANG_THRESHOLD_YI, HEADROOM, NOT_EVALUATED, Firms
from parkabm.scenarios.parameters import PARAMETERS

SIZE_MEDIAN_YI = 0.3
"""Median of the untruncated firm-size lognormal, 亿元. Fitted by grid search to concentration.csv: 余杭经开区
(113 firms ≥1亿 holding >90% of output, top 15 ≈70%) and 钱塘 生命健康 (83 规上 firms: 54 ≥1亿, 21 ≥5亿, 11 ≥10亿);
range 0.15–0.6 (docs/ODD.md, "Initialisation", gives the fit)."""
SIZE_SIGMA = 2.2
"""Log-sd of firm size, fitted with :data:`SIZE_MEDIAN_YI`; range 1.9–2.6."""
SMALL_FIRM_FLOOR_YI = PARAMETERS["small_firm_floor_yi"].default
"""Smallest 规下 firm generated, 亿元: the default of the parameter ``small_firm_floor_yi`` (its source and range are
in :mod:`parkabm.scenarios.parameters`); a run passes its own value."""

# Log-sd of each firm attribute around its sector value, and its loading on the latent quality z.
# assumed: dispersions of the magnitude reported in firm-level productivity studies (log-sd 0.3–0.6); the loadings
# make efficient firms efficient on several 亩均 indicators at once (ranges: sd ±50%, loadings ±0.2).
ATTRIBUTE_DISPERSION = {
    "land_productivity": (0.45, 0.6),
    "value_added_rate": (0.12, 0.5),
    "tax_ratio": (0.35, 0.5),
    "electricity": (0.35, -0.4),
    "emission": (0.40, -0.4),
    "rd_intensity": (0.60, 0.4),
    "labour_productivity": (0.30, 0.5),
}
UTILISATION_SD = PARAMETERS["utilisation_sd"].default
"""Firm-level spread of base-year capacity utilisation: the default of the parameter ``utilisation_sd``."""

MILESTONES_YI = np.array([50.0, 100.0, 200.0, 500.0, 1000.0])
"""Output milestones rewarded by 制造业高质量发展若干意见 三 (营业收入首次达到50/100/200/500/1000亿元)."""


def truncated_lognormal_mean(median: float, sigma: float, floor: float) -> float:
    """Return the mean of a lognormal with this median and log-sd, truncated below at ``floor``."""
    mu = np.log(median)
    z = (np.log(floor) - mu) / sigma
    return float(np.exp(mu + sigma**2 / 2) * ndtr(sigma - z) / ndtr(-z))


def draw_sizes(
    totals: np.ndarray, rng: np.random.Generator, *, scale: float = 1.0,
    median: float | None = None, sigma: float | None = None, floor: float = GUISHANG_THRESHOLD_YI,
    small_floor: float | None = SMALL_FIRM_FLOOR_YI,
) -> tuple[np.ndarray, np.ndarray]:
    """Split cell totals into heavy-tailed firm sizes that add up exactly.

    Args:
        totals: Output of each cell, 亿元 (≥ 0).
        rng: The run's generator.
        scale: Firm-count multiplier; sizes shrink by the same factor (``population_scale``).
        median: Median of the untruncated lognormal at scale 1, 亿元 (default :data:`SIZE_MEDIAN_YI`).
        sigma: Log-sd of the lognormal (default :data:`SIZE_SIGMA`).
        floor: Smallest firm counted in the cell totals at scale 1 (the 规上 threshold).
        small_floor: Smallest 规下 firm at scale 1; None adds no 规下 firms.

    Returns:
        ``(cell, size)``: the cell index of every firm and its output; firms at or above ``floor / scale`` add up
        to the cell totals, 规下 firms follow them.
    """
    median = (SIZE_MEDIAN_YI if median is None else median) / scale
    sigma = SIZE_SIGMA if sigma is None else sigma
    floor = floor / scale
    mean = truncated_lognormal_mean(median, sigma, floor)
    counts = np.maximum(np.rint(totals / mean), 1).astype(np.int64)
    # Keep the floor feasible: n firms at the floor must not exceed the cell's total.
    counts = np.minimum(counts, np.maximum(np.floor(totals / (1.25 * floor)), 1).astype(np.int64))
    counts[totals <= 0] = 0
    cell = np.repeat(np.arange(len(totals)), counts)
    z_floor = (np.log(floor) - np.log(median)) / sigma
    # Each draw's excess over the floor, exp(log median + σ · Φ⁻¹(u)) − floor, computed in place.
    u = rng.uniform(ndtr(z_floor), 1.0, size=len(cell))
    np.minimum(u, 1 - 1e-12, out=u)
    excess = ndtri(u)
    excess *= sigma
    excess += np.log(median)
    np.exp(excess, out=excess)
    excess -= floor
    excess_sum = np.bincount(cell, weights=excess, minlength=len(totals))
    cell_floor = np.where(totals / np.maximum(counts, 1) >= floor, floor, 0.0)  # cells smaller than the floor
    room = totals - counts * cell_floor
    factor = np.divide(room, excess_sum, out=np.zeros_like(room), where=excess_sum > 0)
    sizes = excess
    sizes *= factor[cell]
    sizes += cell_floor[cell]
    single = (counts == 1)[cell]
    sizes[single] = totals[cell[single]]
    if small_floor is not None:
        small_floor = small_floor / scale
        z_small = (np.log(small_floor) - np.log(median)) / sigma
        ratio = (ndtr(z_floor) - ndtr(z_small)) / (1.0 - ndtr(z_floor))
        small_counts = rng.poisson(counts * ratio)
        small_cell = np.repeat(np.arange(len(totals)), small_counts)
        u = rng.uniform(ndtr(z_small), ndtr(z_floor), size=len(small_cell))
        small = ndtri(u)
        small *= sigma
        small += np.log(median)
        np.exp(small, out=small)
        np.minimum(small, floor * (1 - 1e-9), out=small)
        cell = np.concatenate([cell, small_cell])
        sizes = np.concatenate([sizes, small])
    return cell, sizes


def draw_entrant_sizes(
    k: int, rng: np.random.Generator, *, scale: float = 1.0, size_ratio: float = 1.0,
    small_floor: float = SMALL_FIRM_FLOOR_YI, max_size: float = np.inf,
) -> np.ndarray:
    """Draw the sizes of ``k`` entering firms from the population's size law.

    The lognormal of :func:`draw_sizes` (median :data:`SIZE_MEDIAN_YI` × ``size_ratio``, log-sd
    :data:`SIZE_SIGMA`), truncated to ``[small_floor, max_size]``, by inverse transform.

    Args:
        k: Number of entrants.
        rng: The run's generator.
        scale: Firm-count multiplier (``population_scale``); sizes shrink by the same factor.
        size_ratio: Median entrant size relative to the population's median.
        small_floor: Smallest firm at scale 1, 亿元.
        max_size: Largest entrant at scale 1, 亿元.

    Returns:
        Real output of each entrant, 亿元 (at the model's scale).
    """
    log_median = np.log(SIZE_MEDIAN_YI * size_ratio)
    low = ndtr((np.log(small_floor) - log_median) / SIZE_SIGMA)
    high = ndtr((np.log(max_size) - log_median) / SIZE_SIGMA)
    u = rng.uniform(low, high, size=k)
    # exp(log median + σ · Φ⁻¹(u)) / scale, in place (a year's entrants are few: the calls cost more than the rows).
    np.maximum(u, 1e-12, out=u)
    np.minimum(u, 1 - 1e-12, out=u)
    size = ndtri(u)
    size *= SIZE_SIGMA
    size += log_median
    np.exp(size, out=size)
    size /= scale
    return size


ATTRIBUTES = ("land_productivity", "value_added_rate", "tax_ratio", "electricity", "emission", "rd_intensity",
              "labour_productivity")
"""The attributes :func:`draw_firm_attributes` returns, in the order of :data:`ATTRIBUTE_DISPERSION`. Land
productivity, the one attribute relative to its sector rather than scaled by a sector value, comes first."""

_SECTOR_COLUMN = {"value_added_rate": "value_added_rate", "tax_ratio": "tax_ratio",
                  "electricity": "electricity_kwh_per_wan", "emission": "emission_index",
                  "rd_intensity": "rd_intensity", "labour_productivity": "labour_productivity_wan"}
_CLIPPED = {"value_added_rate": (0.05, 0.7), "rd_intensity": (0.0, 0.3)}
_BLOCK_ELEMENTS = 1 << 16
"""Largest block of attribute draws :func:`draw_firm_attributes` puts through one array operation."""


@dataclass(frozen=True)
class _AttributePlan:
    """What :func:`draw_firm_attributes` computes for one choice of attributes, worked out once per choice.

    Attributes:
        names: The attributes asked for, in the order of :data:`ATTRIBUTES`.
        rows: Their rows of the noise draws (a slice when they are consecutive).
        constants: Four rows, one column per attribute asked for: ``√(1 − loading²)``, the loading on the latent
            quality, the log-sd and ``sd² / 2`` (as columns: :attr:`noise_weight`, :attr:`loading`, :attr:`sd`,
            :attr:`half_variance`).
        first_valued: Position (among ``names``) of the first attribute scaled by a sector value; all after it are.
        columns: The sector columns of ``names[first_valued:]``.
        clipped: Rows (among ``names``) of the attributes asked for that are clipped, as a slice (evenly spaced: there
            are at most two), or None.
        clip_bounds: Their lower and upper bounds, as two rows (as columns: :attr:`clip_low`, :attr:`clip_high`).
    """

    names: tuple[str, ...]
    rows: slice | list[int]
    constants: np.ndarray
    first_valued: int
    columns: tuple[str, ...]
    clipped: slice | None
    clip_bounds: np.ndarray

    @property
    def noise_weight(self) -> np.ndarray:
        """``√(1 − loading²)`` of each attribute, as a column."""
        return self.constants[0][:, None]

    @property
    def loading(self) -> np.ndarray:
        """The loading of each attribute on the latent quality, as a column."""
        return self.constants[1][:, None]

    @property
    def sd(self) -> np.ndarray:
        """The log-sd of each attribute, as a column."""
        return self.constants[2][:, None]

    @property
    def half_variance(self) -> np.ndarray:
        """``sd² / 2`` of each attribute, as a column."""
        return self.constants[3][:, None]

    @property
    def clip_low(self) -> np.ndarray:
        """The lower bound of each clipped attribute, as a column."""
        return self.clip_bounds[0][:, None]

    @property
    def clip_high(self) -> np.ndarray:
        """The upper bound of each clipped attribute, as a column."""
        return self.clip_bounds[1][:, None]


AttributePasses = tuple[Callable[..., Any], Callable[..., Any]]
"""Compiled twins of the arithmetic of :func:`draw_firm_attributes`, handed in by the model when it runs compiled
code (:func:`parkabm.model.kernels.attribute_passes`): ``(exponents, scale)``, the first writing each draw's exponent
in place (``exponents(block, quality, constants)``), the second multiplying by the sector values and clipping
(``scale(block, sector, first_valued, values, first clipped row, step between clipped rows, clip_bounds)``). The
draws and the exponential stay in NumPy; the numbers are those of the NumPy code to the bit (tests/test_kernels.py)."""


_PLANS: dict[tuple[str, ...], _AttributePlan] = {}

_NO_SECTOR_VALUES = np.zeros((0, 1))
"""The sector values handed to the compiled scaling pass when no attribute asked for has one."""


def _attribute_plan(names: tuple[str, ...]) -> _AttributePlan:
    """Return the plan of :func:`draw_firm_attributes` for ``names``, built on first use."""
    plan = _PLANS.get(names)
    if plan is not None:
        return plan
    wanted = [k for k, name in enumerate(ATTRIBUTE_DISPERSION) if name in names]
    chosen = tuple(ATTRIBUTES[k] for k in wanted)
    valued = [j for j, name in enumerate(chosen) if name in _SECTOR_COLUMN]
    first_valued = len(chosen) - len(valued)
    if valued != list(range(first_valued, len(chosen))):
        raise RuntimeError("ATTRIBUTES must list the attributes without a sector value first")
    constants = np.array([[np.sqrt(1 - loading**2), loading, sd, sd**2 / 2]
                          for sd, loading in (ATTRIBUTE_DISPERSION[name] for name in chosen)]).reshape(-1, 4)
    consecutive = bool(wanted) and wanted == list(range(wanted[0], wanted[-1] + 1))
    clipped = [j for j, name in enumerate(chosen) if name in _CLIPPED]
    if len(clipped) > 2:
        raise RuntimeError("clipped attributes are taken as one evenly spaced slice of rows")
    bounds = np.array([_CLIPPED[chosen[j]] for j in clipped]).reshape(-1, 2)
    plan = _AttributePlan(
        names=chosen,
        rows=slice(wanted[0], wanted[-1] + 1) if consecutive else wanted,
        constants=np.ascontiguousarray(constants.T),
        first_valued=first_valued,
        columns=tuple(_SECTOR_COLUMN[name] for name in chosen[first_valued:]),
        clipped=slice(clipped[0], clipped[-1] + 1, max(clipped[-1] - clipped[0], 1)) if clipped else None,
        clip_bounds=np.ascontiguousarray(bounds.T),
    )
    _PLANS[names] = plan
    return plan


def draw_firm_attributes(sector: np.ndarray, sectors: dict[str, np.ndarray], rng: np.random.Generator,
                         names: tuple[str, ...] = ATTRIBUTES, passes: AttributePasses | None = None) -> dict:
    """Draw the efficiency attributes of firms in the given sectors around their sector values.

    A latent quality ``z ~ N(0, 1)`` loads on every attribute (:data:`ATTRIBUTE_DISPERSION`), so efficient firms
    are efficient on several 亩均 indicators at once. Each attribute is its sector value times the mean-one
    lognormal factor ``exp(sd · N − sd²/2)``, so the firms' attributes average to the values of sectors.csv
    (without the correction R&D intensity would be 20% and the tax ratio 6% above them).

    Args:
        sector: Sector index of each firm.
        sectors: Per-sector arrays (see :func:`generate_firms`).
        rng: The run's generator.
        names: The attributes to return (default: all). The draws are the same whatever is asked for, so the
            generator's stream does not depend on it.
        passes: Compiled twins of the arithmetic (:data:`AttributePasses`), or None for the NumPy code; the same
            numbers either way.

    Returns:
        Arrays ``land_productivity`` (relative to the sector), ``value_added_rate``, ``tax_ratio``,
        ``electricity``, ``emission``, ``rd_intensity`` and ``labour_productivity``: rows of one array of draws,
        one per attribute asked for.
    """
    n = len(sector)
    # The quality and then one row of noise per attribute, in one call: the same numbers as drawing the quality and
    # then the noise.
    draws = rng.standard_normal((1 + len(ATTRIBUTE_DISPERSION), n))
    plan = _attribute_plan(names if isinstance(names, tuple) else tuple(names))
    if not plan.names:
        return {}
    quality = draws[0]
    factor = draws[1:][plan.rows]
    # exp(sd · (loading · z + √(1 − loading²) · noise) − sd²/2) for every attribute asked for, in place in its row of
    # the noise, then times the sector values of the firms and clipped. Every row goes through each array operation,
    # a chunk of firms at a time: one chunk for a year's entrants or the baseline's scale-1 population (few calls),
    # several for a large population, whose block then stays in the cache through all the operations (and no
    # temporary is larger than a chunk).
    values = np.array([sectors[column] for column in plan.columns]) if plan.columns else None
    first_valued = plan.first_valued
    chunk = max(1, _BLOCK_ELEMENTS // len(plan.names))
    if passes is not None:  # the same operations, in the same order and chunks, in two compiled passes a chunk
        exponents, scale = passes
        table = values if values is not None else _NO_SECTOR_VALUES
        clip_first, clip_step = (plan.clipped.start, plan.clipped.step) if plan.clipped is not None else (0, 1)
        for c in range(0, n, chunk):
            d = min(c + chunk, n)
            block = factor[:, c:d]
            exponents(block, quality[c:d], plan.constants)
            np.exp(block, out=block)
            scale(block, sector[c:d], first_valued, table, clip_first, clip_step, plan.clip_bounds)
        return dict(zip(plan.names, factor, strict=True))
    for c in range(0, n, chunk):
        d = min(c + chunk, n)
        block = factor[:, c:d]
        block *= plan.noise_weight
        block += plan.loading * quality[c:d]
        block *= plan.sd
        block -= plan.half_variance
        np.exp(block, out=block)
        if values is not None:
            factor[first_valued:, c:d] *= np.take(values, sector[c:d], axis=1)
        if plan.clipped is not None:
            clipped = factor[plan.clipped, c:d]
            np.maximum(clipped, plan.clip_low, out=clipped)
            np.minimum(clipped, plan.clip_high, out=clipped)
    return dict(zip(plan.names, factor, strict=True))


def generate_firms(
    *,
    cell_park: np.ndarray,
    cell_sector: np.ndarray,
    cell_output: np.ndarray,
    sectors: dict[str, np.ndarray],
    park_occupied_mu: np.ndarray,
    utilisation: float,
    base_year: int,
    rng: np.random.Generator,
    scale: float = 1.0,
    utilisation_sd: float = UTILISATION_SD,
    small_floor: float = SMALL_FIRM_FLOOR_YI,
    headroom: float = HEADROOM,
    reuse: BasePopulations | None = None,
    passes: AttributePasses | None = None,
) -> Firms:
    """Generate the base-year firm population.

    Args:
        cell_park: Park index of each park × sector cell.
        cell_sector: Sector index of each cell.
        cell_output: Base-year output of each cell, 亿元.
        sectors: Per-sector arrays (indexed by sector): ``industrial`` (bool), ``value_added_rate``,
            ``tax_ratio``, ``output_per_mu_wan``, ``electricity_kwh_per_wan``, ``emission_index``,
            ``rd_intensity``, ``labour_productivity_wan``.
        park_occupied_mu: Occupied industrial land of each park, 亩.
        utilisation: Mean base-year capacity utilisation.
        base_year: Year the population describes.
        rng: The run's generator.
        scale: Firm-count multiplier (``population_scale``).
        utilisation_sd: Firm-level spread of base-year utilisation (``utilisation_sd``).
        small_floor: Smallest 规下 firm at scale 1, 亿元 (``small_firm_floor_yi``).
        headroom: Spare rows to reserve for entrants, as a share of the population (:class:`Firms`).
        reuse: Draws kept from earlier calls (:class:`BasePopulations`): when this call's inputs and generator
            state are those of a kept draw, its columns are taken and the generator is moved on to where that draw
            left it, so the firms and every later number are the same as drawing them again.
        passes: Compiled twins of the attributes' arithmetic (:func:`draw_firm_attributes`), or None; the same
            firms either way.

    Returns:
        The population, with totals per cell equal to ``cell_output``.
    """
    key = reuse.key(rng, sectors, (cell_park, cell_sector, cell_output, park_occupied_mu),
                    (utilisation, base_year, scale, utilisation_sd, small_floor)) if reuse is not None else None
    columns = reuse.take(key, rng) if reuse is not None and key is not None else None
    if columns is None:
        columns = _draw_population(
            cell_park=cell_park, cell_sector=cell_sector, cell_output=cell_output, sectors=sectors,
            park_occupied_mu=park_occupied_mu, utilisation=utilisation, base_year=base_year, rng=rng, scale=scale,
            utilisation_sd=utilisation_sd, small_floor=small_floor, passes=passes)
        if reuse is not None and key is not None:
            reuse.keep(key, columns, rng)
    firms = Firms(columns, headroom=headroom)  # copies the columns: a kept draw is never changed by the run
    firms.guishang_threshold_yi = GUISHANG_THRESHOLD_YI / scale
    return firms


def _draw_population(*, cell_park: np.ndarray, cell_sector: np.ndarray, cell_output: np.ndarray,
                     sectors: dict[str, np.ndarray], park_occupied_mu: np.ndarray, utilisation: float,
                     base_year: int, rng: np.random.Generator, scale: float, utilisation_sd: float,
                     small_floor: float, passes: AttributePasses | None = None) -> dict[str, Any]:
    """Draw the base-year firms (:func:`generate_firms`) and return their columns, one per :class:`Firms` field."""
    cell, output = draw_sizes(cell_output, rng, scale=scale, small_floor=small_floor)
    n = len(cell)
    park = cell_park.astype(np.int16)[cell]
    sector = cell_sector.astype(np.int16)[cell]
    industrial = sectors["industrial"].astype(bool, copy=False)[sector]

    attrs = draw_firm_attributes(sector, sectors, rng, passes=passes)
    land_productivity = attrs.pop("land_productivity")

    use = rng.standard_normal(n)
    use *= utilisation_sd
    use += utilisation
    np.maximum(use, 0.5, out=use)
    np.minimum(use, 1.0, out=use)
    capacity = output / use
    land = np.where(industrial, capacity * 1e4 / (sectors["output_per_mu_wan"][sector] * land_productivity), 0.0)
    park_land = np.bincount(park, weights=land, minlength=len(park_occupied_mu))
    factor = np.divide(park_occupied_mu, park_land, out=np.zeros_like(park_land), where=park_land > 0)
    land *= factor[park]
    productivity = np.divide(capacity, land, out=np.zeros(n), where=land > 0)

    return {
        "park": park,
        "sector": sector,
        "alive": True,
        "industrial": industrial,
        "output_yi": output,
        "land_mu": land,
        "productivity": productivity,
        **attrs,
        "mujun_class": NOT_EVALUATED,
        "entry_year": base_year,
        "reward_level": np.searchsorted(MILESTONES_YI, output * scale, side="right").astype(np.int8),
    }


BASE_POPULATION_BYTES = 64 * 2**20
"""Memory a process gives to kept base-year populations (:data:`BASE_POPULATIONS`): about 160 populations of the
baseline world at ``population_scale`` 1 (about 0.4 MB each), more than the replicates of a usual design; a population
larger than this (``population_scale`` of about 160 and up) is not kept."""


class BasePopulations:
    """The base-year firm columns of recent draws, kept so that a run drawing the same population again reuses them.

    A batch with common random numbers (``common_random_numbers: true``, as ``parkabm compare`` and ``parkabm
    sensitivity`` run) starts replicate r of every design point from the same generator state, and the base-year
    firms depend only on that state and on the world, the output scope, the population scale and four parameters
    (``base_output_multiplier`` through the cells' output, ``initial_utilisation``, ``utilisation_sd`` and
    ``small_firm_floor_yi``), never on a lever (docs/ODD.md §7.20). A draw is keyed by
    everything it was made from: the bytes of every input array (the cells, their output, the parks' occupied land,
    each column of the sector table), the scalar inputs and the generator's whole state; a call with the key of a
    kept draw takes its columns and sets the generator to the state the draw left it in, so the run is the same to the
    bit as one that draws again (``tests/test_population.py``). Only a PCG64 generator's draws are kept (the model
    always makes one).

    A draw is kept the second time its key is drawn (the first time only the key's hash is noted, among the last
    :data:`SEEN_KEYS`): runs that never repeat a draw, as a batch without common random numbers, keep no columns and
    leave the memory the draw used free for the rest of the run. Kept columns are read-only and copied into each
    run's :class:`Firms`. The least recently used are dropped once they hold more than ``max_bytes``; 0 keeps
    nothing.

    Args:
        max_bytes: Memory the kept columns may hold.
    """

    SEEN_KEYS = 4096
    """Hashes of the keys drawn once that are remembered (a hash, not the key: a few bytes each)."""

    def __init__(self, max_bytes: int = BASE_POPULATION_BYTES) -> None:
        self.max_bytes = max_bytes
        self.hits = self.misses = 0
        self._kept: OrderedDict[tuple, tuple[dict[str, Any], Any, int]] = OrderedDict()
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def key(self, rng: np.random.Generator, sectors: dict[str, np.ndarray], arrays: tuple[np.ndarray, ...],
            scalars: tuple[float, ...]) -> tuple | None:
        """Return the key of a draw from these inputs and ``rng``'s state, or None when it is not to be kept."""
        if self.max_bytes <= 0:
            return None
        state = rng.bit_generator.state
        if state.get("bit_generator") != "PCG64":
            return None
        pcg = state["state"]
        table = tuple((name, *_fingerprint(values)) for name, values in sorted(sectors.items()))
        return (pcg["state"], pcg["inc"], state["has_uint32"], state["uinteger"],
                tuple(_fingerprint(a) for a in arrays), tuple(float(v) for v in scalars), table)

    def take(self, key: tuple, rng: np.random.Generator) -> dict[str, Any] | None:
        """Return the kept columns of ``key`` and move ``rng`` past their draw; None (``rng`` untouched) if none."""
        with self._lock:
            kept = self._kept.get(key)
            if kept is None:
                self.misses += 1
                return None
            self._kept.move_to_end(key)
            self.hits += 1
        columns, state_after, _ = kept
        rng.bit_generator.state = state_after
        return columns

    def keep(self, key: tuple, columns: dict[str, Any], rng: np.random.Generator) -> None:
        """Keep ``columns``, drawn from ``key`` (``rng`` is where the draw left it), if the key was drawn before."""
        digest = hash(key)
        with self._lock:
            if digest not in self._seen:
                self._seen[digest] = None
                if len(self._seen) > self.SEEN_KEYS:
                    self._seen.popitem(last=False)
                return
        arrays = [v for v in columns.values() if isinstance(v, np.ndarray)]
        size = sum(a.nbytes for a in arrays)
        if size > self.max_bytes:
            return
        for a in arrays:
            a.flags.writeable = False
        with self._lock:
            if key in self._kept:
                return
            self._kept[key] = (columns, rng.bit_generator.state, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, _, dropped) = self._kept.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        """Drop every kept population and reset the counts."""
        with self._lock:
            self._kept.clear()
            self._seen.clear()
            self._bytes = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._kept)


def _fingerprint(values: Any) -> tuple[str, tuple[int, ...], bytes]:
    """Return what identifies an input array's contents in a key: its dtype, its shape and its bytes."""
    array = np.ascontiguousarray(values)
    return array.dtype.str, array.shape, array.tobytes()


BASE_POPULATIONS = BasePopulations()
"""The base-year populations this process keeps (:class:`BasePopulations`); the model draws through it."""
