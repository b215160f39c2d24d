"""``Joint`` and ``Robot``: a validated serial chain, compiled once into flat read-only arrays.

A joint's transform from the previous frame to its own frame is always written as
``T_before @ M(q) @ T_after``, where ``M(q)`` is a rotation about (revolute) or a translation along
(prismatic) the unit ``axis`` of the joint's *motion frame*:

=======  ======================================  ==================  =====================================
form     T_before                                axis                T_after
=======  ======================================  ==================  =====================================
dh       I                                       z                   Rz(theta) Tz(d) Tx(a) Rx(alpha)
mdh      Rx(alpha) Tx(a) Rz(theta) Tz(d)         z                   I
origin   Txyz Rz(yaw) Ry(pitch) Rx(roll)         axis (normalised)   I
=======  ======================================  ==================  =====================================

(``Rz(q)`` commutes with ``Rz(theta)`` and ``Tz(d)``, so these equal the formulas of docs/format.md.)
The compiled :class:`Chain` folds every constant transform between two joint motions into one matrix and
turns every axis into z, so the kernels in :mod:`robokin.kinematics` do only sin/cos and multiply-adds.
"""

from __future__ import annotations

import functools
import importlib
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, NoReturn

import numpy as np
import numpy.typing as npt

from . import spatial, validation
from .errors import OptionError, RobotFormatError, ShapeError

if TYPE_CHECKING:  # pragma: no cover
    from .ik import IKOptions, IKResult
    from .kinematics import Frame as Expressed  # the Literal of frame= ("world", "local", "tool"), not model.Frame
    from .kinematics import HessianMethod, JacobianMethod

__all__ = [
    "AXIS_UNIT_TOL",
    "Chain",
    "Configurations",
    "JointFrames",
    "Frame",
    "GeometryForm",
    "Joint",
    "JointType",
    "LinkPath",
    "Mimic",
    "Origin",
    "Robot",
    "Tree",
    "check_robot",
    "first_cycle",
    "unit_axis",
]

JointType = Literal["revolute", "prismatic", "fixed"]
GeometryForm = Literal["dh", "mdh", "origin"]
JOINT_TYPES: tuple[str, ...] = ("revolute", "prismatic", "fixed")
GEOMETRY_FORMS: tuple[str, ...] = ("dh", "mdh", "origin")


@functools.cache
def _layer_above(module: str) -> ModuleType:
    """The module ``robokin.<module>`` of a higher layer, imported on first use.

    The one upward reach of the model: :class:`Robot`'s convenience methods (``robot.fk(q)``,
    ``robot.ik(T)``, ...) call the algorithms through it, so the model has no static import of the layers
    above it (no import circle; the import-linter layers contract holds).
    """
    return importlib.import_module(f"robokin.{module}")


def _frozen(a: npt.ArrayLike) -> np.ndarray:
    out = np.array(a, dtype=float)
    out.setflags(write=False)
    return out


# An axis whose norm is within this of 1 is kept as written (normalising again could move its last bit,
# which would break the bit-exact round trip of a saved file); any other non-zero axis is divided by its norm.
AXIS_UNIT_TOL = 4 * np.finfo(float).eps


def _rule_error(reason: str, key: str, joint: str | None = None, where: str = "") -> RobotFormatError:
    """A broken model rule: ``key`` is relative to the joint (or the robot), so a reader can locate it."""
    return RobotFormatError(reason, path=where or f"<joint {joint!r}>", key_path=key, joint=joint)


def _num(x: float) -> str:
    """A float as written by hand: ``2.0`` → ``2``, ``0.1`` → ``0.1``, ``-inf`` → ``-inf``."""
    text = repr(float(x))
    return text.removesuffix(".0")


_FLOATS = {count: (float,) * count for count in (1, 2, 3, 4)}  # the types of a tuple of `count` Python floats
_UNIT_AXES = frozenset(
    {(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (-1.0, 0.0, 0.0), (0.0, -1.0, 0.0), (0.0, 0.0, -1.0)}
)


def _reals(values: Any, count: int, key: str, joint: str | None = None, where: str = "") -> tuple[float, ...]:
    """``count`` real numbers (not bool, not complex, not text) as floats, NaN allowed; a RobotFormatError otherwise."""
    if type(values) is tuple and tuple(map(type, values)) == _FLOATS.get(count):
        return values  # the common case (what the loaders and the model itself pass): floats already
    try:
        items = (
            list(np.asarray(values, dtype=object).ravel()) if not isinstance(values, (list, tuple)) else list(values)
        )
    except (TypeError, ValueError):
        items = None
    if (
        items is None
        or len(items) != count
        or not all(isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) for v in items)
    ):
        raise _rule_error(f"{key} must be {count} real numbers, got {values!r}", key, joint, where)
    return tuple(float(v) for v in items)


def _finite(values: tuple[float, ...], key: str, joint: str | None = None, where: str = "") -> tuple[float, ...]:
    # a finite sum means finite terms (NaN and inf propagate); only otherwise is each one looked at
    if not math.isfinite(sum(values)) and not all(math.isfinite(v) for v in values):
        shown = ", ".join(_num(v) for v in values)
        raise _rule_error(f"{key} must be finite (no NaN or infinity), got [{shown}]", key, joint, where)
    return values


def unit_axis(axis: npt.ArrayLike, joint: str | None = None) -> tuple[float, float, float]:
    """``axis`` ``(3,)`` as a unit vector, exactly as written when its norm is 1 within ``AXIS_UNIT_TOL``.

    The norm is taken of the axis scaled by a power of two that brings its largest component into
    ``[0.5, 1)`` (an exact scaling), so neither ``[5e-324] * 3`` (subnormal) nor ``[1.3e154, ...]`` (squares
    overflow) nor ``[1e-170, 0, 0]`` (squares underflow) loses the direction; for ordinary axes the result is
    bit-for-bit ``axis / hypot(axis)``.

    Raises:
        RobotFormatError: not three finite real numbers, or the zero vector (key ``"axis"``).
    """
    values = _finite(_reals(axis, 3, "axis", joint), "axis", joint)
    if values in _UNIT_AXES:  # ±x, ±y, ±z: kept as written (what the general case below gives them too)
        return values
    top = max(abs(v) for v in values)
    if top == 0.0:
        raise _rule_error("axis must not be zero (expected a direction such as [0, 0, 1])", "axis", joint)
    exponent = math.frexp(top)[1]
    scaled = [math.ldexp(v, -exponent) for v in values]  # exact: largest component in [0.5, 1)
    norm = math.hypot(*scaled)  # in [0.5, √3): no overflow, no underflow
    # |axis| = norm · 2**exponent is in [2**(exponent - 1), √3 · 2**exponent): near 1 only for exponent 0 or 1
    # (and for an axis near the largest float, ldexp(norm, exponent) would overflow)
    if exponent in (0, 1) and abs(math.ldexp(norm, exponent) - 1.0) <= AXIS_UNIT_TOL:
        return values  # type: ignore[return-value]
    return (scaled[0] / norm, scaled[1] / norm, scaled[2] / norm)


@dataclass(frozen=True, eq=False)
class Origin:
    """A fixed pose given as URDF-style ``xyz`` [m] and fixed-axis ``rpy`` [rad]: ``T = Txyz Rz Ry Rx``.

    Raises:
        RobotFormatError: ``xyz`` or ``rpy`` is not three finite real numbers (``key_path`` ``"xyz"`` / ``"rpy"``).
    """

    xyz: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rpy: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        for key in ("xyz", "rpy"):
            value = _finite(_reals(getattr(self, key), 3, key, where="<origin>"), key, where="<origin>")
            object.__setattr__(self, key, value)

    @cached_property
    def matrix(self) -> np.ndarray:
        """The transform ``(4, 4)`` (read-only; computed once)."""
        return _frozen(spatial.transform(spatial.rpy_to_matrix(self.rpy), self.xyz))

    @property
    def is_identity(self) -> bool:
        return not any(self.xyz) and not any(self.rpy)


def _unit_word(joint_type: str) -> str:
    return "m" if joint_type == "prismatic" else "rad"


def _joint_limits(limits: Any, joint_type: str, joint: str) -> tuple[float, float]:
    """``(lower, upper)``: not NaN, lower finite or -inf, upper finite or +inf, lower <= upper."""
    lo, hi = _reals(limits, 2, "limits", joint)
    unit = _unit_word(joint_type)
    if math.isnan(lo) or math.isnan(hi) or lo == math.inf or hi == -math.inf:
        raise _rule_error(
            f"limits must be [lower, upper] with each finite or open (lower -inf, upper +inf), got "
            f"[{_num(lo)}, {_num(hi)}]",
            "limits",
            joint,
        )
    if lo > hi:
        raise _rule_error(f"lower limit {_num(lo)} {unit} is above upper limit {_num(hi)} {unit}", "limits", joint)
    return (lo, hi)


def _speed(velocity: Any, joint_type: str, joint: str) -> float | None:
    """A finite speed > 0, or None when unspecified (None or 0, which is how URDF writes "no limit")."""
    if velocity is None:
        return None
    (value,) = _reals((velocity,), 1, "velocity", joint)
    if value == 0.0:
        return None
    if not (math.isfinite(value) and value > 0.0):
        raise _rule_error(
            f"velocity must be a finite speed > 0 [{_unit_word(joint_type)}/s] (0 or None: unspecified), got "
            f"{_num(value)}",
            "velocity",
            joint,
        )
    return value


def _z_to_axis(axis: np.ndarray) -> np.ndarray:
    """A rotation ``Q`` (3, 3) with ``Q @ [0, 0, 1] == axis``; exact (a permutation) for coordinate axes."""
    helper = np.eye(3)[int(np.argmin(np.abs(axis)))]
    x = helper - (helper @ axis) * axis
    x = x / np.linalg.norm(x)
    y = np.cross(axis, x)
    return np.stack([x, y, axis], axis=-1)


@functools.lru_cache(maxsize=4096)
def _motion_frame(axis: tuple[float, float, float]) -> np.ndarray:
    """``Q`` ``(4, 4)``, the rotation :func:`_z_to_axis` of the unit ``axis`` as a transform (read-only).

    Cached by axis: a robot has few distinct axes (a 2000-joint chain about z has one), and each costs a few
    small NumPy calls.
    """
    return _frozen(spatial.transform(_z_to_axis(np.asarray(axis, dtype=float))))


@dataclass(frozen=True, eq=False)
class JointFrames:
    """The constant transforms of joints ``(m, 4, 4)`` each, computed for all of them at once.

    Attributes:
        T_before: Each joint's :attr:`Joint.T_before`.
        T_after: Each joint's :attr:`Joint.T_after`.
        pre: ``T_before @ Q`` for a moving joint (``Q`` turns z into its axis), ``T_before @ T_after`` for a
            fixed one.
        post: ``Qᵀ @ T_after`` for a moving joint, the identity for a fixed one.

    ``pre @ Mz(q) @ post`` is the joint's transform, ``Mz`` a rotation about or translation along z. The numbers
    are those of the per-joint properties, bit for bit (the same NumPy operations, batched by geometry form).
    """

    T_before: np.ndarray
    T_after: np.ndarray
    pre: np.ndarray
    post: np.ndarray

    @classmethod
    def of(cls, joints: Sequence[Joint]) -> JointFrames:
        m = len(joints)
        T_before = np.tile(np.eye(4), (m, 1, 1))
        T_after = T_before.copy()
        by_form: dict[str, list[int]] = {"dh": [], "mdh": [], "origin": []}
        for i, joint in enumerate(joints):
            by_form[joint.form].append(i)
        if by_form["origin"]:
            rows = by_form["origin"]
            origins = [joints[i].origin for i in rows]
            rpy = np.array([o.rpy for o in origins])  # type: ignore[union-attr]
            xyz = np.array([o.xyz for o in origins])  # type: ignore[union-attr]
            T_before[rows] = spatial.transform(spatial.rpy_to_matrix(rpy), xyz)
        for form in ("dh", "mdh"):
            rows = by_form[form]
            if not rows:
                continue
            a, alpha, d, theta = np.array([joints[i].dh for i in rows]).T
            zero = np.zeros(len(rows))
            if form == "dh":  # T_after = Rz(theta) Tz(d) Tx(a) Rx(alpha), as Joint.T_after writes it
                Rz = spatial.rot_z(theta)
                p = (Rz @ np.stack([a, zero, zero], axis=-1)[..., None])[..., 0] + np.stack([zero, zero, d], axis=-1)
                T_after[rows] = spatial.transform(Rz @ spatial.rot_x(alpha), p)
            else:  # T_before = Rx(alpha) Tx(a) Rz(theta) Tz(d), as Joint.T_before writes it
                Rx = spatial.rot_x(alpha)
                p = np.stack([a, zero, zero], axis=-1) + (Rx @ np.stack([zero, zero, d], axis=-1)[..., None])[..., 0]
                T_before[rows] = spatial.transform(Rx @ spatial.rot_z(theta), p)
        pre = np.empty((m, 4, 4))
        post = np.empty((m, 4, 4))
        for i, joint in enumerate(joints):  # one 4x4 product each: as cheap batched as not, and the same bits
            if joint.moving:
                Q = _motion_frame(joint.axis)
                pre[i] = T_before[i] @ Q
                post[i] = Q.T @ T_after[i]  # Q is a pure rotation: Q⁻¹ = Qᵀ
            else:
                pre[i] = T_before[i] @ T_after[i]
                post[i] = np.eye(4)
        return cls(T_before=_frozen(T_before), T_after=_frozen(T_after), pre=_frozen(pre), post=_frozen(post))


@dataclass(frozen=True, eq=False)
class Joint:
    """One joint of a serial chain, in SI units.

    Attributes:
        name: Unique name.
        type: ``"revolute"``, ``"prismatic"`` or ``"fixed"``.
        form: Which geometry form the joint was written in: ``"dh"``, ``"mdh"`` or ``"origin"``.
        dh: ``(a [m], alpha [rad], d [m], theta [rad])`` for the dh and mdh forms, else None.
        origin: The fixed origin for the ``"origin"`` form, else None.
        axis: Unit axis ``(3,)`` in the joint's motion frame (z for dh/mdh).
        limits: ``(lower, upper)`` in rad or m; ``±inf`` when unlimited.
        velocity: Speed limit in rad/s or m/s, or None (unspecified; 0 is read as None, as URDF writes it).
        parent: Name of the frame the joint hangs from; None: the previous joint's frame (a serial chain), or
            the root frame for the first joint.
        child: Name of the frame the joint creates (a URDF child link); None: the joint's own name.
        mimic: The joint this one follows (``q_self = multiplier · q_leader + offset``), or None. A mimic
            joint is not a coordinate of q.

    The joint rules are enforced here, for every way a joint is made (YAML, URDF, Python): a known type and
    form, finite geometry, a non-zero axis (stored as a unit vector, see :func:`unit_axis`), limits with
    ``lower <= upper``, each finite or open (``-inf`` below, ``+inf`` above), and a finite speed ``> 0``.

    Raises:
        RobotFormatError: a rule is broken; ``joint`` is the joint's name and ``key_path`` the field
            (``"type"``, ``"form"``, ``"dh"``, ``"origin"``, ``"axis"``, ``"limits"``, ``"velocity"``).
    """

    name: str
    type: JointType
    form: GeometryForm
    dh: tuple[float, float, float, float] | None = None
    origin: Origin | None = None
    axis: tuple[float, float, float] = (0.0, 0.0, 1.0)
    limits: tuple[float, float] = (-np.inf, np.inf)
    velocity: float | None = None
    parent: str | None = None
    child: str | None = None
    mimic: Mimic | None = None

    def __post_init__(self) -> None:
        name = self.name
        if not isinstance(name, str) or not name:
            raise _rule_error(f"a joint's name must be non-empty text, got {name!r}", "name", where="<joint>")
        if self.type not in JOINT_TYPES:
            raise _rule_error(f"unknown joint type {self.type!r} (expected {', '.join(JOINT_TYPES)})", "type", name)
        if self.form not in GEOMETRY_FORMS:
            raise _rule_error(
                f"unknown geometry form {self.form!r} (expected {', '.join(GEOMETRY_FORMS)})", "form", name
            )
        if self.form == "origin" and self.origin is None:
            object.__setattr__(self, "origin", Origin())
        if self.origin is not None and not isinstance(self.origin, Origin):
            raise _rule_error(f"origin must be an Origin, got {type(self.origin).__name__}", "origin", name)
        if self.form in ("dh", "mdh"):
            dh = (0.0, 0.0, 0.0, 0.0) if self.dh is None else _finite(_reals(self.dh, 4, "dh", name), "dh", name)
            object.__setattr__(self, "dh", dh)
        object.__setattr__(self, "axis", unit_axis(self.axis, name))
        object.__setattr__(self, "limits", _joint_limits(self.limits, self.type, name))
        object.__setattr__(self, "velocity", _speed(self.velocity, self.type, name))

    @property
    def moving(self) -> bool:
        """True for revolute and prismatic joints (those with a variable)."""
        return self.type != "fixed"

    @property
    def frame(self) -> str:
        """Name of the frame this joint creates: ``child`` when given, else the joint's name."""
        return self.name if self.child is None else self.child

    @property
    def T_before(self) -> np.ndarray:
        """Transform ``(4, 4)`` from the previous joint's frame to this joint's motion frame."""
        if self.form == "dh":
            return np.eye(4)
        if self.form == "mdh":
            assert self.dh is not None  # __post_init__ sets dh for the dh and mdh forms
            a, alpha, d, theta = self.dh
            R = spatial.rot_x(alpha) @ spatial.rot_z(theta)
            p = np.array([a, 0.0, 0.0]) + spatial.rot_x(alpha) @ np.array([0.0, 0.0, d])
            return spatial.transform(R, p)
        assert self.origin is not None  # __post_init__ sets origin for the origin form
        return self.origin.matrix

    @property
    def T_after(self) -> np.ndarray:
        """Transform ``(4, 4)`` from the motion frame to this joint's frame (after the motion)."""
        if self.form == "dh":
            assert self.dh is not None  # __post_init__ sets dh for the dh and mdh forms
            a, alpha, d, theta = self.dh
            Rz = spatial.rot_z(theta)
            return spatial.transform(Rz @ spatial.rot_x(alpha), Rz @ np.array([a, 0.0, 0.0]) + [0.0, 0.0, d])
        return np.eye(4)

    def motion(self, q: float) -> np.ndarray:
        """The motion ``M(q)`` ``(4, 4)`` of this joint for a scalar q [rad or m] (identity when fixed)."""
        if self.type == "revolute":
            return spatial.transform(spatial.rot_axis(self.axis, q))
        if self.type == "prismatic":
            return spatial.transform(p=np.asarray(self.axis) * q)
        return np.eye(4)

    def matrix(self, q: float = 0.0) -> np.ndarray:
        """The joint's whole transform ``T_before @ M(q) @ T_after`` ``(4, 4)`` (reference, unbatched)."""
        return self.T_before @ self.motion(q) @ self.T_after


@dataclass(frozen=True, eq=False)
class Mimic:
    """A coupling ``q_follower = multiplier · q_leader + offset`` [rad or m] (URDF ``<mimic>``).

    Attributes:
        joint: Name of the leader joint (a moving joint that is not itself a mimic joint).
        multiplier: Dimensionless gain m.
        offset: Offset o [rad or m].
    """

    joint: str
    multiplier: float = 1.0
    offset: float = 0.0


@dataclass(frozen=True, eq=False)
class Frame:
    """A named fixed frame (tool flange, TCP, camera) rigidly attached to another frame.

    Attributes:
        name: Unique frame name.
        parent: Name of the frame it is attached to.
        origin: Its pose in the parent frame, ``T_parent_frame``.
    """

    name: str
    parent: str
    origin: Origin = field(default_factory=Origin)


@dataclass(frozen=True, eq=False)
class Chain:
    """The chain compiled for the kernels: every axis turned into z, constants folded.

    With ``n`` moving joints, the pose of the tool in the world is
    ``C[0] @ Mz_0(q_0) @ C[1] @ Mz_1(q_1) @ ... @ Mz_{n-1}(q_{n-1}) @ C[n]`` where ``Mz_i`` rotates about or
    translates along z. For every joint frame (``fk_frames``), ``F[j] = F[j-1] @ pre[j] @ Mz_j @ post[j]``
    over all joints, fixed ones included (they have no motion), with ``F[-1]`` = base and a last tool step.

    Attributes:
        C: ``(n + 1, 4, 4)`` folded constants.
        revolute: ``(n,)`` bool, True where the joint is revolute (else prismatic).
        all_revolute: True when every moving joint is revolute.
        pre: ``(m_joints, 4, 4)`` per joint of the file, ``T_before @ Q``.
        post: ``(m_joints, 4, 4)`` per joint of the file, ``Qᵀ @ T_after`` (fixed: ``T_after``).
        variable: ``(m_joints,)`` int, index into q of each joint, -1 for fixed joints.
        T_world_base: ``(4, 4)``.
        T_last_tool: ``(4, 4)``.
        K_cos, K_sin, K_one: ``(n, 4, 4)`` each, such that ``M_i = u K_cos[i] + v K_sin[i] + K_one[i]``
            equals ``Mz_i(q) @ C[i + 1]`` (with ``C[0]`` folded in front for ``i = 0``), so that
            ``T_world_tool = M_0 @ ... @ M_{n-1}``; ``(u, v) = (cos q, sin q)`` for a revolute joint and
            ``(cos q, q)`` for a prismatic one (whose ``K_cos`` is zero).
    """

    C: np.ndarray
    revolute: np.ndarray
    all_revolute: bool
    K_cos: np.ndarray
    K_sin: np.ndarray
    K_one: np.ndarray
    pre: np.ndarray
    post: np.ndarray
    variable: np.ndarray
    T_world_base: np.ndarray
    T_last_tool: np.ndarray

    @classmethod
    def compile(cls, joints: tuple[Joint, ...], base: Origin, tool: Origin) -> Chain:
        """The chain of ``joints`` (fixed ones included) from ``base`` to ``tool``."""
        frames = JointFrames.of(joints)
        moving = np.array([j.moving for j in joints], dtype=bool)
        revolute = np.array([j.type == "revolute" for j in joints if j.moving], dtype=bool)
        return cls.from_frames(frames.pre, frames.post, moving, revolute, base.matrix, tool.matrix)

    @classmethod
    def from_frames(
        cls,
        pre: np.ndarray,
        post: np.ndarray,
        moving: np.ndarray,
        revolute: np.ndarray,
        T_world_base: np.ndarray,
        T_last_tool: np.ndarray,
    ) -> Chain:
        """The chain from each joint's ``pre`` and ``post`` ``(m, 4, 4)`` (see :class:`JointFrames`).

        Args:
            pre, post: Per joint of the chain, fixed ones included.
            moving: ``(m,)`` bool, the joints with a variable.
            revolute: ``(n,)`` bool per moving joint.
            T_world_base: ``(4, 4)`` the base pose.
            T_last_tool: ``(4, 4)`` the tool in the last joint's frame.
        """
        # Batched over the joints (a deep path of a big tree compiles in O(depth) vectorized steps, not
        # O(depth) Python iterations); every product is the per-joint one of Chain's definition, left to
        # right, and a stacked matmul gives the bits of the 2-D one.
        pre, post = np.asarray(pre, dtype=float), np.asarray(post, dtype=float)
        moving = np.asarray(moving, dtype=bool)
        rows = np.flatnonzero(moving)  # the moving joints' places on the chain
        n = len(rows)
        # acc before each moving joint k (and after the last, for the tool): the base or the post of the
        # moving joint before it, times the pre of each fixed joint in between, in order.
        acc = np.empty((n + 1, 4, 4))
        acc[0] = T_world_base
        acc[1:] = post[rows]
        segment = np.cumsum(moving)  # the acc slot a fixed joint multiplies into
        fixed = np.flatnonzero(~moving)
        if len(fixed):
            rank = fixed - np.concatenate(([-1], rows))[segment[fixed]] - 1  # place within its run of fixed joints
            for r in range(int(rank.max()) + 1):
                at = fixed[rank == r]
                acc[segment[at]] = acc[segment[at]] @ pre[at]
        C = np.empty((n + 1, 4, 4))
        C[:n] = acc[:n] @ pre[rows]
        C[n] = acc[n] @ T_last_tool
        variable = np.where(moving, np.cumsum(moving) - 1, -1)
        # Rz(q) = cos q · diag(1, 1, 0, 0) + sin q · (e_y e_xᵀ − e_x e_yᵀ) + diag(0, 0, 1, 1);
        # Tz(q) = I + q · e_z e_wᵀ (the translation entry (2, 3)).
        P_cos = np.diag([1.0, 1.0, 0.0, 0.0])
        P_sin = np.zeros((4, 4))
        P_sin[1, 0], P_sin[0, 1] = 1.0, -1.0
        P_one = np.diag([0.0, 0.0, 1.0, 1.0])
        E_z = np.zeros((4, 4))
        E_z[2, 3] = 1.0
        # K = front @ P @ C[i + 1], front = C[0] for the first joint and I after it (I @ P is P exactly).
        C_next = C[1:]
        is_rev = np.asarray(revolute, dtype=bool)[:, None, None]

        def times(P: np.ndarray) -> np.ndarray:
            out = P @ C_next
            if n:
                out[0] = (C[0] @ P) @ C_next[0]
            return out

        K_cos = np.where(is_rev, times(P_cos), 0.0)
        K_sin = np.where(is_rev, times(P_sin), times(E_z))
        K_one = np.where(is_rev, times(P_one), times(np.eye(4)))
        return cls(
            C=_frozen(C),
            revolute=_frozen_bool(revolute),
            all_revolute=bool(np.all(revolute)),
            K_cos=_frozen(K_cos),
            K_sin=_frozen(K_sin),
            K_one=_frozen(K_one),
            pre=_frozen(pre),
            post=_frozen(post),
            variable=_frozen_int(variable),
            T_world_base=_frozen(T_world_base),
            T_last_tool=_frozen(T_last_tool),
        )


def _check_reach_is_finite(robot: Robot, frames: JointFrames, sampled: bool = True) -> None:
    """Every pose over the sampled joint range is finite: the offsets and strokes add up to a finite length.

    ``‖p‖`` of any frame is at most the sum of the lengths of the constant offsets before it plus the
    strokes of the prismatic joints before it, so a finite sum bounds every pose (``dh: {a: 1e308}`` twice
    does not). A joint's stroke is the larger end of its :attr:`Robot.sampling_bounds` (an unlimited
    prismatic joint is sampled over ``±L``); a mimic joint's, the larger of its finite limits. With
    ``sampled=False`` (before the robot is compiled, so that the compiled constants are finite) every stroke
    is the larger of the finite limits.

    Raises:
        RobotFormatError: the sum overflows; ``joint`` names the joint where it does, ``key_path`` ``"joints"``.
    """

    def length(T: np.ndarray) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return float(math.hypot(*T[:3, 3]))

    with np.errstate(over="ignore"):  # an L that overflows is an infinite stroke: refused below
        strokes = dict(zip(robot.joint_names, np.abs(robot.sampling_bounds).max(axis=-1))) if sampled else {}
    total = length(robot.base.matrix)
    offsets = [
        math.hypot(*before) + math.hypot(*after)
        for before, after in zip(frames.T_before[:, :3, 3].tolist(), frames.T_after[:, :3, 3].tolist())
    ]
    for joint, offset in zip(robot.joints, offsets):
        total += offset
        if joint.type == "prismatic":
            finite_limits = (abs(v) for v in joint.limits if math.isfinite(v))
            total += float(strokes[joint.name]) if joint.name in strokes else max(finite_limits, default=0.0)
        if not math.isfinite(total):
            raise _rule_error(
                f"the link offsets up to joint {joint.name!r} add up to more than the largest float [m] "
                "(prismatic strokes included): its "
                "poses would not be finite (check the units and the dh/origin numbers)",
                "joints",
                joint.name,
                where=f"<robot {robot.name!r}>",
            )
    total += length(robot.tool.matrix)
    if not math.isfinite(total):
        raise _rule_error(
            "the link offsets and the tool offset add up to more than the largest float [m]",
            "tool",
            where=f"<robot {robot.name!r}>",
        )


@dataclass(frozen=True, eq=False)
class Tree:
    """The frame tree compiled for the tree kernels (:func:`robokin.kinematics.fk_all`).

    Frame ``f`` is ``F[f] = F[parent[f]] @ pre[f] @ Mz(q_f) @ post[f]`` (``Mz`` rotates about or translates
    along z, identity for a fixed frame) with ``q_f = multiplier[f] · q[variable[f]] + offset[f]``; the root
    frame is ``pre[0]`` = the base pose. Frames are numbered root, joint frames in the order of
    ``robot.joints``, then named fixed frames; ``order`` lists them parents first.

    Attributes:
        names: ``(F,)`` frame names.
        parent: ``(F,)`` int, the parent frame of each frame, -1 for the root.
        order: ``(F - 1,)`` int, every frame but the root, each after its parent.
        pre, post: ``(F, 4, 4)``.
        variable: ``(F,)`` int, index into q driving the frame, -1 for fixed frames and the root.
        multiplier, offset: ``(F,)`` the mimic coupling of each frame (1 and 0 unless mimic).
        revolute: ``(F,)`` bool, True where the driving joint is revolute.
        elements: ``(F,)`` the :class:`Joint` or :class:`Frame` creating each frame (None for the root).
    """

    names: tuple[str, ...]
    parent: np.ndarray
    order: np.ndarray
    pre: np.ndarray
    post: np.ndarray
    variable: np.ndarray
    multiplier: np.ndarray
    offset: np.ndarray
    revolute: np.ndarray
    elements: tuple

    @cached_property
    def index(self) -> dict[str, int]:
        """Frame name → frame number."""
        return {name: i for i, name in enumerate(self.names)}

    @cached_property
    def named_frame(self) -> np.ndarray:
        """``(F,)`` bool, True for a frame made by a named :class:`Frame` (not a joint, not the root)."""
        return np.array([isinstance(e, Frame) for e in self.elements], dtype=bool)

    @cached_property
    def leaves(self) -> tuple[str, ...]:
        """Frames without children (the end effectors), in frame order."""
        has_child = np.zeros(len(self.names), dtype=bool)
        has_child[self.parent[self.parent >= 0]] = True
        return tuple(name for name, c in zip(self.names, has_child) if not c)


@dataclass(frozen=True, eq=False)
class LinkPath:
    """The root → link path of a tree, compiled as a serial :class:`Chain` over the path's moving joints.

    The chain's joint values are ``q_path = q[..., index] * multiplier + offset`` (mimic joints read their
    leader's coordinate); its Jacobian columns fold into the robot's by ``J = J_path @ fold``.

    Attributes:
        link: The frame at the end of the path.
        chain: The compiled chain, or None when no moving joint lies on the path.
        T_world_link: ``(4, 4)`` the constant pose when ``chain`` is None, else None.
        index: ``(p,)`` int, the coordinate of q each path joint reads.
        multiplier, offset: ``(p,)``.
        coordinates: n, the number of coordinates of the robot's q.
        identity: True when ``q_path`` is q itself (every coordinate in order, no mimic).
    """

    link: str
    chain: Chain | None
    T_world_link: np.ndarray | None
    index: np.ndarray
    multiplier: np.ndarray
    offset: np.ndarray
    coordinates: int
    identity: bool

    @cached_property
    def fold(self) -> np.ndarray:
        """``(p, n)``, ``fold[k, index[k]] = multiplier[k]`` (read-only; formed on first use: an identity path
        never needs it, and for a 10 000-joint chain it would be 800 MB)."""
        fold = np.zeros((len(self.index), self.coordinates))
        np.add.at(fold, (np.arange(len(self.index)), self.index), self.multiplier)
        fold.setflags(write=False)
        return fold

    @property
    def constant_pose(self) -> np.ndarray:
        """``T_world_link`` ``(4, 4)`` of a path without a moving joint (ValueError otherwise)."""
        if self.T_world_link is None:
            raise ValueError(f"the path to {self.link!r} has moving joints: its pose depends on q")
        return self.T_world_link

    def q_path(self, q: Any) -> Any:
        """``q_path`` ``(N, p)`` for ``q`` ``(N, n)`` (plain NumPy ops, so AD values pass through)."""
        if self.identity:
            return q
        return q[:, self.index] * self.multiplier + self.offset


def first_cycle(parent_of: Mapping[str, str]) -> list[str] | None:
    """The first cycle of a parent map (frame → its parent frame), or None when every frame reaches a root.

    The frames are walked up from each key in the map's order; the first walk that comes back to a frame it
    passed returns the cycle from that frame on (in walking order, child to parent). Linear in the number of
    frames: a walk stops at a frame an earlier walk already followed to a root, so each frame is passed once
    (the loaders run it on documents of MAX_JOINTS joints; a walk per frame testing membership in a list was
    cubic).
    """
    reaches_root: set[str] = set()
    for start in parent_of:
        on_path: dict[str, int] = {}  # frame → its index in the walk from start
        walk: list[str] = []
        name = start
        while name in parent_of and name not in reaches_root:
            if name in on_path:
                return walk[on_path[name] :]
            on_path[name] = len(walk)
            walk.append(name)
            name = parent_of[name]
        reaches_root.update(walk)
    return None


def _tree_error(robot_name: str, reason: str) -> RobotFormatError:
    return RobotFormatError(reason, path=f"<robot {robot_name!r}>")


def _compile_tree(robot: Robot, frames_of_joints: JointFrames) -> Tree:
    """Check the frame tree of ``robot`` (names, parents, cycles, mimic leaders) and compile it."""
    name = robot.name
    elements: list = [None]
    names = [robot.root]
    serial = robot.serial
    for joint in robot.joints:
        elements.append(joint)
        names.append(joint.frame)
    frames = list(robot.frames)
    if serial:  # a format-1 chain: the tool is a frame on the last joint
        tool = "tool"
        while tool in names:
            tool += "_frame"
        frames = [Frame(tool, robot.joints[-1].frame, robot.tool)]
    elif not robot.tool.is_identity:
        raise _tree_error(name, "tool: applies to serial chains; a tree names its tool frames in frames:")
    for frame in frames:
        elements.append(frame)
        names.append(frame.name)
    seen: dict[str, int] = {}
    for i, frame_name in enumerate(names):
        if frame_name in seen:
            clash = ""
            if seen[frame_name] == 0 and isinstance(elements[i], Joint):
                clash = f": joint {elements[i].name!r} is named as the root frame (the base); rename the joint"
            raise _tree_error(name, f"frame name {frame_name!r} is used twice (frame names must be unique){clash}")
        seen[frame_name] = i
    F = len(names)
    parent = np.full(F, -1, dtype=int)
    previous = robot.root
    for i, element in enumerate(elements[1:], start=1):
        wanted = getattr(element, "parent", None)
        if isinstance(element, Joint) and wanted is None:
            wanted = previous
        if isinstance(element, Joint):
            previous = element.frame
        if wanted not in seen:
            raise _tree_error(
                name,
                f"{type(element).__name__.lower()} {element.name!r} names parent frame {wanted!r}, which "
                f"does not exist (frames: {', '.join(map(repr, names[:20]))})",
            )
        parent[i] = seen[wanted]
    # Topological order by depth-first search from the root; frames not reached hang in a cycle.
    children: list[list[int]] = [[] for _ in range(F)]
    for i in range(1, F):
        children[parent[i]].append(i)
    order, todo = [], list(reversed(children[0]))
    while todo:
        i = todo.pop()
        order.append(i)
        todo.extend(reversed(children[i]))
    if len(order) != F - 1:
        lost = sorted(set(range(1, F)) - set(order))
        raise _tree_error(name, f"frames {', '.join(repr(names[i]) for i in lost)} form a cycle of parents")
    # Mimic couplings: the leader is a moving joint of q, not itself a mimic joint.
    by_name = {j.name: j for j in robot.joints}
    coordinate = {j.name: k for k, j in enumerate(robot.moving_joints)}
    variable = np.full(F, -1, dtype=int)
    multiplier, offset = np.ones(F), np.zeros(F)
    revolute = np.zeros(F, dtype=bool)
    pre = np.empty((F, 4, 4))
    post = np.empty((F, 4, 4))
    pre[0], post[0] = robot.base.matrix, np.eye(4)
    for i, element in enumerate(elements[1:], start=1):
        if isinstance(element, Frame):
            pre[i], post[i] = element.origin.matrix, np.eye(4)
            continue
        joint = element
        if joint.mimic is not None:
            leader = by_name.get(joint.mimic.joint)
            if not joint.moving:
                raise _tree_error(name, f"joint {joint.name!r} is fixed and cannot mimic a joint")
            if leader is None or not leader.moving or leader.mimic is not None:
                what = (
                    "does not exist"
                    if leader is None
                    else "is fixed"
                    if not leader.moving
                    else "is itself a mimic joint (mimic chains are not supported)"
                )
                raise _tree_error(name, f"joint {joint.name!r} mimics joint {joint.mimic.joint!r}, which {what}")
            if not (math.isfinite(joint.mimic.multiplier) and math.isfinite(joint.mimic.offset)):
                raise _tree_error(name, f"joint {joint.name!r}: mimic multiplier and offset must be finite")
            variable[i] = coordinate[leader.name]
            multiplier[i], offset[i] = joint.mimic.multiplier, joint.mimic.offset
        elif joint.moving:
            variable[i] = coordinate[joint.name]
        pre[i], post[i] = frames_of_joints.pre[i - 1], frames_of_joints.post[i - 1]  # frame i is joint i - 1
        revolute[i] = joint.type == "revolute"
    return Tree(
        names=tuple(names),
        parent=_frozen_int(parent),
        order=_frozen_int(order),
        pre=_frozen(pre),
        post=_frozen(post),
        variable=_frozen_int(variable),
        multiplier=_frozen(multiplier),
        offset=_frozen(offset),
        revolute=_frozen_bool(revolute),
        elements=tuple(elements),
    )


def _compile_path(robot: Robot, tree: Tree, link: str) -> LinkPath:
    """The :class:`LinkPath` of frame ``link`` (a name of ``tree``)."""
    i = tree.index[link]
    parent = tree.parent.tolist()
    steps = []
    while i > 0:
        steps.append(i)
        i = parent[i]
    path = np.array(steps[::-1], dtype=int)
    tool = Origin()
    if len(path) and isinstance(tree.elements[path[-1]], Frame):
        tool = tree.elements[path[-1]].origin
        path = path[:-1]
    moving = path[tree.variable[path] >= 0]
    index = tree.variable[moving]
    multiplier, offset = tree.multiplier[moving], tree.offset[moving]
    identity = (
        len(moving) == robot.n
        and bool(np.all(index == np.arange(robot.n)))
        and bool(np.all(multiplier == 1.0))
        and bool(np.all(offset == 0.0))
    )
    if len(moving):
        # The tree's pre/post of each frame on the path are the chain's (a named frame on the way is a fixed
        # joint of its origin: pre = T_before @ T_after = origin @ I, as Chain.compile would have it).
        frame_on_path = tree.named_frame[path]
        pre = np.array(tree.pre[path])
        pre[frame_on_path] = pre[frame_on_path] @ np.eye(4)
        chain = Chain.from_frames(
            pre,
            tree.post[path],
            tree.variable[path] >= 0,
            tree.revolute[moving],
            robot.base.matrix,
            tool.matrix,
        )
        T_const = None
    else:
        T_const = robot.base.matrix
        for f in path:
            e = tree.elements[f]
            joint = e if isinstance(e, Joint) else Joint(name=e.name, type="fixed", form="origin", origin=e.origin)
            T_const = T_const @ joint.matrix()
        chain, T_const = None, _frozen(T_const @ tool.matrix)
    return LinkPath(
        link=link,
        chain=chain,
        T_world_link=T_const,
        index=_frozen_int(index),
        multiplier=_frozen(multiplier),
        offset=_frozen(offset),
        coordinates=robot.n,
        identity=identity,
    )


class Configurations(dict):
    """A robot's named configurations, name → ``(n,)`` read-only array [rad, m]: a read-only ``dict`` whose
    ``KeyError`` for a missing name lists the names there are (``panda.configurations["ready"]``: the Panda has
    ``home`` and ``reach``). Assigning, deleting or updating a name raises ``TypeError``, as a
    ``MappingProxyType`` does; ``dict(robot.configurations)`` is a mutable copy."""

    def __init__(self, items: Mapping[str, np.ndarray], robot: str = "") -> None:
        super().__init__(items)
        self.robot = robot

    def __missing__(self, key: object) -> np.ndarray:
        names = ", ".join(map(repr, self)) or "none"
        raise KeyError(f"robot {self.robot!r} has no configuration {key!r} (its configurations: {names})")

    def __reduce__(self) -> tuple[Any, ...]:  # pickle and copy rebuild it whole (item assignment is refused)
        return (Configurations, (dict(self), self.robot))

    def _read_only(self, *_args: Any, **_kwargs: Any) -> NoReturn:
        raise TypeError(
            f"the configurations of robot {self.robot!r} are read-only (a Robot is immutable); for a robot with "
            "other ones: dataclasses.replace(robot, configurations={**robot.configurations, 'name': q}), or "
            "dict(robot.configurations) for a mutable copy"
        )

    __setitem__ = __delitem__ = __ior__ = _read_only
    update = pop = popitem = setdefault = clear = _read_only


def _frozen_int(a: npt.ArrayLike) -> np.ndarray:
    out = np.array(a, dtype=int)
    out.setflags(write=False)
    return out


def _frozen_bool(a: npt.ArrayLike) -> np.ndarray:
    out = np.array(a, dtype=bool)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class Robot:
    """A serial robot arm: joints from base to tool, validated and compiled once.

    Build one with :func:`robokin.load` / :func:`robokin.loads` (or the constructor, with validated joints).
    All lengths are in metres and angles in radians.

    Attributes:
        name: The robot's name.
        joints: Every joint from base to tip, fixed ones included.
        base: Pose of the chain's first frame in the world.
        tool: Pose of the tool in the last joint's frame.
        configurations: Named joint vectors, name → ``(n,)`` array (read-only).
        description: Free text.
        source: Where the numbers come from.
    """

    name: str
    joints: tuple[Joint, ...]
    base: Origin = field(default_factory=Origin)
    tool: Origin = field(default_factory=Origin)
    configurations: Mapping[str, np.ndarray] = field(default_factory=dict)
    description: str = ""
    source: str = ""
    frames: tuple[Frame, ...] = ()
    root: str = "base"
    chain: Chain | None = field(init=False, repr=False)
    tree: Tree = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "joints", tuple(self.joints))
        where = f"<robot {self.name!r}>"
        for key in ("base", "tool"):
            if not isinstance(getattr(self, key), Origin):
                raise _rule_error(f"{key} must be an Origin, got {type(getattr(self, key)).__name__}", key, where=where)
        if not all(isinstance(j, Joint) for j in self.joints):
            raise _rule_error("joints must be Joint objects", "joints", where=where)
        names = [j.name for j in self.joints]
        if len(set(names)) != len(names):
            raise RobotFormatError(f"duplicate joint names in {names}", path=f"<robot {self.name!r}>")
        if not any(j.moving for j in self.joints):
            raise RobotFormatError("needs at least one moving joint", path=f"<robot {self.name!r}>")
        configs = {}
        for key, value in dict(self.configurations).items():
            arr = _frozen(
                validation.require_finite(
                    validation.real_array(value, f"configuration {key!r}", f"({self.n},)"), f"configuration {key!r}"
                )
            )
            if arr.shape != (self.n,):
                raise ShapeError(f"configuration {key!r} has shape {arr.shape}, expected ({self.n},)")
            configs[key] = arr
        object.__setattr__(self, "configurations", Configurations(configs, self.name))
        joint_frames = JointFrames.of(self.joints)  # every joint's constants, computed once
        _check_reach_is_finite(self, joint_frames, sampled=False)
        object.__setattr__(self, "frames", tuple(self.frames))
        object.__setattr__(self, "tree", _compile_tree(self, joint_frames))
        object.__setattr__(self, "_paths", {})
        chain: Chain | None = None
        if self.serial and not any(j.mimic is not None for j in self.joints):
            # the chain of every joint and the tool: the path to the tool frame (the tree's last frame)
            chain = self.link_path(self.tree.names[-1]).chain
        elif self.default_link is not None:
            path = self.link_path(self.default_link)
            chain = path.chain if path.identity else None
        object.__setattr__(self, "chain", chain)
        _check_reach_is_finite(self, joint_frames)  # again with the sampled strokes: they need the chain (L)

    # ----------------------------------------------------------------- description
    @cached_property
    def moving_joints(self) -> tuple[Joint, ...]:
        """The revolute and prismatic joints that are coordinates of q (mimic joints excluded), in order."""
        return tuple(j for j in self.joints if j.moving and j.mimic is None)

    # ----------------------------------------------------------------- the frame tree
    @property
    def serial(self) -> bool:
        """True for a format-1 serial chain: no joint names a parent frame and no named frames."""
        return not self.frames and all(j.parent is None for j in self.joints)

    @property
    def frame_names(self) -> tuple[str, ...]:
        """Every frame: the root, each joint's frame (in the order of ``joints``), the named fixed frames
        (a serial chain's tool frame is ``"tool"``)."""
        return self.tree.names

    @property
    def end_effectors(self) -> tuple[str, ...]:
        """The leaf frames (no frame hangs from them), in frame order."""
        return self.tree.leaves

    @cached_property
    def default_link(self) -> str | None:
        """The frame ``link=None`` means: a serial chain's tool frame (``"tool"``, or ``"tool_frame"`` when a
        joint is named ``"tool"``), else the frame named ``"tool"``, else the only leaf, else None."""
        if self.serial:
            return self.tree.names[-1]  # the tool frame comes last (not a joint's frame named "tool")
        if "tool" in self.tree.index:
            return "tool"
        leaves = self.tree.leaves
        return leaves[0] if len(leaves) == 1 else None

    @property
    def serial_chain(self) -> Chain:
        """``chain`` for the algorithms that drive one serial chain (analytic solvers, singularity search).

        Raises:
            OptionError: the robot is a tree whose q does not drive one chain to its default link.
        """
        if self.chain is None:
            raise OptionError(
                f"robot {self.name!r} is a tree (end effectors {', '.join(map(repr, self.end_effectors))}) whose q "
                "does not drive one serial chain; this algorithm needs one (use the link= functions, or extract "
                "a chain with load_urdf(..., base=, tip=))"
            )
        return self.chain

    def resolve_link(self, link: str | None) -> str:
        """``link``, or the default link when None; an OptionError naming the frames otherwise."""
        if link is None:
            if self.default_link is None:
                raise OptionError(
                    f"robot {self.name!r} has {len(self.end_effectors)} end effectors; pass link= one of "
                    f"{', '.join(map(repr, self.end_effectors))} (or any frame of robot.frame_names)"
                )
            return self.default_link
        if not isinstance(link, str) or link not in self.tree.index:
            names = self.tree.names
            shown = ", ".join(map(repr, names[:30])) + (f", ... ({len(names)} in all)" if len(names) > 30 else "")
            raise OptionError(f"link must be a frame of robot {self.name!r} ({shown}); got {link!r}")
        return link

    def resolve_links(self, link: str | Sequence[str] | None, distinct: bool = False) -> tuple[str, ...]:
        """The frame names of ``link``: ``(name,)`` for one frame or None (:meth:`resolve_link`), else the names of
        an ordered list (a sequence or a 1-D array) of frames, in order.

        Raises:
            OptionError: ``link`` is neither a frame name nor an ordered list of them (a set, a 0-d array, a
                number), an empty list, a list holding None or an unknown frame (the message lists the robot's
                frames), or, when ``distinct``, a frame named twice.
        """
        if link is None or isinstance(link, str):
            return (self.resolve_link(link),)
        if not isinstance(link, (Sequence, np.ndarray)) or np.ndim(link) != 1:
            raise OptionError(f"link must be a frame name or a list of frame names; got {type(link).__name__} {link!r}")
        names = list(link)
        if not names:
            raise OptionError("link must name at least one frame; got an empty list")
        out: list[str] = []
        for name in names:
            if name is None:  # None means the default link only on its own
                raise OptionError(f"link lists None in {names!r}: name every frame of a list (see robot.frame_names)")
            out.append(self.resolve_link(str(name) if isinstance(name, np.str_) else name))
            if distinct and out.count(out[-1]) > 1:
                raise OptionError(f"link names frame {name!r} twice in {names!r}; a stacked task needs distinct frames")
        return tuple(out)

    def link_path(self, link: str | None = None) -> LinkPath:
        """The compiled root → ``link`` path (cached); ``link=None`` is the default link."""
        link = self.resolve_link(link)
        paths = self._paths  # type: ignore[attr-defined]
        path = paths.get(link)
        if path is None:
            path = paths[link] = _compile_path(self, self.tree, link)
        return path

    @cached_property
    def n(self) -> int:
        """Number of joint variables (moving joints)."""
        return len(self.moving_joints)

    @cached_property
    def joint_names(self) -> tuple[str, ...]:
        """Names of the moving joints, in the order of q."""
        return tuple(j.name for j in self.moving_joints)

    @cached_property
    def joint_types(self) -> tuple[str, ...]:
        """``"revolute"`` or ``"prismatic"`` for each moving joint."""
        return tuple(j.type for j in self.moving_joints)

    @cached_property
    def limits(self) -> np.ndarray:
        """Joint limits ``(n, 2)`` [rad or m], ``±inf`` where unlimited (read-only)."""
        return _frozen([j.limits for j in self.moving_joints])

    @cached_property
    def velocity_limits(self) -> np.ndarray:
        """Speed limits ``(n,)`` [rad/s or m/s], ``inf`` where none is given (read-only)."""
        return _frozen([np.inf if j.velocity is None else j.velocity for j in self.moving_joints])

    def __repr__(self) -> str:
        kinds = "".join("R" if t == "revolute" else "P" for t in self.joint_types)
        return f"Robot(name={self.name!r}, n={self.n}, joints={kinds})"

    # ----------------------------------------------------------------- robot-level facts
    @cached_property
    def characteristic_length(self) -> float:
        """The robot's characteristic length ``L`` [m], used to make translation and rotation comparable.

        ``L`` is the sum of the lengths of the fixed offsets from the first joint's axis frame to the tool
        (``‖translation of C[i]‖`` for the compiled constants ``C[1..n]``), plus the largest finite travel of
        every prismatic joint: an upper bound of the arm's reach, which scales with the arm. The base
        offset is not counted. An arm with no length at all (every axis through one point) gets ``L = 1 m``.

        A tree whose q does not drive one chain (``chain`` is None) takes the longest such sum over its
        root-to-frame paths: the offsets ``pre``/``post`` of every frame on the path (the base excluded) and
        the travel of each prismatic joint on it (mimic joints included).
        """
        if self.chain is None:
            tree = self.tree
            L_path = np.zeros(len(tree.names))
            for f in tree.order:
                element = tree.elements[f]
                travel = 0.0
                if getattr(element, "type", None) == "prismatic":
                    travel = max((abs(v) for v in element.limits if np.isfinite(v)), default=0.0)
                L_path[f] = (
                    L_path[tree.parent[f]]
                    + math.hypot(*tree.pre[f][:3, 3])  # hypot: no overflow in the squares of 1e300
                    + math.hypot(*tree.post[f][:3, 3])
                    + travel
                )
            L = float(L_path.max())
            return L if L > 0.0 else 1.0
        C = self.chain.C
        L = float(np.hypot.reduce(C[1:, :3, 3], axis=-1).sum())  # hypot: no overflow in the squares
        for joint in self.moving_joints:
            if joint.type == "prismatic":
                strokes = [abs(v) for v in joint.limits if np.isfinite(v)]
                L += max(strokes, default=0.0)
        return L if L > 0.0 else 1.0

    @cached_property
    def bounded_kinematics(self) -> bool:
        """True when the poses, Jacobians and Hessians of every finite ``q`` are finite without a check.

        A revolute joint's ``q`` only turns (cos, sin): with no prismatic joint (mimic ones included) every
        pose stays within the base offset plus the sum of the constant offsets, and every Jacobian or Hessian
        entry within twice that, so lengths far below the largest float (``< 1e300`` m) cannot overflow.
        Robots with a prismatic joint can be pushed out of range by a huge ``q`` and need the overflow check
        (:func:`robokin.validation.finite_result`) on their results.
        """
        if any(j.type == "prismatic" for j in self.joints):
            return False
        reach = self.characteristic_length + float(math.hypot(*self.base.xyz))
        return reach < 1e300

    @cached_property
    def sampling_bounds(self) -> np.ndarray:
        """Finite bounds ``(n, 2)`` [rad or m] to sample each joint from (read-only).

        The joint limits where finite; an unlimited revolute side gets ``∓π`` and an unlimited prismatic side
        ``∓L`` (:attr:`characteristic_length`), or one such span beyond a finite other side that lies past it
        (limits ``[4, inf)`` rad sample ``[4, 4 + π]``), and no further than the largest float.
        """
        span = np.where(np.array(self.joint_types) == "revolute", np.pi, self.characteristic_length)
        lim = self.limits
        big = np.finfo(float).max
        with np.errstate(over="ignore"):
            lo = np.where(np.isfinite(lim[:, 0]), lim[:, 0], np.maximum(np.minimum(-span, lim[:, 1] - span), -big))
            hi = np.where(np.isfinite(lim[:, 1]), lim[:, 1], np.minimum(np.maximum(span, lim[:, 0] + span), big))
        return _frozen(np.stack([lo, hi], axis=-1))

    def within_limits(self, q: npt.ArrayLike) -> np.ndarray:
        """Whether every joint value of ``q`` is within its limits (bounds included), like RTB's ``islimit`` negated.

        Args:
            q: ``(..., n)`` joint values [rad, m].

        Returns:
            ``(...)`` bool.

        Raises:
            ShapeError: ``q`` is not ``(..., n)`` real and finite.
        """
        q = validation.joint_vector(self, q)
        return np.all((q >= self.limits[:, 0]) & (q <= self.limits[:, 1]), axis=-1)

    def with_tool(self, T_flange_tool: npt.ArrayLike) -> Robot:
        """A new Robot whose tool frame is ``T_flange_tool`` ``(4, 4)`` [m] after today's tool frame (the flange).

        Raises:
            ShapeError: not one ``(4, 4)`` matrix. ConventionError: not a rigid transform. OptionError: the
            robot is a tree (its tool frames are named ``frames``: choose one with ``link=``).
        """
        T = _single_transform(T_flange_tool, "T_flange_tool")
        if not self.serial:
            raise OptionError(
                f"with_tool adds a tool to a serial chain's flange; robot {self.name!r} is a tree whose tool frames "
                f"are named frames (end effectors: {', '.join(map(repr, self.end_effectors))}): add a frame to its "
                "file's frames: (format 2) and choose it with link=, or compose: robot.fk(q, link=...) @ T_flange_tool"
            )
        return replace(self, tool=_origin_of(self.tool.matrix @ T))

    def with_base(self, T_world_base: npt.ArrayLike) -> Robot:
        """A new Robot mounted at ``T_world_base`` ``(4, 4)`` [m]: the pose of its base frame in the world.

        Replaces the robot's base pose (``robot.base``); compose first (``T_new @ robot.base.matrix``) to move
        an already mounted robot.

        Raises:
            ShapeError: not one ``(4, 4)`` matrix. ConventionError: not a rigid transform.
        """
        return replace(self, base=_origin_of(_single_transform(T_world_base, "T_world_base")))

    def scaled(self, factor: float) -> Robot:
        """The same robot with every length multiplied by ``factor`` > 0 (geometry, named frames, base, tool,
        prismatic limits and speeds, prismatic values of the named configurations and of mimic couplings);
        angles unchanged. A tree keeps its parents, frame names and mimic joints.

        ``fk(scaled(s), q_s)`` has the translation of ``fk(robot, q)`` times ``s`` and the same rotation, where
        ``q_s`` is ``q`` with its prismatic values times ``s``.
        """
        if not (isinstance(factor, (int, float, np.integer, np.floating)) and np.isfinite(factor) and factor > 0):
            raise ShapeError(f"factor must be a finite number > 0, got {factor!r}")
        s = float(factor)

        def origin(o: Origin) -> Origin:
            x, y, z = o.xyz
            return Origin((s * x, s * y, s * z), o.rpy)

        # A prismatic value scales with the lengths: the coupling q_f = m q_l + o of a mimic joint becomes
        # q_f' = (m c_f / c_l) q_l' + c_f o, with c = s for a prismatic joint and 1 for a revolute one.
        unit = {j.name: s if j.type == "prismatic" else 1.0 for j in self.joints}
        joints = []
        for j in self.joints:  # parents, child names and mimic couplings kept (a tree stays the same tree)
            prismatic = j.type == "prismatic"
            mimic = j.mimic
            if mimic is not None:
                c_f, c_l = unit[j.name], unit.get(mimic.joint, 1.0)
                mimic = Mimic(mimic.joint, mimic.multiplier * c_f / c_l, mimic.offset * c_f)
            joints.append(
                replace(
                    j,
                    dh=None if j.dh is None else (s * j.dh[0], j.dh[1], s * j.dh[2], j.dh[3]),
                    origin=None if j.origin is None else origin(j.origin),
                    limits=(s * j.limits[0], s * j.limits[1]) if prismatic else j.limits,
                    velocity=s * j.velocity if prismatic and j.velocity is not None else j.velocity,
                    mimic=mimic,
                )
            )
        col = np.where(np.array(self.joint_types) == "prismatic", s, 1.0)
        return replace(
            self,
            joints=tuple(joints),
            frames=tuple(replace(f, origin=origin(f.origin)) for f in self.frames),
            base=origin(self.base),
            tool=origin(self.tool),
            configurations={k: v * col for k, v in self.configurations.items()},
        )

    # ----------------------------------------------------------------- conveniences
    def fk(self, q: npt.ArrayLike, link: str | Sequence[str] | None = None) -> np.ndarray:
        """Forward kinematics: the pose of a frame (default: the tool) in the world; :func:`robokin.kinematics.fk`.

        Args:
            q: ``(..., n)`` joint values [rad, m], any leading batch axes.
            link: A frame name (``robot.frame_names``), a list of k names, or None: the robot's one end
                effector (``robot.default_link``).

        Returns:
            ``T_world_link`` ``(..., 4, 4)`` [m], or ``(..., k, 4, 4)`` for a list of k frames.
        """
        return _layer_above("kinematics").fk(self, q, link)

    def fk_all(self, q: npt.ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
        """Every frame ``(..., F, 4, 4)`` of ``frame_names`` (into ``out`` when given). See
        :func:`robokin.kinematics.fk_all`."""
        return _layer_above("kinematics").fk_all(self, q, out=out)

    def fk_frames(self, q: npt.ArrayLike) -> np.ndarray:
        """Every frame ``(..., m, 4, 4)``. See :func:`robokin.kinematics.fk_frames`."""
        return _layer_above("kinematics").fk_frames(self, q)

    def jacobian(
        self, q: npt.ArrayLike, frame: Expressed = "world", method: JacobianMethod = "analytic", link: str | None = None
    ) -> np.ndarray:
        """Geometric Jacobian, ``[v; ω] = J q̇``; :func:`robokin.kinematics.jacobian`.

        Args:
            q: ``(..., n)`` joint values [rad, m].
            frame: ``"world"`` (default) or ``"tool"`` / ``"local"``: the frame the twist is expressed in.
            method: ``"analytic"`` (closed form), ``"forward"`` / ``"reverse"`` (automatic differentiation of
                ``fk``) or ``"numeric"`` (central differences); all agree to about 1e-12.
            link: The frame whose twist is meant (default: the robot's one end effector).

        Returns:
            ``(..., 6, n)``: rows ``[v; ω]``, the link origin's linear velocity [m/s] then the angular
            velocity [rad/s], per unit joint rate; one column per coordinate of q.
        """
        return _layer_above("kinematics").jacobian(self, q, frame=frame, method=method, link=link)

    def hessian(
        self, q: npt.ArrayLike, frame: Expressed = "world", method: HessianMethod = "analytic", link: str | None = None
    ) -> np.ndarray:
        """Kinematic Hessian, the derivative of :meth:`jacobian`; :func:`robokin.kinematics.hessian`.

        Args:
            q: ``(..., n)`` joint values [rad, m].
            frame: ``"world"`` (default) or ``"tool"`` / ``"local"``, as in :meth:`jacobian`.
            method: ``"analytic"`` (default, closed form) or ``"forward"`` / ``"reverse"`` (automatic
                differentiation of the analytic Jacobian's code).
            link: The frame (default: the robot's one end effector).

        Returns:
            ``H`` ``(..., n, 6, n)`` with ``H[..., i, :, j] = ∂J[..., :, j]/∂q_i``.
        """
        return _layer_above("kinematics").hessian(self, q, frame=frame, method=method, link=link)

    def jacobian_dot(self, q: npt.ArrayLike, qd: npt.ArrayLike, frame: Expressed = "world") -> np.ndarray:
        """Time derivative ``(..., 6, n)`` of the Jacobian along ``qd``. See :func:`robokin.kinematics.jacobian_dot`."""
        return _layer_above("kinematics").jacobian_dot(self, q, qd, frame=frame)

    def manipulability_gradient(self, q: npt.ArrayLike, rows: str | Sequence[int] = "all") -> np.ndarray:
        """Gradient ``(..., n)`` of Yoshikawa manipulability by reverse-mode AD. See :mod:`robokin.kinematics`."""
        return _layer_above("kinematics").manipulability_gradient(self, q, rows=rows)

    def ik(
        self,
        T_target: npt.ArrayLike,
        q0: npt.ArrayLike | None = None,
        *,
        link: str | None = None,
        options: IKOptions | None = None,
        seed: int | np.random.Generator | None = None,
        method: str = "auto",
    ) -> IKResult:
        """Inverse kinematics: joint values that put a frame (default: the tool) at ``T_target``; the same call as
        :func:`robokin.ik.solve`, whose documentation says how the answer is chosen.

        Args:
            T_target: ``(4, 4)`` or a batch ``(..., 4, 4)`` of target poses ``T_world_link`` [m] (a position alone
                is not a pose: build one with ``robokin.spatial.transform(p=xyz)`` and a position-only
                ``IKOptions(weights=ik.POSITION_ONLY)``).
            q0: ``(n,)`` or ``(..., n)`` start [rad, m]; default: the middle of the joint ranges.
            link: The frame to place (default: the robot's one end effector).
            options: :class:`~robokin.ik.IKOptions` (tolerances, weights, restarts, ...).
            seed: Seed of the restarts (None: 0, so a call is reproducible).
            method: ``"auto"`` (closed form where the arm has one, else damped least squares), ``"analytic"``
                or ``"dls"``.

        Returns:
            :class:`~robokin.ik.IKResult` with the batch shape of ``T_target``: ``q``, ``success`` (checked by
            ``fk``), ``position_error`` [m], ``rotation_error`` [rad], ... Not converging is a result
            (``success=False``), not an exception.
        """
        return _layer_above("ik").solve(self, T_target, q0, link=link, options=options, seed=seed, method=method)


def check_robot(robot: object, name: str = "robot") -> Robot:
    """``robot`` if it is a :class:`Robot`; else an OptionError naming the argument and what came (a robot's
    name, say, which :func:`robokin.load` turns into one).

    Raises:
        OptionError: ``robot`` is not a Robot.
    """
    if isinstance(robot, Robot):
        return robot
    hint = f" (load it first: robokin.load({robot!r}))" if isinstance(robot, str) else ""
    raise OptionError(f"{name} must be a Robot, got {type(robot).__name__}{hint}")


def _single_transform(T: npt.ArrayLike, name: str) -> np.ndarray:
    arr = validation.transforms(T, name)
    if arr.shape != (4, 4):
        raise ShapeError(f"{name} must be one transform of shape (4, 4), got shape {arr.shape}")
    return arr


def _origin_of(T: np.ndarray) -> Origin:
    """The :class:`Origin` (xyz, fixed-axis rpy) of a rigid transform ``(4, 4)``."""
    x, y, z = (float(v) for v in T[:3, 3])
    roll, pitch, yaw = (float(v) for v in spatial.matrix_to_rpy(T[:3, :3]))
    return Origin(xyz=(x, y, z), rpy=(roll, pitch, yaw))
