"""Output folders written whole or not at all.

:func:`write_whole` lets a ``fill(folder)`` function write into a temporary sibling of
the output folder, then swaps the two with one rename, so that a reader (or a run killed
at any moment) sees either the old folder intact or the new one complete, never a mix.

- **Swap**: on Linux ``renameat2(RENAME_EXCHANGE)`` exchanges the two folders atomically;
  elsewhere the old folder is renamed away and the new one renamed in (a crash between the
  two renames is repaired by the next run: the complete new folder is put in place).
- **Kept entries**: files of the old folder that this run does not write (the outputs of
  another command written to the same ``--out``) are carried over by hard link (copied
  where links are not possible), so the swap never drops them.
- **Lock**: one writer per output folder at a time (``fcntl.flock`` on a lock file beside
  it); a second run waits for the first, up to ``lock_timeout`` seconds, then fails with
  an :class:`OutputError` naming the process that holds the lock.
- **Stale folders**: temporary folders left by killed runs (``.NAME.symbiosis-*``) are
  removed by the next run that holds the lock.
- **Faults**: a read-only folder, a full disk or a missing permission raise one
  :class:`OutputError` line naming the folder and what to do; :func:`check_writable` says
  so before a long solve starts.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
import time
from pathlib import Path

from symbiosis.errors import SymbiosisError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

TAG = ".symbiosis-"  # temporary sibling folders: .NAME.symbiosis-new-PID-N, -old-, -ready-
_REASONS = {
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EIO: "input/output error",
}
_counter = 0


class OutputError(SymbiosisError):
    """An output folder that cannot be written (read-only, full, locked, not a folder)."""


def _reason(exc: OSError) -> str:
    return _REASONS.get(exc.errno, exc.strerror or str(exc))  # type: ignore[arg-type]


def _target(out_dir) -> Path:
    """The folder a write replaces: symbolic links resolved (the link is kept, its target
    swapped), never the current folder or one of its parents."""
    out = Path(os.path.abspath(os.fspath(out_dir)))
    real = Path(os.path.realpath(out))
    cwd = Path(os.path.realpath(os.getcwd()))
    if real == real.parent or cwd == real or cwd.is_relative_to(real):
        raise OutputError(f"cannot write results to {out_dir}/: it is the current folder or one of its "
                          "parents, and an output folder is replaced whole; give --out a folder of its own "
                          "such as out/")
    if real.exists() and not real.is_dir():
        raise OutputError(f"cannot write results to {out_dir}: it is a file, not a folder; give --out a folder")
    return real


def _siblings(target: Path, kind: str | None = None) -> list[Path]:
    pre = f".{target.name}{TAG}{kind or ''}"
    try:
        return sorted(p for p in target.parent.iterdir() if p.name.startswith(pre))
    except OSError:
        return []


def _fsync_tree(folder: Path) -> None:
    for dirpath, _, files in os.walk(folder):
        for n in files:
            fd = os.open(os.path.join(dirpath, n), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- lock
class _Lock:
    """``flock`` on ``.NAME.symbiosis-lock`` beside the output folder; the file is
    removed on release (an acquirer checks it locked the file still at that path)."""

    def __init__(self, target: Path, timeout: float, shown):
        self.path = target.parent / f".{target.name}{TAG}lock"
        self.shown = shown
        self.timeout = timeout
        self.fd = None

    def __enter__(self):
        if fcntl is None:  # pragma: no cover
            return self
        t_end = time.monotonic() + self.timeout
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                if time.monotonic() > t_end:
                    raise OutputError(f"another run ({self._holder()}) is writing to {self.shown}/ "
                                      f"and did not finish within {self.timeout:g} s; wait for it or choose "
                                      "another --out") from None
                time.sleep(0.05)
                continue
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:  # released and removed by its holder meanwhile: lock the new file
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self.fd = fd
            return self

    def _holder(self) -> str:
        try:
            pid = self.path.read_text().strip()
            return f"process {pid}" if pid else "another process"
        except OSError:
            return "another process"

    def __exit__(self, *exc):
        if self.fd is not None:
            try:
                os.unlink(self.path)
            except OSError:
                pass
            os.close(self.fd)
            self.fd = None


# --------------------------------------------------------------------------- swap
def _libc():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


_LIBC = _libc()
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False when the system cannot."""
    fn = getattr(_LIBC, "renameat2", None) if _LIBC is not None else None
    if fn is None:
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    e = ctypes.get_errno()
    if e in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(e, os.strerror(e), str(b))


def _recover(target: Path) -> None:
    """Repair what a run killed between two renames left (no RENAME_EXCHANGE), then
    remove every stale temporary sibling. Called with the lock held."""
    if not target.exists():
        ready = _siblings(target, "ready-")
        old = _siblings(target, "old-")
        if ready:
            os.rename(ready[-1], target)
        elif old:
            os.rename(old[-1], target)
    for p in _siblings(target):
        if p.name.endswith(f"{TAG}lock"):
            continue
        if f"{TAG}probe-" in p.name and _age(p) < 60:
            continue  # check_writable of a run that has not started writing
        shutil.rmtree(p, ignore_errors=True)


def _age(p: Path) -> float:
    try:
        return time.time() - p.stat().st_mtime
    except OSError:
        return 1e9


def _carry_over(old: Path, new: Path) -> None:
    """Hard-link (else copy) into ``new`` every entry of ``old`` that ``new`` lacks."""
    for entry in os.scandir(old):
        dest = new / entry.name
        if dest.exists() or dest.is_symlink():
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.copytree(entry.path, dest, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry.path, dest)


def _link_or_copy(src, dst):
    if os.path.islink(src):
        os.symlink(os.readlink(src), dst)
        return dst
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst


def write_whole(out_dir, fill, *, lock_timeout: float = 600.0) -> list[Path]:
    """Let ``fill(folder)`` write into a temporary sibling of ``out_dir``, then swap it in
    whole (see the module docstring). Returns the paths of the entries ``fill`` wrote, as
    they are inside ``out_dir`` after the swap.

    Raises :class:`OutputError` when the folder cannot be written (one line: folder,
    reason, what to do); any error inside ``fill`` leaves ``out_dir`` as it was.
    """
    global _counter
    out = Path(out_dir)
    target = _target(out)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {target.parent}/ for the results: {_reason(exc)}") from None
    try:
        lock = _Lock(target, lock_timeout, out).__enter__()
    except OSError as exc:
        raise _output_error(out, exc) from None
    try:
        try:
            _recover(target)
            _counter += 1
            tmp = target.parent / f".{target.name}{TAG}new-{os.getpid()}-{_counter}"
            tmp.mkdir()
        except OSError as exc:
            raise _output_error(out, exc) from None
        try:
            try:
                fill(tmp)
                names = sorted(p.name for p in tmp.iterdir())
                if target.is_dir():
                    _carry_over(target, tmp)
                _fsync_tree(tmp)
                ready = tmp.with_name(tmp.name.replace(f"{TAG}new-", f"{TAG}ready-"))
                os.rename(tmp, ready)
                tmp = ready
                _swap(target, tmp)
                _fsync_dir(target.parent)
            except OSError as exc:
                if exc.errno in _REASONS:
                    raise _output_error(out, exc) from None
                raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        lock.__exit__()
    return [out / n for n in names]


def _swap(target: Path, ready: Path) -> None:
    if not target.exists():
        os.rename(ready, target)
        return
    if _exchange(ready, target):
        return  # ready now holds the old folder; the caller removes it
    old = ready.with_name(ready.name.replace(f"{TAG}ready-", f"{TAG}old-"))
    os.rename(target, old)
    os.rename(ready, target)
    os.rename(old, ready)


def _output_error(out: Path, exc: OSError) -> OutputError:
    fix = {errno.ENOSPC: "free some space or choose another --out",
           errno.EDQUOT: "free some space or choose another --out",
           errno.EROFS: "choose --out on a writable disk"}.get(exc.errno, "choose another --out or fix the "  # type: ignore[arg-type]
                                                                   "folder's permissions")
    return OutputError(f"cannot write results to {out}/: {_reason(exc)}; nothing was changed there; {fix}")


def check_writable(out_dir, *, need_bytes: int = 1_000_000) -> None:
    """Raise :class:`OutputError` now if ``out_dir`` could not be written later: it is a
    file or the current folder, a temporary folder cannot be made beside it, or the disk
    has less than ``need_bytes`` free. Creates nothing that stays (parents made for the
    probe are removed again)."""
    out = Path(out_dir)
    target = _target(out)
    made = []
    p = target.parent
    while not p.exists():
        made.append(p)
        p = p.parent
    try:
        for d in reversed(made):
            d.mkdir()
        probe = target.parent / f".{target.name}{TAG}probe-{os.getpid()}"
        probe.mkdir()
        try:
            with open(probe / "probe", "wb") as f:
                f.write(b"x")
                f.flush()
                os.fsync(f.fileno())
        finally:
            shutil.rmtree(probe, ignore_errors=True)
        if target.is_dir() and not os.access(target, os.W_OK | os.X_OK):
            raise OSError(errno.EACCES, "permission denied", str(target))
        free = shutil.disk_usage(target.parent).free
        if free < need_bytes:
            raise OSError(errno.ENOSPC, "no space left", str(target))
    except OSError as exc:
        raise _output_error(out, exc) from None
    finally:
        for d in made:
            try:
                d.rmdir()
            except OSError:
                pass
