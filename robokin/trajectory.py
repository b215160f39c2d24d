"""Motions in time: quintic joint paths, straight Cartesian lines, IK along a path, resolved-rate motion.

- :func:`quintic` / :func:`quintic_through`: joint-space paths with zero velocity and acceleration at
  both ends of every segment (the time scaling ``s(τ) = 10τ³ − 15τ⁴ + 6τ⁵``).
- :func:`lspb`: the same straight joint-space motion with a trapezoidal velocity profile (linear segment
  with parabolic blends).
- :func:`minimum_duration`: the shortest duration of such a motion within each joint's velocity (and
  optional acceleration) limits; ``quintic`` and ``lspb`` use it when no duration is given and refuse a
  duration that would exceed a limit.
- :func:`blended_through`: a multi-segment path through waypoints that does not stop at them (RTB's
  ``mstraj``): straight segments at the joints' speed limits, joined by constant-acceleration blends.
- :func:`cartesian_line`: the tool moves on the straight line between two poses while its orientation
  turns by SLERP (constant angular velocity axis), with the same quintic time scaling.
- :func:`follow`: joint values along a Cartesian path by IK, each step seeded from the previous one and
  without random restarts, so the arm keeps its branch (no elbow or wrist flips).
- :func:`resolved_rate`: integrate ``q̇ = J⁺ v`` with ``v = v_path + K e`` (feed-forward tool twist plus
  pose-error feedback), damped near singularities: the Jacobian that maps joint velocities to tool
  velocities, run backwards.

Every joint-space path stays inside the joint limits: its waypoints must be inside them (a
:class:`~robokin.errors.LimitError` otherwise, unless ``enforce_limits=False``), and each path is a convex
combination of its waypoints.

Time runs along the second-to-last axis of joint arrays ``(..., N, n)`` and the third-to-last of poses
``(..., N, 4, 4)``; leading axes are a batch of independent motions. Twists are ``[v; ω]`` in the world
frame [m/s, rad/s].
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from . import spatial, validation
from .errors import ConventionError, LimitError, OptionError, ShapeError
from .kinematics import fk, jacobian
from .measures import unit_scales

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
    "lspb",
    "lspb_scaling",
    "minimum_duration",
    "blended_through",
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


# The most samples one path may have (time steps N): 10⁷ samples of a 7-joint arm are 1.7 GB of q, qd and
# qdd. Asking for more (steps=, or a dt far below the motion's duration) is an OptionError, not a MemoryError
# or a machine swapping for minutes.
MAX_SAMPLES = 10_000_000


def _steps(steps: int) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 2 <= steps <= MAX_SAMPLES:
        raise OptionError(
            f"steps must be an integer >= 2 (the number of samples, ends included) and at most MAX_SAMPLES = "
            f"{MAX_SAMPLES}, got {steps!r}"
        )
    return int(steps)


def _duration(duration: float, name: str = "duration") -> float:
    if isinstance(duration, np.ndarray) and duration.shape == () and duration.dtype.kind in "iuf":
        duration = duration.item()  # a 0-d array, e.g. from minimum_duration
    if (
        not isinstance(duration, numbers.Real)
        or isinstance(duration, (bool, np.bool_))
        or not (math.isfinite(duration) and duration > 0)
    ):
        raise OptionError(f"{name} must be a positive finite number of seconds, got {duration!r}")
    return float(duration)


def _finite_path(path: JointPath, *named: tuple[str, Any, int]) -> JointPath:
    """``path`` when its ``q``, ``qd`` and ``qdd`` are finite; a ShapeError naming ``named`` otherwise (huge
    joint values, or a duration so short that speeds overflow: :func:`robokin.validation.finite_result`)."""
    for what, values in (("joint path", path.q), ("joint speed", path.qd), ("joint acceleration", path.qdd)):
        validation.finite_result(values, what, *named, batch_ndim=values.ndim - 2)
    return path


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

    Raises:
        ShapeError: ``t`` is not real and finite, or a ``duration`` so short that ``ṡ`` or ``s̈`` overflows.
        OptionError: ``duration`` is not a positive finite number.
    """
    T = np.float64(_duration(duration))  # a NumPy float: T² of a huge T is inf (then s̈ = 0), not an OverflowError
    t = validation.require_finite(validation.real_array(t, "t", "(...)"), "t")
    tau = np.clip(t / T, 0.0, 1.0)
    s = tau**3 * (10.0 - 15.0 * tau + 6.0 * tau**2)
    with np.errstate(over="ignore", under="ignore"):
        sd = 30.0 * tau**2 * (1.0 - tau) ** 2 / T
        sdd = 60.0 * tau * (1.0 - tau) * (1.0 - 2.0 * tau) / T**2
    for values in (sd, sdd):
        validation.finite_result(values, "time scaling", ("duration", T, 0), batch_ndim=0)
    return s, sd, sdd


# Peaks of the time scalings over τ ∈ [0, 1], per unit of |Δq|: speed · T and acceleration · T².
QUINTIC_PEAK_SPEED = 15.0 / 8.0  # ṡ = 30 τ²(1 − τ)²/T, largest at τ = 1/2
QUINTIC_PEAK_ACCELERATION = 10.0 / np.sqrt(3.0)  # s̈ = 60 τ(1 − τ)(1 − 2τ)/T², largest at τ = (3 − √3)/6
# The part of an LSPB motion spent in each parabolic blend (RTB's lspb picks the cruise speed 1.5 Δ/T, i.e.
# a blend of T/3; a fifth of the time is closer to the time-optimal profile for typical speed limits).
LSPB_BLEND = 0.2
# Relative slack when checking a path's speeds against the limits (the peaks are computed in floating point).
LIMIT_SLACK = 1e-9


def _limit_vector(robot: Robot, values: npt.ArrayLike | None, name: str, default: np.ndarray) -> np.ndarray:
    if values is None:
        return default
    try:
        arr = validation.real_array(values, name, f"({robot.n},)")
    except ShapeError as e:
        raise OptionError(str(e)) from None
    if arr.ndim == 0:
        arr = np.broadcast_to(arr, (robot.n,))
    if arr.shape != (robot.n,) or np.isnan(arr).any() or (arr <= 0).any():
        raise OptionError(f"{name} must be {robot.n} positive numbers (inf: no limit), got {values!r}")
    return arr


def check_within_limits(robot: Robot, q: np.ndarray, name: str) -> None:
    """A :class:`LimitError` naming the first joint of ``q`` ``(..., n)`` outside the robot's position limits."""
    if np.all(robot.within_limits(q)):
        return
    lo, hi = robot.limits[:, 0], robot.limits[:, 1]
    outside = (q < lo) | (q > hi)
    if outside.any():
        where = tuple(int(i) for i in np.argwhere(outside)[0])
        j = where[-1]
        unit = "rad" if robot.joint_types[j] == "revolute" else "m"
        raise LimitError(
            f"{name}{list(where[:-1]) if len(where) > 1 else ''} puts joint {j} ({robot.joint_names[j]}) at "
            f"{q[where]:.6g} {unit}, outside its limits [{lo[j]:.6g}, {hi[j]:.6g}] {unit} (degrees must be "
            "converted with np.radians; pass enforce_limits=False to allow it)"
        )


def _peaks(profile: str) -> tuple[float, float]:
    if profile == "quintic":
        return QUINTIC_PEAK_SPEED, QUINTIC_PEAK_ACCELERATION
    return 1.0 / (1.0 - LSPB_BLEND), 1.0 / (LSPB_BLEND * (1.0 - LSPB_BLEND))


def minimum_duration(
    robot: Robot,
    q_start: npt.ArrayLike,
    q_goal: npt.ArrayLike,
    profile: str = "quintic",
    *,
    velocity_limits: npt.ArrayLike | None = None,
    acceleration_limits: npt.ArrayLike | None = None,
) -> np.ndarray:
    """The shortest duration [s] of a straight joint motion that keeps every joint within its limits.

    With the time scaling's peak speed ``c_v |Δq_i| / T`` and peak acceleration ``c_a |Δq_i| / T²``
    (quintic: ``c_v = 15/8``, ``c_a = 10/√3``; LSPB with blend fraction b: ``1/(1 − b)``, ``1/(b(1 − b))``),
    ``T = max_i max(c_v |Δq_i| / v_i, sqrt(c_a |Δq_i| / a_i))``.

    Args:
        robot: The robot.
        q_start: ``(..., n)`` start [rad, m].
        q_goal: ``(..., n)`` goal [rad, m].
        profile: ``"quintic"`` or ``"lspb"``.
        velocity_limits: ``(n,)`` [rad/s, m/s]; default: the robot's (``inf`` where none).
        acceleration_limits: ``(n,)`` [rad/s², m/s²]; default: none.

    Returns:
        ``(...)`` durations [s]; 0 where nothing moves or no joint that moves has a limit.

    Raises:
        ShapeError: bad ``q_start`` / ``q_goal``, or a motion or duration beyond the largest float.
        OptionError: bad ``profile`` or limits.
    """
    validation.choice(profile, "profile", ("quintic", "lspb"))
    q0 = validation.joint_vector(robot, q_start, "q_start")
    q1 = validation.joint_vector(robot, q_goal, "q_goal")
    v = _limit_vector(robot, velocity_limits, "velocity_limits", robot.velocity_limits)
    a = _limit_vector(robot, acceleration_limits, "acceleration_limits", np.full(robot.n, np.inf))
    c_v, c_a = _peaks(profile)
    dq = _motion(q0, q1)
    with np.errstate(over="ignore", invalid="ignore"):  # an unlimited joint (inf) needs no time: 0, not inf / inf
        by_speed = np.where(np.isinf(v), 0.0, c_v * dq / v)
        by_acceleration = np.where(np.isinf(a), 0.0, np.sqrt(c_a * dq / a))
    shortest = np.maximum(by_speed, by_acceleration).max(axis=-1)
    return validation.finite_result(
        shortest, "shortest duration", ("q_start", q0, 1), ("q_goal", q1, 1), batch_ndim=shortest.ndim
    )


def _motion(q0: np.ndarray, q1: np.ndarray) -> np.ndarray:
    """``|q1 − q0|`` ``(..., n)``; a ShapeError naming both when the difference overflows (ends beyond ±9e307)."""
    batch = validation.broadcast_batch(("q_start", q0, 1), ("q_goal", q1, 1))
    with np.errstate(over="ignore"):
        dq = np.abs(q1 - q0)
    return validation.finite_result(
        dq, "joint motion q_goal − q_start", ("q_start", q0, 1), ("q_goal", q1, 1), batch_ndim=len(batch)
    )


def _timed(
    robot: Robot,
    q0: np.ndarray,
    q1: np.ndarray,
    duration: float | None,
    profile: str,
    acceleration_limits: npt.ArrayLike | None,
    enforce_limits: bool,
) -> float:
    """The duration to use: the given one (checked against the limits) or the shortest allowed (1 s if 0)."""
    if enforce_limits:
        check_within_limits(robot, q0, "q_start")
        check_within_limits(robot, q1, "q_goal")
    shortest = float(
        np.max(minimum_duration(robot, q0, q1, profile, acceleration_limits=acceleration_limits), initial=0.0)
    )
    if duration is None:
        return shortest if shortest > 0.0 else 1.0
    T = _duration(duration)
    if enforce_limits and T < shortest * (1.0 - LIMIT_SLACK):
        c_v, c_a = _peaks(profile)
        dq = np.abs(q1 - q0).reshape(-1, robot.n).max(axis=0)
        j = int(np.argmax(c_v * dq / robot.velocity_limits))
        raise LimitError(
            f"a {profile} motion of {T:g} s would exceed the speed or acceleration limits (joint {j} "
            f"{robot.joint_names[j]}: peak speed {c_v * dq[j] / T:.4g} against its limit "
            f"{robot.velocity_limits[j]:.4g} {'rad/s' if robot.joint_types[j] == 'revolute' else 'm/s'}); the shortest allowed duration is {shortest:.4g} s "
            "(duration=None picks it; enforce_limits=False allows the faster motion)"
        )
    return T


def quintic(
    robot: Robot,
    q_start: npt.ArrayLike,
    q_goal: npt.ArrayLike,
    steps: int = 50,
    duration: float | None = None,
    *,
    acceleration_limits: npt.ArrayLike | None = None,
    enforce_limits: bool = True,
) -> JointPath:
    """A straight joint-space motion with the quintic time scaling (rest to rest).

    Args:
        robot: The robot (for validating ``q`` and its limits).
        q_start: ``(..., n)`` start [rad, m].
        q_goal: ``(..., n)`` goal [rad, m], broadcast against ``q_start``.
        steps: Number of samples N, both ends included (>= 2).
        duration: Duration [s]; default: the shortest one within the joints' velocity limits (and
            ``acceleration_limits``), see :func:`minimum_duration` (1 s when no moving joint has a limit).
        acceleration_limits: ``(n,)`` [rad/s², m/s²] or None.
        enforce_limits: Refuse ends outside the position limits and a duration that exceeds a speed or
            acceleration limit (True, default); False builds the path anyway.

    Returns:
        A :class:`JointPath` with ``q`` ``(..., N, n)``; ``q[..., 0, :] == q_start``,
        ``q[..., -1, :] == q_goal``, ``qd`` and ``qdd`` zero at both ends.

    Raises:
        ShapeError: bad ``q_start`` / ``q_goal``; OptionError: bad ``steps`` / ``duration``;
        LimitError: (with ``enforce_limits``) an end outside the limits or a too short ``duration``.
    """
    q0 = validation.joint_vector(robot, q_start, "q_start")
    q1 = validation.joint_vector(robot, q_goal, "q_goal")
    N = _steps(steps)
    T = _timed(robot, q0, q1, duration, "quintic", acceleration_limits, enforce_limits)
    t = np.linspace(0.0, T, N)
    s, sd, sdd = quintic_scaling(t, T)
    dq = (q1 - q0)[..., None, :]  # (..., 1, n)
    with np.errstate(over="ignore", invalid="ignore"):  # checked below
        path = JointPath(
            t=t,
            q=q0[..., None, :] + s[:, None] * dq,
            qd=sd[:, None] * dq,
            qdd=sdd[:, None] * dq,
        )
    return _finite_path(path, ("q_start", q0, 1), ("q_goal", q1, 1), ("duration", T, 0))


def lspb_scaling(
    t: npt.ArrayLike, duration: float = 1.0, blend: float = LSPB_BLEND
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The trapezoidal (LSPB) time scaling ``s(t)`` from 0 to 1, at rest at both ends.

    Constant acceleration for ``t_b = blend · T``, constant speed ``V = 1 / (T − t_b)``, constant
    deceleration for the last ``t_b`` (Spong, Hutchinson & Vidyasagar, *Robot Modeling and Control*, §5.6.2;
    RTB's ``lspb``). Times outside ``[0, T]`` are clamped.

    Args:
        t: ``(...)`` times [s].
        duration: Total time T [s].
        blend: ``t_b / T`` in (0, 0.5].

    Returns:
        ``(s, ṡ, s̈)``, each ``(...)`` [1, 1/s, 1/s²].

    Raises:
        ShapeError: ``t`` is not real and finite, or a ``duration`` so short that ``ṡ`` or ``s̈`` overflows.
        OptionError: bad ``duration`` or ``blend``.
    """
    T = np.float64(_duration(duration))
    if not isinstance(blend, numbers.Real) or not 0.0 < blend <= 0.5:
        raise OptionError(f"blend must be in (0, 0.5] (the fraction of the time spent in each blend), got {blend!r}")
    tb = blend * T
    with np.errstate(over="ignore"):
        V = 1.0 / (T - tb)
        a = V / tb
    validation.finite_result(np.array([V, a]), "time scaling", ("duration", T, 0), batch_ndim=0)
    t = validation.require_finite(validation.real_array(t, "t", "(...)"), "t")
    tc = np.clip(t, 0.0, T)
    rising, falling = tc < tb, tc > T - tb
    s = np.where(rising, 0.5 * a * tc**2, np.where(falling, 1.0 - 0.5 * a * (T - tc) ** 2, V * (tc - 0.5 * tb)))
    sd = np.where(rising, a * tc, np.where(falling, a * (T - tc), V))
    sdd = np.where(rising, a, np.where(falling, -a, 0.0))
    return s, sd, sdd


def lspb(
    robot: Robot,
    q_start: npt.ArrayLike,
    q_goal: npt.ArrayLike,
    steps: int = 50,
    duration: float | None = None,
    *,
    acceleration_limits: npt.ArrayLike | None = None,
    enforce_limits: bool = True,
) -> JointPath:
    """A straight joint-space motion with a trapezoidal velocity profile (:func:`lspb_scaling`), rest to rest.

    Arguments, defaults and errors as :func:`quintic` (the shortest duration uses the LSPB peaks).

    Returns:
        A :class:`JointPath` with ``q`` ``(..., N, n)`` from ``q_start`` to ``q_goal``.
    """
    q0 = validation.joint_vector(robot, q_start, "q_start")
    q1 = validation.joint_vector(robot, q_goal, "q_goal")
    N = _steps(steps)
    T = _timed(robot, q0, q1, duration, "lspb", acceleration_limits, enforce_limits)
    t = np.linspace(0.0, T, N)
    s, sd, sdd = lspb_scaling(t, T)
    dq = (q1 - q0)[..., None, :]
    with np.errstate(over="ignore", invalid="ignore"):  # checked below
        path = JointPath(t=t, q=q0[..., None, :] + s[:, None] * dq, qd=sd[:, None] * dq, qdd=sdd[:, None] * dq)
    return _finite_path(path, ("q_start", q0, 1), ("q_goal", q1, 1), ("duration", T, 0))


def quintic_through(
    robot: Robot,
    waypoints: npt.ArrayLike,
    steps: int = 50,
    duration: float | None = None,
    *,
    enforce_limits: bool = True,
) -> JointPath:
    """Quintic segments through joint waypoints, stopping at each (rest to rest per segment).

    Args:
        robot: The robot.
        waypoints: ``(k, n)`` joint values [rad, m], k >= 2.
        steps: Samples per segment, ends included; shared ends are not repeated, so N = (k−1)(steps−1)+1.
        duration: Duration of each segment [s]; default: the shortest within the speed limits of the
            slowest segment (see :func:`quintic`).
        enforce_limits: As in :func:`quintic`.

    Returns:
        A :class:`JointPath` with ``q`` ``(N, n)`` passing exactly through every waypoint.

    Raises:
        ShapeError: ``waypoints`` not ``(k, n)`` with k >= 2, or steps between them beyond the largest float;
        LimitError: as :func:`quintic`.
    """
    W = _waypoints(robot, waypoints)
    seg = quintic(robot, W[:-1], W[1:], steps, duration, enforce_limits=enforce_limits)  # q (k-1, steps, n)
    T = float(seg.t[-1])
    keep = [slice(None)] + [slice(1, None)] * (W.shape[0] - 2)
    parts = [
        (seg.q[i, keep[i]], seg.qd[i, keep[i]], seg.qdd[i, keep[i]], seg.t[keep[i]] + i * T)
        for i in range(W.shape[0] - 1)
    ]
    q, qd, qdd, t = (np.concatenate(x) for x in zip(*parts))
    return JointPath(t=t, q=q, qd=qd, qdd=qdd)


def _waypoints(robot: Robot, waypoints: npt.ArrayLike) -> np.ndarray:
    """``waypoints`` as ``(k, n)``, k >= 2, whose consecutive differences are finite (ShapeError otherwise)."""
    W = validation.joint_vector(robot, waypoints, "waypoints")
    if W.ndim != 2 or W.shape[0] < 2:
        raise ShapeError(f"waypoints must have shape (k, {robot.n}) with k >= 2, got {W.shape}")
    with np.errstate(over="ignore"):
        step = np.diff(W, axis=0)
    validation.finite_result(step, "step between consecutive waypoints", ("waypoints", W[:-1], 1), batch_ndim=1)
    return W


# Speeds of joints without a velocity limit in the robot file, for :func:`blended_through`.
DEFAULT_SPEED = {"revolute": 1.0, "prismatic": 0.25}  # [rad/s], [m/s]
# Default blend time of :func:`blended_through` as a fraction of its shortest segment.
BLEND_FRACTION = 0.25


def blended_through(
    robot: Robot,
    waypoints: npt.ArrayLike,
    *,
    dt: float = 0.05,
    blend_time: float | None = None,
    velocity_limits: npt.ArrayLike | None = None,
    acceleration_limits: npt.ArrayLike | None = None,
    enforce_limits: bool = True,
) -> JointPath:
    """A multi-segment joint path through waypoints that blends past them instead of stopping (RTB's ``mstraj``).

    Between waypoints the joints move on straight segments, each as fast as the slowest joint of that
    segment allows (segment k lasts ``max_i |Δq_ik| / v_i``); around every waypoint the velocity changes
    from one segment's to the next with constant acceleration for ``2 · blend_time``, so the path passes
    near, not through, the inner waypoints (the corner is cut by about ``blend_time · |Δv| / 4``). The path
    starts at the first waypoint and ends at the last, at rest. Exactly: ``q(t)`` is the average of the
    piecewise-linear path ``p`` over ``[t − h, t + h]`` (h = ``blend_time``), ``q = (P(t + h) − P(t − h)) / 2h``
    with ``P`` the antiderivative of ``p``, so ``|q̇| ≤`` the speed limits and every sample is a convex
    combination of the waypoints (inside the joint limits when they are).

    Args:
        robot: The robot.
        waypoints: ``(k, n)`` joint values [rad, m], k >= 2.
        dt: Sample interval [s].
        blend_time: Half the duration of each blend h [s]; default: ``BLEND_FRACTION`` of the shortest
            segment, lengthened where ``acceleration_limits`` need it (``|Δv_i| / 2h ≤ a_i``).
        velocity_limits: ``(n,)`` speeds [rad/s, m/s]; default: the robot's, ``DEFAULT_SPEED`` where none.
        acceleration_limits: ``(n,)`` [rad/s², m/s²] or None.
        enforce_limits: Refuse waypoints outside the joint limits (default True).

    Returns:
        A :class:`JointPath` sampled every ``dt`` (the last sample at the end), ``t`` from 0.

    Raises:
        ShapeError: ``waypoints`` not ``(k, n)``, or a path beyond the largest float (huge waypoints, tiny speed
            limits); OptionError: bad ``dt``, ``blend_time`` or limits, or a path of more than
            :data:`MAX_SAMPLES` samples; LimitError: a waypoint outside the limits.
    """
    W = _waypoints(robot, waypoints)
    if enforce_limits:
        check_within_limits(robot, W, "waypoints")
    dt = _duration(dt, "dt")
    fallback = np.array([DEFAULT_SPEED[kind] for kind in robot.joint_types])
    v = _limit_vector(
        robot,
        velocity_limits,
        "velocity_limits",
        np.where(np.isfinite(robot.velocity_limits), robot.velocity_limits, fallback),
    )
    v = np.where(np.isfinite(v), v, fallback)
    a = _limit_vector(robot, acceleration_limits, "acceleration_limits", np.full(robot.n, np.inf))
    delta = np.diff(W, axis=0)  # (k-1, n)
    overflow = (("waypoints", W, 2), ("velocity_limits", v, 1), ("dt", dt, 0))
    with np.errstate(over="ignore"):
        durations = np.maximum((np.abs(delta) / v).max(axis=-1), dt)  # (k-1,)
        knots = np.concatenate([[0.0], np.cumsum(durations)])  # (k,)
    validation.finite_result(knots, "motion duration", *overflow, batch_ndim=0)
    slopes = delta / durations[:, None]  # (k-1, n): segment velocities
    padded = np.concatenate([np.zeros((1, robot.n)), slopes, np.zeros((1, robot.n))])  # at rest outside
    jumps = np.abs(np.diff(padded, axis=0))  # (k, n): velocity change at every knot
    if blend_time is None:
        h = BLEND_FRACTION * float(durations.min())
        h = max(h, float((jumps / (2.0 * a)).max()))
    else:
        h = _duration(blend_time, "blend_time")
    # P at the knots: the integral of p from knots[0].
    P_knots = np.concatenate([np.zeros((1, robot.n)), np.cumsum(0.5 * (W[:-1] + W[1:]) * durations[:, None], axis=0)])

    def p_and_P(t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """p, its antiderivative P and its slope at times ``t`` ``(N,)``, each ``(N, n)``."""
        k = np.clip(np.searchsorted(knots, t, side="right") - 1, 0, len(knots) - 1)  # knot at or before t
        tau = (t - knots[k])[:, None]
        inside = ((t >= knots[0]) & (t < knots[-1]))[:, None]
        slope = np.where(inside, padded[1:][np.minimum(k, len(slopes))], 0.0)  # (N, n)
        p = W[k] + slope * tau
        P = P_knots[k] + W[k] * tau + 0.5 * slope * tau**2
        return p, P, slope

    end = knots[-1] + 2.0 * h
    samples = end / dt + 1.0
    if not samples <= MAX_SAMPLES:
        raise OptionError(
            f"the path through these waypoints lasts {end:.4g} s: sampled every dt = {dt:g} s it would have "
            f"{samples:.4g} samples, more than MAX_SAMPLES = {MAX_SAMPLES} (pass a larger dt, or slower limits)"
        )
    t = np.arange(0.0, end, dt)
    t = np.append(t[t < end - 1e-9 * end], end)
    s = t - h  # time on the knots' axis
    p_hi, P_hi, v_hi = p_and_P(s + h)
    p_lo, P_lo, v_lo = p_and_P(s - h)
    with np.errstate(over="ignore", invalid="ignore"):  # checked below
        q = (P_hi - P_lo) / (2.0 * h)
        q[0], q[-1] = W[0], W[-1]  # exact ends (equal up to rounding)
        path = JointPath(t=t, q=q, qd=(p_hi - p_lo) / (2.0 * h), qdd=(v_hi - v_lo) / (2.0 * h))
    return _finite_path(path, *overflow)


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
        """Checks a path made by hand as :func:`cartesian_line` makes one, then freezes its arrays.

        Raises:
            ShapeError: ``t`` or ``s`` not ``(N,)`` finite with N >= 2, ``t`` not strictly increasing, ``T`` not
                ``(..., N, 4, 4)`` or ``twist`` not ``(..., N, 6)`` with the same leading axes, or a non-finite value.
            ConventionError: ``T`` not rigid transforms.
        """
        t = validation.require_finite(validation.real_array(self.t, "path.t", "(N,)"), "path.t")
        if t.ndim != 1 or t.size < 2 or not np.all(np.diff(t) > 0):
            raise ShapeError(
                f"path.t must be (N,) strictly increasing times [s] with N >= 2, got {np.asarray(self.t)!r}"
            )
        s = validation.require_finite(validation.real_array(self.s, "path.s", "(N,)"), "path.s")
        T = validation.transforms(self.T, "path.T")
        twist = validation.vectors(self.twist, "path.twist", 6, " [m/s, rad/s]")
        if s.shape != t.shape or T.shape[-3:-2] != t.shape or twist.shape[:-1] != T.shape[:-2]:
            raise ShapeError(
                f"a CartesianPath needs t (N,), s (N,), T (..., N, 4, 4) and twist (..., N, 6) with the same N and "
                f"leading axes; got t {t.shape}, s {s.shape}, T {T.shape}, twist {twist.shape}"
            )
        for name, value in (("t", t), ("s", s), ("T", T), ("twist", twist)):
            object.__setattr__(self, name, value)
        _freeze_fields(self)


def slerp(R_start: npt.ArrayLike, R_goal: npt.ArrayLike, s: npt.ArrayLike) -> np.ndarray:
    """Spherical linear interpolation of rotations by unit quaternions (Shoemake, SIGGRAPH 1985).

    The shorter of the two arcs is taken (the goal quaternion is negated when ``q0·q1 < 0``), so the turn
    is ``exp(s log(R_goal R_startᵀ)) R_start``: a constant angular velocity about a fixed world axis.

    Args:
        R_start: ``(..., 3, 3)``.
        R_goal: ``(..., 3, 3)``.
        s: ``(N,)`` fractions in [0, 1] (0 at ``R_start``, 1 at ``R_goal``).

    Returns:
        ``(..., N, 3, 3)``.

    Raises:
        ShapeError / ConventionError: ``R_start`` or ``R_goal`` is not a rotation, or ``s`` not ``(N,)`` real
            and finite.
        ConventionError: a fraction outside [0, 1]. It is refused, as scipy's ``Slerp`` refuses times outside
            its key times, rather than extrapolated (a turn past the goal) or clamped (spatialmath's
            ``interp`` clamps silently), either of which would hide a wrong path parameter.
    """
    R_start = validation.rotations(R_start, "R_start")
    R_goal = validation.rotations(R_goal, "R_goal")
    validation.broadcast_batch(("R_start", R_start, 2), ("R_goal", R_goal, 2))
    s = validation.require_finite(validation.real_array(s, "s", "(N,)"), "s")
    if s.ndim != 1:
        raise ShapeError(f"s must have shape (N,) (fractions in [0, 1]), got shape {s.shape}")
    outside = np.flatnonzero((s < 0.0) | (s > 1.0))
    if outside.size:
        i = int(outside[0])
        raise ConventionError(
            f"s must hold fractions in [0, 1] (0 at R_start, 1 at R_goal); s[{i}] = {float(s[i])!r} is outside "
            f"({outside.size} of {s.size} outside): slerp does not extrapolate"
        )
    q0 = spatial.matrix_to_quaternion(R_start)[..., None, :]  # (..., 1, 4)
    q1 = spatial.matrix_to_quaternion(R_goal)[..., None, :]
    s = s[:, None]  # (N, 1)
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
        ShapeError / ConventionError: an argument is not a rigid transform, batch shapes that do not
            broadcast, or a line or twist beyond the largest float (positions ±1e308 apart, a tiny duration).
        OptionError: bad ``steps`` / ``duration``.
    """
    T0 = validation.transforms(T_start, "T_start")
    T1 = validation.transforms(T_goal, "T_goal")
    validation.broadcast_batch(("T_start", T0, 2), ("T_goal", T1, 2))
    T0, T1 = np.broadcast_arrays(T0, T1)
    N, dur = _steps(steps), _duration(duration)
    t = np.linspace(0.0, dur, N)
    s, sd, _ = quintic_scaling(t, dur)
    p0, p1 = T0[..., None, :3, 3], T1[..., None, :3, 3]  # (..., 1, 3)
    overflow = (("T_start", T0, 2), ("T_goal", T1, 2), ("duration", dur, 0))
    with np.errstate(over="ignore"):
        dp = p1 - p0
    validation.finite_result(dp, "translation p_goal − p_start", *overflow, batch_ndim=dp.ndim - 2)
    R = slerp(T0[..., :3, :3], T1[..., :3, :3], s)  # (..., N, 3, 3)
    p = p0 + s[:, None] * dp  # (..., N, 3)
    w = spatial.so3_log(T1[..., :3, :3] @ np.swapaxes(T0[..., :3, :3], -1, -2))[..., None, :]  # (..., 1, 3)
    with np.errstate(over="ignore", invalid="ignore"):
        twist = np.concatenate([sd[:, None] * dp, sd[:, None] * w], axis=-1)  # (..., N, 6)
    validation.finite_result(twist, "tool twist", *overflow, batch_ndim=twist.ndim - 2)
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
    robot: Robot,
    T_path: npt.ArrayLike,
    q0: npt.ArrayLike,
    *,
    options: IKOptions | None = None,
    link: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FollowResult:
    """Follow a Cartesian path by IK, each sample seeded from the previous solution.

    The samples are solved one after another (each needs the previous answer); each solve is batched over
    the leading axes. Random restarts are off unless ``options`` turns them on, because a restart lands
    on an arbitrary branch: an arm that cannot follow the path reports ``success=False`` there instead of
    flipping its elbow or wrist.

    Args:
        robot: The robot.
        T_path: ``(..., N, 4, 4)`` desired ``T_world_link``, e.g. ``cartesian_line(...).T``.
        q0: ``(..., n)`` joint values [rad, m] near the first pose (the branch to keep).
        options: :class:`robokin.ik.IKOptions`; default ``IKOptions(max_restarts=0)``.
        link: The frame that follows the path (default: the robot's one end effector; any frame of a tree).
        progress: Called after each pose as ``progress(k, N)``, ``k`` = 0 … N − 1 the pose just solved, as
            matplotlib's ``progress_callback``; :func:`robokin.viz.progress_bar` draws a bar on a terminal.

    Returns:
        A :class:`FollowResult`.

    Raises:
        ShapeError / ConventionError: bad ``T_path`` or ``q0``. OptionError: an unknown ``link``, a
        ``progress`` that is not callable.
    """
    from .ik import IKOptions, solve

    name = robot.resolve_link(link)

    def solve_one(T: np.ndarray, q: np.ndarray, options: IKOptions) -> tuple[np.ndarray, ...]:
        r = solve(robot, T, q, link=name, options=options)
        return r.q, r.success, r.position_error, r.rotation_error

    T_path = validation.transforms(T_path, "T_path")
    if T_path.ndim < 3 or T_path.shape[-3] == 0:  # a path has a first pose: the one q0 is moved to
        raise ShapeError(f"T_path must have shape (..., N, 4, 4) with N >= 1 poses, got {T_path.shape}")
    q = validation.joint_vector(robot, q0, "q0")
    batch = np.broadcast_shapes(T_path.shape[:-3], q.shape[:-1])
    T_path = np.broadcast_to(T_path, batch + T_path.shape[-3:])
    q = np.broadcast_to(q, batch + (robot.n,))
    options = IKOptions(max_restarts=0) if options is None else options
    progress = validation.progress(progress)
    qs, ok, pe, re = [], [], [], []
    for k in range(T_path.shape[-3]):
        q, success, position_error, rotation_error = solve_one(T_path[..., k, :, :], q, options)
        if progress is not None:
            progress(k, T_path.shape[-3])
        qs.append(q)
        ok.append(success)
        pe.append(position_error)
        re.append(rotation_error)
    Q = np.stack(qs, axis=-2)  # (..., N, n)
    step = np.abs(np.diff(Q, axis=-2)).max(axis=(-1, -2)) if Q.shape[-2] > 1 else np.zeros(batch)
    return FollowResult(
        q=Q,
        success=np.stack(ok, axis=-1),
        position_error=np.stack(pe, axis=-1),
        rotation_error=np.stack(re, axis=-1),
        largest_step=step,
    )


# ----------------------------------------------------------------------------------------- resolved rate
@dataclass(frozen=True)
class RateOptions:
    """Settings of :func:`resolved_rate`.

    Attributes:
        gain: Feedback gain K [1/s] on the pose error in ``v = v_path + K e``; ``K · dt`` must be at most 1
            (at 1 the error is corrected in one step).
        damping: Largest damping factor λ_max used at an exact singularity, unit-free: of the task Jacobian
            ``[v/L; ω] J diag(1 | L)`` (:func:`robokin.measures.unit_scales`, L the robot's characteristic
            length), so that the same settings serve an arm at any scale.
        singular_band: ε (unit-free, as ``damping``): damping starts when the smallest singular value σ_min of
            that Jacobian falls below ε, growing as ``λ² = (1 − (σ_min/ε)²) λ_max²`` (Nakamura & Hanafusa,
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
        T: ``(..., N, 4, 4)`` reached ``T_world_link`` (the tool, or the ``link`` followed).
        position_error: ``(..., N)`` ``‖p_path − p‖`` [m].
        rotation_error: ``(..., N)`` ``‖log(R_path Rᵀ)‖`` [rad].
        damping: ``(..., N)`` damping factor λ used at each sample (unit-free, see :class:`RateOptions`; 0 far
            from singularities).
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
    (the smaller system is solved; both are ``J⁺ v`` at λ = 0). Solved with ``np.linalg.solve``, or with the
    pseudo-inverse of the system when it is exactly singular (λ = 0 at a singularity: the minimum-norm ``J⁺ v``).

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
        return (Jt @ _solve_or_pinv(A, v[..., None]))[..., 0]
    A = Jt @ J + lam2 * np.eye(n)
    return _solve_or_pinv(A, Jt @ v[..., None])[..., 0]


def _solve_or_pinv(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``A⁻¹ b`` for symmetric ``A`` ``(B, k, k)``; ``A⁺ b`` when some ``A`` is exactly singular (λ = 0 at a
    singularity), so that ``Jᵀ(JJᵀ)⁺ v`` and ``(JᵀJ)⁺Jᵀ v`` are still the minimum-norm ``J⁺ v``."""
    try:
        return np.linalg.solve(A, b)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(A, hermitian=True) @ b


def resolved_rate(
    robot: Robot,
    path: CartesianPath,
    q0: npt.ArrayLike,
    *,
    options: RateOptions | None = None,
    link: str | None = None,
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
        link: The frame that moves along the path (default: the robot's one end effector; any frame of a
            tree, e.g. ``"left_hand"`` of baxter), as in :func:`robokin.kinematics.fk` and :func:`follow`.

    Returns:
        A :class:`RateResult` with the batch shape of ``path`` and ``q0`` broadcast.

    Raises:
        ShapeError: bad ``q0``, or ``q0``'s batch shape does not broadcast against the path's; OptionError: ``path``
            not a CartesianPath, ``options`` not a RateOptions, bad
            options (``K · dt > 1``, negative damping, bad rows), an unknown ``link``, or no ``link`` on a robot
            with several end effectors.
    """
    name = robot.resolve_link(link)
    if not isinstance(path, CartesianPath):
        raise OptionError(
            f"path must be a CartesianPath (e.g. cartesian_line(...)), got {type(path).__name__}; to follow bare "
            "poses use follow(robot, T_path, q0)"
        )
    opts = RateOptions() if options is None else options
    if not isinstance(opts, RateOptions):
        raise OptionError(f"options must be a RateOptions, got {type(opts).__name__}")
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
        raise OptionError(
            f"RateOptions needs damping >= 0 and singular_band > 0, got {opts.damping}, {opts.singular_band}"
        )
    batch = validation.broadcast_batch(("path.T", path.T, 3), ("q0", q, 1))
    N = len(t)
    T_des = np.broadcast_to(path.T, batch + (N, 4, 4)).reshape(-1, N, 4, 4)
    v_des = np.broadcast_to(path.twist, batch + (N, 6)).reshape(-1, N, 6)
    q = np.broadcast_to(q, batch + (robot.n,)).reshape(-1, robot.n).copy()
    # The unit-free system (R J C)(C⁻¹ q̇) = R v: R = [1/L]*3 + [1]*3 on the rows, C = 1 | L on the columns.
    row_scale, col_scale = unit_scales(robot)
    row_scale = row_scale[rows]
    qs, qds, Ts, lams = [], [], [], []
    for k in range(N):
        T = fk(robot, q, link=name)  # (B, 4, 4)
        e = spatial.pose_error(T_des[:, k], T)  # (B, 6)
        qs.append(q.copy())
        Ts.append(T)
        J = jacobian(robot, q, link=name)[:, rows, :] * row_scale[:, None] * col_scale  # (B, m, n), unit-free
        sigma_min = np.linalg.svd(J, compute_uv=False)[:, -1]
        lam = opts.damping * np.sqrt(np.clip(1.0 - (sigma_min / opts.singular_band) ** 2, 0.0, None))
        lams.append(lam)
        if k == N - 1:
            qds.append(np.zeros_like(q))
            break
        v = v_des[:, k, rows] + opts.gain * e[:, rows]
        qd = damped_rate(J, v * row_scale, lam) * col_scale
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
