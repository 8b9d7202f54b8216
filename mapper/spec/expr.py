"""A small safe evaluator for arithmetic in attribute values (Accelergy allows ``depth * 2``).

Only numbers, names of other attributes, + - * / // % **, comparisons, ``and``/``or``/``not``,
``x if c else y``, parentheses and a few pure functions (min, max, ceil, floor, log, log2,
log10, round, abs, sqrt) are allowed; nothing is ever passed to ``eval``. The evaluator is
bounded so that hostile input cannot hang it: an expression has at most
:data:`MAX_EXPRESSION_CHARS` characters, an integer at most :data:`MAX_INT_BITS` bits (an
exponent that would exceed it is refused before it is computed), and names may refer to each
other :data:`MAX_NAME_DEPTH` deep.
"""
from __future__ import annotations

import ast
import math
import operator
from typing import Any

from .errors import Where

MAX_EXPRESSION_CHARS = 2000
MAX_INT_BITS = 1024
MAX_NAME_DEPTH = 20

_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
           ast.Pow: operator.pow}
_UNOPS = {ast.UAdd: operator.pos, ast.USub: operator.neg, ast.Not: operator.not_}
_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
            ast.GtE: operator.ge, ast.Eq: operator.eq, ast.NotEq: operator.ne}
_FUNCS = {"min": min, "max": max, "ceil": math.ceil, "floor": math.floor, "log2": math.log2,
          "log": math.log, "log10": math.log10, "round": round, "abs": abs, "sqrt": math.sqrt}


def evaluate(value: Any, names: dict[str, Any], where: Where, _depth: int = 0) -> Any:
    """Evaluate ``value`` if it is an arithmetic string; other values pass through."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if len(text) <= 40:
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            pass
    if len(text) > MAX_EXPRESSION_CHARS:
        where.fail(f"an expression of {len(text):,} characters: expressions are limited to "
                   f"{MAX_EXPRESSION_CHARS:,} (write a number, or split it into variables)")
    if _depth > MAX_NAME_DEPTH:
        where.fail(f"attribute expressions refer to each other in a cycle (or more than "
                   f"{MAX_NAME_DEPTH} deep): {value!r}")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return value  # a plain string attribute (e.g. technology: 45nm, type: LPDDR4)
    try:
        return _eval(tree.body, names, where, _depth)
    except _NotArithmetic:
        return value
    except RecursionError:
        where.fail(f"expression nested too deeply: {_short(value)}")
    except (ZeroDivisionError, OverflowError, ValueError, TypeError) as e:
        where.fail(f"cannot evaluate {_short(value)}: {e}")


def _short(value: str) -> str:
    return repr(value) if len(value) <= 80 else repr(value[:77] + "...")


class _NotArithmetic(Exception):
    pass


def _bits(x: Any) -> float:
    """log2 of the magnitude of a number (0 for magnitudes up to 1)."""
    if isinstance(x, (int, float)) and x and (not isinstance(x, float) or math.isfinite(x)):
        return max(0.0, math.log2(abs(x)))
    return 0.0


def _checked(x: Any) -> Any:
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > MAX_INT_BITS:
        raise OverflowError(f"a number of {x.bit_length():,} bits: numbers are limited to "
                            f"{MAX_INT_BITS} bits")
    if isinstance(x, float) and not math.isfinite(x):
        raise OverflowError("the result is not a finite number")
    if isinstance(x, complex):
        raise ValueError("the result is not a real number")
    return x


def _power(left: Any, right: Any) -> Any:
    if isinstance(right, (int, float)) and right > 0 and _bits(left) * right > MAX_INT_BITS:
        raise OverflowError(f"exponent too large: the result would have about "
                            f"{int(_bits(left) * right):,} bits (numbers are limited to "
                            f"{MAX_INT_BITS})")
    return left ** right


def _eval(node: ast.AST, names: dict[str, Any], where: Where, depth: int) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return _checked(node.value)
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left = _eval(node.left, names, where, depth)
        right = _eval(node.right, names, where, depth)
        if isinstance(node.op, ast.Pow):
            return _checked(_power(left, right))
        return _checked(_BINOPS[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNOPS:
        return _UNOPS[type(node.op)](_eval(node.operand, names, where, depth))
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        left = _eval(node.left, names, where, depth)
        for op, right_node in zip(node.ops, node.comparators):
            right = _eval(right_node, names, where, depth)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.BoolOp):        # Python's: the deciding operand
        is_and = isinstance(node.op, ast.And)
        for v in node.values:
            result = _eval(v, names, where, depth)
            if bool(result) != is_and:
                return result
        return result
    if isinstance(node, ast.IfExp):
        test = _eval(node.test, names, where, depth)
        return _eval(node.body if test else node.orelse, names, where, depth)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in _FUNCS and not node.keywords:
        args = [_eval(a, names, where, depth) for a in node.args]
        return _checked(_FUNCS[node.func.id](*args))
    if isinstance(node, ast.Name):
        if node.id in names:
            v = evaluate(names[node.id], names, where, depth + 1)
            if isinstance(v, (int, float)):
                return v
        raise _NotArithmetic(node.id)
    raise _NotArithmetic(ast.dump(node))
