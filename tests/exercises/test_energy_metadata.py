"""benchmarks/energy_vs_accelergy.py prices Sparseloop's metadata stores (issue 12): the
design's compound classes are read from timeloopfe's processed input, and every action a
compound class defines (its metadata actions too) is estimated unasked, as Accelergy's ERT
lists them."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from benchmarks.energy_vs_accelergy import (Case, compound_classes, components, estimate,
                                            reference_of)
from energy import Component
from energy.ert import read_ert
from mapper.cli import main
from mapper.inputs.energy_tables import compound_registry
from tests.exercises import DESIGNS, needs_exercises

CONV1D = DESIGNS / "sparseloop" / "03.2.1-conv1d" / "ref_outputs" / "default_problem"


def design(folder: Path):
    processed = yaml.safe_load((folder / "parsed-processed-input.yaml").read_text())
    registry, _ = compound_registry(compound_classes(processed, "test"), entry_points=False)
    comps = {c.name: c for c in components(processed["architecture"], "test")}
    return processed, registry, comps


@needs_exercises
def test_the_metadata_read_is_the_metadata_store_read():
    _, registry, comps = design(CONV1D)
    ert = read_ert(yaml.safe_load((CONV1D / "timeloop-mapper.ERT.yaml").read_text()), "ERT")
    case = Case("conv1d", {}, ert.energy_pJ, {}, "ERT")
    ref = reference_of(case, "BackingStorage")
    # the reference ERT's figures, as the file gives them
    assert ref["metadata_read"] == 0.373885 and ref["metadata_write"] == 0.726887
    ours, estimator, error = estimate(comps["BackingStorage"], registry)
    assert not error and estimator == "compound components"
    # smartbuffer_metadata's metadata_read is metadata_storage.read alone, and that store is
    # a smartbuffer_SRAM of metadata_storage_width x metadata_storage_depth (4 b x 128) at the
    # design's node: priced alone through the same registry it gives the same number
    store = Component("metadata_storage", "smartbuffer_SRAM",
                      {"width": 4, "depth": 128, "technology": "45nm", "n_rdwr_ports": 1,
                       "global_cycle_seconds": 1e-9},
                      actions=("read", "write"))
    alone, _, err = estimate(store, registry)
    assert not err
    assert ours["metadata_read"] == pytest.approx(alone["read"], rel=1e-12)
    assert ours["metadata_write"] == pytest.approx(alone["write"], rel=1e-12)
    # and the data actions stay those of the data SRAM (512 x 32 b): more than the metadata's
    assert ours["read"] > 4 * ours["metadata_read"]


@needs_exercises
def test_every_action_of_the_class_as_the_reference_ert_lists_them():
    _, registry, comps = design(CONV1D)
    ert = read_ert(yaml.safe_load((CONV1D / "timeloop-mapper.ERT.yaml").read_text()), "ERT")
    for name in ("BackingStorage", "Buffer"):
        ours, _, error = estimate(comps[name], registry)
        assert not error
        # Accelergy's ERT lists every action of the compound class (smartbuffer_metadata,
        # regfile_metadata): ours lists the same ones, and the area
        assert set(ours) == {*ert.actions(name), "area"}, name


@needs_exercises
def test_a_design_without_metadata_lists_no_metadata_action():
    _, registry, comps = design(DESIGNS / "eyeriss_like" / "ref_outputs" / "default_problem")
    ours, _, error = estimate(comps["shared_glb"], registry)
    assert not error and not any(a.startswith("metadata") for a in ours)


@needs_exercises
def test_mapper_energy_on_a_sparse_design_lists_its_metadata_actions(tmp_path, capsys):
    """`mapper energy` on Sparseloop's conv1d design as users run it (the exercises' top
    file): the written ERT lists, for both metadata stores, the actions the reference ERT
    lists (metadata_read, metadata_write, metadata_update, the counters'), and the printed
    table names the compound class each came from."""
    out = tmp_path / "ert.yaml"
    assert main(["energy", str(DESIGNS / "top.yaml.jinja2"), "--set",
                 "architecture=sparseloop/03.2.1-conv1d", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    ours = read_ert(yaml.safe_load(out.read_text()), str(out))
    ref = read_ert(yaml.safe_load((CONV1D / "timeloop-mapper.ERT.yaml").read_text()), "ERT")
    for name, cls in (("BackingStorage", "smartbuffer_metadata"),
                      ("Buffer", "regfile_metadata")):
        assert set(ours.actions(name)) == set(ref.actions(name)), name
        line = next(x for x in printed.splitlines() if x.split()[:2] == [name, "metadata_read"])
        assert f"compound class {cls}" in line and "metadata_storage.read" in line
