"""The floor tables a model keeps stay within their byte budget, oldest dropped first."""
from types import SimpleNamespace

from mapper.model.floors import FloorCache
from tests.model.builders import arch, conv1d, level


def test_tables_beyond_the_byte_budget_are_dropped_oldest_first():
    cache = FloorCache(arch(level("DRAM"), level("glb", depth=8)), conv1d(P=4, R=3), [])
    cache.KEPT_BYTES = 100
    built = []

    def table(nbytes):
        def build():
            built.append(nbytes)
            return SimpleNamespace(nbytes=nbytes)
        return build
    for key, nbytes in (("a", 40), ("b", 40), ("c", 30)):
        cache.get(key, table(nbytes))
    assert list(cache.tables) == ["b", "c"] and cache.nbytes == 70
    assert cache.get("b", table(999)).nbytes == 40 and built == [40, 40, 30]   # kept: not rebuilt
    cache.get("d", table(500))                 # larger than the budget: kept alone, the newest
    assert list(cache.tables) == ["d"] and cache.nbytes == 500
