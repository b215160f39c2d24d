"""Forward mode: dual numbers whose tangent carries k directions at once.

A :class:`Dual` holds ``value`` (shape ``S``) and ``tangent`` (shape ``(k, *S)``, the direction axis
first). Each rule maps ``(value, tangent)`` through an operation and its derivative; because the
direction axis leads, elementwise rules broadcast over it for free and a product with a constant matrix
is one BLAS call over ``(k * ..., n)`` rows. Seeding ``tangent`` with the identity gives a whole Jacobian
in one pass (:func:`robokin.autodiff.jacfwd`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _rules as R
from ._base import ADArray, new_level, unsupported

__all__ = ["Dual"]

_KIND = "Dual"
_SCALARS = (int, float, np.integer, np.floating)


class Dual(ADArray):
    """A value and k tangent directions: ``value`` ``(*S)``, ``tangent`` ``(k, *S)``.

    Args:
        value: The primal value, shape ``S``.
        tangent: The tangents, shape ``(k, *S)`` (``k`` directions pushed forward together).
        level: Nesting level; a fresh one (above every existing level) when omitted.

    Raises:
        ShapeError: If ``tangent.shape[1:]`` differs from ``value.shape``.
    """

    __slots__ = ("tangent",)
    _kind = _KIND

    def __init__(self, value: Any, tangent: Any, level: int | None = None) -> None:
        if level is None:
            from ..errors import ShapeError

            value = value if isinstance(value, ADArray) else np.asarray(value, dtype=float)
            tangent = tangent if isinstance(tangent, ADArray) else np.asarray(tangent, dtype=float)
            if tuple(tangent.shape[1:]) != tuple(np.shape(value)):
                raise ShapeError(
                    f"Dual tangent must have shape (k, *value.shape) = (k, {', '.join(map(str, np.shape(value)))}),"
                    f" got {tuple(tangent.shape)}"
                )
            level = new_level()
        self.value = value
        self.tangent = tangent
        self._level = level

    def __repr__(self) -> str:
        return f"Dual(value={self.value!r}, tangent.shape={tuple(self.tangent.shape)}, level={self._level})"

    def _getitem(self, key: Any) -> "Dual":
        key, basic = R.normalize_key(key, _KIND)
        return Dual(self.value[key], R.gather(self.tangent, key, basic, 1), self._level)

    def _scatter(self, key: tuple[Any, ...], basic: bool, shape: tuple[int, ...], lead: int) -> "Dual":
        # scatter is linear: d scatter(x) = scatter(dx) (one more leading axis on the tangent)
        return Dual(
            R.scatter(self.value, key, basic, shape, lead),
            R.scatter(self.tangent, key, basic, shape, lead + 1),
            self._level,
        )


# ---------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------


def _parts(x: Any, level: int) -> tuple[Any, Any]:
    """(value, tangent) of ``x`` at ``level``; tangent None for constants (incl. AD values of other levels)."""
    if isinstance(x, Dual) and x._level == level:
        return x.value, x.tangent
    if isinstance(x, (np.ndarray, ADArray) + _SCALARS):
        return x, None
    return np.asarray(x), None


def _k(*tangents: Any) -> int:
    return next(t.shape[0] for t in tangents if t is not None)


def _add(t: Any, s: Any) -> Any:
    """t + s, where either may be None (a zero tangent)."""
    if t is None:
        return s
    if s is None:
        return t
    return t + s


def _dual(value: Any, tangent: Any, level: int) -> Any:
    """A Dual at ``level``, or the plain value when no tangent flowed into it."""
    if tangent is None:
        return value
    return Dual(value, R.fit(tangent, np.shape(value)), level)


def _matmul_right(t: Any, b: Any) -> Any:
    """``t @ b`` where ``t`` is a (k, ..., i, j) tangent; a constant 2-D ``b`` makes it one BLAS call."""
    if type(b) is np.ndarray and b.ndim == 2 and type(t) is np.ndarray:
        return np.reshape(np.reshape(t, (-1, t.shape[-1])) @ b, t.shape[:-1] + b.shape[-1:])
    return np.matmul(t, b)


# ---------------------------------------------------------------------------------------------------------
# ufuncs
# ---------------------------------------------------------------------------------------------------------


def _unary_rule(ufunc: np.ufunc) -> Any:
    deriv = R.UNARY_DERIVS[ufunc]

    def rule(level: int, x: Any) -> Any:
        v, t = _parts(x, level)
        y = ufunc(v)
        return Dual(y, t * deriv(v, y), level)  # d f(x) = f'(x) dx

    return rule


def _negative(level: int, x: Any) -> Any:
    v, t = _parts(x, level)
    return Dual(np.negative(v), np.negative(t), level)


def _positive(level: int, x: Any) -> Any:
    return x


def _linear_rule(ufunc: np.ufunc, sign: float) -> Any:
    def rule(level: int, a: Any, b: Any) -> Any:
        av, ta = _parts(a, level)
        bv, tb = _parts(b, level)
        y = ufunc(av, bv)
        nd = np.ndim(y)
        if tb is not None:
            tb = align(tb, nd)
            if sign < 0:
                tb = np.negative(tb)
        # d(a ± b) = da ± db
        return _dual(y, _add(None if ta is None else align(ta, nd), tb), level)

    return rule


align = R.align


def _smooth_rule(ufunc: np.ufunc) -> Any:
    def rule(level: int, a: Any, b: Any) -> Any:
        av, ta = _parts(a, level)
        bv, tb = _parts(b, level)
        y = ufunc(av, bv)
        nd = np.ndim(y)
        da, db = R.binary_partials(ufunc, av, bv, y, ta is not None, tb is not None)
        t = None
        if ta is not None:
            t = align(ta, nd) * da
        if tb is not None:
            t = _add(t, align(tb, nd) * db)
        return _dual(y, t, level)

    return rule


def _select_rule(ufunc: np.ufunc, mask_ufunc: np.ufunc) -> Any:
    def rule(level: int, a: Any, b: Any) -> Any:
        av, ta = _parts(a, level)
        bv, tb = _parts(b, level)
        y = ufunc(av, bv)
        nd = np.ndim(y)
        pick_a = mask_ufunc(av, bv)  # the derivative follows the chosen argument; ties follow a
        k = _k(ta, tb)
        ta = 0.0 if ta is None else align(ta, nd)
        tb = 0.0 if tb is None else align(tb, nd)
        t = np.where(pick_a, ta, tb)
        return Dual(y, np.broadcast_to(t, (k,) + np.shape(y)) if np.shape(t) != (k,) + np.shape(y) else t, level)

    return rule


def _matmul(level: int, a: Any, b: Any) -> Any:
    promoted = R.matmul_vectors(a, b)
    if promoted is not None:
        return promoted
    av, ta = _parts(a, level)
    bv, tb = _parts(b, level)
    y = np.matmul(av, bv)
    nd = np.ndim(y)
    # d(AB) = dA B + A dB
    t = None if ta is None else _matmul_right(align(ta, nd), bv)
    if tb is not None:
        t = _add(t, np.matmul(av, align(tb, nd)))
    return _dual(y, t, level)


_UFUNC_RULES: dict[Any, Any] = {u: _unary_rule(u) for u in R.UNARY_DERIVS}
_UFUNC_RULES.update({u: _linear_rule(u, s) for u, s in R.BINARY_LINEAR.items()})
_UFUNC_RULES.update({u: _smooth_rule(u) for u in R.BINARY_SMOOTH})
_UFUNC_RULES.update({u: _select_rule(u, m) for u, m in R.BINARY_SELECT.items()})
_UFUNC_RULES.update({np.negative: _negative, np.positive: _positive, np.matmul: _matmul})


# ---------------------------------------------------------------------------------------------------------
# array functions (all linear in the array argument except the linalg ones)
# ---------------------------------------------------------------------------------------------------------


def _no_out(name: str, out: Any = None, **kw: Any) -> None:
    if out is not None:
        raise TypeError(f"robokin.autodiff: {name} with out= writes in place, not supported for Dual values")
    bad = {k: v for k, v in kw.items() if v is not None and k not in ("initial",)}
    if bad:
        raise unsupported(f"{name} with keyword arguments {sorted(bad)}", _KIND)


def _sum(level: int, a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, **kw: Any) -> Any:
    _no_out("numpy.sum", out, dtype=dtype, **kw)
    v, t = _parts(a, level)
    axes = R.norm_axes(axis, np.ndim(v))
    keepdims = bool(keepdims) if keepdims is not np._NoValue else False
    return Dual(np.sum(v, axis=axes, keepdims=keepdims), np.sum(t, axis=tuple(i + 1 for i in axes), keepdims=keepdims), level)


def _transpose(level: int, a: Any, axes: Any = None) -> Any:
    v, t = _parts(a, level)
    nd = np.ndim(v)
    perm = tuple(range(nd))[::-1] if axes is None else tuple(R._norm(int(i), nd) for i in axes)
    return Dual(np.transpose(v, perm), np.transpose(t, (0,) + tuple(i + 1 for i in perm)), level)


def _reshape(level: int, a: Any, shape: Any = None, order: str = "C", *, newshape: Any = None, copy: Any = None) -> Any:
    if order != "C":
        raise unsupported(f"numpy.reshape with order={order!r}", _KIND)
    shape = newshape if shape is None else shape
    v, t = _parts(a, level)
    y = np.reshape(v, shape)
    return Dual(y, np.reshape(t, t.shape[:1] + np.shape(y)), level)


def _broadcast_to(level: int, a: Any, shape: Any, subok: bool = False) -> Any:
    v, t = _parts(a, level)
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return Dual(np.broadcast_to(v, shape), np.broadcast_to(align(t, len(shape)), t.shape[:1] + shape), level)


def _zeros_for(v: Any, k: int) -> np.ndarray:
    return np.zeros((k,) + np.shape(v))


def _stack(level: int, arrays: Any, axis: int = 0, out: Any = None, **kw: Any) -> Any:
    _no_out("numpy.stack", out, **kw)
    parts = [_parts(x, level) for x in arrays]
    y = np.stack([v for v, _ in parts], axis=axis)
    ax = R._norm(axis, np.ndim(y))
    k = _k(*(t for _, t in parts))
    return Dual(y, np.stack([_zeros_for(v, k) if t is None else t for v, t in parts], axis=ax + 1), level)


def _concatenate(level: int, arrays: Any, axis: Any = 0, out: Any = None, **kw: Any) -> Any:
    _no_out("numpy.concatenate", out, **kw)
    if axis is None:
        return np.concatenate([np.ravel(x) for x in arrays], axis=0)
    parts = [_parts(x, level) for x in arrays]
    y = np.concatenate([v for v, _ in parts], axis=axis)
    ax = R._norm(axis, np.ndim(y))
    k = _k(*(t for _, t in parts))
    return Dual(y, np.concatenate([_zeros_for(v, k) if t is None else t for v, t in parts], axis=ax + 1), level)


def _where(level: int, condition: Any, x: Any = None, y: Any = None) -> Any:
    if x is None or y is None:
        raise unsupported("numpy.where with one argument (use numpy.nonzero on .value)", _KIND)
    c = condition.value if isinstance(condition, ADArray) else condition  # piecewise constant in c
    av, ta = _parts(x, level)
    bv, tb = _parts(y, level)
    out = np.where(c, av, bv)
    nd = np.ndim(out)
    k = _k(ta, tb)
    t = np.where(c, 0.0 if ta is None else align(ta, nd), 0.0 if tb is None else align(tb, nd))
    return Dual(out, np.broadcast_to(t, (k,) + np.shape(out)) if np.shape(t) != (k,) + np.shape(out) else t, level)


def _cross_axis(name: str, axisa: int, axisb: int, axisc: int, axis: Any) -> None:
    if axis is None and (axisa, axisb, axisc) != (-1, -1, -1):
        raise unsupported(f"{name} with axisa/axisb/axisc (use axis= or move the axis last)", _KIND)


def _cross(level: int, a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None) -> Any:
    _cross_axis("numpy.cross", axisa, axisb, axisc, axis)
    if axis is not None and axis != -1:
        return np.moveaxis(np.cross(np.moveaxis(a, axis, -1), np.moveaxis(b, axis, -1)), -1, axis)
    av, ta = _parts(a, level)
    bv, tb = _parts(b, level)
    if np.shape(av)[-1] != 3 or np.shape(bv)[-1] != 3:
        raise unsupported("numpy.cross of 2-vectors", _KIND)
    y = np.cross(av, bv)
    nd = np.ndim(y)
    # d(a × b) = da × b + a × db
    t = None if ta is None else np.cross(align(ta, nd), bv)
    if tb is not None:
        t = _add(t, np.cross(av, align(tb, nd)))
    return _dual(y, t, level)


def _einsum(level: int, subscripts: Any, *operands: Any, out: Any = None, **kw: Any) -> Any:
    _no_out("numpy.einsum", out)
    inputs, outsub = R.parse_einsum(subscripts, len(operands), _KIND)
    parts = [_parts(x, level) for x in operands]
    values = [v for v, _ in parts]
    y = np.einsum(",".join(inputs) + "->" + outsub, *values, **kw)
    k = R.free_letter(*inputs, outsub)
    t = None
    for i, (_, ti) in enumerate(parts):
        if ti is None:
            continue
        # einsum is multilinear: d einsum(..., Aᵢ, ...) = Σᵢ einsum(..., dAᵢ, ...)
        spec = ",".join(k + s if j == i else s for j, s in enumerate(inputs)) + "->" + k + outsub
        t = _add(t, np.einsum(spec, *(ti if j == i else v for j, v in enumerate(values)), **kw))
    return _dual(y, t, level)


def _diagonal(level: int, a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    v, t = _parts(a, level)
    nd = np.ndim(v)
    a1, a2 = R._norm(axis1, nd), R._norm(axis2, nd)
    return Dual(np.diagonal(v, offset, a1, a2), np.diagonal(t, offset, a1 + 1, a2 + 1), level)


def _det(level: int, a: Any) -> Any:
    v, t = _parts(a, level)
    y = np.linalg.det(v)
    adj = R.adjugate(v, y)
    # Jacobi's formula: d det A = tr(adj(A) dA) = Σᵢⱼ adj(A)ⱼᵢ dAᵢⱼ
    return Dual(y, np.sum(np.swapaxes(adj, -1, -2) * t, axis=(-2, -1)), level)


def _inv(level: int, a: Any) -> Any:
    v, t = _parts(a, level)
    y = np.linalg.inv(v)
    # d(A⁻¹) = -A⁻¹ dA A⁻¹
    return Dual(y, np.negative(np.matmul(np.matmul(y, t), y)), level)


def _solve(level: int, a: Any, b: Any) -> Any:
    if np.ndim(b) == 1:
        return R.solve_vector(a, b)
    av, ta = _parts(a, level)
    bv, tb = _parts(b, level)
    x = np.linalg.solve(av, bv)
    nd = np.ndim(x)
    # A X = B  ⇒  dA X + A dX = dB  ⇒  dX = A⁻¹ (dB - dA X)
    rhs = None if tb is None else align(tb, nd)
    if ta is not None:
        rhs = _add(rhs, np.negative(np.matmul(align(ta, nd), x)))
    k = rhs.shape[0]
    rhs = np.broadcast_to(rhs, (k,) + np.shape(x))
    return Dual(x, np.linalg.solve(av, rhs), level)


def _norm(level: int, x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    v, t = _parts(x, level)
    y, unit, axes = R.norm_parts(v, axis, keepdims, _KIND, ord)
    # d‖x‖ = ⟨x / ‖x‖, dx⟩ (0 at x = 0)
    return Dual(y, np.sum(t * unit, axis=tuple(i + 1 for i in axes), keepdims=keepdims), level)


_FUNC_RULES: dict[Any, Any] = {
    np.sum: _sum,
    np.transpose: _transpose,
    np.reshape: _reshape,
    np.broadcast_to: _broadcast_to,
    np.stack: _stack,
    np.concatenate: _concatenate,
    np.where: _where,
    np.cross: _cross,
    np.einsum: _einsum,
    np.diagonal: _diagonal,
    np.linalg.det: _det,
    np.linalg.inv: _inv,
    np.linalg.solve: _solve,
    np.linalg.norm: _norm,
}

Dual._UFUNC_RULES = _UFUNC_RULES
Dual._FUNC_RULES = _FUNC_RULES
