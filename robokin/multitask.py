"""IK with several tasks at once: poses and positions of any frames of a tree (both hands of a dual-arm robot).

A task asks one frame (``link``) for a pose (:class:`PoseTask`, 6 rows ``[p* − p; log(R* Rᵀ)]``) or a position
(:class:`PositionTask`, 3 rows). :func:`solve_tasks` stacks the rows of every task, each Jacobian taken from
the tree kernels (:func:`robokin.kinematics.path_pose_and_jacobian`: zero columns off the frame's path, mimic
joints folded into their leaders), and takes Levenberg–Marquardt damped least-squares steps
``Δq = Jᵀ(JJᵀ + μI)⁻¹ e`` (a ``solve``, never an inverse) within the joint limits, with side-by-side starts
for a few targets and random restarts.
Position rows are divided by the robot's length scale L (unit-free, like the rotation rows) and every row by
the task's ``weight``. The answer is verified by ``robot.fk`` of the returned q for every task; not
converging is a result (``success=False`` with the closest configuration found), never an exception or NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from . import spatial, validation
from .errors import OptionError, ShapeError
from .kinematics import path_pose_and_jacobian

if TYPE_CHECKING:  # pragma: no cover
    from .ik import IKOptions
    from .model import LinkPath, Robot

__all__ = ["PoseTask", "PositionTask", "PostureTask", "TasksResult", "solve_tasks"]

# Levenberg–Marquardt damping μ (Marquardt 1963; Nocedal & Wright, Numerical Optimization, §10.3): the first μ
# is MU_START times the largest diagonal entry of JJᵀ, divided by MU_DOWN after a step that lowers the error
# and multiplied by MU_UP after one that does not (the step is then rejected). MU_MIN keeps JJᵀ + μI positive
# definite at a singularity.
MU_START = 1e-3
MU_DOWN = 3.0
MU_UP = 4.0
MU_MIN = 1e-12
# Up to FEW_TARGETS targets, each runs STARTS starts side by side (q0 and random ones) from the first step: a
# start that heads for a joint limit or a poor local minimum costs one row of the batch, not an attempt.
STARTS = 6
FEW_TARGETS = 4
# A PostureTask's pull is weighted by |e| / (|e| + POSTURE_FADE) (unit-free error): full far from the targets,
# gone near them, so it shapes which solution is reached without stalling the convergence.
POSTURE_FADE = 1e-2


@dataclass(frozen=True, eq=False)
class PoseTask:
    """Drive frame ``link`` to ``T_target`` ``(..., 4, 4)`` (world frame), rows weighted by ``weight`` (> 0)."""

    link: str
    T_target: npt.ArrayLike
    weight: float = 1.0


@dataclass(frozen=True, eq=False)
class PositionTask:
    """Drive the origin of frame ``link`` to ``p_target`` ``(..., 3)`` [m] (world frame); orientation free."""

    link: str
    p_target: npt.ArrayLike
    weight: float = 1.0


@dataclass(frozen=True, eq=False)
class PostureTask:
    """Bias the solution towards the posture ``q_rest`` ``(..., n)`` [rad, m] (redundant robots).

    Not an error row: the step is regularised about ``z = gain · fade · (q_rest − q)``,
    ``Δq = z + Jᵀ(JJᵀ + μI)⁻¹(e − J z)`` (the ``e − J z`` part keeps the frame tasks' rows), with ``fade =
    |e| / (|e| + POSTURE_FADE)`` and 0 after a rejected step, so it shapes the way to the targets and fades
    near them: it never keeps the frame tasks from converging and does not count for ``success``. It is a
    bias, not an optimum: the answer is closer to ``q_rest`` (on Baxter about 15 % on average), not the
    closest solution. ``gain`` in (0, 1].
    """

    q_rest: npt.ArrayLike
    gain: float = 0.1


@dataclass(frozen=True, eq=False)
class TasksResult:
    """The answer of :func:`solve_tasks` for targets of batch shape ``(...)``; arrays are read-only.

    Attributes:
        q: ``(..., n)`` within the joint limits; the closest configuration found when ``success`` is False.
        success: ``(...)`` bool, every task within tolerance (checked by ``robot.fk`` at ``q``).
        position_error: ``(..., k)`` ``‖p* − p‖`` [m] of each of the k tasks at ``q``.
        rotation_error: ``(..., k)`` ``‖log(R* Rᵀ)‖`` [rad] of each task (0 for a position task).
        iterations: ``(...)`` int, steps over all starts and attempts (side-by-side starts each count).
        restarts: ``(...)`` int, starts used besides ``q0`` (side-by-side starts and random restarts).
    """

    q: np.ndarray
    success: np.ndarray
    position_error: np.ndarray
    rotation_error: np.ndarray
    iterations: np.ndarray
    restarts: np.ndarray

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            getattr(self, name).setflags(write=False)


# One frame task, flattened over the batch: (path, p* (M, 3), R* (M, 3, 3) or None for a position task, weight).
_Target = tuple["LinkPath", np.ndarray, "np.ndarray | None", float]


def _targets(
    robot: Robot, tasks: Sequence[PoseTask | PositionTask | PostureTask]
) -> tuple[list[_Target], tuple[int, ...], tuple[np.ndarray, float] | None]:
    """Validated tasks: for each ``(path, p* (..., 3), R* (..., 3, 3) or None, weight)``, and the batch shape."""
    if isinstance(tasks, (PoseTask, PositionTask, PostureTask)) or not len(tasks):
        raise OptionError("tasks must be a non-empty list of PoseTask / PositionTask (and at most one PostureTask)")
    out: list[_Target] = []
    shapes: list[tuple[int, ...]] = []
    posture: tuple[np.ndarray, float] | None = None
    for i, task in enumerate(tasks):
        if isinstance(task, PostureTask):
            if posture is not None:
                raise OptionError(f"tasks[{i}] is a second PostureTask; give at most one")
            if not (np.isfinite(task.gain) and 0 < task.gain <= 1):
                raise OptionError(f"tasks[{i}].gain must be in (0, 1], got {task.gain!r}")
            posture = (validation.joint_vector(robot, task.q_rest, f"tasks[{i}].q_rest"), float(task.gain))
            shapes.append(posture[0].shape[:-1])
            continue
        if not isinstance(task, (PoseTask, PositionTask)):
            raise OptionError(
                f"tasks[{i}] must be a PoseTask, a PositionTask or a PostureTask, got {type(task).__name__}"
            )
        path = robot.link_path(task.link)
        if not (np.isfinite(task.weight) and task.weight > 0):
            raise OptionError(f"tasks[{i}].weight must be a positive finite number, got {task.weight!r}")
        if isinstance(task, PoseTask):
            T = validation.transforms(task.T_target, f"tasks[{i}].T_target")
            out.append((path, T[..., :3, 3], T[..., :3, :3], float(task.weight)))
            shapes.append(T.shape[:-2])
        else:
            p = validation.vectors(task.p_target, f"tasks[{i}].p_target", 3, " [m]")
            out.append((path, p, None, float(task.weight)))
            shapes.append(p.shape[:-1])
    try:
        batch = np.broadcast_shapes(*shapes)
    except ValueError:
        raise ShapeError(f"the tasks' target batch shapes {shapes} do not broadcast together") from None
    if not out:
        raise OptionError("tasks must hold at least one PoseTask or PositionTask (a posture alone is no target)")
    flat = []
    for path, p, R, w in out:
        p = np.broadcast_to(p, batch + (3,)).reshape(-1, 3)
        R = None if R is None else np.broadcast_to(R, batch + (3, 3)).reshape(-1, 3, 3)
        flat.append((path, p, R, w))
    if posture is not None:
        posture = (np.broadcast_to(posture[0], batch + (robot.n,)).reshape(-1, robot.n), posture[1])
    return flat, batch, posture


def _residual(
    tasks: list[_Target], q: np.ndarray, rows: np.ndarray, L: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stacked unit-free error ``(A, m)``, Jacobian ``(A, m, n)`` and per-task errors ``(A, k, 2)`` [m, rad]
    for configurations ``q`` ``(A, n)`` pursuing targets ``rows`` ``(A,)``."""
    es, Js, errs = [], [], []
    for path, p_target, R_target, weight in tasks:
        T, J = path_pose_and_jacobian(path, q)  # (A, 3, 4), (A, 6, n)
        dp = p_target[rows] - T[:, :, 3]
        if R_target is None:
            es.append(weight * dp / L)
            Js.append(weight * J[:, :3] / L)
            errs.append(np.stack([np.linalg.norm(dp, axis=-1), np.zeros(len(q))], axis=-1))
        else:
            dw = spatial.so3_log(R_target[rows] @ np.swapaxes(T[:, :, :3], -1, -2))  # log(R* Rᵀ)
            es.append(weight * np.concatenate([dp / L, dw], axis=-1))
            Js.append(weight * np.concatenate([J[:, :3] / L, J[:, 3:]], axis=1))
            errs.append(np.stack([np.linalg.norm(dp, axis=-1), np.linalg.norm(dw, axis=-1)], axis=-1))
    e = np.concatenate(es, axis=-1)
    return e, np.concatenate(Js, axis=1), np.stack(errs, axis=1)


def _dls(J: np.ndarray, e: np.ndarray, mu: np.ndarray, z: np.ndarray | None = None) -> np.ndarray:
    """Damped least-squares step ``(A, n)``: ``z + Jᵀ(JJᵀ + μI)⁻¹(e − J z)`` for ``J`` ``(A, m, n)``, ``e``
    ``(A, m)``, ``μ`` ``(A,)`` and the regularisation centre ``z`` ``(A, n)`` (0 when None)."""
    JJt = J @ np.swapaxes(J, -1, -2)  # (A, m, m)
    idx = np.arange(e.shape[1])
    JJt[:, idx, idx] += mu[:, None]
    if z is None:
        return (np.swapaxes(J, -1, -2) @ np.linalg.solve(JJt, e[..., None]))[..., 0]
    r = e - (J @ z[..., None])[..., 0]
    return z + (np.swapaxes(J, -1, -2) @ np.linalg.solve(JJt, r[..., None]))[..., 0]


def solve_tasks(
    robot: Robot,
    tasks: Sequence[PoseTask | PositionTask],
    q0: npt.ArrayLike | None = None,
    *,
    options: IKOptions | None = None,
    seed: int | np.random.Generator | None = None,
) -> TasksResult:
    """Solve several frame tasks at once, batched over the tasks' targets.

    Args:
        robot: The robot (any tree; each task names its frame).
        tasks: :class:`PoseTask` / :class:`PositionTask` objects (k of them) and at most one
            :class:`PostureTask`; their targets broadcast to one batch ``(...)``.
        q0: ``(n,)`` or ``(..., n)`` start; default: the middle of ``robot.sampling_bounds``.
        options: :class:`robokin.ik.IKOptions` (``position_tolerance``, ``rotation_tolerance``,
            ``max_iterations`` per attempt, ``max_restarts``, ``max_step``); the other fields do not apply.
        seed: Seed or ``numpy.random.Generator`` of the random restarts.

    Returns:
        A :class:`TasksResult`; ``success`` is verified by ``robot.fk`` at the returned ``q``.

    Raises:
        OptionError: no task, an unknown link, a bad weight.
        ShapeError / ConventionError: targets of bad shape, not finite, or not rigid transforms; bad ``q0``.
    """
    from .ik import IKOptions

    options = IKOptions() if options is None else options
    flat, batch, posture = _targets(robot, tasks)
    M = int(np.prod(batch, dtype=int))
    lo, hi = robot.sampling_bounds.T
    limit_lo, limit_hi = robot.limits.T
    if q0 is None:
        q = np.broadcast_to(0.5 * (lo + hi), (M, robot.n)).copy()
    else:
        q = np.broadcast_to(validation.joint_vector(robot, q0, "q0"), batch + (robot.n,)).reshape(M, robot.n).copy()
    q = np.clip(q, limit_lo, limit_hi)
    rng = validation.rng(seed)
    L = robot.characteristic_length
    # ik.solve's rule for the default position tolerance: 1e-6 × min(L, 1 m) (robokin.ik.position_tolerance).
    tol_p = options.position_tolerance if options.position_tolerance is not None else 1e-6 * min(L, 1.0)
    tol = np.array([tol_p, options.rotation_tolerance])

    # Side-by-side starts for few targets: q0 and STARTS - 1 random configurations run as rows of one batch.
    K = STARTS if M <= FEW_TARGETS else 1
    target = np.repeat(np.arange(M), K)  # row → target
    q = np.repeat(q, K, axis=0)
    if K > 1:
        side = np.arange(M * K) % K > 0
        q[side] = rng.uniform(lo, hi, (int(side.sum()), robot.n))
    best_q, best_cost = q[::K].copy(), np.full(M, np.inf)
    done = np.zeros(M, dtype=bool)
    iterations = np.zeros(M, dtype=int)
    restarts = np.full(M, K - 1)
    active = np.arange(M * K)
    for attempt in range(options.max_restarts + 1):
        if attempt:  # restart the rows still open from random configurations within the box
            q[active] = rng.uniform(lo, hi, (len(active), robot.n))
            np.add.at(restarts, target[active], 1)
        qa, ta = q[active], target[active]
        e, J, errs = _residual(flat, qa, ta, L)
        cost = np.einsum("am,am->a", e, e)
        mu = MU_START * np.max(np.einsum("amn,amn->am", J, J), axis=-1) + MU_MIN
        pull = np.ones(len(active))
        for _ in range(options.max_iterations):
            solved = np.zeros(M, dtype=bool)
            solved[ta[np.all(errs <= tol, axis=(1, 2))]] = True
            frozen = solved[ta]  # a row stops once any row of its target has converged
            if frozen.all():
                break
            # The posture's regularisation centre (A, n), off for a row whose last step was rejected: as μ grows
            # the step tends to z, not to 0, so only a pure LM step is sure to be accepted eventually.
            # It also fades as the error falls (factor |e| / (|e| + POSTURE_FADE)), so the last steps are pure
            # LM steps that converge to the tolerance.
            if posture is not None:
                norm_e = np.sqrt(cost)
                fade = (norm_e / (norm_e + POSTURE_FADE)) * pull
                z = posture[1] * (posture[0][ta] - qa) * fade[:, None]
            else:
                z = None
            dq = _dls(J, e, mu, z)
            # Active set: a joint at a limit that the step pushes outward is held, the step recomputed
            # without it (one more solve), so that clipping does not stall the step along the boundary.
            held = ((qa <= limit_lo) & (dq < 0)) | ((qa >= limit_hi) & (dq > 0))
            if held.any():
                free = ~held
                dq_held = _dls(J * free[:, None, :], e, mu, None if z is None else z * free)
                dq = np.where(held.any(axis=-1, keepdims=True), dq_held, dq)
            longest = np.abs(dq).max(axis=-1, keepdims=True)
            dq *= np.minimum(1.0, options.max_step / np.maximum(longest, 1e-300))  # step-length guard
            trial = np.clip(qa + np.where(frozen[:, None], 0.0, dq), limit_lo, limit_hi)
            e_t, J_t, errs_t = _residual(flat, trial, ta, L)
            cost_t = np.einsum("am,am->a", e_t, e_t)
            better = (cost_t < cost) & ~frozen
            np.add.at(iterations, ta, ~frozen)
            qa = np.where(better[:, None], trial, qa)
            e, J, errs = (
                np.where(better[:, None], e_t, e),
                np.where(better[:, None, None], J_t, J),
                np.where(better[:, None, None], errs_t, errs),
            )
            cost = np.where(better, cost_t, cost)
            mu = np.where(better, np.maximum(mu / MU_DOWN, MU_MIN), mu * MU_UP)
            pull = better.astype(float)
        q[active] = qa
        ok = np.all(errs <= tol, axis=(1, 2))
        # The best row of each target (a converged one first, else the lowest cost) replaces the best so far.
        score = np.where(ok, -1.0, cost)
        order = np.lexsort((score, ta))
        targets_here, first = np.unique(ta[order], return_index=True)
        pick = order[first]
        improved = score[pick] < best_cost[targets_here]
        best_q[targets_here[improved]] = qa[pick[improved]]
        best_cost[targets_here[improved]] = score[pick[improved]]
        done[ta[ok]] = True
        active = active[~done[ta]]
        if not active.size:
            break

    # Verification: every task by robot.fk at the returned q (the tree kernels' poses, not the solver's).
    q_out = best_q
    p_list, r_list = [], []
    frame_tasks = [task for task in tasks if not isinstance(task, PostureTask)]
    for task, (_, p_target, R_target, _) in zip(frame_tasks, flat, strict=True):
        T = robot.fk(q_out, link=task.link)
        p_list.append(np.linalg.norm(p_target - T[:, :3, 3], axis=-1))
        r_list.append(
            np.zeros(M)
            if R_target is None
            else np.linalg.norm(spatial.so3_log(R_target @ np.swapaxes(T[:, :3, :3], -1, -2)), axis=-1)
        )
    p_err, r_err = np.stack(p_list, axis=-1), np.stack(r_list, axis=-1)
    success = np.all((p_err <= tol_p) & (r_err <= options.rotation_tolerance), axis=-1)
    k = len(flat)
    return TasksResult(
        q=q_out.reshape(batch + (robot.n,)),
        success=success.reshape(batch),
        position_error=p_err.reshape(batch + (k,)),
        rotation_error=r_err.reshape(batch + (k,)),
        iterations=iterations.reshape(batch),
        restarts=restarts.reshape(batch),
    )
