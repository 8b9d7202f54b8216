"""A small safe evaluator for arithmetic in attribute values (Accelergy allows ``depth * 2``).

Only numbers, names of other attributes, + - * / // % **, parentheses and a few pure functions
(min, max, ceil, floor, log2, round, abs) are allowed; nothing is ever passed to ``eval``.
"""
from __future__ import annotations

import ast
import math
import operator
from typing import Any

from .errors import Where

_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
           ast.Pow: operator.pow}
_UNOPS = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCS = {"min": min, "max": max, "ceil": math.ceil, "floor": math.floor, "log2": math.log2,
          "round": round, "abs": abs, "sqrt": math.sqrt}


def evaluate(value: Any, names: dict[str, Any], where: Where, _depth: int = 0) -> Any:
    """Evaluate ``value`` if it is an arithmetic string; other values pass through."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        pass
    if _depth > 20:
        where.fail(f"attribute expressions refer to each other in a cycle: {value!r}")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return value  # a plain string attribute (e.g. technology: 45nm, type: LPDDR4)
    try:
        return _eval(tree.body, names, where, _depth)
    except _NotArithmetic:
        return value
    except (ZeroDivisionError, OverflowError, ValueError, TypeError) as e:
        where.fail(f"cannot evaluate {value!r}: {e}")


class _NotArithmetic(Exception):
    pass


def _eval(node: ast.AST, names: dict[str, Any], where: Where, depth: int) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left = _eval(node.left, names, where, depth)
        right = _eval(node.right, names, where, depth)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            where.fail("exponent too large in attribute expression")
        return _BINOPS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNOPS:
        return _UNOPS[type(node.op)](_eval(node.operand, names, where, depth))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in _FUNCS and not node.keywords:
        return _FUNCS[node.func.id](*(_eval(a, names, where, depth) for a in node.args))
    if isinstance(node, ast.Name):
        if node.id in names:
            v = evaluate(names[node.id], names, where, depth + 1)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return v
        raise _NotArithmetic(node.id)
    raise _NotArithmetic(ast.dump(node))
