"""The baseline Hangzhou world: parks, sectors, 2021 output composition, targets and history, read from CSV.

The files live in ``scenarios/data/`` (their columns and units are described in ``scenarios/data/README.md``). Every
row carries a ``source``: a DATA-SOURCES line (docs/data_sources.md), a policy-text clause, or ``assumed: <why>``. This
module only reads and
indexes them; it computes nothing that the files do not say.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from parkabm.scenarios.errors import UserInputError

DATA_DIR = Path(__file__).parent / "data"

GUISHANG_THRESHOLD_YI = 0.2
"""规上 threshold: 营业收入 ≥ 2000万元 = 0.2亿元 (national statistical rule for 规上工业; docs/ODD.md §2)."""
"""Folder of the shipped world files."""

_FILES = ("sectors", "parks", "park_sectors", "scope", "targets", "history", "concentration")
_INDEX = {"sectors": "sector", "parks": "park", "scope": "scope", "targets": "target"}


@dataclass(frozen=True)
class World:
    """The tables that describe the baseline world.

    Attributes:
        sectors: One row per sector, indexed by sector id.
        parks: One row per development zone, indexed by park id.
        park_sectors: 2021 output per park × sector (columns park, sector, output_2021_yi, source).
        scope: One row per output scope (``industrial``, ``all_guishang``) with the 2021 total and its range.
        targets: One row per target and variant, indexed by target id.
        history: Long table of city, zone and park aggregates before 2022.
        concentration: Firm-size facts the synthetic population reproduces.
        data_dir: Folder the tables were read from.
    """

    sectors: pd.DataFrame
    parks: pd.DataFrame
    park_sectors: pd.DataFrame
    scope: pd.DataFrame
    targets: pd.DataFrame
    history: pd.DataFrame
    concentration: pd.DataFrame
    data_dir: Path

    def sector_ids(self, scope: str) -> list[str]:
        """Return the sector ids counted under an output scope.

        Args:
            scope: ``industrial`` (industrial sectors only) or ``all_guishang`` (industrial and services).

        Returns:
            Sector ids in table order.
        """
        if scope == "industrial":
            return list(self.sectors.index[self.sectors["kind"] == "industrial"])
        return list(self.sectors.index)

    def leading_sectors(self, park: str) -> list[str]:
        """Return the 1–2 leading sectors (主导产业) of a park as given in the data."""
        row = self.parks.loc[park]
        return [s for s in (row["leading_1"], row["leading_2"]) if isinstance(s, str) and s]


def _read(data_dir: Path, name: str) -> pd.DataFrame:
    path = data_dir / f"{name}.csv"
    try:
        frame = pd.read_csv(path, encoding="utf-8", keep_default_na=True)
    except FileNotFoundError as exc:
        raise UserInputError(f"{path}: world data file is missing") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise UserInputError(f"{path}: cannot be read as UTF-8 CSV ({exc})") from exc
    if "source" in frame.columns and frame["source"].isna().any():
        rows = [int(i) + 2 for i in frame.index[frame["source"].isna()]]
        raise UserInputError(f"{path}: source — empty on line(s) {rows}; every row needs a citation or 'assumed:'")
    index = _INDEX.get(name)
    if index is not None:
        frame = frame.set_index(index, drop=False)
        frame.index.name = None
    return frame


@lru_cache(maxsize=4)
def load_world(data_dir: str | Path | None = None) -> World:
    """Read the world tables.

    Args:
        data_dir: Folder with the CSV files; the shipped baseline world when omitted.

    Returns:
        The world, cached per folder (treat it as read-only).

    Raises:
        UserInputError: A file is missing, unreadable, or has a row without a source.
    """
    folder = Path(data_dir) if data_dir is not None else DATA_DIR
    tables = {name: _read(folder, name) for name in _FILES}
    return World(data_dir=folder, **tables)
