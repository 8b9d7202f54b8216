"""The per-layer cache: hit on a re-run (also from another network), missed when anything
that decides the answer changes, never trusted for numbers."""
from __future__ import annotations

import yaml

from mapper.network.cache import LayerCache, code_version
from mapper.network.run import run_network
from mapper.spec.timeloop_writer import mapping_to_timeloop

from .helpers import QUICK, write_network


def run(cache, network="resnet18", **kw):
    kw = {"search_size": QUICK, "only": 3, **kw}
    return run_network("eyeriss_like", network, cache_dir=cache, **kw)


def entries(cache) -> list:
    return sorted(cache.glob("*/*.yaml"))


def test_rerun_hits_and_agrees(tmp_path):
    first = run(tmp_path)
    assert first.cache["misses"] == 3 and first.cache["hits"] == 0
    assert len(entries(tmp_path)) == 3
    again = run(tmp_path)
    assert again.cache["hits"] == 3 and again.cache["misses"] == 0
    assert all(r.cached for r in again.layers)
    assert again.summary()["energy_pJ"] == first.summary()["energy_pJ"]
    def written(result):    # Timeloop's YAML: unit spatial nests read back in default order
        return [mapping_to_timeloop(r.evaluation.mapping, result.arch, r.layer.workload)
                for r in result.layers]
    assert written(again) == written(first)


def test_the_same_layer_in_another_network_hits(tmp_path):
    run(tmp_path)
    net = write_network(tmp_path / "net.yaml", ["conv3x3_64_64_56"], name="other")
    other = run(tmp_path, net)
    assert other.cache == {"dir": str(tmp_path), "hits": 1, "misses": 0}


def test_objective_settings_and_arch_invalidate(tmp_path):
    run(tmp_path, only=1)
    assert run(tmp_path, only=1, objective="energy").cache["misses"] == 1
    assert run(tmp_path, only=1, seed=1).cache["misses"] == 1
    assert run(tmp_path, only=1, overrides={"glb_kb": 64}).cache["misses"] == 1
    assert run(tmp_path, only=1, overrides={"batch": 2}).cache["misses"] == 1
    assert run(tmp_path, only=1).cache["hits"] == 1       # the first entry is still there


def test_entries_hold_a_mapping_not_numbers(tmp_path):
    run(tmp_path, only=1)
    (path,) = entries(tmp_path)
    entry = yaml.safe_load(path.read_text())
    assert set(entry) == {"key", "layer", "arch", "objective", "search", "mapping"}
    assert entry["key"] == path.stem and isinstance(entry["mapping"], list)
    assert "energy_pJ" not in str(entry) and code_version().startswith("0.")


def test_a_damaged_entry_is_searched_again(tmp_path):
    first = run(tmp_path, only=1)
    (path,) = entries(tmp_path)
    path.write_text("mapping: [unreadable")
    again = run(tmp_path, only=1)
    assert again.cache["misses"] == 1 and not again.layers[0].cached
    # reported by name, not silently dropped
    assert [w for w in again.warnings if "layer cache" in w] == [
        f"warning: layer cache: {path}: cannot be read (while parsing a flow sequence); "
        f"searched again"]
    assert again.summary()["energy_pJ"] == first.summary()["energy_pJ"]
    assert run(tmp_path, only=1).cache["hits"] == 1    # and stored again


def test_a_stale_mapping_is_not_trusted(tmp_path):
    """An entry whose mapping no longer satisfies the constraints (edited here) is a miss:
    every hit is read back, checked and re-evaluated."""
    run(tmp_path, only=1)
    (path,) = entries(tmp_path)
    entry = yaml.safe_load(path.read_text())
    for d in entry["mapping"]:
        if d["type"] == "datatype" and d["target"] == "shared_glb":
            d["keep"], d["bypass"] = ["Weights", "Inputs", "Outputs"], []  # breaks a constraint
    path.write_text(yaml.safe_dump(entry))
    again = run(tmp_path, only=1)
    assert again.cache["misses"] == 1
    (line,) = [w for w in again.warnings if "layer cache" in w]
    assert f"{path}: the mapping breaks the constraints" in line and "shared_glb" in line


def test_a_damaged_entry_is_named_by_mapper_network(tmp_path, capsys):
    from mapper.cli import main
    net = write_network(tmp_path / "net.yaml", ["fc_512_1000"])
    args = ["network", "eyeriss_like", str(net), "--search-size", str(QUICK), "--cache-dir",
            str(tmp_path / "cache"), "-o", str(tmp_path / "out")]
    assert main(args) == 0
    (path,) = entries(tmp_path / "cache")
    path.write_text("key: other\nmapping: []\n")
    capsys.readouterr()
    assert main(args) == 0
    assert f"warning: layer cache: {path}: holds the entry of another key; searched again" \
        in capsys.readouterr().err
    assert yaml.safe_load(path.read_text())["key"] == path.stem      # stored again


def test_no_cache_writes_nothing(tmp_path):
    result = run(None, only=1)
    assert result.cache == {"dir": None, "hits": 0, "misses": 1}
    cache = LayerCache(None)
    cache.put("ab" * 32, {"mapping": []})
    assert cache.get("ab" * 32) is None
