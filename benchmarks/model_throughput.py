"""Mapping evaluations per second of the batch model on the Eyeriss-like reference arch.

    python benchmarks/model_throughput.py [--batch 4096] [--total 262144] [--seed 0]

Batches are random factorizations of resnet18_conv3x3_56 (C=M=64, P=Q=56, R=S=3) over the
loop slots of the reference mapping skeleton (eyeriss_like__resnet18_conv3x3_7__mapper_default:
same loop orders, splits and keep sets), so every batch is what a search hands the model.
Runs on one core (numpy's elementwise kernels are single-threaded; BLAS threads are pinned).
The figure per CPU-second is the one to compare; wall time also counts whatever else runs.
Only the model is timed; each batch is generated just before it is evaluated.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "tests" / "data" / "timeloop"

from mapper import api  # noqa: E402
from mapper.model.batch import MappingBatch  # noqa: E402
from mapper.primes import divisors  # noqa: E402
from mapper.model.evaluate import Model  # noqa: E402

# Slots that may carry a factor: (level name, 'temporal'|'spatial', dims allowed).
SLOTS = [("psum_spad", "temporal", "M"), ("weights_spad", "temporal", "CR"),
         ("inter_PE_spatial", "spatial", "MCS"), ("inter_PE_column_spatial", "spatial", "QM"),
         ("shared_glb", "temporal", "CMPQS"), ("DRAM", "temporal", "CMPQRSN")]


def random_batch(spec, template, n: int, rng: np.random.Generator) -> MappingBatch:
    """``n`` random factorizations of the workload over SLOTS, on the template's skeleton."""
    wl, arch = spec.workload, spec.arch
    base = MappingBatch.of([template])
    K, D = base.temporal.shape[1:]
    temporal = np.ones((n, K, D), dtype=np.int64)
    spatial = np.ones((n, K, D), dtype=np.int64)
    for j, d in enumerate(wl.dims):
        slots = [(arch.level_index(lv), kind) for lv, kind, ds in SLOTS if d in ds]
        rest = np.full(n, wl.bounds[d], dtype=np.int64)
        for (k, kind) in slots[:-1]:
            pick = rng.choice(divisors(wl.bounds[d]), size=n)
            f = np.where(rest % pick == 0, pick, 1)
            (temporal if kind == "temporal" else spatial)[:, k, j] = f
            rest //= f
        k, kind = slots[-1]
        (temporal if kind == "temporal" else spatial)[:, k, j] = rest
    return MappingBatch(base.skeleton, temporal, spatial)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=4096)     # the model's sweet spot
    ap.add_argument("--total", type=int, default=262144)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    case = DATA / "cases" / "eyeriss_like__resnet18_conv3x3_7__mapper_default"
    template = api.load([DATA / "archs" / "eyeriss_like.yaml",
                         DATA / "problems" / "resnet18_conv3x3_7.yaml",
                         case / "map.yaml"]).mapping
    spec = api.load([DATA / "archs" / "eyeriss_like.yaml",
                     DATA / "problems" / "resnet18_conv3x3_56.yaml"], need_mapping=False)
    model = Model(spec.arch, spec.workload, spec.tables)
    rng = np.random.default_rng(args.seed)
    # Chunk by chunk, as a search hands batches over: each batch is made just before it is
    # evaluated (untimed), and the last one is cut so that exactly --total are evaluated.
    model.evaluate(random_batch(spec, template, min(args.batch, args.total), rng))  # warm-up
    cpu = wall = 0.0
    n = valid = 0
    while n < args.total:
        batch = random_batch(spec, template, min(args.batch, args.total - n), rng)
        t0, c0 = time.perf_counter(), time.process_time()
        valid += int(model.evaluate(batch).valid.sum())
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        n += len(batch)
    print(f"model throughput: {n / cpu:,.0f} mappings per CPU-second, {n / wall:,.0f} per "
          f"wall-second ({n} mappings, batch {args.batch}, 1 core; {valid} valid)")


if __name__ == "__main__":
    main()
