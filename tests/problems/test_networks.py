"""The bundled networks against their published sizes, and the network loader.

MAC totals (multiply-accumulates of one inference, batch 1; convolution and fully connected
layers; element-wise operations are not counted) against the figures their sources publish,
within 1%:
- AlexNet 724M: Sze, Chen, Yang, Emer, "Efficient Processing of Deep Neural Networks: A
  Tutorial and Survey", Proc. IEEE 2017, Table 3 (the grouped two-tower AlexNet, 227x227).
- VGG-16 15.5G: same table; torchvision's model zoo lists 15.47 GFLOPS (multiply-adds).
- ResNet-18 1.8G: He et al., CVPR 2016, Table 1 (1.8 x 10^9 FLOPs, i.e. multiply-adds);
  torchvision 1.81.
- ResNet-50 4.09G: torchvision's resnet50 (v1.5, stride on the 3x3 conv); the paper's v1
  (stride on the first 1x1) has 3.8-3.9G (He et al. Table 1; Sze et al. Table 3).
- MobileNetV2 300M: Sandler et al., CVPR 2018, Table 4 (width 1.0, 224x224).
- BERT-base: exactly 12 (12 d^2 s + 2 d s^2) for d = 768 and sequence length s: four d x d
  projections and two d x 4d FFN GEMMs per token, and the two attention matmuls (Kaplan et
  al., "Scaling Laws for Neural Language Models", 2020, Table 1: C_forward = 2N + 2 n_layer
  n_ctx d_attn FLOPs per token with N = 12 n_layer d^2).
Weight counts (the Weights tensors; no biases or normalisation) against the published
parameter counts within 2%: AlexNet 61M, VGG-16 138M (Sze et al. Table 3), ResNet-18 11.7M,
ResNet-50 25.6M, MobileNetV2 3.5M (torchvision; Sandler et al. Table 4 rounds it to 3.4M).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import networkx as nx
import pytest

from mapper.network import load_network

ROOT = Path(__file__).resolve().parents[2] / "problems"
PUBLISHED_MACS = {"alexnet": 724e6, "vgg16": 15.5e9, "resnet18": 1.8e9, "resnet50": 4.09e9,
                  "mobilenet_v2": 300e6}
PUBLISHED_WEIGHTS = {"alexnet": 61e6, "vgg16": 138e6, "resnet18": 11.7e6, "resnet50": 25.6e6,
                     "mobilenet_v2": 3.5e6}
NETWORKS = sorted(p.stem for p in (ROOT / "networks").glob("*.yaml"))


def net(name, overrides=None):
    return load_network(ROOT / "networks" / f"{name}.yaml", overrides)


def test_bundled_networks():
    assert set(NETWORKS) >= {*PUBLISHED_MACS, "bert_base"}


@pytest.mark.parametrize("name", sorted(PUBLISHED_MACS))
def test_mac_totals_match_the_published_figures(name):
    assert net(name).macs == pytest.approx(PUBLISHED_MACS[name], rel=0.01)


@pytest.mark.parametrize("name", sorted(PUBLISHED_WEIGHTS))
def test_weight_counts_match_the_published_parameter_counts(name):
    n = net(name)
    weights = sum(layer.repeat * layer.workload.tensor_size(layer.workload.data_space("Weights"))
                  for layer in n.layers)
    assert weights == pytest.approx(PUBLISHED_WEIGHTS[name], rel=0.02)


@pytest.mark.parametrize("seq", [128, 384, 512])
def test_bert_base_macs_follow_the_standard_formula(seq):
    d, layers = 768, 12
    n = net("bert_base", {"seq": seq})
    assert n.macs == layers * (12 * d * d * seq + 2 * d * seq * seq)
    assert net("bert_base").macs == pytest.approx(11.17e9, rel=1e-3)


def test_layer_counts_and_shapes_of_the_published_architectures():
    count = {name: sum(layer.repeat for layer in net(name).layers) for name in NETWORKS}
    assert count == {"alexnet": 8, "vgg16": 16, "resnet18": 21, "resnet50": 54,
                     "mobilenet_v2": 53, "bert_base": 96}
    r50 = net("resnet50")
    b = r50.layer("layer3.0.conv2").workload
    assert (b.bounds["C"], b.bounds["M"], b.bounds["P"], b.coefficients["Hstride"]) == \
        (256, 256, 14, 2)                                   # v1.5: the stride is on the 3x3
    dw = net("mobilenet_v2").layer("block1.depthwise").workload
    assert (dw.bounds["G"], dw.bounds["C"], dw.bounds["M"], dw.bounds["P"]) == (96, 1, 1, 56)
    qk = net("bert_base", {"seq": 64}).layer("layer3.scores").workload
    assert (qk.bounds["G"], qk.bounds["P"], qk.bounds["C"], qk.bounds["M"]) == (12, 64, 64, 64)


@pytest.mark.parametrize("name", NETWORKS)
def test_graph_is_a_dag_in_file_order(name):
    n = net(name)
    assert list(n.graph.nodes) == [layer.name for layer in n.layers]
    assert nx.is_directed_acyclic_graph(n.graph)
    position = {layer.name: i for i, layer in enumerate(n.layers)}
    assert all(position[a] < position[b] for a, b in n.graph.edges)
    assert [layer.name for layer in n.layers if not layer.inputs] == [n.layers[0].name] or \
        name == "bert_base"
    assert n.layer(n.layers[-1].name) is n.layers[-1]


def test_residual_and_attention_edges():
    r18 = net("resnet18")
    assert set(r18.graph.predecessors("layer2.0.downsample")) == \
        set(r18.graph.predecessors("layer2.0.conv1"))
    assert set(r18.graph.predecessors("layer2.1.conv1..conv2")) == \
        {"layer2.0.conv2", "layer2.0.downsample"}
    bert = net("bert_base")
    assert set(bert.graph.predecessors("layer5.scores")) == {"layer5.q_proj", "layer5.k_proj"}
    assert set(bert.graph.predecessors("layer5.context")) == {"layer5.scores", "layer5.v_proj"}
    assert set(bert.graph.successors("layer4.ffn2")) == {"layer5.q_proj", "layer5.k_proj",
                                                        "layer5.v_proj", "layer5.ffn1"}


def test_identical_layers_are_searched_once_and_counted():
    bert = net("bert_base")
    distinct = bert.distinct()
    assert [(d.name, d.count) for d in distinct] == [
        ("layer0.q_proj", 48), ("layer0.scores", 12), ("layer0.context", 12),
        ("layer0.ffn1", 12), ("layer0.ffn2", 12)]
    assert sum(d.macs for d in distinct) == bert.macs
    vgg = net("vgg16")
    conv5 = vgg.layer("conv5_1..3")
    assert conv5.repeat == 3 and conv5.macs == 3 * conv5.workload.macs
    assert sum(d.count for d in vgg.distinct()) == 16 and len(vgg.distinct()) == 12


@pytest.mark.parametrize("name", NETWORKS)
def test_batch_multiplies_every_layer(name):
    one, four = net(name), net(name, {"batch": 4})
    assert four.batch == 4 and four.macs == 4 * one.macs
    assert all(b.workload.bounds["N"] == 4 * a.workload.bounds["N"]
               for a, b in zip(one.layers, four.layers))


def test_files_are_what_the_generator_writes():
    spec = importlib.util.spec_from_file_location("generate", ROOT / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    assert generate.main(check=True) == []
