"""A policy dashboard in the browser (``parkabm dashboard``): move levers, run replicates, read P(target met).

The page (:mod:`~parkabm.experiments.dashboard.app`, built on Solara, Mesa's own visualisation stack) offers the
shipped scenarios and a slider and number field for the main levers of each family, labelled with their unit and
source clause and bounded as the schema bounds them (:mod:`~parkabm.experiments.dashboard.levers`). "Run" runs the
replicates in a background thread with a progress bar (:mod:`~parkabm.experiments.dashboard.runs`) and shows fan
charts of zone output and the leading-industry share with their targets, every target's P(met) with its 95% interval
and its difference from a reference scenario under common random numbers, the cumulative fiscal cost, per-zone small
multiples, and downloads of the settings as a scenario YAML and of the charts as PNG or SVG; in English or Chinese.

A value outside its range gets the problem line ``parkabm validate`` prints, and nothing runs.

Needs the ``dashboard`` extra: ``pip install 'parkabm[dashboard]'``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from parkabm.scenarios.errors import UserInputError

APP = "parkabm.experiments.dashboard.app"
"""The module Solara serves."""


def serve(*, host: str = "127.0.0.1", port: int = 8765, reps: int = 50, seed: int = 0,
          population_scale: float | None = None, scenario: str = "baseline", reference: str = "baseline",
          announce: Callable[[str], None] | None = None) -> None:
    """Serve the dashboard until interrupted.

    Args:
        host: Interface to listen on (the local machine only by default).
        port: TCP port.
        reps: Replicates per scenario and run.
        seed: Master seed.
        population_scale: Multiplier of the synthetic firm population, for quick looks; None keeps the scenarios'.
        scenario: The scenario shown first.
        reference: The scenario differences are taken from.
        announce: Called with the page's address once the settings are checked, before serving.

    Raises:
        UserInputError: A bad setting, or Solara is not installed.
    """
    try:
        import solara  # noqa: F401
        import uvicorn
    except ImportError as exc:
        raise UserInputError("parkabm dashboard: Solara is not installed — allowed: install the dashboard extra "
                             "with `pip install 'parkabm[dashboard]'`") from exc
    from parkabm.experiments.dashboard.settings import SETTINGS

    SETTINGS.configure(reps=reps, seed=seed, population_scale=population_scale, scenario=scenario,
                       reference=reference)
    os.environ["SOLARA_APP"] = APP
    if announce is not None:
        announce(f"parkabm dashboard on http://{host}:{port}/ · {reps} replicates per run · seed {seed} (Ctrl-C stops)")
    uvicorn.run(asgi_app(), host=host, port=port, log_level="warning")


FONT_ROUTE = "/parkabm-fonts/NotoSansSC-Regular.otf"
"""Where the page's Chinese font is served (the font of the ``zh`` extra, so Chinese shows in any browser)."""


def asgi_app():
    """Return the web application: Solara's, plus the route of the Chinese font when the ``zh`` extra is installed.

    Browsers without a CJK font would draw the page's Chinese labels and source clauses as empty boxes; the page's
    style sheet asks for this font only for CJK characters (``unicode-range``), so English pages never load it.
    """
    from solara.server.starlette import app as solara_app
    from starlette.applications import Starlette
    from starlette.responses import FileResponse, Response
    from starlette.routing import Mount, Route

    from parkabm.experiments.charts import packaged_cjk_font

    def font(_request):
        path = packaged_cjk_font()
        if path is None:
            return Response(status_code=404)
        return FileResponse(path, media_type="font/otf", headers={"Cache-Control": "max-age=86400"})

    return Starlette(routes=[Route(FONT_ROUTE, font), Mount("/", app=solara_app)])
