""":func:`solve` (one frame's pose) and :func:`solve_tasks` (several frame tasks): validate, build the tasks and
the limits, run a solver, verify every task with ``robot.fk``."""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from .. import kinematics, spatial, validation
from ..errors import NoAnalyticSolutionError, OptionError, ShapeError
from ..measures import inverse_condition_from_singular_values, task_rows
from ..model import check_robot
from .analytic import (
    POSITION_TOLERANCE,
    ROTATION_TOLERANCE,
    SEARCH_FAMILIES,
    analytic_family,
    polish_pose,
    scalar_arm,
    solve_validated,
)
from .limits import JointPositionLimit, StepLimit, VelocityLimit
from .options import DEFAULT_TOLERANCE, POSITION_FLOOR, IKOptions, IKResult, TasksResult
from .seeds import seed_table
from .solver import Problem, Solution, auto_starts, solve_dls
from .tasks import FramePoseTask, LinkPose, PoseProvider, PoseTask, PositionTask, PostureTask, ToolPose

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Robot

__all__ = ["solve", "solve_tasks", "verify", "position_tolerance", "METHODS"]

# The closed form's solutions form a continuum only at an exact singularity; an answer whose σ_min/σ_max of
# the unit-free task Jacobian is below this (about √ε) is taken as one (a near-singular solution is isolated).
CONTINUUM_CONDITION = 1e-8

Method = Literal["auto", "analytic", "dls"]
METHODS: tuple[str, ...] = ("auto", "analytic", "dls")

_DEFAULT_OPTIONS = IKOptions()
# The length a position error is divided by in the solver's rows and seed distance, as a fraction of the
# robot's characteristic length L (any fixed fraction keeps the solver scale-free). 0.3 needed 10-20 % fewer
# passes than 1 on all nine bundled 6-7 joint arms (benchmarks/ik_tuning.md, "Row length").
ROW_LENGTH = 0.3


def solve(
    robot: Robot,
    T_target: npt.ArrayLike,
    q0: npt.ArrayLike | None = None,
    *,
    link: str | None = None,
    options: IKOptions | None = None,
    seed: int | np.random.Generator | None = None,
    method: Method = "auto",
) -> IKResult:
    """Inverse kinematics: joint values that put a frame (by default the tool) at ``T_target``, batched.

    The shorthand of :func:`solve_tasks` for one :class:`~robokin.ik.tasks.PoseTask` on ``link``, weighted by
    ``options.weights``; a posture preference when ``options.nullspace_gain > 0``, the joint limits, the
    velocity limits (``options.dt``) and the step guard, solved by damped least squares with several starts
    side by side and restarts (:func:`~robokin.ik.solver.solve_dls`). Every answer is checked with
    ``robot.fk(q, link=link)``: ``success`` is that check, not the solver's.

    ``method="auto"`` (default) takes the closed-form solutions of :func:`~robokin.ik.solve_all`
    when the task is a serial arm's tool, the arm has an analytic family (:func:`~robokin.ik.analytic_family`),
    the task is the full pose (all six weights equal) and no velocity limit is set: the valid solution nearest
    the start (q0 when given, else the middle of the ranges; so with ``prefer="q0"`` and a solution near q0
    that one is returned, and a q0 that solves a singular target comes back unchanged), verified by
    ``robot.fk`` like every answer. Targets it leaves unsolved (unreachable, outside the limits, a near-miss
    geometry), and every other task, go to the damped least squares: from q0 when given, then from the
    closed-form answer of least error. On an arm whose family has no closed form but a 1-D search
    (:data:`~robokin.ik.analytic.SEARCH_FAMILIES`; its :func:`~robokin.ik.solve_all` costs 0.05–0.2 s of
    CPU a target, tens of damped least squares), ``"auto"`` runs the damped least squares first (from q0 when
    given, else the usual starts and restarts; the answer is the one q0 leads to, as with ``"dls"``) and the
    search only for the targets it leaves unsolved, with the nearest valid solution as above; the damped least
    squares' answers are polished to the last digit (Gauss–Newton on the full pose): as fast as
    ``"dls"`` where that succeeds, and no reachable target lost where it does not (:func:`dls_then_search`).
    ``"analytic"`` is the same as ``"auto"`` on a closed-form family and always takes the analytic answer
    (the search included), but raises where there is no family; ``"dls"`` is only the damped least squares.
    A 7-joint arm's parameter joint is taken from q0 first, then swept.

    Args:
        robot: The robot (a serial chain or a tree).
        T_target: ``(4, 4)`` or ``(..., 4, 4)`` target poses ``T_world_link``; an empty batch gives an empty
            result. Rotation blocks off orthonormal by more than ``validation.SNAP_TOL`` (accepted up to
            ``RIGID_TOL``, e.g. a pose in float32) are solved at their nearest rotation.
        q0: ``(n,)`` or ``(..., n)`` start [rad, m] (broadcast against the targets; moved into the limits
            if outside: a revolute joint by whole turns where they bring it within, else onto the limit). Default: the middle of each joint's range (0 where unlimited). With
            ``options.prefer="q0"`` (default) the solution reached from q0 is returned when that start
            converges, else the one nearest q0 among those found; revolute joints are moved by whole turns to
            the value nearest q0 within their limits.
        link: The frame to place (``robot.frame_names``); None: the robot's one end effector (its tool).
        options: :class:`IKOptions`; default ``IKOptions()``.
        seed: Seed (an int >= 0) or ``numpy.random.Generator`` for the random restarts; None means seed 0, so
            a call is reproducible.
        method: ``"auto"``, ``"analytic"`` or ``"dls"`` (see above).

    Returns:
        :class:`IKResult` with batch shape ``...`` of ``T_target``. Not converging is a result
        (``success=False`` with the closest pose found), never an exception.

    Raises:
        ShapeError: ``T_target`` or ``q0`` has a wrong shape or a non-finite value.
        ConventionError: ``T_target`` is not a rigid transform.
        OptionError: ``robot`` is not a Robot, ``options`` is not an :class:`IKOptions`, its ``rest`` or ``velocity_limits`` does not
            fit the robot, its position tolerance is below what float64 can verify for this robot, or
            ``seed`` is not a seed, or ``method`` is not one of :data:`METHODS`, or ``method="analytic"`` with
            unequal weights or velocity limits (``options.dt``); or ``link`` is not a frame of the robot, or None on a robot with several end
            effectors (the message lists them).
        NoAnalyticSolutionError: ``method="analytic"`` for an arm without an analytic family, or for a frame
            other than a serial arm's tool.
    """
    check_robot(robot)
    options = _options(options)
    validation.choice(method, "method", METHODS)
    validation.seed(seed)
    name = robot.resolve_link(link)
    tool = robot.chain is not None and name == robot.default_link
    T = validation.transforms(T_target, "T_target", snap=True)
    batch = T.shape[:-2]
    if method == "analytic" and not tool:
        raise NoAnalyticSolutionError(
            f"the closed form solves the tool of a serial arm; frame {name!r} of robot {robot.name!r} is not "
            "one (use method='dls' or 'auto')"
        )
    if method == "analytic" and options.dt is not None:
        raise OptionError(
            "method='analytic' jumps to the closed-form solutions, so it cannot keep the velocity limits of "
            f"options.dt = {options.dt} s (they bound each damped-least-squares step): use method='auto' or 'dls'"
        )
    T2 = T.reshape(-1, 4, 4)
    # The closed form jumps to its solutions: "auto" leaves it out when steps must respect velocity limits.
    closed = tool and (method == "analytic" or (method == "auto" and options.dt is None))
    search_first = closed and method == "auto" and analytic_family(robot).name in SEARCH_FAMILIES
    if closed and not search_first:  # the damped least squares' problem is built only when it runs
        facts = _facts(robot)
        q_start = _start(robot, facts, q0, batch)
        tol_p = _position_tolerance(robot, facts, options)
        _posture(robot, facts, options, q_start)  # checks options.rest as pose_problem does
        prefer_q0 = options.prefer == "q0" and q0 is not None
        if batch == ():  # one target: the common case without the batch machinery (on floats), else the general path
            one = closed_form_one(robot, facts, T, q_start[0], prefer_q0, options, tol_p)
            if one is not None:
                return result_one(one, tol_p, options)
    with np.errstate(over="ignore", invalid="ignore"):  # a target beyond float range is a failure, not a warning
        solution = None
        if search_first:
            solution, facts, tol_p = dls_then_search(robot, T2, q0, batch, options, seed)
        elif closed:
            solution = solve_closed_form(robot, T2, q_start, prefer_q0, q0, options, seed, tol_p, method)
        if solution is None:
            problem, facts, tol_p = pose_problem(robot, T2, q0, batch, options, seed, link=None if tool else name)
            solution = solve_dls(problem)
        return _result(robot, facts, options, tol_p, T2, solution, batch, name)


def solve_tasks(
    robot: Robot,
    tasks: Sequence[PoseTask | PositionTask | PostureTask],
    q0: npt.ArrayLike | None = None,
    *,
    options: IKOptions | None = None,
    seed: int | np.random.Generator | None = None,
) -> TasksResult:
    """Inverse kinematics with several tasks at once (both hands of a dual-arm robot, a hand and a foot that
    holds its pose), batched over the targets.

    The rows of every frame task are stacked (one tree-kernel pass per frame for its pose and Jacobian) and
    solved by the same damped least squares, limits and restart policy as :func:`solve`: joint position
    limits, velocity limits (``options.dt``), the step guard, starts side by side from a seed table of the
    tasks' frames, restarts, the q0 policy (``options.prefer``). Every task is verified with ``robot.fk`` of
    the returned q; ``success`` only when all of them are within the tolerances.

    Args:
        robot: The robot (any tree; each task names its frame).
        tasks: :class:`~robokin.ik.tasks.PoseTask` and :class:`~robokin.ik.tasks.PositionTask` objects (k >= 1
            of them) and at most one :class:`~robokin.ik.tasks.PostureTask` (else ``options.rest`` /
            ``options.nullspace_gain`` give the posture, as in :func:`solve`); their batch shapes broadcast to
            one batch ``(...)``.
        q0: ``(n,)`` or ``(..., n)`` start [rad, m]; default: the middle of each joint's range.
        options: :class:`IKOptions` (tolerances, iterations, restarts, starts, damping, step guard, velocity
            limits, prefer, finish; ``weights`` and ``weights_frame`` for a pose task without its own).
        seed: Seed or ``numpy.random.Generator`` of the random restarts; None means seed 0.

    Returns:
        :class:`TasksResult` with batch shape ``(...)``; not converging is a result, never an exception.

    Raises:
        OptionError: no frame task, a second posture, an object that is not a task, an unknown ``link``, bad
            weights or gain, a posture outside the limits, bad ``options``/``seed``.
        ShapeError: targets, ``q_rest`` or ``q0`` of a wrong shape, not finite, or whose batch shapes do not
            broadcast.
        ConventionError: a ``T_target`` that is not a rigid transform.
    """
    options = _options(options)
    validation.seed(seed)
    specs, rest, batch = _task_specs(robot, tasks, options)
    facts = _facts(robot)
    q_start = _start(robot, facts, q0, batch, "the tasks' targets")
    tol_p = _position_tolerance(robot, facts, options)
    M = q_start.shape[0]
    top = max(float(spec.weights.max()) for spec in specs)  # the largest weight of all the tasks is 1
    frame_tasks = [
        FramePoseTask(
            _provider(robot, facts, spec.link),
            np.broadcast_to(spec.p, batch + (3,)).reshape(M, 3),
            np.broadcast_to(spec.R, batch + (3, 3)).reshape(M, 3, 3),
            spec.weights / top,
            ROW_LENGTH * facts.length,
            tol_p,
            options.rotation_tolerance,
            spec.target_frame,
        )
        for spec in specs
    ]
    if rest is not None:
        posture: PostureTask | None = PostureTask(
            np.broadcast_to(rest.q_rest, batch + (robot.n,)).reshape(M, robot.n), rest.gain
        )
    else:
        posture = _posture(robot, facts, options, q_start)
    problem = _problem(robot, facts, frame_tasks, posture, q_start, q0 is not None, options, seed)
    if len(frame_tasks) > 1:  # restarts keep the joints of the tasks already solved
        problem.task_joints = np.stack([_moving(robot, spec.link) for spec in specs]).astype(float)
    problem.idle = _idle(robot, facts, tuple(spec.link for spec in specs))
    with np.errstate(over="ignore", invalid="ignore"):
        solution = solve_dls(problem)
        q = solution.q
        T_q = kinematics.fk(robot, q, link=[spec.link for spec in specs])  # (M, k, 4, 4): robot.fk itself
        checks = [
            verify(task.p_target, task.R_target, T_q[:, i], spec.weights, spec.target_frame, tol_p, options)
            for i, (task, spec) in enumerate(zip(frame_tasks, specs, strict=True))
        ]
    pe, re, ok = (np.stack(part, axis=-1) for part in zip(*checks))  # (M, k) each
    re = re * np.array([spec.has_rotation for spec in specs])  # a position task has no target orientation
    k = len(specs)
    return TasksResult(
        q=q.reshape(batch + (robot.n,)),
        success=(solution.converged & ok.all(axis=1)).reshape(batch),
        task_success=ok.reshape(batch + (k,)),
        position_error=pe.reshape(batch + (k,)),
        rotation_error=re.reshape(batch + (k,)),
        iterations=solution.iterations.reshape(batch),
        restarts=solution.restarts.reshape(batch),
    )


@dataclass(frozen=True, eq=False)
class _Spec:
    """A validated frame task: ``link``, targets ``p`` ``(..., 3)`` and ``R`` ``(..., 3, 3)``, weights ``(6,)``."""

    link: str
    p: np.ndarray
    R: np.ndarray
    weights: np.ndarray
    target_frame: bool
    has_rotation: bool = True  # False for a position task (no target orientation)


def _task_specs(
    robot: Robot, tasks: Sequence[PoseTask | PositionTask | PostureTask], options: IKOptions
) -> tuple[list[_Spec], PostureTask | None, tuple[int, ...]]:
    """The validated frame tasks, the posture (its q_rest validated, or None) and the broadcast batch shape."""
    if isinstance(tasks, (PoseTask, PositionTask, PostureTask, str, bytes)) or not isinstance(tasks, Sequence):
        raise OptionError(
            f"tasks must be a list of PoseTask / PositionTask (and at most one PostureTask), got {type(tasks).__name__}"
        )
    specs: list[_Spec] = []
    named: list[tuple[str, np.ndarray, int]] = []
    rest: PostureTask | None = None
    for i, task in enumerate(tasks):
        where = f"tasks[{i}]"
        if isinstance(task, PostureTask):
            if rest is not None:
                raise OptionError(f"{where} is a second PostureTask; give at most one")
            rest = _posture_spec(robot, task, where)
            named.append((f"{where}.q_rest", rest.q_rest, 1))
        elif isinstance(task, PoseTask):
            link = robot.resolve_link(task.link)
            T = validation.transforms(task.T_target, f"{where}.T_target")
            frame = options.weights_frame if task.weights_frame is None else task.weights_frame
            validation.choice(frame, f"{where}.weights_frame", ("world", "target"))
            specs.append(
                _Spec(link, T[..., :3, 3], T[..., :3, :3], _pose_weights(task, options, where), frame == "target")
            )
            named.append((f"{where}.T_target", T, 2))
        elif isinstance(task, PositionTask):
            link = robot.resolve_link(task.link)
            p = validation.vectors(task.p_target, f"{where}.p_target", 3, " [m]")
            w = _weight(task.weight, f"{where}.weight", positive=True)
            specs.append(_Spec(link, p, np.eye(3), np.array([w] * 3 + [0.0] * 3), False, has_rotation=False))
            named.append((f"{where}.p_target", p, 1))
        else:
            raise OptionError(f"{where} must be a PoseTask, a PositionTask or a PostureTask, got {type(task).__name__}")
    if not specs:
        raise OptionError(
            "tasks must hold at least one PoseTask or PositionTask (a posture alone is no target); got "
            f"{len(tasks)} task(s)"
        )
    return specs, rest, validation.broadcast_batch(*named)


def _weight(value: Any, name: str, positive: bool = False) -> float:
    """``value`` as a finite weight >= 0 (> 0 when ``positive``); an OptionError naming ``name`` otherwise."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and bool(np.isfinite(value)) and (value > 0 if positive else value >= 0)
    if not ok:
        raise OptionError(f"{name} must be a finite number {'> 0' if positive else '>= 0'}, got {value!r}")
    return float(value)


def _pose_weights(task: PoseTask, options: IKOptions, where: str) -> np.ndarray:
    """A pose task's ``(6,)`` weights: its ``weights``, or its position / orientation weights, or the options'."""
    if task.weights is not None:
        if task.position_weight is not None or task.orientation_weight is not None:
            raise OptionError(f"{where}: give weights or position_weight/orientation_weight, not both")
        try:
            w = np.asarray(task.weights, dtype=float)
        except (TypeError, ValueError):
            w = np.full(1, np.nan)
        if w.shape != (6,) or not np.all(np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
            raise OptionError(
                f"{where}.weights must be 6 finite numbers >= 0, not all 0, for [x, y, z, rx, ry, rz]; "
                f"got {task.weights!r}"
            )
        return w
    if task.position_weight is None and task.orientation_weight is None:
        return np.array(options.weights)
    wp = 1.0 if task.position_weight is None else _weight(task.position_weight, f"{where}.position_weight")
    wr = 1.0 if task.orientation_weight is None else _weight(task.orientation_weight, f"{where}.orientation_weight")
    if wp == 0 and wr == 0:
        raise OptionError(f"{where}: position_weight and orientation_weight are both 0 (nothing to solve)")
    return np.array([wp] * 3 + [wr] * 3)


def _posture_spec(robot: Robot, task: PostureTask, where: str) -> PostureTask:
    """The posture with ``q_rest`` validated (finite, ``(..., n)``, within the limits) and gain in (0, 1]."""
    gain = task.gain
    ok = isinstance(gain, (int, float, np.integer, np.floating)) and not isinstance(gain, bool)
    if not (ok and np.isfinite(gain) and 0 < gain <= 1):
        raise OptionError(f"{where}.gain must be in (0, 1], got {gain!r}")
    q_rest = validation.joint_vector(robot, task.q_rest, f"{where}.q_rest")
    _within_limits(robot, q_rest, f"{where}.q_rest")
    return PostureTask(q_rest, float(gain))


def _within_limits(robot: Robot, q: np.ndarray, name: str) -> None:
    """An OptionError naming the first joint of ``q`` ``(..., n)`` outside the robot's limits."""
    lower, upper = robot.limits.T
    outside = ((q < lower) | (q > upper)).reshape(-1, robot.n).any(axis=0)
    if outside.any():
        j = int(np.argmax(outside))
        value = q.reshape(-1, robot.n)[:, j]
        bad = value[(value < lower[j]) | (value > upper[j])][0]
        unit = "rad" if robot.joint_types[j] == "revolute" else "m"
        raise OptionError(
            f"{name} must be within the joint limits of robot {robot.name!r}; joint {robot.joint_names[j]!r} is "
            f"{bad:g} {unit}, its limits [{lower[j]:g}, {upper[j]:g}] {unit} (degrees must be converted with "
            "np.radians)"
        )


def _options(options: IKOptions | None) -> IKOptions:
    options = _DEFAULT_OPTIONS if options is None else options
    if not isinstance(options, IKOptions):
        raise OptionError(f"options must be an IKOptions, got {type(options).__name__}")
    return options


def pose_problem(
    robot: Robot,
    T2: np.ndarray,
    q0: npt.ArrayLike | None,
    batch: tuple[int, ...],
    options: IKOptions,
    seed: int | np.random.Generator | None = None,
    link: str | None = None,
) -> tuple[Problem, _Facts, float]:
    """The :class:`~robokin.ik.solver.Problem` of :func:`solve`: one pose task on the tool (``link=None``) or on
    frame ``link`` for the targets ``T2`` ``(M, 4, 4)`` (validated), the posture, the limits, the starts and
    the seed table.

    Returns:
        The problem, the robot's facts and the position tolerance [m].
    """
    facts = _facts(robot)
    q_start = _start(robot, facts, q0, batch)
    tol_p = _position_tolerance(robot, facts, options)
    task = FramePoseTask(
        facts.tool if link is None else _provider(robot, facts, link),
        T2[:, :3, 3],
        T2[:, :3, :3],
        np.array(options.weights),
        ROW_LENGTH * facts.length,
        tol_p,
        options.rotation_tolerance,
        options.weights_frame == "target",
    )
    posture = _posture(robot, facts, options, q_start)
    problem = _problem(robot, facts, [task], posture, q_start, q0 is not None, options, seed)
    problem.idle = _idle(robot, facts, (link,))
    return problem, facts, tol_p


def _problem(
    robot: Robot,
    facts: _Facts,
    tasks: list[FramePoseTask],
    posture: PostureTask | None,
    q_start: np.ndarray,
    q0_given: bool,
    options: IKOptions,
    seed: int | np.random.Generator | None,
) -> Problem:
    """The solver's problem for frame ``tasks`` from the starts ``q_start`` ``(M, n)``, with the robot's limits
    and the options' restart policy (and the seed table of the tasks' frames when there are several starts)."""
    problem = Problem(
        tasks=tasks,
        posture=posture,
        position_limit=facts.position_limit,
        step_limit=_step_limit(robot, facts, options),
        q0=q_start,
        prefer_q0=options.prefer == "q0" and q0_given,
        revolute=facts.revolute,
        col_scale=facts.col_scale,
        sample_lo=(
            np.where(facts.unlimited_prismatic, q_start - facts.length, facts.sample_low)
            if facts.unlimited_prismatic.any()
            else facts.sample_low
        ),
        sample_span=np.where(facts.unlimited_prismatic, 2.0 * facts.length, facts.sample_high - facts.sample_low),
        starts=options.starts or auto_starts(q_start.shape[0]),
        max_iterations=options.max_iterations,
        max_restarts=options.max_restarts,
        damping=options.damping,
        damping_bias=options.damping_bias,
        finish=options.finish,
        seed=0 if seed is None else seed,
    )
    if min(problem.starts, options.max_restarts + 1) > 1:
        providers = [task.provider for task in tasks]
        problem.seeds = seed_table(robot, providers, facts.sample_low, facts.sample_high, ROW_LENGTH * facts.length)
    return problem


@dataclass(frozen=True, eq=False)
class _Facts:
    """What solve reads of a robot, computed once per robot."""

    tool: ToolPose
    position_limit: JointPositionLimit
    revolute: np.ndarray  # (n,) bool
    middle: np.ndarray  # (n,) middle of each finite range, 0 where unlimited
    length: float  # L [m]
    col_scale: np.ndarray | None  # (n,) 1 revolute, L prismatic; None without prismatic joints
    sample_low: np.ndarray  # (n,) finite sampling bounds (limits; ±π revolute, ±L prismatic where unlimited)
    sample_high: np.ndarray
    unlimited_prismatic: np.ndarray  # (n,) bool: random starts at q0 ± L, steps not bound by max_step
    # (i, lower, upper) of the revolute joints whose range is a turn or more (others: one turn of an angle fits)
    turning: tuple[tuple[int, float, float], ...] = ()
    step_limits: dict = field(default_factory=dict)  # (max_step, dt, velocity_limits) → StepLimit
    idle: dict = field(default_factory=dict)  # links → (n,) bool joints that move none of them, or None
    providers: dict = field(default_factory=dict)  # frame name → PoseProvider
    conditions: dict = field(default_factory=dict)  # frame name → (task rows (k,), unit-free scale (k, n))

    def condition(self, robot: Robot, link: str | None) -> tuple[np.ndarray, np.ndarray]:
        """The task rows of a frame's J for the inverse condition number, and their unit-free scaling
        ``[v/L; ω]`` with prismatic columns × L (cached)."""
        got = self.conditions.get(link)
        if got is None:
            rows = np.array(task_rows(robot, link), dtype=int)
            scale = np.where(rows < 3, 1.0 / self.length, 1.0)[:, None] * np.where(self.revolute, 1.0, self.length)
            got = self.conditions[link] = (rows, scale)
        return got


_FACTS: weakref.WeakKeyDictionary[Robot, _Facts] = weakref.WeakKeyDictionary()


def _facts(robot: Robot) -> _Facts:
    facts = _FACTS.get(robot)
    if facts is None:
        lower, upper = (np.array(a) for a in robot.limits.T)
        revolute = np.array(robot.joint_types) == "revolute"
        finite = np.isfinite(lower) & np.isfinite(upper)
        middle = np.where(finite, 0.5 * (np.where(finite, lower, 0.0) + np.where(finite, upper, 0.0)), 0.0)
        L = robot.characteristic_length
        low, high = robot.sampling_bounds.T  # the limits; ±π (revolute) or ±L (prismatic) where unlimited
        facts = _Facts(
            tool=ToolPose(robot),
            position_limit=JointPositionLimit(lower, upper),
            revolute=revolute,
            middle=np.clip(middle, lower, upper),
            length=L,
            col_scale=None if revolute.all() else np.where(revolute, 1.0, L),
            sample_low=low,
            sample_high=high,
            unlimited_prismatic=~revolute & ~finite,
            turning=tuple(
                (i, float(lo), float(hi))
                for i, (lo, hi) in enumerate(zip(lower, upper))
                if revolute[i] and not hi - lo < 2.0 * np.pi
            ),
        )
        _FACTS[robot] = facts
    return facts


def _provider(robot: Robot, facts: _Facts, link: str) -> PoseProvider:
    """The pose provider of frame ``link`` (a resolved name), cached per robot: the serial arm's tool kernel
    for its default link, else the tree kernel of the root → link path."""
    provider = facts.providers.get(link)
    if provider is None:
        tool = robot.chain is not None and link == robot.default_link
        provider = facts.providers[link] = facts.tool if tool else LinkPose(robot.link_path(link))
    return provider


def _moving(robot: Robot, link: str) -> np.ndarray:
    """``(n,)`` bool: the coordinates of q that move frame ``link`` (its path's joints, mimic leaders)."""
    return np.any(np.asarray(robot.link_path(link).fold) != 0, axis=0, keepdims=False).reshape(robot.n)


def _idle(robot: Robot, facts: _Facts, links: tuple[str | None, ...]) -> np.ndarray | None:
    """``(n,)`` bool: the coordinates of q that move none of the frames ``links`` (None: the default link), e.g.
    the other arm of a dual-arm robot or a gripper's fingers under its TCP; None when every one moves a frame.
    Cached per robot and links."""
    if links not in facts.idle:
        moving = np.any([_moving(robot, robot.resolve_link(link)) for link in links], axis=0)
        facts.idle[links] = None if moving.all() else ~moving
    return facts.idle[links]


def _step_limit(robot: Robot, facts: _Facts, options: IKOptions) -> StepLimit:
    """The step guard ``max_step × (1 rad, or L for a prismatic joint)``, within the velocity limits
    ``v × dt`` when ``options.dt`` is set; cached per robot and options.

    A prismatic joint without limits is not bounded by ``max_step``: the pose is affine in its value, so a
    long step along it is as exact as a short one, and a bound of ``max_step × L`` per step kept targets
    further than about ``max_iterations × L`` along a rail (a gantry of L = 1 m, 30 m away) out of reach."""
    key = (options.max_step, options.dt, options.velocity_limits)
    limit = facts.step_limits.get(key)
    if limit is None:
        scale = facts.col_scale if facts.col_scale is not None else np.ones(facts.revolute.shape[0])
        bound = np.where(facts.unlimited_prismatic, np.inf, options.max_step * scale)
        if options.dt is not None:
            bound = np.minimum(bound, _velocity_limit(robot, options, options.dt).bound)
        limit = facts.step_limits[key] = StepLimit(bound)
    return limit


def _velocity_limit(robot: Robot, options: IKOptions, dt: float) -> VelocityLimit:
    """The velocity limit for steps of ``dt`` [s]: ``options.velocity_limits``, else the robot's joint speeds."""
    if options.velocity_limits is None:
        return VelocityLimit(np.array(robot.velocity_limits), dt)
    v = np.array(options.velocity_limits)
    if v.shape != (robot.n,):
        raise OptionError(
            f"IKOptions.velocity_limits must have {robot.n} values for robot {robot.name!r} (one per joint of q), "
            f"got {v.shape[0]}"
        )
    return VelocityLimit(v, dt)


def _start(
    robot: Robot, facts: _Facts, q0: npt.ArrayLike | None, batch: tuple[int, ...], against: str = "T_target"
) -> np.ndarray:
    """The starts ``(M, n)`` within the limits: q0 broadcast against the targets, or the middle.

    A revolute joint of q0 beyond its limits is first moved by whole turns to the value within them nearest
    the limit it passes (the same configuration: an angle read as 0.3 + 2π from an encoder is the 0.3 of a
    ±2π joint, not 2π), and only where no turn brings it within, clipped onto the limit."""
    n = robot.n
    if q0 is None:
        return np.array(np.broadcast_to(facts.middle, batch + (n,)).reshape(-1, n))
    q0 = validation.joint_vector(robot, q0, "q0")
    if q0.shape != batch + (n,):
        try:
            q0 = np.broadcast_to(q0, batch + (n,))
        except ValueError:
            raise ShapeError(
                f"q0 of shape {q0.shape} does not broadcast against {against} of batch shape {batch} "
                f"(expected (n,) = ({n},){'' if batch == () else f' or {batch + (n,)}'})"
            ) from None
    limit = facts.position_limit
    within = limit.project(q0)  # a new array
    if (within != q0).any():
        within = limit.project(nearest_turns(q0, within, facts.revolute, limit.lower, limit.upper))
    return within.reshape(-1, n)


def position_tolerance(robot: Robot, options: IKOptions | None = None) -> float:
    """The position tolerance [m] :func:`solve` uses for ``robot``: ``options.position_tolerance``, or by default
    ``1e-6 × min(L, 1 m)`` (L: the robot's characteristic length).

    Raises:
        OptionError: ``robot`` is not a Robot, ``options`` is not an :class:`IKOptions`, or the tolerance is below
            what float64 can verify for the robot (``1e-13 × L``).
    """
    check_robot(robot)
    return _position_tolerance(robot, _facts(robot), _options(options))


def _position_tolerance(robot: Robot, facts: _Facts, options: IKOptions) -> float:
    floor = POSITION_FLOOR * facts.length
    if options.position_tolerance is None:
        return max(DEFAULT_TOLERANCE * min(facts.length, 1.0), floor)
    if options.position_tolerance < floor:
        raise OptionError(
            f"IKOptions.position_tolerance={options.position_tolerance:g} m is below what float64 can verify "
            f"for robot {robot.name!r}: the floor is {POSITION_FLOOR:g} × L = {floor:.3g} m "
            f"(L = {facts.length:.6g} m, its characteristic length)"
        )
    return options.position_tolerance


def _posture(robot: Robot, facts: _Facts, options: IKOptions, q_start: np.ndarray) -> PostureTask | None:
    """The posture task of ``options.rest`` (None without one or with gain 0); a joint-vector ``rest`` is
    checked against the robot either way, so that a wrong one fails the same way whatever the gain."""
    rest = options.rest
    if rest is not None and not isinstance(rest, str):
        n = robot.n
        if len(rest) != n:
            raise OptionError(f"IKOptions.rest must have {n} values for robot {robot.name!r}, got {len(rest)}")
        _within_limits(robot, np.asarray(rest), "IKOptions.rest")
    if rest is None or options.nullspace_gain == 0:
        return None
    if rest == "q0":
        return PostureTask(q_start, options.nullspace_gain)
    q_rest = facts.middle if rest == "middle" else np.asarray(rest)
    return PostureTask(np.broadcast_to(q_rest, q_start.shape), options.nullspace_gain)


def _norm(x: np.ndarray) -> np.ndarray:
    """``‖x‖`` over the last axis without overflow to NaN: finite, or inf when it exceeds float range."""
    norm = np.sqrt(np.einsum("...i,...i->...", x, x))
    if np.isfinite(norm).all():
        return norm
    top = np.abs(x).max(axis=-1, initial=0.0)  # |x|² overflowed: scale by the largest component first
    safe = np.where((top > 0.0) & np.isfinite(top), top, 1.0)
    return np.where(np.isfinite(top), top * np.linalg.norm(x / safe[..., None], axis=-1), np.inf)


def verify(
    p_target: np.ndarray,
    R_target: np.ndarray,
    T_q: np.ndarray,
    weights: npt.ArrayLike,
    target_frame: bool,
    tol_p: float,
    options: IKOptions,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One frame task checked at poses ``T_q`` ``(M, 4, 4)`` (from ``robot.fk``) against targets ``p_target``
    ``(M, 3)`` and ``R_target`` ``(M, 3, 3)``.

    Returns:
        The whole position [m] and rotation [rad] errors ``(M,)``, and ``(M,)`` bool: the constrained
        components (weight > 0, in the target's axes when ``target_frame``) within ``tol_p`` and
        ``options.rotation_tolerance``.
    """
    d = np.empty((T_q.shape[0], 2, 3))
    np.subtract(p_target, T_q[:, :3, 3], out=d[:, 0])  # [m]
    d[:, 1] = spatial.so3_log(R_target @ T_q[:, :3, :3].mT)  # [rad]
    position_error, rotation_error = _norm(d).T  # (M,) each
    w = np.asarray(weights)
    if w.all():
        return (
            position_error,
            rotation_error,
            (position_error <= tol_p) & (rotation_error <= options.rotation_tolerance),
        )
    dp, dr = d[:, 0], d[:, 1]
    if target_frame:  # the constrained components only, in the weights' frame
        Rt = R_target.mT
        dp, dr = (Rt @ dp[..., None])[..., 0], (Rt @ dr[..., None])[..., 0]
    ok = (_norm(dp[:, w[:3] > 0]) <= tol_p) & (_norm(dr[:, w[3:] > 0]) <= options.rotation_tolerance)
    return position_error, rotation_error, ok


def _result(
    robot: Robot,
    facts: _Facts,
    options: IKOptions,
    tol_p: float,
    T2: np.ndarray,
    solution: Solution,
    batch: tuple[int, ...],
    link: str,
) -> IKResult:
    """The :class:`IKResult`: errors and success verified with ``robot.fk(q, link=link)`` at the returned q."""
    n = robot.n
    q = solution.q
    T_q = kinematics.fk(robot, q, link=link)  # (M, 4, 4): robot.fk, the very function a user checks with
    position_error, rotation_error, ok = verify(
        T2[:, :3, 3], T2[:, :3, :3], T_q, options.weights, options.weights_frame == "target", tol_p, options
    )
    success = solution.converged & ok
    # The singularity report at the answer: σ_min/σ_max of the unit-free task Jacobian [v/L; ω].
    if q.shape[0]:
        rows, scale = facts.condition(robot, link)
        if rows.size:
            sv = np.linalg.svd(solution.J[:, rows] * scale, compute_uv=False)  # (M, k)
            cmin = inverse_condition_from_singular_values(sv)
        else:  # a frame that no joint moves: no task direction is controlled
            cmin = np.zeros(q.shape[0])
    else:
        cmin = np.zeros(0)
    return IKResult(
        q=q.reshape(batch + (n,)),
        success=success.reshape(batch),
        position_error=position_error.reshape(batch),
        rotation_error=rotation_error.reshape(batch),
        iterations=solution.iterations.reshape(batch),
        restarts=solution.restarts.reshape(batch),
        inverse_condition=cmin.reshape(batch),
        near_singularity=(cmin < options.singularity_threshold).reshape(batch),
    )


# ------------------------------------------------------------------------------------------ closed form
def solve_closed_form(
    robot: Robot,
    T2: np.ndarray,
    q_start: np.ndarray,
    prefer_q0: bool,
    q0: npt.ArrayLike | None,
    options: IKOptions,
    seed: int | np.random.Generator | None,
    tol_p: float,
    method: str = "auto",
    dls_from_start: bool = True,
) -> Solution | None:
    """:func:`solve`'s closed-form path: the valid analytic solution nearest the start, per target.

    Args:
        robot: The robot.
        T2: ``(M, 4, 4)`` the targets (validated).
        q_start: ``(M, n)`` the starts: q0 within the limits, or the middle of the ranges.
        prefer_q0: ``options.prefer == "q0"`` and q0 given.
        q0: The caller's q0 (None: the starts are the middle of the ranges).
        options: The options.
        seed: The seed of the damped least squares' random restarts.
        tol_p: The position tolerance [m].
        method: ``"auto"`` or ``"analytic"``.
        dls_from_start: Whether targets without a valid analytic solution get the damped least squares from
            ``q_start`` (False: the caller ran it already; they keep ``q_start`` unless the damped least
            squares from the closed-form answer of least error converges).

    Returns:
        A :class:`~robokin.ik.solver.Solution` (to be verified by the caller), or None for ``"auto"`` when the
        arm has no analytic family or the task is not the full pose.

    Raises:
        NoAnalyticSolutionError: ``"analytic"`` for an arm without an analytic family.
        OptionError: ``"analytic"`` with weights that are not all equal.
    """
    family = analytic_family(robot)
    if not family.applies:
        if method == "analytic":
            raise NoAnalyticSolutionError(f"robot {robot.name!r} has no analytic IK family: {family.reason}")
        return None
    if len(set(options.weights)) != 1:
        if method == "analytic":
            raise OptionError(
                f"method='analytic' solves the full pose only; options.weights must be all equal, got {options.weights}"
            )
        return None
    facts = _facts(robot)
    ref = q_start  # (M, n): q0 within the limits, or the middle
    M, n = ref.shape
    lower, upper = facts.position_limit.lower, facts.position_limit.upper
    finite = np.isfinite(T2).all(axis=(1, 2)) & (np.abs(T2[:, :3, 3]).max(axis=-1) < 1e150)
    q, found = np.array(ref), np.zeros(M, dtype=bool)
    start, start_err = np.array(ref), np.full(M, np.inf)
    j = family.parameter_joint
    for q_param in [None] if j is None else ([ref[:, j], None] if q0 is not None else [None]):
        todo = np.flatnonzero(~found & finite)
        if todo.size == 0:
            break
        sols = solve_validated(robot, T2[todo], q_param=None if q_param is None else q_param[todo])
        q_near = nearest_turns(sols.q, ref[todo, None, :], facts.revolute, lower, upper)
        dist = np.where(sols.valid, np.abs(q_near - ref[todo, None, :]).sum(-1), np.inf)
        rows = np.arange(todo.size)
        pick = np.argmin(dist, axis=-1)
        ok = np.isfinite(dist[rows, pick])
        q[todo[ok]], found[todo[ok]] = q_near[rows[ok], pick[ok]], True
        # The unsolved keep the answer of least error as a start for the damped least squares (near misses).
        err = sols.position_error / facts.length + sols.rotation_error
        near = np.argmin(np.where(np.isfinite(q_near).all(-1), err, np.inf), axis=-1)
        better = ~ok & (err[rows, near] < start_err[todo])
        start[todo[better]] = np.clip(q_near[rows[better], near[better]], lower, upper)
        start_err[todo[better]] = err[rows[better], near[better]]
    # Keep only what the caller's verification will accept; the rest goes to the DLS. solve_all verified its
    # solutions to POSITION_TOLERANCE / ROTATION_TOLERANCE (whole turns added since change fk by rounding):
    # only tighter tolerances need the check.
    if found.any() and (tol_p < POSITION_TOLERANCE or options.rotation_tolerance < ROTATION_TOLERANCE):
        pe, re = _errors(robot, T2[found], q[found])
        found[np.flatnonzero(found)[~((pe <= tol_p) & (re <= options.rotation_tolerance))]] = False
    iterations, restarts = np.zeros(M, dtype=int), np.zeros(M, dtype=int)
    converged = found.copy()
    J = kinematics.jacobian(robot, q) if M else np.zeros((0, 6, n))
    # Unsolved: the damped least squares from q0 (or the middle), then from the closed-form answer of least
    # error where that one still fails.
    for starts in (ref, start) if dls_from_start else (start,):
        rest = np.flatnonzero(~converged)
        if rest.size == 0:
            break
        if starts is start:
            rest = rest[np.isfinite(start_err[rest])]
            if rest.size == 0:
                break
        sub, _, _ = pose_problem(robot, T2[rest], starts[rest], (rest.size,), options, seed)
        sub.prefer_q0 = prefer_q0 or starts is start
        dls = solve_dls(sub)
        take = dls.converged | (starts is ref)
        rows = rest[take]
        q[rows], converged[rows], J[rows] = dls.q[take], dls.converged[take], dls.J[take]
        iterations[rows] += dls.iterations[take]
        restarts[rows] += dls.restarts[take]
    # With q0 given and prefer="q0", the answer is the solution q0 leads to. A closed-form solution is
    # isolated and the nearest one is that solution, except where the solutions form a continuum: at a
    # singular configuration (e.g. a wrist with axes 4 and 6 in line), and for a 7-joint arm (the closed form
    # fixes the parameter joint at q0's value, which q0's own solution need not share). There a local damped
    # least squares from q0 (one attempt) is kept when it converges nearer q0; a q0 that already solves the
    # target comes back unchanged.
    if q0 is not None and prefer_q0 and found.any():
        cond = np.ones(M)
        rows, scale = facts.condition(robot, None)
        sv = np.linalg.svd(J[found][:, rows] * scale, compute_uv=False)
        cond[found] = inverse_condition_from_singular_values(sv)
        moved = np.abs(q - ref).max(axis=-1) > 0.0
        continuum = cond < CONTINUUM_CONDITION if j is None else np.ones(M, dtype=bool)
        local_rows = np.flatnonzero(found & moved & continuum)
        if local_rows.size:
            sub, _, _ = pose_problem(robot, T2[local_rows], ref[local_rows], (local_rows.size,), options, seed)
            local = solve_dls(replace(sub, prefer_q0=True, starts=1, max_restarts=0, seeds=None))
            dist_local = np.abs(local.q - ref[local_rows]).sum(-1)
            nearer = local.converged & (dist_local < np.abs(q[local_rows] - ref[local_rows]).sum(-1))
            rows = local_rows[nearer]
            q[rows], J[rows] = local.q[nearer], local.J[nearer]
            iterations[rows] = local.iterations[nearer]
    return Solution(q=q, converged=converged, iterations=iterations, restarts=restarts, J=J)


def dls_then_search(
    robot: Robot,
    T2: np.ndarray,
    q0: npt.ArrayLike | None,
    batch: tuple[int, ...],
    options: IKOptions,
    seed: int | np.random.Generator | None,
) -> tuple[Solution, _Facts, float]:
    """:func:`solve`'s ``"auto"`` path on a 1-D search family: the damped least squares, then the search for
    the targets it leaves unsolved.

    The search (:func:`~robokin.ik.search.find_zeros`: about 40 rounds of batched evaluations of the
    subproblems, thousands of points over a turn of one joint per target) costs 0.05–0.2 s of CPU a target,
    the damped least squares a few milliseconds; the latter rarely fails on a reachable target (restarts from
    spread starts), and where it does the search finds every solution. So: the damped least squares first,
    exactly as ``method="dls"`` (from q0 when given, else the middle of the ranges, with the options' starts
    and restarts), its verified answers polished to the last digit (a few undamped Gauss–Newton steps on the
    full pose, kept where better and within the limits); every target whose answer does not pass
    :func:`verify` goes to :func:`solve_closed_form` (the search's valid solution nearest the start, else the
    damped least squares from its answer of least error), whose answer replaces the first one where it
    converged. Targets neither reaches keep the first answer (the closest pose found).

    Args:
        robot: The robot (a serial arm whose family is in :data:`~robokin.ik.analytic.SEARCH_FAMILIES`; its
            tool is the task).
        T2: ``(M, 4, 4)`` the targets (validated).
        q0: The caller's q0, or None.
        batch: The targets' batch shape (``M`` targets in all).
        options: The options.
        seed: The seed of the damped least squares' random restarts.

    Returns:
        The :class:`~robokin.ik.solver.Solution` (to be verified by the caller), the robot's facts and the
        position tolerance [m].
    """
    problem, facts, tol_p = pose_problem(robot, T2, q0, batch, options, seed)
    solution = solve_dls(problem)
    T_q = kinematics.fk(robot, solution.q)
    pe, re, ok = verify(
        T2[:, :3, 3], T2[:, :3, :3], T_q, options.weights, options.weights_frame == "target", tol_p, options
    )
    solution = _polish_dls(robot, T2, solution, np.flatnonzero(solution.converged & ok), pe, re, facts, tol_p, options)
    failed = np.flatnonzero(~(solution.converged & ok))
    if failed.size == 0:
        return solution, facts, tol_p
    prefer_q0 = options.prefer == "q0" and q0 is not None
    found = solve_closed_form(
        robot, T2[failed], problem.q0[failed], prefer_q0, q0, options, seed, tol_p, dls_from_start=False
    )
    if found is None:  # (weights not all equal: the full pose is not the task, nothing to search)
        return solution, facts, tol_p
    take = found.converged
    rows = failed[take]
    q, converged, J = np.array(solution.q), np.array(solution.converged), np.array(solution.J)
    iterations, restarts = np.array(solution.iterations), np.array(solution.restarts)
    q[rows], converged[rows], J[rows] = found.q[take], True, found.J[take]
    iterations[rows] += found.iterations[take]
    restarts[rows] += found.restarts[take]
    return Solution(q=q, converged=converged, iterations=iterations, restarts=restarts, J=J), facts, tol_p


def _polish_dls(
    robot: Robot,
    T2: np.ndarray,
    solution: Solution,
    rows: np.ndarray,
    pe: np.ndarray,
    re: np.ndarray,
    facts: _Facts,
    tol_p: float,
    options: IKOptions,
) -> Solution:
    """The damped least squares' verified answers ``rows`` polished to the last digit (:func:`dls_then_search`).

    Each answer takes undamped Gauss–Newton steps on the full pose (:func:`~robokin.ik.analytic.polish_pose`,
    batched); the polished one replaces it (with its Jacobian) only where it still verifies, lies within the
    joint limits and has a smaller error ``e_p / L + e_r`` than ``pe``, ``re`` ``(M,)`` [m, rad]; elsewhere
    the damped least squares' answer stays. Only for a 6-joint arm and the full pose (all weights equal).
    """
    if rows.size == 0 or robot.n != 6 or len(set(options.weights)) != 1 or not all(options.weights):
        return solution
    q_new = polish_pose(robot, solution.q[rows], T2[rows, :3, :3], T2[rows, :3, 3])
    pe_new, re_new, ok_new = verify(
        T2[rows, :3, 3], T2[rows, :3, :3], kinematics.fk(robot, q_new), options.weights, False, tol_p, options
    )
    lower, upper = facts.position_limit.lower, facts.position_limit.upper
    L = facts.length
    better = ok_new & ((q_new >= lower) & (q_new <= upper)).all(-1) & (pe_new / L + re_new < pe[rows] / L + re[rows])
    if not better.any():
        return solution
    take = rows[better]
    q, J = np.array(solution.q), np.array(solution.J)
    q[take] = q_new[better]
    J[take] = kinematics.jacobian(robot, q_new[better])
    return replace(solution, q=q, J=J)


class OneAnswer(NamedTuple):
    """:func:`closed_form_one`'s answer on floats, for :func:`result_one`.

    Attributes:
        q: The solution [rad] (n floats).
        position_error: ``‖p* − p(q)‖`` [m] of the tool's pose at q by the chain's fk (the kernel of
            ``robot.fk``, here from the same pass as the Jacobian), as :func:`verify` computes it.
        rotation_error: ``‖log(R* R(q)ᵀ)‖`` [rad], likewise.
        inverse_condition: σ_min/σ_max of the unit-free task Jacobian at q.
    """

    q: list[float]
    position_error: float
    rotation_error: float
    inverse_condition: float


def closed_form_one(
    robot: Robot,
    facts: _Facts,
    T: np.ndarray,
    ref: np.ndarray,
    prefer_q0: bool,
    options: IKOptions,
    tol_p: float,
) -> OneAnswer | None:
    """:func:`solve_closed_form` for ONE target on its common path: the valid analytic solution nearest ``ref``.

    The same answer as :func:`solve_closed_form` with a batch of one (tested), without the batch machinery:
    the valid solutions of the float kernel (:meth:`~robokin.ik.closed_form_single.ScalarArm.solve`, verified
    by the chain's fk as :func:`~robokin.ik.solve_all` verifies them), each moved by whole turns nearest
    ``ref`` (:func:`nearest_turns`, here on floats), the first nearest taken. It declines (returns None, and
    the caller takes the general path) wherever that path does more: no 6-joint lean family, unequal
    weights, tolerances tighter than :func:`~robokin.ik.solve_all` verifies, an answer to polish, no valid
    solution (the damped least squares), and a solution at an exact singularity that ``prefer_q0`` may
    replace by a local solve.

    Args:
        robot: The robot (its tool is the task).
        facts: Its :class:`_Facts`.
        T: ``(4, 4)`` the target (validated).
        ref: ``(n,)`` the start: q0 within the limits, or the middle of the ranges.
        prefer_q0: ``options.prefer == "q0"`` and q0 given.
        options: The options.
        tol_p: The position tolerance [m].

    Returns:
        The solution with its errors and inverse condition number (floats), or None.
    """
    arm = scalar_arm(robot)
    if arm is None or len(set(options.weights)) != 1:
        return None
    if tol_p < POSITION_TOLERANCE or options.rotation_tolerance < ROTATION_TOLERANCE:
        return None
    one = arm.solutions(T)  # (None: a target beyond its range, or an answer to polish: the general path)
    if one is None:
        return None
    rows = [q for q, ok in zip(one[0].tolist(), one[1]) if ok]
    if not rows:
        return None
    r = ref.tolist()
    best = nearest_one(rows, r, facts.turning)
    rows_J, scale = facts.condition(robot, None)
    if rows_J.size != 6 or not arm.path.identity:  # (the general path's report)
        return None
    T_q, J_rows = arm.pose_and_jacobian(best)  # the chain's fk and Jacobian at the answer, on floats
    s_max, *_, s_min = np.linalg.svd(np.array(J_rows) * scale, compute_uv=False).tolist()  # (6,) descending
    cmin = s_min / s_max if s_max > 0.0 else 0.0  # inverse_condition_from_singular_values, on floats
    if prefer_q0 and cmin < CONTINUUM_CONDITION and best != r:
        return None  # at an exact singularity the solutions form a continuum: the general path's local solve
    return OneAnswer(best, *pose_error_one(T, T_q), cmin)


def result_one(one: OneAnswer, tol_p: float, options: IKOptions) -> IKResult:
    """:func:`_result` of :func:`closed_form_one`'s answer (one target, no batch axes): success is verify's
    check of its errors (the full pose, equal weights), near_singularity its inverse condition's."""
    q, pe, re, cmin = one
    success = pe <= tol_p and re <= options.rotation_tolerance
    return IKResult.one(q, success, pe, re, cmin, cmin < options.singularity_threshold)


def pose_error_one(T_target: np.ndarray, T_q: Sequence[Sequence[float]]) -> tuple[float, float]:
    """:func:`verify`'s errors of one pose on floats: ``‖p* − p‖`` [m] and the angle of ``R* Rᵀ`` [rad]
    (``|so3_log|``: ``θ = atan2(|v|, tr − 1)`` with ``v = vee(E − Eᵀ)``, :func:`robokin.spatial.so3_log`'s
    angle), for ``T_target`` ``(4, 4)`` and the pose's top rows ``T_q`` (3 × 4)."""
    (a0, a1, a2, x), (b0, b1, b2, y), (c0, c1, c2, z) = T_target[:3].tolist()  # rows a, b, c of R*
    (u0, u1, u2, xq), (v0, v1, v2, yq), (w0, w1, w2, zq) = T_q[:3]  # rows u, v, w of R
    dx, dy, dz = x - xq, y - yq, z - zq
    # E = R* Rᵀ: E[r, s] = (row r of R*) · (row s of R)
    e01, e02 = a0 * v0 + a1 * v1 + a2 * v2, a0 * w0 + a1 * w1 + a2 * w2
    e10, e12 = b0 * u0 + b1 * u1 + b2 * u2, b0 * w0 + b1 * w1 + b2 * w2
    e20, e21 = c0 * u0 + c1 * u1 + c2 * u2, c0 * v0 + c1 * v1 + c2 * v2
    tr = (a0 * u0 + a1 * u1 + a2 * u2) + (b0 * v0 + b1 * v1 + b2 * v2) + (c0 * w0 + c1 * w1 + c2 * w2)
    vx, vy, vz = e21 - e12, e02 - e20, e10 - e01
    return math.sqrt(dx * dx + dy * dy + dz * dz), math.atan2(math.sqrt(vx * vx + vy * vy + vz * vz), tr - 1.0)


_TWO_PI = 2.0 * math.pi
_SURE = math.pi - 0.1  # [rad] a turn nearer r than this is the nearest, whatever the rounding ...
_SURE_RANGE = 1e6  # [rad] ... of angles below this (ulp(2e6) ≈ 5e-10)


def nearest_turns_one(q: list[float], ref: list[float], turning: tuple[tuple[int, float, float], ...]) -> list[float]:
    """:func:`nearest_turns` of one configuration ``q`` (n floats [rad], every joint within its limits) on
    floats: the joints ``(i, lower, upper)`` of ``turning`` (revolute, a range of a turn or more) moved by whole
    turns to the value within the limits nearest ``ref``, the first nearest of ``q, m, m − 1, m + 1`` turns;
    the other joints have one value within their limits, their own (``q`` is changed in place and returned)."""
    for i, lo, hi in turning:
        q[i] = _nearest_turn(q[i], ref[i], lo, hi)
    return q


def nearest_one(
    rows: list[list[float]], ref: list[float], turning: tuple[tuple[int, float, float], ...]
) -> list[float]:
    """The first of ``rows`` (configurations within the limits, n floats [rad] each) nearest ``ref`` in
    ``Σ |q − ref|`` after :func:`nearest_turns_one`, returned moved by those turns: the choice of
    :func:`solve_closed_form` (:func:`nearest_turns`, then the first least distance) on floats.

    A row stops being summed (and turned) once its distance so far reaches the least one: the sum can only
    grow (its terms are >= 0 and float addition is monotone), so that row cannot be the first nearest. Only
    the chosen row is kept moved."""
    # Per joint: ref, and for a turning joint its limits and whether they and ref lie within ±1e6 (then so does
    # x, within the limits: the shortcuts of _nearest_turn apply; else _nearest_turn decides).
    joints: list[tuple[float, float | None, float, bool]] = [(r, None, 0.0, False) for r in ref]
    for i, low, high in turning:
        joints[i] = (
            ref[i],
            low,
            high,
            -_SURE_RANGE < low and high < _SURE_RANGE and -_SURE_RANGE < ref[i] < _SURE_RANGE,
        )
    two_pi, sure = _TWO_PI, _SURE
    best, best_dist = 0, math.inf
    for k, q in enumerate(rows):
        dist = 0.0
        for x, (r, lo, hi, safe) in zip(q, joints):
            d = r - x
            if lo is not None:
                if not safe:
                    d = r - _nearest_turn(x, r, lo, hi)
                elif not -sure < d < sure:  # (else x is its own nearest turn)
                    # _nearest_turn's shortcut written out: floor(t + 1/2) turns are round(t) wherever c is taken
                    # (within π − 0.1 of r, far from a half turn); the loop of _nearest_turn decides the rest.
                    c = x + two_pi * ((d / two_pi + 0.5) // 1.0)
                    d = r - c if lo <= c <= hi and -sure < c - r < sure else r - _nearest_turn(x, r, lo, hi)
            dist += abs(d)  # (|r − x| = |x − r|: a negation is exact)
            if dist >= best_dist:
                break
        else:
            best, best_dist = k, dist
    return nearest_turns_one(list(rows[best]), ref, turning)


def _nearest_turn(x: float, r: float, lo: float, hi: float) -> float:
    """One joint of :func:`nearest_turns_one`: ``x`` moved by the whole turns that keep it within its limits
    ``[lo, hi]`` nearest ``r``, the first nearest of ``x, m, m − 1, m + 1`` turns (m: the turns nearest), or
    ``x`` itself when none of them is within the limits."""
    d = r - x
    if -_SURE < d < _SURE and -_SURE_RANGE < x < _SURE_RANGE:
        # x is within π − 0.1 of r, so m = 0 (the candidate m is x itself) and m ± 1 turns are more than
        # π + 0.1 away, far beyond the rounding of numbers below 1e6: the loop below would return x.
        return x
    m = round(d / _TWO_PI)
    c = x + _TWO_PI * m
    if abs(c - r) < _SURE and lo <= c <= hi and abs(r) < _SURE_RANGE and abs(x) < _SURE_RANGE:
        # m turns leave x within π − 0.1 of r: x itself and m ± 1 turns are more than π + 0.1 away, far
        # beyond the rounding of numbers below 1e6, so the loop below would take c.
        return c
    out, d_out = x, abs(x - r)
    for shift in (m, m - 1, m + 1):
        c = x + _TWO_PI * shift
        if lo <= c <= hi and abs(c - r) < d_out:
            out, d_out = c, abs(c - r)
    return out


def _errors(robot: Robot, T2: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position [m] and rotation [rad] errors ``(M,)`` of ``robot.fk(q)`` against ``T2`` ``(M, 4, 4)``."""
    T_q = kinematics.fk(robot, q)
    return _norm(T2[:, :3, 3] - T_q[:, :3, 3]), _norm(spatial.so3_log(T2[:, :3, :3] @ T_q[:, :3, :3].mT))


def nearest_turns(
    q: np.ndarray, ref: np.ndarray, revolute: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """``q`` ``(..., n)`` with each revolute joint moved by whole turns to the value within its limits
    ``[lower, upper]`` nearest ``ref`` (broadcast against ``q``); other joints unchanged."""
    # The candidates q + 2π s for s in (0, m, m − 1, m + 1), m the turns nearest ref: the first nearest ref
    # among those within the limits (shifts only for revolute joints), else q itself.
    m = np.round((ref - q) / (2.0 * np.pi))[..., None]
    q = np.broadcast_to(q, m.shape[:-1])[..., None]
    cand = np.concatenate([q, q + 2.0 * np.pi * (m + _SHIFTS)], axis=-1)  # (..., n, 4)
    lower, upper = lower[..., None], upper[..., None]
    allowed = (cand >= lower) & (cand <= upper) & np.where(revolute[..., None], True, _FIRST)
    dist = np.where(allowed, np.abs(cand - np.asarray(ref)[..., None]), np.inf)
    return np.take_along_axis(cand, np.argmin(dist, axis=-1)[..., None], axis=-1)[..., 0]


_SHIFTS = np.array([0.0, -1.0, 1.0])
_FIRST = np.array([True, False, False, False])
