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
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import ModuleType
from typing import TYPE_CHECKING, Literal, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from . import spatial, validation
from .errors import RobotFormatError, ShapeError

if TYPE_CHECKING:  # pragma: no cover
    from .ik import IKOptions, IKResult
    from .kinematics import Frame, HessianMethod, JacobianMethod

__all__ = ["AXIS_UNIT_TOL", "Chain", "GeometryForm", "Joint", "JointType", "Origin", "Robot", "unit_axis"]

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


def _reals(values, count: int, key: str, joint: str | None = None, where: str = "") -> tuple[float, ...]:
    """``count`` real numbers (not bool, not complex, not text) as floats, NaN allowed; a RobotFormatError otherwise."""
    try:
        items = list(np.asarray(values, dtype=object).ravel()) if not isinstance(values, (list, tuple)) else list(values)
    except (TypeError, ValueError):
        items = None
    if items is None or len(items) != count or not all(
        isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) for v in items
    ):
        raise _rule_error(f"{key} must be {count} real numbers, got {values!r}", key, joint, where)
    return tuple(float(v) for v in items)


def _finite(values: tuple[float, ...], key: str, joint: str | None = None, where: str = "") -> tuple[float, ...]:
    if not all(math.isfinite(v) for v in values):
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
    top = max(abs(v) for v in values)
    if top == 0.0:
        raise _rule_error("axis must not be zero (expected a direction such as [0, 0, 1])", "axis", joint)
    exponent = math.frexp(top)[1]
    scaled = [math.ldexp(v, -exponent) for v in values]  # exact: largest component in [0.5, 1)
    norm = math.hypot(*scaled)  # in [0.5, 0.87]: no overflow, no underflow
    if abs(math.ldexp(norm, exponent) - 1.0) <= AXIS_UNIT_TOL:
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

    @property
    def matrix(self) -> np.ndarray:
        """The transform ``(4, 4)``."""
        return spatial.transform(spatial.rpy_to_matrix(self.rpy), self.xyz)

    @property
    def is_identity(self) -> bool:
        return not any(self.xyz) and not any(self.rpy)


def _unit_word(joint_type: str) -> str:
    return "m" if joint_type == "prismatic" else "rad"


def _joint_limits(limits, joint_type: str, joint: str) -> tuple[float, float]:
    """``(lower, upper)``: not NaN, lower finite or -inf, upper finite or +inf, lower <= upper."""
    lo, hi = _reals(limits, 2, "limits", joint)
    unit = _unit_word(joint_type)
    if math.isnan(lo) or math.isnan(hi) or lo == math.inf or hi == -math.inf:
        raise _rule_error(
            f"limits must be [lower, upper] with each finite or open (lower -inf, upper +inf), got "
            f"[{_num(lo)}, {_num(hi)}]", "limits", joint,
        )
    if lo > hi:
        raise _rule_error(f"lower limit {_num(lo)} {unit} is above upper limit {_num(hi)} {unit}", "limits", joint)
    return (lo, hi)


def _speed(velocity, joint_type: str, joint: str) -> float | None:
    """A finite speed > 0, or None when unspecified (None or 0, which is how URDF writes "no limit")."""
    if velocity is None:
        return None
    (value,) = _reals((velocity,), 1, "velocity", joint)
    if value == 0.0:
        return None
    if not (math.isfinite(value) and value > 0.0):
        raise _rule_error(
            f"velocity must be a finite speed > 0 [{_unit_word(joint_type)}/s] (0 or None: unspecified), got "
            f"{_num(value)}", "velocity", joint,
        )
    return value


def _z_to_axis(axis: np.ndarray) -> np.ndarray:
    """A rotation ``Q`` (3, 3) with ``Q @ [0, 0, 1] == axis``; exact (a permutation) for coordinate axes."""
    helper = np.eye(3)[int(np.argmin(np.abs(axis)))]
    x = helper - (helper @ axis) * axis
    x = x / np.linalg.norm(x)
    y = np.cross(axis, x)
    return np.stack([x, y, axis], axis=-1)


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
    def compile(cls, joints: tuple[Joint, ...], base: Origin, tool: Origin) -> "Chain":
        pres, posts, variables = [], [], []
        C = []
        acc = base.matrix
        k = 0
        for joint in joints:
            if joint.moving:
                Q = spatial.transform(_z_to_axis(np.asarray(joint.axis, dtype=float)))
                pre = joint.T_before @ Q
                post = Q.T @ joint.T_after  # Q is a pure rotation: Q⁻¹ = Qᵀ
                C.append(acc @ pre)
                acc = post
                variables.append(k)
                k += 1
            else:
                pre = joint.T_before @ joint.T_after
                post = np.eye(4)
                acc = acc @ pre
                variables.append(-1)
            pres.append(pre)
            posts.append(post)
        T_last_tool = tool.matrix
        C.append(acc @ T_last_tool)
        revolute = np.array([j.type == "revolute" for j in joints if j.moving], dtype=bool)
        revolute.setflags(write=False)
        variable = np.array(variables, dtype=int)
        variable.setflags(write=False)
        # Rz(q) = cos q · diag(1, 1, 0, 0) + sin q · (e_y e_xᵀ − e_x e_yᵀ) + diag(0, 0, 1, 1);
        # Tz(q) = I + q · e_z e_wᵀ (the translation entry (2, 3)).
        P_cos = np.diag([1.0, 1.0, 0.0, 0.0])
        P_sin = np.zeros((4, 4))
        P_sin[1, 0], P_sin[0, 1] = 1.0, -1.0
        P_one = np.diag([0.0, 0.0, 1.0, 1.0])
        E_z = np.zeros((4, 4))
        E_z[2, 3] = 1.0
        K_cos, K_sin, K_one = [], [], []
        for i, (is_rev, C_next) in enumerate(zip(revolute, C[1:])):
            front = C[0] if i == 0 else np.eye(4)
            if is_rev:
                K_cos.append(front @ P_cos @ C_next)
                K_sin.append(front @ P_sin @ C_next)
                K_one.append(front @ P_one @ C_next)
            else:
                K_cos.append(np.zeros((4, 4)))
                K_sin.append(front @ E_z @ C_next)
                K_one.append(front @ C_next)
        return cls(
            C=_frozen(C),
            revolute=revolute,
            all_revolute=bool(revolute.all()),
            K_cos=_frozen(K_cos),
            K_sin=_frozen(K_sin),
            K_one=_frozen(K_one),
            pre=_frozen(pres),
            post=_frozen(posts),
            variable=variable,
            T_world_base=_frozen(base.matrix),
            T_last_tool=_frozen(T_last_tool),
        )


def _check_reach_is_finite(robot: "Robot") -> None:
    """Every pose over the joint range is finite: the offsets and finite strokes add up to a finite length.

    ``‖p‖`` of any frame is at most the sum of the lengths of the constant offsets before it plus the
    strokes of the prismatic joints before it, so a finite sum bounds every pose (``dh: {a: 1e308}`` twice
    does not). Unlimited prismatic joints are not counted (no finite bound exists).

    Raises:
        RobotFormatError: the sum overflows; ``joint`` names the joint where it does, ``key_path`` ``"joints"``.
    """
    def length(T: np.ndarray) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return float(math.hypot(*T[:3, 3]))

    total = length(robot.base.matrix)
    for joint in robot.joints:
        total += length(joint.T_before) + length(joint.T_after)
        if joint.type == "prismatic":
            total += max((abs(v) for v in joint.limits if math.isfinite(v)), default=0.0)
        if not math.isfinite(total):
            raise _rule_error(
                f"the link offsets up to joint {joint.name!r} add up to more than the largest float [m]: its "
                "poses would not be finite (check the units and the dh/origin numbers)",
                "joints", joint.name, where=f"<robot {robot.name!r}>",
            )
    total += length(robot.tool.matrix)
    if not math.isfinite(total):
        raise _rule_error(
            "the link offsets and the tool offset add up to more than the largest float [m]", "tool",
            where=f"<robot {robot.name!r}>",
        )


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
    chain: Chain = field(init=False, repr=False)

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
            arr = _frozen(validation.require_finite(
                validation.real_array(value, f"configuration {key!r}", f"({self.n},)"), f"configuration {key!r}"
            ))
            if arr.shape != (self.n,):
                raise ShapeError(f"configuration {key!r} has shape {arr.shape}, expected ({self.n},)")
            configs[key] = arr
        object.__setattr__(self, "configurations", configs)
        _check_reach_is_finite(self)
        object.__setattr__(self, "chain", Chain.compile(self.joints, self.base, self.tool))

    # ----------------------------------------------------------------- description
    @cached_property
    def moving_joints(self) -> tuple[Joint, ...]:
        """The revolute and prismatic joints, in the order of q."""
        return tuple(j for j in self.joints if j.moving)

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
        """
        C = self.chain.C
        L = float(np.linalg.norm(C[1:, :3, 3], axis=-1).sum())
        for joint in self.moving_joints:
            if joint.type == "prismatic":
                travel = [abs(v) for v in joint.limits if np.isfinite(v)]
                L += max(travel, default=0.0)
        return L if L > 0.0 else 1.0

    @cached_property
    def sampling_bounds(self) -> np.ndarray:
        """Finite bounds ``(n, 2)`` [rad or m] to sample each joint from (read-only).

        The joint limits where finite; an unlimited revolute side gets ``∓π`` and an unlimited prismatic side
        ``∓L`` (:attr:`characteristic_length`).
        """
        span = np.where(self.chain.revolute, np.pi, self.characteristic_length)
        lim = self.limits
        lo = np.where(np.isfinite(lim[:, 0]), lim[:, 0], -span)
        hi = np.where(np.isfinite(lim[:, 1]), lim[:, 1], span)
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

    def with_tool(self, T_flange_tool: npt.ArrayLike) -> "Robot":
        """A new Robot whose tool frame is ``T_flange_tool`` ``(4, 4)`` [m] after today's tool frame (the flange).

        Raises:
            ShapeError: not one ``(4, 4)`` matrix. ConventionError: not a rigid transform.
        """
        T = _single_transform(T_flange_tool, "T_flange_tool")
        return replace(self, tool=_origin_of(self.tool.matrix @ T))

    def with_base(self, T_world_base: npt.ArrayLike) -> "Robot":
        """A new Robot mounted at ``T_world_base`` ``(4, 4)`` [m]: the pose of its base frame in the world.

        Replaces the robot's base pose (``robot.base``); compose first (``T_new @ robot.base.matrix``) to move
        an already mounted robot.

        Raises:
            ShapeError: not one ``(4, 4)`` matrix. ConventionError: not a rigid transform.
        """
        return replace(self, base=_origin_of(_single_transform(T_world_base, "T_world_base")))

    def scaled(self, factor: float) -> "Robot":
        """The same robot with every length multiplied by ``factor`` > 0 (geometry, base, tool, prismatic
        limits and speeds, prismatic values of the named configurations); angles unchanged.

        ``fk(scaled(s), q_s)`` has the translation of ``fk(robot, q)`` times ``s`` and the same rotation, where
        ``q_s`` is ``q`` with its prismatic values times ``s``.
        """
        if not (isinstance(factor, (int, float, np.integer, np.floating)) and np.isfinite(factor) and factor > 0):
            raise ShapeError(f"factor must be a finite number > 0, got {factor!r}")
        s = float(factor)

        def origin(o: Origin) -> Origin:
            x, y, z = o.xyz
            return Origin((s * x, s * y, s * z), o.rpy)

        joints = []
        for j in self.joints:
            prismatic = j.type == "prismatic"
            dh = None if j.dh is None else (s * j.dh[0], j.dh[1], s * j.dh[2], j.dh[3])
            joints.append(Joint(
                j.name, j.type, j.form, dh=dh, origin=None if j.origin is None else origin(j.origin), axis=j.axis,
                limits=(s * j.limits[0], s * j.limits[1]) if prismatic else j.limits,
                velocity=s * j.velocity if prismatic and j.velocity is not None else j.velocity,
            ))
        col = np.where(np.array(self.joint_types) == "prismatic", s, 1.0)
        return replace(self, joints=tuple(joints), base=origin(self.base), tool=origin(self.tool),
                       configurations={k: v * col for k, v in self.configurations.items()})

    # ----------------------------------------------------------------- conveniences
    def fk(self, q: npt.ArrayLike) -> np.ndarray:
        """Pose ``T_world_tool`` ``(..., 4, 4)`` for ``q`` ``(..., n)``. See :func:`robokin.kinematics.fk`."""
        return _layer_above("kinematics").fk(self, q)

    def fk_frames(self, q: npt.ArrayLike) -> np.ndarray:
        """Every frame ``(..., m, 4, 4)``. See :func:`robokin.kinematics.fk_frames`."""
        return _layer_above("kinematics").fk_frames(self, q)

    def jacobian(self, q: npt.ArrayLike, frame: Frame = "world", method: JacobianMethod = "analytic") -> np.ndarray:
        """Jacobian ``(..., 6, n)``, rows ``[v; ω]``. See :func:`robokin.kinematics.jacobian`."""
        return _layer_above("kinematics").jacobian(self, q, frame=frame, method=method)

    def hessian(self, q: npt.ArrayLike, frame: Frame = "world", method: HessianMethod = "analytic") -> np.ndarray:
        """Kinematic Hessian ``(..., n, 6, n)``. See :func:`robokin.kinematics.hessian`."""
        return _layer_above("kinematics").hessian(self, q, frame=frame, method=method)

    def jacobian_dot(self, q: npt.ArrayLike, qd: npt.ArrayLike, frame: Frame = "world") -> np.ndarray:
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
        options: IKOptions | None = None,
        seed: int | np.random.Generator | None = None,
        method: str = "auto",
    ) -> IKResult:
        """Inverse kinematics. See :func:`robokin.ik.solve`."""
        return _layer_above("ik").solve(self, T_target, q0, options=options, seed=seed, method=method)


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
