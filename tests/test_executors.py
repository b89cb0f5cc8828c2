"""Where a batch runs does not change its numbers: serial, a 2-process pool and a Dask cluster agree exactly."""

import multiprocessing
import socket
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest
from batch_fixtures import SMALL_SPEC, cli, output_of, write_spec

from parkabm.experiments.execution.executors import DaskExecutor, ProcessPool, SerialExecutor, make_executor
from parkabm.experiments.execution.runner import run_batch
from parkabm.experiments.execution.store import load_parks, load_results, read_parquet
from parkabm.scenarios.errors import UserInputError

SPEC = {**SMALL_SPEC, "outputs": {"parks": True}}


def raw_parts(out, kind):
    """Every row of a store's committed parts as written, sorted by job (no reader in between)."""
    files = sorted(str(p) for p in (out / "parts").glob(f"{kind}-*.parquet"))
    keys = ["job", "year"] + (["park"] if kind == "parks" else [])
    return ds.dataset(files, format="parquet").to_table().to_pandas().sort_values(keys, ignore_index=True)


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    folder = tmp_path_factory.mktemp("executors")
    spec = write_spec(folder, SPEC)
    with SerialExecutor() as executor:
        run_batch(spec, folder / "serial", executor=executor, chunk_size=3, progress=False)
    return spec, folder / "serial"


def assert_same_bytes(a, b):
    """Both stores hold the same part files, byte for byte (parts carry no run times or worker names)."""
    names = sorted(p.name for p in (a / "parts").glob("*.parquet"))
    assert names and names == sorted(p.name for p in (b / "parts").glob("*.parquet"))
    for name in names:
        assert (a / "parts" / name).read_bytes() == (b / "parts" / name).read_bytes(), name


def assert_same_store(a, b):
    for kind in ("yearly", "parks"):
        pd.testing.assert_frame_equal(raw_parts(a, kind), raw_parts(b, kind))
    pd.testing.assert_frame_equal(load_results(a), load_results(b))
    pd.testing.assert_frame_equal(load_parks(a), load_parks(b))


def test_process_pool_gives_the_serial_numbers(serial, tmp_path):
    spec, reference = serial
    before = multiprocessing.get_start_method(allow_none=True)
    with ProcessPool(2) as executor:
        assert executor.workers == 2 and "spawn" in executor.description
        result = run_batch(spec, tmp_path / "pool", executor=executor, chunk_size=3, progress=False)
    assert result.done == 12
    assert multiprocessing.get_start_method(allow_none=True) == before, "the global start method is left alone"
    assert_same_store(reference, tmp_path / "pool")
    assert_same_bytes(reference, tmp_path / "pool")
    workers = set(read_parquet(tmp_path / "pool" / "status.parquet")["worker"])
    assert len(workers) >= 1 and all(":" in w for w in workers)


def test_dask_scheduler_gives_the_serial_numbers(serial, tmp_path):
    distributed = pytest.importorskip("distributed")
    spec, reference = serial
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with DaskExecutor(cluster.scheduler_address) as executor:
            assert executor.workers == 2
            result = run_batch(spec, tmp_path / "dask", executor=executor, chunk_size=2, progress=False)
    assert result.done == 12 and result.executor == f"Dask scheduler {cluster.scheduler_address}"
    assert_same_store(reference, tmp_path / "dask")


def test_dask_local_cluster_from_the_command_line(serial, tmp_path, monkeypatch):
    spec, reference = serial
    monkeypatch.chdir(tmp_path)
    result = cli("batch", spec, "--dask-local", 2, "--chunk-size", 3, "--out", "local")
    assert result.exit_code == 0, output_of(result)
    assert "on Dask local cluster (2 worker processes)" in result.stdout
    assert_same_store(reference, tmp_path / "local")
    assert_same_bytes(reference, tmp_path / "local")


def test_replicates_differ_whatever_the_executor(serial):
    _, reference = serial
    final = load_results(reference).query("year == 2023")
    by_replicate = final.pivot_table(index="sample", columns="replicate", values="total_output_yi")
    assert (by_replicate[0] != by_replicate[1]).all()


def test_serial_executor_futures():
    with SerialExecutor() as executor:
        assert executor.submit(pow, 2, 10).result() == 1024
        failed = executor.submit(int, "x")
        with pytest.raises(ValueError):
            failed.result()


def test_executor_options_are_exclusive_and_checked():
    with pytest.raises(UserInputError, match="at most one of"):
        make_executor(workers=2, dask_local=2)
    with pytest.raises(UserInputError, match="--workers"):
        ProcessPool(0)
    assert isinstance(make_executor(workers=1), SerialExecutor)
    with make_executor(workers=2) as pool:
        assert isinstance(pool, ProcessPool) and pool.workers == 2


def test_conflicting_options_on_the_command_line_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path)
    result = cli("batch", "spec.yaml", "--workers", 2, "--scheduler", "tcp://127.0.0.1:8786")
    assert result.exit_code == 2 and "Traceback" not in output_of(result)
    assert "at most one of --workers, --scheduler, --dask-local" in output_of(result)


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:{port}", "notaurl://x", "no-port"])
def test_unreachable_scheduler_exits_2_with_one_message(tmp_path, monkeypatch, address):
    import dask
    import distributed  # noqa: F401  (registers Dask's distributed settings before they are changed)

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = address.format(port=port)
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = cli("batch", "spec.yaml", "--scheduler", address)
    text = output_of(result)
    assert result.exit_code == 2, text
    assert "Traceback" not in text
    assert text.startswith(f"--scheduler: {address} — cannot connect")
    assert not (tmp_path / "results").exists()


ORPHAN_DRIVER = """
import multiprocessing, os, sys, time
from concurrent.futures import ProcessPoolExecutor
from parkabm.experiments.execution.executors import exit_with_driver
if __name__ == "__main__":
    signal_only = sys.argv[1] == "signal"
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=exit_with_driver,
                               initargs=(os.getpid(), signal_only, not signal_only))
    print(pool.submit(os.getpid).result(), flush=True)
    time.sleep(600)
"""


@pytest.mark.parametrize("mechanism", ["signal", "polling"])
def test_a_pool_worker_exits_when_its_driver_is_killed(tmp_path, mechanism):
    """Each mechanism alone (the kernel's death signal; the thread polling the parent) ends an orphaned worker."""
    import os
    import signal
    import subprocess
    import sys
    import time

    if mechanism == "signal" and not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux only")
    script = tmp_path / "driver.py"
    script.write_text(ORPHAN_DRIVER, encoding="utf-8")
    driver = subprocess.Popen([sys.executable, str(script), mechanism], stdout=subprocess.PIPE, text=True)
    worker = int(driver.stdout.readline())
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()

    def gone() -> bool:
        try:
            return Path(f"/proc/{worker}/stat").read_text().split(") ")[-1][0] in "ZX"
        except FileNotFoundError:
            return True

    for _ in range(100):  # the polling thread checks every DRIVER_POLL_SECONDS (1 s)
        if gone():
            break
        time.sleep(0.1)
    alive = not gone()
    if alive:
        os.kill(worker, signal.SIGKILL)
    assert not alive, f"worker {worker} outlived its driver ({mechanism})"


def test_pool_workers_start_with_the_model_imported_and_frozen_for_the_collector():
    import gc

    with ProcessPool(1) as executor:
        assert executor.submit(gc.get_freeze_count).result() > 0
    assert gc.get_freeze_count() == 0, "the driver's own objects are left to the collector"



def test_pool_and_local_cluster_workers_split_no_pass(monkeypatch):
    # Their pool already runs one worker per core: a 10^6-firm run in a worker keeps its passes whole.
    from parkabm.model import threads

    monkeypatch.delenv("PARKABM_THREADS", raising=False)
    with ProcessPool(1) as pool:
        assert pool.submit(threads.threads).result() == 1
    with DaskExecutor(n_workers=1) as cluster:
        assert cluster.submit(threads.threads).result() == 1
