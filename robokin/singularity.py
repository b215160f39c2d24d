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

Types (6-joint arms whose last three joints are revolute; see :func:`analyze`): ``"wrist"``, ``"elbow"``,
``"shoulder"``, or ``"unclassified"`` when J is singular for none of those reasons (or the arm is not of that
kind).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from . import measures, validation
from .errors import OptionError, ShapeError
from .kinematics import jacobian, jacobian_analytic, poses
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

    from .model import Robot

__all__ = [
    "inverse_condition",
    "manipulability",
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
    try:
        value = float(tol)
    except (TypeError, ValueError):
        raise OptionError(f"{name} must be a number in (0, 1), got {tol!r}") from None
    if not 0.0 < value < 1.0:
        raise OptionError(f"{name} must be a number in (0, 1) (a ratio σ_min/σ_max), got {tol!r}")
    return value


def characteristic_length(robot: Robot) -> float:
    """The robot's characteristic length ``L`` [m]: :attr:`robokin.model.Robot.characteristic_length` (kept name)."""
    return robot.characteristic_length


def _sample(robot: Robot, rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` configurations ``(count, n)`` uniform within :attr:`robokin.model.Robot.sampling_bounds`."""
    lo, hi = robot.sampling_bounds.T
    return lo + (hi - lo) * rng.random((count, robot.n))


def _rows_for(robot: Robot, rows: Rows, link: str | None = None) -> list[int]:
    if isinstance(rows, str) and rows == "auto":
        return list(task_rows(robot, link))
    if (
        isinstance(rows, str)
        and rows not in ("all", "translation", "rotation")
        or not isinstance(rows, (str, Sequence, np.ndarray))
    ):
        raise OptionError(
            f"rows must be one of 'auto', 'all', 'translation', 'rotation' or row indices; "
            f"got {type(rows).__name__} {rows!r}"
        )
    return row_indices(rows)


def scaled_jacobian(robot: Robot, q: npt.ArrayLike, rows: Rows = "auto", link: str | None = None) -> np.ndarray:
    """The unit-free task Jacobian ``J_s = diag(I/L, I) J diag(1 | L)`` restricted to ``rows``.

    Translation rows are divided by the characteristic length ``L`` (``robot.characteristic_length``) and
    prismatic columns multiplied by it, so ``J_s`` maps ``[rad/s; (m/s)/L]`` joint rates to
    ``[v/L; ω]`` and is the same for an arm scaled by any factor.

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        rows: ``"auto"`` (:func:`task_rows`), ``"all"``, ``"translation"``, ``"rotation"`` or row indices.
        link: The frame whose task it is (default: the robot's one end effector; any frame of a tree).

    Returns:
        ``(..., k, n)`` with k the number of rows, world frame.

    Raises:
        ShapeError: bad ``q``, or a ``J_s`` beyond the largest float (huge prismatic values).
    """
    link = robot.resolve_link(link)
    idx = _rows_for(robot, rows, link)
    row_scale, col_scale = unit_scales(robot)
    q = validation.joint_vector(robot, q)
    J = jacobian(robot, q, link=link)
    Js = J[..., idx, :] * row_scale[idx, None] * col_scale
    return validation.finite_result(Js, "scaled Jacobian", ("q", q, 1), batch_ndim=q.ndim - 1)


def inverse_condition(robot: Robot, q: npt.ArrayLike, rows: Rows = "auto", link: str | None = None) -> np.ndarray:
    """``σ_min / σ_max`` ``(...)`` of the unit-free task Jacobian at ``q``: 1 isotropic, 0 singular.

    The scale-free number behind :func:`is_singular`, ``robokin singular`` and the animation's warning:
    ``measures.inverse_condition(scaled_jacobian(robot, q, rows))``.

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        rows: The task rows, default ``"auto"`` (:func:`task_rows`).
        link: The frame whose task it is (default: the robot's one end effector; any frame of a tree).

    Returns:
        ``(...)`` in [0, 1].
    """
    return measures.inverse_condition(scaled_jacobian(robot, q, rows, link))


def manipulability(robot: Robot, q: npt.ArrayLike, rows: Rows = "all", link: str | None = None) -> np.ndarray:
    """Yoshikawa's manipulability ``(...)`` of the world Jacobian at ``q`` (:func:`robokin.measures.manipulability`).

    Not scale-free: its unit is the product of the singular values' (m for each translation row).

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        rows: ``"all"`` (default), ``"translation"``, ``"rotation"`` or row indices.
        link: The frame (default: the robot's one end effector; any frame of a tree).
    """
    return measures.manipulability(jacobian(robot, q, link=link), rows)


def is_singular(
    robot: Robot, q: npt.ArrayLike, tol: float = SINGULAR_TOL, rows: Rows = "auto", link: str | None = None
) -> np.ndarray:
    """Whether ``q`` is singular: ``σ_min / σ_max`` of the scaled task Jacobian below ``tol``.

    Scale-free: the same answer for the arm built in metres or millimetres, or scaled by any factor
    (see the module docstring).

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        tol: Threshold on the inverse condition number, in (0, 1); default :data:`SINGULAR_TOL`.
        rows: The task rows, default ``"auto"`` (:func:`task_rows`).
        link: The frame whose task it is (default: the robot's one end effector; any frame of a tree).

    Returns:
        ``(...)`` bool.

    Raises:
        ShapeError: bad ``q``. OptionError: bad ``tol``, ``rows`` or ``link``.
    """
    tol = _check_tol(tol)
    return measures.inverse_condition(scaled_jacobian(robot, q, rows, link)) < tol


def det_gradient(robot: Robot, q: npt.ArrayLike, rows: Rows = "auto") -> np.ndarray:
    """Gradient of ``det J[rows]`` (world Jacobian, physical units) by reverse-mode AD.

    The derivative flows through the analytic Jacobian's code and the determinant (Jacobi's formula
    ``d det A = tr(adj(A) dA)``, finite even where ``det A = 0``).

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        rows: Task rows; their number must equal n (default ``"auto"``).

    Returns:
        ``(..., n)`` ``∂ det / ∂q``.

    Raises:
        ShapeError: bad ``q``, the task block is not square, or a gradient beyond the largest float (huge
            prismatic values).
    """
    from . import autodiff

    idx = _rows_for(robot, rows)
    if len(idx) != robot.n:
        raise ShapeError(
            f"det needs a square block: robot {robot.name!r} has n = {robot.n} joints but rows={rows!r} "
            f"selects {len(idx)} rows; use manipulability for a non-square block"
        )
    q2, batch = validation.joint_batch(robot, q)
    chain = robot.serial_chain
    grad = autodiff.jacrev(lambda x: np.linalg.det(jacobian_analytic(chain, x)[:, idx, :]), batch_ndim=1)(q2)
    return validation.finite_result(
        grad.reshape(batch + (robot.n,)),
        "det gradient",
        ("q", q2.reshape(batch + (robot.n,)), 1),
        batch_ndim=len(batch),
    )


# --------------------------------------------------------------------------------------------- types
def _applicable(robot: Robot) -> bool:
    """Types are told for 6-joint arms whose last three joints (the wrist) are revolute."""
    return robot.n == 6 and all(t == "revolute" for t in robot.joint_types[3:])


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


def _axes(robot: Robot, q2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World joint axes ``Z`` ``(N, n, 3)`` (unit) and points on them ``P`` ``(N, n, 3)``."""
    _, Z, P = poses(robot.serial_chain, q2, with_axes=True)  # (n, 3, N) each
    return np.transpose(Z, (2, 0, 1)), np.transpose(P, (2, 0, 1))


def _point_velocity(robot: Robot, Z: np.ndarray, P: np.ndarray, i: int, W: np.ndarray) -> np.ndarray:
    """Velocity ``(N, 3)`` of the point W from joint i at unit rate: ``z × (W − p)`` revolute, ``z`` prismatic."""
    if robot.serial_chain.revolute[i]:
        return np.cross(Z[:, i], W - P[:, i])
    return Z[:, i]


def _type_measures(robot: Robot, q2: np.ndarray) -> dict[str, np.ndarray]:
    """Unit-free measures ``(N,)`` of the three types; each vanishes exactly on its singular set.

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
    L = robot.characteristic_length
    Z, P = _axes(robot, q2)
    wrist = np.abs(np.linalg.det(Z[:, 3:6]))
    W_e = _closest_on_line(P[:, 3], Z[:, 3], P[:, 4], Z[:, 4])
    v2, v3 = (_point_velocity(robot, Z, P, i, W_e) for i in (1, 2))
    size = np.linalg.norm(v2, axis=-1) * np.linalg.norm(v3, axis=-1)
    elbow = np.where(size > 0.0, np.linalg.norm(np.cross(v2, v3), axis=-1) / np.where(size > 0.0, size, 1.0), 0.0)
    W_s = _closest_on_line(P[:, 4], Z[:, 4], P[:, 5], Z[:, 5])
    v1, v2, v3 = (_point_velocity(robot, Z, P, i, W_s) for i in (0, 1, 2))
    U, sv, _ = np.linalg.svd(np.stack([v2, v3], axis=-1), full_matrices=False)  # (N, 3, 2), (N, 2)
    keep = sv > RANK_TOL * np.maximum(sv[:, :1], np.finfo(float).tiny)  # the span of v2, v3 (rank 0-2)
    along = np.einsum("nik,ni->nk", U, v1) * keep  # (N, 2)
    residual = v1 - np.einsum("nik,nk->ni", U, along)  # part of v1 outside span(v2, v3)
    shoulder = np.linalg.norm(residual, axis=-1) / (L if robot.serial_chain.revolute[0] else 1.0)
    return {"wrist": wrist, "elbow": elbow, "shoulder": shoulder}


def _types(robot: Robot, q2: np.ndarray, singular: np.ndarray, tol: float) -> list[tuple[str, ...]]:
    """Type names per configuration ``(N,)``: ``()`` when not singular, ``("unclassified",)`` when none holds."""
    if not _applicable(robot):
        return [("unclassified",) if s else () for s in singular]
    m = _type_measures(robot, q2)
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


def _type_words(robot: Robot, q: np.ndarray, name: str) -> str:
    """What a type means for this arm at q, naming the joints involved."""
    names = robot.joint_names
    if name == "wrist":
        Z, _ = _axes(robot, q[None])
        pairs = [(3, 4), (3, 5), (4, 5)]
        a, b = min(pairs, key=lambda ij: np.linalg.norm(np.cross(Z[0, ij[0]], Z[0, ij[1]])))
        return (
            f"wrist: the axes of {names[a]} and {names[b]} are aligned, so the three wrist axes span "
            "only a plane of rotations"
        )
    if name == "elbow":
        Z, P = _axes(robot, q[None])
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
        rows: The task rows used, indices into ``[vx, vy, vz, wx, wy, wz]``.
        length: The characteristic length ``L`` [m] that scales the translation rows.
        J_world: ``(6, n)`` world Jacobian, rows ``[v; ω]``.
        singular_values: ``(min(k, n),)`` of the scaled task Jacobian ``J_s``, descending (unit-free).
        inverse_condition: ``σ_min / σ_max`` of ``J_s``.
        smallest_singular_value: ``σ_min`` of ``J_s``.
        manipulability: Product of the singular values of the *unscaled* ``J[rows]`` (physical units).
        det: ``det J[rows]`` when that block is square (physical units), else None.
        tol: Threshold on ``inverse_condition`` for ``singular``.
        singular: ``inverse_condition < tol``.
        lost_directions: ``(k_lost, 6)`` unit task directions ``[v/L; ω]`` in the world frame (zero outside
            ``rows``) whose singular value vanishes: the left singular vectors of ``J_s``. Empty if not
            singular.
        lost_text: The same in words.
        null_space: ``(k_null, n)`` unit joint-rate directions [rad/s, m/s] that move nothing in the task
            (right singular vectors with a vanishing singular value, plus the ``n − k`` self-motions of a
            redundant arm).
        null_text: The same in words.
        types: ``()`` when not singular; else names from :data:`TYPES`.
        type_text: One sentence per type.
        type_measures: The unit-free measure of each type (zero on its singular set), or empty when the
            arm is not a 6-joint arm with a revolute wrist.
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

    def __str__(self) -> str:
        rows = " ".join(_ROW_NAMES[i] for i in self.rows)
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
            return "\n".join(lines)
        lines.append("SINGULAR: " + ", ".join(self.types))
        lines += [f"  {t}" for t in self.type_text]
        if len(self.lost_text) == 1:
            lines.append("lost motion: the tool")
        else:
            lines.append(f"lost motion ({len(self.lost_text)} directions; any combination of them): the tool")
        lines += [f"  - {t}" for t in self.lost_text]
        lines.append("joint motions that move nothing (null space):")
        lines += [f"  - {t}" for t in self.null_text]
        return "\n".join(lines)


def analyze(
    robot: Robot, q: npt.ArrayLike, *, tol: float = SINGULAR_TOL, rows: Rows = "auto", link: str | None = None
) -> SingularityReport | np.ndarray:
    """Analyse one configuration: the measures, the lost task directions, the null space and the type.

    Types are told for 6-joint arms whose last three joints are revolute (see :func:`_type_measures` for
    the exact measures): ``"wrist"`` when the last three axis directions are linearly dependent (two wrist
    axes aligned), ``"elbow"`` when joints 2 and 3 cannot move the wrist centre radially (arm stretched
    or folded), ``"shoulder"`` when joint 1 moves the wrist centre only along directions joints 2 and 3
    give (the wrist centre on axis 1, or in the plane of axis 1 and axis 2 with a shoulder offset). Each
    holds when its measure is below ``TYPE_FACTOR * tol``; several may hold at once. A singular
    configuration for which none holds, or of an arm of another kind, is ``"unclassified"``.

    Args:
        robot: The robot.
        q: ``(..., n)`` configurations [rad, m].
        tol: Threshold on ``σ_min / σ_max`` of the scaled task Jacobian.
        rows: The task rows (default ``"auto"``: :func:`task_rows`).
        link: The frame whose task it is (default: the robot's one end effector; any frame of a tree).
            Types are told only for a serial robot's own tool.

    Returns:
        For one configuration ``(n,)``, a :class:`SingularityReport` (``str(report)`` is the text
        ``robokin singular`` prints); for a batch ``(..., n)``, an object array of shape ``(...)`` holding one
        report per configuration (unbatched in, unbatched out). For the numbers alone over large batches,
        :func:`inverse_condition` and :func:`is_singular` are vectorized.

    Raises:
        ShapeError: ``q`` is not ``(..., n)`` finite, or its measures, directions or type measures are beyond
            the largest float (huge prismatic values; ``manipulability`` and ``det`` saturate at ``inf`` as in
            :mod:`robokin.measures`).
    """
    tol = _check_tol(tol)
    q = validation.joint_vector(robot, q)
    if q.ndim > 1:  # reports are per-configuration text and vectors: one each (not a hot path)
        reports = np.empty(q.shape[:-1], dtype=object)
        for index in np.ndindex(q.shape[:-1]):
            reports[index] = analyze(robot, q[index], tol=tol, rows=rows, link=link)
        return reports
    link = robot.resolve_link(link)
    idx = _rows_for(robot, rows, link)
    L = robot.characteristic_length
    row_scale, col_scale = unit_scales(robot)
    J = jacobian(robot, q, link=link)
    typed = robot.chain is not None and link == robot.default_link
    overflow = ("singularity analysis", ("q", q, 1))
    Js = validation.finite_result(J[idx] * row_scale[idx, None] * col_scale, *overflow, batch_ndim=0)
    A, e = measures.without_overflow(Js)  # a power of two: U and V unchanged, no σ² overflows in the SVD
    U, s, Vt = np.linalg.svd(A)
    s = validation.finite_result(np.ldexp(s, e), *overflow, batch_ndim=0)
    top = float(s[0])
    ic = float(inverse_condition_from_singular_values(s))
    singular = ic < tol
    vanishing = [i for i in range(s.shape[0]) if s[i] <= tol * top] if singular else []
    lost = np.zeros((len(vanishing), 6))
    lost[:, idx] = U[:, vanishing].T
    if len(vanishing) > 1:
        lost = _readable_basis(lost)
    lost = np.array([_canonical_sign(u) for u in lost]).reshape(-1, 6)
    lost_text = tuple(_lost_words(u, idx if len(lost) == 1 else ()) for u in lost)  # "still": one lost only
    null_rows = vanishing + list(range(s.shape[0], robot.n))
    null = Vt[null_rows] * col_scale if null_rows else np.zeros((0, robot.n))
    null = np.array([_canonical_sign(v / np.linalg.norm(v)) for v in null]).reshape(-1, robot.n)
    types: tuple[str, ...] = ()
    type_measures: dict[str, float] = {}
    if typed and _applicable(robot):
        values = _type_measures(robot, q[None])
        validation.finite_result(np.concatenate(list(values.values())), *overflow, batch_ndim=0)
        type_measures = {k: float(v[0]) for k, v in values.items()}
    if singular:
        types = _types(robot, q[None], np.array([True]), tol)[0] if typed else ("unclassified",)
    Jr = J[idx]
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
        type_text=tuple(_type_words(robot, q, t) for t in types),
        type_measures=type_measures,
    )


# --------------------------------------------------------------------------------------------- search
# Newton steps towards det = 0 are capped at this length in scaled joint coordinates [rad, m/L].
MAX_STEP = 0.5
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
        rows: The task rows.
        starts: How many random starts were driven.
        converged: How many starts reached a verified singular configuration (before removing duplicates).
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
        lines = [
            f"{self.robot_name}: {len(self)} singular configurations from {self.starts} random starts "
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


def _objective(robot: Robot, idx: list[int]) -> Callable[[Any], Any]:
    """``g(q)`` ``(N, n) → (N,)``: signed det of the scaled square task block, else its manipulability."""
    chain = robot.serial_chain
    row_scale, col_scale = unit_scales(robot)
    scale = row_scale[idx, None] * col_scale  # (k, n)
    k, n = len(idx), robot.n

    def g(x: Any) -> Any:
        J = jacobian_analytic(chain, x)[:, idx, :] * scale  # (N, k, n)
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
) -> SingularSearch:
    """Find singular configurations by driving random starts within the limits to ``det J_s = 0``.

    Each start follows Newton's minimum-norm step for the scalar root ``g(q) = 0``,
    ``Δs = −g ∇g / |∇g|²`` in scaled joint coordinates ``s`` (rad, m/L), capped at ``MAX_STEP`` and kept
    within the limits, where ``g`` is the determinant of the scaled square task Jacobian (its
    manipulability for a non-square task) and ``∇g`` comes from :mod:`robokin.autodiff` (reverse mode
    through the analytic Jacobian and the determinant). All starts move together as one batch. Each
    result is verified by an independent SVD (``σ_min / σ_max < tol``), duplicates are removed, and each
    is typed as in :func:`analyze`.

    Args:
        robot: The robot.
        starts: Number of random starts (>= 1).
        seed: A seed or a ``numpy.random.Generator``; the result is reproducible.
        tol: Verification threshold on ``σ_min / σ_max``.
        rows: The task rows (default ``"auto"``).
        max_iter: Newton iterations per start.
        progress: Called after every iteration as ``progress(iteration, max_iter, converged_so_far)``.

    Returns:
        A :class:`SingularSearch`.

    Raises:
        OptionError: bad ``starts``, ``max_iter``, ``tol``, ``rows``, ``seed`` or ``progress``.
    """
    from . import autodiff

    tol = _check_tol(tol)
    for name, value in (("starts", starts), ("max_iter", max_iter)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise OptionError(f"{name} must be a positive integer, got {value!r}")
    rng = validation.rng(seed)
    progress = validation.progress(progress)
    idx = _rows_for(robot, rows)
    lo, hi = robot.sampling_bounds.T
    _, col_scale = unit_scales(robot)
    g = _objective(robot, idx)
    grad = autodiff.jacrev(g, batch_ndim=1)
    q = _sample(robot, rng, int(starts))
    active = np.ones(q.shape[0], dtype=bool)
    for it in range(int(max_iter)):
        Js = scaled_jacobian(robot, q[active], idx)
        done = measures.inverse_condition(Js) < CONVERGED
        active[np.flatnonzero(active)[done]] = False
        if active.any():
            x = q[active]
            with np.errstate(invalid="ignore"):  # √ of a Gram determinant rounded below 0 → NaN → no step
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
    Js = scaled_jacobian(robot, q, idx)
    s = np.linalg.svd(Js, compute_uv=False)
    ic = inverse_condition_from_singular_values(s)
    good = np.flatnonzero(ic < tol)
    kept: list[int] = []
    scaled_q = q / col_scale
    for k in good:  # loop over results (not a hot path): keep the first of every cluster
        if all(np.abs(scaled_q[k] - scaled_q[j]).max() > DUPLICATE_TOL for j in kept):
            kept.append(int(k))
    q_found = q[kept]
    types = _types(robot, q_found, np.ones(len(kept), dtype=bool), tol) if kept else []
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
        rows=tuple(idx),
        starts=int(starts),
        converged=int(good.shape[0]),
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

    def plot(self, ax: Axes | None = None) -> Axes:
        """Draw the map: the measure as colours and the singular cells (:attr:`singular`) in red.

        The legend says what red means. Imports matplotlib lazily; never calls ``plt.show()``.

        Args:
            ax: Axes to draw into; a new figure's axes when None.

        Returns:
            The axes.
        """
        import matplotlib.pyplot as plt
        from matplotlib.colors import ListedColormap
        from matplotlib.patches import Patch

        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 5.2), layout="constrained")
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
        ax.set_title(f"{self.robot_name}: {self.measure} over joints {self.joints[0]} and {self.joints[1]}")
        return ax


# The colour of the singular cells of a map.
SINGULAR_COLOR = "#ff0000"
# Golden-section steps refining each local minimum of σ_min/σ_max along a grid line: the bracket of two
# grid steps shrinks by 0.618^40 ≈ 4e-9. Near a simple singularity σ_min/σ_max grows about linearly with the
# distance (slope O(1) per rad for J_s), so a 0.1 rad bracket locates it to ~4e-10, below SINGULAR_TOL.
REFINE_STEPS = 40


def _refined_minima(
    robot: Robot, grid: np.ndarray, ic: np.ndarray, coords: np.ndarray, joint: int, axis: int, idx: list[int]
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
    row_scale, col_scale = unit_scales(robot)

    def measure(value: np.ndarray) -> np.ndarray:
        q = base.copy()
        q[:, joint] = value
        Js = jacobian_analytic(robot.serial_chain, q)[:, idx] * row_scale[idx, None] * col_scale
        return measures.inverse_condition(Js)

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
    idx: list[int],
    tol: float,
) -> np.ndarray:
    """The boolean ``(ny, nx)`` singular set of a map (see :attr:`SingularityMap.singular`)."""
    singular = ic < tol
    for axis, coords, joint in ((1, x, ij[0]), (0, y, ij[1])):
        if coords.shape[0] < 2:
            continue
        cells, minimum = _refined_minima(robot, grid, ic, coords, joint, axis, idx)
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


def _default_q(robot: Robot, tol: float) -> np.ndarray:
    """The first named configuration that is not singular, else a seeded random one within the limits."""
    for q in robot.configurations.values():
        if not bool(is_singular(robot, q, tol=max(tol, 1e-3))):
            return np.array(q)
    candidates = _sample(robot, np.random.default_rng(0), 16)
    return candidates[int(np.argmax(measures.inverse_condition(scaled_jacobian(robot, candidates))))]


def singularity_map(
    robot: Robot,
    joints: tuple[int, int] = (1, 2),
    q: npt.ArrayLike | None = None,
    resolution: int | tuple[int, int] = 121,
    *,
    measure: Measure = "inverse_condition",
    rows: Rows = "auto",
    ranges: Sequence[tuple[float, float]] | None = None,
    tol: float = SINGULAR_TOL,
) -> SingularityMap:
    """A measure of the scaled task Jacobian over a grid of two joints (one vectorized batch).

    Args:
        robot: The robot.
        joints: ``(i, j)``: indices (0-based, into q) of the joints on the x and y axes.
        q: ``(n,)`` values of the other joints [rad, m]; default: the first named configuration of the robot
            that is not singular (else a seeded random one).
        resolution: Grid points per axis, or ``(nx, ny)``; each in 2..1000.
        measure: ``"inverse_condition"`` (default), ``"smallest_singular_value"``, ``"manipulability"`` or
            ``"det"`` (square task only).
        rows: The task rows (default ``"auto"``).
        ranges: ``((lo_i, hi_i), (lo_j, hi_j))`` [rad, m]; default: the joint limits (±π or ±L if unlimited).
        tol: Singular threshold recorded in the result.

    Returns:
        A :class:`SingularityMap`; ``.plot()`` draws it.

    Raises:
        OptionError: bad joints, resolution, measure or rows. ShapeError: bad ``q`` or ``ranges``.
    """
    tol = _check_tol(tol)
    validation.choice(measure, "measure", MEASURES)
    i, j = validation.index_list(joints, f"joints of {robot.name!r}", robot.n, count=2)
    try:
        res: tuple[Any, ...] = (resolution, resolution) if np.ndim(resolution) == 0 else tuple(resolution)  # type: ignore[arg-type]
    except (TypeError, ValueError):  # ragged
        res = ()
    if len(res) != 2 or any(not isinstance(r, (int, np.integer)) or not 2 <= r <= 1000 for r in res):
        raise OptionError(f"resolution must be an int or two ints in 2..1000, got {resolution!r}")
    q0 = _default_q(robot, tol) if q is None else validation.joint_vector(robot, q)
    if q0.shape != (robot.n,):
        raise ShapeError(f"q must be one configuration of shape ({robot.n},), got shape {q0.shape}")
    idx = _rows_for(robot, rows)
    if measure == "det" and len(idx) != robot.n:
        raise OptionError(f"measure 'det' needs a square task block; rows {idx} with n = {robot.n} joints")
    if ranges is None:
        bounds = robot.sampling_bounds[[i, j]]
    else:
        bounds = validation.real_array(ranges, "ranges", "((lo_i, hi_i), (lo_j, hi_j))")
        if bounds.shape != (2, 2):
            raise ShapeError(
                f"ranges must be ((lo_i, hi_i), (lo_j, hi_j)) [rad, m], shape (2, 2), got shape {bounds.shape}"
            )
        validation.require_finite(bounds, "ranges")
    x = np.linspace(float(bounds[0][0]), float(bounds[0][1]), int(res[0]))
    y = np.linspace(float(bounds[1][0]), float(bounds[1][1]), int(res[1]))
    grid = np.broadcast_to(q0, (y.shape[0], x.shape[0], robot.n)).copy()  # (ny, nx, n)
    grid[..., i] = x[None, :]
    grid[..., j] = y[:, None]
    Js = scaled_jacobian(robot, grid, rows)  # (ny, nx, k, n)
    square = len(idx) == robot.n
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
    singular = _singular_cells(robot, grid, x, y, (i, j), ic, d, idx, tol)
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
    )
