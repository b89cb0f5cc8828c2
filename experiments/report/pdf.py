"""Print the brief's HTML to PDF with a headless Chromium, the browser the dashboard test drives.

Chromium is found as ``$PARKABM_CHROMIUM``, else the first of :data:`BROWSERS` on the ``PATH`` (Debian's
``apt-get install chromium`` gives ``/usr/bin/chromium``). Chinese is set in Noto Sans SC from the ``zh`` extra
(the font the charts use), given to the page as a local ``@font-face``; without it, a CJK font installed on the
system.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from parkabm.scenarios.errors import UserInputError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
"""Names of a Chromium-based browser looked for on the ``PATH``."""

PRINT_SECONDS = 120
"""How long printing may take before it is given up."""


def find_chromium() -> str | None:
    """Return the path of a Chromium-based browser, or None."""
    given = os.environ.get("PARKABM_CHROMIUM")
    if given:
        return given if Path(given).is_file() and os.access(given, os.X_OK) else None
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """Return the browser that prints the PDF.

    Raises:
        UserInputError: No browser is found.
    """
    found = find_chromium()
    if found is None:
        raise UserInputError("--format pdf: no Chromium found — allowed: install Chromium (Debian/Ubuntu: "
                             "`apt-get install chromium`; or set PARKABM_CHROMIUM to its path), or --format html")
    return found


def print_pdf(html: Path, pdf: Path, *, browser: str, profile: Path) -> None:
    """Print ``html`` (a file) to ``pdf`` with the headless browser.

    Args:
        html: The page to print; its fonts and images must be local.
        pdf: The PDF to write.
        browser: Path of the browser (:func:`require_chromium`).
        profile: An empty folder for the browser's profile (never the user's own).

    Raises:
        UserInputError: The browser failed or wrote no PDF (its message is quoted).
    """
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
               f"--user-data-dir={profile}", "--no-pdf-header-footer", "--virtual-time-budget=20000",
               f"--print-to-pdf={pdf}", html.resolve().as_uri()]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PRINT_SECONDS, check=False,
                              env={**os.environ, "HOME": str(profile)})
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UserInputError(f"--format pdf: {browser} could not print the report ({exc}) — allowed: a working "
                             "Chromium, or --format html") from None
    if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        last = " ".join((done.stderr or "").strip().splitlines()[-2:])[:300]
        raise UserInputError(f"--format pdf: {browser} wrote no PDF (exit code {done.returncode}: {last}) — "
                             "allowed: a working Chromium, or --format html")
