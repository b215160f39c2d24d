"""Singularity analysis: determinants, singular values, manipulability, lost directions, search and maps.

Two layers:

- Functions of a Jacobian ``J`` ``(..., m, n)`` (usually ``(..., 6, n)`` with rows ``[v; ω]``):
  :func:`singular_values`, :func:`smallest_singular_value`, :func:`inverse_condition`,
  :func:`manipulability`, :func:`det`. They batch over the leading axes and compose with
  :func:`robokin.kinematics.jacobian`.
- Functions of ``(robot, q)``: :func:`scaled_jacobian`, :func:`is_singular`, :func:`analyze`,
  :func:`det_gradient`, :func:`find_singular`, :func:`singularity_map`.

Scale. A Jacobian's rows mix m/s and rad/s, so ``σ_min / σ_max`` of the raw ``J`` changes with the length
unit. The functions of ``(robot, q)`` therefore work on the *scaled* Jacobian
``J_s = diag(I/L, I) · J · diag(1 for revolute, L for prismatic joints)``, where ``L`` is the robot's
characteristic length (:func:`characteristic_length`: the sum of the link offsets from the first joint to
the tool plus the prismatic strokes). In ``J_s`` the task is ``[v/L; ω]`` and the joint rates are
``[rad/s; (m/s)/L]``: all unit-free, and an arm scaled by any factor has the same ``J_s``. "Singular" means
``σ_min / σ_max`` of ``J_s`` (restricted to the task rows) below a tolerance.

Task rows. By default (``rows="auto"``) the task is the rows of ``J`` the arm controls independently
(:func:`task_rows`): all six for a 6- or 7-joint spatial arm, ``[vx, vy]`` for a planar 2R arm,
``[vx, vy, vz, wz]`` for a SCARA.

Types (6-joint arms whose last three joints are revolute; see :func:`analyze`): ``"wrist"``, ``"elbow"``,
``"shoulder"``, or ``"unclassified"`` when J is singular for none of those reasons (or the arm is not of that
kind).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal, Sequence

import numpy as np
import numpy.typing as npt

from . import _checks
from .errors import OptionError, ShapeError
from .kinematics import _flat, _jacobian_analytic, _poses, _task_rows, jacobian

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .model import Robot

__all__ = [
    "singular_values",
    "smallest_singular_value",
    "inverse_condition",
    "manipulability",
    "det",
    "characteristic_length",
    "task_rows",
    "scaled_jacobian",
    "is_singular",
    "det_gradient",
    "analyze",
    "SingularityReport",
    "find_singular",
    "SingularSearch",
    "singularity_map",
    "SingularityMap",
    "SINGULAR_TOL",
    "TYPES",
]

Rows = str | Sequence[int]


def _matrix(J: npt.ArrayLike, name: str = "J") -> np.ndarray:
    """``J`` as a float array ``(..., m, n)`` with finite entries; ShapeError otherwise."""
    try:
        arr = np.asarray(J, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ShapeError(f"{name} must be an array of numbers, got {type(J).__name__}: {exc}") from None
    if arr.ndim < 2 or 0 in arr.shape[-2:]:
        raise ShapeError(f"{name} must have shape (..., m, n) with m, n >= 1, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ShapeError(f"{name} must be finite")
    return arr


def _select_rows(J: np.ndarray, rows: Rows) -> np.ndarray:
    if isinstance(rows, str) and rows == "all":
        return J
    if J.shape[-2] != 6:
        raise ShapeError(f"rows={rows!r} needs a Jacobian with 6 rows [v; ω], got shape {J.shape}")
    return J[..., _task_rows(rows), :]


def singular_values(J: npt.ArrayLike) -> np.ndarray:
    """Singular values of ``J``, largest first.

    Args:
        J: ``(..., m, n)``, e.g. a Jacobian ``(..., 6, n)``.

    Returns:
        ``(..., min(m, n))``, descending, >= 0 (units of J).

    Raises:
        ShapeError: ``J`` is not ``(..., m, n)`` or not finite.
    """
    return np.linalg.svd(_matrix(J), compute_uv=False)


def smallest_singular_value(J: npt.ArrayLike) -> np.ndarray:
    """The smallest of the ``min(m, n)`` singular values of ``J`` ``(..., m, n)``; shape ``(...)``."""
    return singular_values(J)[..., -1]


def inverse_condition(J: npt.ArrayLike) -> np.ndarray:
    """Inverse condition number ``σ_min / σ_max`` of ``J`` ``(..., m, n)``, in ``[0, 1]``; shape ``(...)``.

    Scale-free: ``inverse_condition(c * J) == inverse_condition(J)`` for any ``c != 0``. It is 0 for a
    zero matrix (and for any rank-deficient one), 1 for a multiple of an orthonormal one. Note that for
    a Jacobian whose rows mix metres and radians the number depends on the length unit; the functions of
    ``(robot, q)`` use :func:`scaled_jacobian` to make it unit-free.
    """
    s = singular_values(J)
    top = s[..., 0]
    safe = np.where(top > 0.0, top, 1.0)
    return np.where(top > 0.0, s[..., -1] / safe, 0.0)


def manipulability(J: npt.ArrayLike, rows: Rows = "all") -> np.ndarray:
    """Yoshikawa's manipulability: the product of the singular values of ``J[rows]``.

    For a wide full-rank ``J_r`` (k rows, ``k <= n``) this is ``√det(J_r J_rᵀ)``; for a square one
    ``|det J_r|``; for a tall one (more task rows than joints, e.g. the 3 translation rows of a planar
    2R arm) it is ``√det(J_rᵀ J_r)``, the volume the joint columns span, which vanishes exactly when the
    columns become dependent. (Yoshikawa, "Manipulability of robotic mechanisms", IJRR 4(2), 1985.)

    Args:
        J: ``(..., 6, n)`` rows ``[v; ω]`` (any ``(..., m, n)`` with ``rows="all"``).
        rows: ``"all"``, ``"translation"`` (rows 0-2), ``"rotation"`` (rows 3-5) or row indices.

    Returns:
        ``(...)`` >= 0, in the units of the product of the singular values.

    Raises:
        ShapeError: bad ``J``; OptionError: bad ``rows``.
    """
    return np.prod(singular_values(_select_rows(_matrix(J), rows)), axis=-1)


def det(J: npt.ArrayLike, rows: Rows = "all") -> np.ndarray:
    """Determinant of a square Jacobian, or of the square block of the chosen task rows.

    Example: the translation rows x, y of a planar 2R arm, ``det(J, rows=[0, 1]) = l1 l2 sin q2``.

    Args:
        J: ``(..., 6, n)`` rows ``[v; ω]`` (any square ``(..., m, m)`` with ``rows="all"``).
        rows: ``"all"``, ``"translation"``, ``"rotation"`` or row indices; their number must equal n.

    Returns:
        ``(...)`` signed determinant.

    Raises:
        ShapeError: the selected block is not square (say which rows to use).
    """
    Jr = _select_rows(_matrix(J), rows)
    if Jr.shape[-1] != Jr.shape[-2]:
        raise ShapeError(
            f"det needs a square block: J has shape {Jr.shape[-2:]} for rows={rows!r}; choose "
            f"{Jr.shape[-1]} task rows with rows=[...] (indices into [vx, vy, vz, wx, wy, wz]) or use "
            "manipulability(J, rows) for a non-square block"
        )
    return np.linalg.det(Jr)
