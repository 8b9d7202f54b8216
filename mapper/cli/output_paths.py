"""What ``-o`` names, checked before a run starts (a search may take minutes; a bad output
path should not wait for its end): an output directory, or the one file to write."""
from __future__ import annotations

from pathlib import Path

from ..spec.errors import SpecError


def _blocking_file(path: Path) -> Path | None:
    """The first existing non-directory on the way to ``path`` (itself included)."""
    for p in (*reversed(path.parents), path):
        if p.exists() and not p.is_dir():
            return p
    return None


def check_output_dir(path: str | Path, option: str = "-o") -> None:
    """``path`` can be an output directory: it is one, or can be made one."""
    path = Path(path)
    blocker = _blocking_file(path)
    if blocker == path:
        raise SpecError(f"{option} {path}: a file is there; {option} names an output "
                        f"directory (a new one, or one an earlier run wrote)")
    if blocker is not None:
        raise SpecError(f"{option} {path}: {blocker} is a file, so no directory can be made "
                        f"there; give another output directory")


def check_output_file(path: str | Path, option: str = "-o", example: str = "ERT.yaml") -> None:
    """``path`` can be the one file written: not a directory, its directory can be made."""
    path = Path(path)
    if path.is_dir():
        raise SpecError(f"{option} {path}: a directory; {option} names the file to write, e.g. "
                        f"{path / example}")
    blocker = _blocking_file(path.parent)
    if blocker is not None:
        raise SpecError(f"{option} {path}: {blocker} is a file, so {path.name} cannot be "
                        f"written under it")
