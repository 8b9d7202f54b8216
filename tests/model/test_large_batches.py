"""A batch larger than one pass (Model.PASS) is evaluated in passes that write their columns
of one result; the result must equal evaluating the same mappings in small batches."""
import dataclasses
from pathlib import Path

import numpy as np

from mapper import api
from mapper.mapspace import MapSpace
from mapper.model import MappingBatch, Model
from mapper.mapsearch.batches import random_order, skeleton_for, support_groups

DATA = Path(__file__).resolve().parents[1] / "data" / "timeloop"


def test_passes_equal_small_batches():
    spec = api.load([DATA / "archs" / "eyeriss_like.yaml",
                     DATA / "problems" / "resnet18_conv3x3_56.yaml"], need_mapping=False)
    space = MapSpace(spec.arch, spec.workload, spec.constraints)
    rng = np.random.default_rng(5)
    tilings = space.sample(3 * Model.PASS + 123, rng)
    orders = tuple(random_order(space, k, rng) for k in range(len(spec.arch.storage)))
    rows = max(support_groups(space, tilings, temporal=False), key=len)
    sk = skeleton_for(space, tilings, rows, orders, space.keep_choices[0])
    batch = MappingBatch(sk, tilings.temporal[rows], tilings.spatial[rows])
    assert len(batch) > Model.PASS
    model = Model(spec.arch, spec.workload, spec.tables)
    whole = model.evaluate(batch)
    step = 1000
    parts = [model.evaluate(batch.take(slice(a, a + step))) for a in range(0, len(batch), step)]
    for f in dataclasses.fields(whole):
        value = getattr(whole, f.name)
        if isinstance(value, np.ndarray) and f.name != "reported":
            joined = np.concatenate([getattr(p, f.name) for p in parts], axis=-1)
            assert np.array_equal(value, joined), f.name
    for name, counts in whole.counts.items():
        for f in dataclasses.fields(counts):
            joined = np.concatenate([getattr(p.counts[name], f.name) for p in parts], axis=-1)
            assert np.array_equal(getattr(counts, f.name), joined), (name, f.name)
