"""Rewrite the golden baseline (tests/golden/baseline.json) and print what changed.

Run it when a change to the model is meant to change results:

    python tests/update_golden.py            # rewrite the file and print the differences
    python tests/update_golden.py --check    # only print the differences; exit 1 if there are any

The golden run is fixed in ``model_fixtures.GOLDEN_SETTINGS``: the baseline scenario at population scale 0.25 to
2025, master seed 12345, three replicates with parameters drawn from the scenario's uncertainties.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from model_fixtures import (
    GOLDEN_PATH,
    GOLDEN_RTOL,
    golden_differences,
    golden_document,
    golden_values,
    read_golden,
    write_golden,
)


def relative_change(old: float, new: float) -> float:
    """Return |new − old| / |old| (infinite when old is 0 or a value is missing)."""
    if math.isnan(old) or math.isnan(new):
        return math.inf
    if old == 0:
        return 0.0 if new == 0 else math.inf
    return abs(new - old) / abs(old)


def summary(differences: list[tuple[str, str, str, float, float]]) -> str:
    """Return a readable summary of the differences.

    Per metric, the number of changed values and the largest relative change; then every changed value.
    """
    if not differences:
        return "no value changed"
    by_metric: dict[str, list[float]] = defaultdict(list)
    for _, _, metric, old, new in differences:
        by_metric[metric].append(relative_change(old, new))
    lines = [f"{len(differences)} values changed", "", f"{'metric':28s} {'changed':>7s} {'max rel. change':>16s}"]
    for metric in sorted(by_metric):
        lines.append(f"{metric:28s} {len(by_metric[metric]):7d} {max(by_metric[metric]):16.3g}")
    lines += ["", f"{'replicate':>9s} {'year':>4s} {'metric':28s} {'old':>18s} {'new':>18s}"]
    for r, year, metric, old, new in differences:
        lines.append(f"{r:>9s} {year:>4s} {metric:28s} {old:18.10g} {new:18.10g}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Compute the golden run, compare it with the stored file, and rewrite the file unless ``--check``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="print the differences only; do not rewrite")
    args = parser.parse_args(argv)
    new = golden_values()
    old = read_golden()["values"] if GOLDEN_PATH.exists() else {}
    differences = golden_differences(old, new, rtol=GOLDEN_RTOL)
    print(summary(differences) if old else "no golden file yet")
    if args.check:
        return 1 if differences else 0
    write_golden(golden_document(new))
    print(f"wrote {GOLDEN_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
