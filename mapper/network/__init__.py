"""Whole networks: the workload library (network files and layer libraries, :mod:`.library`),
whole-network runs (:mod:`.run`, with the per-layer cache :mod:`.cache` and what a run
reports, :mod:`.report`), and ONNX import (:mod:`.onnx_import`, with the layer kinds of
:mod:`.layer_shapes`).

The library's names are exported here (``from mapper.network import load_network``); a run is
:func:`mapper.network.run.run_network` (``mapper.run_network``).
"""
from .library import DistinctLayer, Layer, Network, load_network, network_path, read_network

__all__ = ["DistinctLayer", "Layer", "Network", "load_network", "network_path",
           "read_network"]
