"""The inputs of a whole-network run: finding the network, splitting ``--set`` values between
the network and the arch, mapping file names, and partial networks (the clock is
:func:`mapper.report.metrics.clock_of`)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

from ..inputs.templates import Overrides
from ..spec.errors import SpecError
from .library import DistinctLayer, Network


def network_parameters(path: Path) -> list[str]:
    """The parameter names a network file declares (``batch`` always), read leniently: the
    network reader reports a malformed file properly."""
    from ..spec.loader import load_yaml
    data = load_yaml(path)
    net = data.get("network") if isinstance(data, dict) else None
    params = net.get("parameters") if isinstance(net, dict) else None
    return ["batch"] + [str(k) for k in (params or {}) if k != "batch"]


def split_overrides(overrides: Overrides, net_params: Sequence[str]) -> tuple[Overrides, Overrides]:
    """``--set`` values for the network (batch, seq ...) and for the architecture (the rest)."""
    net = overrides.only(net_params)
    return net, overrides.only(k for k in overrides.values if k not in net_params)


def mapping_file_names(layers: Sequence[DistinctLayer]) -> list[str]:
    """File-system-safe, unique names for the layers' mapping files."""
    out, seen = [], set()
    for d in layers:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", d.name).strip("._") or "layer"
        name, i = base, 2
        while name.lower() in seen:
            name, i = f"{base}_{i}", i + 1
        seen.add(name.lower())
        out.append(name)
    return out


def subset(network: Network, only: int | Sequence[str]) -> Network:
    """The network restricted to its first ``only`` distinct layers, or to the named layers
    (for quick tests and partial runs; totals then cover those layers only)."""
    if isinstance(only, int):
        keep = {entry.name for d in network.distinct()[:only] for entry in d.layers}
    else:
        keep = set(only)
        for name in keep:
            if name not in network.graph:
                raise SpecError(f"no layer {name!r} in network {network.name}", network.file)
    layers = tuple(entry for entry in network.layers if entry.name in keep)
    graph = network.graph.subgraph([entry.name for entry in layers]).copy()
    return Network(network.name, layers, graph, network.parameters, network.batch,
                   network.file, network.source)
