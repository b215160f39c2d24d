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

(``Rz(q)`` commutes with ``Rz(theta)`` and ``Tz(d)``, so these equal the formulas of robot-format.md.)
The compiled :class:`Chain` folds every constant transform between two joint motions into one matrix and
turns every axis into z, so the kernels in :mod:`robokin.kinematics` do only sin/cos and multiply-adds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal, Mapping

import numpy as np
import numpy.typing as npt

from . import spatial
from .errors import RobotFormatError, ShapeError

if TYPE_CHECKING:  # pragma: no cover
    from .ik import IKResult

__all__ = ["Joint", "Origin", "Robot", "Chain", "JointType", "GeometryForm"]

JointType = Literal["revolute", "prismatic", "fixed"]
GeometryForm = Literal["dh", "mdh", "origin"]
JOINT_TYPES: tuple[str, ...] = ("revolute", "prismatic", "fixed")
GEOMETRY_FORMS: tuple[str, ...] = ("dh", "mdh", "origin")


def _frozen(a: npt.ArrayLike) -> np.ndarray:
    out = np.array(a, dtype=float)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class Origin:
    """A fixed pose given as URDF-style ``xyz`` [m] and fixed-axis ``rpy`` [rad]: ``T = Txyz Rz Ry Rx``."""

    xyz: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rpy: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def matrix(self) -> np.ndarray:
        """The transform ``(4, 4)``."""
        return spatial.transform(spatial.rpy_to_matrix(self.rpy), self.xyz)

    @property
    def is_identity(self) -> bool:
        return not any(self.xyz) and not any(self.rpy)


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
        velocity: Speed limit in rad/s or m/s, or None.
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
        if self.form == "origin" and self.origin is None:
            object.__setattr__(self, "origin", Origin())
        if self.form in ("dh", "mdh") and self.dh is None:
            object.__setattr__(self, "dh", (0.0, 0.0, 0.0, 0.0))

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
            a, alpha, d, theta = self.dh
            R = spatial.rot_x(alpha) @ spatial.rot_z(theta)
            p = np.array([a, 0.0, 0.0]) + spatial.rot_x(alpha) @ np.array([0.0, 0.0, d])
            return spatial.transform(R, p)
        return self.origin.matrix

    @property
    def T_after(self) -> np.ndarray:
        """Transform ``(4, 4)`` from the motion frame to this joint's frame (after the motion)."""
        if self.form == "dh":
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
        names = [j.name for j in self.joints]
        if len(set(names)) != len(names):
            raise RobotFormatError(f"duplicate joint names in {names}", path=f"<robot {self.name!r}>")
        if not any(j.moving for j in self.joints):
            raise RobotFormatError("needs at least one moving joint", path=f"<robot {self.name!r}>")
        configs = {}
        for key, value in dict(self.configurations).items():
            arr = _frozen(value)
            if arr.shape != (self.n,):
                raise ShapeError(f"configuration {key!r} has shape {arr.shape}, expected ({self.n},)")
            configs[key] = arr
        object.__setattr__(self, "configurations", configs)
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

    # ----------------------------------------------------------------- conveniences
    def fk(self, q: npt.ArrayLike) -> np.ndarray:
        """Pose ``T_world_tool`` ``(..., 4, 4)`` for ``q`` ``(..., n)``. See :func:`robokin.kinematics.fk`."""
        return _kinematics.fk(self, q)

    def fk_frames(self, q: npt.ArrayLike) -> np.ndarray:
        """Every frame ``(..., m, 4, 4)``. See :func:`robokin.kinematics.fk_frames`."""
        return _kinematics.fk_frames(self, q)

    def jacobian(self, q: npt.ArrayLike, frame: str = "world", method: str = "analytic") -> np.ndarray:
        """Jacobian ``(..., 6, n)``, rows ``[v; ω]``. See :func:`robokin.kinematics.jacobian`."""
        return _kinematics.jacobian(self, q, frame=frame, method=method)

    def hessian(self, q: npt.ArrayLike, frame: str = "world", method: str = "analytic") -> np.ndarray:
        """Kinematic Hessian ``(..., n, 6, n)``. See :func:`robokin.kinematics.hessian`."""
        from .kinematics import hessian

        return hessian(self, q, frame=frame, method=method)

    def jacobian_dot(self, q: npt.ArrayLike, qd: npt.ArrayLike, frame: str = "world") -> np.ndarray:
        """Time derivative ``(..., 6, n)`` of the Jacobian along ``qd``. See :func:`robokin.kinematics.jacobian_dot`."""
        from .kinematics import jacobian_dot

        return jacobian_dot(self, q, qd, frame=frame)

    def manipulability_gradient(self, q: npt.ArrayLike, rows="all") -> np.ndarray:
        """Gradient ``(..., n)`` of Yoshikawa manipulability by reverse-mode AD. See :mod:`robokin.kinematics`."""
        from .kinematics import manipulability_gradient

        return manipulability_gradient(self, q, rows=rows)

    def ik(
        self, T_target: npt.ArrayLike, q0: npt.ArrayLike | None = None, *, options=None, seed=None, method: str = "auto"
    ) -> "IKResult":
        """Inverse kinematics. See :func:`robokin.ik.solve`."""
        from .ik import solve

        return solve(self, T_target, q0, options=options, seed=seed, method=method)


# At the end, not the top: kinematics reads Robot only for type hints, and the hot convenience methods
# (fk, jacobian) should not pay for an import statement on every call.
from . import kinematics as _kinematics  # noqa: E402
