"""Writing the commands' output files: all or none, with the permissions a plain ``open``
would give them, and one run's outputs per output directory.

An output directory (``-o OUTDIR`` of ``mapper model``, ``search`` and ``network``) holds the
outputs of the last run written there. Each run writes :data:`MANIFEST` beside its outputs:
the files it wrote, each with its SHA-256. The next run into the directory removes the files
of that list it does not write itself, if they are unchanged since (same SHA-256); a file
changed since is left in place and reported. Files no run of ours listed are never touched.
"""
from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

#: the list of what the last run wrote into an output directory
MANIFEST = ".mapper-outputs"
_HEADER = ("# Written by mapper: the files its last run wrote into this directory (SHA-256, "
           "path).\n# The next run here removes those it does not write again, unless they "
           "changed since.\n")


def umask() -> int:
    """The process's umask (read without changing it where the system tells it)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_files(directory: Path, files: dict[str, str | bytes]) -> list[Path]:
    """Write all files or none: each goes to a temporary file first, then is renamed over its
    name. Names may hold a subdirectory (``mappings/conv1.yaml``). Text is written as
    UTF-8, bytes (a figure) as they are; the files get mode ``0o666 & ~umask``, as ``open(name, "w")`` would give them (a
    temporary file alone would be 0600). Returns the paths written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    mode = 0o666 & ~umask()
    staged: list[tuple[str, Path]] = []
    try:
        for name, text in files.items():
            final = directory / name
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", dir=final.parent)
            staged.append((tmp, final))
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), mode)
                f.write(_bytes(text))
    except BaseException:
        for tmp, _ in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise
    for tmp, final in staged:
        os.replace(tmp, final)
    return [final for _, final in staged]


def _bytes(content: str | bytes) -> bytes:
    return content if isinstance(content, bytes) else content.encode("utf-8")


@dataclass
class RunOutputs:
    """What a run did to its output directory."""

    written: list[Path] = field(default_factory=list)
    #: an earlier run's outputs that this run does not write, removed (unchanged since)
    removed: list[Path] = field(default_factory=list)
    #: an earlier run's outputs that this run does not write, left in place, with the reason
    kept: list[tuple[Path, str]] = field(default_factory=list)


def write_run_outputs(outdir: Path, files: dict[str, str | bytes]) -> RunOutputs:
    """Write one run's outputs into ``outdir`` (all or none, see :func:`write_files`) with the
    manifest, then remove the outputs of the previous run that this one does not write."""
    outdir = Path(outdir)
    earlier = read_manifest(outdir)
    digests = {_name(n): hashlib.sha256(_bytes(text)).hexdigest()
               for n, text in files.items()}
    manifest = _HEADER + "".join(f"{digests[n]}  {n}\n" for n in sorted(digests))
    written = write_files(outdir, {**files, MANIFEST: manifest})[:-1]
    result = RunOutputs(written)
    for name, digest in earlier.items():
        if name in digests:
            continue
        path = outdir / name
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        except OSError as e:
            result.kept.append((path, f"cannot be read ({e.strerror})"))
            continue
        if not stat.S_ISREG(info.st_mode):
            result.kept.append((path, "no longer a regular file"))
        elif _digest(path) != digest:
            result.kept.append((path, "changed since that run wrote it"))
        else:
            try:
                path.unlink()
            except OSError as e:
                result.kept.append((path, f"cannot be removed ({e.strerror})"))
                continue
            result.removed.append(path)
            _remove_empty_parents(path.parent, outdir)
    return result


def read_manifest(outdir: Path) -> dict[str, str]:
    """{relative path: SHA-256} of the last run's outputs; lines that are not a digest and a
    plain relative path inside the directory are skipped (nothing outside it is touched)."""
    try:
        text = (Path(outdir) / MANIFEST).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            continue
        try:
            out[_name(name)] = digest
        except ValueError:
            continue
    return out


def _name(name: str) -> str:
    """A relative path below the output directory, in POSIX form; else ValueError."""
    p = PurePosixPath(name)
    if (not name or "\\" in name or p.is_absolute() or any(part in ("..", ".") for part in
                                                             p.parts) or str(p) == MANIFEST):
        raise ValueError(f"not a path inside the output directory: {name!r}")
    return str(p)


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _remove_empty_parents(directory: Path, outdir: Path) -> None:
    """Remove ``directory`` and its parents below ``outdir`` while they are empty."""
    top = outdir.resolve()
    while directory.resolve() != top and top in directory.resolve().parents:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent
