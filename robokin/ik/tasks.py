"""IK tasks: each computes an error and its Jacobian from the pose of a frame (or from q) for every row.

What a caller writes: :class:`PoseTask` (a frame to a pose), :class:`PositionTask` (a frame's origin to a
point) and :class:`PostureTask` (prefer a posture), on any frame of a tree; :func:`robokin.ik.solve_tasks`
compiles the first two into :class:`FramePoseTask` rows, each reading its frame's pose and Jacobian from a
:class:`LinkPose` (the tree kernel :func:`robokin.kinematics.path_pose_and_jacobian`: zero columns off the
frame's path, mimic columns folded into their leaders).

A *row* of the solver is one start of one target; ``t`` ``(A,)`` says which target each row pursues. A task
holds its targets for all ``M`` targets, hands the solver the per-row part (:meth:`FramePoseTask.gather`),
and turns a pose and Jacobian from its *pose provider* into weighted, unit-free error rows. The solver stacks
the rows of any number of tasks (several frames of one robot, each with its own provider), so a new task is a
new class here, not a change of the solver.

Unit-free rows: a position error is divided by the robot's characteristic length ``L`` (the same ``L`` for
every task of a robot), so the rows of an arm of 1 mm and of 1 km are the same numbers.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
import numpy.typing as npt

from .. import spatial
from ..kinematics import path_pose_and_jacobian, pose_and_jacobian

if TYPE_CHECKING:  # pragma: no cover
    from ..model import LinkPath, Robot

__all__ = [
    "PoseTask",
    "PositionTask",
    "PostureTask",
    "PoseProvider",
    "ToolPose",
    "LinkPose",
    "FramePoseTask",
    "position_task",
]


@dataclass(frozen=True, eq=False)
class PoseTask:
    """Drive frame ``link`` to the poses ``T_target`` (``T_world_link``), for :func:`robokin.ik.solve_tasks`.

    The error rows are ``[p* − p; log(R* Rᵀ)]`` (world frame, like J's ``[v; ω]``), each component weighted:
    by ``weights`` ``(6,)`` for ``[x, y, z, rx, ry, rz]`` when given, else by ``position_weight`` on the
    three position rows and ``orientation_weight`` on the three rotation rows (a missing one is 1), else by
    ``IKOptions.weights``. A weight of 0 frees a component (it is neither solved for nor verified). Weights
    compare across the tasks of one solve: the largest of all is scaled to 1.

    Attributes:
        link: A frame of the robot (``robot.frame_names``), or None for its one end effector.
        T_target: ``(4, 4)`` or ``(..., 4, 4)`` target poses [m], world frame; the batch shapes of all the
            tasks of a solve broadcast together.
        position_weight: Weight of the position rows (>= 0), or None.
        orientation_weight: Weight of the rotation rows (>= 0), or None.
        weights: ``(6,)`` per-component weights (>= 0, not all 0), or None; not together with the two above.
        weights_frame: ``"world"`` or ``"target"`` (the components along the target's axes); None:
            ``IKOptions.weights_frame``.
    """

    link: str | None
    T_target: npt.ArrayLike
    position_weight: float | None = None
    orientation_weight: float | None = None
    weights: Sequence[float] | None = None
    weights_frame: Literal["world", "target"] | None = None


@dataclass(frozen=True, eq=False)
class PositionTask:
    """Drive the origin of frame ``link`` to ``p_target`` (orientation free), for :func:`robokin.ik.solve_tasks`.

    Attributes:
        link: A frame of the robot, or None for its one end effector.
        p_target: ``(3,)`` or ``(..., 3)`` target positions [m], world frame.
        weight: Weight of its three rows (> 0), compared with the other tasks' weights.
    """

    link: str | None
    p_target: npt.ArrayLike
    weight: float = 1.0


class PoseProvider(Protocol):
    """The pose and world Jacobian of one frame of a robot, for configurations ``q`` ``(A, n)``.

    Returns ``T`` ``(A, 3, 4)`` (the top rows ``[R p]`` of ``T_world_frame`` [m]) and ``J`` ``(A, 6, n)`` (rows
    ``[v; ω]`` in the world frame). Providers are compared by identity: tasks sharing one provider share its
    kernel pass.
    """

    def __call__(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass(frozen=True, eq=False)
class ToolPose:
    """:class:`PoseProvider` of a serial robot's tool: one pass of the closed-form pose-and-Jacobian kernel."""

    robot: Robot

    def __call__(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return pose_and_jacobian(self.robot.serial_chain, q)


@dataclass(frozen=True, eq=False)
class LinkPose:
    """:class:`PoseProvider` of any frame of a tree: the root → link path kernel, its Jacobian ``(A, 6, n)``
    with zero columns for joints off the path and mimic columns folded into their leaders."""

    path: LinkPath

    def __call__(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return path_pose_and_jacobian(self.path, q)


@dataclass(frozen=True, eq=False)
class FramePoseTask:
    """Drive a frame to target poses: error ``e = [p* − p; log(R* Rᵀ)]`` (world frame, rows ``[v; ω]`` like J).

    The solver's rows are ``W e_s`` and ``W J_s`` with ``e_s = [(p* − p)/L; log(R* Rᵀ)]``, ``J_s = [J_v/L; J_ω]``
    and ``W = diag(weights)`` (in the target's axes when ``weights_frame="target"``: ``R*ᵀ`` applied to both
    halves first). A component with weight 0 is free: it is not in the rows and not in the convergence test.

    Attributes:
        provider: Pose and Jacobian of the frame (:class:`PoseProvider`).
        p_target: ``(M, 3)`` target positions [m], world frame.
        R_target: ``(M, 3, 3)`` target rotations, world frame.
        weights: ``(6,)`` weights of ``[x, y, z, rx, ry, rz]``, >= 0.
        length: ``L`` [m], the length a position error is divided by (in :func:`robokin.ik.solve`, a fixed
            fraction of the robot's characteristic length).
        position_tolerance: Converged when the constrained position error is at most this [m] ...
        rotation_tolerance: ... and the constrained rotation error at most this [rad].
        target_frame: The weighted components are along the target's axes (else the world's).
    """

    provider: PoseProvider
    p_target: np.ndarray
    R_target: np.ndarray
    weights: np.ndarray
    length: float
    position_tolerance: float
    rotation_tolerance: float
    target_frame: bool = False
    m: int = field(init=False, default=6)  # rows of e
    row_scale: np.ndarray = field(init=False, repr=False)  # (6,) weight × [1/L]*3 + [1]*3
    error_rows: np.ndarray = field(init=False, repr=False)  # (6, 3)
    seed_weights: np.ndarray = field(init=False, repr=False)  # (13,)
    tolerances_sq: np.ndarray = field(init=False, repr=False)  # (2,) [m², rad²]

    def __post_init__(self) -> None:
        row_scale, error_rows, seed_weights = _constants(tuple(float(w) for w in self.weights), float(self.length))
        object.__setattr__(self, "row_scale", row_scale)
        object.__setattr__(self, "error_rows", error_rows)
        object.__setattr__(self, "seed_weights", seed_weights)
        object.__setattr__(self, "tolerances_sq", np.array([self.position_tolerance, self.rotation_tolerance]) ** 2)

    def gather(self, t: np.ndarray) -> tuple[np.ndarray, ...]:
        """The per-row targets ``(p*[t], R*[t])`` for rows pursuing targets ``t`` ``(A,)``."""
        return self.p_target[t], self.R_target[t]

    def rows(
        self, data: tuple[np.ndarray, ...], T: np.ndarray, J: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The task's rows at poses ``T`` ``(A, 3, 4)`` with world Jacobians ``J`` ``(A, 6, n)``.

        Args:
            data: The rows' targets, from :meth:`gather`.
            T: Top rows ``[R p]`` of the frame's pose, from the provider.
            J: World Jacobian of the frame, from the provider.

        Returns:
            ``e_w`` ``(A, 6)`` weighted unit-free error, ``J_w`` ``(A, 6, n)`` weighted unit-free Jacobian,
            ``E = ½‖e_w‖²`` ``(A,)``, and the squared constrained position [m²] and rotation [rad²] errors
            ``(A, 2)`` (compared with ``tolerances_sq``).
        """
        p_target, R_target = data
        e = np.empty((T.shape[0], 6))
        np.subtract(p_target, T[:, :, 3], out=e[:, :3])
        e[:, 3:] = spatial.so3_log(R_target @ T[:, :, :3].mT)  # log(R* Rᵀ)
        J_s = J
        if self.target_frame:  # components along the target's axes: R*ᵀ e, R*ᵀ J
            RtT = R_target.mT[:, None]
            e = (RtT @ e.reshape(-1, 2, 3, 1)).reshape(-1, 6)
            J_s = (RtT @ J.reshape(-1, 2, 3, J.shape[-1])).reshape(J.shape)
        sums = (e * e) @ self.error_rows  # (A, 3): position², rotation², E
        return self.row_scale * e, self.row_scale[:, None] * J_s, sums[:, 2], sums[:, :2]

    def seed_query(self) -> np.ndarray:
        """``(M, 13)`` ``[p*/L, R* row-major, 1]`` × ``seed_weights``: dotted with a seed table's features it
        ranks its poses by ``‖p* − p‖²/L² + 3 − tr(R*ᵀR)`` (see :meth:`seeds.SeedTable.nearest`)."""
        M = self.p_target.shape[0]
        x = np.concatenate([self.p_target / self.length, self.R_target.reshape(M, 9), np.ones((M, 1))], axis=1)
        return x * self.seed_weights


@functools.lru_cache(maxsize=64)
def _constants(weights: tuple[float, ...], length: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A :class:`FramePoseTask`'s row scale ``(6,)``, error sums ``(6, 3)`` and seed-query factors ``(13,)``
    (cached: the same for every solve of a robot with the same weights; read-only)."""
    w = np.array(weights)
    row_scale = w * np.array([1.0 / length] * 3 + [1.0] * 3)  # weight, with 1/L on the position rows
    # Sums of the squared constrained position / rotation components, and E = ½ Σ (row_scale e)².
    error_rows = np.zeros((6, 3))
    error_rows[:3, 0] = w[:3] > 0
    error_rows[3:, 1] = w[3:] > 0
    error_rows[:, 2] = 0.5 * row_scale**2
    # Nearest-pose search over a seed table (see seeds.SeedTable): factors of the query [p*/L, R*, 1], with a
    # position term when the position is constrained and a rotation term when all of it is.
    w_p, w_r = float(np.any(w[:3] > 0)), float(np.all(w[3:] > 0))
    seed_weights = np.array([2.0 * w_p] * 3 + [w_r] * 9 + [w_p])
    for a in (row_scale, error_rows, seed_weights):
        a.setflags(write=False)
    return row_scale, error_rows, seed_weights


def position_task(
    provider: PoseProvider, p_target: np.ndarray, length: float, position_tolerance: float
) -> FramePoseTask:
    """A :class:`FramePoseTask` on the position only (orientation free), for targets ``p_target`` ``(M, 3)`` [m]."""
    M = p_target.shape[0]
    return FramePoseTask(
        provider,
        p_target,
        np.broadcast_to(np.eye(3), (M, 3, 3)),
        np.array([1.0] * 3 + [0.0] * 3),
        length,
        position_tolerance,
        np.pi,
    )


@dataclass(frozen=True, eq=False)
class PostureTask:
    """Prefer a posture in the null space: the step is regularised about ``z = gain (q_rest − q)``.

    Not an error row: it is the centre of the step's regularisation ``λ‖Δq − z‖²`` (see
    :func:`robokin.ik.dls_step`), so as the damping falls it acts only in the null space of the row tasks and
    never keeps them from converging, and it does not count for convergence. It shapes the path to a
    solution (the answer is nearer ``q_rest``), it does not make the answer the nearest solution to it.

    Attributes:
        q_rest: ``(n,)`` or ``(..., n)`` the preferred posture [rad, m] (in the solver: ``(M, n)``, one per
            target), within the joint limits.
        gain: ``k`` in (0, 1] (default 0.5).
    """

    q_rest: np.ndarray
    gain: float = 0.5

    def gather(self, t: np.ndarray) -> tuple[np.ndarray]:
        """The per-row rest postures ``(q_rest[t],)``."""
        return (self.q_rest[t],)

    def bias(self, data: tuple[np.ndarray, ...], q: np.ndarray) -> np.ndarray:
        """``z`` ``(A, n)`` = ``gain (q_rest − q)`` for rows at ``q`` ``(A, n)``."""
        return self.gain * (data[0] - q)
