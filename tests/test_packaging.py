"""The built wheel holds every module: installed into a fresh virtual environment (not editable), it runs.

The wheel is built from this checkout with ``pip wheel`` (no build isolation, so no download); the fresh environment
sees the already installed third-party packages through a ``.pth`` line (so the test needs no network), but not this
checkout: ``parkabm`` is imported from the wheel alone. A sub-package missing from the wheel makes ``parkabm batch``
or ``parkabm run`` fail here with ``ModuleNotFoundError``.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TOP_LEVEL = ("model", "agents", "scenarios", "experiments")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a copy, so that the build's own folders (build/, *.egg-info) never land in the checkout.
    source = tmp_path_factory.mktemp("source") / "parkabm"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "results", "__pycache__", ".*_cache", ".hypothesis"))
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(out), str(source)], check=True, capture_output=True, text=True, timeout=600)
    (path,) = out.glob("parkabm-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed (no dependencies resolved: they come from this environment)."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # Third-party packages of the running environment, without this checkout's editable finder (a .pth file in a
    # directory named by another .pth line is not processed, so the editable hook stays out).
    paths = [p for p in (*site.getsitepackages(), sysconfig.get_paths()["purelib"]) if Path(p).is_dir()]
    (Path(purelib) / "thirdparty.pth").write_text("\n".join(dict.fromkeys(paths)) + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", purelib, str(wheel)], check=True, capture_output=True, text=True, timeout=300)
    return env_dir


def test_wheel_holds_every_package_of_the_source_tree(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    packages = {str(init.parent.relative_to(ROOT)) for top in TOP_LEVEL for init in (ROOT / top).rglob("__init__.py")}
    assert packages, "no package found in the source tree"
    missing = sorted(p for p in packages if f"parkabm/{p}/__init__.py" not in names)
    assert not missing
    assert "parkabm/scenarios/baseline.yaml" in names
    assert "parkabm/scenarios/data/sectors.csv" in names
    assert any(n.startswith("parkabm/experiments/specs/") and n.endswith(".yaml") for n in names)


def run_installed(env_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    command = [str(env_dir / "bin" / "python"), "-c", "from parkabm.experiments.cli import main; main()", *args]
    return subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=600, check=False)


def test_installed_wheel_imports_from_itself_not_the_checkout(installed, tmp_path):
    result = subprocess.run([str(installed / "bin" / "python"), "-c",
                             "import parkabm.experiments.cli as c, parkabm.model as m; print(c.__file__); "
                             "print(m.__file__)"], cwd=tmp_path, capture_output=True, text=True, check=True)
    for line in result.stdout.split():
        assert str(installed) in line and not line.startswith(str(ROOT) + os.sep)


def test_installed_wheel_runs_a_projection_and_a_batch(installed, tmp_path):
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text("name: tiny\nextends: baseline\nworld: {population_scale: 0.15, horizon: 2023}\n",
                    encoding="utf-8")
    run = run_installed(installed, "run", "baseline", "--reps", "2", "--out", str(tmp_path / "proj"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert (tmp_path / "proj" / "summary.json").is_file()

    spec = {"name": "four", "scenarios": ["tiny.yaml"],
            "factors": [{"name": "levers.land.redevelopment_mu_per_year", "kind": "lever", "levels": [5000, 20000]}],
            "design": {"kind": "grid"}, "replicates": 2, "seed": 3}
    (tmp_path / "four.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    batch = run_installed(installed, "batch", str(tmp_path / "four.yaml"), "--out", str(tmp_path / "batch"),
                          "--workers", "1", cwd=tmp_path)
    assert batch.returncode == 0, batch.stderr[-2000:]
    assert len(list((tmp_path / "batch" / "parts").glob("*.parquet"))) >= 1
