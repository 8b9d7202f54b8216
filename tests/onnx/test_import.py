"""ONNX import: Conv (groups, strides, dilations, pads), Gemm, MatMul (weights and batched),
skipped operators reported by name and count, edges through them, dynamic shapes refused."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mapper.cli import main
from mapper.network import load_network
from mapper.spec.errors import SpecError

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from mapper.network.onnx_import import import_onnx  # noqa: E402


def weight(name, *shape):
    return numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name)


def save(tmp_path, nodes, inputs, outputs, inits, name="m.onnx"):
    graph = helper.make_graph(nodes, "g", inputs, outputs, inits)
    model = helper.make_model(graph, producer_name="test", opset_imports=[
        helper.make_opsetid("", 17)])
    path = tmp_path / name
    onnx.save(model, str(path))
    return path


def cnn(tmp_path, batch=1):
    """conv(3->16, 3x3/2 pad 1) > relu > depthwise(16, 3x3, dilation 2, pad 2) > 1x1 (16->16)
    > add(residual from the relu) > global pool > flatten > gemm(16->10)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 3, 32, 32])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 10])
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="stem", strides=[2, 2],
                         pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], name="dw", group=16, dilations=[2, 2],
                         pads=[2, 2, 2, 2]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("Conv", ["r2", "w3", "b3"], ["c3"], name="pw"),
        helper.make_node("Add", ["c3", "r1"], ["a"]),
        helper.make_node("GlobalAveragePool", ["a"], ["gp"]),
        helper.make_node("Flatten", ["gp"], ["f"]),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["y"], name="fc", transB=1),
    ]
    inits = [weight("w1", 16, 3, 3, 3), weight("w2", 16, 1, 3, 3), weight("w3", 16, 16, 1, 1),
             weight("b3", 16), weight("wf", 10, 16), weight("bf", 10)]
    return save(tmp_path, nodes, [x], [y], inits)


def attention(tmp_path, batch=1):
    """x[b, 8, 32] @ wq -> q; x @ wk -> k; reshape/transpose to heads; q @ k^T; softmax; @ v."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 8, 32])
    out = helper.make_tensor_value_info("o", TensorProto.FLOAT, [batch, 4, 8, 8])
    shape = numpy_helper.from_array(np.array([batch, 8, 4, 8], dtype=np.int64), "shape")
    nodes = []
    for t in "qkv":
        nodes += [helper.make_node("MatMul", ["x", f"w{t}"], [f"{t}0"], name=f"{t}_proj"),
                  helper.make_node("Reshape", [f"{t}0", "shape"], [f"{t}1"]),
                  helper.make_node("Transpose", [f"{t}1"], [f"{t}2"],
                                   perm=[0, 2, 3, 1] if t == "k" else [0, 2, 1, 3])]
    nodes += [helper.make_node("MatMul", ["q2", "k2"], ["s"], name="scores"),
              helper.make_node("Softmax", ["s"], ["p"], axis=-1),
              helper.make_node("MatMul", ["p", "v2"], ["o"], name="context")]
    inits = [weight("wq", 32, 32), weight("wk", 32, 32), weight("wv", 32, 32), shape]
    return save(tmp_path, nodes, [x], [out], inits, "att.onnx")


def test_cnn_layers_shapes_edges_and_skipped_operators(tmp_path):
    result = import_onnx(cnn(tmp_path))
    assert [layer["name"] for layer in result.layers] == ["stem", "dw", "pw", "fc"]
    stem, dw, pw, fc = (layer["problem"] for layer in result.layers)
    assert stem["bounds"] == {"C": 3, "M": 16, "R": 3, "S": 3, "N": 1, "P": 16, "Q": 16}
    assert stem["coefficients"] == {"Hstride": 2, "Wstride": 2}
    assert dw["bounds"] == {"G": 16, "C": 1, "M": 1, "R": 3, "S": 3, "N": 1, "P": 16, "Q": 16}
    assert dw["coefficients"] == {"Hdilation": 2, "Wdilation": 2}
    assert pw["bounds"]["C"] == pw["bounds"]["M"] == 16 and "coefficients" not in pw
    assert fc["bounds"] == {"C": 16, "M": 10, "R": 1, "S": 1, "N": 1, "P": 1, "Q": 1}
    assert result.skipped == {"Relu": 2, "Add": 1, "GlobalAveragePool": 1, "Flatten": 1}
    assert [layer["inputs"] for layer in result.layers] == [[], ["stem"], ["dw"],
                                                            ["stem", "pw"]]
    macs = 16 * 3 * 9 * 256 + 16 * 9 * 256 + 16 * 16 * 256 + 16 * 10
    assert result.macs == macs
    (tmp_path / "net.yaml").write_text(result.text)
    net = load_network(tmp_path / "net.yaml")
    assert net.name == "m" and net.macs == macs
    assert sorted(net.graph.edges) == [("dw", "pw"), ("pw", "fc"), ("stem", "dw"),
                                       ("stem", "fc")]
    assert load_network(tmp_path / "net.yaml", {"batch": 2}).macs == 2 * macs


def test_attention_matmuls_linear_and_batched(tmp_path):
    result = import_onnx(attention(tmp_path, batch=2), name="att")
    by = {layer["name"]: layer for layer in result.layers}
    assert set(by) == {"q_proj", "k_proj", "v_proj", "scores", "context"}
    assert by["q_proj"]["problem"]["bounds"] == {"C": 32, "M": 32, "R": 1, "S": 1, "N": 2,
                                                 "P": 8, "Q": 1}
    assert by["scores"]["problem"]["bounds"] == {"G": 4, "C": 8, "M": 8, "R": 1, "S": 1,
                                                 "N": 2, "P": 8, "Q": 1}
    assert by["context"]["problem"]["bounds"] == {"G": 4, "C": 8, "M": 8, "R": 1, "S": 1,
                                                  "N": 2, "P": 8, "Q": 1}
    assert by["scores"]["inputs"] == ["q_proj", "k_proj"]
    assert by["context"]["inputs"] == ["v_proj", "scores"]
    assert result.skipped == {"Reshape": 3, "Transpose": 3, "Softmax": 1}
    (tmp_path / "att.yaml").write_text(result.text)
    net = load_network(tmp_path / "att.yaml")
    assert net.macs == result.macs == 3 * 2 * 8 * 32 * 32 + 2 * (2 * 4 * 8 * 8 * 8)
    assert len(net.distinct()) == 2          # three equal projections, two equal matmuls


def dynamic(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="c", kernel_shape=[3, 3])
    return save(tmp_path, [node], [x], [y], [weight("w", 4, 3, 3, 3)], "dyn.onnx")


def test_dynamic_shapes_are_refused_unless_fixed(tmp_path):
    path = dynamic(tmp_path)
    with pytest.raises(SpecError, match=r"dyn\.onnx: graph\.node\[0\] \(Conv 'c'\): input 'x' "
                                        r"has the dynamic dimension 'batch' \(dim 0 of "
                                        r"\['batch', 3, 8, 8\]\).*--dim batch=VALUE"):
        import_onnx(path)
    result = import_onnx(path, dims={"batch": 4})
    assert result.layers[0]["problem"]["bounds"]["N"] == 4
    assert result.layers[0]["problem"]["bounds"]["P"] == 6
    with pytest.raises(SpecError, match="no input of the model has a symbolic dimension named "
                                        "'btch'"):
        import_onnx(path, dims={"btch": 1})


def test_models_without_layers_and_unreadable_files(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    path = save(tmp_path, [helper.make_node("Relu", ["x"], ["y"])], [x], [y], [], "relu.onnx")
    with pytest.raises(SpecError, match=r"relu\.onnx: the model has no Conv, Gemm or MatMul.*"
                                        r"operators: Relu x1"):
        import_onnx(path)
    (tmp_path / "bad.onnx").write_bytes(b"not a model")
    with pytest.raises(SpecError, match=r"bad\.onnx: cannot read as an ONNX model"):
        import_onnx(tmp_path / "bad.onnx")
    with pytest.raises(SpecError, match="file not found"):
        import_onnx(tmp_path / "none.onnx")


def test_unmappable_conv_and_matmul_are_reported(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16])
    v = helper.make_tensor_value_info("v", TensorProto.FLOAT, [16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, None)
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="c1d", kernel_shape=[3]),
             helper.make_node("MatMul", ["x", "v"], ["z"], name="mv")]
    path = save(tmp_path, nodes + [helper.make_node("MatMul", ["x", "m"], ["u"], name="ok")],
                [x, v], [y, z], [weight("w", 4, 3, 3), weight("m", 16, 2)], "odd.onnx")
    result = import_onnx(path)
    assert [layer["name"] for layer in result.layers] == ["ok"]
    assert result.skipped == {"Conv": 1, "MatMul": 1}
    assert any("a 1-D convolution" in u for u in result.unsupported)
    assert any("matrix-vector" in u for u in result.unsupported)
    assert "# not mapped: graph.node[0] (Conv 'c1d')" in result.text


def test_cli_writes_the_network_and_reports(tmp_path, capsys):
    out = tmp_path / "nets" / "tiny.yaml"
    assert main(["import-onnx", str(cnn(tmp_path)), "-o", str(out), "--name", "tiny"]) == 0
    printed = capsys.readouterr().out
    assert "tiny: 4 layers (4 distinct)" in printed and f"wrote {out}" in printed
    assert "skipped operators (not layers): Relu x2, Add x1, GlobalAveragePool x1, Flatten x1" \
        in printed
    assert load_network(out).name == "tiny"
    assert main(["import-onnx", str(dynamic(tmp_path)), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "dynamic dimension 'batch'" in err and \
        err.count("\n") == 1
    assert main(["import-onnx", str(dynamic(tmp_path)), "-o", str(out), "--dim",
                 "batch=0"]) == 2
    assert "--dim batch=0: expected a positive integer" in capsys.readouterr().err


def test_missing_onnx_package_is_a_clear_error(tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(SpecError, match=r"needs the onnx package: pip install "
                                        r"'dnn-mapper\[onnx\]'"):
        import_onnx(Path(tmp_path / "m.onnx"))
