"""Our concise workload YAML: one Einsum with bounds -> :class:`Workload`.

A convolution::

    problem:
      name: conv
      einsum: "Outputs[n,m,p,q] += Weights[m,c,r,s]
               * Inputs[n, c, p*Hstride + r*Hdilation, q*Wstride + s*Wdilation]"
      bounds: {N: 1, M: 64, C: 64, P: 56, Q: 56, R: 3, S: 3}
      coefficients: {Hstride: 2, Wstride: 2}     # optional; every coefficient defaults to 1

or, with the projections spelled out one data space at a time (same rank syntax)::

    problem:
      bounds: {M: 128, N: 256, K: 64}
      data_spaces:
        - {name: A, ranks: [m, k]}
        - {name: B, ranks: [k, n]}
        - {name: Z, ranks: [m, n], output: true}

Rules, chosen so that a reader can check a layer against its paper formula:

* ``Out[...] += In1[...] * In2[...] * ...``: the left side of ``+=`` is the output (the one
  read-write data space); the right side is a product of one or more inputs.
* A rank is an affine sum of terms; a term is a product holding exactly one dimension and
  any number of coefficients: names from ``coefficients`` or non-negative integer literals
  (``p``, ``2*p``, ``p*Hstride``, ``Hstride*p``). No minus, no constant offsets: Timeloop's
  projections cannot express them. The same dimension may not appear twice in one rank.
* Dimension and coefficient names are matched case-insensitively; a dimension is named as
  its ``bounds`` key (write ``P: 56`` and index with ``p``, Timeloop's upper-case convention
  for mapping factors such as ``P7``). Every index needs a bound and every bound an index.
* Dimension order is the order of the ``bounds`` keys. Data spaces are the inputs in the
  order written, then the output (Timeloop's order: Weights, Inputs, Outputs).
* A given coefficient must be used (a misspelled one would silently be 1 otherwise).

The parser is hand-written (tokens, then recursive descent): nothing is ever evaluated.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, NoReturn

from .errors import MAX_WORKLOAD_INT, Where, as_int, as_list, as_mapping, as_str, check_keys
from .workload import DataSpace, Workload

_TOKEN = re.compile(r"(?P<ident>[A-Za-z_][A-Za-z_0-9]*)|(?P<int>[0-9]+)|(?P<op>\+=|[\[\],+*])")
_KEYS = ("name", "einsum", "data_spaces", "bounds", "coefficients")
_BAD_CHAR = {"=": "the output accumulates: write 'Out[...] += In[...] * ...'",
             "-": "no minus: coefficients are non-negative and offsets are not supported",
             "(": "no parentheses: write a rank as a sum of terms such as p*Hstride+r",
             "/": "no division: coefficients are non-negative integers"}


@dataclass(frozen=True)
class _Factor:
    text: str          # an identifier or an integer literal
    column: int        # 1-based, in the string it came from


@dataclass(frozen=True)
class _Access:
    name: str
    ranks: tuple[tuple[tuple[_Factor, ...], ...], ...]   # ranks -> terms -> factors


class _Parser:
    """Recursive descent over the tokens of an einsum or of one rank expression."""

    def __init__(self, text: str, where: Where):
        self.text, self.where, self.tokens, self.i = text, where, [], 0
        pos = 0
        while True:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos == len(text):
                break
            m = _TOKEN.match(text, pos)
            if not m:
                self.fail(pos + 1, f"unexpected character {text[pos]!r}; " + _BAD_CHAR.get(
                    text[pos], "only names, non-negative integers, [ ] , + * and += may appear"))
            self.tokens.append((m.lastgroup, m[0], pos + 1))
            pos = m.end()

    def fail(self, column: int, message: str) -> NoReturn:
        self.where.fail(f"{message} (at column {column} of {self.text!r})")

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "", len(self.text) + 1)

    def take(self, kind: str, value: str | None = None, what: str = "") -> tuple[str, str, int]:
        tok = self.peek()
        if tok[0] != kind or (value is not None and tok[1] != value):
            found = "the end" if tok[0] == "end" else repr(tok[1])
            self.fail(tok[2], f"expected {what or repr(value)}, found {found}")
        self.i += 1
        return tok

    def einsum(self) -> tuple[_Access, list[_Access]]:
        output = self.access()
        self.take("op", "+=", "'+=' after the output (the output is accumulated into)")
        inputs = [self.access()]
        while self.peek()[:2] == ("op", "*"):
            self.i += 1
            inputs.append(self.access())
        self.end()
        return output, inputs

    def access(self) -> _Access:
        name = self.take("ident", what="a tensor name")[1]
        self.take("op", "[", f"'[' after {name!r}")
        ranks = []
        if self.peek()[:2] != ("op", "]"):
            ranks.append(self.rank())
            while self.peek()[:2] == ("op", ","):
                self.i += 1
                ranks.append(self.rank())
        self.take("op", "]", f"',' or ']' in the ranks of {name!r}")
        return _Access(name, tuple(ranks))

    def rank(self) -> tuple[tuple[_Factor, ...], ...]:
        terms = [self.term()]
        while self.peek()[:2] == ("op", "+"):
            self.i += 1
            terms.append(self.term())
        return tuple(terms)

    def term(self) -> tuple[_Factor, ...]:
        factors = [self.factor()]
        while self.peek()[:2] == ("op", "*"):
            self.i += 1
            factors.append(self.factor())
        return tuple(factors)

    def factor(self) -> _Factor:
        kind, text, col = self.peek()
        if kind not in ("ident", "int"):
            self.take("ident", what="a dimension, a coefficient or an integer")
        self.i += 1
        return _Factor(text, col)

    def end(self) -> None:
        kind, text, col = self.peek()
        if kind != "end":
            self.fail(col, f"unexpected {text!r} after the end of the expression")


class _Names:
    """Case-insensitive resolution of dimension and coefficient names."""

    def __init__(self, bounds: dict[str, int], given: dict[str, int]):
        self.dims = {d.lower(): d for d in bounds}
        self.canonical = {c.lower(): c for c in given}     # spelling of each coefficient
        self.values = {c.lower(): v for c, v in given.items()}
        self.used_dims: set[str] = set()
        self.coefficients: dict[str, int] = {}   # canonical name -> value, in order of use

    def term(self, factors: tuple[_Factor, ...], parser: _Parser) -> tuple[str, int]:
        """A term's (dimension, coefficient); it must hold exactly one dimension."""
        dims = [f for f in factors if f.text.lower() in self.dims]
        if len(dims) != 1:
            text = "*".join(f.text for f in factors)
            if dims:
                parser.fail(dims[1].column, f"the term {text!r} multiplies two dimensions; "
                                            f"a rank must be an affine sum of dimensions")
            words = [f.text for f in factors if not f.text.isdigit()]
            hint = _closest(words[0], list(self.dims.values())) if len(words) == 1 else None
            parser.fail(factors[0].column,
                        f"the term {text!r} holds no dimension"
                        + (f" (did you mean {hint.lower()!r}?)" if hint else "")
                        + f"; every term needs one dimension with a bound "
                          f"({', '.join(self.dims.values())}); constant offsets are "
                          f"not supported")
        dim = self.dims[dims[0].text.lower()]
        self.used_dims.add(dim)
        coef = 1
        for f in factors:
            if f is dims[0]:
                continue
            if f.text.isdigit():
                coef *= int(f.text)
                continue
            name = self.canonical.setdefault(f.text.lower(), f.text)
            self.coefficients.setdefault(name, self.values.get(f.text.lower(), 1))
            coef *= self.coefficients[name]
        return dim, coef


def _closest(word: str, choices: list[str]) -> str | None:
    lower = {c.lower(): c for c in choices}
    found = difflib.get_close_matches(word.lower(), list(lower), n=1, cutoff=0.5)
    return lower[found[0]] if found else None


def _rank(terms: tuple[tuple[_Factor, ...], ...], names: _Names, parser: _Parser
          ) -> tuple[tuple[tuple[str, int], ...], str]:
    """One rank: its (dimension, coefficient) terms and a readable name such as 'P*Hstride+R'."""
    out, seen, text = [], set(), []
    for factors in terms:
        d, c = names.term(factors, parser)
        if d in seen:
            parser.fail(factors[0].column, f"dimension {d.lower()!r} appears twice in one rank")
        seen.add(d)
        out.append((d, c))
        text.append("*".join(names.dims.get(f.text.lower()) or names.canonical.get(
            f.text.lower(), f.text) for f in factors))
    return tuple(out), "+".join(text)


def _read_bounds(value: Any, where: Where) -> dict[str, int]:
    bounds: dict[str, int] = {}
    lower: dict[str, str] = {}
    for key, v in as_mapping(value, where).items():
        name = str(key)
        if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", key):
            (where / name).fail(f"{name!r} is not a dimension name (a letter, then letters, "
                                f"digits or _)")
        if name.lower() in lower:
            (where / name).fail(f"dimension {name!r} is given twice (also as "
                                f"{lower[name.lower()]!r}; names are case-insensitive)")
        lower[name.lower()] = name
        bounds[name] = as_int(v, where / name, minimum=1, maximum=MAX_WORKLOAD_INT)
    if not bounds:
        where.fail("expected at least one dimension bound, e.g. {M: 64, K: 64}")
    return bounds


def _read_coefficients(value: Any, where: Where, bounds: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    dims = {d.lower() for d in bounds}
    for key, v in as_mapping(value or {}, where).items():
        name = str(key)
        if name.lower() in dims:
            (where / name).fail(f"{name!r} is a dimension (it has a bound); a coefficient "
                                f"needs another name")
        if name.lower() in {c.lower() for c in out}:
            (where / name).fail(f"coefficient {name!r} is given twice")
        out[name] = as_int(v, where / name, minimum=0, maximum=MAX_WORKLOAD_INT)
    return out


def read_einsum(value: Any, where: Where) -> Workload:
    """Read our Einsum workload format (see the module docstring)."""
    problem = as_mapping(value, where)
    check_keys(problem, where, _KEYS, required=("bounds",))
    if ("einsum" in problem) == ("data_spaces" in problem):
        where.fail("expected exactly one of 'einsum' (the whole Einsum in one string) or "
                   "'data_spaces' (one entry per tensor)")
    name = as_str(problem.get("name", "einsum"), where / "name")
    bounds = _read_bounds(problem["bounds"], where / "bounds")
    given = _read_coefficients(problem.get("coefficients"), where / "coefficients", bounds)
    names = _Names(bounds, given)
    if "einsum" in problem:
        spaces = _from_einsum(problem["einsum"], where / "einsum", names)
        text_w = where / "einsum"
    else:
        spaces = _from_data_spaces(problem["data_spaces"], where / "data_spaces", names)
        text_w = where / "data_spaces"
    seen: dict[str, int] = {}
    for i, ds in enumerate(spaces):
        if ds.name in seen:
            text_w.fail(f"tensor {ds.name!r} appears twice; every data space needs its own name")
        seen[ds.name] = i
    for d in bounds:
        if d not in names.used_dims:
            (where / "bounds" / d).fail(f"dimension {d!r} has a bound but indexes no tensor "
                                        f"(no index {d.lower()!r} in any rank)")
    for c in given:
        if c not in names.coefficients:
            hint = _closest(c, list(names.coefficients))
            (where / "coefficients" / c).fail(
                f"coefficient {c!r} is given but never used"
                + (f" (did you mean {hint!r}?)" if hint else ""))
    return Workload(name, tuple(bounds), bounds, tuple(spaces), dict(names.coefficients))


def _from_einsum(value: Any, where: Where, names: _Names) -> list[DataSpace]:
    text = as_str(value, where)
    parser = _Parser(text, where)
    output, inputs = parser.einsum()
    spaces = []
    for access in [*inputs, output]:
        ranks = [_rank(r, names, parser) for r in access.ranks]
        spaces.append(DataSpace(access.name, tuple(r for r, _ in ranks), access is output,
                                tuple(n for _, n in ranks)))
    return spaces


def _from_data_spaces(value: Any, where: Where, names: _Names) -> list[DataSpace]:
    spaces, outputs = [], []
    for i, entry in enumerate(as_list(value, where)):
        ew = where / i
        entry = as_mapping(entry, ew)
        check_keys(entry, ew, ("name", "ranks", "output"), required=("name", "ranks"))
        ds_name = as_str(entry["name"], ew / "name")
        output = entry.get("output", False)
        if not isinstance(output, bool):
            (ew / "output").fail(f"expected true or false, got {output!r}")
        ranks = []
        for r, rank in enumerate(as_list(entry["ranks"], ew / "ranks")):
            rw = ew / "ranks" / r
            if not isinstance(rank, str):
                rw.fail(f"expected a rank expression such as 'p' or 'p*Hstride + r', "
                        f"got {rank!r}")
            parser = _Parser(rank, rw)
            parsed = parser.rank()
            parser.end()
            ranks.append(_rank(parsed, names, parser))
        if output:
            outputs.append(ds_name)
        spaces.append(DataSpace(ds_name, tuple(r for r, _ in ranks), output,
                                tuple(n for _, n in ranks)))
    if len(outputs) != 1:
        where.fail(f"expected exactly one data space with output: true, found "
                   f"{len(outputs)}" + (f" ({', '.join(outputs)})" if outputs else ""))
    # Same order as the einsum form: inputs as written, then the output.
    return [ds for ds in spaces if not ds.read_write] + [ds for ds in spaces if ds.read_write]


def format_einsum(workload: Workload) -> str:
    """The Einsum of a workload in our syntax (indices lower-case, integer coefficients)."""
    def access(ds: DataSpace) -> str:
        ranks = ["+".join(d.lower() if c == 1 else f"{c}*{d.lower()}" for d, c in rank)
                 for rank in ds.ranks]
        return f"{ds.name}[{','.join(ranks)}]"
    inputs = [access(ds) for ds in workload.data_spaces if not ds.read_write]
    return f"{access(workload.output)} += {' * '.join(inputs)}"
