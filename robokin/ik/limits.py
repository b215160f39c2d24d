"""IK limits: bounds on the step. Joint position limits (projection and an active set), joint velocity limits
and the step guard (the last two give per-joint bounds of one step, enforced together by :class:`StepLimit`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["JointPositionLimit", "VelocityLimit", "StepLimit"]


@dataclass(frozen=True, eq=False)
class JointPositionLimit:
    """Every iterate within ``[lower, upper]``: the step is projected, and joints the step pushes outward at a
    limit are held out of the next step's solve.

    Joints at a limit that the step pushes outward are taken out of the task, so the free joints take over
    the blocked motion (the clamping of Baerlocher & Boulic, The Visual Computer 20(6), 2004), kept as a
    lagged active set: a joint pushed outward this step is stopped and held out of the next solve; a held joint
    is released when the task pulls it inward.

    Attributes:
        lower: ``(n,)`` [rad, m], -inf where unlimited.
        upper: ``(n,)`` [rad, m], inf where unlimited.
    """

    lower: np.ndarray
    upper: np.ndarray

    def pushing(self, q: np.ndarray, dq: np.ndarray) -> np.ndarray:
        """``(A, n)`` bool: joints of ``q`` ``(A, n)`` at a limit that ``dq`` ``(A, n)`` pushes outward."""
        return np.where(dq > 0.0, q >= self.upper, q <= self.lower)

    def project(self, q: np.ndarray) -> np.ndarray:
        """``q`` ``(A, n)`` clipped into the limits (a new array)."""
        return np.minimum(np.maximum(q, self.lower), self.upper)


@dataclass(frozen=True, eq=False)
class VelocityLimit:
    """Joint speeds: a step moves joint j by at most ``velocity_j × dt`` (mink's velocity limit, per step of
    the solver; random restarts are jumps, not steps, so a local solve sets ``max_restarts=0``).

    Attributes:
        velocity: ``(n,)`` the largest speed of each joint [rad/s, m/s], inf where unbounded.
        dt: The time of one step [s], > 0.
    """

    velocity: np.ndarray
    dt: float

    @property
    def bound(self) -> np.ndarray:
        """``(n,)`` the largest change of each joint per step [rad, m]: ``velocity × dt``."""
        return self.velocity * self.dt


@dataclass(frozen=True, eq=False)
class StepLimit:
    """The step-length guard: a step with ``|Δq_j| > bound_j`` for some joint is scaled down as a whole (its
    direction kept) until every joint is within its bound.

    Attributes:
        bound: ``(n,)`` the largest change of each joint per step [rad, m] (``max_step``, times ``L`` for a
            prismatic joint; at most a :class:`VelocityLimit`'s bound when there is one), > 0, inf allowed.
    """

    bound: np.ndarray
    uniform: float | None = field(init=False, default=None)  # the one bound when all joints share it

    def __post_init__(self) -> None:
        uniform = bool(np.all(self.bound == self.bound[0])) if self.bound.size else True
        object.__setattr__(self, "uniform", float(self.bound[0]) if uniform and self.bound.size else None)

    def apply(self, dq: np.ndarray) -> np.ndarray:
        """``dq`` ``(A, n)`` scaled down where it is too long (in place; returned)."""
        if self.uniform is not None:  # one bound for all joints: the common all-revolute case
            dq_abs = np.abs(dq)
            if dq_abs.size and dq_abs.max() > self.uniform:
                dq *= (self.uniform / np.maximum(dq_abs.max(axis=1), self.uniform))[:, None]
            return dq
        ratio = (np.abs(dq) / self.bound).max(axis=1, initial=0.0)  # (A,)
        if ratio.size and ratio.max() > 1.0:
            dq *= (1.0 / np.maximum(ratio, 1.0))[:, None]
        return dq
