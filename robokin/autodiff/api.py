"""The transforms: ``jvp``, ``vjp``, ``jacfwd``, ``jacrev``, ``grad`` and ``hessian`` of array functions.

Each takes ``f`` mapping one array to one array, written in plain NumPy. ``batch_ndim = b`` declares the
first ``b`` axes of ``x`` independent batch axes: ``f`` maps each batch element on its own and its output
starts with the same ``b`` axes. The Jacobian is then ``batch + out_event + in_event`` (one small Jacobian
per batch element, computed in one vectorized pass) instead of the full ``f(x).shape + x.shape``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ShapeError
from ._base import ADArray, new_level
from .forward import Dual
from .reverse import Tape, Var

__all__ = ["jvp", "vjp", "jacfwd", "jacrev", "grad", "hessian"]

ArrayFunction = Callable[[Any], Any]


def _as_input(x: Any, name: str) -> np.ndarray | ADArray:
    """``x`` as a float array (AD values pass through untouched, for nesting)."""
    if isinstance(x, ADArray):
        return x
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ShapeError(f"{name} must be an array of numbers, got {type(x).__name__}: {exc}") from None


def _check_batch_ndim(batch_ndim: Any, ndim: int) -> int:
    if not isinstance(batch_ndim, (int, np.integer)) or isinstance(batch_ndim, bool) or not 0 <= batch_ndim <= ndim:
        raise ShapeError(f"batch_ndim must be an int in [0, x.ndim] = [0, {ndim}], got {batch_ndim!r}")
    return int(batch_ndim)


def _check_out_batch(out_shape: tuple[int, ...], batch: tuple[int, ...]) -> None:
    if tuple(out_shape[: len(batch)]) != batch:
        raise ShapeError(
            f"with batch_ndim={len(batch)}, f(x) must start with the batch axes {batch} of x, got shape {out_shape}"
        )


def _directions(shape: tuple[int, ...], batch_ndim: int) -> tuple[int, Any]:
    """k = size of the event, and the identity seed ``(k, *shape)`` repeated over the batch (a view)."""
    event = shape[batch_ndim:]
    k = math.prod(event)
    eye = np.eye(k).reshape((k,) + (1,) * batch_ndim + event)
    return k, np.broadcast_to(eye, (k,) + shape)


def _unpack_dual(y: Any, level: int, k: int) -> tuple[Any, Any]:
    """(value, tangent (k, *shape)) of f's output; a zero tangent if the output does not depend on x."""
    if isinstance(y, Dual) and y._level == level:
        return y.value, y.tangent
    if not isinstance(y, ADArray):
        y = np.asarray(y, dtype=float)
    return y, np.zeros((k,) + tuple(np.shape(y)))


def jvp(f: ArrayFunction, x: npt.ArrayLike, v: npt.ArrayLike) -> tuple[Any, Any]:
    """Forward mode: ``f(x)`` and the Jacobian-vector product ``J v``.

    Args:
        f: Function of one array, written in NumPy operations.
        x: Point, shape ``X``.
        v: Tangent, shape ``X``; or ``(k, *X)`` for k tangents pushed forward in one pass.

    Returns:
        ``(f(x), J v)``: shapes ``Y`` and ``Y`` (or ``(k, *Y)`` for k tangents).

    Raises:
        ShapeError: If ``v`` is neither of shape ``X`` nor ``(k, *X)``.
    """
    x = _as_input(x, "x")
    v = _as_input(v, "v")
    xs, vs = tuple(x.shape), tuple(v.shape)
    single = vs == xs
    if not single and vs[1:] != xs:
        raise ShapeError(f"v must have the shape of x {xs} or (k, *x.shape), got {vs}")
    t = np.reshape(v, (1,) + vs) if single else v
    level = new_level()
    value, tangent = _unpack_dual(f(Dual(x, t, level)), level, t.shape[0])
    return value, (np.reshape(tangent, tangent.shape[1:]) if single else tangent)


def vjp(f: ArrayFunction, x: npt.ArrayLike) -> tuple[Any, Callable[[Any], Any]]:
    """Reverse mode: ``f(x)`` and a pullback ``u ↦ uᵀ J``, recorded once and callable any number of times.

    Args:
        f: Function of one array, written in NumPy operations.
        x: Point, shape ``X``.

    Returns:
        ``(f(x), pullback)``. ``pullback(u)`` takes ``u`` of shape ``Y = f(x).shape`` and returns ``uᵀ J``
        of shape ``X``; or ``u`` of shape ``(m, *Y)`` (m cotangents, pulled back in one sweep) and returns
        ``(m, *X)``. It raises ``ShapeError`` for any other shape.
    """
    x = _as_input(x, "x")
    tape = Tape()
    xv = tape.variable(x)
    y = f(xv)
    mine = isinstance(y, Var) and y._level == tape.level
    value = y.value if mine else (y if isinstance(y, ADArray) else np.asarray(y, dtype=float))
    out_shape = tuple(np.shape(value))
    x_shape = tuple(x.shape)

    def pullback(u: npt.ArrayLike) -> Any:
        u = _as_input(u, "u")
        us = tuple(u.shape)
        single = us == out_shape
        if not single and us[1:] != out_shape:
            raise ShapeError(f"u must have the shape of f(x) {out_shape} or (m, *f(x).shape), got {us}")
        g = np.reshape(u, (1,) + us) if single else u
        if mine:
            (gx,) = tape.pull_back(y, g, [xv])
        else:
            gx = np.zeros(g.shape[:1] + x_shape)
        return np.reshape(gx, x_shape) if single else gx

    return value, pullback


def jacfwd(f: ArrayFunction, *, batch_ndim: int = 0) -> Callable[[npt.ArrayLike], Any]:
    """Jacobian of ``f`` by forward mode: all directions of ``x`` pushed forward in one pass.

    Args:
        f: Function of one array, written in NumPy operations.
        batch_ndim: Number of leading axes of ``x`` that are independent batch axes (see module docstring).

    Returns:
        A function ``x ↦ J``: with ``x`` of shape ``batch + in_event`` and ``f(x)`` of shape
        ``batch + out_event``, ``J`` has shape ``batch + out_event + in_event`` and
        ``J[b, i, j] = ∂f(x)[b, i] / ∂x[b, j]``. ``batch_ndim=0``: ``f(x).shape + x.shape``.
        It raises ``ShapeError`` for a bad ``batch_ndim`` or an output without the batch axes.
    """

    def jacobian(x: npt.ArrayLike) -> Any:
        x = _as_input(x, "x")
        shape = tuple(x.shape)
        b = _check_batch_ndim(batch_ndim, len(shape))
        level = new_level()
        seed = Dual._identity_seed(x, b, level)  # tangent (k, *shape): the identity over the event axes
        value, tangent = _unpack_dual(f(seed), level, seed._k)
        out_shape = tuple(np.shape(value))
        _check_out_batch(out_shape, shape[:b])
        jac = np.moveaxis(tangent, 0, -1)  # (*batch, *out_event, k)
        return np.reshape(jac, out_shape + shape[b:])

    return jacobian


def jacrev(f: ArrayFunction, *, batch_ndim: int = 0) -> Callable[[npt.ArrayLike], Any]:
    """Jacobian of ``f`` by reverse mode: one recording, all output rows pulled back in one sweep.

    Args:
        f: Function of one array, written in NumPy operations.
        batch_ndim: Number of leading axes of ``x`` that are independent batch axes (see module docstring).

    Returns:
        A function ``x ↦ J`` with the same shape and meaning as :func:`jacfwd`.
        It raises ``ShapeError`` for a bad ``batch_ndim`` or an output without the batch axes.
    """

    def jacobian(x: npt.ArrayLike) -> Any:
        x = _as_input(x, "x")
        shape = tuple(x.shape)
        b = _check_batch_ndim(batch_ndim, len(shape))
        tape = Tape()
        xv = tape.variable(x)
        y = f(xv)
        mine = isinstance(y, Var) and y._level == tape.level
        value = y.value if mine else y
        out_shape = tuple(np.shape(value))
        batch = shape[:b]
        _check_out_batch(out_shape, batch)
        if not mine:
            return np.zeros(out_shape + shape[b:])
        m, seed = _directions(out_shape, b)
        (gx,) = tape.pull_back(y, seed, [xv])  # (m, *batch, *in_event)
        jac = np.moveaxis(gx, 0, b)  # (*batch, m, *in_event)
        return np.reshape(jac, out_shape + shape[b:])

    return jacobian


def grad(f: ArrayFunction, *, batch_ndim: int = 0) -> Callable[[npt.ArrayLike], Any]:
    """Gradient of a scalar function by reverse mode.

    Args:
        f: Function of one array returning a scalar (shape ``batch`` when ``batch_ndim > 0``).
        batch_ndim: Number of leading independent batch axes of ``x``.

    Returns:
        A function ``x ↦ ∇f(x)`` of the shape of ``x``. It raises ``ShapeError`` if ``f`` is not scalar
        (per batch element).
    """
    jac = jacrev(f, batch_ndim=batch_ndim)

    def gradient(x: npt.ArrayLike) -> Any:
        x = _as_input(x, "x")
        g = jac(x)
        if tuple(np.shape(g)) != tuple(x.shape):
            raise ShapeError(
                f"grad needs f to return a scalar per batch element (shape {tuple(x.shape)[:batch_ndim]}), "
                f"got a Jacobian of shape {tuple(np.shape(g))}; use jacrev"
            )
        return g

    return gradient


def hessian(f: ArrayFunction, *, batch_ndim: int = 0) -> Callable[[npt.ArrayLike], Any]:
    """Second derivatives by forward over reverse: ``jacfwd(jacrev(f))``.

    Args:
        f: Function of one array, written in NumPy operations.
        batch_ndim: Number of leading independent batch axes of ``x``.

    Returns:
        A function ``x ↦ H`` of shape ``batch + out_event + in_event + in_event`` with
        ``H[b, i, j, l] = ∂²f(x)[b, i] / ∂x[b, j] ∂x[b, l]`` (``batch + in + in`` for a scalar ``f``).
    """
    return jacfwd(jacrev(f, batch_ndim=batch_ndim), batch_ndim=batch_ndim)
