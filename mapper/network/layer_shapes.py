"""Common layer kinds as problems in our Einsum format (``mapper/spec/einsum.py``).

Every kind uses Timeloop's convolution dimensions, so that one set of template constraints
(``arch_templates/``) applies to all of them: N batch, M output channels, C input channels,
R/S filter width/height, P/Q output width/height, and G for groups (grouped and depthwise
convolutions, attention heads). A fully connected layer or a GEMM is a 1x1 convolution (as in
Timeloop); a batched matmul keeps the seven dimensions too, with unit R, S and Q. The
operands keep Timeloop's names (Weights, Inputs, Outputs) for the same reason: in an attention
matmul "Weights" is the second activation operand (K or V), which varies with N.
"""
from __future__ import annotations

from typing import Any

#: Inputs' height pairs Q with Hstride and S with Hdilation, width P with Wstride and R.
CONV = ("Outputs[n,m,q,p] += Weights[m,c,s,r] * "
        "Inputs[n,c,q*Hstride+s*Hdilation,p*Wstride+r*Wdilation]")
GROUPED_CONV = ("Outputs[n,g,m,q,p] += Weights[g,m,c,s,r] * "
                "Inputs[n,g,c,q*Hstride+s*Hdilation,p*Wstride+r*Wdilation]")
#: per (n, g): Outputs[p, m] = sum_c Inputs[p, c] * Weights[c, m]; both operands vary with n.
BATCHED_MATMUL = "Outputs[n,g,m,q,p] += Weights[n,g,m,c,s,r] * Inputs[n,g,c,q+s,p+r]"
EINSUMS = {"conv": CONV, "grouped_conv": GROUPED_CONV, "batched_matmul": BATCHED_MATMUL}


def conv_out(size: int, kernel: int, stride: int = 1, pad: int = 0, dilation: int = 1) -> int:
    """Output width of a convolution (the usual floor formula, pads on both sides)."""
    return (size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1


def conv(name: str, c: int, m: int, r: int, s: int, p: int, q: int, n: int = 1,
         stride: tuple[int, int] = (1, 1), dilation: tuple[int, int] = (1, 1),
         groups: int = 1) -> dict[str, Any]:
    """A (grouped) convolution; ``c``, ``m`` are totals, ``stride``/``dilation`` are (h, w).
    Output sizes ``p`` x ``q`` are given, so padding needs no dimension of its own."""
    if groups < 1 or c % groups or m % groups:
        raise ValueError(f"{name}: {c} input and {m} output channels do not split into "
                         f"{groups} groups")
    coefficients = {k: v for k, v in (("Hstride", stride[0]), ("Wstride", stride[1]),
                                      ("Hdilation", dilation[0]), ("Wdilation", dilation[1]))
                    if v != 1}
    if groups == 1:
        bounds = {"C": c, "M": m, "R": r, "S": s, "N": n, "P": p, "Q": q}
        out = {"name": name, "einsum": CONV, "bounds": bounds}
    else:
        bounds = {"G": groups, "C": c // groups, "M": m // groups, "R": r, "S": s, "N": n,
                  "P": p, "Q": q}
        out = {"name": name, "einsum": GROUPED_CONV, "bounds": bounds}
    if coefficients:
        out["coefficients"] = coefficients
    return out


def linear(name: str, c: int, m: int, rows: int = 1, n: int = 1) -> dict[str, Any]:
    """A fully connected layer / GEMM: ``rows`` x ``c`` inputs times ``c`` x ``m`` weights per
    sample (``rows`` = tokens of a sequence, 1 for a classifier), as a 1x1 convolution."""
    return conv(name, c, m, 1, 1, rows, 1, n)


def batched_matmul(name: str, rows: int, inner: int, cols: int, batch: int = 1,
                   n: int = 1) -> dict[str, Any]:
    """``batch`` independent (``rows`` x ``inner``) @ (``inner`` x ``cols``) products per
    sample: G = batch (e.g. attention heads), P = rows, C = inner, M = cols."""
    return {"name": name, "einsum": BATCHED_MATMUL,
            "bounds": {"G": batch, "C": inner, "M": cols, "R": 1, "S": 1, "N": n, "P": rows,
                       "Q": 1}}
