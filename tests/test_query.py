"""The queryable view of a batch folder: one DuckDB statement without a join, units in schema.json and in Arrow."""

import json

import duckdb
import numpy as np
import pytest
from batch_fixtures import SMALL_SPEC, write_spec

from parkabm.experiments.execution.executors import SerialExecutor
from parkabm.experiments.execution.query import (
    column_name,
    open_dataset,
    open_results,
    open_status,
    summarise_by_design_point,
    write_schema,
)
from parkabm.experiments.execution.runner import run_batch
from parkabm.experiments.execution.store import load_results, summarise_results
from parkabm.model.outputs.registry import output
from parkabm.scenarios.errors import UserInputError
from parkabm.scenarios.parameters import PARAMETERS

LEVER = "levers.land.redevelopment_mu_per_year"
SPEC_2025 = {**SMALL_SPEC, "horizon": 2025, "outputs": {"metrics": ["total_output_yi", "leading_share"]}}
"""The small grid (3 lever levels × 2 parameter levels × 2 replicates) run to 2025, keeping the headline outputs."""


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("query")
    spec = write_spec(folder, SPEC_2025)
    with SerialExecutor() as executor:
        run_batch(spec, folder / "out", executor=executor, progress=False)
    return folder / "out"


def test_safe_column_names():
    assert column_name(LEVER) == "levers__land__redevelopment_mu_per_year"
    assert column_name("trend_growth_multiplier") == "trend_growth_multiplier"


def test_one_select_without_join_gives_scenario_factor_and_output(batch):
    con = duckdb.connect()
    open_results(batch, connection=con)
    rows = con.sql("SELECT scenario, levers__land__redevelopment_mu_per_year, total_output_yi FROM results "
                   "WHERE year = 2025 ORDER BY job").df()
    expected = load_results(batch)
    expected = expected[expected["year"] == 2025].sort_values("job")
    assert len(rows) == 12
    assert rows["scenario"].tolist() == expected["scenario"].tolist() == ["tiny"] * 12
    assert rows["levers__land__redevelopment_mu_per_year"].tolist() == expected[LEVER].tolist()
    np.testing.assert_array_equal(rows["total_output_yi"].to_numpy(), expected["total_output_yi"].to_numpy())


def test_default_connection_view_is_what_duckdb_sql_sees(batch):
    open_results(batch, view="small_results")
    means = duckdb.sql("SELECT levers__land__redevelopment_mu_per_year AS lever, avg(total_output_yi) AS mean "
                       "FROM small_results WHERE year = 2025 GROUP BY ALL ORDER BY lever").df()
    frame = load_results(batch)
    frame = frame[frame["year"] == 2025].groupby(LEVER)["total_output_yi"].mean()
    assert means["lever"].tolist() == [5000, 20000, 40000]
    np.testing.assert_allclose(means["mean"].to_numpy(), frame.to_numpy())


def test_schema_json_documents_every_column_with_units(batch):
    (batch / "schema.json").unlink(missing_ok=True)
    relation = open_results(batch, connection=duckdb.connect())  # writes the missing file
    schema = json.loads((batch / "schema.json").read_text(encoding="utf-8"))
    columns = {c["name"]: c for c in schema["columns"]}
    assert [c["name"] for c in schema["columns"]] == relation.columns
    assert columns["total_output_yi"]["unit"] == output("total_output_yi").unit == "亿元"
    assert columns["total_output_yi"]["description"] == output("total_output_yi").description
    assert columns["leading_share"]["unit"] == "share"
    lever = columns["levers__land__redevelopment_mu_per_year"]
    assert (lever["declared"], lever["role"], lever["kind"], lever["unit"]) == (LEVER, "factor", "lever", "亩/yr")
    assert lever["range"] == {"levels": [5000, 20000, 40000]} and lever["description"]
    parameter = columns["trend_growth_multiplier"]
    assert parameter["unit"] == PARAMETERS["trend_growth_multiplier"].unit
    assert parameter["description"] == PARAMETERS["trend_growth_multiplier"].description
    assert columns["year"]["unit"] == "calendar year"


def test_write_schema_refuses_a_folder_that_is_not_a_store(tmp_path):
    with pytest.raises(UserInputError, match=r"manifest\.json"):
        write_schema(tmp_path)
    assert not (tmp_path / "schema.json").exists()


def test_a_schema_json_parkabm_did_not_write_is_never_overwritten(batch, tmp_path):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(batch, folder)
    (folder / "schema.json").write_text('{"mine": true}', encoding="utf-8")
    with pytest.raises(UserInputError, match="not written by parkabm"):
        write_schema(folder)
    rows = open_results(folder, connection=duckdb.connect()).filter("year = 2025").aggregate("count(*)").fetchall()
    assert rows == [(12,)]  # the view still opens
    assert (folder / "schema.json").read_text(encoding="utf-8") == '{"mine": true}'


def test_arrow_fields_carry_unit_and_description(batch):
    dataset = open_dataset(batch)
    field = dataset.schema.field("total_output_yi")
    assert field.metadata[b"unit"].decode() == "亿元"
    assert field.metadata[b"description"].decode() == output("total_output_yi").description
    lever = dataset.schema.field("levers__land__redevelopment_mu_per_year")
    assert lever.metadata[b"declared"].decode() == LEVER and lever.metadata[b"unit"].decode() == "亩/yr"
    table = dataset.to_table()
    assert table.num_rows == 12 * 5  # 12 jobs × 2021..2025


def test_status_error_is_text_when_nothing_failed(batch):
    con = duckdb.connect()
    open_status(batch, connection=con)
    types = dict(con.sql("SELECT column_name, column_type FROM (DESCRIBE status)").fetchall())
    assert types["error"] == "VARCHAR" and types["worker"] == "VARCHAR"
    assert con.sql("SELECT count(*), count(error) FROM status WHERE status = 'done'").fetchall() == [(12, 0)]


def test_target_probabilities_per_design_point_and_pooled(batch):
    table = summarise_by_design_point(batch)
    points = table[table["level"] == "design point"]
    pooled = table[table["level"] == "pooled"]
    assert set(table["level"]) == {"design point", "pooled"}
    assert sorted(points["sample"].unique().tolist()) == list(range(6))
    output_target = "total_output_2023"
    per_point = points[points["target"] == output_target]
    assert per_point["n"].tolist() == [2] * 6  # the replicates of each point
    assert pooled.loc[pooled["target"] == output_target, "n"].tolist() == [12]
    assert pooled["sample"].isna().all() and pooled["levers__land__redevelopment_mu_per_year"].isna().all()
    # the pool is the replicate-weighted mean of the design points, and equals summarise_results
    assert pooled.loc[pooled["target"] == output_target, "p_met"].iloc[0] == pytest.approx(per_point["p_met"].mean())
    reference = summarise_results(batch)
    assert pooled["p_met"].tolist() == pytest.approx(reference["p_met"].tolist(), nan_ok=True)
    # each design point's probability is the share of its own replicates meeting the target
    yearly = load_results(batch)
    at = yearly[yearly["year"] == 2025]
    met = (at["total_output_yi"] >= 30000).groupby(at["sample"]).mean()
    assert per_point.sort_values("sample")["p_met"].tolist() == pytest.approx(met.tolist())
    assert per_point.sort_values("sample")["levers__land__redevelopment_mu_per_year"].tolist() == \
        [5000, 5000, 20000, 20000, 40000, 40000]
