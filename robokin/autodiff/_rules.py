"""Derivative formulas and helpers shared by forward and reverse mode, and the composite operations.

Everything here is written in NumPy operations that the AD types themselves support, so a rule applied
to AD values (nested modes) dispatches again instead of breaking. Conventions at nonsmooth points:

* ``abs``: derivative ``sign(x)``, taken as 0 at ``x = 0`` (the midpoint of the subdifferential).
* ``maximum(a, b)`` / ``minimum(a, b)``: at a tie the derivative follows the first argument ``a``;
  ``clip(x, lo, hi)`` therefore has derivative 1 at ``x = lo`` and ``x = hi``.
* ``sqrt`` at 0: derivative ``+inf`` (IEEE ``0.5 / sqrt(0)``); a zero tangent through it gives ``nan``.
  Use ``np.linalg.norm`` for lengths: it has its own rule.
* ``np.linalg.norm`` at the zero vector: derivative 0 (the minimum-norm subgradient).
* ``arctan2(0, 0)``: derivative ``nan`` (the angle is undefined there).
* ``np.linalg.det`` of a singular matrix: Jacobi's formula through the adjugate, computed from an SVD
  for plain values, so the first derivative is exact and finite even at det = 0; nested (second)
  derivatives use ``det(A) · inv(A)`` and are not finite at exactly singular matrices.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from ._base import ADArray, unsupported

# ---------------------------------------------------------------------------------------------------------
# axes and shapes
# ---------------------------------------------------------------------------------------------------------


def _norm(axis: int, ndim: int) -> int:
    """Non-negative version of ``axis`` for an array of ``ndim`` dimensions (NumPy's AxisError if out)."""
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim)
    return axis % ndim


def norm_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, int or sequence) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    return tuple(sorted(_norm(int(a), ndim) for a in axis))


def align(t: Any, ndim: int) -> Any:
    """Tangent/cotangent ``t`` of shape ``(k, *S)`` reshaped to ``(k, 1, ..., 1, *S)`` with ``ndim + 1`` axes.

    Aligns the leading direction axis so that ``t`` broadcasts against values of ``ndim`` dimensions.
    """
    extra = ndim + 1 - t.ndim
    if extra == 0:
        return t
    shape = t.shape
    return np.reshape(t, shape[:1] + (1,) * extra + shape[1:])


def fit(t: Any, shape: tuple[int, ...]) -> Any:
    """``t`` broadcast to exactly ``(k, *shape)`` (a view when it is not already that shape)."""
    full = (t.shape[0],) + tuple(shape)
    return t if t.shape == full else np.broadcast_to(t, full)


def sum_to(g: Any, shape: tuple[int, ...]) -> Any:
    """Undo broadcasting: sum a cotangent ``(m, *B)`` down to ``(m, *shape)`` (``shape`` broadcasts to ``B``)."""
    shape = tuple(shape)
    gshape = g.shape
    if gshape[1:] == shape:
        return g
    extra = len(gshape) - 1 - len(shape)
    axes = tuple(range(1, 1 + extra)) + tuple(
        1 + extra + i for i, s in enumerate(shape) if s == 1 and gshape[1 + extra + i] != 1
    )
    if axes:
        g = fast_sum(g, axes, keepdims=True)
    return np.reshape(g, gshape[:1] + shape)


def fast_sum(x: Any, axes: tuple[int, ...], keepdims: bool = False) -> Any:
    """``np.sum(x, axis=axes, keepdims=keepdims)`` for non-negative ``axes``.

    Plain float arrays are reduced with ``np.einsum``, several times faster than ``np.sum`` over short,
    strided axes (the shape of the reductions here: a few rows of ``(m, N, 3, 4)`` cotangents).
    """
    if type(x) is not np.ndarray or x.dtype != np.float64 or x.ndim > 26 or not axes:
        return np.sum(x, axis=axes, keepdims=keepdims)
    letters = string.ascii_lowercase[: x.ndim]
    kept = "".join(c for i, c in enumerate(letters) if i not in axes)
    y = np.einsum(letters + "->" + kept, x)
    if keepdims:
        y = y.reshape(tuple(1 if i in axes else d for i, d in enumerate(x.shape)))
    return y


# ---------------------------------------------------------------------------------------------------------
# indexing: gather (x[key]) and its transpose scatter, both with `lead` untouched leading axes
# ---------------------------------------------------------------------------------------------------------


def normalize_key(key: Any, kind: str) -> tuple[tuple[Any, ...], bool]:
    """``key`` as a tuple, and whether it is basic (ints, slices, None, Ellipsis only)."""
    if not isinstance(key, tuple):
        key = (key,)
    out: list[Any] = []
    basic = True
    for k in key:
        if isinstance(k, ADArray):
            raise unsupported("indexing with an AD value as the index", kind)
        if k is None or k is Ellipsis or isinstance(k, slice):
            out.append(k)
        elif isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)):
            out.append(int(k))
        else:
            out.append(np.asarray(k))
            basic = False
    return tuple(out), basic


def _lead_last_key(key: tuple[Any, ...], lead: int) -> tuple[Any, ...]:
    """The key for an array whose ``lead`` leading axes were moved to the end."""
    if not any(k is Ellipsis for k in key):
        key = key + (Ellipsis,)
    return key + (slice(None),) * lead


def gather(x: Any, key: tuple[Any, ...], basic: bool, lead: int) -> Any:
    """``x[(:,)*lead + key]`` where ``key`` indexes the axes after the ``lead`` leading ones.

    Advanced keys are applied with the leading axes moved last, where they cannot change how NumPy
    places the broadcast index dimensions; then the leading axes are moved back to the front.
    """
    if basic:
        return x[(slice(None),) * lead + key]
    lead_axes = tuple(range(lead))
    moved = np.moveaxis(x, lead_axes, tuple(range(-lead, 0)))
    picked = moved[_lead_last_key(key, lead)]
    return np.moveaxis(picked, tuple(range(-lead, 0)), lead_axes)


class Scattered:
    """A cotangent that is zero except ``g`` at ``key``: added into an accumulator in place by the tape."""

    __slots__ = ("g", "key", "basic", "shape")

    def __init__(self, g: Any, key: tuple[Any, ...], basic: bool, shape: tuple[int, ...]) -> None:
        self.g, self.key, self.basic, self.shape = g, key, basic, shape

    def dense(self) -> Any:
        """The full cotangent ``(m, *shape)``."""
        return scatter(self.g, self.key, self.basic, self.shape, 1)

    def add_into(self, buf: np.ndarray) -> None:
        """``buf += dense()`` without building ``dense()``; ``buf`` is an owned ``(m, *shape)`` array."""
        if self.basic:
            buf[(slice(None),) + self.key] += self.g
        else:
            np.add.at(np.moveaxis(buf, 0, -1), _lead_last_key(self.key, 1), np.moveaxis(self.g, 0, -1))


def scatter(g: Any, key: tuple[Any, ...], basic: bool, shape: tuple[int, ...], lead: int) -> Any:
    """Transpose of :func:`gather`: zeros of ``g.shape[:lead] + shape`` with ``g`` added at ``key``.

    Repeated advanced indices accumulate (``np.add.at``).
    """
    if isinstance(g, ADArray):
        return g._scatter(key, basic, tuple(shape), lead)  # type: ignore[attr-defined]  # Dual's and Var's
    g = np.asarray(g)
    out = np.zeros(g.shape[:lead] + tuple(shape), dtype=np.result_type(g.dtype, np.float64))
    if basic:
        out[(slice(None),) * lead + key] = g
        return out
    lead_axes = tuple(range(lead))
    last = tuple(range(-lead, 0))
    np.add.at(np.moveaxis(out, lead_axes, last), _lead_last_key(key, lead), np.moveaxis(g, lead_axes, last))
    return out


# ---------------------------------------------------------------------------------------------------------
# elementwise derivative tables: f'(x) from x and y = f(x), in NumPy ops AD values support
# ---------------------------------------------------------------------------------------------------------


def _sign(x: Any) -> Any:
    # sign(x) with sign(0) = 0; built from comparisons (plain bool arrays) so it works on nested values.
    return np.where(x > 0, 1.0, 0.0) - np.where(x < 0, 1.0, 0.0)


UNARY_DERIVS: dict[np.ufunc, Callable[[Any, Any], Any]] = {
    np.sin: lambda x, y: np.cos(x),  # d sin x = cos x dx
    np.cos: lambda x, y: -np.sin(x),  # d cos x = -sin x dx
    np.tan: lambda x, y: 1.0 + y * y,  # d tan x = (1 + tan² x) dx
    np.arcsin: lambda x, y: 1.0 / np.sqrt(1.0 - x * x),  # d asin x = dx / √(1 - x²)
    np.arccos: lambda x, y: -1.0 / np.sqrt(1.0 - x * x),  # d acos x = -dx / √(1 - x²)
    np.arctan: lambda x, y: 1.0 / (1.0 + x * x),  # d atan x = dx / (1 + x²)
    np.sinh: lambda x, y: np.cosh(x),  # d sinh x = cosh x dx
    np.cosh: lambda x, y: np.sinh(x),  # d cosh x = sinh x dx
    np.tanh: lambda x, y: 1.0 - y * y,  # d tanh x = (1 - tanh² x) dx
    np.exp: lambda x, y: y,  # d eˣ = eˣ dx
    np.expm1: lambda x, y: y + 1.0,  # d (eˣ - 1) = eˣ dx
    np.log: lambda x, y: 1.0 / x,  # d ln x = dx / x
    np.log1p: lambda x, y: 1.0 / (1.0 + x),  # d ln(1 + x) = dx / (1 + x)
    np.log2: lambda x, y: 1.0 / (x * math.log(2.0)),  # d log₂ x = dx / (x ln 2)
    np.log10: lambda x, y: 1.0 / (x * math.log(10.0)),  # d log₁₀ x = dx / (x ln 10)
    np.sqrt: lambda x, y: 0.5 / y,  # d √x = dx / (2√x); +inf at 0 (module docstring)
    np.square: lambda x, y: 2.0 * x,  # d x² = 2x dx
    np.reciprocal: lambda x, y: -(y * y),  # d (1/x) = -dx / x²
    np.absolute: lambda x, y: _sign(x),  # d |x| = sign(x) dx, sign(0) = 0 (module docstring)
}


def binary_partials(ufunc: np.ufunc, a: Any, b: Any, y: Any, need_a: bool, need_b: bool) -> tuple[Any, Any]:
    """(∂y/∂a, ∂y/∂b) of a smooth binary ufunc, each None when not needed (broadcastable to ``y``)."""
    da = db = None
    if ufunc is np.multiply:  # d(ab) = b da + a db
        da, db = (b if need_a else None), (a if need_b else None)
    elif ufunc is np.divide:  # d(a/b) = da / b - (a/b²) db
        inv_b = 1.0 / b
        da = inv_b if need_a else None
        db = -(y * inv_b) if need_b else None
    elif ufunc is np.power:  # d(aᵇ) = b aᵇ⁻¹ da + aᵇ ln a db
        if need_a:
            if isinstance(b, (int, float, np.integer, np.floating)) and not isinstance(b, ADArray):
                da = 0.0 if b == 0 else (1.0 if b == 1 else b * a ** (b - 1))
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    da = np.where(b == 0, 0.0, b * a ** (b - 1.0))
        if need_b:
            db = y * np.log(a)
    elif ufunc is np.arctan2:  # d atan2(a, b) = (b da - a db) / (a² + b²)
        r2 = a * a + b * b
        da = b / r2 if need_a else None
        db = -a / r2 if need_b else None
    elif ufunc is np.hypot:  # d √(a² + b²) = (a da + b db) / y
        da = a / y if need_a else None
        db = b / y if need_b else None
    else:  # pragma: no cover - table and dispatch agree
        raise AssertionError(ufunc)
    return da, db


BINARY_SMOOTH = (np.multiply, np.divide, np.power, np.arctan2, np.hypot)
BINARY_LINEAR = {np.add: 1.0, np.subtract: -1.0}
BINARY_SELECT = {np.maximum: np.greater_equal, np.minimum: np.less_equal}  # mask: where a is chosen


# ---------------------------------------------------------------------------------------------------------
# einsum
# ---------------------------------------------------------------------------------------------------------


def parse_einsum(subscripts: Any, n_operands: int, kind: str) -> tuple[list[str], str]:
    """Input subscripts and the explicit output subscript of an ``np.einsum`` call."""
    if not isinstance(subscripts, str):
        raise unsupported("numpy.einsum in the sublist (interleaved) form", kind)
    spec = subscripts.replace(" ", "")
    if "->" in spec:
        ins, out = spec.split("->")
    else:
        ins = spec
        letters = ins.replace(",", "").replace(".", "")
        out = ("..." if "..." in ins else "") + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    inputs = ins.split(",")
    if len(inputs) != n_operands:
        raise ValueError(f"einsum subscripts {subscripts!r} name {len(inputs)} operands, got {n_operands}")
    return inputs, out


def free_letter(*subs: str) -> str:
    """A subscript letter used by none of ``subs``."""
    used = set("".join(subs))
    return next(c for c in string.ascii_letters if c not in used)


def _sub_labels(sub: str) -> list[str]:
    """``'...ij'`` → ``['...', 'i', 'j']``."""
    labels: list[str] = []
    i = 0
    while i < len(sub):
        if sub.startswith("...", i):
            labels.append("...")
            i += 3
        else:
            labels.append(sub[i])
            i += 1
    return labels


def einsum_cotangent(
    g: Any, inputs: list[str], out: str, operands: list[Any], i: int, shape_i: tuple[int, ...], kind: str, **kw: Any
) -> Any:
    """Cotangent ``(m, *shape_i)`` of operand ``i`` of ``einsum(inputs -> out)`` from the output cotangent ``g``.

    The einsum is linear in each operand: ``⟨g, einsum(..., Aᵢ, ...)⟩ = ⟨einsum(g, others -> sub_i), Aᵢ⟩``.
    """
    sub = inputs[i]
    labels = _sub_labels(sub)
    if len(set(labels)) != len(labels):
        raise unsupported(f"numpy.einsum with a repeated index in operand {sub!r} (reverse mode)", kind)
    if "..." in sub and "..." not in out:
        raise unsupported(f"numpy.einsum summing over '...' of operand {sub!r} (reverse mode)", kind)
    others = [s for j, s in enumerate(inputs) if j != i]
    present = set("".join(others) + out)
    kept = [c for c in labels if c == "..." or c in present]
    m = free_letter(*inputs, out)
    spec = ",".join([m + out] + others) + "->" + m + "".join(kept)
    gi = np.einsum(spec, g, *[op for j, op in enumerate(operands) if j != i], **kw)
    if "..." in labels and labels[0] != "..." and gi.ndim - len(kept) != len(shape_i) - len(labels):
        raise unsupported(f"numpy.einsum broadcasting a non-leading '...' of operand {sub!r} (reverse mode)", kind)
    if len(kept) != len(labels):
        # letters summed inside operand i alone: the cotangent is constant along them (broadcast)
        have = dict(zip(kept, _split_shape(kept, gi.shape[1:])))
        want = _split_shape(labels, shape_i)
        shp: list[int] = []
        full: list[int] = []
        for c, size in zip(labels, want):
            shp.extend(have[c] if c in have else (1,))
            full.extend(have[c] if c in have else size)
        gi = np.broadcast_to(np.reshape(gi, gi.shape[:1] + tuple(shp)), gi.shape[:1] + tuple(full))
    return sum_to(gi, shape_i)


def _split_shape(labels: list[str], shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Split ``shape`` into the dims of each label (``'...'`` takes the rest)."""
    n_ell = len(shape) - (len(labels) - (1 if "..." in labels else 0))
    parts: list[tuple[int, ...]] = []
    pos = 0
    for c in labels:
        width = n_ell if c == "..." else 1
        parts.append(tuple(shape[pos : pos + width]))
        pos += width
    return parts


# ---------------------------------------------------------------------------------------------------------
# linear algebra helpers
# ---------------------------------------------------------------------------------------------------------


def adjugate(a: Any, det_a: Any) -> Any:
    """adj(A) = det(A) A⁻¹, batched ``(..., n, n)``; the derivative of det (Jacobi: d det A = tr(adj(A) dA)).

    For plain arrays it comes from the SVD A = U diag(σ) Vᵀ: adj(A) = det(U) det(V) V diag(∏_{j≠i} σⱼ) Uᵀ,
    which stays exact when A is singular. AD values (nested derivatives) use det(A) · inv(A).
    """
    if isinstance(a, ADArray):
        return det_a[..., None, None] * np.linalg.inv(a)
    u, s, vh = np.linalg.svd(a)
    n = s.shape[-1]
    ones = np.ones(s.shape[:-1] + (1,))
    before = np.cumprod(np.concatenate([ones, s[..., : n - 1]], axis=-1), axis=-1)  # ∏_{j<i} σⱼ
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]  # ∏_{j>i} σⱼ
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * np.matmul(
        np.swapaxes(vh, -1, -2) * (before * after)[..., None, :], np.swapaxes(u, -1, -2)
    )


def norm_parts(x: Any, axis: Any, keepdims: bool, kind: str, ord: Any) -> tuple[Any, Any, tuple[int, ...]]:
    """The 2-norm (Frobenius for two axes) ``y``, the unit direction ``x / ‖x‖`` (0 where ‖x‖ = 0) and the axes.

    Only the Euclidean / Frobenius norm is differentiated: d‖x‖ = ⟨x/‖x‖, dx⟩, and 0 at ``x = 0``.
    """
    ndim = np.ndim(x)
    axes = norm_axes(axis, ndim)
    if not (ord is None or (ord == 2 and len(axes) == 1) or (ord == "fro" and len(axes) == 2)):
        raise unsupported(f"numpy.linalg.norm with ord={ord!r} over {len(axes)} axes", kind)
    y_keep = np.sqrt(np.sum(x * x, axis=axes, keepdims=True))
    positive = y_keep > 0
    unit = np.where(positive, x / np.where(positive, y_keep, 1.0), 0.0)
    y = y_keep if keepdims else np.reshape(y_keep, tuple(d for i, d in enumerate(np.shape(x)) if i not in axes))
    return y, unit, axes


# ---------------------------------------------------------------------------------------------------------
# composite operations: expressed through the primitives, shared by both modes
# ---------------------------------------------------------------------------------------------------------


def _swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    perm = list(range(np.ndim(a)))
    i, j = _norm(axis1, len(perm)), _norm(axis2, len(perm))
    perm[i], perm[j] = perm[j], perm[i]
    return np.transpose(a, perm)


def _moveaxis(a: Any, source: Any, destination: Any) -> Any:
    nd = np.ndim(a)
    src = [_norm(int(s), nd) for s in ([source] if isinstance(source, (int, np.integer)) else source)]
    dst = [_norm(int(d), nd) for d in ([destination] if isinstance(destination, (int, np.integer)) else destination)]
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return np.transpose(a, order)


def _expand_dims(a: Any, axis: Any) -> Any:
    shape = list(np.shape(a))
    axes = norm_axes(axis, len(shape) + (1 if isinstance(axis, (int, np.integer)) else len(axis)))
    for ax in axes:
        shape.insert(ax, 1)
    return np.reshape(a, tuple(shape))


def _squeeze(a: Any, axis: Any = None) -> Any:
    shape = np.shape(a)
    axes = tuple(i for i, d in enumerate(shape) if d == 1) if axis is None else norm_axes(axis, len(shape))
    if any(shape[i] != 1 for i in axes):
        raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return np.reshape(a, tuple(d for i, d in enumerate(shape) if i not in axes))


def _ravel(a: Any, order: Literal["C", "F", "A"] = "C") -> Any:
    return np.reshape(a, (-1,), order=order)


def _mean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, **kw: Any) -> Any:
    if out is not None or kw or dtype is not None:
        raise unsupported("numpy.mean with out=/dtype=/where=", "AD")
    count = int(np.prod([np.shape(a)[i] for i in norm_axes(axis, np.ndim(a))], dtype=np.int64))
    return np.sum(a, axis=axis, keepdims=keepdims) / count


def _trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None, out: Any = None) -> Any:
    if out is not None or dtype is not None:
        raise unsupported("numpy.trace with out=/dtype=", "AD")
    return np.sum(np.diagonal(a, offset, axis1, axis2), axis=-1)


def _clip(a: Any, a_min: Any = None, a_max: Any = None, out: Any = None, **kw: Any) -> Any:
    # clip(x, lo, hi) = minimum(maximum(x, lo), hi); ties follow x (derivative 1 on the bounds)
    if out is not None or kw:
        raise unsupported("numpy.clip with out= or extra keywords", "AD")
    if a_min is not None:
        a = np.maximum(a, a_min)
    if a_max is not None:
        a = np.minimum(a, a_max)
    return a


def _dot(a: Any, b: Any, out: Any = None) -> Any:
    if out is not None:
        raise unsupported("numpy.dot with out=", "AD")
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return np.multiply(a, b)
    if np.ndim(b) > 2:
        raise unsupported("numpy.dot with an operand of more than 2 dimensions (use matmul or einsum)", "AD")
    return np.matmul(a, b)


def _outer(a: Any, b: Any, out: Any = None) -> Any:
    if out is not None:
        raise unsupported("numpy.outer with out=", "AD")
    return np.multiply(np.reshape(a, (-1, 1)), np.reshape(b, (1, -1)))


def _hstack(tup: Any, **kw: Any) -> Any:
    arrs = [np.reshape(a, (1,)) if np.ndim(a) == 0 else a for a in tup]
    return np.concatenate(arrs, axis=0 if np.ndim(arrs[0]) == 1 else 1, **kw)


def _vstack(tup: Any, **kw: Any) -> Any:
    arrs = [np.reshape(a, (1, -1)) if np.ndim(a) < 2 else a for a in tup]
    return np.concatenate(arrs, axis=0, **kw)


def matmul_vectors(a: Any, b: Any) -> Any:
    """``a @ b`` when an operand is 1-D, as a matrix product of promoted operands; None if both are ≥ 2-D."""
    a_vec, b_vec = np.ndim(a) == 1, np.ndim(b) == 1
    if not (a_vec or b_vec):
        return None
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    a2 = np.reshape(a, (1,) + np.shape(a)) if a_vec else a
    b2 = np.reshape(b, np.shape(b) + (1,)) if b_vec else b
    y = np.matmul(a2, b2)
    shape = np.shape(y)
    if a_vec and b_vec:
        shape = shape[:-2]
    elif b_vec:
        shape = shape[:-1]
    else:
        shape = shape[:-2] + shape[-1:]
    return np.reshape(y, shape)


def solve_vector(a: Any, b: Any) -> Any:
    """``np.linalg.solve(a, b)`` for a 1-D ``b``, through the matrix form (NumPy ≥ 2 semantics)."""
    x = np.linalg.solve(a, np.reshape(b, np.shape(b) + (1,)))
    return np.reshape(x, np.shape(x)[:-1])


COMPOSITES: dict[Any, Callable[..., Any]] = {
    np.swapaxes: _swapaxes,
    np.moveaxis: _moveaxis,
    np.expand_dims: _expand_dims,
    np.squeeze: _squeeze,
    np.ravel: _ravel,
    np.mean: _mean,
    np.trace: _trace,
    np.clip: _clip,
    np.dot: _dot,
    np.outer: _outer,
    np.hstack: _hstack,
    np.vstack: _vstack,
}
ADArray._COMPOSITES = COMPOSITES
