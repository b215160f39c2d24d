"""Motions in time: quintic joint paths, straight Cartesian lines, IK along a path, resolved-rate motion.

- :func:`quintic` / :func:`quintic_through`: joint-space paths with zero velocity and acceleration at
  both ends of every segment (the time scaling ``s(τ) = 10τ³ − 15τ⁴ + 6τ⁵``).
- :func:`cartesian_line`: the tool moves on the straight line between two poses while its orientation
  turns by SLERP (constant angular velocity axis), with the same quintic time scaling.
- :func:`follow`: joint values along a Cartesian path by IK, each step seeded from the previous one and
  without random restarts, so the arm keeps its branch (no elbow or wrist flips).
- :func:`resolved_rate`: integrate ``q̇ = J⁺ v`` with ``v = v_path + K e`` (feed-forward tool twist plus
  pose-error feedback), damped near singularities: the Jacobian that maps joint velocities to tool
  velocities, run backwards.

Time runs along the second-to-last axis of joint arrays ``(..., N, n)`` and the third-to-last of poses
``(..., N, 4, 4)``; leading axes are a batch of independent motions. Twists are ``[v; ω]`` in the world
frame [m/s, rad/s].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from . import spatial, validation
from .errors import OptionError, ShapeError
from .kinematics import fk, jacobian

if TYPE_CHECKING:  # pragma: no cover
    from .ik import IKOptions
    from .model import Robot

__all__ = [
    "JointPath",
    "CartesianPath",
    "FollowResult",
    "RateOptions",
    "RateResult",
    "quintic_scaling",
    "quintic",
    "quintic_through",
    "slerp",
    "cartesian_line",
    "follow",
    "resolved_rate",
    "damped_rate",
]


def _frozen(a: npt.ArrayLike) -> np.ndarray:
    out = np.array(a)
    out.setflags(write=False)
    return out


def _freeze_fields(obj: Any) -> None:
    for name in obj.__dataclass_fields__:
        value = getattr(obj, name)
        if isinstance(value, np.ndarray) or isinstance(value, (list, tuple)):
            object.__setattr__(obj, name, _frozen(value))


def _steps(steps: int) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise OptionError(f"steps must be an integer >= 2 (the number of samples, ends included), got {steps!r}")
    return int(steps)


def _duration(duration: float) -> float:
    if not (np.isfinite(duration) and duration > 0):
        raise OptionError(f"duration must be a positive number of seconds, got {duration!r}")
    return float(duration)


# ----------------------------------------------------------------------------------------- joint space
@dataclass(frozen=True, eq=False)
class JointPath:
    """Samples of a joint-space motion; arrays read-only.

    Attributes:
        t: ``(N,)`` time [s], from 0 to the duration.
        q: ``(..., N, n)`` joint values [rad, m].
        qd: ``(..., N, n)`` joint velocities [rad/s, m/s].
        qdd: ``(..., N, n)`` joint accelerations [rad/s², m/s²].
    """

    t: np.ndarray
    q: np.ndarray
    qd: np.ndarray
    qdd: np.ndarray

    def __post_init__(self) -> None:
        _freeze_fields(self)


def quintic_scaling(t: npt.ArrayLike, duration: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The quintic time scaling ``s(t)`` from 0 to 1 with zero velocity and acceleration at both ends.

    ``s = 10τ³ − 15τ⁴ + 6τ⁵`` with ``τ = t / duration`` (the unique quintic with s(0)=0, s(1)=1 and
    ṡ = s̈ = 0 at both ends; Lynch & Park, *Modern Robotics*, §9.2.2). Times outside ``[0, duration]``
    are clamped.

    Args:
        t: ``(...)`` times [s].
        duration: Total time T [s].

    Returns:
        ``(s, ṡ, s̈)``, each ``(...)``: the path parameter [1], its rate [1/s] and acceleration [1/s²].
    """
    T = _duration(duration)
    tau = np.clip(np.asarray(t, dtype=float) / T, 0.0, 1.0)
    s = tau**3 * (10.0 - 15.0 * tau + 6.0 * tau**2)
    sd = 30.0 * tau**2 * (1.0 - tau) ** 2 / T
    sdd = 60.0 * tau * (1.0 - tau) * (1.0 - 2.0 * tau) / T**2
    return s, sd, sdd


def quintic(
    robot: "Robot", q_start: npt.ArrayLike, q_goal: npt.ArrayLike, steps: int = 50, duration: float = 1.0
) -> JointPath:
    """A straight joint-space motion with the quintic time scaling (rest to rest).

    Args:
        robot: The robot (for validating ``q``).
        q_start: ``(..., n)`` start [rad, m].
        q_goal: ``(..., n)`` goal [rad, m], broadcast against ``q_start``.
        steps: Number of samples N, both ends included (>= 2).
        duration: Duration [s].

    Returns:
        A :class:`JointPath` with ``q`` ``(..., N, n)``; ``q[..., 0, :] == q_start``,
        ``q[..., -1, :] == q_goal``, ``qd`` and ``qdd`` zero at both ends.

    Raises:
        ShapeError: bad ``q_start`` / ``q_goal``; OptionError: bad ``steps`` / ``duration``.
    """
    q0 = validation.joint_vector(robot, q_start, "q_start")
    q1 = validation.joint_vector(robot, q_goal, "q_goal")
    N, T = _steps(steps), _duration(duration)
    t = np.linspace(0.0, T, N)
    s, sd, sdd = quintic_scaling(t, T)
    dq = (q1 - q0)[..., None, :]  # (..., 1, n)
    return JointPath(
        t=t,
        q=q0[..., None, :] + s[:, None] * dq,
        qd=sd[:, None] * dq,
        qdd=sdd[:, None] * dq,
    )


def quintic_through(
    robot: "Robot", waypoints: npt.ArrayLike, steps: int = 50, duration: float = 1.0
) -> JointPath:
    """Quintic segments through joint waypoints, stopping at each (rest to rest per segment).

    Args:
        robot: The robot.
        waypoints: ``(k, n)`` joint values [rad, m], k >= 2.
        steps: Samples per segment, ends included; shared ends are not repeated, so N = (k−1)(steps−1)+1.
        duration: Duration of each segment [s].

    Returns:
        A :class:`JointPath` with ``q`` ``(N, n)`` passing exactly through every waypoint.

    Raises:
        ShapeError: ``waypoints`` not ``(k, n)`` with k >= 2.
    """
    W = validation.joint_vector(robot, waypoints, "waypoints")
    if W.ndim != 2 or W.shape[0] < 2:
        raise ShapeError(f"waypoints must have shape (k, {robot.n}) with k >= 2, got {W.shape}")
    seg = quintic(robot, W[:-1], W[1:], steps, duration)  # q (k-1, steps, n)
    keep = [slice(None)] + [slice(1, None)] * (W.shape[0] - 2)
    parts = [(seg.q[i, keep[i]], seg.qd[i, keep[i]], seg.qdd[i, keep[i]], seg.t[keep[i]] + i * duration)
             for i in range(W.shape[0] - 1)]
    q, qd, qdd, t = (np.concatenate(x) for x in zip(*parts))
    return JointPath(t=t, q=q, qd=qd, qdd=qdd)


# ----------------------------------------------------------------------------------------- Cartesian
@dataclass(frozen=True, eq=False)
class CartesianPath:
    """Samples of a tool motion; arrays read-only.

    Attributes:
        t: ``(N,)`` time [s].
        s: ``(N,)`` path parameter in [0, 1].
        T: ``(..., N, 4, 4)`` desired ``T_world_tool``.
        twist: ``(..., N, 6)`` desired tool twist ``[v; ω]`` in the world frame [m/s, rad/s].
    """

    t: np.ndarray
    s: np.ndarray
    T: np.ndarray
    twist: np.ndarray

    def __post_init__(self) -> None:
        _freeze_fields(self)


def slerp(R_start: npt.ArrayLike, R_goal: npt.ArrayLike, s: npt.ArrayLike) -> np.ndarray:
    """Spherical linear interpolation of rotations by unit quaternions (Shoemake, SIGGRAPH 1985).

    The shorter of the two arcs is taken (the goal quaternion is negated when ``q0·q1 < 0``), so the turn
    is ``exp(s log(R_goal R_startᵀ)) R_start``: a constant angular velocity about a fixed world axis.

    Args:
        R_start: ``(..., 3, 3)``.
        R_goal: ``(..., 3, 3)``.
        s: ``(N,)`` fractions in [0, 1].

    Returns:
        ``(..., N, 3, 3)``.
    """
    q0 = spatial.matrix_to_quaternion(R_start)[..., None, :]  # (..., 1, 4)
    q1 = spatial.matrix_to_quaternion(R_goal)[..., None, :]
    s = np.asarray(s, dtype=float)[:, None]  # (N, 1)
    dot = np.sum(q0 * q1, axis=-1, keepdims=True)
    q1 = np.where(dot < 0.0, -q1, q1)
    dot = np.abs(dot)
    omega = np.arccos(np.clip(dot, -1.0, 1.0))  # half the rotation angle between them
    sin_omega = np.sin(omega)
    # Below this sin(Ω) the two rotations are within ~2e-8 rad: linear interpolation + normalisation is exact
    # to rounding there and avoids 0/0.
    near = sin_omega < 1e-8
    safe = np.where(near, 1.0, sin_omega)
    w0 = np.where(near, 1.0 - s, np.sin((1.0 - s) * omega) / safe)
    w1 = np.where(near, s, np.sin(s * omega) / safe)
    return spatial.quaternion_to_matrix(w0 * q0 + w1 * q1)


def cartesian_line(
    T_start: npt.ArrayLike, T_goal: npt.ArrayLike, steps: int = 50, duration: float = 1.0
) -> CartesianPath:
    """The tool's straight line between two poses: position along the segment, rotation by SLERP.

    Both follow the quintic time scaling ``s(t)`` (:func:`quintic_scaling`), so the tool starts and stops
    at rest: ``p(t) = p₀ + s(t)(p₁ − p₀)``, ``R(t) = exp(s(t) [w]) R₀`` with ``w = log(R₁ R₀ᵀ)``, twist
    ``[ṡ (p₁ − p₀); ṡ w]``.

    Args:
        T_start: ``(..., 4, 4)`` start ``T_world_tool``.
        T_goal: ``(..., 4, 4)`` goal ``T_world_tool``, broadcast against ``T_start``.
        steps: Number of samples N (>= 2), ends included.
        duration: Duration [s].

    Returns:
        A :class:`CartesianPath` with ``T`` ``(..., N, 4, 4)``.

    Raises:
        ShapeError / ConventionError: an argument is not a rigid transform.
        OptionError: bad ``steps`` / ``duration``.
    """
    T0 = validation.transforms(T_start, "T_start")
    T1 = validation.transforms(T_goal, "T_goal")
    T0, T1 = np.broadcast_arrays(T0, T1)
    N, dur = _steps(steps), _duration(duration)
    t = np.linspace(0.0, dur, N)
    s, sd, _ = quintic_scaling(t, dur)
    p0, p1 = T0[..., None, :3, 3], T1[..., None, :3, 3]  # (..., 1, 3)
    R = slerp(T0[..., :3, :3], T1[..., :3, :3], s)  # (..., N, 3, 3)
    p = p0 + s[:, None] * (p1 - p0)  # (..., N, 3)
    w = spatial.so3_log(T1[..., :3, :3] @ np.swapaxes(T0[..., :3, :3], -1, -2))[..., None, :]  # (..., 1, 3)
    twist = np.concatenate([sd[:, None] * (p1 - p0), sd[:, None] * w], axis=-1)  # (..., N, 6)
    # The quaternion path and exp(s[w])R₀ are the same rotation; force the ends to be exact.
    R[..., 0, :, :] = T0[..., :3, :3]
    R[..., -1, :, :] = T1[..., :3, :3]
    return CartesianPath(t=t, s=s, T=spatial.transform(R, p), twist=twist)


# ----------------------------------------------------------------------------------------- IK along a path
@dataclass(frozen=True, eq=False)
class FollowResult:
    """Joint values along a Cartesian path found by seeded IK; arrays read-only.

    Attributes:
        q: ``(..., N, n)`` joint values [rad, m].
        success: ``(..., N)`` IK converged at each sample.
        position_error: ``(..., N)`` [m].
        rotation_error: ``(..., N)`` [rad].
        largest_step: ``(...)`` the largest change of one joint between consecutive samples [rad or m]:
            small on a smooth path, large where the arm switched branch.
    """

    q: np.ndarray
    success: np.ndarray
    position_error: np.ndarray
    rotation_error: np.ndarray
    largest_step: np.ndarray

    def __post_init__(self) -> None:
        _freeze_fields(self)


def follow(
    robot: "Robot", T_path: npt.ArrayLike, q0: npt.ArrayLike, *, options: "IKOptions | None" = None
) -> FollowResult:
    """Follow a Cartesian path by IK, each sample seeded from the previous solution.

    The samples are solved one after another (each needs the previous answer); each solve is batched over
    the leading axes. Random restarts are off unless ``options`` turns them on, because a restart lands
    on an arbitrary branch: an arm that cannot follow the path reports ``success=False`` there instead of
    flipping its elbow or wrist.

    Args:
        robot: The robot.
        T_path: ``(..., N, 4, 4)`` desired ``T_world_tool``, e.g. ``cartesian_line(...).T``.
        q0: ``(..., n)`` joint values [rad, m] near the first pose (the branch to keep).
        options: :class:`robokin.ik.IKOptions`; default ``IKOptions(max_restarts=0)``.

    Returns:
        A :class:`FollowResult`.

    Raises:
        ShapeError / ConventionError: bad ``T_path`` or ``q0``.
    """
    from .ik import IKOptions, solve

    T_path = validation.transforms(T_path, "T_path")
    if T_path.ndim < 3:
        raise ShapeError(f"T_path must have shape (..., N, 4, 4), got {T_path.shape}")
    q = validation.joint_vector(robot, q0, "q0")
    batch = np.broadcast_shapes(T_path.shape[:-3], q.shape[:-1])
    T_path = np.broadcast_to(T_path, batch + T_path.shape[-3:])
    q = np.broadcast_to(q, batch + (robot.n,))
    options = IKOptions(max_restarts=0) if options is None else options
    qs, ok, pe, re = [], [], [], []
    for k in range(T_path.shape[-3]):
        result = solve(robot, T_path[..., k, :, :], q, options=options)
        q = result.q
        qs.append(q)
        ok.append(result.success)
        pe.append(result.position_error)
        re.append(result.rotation_error)
    Q = np.stack(qs, axis=-2)  # (..., N, n)
    step = np.abs(np.diff(Q, axis=-2)).max(axis=(-1, -2)) if Q.shape[-2] > 1 else np.zeros(batch)
    return FollowResult(q=Q, success=np.stack(ok, axis=-1), position_error=np.stack(pe, axis=-1),
                        rotation_error=np.stack(re, axis=-1), largest_step=step)


# ----------------------------------------------------------------------------------------- resolved rate
@dataclass(frozen=True)
class RateOptions:
    """Settings of :func:`resolved_rate`.

    Attributes:
        gain: Feedback gain K [1/s] on the pose error in ``v = v_path + K e``; ``K · dt`` must be at most 1
            (at 1 the error is corrected in one step).
        damping: Largest damping factor λ_max [units of J] used at an exact singularity.
        singular_band: ε [units of J]: damping starts when the smallest singular value σ_min of the task
            Jacobian falls below ε, growing as ``λ² = (1 − (σ_min/ε)²) λ_max²`` (Nakamura & Hanafusa,
            J. Dyn. Sys. Meas. Control 108(3), 1986; Chiaverini, IEEE T-RA 13(3), 1997). Above ε the step
            is the undamped ``J⁺ v``.
        rows: Task rows of ``[v; ω]`` to track: ``"all"``, ``"translation"``, ``"rotation"`` or indices
            (e.g. ``[0, 1]`` for the x-y position of a planar arm).
    """

    gain: float = 10.0
    damping: float = 0.05
    singular_band: float = 0.05
    rows: str | tuple[int, ...] = "all"


@dataclass(frozen=True, eq=False)
class RateResult:
    """A resolved-rate motion; arrays read-only.

    Attributes:
        t: ``(N,)`` time [s].
        q: ``(..., N, n)`` joint values [rad, m] (``q[..., 0, :] = q0``).
        qd: ``(..., N, n)`` joint velocities [rad/s, m/s] commanded at each sample (0 at the last).
        T: ``(..., N, 4, 4)`` reached ``T_world_tool``.
        position_error: ``(..., N)`` ``‖p_path − p‖`` [m].
        rotation_error: ``(..., N)`` ``‖log(R_path Rᵀ)‖`` [rad].
        damping: ``(..., N)`` damping factor λ used at each sample (0 far from singularities).
    """

    t: np.ndarray
    q: np.ndarray
    qd: np.ndarray
    T: np.ndarray
    position_error: np.ndarray
    rotation_error: np.ndarray
    damping: np.ndarray

    def __post_init__(self) -> None:
        _freeze_fields(self)


def damped_rate(J: np.ndarray, v: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Damped least-squares joint rates ``q̇`` ``(B, n)`` for task twists ``v`` ``(B, m)``.

    ``q̇ = Jᵀ(JJᵀ + λ²I)⁻¹ v`` when ``m <= n`` and the identical ``(JᵀJ + λ²I)⁻¹ Jᵀ v`` when ``m > n``
    (the smaller system is solved; both are ``J⁺ v`` at λ = 0). Solved with ``np.linalg.solve``.

    Args:
        J: ``(B, m, n)`` task Jacobian.
        v: ``(B, m)`` task twist.
        lam: ``(B,)`` damping factor λ >= 0.
    """
    B, m, n = J.shape
    Jt = np.swapaxes(J, -1, -2)
    lam2 = (lam**2)[:, None, None]
    if m <= n:
        A = J @ Jt + lam2 * np.eye(m)
        return (Jt @ np.linalg.solve(A, v[..., None]))[..., 0]
    A = Jt @ J + lam2 * np.eye(n)
    return np.linalg.solve(A, (Jt @ v[..., None]))[..., 0]


def resolved_rate(
    robot: "Robot", path: CartesianPath, q0: npt.ArrayLike, *, options: RateOptions | None = None
) -> RateResult:
    """Move the arm along a Cartesian path by resolved-rate control, ``q̇ = J⁺ v`` (Whitney, 1969).

    At each sample ``k`` the commanded tool twist is ``v = v_path[k] + K e`` with the pose error
    ``e = [p_path − p; log(R_path Rᵀ)]`` (world frame), the joint rate is the damped least-squares
    solution of ``J q̇ = v`` (:func:`damped_rate`, damping only near singularities, see
    :class:`RateOptions`), and ``q[k + 1] = q[k] + q̇ (t[k + 1] − t[k])`` (explicit Euler). Joint limits are
    not enforced: this shows the velocity mapping; use :func:`follow` for limit-respecting IK.

    Args:
        robot: The robot.
        path: The desired motion, e.g. :func:`cartesian_line` (``T`` ``(..., N, 4, 4)``).
        q0: ``(..., n)`` start [rad, m], normally with ``fk(q0)`` at the path's first pose.
        options: :class:`RateOptions`.

    Returns:
        A :class:`RateResult` with the batch shape of ``path`` and ``q0`` broadcast.

    Raises:
        ShapeError: bad ``q0``; OptionError: bad options (``K · dt > 1``, negative damping, bad rows).
    """
    opts = RateOptions() if options is None else options
    rows = validation.row_indices(opts.rows if isinstance(opts.rows, str) else list(opts.rows))
    q = validation.joint_vector(robot, q0, "q0")
    t = np.asarray(path.t, dtype=float)
    dt = np.diff(t)
    if not (opts.gain >= 0 and opts.gain * dt.max() <= 1.0 + 1e-12):
        raise OptionError(
            f"RateOptions.gain must be >= 0 with gain * dt <= 1 for a stable Euler step; gain = {opts.gain} 1/s, "
            f"largest dt = {dt.max():.4g} s (use more steps or gain <= {1.0 / dt.max():.4g})"
        )
    if not (opts.damping >= 0 and opts.singular_band > 0):
        raise OptionError(f"RateOptions needs damping >= 0 and singular_band > 0, got {opts.damping}, {opts.singular_band}")
    batch = np.broadcast_shapes(path.T.shape[:-3], q.shape[:-1])
    N = len(t)
    T_des = np.broadcast_to(path.T, batch + (N, 4, 4)).reshape(-1, N, 4, 4)
    v_des = np.broadcast_to(path.twist, batch + (N, 6)).reshape(-1, N, 6)
    q = np.broadcast_to(q, batch + (robot.n,)).reshape(-1, robot.n).copy()
    qs, qds, Ts, lams = [], [], [], []
    for k in range(N):
        T = fk(robot, q)  # (B, 4, 4)
        e = spatial.pose_error(T_des[:, k], T)  # (B, 6)
        qs.append(q.copy())
        Ts.append(T)
        J = jacobian(robot, q)[:, rows, :]  # (B, m, n)
        sigma_min = np.linalg.svd(J, compute_uv=False)[:, -1]
        lam = opts.damping * np.sqrt(np.clip(1.0 - (sigma_min / opts.singular_band) ** 2, 0.0, None))
        lams.append(lam)
        if k == N - 1:
            qds.append(np.zeros_like(q))
            break
        v = v_des[:, k, rows] + opts.gain * e[:, rows]
        qd = damped_rate(J, v, lam)
        qds.append(qd)
        q = q + qd * dt[k]
    Q, Qd, TT = np.stack(qs, axis=1), np.stack(qds, axis=1), np.stack(Ts, axis=1)
    err = spatial.pose_error(T_des, TT)  # (B, N, 6)
    return RateResult(
        t=t,
        q=Q.reshape(batch + (N, robot.n)),
        qd=Qd.reshape(batch + (N, robot.n)),
        T=TT.reshape(batch + (N, 4, 4)),
        position_error=np.linalg.norm(err[..., :3], axis=-1).reshape(batch + (N,)),
        rotation_error=np.linalg.norm(err[..., 3:], axis=-1).reshape(batch + (N,)),
        damping=np.stack(lams, axis=1).reshape(batch + (N,)),
    )
