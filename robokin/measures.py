"""Functions of a Jacobian: singular values, det, manipulability, inverse condition, task rows and scaling.

Every function takes ``J`` ``(..., m, n)`` (usually a Jacobian ``(..., 6, n)`` with rows ``[v; ω]``),
batches over the leading axes and composes with :func:`robokin.kinematics.jacobian`. The inverse condition
``σ_min / σ_max`` (= 1/κ(J)) is computed in one place, :func:`inverse_condition_from_singular_values`.
Two robot-level helpers say how to read a robot's Jacobian: :func:`unit_scales` (rows ``[v/L; ω]``) and
:func:`task_rows` (the rows the arm controls independently, its default task).
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from . import validation
from .errors import ShapeError
from .kinematics import path_jacobian

if TYPE_CHECKING:  # pragma: no cover
    from .model import Robot

__all__ = [
    "Rows",
    "ROW_NAMES",
    "matrix",
    "row_indices",
    "select_rows",
    "scale_translation_rows",
    "singular_values",
    "smallest_singular_value",
    "inverse_condition",
    "inverse_condition_from_singular_values",
    "manipulability",
    "det",
    "unit_scales",
    "task_rows",
    "without_overflow",
    "RANK_TOL",
]

Rows = str | Sequence[int]
ROW_NAMES = validation.ROW_NAMES
row_indices = validation.row_indices  # the task-row option is checked in layer 1, so kinematics shares it

# Relative threshold on singular values when finding the generic rank of row blocks (task_rows).
RANK_TOL = 1e-8


def matrix(J: npt.ArrayLike, name: str = "J") -> np.ndarray:
    """``J`` as a float array ``(..., m, n)`` with ``m, n >= 1`` and finite real entries; ShapeError otherwise."""
    arr = validation.real_array(J, name, "(..., m, n)")
    if arr.ndim < 2 or 0 in arr.shape[-2:]:
        raise ShapeError(f"{name} must have shape (..., m, n) with m, n >= 1, got shape {arr.shape}")
    return validation.require_finite(arr, name)


def select_rows(J: np.ndarray, rows: Rows) -> np.ndarray:
    """``J[..., rows, :]`` for a validated ``J``; ``rows="all"`` accepts any ``(..., m, n)``, else m must be 6."""
    if isinstance(rows, str) and rows == "all":
        return J
    idx = row_indices(rows)
    if J.shape[-2] != 6:
        raise ShapeError(f"rows={rows!r} needs a Jacobian with 6 rows [v; ω], got shape {J.shape}")
    return J[..., idx, :]


def scale_translation_rows(J: npt.ArrayLike, length: float) -> np.ndarray:
    """``diag(I/length, I) @ J``: the rows ``[v/L; ω]`` of a Jacobian ``(..., 6, n)``, unit-free in v.

    Args:
        J: ``(..., 6, n)`` rows ``[v; ω]``.
        length: ``L`` > 0 [m], e.g. :attr:`robokin.model.Robot.characteristic_length`.

    Returns:
        ``(..., 6, n)``.

    Raises:
        ShapeError: bad ``J`` or ``length``, or a ``length`` so small that ``v/L`` overflows.
    """
    arr = matrix(J)
    if arr.shape[-2] != 6:
        raise ShapeError(f"J must have shape (..., 6, n) [v; ω], got shape {arr.shape}")
    if not (isinstance(length, numbers.Real) and np.isfinite(length) and length > 0):
        raise ShapeError(f"length must be a finite number > 0 [m], got {length!r}")
    with np.errstate(over="ignore"):
        scaled = np.concatenate([arr[..., :3, :] / length, arr[..., 3:, :]], axis=-2)
    return validation.finite_result(
        scaled, "scaled Jacobian", ("J", arr, 2), ("length", length, 0), batch_ndim=arr.ndim - 2
    )


# Matrices with an entry of 2**HUGE_EXPONENT or more are scaled by a power of two before an SVD or a
# determinant, so that neither overflows (their squares would pass the largest float, 2**1024); smaller ones
# are used as they are, so that tiny singular values keep their precision.
HUGE_EXPONENT = 500


def without_overflow(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(A / 2**e, e)``: each matrix of ``A`` ``(..., m, n)`` with an entry of ``2**HUGE_EXPONENT`` or more scaled
    (exactly) to entries below 2; ``e`` ``(...)`` int, 0 for the others (left as they are)."""
    _, exponent = np.frexp(np.abs(A).max(axis=(-2, -1), initial=0.0))
    e = np.where(exponent > HUGE_EXPONENT, exponent - 1, 0)
    return (np.ldexp(A, -e[..., None, None]) if e.any() else A), e


def singular_values(J: npt.ArrayLike) -> np.ndarray:
    """Singular values of ``J``, largest first.

    A ``J`` with huge entries is scaled by a power of two for the SVD (exact); a singular value beyond the
    largest float is ``inf``, never NaN.

    Args:
        J: ``(..., m, n)``, e.g. a Jacobian ``(..., 6, n)``.

    Returns:
        ``(..., min(m, n))``, descending, >= 0 (units of J).

    Raises:
        ShapeError: ``J`` is not ``(..., m, n)`` or not finite.
    """
    A, e = without_overflow(matrix(J))
    s = np.linalg.svd(A, compute_uv=False)
    return np.ldexp(s, e[..., None]) if e.any() else s


def smallest_singular_value(J: npt.ArrayLike) -> np.ndarray:
    """The smallest of the ``min(m, n)`` singular values of ``J`` ``(..., m, n)``; shape ``(...)``."""
    return singular_values(J)[..., -1]


def inverse_condition_from_singular_values(s: np.ndarray) -> np.ndarray:
    """``σ_min / σ_max`` ``(...)`` from singular values ``(..., k)`` sorted descending; 0 where ``σ_max = 0``.

    The one place the inverse condition is computed; kernels that already hold the singular values (from an
    SVD they need anyway) call it without re-validating.
    """
    top = s[..., 0]
    if (top > 0.0).all():
        return s[..., -1] / top
    return np.where(top > 0.0, s[..., -1] / np.where(top > 0.0, top, 1.0), 0.0)


def inverse_condition(J: npt.ArrayLike) -> np.ndarray:
    """Inverse condition number ``σ_min / σ_max`` (= 1/κ(J)) of ``J`` ``(..., m, n)``, in ``[0, 1]``; shape ``(...)``.

    Scale-free: ``inverse_condition(c * J) == inverse_condition(J)`` for any ``c != 0``. It is 0 for a
    zero matrix (and for any rank-deficient one), 1 for a multiple of an orthonormal one. Note that for
    a Jacobian whose rows mix metres and radians the number depends on the length unit; the functions of
    ``(robot, q)`` in :mod:`robokin.singularity` scale it (:func:`scale_translation_rows`) to make it unit-free.
    Huge entries are scaled by a power of two first, so no singular value overflows.
    """
    A, _ = without_overflow(matrix(J))
    return inverse_condition_from_singular_values(np.linalg.svd(A, compute_uv=False))


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

    Huge entries do not overflow into NaN: a ``J_r`` with entries over ``2**500`` is scaled by a power of
    two (exact) near its largest entry before the SVD; a product beyond the largest float is ``inf``, and
    it is 0 wherever a singular value is 0.

    Raises:
        ShapeError: bad ``J``; OptionError: bad ``rows``.
    """
    A, e = without_overflow(select_rows(matrix(J), rows))
    sigma = np.linalg.svd(A, compute_uv=False)
    with np.errstate(over="ignore", invalid="ignore"):  # inf * 0 where a σ is 0: replaced by 0 below
        w = np.prod(np.ldexp(sigma, e[..., None]), axis=-1)
    return np.where((sigma == 0).any(axis=-1), 0.0, w)


def det(J: npt.ArrayLike, rows: Rows = "all") -> np.ndarray:
    """Determinant of a square Jacobian, or of the square block of the chosen task rows.

    Example: the translation rows x, y of a planar 2R arm, ``det(J, rows=[0, 1]) = l1 l2 sin q2``.

    Args:
        J: ``(..., 6, n)`` rows ``[v; ω]`` (any square ``(..., m, m)`` with ``rows="all"``).
        rows: ``"all"``, ``"translation"``, ``"rotation"`` or row indices; their number must equal n.

    Returns:
        ``(...)`` signed determinant; ``±inf`` beyond the largest float, never NaN (a block with huge entries
        is scaled by a power of two first, exactly).

    Raises:
        ShapeError: the selected block is not square (say which rows to use).
    """
    Jr = select_rows(matrix(J), rows)
    if Jr.shape[-1] != Jr.shape[-2]:
        raise ShapeError(
            f"det needs a square block: J has shape {Jr.shape[-2:]} for rows={rows!r}; choose "
            f"{Jr.shape[-1]} task rows with rows=[...] (indices into [vx, vy, vz, wx, wy, wz]) or use "
            "manipulability(J, rows) for a non-square block"
        )
    A, e = without_overflow(Jr)
    d = np.linalg.det(A)
    if not e.any():
        return d
    with np.errstate(over="ignore"):  # det(2**e A) = 2**(m e) det(A): ±inf past the largest float, 0 stays 0
        return np.ldexp(d, e * Jr.shape[-1])


# --------------------------------------------------------------------------------------------- a robot's task
# The two robot-level inputs of the measures: the unit-free scaling of J and the rows the arm controls.
def unit_scales(robot: Robot) -> tuple[np.ndarray, np.ndarray]:
    """Row scale ``(6,)`` ``[1/L]*3 + [1]*3`` and column scale ``(n,)`` (1 revolute, L prismatic).

    ``J_s = J * rows[:, None] * cols`` is the unit-free Jacobian ``diag(I/L, I) J diag(1 | L)`` with ``L`` =
    :attr:`robokin.model.Robot.characteristic_length`: the same for an arm scaled by any factor.
    """
    L = robot.characteristic_length
    rows = np.array([1.0 / L] * 3 + [1.0] * 3)
    cols = np.where(np.array(robot.joint_types) == "revolute", 1.0, L)
    return rows, cols


@functools.lru_cache(maxsize=256)
def task_rows(robot: Robot, link: str | None = None) -> tuple[int, ...]:
    """The rows of ``J`` the arm controls independently: the default task (``rows="auto"``).

    Rows are taken greedily in the order ``vx, vy, vz, wx, wy, wz`` (translation first), each kept when
    it raises the generic rank of the scaled Jacobian's chosen rows (the largest rank over 8 seeded random
    configurations within the limits). A spatial arm with 6 or more joints gets all six rows, a planar
    2R arm ``(0, 1)`` (x, y: its position in the plane), a planar 3R arm ``(0, 1, 5)``, a SCARA
    ``(0, 1, 2, 5)``.

    Args:
        robot: The robot.
        link: The frame whose task it is (default: the robot's one end effector).

    Returns:
        Row indices into ``[vx, vy, vz, wx, wy, wz]``, increasing.
    """
    row_scale, col_scale = unit_scales(robot)
    lo, hi = robot.sampling_bounds.T
    q = lo + (hi - lo) * np.random.default_rng(0).random((8, robot.n))
    Js = path_jacobian(robot.link_path(link), q) * row_scale[:, None] * col_scale  # (8, 6, n)
    floor = RANK_TOL * max(float(np.linalg.svd(Js, compute_uv=False).max()), np.finfo(float).tiny)
    chosen: list[int] = []
    for r in range(6):
        s = np.linalg.svd(Js[:, chosen + [r], :], compute_uv=False)
        if int((s > floor).sum(axis=-1).max()) > len(chosen):
            chosen.append(r)
    return tuple(chosen)
