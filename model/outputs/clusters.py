"""产业集群 as the policy texts name them: the sectors of each cluster of the "1910" system, and cluster output.

制造业高质量发展若干意见 (一)(二) names the clusters: one 万亿级 (新一代信息技术及应用) and nine 千亿级 (高端装备,
生物医药, 节能环保, 数字安防, 新能源新材料; 纺织化纤, 精细化工, 电气机械, 食品饮料). ``scenarios/data/clusters.csv``
maps every sector of ``sectors.csv`` to one of them (or to none), with the source or assumption of each row; the
targets' counts (``clusters_qianyi``, ``clusters_wanyi``) count the clusters whose output in the zones lies in
[1000亿, 1万亿) and ≥ 1万亿 (docs/ODD.md §8).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from parkabm.scenarios.world import DATA_DIR

CLUSTER_FILE = "clusters.csv"
"""The sector → cluster mapping, in ``scenarios/data``."""


@cache
def cluster_map() -> pd.DataFrame:
    """Return ``clusters.csv`` indexed by sector: ``cluster`` (empty for a sector in no cluster), names, ``level``."""
    table = pd.read_csv(DATA_DIR / CLUSTER_FILE, dtype=str, keep_default_na=False)
    return table.set_index("sector")


@cache
def _membership(sector_ids: tuple[str, ...]) -> tuple[tuple[str, ...], np.ndarray]:
    mapping = cluster_map()["cluster"]
    clusters = tuple(dict.fromkeys(c for c in mapping if c))
    member = np.zeros((len(clusters), len(sector_ids)))
    for j, sector in enumerate(sector_ids):
        cluster = mapping.get(sector, "")
        if cluster:
            member[clusters.index(cluster), j] = 1.0
    member.setflags(write=False)
    return clusters, member


def cluster_outputs(sector_output: np.ndarray, sector_ids: list[str] | tuple[str, ...]) -> dict[str, float]:
    """Return the output of every cluster of ``clusters.csv`` (亿元) from the output of each sector.

    Args:
        sector_output: Output per sector, in the order of ``sector_ids``.
        sector_ids: The run's sectors (those of its scope); a sector missing from ``clusters.csv`` is in no
            cluster, and a cluster none of whose sectors is in the scope has output 0.

    Returns:
        ``{cluster id: output}`` in the order of ``clusters.csv``.
    """
    values = cluster_output_values(sector_output, sector_ids)
    return dict(zip(_membership(tuple(sector_ids))[0], (float(v) for v in values), strict=True))


def cluster_output_values(sector_output: np.ndarray, sector_ids: list[str] | tuple[str, ...]) -> np.ndarray:
    """Return the values of :func:`cluster_outputs` as an array, in the order of ``clusters.csv`` (for the counts)."""
    return _membership(tuple(sector_ids))[1] @ np.asarray(sector_output, dtype=float)
