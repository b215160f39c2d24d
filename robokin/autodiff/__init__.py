"""robokin's automatic differentiation on NumPy: forward-mode duals, a reverse-mode tape, and their nesting.

Functions written in plain NumPy (``@``, ``sin``, ``cos``, indexing, ``stack``, ``concatenate``, ``einsum``,
``linalg.det``/``inv``/``solve``/``norm``, ...) run unchanged on the AD values, which take part in NumPy
through ``__array_ufunc__`` and ``__array_function__``. An operation without a derivative rule raises
``TypeError`` naming it; nothing silently becomes a constant. The conventions at nonsmooth points (abs,
sqrt, norm at 0, ties of maximum/minimum) are listed in ``robokin/autodiff/_rules.py``.

Example:
    >>> import numpy as np
    >>> from robokin import autodiff as ad
    >>> f = lambda x: np.sin(x[..., 0]) * x[..., 1]
    >>> ad.jacfwd(f, batch_ndim=1)(np.zeros((5, 2))).shape   # (N,) per batch element, 2 inputs
    (5, 2)
"""

from __future__ import annotations

from . import _rules  # noqa: F401  (registers the composite operations)
from ._base import is_ad, primal
from .api import grad, hessian, jacfwd, jacrev, jvp, vjp
from .forward import Dual
from .reverse import Tape, Var

__all__ = ["Dual", "Var", "Tape", "jvp", "vjp", "jacfwd", "jacrev", "grad", "hessian", "is_ad", "primal"]
