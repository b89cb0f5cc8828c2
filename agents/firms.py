"""The firm population as a structure of arrays.

Firms are many (≥6,000 in the baseline world, 10⁶ must be possible), so their state lives in NumPy arrays, one entry
per firm, and every firm rule in ``parkabm.model`` is a vectorised operation over them. Rows are never reordered or
deleted during a run: an exiting firm is marked not ``alive`` and keeps its row, so a row index identifies a firm
for the whole run. New firms (recruited projects) are appended into spare rows reserved behind the arrays
(:data:`HEADROOM`); only when those run out do the buffers grow, by doubling, so appending a year's entrants does not
copy the population.

Per-firm views for inspection: :meth:`Firms.to_frame` and :meth:`Firms.firm`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from parkabm.scenarios.world import GUISHANG_THRESHOLD_YI

CLASS_LABELS = ("A", "B", "C", "D", "-")
"""亩均 classes by code; code 4 (``-``) means not evaluated (not covered, or evaluation switched off)."""
NOT_EVALUATED = 4

HEADROOM = 0.25
"""Spare rows reserved behind the arrays, as a share of the initial population: room for the entrants of a typical
run (about 4% of the population a year), so that appending them copies nothing. Beyond it the buffers double."""


# name -> dtype; the order is the column order of to_frame().
FIELDS: dict[str, np.dtype] = {
    "park": np.dtype(np.int16),  # index into the world's parks
    "sector": np.dtype(np.int16),  # index into the world's sectors
    "alive": np.dtype(bool),
    "industrial": np.dtype(bool),  # False for 规上 service firms (all_guishang scope): no land constraint
    "output_yi": np.dtype(np.float64),  # nominal output this year, 亿元
    "land_mu": np.dtype(np.float64),  # industrial land held, 亩
    "floor_mu": np.dtype(np.float64),  # standard-factory floor rented, in 亩 of land-equivalent capacity
    "productivity": np.dtype(np.float64),  # real output capacity per 亩 of space, 亿元/亩 (base-year prices)
    "value_added_rate": np.dtype(np.float64),  # 增加值/产值
    "tax_ratio": np.dtype(np.float64),  # tax/output
    "electricity": np.dtype(np.float64),  # kWh per 万元 of output
    "emission": np.dtype(np.float64),  # emission index per 万元 of output (all-industry average = 1)
    "rd_intensity": np.dtype(np.float64),  # R&D spending / output
    "labour_productivity": np.dtype(np.float64),  # output per employee, 万元
    "mujun_class": np.dtype(np.int8),  # 0..3 = A..D, 4 = not evaluated
    "years_in_d": np.dtype(np.int16),  # consecutive years in class D
    "upgrades": np.dtype(np.int16),  # number of 技术改造 projects completed
    "entry_year": np.dtype(np.int16),  # year the firm entered the population (base year for initial firms)
    "exit_year": np.dtype(np.int16),  # year the firm exited (0 while alive)
    "ramp_left": np.dtype(np.int8),  # years of 投产 ramp-up still to go (0 = producing at full scale)
    "target_output_yi": np.dtype(np.float64),  # real full-scale output of a ramping project, 亿元
    "reward_level": np.dtype(np.int8),  # highest output milestone already rewarded (制造业高质量发展若干意见)
    "last_growth": np.dtype(np.float64),  # last year's realised real growth rate
}
_FIELD_NAMES = frozenset(FIELDS)


@dataclass
class FirmView:
    """A read-only snapshot of one firm's state, for inspection in notebooks and tests."""

    index: int
    state: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        """Return one field of the snapshot."""
        try:
            return self.state[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


class Firms:
    """All firms of a run, one array per state variable.

    Attributes are the arrays named in :data:`FIELDS`, each of length :attr:`n` (the number of rows in use; a
    larger buffer sits behind them).
    """

    # One view per name of FIELDS (bound by ``_bind``; tests/test_types.py checks the two lists agree).
    park: np.ndarray
    sector: np.ndarray
    alive: np.ndarray
    industrial: np.ndarray
    output_yi: np.ndarray
    land_mu: np.ndarray
    floor_mu: np.ndarray
    productivity: np.ndarray
    value_added_rate: np.ndarray
    tax_ratio: np.ndarray
    electricity: np.ndarray
    emission: np.ndarray
    rd_intensity: np.ndarray
    labour_productivity: np.ndarray
    mujun_class: np.ndarray
    years_in_d: np.ndarray
    upgrades: np.ndarray
    entry_year: np.ndarray
    exit_year: np.ndarray
    ramp_left: np.ndarray
    target_output_yi: np.ndarray
    reward_level: np.ndarray
    last_growth: np.ndarray

    def __init__(self, columns: dict[str, Any], *, headroom: float = HEADROOM):
        """Build the population from equally long arrays.

        Args:
            columns: One array per name in :data:`FIELDS`, or a number that every firm takes; missing fields start
                at zero.
            headroom: Spare rows to reserve for entrants, as a share of the initial rows.

        Raises:
            ValueError: Columns of unequal length or unknown names.
        """
        unknown = columns.keys() - _FIELD_NAMES
        if unknown:
            raise ValueError(f"unknown firm fields: {sorted(unknown)}")
        lengths = {len(v) for v in columns.values() if np.ndim(v)}
        if len(lengths) > 1:
            raise ValueError(f"firm fields have different lengths: {sorted(lengths)}")
        self.n = lengths.pop() if lengths else 0
        self.guishang_threshold_yi = GUISHANG_THRESHOLD_YI
        capacity = max(16, self.n + int(headroom * self.n))
        self._buffers: dict[str, np.ndarray] = {}
        for name, dtype in FIELDS.items():
            # The spare rows are left unwritten (not even zeroed): append() writes every field of the rows it adds.
            buf = np.empty(capacity, dtype=dtype)
            buf[: self.n] = columns[name] if name in columns else 0
            self._buffers[name] = buf
        self._bind()

    def _bind(self) -> None:
        for name, buf in self._buffers.items():
            setattr(self, name, buf[: self.n])

    @property
    def capacity(self) -> int:
        """Rows the buffers hold (in use or spare)."""
        return len(self._buffers["alive"])

    def new_column(self, dtype: Any = np.float64) -> np.ndarray:
        """Return a zero array of one value per firm row, with spare rows behind it like the state arrays.

        For per-firm model arrays (scores, surcharges, chain leaders) that must grow with the population:
        :meth:`extend_column` then lengthens them without copying.
        """
        column = np.empty(self.capacity, dtype=dtype)[: self.n]  # spare rows are zeroed when extended into
        column[:] = 0
        return column

    def extend_column(self, column: np.ndarray) -> np.ndarray:
        """Return ``column`` lengthened to :attr:`n` rows, the new rows zero.

        A column made by :meth:`new_column` (or lengthened before) is lengthened in place, as a longer view of its
        own buffer, while that buffer has room; any other array is copied into a new buffer of :attr:`capacity`
        rows. The rows it already had keep their values.
        """
        k = len(column)
        base = column.base
        # A longer view of the same buffer when the column starts where its buffer does: their first elements are the
        # same memory (for an empty column, the same address).
        if (isinstance(base, np.ndarray) and base.ndim == 1 and base.dtype == column.dtype and len(base) >= self.n
                and column.strides == base.strides
                and (np.shares_memory(column[:1], base[:1]) if k else
                     column.__array_interface__["data"][0] == base.__array_interface__["data"][0])):
            out = base[: self.n]
        else:
            out = np.empty(max(self.capacity, self.n), dtype=column.dtype)[: self.n]
            out[:k] = column
        out[k:] = 0
        return out

    def append(self, columns: dict[str, Any]) -> np.ndarray:
        """Add new firms at the end.

        Args:
            columns: Equally long arrays for some fields (the number of new firms is the length of the first
                array), or a number that every new firm takes; other fields start at zero.

        Returns:
            The row indices of the new firms.

        Raises:
            ValueError: Unknown field names.
        """
        unknown = columns.keys() - _FIELD_NAMES
        if unknown:
            raise ValueError(f"unknown firm fields: {sorted(unknown)}")
        k = next((len(v) for v in columns.values() if np.ndim(v)), 0)
        start, stop = self.n, self.n + k
        capacity = self.capacity
        if stop > capacity:
            new_capacity = max(stop, 2 * capacity)
            for name, buf in self._buffers.items():
                grown = np.empty(new_capacity, dtype=buf.dtype)
                grown[: self.n] = buf[: self.n]
                self._buffers[name] = grown
        for name, buf in self._buffers.items():
            buf[start:stop] = columns[name] if name in columns else 0
        self.n = stop
        self._bind()
        return np.arange(start, stop)

    @property
    def space_mu(self) -> np.ndarray:
        """Space held by each firm: land plus standard-factory floor, in 亩 of land-equivalent."""
        return self.land_mu + self.floor_mu

    @property
    def guishang(self) -> np.ndarray:
        """Whether each firm is 规上 (alive and output ≥ 2000万元, divided by the population scale)."""
        return self.alive & (self.output_yi >= self.guishang_threshold_yi)

    def to_frame(self, *, alive_only: bool = False) -> pd.DataFrame:
        """Return the population as a DataFrame, one row per firm.

        Args:
            alive_only: Keep only firms that have not exited.

        Returns:
            A copy of every state variable, plus ``mujun_label`` (A/B/C/D/-).
        """
        frame = pd.DataFrame({name: getattr(self, name).copy() for name in FIELDS})
        frame["mujun_label"] = np.asarray(CLASS_LABELS)[frame["mujun_class"].to_numpy()]
        if alive_only:
            frame = frame[frame["alive"]]
        return frame

    def firm(self, i: int) -> FirmView:
        """Return a snapshot of firm ``i``.

        Raises:
            IndexError: No such firm.
        """
        if not 0 <= i < self.n:
            raise IndexError(f"firm {i} does not exist (population has {self.n} rows)")
        return FirmView(i, {name: getattr(self, name)[i].item() for name in FIELDS})

    def __len__(self) -> int:
        """Return the number of rows (alive or not)."""
        return self.n
