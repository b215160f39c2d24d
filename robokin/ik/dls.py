"""The damped-least-squares step: one ``m × m`` solve per row, never an inverse."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .. import validation
from ..errors import ShapeError

__all__ = ["dls_step", "damped_step", "LAMBDA_FLOOR"]

# Floor of the damping λ, relative to the mean diagonal of J Jᵀ (the scale of the normal equations): JJᵀ + λI
# stays invertible in double precision (its rounding is about 1e-16 of that scale) when J loses rank, e.g.
# with joints held at a limit, while where J has full rank the step changes by a relative 1e-10 at most.
# Relative, so weights of any size (and a robot of any size) keep the system solvable.
LAMBDA_FLOOR = 1e-10


def dls_step(J: npt.ArrayLike, e: npt.ArrayLike, lam: npt.ArrayLike, z: npt.ArrayLike | None = None) -> np.ndarray:
    """One damped-least-squares step ``Δq = z + Jᵀ(JJᵀ + λI)⁻¹(e − J z)``, batched.

    This is the minimiser of ``‖J Δq − e‖² + λ‖Δq − z‖²`` (Tikhonov regularisation about ``z``); with
    ``z = 0`` it is the classic ``Δq = Jᵀ(JJᵀ + λI)⁻¹ e`` (Wampler, IEEE T-SMC 16(1), 1986; Nakamura &
    Hanafusa, J. Dyn. Sys. Meas. Control 108, 1986), and as ``λ → 0`` for a redundant ``J`` it tends to
    ``J⁺e + (I − J⁺J) z``: ``z`` acts in the null space only. One ``m × m`` solve, never an inverse.

    Args:
        J: ``(..., m, n)`` task Jacobian (weighted rows).
        e: ``(..., m)`` task error.
        lam: ``(...)`` or a scalar: damping λ > 0 (the squared damping factor of the DLS literature).
        z: ``(..., n)`` preferred joint motion, or None.

    Returns:
        ``(..., n)`` the joint step, the batch shape broadcast from the arguments'.

    Raises:
        ShapeError: an argument that is not a finite real array of the shapes above, λ <= 0, or a step beyond
            the largest float (huge J, e or z).
    """
    J = _real(J, "J")
    if J.ndim < 2 or 0 in J.shape[-2:]:
        raise ShapeError(f"J must have shape (..., m, n) with m, n >= 1, got shape {J.shape}")
    m, n = J.shape[-2:]
    e = _real(e, "e")
    if e.ndim < 1 or e.shape[-1] != m:
        raise ShapeError(f"e must have shape (..., {m}) to match J of shape {J.shape}, got shape {e.shape}")
    lam = _real(lam, "lam")
    if np.any(lam <= 0):
        raise ShapeError("lam must be > 0 (the damping of JJᵀ + λI)")
    parts = [J.shape[:-2], e.shape[:-1], lam.shape]
    if z is not None:
        z = _real(z, "z")
        if z.ndim < 1 or z.shape[-1] != n:
            raise ShapeError(f"z must have shape (..., {n}) to match J of shape {J.shape}, got shape {z.shape}")
        parts.append(z.shape[:-1])
    try:
        batch = np.broadcast_shapes(*parts)
    except ValueError:
        raise ShapeError(
            f"the batch shapes of J {J.shape[:-2]}, e {e.shape[:-1]}, lam {lam.shape}"
            f"{'' if z is None else f', z {z.shape[:-1]}'} do not broadcast"
        ) from None
    N = int(np.prod(batch))
    J2 = np.broadcast_to(J, batch + (m, n)).reshape(N, m, n)
    e2 = np.broadcast_to(e, batch + (m,)).reshape(N, m)
    lam2 = np.broadcast_to(lam, batch).reshape(N)
    z2 = None if z is None else np.broadcast_to(z, batch + (n,)).reshape(N, n)
    with np.errstate(over="ignore", invalid="ignore"):  # checked below
        step = damped_step(J2, e2, lam2, z2, None).reshape(batch + (n,))
    named = [("J", J, 2), ("e", e, 1), ("lam", lam, 0)] + ([] if z is None else [("z", z, 1)])
    return validation.finite_result(step, "step", *named, batch_ndim=len(batch))


def _real(value: npt.ArrayLike, name: str) -> np.ndarray:
    """``value`` as a finite float64 array; a ShapeError naming ``name`` for anything else."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise ShapeError(f"{name} must be an array of real numbers, got {type(value).__name__}: {exc}") from None
    if arr.dtype.kind not in "biuf" or isinstance(value, np.ma.MaskedArray):
        raise ShapeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    arr = arr.astype(float, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ShapeError(f"{name} must be finite")
    return arr


def damped_step(
    J: np.ndarray, e: np.ndarray, lam: np.ndarray, z: np.ndarray | None, held: np.ndarray | None
) -> np.ndarray:
    """:func:`dls_step` on validated ``(N, ...)`` arrays, with the ``held`` joints ``(N, n)`` bool out of the
    task (none when None), and λ raised to at least ``LAMBDA_FLOOR`` × the mean diagonal of ``J_f J_fᵀ``.

    The step of the free joints is that of ``J`` with the held columns zeroed (and ``z`` zeroed there);
    the held joints get ``z + Jᵀy`` with the same multiplier ``y = (J_f J_fᵀ + λI)⁻¹(e − J_f z_f)``: the
    motion the task asks of them, which tells whether a joint held at a limit wants to leave it.
    """
    if J.shape[0] == 0:
        return np.zeros((0, J.shape[-1]))
    Jt = J.mT
    if held is None:
        J_f, z_f = J, z
    else:
        free = ~held
        J_f = J * free[:, None, :]
        z_f = None if z is None else z * free
    A = J_f @ J_f.mT  # (N, m, m)
    m = A.shape[-1]
    diagonal = A.reshape(A.shape[0], -1)[:, :: m + 1]  # a view of the diagonals (N, m)
    # λ >= LAMBDA_FLOOR × the mean diagonal of A; 0 only for a zero J_f, where any λ > 0 will do.
    lam = np.maximum(lam, (LAMBDA_FLOOR / m) * diagonal.sum(axis=1))
    if not lam.all():
        lam = np.where(lam > 0.0, lam, 1.0)
    diagonal += lam[:, None]  # + λI, on the diagonal in place
    rhs = e if z_f is None else e - (J_f @ z_f[..., None])[..., 0]
    dq = (Jt @ np.linalg.solve(A, rhs[..., None]))[..., 0]
    return dq if z is None else dq + z
