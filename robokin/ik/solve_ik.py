""":func:`solve`: validate, build the tool's pose task and the limits, run a solver, verify with ``robot.fk``."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from .. import kinematics, spatial, validation
from ..errors import NoAnalyticSolutionError, OptionError, ShapeError
from ..measures import inverse_condition_from_singular_values, task_rows
from .analytic import POSITION_TOLERANCE, ROTATION_TOLERANCE, analytic_family, solve_validated
from .limits import JointPositionLimit, StepLimit
from .options import DEFAULT_TOLERANCE, POSITION_FLOOR, IKOptions, IKResult
from .seeds import seed_table
from .solver import Problem, Solution, auto_starts, solve_dls
from .tasks import FramePoseTask, PostureTask, ToolPose

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Robot

__all__ = ["solve", "position_tolerance", "METHODS"]

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
    options: IKOptions | None = None,
    seed: int | np.random.Generator | None = None,
    method: Method = "auto",
) -> IKResult:
    """Inverse kinematics: joint values that put the tool at ``T_target``, batched.

    ``method="auto"`` (default) takes the closed-form solutions of :func:`~robokin.ik.solve_all`
    when the arm has an analytic family (:func:`~robokin.ik.analytic_family`) and the task is the
    full pose (all six weights equal): the valid solution nearest the start (q0 when given, else the middle
    of the ranges; so with ``prefer="q0"`` and a solution near q0 that one is returned, and a q0 that solves
    a singular target comes back unchanged), verified by ``robot.fk`` like every answer. Targets it leaves
    unsolved (unreachable, outside the limits, a near-miss geometry), and arms without a family, go to the
    damped least squares below: from q0 when given, then from the closed-form answer of least error.
    ``"analytic"`` is the same but raises for an arm without a family or a partial task; ``"dls"`` is only
    the damped least squares. A 7-joint arm's parameter joint is taken from q0 first, then swept.

    One pose task on the tool (:class:`~robokin.ik.tasks.FramePoseTask`, weighted by ``options.weights``),
    a posture preference when ``options.nullspace_gain > 0``, the joint limits and the step guard, solved by
    damped least squares with several starts side by side and restarts (:func:`~robokin.ik.solver.solve_dls`).
    Every answer is checked with ``robot.fk``: ``success`` is that check, not the solver's.

    Args:
        robot: The robot.
        T_target: ``(4, 4)`` or ``(..., 4, 4)`` target poses ``T_world_tool``; an empty batch gives an empty
            result.
        q0: ``(n,)`` or ``(..., n)`` start [rad, m] (broadcast against the targets; moved into the limits
            if outside). Default: the middle of each joint's range (0 where unlimited). With
            ``options.prefer="q0"`` (default) the solution reached from q0 is returned when that start
            converges, else the one nearest q0 among those found; revolute joints are moved by whole turns to
            the value nearest q0 within their limits.
        options: :class:`IKOptions`; default ``IKOptions()``.
        seed: Seed (an int >= 0) or ``numpy.random.Generator`` for the random restarts; None means seed 0, so
            a call is reproducible.

    Returns:
        :class:`IKResult` with batch shape ``...`` of ``T_target``. Not converging is a result
        (``success=False`` with the closest pose found), never an exception.

    Raises:
        ShapeError: ``T_target`` or ``q0`` has a wrong shape or a non-finite value.
        ConventionError: ``T_target`` is not a rigid transform.
        OptionError: ``options`` is not an :class:`IKOptions`, its ``rest`` does not fit the robot, its
            position tolerance is below what float64 can verify for this robot, or ``seed`` is not a seed,
            or ``method`` is not one of :data:`METHODS`, or ``method="analytic"`` with unequal weights; or
            the robot is a tree whose q does not drive one chain to its default link (use
            :func:`robokin.multitask.solve_tasks`).
        NoAnalyticSolutionError: ``method="analytic"`` for an arm without an analytic family.
    """
    if robot.chain is None:
        raise OptionError(
            f"ik.solve drives one serial chain; robot {robot.name!r} is a tree (end effectors "
            f"{', '.join(map(repr, robot.end_effectors))}): use robokin.multitask.solve_tasks(robot, "
            "[PoseTask(link, T_target), ...])"
        )
    options = _DEFAULT_OPTIONS if options is None else options
    if not isinstance(options, IKOptions):
        raise OptionError(f"options must be an IKOptions, got {type(options).__name__}")
    validation.choice(method, "method", METHODS)
    validation.seed(seed)
    T = validation.transforms(T_target, "T_target")
    batch = T.shape[:-2]
    T2 = T.reshape(-1, 4, 4)
    with np.errstate(over="ignore", invalid="ignore"):  # a target beyond float range is a failure, not a warning
        solution = None
        if method != "dls":  # the damped least squares' problem is built only when it runs
            facts = _facts(robot)
            q_start = _start(robot, facts, q0, batch)
            tol_p = _position_tolerance(robot, facts, options)
            _posture(robot, facts, options, q_start)  # checks options.rest as pose_problem does
            prefer_q0 = options.prefer == "q0" and q0 is not None
            solution = solve_closed_form(robot, T2, q_start, prefer_q0, q0, options, seed, tol_p, method)
        if solution is None:
            problem, facts, tol_p = pose_problem(robot, T2, q0, batch, options, seed)
            solution = solve_dls(problem)
        return _result(robot, facts, options, tol_p, T2, solution, batch)


def pose_problem(
    robot: Robot,
    T2: np.ndarray,
    q0: npt.ArrayLike | None,
    batch: tuple[int, ...],
    options: IKOptions,
    seed: int | np.random.Generator | None = None,
) -> tuple[Problem, _Facts, float]:
    """The :class:`~robokin.ik.solver.Problem` of :func:`solve`: one pose task on the tool for the targets
    ``T2`` ``(M, 4, 4)`` (validated), the posture, the limits, the starts and the seed table.

    Returns:
        The problem, the robot's facts and the position tolerance [m].
    """
    facts = _facts(robot)
    q_start = _start(robot, facts, q0, batch)
    tol_p = _position_tolerance(robot, facts, options)
    problem = Problem(
        tasks=[
            FramePoseTask(
                facts.tool,
                T2[:, :3, 3],
                T2[:, :3, :3],
                np.array(options.weights),
                ROW_LENGTH * facts.length,
                tol_p,
                options.rotation_tolerance,
                options.weights_frame == "target",
            )
        ],
        posture=_posture(robot, facts, options, q_start),
        position_limit=facts.position_limit,
        step_limit=_step_limit(facts, options.max_step),
        q0=q_start,
        prefer_q0=options.prefer == "q0" and q0 is not None,
        revolute=facts.revolute,
        col_scale=facts.col_scale,
        sample_lo=(
            np.where(facts.about_q0, q_start - facts.length, facts.sample_low)
            if facts.about_q0.any()
            else facts.sample_low
        ),
        sample_span=np.where(facts.about_q0, 2.0 * facts.length, facts.sample_high - facts.sample_low),
        starts=options.starts or auto_starts(T2.shape[0]),
        max_iterations=options.max_iterations,
        max_restarts=options.max_restarts,
        damping=options.damping,
        damping_bias=options.damping_bias,
        finish=options.finish,
        seed=0 if seed is None else seed,
    )
    if min(problem.starts, options.max_restarts + 1) > 1:
        problem.seeds = seed_table(robot, facts.tool, facts.sample_low, facts.sample_high, ROW_LENGTH * facts.length)
    return problem, facts, tol_p


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
    about_q0: np.ndarray  # (n,) bool: unlimited prismatic joints, whose random starts are q0 ± L
    cond_rows: np.ndarray  # (k,) task rows of J for the inverse condition number
    cond_scale: np.ndarray  # (k, n) unit-free scaling of those rows: [v/L; ω], prismatic columns × L
    step_limits: dict = field(default_factory=dict)  # max_step → StepLimit


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
        rows = np.array(task_rows(robot))
        facts = _Facts(
            tool=ToolPose(robot),
            position_limit=JointPositionLimit(lower, upper),
            revolute=revolute,
            middle=np.clip(middle, lower, upper),
            length=L,
            col_scale=None if revolute.all() else np.where(revolute, 1.0, L),
            sample_low=low,
            sample_high=high,
            about_q0=~revolute & ~finite,
            cond_rows=rows,
            cond_scale=np.where(rows < 3, 1.0 / L, 1.0)[:, None] * np.where(revolute, 1.0, L),
        )
        _FACTS[robot] = facts
    return facts


def _step_limit(facts: _Facts, max_step: float) -> StepLimit:
    """The step guard ``max_step × (1 rad, or L for a prismatic joint)``, cached per robot and max_step."""
    limit = facts.step_limits.get(max_step)
    if limit is None:
        scale = facts.col_scale if facts.col_scale is not None else np.ones(facts.revolute.shape[0])
        limit = facts.step_limits[max_step] = StepLimit(max_step * scale)
    return limit


def _start(robot: Robot, facts: _Facts, q0: npt.ArrayLike | None, batch: tuple[int, ...]) -> np.ndarray:
    """The starts ``(M, n)`` within the limits: q0 broadcast against the targets, or the middle."""
    n = robot.n
    if q0 is None:
        return np.array(np.broadcast_to(facts.middle, batch + (n,)).reshape(-1, n))
    q0 = validation.joint_vector(robot, q0, "q0")
    if q0.shape != batch + (n,):
        try:
            q0 = np.broadcast_to(q0, batch + (n,))
        except ValueError:
            raise ShapeError(
                f"q0 of shape {q0.shape} does not broadcast against T_target's batch shape {batch} "
                f"(expected (n,) = ({n},) or {batch + (n,)})"
            ) from None
    return facts.position_limit.project(q0).reshape(-1, n)  # a new array


def position_tolerance(robot: Robot, options: IKOptions | None = None) -> float:
    """The position tolerance [m] :func:`solve` uses for ``robot``: ``options.position_tolerance``, or by default
    ``1e-6 × min(L, 1 m)`` (L: the robot's characteristic length).

    Raises:
        OptionError: the tolerance is below what float64 can verify for the robot (``1e-13 × L``).
    """
    return _position_tolerance(robot, _facts(robot), _DEFAULT_OPTIONS if options is None else options)


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
    if options.rest is None or options.nullspace_gain == 0:
        return None
    if options.rest == "q0":
        return PostureTask(q_start, options.nullspace_gain)
    if options.rest == "middle":
        return PostureTask(np.broadcast_to(facts.middle, q_start.shape), options.nullspace_gain)
    rest = np.asarray(options.rest)
    n = robot.n
    if rest.shape != (n,):
        raise OptionError(f"IKOptions.rest must have {n} values for robot {robot.name!r}, got {rest.shape[0]}")
    lower, upper = facts.position_limit.lower, facts.position_limit.upper
    outside = (rest < lower) | (rest > upper)
    if outside.any():
        j = int(np.argmax(outside))
        raise OptionError(
            f"IKOptions.rest must be within the joint limits of robot {robot.name!r}; joint "
            f"{robot.joint_names[j]!r} is {rest[j]:g}, its limits [{lower[j]:g}, {upper[j]:g}]"
        )
    return PostureTask(np.broadcast_to(rest, q_start.shape), options.nullspace_gain)


def _norm(x: np.ndarray) -> np.ndarray:
    """``‖x‖`` over the last axis without overflow to NaN: finite, or inf when it exceeds float range."""
    norm = np.sqrt(np.einsum("...i,...i->...", x, x))
    if np.isfinite(norm).all():
        return norm
    top = np.abs(x).max(axis=-1, initial=0.0)  # |x|² overflowed: scale by the largest component first
    safe = np.where((top > 0.0) & np.isfinite(top), top, 1.0)
    return np.where(np.isfinite(top), top * np.linalg.norm(x / safe[..., None], axis=-1), np.inf)


def _result(
    robot: Robot,
    facts: _Facts,
    options: IKOptions,
    tol_p: float,
    T2: np.ndarray,
    solution: Solution,
    batch: tuple[int, ...],
) -> IKResult:
    """The :class:`IKResult`: errors and success verified with ``robot.fk`` at the returned q."""
    n = robot.n
    q = solution.q
    T_q = kinematics.fk(robot, q)  # (M, 4, 4): robot.fk, the very function a user checks with
    d = np.empty((q.shape[0], 2, 3))
    np.subtract(T2[:, :3, 3], T_q[:, :3, 3], out=d[:, 0])  # [m]
    d[:, 1] = spatial.so3_log(T2[:, :3, :3] @ T_q[:, :3, :3].mT)  # [rad]
    position_error, rotation_error = _norm(d).T  # (M,) each
    dp, dr = d[:, 0], d[:, 1]
    weights = np.array(options.weights)
    if weights.all():
        ok_p, ok_r = position_error <= tol_p, rotation_error <= options.rotation_tolerance
    else:  # the constrained components only, in the weights' frame
        if options.weights_frame == "target":
            Rt = T2[:, :3, :3].mT
            dp, dr = (Rt @ dp[..., None])[..., 0], (Rt @ dr[..., None])[..., 0]
        ok_p = _norm(dp[:, weights[:3] > 0]) <= tol_p
        ok_r = _norm(dr[:, weights[3:] > 0]) <= options.rotation_tolerance
    success = solution.converged & ok_p & ok_r
    # The singularity report at the answer: σ_min/σ_max of the unit-free task Jacobian [v/L; ω].
    if q.shape[0]:
        sv = np.linalg.svd(solution.J[:, facts.cond_rows] * facts.cond_scale, compute_uv=False)  # (M, k)
        cmin = inverse_condition_from_singular_values(sv)
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
    for starts in (ref, start):
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
        sv = np.linalg.svd(J[found][:, facts.cond_rows] * facts.cond_scale, compute_uv=False)
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


def _errors(robot: Robot, T2: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position [m] and rotation [rad] errors ``(M,)`` of ``robot.fk(q)`` against ``T2`` ``(M, 4, 4)``."""
    T_q = kinematics.fk(robot, q)
    return _norm(T2[:, :3, 3] - T_q[:, :3, 3]), _norm(spatial.so3_log(T2[:, :3, :3] @ T_q[:, :3, :3].mT))


def nearest_turns(
    q: np.ndarray, ref: np.ndarray, revolute: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """``q`` ``(..., n)`` with each revolute joint moved by whole turns to the value within its limits
    ``[lower, upper]`` nearest ``ref`` (broadcast against ``q``); other joints unchanged."""
    m = np.round((ref - q) / (2.0 * np.pi))
    out = q
    for shift in (m, m - 1.0, m + 1.0):
        cand = q + 2.0 * np.pi * shift
        inside = (cand >= lower) & (cand <= upper)
        closer = np.abs(cand - ref) < np.abs(out - ref)
        out_inside = (out >= lower) & (out <= upper)
        out = np.where(revolute & inside & (closer | ~out_inside), cand, out)
    return out
