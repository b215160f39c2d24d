"""Singularity analysis at configurations: measures, lost directions, types, search and maps.

Naming: one name per quantity, and the arguments tell the two kinds apart.

- Functions of a Jacobian ``J`` ``(..., m, n)`` live in :mod:`robokin.measures`:
  ``measures.singular_values(J)``, ``smallest_singular_value``, ``inverse_condition``, ``manipulability``,
  ``det``. They batch over the leading axes and compose with :func:`robokin.kinematics.jacobian`.
- Functions of ``(robot, q)`` live here (and at the top level, ``robokin.inverse_condition(robot, q)``):
  :func:`inverse_condition`, :func:`manipulability`, :func:`scaled_jacobian`, :func:`is_singular`,
  :func:`analyze`, :func:`det_gradient`, :func:`find_singular`, :func:`singularity_map`.

"Inverse condition" is ``σ_min / σ_max`` (the reciprocal of the condition number κ); robokin writes it
``σmin/σmax`` in text and ``inverse_condition`` in code.

Scale. A Jacobian's rows mix m/s and rad/s, so ``σ_min / σ_max`` of the raw ``J`` changes with the length
unit. The functions of ``(robot, q)`` therefore work on the *scaled* Jacobian
``J_s = diag(I/L, I) · J · diag(1 for revolute, L for prismatic joints)``, where ``L`` is the robot's
characteristic length (:attr:`robokin.model.Robot.characteristic_length`: the sum of the link offsets from the
first joint to the tool plus the prismatic strokes, an upper bound of the reach). In ``J_s`` the task is
``[v/L; ω]`` and the joint rates are ``[rad/s; (m/s)/L]``: all unit-free, and an arm scaled by any factor has
the same ``J_s``. "Singular" means ``σ_min / σ_max`` of ``J_s`` (restricted to the task rows) below a tolerance.

Task rows. By default (``rows="auto"``) the task is the rows of ``J`` the arm controls independently
(:func:`task_rows`): all six for a 6- or 7-joint spatial arm, ``[vx, vy]`` for a planar 2R arm,
``[vx, vy, vz, wz]`` for a SCARA.

Links and stacked tasks. Every function of ``(robot, q)`` takes ``link=``: a frame of the robot's tree, or a
list of frames whose Jacobians' task rows are stacked into one task (both hands of a dual-arm robot at once:
singular when either hand is, or when shared joints cannot serve both). The default is the robot's one end
effector (:func:`task_links`). The measures are taken on the task's joints (:func:`task_joints`), the
coordinates of q that move at least one of the frames; the other columns are zero whatever q is.

Types (6-joint arms whose last three joints are revolute; see :func:`analyze`): ``"wrist"``, ``"elbow"``,
``"shoulder"``, or ``"unclassified"`` when J is singular for none of those reasons (or the arm is not of that
kind).
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from . import measures, validation
from .errors import OptionError, ShapeError
from .kinematics import jacobian, path_jacobian, poses
from .measures import (
    RANK_TOL,
    Rows,
    inverse_condition_from_singular_values,
    row_indices,
    task_rows,
    unit_scales,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .model import LinkPath, Robot

__all__ = [
    "inverse_condition",
    "manipulability",
    "task_links",
    "task_joints",
    "characteristic_length",
    "task_rows",
    "q_text",
    "scaled_jacobian",
    "is_singular",
    "det_gradient",
    "analyze",
    "SingularityReport",
    "find_singular",
    "SingularSearch",
    "singularity_map",
    "SingularityMap",
    "SINGULAR_TOL",
    "TYPES",
    "MAX_SEARCH_STARTS",
    "MAX_SEARCH_ITERATIONS",
]

# --------------------------------------------------------------------------------------------- robot level
# Default yes/no threshold on σ_min/σ_max of the scaled task Jacobian. Across a simple singularity the
# measure vanishes linearly, about 0.05 × the joint distance [rad] to the singular surface for the bundled
# arms (their median σ_min/σ_max at random configurations is 0.02-0.3). Measured over 20000 uniformly
# random configurations per bundled robot (seed 1): the fraction below 1e-4 is 1e-4..7e-3 (UR arms the
# highest), scaling linearly with the threshold, so at 1e-6 it is about 5e-5 at most, while exactly
# singular configurations give 1e-13..1e-17 and find_singular's results < 1e-8.
SINGULAR_TOL = 1e-6

# "Close to a singularity" in a report's words: σ_min/σ_max below this (2-5 % of random configurations).
NEAR_TOL = 1e-3

# A type (wrist, elbow, shoulder) holds when its own unit-free measure is below TYPE_FACTOR * tol: the
# measures vanish linearly like σ_min/σ_max does, with a constant of order one.
TYPE_FACTOR = 10.0

# Components of a unit direction below this are shown as 0 in the words of a report, and a twist whose
# translation (or rotation) part is below it is called a pure rotation (translation).
WORDS_TOL = 1e-2

TYPES: tuple[str, ...] = ("wrist", "elbow", "shoulder", "unclassified")

Measure = Literal["inverse_condition", "smallest_singular_value", "manipulability", "det"]
MEASURES: tuple[str, ...] = ("inverse_condition", "smallest_singular_value", "manipulability", "det")


def _check_tol(tol: float, name: str = "tol") -> float:
    # a real number only: text such as "0.1" is refused like every other numeric option (validation.positive)
    real = isinstance(tol, numbers.Real) and not isinstance(tol, (bool, np.bool_))
    if not (real and 0.0 < float(tol) < 1.0):
        raise OptionError(f"{name} must be a number in (0, 1) (a ratio σ_min/σ_max), got {tol!r}")
    return float(tol)


def characteristic_length(robot: Robot) -> float:
    """The robot's characteristic length ``L`` [m]: :attr:`robokin.model.Robot.characteristic_length` (kept name)."""
    return robot.characteristic_length


def _sample(robot: Robot, rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` configurations ``(count, n)`` uniform within :attr:`robokin.model.Robot.sampling_bounds`."""
    lo, hi = robot.sampling_bounds.T
    return lo + (hi - lo) * rng.random((count, robot.n))


# --------------------------------------------------------------------------------------------- the task
Link = str | Sequence[str] | None


def task_links(robot: Robot, link: Link = None) -> tuple[str, ...]:
    """The frames of a task: ``(link,)`` for one frame, the frames of a list (a stacked task), or the default.

    ``link=None`` is the robot's one end effector (:attr:`robokin.model.Robot.default_link`: the frame
    ``"tool"``, or the only leaf); a robot with several end effectors needs ``link=``.

    Args:
        robot: The robot.
        link: A frame name (see ``robot.frame_names``), a list of distinct frame names, or None.

    Returns:
        The frame names, in the order of the stacked rows.

    Raises:
        OptionError: an unknown frame (the message lists the robot's frames), ``None`` on a robot with several
            end effectors (the message lists them), an empty list or a frame named twice.
    """
    return robot.resolve_links(link, distinct=True)


@dataclass(frozen=True, eq=False)
class _Task:
    """The rows of a task: each link's chosen rows of its Jacobian, stacked, and the unit-free scales."""

    links: tuple[str, ...]
    rows: tuple[int, ...]  # into the stacked 6·len(links) rows [v; ω] of link 0, then of link 1, ...
    joints: np.ndarray  # (m,) the task joints: the coordinates of q that move at least one of the links
    scale: np.ndarray  # (K, n): J_s = J[rows] * scale
    all_joints: bool  # every coordinate of q moves the task (a serial robot's tool)

    def block(self, Js: Any) -> Any:
        """``Js[..., joints]``: the task block ``(..., K, m)`` of a stacked scaled Jacobian ``(..., K, n)``."""
        return Js if self.all_joints else Js[..., self.joints]


def _task(robot: Robot, link: Link, rows: Rows) -> _Task:
    """The :class:`_Task` of ``link`` and ``rows``, cached per robot for hashable arguments (see :func:`_build_task`)."""
    if not (link is None or isinstance(link, (str, Sequence))):  # an array, or no list: _build_task says which
        return _build_task(robot, link, rows)
    try:
        key = (
            link if link is None or isinstance(link, str) else tuple(link),
            rows if isinstance(rows, str) else tuple(rows),
        )
        hash(key)
    except TypeError:  # not iterable or not hashable: _build_task says what is wrong
        return _build_task(robot, link, rows)
    return _cached_task(robot, *key)


@functools.lru_cache(maxsize=256)
def _cached_task(robot: Robot, link: Link, rows: Rows) -> _Task:
    return _build_task(robot, link, rows)


def _build_task(robot: Robot, link: Link, rows: Rows) -> _Task:
    """The :class:`_Task` of ``link`` (:func:`task_links`) and ``rows``.

    ``rows="auto"`` takes each link's :func:`task_rows`; ``"all"``, ``"translation"`` and ``"rotation"`` the
    same rows of every link; explicit indices count the stacked rows (0..5 for one link, 0..6k-1 for k).
    """
    links = task_links(robot, link)
    if isinstance(rows, str) and rows == "auto":
        idx = [6 * k + r for k, name in enumerate(links) for r in task_rows(robot, name)]
    elif isinstance(rows, str) and rows in ("all", "translation", "rotation"):
        idx = [6 * k + r for k in range(len(links)) for r in row_indices(rows)]
    elif isinstance(rows, (Sequence, np.ndarray)) and not isinstance(rows, str):
        idx = validation.index_list(rows, "rows", 6 * len(links))
    else:
        raise OptionError(
            f"rows must be one of 'auto', 'all', 'translation', 'rotation' or row indices; "
            f"got {type(rows).__name__} {rows!r}"
        )
    row_scale, col_scale = unit_scales(robot)
    joints: set[int] = set()
    for name in links:
        path = robot.link_path(name)
        joints.update(int(i) for i, m in zip(path.index, path.multiplier) if m != 0.0)
    if not joints or not idx:
        raise OptionError(
            f"no joint of robot {robot.name!r} moves {' or '.join(map(repr, links))}: a fixed frame has no "
            "singularities (choose a frame below a joint, e.g. an end effector: "
            f"{', '.join(map(repr, robot.end_effectors))})"
        )
    scale = np.tile(row_scale, len(links))[idx, None] * col_scale
    task_joints = np.array(sorted(joints), dtype=int)
    for a in (scale, task_joints):
        a.setflags(write=False)
    return _Task(links, tuple(idx), task_joints, scale, task_joints.shape[0] == robot.n)


def task_joints(robot: Robot, link: Link = None) -> tuple[int, ...]:
    """The task's joints: indices into q of the joints that move at least one of the links (mimic folded).

    The measures of this module are taken on these columns of the task Jacobian: the other columns are zero
    whatever q is (joints on other branches of a tree), so they would only add structural zeros. For a
    serial robot's tool they are all the joints.

    Args:
        robot: The robot.
        link: A frame, a list of frames (a stacked task) or None (see :func:`task_links`).

    Returns:
        Increasing indices into q.
    """
    return tuple(int(i) for i in _task(robot, link, "all").joints)


def _task_jacobian(robot: Robot, task: _Task, x: Any, scaled: bool = True) -> Any:
    """The stacked task Jacobian ``(N, K, n)`` of ``x`` ``(N, n)``, unit-free (``scaled``) or world.

    Plain NumPy operations on the path kernels, so AD values pass through (:func:`det_gradient`,
    :func:`find_singular`).
    """
    blocks = [path_jacobian(robot.link_path(name), x) for name in task.links]  # (N, 6, n) each
    J = blocks[0] if len(blocks) == 1 else np.concatenate(blocks, axis=-2)
    J = J[:, list(task.rows), :]
    return J * task.scale if scaled else J


def _stacked_world(robot: Robot, q: npt.ArrayLike, task: _Task) -> np.ndarray:
    """The world Jacobians of the task's links, stacked: ``(..., 6k, n)`` rows ``[v; ω]`` per link."""
    blocks = [jacobian(robot, q, link=name) for name in task.links]
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks, axis=-2)


def _world_rows(robot: Robot, q: npt.ArrayLike, task: _Task) -> np.ndarray:
    """The task's rows of the stacked world Jacobian ``(..., K, n)`` (physical units)."""
    return _stacked_world(robot, q, task)[..., list(task.rows), :]


def _scaled(robot: Robot, q: npt.ArrayLike, task: _Task) -> np.ndarray:
    """The unit-free task Jacobian ``(..., K, n)`` (:func:`scaled_jacobian` of a built task)."""
    return _world_rows(robot, q, task) * task.scale


def scaled_jacobian(robot: Robot, q: npt.ArrayLike, rows: Rows = "auto", link: Link = None) -> np.ndarray:
    """The unit-free task Jacobian ``J_s = diag(I/L, I) J diag(1 | L)`` restricted to ``rows``.

    Translation rows are divided by the characteristic length ``L`` (``robot.characteristic_length``) and
    prismatic columns multiplied by it, so ``J_s`` maps ``[rad/s; (m/s)/L]`` joint rates to
    ``[v/L; ω]`` and is the same for an arm scaled by any factor. For a list of links (a stacked task) the
    rows of each link's Jacobian are stacked in the order of the list: ``J_s`` of
    ``link=["left_hand", "right_hand"]`` moves both hands at once, so it is singular when either hand's is
    (and, with joints both hands share, also when they cannot be moved independently).

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        rows: ``"auto"`` (each link's :func:`task_rows`), ``"all"``, ``"translation"``, ``"rotation"`` (the same
            rows of every link) or row indices into the stacked ``[v; ω]`` rows (0..5 for one link, 0..6k-1
            for k links).
        link: The frame whose task it is, or a list of frames (a stacked task); default: the robot's one end
            effector (see :func:`task_links`).

    Returns:
        ``(..., K, n)`` with K the number of rows, world frame, one column per coordinate of q (mimic joints
        folded into their leaders; zero for the joints off every link's path, see :func:`task_joints`).

    Raises:
        ShapeError: bad ``q``, or a ``J_s`` beyond the largest float (huge prismatic values).
    """
    q = validation.joint_vector(robot, q)
    Js = _scaled(robot, q, _task(robot, link, rows))
    return validation.finite_result(Js, "scaled Jacobian", ("q", q, 1), batch_ndim=q.ndim - 1)


def inverse_condition(robot: Robot, q: npt.ArrayLike, rows: Rows = "auto", link: Link = None) -> np.ndarray:
    """``σ_min / σ_max`` ``(...)`` of the unit-free task Jacobian at ``q``: 1 isotropic, 0 singular.

    The scale-free number behind :func:`is_singular`, ``robokin singular`` and the animation's warning:
    ``measures.inverse_condition(scaled_jacobian(robot, q, rows, link)[..., task_joints(robot, link)])``.
    For a stacked task with no more rows than joints it is at most the value of each of its links (a hand
    at a singularity makes the two-hand task singular).

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        rows: The task rows, default ``"auto"`` (:func:`task_rows` of each link).
        link: A frame, a list of frames (a stacked task) or None for the robot's one end effector.

    Returns:
        ``(...)`` in [0, 1].
    """
    task = _task(robot, link, rows)
    return measures.inverse_condition(task.block(_scaled(robot, q, task)))


def manipulability(robot: Robot, q: npt.ArrayLike, rows: Rows = "all", link: Link = None) -> np.ndarray:
    """Yoshikawa's manipulability ``(...)`` of the world Jacobian at ``q`` (:func:`robokin.measures.manipulability`).

    Not scale-free: its unit is the product of the singular values' (m for each translation row). Taken on
    the task's joints (:func:`task_joints`); for a stacked task, of the stacked rows.

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        rows: ``"all"`` (default), ``"translation"``, ``"rotation"``, ``"auto"`` or row indices.
        link: A frame, a list of frames (a stacked task) or None for the robot's one end effector.
    """
    task = _task(robot, link, rows)
    return measures.manipulability(task.block(_world_rows(robot, q, task)))


def is_singular(
    robot: Robot, q: npt.ArrayLike, tol: float = SINGULAR_TOL, rows: Rows = "auto", link: Link = None
) -> np.ndarray:
    """Whether ``q`` is singular: ``σ_min / σ_max`` of the scaled task Jacobian below ``tol``.

    Scale-free: the same answer for the arm built in metres or millimetres, or scaled by any factor
    (see the module docstring).

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        tol: Threshold on the inverse condition number, in (0, 1); default :data:`SINGULAR_TOL`.
        rows: The task rows, default ``"auto"`` (:func:`task_rows`).
        link: A frame, a list of frames (a stacked task: singular when the links cannot all be moved at
            once) or None for the robot's one end effector.

    Returns:
        ``(...)`` bool.

    Raises:
        ShapeError: bad ``q``. OptionError: bad ``tol``, ``rows`` or ``link``.
    """
    tol = _check_tol(tol)
    return inverse_condition(robot, q, rows, link) < tol


def _square(robot: Robot, task: _Task, rows: Rows) -> None:
    """ShapeError unless the task block is square (as many rows as task joints)."""
    m = task.joints.shape[0]
    if len(task.rows) != m:
        raise ShapeError(
            f"det needs a square block: the task of {', '.join(task.links)} on robot {robot.name!r} moves "
            f"m = {m} joints but rows={rows!r} selects {len(task.rows)} rows; use manipulability for a "
            "non-square block"
        )


def det_gradient(robot: Robot, q: npt.ArrayLike, rows: Rows = "auto", link: Link = None) -> np.ndarray:
    """Gradient of ``det J[rows]`` (world task Jacobian on the task's joints, physical units) by reverse-mode AD.

    The block is the task's rows (stacked for several links) and the columns of :func:`task_joints`; it must
    be square (``robokin.measures.det`` of that block is the determinant itself).

    The derivative flows through the analytic Jacobian's code and the determinant (Jacobi's formula
    ``d det A = tr(adj(A) dA)``, finite even where ``det A = 0``).

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        rows: Task rows; their number must equal the number of task joints (default ``"auto"``).
        link: A frame, a list of frames (a stacked task) or None for the robot's one end effector.

    Returns:
        ``(..., n)`` ``∂ det / ∂q`` (zero for the joints off the task).

    Raises:
        ShapeError: bad ``q``, the task block is not square, or a gradient beyond the largest float (huge
            prismatic values).
    """
    from . import autodiff

    task = _task(robot, link, rows)
    _square(robot, task, rows)
    q2, batch = validation.joint_batch(robot, q)

    def world_det(x: Any) -> Any:
        return np.linalg.det(task.block(_task_jacobian(robot, task, x, scaled=False)))

    grad = autodiff.jacrev(world_det, batch_ndim=1)(q2)
    return validation.finite_result(
        grad.reshape(batch + (robot.n,)),
        "det gradient",
        ("q", q2.reshape(batch + (robot.n,)), 1),
        batch_ndim=len(batch),
    )


# --------------------------------------------------------------------------------------------- types
def _typed_path(robot: Robot, task: _Task) -> LinkPath | None:
    """The path whose types are told: one link reached by 6 moving joints, the last three revolute, each
    driven by its own coordinate of q (a 6-joint arm with a revolute wrist); None otherwise."""
    if len(task.links) != 1:
        return None
    path = robot.link_path(task.links[0])
    chain = path.chain
    if chain is None or chain.revolute.shape[0] != 6 or not chain.revolute[3:].all():
        return None
    if len(set(path.index.tolist())) != 6 or not np.all(path.multiplier != 0.0):
        return None
    return path


def _closest_on_line(p_a: np.ndarray, d_a: np.ndarray, p_b: np.ndarray, d_b: np.ndarray) -> np.ndarray:
    """Point ``(N, 3)`` of line a (point ``p_a``, unit ``d_a``) closest to line b; ``p_a`` if parallel."""
    w = p_a - p_b
    b = np.sum(d_a * d_b, axis=-1)
    d = np.sum(d_a * w, axis=-1)
    e = np.sum(d_b * w, axis=-1)
    denom = 1.0 - b * b
    ok = denom > 1e-12
    s = np.where(ok, (b * e - d) / np.where(ok, denom, 1.0), 0.0)
    return p_a + s[:, None] * d_a


def _axes(path: LinkPath, q2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World joint axes ``Z`` ``(N, 6, 3)`` (unit) and points on them ``P`` ``(N, 6, 3)`` of the path's joints."""
    assert path.chain is not None  # a typed path (_typed_path)
    _, Z, P = poses(path.chain, path.q_path(q2), with_axes=True)  # (6, 3, N) each
    return np.transpose(Z, (2, 0, 1)), np.transpose(P, (2, 0, 1))


def _point_velocity(path: LinkPath, Z: np.ndarray, P: np.ndarray, i: int, W: np.ndarray) -> np.ndarray:
    """Velocity ``(N, 3)`` of the point W from joint i at unit rate: ``z × (W − p)`` revolute, ``z`` prismatic."""
    assert path.chain is not None
    if path.chain.revolute[i]:
        return np.cross(Z[:, i], W - P[:, i])
    return Z[:, i]


def _type_measures(robot: Robot, path: LinkPath, q2: np.ndarray) -> dict[str, np.ndarray]:
    """Unit-free measures ``(N,)`` of the three types; each vanishes exactly on its singular set.

    The joints are the six of the link's path (:func:`_typed_path`), numbered 1-6 here.

    - wrist: ``|det[z4 z5 z6]|`` of the unit directions of the last three axes (two wrist axes aligned).
    - elbow: with ``W_e`` the point of axis 4 closest to axis 5 (the wrist centre of a spherical wrist),
      ``|v2 × v3| / (|v2| |v3|)`` where ``v2, v3`` are its velocities from joints 2 and 3: zero when they
      can no longer move it towards or away from the shoulder (arm stretched or folded).
    - shoulder: with ``W_s`` the point of axis 5 closest to axis 6 (also the wrist centre of a spherical
      wrist), the part of its velocity from joint 1 outside the span of its velocities from joints 2 and
      3, divided by L (for a revolute joint 1): zero when W_s lies on the axis of joint 1 (or, with a
      shoulder offset, in the plane through that axis along joint 2's axis), so joint 1 moves it only
      where joints 2 and 3 already can.

    For a UR-type wrist (axes 4 and 6 never meet) ``W_e`` and ``W_s`` differ; the factors of its
    determinant ``sin q3 · sin q5 · (a2 c2 + a3 c23 + d5 s234)`` are exactly these three measures' zeros.
    """
    assert path.chain is not None
    L = robot.characteristic_length
    Z, P = _axes(path, q2)
    wrist = np.abs(np.linalg.det(Z[:, 3:6]))
    W_e = _closest_on_line(P[:, 3], Z[:, 3], P[:, 4], Z[:, 4])
    v2, v3 = (_point_velocity(path, Z, P, i, W_e) for i in (1, 2))
    size = np.linalg.norm(v2, axis=-1) * np.linalg.norm(v3, axis=-1)
    elbow = np.where(size > 0.0, np.linalg.norm(np.cross(v2, v3), axis=-1) / np.where(size > 0.0, size, 1.0), 0.0)
    W_s = _closest_on_line(P[:, 4], Z[:, 4], P[:, 5], Z[:, 5])
    v1, v2, v3 = (_point_velocity(path, Z, P, i, W_s) for i in (0, 1, 2))
    U, sv, _ = np.linalg.svd(np.stack([v2, v3], axis=-1), full_matrices=False)  # (N, 3, 2), (N, 2)
    keep = sv > RANK_TOL * np.maximum(sv[:, :1], np.finfo(float).tiny)  # the span of v2, v3 (rank 0-2)
    along = np.einsum("nik,ni->nk", U, v1) * keep  # (N, 2)
    residual = v1 - np.einsum("nik,nk->ni", U, along)  # part of v1 outside span(v2, v3)
    shoulder = np.linalg.norm(residual, axis=-1) / (L if path.chain.revolute[0] else 1.0)
    return {"wrist": wrist, "elbow": elbow, "shoulder": shoulder}


def _types(robot: Robot, task: _Task, q2: np.ndarray, singular: np.ndarray, tol: float) -> list[tuple[str, ...]]:
    """Type names per configuration ``(N,)``: ``()`` when not singular, ``("unclassified",)`` when none holds."""
    path = _typed_path(robot, task)
    if path is None:
        return [("unclassified",) if s else () for s in singular]
    m = _type_measures(robot, path, q2)
    hold = {name: m[name] < TYPE_FACTOR * tol for name in ("wrist", "elbow", "shoulder")}
    out = []
    for k, s in enumerate(singular):
        names = tuple(name for name in ("wrist", "elbow", "shoulder") if hold[name][k])
        out.append((names or ("unclassified",)) if s else ())
    return out


# --------------------------------------------------------------------------------------------- report
_ROW_NAMES = ("vx", "vy", "vz", "wx", "wy", "wz")


def _vec(x: np.ndarray, digits: int = 2) -> str:
    x = _canonical_sign(np.where(np.abs(x) < WORDS_TOL, 0.0, x))
    return "[" + ", ".join(f"{v:.{digits}f}" for v in x + 0.0) + "]"


def _readable_basis(A: np.ndarray) -> np.ndarray:
    """An orthonormal basis ``(k, 6)`` of the span of the orthonormal rows of ``A`` ``(k, 6)``, pure first.

    Pure translations in the span come first, then pure rotations, then the rest, so a lost space of
    several directions reads as "cannot translate along ..., cannot rotate about ...".
    """
    k = A.shape[0]
    picked: list[np.ndarray] = []
    for part in (slice(3, 6), slice(0, 3)):  # rotation part zero → pure translation, and vice versa
        _, s, Vt = np.linalg.svd(A[:, part].T, full_matrices=True)  # coefficients c with (cᵀA)[part] = 0
        s = np.concatenate([s, np.zeros(k - s.shape[0])]) if s.shape[0] < k else s
        picked += [Vt[i] for i in range(k) if s[i] < WORDS_TOL]
    basis: list[np.ndarray] = []
    for c in picked + list(np.eye(k)):  # Gram-Schmidt in coefficient space (A is orthonormal)
        for b in basis:
            c = c - (c @ b) * b
        if np.linalg.norm(c) > 1e-6 and len(basis) < k:
            basis.append(c / np.linalg.norm(c))
    return np.array(basis) @ A


def _canonical_sign(x: np.ndarray) -> np.ndarray:
    """``x`` or ``-x``, whichever has its largest-magnitude entry positive (stable, readable directions).

    Entries within 1e-9 of the largest magnitude count as tied and the first of them decides, so that
    rounding cannot flip the sign of a direction such as ``[0.71, -0.71]``.
    """
    mag = np.abs(x)
    first = int(np.argmax(mag >= mag.max() - 1e-9))
    return x if x[first] >= 0 else -x


def _lost_words(u: np.ndarray, rows: Sequence[int]) -> str:
    """A lost scaled twist direction ``u`` = ``[v/L; ω]`` ``(6,)`` (unit, world frame) in words.

    ``u`` is orthogonal to every reachable scaled twist, so a pure translation along ``u[:3]`` and a pure
    rotation about ``u[3:]`` (about an axis through the tool point) are both unreachable when nonzero;
    the words name the one(s) that carry weight. What is still possible is said only when the task
    includes those rows.
    """
    uv, uw = u[:3], u[3:]
    nv, nw = float(np.linalg.norm(uv)), float(np.linalg.norm(uw))
    if nw < WORDS_TOL * nv:
        still = " (it can still rotate about any axis)" if {3, 4, 5} <= set(rows) else ""
        return f"cannot translate along {_vec(uv / nv)} in the world frame{still}"
    if nv < WORDS_TOL * nw:
        still = "; it can still translate in any direction" if {0, 1, 2} <= set(rows) else ""
        return f"cannot rotate about {_vec(uw / nw)} in the world frame (an axis through the tool point{still})"
    return (
        f"cannot rotate about {_vec(uw / nw)} (an axis through the tool point) without also translating, "
        f"nor translate along {_vec(uv / nv)} without also rotating (world frame)"
    )


def _null_words(robot: Robot, v: np.ndarray) -> str:
    parts = [
        f"{name} {x:+.2f} {'rad/s' if kind == 'revolute' else 'm/s'}"
        for name, kind, x in zip(robot.joint_names, robot.joint_types, v)
        if abs(x) >= WORDS_TOL
    ]
    return ", ".join(parts) + " (the other joints still)" if len(parts) < robot.n else ", ".join(parts)


def _stacked_lost_words(links: tuple[str, ...], u: np.ndarray, rows: Sequence[int]) -> str:
    """A lost direction ``u`` ``(6k,)`` of a task: :func:`_lost_words` for one link, per link for a stack."""
    if len(links) == 1:
        return _lost_words(u, rows)
    parts = [(link, u[6 * k : 6 * k + 6]) for k, link in enumerate(links)]
    weight = max(float(np.linalg.norm(part)) for _, part in parts)
    said = [f"{link} {_lost_words(part, ())}" for link, part in parts if np.linalg.norm(part) >= WORDS_TOL * weight]
    return ("together: " if len(said) > 1 else "") + "; ".join(said)


def _type_words(robot: Robot, path: LinkPath | None, q: np.ndarray, name: str) -> str:
    """What a type means for this arm (the six joints of ``path``) at q, naming the joints involved."""
    if path is None or name == "unclassified":
        return "unclassified: singular, but not for a wrist, elbow or shoulder reason told by robokin"
    names = [robot.joint_names[i] for i in path.index]
    if name == "wrist":
        Z, _ = _axes(path, q[None])
        pairs = [(3, 4), (3, 5), (4, 5)]
        a, b = min(pairs, key=lambda ij: np.linalg.norm(np.cross(Z[0, ij[0]], Z[0, ij[1]])))
        return (
            f"wrist: the axes of {names[a]} and {names[b]} are aligned, so the three wrist axes span "
            "only a plane of rotations"
        )
    if name == "elbow":
        Z, P = _axes(path, q[None])
        how = "stretched out or folded back"
        if np.linalg.norm(np.cross(Z[0, 1], Z[0, 2])) < 1e-6:
            W = _closest_on_line(P[:, 3], Z[:, 3], P[:, 4], Z[:, 4])[0]
            z = Z[0, 1]
            flat = lambda x: x - (x @ z) * z  # noqa: E731  (projection on the plane of the arm)
            upper, fore = flat(P[0, 2] - P[0, 1]), flat(W - P[0, 2])
            how = "stretched out" if upper @ fore > 0 else "folded back"
        return (
            f"elbow: the arm is {how}, so {names[1]} and {names[2]} cannot move the wrist centre "
            "towards or away from the shoulder"
        )
    if name == "shoulder":
        return (
            f"shoulder: the wrist centre is on the axis of {names[0]} (or, with a shoulder offset, in the "
            f"plane through that axis along the axis of {names[1]}), so {names[0]} moves it only where "
            f"{names[1]} and {names[2]} already can"
        )
    return "unclassified: singular, but not for a wrist, elbow or shoulder reason told by robokin"


@dataclass(frozen=True, eq=False)
class SingularityReport:
    """How close one configuration is to a singularity, and what motion is lost there.

    Attributes:
        robot_name: The robot's name.
        joint_names: Names of the moving joints, in the order of q.
        q: ``(n,)`` the configuration [rad, m].
        rows: The task rows used, indices into ``[vx, vy, vz, wx, wy, wz]`` (into the stacked rows of
            every link, 0..6k-1, for a stacked task).
        length: The characteristic length ``L`` [m] that scales the translation rows.
        J_world: ``(6, n)`` world Jacobian, rows ``[v; ω]`` (``(6k, n)``, each link's stacked, for k links).
        singular_values: ``(min(K, m),)`` of the scaled task Jacobian ``J_s`` on the task's m joints
            (:func:`task_joints`), descending (unit-free).
        inverse_condition: ``σ_min / σ_max`` of ``J_s``.
        smallest_singular_value: ``σ_min`` of ``J_s``.
        manipulability: Product of the singular values of the *unscaled* ``J[rows]`` (physical units).
        det: ``det J[rows]`` on the task's joints when that block is square (physical units), else None.
        tol: Threshold on ``inverse_condition`` for ``singular``.
        singular: ``inverse_condition < tol``.
        lost_directions: ``(k_lost, 6)`` unit task directions ``[v/L; ω]`` in the world frame (zero outside
            ``rows``) whose singular value vanishes: the left singular vectors of ``J_s``. Empty if not
            singular. ``(k_lost, 6k)`` for k links, each link's ``[v/L; ω]`` in turn.
        lost_text: The same in words.
        null_space: ``(k_null, n)`` unit joint-rate directions [rad/s, m/s] that move nothing in the task
            (right singular vectors with a vanishing singular value, plus the ``n − k`` self-motions of a
            redundant arm) among the task's joints; zero for the joints off the task.
        null_text: The same in words.
        types: ``()`` when not singular; else names from :data:`TYPES`.
        type_text: One sentence per type.
        type_measures: The unit-free measure of each type (zero on its singular set), or empty when the
            link is not moved by a 6-joint arm with a revolute wrist.
        links: The frames of the task (one, or several for a stacked task).
        task_joints: Indices into q of the joints that move the task (:func:`task_joints`).
    """

    robot_name: str
    joint_names: tuple[str, ...]
    q: np.ndarray
    rows: tuple[int, ...]
    length: float
    J_world: np.ndarray
    singular_values: np.ndarray
    inverse_condition: float
    smallest_singular_value: float
    manipulability: float
    det: float | None
    tol: float
    singular: bool
    lost_directions: np.ndarray
    lost_text: tuple[str, ...]
    null_space: np.ndarray
    null_text: tuple[str, ...]
    types: tuple[str, ...]
    type_text: tuple[str, ...]
    type_measures: dict[str, float] = field(default_factory=dict)
    links: tuple[str, ...] = ()
    task_joints: tuple[int, ...] = ()

    def __str__(self) -> str:
        if len(self.links) > 1:
            per = [[r - 6 * k for r in self.rows if 6 * k <= r < 6 * k + 6] for k in range(len(self.links))]
            rows = "; ".join(f"{link}: " + " ".join(_ROW_NAMES[r] for r in p) for link, p in zip(self.links, per))
            rows = f"of {len(self.links)} links stacked ({rows})"
        else:
            rows = " ".join(_ROW_NAMES[i] for i in self.rows)
        off = [name for i, name in enumerate(self.joint_names) if self.task_joints and i not in self.task_joints]
        lines = [
            f"{self.robot_name}: task rows {rows}; translation scaled by the characteristic length L = "
            f"{self.length:.4f} m (sum of the link offsets)",
            "singular values of [v/L; ω] J: " + " ".join(f"{s:.4g}" for s in self.singular_values),
            f"inverse condition σ_min/σ_max = {self.inverse_condition:.3e}   (singular below {self.tol:g})",
            f"manipulability = {self.manipulability:.4e}"
            + ("" if self.det is None else f",  det J[rows] = {self.det:.4e}"),
        ]
        if not self.singular:
            near = " but close to a singularity" if self.inverse_condition < NEAR_TOL else ""
            lines.append(f"NOT SINGULAR{near}: every task direction can be moved")
            close = [k for k, m in self.type_measures.items() if m < TYPE_FACTOR * NEAR_TOL]
            if near and close:
                lines.append("  closest to: " + ", ".join(f"{k} (measure {self.type_measures[k]:.1e})" for k in close))
            if len(self.null_text):
                lines.append("joint motions that move nothing (self-motion of a redundant arm):")
                lines += [f"  - {t}" for t in self.null_text]
            if off:
                lines.append(f"joints that do not move the task: {', '.join(off)}")
            return "\n".join(lines)
        lines.append("SINGULAR: " + ", ".join(self.types))
        lines += [f"  {t}" for t in self.type_text]
        who = "the tool" if self.links in ((), ("tool",)) else ", ".join(self.links)
        if len(self.lost_text) == 1:
            lines.append(f"lost motion: {who}")
        else:
            lines.append(f"lost motion ({len(self.lost_text)} directions; any combination of them): {who}")
        lines += [f"  - {t}" for t in self.lost_text]
        lines.append("joint motions that move nothing (null space):")
        lines += [f"  - {t}" for t in self.null_text]
        if off:
            lines.append(f"joints that do not move the task: {', '.join(off)}")
        return "\n".join(lines)


def analyze(
    robot: Robot, q: npt.ArrayLike, *, tol: float = SINGULAR_TOL, rows: Rows = "auto", link: Link = None
) -> SingularityReport | np.ndarray:
    """Analyse one configuration: the measures, the lost task directions, the null space and the type.

    Types are told when the task is one link moved by six joints whose last three are revolute (a 6-joint
    arm's tool, or such an arm's end in a tree; see :func:`_type_measures` for the exact measures):
    ``"wrist"`` when the last three axis directions are linearly dependent (two wrist axes aligned),
    ``"elbow"`` when joints 2 and 3 cannot move the wrist centre radially (arm stretched or folded),
    ``"shoulder"`` when joint 1 moves the wrist centre only along directions joints 2 and 3 give (the
    wrist centre on axis 1, or in the plane of axis 1 and axis 2 with a shoulder offset). Each holds when
    its measure is below ``TYPE_FACTOR * tol``; several may hold at once. A singular configuration for
    which none holds, of another kind of arm, or of a stacked task, is ``"unclassified"``.

    Args:
        robot: The robot.
        q: ``(..., n)`` configurations [rad, m].
        tol: Threshold on ``σ_min / σ_max`` of the scaled task Jacobian.
        rows: The task rows (default ``"auto"``: :func:`task_rows` of each link).
        link: A frame, a list of frames (a stacked task: the lost directions then span every link's
            ``[v/L; ω]``) or None for the robot's one end effector (see :func:`task_links`).

    Returns:
        For one configuration ``(n,)``, a :class:`SingularityReport` (``str(report)`` is the text
        ``robokin singular`` prints); for a batch ``(..., n)``, an object array of shape ``(...)`` holding one
        report per configuration (unbatched in, unbatched out). For the numbers alone over large batches,
        :func:`inverse_condition` and :func:`is_singular` are vectorized.

    Raises:
        ShapeError: ``q`` is not ``(..., n)`` finite, or its measures, directions or type measures are beyond
            the largest float (huge prismatic values; ``manipulability`` and ``det`` saturate at ``inf`` as in
            :mod:`robokin.measures`). OptionError: bad ``tol``, ``rows`` or ``link``.
    """
    tol = _check_tol(tol)
    q = validation.joint_vector(robot, q)
    task = _task(robot, link, rows)
    if q.ndim > 1:  # reports are per-configuration text and vectors: one each (not a hot path)
        reports = np.empty(q.shape[:-1], dtype=object)
        for index in np.ndindex(q.shape[:-1]):
            reports[index] = analyze(robot, q[index], tol=tol, rows=task.rows, link=task.links)
        return reports
    idx = list(task.rows)
    L = robot.characteristic_length
    J = _stacked_world(robot, q, task)  # (6k, n)
    cols = task.joints
    overflow = ("singularity analysis", ("q", q, 1))
    Js = validation.finite_result(J[idx] * task.scale, *overflow, batch_ndim=0)
    # A power of two: U and V unchanged, no σ² overflows in the SVD (on the task's joints: (K, K), (m, m)).
    A, e = measures.without_overflow(task.block(Js))
    U, s, Vt = np.linalg.svd(A)
    s = validation.finite_result(np.ldexp(s, e), *overflow, batch_ndim=0)
    top = float(s[0])
    ic = float(inverse_condition_from_singular_values(s))
    singular = ic < tol
    vanishing = [i for i in range(s.shape[0]) if s[i] <= tol * top] if singular else []
    lost = np.zeros((len(vanishing), J.shape[0]))
    lost[:, idx] = U[:, vanishing].T
    if len(vanishing) > 1:
        lost = _readable_basis(lost)
    lost = np.array([_canonical_sign(u) for u in lost]).reshape(-1, J.shape[0])
    lost_text = tuple(  # "still" is said for one lost direction only
        _stacked_lost_words(task.links, u, idx if len(lost) == 1 else ()) for u in lost
    )
    null_rows = vanishing + list(range(s.shape[0], cols.shape[0]))
    null = np.zeros((len(null_rows), robot.n))
    if null_rows:
        null[:, cols] = Vt[null_rows] * unit_scales(robot)[1][cols]  # joint rates [rad/s, m/s]
    null = np.array([_canonical_sign(v / np.linalg.norm(v)) for v in null]).reshape(-1, robot.n)
    types: tuple[str, ...] = ()
    type_measures: dict[str, float] = {}
    path = _typed_path(robot, task)
    if path is not None:
        values = _type_measures(robot, path, q[None])
        validation.finite_result(np.concatenate(list(values.values())), *overflow, batch_ndim=0)
        type_measures = {k: float(v[0]) for k, v in values.items()}
    if singular:
        types = _types(robot, task, q[None], np.array([True]), tol)[0]
    Jr = task.block(J[idx])
    square = Jr.shape[0] == Jr.shape[1]
    for a in (lost, null, Js, J, q):
        a.setflags(write=False)
    s.setflags(write=False)
    return SingularityReport(
        robot_name=robot.name,
        joint_names=robot.joint_names,
        q=q,
        rows=tuple(idx),
        length=L,
        J_world=J,
        singular_values=s,
        inverse_condition=ic,
        smallest_singular_value=float(s[-1]),
        manipulability=float(measures.manipulability(Jr)),
        det=float(measures.det(Jr)) if square else None,
        tol=tol,
        singular=bool(singular),
        lost_directions=lost,
        lost_text=lost_text,
        null_space=null,
        null_text=tuple(_null_words(robot, v) for v in null),
        types=types,
        type_text=tuple(_type_words(robot, path, q, t) for t in types),
        type_measures=type_measures,
        links=task.links,
        task_joints=tuple(int(i) for i in cols),
    )


# --------------------------------------------------------------------------------------------- search
# Newton steps towards det = 0 are capped at this length in scaled joint coordinates [rad, m/L].
MAX_STEP = 0.5
# The search's size: starts side by side (1024 take about 3 s of one core on a 6-joint arm; the arrays and the
# reverse-mode tape grow with them) and Newton iterations per start. Finite, so that a typo (10**9 starts)
# is refused instead of allocating tens of GB or running for days.
MAX_SEARCH_STARTS = 4096
MAX_SEARCH_ITERATIONS = 10_000
# The search stops driving a start once σ_min/σ_max of its scaled task Jacobian is below this.
CONVERGED = 1e-12
# Two found configurations closer than this (largest scaled joint difference) are one.
DUPLICATE_TOL = 1e-3


@dataclass(frozen=True, eq=False)
class SingularSearch:
    """Singular configurations found by :func:`find_singular`, verified and without duplicates.

    Attributes:
        robot_name: The robot's name.
        joint_names: Names of the moving joints.
        joint_types: ``"revolute"`` or ``"prismatic"`` per moving joint.
        q: ``(k, n)`` singular configurations [rad, m], within the joint limits.
        inverse_condition: ``(k,)`` ``σ_min / σ_max`` of each one's scaled task Jacobian (independent SVD),
            all below ``tol``.
        smallest_singular_value: ``(k,)`` ``σ_min`` of the scaled task Jacobian.
        types: One tuple of type names (:data:`TYPES`) per configuration.
        tol: The verification threshold on the inverse condition.
        rows: The task rows (into the stacked rows of every link for a stacked task).
        starts: How many random starts were driven.
        converged: How many starts reached a verified singular configuration (before removing duplicates).
        links: The frames of the task.
    """

    robot_name: str
    joint_names: tuple[str, ...]
    joint_types: tuple[str, ...]
    q: np.ndarray
    inverse_condition: np.ndarray
    smallest_singular_value: np.ndarray
    types: tuple[tuple[str, ...], ...]
    tol: float
    rows: tuple[int, ...]
    starts: int
    converged: int
    links: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.q.shape[0])

    @property
    def groups(self) -> dict[str, np.ndarray]:
        """Indices of the found configurations by type, e.g. ``{"wrist": [...], "elbow+wrist": [...]}``."""
        out: dict[str, list[int]] = {}
        for k, names in enumerate(self.types):
            out.setdefault("+".join(names), []).append(k)
        return {key: np.array(v, dtype=int) for key, v in sorted(out.items())}

    def __str__(self) -> str:
        of = f" of {' + '.join(self.links)}" if self.links and self.links != ("tool",) else ""
        lines = [
            f"{self.robot_name}: {len(self)} singular configurations{of} from {self.starts} random starts "
            f"({self.converged} converged; verified σ_min/σ_max < {self.tol:g})"
        ]
        for key, idx in self.groups.items():
            lines.append(f"  {key}: {len(idx)}")
            for k in idx[:3]:
                shown = q_text(self.joint_types, self.q[k])
                lines.append(f"    q = {shown}  σ_min/σ_max = {self.inverse_condition[k]:.1e}")
            if len(idx) > 3:
                lines.append(f"    ... and {len(idx) - 3} more")
        return "\n".join(lines)


def q_text(joint_types: Sequence[str], q: np.ndarray) -> str:
    """``q`` with revolute values in degrees and prismatic ones in metres, e.g. ``[10.00°, 0.250 m]``."""
    return (
        "["
        + ", ".join(f"{np.degrees(v):.2f}°" if kind == "revolute" else f"{v:.4f} m" for kind, v in zip(joint_types, q))
        + "]"
    )


def _objective(robot: Robot, task: _Task) -> Callable[[Any], Any]:
    """``g(q)`` ``(N, n) → (N,)``: signed det of the scaled square task block, else its manipulability."""
    k, n = len(task.rows), task.joints.shape[0]

    def g(x: Any) -> Any:
        J = task.block(_task_jacobian(robot, task, x))  # (N, k, m)
        if k == n:
            return np.linalg.det(J)
        # √det(J Jᵀ) (wide) or √det(Jᵀ J) (tall): the product of the singular values, which vanishes
        # linearly (not quadratically like the det of the Gram matrix), so Newton's step still converges.
        G = J @ np.swapaxes(J, -1, -2) if k < n else np.swapaxes(J, -1, -2) @ J
        return np.sqrt(np.linalg.det(G))

    return g


def find_singular(
    robot: Robot,
    starts: int = 64,
    seed: int | np.random.Generator | None = 0,
    *,
    tol: float = SINGULAR_TOL,
    rows: Rows = "auto",
    max_iter: int = 60,
    progress: Callable[[int, int, int], None] | None = None,
    link: Link = None,
) -> SingularSearch:
    """Find singular configurations by driving random starts within the limits to ``det J_s = 0``.

    Each start follows Newton's minimum-norm step for the scalar root ``g(q) = 0``,
    ``Δs = −g ∇g / |∇g|²`` in scaled joint coordinates ``s`` (rad, m/L), capped at ``MAX_STEP`` and kept
    within the limits, where ``g`` is the determinant of the scaled square task Jacobian (its
    manipulability for a non-square task) and ``∇g`` comes from :mod:`robokin.autodiff` (reverse mode
    through the analytic Jacobian and the determinant). All starts move together as one batch. Each
    result is verified by an independent SVD (``σ_min / σ_max < tol``), duplicates are removed, and each
    is typed as in :func:`analyze`. The joints off the task (:func:`task_joints`) keep their random start
    values, and two results that differ only there count as one.

    Args:
        robot: The robot.
        starts: Number of random starts, 1 to ``MAX_SEARCH_STARTS`` (4096).
        seed: A seed or a ``numpy.random.Generator``; the result is reproducible.
        tol: Verification threshold on ``σ_min / σ_max``.
        rows: The task rows (default ``"auto"``).
        max_iter: Newton iterations per start, 1 to ``MAX_SEARCH_ITERATIONS`` (10 000).
        progress: Called after every iteration as ``progress(iteration, max_iter, converged_so_far)``.
        link: A frame, a list of frames (a stacked task: singular when the links cannot all be moved at
            once) or None for the robot's one end effector (see :func:`task_links`).

    Returns:
        A :class:`SingularSearch`.

    Raises:
        OptionError: bad ``starts``, ``max_iter``, ``tol``, ``rows``, ``seed``, ``progress`` or ``link``.
    """
    from . import autodiff

    tol = _check_tol(tol)
    for name, value, most in (("starts", starts, MAX_SEARCH_STARTS), ("max_iter", max_iter, MAX_SEARCH_ITERATIONS)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not 1 <= value <= most:
            raise OptionError(f"{name} must be a positive integer, at most {most}, got {value!r}")
    rng = validation.rng(seed)
    progress = validation.progress(progress)
    task = _task(robot, link, rows)
    lo, hi = robot.sampling_bounds.T
    _, col_scale = unit_scales(robot)
    g = _objective(robot, task)
    grad = autodiff.jacrev(g, batch_ndim=1)
    q = _sample(robot, rng, int(starts))
    active = np.ones(q.shape[0], dtype=bool)
    for it in range(int(max_iter)):
        Js = task.block(_task_jacobian(robot, task, q[active]))
        done = measures.inverse_condition(Js) < CONVERGED
        active[np.flatnonzero(active)[done]] = False
        if active.any():
            x = q[active]
            with np.errstate(invalid="ignore", divide="ignore"):  # √ of a Gram det rounded to <= 0 → no step
                value = g(x)  # (m,)
                dg = grad(x) * col_scale  # (m, n): gradient in scaled coordinates
            norm2 = np.sum(dg * dg, axis=-1)
            ok = np.isfinite(value) & np.isfinite(norm2) & (norm2 > 0.0)
            step = np.where(ok[:, None], -(value / np.where(ok, norm2, 1.0))[:, None] * dg, 0.0)
            length = np.linalg.norm(step, axis=-1, keepdims=True)
            step = step * np.minimum(1.0, MAX_STEP / np.maximum(length, np.finfo(float).tiny))
            q[active] = np.clip(x + step * col_scale, lo, hi)
        if progress is not None:
            progress(it + 1, int(max_iter), int((~active).sum()))
        if not active.any():
            break
    # Verification by an independent SVD of the scaled task Jacobian at the final configurations.
    Js = task.block(_scaled(robot, q, task))
    s = np.linalg.svd(Js, compute_uv=False)
    ic = inverse_condition_from_singular_values(s)
    good = np.flatnonzero(ic < tol)
    kept: list[int] = []
    scaled_q = (q / col_scale)[:, task.joints]  # duplicates: alike on the task's joints
    for k in good:  # loop over results (not a hot path): keep the first of every cluster
        if all(np.abs(scaled_q[k] - scaled_q[j]).max() > DUPLICATE_TOL for j in kept):
            kept.append(int(k))
    q_found = q[kept]
    types = _types(robot, task, q_found, np.ones(len(kept), dtype=bool), tol) if kept else []
    out_q, out_ic, out_s = q_found, ic[kept], s[kept, -1] if kept else np.zeros(0)
    for a in (out_q, out_ic, out_s):
        a.setflags(write=False)
    return SingularSearch(
        robot_name=robot.name,
        joint_names=robot.joint_names,
        joint_types=robot.joint_types,
        q=out_q.reshape(-1, robot.n),
        inverse_condition=out_ic,
        smallest_singular_value=np.asarray(out_s),
        types=tuple(types),
        tol=tol,
        rows=task.rows,
        starts=int(starts),
        converged=int(good.shape[0]),
        links=task.links,
    )


# --------------------------------------------------------------------------------------------- map
@dataclass(frozen=True, eq=False)
class SingularityMap:
    """A measure of singularity over a grid of two joints, the others held at ``q``.

    Attributes:
        robot_name: The robot's name.
        joints: ``(i, j)`` indices of the two swept joints (into q).
        joint_names: Their names.
        joint_types: Their types (``"revolute"`` axes are drawn in degrees, ``"prismatic"`` in metres).
        x: ``(nx,)`` values of joint i [rad or m].
        y: ``(ny,)`` values of joint j [rad or m].
        values: ``(ny, nx)`` the measure at ``(x[a], y[b])`` in ``values[b, a]``.
        measure: Which measure (:data:`MEASURES`), of the scaled task Jacobian.
        det: ``(ny, nx)`` signed ``det J_s`` when the task block is square (its zero contour is the singular
            set), else None.
        inverse_condition: ``(ny, nx)`` σ_min/σ_max of ``J_s`` (whatever ``measure`` is).
        singular: ``(ny, nx)`` bool, the cells the singular set passes through: σ_min/σ_max below ``tol`` at
            the grid point, or at a configuration inside the cell found by refining every local minimum of
            σ_min/σ_max along x and along y (so a zero of det that does not change sign, a double root, is
            found too), or a sign change of det to a neighbour (the cell nearer the zero).
        q: ``(n,)`` the configuration of the other joints [rad, m].
        rows: The task rows.
        tol: The singular threshold on σ_min/σ_max (for the near-singular contour of a non-square task).
        links: The frames of the task.
    """

    robot_name: str
    joints: tuple[int, int]
    joint_names: tuple[str, str]
    joint_types: tuple[str, str]
    x: np.ndarray
    y: np.ndarray
    values: np.ndarray
    measure: str
    det: np.ndarray | None
    inverse_condition: np.ndarray
    singular: np.ndarray
    q: np.ndarray
    rows: tuple[int, ...]
    tol: float
    links: tuple[str, ...] = ()

    def plot(self, ax: Axes | None = None) -> Axes:
        """Draw the map: the measure as colours and the singular cells (:attr:`singular`) in red.

        The legend says what red means. Imports matplotlib lazily; never calls ``plt.show()``.

        Args:
            ax: Axes to draw into; a new figure's axes when None.

        Returns:
            The axes.

        Raises:
            OptionError: ``ax`` is neither None nor matplotlib Axes.
        """
        import matplotlib.pyplot as plt
        from matplotlib.colors import ListedColormap
        from matplotlib.patches import Patch

        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 5.2), layout="constrained")
        validation.axes(ax)
        shown = [np.degrees(v) if kind == "revolute" else v for v, kind in zip((self.x, self.y), self.joint_types)]
        X, Y = np.meshgrid(*shown)
        mesh = ax.pcolormesh(X, Y, self.values, shading="nearest", cmap="viridis")
        ax.figure.colorbar(mesh, ax=ax, label=f"{self.measure} of [v/L; ω] J")
        if self.singular.any():
            red = np.ma.masked_where(~self.singular, np.ones(self.singular.shape))
            ax.pcolormesh(X, Y, red, shading="nearest", cmap=ListedColormap([SINGULAR_COLOR]), vmin=0, vmax=1)
            label = f"singular: σ_min/σ_max < {self.tol:g}" + (" or det J = 0" if self.det is not None else "")
            ax.legend(handles=[Patch(color=SINGULAR_COLOR, label=label)], loc="upper right", framealpha=0.85)
        else:
            ax.legend(
                handles=[Patch(color=SINGULAR_COLOR, label="singular set: none on this slice")],
                loc="upper right",
                framealpha=0.85,
            )
        units = ["deg" if kind == "revolute" else "m" for kind in self.joint_types]
        ax.set_xlabel(f"q{self.joints[0]} {self.joint_names[0]} [{units[0]}]")
        ax.set_ylabel(f"q{self.joints[1]} {self.joint_names[1]} [{units[1]}]")
        of = f" of {' + '.join(self.links)}" if self.links and self.links != ("tool",) else ""
        ax.set_title(f"{self.robot_name}{of}: {self.measure} over joints {self.joints[0]} and {self.joints[1]}")
        return ax


# The colour of the singular cells of a map.
SINGULAR_COLOR = "#ff0000"
# Golden-section steps refining each local minimum of σ_min/σ_max along a grid line: the bracket of two
# grid steps shrinks by 0.618^40 ≈ 4e-9. Near a simple singularity σ_min/σ_max grows about linearly with the
# distance (slope O(1) per rad for J_s), so a 0.1 rad bracket locates it to ~4e-10, below SINGULAR_TOL.
REFINE_STEPS = 40


def _refined_minima(
    robot: Robot, grid: np.ndarray, ic: np.ndarray, coords: np.ndarray, joint: int, axis: int, task: _Task
) -> tuple[np.ndarray, np.ndarray]:
    """Refine every local minimum of ``ic`` along one grid axis by golden-section search.

    Args:
        grid: ``(ny, nx, n)`` configurations; ``ic`` ``(ny, nx)`` their σ_min/σ_max.
        coords: The swept values along ``axis`` (x for axis 1, y for axis 0) of joint ``joint``.

    Returns:
        ``(cells, minimum)``: ``(m, 2)`` int (row, column) of the cell nearest each refined minimum, and
        ``(m,)`` the smallest σ_min/σ_max found there.
    """
    field_ = np.moveaxis(ic, axis, -1)  # (other, k): minima along the last axis
    k = field_.shape[-1]
    left = np.concatenate([np.full(field_.shape[:-1] + (1,), np.inf), field_[..., :-1]], axis=-1)
    right = np.concatenate([field_[..., 1:], np.full(field_.shape[:-1] + (1,), np.inf)], axis=-1)
    other, at = np.nonzero((field_ <= left) & (field_ <= right))
    if not at.size:
        return np.zeros((0, 2), dtype=int), np.zeros(0)
    lo = coords[np.maximum(at - 1, 0)]
    hi = coords[np.minimum(at + 1, k - 1)]
    base = np.moveaxis(grid, axis, -2)[other, at]  # (m, n) configurations of the candidates

    def measure(value: np.ndarray) -> np.ndarray:
        q = base.copy()
        q[:, joint] = value
        return measures.inverse_condition(task.block(_task_jacobian(robot, task, q)))

    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    c, d = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fc, fd = measure(c), measure(d)
    best_x, best_f = coords[at], field_[other, at]
    for _ in range(REFINE_STEPS):
        left_side = fc < fd
        better_c, better_d = fc < best_f, fd < best_f
        best_x = np.where(better_c & (fc <= fd), c, np.where(better_d, d, best_x))
        best_f = np.minimum(best_f, np.minimum(fc, fd))
        hi = np.where(left_side, d, hi)
        lo = np.where(left_side, lo, c)
        c_new, d_new = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        # Golden section reuses one point per step; evaluating both keeps the batch code simple.
        c, d = c_new, d_new
        fc, fd = measure(c), measure(d)
    best_f = np.minimum(best_f, np.minimum(fc, fd))
    best_x = np.where(fc == best_f, c, np.where(fd == best_f, d, best_x))
    nearest = np.abs(coords[None, :] - best_x[:, None]).argmin(axis=-1)
    cells = np.stack([other, nearest], axis=-1) if axis == 1 else np.stack([nearest, other], axis=-1)
    return cells, best_f


def _singular_cells(
    robot: Robot,
    grid: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    ij: tuple[int, int],
    ic: np.ndarray,
    d: np.ndarray | None,
    task: _Task,
    tol: float,
) -> np.ndarray:
    """The boolean ``(ny, nx)`` singular set of a map (see :attr:`SingularityMap.singular`)."""
    singular = ic < tol
    for axis, coords, joint in ((1, x, ij[0]), (0, y, ij[1])):
        if coords.shape[0] < 2:
            continue
        cells, minimum = _refined_minima(robot, grid, ic, coords, joint, axis, task)
        hit = cells[minimum < tol]
        singular[hit[:, 0], hit[:, 1]] = True
    if d is not None:  # a sign change of det between neighbours: mark the cell nearer the zero
        for axis in (0, 1):
            a = np.moveaxis(d, axis, -1)
            change = np.signbit(a[..., :-1]) != np.signbit(a[..., 1:])
            other, at = np.nonzero(change)
            pick = np.where(np.abs(a[other, at]) <= np.abs(a[other, at + 1]), at, at + 1)
            if axis == 1:
                singular[other, pick] = True
            else:
                singular[pick, other] = True
    return singular


def _default_q(robot: Robot, tol: float, task: _Task) -> np.ndarray:
    """The first named configuration where the task is not singular, else a seeded random one within the limits."""
    for q in robot.configurations.values():
        if not bool(is_singular(robot, q, tol=max(tol, 1e-3), rows=task.rows, link=task.links)):
            return np.array(q)
    candidates = _sample(robot, np.random.default_rng(0), 16)
    return candidates[int(np.argmax(inverse_condition(robot, candidates, task.rows, task.links)))]


def singularity_map(
    robot: Robot,
    joints: tuple[int, int] | None = None,
    q: npt.ArrayLike | None = None,
    resolution: int | tuple[int, int] = 121,
    *,
    measure: Measure = "inverse_condition",
    rows: Rows = "auto",
    ranges: Sequence[tuple[float, float]] | None = None,
    tol: float = SINGULAR_TOL,
    link: Link = None,
) -> SingularityMap:
    """A measure of the scaled task Jacobian over a grid of two joints (one vectorized batch).

    Args:
        robot: The robot.
        joints: ``(i, j)``: indices (0-based, into q) of the joints on the x and y axes; default ``(1, 2)``
            (shoulder and elbow of a 6-joint arm), ``(0, 1)`` on a robot of two joints.
        q: ``(n,)`` values of the other joints [rad, m]; default: the first named configuration of the robot
            that is not singular (else a seeded random one).
        resolution: Grid points per axis, or ``(nx, ny)``; each in 2..1000.
        measure: ``"inverse_condition"`` (default), ``"smallest_singular_value"``, ``"manipulability"`` or
            ``"det"`` (square task only).
        rows: The task rows (default ``"auto"``).
        ranges: ``((lo_i, hi_i), (lo_j, hi_j))`` [rad, m]; default: the joint limits (±π or ±L if unlimited).
        tol: Singular threshold recorded in the result.
        link: A frame, a list of frames (a stacked task) or None for the robot's one end effector (see
            :func:`task_links`). Both swept joints must move the task, and ``"det"`` needs as many task rows
            as task joints (:func:`task_joints`).

    Returns:
        A :class:`SingularityMap`; ``.plot()`` draws it.

    Raises:
        OptionError: bad joints, resolution, measure, rows or link, or ``ranges`` with lo >= hi. ShapeError: bad
            ``q`` or ``ranges``.
    """
    tol = _check_tol(tol)
    validation.choice(measure, "measure", MEASURES)
    if joints is None:
        if robot.n < 2:
            raise OptionError(
                f"a singularity map sweeps two joints; robot {robot.name!r} has {robot.n} (use analyze or "
                "find_singular)"
            )
        joints = (1, 2) if robot.n > 2 else (0, 1)
    i, j = validation.index_list(joints, f"joints of {robot.name!r}", robot.n, count=2)
    try:
        res: tuple[Any, ...] = (resolution, resolution) if np.ndim(resolution) == 0 else tuple(resolution)  # type: ignore[arg-type]
    except (TypeError, ValueError):  # ragged
        res = ()
    if len(res) != 2 or any(not isinstance(r, (int, np.integer)) or not 2 <= r <= 1000 for r in res):
        raise OptionError(f"resolution must be an int or two ints in 2..1000, got {resolution!r}")
    task = _task(robot, link, rows)
    idx = list(task.rows)
    m = task.joints.shape[0]
    off = [k for k in (i, j) if k not in task.joints]
    if off:
        raise OptionError(
            f"joints {off} of robot {robot.name!r} do not move {' + '.join(task.links)}: the map would be flat "
            f"along them; choose joints among its task joints {task.joints.tolist()}"
        )
    if measure == "det" and len(idx) != m:
        raise OptionError(f"measure 'det' needs a square task block; rows {idx} with m = {m} task joints")
    q0 = _default_q(robot, tol, task) if q is None else validation.joint_vector(robot, q)
    if q0.shape != (robot.n,):
        raise ShapeError(f"q must be one configuration of shape ({robot.n},), got shape {q0.shape}")
    if ranges is None:
        bounds = robot.sampling_bounds[[i, j]]
    else:
        bounds = validation.real_array(ranges, "ranges", "((lo_i, hi_i), (lo_j, hi_j))")
        if bounds.shape != (2, 2):
            raise ShapeError(
                f"ranges must be ((lo_i, hi_i), (lo_j, hi_j)) [rad, m], shape (2, 2), got shape {bounds.shape}"
            )
        validation.require_finite(bounds, "ranges")
        if not (bounds[:, 0] < bounds[:, 1]).all():  # a map needs a width: a zero-width axis is one column
            raise OptionError(f"ranges must have lo < hi for each joint, got {bounds.tolist()}")
    x = np.linspace(float(bounds[0][0]), float(bounds[0][1]), int(res[0]))
    y = np.linspace(float(bounds[1][0]), float(bounds[1][1]), int(res[1]))
    grid = np.broadcast_to(q0, (y.shape[0], x.shape[0], robot.n)).copy()  # (ny, nx, n)
    grid[..., i] = x[None, :]
    grid[..., j] = y[:, None]
    Js = task.block(_scaled(robot, grid, task))  # (ny, nx, k, m)
    square = len(idx) == m
    d = np.linalg.det(Js) if square else None
    ic = measures.inverse_condition(Js)
    if measure == "inverse_condition":
        values = ic
    elif measure == "smallest_singular_value":
        values = measures.smallest_singular_value(Js)
    elif measure == "manipulability":
        values = measures.manipulability(Js)
    else:
        assert d is not None  # "det" needs a square task block, checked above
        values = d
    singular = _singular_cells(robot, grid, x, y, (i, j), ic, d, task, tol)
    for a in (x, y, values, ic, singular, q0) + (() if d is None else (d,)):
        a.setflags(write=False)
    names = robot.joint_names
    kinds = robot.joint_types
    return SingularityMap(
        robot_name=robot.name,
        joints=(i, j),
        joint_names=(names[i], names[j]),
        joint_types=(kinds[i], kinds[j]),
        x=x,
        y=y,
        values=values,
        measure=measure,
        det=d,
        inverse_condition=ic,
        singular=singular,
        q=q0,
        rows=tuple(idx),
        tol=tol,
        links=task.links,
    )
