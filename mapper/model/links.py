"""Link transfers: a child of a fan-out takes its delta from a mesh neighbour
(TIMELOOP_SEMANTICS §4).

At every visit Timeloop lets an element of a fan-out take its delta over a link from a mesh
neighbour that held exactly that set as its own delta at the previous visit, and uses the
links at that visit when fewer distinct deltas are then left for the parent to send. Level 0
(a fan-out straight to the MACs) and the levels above it differ in what a delta is: a MAC's
one operation point, never subtracted from the previous one; above, the slab or the whole
tile of §3. Both come down to one question per fan-out arrangement and shift ``s`` of the
deltas between the two visits: which elements have a neighbour whose translation is theirs
plus ``s`` (:func:`neighbour_links`). ``carries`` and ``shifts`` are ``access.Carries`` and
``access.Shifts`` (access.py imports this module, so they are not imported here).
"""
from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from ..spec.mapping import Axis
from .nest import Nest


def neighbour_links(factors: np.ndarray, steps: np.ndarray, a: np.ndarray, x_loops: list[int],
                    mesh_x: int, shifts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(|Λ|, G') (n,) of n fan-outs, each with a shift: the elements that have a mesh
    neighbour whose translation is theirs plus the shift, and the distinct translations among
    the others.

    ``factors``, ``steps`` (n, Q) of the fan-out's spatial loops (innermost first), ``a``
    (R, Q) the projection over their dimensions, ``x_loops`` which of them are on X,
    ``shifts`` (n, R). Element i (the innermost loop fastest) sits at ``(i mod H, i div H)``,
    ``H = max(physical X, logical X)``; its neighbours are left/right/up/down, when they
    exist (§4). Vectorized over the n fan-outs, per fan-out size.
    """
    F = factors.prod(axis=1)
    H = np.maximum(mesh_x, factors[:, x_loops].prod(axis=1))
    linked, left = np.empty(len(F), np.int64), np.empty(len(F), np.int64)
    shapes = np.stack([F, H], axis=1)
    for size, width in np.unique(shapes, axis=0):   # one pass per grid shape, in chunks
        rows = np.flatnonzero((shapes == (size, width)).all(axis=1))
        chunk = max(1, (1 << 20) // (int(size) * max(a.shape[0], 1)))
        for c in range(0, len(rows), chunk):
            at = rows[c:c + chunk]
            linked[at], left[at] = _neighbour_links(factors[at], steps[at], a, shifts[at],
                                                    int(size), int(width))
    return linked, left


def _neighbour_links(factors: np.ndarray, steps: np.ndarray, a: np.ndarray,
                     shifts: np.ndarray, F: int, H: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`neighbour_links` of fan-outs of ``F`` elements each, ``H`` to a row."""
    n = len(factors)
    index = np.broadcast_to(np.arange(F)[None], (n, F))
    trans = np.zeros((n, F, a.shape[0]), dtype=np.int64)
    for q in range(factors.shape[1]):
        f = factors[:, q:q + 1]
        trans += (index % f)[..., None] * (a[:, q][None, :] * steps[:, q:q + 1])[:, None, :]
        index = index // f
    # translations as mixed-radix keys (per fan-out from its least); a wanted translation
    # outside the range of every element's is nobody's (-2)
    trans -= trans.min(axis=1, keepdims=True)
    span = trans.max(axis=(0, 1)) + 1
    if float(np.prod(span, dtype=np.float64)) >= 2.0 ** 62:       # rows compared as rows
        keys, want = trans, trans + shifts[:, None, :]
        same = lambda x, y: (x == y).all(axis=2)                   # noqa: E731
    else:
        radix = np.concatenate([[1], np.cumprod(span[:-1])])
        keys = trans @ radix
        w = trans + shifts[:, None, :]
        want = np.where(((w >= 0) & (w < span)).all(axis=2), w @ radix, -2)
        same = np.equal
    i = np.arange(F)
    h = i % H
    linked = np.zeros((n, F), dtype=bool)
    for offset, exists in ((-1, h > 0), (1, (h + 1 < H) & (i + 1 < F)), (-H, i >= H),
                           (H, i + H < F)):
        j = np.where(exists, i + offset, i)
        linked |= exists[None] & same(keys[:, j], want)
    if keys.ndim == 3:
        left = [len(np.unique(t[~m], axis=0)) for t, m in zip(keys, linked)]
        return linked.sum(axis=1), np.array(left, dtype=np.int64)
    keys = np.where(linked, -1, keys)              # the distinct translations left
    keys.sort(axis=1)
    left = (keys[:, 0] >= 0).astype(np.int64) + \
        ((keys[:, 1:] != keys[:, :-1]) & (keys[:, 1:] >= 0)).sum(axis=1)
    return linked.sum(axis=1), left


def _fan_out_rows(nest: Nest, loops: list[int]) -> np.ndarray:
    """(B, 2Q) each mapping's factors and steps of the given spatial loops."""
    return np.concatenate([nest.factor[loops], nest.step[loops]], axis=0).T


def unlinked_translations(nest: Nest, A: np.ndarray, mesh_x0: int) -> np.ndarray:
    """(B,) ``G'``: distinct translations among level 0's children that have no mesh neighbour
    of the same translation (:func:`neighbour_links` with no shift)."""
    loops = nest.spatial_of(0)
    B = nest.batch_size
    x_loops = [q for q, i in enumerate(loops) if nest.loops[i].axis == Axis.X]
    rows = nest.level0_rows                            # shared by the data spaces
    if rows is None:
        params = _fan_out_rows(nest, loops).T                                     # (2Q, B)
        # one int64 key per mapping (factors and steps are at most the bounds' product)
        radix = int(params.max(initial=0)) + 1
        if radix ** len(params) < 2 ** 62:
            keys = np.zeros(B, dtype=np.int64)
            for r in params:
                keys = keys * radix + r
            _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
            uniq = params.T[first]
        else:
            uniq, inverse = np.unique(params.T, axis=0, return_inverse=True)
        rows = nest.level0_rows = (uniq, inverse.reshape(-1))
    uniq, inverse = rows
    a = A[:, nest.dim_of[loops]]                                      # (R, Q)
    Q = len(loops)
    counts = np.empty(len(uniq), dtype=np.int64)
    known = nest.shape.plans(A).unlinked
    zero = np.zeros((1, A.shape[0]), dtype=np.int64)
    for u, row in enumerate(uniq):
        key = (mesh_x0, row.tobytes())
        if key not in known:
            known[key] = int(neighbour_links(row[None, :Q], row[None, Q:], a, x_loops,
                                             mesh_x0, zero)[1][0])
        counts[u] = known[key]
    return counts[inverse]


def level0_accesses(nest: Nest, carries, shifts, A: np.ndarray,
                    groups: np.ndarray, mesh_x0: int, bound=None) -> np.ndarray:
    """(B,) accesses to level 0 when it fans out to the MACs (TIMELOOP_SEMANTICS §4, level 0).

    Each MAC's delta is its operation point, never subtracted from the previous one: every
    visit asks ``G_0`` distinct words, except where a MAC may take its word over a link from
    a mesh neighbour that held exactly that word at the previous visit. A visit whose carry
    does not move the point (``s_j = 0``) lets each MAC with a neighbour of the same
    translation take it from there; Timeloop then serves only the ``G'`` distinct
    translations left without one. So ``A_0 = G_0 T - (G_0 - G') W_0`` with ``W_0`` the weight
    of the zero-shift carries over every temporal loop. (Links along a moving point, ``s_j``
    equal to a neighbour's translation difference, are not modelled.) With ``bound``, unless
    every order is fixed, ``W_0`` is replaced by an upper bound: the carries of the loops
    whose dimension moves only ranks that other loops can cancel.
    """
    T = nest.temporal_product
    unlinked = unlinked_translations(nest, A, mesh_x0)
    if bound is None or bound.bound.exact(-1):
        W0 = zero_shift_weight(carries, shifts)
    else:
        temporal = bound.temporal                                        # (K, D, B)
        total = temporal.prod(axis=0)                                    # (D, B)
        movable = total > 1
        touches = A != 0                                                 # (R, D)
        multi = touches.sum(axis=1) >= 2
        can_cancel = multi[:, None] & ((touches[:, :, None] & movable[None]).sum(axis=1) >= 2)
        product = np.ones_like(T)
        for d in range(A.shape[1]):
            ranks = np.flatnonzero(touches[:, d])
            ok = np.ones(len(T), dtype=bool) if not len(ranks) else can_cancel[ranks].all(axis=0)
            product = product * np.where(ok, total[d], 1)
        W0 = T - T // product
    return groups * T - (groups - unlinked) * W0


def zero_shift_weight(carries, shifts) -> np.ndarray:
    """(B,) total weight of the carries, over every temporal loop, that leave a one-word
    tile where it was (``s_j = 0``: the shift key of the carry is 0 in every rank group)."""
    J, B = len(carries.loops), carries.nest.batch_size
    if J == 0:
        return np.zeros(B, dtype=np.int64)
    same = None
    for _, key, _ in shifts.groups:
        same = key == 0 if same is None else same & (key == 0)
    if same is None:                                   # nothing moves the data space
        return carries.weight.sum(axis=0)
    return (carries.weight * same).sum(axis=0)


@dataclass(frozen=True)
class LinkSavings:
    """(B,) what the links of one fan-out (level k >= 1) save over the whole run: ``accesses``
    the parent no longer serves (``A_k = G_k D_{k-1} - accesses``) and ``transfers`` the
    words that travel over links instead (``LT_k``; ``W_k = F_k D_{k-1} - transfers``)."""

    accesses: np.ndarray
    transfers: np.ndarray


def spatial_links(nest: Nest, carries, shifts, k: int, A: np.ndarray,
                  tile: np.ndarray, ranks: list[np.ndarray], groups: np.ndarray,
                  mesh_x: int) -> LinkSavings | None:
    """The links among the children of level k >= 1 (TIMELOOP_SEMANTICS §4); None where no
    mapping of the batch uses any.

    The visits are those of the child's delta sum (§3, the temporal loops above level k-1's
    tile ``tile``, rank extents ``ranks``). Element e's delta is element 0's translated by
    ``T_e``, so it equals neighbour e''s delta of the previous visit when both deltas have the
    same shape and ``T_e' - T_e`` is the shift between the two visits. With ``s_1`` the shift
    of the innermost moving loop above:

    * ``s_1 = 0``: every delta after the first is empty or follows an empty one: no links.
    * the tile overlaps itself shifted by ``s_1``: a carry of loop 1 gives the slab
      ``C \\ P``, other carries the slab if they shift like ``s_1``, else the whole tile. Two
      slabs in a row are the carries with ``s_j = s_1`` (``j >= 2``) and the carries of loop 1
      that follow one of them: ``N_1 sum_{j>=2, s_j = s_1} w_j`` visits of shift ``s_1``.
    * no overlap: every delta is the whole tile; each carry j is a visit of shift ``s_j``
      and weight ``w_j``.

    Per visit of shift s the ``|Λ|`` linked elements take the delta over links; the parent
    then sends the ``G'`` distinct deltas of the others, if that is fewer than ``G``
    (:func:`neighbour_links`). Only shifts a translation difference can reach are enumerated.
    """
    J, B = len(carries.loops), nest.batch_size
    p = carries.first_above(k - 1)
    if p == J or B == 0:
        return None
    loops = nest.spatial_of(k)
    a = A[:, nest.dim_of[loops]]                                           # (R, Q)
    step, dim = carries.first_moving(p)
    s1 = A[:, dim] * step                                                  # (R, B)
    moved = (s1 != 0).any(axis=0)
    if not moved.any():
        return None
    overlap = np.ones(B, dtype=np.int64)
    for r in range(len(ranks)):
        overlap *= np.maximum(ranks[r] - np.abs(s1[r]), 0)
    # the largest translation difference of two children, per rank
    reach = np.zeros_like(s1)
    for q, i in enumerate(loops):
        reach += np.abs(a[:, q])[:, None] * (nest.step[i] * (nest.factor[i] - 1))[None, :]
    fanout = nest.fanout_used[k]
    cols, shift_rows, omega = [], [], []

    def keep_reachable(c, s, w):
        """Keep the visits (shifts ``s`` (R, J, n), weights ``w`` (J, n) of columns ``c``)
        that a translation difference can reach and that some neighbour can serve."""
        still = (w > 0) & (np.abs(s) <= reach[:, None, c]).all(axis=0)
        still &= (s != 0).any(axis=0) | (groups[c] < fanout[c])[None]
        j, n = np.nonzero(still)
        cols.append(c[n])
        shift_rows.append(s[:, j, n])
        omega.append(w[j, n])

    slab = np.flatnonzero(moved & (overlap > 0))
    if len(slab):
        same = carries.same_as_first(shifts, p, step, dim)
        same_weight = (carries.weight[p:] * same).sum(axis=0)
        first = carries.first_moving_position(p)[slab]
        rows = np.asarray(carries.loops)[first]
        N1 = nest.factor[rows, slab]
        w1 = carries.weight[first, slab]
        keep_reachable(slab, s1[:, None, slab],
                       ((tile[slab] - overlap[slab]) * N1 * (same_weight[slab] - w1))[None])
    whole = np.flatnonzero(moved & (overlap == 0))
    if len(whole):
        # carry j's shift: its step less the moving steps of the loops inside it (from p on),
        # projected, for every loop that moves in some mapping at once (a loop that does not
        # has no carries and rewinds nothing): (R, J', n)
        js = p + np.flatnonzero(carries.moving[p:, whole].any(axis=1))
        a_j = A[:, carries.dim_of[js]][:, :, None]                            # (R, J', 1)
        rewound = a_j * carries.moving_step[js][:, whole][None]
        inside = np.cumsum(rewound, axis=1)
        inside -= rewound                                      # exclusive: loops inside j
        shift = a_j * nest.step[carries.loops[js]][:, whole][None] - inside
        keep_reachable(whole, shift, tile[whole][None] * carries.weight[js][:, whole])
    cols = np.concatenate(cols)
    if not len(cols):
        return None
    shift_rows = np.concatenate(shift_rows, axis=1).T                  # (n, R)
    omega = np.concatenate(omega)
    Q = len(loops)
    x_loops = [q for q, i in enumerate(loops) if nest.loops[i].axis == Axis.X]
    params = np.concatenate([_fan_out_rows(nest, loops)[cols], shift_rows], axis=1)
    uniq, inverse = np.unique(params, axis=0, return_inverse=True)
    known = nest.shape.plans(A).links
    keys = [(k, mesh_x, row.tobytes()) for row in uniq]
    missing = [u for u, key in enumerate(keys) if key not in known]
    if missing:
        rows = uniq[missing]
        got = neighbour_links(rows[:, :Q], rows[:, Q:2 * Q], a, x_loops, mesh_x, rows[:, 2 * Q:])
        for u, n_linked, n_left in zip(missing, *got):
            known[keys[u]] = (int(n_linked), int(n_left))
    linked = np.array([known[key][0] for key in keys], dtype=np.int64)
    left = np.array([known[key][1] for key in keys], dtype=np.int64)
    inverse = inverse.reshape(-1)
    linked, left = linked[inverse], left[inverse]
    use = left < groups[cols]                  # Timeloop takes the links when they save
    if not use.any():
        return None
    saved = np.zeros(B, dtype=np.int64)
    transfers = np.zeros(B, dtype=np.int64)
    np.add.at(saved, cols[use], ((groups[cols] - left) * omega)[use])
    np.add.at(transfers, cols[use], (linked * omega)[use])
    return LinkSavings(saved, transfers)
