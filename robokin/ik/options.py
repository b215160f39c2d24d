"""The settings (:class:`IKOptions`) and the answer (:class:`IKResult`) of :func:`robokin.ik.solve`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .. import validation
from ..errors import OptionError

__all__ = [
    "IKOptions",
    "IKResult",
    "TasksResult",
    "POSITION_ONLY",
    "DAMPING_SCHEMES",
    "ROTATION_FLOOR",
    "POSITION_FLOOR",
    "MAX_POSITION_TOLERANCE",
    "MAX_STARTS",
    "MAX_ITERATIONS",
    "MAX_RESTARTS",
]

Damping = Literal["sugihara", "chan", "lm"]
DAMPING_SCHEMES: tuple[str, ...] = ("sugihara", "chan", "lm")
WEIGHTS_FRAMES: tuple[str, ...] = ("world", "target")
PREFERENCES: tuple[str, ...] = ("q0", "any")

# Task weights [x, y, z, rx, ry, rz] for a position-only task (orientation free).
POSITION_ONLY: tuple[float, ...] = (1.0, 1.0, 1.0, 0.0, 0.0, 0.0)

# The smallest tolerances float64 can verify: fk rounds a pose to a few ε = 2.2e-16 per joint, relative to
# the arm's size, so an error below ~1e-13 (relative) cannot be told from rounding. Rotation [rad]; position
# [m] is POSITION_FLOOR × the robot's characteristic length L (checked by solve, which knows the robot).
ROTATION_FLOOR = 1e-13
POSITION_FLOOR = 1e-13
# Larger tolerances are refused: a rotation error is at most π, and no robot is 1e12 m long.
MAX_POSITION_TOLERANCE = 1e12
# Starts per target side by side (each one a row of every pass).
MAX_STARTS = 1024
# Steps per attempt and restarts per target: far beyond any use (defaults 17 and 100), but finite, so that an
# unreachable target (every restart fails, at about 1.5 ms each for one target) cannot run for days.
MAX_ITERATIONS = 10_000
MAX_RESTARTS = 10_000
# The default position tolerance: 1e-6 m, or 1e-6 × L for an arm shorter than a metre (L its
# characteristic length), so a millimetre arm is held to the same relative precision as a metre one.
DEFAULT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class IKOptions:
    """Settings of :func:`robokin.ik.solve`; the defaults suit arms of any size.

    The solver works in unit-free coordinates: position errors and Jacobian rows divided by a fixed fraction
    of the robot's characteristic length ``L`` (:attr:`robokin.model.Robot.characteristic_length`), prismatic
    joints in units of ``L``. So the damping, the step guard and the starts behave the same for an arm of 1 mm and
    one of 1 km; only the position tolerance is in metres. How the defaults were chosen (damping scheme,
    iterations, starts) is recorded in ``benchmarks/ik_tuning.md`` with the commands that measure them.

    Attributes:
        position_tolerance: Converged when the position error is at most this [m]. None (default):
            ``1e-6 × min(L, 1 m)``, i.e. 1 µm, or one millionth of ``L`` for arms shorter than a metre.
            At most 1e12 m; at least ``1e-13 × L`` (below, float64 cannot verify it: OptionError at solve).
        rotation_tolerance: ... and the rotation error at most this [rad] (default 1e-6 rad; between 1e-13
            and π).
        max_iterations: Steps per attempt before a restart from a new configuration (see ``starts``); 1 to
            ``MAX_ITERATIONS`` (10 000).
        max_restarts: Starts per target besides ``q0`` (side-by-side starts and restarts after a
            failed attempt alike); 0 for a local solve from ``q0`` only; at most ``MAX_RESTARTS`` (10 000).
        damping: How the damping λ of ``Δq = Jᵀ(JJᵀ + λI)⁻¹ e`` is chosen: ``"lm"`` (default;
            Levenberg–Marquardt: λ = μ, μ₀ from the first Jacobian, divided by 3 after an accepted step
            and multiplied by a doubling ν after a rejected one; Madsen, Nielsen & Tingleff, "Methods for
            non-linear least squares problems", DTU 2004, sec. 3.2), ``"sugihara"`` (``λ = E + bias``,
            E = ½ eᵀWe; Sugihara, IEEE T-RO 27(5), 2011) or ``"chan"`` (``λ = E``, Chan & Lawrence, ICRA
            1988). In every scheme a step that does not lower E is rejected and λ grows until one does, and
            λ is at least 1e-10 × the mean diagonal of ``J Jᵀ`` (relative, so any weights solve).
        damping_bias: ``"sugihara"`` only: the constant added to λ (Sugihara's w̄_N, unit-free).
        max_step: Step-length guard: the largest change of one joint per iteration [rad, or units of ``L``
            for a prismatic joint]; a longer step is scaled down as a whole (its direction is kept). Not
            applied to a prismatic joint without limits (the pose is affine in its value).
        weights: Task weights ``(6,)`` for the error rows ``[x, y, z, rx, ry, rz]``; 0 frees a component
            (``POSITION_ONLY`` frees the orientation). Normalised to a largest weight of 1 (so only their
            ratios matter: ``(1e-6,) * 6`` is ``(1,) * 6``). A free component does not count for
            convergence; the reported errors are the whole errors all the same.
        weights_frame: Frame of the weighted components: ``"world"``, or ``"target"`` (the target's own
            axes, e.g. ``weights=(1, 1, 1, 1, 1, 0)`` with ``"target"`` leaves the rotation about the
            target's z axis free).
        rest: Null-space preference for redundant tasks: ``"q0"`` (stay near the start), ``"middle"``
            (middle of the joint ranges, away from the limits), a finite joint vector ``(n,)`` within the
            limits (checked by solve), or None.
        nullspace_gain: Gain k of the preference ``z = k (q_rest − q)``, applied as the bias of the
            regularised step ``min ‖J Δq − e‖² + λ‖Δq − z‖²``; 0 (default) disables it. About 0.5 works.
        starts: Starts run side by side per target from the first iteration (at most 1024): q0 and
            ``starts − 1`` others, the entries of a fixed per-robot table of configurations within the
            limits whose poses are nearest the target (random ones beyond the table). None (default): 8
            for a single target, ``max(3, min(8, 15 // M))`` for M targets. Restarts also come from the
            table first (the next nearest poses), then random.
        prefer: Which solution to return when ``q0`` is given (without ``q0`` every start is equal):
            ``"q0"`` (default): the solution reached from ``q0`` when that start converges (within its first
            attempt), else the solution nearest ``q0`` among those found; the other starts only stand in
            for a ``q0`` that fails. ``"any"``: the first solution found (the nearest ``q0`` of those found
            at that pass), which is faster when ``q0`` is only a guess.
        finish: ``"first"`` (default): a target is done as soon as ``prefer`` is satisfied; ``"all"``:
            every start runs its attempt to the end, and the solution from ``q0`` (``prefer="q0"``), else
            the one nearest ``q0``, is returned.
        singularity_threshold: ``near_singularity`` is reported when the inverse condition number of the
            task Jacobian at the answer is below this (default 1e-2: σ_min is under 1 % of σ_max); in [0, 1].
        dt: Velocity limits: the time of one step [s]; each step moves joint j by at most ``v_j × dt`` (the
            step is scaled down as a whole, like ``max_step``), ``v`` from ``velocity_limits`` or else the
            robot's joint speeds (:attr:`robokin.model.Robot.velocity_limits`; a joint without one is not
            bounded). None (default): no velocity limit. Random restarts jump; for a motion-like local solve
            from q0 also set ``max_restarts=0``.
        velocity_limits: ``(n,)`` joint speeds [rad/s, m/s] (> 0, inf for none) used with ``dt`` instead of
            the robot's; its length is checked at solve. None: the robot's.

    Raises:
        OptionError: a value out of its range (named, with the range and what came).
    """

    position_tolerance: float | None = None
    rotation_tolerance: float = DEFAULT_TOLERANCE
    max_iterations: int = 17
    max_restarts: int = 100
    damping: Damping = "lm"
    damping_bias: float = 1e-3
    max_step: float = 1.0
    weights: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    weights_frame: Literal["world", "target"] = "world"
    rest: Literal["q0", "middle"] | tuple[float, ...] | None = "q0"
    nullspace_gain: float = 0.0
    starts: int | None = None
    prefer: Literal["q0", "any"] = "q0"
    finish: Literal["first", "all"] = "first"
    singularity_threshold: float = 1e-2
    dt: float | None = None
    velocity_limits: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.position_tolerance is not None:
            _number(self, "position_tolerance", 0.0, MAX_POSITION_TOLERANCE, open_low=True)
        _number(self, "rotation_tolerance", ROTATION_FLOOR, np.pi)
        for name in ("damping_bias", "max_step"):
            _number(self, name, 0.0, np.inf, open_low=True)
        _number(self, "nullspace_gain", 0.0, np.inf)
        _number(self, "singularity_threshold", 0.0, 1.0)  # a ratio σ_min/σ_max
        for name, low, high in (
            ("max_iterations", 1, MAX_ITERATIONS),
            ("max_restarts", 0, MAX_RESTARTS),
            ("starts", 1, MAX_STARTS),
        ):
            value = getattr(self, name)
            if name == "starts" and value is None:
                continue
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not low <= value <= high:
                raise OptionError(f"IKOptions.{name} must be an integer in [{low}, {high}], got {value!r}")
            object.__setattr__(self, name, int(value))
        validation.choice(self.damping, "IKOptions.damping", DAMPING_SCHEMES)
        validation.choice(self.finish, "IKOptions.finish", ("first", "all"))
        validation.choice(self.prefer, "IKOptions.prefer", PREFERENCES)
        validation.choice(self.weights_frame, "IKOptions.weights_frame", WEIGHTS_FRAMES)
        w = _numbers(self.weights)
        if w is None or w.shape != (6,) or not np.all(np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
            raise OptionError(
                f"IKOptions.weights must be 6 finite numbers >= 0, not all 0, for [x, y, z, rx, ry, rz]; "
                f"got {self.weights!r}"
            )
        object.__setattr__(self, "weights", tuple(float(v) for v in w / w.max()))  # largest weight 1
        if self.dt is not None:
            _number(self, "dt", 0.0, np.inf, open_low=True)
        if self.velocity_limits is not None:
            v = _numbers(self.velocity_limits)
            if v is None or v.ndim != 1 or v.size == 0 or np.isnan(v).any() or np.any(v <= 0):
                raise OptionError(
                    f"IKOptions.velocity_limits must be joint speeds > 0 (inf for none), one per joint; got "
                    f"{self.velocity_limits!r}"
                )
            if self.dt is None:
                raise OptionError("IKOptions.velocity_limits needs dt (the time of one step [s]); got dt=None")
            object.__setattr__(self, "velocity_limits", tuple(float(x) for x in v))
        if isinstance(self.rest, str):
            validation.choice(self.rest, "IKOptions.rest", ("q0", "middle"))
        elif self.rest is not None:
            rest = _numbers(self.rest)
            if rest is None or rest.ndim != 1 or not np.all(np.isfinite(rest)):
                raise OptionError(
                    f"IKOptions.rest must be 'q0', 'middle', None or a finite joint vector, got {self.rest!r}"
                )
            object.__setattr__(self, "rest", tuple(float(v) for v in rest))


def _number(options: IKOptions, name: str, low: float, high: float, open_low: bool = False) -> None:
    """Check ``options.<name>`` is a real number in ``[low, high]`` (``(low, high]`` when ``open_low``)."""
    value = getattr(options, name)
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and np.isfinite(value) and (value > low if open_low else value >= low) and value <= high
    if not ok:
        kind = "a positive finite number" if open_low and low == 0 else f"a finite number >= {low:g}"
        bound = "" if high == np.inf else f" <= {high:g}"
        raise OptionError(f"IKOptions.{name} must be {kind}{bound}, got {value!r}")
    object.__setattr__(options, name, float(value))


def _numbers(value: object) -> np.ndarray | None:
    """``value`` as a float array, or None when it is not numbers (strings, complex, objects)."""
    if isinstance(value, (str, bytes)):
        return None
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        return None
    if arr.dtype.kind not in "biuf":
        return None
    return arr.astype(float)


@dataclass(frozen=True, eq=False)
class IKResult:
    """The answer of :func:`robokin.ik.solve` for a batch of targets ``(...)``; every array is read-only.

    Attributes:
        q: ``(..., n)`` the solution [rad, m], within the joint limits; when ``success`` is False, the
            configuration of the closest pose found.
        success: ``(...)`` bool: verified with ``robot.fk(q)``: the errors over the components the task
            constrains (weight > 0, in ``weights_frame``) within the tolerances.
        position_error: ``(...)`` ``‖p* − p‖`` at ``q`` [m] by ``robot.fk``, all three components (also
            the free ones); finite, or inf when it overflows.
        rotation_error: ``(...)`` ``‖log(R* Rᵀ)‖`` at ``q`` [rad] by ``robot.fk``, the whole rotation
            (also when the orientation is free), in ``[0, π]``.
        iterations: ``(...)`` int, steps over all attempts (each one m×m solve).
        restarts: ``(...)`` int, starts used besides ``q0`` (side-by-side starts included).
        inverse_condition: ``(...)`` ``σ_min/σ_max`` of the task Jacobian at ``q`` (1 is isotropic,
            0 singular): :func:`robokin.measures.inverse_condition` of the unit-free ``[v/L; ω]`` over
            :func:`robokin.measures.task_rows` (L: ``robot.characteristic_length``).
        near_singularity: ``(...)`` bool, ``inverse_condition < options.singularity_threshold``.
    """

    q: np.ndarray
    success: np.ndarray
    position_error: np.ndarray
    rotation_error: np.ndarray
    iterations: np.ndarray
    restarts: np.ndarray
    inverse_condition: np.ndarray
    near_singularity: np.ndarray

    def __post_init__(self) -> None:
        _read_only_fields(self)

    @classmethod
    def one(
        cls,
        q: Sequence[float],
        success: bool,
        position_error: float,
        rotation_error: float,
        inverse_condition: float,
        near_singularity: bool,
    ) -> IKResult:
        """The result of ONE target reached without steps (``iterations`` = ``restarts`` = 0), from plain
        values: the fields, shapes and dtypes of the constructor's (``q`` ``(n,)`` float64; the others 0-d:
        float64, bool, int), every one read-only, without its copies. The floats are views of one new array
        made read-only before they are taken (so no view can be made writeable again); the flags and the
        zero counts are views of shared read-only constants."""
        n = len(q)
        values = np.array([*q, position_error, rotation_error, inverse_condition])
        values.setflags(write=False)
        result = object.__new__(cls)
        vars(result).update(
            q=values[:n],
            success=_TRUE if success else _FALSE,
            position_error=values[n, ...],
            rotation_error=values[n + 1, ...],
            iterations=_ZERO_ITERATIONS,
            restarts=_ZERO_RESTARTS,
            inverse_condition=values[n + 2, ...],
            near_singularity=_TRUE if near_singularity else _FALSE,
        )
        return result


def _constants(values: list[bool] | list[int]) -> list[np.ndarray]:
    """0-d read-only views of a new read-only array of ``values`` (a view of a read-only array cannot be
    made writeable: shared safely by every result)."""
    base = np.array(values)
    base.setflags(write=False)
    return [base[i, ...] for i in range(len(values))]


_FALSE, _TRUE = _constants([False, True])
_ZERO_ITERATIONS, _ZERO_RESTARTS = _constants([0, 0])


@dataclass(frozen=True, eq=False)
class TasksResult:
    """The answer of :func:`robokin.ik.solve_tasks` for k frame tasks and targets of batch shape ``(...)``;
    every array is read-only.

    Attributes:
        q: ``(..., n)`` the solution [rad, m], within the joint limits; when ``success`` is False, the
            configuration of the closest pose found.
        success: ``(...)`` bool: every task verified with ``robot.fk(q, link=...)`` (its constrained
            components within the tolerances), and the solver converged.
        task_success: ``(..., k)`` bool: each task's own verification.
        position_error: ``(..., k)`` ``‖p* − p‖`` of each task at ``q`` [m] (all three components);
            finite, or inf when it overflows.
        rotation_error: ``(..., k)`` ``‖log(R* Rᵀ)‖`` of each task at ``q`` [rad], the whole rotation (also
            where weights free some of it), in ``[0, π]``; 0 for a position task (it has no target orientation).
        iterations: ``(...)`` int, steps over all attempts.
        restarts: ``(...)`` int, starts used besides ``q0``.
    """

    q: np.ndarray
    success: np.ndarray
    task_success: np.ndarray
    position_error: np.ndarray
    rotation_error: np.ndarray
    iterations: np.ndarray
    restarts: np.ndarray

    def __post_init__(self) -> None:
        _read_only_fields(self)


def _read_only_fields(result: IKResult | TasksResult) -> None:
    """Every field of a frozen result replaced by a read-only array copy."""
    for name in result.__dataclass_fields__:
        value = np.array(getattr(result, name))
        value.setflags(write=False)
        object.__setattr__(result, name, value)
