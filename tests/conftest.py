"""Shared fixtures: a tiny world for scenario validation."""

from types import SimpleNamespace

import pandas as pd
import pytest


@pytest.fixture(autouse=True)
def fresh_base_populations():
    """Start every test without kept base-year populations, so no test takes another's draws."""
    from parkabm.agents.population import BASE_POPULATIONS

    BASE_POPULATIONS.clear()


@pytest.fixture
def tiny_world():
    """A world with two parks and three sectors: all that scenario validation reads (ids in the index)."""
    parks = pd.DataFrame({"leading_1": ["biomed", "chips"]}, index=["east_zone", "west_zone"])
    sectors = pd.DataFrame({"kind": ["industrial"] * 3}, index=["biomed", "chips", "textiles"])
    return SimpleNamespace(parks=parks, sectors=sectors)


@pytest.fixture
def use_tiny_world(monkeypatch, tiny_world):
    """Make validation without an explicit world (as the CLI does it) check ids against the tiny world."""
    from parkabm.scenarios import loader

    monkeypatch.setattr(loader, "_load_default_world", lambda: tiny_world)
    return tiny_world
