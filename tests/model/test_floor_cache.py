"""The floor tables a model keeps stay within their byte budget, oldest dropped first."""
from mapper.model.floors import FloorCache
from tests.model.builders import arch, conv1d, level


class Table:
    """A stand-in for a FillFloor: its bytes, and whether the cache let it go."""

    def __init__(self, nbytes):
        self.nbytes = nbytes
        self.detached = False

    def detach(self):
        self.detached = True


def cache_and_builder(budget):
    cache = FloorCache(arch(level("DRAM"), level("glb", depth=8)), conv1d(P=4, R=3), [])
    cache.KEPT_BYTES = budget
    built = []

    def table(nbytes):
        def build():
            built.append(nbytes)
            return Table(nbytes)
        return build
    return cache, built, table


def test_tables_beyond_the_byte_budget_are_dropped_oldest_first():
    cache, built, table = cache_and_builder(100)
    for key, nbytes in (("a", 40), ("b", 40), ("c", 30)):
        cache.get(key, table(nbytes))
    assert list(cache.tables) == ["b", "c"] and cache.nbytes == 70
    assert cache.get("b", table(999)).nbytes == 40 and built == [40, 40, 30]   # kept: not rebuilt
    cache.get("d", table(500))                 # larger than the budget: kept alone, the newest
    assert list(cache.tables) == ["d"] and cache.nbytes == 500


def test_joint_tables_a_kept_table_adds_count_against_the_budget():
    """A table's joint tables (one per set of words the keepers below hold) grow after it was
    built: their bytes are charged to the account, and the next get drops the oldest tables
    until it is within the budget; a dropped table no longer charges it."""
    cache, _, table = cache_and_builder(100)
    a = cache.get("a", table(40))
    b = cache.get("b", table(40))
    b.nbytes += 50                             # b's joint tables, told to the account
    cache.charge(50)
    assert list(cache.tables) == ["a", "b"]
    cache.get("b", table(999))                 # a hit: still over the budget, the oldest goes
    assert list(cache.tables) == ["b"] and a.detached and cache.nbytes == 90 == b.nbytes
