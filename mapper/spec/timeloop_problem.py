"""Timeloop's problem YAML -> :class:`Workload`, in every form Timeloop v3 accepts.

``problem: {shape, instance}`` (v0.3/v0.4) is the common form. Timeloop's ``ParseWorkload``
(src/workload/workload.cpp) also accepts the older forms, and so do we:

* ``shape`` may be a mapping (the shape inline), a string naming a shape file, or absent
  (Timeloop then assumes its built-in ``cnn-layer`` shape). The only shape file we carry is
  ``cnn-layer`` (:data:`CNN_LAYER_SHAPE`); other names must be given inline.
* The bounds may sit under ``instance`` or directly in ``problem`` (the v0.2 form
  ``problem: {shape: {name: CNN-Layer}, R: 3, S: 3, P: 56, ...}``).
"""
from __future__ import annotations

from typing import Any

from .errors import MAX_WORKLOAD_INT, Where, as_int, as_list, as_mapping, as_str
from .workload import DataSpace, Workload

# Instance keys that Timeloop's frontends carry along but the model never reads.
_DERIVED_INSTANCE_KEYS = {"H": "derived from the other dimensions",
                          "W": "derived from the other dimensions",
                          "Hpad": "padding is not modelled by Timeloop's nest analysis",
                          "Wpad": "padding is not modelled by Timeloop's nest analysis"}
_DENSITY_KEYS = ("densities", "commonDensity")

#: Timeloop v3.0.3's built-in shape, a copy of ``problem-shapes/cnn-layer.yaml`` (the file
#: ``ShapeFileName("cnn-layer")`` finds first; the older ``cnn-layer.cfg`` lists the ranks of
#: each data space in another order, which changes no count). K is the output channels.
CNN_LAYER_SHAPE: dict = {
    "name": "CNN-Layer",
    "dimensions": ["R", "S", "P", "Q", "C", "K", "N"],
    "coefficients": [{"name": c, "default": 1}
                     for c in ("Wstride", "Hstride", "Wdilation", "Hdilation")],
    "data-spaces": [
        {"name": "Weights", "projection": [[["C"]], [["K"]], [["R"]], [["S"]]]},
        {"name": "Inputs", "projection": [[["N"]], [["C"]],
                                          [["R", "Wdilation"], ["P", "Wstride"]],
                                          [["S", "Hdilation"], ["Q", "Hstride"]]]},
        {"name": "Outputs", "projection": [[["N"]], [["K"]], [["Q"]], [["P"]]],
         "read-write": True},
    ],
}
_BUILT_IN = {"cnnlayer": CNN_LAYER_SHAPE}
_BUILT_IN_WHERE = "Timeloop's built-in cnn-layer shape"


def _built_in(name: str) -> dict | None:
    key = name.lower()
    for suffix in (".yaml", ".yml", ".cfg"):
        key = key.removesuffix(suffix)
    return _BUILT_IN.get(key.replace("-", "").replace("_", "").replace(" ", ""))


def _shape(problem: dict, where: Where) -> tuple[dict, Where]:
    """The shape mapping and where it came from (the built-in one for named/absent shapes)."""
    if "shape" not in problem:
        (where / "shape").ignore("absent: Timeloop's built-in cnn-layer shape is assumed")
        return CNN_LAYER_SHAPE, Where(_BUILT_IN_WHERE, "shape", where.notes)
    value, shape_w = problem["shape"], where / "shape"
    name = value if isinstance(value, str) else None
    if isinstance(value, dict) and "dimensions" not in value and isinstance(value.get("name"), str):
        name = value["name"]  # v0.2: ``shape: {name: CNN-Layer}`` names the built-in shape
    if name is not None:
        shape = _built_in(name)
        if shape is None:
            shape_w.fail(f"problem shape {name!r} is not built in (built in: cnn-layer); "
                         f"give the shape inline: dimensions, coefficients, data-spaces")
        return shape, Where(_BUILT_IN_WHERE, "shape", where.notes)
    return as_mapping(value, shape_w), shape_w


def read_problem_v04(value: Any, where: Where) -> Workload:
    """Read a Timeloop problem (v0.2 to v0.4 forms, see the module docstring)."""
    problem = as_mapping(value, where)
    shape, shape_w = _shape(problem, where)
    if "instance" in problem:
        inst_w = where / "instance"
        instance = as_mapping(problem["instance"], inst_w)
        for key in problem:
            if key not in ("shape", "instance", "version"):
                (where / key).ignore("unknown problem key")
    else:  # bounds directly under ``problem`` (Timeloop's backwards-compatible form)
        inst_w = where
        instance = {k: v for k, v in problem.items() if k not in ("shape", "version")}
    for key in shape:
        if key not in ("name", "dimensions", "coefficients", "data-spaces", "data_spaces"):
            (shape_w / key).ignore("unknown shape key")

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
        coefficients[cname] = as_int(c.get("default", 1), cw / "default", minimum=0,
                                    maximum=MAX_WORKLOAD_INT)

    bounds = _read_instance(instance, inst_w, dims, coefficients)

    ds_key = "data-spaces" if "data-spaces" in shape else "data_spaces"
    if ds_key not in shape:
        shape_w.fail("missing required key 'data-spaces' (or 'data_spaces')")
    spaces = []
    for i, ds in enumerate(as_list(shape[ds_key], shape_w / ds_key)):
        spaces.append(_read_data_space(ds, shape_w / ds_key / i, dims, coefficients))
    names = [ds.name for ds in spaces]
    for i, n in enumerate(names):
        if names.index(n) != i:
            (shape_w / ds_key / i / "name").fail(f"data space {n!r} is given twice")
    n_rw = sum(ds.read_write for ds in spaces)
    if n_rw != 1:
        (shape_w / ds_key).fail(f"expected exactly one data space with read-write: true "
                                f"(the output), found {n_rw}")
    return Workload(name, dims, bounds, tuple(spaces), coefficients)


def _read_instance(instance: dict, where: Where, dims: tuple[str, ...],
                   coefficients: dict[str, int]) -> dict[str, int]:
    """Bounds of every dimension; coefficient values override the shape's defaults."""
    bounds: dict[str, int] = {}
    for key, v in instance.items():
        kw = where / key
        if key in dims:
            bounds[key] = as_int(v, kw, minimum=1, maximum=MAX_WORKLOAD_INT)
        elif key in coefficients:
            coefficients[key] = as_int(v, kw, minimum=0, maximum=MAX_WORKLOAD_INT)
        elif key in _DENSITY_KEYS:
            if v:
                kw.ignore("sparse densities are not modelled; dense is assumed")
        elif key in _DERIVED_INSTANCE_KEYS:
            kw.ignore(_DERIVED_INSTANCE_KEYS[key])
        else:
            same = [n for n in (*dims, *coefficients) if n.lower() == str(key).lower()]
            hint = (f" (did you mean {same[0]!r}? names are case-sensitive; Timeloop would "
                    f"ignore {key!r} and keep {same[0]} at its default)" if same else "")
            kw.fail(f"{key!r} is neither a dimension ({', '.join(dims)}) nor a coefficient "
                    f"({', '.join(coefficients) or 'none declared'}){hint}")
    for d in dims:
        if d not in bounds:
            where.fail(f"missing the bound of dimension {d!r}")
    return bounds


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
        # A rank is a list of terms; a bare term ([dim] or [dim, coef]) is accepted too,
        # and so is a bare dimension name (libconfig's ``projection = [ "R", "S" ]``).
        if isinstance(rank, str):
            rank = [[rank]]
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
                    coef = as_int(cname, tw / 1, minimum=0, maximum=MAX_WORKLOAD_INT)
                else:
                    cname = as_str(cname, tw / 1)
                    if cname not in coefficients:
                        (tw / 1).fail(f"unknown coefficient {cname!r}; declared: "
                                      f"{', '.join(coefficients) or 'none'}")
                    coef = coefficients[cname]
            terms.append((d, coef))
        ranks.append(tuple(terms))
    rank_names: tuple[str, ...] = ()
    if "ranks" in ds:  # newer Timeloop names the ranks of a data space (e.g. [N, C, W, H])
        names = as_list(ds["ranks"], where / "ranks")
        rank_names = tuple(as_str(n, where / "ranks" / i) for i, n in enumerate(names))
        if len(rank_names) != len(ranks):
            (where / "ranks").fail(f"{len(rank_names)} rank names for {len(ranks)} "
                                   f"projection entries")
    for key in ds:
        if key not in ("name", "projection", "read-write", "read_write", "ranks"):
            (where / key).ignore("unknown data-space key")
    return DataSpace(name, tuple(ranks), rw, rank_names)
