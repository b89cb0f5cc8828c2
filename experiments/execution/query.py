"""A results folder that reads itself: one flat, documented table for DuckDB, pyarrow and pandas users.

A batch folder (:mod:`parkabm.experiments.execution.store`) keeps the job table (``jobs.parquet``) apart from the
yearly parts (``parts/yearly-*.parquet``), names factor columns by their dotted declarations and carries no units.
This module gives the view a researcher expects:

* :func:`open_results` registers a DuckDB view (``results`` by default) with one row per finished job × year:
  ``job``, ``scenario``, ``sample``, ``replicate``, one column per factor, ``year`` and the outputs — no join and
  no quoting needed::

      open_results("results/land_supply")
      duckdb.sql("SELECT scenario, levers__land__redevelopment_mu_per_year, avg(total_output_yi) "
                 "FROM results WHERE year = 2025 GROUP BY ALL")

* :func:`open_dataset` returns the same rows as a pyarrow dataset whose schema carries each column's unit and
  description as Arrow field metadata (``unit``, ``description``, ``declared``).
* :func:`open_status` registers ``status``: every job's state, with ``error`` typed text even when no job failed.
* :func:`write_schema` writes ``schema.json`` next to the manifest: every column of the view with its unit and
  description, from the output registry (:func:`parkabm.model.outputs.registry.output`), the factor declarations
  of the experiment (lever units from the scenario schema, parameter units from
  :data:`~parkabm.scenarios.parameters.PARAMETERS`) and the job keys.
* :func:`summarise_by_design_point` gives P(met) of every target per design point and pooled per scenario, in one
  table that says which each row is.

**Column names.** Factor columns are renamed by :func:`column_name`: every character that is not a letter, digit or
underscore becomes ``__`` (so ``levers.land.redevelopment_mu_per_year`` is ``levers__land__redevelopment_mu_per_year``);
``schema.json`` and the field metadata give the declared name of each column (``declared``).
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from parkabm.scenarios.errors import UserInputError

SCHEMA_FILE = "schema.json"
"""Name of the column documentation written into a results folder."""

SCHEMA_FORMAT = 1
"""Version of the layout of ``schema.json``."""

JOB_COLUMNS = {
    "job": ("count", "Job number: (scenario index × design points + sample) × replicates + replicate."),
    "scenario": ("none", "Name of the scenario the job ran."),
    "sample": ("count", "Design point of the job (0-based row of the experiment's design)."),
    "replicate": ("count", "Replicate of the design point (runs of one point differ only in their seed)."),
    "year": ("calendar year", "Simulated year (the base year included)."),
}
"""Unit and description of the job-table keys and the year."""

_UNSAFE = re.compile(r"[^0-9A-Za-z_]")


def column_name(declared: str) -> str:
    """Return the column name of a declared factor in the view: characters other than ``[0-9A-Za-z_]`` → ``__``."""
    return _UNSAFE.sub("__", declared)


# ----------------------------------------------------------------------------------------------------
# Column documentation
# ----------------------------------------------------------------------------------------------------


def _lever_field(path: str) -> Any:
    """Return the pydantic field info of a dotted scenario path (``levers.land.…``), or None."""
    from pydantic import BaseModel

    from parkabm.scenarios.schema import Scenario

    tp: Any = Scenario
    info = None
    for part in path.split("."):
        while typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if typing.get_origin(tp) is dict:
            tp, info = typing.get_args(tp)[1], None
            continue
        if members and not (isinstance(tp, type) and issubclass(tp, BaseModel)):
            tp = next((m for m in members if isinstance(m, type) and issubclass(m, BaseModel)), members[0])
        if not (isinstance(tp, type) and issubclass(tp, BaseModel)) or part not in tp.model_fields:
            return None
        info = tp.model_fields[part]
        tp = info.annotation
    return info


def _factor_column(factor: Any) -> dict[str, Any]:
    """Document one factor: its unit and description from the scenario schema or the parameter table, its range."""
    from parkabm.scenarios.parameters import PARAMETERS

    unit, description = "", ""
    if factor.kind == "uncertainty" and factor.name in PARAMETERS:
        parameter = PARAMETERS[factor.name]
        unit, description = parameter.unit or "none", parameter.description
    elif factor.kind == "lever":
        info = _lever_field(factor.name)
        if info is not None:
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            unit = str(extra.get("unit", ""))
            description = (info.description or "").split(" Unit: ")[0]
    given = factor.model_dump(mode="json", include={"bounds", "distribution", "levels"}, exclude_none=True)
    return {"name": column_name(factor.name), "declared": factor.name, "role": "factor", "kind": factor.kind,
            "unit": unit, "description": description, "range": given,
            **({"group": factor.group} if factor.group else {})}


def _output_column(name: str) -> dict[str, Any]:
    from parkabm.model.outputs.registry import output

    try:
        declared = output(name)
    except KeyError:
        return {"name": name, "declared": name, "role": "output", "unit": "", "description": ""}
    return {"name": name, "declared": name, "role": "output", "unit": declared.unit,
            "description": declared.description, "label_en": declared.label_en, "label_zh": declared.label_zh}


def _factors(out: Path) -> list[Any]:
    """The experiment's factor declarations, read from the spec the manifest keeps."""
    from parkabm.experiments.design.spec import Factor
    from parkabm.experiments.execution.store import read_manifest

    given = read_manifest(out).get("spec", {})
    return [Factor.model_validate(f) for f in given.get("factors") or []]


def _output_names(out: Path, relation: Any) -> list[str]:
    keys = {*JOB_COLUMNS}
    return [c for c in relation.columns if c not in keys and c not in {column_name(f.name) for f in _factors(out)}]


def _part_outputs(out: Path) -> list[str]:
    """Output columns of the view, read from the first committed yearly part's schema with pyarrow.

    The view takes its part columns from the first part as DuckDB reads them (in file order); reading that schema
    directly needs no DuckDB (an optional dependency), so a batch can document its columns without it.
    """
    import pyarrow.parquet as pq

    from parkabm.experiments.execution.store import committed_parts

    parts = committed_parts(out, "yearly")
    if not parts:
        return []
    factors = {column_name(f.name) for f in _factors(out)} | {f.name for f in _factors(out)}
    return [c for c in pq.read_schema(parts[0]).names if c not in JOB_COLUMNS and c not in factors]


def schema_columns(out: str | Path, outputs: list[str] | None = None) -> list[dict[str, Any]]:
    """Return the documentation of every column of the view, in column order.

    Args:
        out: The results folder.
        outputs: Output columns of the yearly parts; read from the view when omitted.

    Returns:
        One mapping per column: ``name`` (in the view), ``declared`` (as the experiment or registry names it),
        ``role`` (``key``, ``factor`` or ``output``), ``unit``, ``description``; factors add ``kind`` and
        ``range`` (their bounds, distribution or levels), outputs their English and Chinese labels.
    """
    out = Path(out)
    if outputs is None:
        outputs = _part_outputs(out)
    keys = [{"name": k, "declared": k, "role": "key", "unit": u, "description": d}
            for k, (u, d) in JOB_COLUMNS.items() if k != "year"]
    year = {"name": "year", "declared": "year", "role": "key", "unit": JOB_COLUMNS["year"][0],
            "description": JOB_COLUMNS["year"][1]}
    return [*keys, *(_factor_column(f) for f in _factors(out)), year, *(_output_column(o) for o in outputs)]


def write_schema(out: str | Path) -> Path:
    """Write ``schema.json``: every column of the results view with its unit and description.

    Meant to be called when a batch ends (after the last part is committed); :func:`open_results` calls it when
    the file is missing or its columns differ from the view's. The file is written atomically.

    Args:
        out: The results folder.

    Returns:
        The path of ``schema.json``.

    Raises:
        UserInputError: ``out`` is not a results folder, or its ``schema.json`` was not written by parkabm (it is
            never overwritten).
    """
    from parkabm.experiments.execution.store import read_manifest, write_json

    out = Path(out)
    manifest = read_manifest(out)
    path = out / SCHEMA_FILE
    if path.exists() and not _ours(path):
        raise UserInputError(f"{path}: not written by parkabm (no schema_format) — allowed: a results folder whose "
                             f"{SCHEMA_FILE} parkabm wrote, or none; move this file away to document the columns")
    write_json(path, {
        "schema_format": SCHEMA_FORMAT,
        "experiment": manifest.get("name"),
        "view": "one row per finished job × year; factor columns named by column_name (non [0-9A-Za-z_] → __)",
        "columns": schema_columns(out),
    })
    return path


def _ours(path: Path) -> bool:
    """Whether ``schema.json`` at ``path`` was written by :func:`write_schema` (it records ``schema_format``)."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "schema_format" in data


def read_schema(out: str | Path) -> dict[str, Any] | None:
    """Return the parsed ``schema.json`` of a results folder, or None when it has none (or an unreadable one)."""
    import json

    path = Path(out) / SCHEMA_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# ----------------------------------------------------------------------------------------------------
# Views
# ----------------------------------------------------------------------------------------------------


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise ModuleNotFoundError("the results view needs DuckDB: pip install 'parkabm[query]'") from None
    return duckdb


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _view(out: Path, connection: Any) -> Any:
    """The flat relation: job keys, factors under safe names, year and outputs."""
    from parkabm.experiments.execution.store import duckdb_relation

    joined = duckdb_relation(out, connection=connection)
    factors = {f.name for f in _factors(out)}
    select = [f"{_quoted(c)} AS {_quoted(column_name(c))}" if c in factors else _quoted(c) for c in joined.columns]
    return joined.project(", ".join(select))


def open_results(out: str | Path, *, connection: Any = None, view: str = "results") -> Any:
    """Register the results of a batch folder as a DuckDB view and return it as a relation.

    The view reads the committed Parquet parts in place (nothing is loaded) with the job table joined, so one
    ``SELECT`` answers questions about scenarios, factors and years. ``schema.json`` is written when missing or out
    of date (see :func:`write_schema`); a folder that cannot be written is still opened.

    Args:
        out: The results folder.
        connection: A DuckDB connection; DuckDB's default connection (the one ``duckdb.sql`` uses) when omitted.
        view: Name of the view to create (replaced if it exists).

    Returns:
        A ``duckdb.DuckDBPyRelation`` over the view: ``job``, ``scenario``, ``sample``, ``replicate``, one column
        per factor (named by :func:`column_name`), ``year`` and the outputs.

    Raises:
        UserInputError: ``out`` is not a results folder.
    """
    duckdb = _duckdb()
    out = Path(out)
    con = connection if connection is not None else duckdb.default_connection()
    relation = _view(out, con)
    relation.create_view(view, replace=True)
    path = out / SCHEMA_FILE
    schema = read_schema(out)
    stale = schema is None or [c.get("name") for c in schema.get("columns", [])] != relation.columns
    if stale and (not path.exists() or _ours(path)):  # a file parkabm did not write is left alone
        try:
            write_schema(out)
        except OSError:
            pass  # a read-only folder: the view works without its documentation file
    return con.view(view)


def _documented(table: pa.Table, columns: list[dict[str, Any]]) -> pa.Table:
    """Attach each column's unit, description and declared name as Arrow field metadata."""
    docs = {c["name"]: c for c in columns}
    fields = []
    for f in table.schema:
        doc = docs.get(f.name)
        if doc is not None:
            meta = {"unit": doc["unit"], "description": doc["description"], "declared": doc["declared"],
                    "role": doc["role"]}
            f = f.with_metadata({k: str(v) for k, v in meta.items()})
        fields.append(f)
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def open_dataset(out: str | Path) -> Any:
    """Return the results view as a pyarrow dataset whose fields carry their unit and description.

    The rows are those of :func:`open_results`, read into memory once (filter them with
    ``dataset.to_table(filter=...)``, or read fewer outputs in DuckDB first for very large batches). Every field's
    metadata holds ``unit``, ``description``, ``declared`` (the name in the experiment or the output registry) and
    ``role`` (``key``, ``factor``, ``output``), as bytes: ``dataset.schema.field("total_output_yi").metadata``.

    Args:
        out: The results folder.

    Returns:
        A ``pyarrow.dataset.Dataset``.
    """
    import pyarrow.dataset as ds

    duckdb = _duckdb()
    out = Path(out)
    with duckdb.connect() as con:
        relation = _view(out, con)
        table = relation.arrow()
        if not isinstance(table, pa.Table):  # DuckDB ≥ 1.4 may hand back a record batch reader
            table = table.read_all()
        outputs = _output_names(out, relation)
    return ds.dataset(_documented(table, schema_columns(out, outputs)))


STATUS_SCHEMA = pa.schema([
    pa.field("job", pa.int64()), pa.field("status", pa.string()),
    pa.field("start", pa.timestamp("ns", tz="UTC")), pa.field("end", pa.timestamp("ns", tz="UTC")),
    pa.field("worker", pa.string()), pa.field("error", pa.string()),
])
"""Types of the status view: ``error`` and ``worker`` are text even when every value is null."""


def open_status(out: str | Path, *, connection: Any = None, view: str = "status") -> Any:
    """Register every job's current status as a DuckDB view, with fixed column types.

    Args:
        out: The results folder.
        connection: A DuckDB connection; the default connection when omitted.
        view: Name of the view.

    Returns:
        A relation: ``job``, ``status`` (``done``, ``failed``, ``pending``), ``start``, ``end`` (UTC),
        ``worker`` and ``error`` (text; null for jobs that did not fail).
    """
    from parkabm.experiments.execution.store import job_status

    duckdb = _duckdb()
    con = connection if connection is not None else duckdb.default_connection()
    status = job_status(out)
    for column in ("worker", "error"):
        status[column] = status[column].astype(object).where(status[column].notna(), None)
    table = pa.Table.from_pandas(status[STATUS_SCHEMA.names], schema=STATUS_SCHEMA, preserve_index=False)
    con.register(f"{view}_arrow", table)
    relation = con.sql(f"SELECT * FROM {_quoted(view + '_arrow')}")
    relation.create_view(view, replace=True)
    return con.view(view)


# ----------------------------------------------------------------------------------------------------
# Target probabilities per design point
# ----------------------------------------------------------------------------------------------------


def summarise_by_design_point(out: str | Path, variant: str = "2023") -> pd.DataFrame:
    """Return P(met) of every target per design point and pooled over the design points of each scenario.

    :func:`~parkabm.experiments.execution.store.summarise_results` pools every run of a scenario, mixing design
    points whose factor values differ; a design point's own probability comes from its replicates alone.

    Args:
        out: The results folder.
        variant: Which text's targets (``2023``, ``2022_jul``, ``2022_may``).

    Returns:
        One row per scenario × (design point or pool) × target: ``level`` (``design point`` or ``pooled``),
        ``scenario``, ``sample`` (null when pooled), one column per factor (named by :func:`column_name`; null when
        pooled), then the columns of ``summarise_results`` (``target``, ``p_met``, ``ci_low``, ``ci_high``,
        ``n`` …). ``n`` counts replicates for a design point and all runs for a pool.
    """
    from parkabm.experiments.execution.store import read_jobs, summarise_results

    out = Path(out)
    factors = [f.name for f in _factors(out)]
    points = summarise_results(out, variant, by=("scenario", "sample"))
    values = read_jobs(out)[["scenario", "sample", *factors]].drop_duplicates(["scenario", "sample"])
    points = points.merge(values, on=["scenario", "sample"], how="left", validate="many_to_one")
    points.insert(0, "level", "design point")
    pooled = summarise_results(out, variant, by=("scenario",))
    pooled.insert(0, "level", "pooled")
    for column in ("sample", *factors):  # nullable types: a pooled row has no design point and no factor values
        points[column] = points[column].convert_dtypes()
        pooled[column] = pd.Series(pd.NA, index=pooled.index, dtype=points[column].dtype)
    frame = pd.concat([points, pooled[points.columns]], ignore_index=True)
    lead = ["level", "scenario", "sample", *factors]
    frame = frame[lead + [c for c in frame.columns if c not in lead]]
    return frame.rename(columns={f: column_name(f) for f in factors})
