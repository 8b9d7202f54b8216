"""Every distinct layer of every bundled network is a valid problem for every template: the
templates' constraints name only dimensions the layers have, and a mapping exists."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from mapper.inputs.energy_tables import estimate_arch_tables
from mapper.model import Model
from mapper.network import load_network
from mapper.spec.constraints import check_mapping
from mapper.spec.timeloop_constraints import build_constraints
from mapper.inputs.templates import load_template, template_names

from ..templates.helpers import outermost_mapping

NETWORKS = Path(__file__).resolve().parents[2] / "problems" / "networks"


@lru_cache(maxsize=None)
def template(name):
    arch = load_template(name)
    return arch, estimate_arch_tables(arch)[0]


@pytest.mark.parametrize("network", sorted(p.stem for p in NETWORKS.glob("*.yaml")))
@pytest.mark.parametrize("name", template_names())
def test_every_distinct_layer_maps_on_every_template(name, network):
    arch, tables = template(name)
    net = load_network(NETWORKS / f"{network}.yaml", {"seq": 32} if network == "bert_base"
                       else None)
    for d in net.distinct():
        mapping = outermost_mapping(arch, d.workload)
        constraints = build_constraints([], arch, d.workload)
        assert check_mapping(mapping, arch, d.workload, constraints) == [], d.name
        ev = Model(arch, d.workload, tables).evaluate_mapping(mapping)
        assert ev.valid and ev.computes == d.workload.macs, d.name
