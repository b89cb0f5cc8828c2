"""Writing files and result folders so that nothing is lost and nothing is half-written.

Everything parkabm writes to disk goes through this module:

- :func:`atomic_write` (and :func:`write_json`, :func:`write_parquet`): a file is written to a temporary name in its
  own folder, flushed to disk and renamed into place, so a reader sees the old file or the new one, never a part.
- :func:`staged_folder`: a whole result folder (a projection, a calibration report) is written beside its target
  and swapped in. The folder carries an **ownership marker** :data:`MARKER` listing the files parkabm wrote and
  the kind of folder; an existing folder is replaced only if its marker says parkabm wrote every file in it
  (:func:`check_output_folder`), and only those files are removed.

**The swap.** On Linux the new and the old folder are exchanged with one ``renameat2(RENAME_EXCHANGE)`` call, so
the target path holds the old folder or the new one at every moment. Elsewhere the old folder is first renamed
aside and the new one renamed in; a kill between those two renames leaves no folder at the target, and the next
run puts back the complete new folder (or, failing that, the old one) before it does anything else.

**Leftovers.** Staging and retired folders are named ``.parkabm-staging-<name>-…`` and ``.parkabm-retired-<name>-…``
beside the target, and hold a marker with the process id and host that made them. The next write to the same
target removes those whose process is gone — only folders whose marker proves parkabm made them, and only the
files that marker lists (a staging folder's files are all parkabm's: it was made empty by parkabm). A write killed
inside a result folder (its marker rewritten, a chart redrawn into it, a part of a resumable store) leaves a
temporary file named by :func:`atomic_write`; once the process that made it is gone, that file counts as the
folder's own (:func:`killed_writes`) and goes with the folder.

Folders are created with the permissions the umask allows (``tempfile.mkdtemp`` alone would make them 0700).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

import numpy as np

from parkabm.scenarios.errors import UserInputError

MARKER = ".parkabm-owned.json"
"""Name of the ownership marker of a result folder written by parkabm."""

STAGING = ".parkabm-staging-"
RETIRED = ".parkabm-retired-"
TMP = ".tmp-"
"""Prefix of a file being written (see :func:`atomic_write`)."""

_KILLED_WRITE = re.compile(re.escape(TMP) + r".+-(?P<pid>[0-9]+)-[0-9a-f]{8}")
"""The name :func:`atomic_write` gives a file while writing it: ``.tmp-<name>-<pid>-<8 hex digits>``."""

_HASH_BLOCK = 1 << 20


# ----------------------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------------------


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries to disk, so a rename in it survives a power cut (a no-op where unsupported)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # folders cannot be opened on some platforms
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], Any]) -> None:
    """Write a file through a temporary name in the same folder, fsync it and rename it into place.

    Args:
        path: The file.
        write: Called with the open binary file; writes the content.
    """
    path = Path(path)
    tmp = path.parent / f"{TMP}{path.name}-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.filename is None and exc.errno is not None:  # pyarrow's errors name no file: name it
            raise OSError(exc.errno, exc.strerror or os.strerror(exc.errno), str(path)) from exc
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value))


def json_bytes(data: Any) -> bytes:
    """Return ``data`` as indented UTF-8 JSON."""
    return json.dumps(data, ensure_ascii=False, indent=1, default=_json_default).encode("utf-8")


def write_json(path: str | Path, data: Any) -> None:
    """Write a JSON file atomically (UTF-8, indented)."""
    text = json_bytes(data)
    atomic_write(path, lambda fh: fh.write(text))


def write_parquet(path: str | Path, table) -> None:
    """Write a Parquet file atomically, with a CRC checksum on every data page (verified by :func:`read_table`)."""
    import pyarrow.parquet as pq

    atomic_write(path, lambda fh: pq.write_table(table, fh, write_page_checksum=True))


def read_table(path: str | Path, *, columns=None):
    """Read a Parquet file by path with its page checksums verified (a corrupt page raises ``OSError``)."""
    import pyarrow.parquet as pq

    return pq.read_table(str(path), columns=None if columns is None else list(columns),
                         page_checksum_verification=True)


def sha256(path: str | Path) -> str:
    """Return the SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def umask() -> int:
    """Return this process's umask (read from ``/proc`` where possible, so it is never changed, even briefly)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def make_private_dir(parent: Path, prefix: str) -> Path:
    """Create a new uniquely named folder in ``parent`` with the permissions the umask allows (not 0700)."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    os.chmod(folder, 0o777 & ~umask())
    return folder


# ----------------------------------------------------------------------------------------------------
# Owned folders
# ----------------------------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _read_marker(folder: Path) -> dict[str, Any] | None:
    """Return a folder's ownership marker, or None when it has none or it is not a marker."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        return None
    if not all(isinstance(f, str) for f in data["files"]):
        return None
    return data


def _safe_listed(folder: Path, listed: list[str]) -> set[str]:
    """The marker's entries that name a file inside ``folder`` (never ``..``, an absolute path or a link out)."""
    safe = set()
    for name in listed:
        rel = Path(name)
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            continue
        safe.add(rel.as_posix())
    return safe


def _contents(folder: Path) -> list[str]:
    """Every file (or link, or other non-folder) under ``folder``, as POSIX paths relative to it."""
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        base = Path(root).relative_to(folder)
        for name in files:
            found.append((base / name).as_posix())
        for name in list(dirs):  # a link to a folder is listed, not entered
            if (Path(root) / name).is_symlink():
                found.append((base / name).as_posix())
                dirs.remove(name)
    return sorted(found)


def foreign_files(folder: Path, kind: str) -> list[str] | None:
    """Return the files in ``folder`` that parkabm did not write as a result folder of ``kind``.

    Returns:
        None when the folder has no valid marker of that kind (then none of it is provably parkabm's); else
        the files not listed in the marker (empty when the folder may be replaced).
    """
    marker = _read_marker(folder)
    if marker is None or marker.get("kind") != kind:
        return None
    listed = _safe_listed(folder, marker["files"]) | {MARKER}
    unlisted = [f for f in _contents(folder) if f not in listed]
    killed = killed_writes(unlisted, marker.get("host"))
    return [f for f in unlisted if f not in killed]


def killed_writes(names: list[str], host: Any = None) -> set[str]:
    """Return the files among ``names`` that a killed :func:`atomic_write` of parkabm left.

    Such a file carries the temporary name :func:`atomic_write` gives (``.tmp-<name>-<pid>-<8 hex digits>``) and
    the process that wrote it is no longer running (on ``host``, the folder's, None for this machine: a process
    on another host may still be writing). A kill between creating the file and renaming it into place leaves one.

    Args:
        names: Paths of files, relative to their folder.
        host: The host that wrote the folder (from its marker), None for this machine.
    """
    killed = set()
    for name in names:
        match = _KILLED_WRITE.fullmatch(PurePosixPath(name).name)
        if match is not None and not process_alive(int(match["pid"]), host):
            killed.add(name)
    return killed


def check_writable(out: str | Path) -> None:
    """Refuse, before any work, a folder that cannot be written: on a read-only filesystem, or not writable.

    Checks the folder or its nearest existing parent (nothing is created).

    Raises:
        OSError: ``EROFS`` or ``EACCES``, naming ``out`` (the command line prints it as one line).
    """
    out = Path(out)
    existing = next((p for p in [out, *out.absolute().parents] if p.exists()), None)
    if existing is None or not existing.is_dir():
        return
    read_only = False
    with contextlib.suppress(OSError, AttributeError):  # no statvfs on some platforms
        read_only = bool(os.statvfs(existing).f_flag & os.ST_RDONLY)
    if read_only:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(out))
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(out))


def check_output_folder(out: str | Path, *, kind: str, option: str = "--out") -> None:
    """Refuse an output folder that parkabm may not replace, before any work is done.

    A folder may be replaced when it does not exist, is empty, or carries a marker of ``kind`` listing every file
    in it.

    Args:
        out: The folder a command will write.
        kind: The kind of result folder (``projection``, ``calibration``), as its marker records it.
        option: The option that named it, for the message.

    Raises:
        UserInputError: ``out`` (or a parent) is a file, or it holds files parkabm did not write.
        OSError: ``out`` is on a read-only filesystem or may not be written (see :func:`check_writable`).
    """
    out = Path(out)
    target = Path(os.path.realpath(out))
    for parent in [target, *target.parents]:
        if parent.exists() and not parent.is_dir():
            what = "this is a file" if parent == target else f"{parent} is a file"
            raise UserInputError(f"{option}: {out} — allowed: a folder ({what})")
        if parent.is_dir():
            break
    check_writable(out)
    if not target.is_dir() or not any(target.iterdir()):
        return
    foreign = foreign_files(target, kind)
    if foreign is None:
        marker = _read_marker(target)
        why = (f"it holds a {marker.get('kind')} written by parkabm, not a {kind}" if marker is not None
               else f"it has no {MARKER}, so parkabm did not write it")
        raise UserInputError(f"{option}: {out} — allowed: a new or empty folder, or the folder of an earlier {kind} "
                             f"written by parkabm ({why}; nothing was changed)")
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise UserInputError(f"{option}: {out} — holds files parkabm did not write ({shown}) — allowed: a new or "
                             f"empty folder, or move those files out first (nothing was changed)")


def record_written(folder: str | Path, written) -> None:
    """Add files parkabm wrote into an existing result folder (charts redrawn into it) to the folder's marker.

    A folder without a marker is left without one (parkabm does not own it).

    Args:
        folder: The folder.
        written: Paths of the files written, inside ``folder``.
    """
    folder = Path(folder)
    marker = _read_marker(folder)
    if marker is None:
        return
    names = set(marker["files"])
    for path in written:
        with contextlib.suppress(ValueError):
            names.add(Path(path).resolve().relative_to(folder.resolve()).as_posix())
    write_json(folder / MARKER, {**marker, "files": sorted(names)})


def process_alive(pid: Any, host: Any = None) -> bool:
    """Whether a process that left a marker or lock may still be running (a process on another host always may).

    ``host`` None means this machine.
    """
    if host is not None and host != socket.gethostname():
        return True
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_owned(folder: Path) -> bool:
    """Remove the files a marker lists, the files killed writes left, the marker and the folders left empty.

    A staging folder (``staging: true``) was made empty by parkabm, so everything in it is removed.

    Returns:
        Whether ``folder`` is gone.
    """
    marker = _read_marker(folder)
    if marker is None:
        return False
    if marker.get("staging") and folder.name.startswith(STAGING):
        shutil.rmtree(folder, ignore_errors=True)
        return not folder.exists()
    listed = _safe_listed(folder, marker["files"])
    killed = killed_writes([f for f in _contents(folder) if f not in listed and f != MARKER], marker.get("host"))
    for name in sorted(listed | killed):
        path = folder / name
        if path.is_symlink() or path.is_file():
            path.unlink(missing_ok=True)
    (folder / MARKER).unlink(missing_ok=True)
    for root, _dirs, _files in sorted(os.walk(folder), key=lambda w: -len(w[0])):
        with contextlib.suppress(OSError):
            os.rmdir(root)  # only empty folders go
    return not folder.exists()


def _leftovers(target: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Staging and retired folders of ``target`` whose marker proves parkabm made them.

    Each is named ``<prefix><target name>-<pid>-<random>``; the pid of the run that made it is read from the name
    (a retired folder carries the marker of the result folder it was, which names no process).
    """
    for prefix in (STAGING, RETIRED):
        start = f"{prefix}{target.name}-"
        for path in target.parent.glob(f"{start}*"):
            if not path.is_dir() or path.is_symlink():
                continue
            marker = _read_marker(path)
            pid = path.name[len(start):].split("-")[0]
            if marker is not None and pid.isdigit():
                yield path, {**marker, "pid": int(pid), "host": marker.get("host", socket.gethostname())}


def recover(target: Path, kind: str) -> int:
    """Finish or undo a swap a killed run left half done, and remove that run's leftovers.

    Returns:
        The number of leftover folders removed.
    """
    target = Path(os.path.realpath(target))
    if not target.parent.is_dir():
        return 0
    leftovers = [(p, m) for p, m in _leftovers(target) if m.get("kind") == kind
                 and not process_alive(m.get("pid"), m.get("host"))]
    if not target.exists():
        complete = sorted((p for p, m in leftovers if p.name.startswith(STAGING) and m.get("complete")),
                          key=lambda p: p.stat().st_mtime)
        retired = sorted((p for p, m in leftovers if p.name.startswith(RETIRED)), key=lambda p: p.stat().st_mtime)
        back = complete[-1] if complete else (retired[-1] if retired else None)
        if back is not None:
            _finish(back)
            os.rename(back, target)
            leftovers = [(p, m) for p, m in leftovers if p != back]
    removed = 0
    for path, _marker in leftovers:
        removed += _remove_owned(path)
    return removed


def _finish(folder: Path) -> None:
    """Turn a staging or retired folder's marker into the marker of a result folder."""
    marker = _read_marker(folder) or {}
    for key in ("staging", "complete", "pid", "host", "target"):
        marker.pop(key, None)
    write_json(folder / MARKER, marker)


def _libc_renameat2() -> Callable[[str, str], bool] | None:
    """Return an atomic exchange of two paths (Linux ``renameat2(RENAME_EXCHANGE)``), or None where unavailable."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return None
    at_fdcwd, rename_exchange = -100, 2

    def exchange(a: str, b: str) -> bool:
        if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
            return True
        err = ctypes.get_errno()
        if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):  # a filesystem without the exchange
            return False
        raise OSError(err, os.strerror(err), b)

    return exchange


_EXCHANGE = _libc_renameat2()


def _swap(staging: Path, target: Path) -> Path | None:
    """Put ``staging`` at ``target``; return where the old folder now is (None when there was none)."""
    if not target.exists():
        os.rename(staging, target)
        return None
    if _EXCHANGE is not None and _EXCHANGE(str(staging), str(target)):
        retired = target.parent / (RETIRED + staging.name[len(STAGING):])
        os.rename(staging, retired)  # the old folder, now under the staging name
        return retired
    retired = target.parent / (RETIRED + staging.name[len(STAGING):])
    os.rename(target, retired)
    os.rename(staging, target)  # a kill just before this is undone by recover()
    return retired


@contextlib.contextmanager
def staged_folder(out: str | Path, *, kind: str) -> Iterator[Path]:
    """Yield an empty folder beside ``out`` that replaces ``out`` whole when the block ends without error.

    Call :func:`check_output_folder` first (before the work). The files written in the block are listed in the
    folder's ownership marker. A failing or interrupted block leaves ``out`` as it was; a kill at any moment
    leaves the old folder or the complete new one (see the module docstring). ``out`` may be ``.``, relative, or a
    link to a folder (the folder it points to is replaced; the link stays).

    Args:
        out: The result folder.
        kind: Its kind (``projection``, ``calibration``), recorded in the marker.

    Raises:
        UserInputError: ``out`` changed since it was checked and now holds files parkabm did not write.
    """
    given = Path(out)
    target = Path(os.path.realpath(given))
    target.parent.mkdir(parents=True, exist_ok=True)
    recover(target, kind)
    suffix = f"{target.name}-{os.getpid()}-"
    staging = make_private_dir(target.parent, STAGING + suffix)
    base = {"kind": kind, "written_by": "parkabm", "target": target.name, "pid": os.getpid(),
            "host": socket.gethostname()}
    try:
        write_json(staging / MARKER, {**base, "staging": True, "files": []})
        yield staging
        files = [f for f in _contents(staging) if f != MARKER]
        for name in files:  # the written files reach the disk before the folder is swapped in
            with open(staging / name, "rb") as fh:
                os.fsync(fh.fileno())
        write_json(staging / MARKER, {**base, "complete": True, "created": _now(), "files": files})
        check_output_folder(given, kind=kind)  # nothing foreign appeared while the work ran
        cwd = _cwd_inside(target)
        retired = _swap(staging, target)
        _finish(target)
        fsync_dir(target.parent)
        if cwd is not None:
            os.chdir(target / cwd)  # this process follows its working folder to the new results
        if retired is not None:
            _remove_owned(retired)
    except BaseException:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        raise


def _cwd_inside(target: Path) -> Path | None:
    try:
        return Path(os.getcwd()).relative_to(target)
    except (OSError, ValueError):
        return None


# ----------------------------------------------------------------------------------------------------
# Faults of the environment
# ----------------------------------------------------------------------------------------------------

_ADVICE = {
    errno.EROFS: ("the filesystem is read-only", "a folder on a writable filesystem"),
    errno.EACCES: ("permission denied", "a folder this user may write to (check its permissions)"),
    errno.EPERM: ("operation not permitted", "a folder this user may write to (check its permissions)"),
    errno.ENOSPC: ("no space left on the device", "free some space, or write to another disk"),
    errno.EDQUOT: ("disk quota exceeded", "free some space, or write to another disk"),
    errno.ENOTDIR: ("a part of this path is a file, not a folder", "a path whose every parent is a folder"),
    errno.EISDIR: ("this is a folder, not a file", "a file"),
    errno.ENOTEMPTY: ("the folder changed while parkabm wrote it (another command writing it at the same time?)",
                      "one command at a time per output folder"),
    errno.EEXIST: ("the folder changed while parkabm wrote it (another command writing it at the same time?)",
                   "one command at a time per output folder"),
    errno.ENOENT: ("no such file or folder (removed while parkabm ran?)", "a path that exists while the command runs"),
    errno.ENAMETOOLONG: ("the name is too long", "a shorter path"),
}


def environment_message(exc: OSError) -> str:
    """Return one line saying which path failed, why, and what to do, for an error of the filesystem or the OS.

    Files parkabm writes are written whole or not at all, and result folders are swapped in only when complete,
    so the message can promise that what was there before is still there.
    """
    where = exc.filename if exc.filename is not None else "(no path)"
    if exc.filename2 is not None:
        where = f"{where} → {exc.filename2}"
    what, allowed = _ADVICE.get(exc.errno, (exc.strerror or type(exc).__name__, "check the path and try again"))
    return (f"{where}: {what} — allowed: {allowed}; files and folders written before were left as they were "
            f"(errno {errno.errorcode.get(exc.errno, exc.errno)})")
