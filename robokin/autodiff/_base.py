"""What both AD types share: NumPy dispatch, array-like dunders, nesting levels and the error messages.

Every AD value (a forward-mode ``Dual`` or a reverse-mode ``Var``) carries a *level*: an integer drawn
from one global counter when a transform (``jvp``, ``jacfwd``, ``vjp``, ``jacrev``) starts. A transform
started inside another one gets a higher level. When an operation meets AD values of several levels, the
highest level handles it and treats the others as constants (whose values may themselves be AD values of
a lower level, handled when the rule calls NumPy on them). This is what makes nesting (``hessian`` =
``jacfwd(jacrev(f))``) correct without perturbation confusion.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["ADArray", "new_level", "unsupported", "func_name", "is_ad", "primal"]

_LEVELS = itertools.count(1)


def new_level() -> int:
    """A fresh nesting level, higher than every level handed out before."""
    return next(_LEVELS)


def unsupported(what: str, kind: str) -> TypeError:
    """The one error for an operation the AD types do not differentiate."""
    return TypeError(f"robokin.autodiff: {what} is not supported for {kind} values")


def reject_out(kind: str, name: str, out: Any = None, **kw: Any) -> None:
    """Refuse ``out=`` (an in-place write) and any keyword argument that is not None for ``name``."""
    if out is not None:
        raise TypeError(f"robokin.autodiff: {name} with out= writes in place, not supported for {kind} values")
    bad = {k: v for k, v in kw.items() if v is not None}
    if bad:
        raise unsupported(f"{name} with keyword arguments {sorted(bad)}", kind)


def func_name(func: Callable[..., Any]) -> str:
    """``numpy.linalg.det``-style dotted name of a NumPy function (for error messages)."""
    module = getattr(func, "__module__", None) or "numpy"
    return f"{module}.{getattr(func, '__name__', repr(func))}"


def is_ad(x: object) -> bool:
    """True if ``x`` is an AD value (``Dual`` or ``Var``) that must not be converted with ``np.asarray``."""
    return isinstance(x, ADArray)


def primal(x: Any) -> Any:
    """Strip every AD layer: the plain float value underneath ``x``."""
    while isinstance(x, ADArray):
        x = x.value
    return x


# Ufuncs whose result does not depend smoothly on the input: computed on the values, returned plain.
_VALUE_ONLY_UFUNCS = frozenset(
    {
        np.less,
        np.less_equal,
        np.greater,
        np.greater_equal,
        np.equal,
        np.not_equal,
        np.isfinite,
        np.isnan,
        np.isinf,
        np.signbit,
    }
)

# Functions of the shape only: computed on the values, returned plain.
_SHAPE_ONLY_FUNCS = frozenset({np.shape, np.ndim, np.size, np.zeros_like, np.ones_like})


def _top(objs: tuple[Any, ...]) -> ADArray:
    """The AD value of the highest level among ``objs`` (looking one level into lists and tuples)."""
    best: ADArray | None = None
    for obj in objs:
        items = obj if isinstance(obj, (list, tuple)) else (obj,)
        for item in items:
            if isinstance(item, ADArray) and (best is None or item._level > best._level):
                best = item
    assert best is not None  # NumPy dispatches to us only when one of the arguments is ours
    return best


class ADArray:
    """Base of the AD value types: behaves like a read-only ``np.ndarray`` under NumPy functions.

    Subclasses provide ``_kind`` (name for messages), ``_UFUNC_RULES`` ({ufunc: rule(level, *inputs)}),
    ``_FUNC_RULES`` ({numpy function: rule(level, *args, **kwargs)}) and ``_getitem``.

    Attributes:
        value: The primal value, an ``np.ndarray`` (or an AD value of a lower level when nested).
    """

    __slots__ = ("value", "_level")
    __array_priority__ = 1000.0
    _kind = "AD"
    _UFUNC_RULES: dict[Any, Callable[..., Any]] = {}
    _FUNC_RULES: dict[Any, Callable[..., Any]] = {}
    _COMPOSITES: dict[Any, Callable[..., Any]] = {}  # filled by robokin.autodiff._rules

    value: Any
    _level: int

    # ---- NumPy protocols -------------------------------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return _top(inputs)._ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return _top(args + tuple(kwargs.values()))._function(func, args, kwargs)

    def _ufunc(self, ufunc: np.ufunc, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        name = f"numpy.{ufunc.__name__}"
        if method != "__call__":
            raise unsupported(f"{name}.{method}", self._kind)
        if "out" in kwargs:
            raise TypeError(
                f"robokin.autodiff: {name} with out= writes into an array in place, which is not supported "
                f"for {self._kind} values; use the returned value instead"
            )
        if kwargs:
            raise unsupported(f"{name} with keyword arguments {sorted(kwargs)}", self._kind)
        if ufunc in _VALUE_ONLY_UFUNCS:
            return ufunc(*(x.value if isinstance(x, ADArray) else x for x in inputs))
        rule = self._UFUNC_RULES.get(ufunc)
        if rule is None:
            raise unsupported(name, self._kind)
        return rule(self._level, *inputs)

    def _function(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        composite = self._COMPOSITES.get(func)
        if composite is not None:
            return composite(*args, **kwargs)
        if func in _SHAPE_ONLY_FUNCS:
            return func(primal(args[0]), *args[1:], **kwargs)
        rule = self._FUNC_RULES.get(func)
        if rule is None:
            raise unsupported(func_name(func), self._kind)
        return rule(self._level, *args, **kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError(
            f"robokin.autodiff: converting a {self._kind} to a plain NumPy array (np.asarray, np.array, "
            f"assignment into an ndarray, ...) would drop its derivative; use .value for the primal value"
        )

    # ---- array attributes ------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(np.shape(self.value))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def dtype(self) -> np.dtype:
        return primal(self).dtype

    @property
    def T(self) -> Any:
        return np.transpose(self)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))

    def __getitem__(self, key: Any) -> Any:
        return self._getitem(key)

    def _getitem(self, key: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def __setitem__(self, key: Any, item: Any) -> None:
        raise TypeError(
            f"robokin.autodiff: in-place assignment (x[...] = ...) into a {self._kind} value is not "
            f"supported; build a new array with np.where, np.concatenate or np.stack"
        )

    def __bool__(self) -> bool:
        raise TypeError(
            f"robokin.autodiff: the truth value of a {self._kind} is ambiguous for branching; "
            f"compare explicitly (x > 0 returns a plain bool array of the values)"
        )

    def __float__(self) -> float:
        raise TypeError(f"robokin.autodiff: float() of a {self._kind} would drop its derivative; use .value")

    def __int__(self) -> int:
        raise TypeError(f"robokin.autodiff: int() of a {self._kind} would drop its derivative; use .value")

    __hash__ = None  # type: ignore[assignment]  # mutable-array semantics like np.ndarray

    # ---- methods used in NumPy code --------------------------------------------------------------------
    def reshape(self, *shape: Any, order: str = "C") -> Any:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return np.reshape(self, shape, order=order)  # type: ignore[call-overload]  # to __array_function__

    def sum(self, axis: Any = None, keepdims: bool = False) -> Any:
        return np.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Any:
        return np.mean(self, axis=axis, keepdims=keepdims)

    def swapaxes(self, axis1: int, axis2: int) -> Any:
        return np.swapaxes(self, axis1, axis2)

    def transpose(self, *axes: Any) -> Any:
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]  # type: ignore[assignment]
        return np.transpose(self, axes if axes else None)

    def ravel(self) -> Any:
        return np.ravel(self)

    def squeeze(self, axis: Any = None) -> Any:
        return np.squeeze(self, axis=axis)

    def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
        return np.diagonal(self, offset, axis1, axis2)

    def trace(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
        return np.trace(self, offset, axis1, axis2)

    def dot(self, other: Any) -> Any:
        return np.dot(self, other)

    def clip(self, a_min: Any = None, a_max: Any = None) -> Any:
        return np.clip(self, a_min, a_max)

    def copy(self) -> Any:
        return self  # AD values are immutable

    # ---- arithmetic (all through the ufuncs, so one dispatch path) -------------------------------------
    def __add__(self, o: Any) -> Any:
        return np.add(self, o)

    def __radd__(self, o: Any) -> Any:
        return np.add(o, self)

    def __sub__(self, o: Any) -> Any:
        return np.subtract(self, o)

    def __rsub__(self, o: Any) -> Any:
        return np.subtract(o, self)

    def __mul__(self, o: Any) -> Any:
        return np.multiply(self, o)

    def __rmul__(self, o: Any) -> Any:
        return np.multiply(o, self)

    def __truediv__(self, o: Any) -> Any:
        return np.divide(self, o)

    def __rtruediv__(self, o: Any) -> Any:
        return np.divide(o, self)

    def __pow__(self, o: Any) -> Any:
        return np.power(self, o)

    def __rpow__(self, o: Any) -> Any:
        return np.power(o, self)

    def __matmul__(self, o: Any) -> Any:
        return np.matmul(self, o)

    def __rmatmul__(self, o: Any) -> Any:
        return np.matmul(o, self)

    def __neg__(self) -> Any:
        return np.negative(self)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return np.absolute(self)

    def __lt__(self, o: Any) -> Any:
        return np.less(self, o)

    def __le__(self, o: Any) -> Any:
        return np.less_equal(self, o)

    def __gt__(self, o: Any) -> Any:
        return np.greater(self, o)

    def __ge__(self, o: Any) -> Any:
        return np.greater_equal(self, o)

    def __eq__(self, o: Any) -> Any:
        return np.equal(self, o)

    def __ne__(self, o: Any) -> Any:
        return np.not_equal(self, o)
