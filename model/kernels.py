"""Compiled loops for the model's heaviest passes (numba), with the plain code as their fallback.

A rule written as whole-array NumPy operations pays, per operation, a call into NumPy and a pass over its arrays:
growth, for instance, made about forty of each a year. The kernels here make one pass over the rows in play and do
the same arithmetic, in the same order, on the same float64 values, so their results are identical to the bit to
those of the NumPy code they replace (tests/test_kernels.py runs both and compares every output and firm array):

- only ``+ − × ÷``, comparisons and lookups are compiled; powers, logarithms and exponentials stay in NumPy (its
  vectorised versions may round differently from the C library's);
- no sums of many values into one: NumPy sums those pairwise, a loop would sum in order (sums by park or cell run
  in row order, as ``np.bincount`` does, so those are compiled);
- floating-point contraction and other fast-math rewrites are off (numba's default), and a division by zero gives
  inf or NaN as in NumPy (``error_model="numpy"``).

**When they run.** Loading numba and the cached machine code costs a process about half a second, and the kernels
save about 50 ns per firm-year, so they pay only over some 10⁷ firm-years (:data:`AUTO_FIRM_YEARS`): a batch's
worker after a few hundred baseline runs, a world of 10⁶ firms after a few years. The environment variable
``PARKABM_COMPILED`` chooses: unset (or ``auto``), a process switches to the kernels once its models have stepped
:data:`AUTO_FIRM_YEARS` firm-years (:func:`count_firm_years`); ``1`` from the first model on; ``0`` never. Without
numba (not installed, or refusing the installed NumPy) the rules run their NumPy code, or the kernel runs as plain
Python (relocation, a loop over the few firms that move). The results are the same in every case; :func:`enabled`
says which code runs, :func:`use_compiled` switches for a test. Compiled code is cached next to this file (numba's
``cache=True``), so a new process loads it instead of compiling again.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

ENVIRONMENT_SWITCH = "PARKABM_COMPILED"
"""Environment variable: ``0`` never runs the compiled kernels, ``1`` always does, ``auto`` (the default) once a
process has stepped :data:`AUTO_FIRM_YEARS` firm-years."""

AUTO_FIRM_YEARS = 10_000_000
"""Firm-years after which a process switches to the compiled kernels by default: about what they must save to pay
for loading numba (≈ 0.5 s a process, against ≈ 50 ns saved per firm-year, both measured on the 2-core benchmark
machine; benchmarks/bench_run.py ``--kernels`` compares the two)."""

MODES = ("auto", "1", "0")
"""Values of :data:`ENVIRONMENT_SWITCH`."""

_state: dict[str, Any] = {"on": False, "forced": False, "firm_years": 0, "numba": None, "mode": None}


def mode() -> str:
    """Return the kernel mode of this process: ``auto``, ``1`` (always) or ``0`` (never), from the environment.

    Read once, when first needed. An unknown value counts as ``auto``, with one warning naming the variable and
    the values allowed (results are the same in every mode, so a typo must not stop a batch).
    """
    if _state["mode"] is None:
        value = os.environ.get(ENVIRONMENT_SWITCH, "auto").strip().lower()
        if value not in MODES:
            warnings.warn(f"{ENVIRONMENT_SWITCH}={value!r} is not one of {', '.join(MODES)}; using auto",
                          RuntimeWarning, stacklevel=2)
            value = "auto"
        _state["mode"] = value
    return str(_state["mode"])


def enabled() -> bool:
    """Return whether the rules run the compiled kernels now (cheap: the rules ask once per pass)."""
    return bool(_state["on"])


def count_firm_years(firms: int) -> None:
    """Count ``firms`` firm-years stepped by this process, and switch the kernels on when its mode says so.

    :class:`~parkabm.model.city.ParkModel` calls it once when it is built and once per year it steps.
    """
    _state["firm_years"] += firms
    if _state["on"] or _state["forced"]:
        return
    wanted = mode()
    if wanted == "1" or (wanted == "auto" and _state["firm_years"] >= AUTO_FIRM_YEARS):
        _state["on"] = available()


def expect_firm_years(firms: int) -> None:
    """Switch the kernels on now if this process will step about ``firms`` more firm-years and that pays for them.

    A batch worker is told its share of the batch (:func:`parkabm.experiments.execution.runner.run_chunk`): when it
    reaches :data:`AUTO_FIRM_YEARS` (with what the process has stepped already), the ``auto`` mode switches at the
    first job instead of after the first 10⁷ firm-years.
    """
    if not (_state["on"] or _state["forced"]) and mode() == "auto" and _state["firm_years"] + firms >= AUTO_FIRM_YEARS:
        _state["on"] = available()


def available() -> bool:
    """Return whether numba can be imported here (imported on the first call, then remembered)."""
    if _state["numba"] is None:
        try:
            import numba
        except Exception:  # an ImportError, or numba's own refusal of the installed NumPy
            _state["numba"] = False
        else:
            _state["numba"] = numba
    return _state["numba"] is not False


@contextmanager
def use_compiled(on: bool) -> Iterator[None]:
    """Run the rules with (``on``, when numba is available) or without the compiled kernels inside the block.

    The firm-year count does not switch them meanwhile; the state before the block comes back after it.
    """
    before = _state["on"], _state["forced"]
    _state["on"], _state["forced"] = on and available(), True
    try:
        yield
    finally:
        _state["on"], _state["forced"] = before


class Kernel:
    """A loop compiled with numba on its first call when :func:`enabled`, run as Python otherwise.

    Args:
        function: The loop: it may use Python scalars, NumPy arrays indexed element by element and ``range``.
    """

    def __init__(self, function: Callable[..., Any]):
        self.py_func = function
        self._compiled: Callable[..., Any] | None = None
        self.__doc__ = function.__doc__
        self.__name__ = function.__name__

    def __call__(self, *args: Any) -> Any:
        """Run the loop: compiled when :func:`enabled`, else as Python."""
        if not enabled():
            return self.py_func(*args)
        if self._compiled is None:
            self._compiled = self._compile()
        return self._compiled(*args)

    def _compile(self) -> Callable[..., Any]:
        """Compile the loop, its machine code cached on disk where numba finds a writable place (else not cached).

        ``error_model="numpy"``: a division by zero gives inf or NaN, as in NumPy, instead of raising.
        """
        numba = _state["numba"]
        try:
            return numba.njit(cache=True, nogil=True, error_model="numpy")(self.py_func)
        except RuntimeError:  # no writable cache folder (read-only installation and home): compile in memory
            return numba.njit(cache=False, nogil=True, error_model="numpy")(self.py_func)


# --- random streams (parkabm.model.streams) -----------------------------------------------------------------------

SEED_HASH_INIT = 0x8B51F9DD
SEED_HASH_MULT = 0x58F38DED
"""The constants of NumPy's ``SeedSequence.generate_state`` (``INIT_B``, ``MULT_B``; its shift is 16 bits)."""


@Kernel
def seed_words(pool, n_words, init, mult, words):
    """Write ``SeedSequence.generate_state(n_words, np.uint64)`` of a seed sequence with entropy pool ``pool``.

    NumPy's algorithm, 32 bits at a time: each pool word in turn, xor a running hash constant (multiplied by
    ``mult`` after each use), times it, xor its own top half shifted down; pairs of these 32-bit values, low one
    first, make the 64-bit words. NumPy runs it one word at a time through Python-level iteration; a year's rule
    streams need 84 words (tests/test_kernels.py checks the words against NumPy's).
    """
    hash_const = init
    low = 0
    for k in range(2 * n_words):
        value = (pool[k % len(pool)] ^ hash_const) & 0xFFFFFFFF
        hash_const = (hash_const * mult) & 0xFFFFFFFF
        value = (value * hash_const) & 0xFFFFFFFF
        value ^= value >> 16
        if k % 2 == 0:
            low = value
        else:
            words[k // 2] = low | (value << 32)


SCREEN_MARGIN = 1e-9
"""Relative margin of :func:`below_for_sure`: far above the few roundings of ``output / price · scale``."""


def below_for_sure(threshold: float, price: float, scale: float) -> float:
    """Return an output below which ``output / price · scale ≥ threshold`` is surely false, whatever the rounding.

    ``threshold · price / scale · (1 − 10⁻⁹)``: the kernels test the cheap ``output ≥`` this first and divide only
    for the few large firms past it, with the same answer for every firm (NaN fails both tests).
    """
    return threshold * price / scale * (1.0 - SCREEN_MARGIN)


# --- growth (parkabm.model.rules.growth.grow_firms) ----------------------------------------------------------------

@Kernel
def deflate_output(idx, output, industrial, price, service_price, scale, min_size, real, size):
    """Real output of firms ``idx`` (``real``) and, when ``size`` is not empty, their size for volatility.

    ``real = output / price`` (the service index for service firms); ``size = max(real · scale, min_size)`` with
    NaN kept, as ``np.maximum``.
    """
    with_size = len(size) > 0
    for k in range(len(idx)):
        i = idx[k]
        r = output[i] / (price if industrial[i] else service_price)
        real[k] = r
        if with_size:
            x = r * scale
            size[k] = min_size if x < min_size else x


@Kernel
def desired_output(idx, sector, park, n_sectors, industrial, leader, real, size_factor, shock, sector_trend,
                   trend_multiplier, channels, growth_trend, macro_growth, agglomeration_on, agglomeration,
                   agglomeration_coefficient, spillover_on, has_leader, spillover_coefficient, service_on,
                   service_coefficient, pass_through, surcharge_share, resource_share, shocks_on, volatility,
                   volatility_multiplier, shocks, low, high, desired):
    """Desired real output of firms ``idx``: the growth formula of ``grow_firms``, term by term, clipped.

    Positions ``k`` index ``idx``, ``real``, ``size_factor`` (size^(−β)) and ``desired``; ``agglomeration`` and
    ``has_leader`` are the parks × sectors tables flattened, ``shock`` one standard normal per firm row. A term whose
    mechanism is off is left out, as in the NumPy code.
    """
    n_resource = len(resource_share)
    for k in range(len(idx)):
        i = idx[k]
        s = sector[i]
        cell = park[i] * n_sectors + s
        g = sector_trend[s] * trend_multiplier
        g -= channels * (1.0 if industrial[i] else 0.0)
        g *= growth_trend
        g += macro_growth[s]
        if agglomeration_on:
            g += agglomeration[cell] * agglomeration_coefficient
        if spillover_on:
            g += spillover_coefficient * (1.0 if (has_leader[cell] and not leader[i]) else 0.0)
        if service_on:
            g += service_coefficient * (1.0 if leader[i] else 0.0)
        share = surcharge_share[i] + resource_share[i] if i < n_resource else surcharge_share[i]
        g -= pass_through * share
        if shocks_on:
            g += volatility[s] * volatility_multiplier * size_factor[k] * shocks * shock[i]
        if g < low:
            g = low
        elif g > high:
            g = high
        g += 1.0
        desired[k] = g * real[k]


@Kernel
def grow_capacity(idx, industrial, productivity, land_mu, floor_mu, factor, desired, with_capacity, grown, capacity,
                  short):
    """Raise the land productivity of firms ``idx`` by ``factor`` and find the industrial firms short of space.

    Writes the new productivity to the firm array and to ``grown`` (by position); with ``with_capacity``, the
    capacity ``(land + floor) · productivity`` to ``capacity`` and the positions of the industrial firms whose
    desired output exceeds it to ``short``. Returns how many positions ``short`` holds.
    """
    n_short = 0
    for k in range(len(idx)):
        i = idx[k]
        p = productivity[i] * factor
        productivity[i] = p
        grown[k] = p
        if with_capacity:
            c = (land_mu[i] + floor_mu[i]) * p
            capacity[k] = c
            short[n_short] = k  # kept or overwritten: no branch to mispredict
            n_short += industrial[i] & (desired[k] > c)
    return n_short


@Kernel
def write_growth(idx, industrial, desired, real, price, service_price, output, last_growth):
    """Write the nominal output ``desired · price`` and the growth ``desired / real − 1`` (0 without output)."""
    for k in range(len(idx)):
        i = idx[k]
        output[i] = desired[k] * (price if industrial[i] else service_price)
        r = real[k]
        last_growth[i] = (desired[k] / r if r > 0 else 1.0) - 1.0


# --- space allocation (parkabm.model.rules.space.serve_in_order) --------------------------------------------------

@Kernel
def serve_requests(request, park, first_stock, second_stock, draw_down, from_first, from_second):
    """Serve requests in serving order (grouped by park, ascending) from two stocks: ``serve_in_order`` in one pass.

    What the park's earlier requests asked for is the running total of all requests less its value at the park's
    first request (as the NumPy code's cumulative sum, so the same roundings). Each request gets what is left of
    the first stock, then of the second, up to what it asks: ``from_first`` and ``from_second``. With
    ``draw_down`` each stock is reduced by what its park's requests got, summed in their order (as
    ``np.bincount``), and kept at or above zero (as ``np.maximum(stock, 0.0)``). Ties of minimum, maximum and clip
    resolve as NumPy's do (the second operand; the bound), so even signed zeros agree.
    """
    running = 0.0
    offset = 0.0
    current = -1
    taken_first = 0.0  # what the current park's requests got so far, summed in their order
    taken_second = 0.0
    for k in range(len(request)):
        r = request[k]
        running += r
        before = running - r
        p = park[k]
        if p != current:  # the park's first request: book what the previous park's requests took
            if draw_down and current >= 0:
                first_stock[current] -= taken_first
                second_stock[current] -= taken_second
            current = p
            offset = before
            taken_first = 0.0
            taken_second = 0.0
        before -= offset
        a = first_stock[p]
        granted = a + second_stock[p]
        granted -= before
        if granted == granted:  # np.clip(granted, 0, r); NaN stays
            if not granted > 0.0:
                granted = 0.0
            if not granted < r:
                granted = r
        x = before + granted
        first = x if x < a or x != x else a  # np.minimum(x, a)
        first -= before
        if first == first:
            if not first > 0.0:
                first = 0.0
            if not first < r:
                first = r
        second = granted - first
        bound = r - first
        if second == second:
            if not second > 0.0:
                second = 0.0
            if not second < bound:
                second = bound
        from_first[k] = first
        from_second[k] = second
        taken_first += first
        taken_second += second
    if not draw_down:
        return
    if current >= 0:
        first_stock[current] -= taken_first
        second_stock[current] -= taken_second
    for q in range(len(first_stock)):  # np.maximum(stock, 0.0) over every park
        left = first_stock[q]
        first_stock[q] = left if left > 0.0 or left != left else 0.0
        left = second_stock[q]
        second_stock[q] = left if left > 0.0 or left != left else 0.0


# --- relocation (parkabm.model.rules.space.relocate_firms) ---------------------------------------------------------

@Kernel
def relocate_in_order(movers, need, park, land_mu, floor_mu, closed, vacant, factory, available, moved):
    """Move firms ``movers`` one by one to the open park with most available space, if it holds all they need.

    ``need[k]`` is the space mover ``k`` still lacks. ``available`` must hold each park's available space (0 for a
    closed park) and is kept up to date; ``vacant`` and ``factory`` are drawn down as firms move, and the firm arrays
    rewritten. The target is the first park of largest available space other than the home park (the first NaN, if
    any, as ``np.argmax``). ``moved[k]`` is set for the firms that moved. Runs compiled, or as Python on lists.
    """
    n_parks = len(available)
    for k in range(len(movers)):
        i = movers[k]
        home = int(park[i])
        own = available[home]
        available[home] = 0.0
        target = 0
        best = available[0]
        for q in range(n_parks):
            value = available[q]
            if value != value:  # NaN: np.argmax stops at the first one
                target = q
                break
            if value > best:
                best, target = value, q
        room = available[target]
        available[home] = own
        land_held, floor_held = float(land_mu[i]), float(floor_mu[i])
        total = land_held + floor_held + need[k]
        if room < total:
            continue
        vacant[home] += land_held
        factory[home] += floor_held
        floor = factory[target] if factory[target] < total else total  # floor first, then land (allocate_space)
        land = total - floor
        factory[target] -= floor
        left = vacant[target] - land
        vacant[target] = 0.0 if left < 0.0 else left
        available[home] = 0.0 if closed[home] else vacant[home] + factory[home]
        available[target] = 0.0 if closed[target] else vacant[target] + factory[target]
        land_mu[i], floor_mu[i] = land, floor
        park[i] = target
        moved[k] = True


# --- the yearly tally (parkabm.model.outputs.reporters.tally) ------------------------------------------------------

@Kernel
def tally_rows(alive, output, threshold, industrial, park, sector, n_sectors, tax_ratio, land_mu, floor_mu,
               value_added_rate, rd_intensity, mujun_class, price, scale, leader_threshold, leader_screen,
               hightech_threshold, surcharge_share, cell_output, park_tax, park_space, park_firms, park_guishang,
               class_counts, industrial_output, surcharge_revenue, value_added, rd, tax, space, big):
    """One pass over the firms in row order: the counts and per-park sums of the tally, and the terms of its sums.

    Every firm writes its surcharge revenue (surcharge share × output) to ``surcharge_revenue``, and every
    industrial firm its 规上 output (0 unless alive and 规上) to ``industrial_output``, in row order. Alive firms
    are counted by park and by class; those of real output ``≥ leader_threshold / scale`` are listed in ``big``
    (tested only past ``leader_screen``, :func:`below_for_sure`).
    规上 firms (output ≥ ``threshold``) add their output to ``cell_output`` (parks × sectors, flattened) and write
    their value added and R&D to ``value_added`` and ``rd``; 规上 industrial firms add their tax and space to
    ``park_tax`` and ``park_space`` and write them to ``tax`` and ``space``. Sums by park and cell run in row order,
    as ``np.bincount`` does; the totals of the written terms are left to NumPy (it sums pairwise). Returns the
    counts ``(alive, 规上, 规上 industrial, big, hightech, industrial rows)``.
    """
    n_alive = n_guishang = n_industrial = n_big = n_hightech = n_industrial_rows = 0
    for i in range(len(alive)):
        y = output[i]
        surcharge_revenue[i] = surcharge_share[i] * y
        is_guishang = alive[i] and y >= threshold
        if industrial[i]:
            industrial_output[n_industrial_rows] = y if is_guishang else 0.0
            n_industrial_rows += 1
        if not alive[i]:
            continue
        n_alive += 1
        p = park[i]
        park_firms[p] += 1
        class_counts[mujun_class[i]] += 1
        if y >= leader_screen and y / price * scale >= leader_threshold:
            big[n_big] = i
            n_big += 1
        if not is_guishang:
            continue
        cell_output[p * n_sectors + sector[i]] += y
        value_added[n_guishang] = y * value_added_rate[i]
        rd[n_guishang] = y * rd_intensity[i]
        if rd_intensity[i] >= hightech_threshold:
            n_hightech += 1
        n_guishang += 1
        if industrial[i]:
            t = y * tax_ratio[i]
            s = land_mu[i] + floor_mu[i]
            park_tax[p] += t
            park_space[p] += s
            park_guishang[p] += 1
            tax[n_industrial] = t
            space[n_industrial] = s
            n_industrial += 1
    return n_alive, n_guishang, n_industrial, n_big, n_hightech, n_industrial_rows


# --- exit and upgrading: the firms a year's draw can reach (parkabm.model.rules.exit, .upgrading) ------------------

@Kernel
def exit_bracket(alive, entry_year, year, last_growth, loss_sensitivity, mujun_class, years_in_d, rectification_years,
                 enforcement_on, enforcement, d_multiplier_less_one, acceptance, draw, screened, screen, idx, hazard,
                 overdue, candidate):
    """The hazard bracket of every firm that can exit and the positions of those its draw can reach.

    For the alive firms that entered before ``year`` (written to ``idx``, in row order): ``hazard = 1 + loss ·
    max(0, −g)`` plus, for overdue D firms (``overdue``), ``enforcement · (d − 1) · acceptance`` when enforcement is
    on. ``candidate`` gets the positions whose draw is below ``hazard · screen`` (all of them without
    ``screened``). Returns ``(firms, candidates)``.
    """
    n = 0
    n_candidates = 0
    for i in range(len(alive)):
        if not (alive[i] and entry_year[i] < year):
            continue
        h = -last_growth[i]
        if h < 0.0:
            h = 0.0
        h *= loss_sensitivity
        h += 1.0
        late = mujun_class[i] == 3 and years_in_d[i] > rectification_years
        if enforcement_on:
            pressure = (1.0 if late else 0.0) * enforcement
            pressure *= d_multiplier_less_one
            pressure *= acceptance
            h += pressure
        idx[n] = i
        hazard[n] = h
        overdue[n] = late
        candidate[n_candidates] = n  # kept or overwritten: no branch on the draw to mispredict
        n_candidates += (not screened) | (draw[i] < h * screen)
        n += 1
    return n, n_candidates


@Kernel
def upgrade_candidates(alive, industrial, ramp_left, entry_year, year, draw, bound, rows):
    """Write to ``rows`` the producing firms whose draw is below ``bound``, in row order; return how many.

    Producing: alive, industrial, at full scale and entered before ``year``.
    """
    n = 0
    for i in range(len(alive)):
        rows[n] = i  # kept or overwritten: no branch on the draw to mispredict (as covered_rows)
        n += alive[i] & industrial[i] & (ramp_left[i] == 0) & (entry_year[i] < year) & (draw[i] < bound)
    return n


# --- land and agglomeration (parkabm.model.rules.land, .growth) ---------------------------------------------------

@Kernel
def low_efficiency_rows(mujun_class, years_in_d, rectification_years, with_tax, threshold, output, tax_ratio,
                        land_mu, floor_mu, ramp_left, alive, industrial, park, weak, land_by_park):
    """Mark the low-efficiency firms (``weak``) and add their land to ``land_by_park``, in row order.

    A firm is weak when alive, industrial and holding land, and either a D-class firm past its deadline or, with
    ``with_tax``, at full scale with 亩均税收 ``output · tax_ratio / (land + floor)`` below ``threshold``.
    """
    for i in range(len(alive)):
        w = mujun_class[i] == 3 and years_in_d[i] > rectification_years
        if with_tax and not w and ramp_left[i] == 0:
            w = output[i] * tax_ratio[i] / (land_mu[i] + floor_mu[i]) < threshold
        w = w and alive[i] and industrial[i] and land_mu[i] > 0
        weak[i] = w
        if w:
            land_by_park[park[i]] += land_mu[i]


@Kernel
def cell_sums(park, sector, n_sectors, values, cells):
    """Add each row's value to its park × sector cell (``cells``, flattened), in row order (as ``np.bincount``)."""
    for i in range(len(park)):
        cells[park[i] * n_sectors + sector[i]] += values[i]


# --- the 亩均 evaluation (parkabm.model.rules.evaluation.evaluate_mujun) ------------------------------------------

@Kernel
def covered_rows(alive, industrial, ramp_left, land_mu, floor_mu, min_space, guishang_only, output, threshold, rows):
    """Write to ``rows`` the firms the evaluation covers, in row order; return how many.

    Covered: alive, industrial, at full scale, holding at least ``min_space`` of land and floor, and (with
    ``guishang_only``) of output at least ``threshold``.
    """
    n = 0
    for i in range(len(alive)):
        # Every test on every row, and every row written then kept or overwritten: no branch to mispredict.
        covered = (alive[i] & industrial[i] & (ramp_left[i] == 0) & (land_mu[i] + floor_mu[i] >= min_space)
                   & ((not guishang_only) | (output[i] >= threshold)))
        rows[n] = i
        n += covered
    return n


@Kernel
def scaled_indicators(rows, output, land_mu, floor_mu, tax_ratio, value_added_rate, electricity, emission,
                      labour_productivity, rd_intensity, benchmark, cap, values):
    """Write the six indicators of firms ``rows``, each over its benchmark and capped at ``cap``, to ``values``.

    ``values`` is 6 × rows, in :data:`parkabm.model.rules.evaluation.INDICATORS` order: 亩均税收 and 亩均增加值
    (over land + floor), value added per energy and per emission, labour productivity × value-added rate, R&D
    intensity. A NaN stays NaN under the cap, as with ``np.minimum``.
    """
    for k in range(len(rows)):
        i = rows[k]
        y = output[i]
        space = land_mu[i] + floor_mu[i]
        va = value_added_rate[i]
        row = (y * tax_ratio[i] / space, y * va / space, va / electricity[i], va / emission[i],
               va * labour_productivity[i], rd_intensity[i])
        for j in range(6):
            v = row[j] / benchmark[j]
            values[j, k] = cap if v > cap else v


@Kernel
def set_classes(rows, score, qa, qb, qc, n_firms, not_evaluated, mujun_class, years_in_d, codes):
    """Class the scored firms, count consecutive D years, and write the class codes (by position) to ``codes``.

    A firm scoring at or above the A cut-off ``qa`` is A (0), else B (1), C (2) or D (3) by ``qb`` and ``qc``;
    every other firm is ``not_evaluated``. D firms count one more year in D, the others start again from 0.
    """
    for i in range(n_firms):
        mujun_class[i] = not_evaluated
    for k in range(len(rows)):
        s = score[k]
        level = (1 if s >= qa else 0) + (1 if s >= qb else 0) + (1 if s >= qc else 0)
        mujun_class[rows[k]] = 3 - level
        codes[k] = 3 - level
    for i in range(n_firms):
        years_in_d[i] = years_in_d[i] + 1 if mujun_class[i] == 3 else 0


@Kernel
def price_differences(rows, codes, surcharge_by_class, persistent_surcharge, years_in_d, persistent_years, scale,
                      electricity, land_per_mu, per_kwh_by_class, land_mu, output, surcharge_share, resource_share):
    """Write the electricity surcharge and the land, water and gas price differences of the evaluated firms.

    Both as cost shares of output, by the firm's class code (``codes``, by position in ``rows``): the surcharge
    ``scale · s_k · e / 10⁴`` (``persistent_surcharge`` for D firms in D more than ``persistent_years``) and
    ``scale · (t_k · L / (Y · 10⁸) + per_kwh_k · e / 10⁴)`` (the land term 0 for a firm without output), as
    ``evaluate_mujun`` and ``set_resource_costs`` compute them.
    """
    for k in range(len(rows)):
        i = rows[k]
        c = codes[k]
        s = persistent_surcharge if c == 3 and years_in_d[i] > persistent_years else surcharge_by_class[c]
        s *= scale
        s *= electricity[i]
        s /= 1e4
        surcharge_share[i] = s
        output_yuan = output[i] * 1e8
        share = land_per_mu[c] * land_mu[i] / output_yuan if output_yuan > 0 else 0.0
        per_kwh = per_kwh_by_class[c] * electricity[i]
        per_kwh /= 1e4
        share += per_kwh
        resource_share[i] = scale * share


# --- land release, innovation support, chain leaders, milestones (resources, funds, chain_leaders) ---------------

@Kernel
def release_land(mujun_class, class_rate, alive, industrial, ramp_left, land_mu, floor_mu, productivity, output,
                 price, released_by_park, park):
    """Hand back the unused land of firms whose land costs more (``release_unused_land``); sum it by park.

    A producing industrial firm holding land, of class rate ``r > 0``, releases ``min(r · u · space, land)`` with
    ``u = clip(1 − real / capacity, 0, 1)`` (``u = 0`` without capacity), ``capacity = space · productivity``.
    Returns how many firms were looked at.
    """
    n = 0
    for i in range(len(alive)):
        rate = class_rate[mujun_class[i]]
        if not (alive[i] and industrial[i] and ramp_left[i] == 0 and rate > 0 and land_mu[i] > 0):
            continue
        n += 1
        space = land_mu[i] + floor_mu[i]
        capacity = space * productivity[i]
        used = output[i] / price / capacity if capacity > 0 else 1.0
        unused = 1.0 - used
        if unused < 0.0:
            unused = 0.0
        elif unused > 1.0:
            unused = 1.0
        released = rate * unused * space
        if not (released <= land_mu[i] or released != released):
            released = land_mu[i]
        land_mu[i] -= released
        released_by_park[park[i]] += released
    return n


@Kernel
def leading_guishang_rows(alive, industrial, output, threshold, park, sector, n_sectors, lead_mask, rows,
                          output_by_park):
    """Rows of the 规上 industrial firms in a leading industry of their park, in row order, and their output by park.

    Returns how many rows were written.
    """
    n = 0
    for i in range(len(alive)):
        if alive[i] and industrial[i] and output[i] >= threshold and lead_mask[park[i] * n_sectors + sector[i]]:
            rows[n] = i
            n += 1
            output_by_park[park[i]] += output[i]
    return n


@Kernel
def add_rd_support(rows, park, rd_intensity, leverage, per_output, ceiling):
    """Raise the R&D intensity of firms ``rows`` by ``leverage`` × their park's support per output, capped."""
    for k in range(len(rows)):
        i = rows[k]
        value = rd_intensity[i] + leverage * per_output[park[i]]
        rd_intensity[i] = value if (value <= ceiling or value != value) else ceiling


@Kernel
def mark_leaders(alive, output, price, scale, threshold, screen, park, sector, n_sectors, lead_mask, leader,
                 has_leader):
    """Mark the chain leaders (``leader``) and the park × sector cells they are in (``has_leader``, flattened).

    A leader is alive, of real output ``output / price · scale ≥ threshold`` (tested only past ``screen``,
    :func:`below_for_sure`), in a leading industry of its park.
    """
    for i in range(len(alive)):
        if alive[i] and output[i] >= screen and output[i] / price * scale >= threshold:
            cell = park[i] * n_sectors + sector[i]
            if lead_mask[cell]:
                leader[i] = True
                has_leader[cell] = True


@Kernel
def milestones_reached(alive, industrial, output, scale, milestones, rewards, reward_level, paid):
    """Raise each alive industrial firm's milestone level to what its output reaches; write what is paid.

    The level is the number of milestones at or below ``output · scale`` (all of them for NaN, as
    ``np.searchsorted(side="right")``); a firm whose level rises is paid the difference of the rewards of the two
    levels, written to ``paid`` in row order. Returns how many firms were paid.
    """
    n_paid = 0
    n_milestones = len(milestones)
    for i in range(len(alive)):
        if not (alive[i] and industrial[i]):
            continue
        x = output[i] * scale
        if x < milestones[0]:
            continue
        if x != x:
            level = n_milestones
        else:
            level = 0
            while level < n_milestones and milestones[level] <= x:
                level += 1
        if level > reward_level[i]:
            paid[n_paid] = rewards[level] - rewards[reward_level[i]]
            n_paid += 1
            reward_level[i] = level
    return n_paid


# --- the energy-use quota (parkabm.model.rules.resources.cap_energy_growth) --------------------------------------

@Kernel
def energy_requests(idx, industrial, electricity, threshold, park, mujun_class, not_evaluated, n_parks, real,
                    desired, heavy, need, cell, use_by_park, asked_by_cell):
    """The energy-intensive firms among ``idx``, their extra energy need and the requests by class and park.

    An industrial firm of electricity intensity ``e ≥ threshold`` is energy-intensive: its position goes to
    ``heavy``, its need ``max(desired − real, 0) · 10⁴ · e`` to ``need`` and its (class, park) cell (firms not
    evaluated with C) to ``cell``; last year's use ``real · 10⁴ · e`` is summed by park, the needs by cell, in row
    order. Returns how many firms are energy-intensive.
    """
    n = 0
    for k in range(len(idx)):
        i = idx[k]
        e = electricity[i]
        if not (industrial[i] and e >= threshold):
            continue
        p = park[i]
        r = real[k]
        use_by_park[p] += r * 1e4 * e
        extra = desired[k] - r
        if extra < 0.0:
            extra = 0.0
        extra *= 1e4
        extra *= e
        c = mujun_class[i]
        if c == not_evaluated:
            c = 2
        heavy[n] = k
        need[n] = extra
        cell[n] = c * n_parks + p
        asked_by_cell[c * n_parks + p] += extra
        n += 1
    return n


@Kernel
def apply_energy_quota(idx, heavy, need, cell, ratio, cut_scale, tolerance, electricity, park, real, desired,
                       requested_by_park, granted_by_park):
    """Grant each energy-intensive firm its cell's share of its need and cap its desired output by the rest.

    ``grant = ratio[cell] · need``; the shortfall, times ``cut_scale`` and over ``10⁴ · e``, comes off the desired
    output, which stays at least ``min(real, desired)``. Needs and grants are summed by park in row order. Returns
    how many firms the quota binds (shortfall above ``tolerance`` of the need).
    """
    bound = 0
    for j in range(len(heavy)):
        k = heavy[j]
        i = idx[k]
        e = electricity[i]
        asked = need[j]
        grant = ratio[cell[j]] * asked
        shortfall = asked - grant
        cut = shortfall * cut_scale
        cut /= 1e4 * e
        floor = asked if (asked >= 1e-12 or asked != asked) else 1e-12
        if shortfall > tolerance * floor:
            bound += 1
        d = desired[k]
        r = real[k]
        low = r if (r <= d or r != r) else d
        capped = d - cut
        desired[k] = capped if (capped >= low or capped != capped) else low
        requested_by_park[park[i]] += asked
        granted_by_park[park[i]] += grant
    return bound


# --- 技术改造 (parkabm.model.rules.upgrading.upgrade_firms) --------------------------------------------------------

@Kernel
def upgrade_terms(idx, output, sector, mujun_class, value_added_rate, sector_value_added_rate, strategic,
                  investment_ratio, scale, strategic_minimum, minimum, rate, return_factor, hurdle_rate, investment,
                  eligible, ratio):
    """For the candidate firms ``idx``: their investment, whether it is subsidised, and ``ρ / hurdle``.

    ``investment = investment_ratio · output``; eligible when ``investment · scale`` reaches the sector's threshold
    and the firm is not D; ``ρ = return_factor · v / v_sector / investment_ratio`` (``return_factor`` = gain ·
    margin) over ``(1 − rate · eligible) · hurdle_rate`` goes to ``ratio`` (its logarithm and normal CDF are left
    to NumPy and SciPy, as in :func:`~parkabm.model.rules.upgrading.investment_acceptance`).
    """
    for k in range(len(idx)):
        i = idx[k]
        s = sector[i]
        x = investment_ratio * output[i]
        investment[k] = x
        ok = x * scale >= (strategic_minimum if strategic[s] else minimum) and mujun_class[i] != 3
        eligible[k] = ok
        rho = return_factor * (value_added_rate[i] / sector_value_added_rate[s]) / investment_ratio
        hurdle = 1.0 - rate * (1.0 if ok else 0.0)
        hurdle *= hurdle_rate
        ratio[k] = rho / hurdle


@Kernel
def apply_upgrades(idx, accept, drawn, mujun_class, rectification, propensity, typical, land_mu, floor_mu,
                   productivity, output, price, utilisation, pressure_factor, max_probability, eligible, investment,
                   gain_factor, half_gain_factor, rd_factor, max_value_added_rate, max_rd_intensity,
                   value_added_rate, electricity, emission, rd_intensity, upgrades, invested, subsidised):
    """Decide which candidates upgrade (draw below their probability) and apply the upgrades.

    The probability is ``accept · propensity / typical · rectification[class]``, times ``pressure_factor`` when
    output exceeds ``utilisation`` of the capacity at ``price``, at most ``max_probability``. An upgrade raises
    productivity by ``gain_factor``, output by ``half_gain_factor`` and R&D by ``rd_factor`` (both capped for the
    value-added rate and R&D), and cuts electricity and emission. The investments of the upgrading firms go to
    ``invested``, those of the subsidised ones to ``subsidised``, in row order. Returns both counts.
    """
    n_up = n_subsidised = 0
    for k in range(len(idx)):
        i = idx[k]
        p = accept[k] * propensity
        p /= typical
        p *= rectification[mujun_class[i]]
        capacity = (land_mu[i] + floor_mu[i]) * productivity[i] * price * utilisation
        if output[i] > capacity:
            p *= pressure_factor
        if not (p <= max_probability or p != p):
            p = max_probability
        if not drawn[k] < p:
            continue
        productivity[i] *= gain_factor
        v = value_added_rate[i] * half_gain_factor
        value_added_rate[i] = v if (v <= max_value_added_rate or v != v) else max_value_added_rate
        electricity[i] /= half_gain_factor
        emission[i] /= gain_factor
        r = rd_intensity[i] * rd_factor
        rd_intensity[i] = r if (r <= max_rd_intensity or r != r) else max_rd_intensity
        output[i] *= half_gain_factor
        upgrades[i] += 1
        invested[n_up] = investment[k]
        n_up += 1
        if eligible[k]:
            subsidised[n_subsidised] = investment[k]
            n_subsidised += 1
    return n_up, n_subsidised


# --- firm attributes (parkabm.agents.population.draw_firm_attributes) ---------------------------------------------

@Kernel
def attribute_exponents(block, quality, constants):
    """Write the exponent of every attribute draw of ``block`` (attributes × firms) in place.

    ``(ε · √(1 − ρ²) + ρ · z) · sd − sd² / 2`` for the draw ε of attribute row j and firm i, with the firm's quality
    ``z = quality[i]`` and ``√(1 − ρ²)``, ρ, sd and sd²/2 the rows of ``constants[:, j]``: the operations of the
    NumPy code, in its order.
    """
    for j in range(block.shape[0]):
        weight, loading, sd, half_variance = constants[0, j], constants[1, j], constants[2, j], constants[3, j]
        for i in range(block.shape[1]):
            x = block[j, i] * weight
            x += loading * quality[i]
            x *= sd
            block[j, i] = x - half_variance


@Kernel
def scale_attributes(block, sector, first_valued, values, clip_first, clip_step, clip_bounds):
    """Multiply the rows of ``block`` from ``first_valued`` on by their sector values, then clip the clipped rows.

    Row j ≥ ``first_valued`` of firm i is multiplied by ``values[j − first_valued, sector[i]]``; the clipped rows
    (``clip_first`` + k · ``clip_step`` for each column k of ``clip_bounds``) are raised to ``clip_bounds[0, k]``
    and lowered to ``clip_bounds[1, k]``, with NaN kept (as ``np.maximum`` then ``np.minimum``).
    """
    for j in range(first_valued, block.shape[0]):
        for i in range(block.shape[1]):
            block[j, i] *= values[j - first_valued, sector[i]]
    for k in range(clip_bounds.shape[1]):
        j = clip_first + k * clip_step
        low, high = clip_bounds[0, k], clip_bounds[1, k]
        for i in range(block.shape[1]):
            x = block[j, i]
            if x < low:
                x = low
            if x > high:
                x = high
            block[j, i] = x


def attribute_passes() -> tuple[Kernel, Kernel] | None:
    """Return the compiled passes of the firm attributes when the kernels run, else None (the NumPy code)."""
    return (attribute_exponents, scale_attributes) if enabled() else None
