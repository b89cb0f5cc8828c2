"""Fault injection: kills at random moments, damaged stores, full and read-only disks, races, orphaned workers.

Each test checks that nothing is lost (earlier results survive), nothing is duplicated (every job once), nothing is
silently wrong (a damaged part is named, never read as numbers), and the one-line message the user sees.

Real faults where the machine allows them: ``kill -9`` of real ``parkabm`` processes, and small tmpfs mounts for a
full disk and a read-only filesystem (tests run as root, and ``chmod`` cannot stop root from writing, so a
read-only *mount* is used; without permission to mount, those tests are skipped with the reason). Permission
denied is simulated by making ``os.mkdir`` raise ``EACCES`` in-process, since root is never denied.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from batch_fixtures import SMALL_SPEC, cli, output_of, write_spec

from parkabm.experiments.execution import files
from parkabm.experiments.execution.executors import SerialExecutor
from parkabm.experiments.execution.files import MARKER
from parkabm.experiments.execution.runner import run_batch
from parkabm.experiments.execution.store import ResultsStore, job_status, load_parks, load_results
from parkabm.scenarios.errors import UserInputError

pytestmark = pytest.mark.faults

PARKABM = [sys.executable, "-c", "from parkabm.experiments.cli import main; main()"]
RNG = np.random.default_rng(20261201)  # the random moments of the kills, the same on every run of the suite
SMALL_RUN = "name: small\nextends: baseline\nworld:\n  population_scale: 0.15\n  horizon: 2022\n"
SPEC = {**SMALL_SPEC, "outputs": {"parks": True}}


def wait_for(condition, *, tries: int = 600, every: float = 0.05) -> bool:
    """Poll ``condition`` a bounded number of times (no wall-clock bound); return whether it became true."""
    for _ in range(tries):
        if condition():
            return True
        time.sleep(every)
    return False


def start(*args, cwd) -> subprocess.Popen:
    return subprocess.Popen([*PARKABM, *map(str, args)], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def kill(process: subprocess.Popen, *, group: bool = True) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL) if group else process.kill()
    process.communicate()


def owned_and_complete(folder: Path) -> dict:
    """Assert ``folder`` is one whole result folder parkabm wrote (its marker lists exactly its files)."""
    marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    present = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != MARKER)
    assert sorted(marker["files"]) == present
    return marker


def no_leftovers(parent: Path) -> bool:
    return not [p for p in parent.iterdir() if p.name.startswith((".parkabm-", ".tmp-"))]


@pytest.fixture
def tmpfs(tmp_path):
    """Mount small tmpfs filesystems under ``tmp_path`` (skip when this process may not mount)."""
    mounted: list[Path] = []

    def mount(name: str, size_kb: int) -> Path:
        point = tmp_path / name
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(point)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'not root'}): a real full or "
                        "read-only disk cannot be made")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False)


def remount(point: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(point)], check=True)


# ----------------------------------------------------------------------------------------------------
# Kills
# ----------------------------------------------------------------------------------------------------


def test_kill_9_of_run_at_random_moments_leaves_the_old_projection_or_the_new(tmp_path):
    (tmp_path / "small.yaml").write_text(SMALL_RUN, encoding="utf-8")
    out = tmp_path / "out"
    first = subprocess.run([*PARKABM, "run", "small.yaml", "--reps", "1", "--seed", "1", "--out", "out"],
                           cwd=tmp_path, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    for delay in RNG.uniform(1.0, 6.0, size=3):
        process = start("run", "small.yaml", "--reps", 2, "--seed", 2, "--out", "out", cwd=tmp_path)
        time.sleep(delay)
        kill(process)
        owned_and_complete(out)
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert (summary["seed"], summary["reps"]) in ((1, 1), (2, 2)), "old or new, never a mix"
    last = subprocess.run([*PARKABM, "run", "small.yaml", "--reps", "2", "--seed", "3", "--out", "out"],
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    assert last.returncode == 0, last.stderr
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["seed"] == 3
    owned_and_complete(out)
    assert no_leftovers(tmp_path), "the next run removes what killed runs left"


SWAP_KILLER = """
import os, sys
from pathlib import Path
from parkabm.experiments.execution import files
step, exchange = int(sys.argv[1]), sys.argv[2] == "exchange"
if not exchange:
    files._EXCHANGE = None
calls = [0]
real_rename, real_exchange = os.rename, files._EXCHANGE
def die_at(k):
    calls[0] += 1
    if calls[0] == k:
        os._exit(9)
def rename(a, b):
    die_at(step)
    real_rename(a, b)
def exchange_(a, b):
    die_at(step)
    return real_exchange(a, b)
files.os.rename = rename
if exchange:
    files._EXCHANGE = exchange_
with files.staged_folder(Path(sys.argv[3]), kind="projection") as staging:
    (staging / "value.txt").write_text("new")
    (staging / "sub").mkdir()
    (staging / "sub" / "more.txt").write_text("new")
die_at(step)
"""


@pytest.mark.parametrize("exchange", ["exchange", "two-renames"])
def test_a_kill_at_every_step_of_the_swap_leaves_old_or_new_and_the_next_write_recovers(tmp_path, exchange):
    if exchange == "exchange" and files._EXCHANGE is None:
        pytest.skip("no renameat2(RENAME_EXCHANGE) on this platform")
    out = tmp_path / "out"
    for step in (1, 2, 3):
        with files.staged_folder(out, kind="projection") as staging:
            (staging / "value.txt").write_text("old")
        killed = subprocess.run([sys.executable, "-c", SWAP_KILLER, str(step), exchange, str(out)],
                                capture_output=True, text=True, check=False)
        assert killed.returncode == 9, killed.stderr
        if exchange == "two-renames" and step == 2:  # killed between the two renames: nothing at the target yet
            assert not out.exists()
        else:
            assert (out / "value.txt").read_text() in ("old", "new")
            owned_and_complete(out)
        files.check_output_folder(out, kind="projection")  # still ours, never foreign
        files.recover(out, "projection")
        assert (out / "value.txt").read_text() == ("old" if step == 1 else "new")
        owned_and_complete(out)
        assert no_leftovers(tmp_path), f"step {step}: leftovers of the killed write are removed"


def _pool_workers(pid: int) -> list[int]:
    psutil = pytest.importorskip("psutil")
    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)
                if "multiprocessing" in " ".join(c.cmdline())]
    except psutil.NoSuchProcess:
        return []


def _alive(pid: int) -> bool:
    psutil = pytest.importorskip("psutil")
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted serial results of the small experiment (with per-park rows)."""
    folder = tmp_path_factory.mktemp("reference")
    spec = write_spec(folder, SPEC)
    with SerialExecutor() as executor:
        run_batch(spec, folder / "out", executor=executor, chunk_size=3, progress=False)
    return load_results(folder / "out"), load_parks(folder / "out")


def assert_reference(out: Path, reference) -> None:
    yearly, parks = load_results(out), load_parks(out)
    assert not yearly.duplicated(["job", "year"]).any()
    pd.testing.assert_frame_equal(yearly, reference[0])
    pd.testing.assert_frame_equal(parks, reference[1])
    assert job_status(out)["status"].eq("done").all()


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_9_of_a_batch_driver_at_a_random_moment_then_resume(tmp_path, reference, workers):
    spec = write_spec(tmp_path, SPEC)
    process = start("batch", spec, "--out", "out", "--workers", workers, "--chunk-size", 1, cwd=tmp_path)
    parts = tmp_path / "out" / "parts"
    assert wait_for(lambda: (parts.is_dir() and any(parts.glob("commit-*"))) or process.poll() is not None)
    workers_seen = _pool_workers(process.pid) if workers > 1 else []
    time.sleep(RNG.uniform(0.0, 0.3))
    kill(process, group=False)  # only the driver: its pool workers must go by themselves
    if workers > 1:
        assert workers_seen, "the pool had started its workers"
        assert wait_for(lambda: not any(_alive(p) for p in workers_seen), tries=200, every=0.1), \
            "pool workers outlived their killed driver"
    resumed = cli("batch", spec, "--out", tmp_path / "out", "--workers", 1, "--chunk-size", 1)
    assert resumed.exit_code == 0, output_of(resumed)
    assert resumed.stdout.strip().splitlines()[-1] == "12 jobs: 12 done, 0 failed"
    assert_reference(tmp_path / "out", reference)


def test_kill_9_of_calibrate_leaves_the_old_report_or_the_new(tmp_path):
    first = subprocess.run([*PARKABM, "calibrate", "--quick", "--out", "cal"], cwd=tmp_path, capture_output=True,
                           text=True, check=False)
    assert first.returncode == 0, first.stderr
    before = (tmp_path / "cal" / "fit.json").read_bytes()
    process = start("calibrate", "--quick", "--out", "cal", cwd=tmp_path)
    time.sleep(RNG.uniform(2.0, 10.0))
    kill(process)
    marker = owned_and_complete(tmp_path / "cal")
    assert marker["kind"] == "calibration"
    assert json.loads((tmp_path / "cal" / "fit.json").read_bytes())["objective"] == json.loads(before)["objective"]
    result = cli("run", "baseline", "--reps", 1, "--out", tmp_path / "cal")
    assert result.exit_code == 2 and "holds a calibration written by parkabm, not a projection" in output_of(result)


# ----------------------------------------------------------------------------------------------------
# Damaged stores
# ----------------------------------------------------------------------------------------------------


@pytest.fixture
def finished(tmp_path):
    spec = write_spec(tmp_path, SPEC)
    with SerialExecutor() as executor:
        run_batch(spec, tmp_path / "out", executor=executor, chunk_size=3, progress=False)
    return spec, tmp_path / "out"


def flip_a_bit(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x10
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-200])


def garble_page_header(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[4:12] = b"\xff" * 8  # the first page header follows the leading magic bytes
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("damage", "said"), [
    (flip_a_bit, "does not match its recorded SHA-256 (corrupt)"),
    (garble_page_header, "does not match its recorded SHA-256 (corrupt)"),
    (truncate, "bytes, not the"),
    (Path.unlink, "is missing"),
])
def test_a_damaged_part_is_refused_by_readers_and_rerun_on_resume(finished, reference, damage, said):
    spec, out = finished
    part = out / "parts" / "yearly-000003-000005.parquet"
    damage(part)
    with pytest.raises(UserInputError, match=r"yearly-000003-000005\.parquet") as caught:
        load_results(out)
    assert said in str(caught.value) and "run the same parkabm batch" in str(caught.value)
    resumed = cli("batch", spec, "--out", out, "--workers", 1, "--chunk-size", 3)
    assert resumed.exit_code == 0, output_of(resumed)
    repair = next(line for line in output_of(resumed).splitlines() if line.startswith("repair: "))
    assert repair.startswith(f"repair: {part} ") and said in repair
    assert "its 3 jobs run again" in output_of(resumed)
    assert "ran 3 jobs" in resumed.stdout
    assert_reference(out, reference)


def test_a_flipped_bit_in_a_data_page_fails_its_page_checksum(tmp_path):
    import pyarrow as pa

    path = tmp_path / "part.parquet"
    files.write_parquet(path, pa.table({"x": np.arange(20000, dtype=np.float64)}))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # inside the values, so the file still parses
    path.write_bytes(bytes(data))
    with pytest.raises(OSError, match=r"(?i)checksum|crc"):
        files.read_table(path)


def test_a_garbled_commit_record_reruns_its_chunk(finished, reference):
    spec, out = finished
    (out / "parts" / "commit-000006-000008.json").write_text("{not json", encoding="utf-8")
    resumed = cli("batch", spec, "--out", out, "--workers", 1, "--chunk-size", 3)
    assert resumed.exit_code == 0, output_of(resumed)
    assert "is not a readable commit record: the jobs of chunk 000006-000008 run again" in output_of(resumed)
    assert_reference(out, reference)


def test_a_deleted_parts_folder_is_named_by_readers_and_rebuilt_by_a_rerun(finished, reference):
    import shutil

    spec, out = finished
    shutil.rmtree(out / "parts")
    with pytest.raises(UserInputError, match="parts: missing"):
        load_results(out)
    resumed = cli("batch", spec, "--out", out, "--workers", 1, "--chunk-size", 3)
    assert resumed.exit_code == 0, output_of(resumed)
    assert "parts was missing: every job not recorded in it runs again" in output_of(resumed)
    assert "ran 12 jobs" in resumed.stdout
    assert_reference(out, reference)


@pytest.mark.parametrize("content", ["[]", '"text"', "3", '{"jobs": "many"}'])
def test_a_manifest_that_is_not_a_json_object_is_one_message(finished, content):
    spec, out = finished
    (out / "manifest.json").write_text(content, encoding="utf-8")
    result = cli("batch", spec, "--out", out, "--workers", 1)
    assert result.exit_code == 2
    assert f"{out / 'manifest.json'}: holds" in output_of(result) and "not a manifest" in output_of(result)
    assert "Traceback" not in output_of(result)
    assert len(list((out / "parts").glob("yearly-*"))) == 4, "nothing removed"


# ----------------------------------------------------------------------------------------------------
# The environment
# ----------------------------------------------------------------------------------------------------


def test_a_full_disk_during_run_keeps_the_old_projection(tmp_path, tmpfs):
    disk = tmpfs("disk", 640)
    (tmp_path / "small.yaml").write_text(SMALL_RUN, encoding="utf-8")
    assert cli("run", tmp_path / "small.yaml", "--reps", 1, "--seed", 1, "--out", disk / "out").exit_code == 0
    before = {p.name: p.read_bytes() for p in (disk / "out").iterdir()}
    (disk / "filler").write_bytes(b"\0" * (640 * 1024 - 2 * sum(map(len, before.values())) + 100 * 1024))
    result = cli("run", tmp_path / "small.yaml", "--reps", 2, "--seed", 2, "--out", disk / "out")
    assert result.exit_code == 2, output_of(result)
    assert "no space left on the device — allowed: free some space, or write to another disk" in output_of(result)
    assert "Traceback" not in output_of(result)
    assert {p.name: p.read_bytes() for p in (disk / "out").iterdir()} == before
    assert no_leftovers(disk)


def test_a_full_disk_during_a_batch_keeps_every_committed_part_and_a_rerun_finishes(tmp_path, tmpfs, reference):
    disk = tmpfs("disk", 600)
    spec = write_spec(tmp_path, SPEC)
    (disk / "filler").write_bytes(b"\0" * (400 * 1024))
    result = cli("batch", spec, "--out", disk / "out", "--workers", 1, "--chunk-size", 1)
    assert result.exit_code == 1, output_of(result)  # some work was done
    assert f"{disk / 'out'}" in output_of(result) and "no space left on the device" in output_of(result)
    assert "Traceback" not in output_of(result)
    done = load_results(disk / "out")  # what was committed reads back verified
    assert 0 < done["job"].nunique() < 12
    assert f"{done['job'].nunique()} of 12 jobs are done and kept in {disk / 'out'}/" in output_of(result)
    (disk / "filler").unlink()
    remount(disk, "size=4096k")
    resumed = cli("batch", spec, "--out", disk / "out", "--workers", 1, "--chunk-size", 1)
    assert resumed.exit_code == 0, output_of(resumed)
    assert_reference(disk / "out", reference)


@pytest.mark.parametrize("command", ["run", "batch"])
def test_a_read_only_filesystem_is_one_message(tmp_path, tmpfs, command):
    disk = tmpfs("ro", 64)
    remount(disk, "ro")
    (tmp_path / "small.yaml").write_text(SMALL_RUN, encoding="utf-8")
    spec = write_spec(tmp_path, SPEC)
    args = (["run", tmp_path / "small.yaml", "--reps", 1] if command == "run" else ["batch", spec, "--workers", 1])
    result = cli(*args, "--out", disk / "out")
    assert result.exit_code == 2
    assert f"{disk / 'out'}" in output_of(result)
    assert "the filesystem is read-only — allowed: a folder on a writable filesystem" in output_of(result)
    assert "Traceback" not in output_of(result)


@pytest.mark.parametrize("command", ["run", "batch", "calibrate"])
def test_permission_denied_is_one_message(tmp_path, monkeypatch, command):
    """Simulated: ``os.mkdir`` raises EACCES under the target, since root is never denied."""
    import errno

    real_mkdir = os.mkdir
    denied = tmp_path / "denied"

    def mkdir(path, *args, **kwargs):
        if str(path).startswith(str(denied)) or Path(path).parent == tmp_path:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_mkdir(path, *args, **kwargs)

    (tmp_path / "small.yaml").write_text(SMALL_RUN, encoding="utf-8")
    spec = write_spec(tmp_path, SPEC)
    args = {"run": ["run", tmp_path / "small.yaml", "--reps", 1], "batch": ["batch", spec, "--workers", 1],
            "calibrate": ["calibrate", "--quick", "--maxiter", 1, "--workers", 1]}[command]
    monkeypatch.setattr(os, "mkdir", mkdir)
    result = cli(*args, "--out", denied / "out")
    assert result.exit_code == 2, output_of(result)
    assert "permission denied — allowed: a folder this user may write to" in output_of(result)
    assert "Traceback" not in output_of(result)


@pytest.mark.parametrize("command", ["run", "batch"])
def test_a_parent_path_that_is_a_file_is_one_message(tmp_path, command):
    (tmp_path / "small.yaml").write_text(SMALL_RUN, encoding="utf-8")
    spec = write_spec(tmp_path, SPEC)
    (tmp_path / "afile").write_text("mine", encoding="utf-8")
    args = (["run", tmp_path / "small.yaml", "--reps", 1] if command == "run" else ["batch", spec, "--workers", 1])
    result = cli(*args, "--out", tmp_path / "afile" / "out")
    assert result.exit_code == 2
    assert f"{tmp_path / 'afile'} is a file" in output_of(result) and "Traceback" not in output_of(result)
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "mine"


def test_two_batches_started_at_once_on_a_new_folder(tmp_path, reference):
    spec = write_spec(tmp_path, SPEC)
    first, second = (start("batch", spec, "--out", "out", "--workers", 1, "--chunk-size", 3, cwd=tmp_path)
                     for _ in range(2))
    results = [(p.wait(), p.communicate()) for p in (first, second)]
    codes = sorted(code for code, _ in results)
    stderr = "".join(err.decode() for _, (_, err) in results)
    assert "Traceback" not in stderr and "Directory not empty" not in stderr
    assert codes[0] == 0 and codes[1] in (0, 2)
    if codes[1] == 2:
        assert "is in use by another batch" in stderr
    assert_reference(tmp_path / "out", reference)


def test_staging_folders_of_batches_killed_while_creating_a_store_are_removed(tmp_path):
    spec = write_spec(tmp_path, SPEC)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = tmp_path / f".tmp-out-{int(dead.stdout)}-abcd"
    (left / "parts").mkdir(parents=True)
    (left / "manifest.json").write_text("{}", encoding="utf-8")
    mine = tmp_path / f".tmp-out-{int(dead.stdout)}-keep"  # not what a batch stages: left alone
    mine.mkdir()
    (mine / "notes.txt").write_text("keep", encoding="utf-8")
    assert cli("batch", spec, "--out", tmp_path / "out", "--workers", 1).exit_code == 0
    assert not left.exists() and (mine / "notes.txt").is_file()


def test_the_loser_of_a_race_to_create_a_store_joins_the_winners_folder(finished):
    from parkabm.experiments.design.spec import load_spec

    spec, out = finished
    experiment = load_spec(spec)
    ResultsStore._create(out, experiment)  # as if it had found the folder empty just before the other batch
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".tmp-")]
    assert len(load_results(out)) == 12 * 3


MARKER_REWRITE_KILLER = """
import os, signal, sys
from pathlib import Path
from parkabm.experiments.execution import files
folder = Path(sys.argv[1])
def killed(src, dst):
    os.kill(os.getpid(), signal.SIGKILL)
os.replace = killed  # the kill falls between writing the new marker and renaming it into place
files.record_written(folder, [folder / "value.txt"])
"""


def test_a_kill_while_the_marker_is_rewritten_leaves_a_folder_parkabm_still_replaces(tmp_path):
    out = tmp_path / "out"
    with files.staged_folder(out, kind="projection") as staging:
        (staging / "value.txt").write_text("old")
    killed = subprocess.run([sys.executable, "-c", MARKER_REWRITE_KILLER, str(out)], capture_output=True, text=True,
                            check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = [p.name for p in out.iterdir() if p.name.startswith(files.TMP)]
    assert len(left) == 1 and left[0].startswith(f"{files.TMP}{MARKER}-"), left
    files.check_output_folder(out, kind="projection")  # the killed write's file is parkabm's, not foreign
    with files.staged_folder(out, kind="projection") as staging:
        (staging / "value.txt").write_text("new")
    assert (out / "value.txt").read_text() == "new"
    owned_and_complete(out)
    assert not list(out.glob(f"{files.TMP}*")) and no_leftovers(tmp_path)


def test_a_temporary_file_of_a_running_write_or_of_a_user_is_not_taken_for_a_killed_write(tmp_path):
    out = tmp_path / "out"
    with files.staged_folder(out, kind="projection") as staging:
        (staging / "value.txt").write_text("old")
    running = out / f"{files.TMP}value.txt-{os.getpid()}-0123abcd"  # this process is alive: it may still write
    running.write_text("part")
    with pytest.raises(UserInputError, match="holds files parkabm did not write"):
        files.check_output_folder(out, kind="projection")
    running.unlink()
    mine = out / f"{files.TMP}notes.txt"  # a user's file with the same prefix but not the name parkabm gives
    mine.write_text("keep")
    with pytest.raises(UserInputError, match="holds files parkabm did not write"):
        files.check_output_folder(out, kind="projection")
    assert mine.read_text() == "keep"


PLOT_KILLER = """
import os, signal, sys
from parkabm.experiments.charts import plot, style
drawn = []
save = style.save_figure
def killed_after_the_first(fig, path, fmt):
    if drawn:  # the second chart: the kill falls between two charts of the same redraw
        os.kill(os.getpid(), signal.SIGKILL)
    drawn.append(path)
    return save(fig, path, fmt)
style.save_figure = killed_after_the_first
plot.charts.save_figure = killed_after_the_first
plot.plot_results(sys.argv[1], lang="zh", fmt="svg")
"""


def test_a_kill_while_charts_are_redrawn_into_a_run_folder_leaves_it_parkabms(tmp_path):
    (tmp_path / "small.yaml").write_text(SMALL_RUN, encoding="utf-8")
    assert cli("run", tmp_path / "small.yaml", "--reps", 1, "--out", tmp_path / "out").exit_code == 0
    killed = subprocess.run([sys.executable, "-c", PLOT_KILLER, str(tmp_path / "out")], capture_output=True,
                            text=True, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert list((tmp_path / "out").glob("*.zh.svg")), "the first chart was drawn before the kill"
    files.check_output_folder(tmp_path / "out", kind="projection")  # its charts are listed: still parkabm's
    assert cli("run", tmp_path / "small.yaml", "--reps", 1, "--out", tmp_path / "out").exit_code == 0
    assert not list((tmp_path / "out").glob("*.zh.svg"))  # the old folder, charts included, was replaced
