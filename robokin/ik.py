"""Inverse kinematics by damped least squares: a pure step, a thin batched loop, and :class:`IKResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from . import _checks, spatial
from .errors import OptionError, ShapeError
from .kinematics import _cross, _poses

if TYPE_CHECKING:  # pragma: no cover
    from .model import Chain, Robot

__all__ = ["IKOptions", "IKResult", "solve", "dls_step", "POSITION_ONLY", "DAMPING_SCHEMES"]

Damping = Literal["sugihara", "chan", "lm"]
DAMPING_SCHEMES: tuple[str, ...] = ("sugihara", "chan", "lm")
WEIGHTS_FRAMES: tuple[str, ...] = ("world", "target")

# Task weights [x, y, z, rx, ry, rz] for a position-only task (orientation free).
POSITION_ONLY: tuple[float, ...] = (1.0, 1.0, 1.0, 0.0, 0.0, 0.0)

# Rotation errors whose cos(angle) is below this (angle above 120 deg) take spatial.so3_log's quaternion
# path; below it the axis from the skew part of R*Rᵀ is accurate (sin(angle) >= 0.87) and much cheaper.
_FAST_LOG_MIN_COS = -0.5
# The damping multiplier that ends an attempt: after this many rejected steps the point is a local
# minimum of the error for every practical purpose.
_MU_MAX = 1e8


@dataclass(frozen=True)
class IKOptions:
    """Settings of :func:`solve`; the defaults suit arms of about a metre.

    Attributes:
        position_tolerance: Converged when the position error is at most this [m] (default 1e-6 m) ...
        rotation_tolerance: ... and the rotation error at most this [rad] (default 1e-6 rad).
        max_iterations: Iterations per attempt before a restart from a new random configuration.
        max_restarts: Random restarts per target after the first attempt(s); 0 for a local solve only.
        damping: How the damping λ of ``Δq = Jᵀ(JJᵀ + λI)⁻¹ e`` is chosen: ``"sugihara"``
            (``λ = E + bias``, E = ½ eᵀWe; Sugihara, IEEE T-RO 27(5), 2011), ``"chan"`` (``λ = E``, Chan &
            Lawrence, ICRA 1988) or ``"lm"`` (Levenberg–Marquardt: λ adapted by the gain ratio of each
            step; Nielsen, IMM report 1999). In every scheme a step that does not lower E is rejected
            and λ grows (×4) until one does.
        damping_bias: The constant added to λ (Sugihara's w̄_N): keeps ``JJᵀ + λI`` well conditioned
            at singular configurations.
        max_step: Step-length guard: the largest change of one joint per iteration [rad or m]; a longer
            step is scaled down as a whole (its direction is kept).
        weights: Task weights ``(6,)`` for the error rows ``[x, y, z, rx, ry, rz]``; 0 frees a component
            (``POSITION_ONLY`` frees the orientation). A free component does not count for convergence.
        weights_frame: Frame of the weighted components: ``"world"``, or ``"target"`` (the target's own
            axes, e.g. ``weights=(1, 1, 1, 1, 1, 0)`` with ``"target"`` leaves the rotation about the
            target's z axis free).
        rest: Null-space preference for redundant tasks: ``"q0"`` (stay near the start), ``"middle"``
            (middle of the joint ranges, away from the limits), a joint vector ``(n,)``, or None.
        nullspace_gain: Gain k of the preference ``z = k (q_rest − q)``, applied as the bias of the
            regularised step ``min ‖J Δq − e‖² + λ‖Δq − z‖²``; 0 disables it.
        starts: Starts run side by side per target (q0 and ``starts − 1`` random ones); when several
            converge the answer is the one nearest ``q0``.
        singularity_threshold: ``near_singularity`` is reported when the smallest inverse condition
            number of J seen along the accepted iterates falls below this.
    """

    position_tolerance: float = 1e-6
    rotation_tolerance: float = 1e-6
    max_iterations: int = 30
    max_restarts: int = 100
    damping: Damping = "sugihara"
    damping_bias: float = 1e-3
    max_step: float = 0.5
    weights: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    weights_frame: Literal["world", "target"] = "world"
    rest: Literal["q0", "middle"] | tuple[float, ...] | None = "q0"
    nullspace_gain: float = 0.0
    starts: int = 1
    singularity_threshold: float = 1e-3

    def __post_init__(self) -> None:
        for name in ("position_tolerance", "rotation_tolerance", "damping_bias", "max_step"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise OptionError(f"IKOptions.{name} must be a positive finite number, got {value!r}")
        for name in ("nullspace_gain", "singularity_threshold"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise OptionError(f"IKOptions.{name} must be a finite number >= 0, got {value!r}")
        for name, low in (("max_iterations", 1), ("max_restarts", 0), ("starts", 1)):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
                raise OptionError(f"IKOptions.{name} must be an integer >= {low}, got {value!r}")
        _checks.choice(self.damping, "IKOptions.damping", DAMPING_SCHEMES)
        _checks.choice(self.weights_frame, "IKOptions.weights_frame", WEIGHTS_FRAMES)
        w = np.asarray(self.weights, dtype=float) if _is_numbers(self.weights) else None
        if w is None or w.shape != (6,) or not np.all(np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
            raise OptionError(
                f"IKOptions.weights must be 6 finite numbers >= 0, not all 0, for [x, y, z, rx, ry, rz]; "
                f"got {self.weights!r}"
            )
        object.__setattr__(self, "weights", tuple(float(v) for v in w))
        if isinstance(self.rest, str):
            _checks.choice(self.rest, "IKOptions.rest", ("q0", "middle"))
        elif self.rest is not None:
            if not _is_numbers(self.rest) or np.asarray(self.rest, dtype=float).ndim != 1:
                raise OptionError(f"IKOptions.rest must be 'q0', 'middle', None or a joint vector, got {self.rest!r}")
            object.__setattr__(self, "rest", tuple(float(v) for v in self.rest))


def _is_numbers(value) -> bool:
    try:
        np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


@dataclass(frozen=True, eq=False)
class IKResult:
    """The answer of :func:`solve` for a batch of targets ``(...)``; every array is read-only.

    Attributes:
        q: ``(..., n)`` the solution [rad, m], within the joint limits; when ``success`` is False, the
            configuration of the closest pose found.
        success: ``(...)`` bool, both errors within tolerance.
        position_error: ``(...)`` ``‖p* − p‖`` at ``q`` [m], over the position components the task
            constrains (weight > 0, in ``weights_frame``).
        rotation_error: ``(...)`` ``‖log(R* Rᵀ)‖`` at ``q`` [rad], over the constrained rotation
            components (0 for a position-only task).
        iterations: ``(...)`` int, iterations over all attempts (each one Jacobian and one 6×6 solve).
        restarts: ``(...)`` int, random restarts used.
        min_inverse_condition: ``(...)`` smallest ``σ_min/σ_max`` of the 6×n world Jacobian seen at the
            accepted iterates of the attempt that gave ``q`` (1 is isotropic, 0 singular).
        near_singularity: ``(...)`` bool, ``min_inverse_condition < options.singularity_threshold``.
    """

    q: np.ndarray
    success: np.ndarray
    position_error: np.ndarray
    rotation_error: np.ndarray
    iterations: np.ndarray
    restarts: np.ndarray
    min_inverse_condition: np.ndarray
    near_singularity: np.ndarray

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = np.array(getattr(self, name))
            value.setflags(write=False)
            object.__setattr__(self, name, value)


# --------------------------------------------------------------------------------------------- the step
def dls_step(J: np.ndarray, e: np.ndarray, lam: npt.ArrayLike, z: np.ndarray | None = None) -> np.ndarray:
    """One damped-least-squares step ``Δq = z + Jᵀ(JJᵀ + λI)⁻¹(e − J z)``, batched.

    This is the minimiser of ``‖J Δq − e‖² + λ‖Δq − z‖²`` (Tikhonov regularisation about ``z``); with
    ``z = 0`` it is the classic ``Δq = Jᵀ(JJᵀ + λI)⁻¹ e`` (Wampler, IEEE T-SMC 16(1), 1986; Nakamura &
    Hanafusa, J. Dyn. Sys. Meas. Control 108, 1986), and as ``λ → 0`` for a redundant ``J`` it tends to
    ``J⁺e + (I − J⁺J) z``: ``z`` acts in the null space only. One ``m × m`` solve, never an inverse.

    Args:
        J: ``(N, m, n)`` task Jacobian (weighted rows).
        e: ``(N, m)`` task error.
        lam: ``(N,)`` damping λ > 0 (λ is the squared damping factor of the DLS literature).
        z: ``(N, n)`` preferred joint motion, or None.

    Returns:
        ``(N, n)`` the joint step.
    """
    Jt = np.swapaxes(J, -1, -2)
    A = J @ Jt  # (N, m, m)
    m = A.shape[-1]
    A[:, np.arange(m), np.arange(m)] += np.asarray(lam)[:, None]
    rhs = e if z is None else e - (J @ z[..., None])[..., 0]
    dq = (Jt @ np.linalg.solve(A, rhs[..., None]))[..., 0]
    return dq if z is None else dq + z


# --------------------------------------------------------------------------------------------- kernels
def _pose_and_jacobian(chain: "Chain", q: np.ndarray):
    """Position ``(N, 3)``, ``Rᵀ`` ``(N, 3, 3)`` and world Jacobian ``(N, 6, n)`` from one kernel pass."""
    T, Z, P = _poses(chain, q, with_axes=True)  # (4, 3, N), (n, 3, N), (n, 3, N)
    p = T[3]
    revolute = chain.revolute
    J_v = _cross(Z, p - P)  # (n, 3, N)
    if revolute.all():
        J = np.concatenate([J_v, Z], axis=1)
    else:
        rev = revolute[:, None, None]
        J = np.concatenate([np.where(rev, J_v, Z), Z * rev], axis=1)
    return p.T, np.transpose(T[:3], (2, 0, 1)), np.transpose(J, (2, 1, 0))


def _rotation_error(R_target: np.ndarray, Rt: np.ndarray) -> np.ndarray:
    """``log(R* Rᵀ)`` ``(N, 3)`` [rad]: the skew part's axis, or spatial.so3_log near a half turn."""
    D = R_target @ Rt
    v = np.stack([D[:, 2, 1] - D[:, 1, 2], D[:, 0, 2] - D[:, 2, 0], D[:, 1, 0] - D[:, 0, 1]], axis=-1)
    c = 0.5 * (D[:, 0, 0] + D[:, 1, 1] + D[:, 2, 2] - 1.0)
    two_s = np.sqrt(np.einsum("ij,ij->i", v, v))  # 2 sin θ
    theta = np.arctan2(0.5 * two_s, c)
    # θ / (2 sin θ) → 1/2 (1 + θ²/6) as θ → 0.
    scale = np.where(two_s > 1e-8, theta / np.maximum(two_s, 1e-300), 0.5)
    w = scale[:, None] * v
    far = c < _FAST_LOG_MIN_COS
    if far.any():
        w[far] = spatial.so3_log(D[far])
    return w
