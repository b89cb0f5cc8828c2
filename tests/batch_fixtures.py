"""Tiny experiments for the batch, store and comparison tests: a small world, short horizon, a handful of jobs."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from parkabm.experiments.cli import main

TINY_SCENARIO = "name: tiny\nextends: baseline\nworld: {population_scale: 0.15, horizon: 2023}\n"
"""A scenario file extending the baseline on a small world that stops in 2023 (a run takes ~10 ms)."""

SMALL_SPEC = {
    "name": "small",
    "scenarios": ["tiny.yaml"],
    "factors": [
        {"name": "levers.land.redevelopment_mu_per_year", "kind": "lever", "levels": [5000, 20000, 40000]},
        {"name": "trend_growth_multiplier", "kind": "uncertainty", "levels": [0.8, 1.2]},
    ],
    "design": {"kind": "grid"},
    "replicates": 2,
    "seed": 11,
}
"""Three lever levels × two parameter levels × two replicates: 12 jobs."""


def write_scenario(folder: Path, text: str = TINY_SCENARIO, name: str = "tiny.yaml") -> Path:
    """Write a scenario file into ``folder`` and return its path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def write_spec(folder: Path, spec: dict | str | None = None, name: str = "spec.yaml") -> Path:
    """Write an experiment file (a mapping, dumped as YAML, or raw text) next to the tiny scenario."""
    write_scenario(folder)
    path = folder / name
    body = SMALL_SPEC if spec is None else spec
    path.write_text(body if isinstance(body, str) else yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return path


def cli(*args):
    """Invoke ``parkabm`` in-process; stdout and stderr kept apart where click allows it."""
    try:
        runner = CliRunner(mix_stderr=False)  # click < 8.2 mixes stderr into output unless told not to
    except TypeError:
        runner = CliRunner()
    return runner.invoke(main, [str(a) for a in args])


def output_of(result) -> str:
    """All text a CLI invocation printed (stdout and stderr)."""
    try:
        return result.stdout + result.stderr
    except ValueError:  # stderr not captured separately
        return result.output
