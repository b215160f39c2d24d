"""Validation of array arguments at the API boundary; kernels trust what passes here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np
import numpy.typing as npt

from .errors import ConventionError, OptionError, ShapeError

if TYPE_CHECKING:  # pragma: no cover
    from .model import Robot

# Rigid-transform check: |RᵀR - I| and |det R - 1| below this, last row exactly [0, 0, 0, 1] within it.
RIGID_TOL = 1e-6
_EYE3 = np.eye(3)
_LAST_ROW = np.array([0.0, 0.0, 0.0, 1.0])


def _float_array(value: npt.ArrayLike, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ShapeError(f"{name} must be an array of numbers, got {type(value).__name__}: {exc}") from None
    return arr


def _require_finite(arr: np.ndarray, name: str) -> None:
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ShapeError(f"{name} must be finite; found {arr[tuple(bad)]} at index {tuple(int(i) for i in bad)}")


def joint_vector(robot: "Robot", q: npt.ArrayLike, name: str = "q") -> np.ndarray:
    """``q`` as a float array ``(..., n)``, finite; a ShapeError that names n and the joints otherwise."""
    arr = q if type(q) is np.ndarray and q.dtype == np.float64 else _float_array(q, name)
    if arr.ndim == 0 or arr.shape[-1] != robot.n:
        raise ShapeError(
            f"{name} must have shape (..., {robot.n}) for robot {robot.name!r} "
            f"(joints {', '.join(robot.joint_names)}), got shape {arr.shape}"
        )
    _require_finite(arr, name)
    return arr


def transforms(T: npt.ArrayLike, name: str = "T") -> np.ndarray:
    """``T`` as float ``(..., 4, 4)`` rigid transforms; ShapeError / ConventionError otherwise."""
    arr = _float_array(T, name)
    if arr.ndim < 2 or arr.shape[-2:] != (4, 4):
        raise ShapeError(f"{name} must have shape (..., 4, 4), got shape {arr.shape}")
    _require_finite(arr, name)
    R = arr[..., :3, :3]
    ortho = np.abs(np.swapaxes(R, -1, -2) @ R - _EYE3).max(axis=(-1, -2))
    det_off = np.abs(np.linalg.det(R) - 1.0)
    last = np.abs(arr[..., 3, :] - _LAST_ROW).max(axis=-1)
    # One comparison per check on the batch's largest deviation (the common, valid case); the per-item
    # mask only to name the first bad one.
    if arr.size and max(ortho.max(), det_off.max(), last.max()) > RIGID_TOL:
        bad = (ortho > RIGID_TOL) | (det_off > RIGID_TOL) | (last > RIGID_TOL)
        idx = tuple(int(i) for i in np.argwhere(bad)[0]) if arr.ndim > 2 else ()
        raise ConventionError(
            f"{name}{list(idx) if idx else ''} is not a rigid transform: the rotation block must be "
            f"orthonormal with det +1 and the last row [0, 0, 0, 1] (tolerance {RIGID_TOL})"
        )
    return arr


def choice(value: str, name: str, options: Sequence[str]) -> str:
    """``value`` if it is one of ``options``; an OptionError listing them otherwise."""
    if value not in options:
        raise OptionError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value
