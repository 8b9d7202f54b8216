"""Writing the commands' output files: all or none, with the permissions a plain ``open``
would give them.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


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


def write_files(directory: Path, files: dict[str, str]) -> list[Path]:
    """Write all files or none: each goes to a temporary file first, then is renamed over its
    name. Names may hold a subdirectory (``mappings/conv1.yaml``). The files get mode
    ``0o666 & ~umask``, as ``open(name, "w")`` would give them (a temporary file alone would be
    0600). Returns the paths written."""
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
            with os.fdopen(fd, "w") as f:
                os.fchmod(f.fileno(), mode)
                f.write(text)
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
