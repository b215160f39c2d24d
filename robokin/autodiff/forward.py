"""Forward mode: dual numbers whose tangent carries k directions at once.

A :class:`Dual` holds ``value`` (shape ``S``) and ``tangent`` (shape ``(k, *S)``, the direction axis
first). Each rule maps ``(value, tangent)`` through an operation and its derivative; because the
direction axis leads, elementwise rules broadcast over it for free and a product with a constant matrix
is one matmul over ``(k, ..., n)``. Seeding ``tangent`` with the identity gives a whole Jacobian in one
pass (:func:`robokin.autodiff.jacfwd`).

Internally the tangent is stored only over the contiguous range of directions ``[lo, lo + w)`` outside of
which it is known to be zero. In a kinematic chain the pose after joint i depends on q₀..qᵢ only, and
``q[:, i]`` of the identity seed has one direction: tracking this range halves the work of a Jacobian
without any per-element bookkeeping.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _rules as R
from ._base import ADArray, new_level, reject_out, unsupported

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

    __slots__ = ("_t", "_lo", "_k", "_seed_b")
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
        self._t = tangent
        self._lo = 0
        self._k = tangent.shape[0]
        self._seed_b: int | None = None
        self._level = level

    @classmethod
    def _identity_seed(cls, x: Any, batch_ndim: int, level: int) -> Dual:
        """x with the identity tangent over its event axes (``k = prod(x.shape[batch_ndim:])``)."""
        shape = tuple(x.shape)
        event = shape[batch_ndim:]
        k = int(np.prod(event, dtype=np.int64))
        eye = np.eye(k).reshape((k,) + (1,) * batch_ndim + event)
        d = cls(x, np.broadcast_to(eye, (k,) + shape), level)
        d._seed_b = batch_ndim
        return d

    @property
    def tangent(self) -> Any:
        """All k tangent directions, shape ``(k, *value.shape)``."""
        return _pad(self._t, self._lo, 0, self._k)

    def __repr__(self) -> str:
        return f"Dual(value={self.value!r}, tangent.shape={(self._k,) + self.shape}, level={self._level})"

    def _getitem(self, key: Any) -> Dual:
        key, basic = R.normalize_key(key, _KIND)
        if self._seed_b is not None:
            return self._getitem_seed(key)
        return _new(self.value[key], R.gather(self._t, key, basic, 1), self._lo, self._k, self._level)

    def _getitem_seed(self, key: tuple[Any, ...]) -> Dual:
        # each element of the identity seed moves along exactly one direction: find which, keep that range
        shape, b = self.shape, self._seed_b
        assert b is not None  # only called for a seed (see __getitem__): an invariant, not a user input
        event = shape[b:]
        direction = np.broadcast_to(np.arange(self._k).reshape((1,) * b + event), shape)[key]
        value = self.value[key]
        if direction.size == 0:
            return _new(value, np.zeros((1,) + direction.shape), 0, self._k, self._level)
        lo, hi = int(direction.min()), int(direction.max()) + 1
        t = (np.arange(lo, hi).reshape((-1,) + (1,) * direction.ndim) == direction).astype(np.float64)
        return _new(value, t, lo, self._k, self._level)

    def _scatter(self, key: tuple[Any, ...], basic: bool, shape: tuple[int, ...], lead: int) -> Dual:
        # scatter is linear: d scatter(x) = scatter(dx) (one more leading axis on the tangent)
        return _new(
            R.scatter(self.value, key, basic, shape, lead),
            R.scatter(self._t, key, basic, shape, lead + 1),
            self._lo,
            self._k,
            self._level,
        )


# ---------------------------------------------------------------------------------------------------------
# helpers: a tangent is (lo, t) with t of shape (w, ...) for the directions [lo, lo + w)
# ---------------------------------------------------------------------------------------------------------


def _new(value: Any, t: Any, lo: int, k: int, level: int) -> Dual:
    d = Dual.__new__(Dual)
    d.value, d._t, d._lo, d._k, d._seed_b, d._level = value, t, lo, k, None, level
    return d


def _parts(x: Any, level: int) -> tuple[Any, Any, int, int]:
    """(value, t, lo, k) of ``x`` at ``level``; ``t`` None for constants (incl. AD values of other levels)."""
    if isinstance(x, Dual) and x._level == level:
        return x.value, x._t, x._lo, x._k
    if isinstance(x, (np.ndarray, ADArray) + _SCALARS):
        return x, None, 0, 0
    return np.asarray(x), None, 0, 0


def _pad(t: Any, lo: int, new_lo: int, new_hi: int) -> Any:
    """Tangent ``t`` over ``[lo, lo + w)`` extended with zeros to ``[new_lo, new_hi)``."""
    w = t.shape[0]
    before, after = lo - new_lo, new_hi - lo - w
    if before == 0 and after == 0:
        return t
    if type(t) is np.ndarray:
        out = np.zeros((new_hi - new_lo,) + t.shape[1:], dtype=np.result_type(t.dtype, np.float64))
        out[before : before + w] = t
        return out
    parts = [np.zeros((before,) + t.shape[1:])] if before else []
    parts.append(t)
    if after:
        parts.append(np.zeros((after,) + t.shape[1:]))
    return np.concatenate(parts, axis=0)


def _combine(terms: list[tuple[int, Any]]) -> tuple[int, Any]:
    """Σ of tangent terms ``(lo, t)`` over possibly different direction ranges (t broadcast-compatible)."""
    if len(terms) == 1:
        return terms[0]
    lo = min(off for off, _ in terms)
    hi = max(off + t.shape[0] for off, t in terms)
    if all(off == lo and t.shape[0] == hi - lo for off, t in terms):
        total = terms[0][1] + terms[1][1]
        for _, t in terms[2:]:
            total = _iadd(total, t)
        return lo, total
    if all(type(t) is np.ndarray for _, t in terms):
        shape = np.broadcast_shapes(*(t.shape[1:] for _, t in terms))
        out = np.zeros((hi - lo,) + shape)
        for off, t in terms:
            out[off - lo : off - lo + t.shape[0]] += t
        return lo, out
    total = None
    for off, t in terms:
        p = _pad(t, off, lo, hi)
        total = p if total is None else total + p
    return lo, total


def _iadd(total: Any, t: Any) -> Any:
    """total + t, in place when ``total`` is a fresh plain array that already has the result's shape."""
    if type(total) is np.ndarray and type(t) is np.ndarray and np.broadcast_shapes(total.shape, t.shape) == total.shape:
        total += t
        return total
    return total + t


def _dual(value: Any, term: tuple[int, Any] | None, k: int, level: int) -> Any:
    """A Dual at ``level`` from a combined tangent term, broadcast to the value's shape."""
    if term is None:
        return value
    lo, t = term
    return _new(value, R.fit(t, np.shape(value)), lo, k, level)


def _k(*ks: int) -> int:
    return max(ks)


def _matmul_right(t: Any, b: Any) -> Any:
    """``t @ b`` for a (w, ..., i, j) tangent."""
    return np.matmul(t, b)


align = R.align


# ---------------------------------------------------------------------------------------------------------
# ufuncs
# ---------------------------------------------------------------------------------------------------------


def _unary_rule(ufunc: np.ufunc) -> Any:
    deriv = R.UNARY_DERIVS[ufunc]

    def rule(level: int, x: Any) -> Any:
        v, t, lo, k = _parts(x, level)
        y = ufunc(v)
        return _new(y, t * deriv(v, y), lo, k, level)  # d f(x) = f'(x) dx

    return rule


def _negative(level: int, x: Any) -> Any:
    v, t, lo, k = _parts(x, level)
    return _new(np.negative(v), np.negative(t), lo, k, level)


def _positive(level: int, x: Any) -> Any:
    return x


def _terms(*pairs: tuple[int, Any]) -> list[tuple[int, Any]]:
    return [(lo, t) for lo, t in pairs if t is not None]


def _linear_rule(ufunc: np.ufunc, sign: float) -> Any:
    def rule(level: int, a: Any, b: Any) -> Any:
        av, ta, la, ka = _parts(a, level)
        bv, tb, lb, kb = _parts(b, level)
        y = ufunc(av, bv)
        nd = np.ndim(y)
        # d(a ± b) = da ± db
        if tb is not None:
            tb = align(tb, nd)
            if sign < 0:
                tb = np.negative(tb)
        if ta is not None:
            ta = align(ta, nd)
        return _dual(y, _combine(_terms((la, ta), (lb, tb))), _k(ka, kb), level)

    return rule


def _smooth_rule(ufunc: np.ufunc) -> Any:
    def rule(level: int, a: Any, b: Any) -> Any:
        av, ta, la, ka = _parts(a, level)
        bv, tb, lb, kb = _parts(b, level)
        y = ufunc(av, bv)
        nd = np.ndim(y)
        da, db = R.binary_partials(ufunc, av, bv, y, ta is not None, tb is not None)
        terms = []
        if ta is not None:
            terms.append((la, align(ta, nd) * da))
        if tb is not None:
            terms.append((lb, align(tb, nd) * db))
        return _dual(y, _combine(terms), _k(ka, kb), level)

    return rule


def _select(cond: Any, pa: tuple[int, Any], pb: tuple[int, Any], nd: int) -> tuple[int, Any]:
    """np.where(cond, ta, tb) for tangents over possibly different direction ranges (None = zero)."""
    present = [(off, t) for off, t in (pa, pb) if t is not None]
    lo = min(off for off, _ in present)
    hi = max(off + t.shape[0] for off, t in present)
    ta = 0.0 if pa[1] is None else _pad(align(pa[1], nd), pa[0], lo, hi)
    tb = 0.0 if pb[1] is None else _pad(align(pb[1], nd), pb[0], lo, hi)
    return lo, np.where(cond, ta, tb)


def _select_rule(ufunc: np.ufunc, mask_ufunc: np.ufunc) -> Any:
    def rule(level: int, a: Any, b: Any) -> Any:
        av, ta, la, ka = _parts(a, level)
        bv, tb, lb, kb = _parts(b, level)
        y = ufunc(av, bv)
        pick_a = mask_ufunc(av, bv)  # the derivative follows the chosen argument; ties follow a
        return _dual(y, _select(pick_a, (la, ta), (lb, tb), np.ndim(y)), _k(ka, kb), level)

    return rule


def _matmul(level: int, a: Any, b: Any) -> Any:
    promoted = R.matmul_vectors(a, b)
    if promoted is not None:
        return promoted
    av, ta, la, ka = _parts(a, level)
    bv, tb, lb, kb = _parts(b, level)
    y = np.matmul(av, bv)
    nd = np.ndim(y)
    # d(AB) = dA B + A dB
    terms = []
    if ta is not None:
        terms.append((la, _matmul_right(align(ta, nd), bv)))
    if tb is not None:
        terms.append((lb, np.matmul(av, align(tb, nd))))
    return _dual(y, _combine(terms), _k(ka, kb), level)


_UFUNC_RULES: dict[Any, Any] = {u: _unary_rule(u) for u in R.UNARY_DERIVS}
_UFUNC_RULES.update({u: _linear_rule(u, s) for u, s in R.BINARY_LINEAR.items()})
_UFUNC_RULES.update({u: _smooth_rule(u) for u in R.BINARY_SMOOTH})
_UFUNC_RULES.update({u: _select_rule(u, m) for u, m in R.BINARY_SELECT.items()})
_UFUNC_RULES.update({np.negative: _negative, np.positive: _positive, np.matmul: _matmul})


# ---------------------------------------------------------------------------------------------------------
# array functions (all linear in the array argument except the linalg ones)
# ---------------------------------------------------------------------------------------------------------


def _no_out(name: str, out: Any = None, **kw: Any) -> None:
    reject_out(_KIND, name, out, **kw)


def _sum(
    level: int, a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, **kw: Any
) -> Any:
    _no_out("numpy.sum", out, dtype=dtype, **kw)
    v, t, lo, k = _parts(a, level)
    axes = R.norm_axes(axis, np.ndim(v))
    keepdims = bool(keepdims)
    return _new(R.fast_sum(v, axes, keepdims), R.fast_sum(t, tuple(i + 1 for i in axes), keepdims), lo, k, level)


def _transpose(level: int, a: Any, axes: Any = None) -> Any:
    v, t, lo, k = _parts(a, level)
    nd = np.ndim(v)
    perm = tuple(range(nd))[::-1] if axes is None else tuple(R._norm(int(i), nd) for i in axes)
    return _new(np.transpose(v, perm), np.transpose(t, (0,) + tuple(i + 1 for i in perm)), lo, k, level)


def _reshape(level: int, a: Any, shape: Any = None, order: str = "C", *, newshape: Any = None, copy: Any = None) -> Any:
    if order != "C":
        raise unsupported(f"numpy.reshape with order={order!r}", _KIND)
    shape = newshape if shape is None else shape
    v, t, lo, k = _parts(a, level)
    y = np.reshape(v, shape)
    return _new(y, np.reshape(t, t.shape[:1] + np.shape(y)), lo, k, level)


def _broadcast_to(level: int, a: Any, shape: Any, subok: bool = False) -> Any:
    v, t, lo, k = _parts(a, level)
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return _new(np.broadcast_to(v, shape), np.broadcast_to(align(t, len(shape)), t.shape[:1] + shape), lo, k, level)


def _joined(parts: list[tuple[Any, Any, int, int]], y: Any, ax: int, stack: bool) -> tuple[int, Any]:
    """Tangent of ``np.stack``/``np.concatenate`` (along value axis ``ax``) of ``parts``, constants as zeros."""
    present = [(lo, t) for _, t, lo, _ in parts if t is not None]
    lo = min(off for off, _ in present)
    hi = max(off + t.shape[0] for off, t in present)
    if all(type(t) is np.ndarray for _, t in present):
        out = np.zeros((hi - lo,) + np.shape(y))  # constants stay zero; each piece written once
        start = 0
        for v, t, off, _ in parts:
            width = 1 if stack else np.shape(v)[ax]
            if t is not None:
                index = (slice(off - lo, off - lo + t.shape[0]),) + (slice(None),) * ax
                out[index + ((start,) if stack else (slice(start, start + width),))] = t
            start += width
        return lo, out
    ts = [np.zeros((hi - lo,) + np.shape(v)) if t is None else _pad(t, off, lo, hi) for v, t, off, _ in parts]
    return lo, (np.stack(ts, axis=ax + 1) if stack else np.concatenate(ts, axis=ax + 1))


def _stack(level: int, arrays: Any, axis: int = 0, out: Any = None, **kw: Any) -> Any:
    _no_out("numpy.stack", out, **kw)
    parts = [_parts(x, level) for x in arrays]
    y = np.stack([p[0] for p in parts], axis=axis)
    ax = R._norm(axis, np.ndim(y))
    return _dual(y, _joined(parts, y, ax, stack=True), _k(*(p[3] for p in parts)), level)


def _concatenate(level: int, arrays: Any, axis: Any = 0, out: Any = None, **kw: Any) -> Any:
    _no_out("numpy.concatenate", out, **kw)
    if axis is None:
        return np.concatenate([np.ravel(x) for x in arrays], axis=0)
    parts = [_parts(x, level) for x in arrays]
    y = np.concatenate([p[0] for p in parts], axis=axis)
    ax = R._norm(axis, np.ndim(y))
    return _dual(y, _joined(parts, y, ax, stack=False), _k(*(p[3] for p in parts)), level)


def _where(level: int, condition: Any, x: Any = None, y: Any = None) -> Any:
    if x is None or y is None:
        raise unsupported("numpy.where with one argument (use numpy.nonzero on .value)", _KIND)
    c = condition.value if isinstance(condition, ADArray) else condition  # piecewise constant in c
    av, ta, la, ka = _parts(x, level)
    bv, tb, lb, kb = _parts(y, level)
    out = np.where(c, av, bv)
    return _dual(out, _select(c, (la, ta), (lb, tb), np.ndim(out)), _k(ka, kb), level)


def _cross(level: int, a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None) -> Any:
    if axis is None and (axisa, axisb, axisc) != (-1, -1, -1):
        raise unsupported("numpy.cross with axisa/axisb/axisc (use axis= or move the axis last)", _KIND)
    if axis is not None and axis != -1:
        return np.moveaxis(np.cross(np.moveaxis(a, axis, -1), np.moveaxis(b, axis, -1)), -1, axis)
    av, ta, la, ka = _parts(a, level)
    bv, tb, lb, kb = _parts(b, level)
    if np.shape(av)[-1] != 3 or np.shape(bv)[-1] != 3:
        raise unsupported("numpy.cross of 2-vectors", _KIND)
    y = np.cross(av, bv)
    nd = np.ndim(y)
    # d(a × b) = da × b + a × db
    terms = []
    if ta is not None:
        terms.append((la, np.cross(align(ta, nd), bv)))
    if tb is not None:
        terms.append((lb, np.cross(av, align(tb, nd))))
    return _dual(y, _combine(terms), _k(ka, kb), level)


def _einsum(level: int, subscripts: Any, *operands: Any, out: Any = None, **kw: Any) -> Any:
    _no_out("numpy.einsum", out)
    inputs, outsub = R.parse_einsum(subscripts, len(operands), _KIND)
    parts = [_parts(x, level) for x in operands]
    values = [p[0] for p in parts]
    y = np.einsum(",".join(inputs) + "->" + outsub, *values, **kw)
    letter = R.free_letter(*inputs, outsub)
    terms = []
    for i, (_, ti, li, _) in enumerate(parts):
        if ti is None:
            continue
        # einsum is multilinear: d einsum(..., Aᵢ, ...) = Σᵢ einsum(..., dAᵢ, ...)
        spec = ",".join(letter + s if j == i else s for j, s in enumerate(inputs)) + "->" + letter + outsub
        terms.append((li, np.einsum(spec, *(ti if j == i else v for j, v in enumerate(values)), **kw)))
    return _dual(y, _combine(terms), _k(*(p[3] for p in parts)), level)


def _diagonal(level: int, a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    v, t, lo, k = _parts(a, level)
    nd = np.ndim(v)
    a1, a2 = R._norm(axis1, nd), R._norm(axis2, nd)
    return _new(np.diagonal(v, offset, a1, a2), np.diagonal(t, offset, a1 + 1, a2 + 1), lo, k, level)


def _det(level: int, a: Any) -> Any:
    v, t, lo, k = _parts(a, level)
    y = np.linalg.det(v)
    adj = R.adjugate(v, y)
    # Jacobi's formula: d det A = tr(adj(A) dA) = Σᵢⱼ adj(A)ⱼᵢ dAᵢⱼ
    return _new(y, R.fast_sum(np.swapaxes(adj, -1, -2) * t, (t.ndim - 2, t.ndim - 1)), lo, k, level)


def _inv(level: int, a: Any) -> Any:
    v, t, lo, k = _parts(a, level)
    y = np.linalg.inv(v)
    # d(A⁻¹) = -A⁻¹ dA A⁻¹
    return _new(y, np.negative(np.matmul(np.matmul(y, t), y)), lo, k, level)


def _solve(level: int, a: Any, b: Any) -> Any:
    if np.ndim(b) == 1:
        return R.solve_vector(a, b)
    av, ta, la, ka = _parts(a, level)
    bv, tb, lb, kb = _parts(b, level)
    x = np.linalg.solve(av, bv)
    nd = np.ndim(x)
    # A X = B  ⇒  dA X + A dX = dB  ⇒  dX = A⁻¹ (dB - dA X)
    terms = []
    if tb is not None:
        terms.append((lb, align(tb, nd)))
    if ta is not None:
        terms.append((la, np.negative(np.matmul(align(ta, nd), x))))
    lo, rhs = _combine(terms)
    rhs = R.fit(rhs, np.shape(x))
    return _new(x, np.linalg.solve(av, rhs), lo, _k(ka, kb), level)


def _norm(level: int, x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    v, t, lo, k = _parts(x, level)
    y, unit, axes = R.norm_parts(v, axis, keepdims, _KIND, ord)
    # d‖x‖ = ⟨x / ‖x‖, dx⟩ (0 at x = 0)
    return _new(y, R.fast_sum(t * unit, tuple(i + 1 for i in axes), keepdims), lo, k, level)


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
