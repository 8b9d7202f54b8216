"""Timeloop's problem YAML (v0.3/v0.4 ``problem: {shape, instance}``) -> :class:`Workload`."""
from __future__ import annotations

from typing import Any

from .errors import Where, as_int, as_list, as_mapping, as_str
from .workload import DataSpace, Workload

# Instance keys that Timeloop's frontends carry along but the model never reads.
_DERIVED_INSTANCE_KEYS = {"H": "derived from the other dimensions",
                          "W": "derived from the other dimensions",
                          "Hpad": "padding is not modelled by Timeloop's nest analysis",
                          "Wpad": "padding is not modelled by Timeloop's nest analysis"}


def read_problem_v04(value: Any, where: Where) -> Workload:
    """Read ``problem: {shape: {dimensions, coefficients, data-spaces}, instance: {...}}``."""
    problem = as_mapping(value, where)
    shape_w, inst_w = where / "shape", where / "instance"
    if "shape" not in problem:
        where.fail("missing required key 'shape' (dimensions, coefficients, data-spaces)")
    if "instance" not in problem:
        where.fail("missing required key 'instance' (the bound of every dimension)")
    shape = as_mapping(problem["shape"], shape_w)
    instance = as_mapping(problem["instance"], inst_w)
    for key in problem:
        if key not in ("shape", "instance", "version"):
            (where / key).ignore("unknown problem key")

    name = str(shape.get("name", "problem"))
    if "dimensions" not in shape:
        shape_w.fail("missing required key 'dimensions' (the list of problem dimensions)")
    dims_raw = as_list(shape["dimensions"], shape_w / "dimensions")
    dims = tuple(as_str(d, shape_w / "dimensions" / i) for i, d in enumerate(dims_raw))
    if len(set(dims)) != len(dims):
        (shape_w / "dimensions").fail(f"dimensions are not unique: {list(dims)}")

    coefficients: dict[str, int] = {}
    for i, c in enumerate(as_list(shape.get("coefficients", []) or [], shape_w / "coefficients")):
        cw = shape_w / "coefficients" / i
        c = as_mapping(c, cw)
        cname = as_str(c.get("name"), cw / "name")
        coefficients[cname] = as_int(c.get("default", 1), cw / "default", minimum=0)

    bounds: dict[str, int] = {}
    for key, v in instance.items():
        kw = inst_w / key
        if key in dims:
            bounds[key] = as_int(v, kw, minimum=1)
        elif key in coefficients:
            coefficients[key] = as_int(v, kw, minimum=0)
        elif key == "densities":
            if v:
                kw.ignore("sparse densities are not modelled; dense is assumed")
        elif key in _DERIVED_INSTANCE_KEYS:
            kw.ignore(_DERIVED_INSTANCE_KEYS[key])
        else:
            kw.fail(f"{key!r} is neither a dimension ({', '.join(dims)}) nor a coefficient "
                    f"({', '.join(coefficients) or 'none declared'})")
    for d in dims:
        if d not in bounds:
            inst_w.fail(f"missing the bound of dimension {d!r}")

    ds_key = "data-spaces" if "data-spaces" in shape else "data_spaces"
    if ds_key not in shape:
        shape_w.fail("missing required key 'data-spaces' (or 'data_spaces')")
    spaces = []
    for i, ds in enumerate(as_list(shape[ds_key], shape_w / ds_key)):
        spaces.append(_read_data_space(ds, shape_w / ds_key / i, dims, coefficients))
    n_rw = sum(ds.read_write for ds in spaces)
    if n_rw != 1:
        (shape_w / ds_key).fail(f"expected exactly one data space with read-write: true "
                                f"(the output), found {n_rw}")
    return Workload(name, dims, bounds, tuple(spaces), coefficients)


def _read_data_space(value: Any, where: Where, dims: tuple[str, ...],
                     coefficients: dict[str, int]) -> DataSpace:
    ds = as_mapping(value, where)
    name = as_str(ds.get("name"), where / "name")
    rw = ds.get("read-write", ds.get("read_write", False))
    if not isinstance(rw, bool):
        (where / "read-write").fail(f"expected true or false, got {rw!r}")
    if "projection" not in ds:
        where.fail("missing required key 'projection'")
    pw = where / "projection"
    ranks = []
    for r, rank in enumerate(as_list(ds["projection"], pw)):
        rw_ = pw / r
        # A rank is a list of terms; a bare term ([dim] or [dim, coef]) is accepted too.
        rank = as_list(rank, rw_)
        if rank and isinstance(rank[0], str):
            rank = [rank]
        terms = []
        for t, term in enumerate(rank):
            tw = rw_ / t
            term = as_list(term, tw)
            if not 1 <= len(term) <= 2:
                tw.fail(f"expected [dimension] or [dimension, coefficient], got {term!r}")
            d = as_str(term[0], tw / 0)
            if d not in dims:
                (tw / 0).fail(f"unknown dimension {d!r}; dimensions are {', '.join(dims)}")
            coef = 1
            if len(term) == 2:
                cname = term[1]
                if isinstance(cname, int):
                    coef = as_int(cname, tw / 1, minimum=0)
                else:
                    cname = as_str(cname, tw / 1)
                    if cname not in coefficients:
                        (tw / 1).fail(f"unknown coefficient {cname!r}; declared: "
                                      f"{', '.join(coefficients) or 'none'}")
                    coef = coefficients[cname]
            terms.append((d, coef))
        ranks.append(tuple(terms))
    for key in ds:
        if key not in ("name", "projection", "read-write", "read_write"):
            (where / key).ignore("unknown data-space key")
    return DataSpace(name, tuple(ranks), rw)
