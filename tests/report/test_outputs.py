"""mapper.report.outputs: all-or-none writes, and an output directory holding one run's outputs."""
from __future__ import annotations

import os

import pytest

from mapper.report.outputs import MANIFEST, read_manifest, write_files, write_run_outputs


def test_a_run_removes_only_the_unchanged_outputs_of_the_last_run(tmp_path):
    out = tmp_path / "out"
    first = write_run_outputs(out, {"a.txt": "a\n", "mappings/x.yaml": "x\n",
                                    "mappings/y.yaml": "y\n"})
    assert first.written == [out / "a.txt", out / "mappings/x.yaml", out / "mappings/y.yaml"]
    assert first.removed == [] and first.kept == []
    assert set(read_manifest(out)) == {"a.txt", "mappings/x.yaml", "mappings/y.yaml"}
    (out / "user.txt").write_text("not ours\n")
    second = write_run_outputs(out, {"a.txt": "A\n", "mappings/y.yaml": "Y\n"})
    assert second.removed == [out / "mappings/x.yaml"]
    assert (out / "a.txt").read_text() == "A\n" and (out / "user.txt").exists()
    third = write_run_outputs(out, {"b.txt": "b\n"})
    assert sorted(third.removed) == [out / "a.txt", out / "mappings/y.yaml"]
    assert not (out / "mappings").exists()          # emptied by the removal
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "b.txt", "user.txt"]


def test_a_manifest_never_reaches_outside_the_directory(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "precious.txt"
    outside.write_text("p\n")
    import hashlib
    digest = hashlib.sha256(b"p\n").hexdigest()
    (out / MANIFEST).write_text(f"{digest}  ../precious.txt\n{digest}  {outside}\n"
                                f"garbage line\n{digest}  {MANIFEST}\n")
    assert read_manifest(out) == {}
    write_run_outputs(out, {"a.txt": "a\n"})
    assert outside.read_text() == "p\n"


def test_a_symlink_in_place_of_an_output_is_left(tmp_path):
    out = tmp_path / "out"
    write_run_outputs(out, {"a.txt": "a\n"})
    target = tmp_path / "target.txt"
    target.write_text("a\n")
    os.unlink(out / "a.txt")
    os.symlink(target, out / "a.txt")
    done = write_run_outputs(out, {"b.txt": "b\n"})
    assert done.removed == [] and done.kept == [(out / "a.txt", "no longer a regular file")]
    assert target.exists() and (out / "a.txt").is_symlink()


def test_write_files_is_all_or_none(tmp_path, monkeypatch):
    write_files(tmp_path, {"keep.txt": "old\n"})

    class Boom(Exception):
        pass

    real = os.fdopen
    calls = []

    def failing(fd, mode):
        calls.append(fd)
        if len(calls) == 2:
            os.close(fd)
            raise Boom()
        return real(fd, mode)
    monkeypatch.setattr(os, "fdopen", failing)
    with pytest.raises(Boom):
        write_files(tmp_path, {"keep.txt": "new\n", "other.txt": "x\n"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
    assert (tmp_path / "keep.txt").read_text() == "old\n"
