"""The results store: manifest, parts, readers, refusal of another experiment, and kill-and-resume."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest
from batch_fixtures import SMALL_SPEC, cli, output_of, write_spec

from parkabm.experiments.design.spec import load_spec
from parkabm.experiments.execution.executors import ProcessPool, SerialExecutor
from parkabm.experiments.execution.runner import run_batch
from parkabm.experiments.execution.store import (
    ResultsStore,
    duckdb_relation,
    job_status,
    load_parks,
    load_results,
    read_manifest,
    read_parquet,
    summarise_results,
)
from parkabm.scenarios.errors import UserInputError


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A finished store of the small experiment with per-park rows kept."""
    folder = tmp_path_factory.mktemp("store")
    spec = write_spec(folder, {**SMALL_SPEC, "outputs": {"parks": True}})
    with SerialExecutor() as executor:
        run_batch(spec, folder / "out", executor=executor, chunk_size=5, progress=False)
    return folder / "out"


def test_layout_and_manifest(store):
    names = {p.name for p in store.iterdir()}
    assert names == {"manifest.json", "jobs.parquet", "parts", "failures", "status.parquet", "schema.json"}
    schema = json.loads((store / "schema.json").read_text(encoding="utf-8"))
    units = {c["name"]: c.get("unit") for c in schema["columns"]}
    assert units["total_output_yi"] == "亿元" and units["leading_share"] == "share"  # from the output registry
    manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["spec"]["name"] == "small" and manifest["spec"]["replicates"] == 2  # as given
    assert len(manifest["spec_hash"]) == 64
    assert manifest["parkabm_version"] and "git_commit" in manifest
    assert (manifest["seed"], manifest["jobs"]) == (11, 12)
    assert manifest["counts"] == {"done": 12, "failed": 0, "pending": 0}
    assert manifest["created"] <= manifest["updated"]
    assert manifest["invocations"][0]["jobs_run"] == 12
    parts = sorted(p.name for p in (store / "parts").iterdir())
    stems = ["000000-000004", "000005-000009", "000010-000011"]
    assert parts == ([f"commit-{s}.json" for s in stems] + [f"parks-{s}.parquet" for s in stems]
                     + [f"yearly-{s}.parquet" for s in stems])
    record = json.loads((store / "parts" / "commit-000005-000009.json").read_text(encoding="utf-8"))
    assert record["jobs"] == [5, 6, 7, 8, 9] and [r["status"] for r in record["runs"]] == ["done"] * 5
    assert set(record["files"]) == {"parts/parks-000005-000009.parquet", "parts/yearly-000005-000009.parquet"}
    for name, meta in record["files"].items():  # the recorded hash and size are those of the file on disk
        data = (store / name).read_bytes()
        assert (meta["bytes"], meta["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
        assert set(pq.read_schema(store / name).metadata) == {b"pandas"}  # no run times in a part
    jobs = pq.read_table(store / "jobs.parquet").to_pandas()
    assert jobs["spawn_key"].map(list).tolist() == [[j] for j in range(12)]


def test_readers_join_the_job_table(store):
    yearly = load_results(store)
    assert list(yearly.columns[:6]) == ["job", "scenario", "sample", "replicate",
                                        "levers.land.redevelopment_mu_per_year", "trend_growth_multiplier"]
    assert len(yearly) == 36 and yearly["year"].tolist()[:3] == [2021, 2022, 2023]
    assert list(load_results(store, metrics=["exits"]).columns[-2:]) == ["year", "exits"]
    parks = load_parks(store)
    assert len(parks) == 36 * 16 and {"park", "output_yi", "trend_growth_multiplier"} <= set(parks.columns)
    status = job_status(store)
    assert status["status"].eq("done").all() and status["worker"].str.contains(":").all()
    assert (status["end"] >= status["start"]).all()
    written = read_parquet(store / "status.parquet")
    assert written["status"].eq("done").all() and len(written) == 12


def test_duckdb_reads_the_store_in_place(store):
    pytest.importorskip("duckdb")
    relation = duckdb_relation(store).filter("year = 2023").order("job")
    frame = relation.df()
    expected = load_results(store).query("year == 2023").reset_index(drop=True)
    pd.testing.assert_series_equal(frame["total_output_yi"], expected["total_output_yi"])
    assert len(duckdb_relation(store, table="parks").df()) == 36 * 16


def test_summarise_results_gives_p_met_per_scenario_and_target(store):
    table = summarise_results(store)
    assert set(table["scenario"]) == {"tiny"}
    assert {"total_output_2023", "leading_share_2023"} <= set(table["target"])
    # the tiny runs stop in 2023: the 2025 targets are listed but not evaluated
    assert (table["n"] == 0).all() and table["p_met"].isna().all()


def test_another_spec_on_an_old_folder_is_refused(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path, {**SMALL_SPEC, "replicates": 3})
    result = cli("batch", "spec.yaml", "--workers", 1, "--out", store)
    text = output_of(result)
    assert result.exit_code == 2, text
    assert "Traceback" not in text
    assert str(store) in text and "spec hash" in text and "a new --out folder" in text
    assert read_manifest(store)["spec"]["replicates"] == 2  # untouched


def test_a_folder_that_is_not_a_store_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UserInputError, match=r"no manifest\.json"):
        run_batch(write_spec(tmp_path), tmp_path / "out", executor=SerialExecutor())
    assert (tmp_path / "out" / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_folder_in_use_is_refused_and_a_stale_lock_taken_over(tmp_path):
    experiment = load_spec(write_spec(tmp_path))
    store = ResultsStore.open(tmp_path / "out", experiment)
    with pytest.raises(UserInputError, match="in use by another batch"):
        ResultsStore.open(tmp_path / "out", experiment)
    lock = json.loads((tmp_path / "out" / ".lock").read_text(encoding="utf-8"))
    store.close({"started": "", "executor": "", "jobs_run": 0})
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lock["pid"] = int(dead.stdout)
    (tmp_path / "out" / ".lock").write_text(json.dumps(lock), encoding="utf-8")
    ResultsStore.open(tmp_path / "out", experiment).close({"started": "", "executor": "", "jobs_run": 0})


def test_stray_temporary_files_and_orphan_parts_are_ignored_and_removed(tmp_path):
    spec = write_spec(tmp_path, {**SMALL_SPEC, "outputs": {"parks": True}})
    out = tmp_path / "out"
    with SerialExecutor() as executor:
        run_batch(spec, out, executor=executor, chunk_size=6, progress=False)
    first = load_results(out)
    # what a killed driver can leave: a half-written part, and parts whose commit record never came
    (out / "parts" / ".tmp-yearly-000000-000005.parquet-123-abcd").write_bytes(b"PAR1 half a file")
    (out / "parts" / "commit-000006-000011.json").unlink()
    assert len(load_results(out)) == 18 and len(load_parks(out)) == 18 * 16  # only committed parts are read
    with SerialExecutor() as executor:
        again = run_batch(spec, out, executor=executor, chunk_size=6, progress=False)
    assert (again.ran, again.skipped, again.cleaned) == (6, 6, 3)
    assert not list((out / "parts").glob(".tmp-*"))
    pd.testing.assert_frame_equal(load_results(out), first)
    assert len(load_parks(out)) == 36 * 16


def _parts(out):
    return sorted((out / "parts").glob("yearly-*.parquet")) if (out / "parts").is_dir() else []


def test_kill_and_resume_gives_exactly_the_uninterrupted_results(tmp_path):
    spec = write_spec(tmp_path, {
        **SMALL_SPEC, "name": "long",
        "factors": [{"name": "trend_growth_multiplier", "kind": "uncertainty", "bounds": [0.7, 1.3]}],
        "design": {"kind": "monte_carlo", "samples": 150}, "replicates": 4,
        "outputs": {"metrics": ["total_output_yi", "leading_share", "exits"]},
    })
    chunks = 600 // 4
    command = [sys.executable, "-c", "from parkabm.experiments.cli import main; main()",
               "batch", str(spec), "--out", str(tmp_path / "out"), "--workers", "2", "--chunk-size", "4"]
    process = subprocess.Popen(command, cwd=tmp_path, start_new_session=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not _parts(tmp_path / "out") and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)  # the driver and its workers, mid-batch
    process.communicate()
    written = _parts(tmp_path / "out")
    assert 1 <= len(written) < chunks, "the batch was killed between its first and its last part"
    for part in written:  # every part that exists is complete
        assert pq.read_table(part).num_rows > 0

    resumed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.strip().splitlines()[-1] == "600 jobs: 600 done, 0 failed"
    assert "were already done" in resumed.stdout

    yearly = load_results(tmp_path / "out")
    assert len(yearly) == 600 * 3
    assert not yearly.duplicated(["job", "year"]).any()
    assert sorted(yearly["job"].unique()) == list(range(600))
    assert job_status(tmp_path / "out")["status"].eq("done").all()

    with ProcessPool(2) as executor:
        run_batch(spec, tmp_path / "uninterrupted", executor=executor, progress=False)
    pd.testing.assert_frame_equal(yearly, load_results(tmp_path / "uninterrupted"))
