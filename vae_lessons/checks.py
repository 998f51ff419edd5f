"""Checks that can fail: "these agree within n standard errors", said in the reader's language.

A checked cell (``nbval-check-output``) exists to catch a wrong derivation or implementation, so
its tolerance comes from the standard error of the estimate, not from a wide margin. Every
chapter uses these helpers instead of writing its own::

    g = estimators.pathwise_grad(f, q_fn, params, repeats=2000)        # [repeats, P]
    vl.report(vl.checks.mean_agrees(g[:, 0], exact), "∂/∂μ 추정이 불편", "∂/∂μ estimate unbiased")

prints ``∂/∂μ estimate unbiased: yes`` (or ``no``) in English and the Korean line in Korean. The
printed line holds no number, so any CPU reproduces it; print the numbers in an unchecked cell.

With ``n_se = 3`` a correct estimator fails about 0.3 % of the time for a given seed, and the
seeds are fixed, so a passing check stays passing; a bias of a few standard errors fails it.
"""

from __future__ import annotations

import math

import torch

from .plots import tr

__all__ = ["standard_error", "agree", "mean_agrees", "report", "require"]


def _as_tensor(name: str, value) -> torch.Tensor:
    t = torch.as_tensor(value, dtype=torch.float64)
    if torch.isnan(t).any():
        raise ValueError(f"{name} contains NaN")
    return t


def standard_error(samples, dim: int = 0) -> torch.Tensor:
    """The standard error of the mean of i.i.d. ``samples`` along ``dim``: std / √n (float64)."""
    s = _as_tensor("samples", samples)
    n = s.shape[dim] if s.dim() else 0
    if n < 2:
        raise ValueError(f"samples must hold at least 2 values along dim {dim}, got {n}")
    return s.std(dim) / math.sqrt(n)


def _check_n_se(n_se: float) -> None:
    if not (isinstance(n_se, (int, float)) and math.isfinite(n_se) and n_se > 0):
        raise ValueError(f"n_se must be a positive number, got {n_se!r}")


def agree(estimate, target, se, *, n_se: float = 3.0) -> bool:
    """True when |estimate − target| ≤ n_se · se for every element (broadcast).

    ``se`` is the standard error of ``estimate`` (of ``estimate − target`` when the target is
    itself estimated). A zero ``se`` allows only the float64 round-off of the values compared.
    """
    _check_n_se(n_se)
    e, t, s = (
        _as_tensor(n, v) for n, v in (("estimate", estimate), ("target", target), ("se", se))
    )
    if (s < 0).any():
        raise ValueError("se must be >= 0")
    slack = 8 * torch.finfo(torch.float64).eps * torch.maximum(e.abs(), t.abs())
    return bool(((e - t).abs() <= n_se * s + slack).all())


def mean_agrees(samples, target, *, n_se: float = 3.0, dim: int = 0) -> bool:
    """True when the mean of i.i.d. ``samples`` is within ``n_se`` standard errors of ``target``."""
    s = _as_tensor("samples", samples)
    return agree(s.mean(dim), target, standard_error(s, dim), n_se=n_se)


def report(ok: bool, ko: str, en: str) -> None:
    """Print ``"<claim>: 예"`` / ``"<claim>: yes"`` (or 아니오 / no) in the reader's language.

    The claim is given in both languages so a chapter's code stays identical in both editions.
    Returns nothing, so a checked cell that ends with ``vl.report(...)`` shows only the line.
    """
    if not isinstance(ok, bool):
        raise ValueError(f"ok must be a bool, got {type(ok).__name__}")
    print(f"{tr(ko, en)}: {tr('예' if ok else '아니오', 'yes' if ok else 'no')}")


def require(ok: bool, ko: str, en: str, *, got: str = "") -> None:
    """An exercise's check: print ``"통과: <claim>"`` / ``"passed: <claim>"``, or raise.

    When ``ok`` is false it raises ``AssertionError("expected: <claim>; got: <got>")`` in the
    reader's language, so a student (and nbval, which fails a cell that raises) sees in words what
    was expected and what their code gave. The printed line holds no number: a correct answer
    written in any way prints the same line, which is what nbval compares.
    """
    if not isinstance(ok, bool):
        raise ValueError(f"ok must be a bool, got {type(ok).__name__}")
    claim = tr(ko, en)
    if ok:
        print(f"{tr('통과', 'passed')}: {claim}")
        return
    message = f"{tr('기대한 것', 'expected')}: {claim}"
    if got:
        message += f"; {tr('얻은 값', 'got')}: {got}"
    raise AssertionError(message)
