"""Reverse mode: record a computation once on a tape, then pull back any number of cotangents.

A :class:`Var` is a value plus its place on a :class:`Tape`. Every operation on Vars computes its value
and appends a node: the indices of its Var inputs and a *pullback*, a function from the output
cotangent to the input cotangents. Cotangents carry a leading axis of ``m`` directions: a cotangent of an
output of shape ``S`` has shape ``(m, *S)``, so ``m`` vector-Jacobian products (e.g. one per output row of
a Jacobian) are pulled back in one sweep. Pullbacks are written in NumPy operations the AD types support,
so running them on forward-mode values differentiates the reverse sweep (``hessian``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import _rules as R
from ._base import ADArray, new_level, reject_out, unsupported

__all__ = ["Var", "Tape"]

_KIND = "Var"
_SCALARS = (int, float, np.integer, np.floating)

Pullback = Callable[[Any], Sequence[Any]]


class Tape:
    """The record of one reverse-mode computation: nodes in the order they were computed.

    Attributes:
        level: The nesting level of the Vars on this tape.
    """

    __slots__ = ("level", "_parents", "_pullbacks")

    def __init__(self) -> None:
        self.level = new_level()
        self._parents: list[tuple[int, ...]] = []
        self._pullbacks: list[Pullback | None] = []

    def __len__(self) -> int:
        return len(self._parents)

    def variable(self, value: Any) -> Var:
        """A new independent variable (a leaf of the tape) with the given value."""
        return self._push(value, (), None)

    def _push(self, value: Any, parents: tuple[int, ...], pullback: Pullback | None) -> Var:
        self._parents.append(parents)
        self._pullbacks.append(pullback)
        return Var(value, self, len(self._parents) - 1)

    def pull_back(self, output: Var, cotangent: Any, inputs: Sequence[Var]) -> list[Any]:
        """Cotangents of ``inputs`` from ``cotangent`` on ``output``, in one reverse sweep.

        Args:
            output: A Var on this tape, value shape ``S``.
            cotangent: Shape ``(m, *S)``: m cotangents pulled back together.
            inputs: Leaves (or any Vars) of this tape.

        Returns:
            For each input of value shape ``Sᵢ``, its cotangent ``(m, *Sᵢ)`` (zeros if it does not
            influence ``output``).
        """
        m = cotangent.shape[0]
        acc: dict[int, Any] = {output._index: cotangent}
        owned: set[int] = set()  # accumulators this sweep allocated: safe to add into in place
        keep = {v._index for v in inputs}
        parents, pullbacks = self._parents, self._pullbacks
        for i in range(output._index, -1, -1):
            g, pullback = acc.get(i), pullbacks[i]
            if g is None or pullback is None:
                continue
            if i not in keep:
                del acc[i]
                owned.discard(i)
            for p, gp in zip(parents[i], pullback(g)):
                if gp is not None:
                    _accumulate(acc, owned, p, gp)
        return [
            (acc[v._index].dense() if isinstance(acc[v._index], R.Scattered) else acc[v._index])
            if v._index in acc
            else np.zeros((m,) + v.shape)
            for v in inputs
        ]


def _accumulate(acc: dict[int, Any], owned: set[int], p: int, gp: Any) -> None:
    """acc[p] += gp, in place into buffers the sweep owns (plain arrays), functionally otherwise."""
    prev = acc.get(p)
    if isinstance(gp, R.Scattered):
        if type(gp.g) is not np.ndarray:  # nested AD cotangent: functional scatter
            gp = gp.dense()
        elif prev is None or p not in owned or type(prev) is not np.ndarray:
            dense_prev = prev.dense() if isinstance(prev, R.Scattered) else prev
            if dense_prev is None:
                buf = np.zeros(gp.g.shape[:1] + gp.shape)
            elif type(dense_prev) is np.ndarray:
                buf = np.array(dense_prev, dtype=np.float64)
            else:
                acc[p] = dense_prev + gp.dense()
                return
            gp.add_into(buf)
            acc[p] = buf
            owned.add(p)
            return
        else:
            gp.add_into(prev)
            return
    if prev is None:
        acc[p] = gp
        return
    if isinstance(prev, R.Scattered):
        prev = prev.dense()
    if (
        p in owned
        and type(prev) is np.ndarray
        and type(gp) is np.ndarray
        and np.broadcast_shapes(prev.shape, gp.shape) == prev.shape
    ):
        prev += gp
        return
    acc[p] = prev + gp
    if type(acc[p]) is np.ndarray:
        owned.add(p)


class Var(ADArray):
    """A value recorded on a :class:`Tape` (reverse mode).

    Attributes:
        value: The primal value.
    """

    __slots__ = ("_tape", "_index")
    _kind = _KIND

    def __init__(self, value: Any, tape: Tape, index: int) -> None:
        self.value = value
        self._tape = tape
        self._index = index
        self._level = tape.level

    def __repr__(self) -> str:
        return f"Var(value={self.value!r}, node={self._index}, level={self._level})"

    def _getitem(self, key: Any) -> Any:
        key, basic = R.normalize_key(key, _KIND)
        shape = self.shape
        # gather is linear; its transpose is scatter-add
        return _record(
            self._level,
            self.value[key],
            (self,),
            lambda g: (R.Scattered(g, key, basic, shape),),
        )

    def _scatter(self, key: tuple[Any, ...], basic: bool, shape: tuple[int, ...], lead: int) -> Any:
        # transpose of scatter is gather
        return _record(
            self._level,
            R.scatter(self.value, key, basic, shape, lead),
            (self,),
            lambda g: (R.gather(g, key, basic, lead + 1),),
        )


# ---------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------


def _mine(x: Any, level: int) -> bool:
    return isinstance(x, Var) and x._level == level


def _val(x: Any, level: int) -> Any:
    """The value of ``x`` as this level sees it (a constant unless it is one of our Vars)."""
    if _mine(x, level):
        return x.value
    if isinstance(x, (np.ndarray, ADArray) + _SCALARS):
        return x
    return np.asarray(x)


def _record(level: int, value: Any, inputs: Sequence[Any], pullback: Callable[[Any], Sequence[Any]]) -> Any:
    """Append a node for ``value`` computed from ``inputs``; ``pullback(g)`` gives one cotangent per input.

    Only the inputs that are Vars of this level become parents (cotangents of the others are dropped).
    """
    mine = [i for i, x in enumerate(inputs) if _mine(x, level)]
    if not mine:
        return value
    tape = inputs[mine[0]]._tape
    if len(mine) == len(inputs):
        return tape._push(value, tuple(x._index for x in inputs), pullback)

    def pull_mine(g: Any) -> list[Any]:
        cotangents = pullback(g)
        return [cotangents[i] for i in mine]

    return tape._push(value, tuple(inputs[i]._index for i in mine), pull_mine)


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(np.shape(x))


def _matmul_right(g: Any, b: Any) -> Any:
    """``g @ b`` for a (m, ..., i, l) cotangent; a constant 2-D ``b`` makes it one BLAS call."""
    if type(b) is np.ndarray and b.ndim == 2 and type(g) is np.ndarray:
        return np.reshape(np.reshape(g, (-1, g.shape[-1])) @ b, g.shape[:-1] + b.shape[-1:])
    return np.matmul(g, b)


def _mT(x: Any) -> Any:
    return np.swapaxes(x, -1, -2)


# ---------------------------------------------------------------------------------------------------------
# ufuncs
# ---------------------------------------------------------------------------------------------------------


def _unary_rule(ufunc: np.ufunc) -> Any:
    deriv = R.UNARY_DERIVS[ufunc]

    def rule(level: int, x: Any) -> Any:
        v = x.value
        y = ufunc(v)
        return _record(level, y, (x,), lambda g: (g * deriv(v, y),))  # ḡₓ = f'(x) ḡ

    return rule


def _negative(level: int, x: Any) -> Any:
    return _record(level, np.negative(x.value), (x,), lambda g: (np.negative(g),))


def _positive(level: int, x: Any) -> Any:
    return x


def _linear_rule(ufunc: np.ufunc, sign: float) -> Any:
    def rule(level: int, a: Any, b: Any) -> Any:
        av, bv = _val(a, level), _val(b, level)
        y = ufunc(av, bv)
        sa, sb = _shape(av), _shape(bv)
        need_a, need_b = _mine(a, level), _mine(b, level)

        def pullback(g: Any) -> tuple[Any, Any]:
            # y = a ± b: ḡ_a = ḡ, ḡ_b = ±ḡ (summed over broadcast axes)
            ga = R.sum_to(g, sa) if need_a else None
            gb = R.sum_to(g, sb) if need_b else None
            return ga, (gb if gb is None or sign > 0 else np.negative(gb))

        return _record(level, y, (a, b), pullback)

    return rule


def _smooth_rule(ufunc: np.ufunc) -> Any:
    def rule(level: int, a: Any, b: Any) -> Any:
        av, bv = _val(a, level), _val(b, level)
        y = ufunc(av, bv)
        need_a, need_b = _mine(a, level), _mine(b, level)
        sa, sb = _shape(av), _shape(bv)

        def pullback(g: Any) -> tuple[Any, Any]:
            da, db = R.binary_partials(ufunc, av, bv, y, need_a, need_b)
            return (
                None if da is None else R.sum_to(g * da, sa),
                None if db is None else R.sum_to(g * db, sb),
            )

        return _record(level, y, (a, b), pullback)

    return rule


def _select_rule(ufunc: np.ufunc, mask_ufunc: np.ufunc) -> Any:
    def rule(level: int, a: Any, b: Any) -> Any:
        av, bv = _val(a, level), _val(b, level)
        y = ufunc(av, bv)
        pick_a = mask_ufunc(av, bv)  # ties follow a
        sa, sb = _shape(av), _shape(bv)
        return _record(
            level,
            y,
            (a, b),
            lambda g: (R.sum_to(np.where(pick_a, g, 0.0), sa), R.sum_to(np.where(pick_a, 0.0, g), sb)),
        )

    return rule


def _matmul(level: int, a: Any, b: Any) -> Any:
    promoted = R.matmul_vectors(a, b)
    if promoted is not None:
        return promoted
    av, bv = _val(a, level), _val(b, level)
    y = np.matmul(av, bv)
    need_a, need_b = _mine(a, level), _mine(b, level)
    sa, sb = _shape(av), _shape(bv)

    def pullback(g: Any) -> tuple[Any, Any]:
        # Y = A B: Ā = Ȳ Bᵀ, B̄ = Aᵀ Ȳ
        ga = R.sum_to(_matmul_right(g, _mT(bv)), sa) if need_a else None
        gb = R.sum_to(np.matmul(_mT(av), g), sb) if need_b else None
        return ga, gb

    return _record(level, y, (a, b), pullback)


_UFUNC_RULES: dict[Any, Any] = {u: _unary_rule(u) for u in R.UNARY_DERIVS}
_UFUNC_RULES.update({u: _linear_rule(u, s) for u, s in R.BINARY_LINEAR.items()})
_UFUNC_RULES.update({u: _smooth_rule(u) for u in R.BINARY_SMOOTH})
_UFUNC_RULES.update({u: _select_rule(u, m) for u, m in R.BINARY_SELECT.items()})
_UFUNC_RULES.update({np.negative: _negative, np.positive: _positive, np.matmul: _matmul})


# ---------------------------------------------------------------------------------------------------------
# array functions
# ---------------------------------------------------------------------------------------------------------


def _no_out(name: str, out: Any = None, **kw: Any) -> None:
    reject_out(_KIND, name, out, **kw)


def _sum(
    level: int, a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, **kw: Any
) -> Any:
    _no_out("numpy.sum", out, dtype=dtype, **kw)
    v = a.value
    shape = _shape(v)
    axes = R.norm_axes(axis, len(shape))
    kept = tuple(1 if i in axes else d for i, d in enumerate(shape))

    def pullback(g: Any) -> tuple[Any]:
        # y = Σ x: x̄ = ȳ broadcast back over the summed axes
        return (np.broadcast_to(np.reshape(g, g.shape[:1] + kept), g.shape[:1] + shape),)

    return _record(level, np.sum(v, axis=axes, keepdims=bool(keepdims)), (a,), pullback)


def _transpose(level: int, a: Any, axes: Any = None) -> Any:
    v = a.value
    nd = np.ndim(v)
    perm = tuple(range(nd))[::-1] if axes is None else tuple(R._norm(int(i), nd) for i in axes)
    inverse = tuple(int(i) + 1 for i in np.argsort(perm))
    return _record(level, np.transpose(v, perm), (a,), lambda g: (np.transpose(g, (0,) + inverse),))


def _reshape(level: int, a: Any, shape: Any = None, order: str = "C", *, newshape: Any = None, copy: Any = None) -> Any:
    if order != "C":
        raise unsupported(f"numpy.reshape with order={order!r}", _KIND)
    shape = newshape if shape is None else shape
    v = a.value
    old = _shape(v)
    return _record(level, np.reshape(v, shape), (a,), lambda g: (np.reshape(g, g.shape[:1] + old),))


def _broadcast_to(level: int, a: Any, shape: Any, subok: bool = False) -> Any:
    v = a.value
    old = _shape(v)
    return _record(level, np.broadcast_to(v, shape), (a,), lambda g: (R.sum_to(g, old),))


def _stack(level: int, arrays: Any, axis: int = 0, out: Any = None, **kw: Any) -> Any:
    _no_out("numpy.stack", out, **kw)
    arrays = list(arrays)
    y = np.stack([_val(x, level) for x in arrays], axis=axis)
    ax = R._norm(axis, np.ndim(y))
    lead = (slice(None),) * (ax + 1)
    return _record(level, y, arrays, lambda g: [g[lead + (i,)] for i in range(len(arrays))])


def _concatenate(level: int, arrays: Any, axis: Any = 0, out: Any = None, **kw: Any) -> Any:
    _no_out("numpy.concatenate", out, **kw)
    if axis is None:
        return np.concatenate([np.ravel(x) for x in arrays], axis=0)
    arrays = list(arrays)
    values = [_val(x, level) for x in arrays]
    y = np.concatenate(values, axis=axis)
    ax = R._norm(axis, np.ndim(y))
    bounds = np.cumsum([0] + [np.shape(v)[ax] for v in values])
    lead = (slice(None),) * (ax + 1)
    return _record(
        level, y, arrays, lambda g: [g[lead + (slice(int(s), int(e)),)] for s, e in zip(bounds[:-1], bounds[1:])]
    )


def _where(level: int, condition: Any, x: Any = None, y: Any = None) -> Any:
    if x is None or y is None:
        raise unsupported("numpy.where with one argument (use numpy.nonzero on .value)", _KIND)
    c = condition.value if isinstance(condition, ADArray) else condition  # piecewise constant in c
    av, bv = _val(x, level), _val(y, level)
    sa, sb = _shape(av), _shape(bv)
    return _record(
        level,
        np.where(c, av, bv),
        (x, y),
        lambda g: (R.sum_to(np.where(c, g, 0.0), sa), R.sum_to(np.where(c, 0.0, g), sb)),
    )


def _cross(level: int, a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None) -> Any:
    if axis is None and (axisa, axisb, axisc) != (-1, -1, -1):
        raise unsupported("numpy.cross with axisa/axisb/axisc (use axis= or move the axis last)", _KIND)
    if axis is not None and axis != -1:
        return np.moveaxis(np.cross(np.moveaxis(a, axis, -1), np.moveaxis(b, axis, -1)), -1, axis)
    av, bv = _val(a, level), _val(b, level)
    if np.shape(av)[-1] != 3 or np.shape(bv)[-1] != 3:
        raise unsupported("numpy.cross of 2-vectors", _KIND)
    sa, sb = _shape(av), _shape(bv)
    # ⟨ḡ, a × b⟩ = ⟨b × ḡ, a⟩ = ⟨ḡ × a, b⟩
    return _record(
        level,
        np.cross(av, bv),
        (a, b),
        lambda g: (R.sum_to(np.cross(bv, g), sa), R.sum_to(np.cross(g, av), sb)),
    )


def _einsum(level: int, subscripts: Any, *operands: Any, out: Any = None, **kw: Any) -> Any:
    _no_out("numpy.einsum", out)
    inputs, outsub = R.parse_einsum(subscripts, len(operands), _KIND)
    values = [_val(x, level) for x in operands]
    y = np.einsum(",".join(inputs) + "->" + outsub, *values, **kw)
    shapes = [_shape(v) for v in values]
    mine = [_mine(x, level) for x in operands]

    def pullback(g: Any) -> list[Any]:
        return [
            R.einsum_cotangent(g, inputs, outsub, values, i, shapes[i], _KIND, **kw) if mine[i] else None
            for i in range(len(values))
        ]

    return _record(level, y, operands, pullback)


def _diagonal(level: int, a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    v = a.value
    shape = _shape(v)
    nd = len(shape)
    a1, a2 = R._norm(axis1, nd), R._norm(axis2, nd)
    n1, n2 = shape[a1], shape[a2]
    eye = np.eye(n1, n2, k=offset)
    rest = [i for i in range(nd) if i not in (a1, a2)]

    def pullback(g: Any) -> tuple[Any]:
        # the diagonal's transpose writes ḡ onto the diagonal of zeros: x̄[..., i, i + offset] = ḡ[..., d]
        length = g.shape[-1]
        if offset >= 0:  # entry (i, i + offset) holds diagonal element d = i
            pad = n1 - length
            gi = g if pad == 0 else np.concatenate([g, np.zeros(g.shape[:-1] + (pad,))], axis=-1)
            full = gi[..., :, None] * eye
        else:  # entry (j - offset, j) holds diagonal element d = j
            pad = n2 - length
            gj = g if pad == 0 else np.concatenate([g, np.zeros(g.shape[:-1] + (pad,))], axis=-1)
            full = gj[..., None, :] * eye
        # full has axes (m, rest..., a1, a2): put a1, a2 back in place
        order = [0] + [i + 1 for i in rest] + [a1 + 1, a2 + 1]
        return (np.transpose(full, tuple(np.argsort(order))),)

    return _record(level, np.diagonal(v, offset, a1, a2), (a,), pullback)


def _det(level: int, a: Any) -> Any:
    v = a.value
    y = np.linalg.det(v)
    # Jacobi's formula: d det A = tr(adj(A) dA)  ⇒  Ā = ḡ adj(A)ᵀ
    return _record(level, y, (a,), lambda g: (g[..., None, None] * _mT(R.adjugate(v, y)),))


def _inv(level: int, a: Any) -> Any:
    v = a.value
    y = np.linalg.inv(v)
    # d(A⁻¹) = -A⁻¹ dA A⁻¹  ⇒  Ā = -A⁻ᵀ Ȳ A⁻ᵀ
    yt = _mT(y)
    return _record(level, y, (a,), lambda g: (np.negative(np.matmul(np.matmul(yt, g), yt)),))


def _solve(level: int, a: Any, b: Any) -> Any:
    if np.ndim(b) == 1:
        return R.solve_vector(a, b)
    av, bv = _val(a, level), _val(b, level)
    x = np.linalg.solve(av, bv)
    sa, sb = _shape(av), _shape(bv)
    need_a = _mine(a, level)

    def pullback(g: Any) -> tuple[Any, Any]:
        # X = A⁻¹ B, dX = A⁻¹ (dB - dA X)  ⇒  B̄ = A⁻ᵀ X̄, Ā = -B̄ Xᵀ
        gb = np.linalg.solve(_mT(av), g)
        ga = R.sum_to(np.negative(np.matmul(gb, _mT(x))), sa) if need_a else None
        return ga, R.sum_to(gb, sb)

    return _record(level, x, (a, b), pullback)


def _norm(level: int, x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    v = x.value
    y, unit, axes = R.norm_parts(v, axis, keepdims, _KIND, ord)
    kept = tuple(1 if i in axes else d for i, d in enumerate(_shape(v)))
    # d‖x‖ = ⟨x / ‖x‖, dx⟩  ⇒  x̄ = ȳ x / ‖x‖ (0 at x = 0)
    return _record(level, y, (x,), lambda g: (np.reshape(g, g.shape[:1] + kept) * unit,))


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

Var._UFUNC_RULES = _UFUNC_RULES
Var._FUNC_RULES = _FUNC_RULES
