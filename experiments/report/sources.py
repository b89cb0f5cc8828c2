"""The brief's method, data and caveats, read from the project's own documents and data files.

Nothing here is retyped: the passages are cut from ``docs/ODD.md`` (by section number, or by the bold lead of a
paragraph) and from ``scenarios/data/README.md``, and the data summary is counted from the CSV files themselves.
The documents live in the repository, beside the package folders; an installation without them gets a note
saying so instead of the passage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

REPOSITORY = Path(__file__).resolve().parents[2]
"""The folder holding ``experiments/``, ``scenarios/`` and ``docs/`` in a checkout."""

ODD = REPOSITORY / "docs" / "ODD.md"
DATA_README = REPOSITORY / "scenarios" / "data" / "README.md"


def data_folder() -> Path:
    """Return the folder of the world's CSV files (``scenarios/data``, shipped with the package)."""
    import parkabm.scenarios

    return Path(parkabm.scenarios.__file__).resolve().parent / "data"


def read_document(path: Path) -> str | None:
    """Return the text of a project document, or None when this installation does not have it."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def section(markdown: str, number: str) -> str | None:
    """Return the body of section ``number`` (``"2"``, ``"7.3"``) of a Markdown document, without its heading.

    The section runs from its heading (``## 2. …`` or ``### 7.3 …``) to the next heading of the same or a higher
    level.
    """
    lines = markdown.splitlines()
    pattern = re.compile(rf"^(#+)\s+{re.escape(number)}\.?\s")
    for i, line in enumerate(lines):
        found = pattern.match(line)
        if not found:
            continue
        level = len(found.group(1))
        body = []
        for rest in lines[i + 1:]:
            heading = re.match(r"^(#+)\s", rest)
            if heading and len(heading.group(1)) <= level:
                break
            body.append(rest)
        return "\n".join(body).strip()
    return None


def paragraph(markdown: str, lead: str) -> str | None:
    """Return the paragraph or list item that starts with the bold lead ``**lead`` (e.g. ``Output scope``)."""
    blocks = re.split(r"\n\s*\n", markdown)
    for block in blocks:
        stripped = block.strip()
        if stripped.startswith(f"**{lead}"):
            return stripped
        items = re.split(r"\n(?=- )", stripped)
        for item in items:
            if item.startswith(f"- **{lead}"):
                return item[2:].strip()
    return None


def without_links(markdown: str) -> str:
    """Return ``markdown`` with links to other files written as their text (the brief stands alone)."""
    return re.sub(r"\[([^\]]+)\]\((?!https?://)[^)]*\)", r"\1", markdown)


def markdown_html(markdown: str) -> str:
    """Render Markdown (CommonMark with tables) to HTML."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table").render(without_links(markdown))


@dataclass(frozen=True)
class Passage:
    """A passage of a project document for the brief.

    Attributes:
        where: Where it comes from, e.g. ``§2, Output scope``.
        html: The passage rendered, or None when the document or the passage is missing.
        document: The document's path in the repository, for the note when it is missing.
    """

    where: str
    html: str | None
    document: str


def odd_passage(number: str, lead: str | None = None) -> Passage:
    """Return section ``number`` of docs/ODD.md, or its paragraph with the bold lead ``lead``."""
    where = f"§{number}" + (f", {lead}" if lead else "")
    markdown = read_document(ODD)
    body = section(markdown, number) if markdown is not None else None
    if body is not None and lead is not None:
        body = paragraph(body, lead)
    return Passage(where, markdown_html(body) if body else None, "docs/ODD.md")


def data_readme_passage(lead: str) -> Passage:
    """Return the paragraph of scenarios/data/README.md that starts with ``lead`` (plain text, not bold)."""
    markdown = read_document(DATA_README)
    found = None
    if markdown is not None:
        found = next((b.strip() for b in re.split(r"\n\s*\n", markdown) if b.strip().startswith(lead)), None)
    return Passage("", markdown_html(found) if found else None, "scenarios/data/README.md")


def data_files() -> pd.DataFrame:
    """Count the rows of every world data file and how many of them rest on an assumption.

    Returns:
        One row per CSV file of ``scenarios/data``: ``file``, ``rows``, ``assumed`` (rows whose ``source`` starts
        with ``assumed``), ``partly_assumed`` (rows whose source cites a figure or clause for some fields and says
        ``assumed`` for others; both NaN for a file without a ``source`` column) and ``what``, the file's line in
        docs/ODD.md §6 (empty when the document is missing).
    """
    described: dict[str, str] = {}
    markdown = read_document(ODD)
    body = section(markdown, "6") if markdown is not None else None
    for item in re.split(r"\n(?=- )", body or ""):
        item = re.split(r"\n\s*\n", item)[0]  # the list ends at a blank line
        found = re.match(r"^- `([\w.]+\.csv)` — (.*)$", " ".join(item.split()))
        if found:
            described[found.group(1)] = found.group(2).rstrip(";.")
    rows = []
    for path in sorted(data_folder().glob("*.csv")):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        source = table["source"].str.strip() if "source" in table.columns else None
        wholly = float(source.str.startswith("assumed").sum()) if source is not None else float("nan")
        partly = (float((source.str.contains("assumed") & ~source.str.startswith("assumed")).sum())
                  if source is not None else float("nan"))
        rows.append({"file": path.name, "rows": len(table), "assumed": wholly, "partly_assumed": partly,
                     "what": described.get(path.name, "")})
    return pd.DataFrame(rows, columns=["file", "rows", "assumed", "partly_assumed", "what"])
