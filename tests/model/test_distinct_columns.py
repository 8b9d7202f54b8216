"""``distinct_columns`` (the floor lookup's grouping) equals numpy's column-wise unique."""
import numpy as np
from hypothesis import given, settings, strategies as st

from mapper.model.floors import distinct_columns


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 7), st.integers(1, 40), st.integers(0, 2 ** 16),
       st.sampled_from([(1, 2, 4), (1, 3, 7, 16), (1, 2 ** 40)]))
def test_distinct_columns_equal_numpy_unique(D, B, seed, values):
    x = np.random.default_rng(seed).choice(values, size=(D, B)).astype(np.int64)
    groups, inverse = distinct_columns(x)
    expected, expected_inverse = np.unique(x, axis=1, return_inverse=True)
    assert (groups == expected).all()
    assert (inverse == expected_inverse.reshape(-1)).all()
