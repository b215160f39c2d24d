"""Every inverse-kinematics solution of an arm, in closed form, by subproblem decomposition, batched.

The arm is written as a product of exponentials at its zero configuration (IK-Geo's convention; Elias &
Wen, arXiv 2211.05737, sec. 2): joint ``i`` rotates about the world axis ``h_i`` through the point ``o_i``,
and ``T_world_tool(q) = e^{ξ1 q1} ⋯ e^{ξn qn} T0``, so that with ``R_i = R(h_i, q_i)`` the tool position is
``o1 + R1((o2 − o1) + R2((o3 − o2) + ⋯ + Rn(p0 − on)))`` and its rotation ``R1 ⋯ Rn R0``. The family is
read from the axes (never from names): which consecutive axes meet in a point or are parallel, with
tolerances relative to the arm's length. Each family's solver composes the subproblems of
:mod:`robokin.ik.subproblems`:

=========================================  ===============================================  ==============
family                                     geometry (axes 1..6; all found also for the       subproblems
                                           reversed chain, tool to base)
=========================================  ===============================================  ==============
``spherical_wrist_intersecting_shoulder``  4, 5, 6 meet in a point; 1 and 2 meet (Puma)     SP3, SP2, SP2, SP1
``spherical_wrist_parallel_shoulder``      4, 5, 6 meet; 2 ∥ 3 (ABB IRB, KUKA KR)            SP4, SP3, SP1, SP2, SP1
``spherical_wrist``                        4, 5, 6 meet                                      SP5, SP2, SP1
``three_parallel_intersecting_wrist``      2 ∥ 3 ∥ 4; 5 and 6 meet (Universal Robots)        SP4, SP4, SP1, SP1, SP3, SP1
``three_parallel``                         2 ∥ 3 ∥ 4                                         SP6, SP1, SP1, SP3, SP1
``two_intersecting``                       5 and 6 meet; 2, 3, 4 not concurrent (no c. f.)   1-D search, SP5, SP1, SP1
``two_parallel``                           2 ∥ 3 (no closed form)                            1-D search, SP6, SP1, SP1, SP1
=========================================  ===============================================  ==============

A 7-joint arm is solved with one joint as a parameter (given per target, or swept over a grid within its
limits): fixing it leaves a 6-joint arm whose closed-form family must hold for every value of the
parameter; a search family only with the first or last joint as the parameter (folded into the targets,
the other six keep one geometry), and only where no closed form applies. The search families solve all but one joint by subproblems for each value of the searched one
and find every zero of the remaining residual on every branch over a whole turn
(:func:`robokin.ik.search.find_zeros`: a grid, branches followed across it, intervals with a fold cut
finer, near-tangent minima zoomed into, brackets refined), then polish each zero by Gauss–Newton steps on
the true arm and verify it; on random arms every source configuration of random targets was found
(``benchmarks/ik_search.py``). Arms with a prismatic joint, other joint
counts, and 6-joint geometries outside these families (e.g. IK-Geo's general 2-D search) have no family here; :func:`robokin.ik.solve` uses damped least squares for them. A geometry that meets a family's conditions only to within the near-miss
tolerance (a calibrated arm whose axes almost meet) is solved as the ideal one and every answer polished by
Gauss–Newton steps on the true arm; a near miss of the size of a file's rounded angles (to ``LEAN_NEAR_GEOMETRY``)
of one of the industrial families keeps the lean kernels of :mod:`robokin.ik.closed_form`, its answers polished
there by batched Newton steps, and only its targets with answers the general path would treat otherwise go to it.
A 6-joint chain whose Jacobian has rank below 6 at random
configurations (two spherical groups of three axes, e.g. a URDF spine and neck) has no family: each pose it
reaches has a continuum of solutions. Where an arm of a family has one at a singular target (a spherical wrist
at q5 = 0; a UR-type arm whose axis 6 turns parallel to axes 2, 3, 4), each continuum is answered by one point
within the limits when the closed form's own point is outside them or missing (sections "wrist continua" and
"aligned wrists").
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from .. import validation
from ..errors import LimitError, NoAnalyticSolutionError, OptionError, ShapeError
from ..kinematics import fk, jacobian
from ..measures import unit_scales
from ..model import Robot, check_robot
from . import closed_form, closed_form_single, search
from .subproblems import (
    cross,
    dot,
    rotate,
    rotate_cs,
    sp1_kernel,
    sp2_kernel,
    sp3_kernel,
    sp4_kernel,
    sp5_kernel,
    sp6_kernel,
    wrap_angle,
)

__all__ = [
    "AnalyticFamily",
    "IKSolutions",
    "analytic_family",
    "solve_all",
    "solve_validated",
    "scalar_arm",
    "polish_pose",
    "FAMILIES",
]

FAMILIES: tuple[str, ...] = (
    "spherical_wrist_intersecting_shoulder",
    "spherical_wrist_parallel_shoulder",
    "spherical_wrist",
    "three_parallel_intersecting_wrist",
    "three_parallel",
    "two_intersecting",
    "two_parallel",
)
_SUBPROBLEMS = {
    "spherical_wrist_intersecting_shoulder": ("SP3", "SP2", "SP2", "SP1"),
    "spherical_wrist_parallel_shoulder": ("SP4", "SP3", "SP1", "SP2", "SP1"),
    "spherical_wrist": ("SP5", "SP2", "SP1"),
    "three_parallel_intersecting_wrist": ("SP4", "SP4", "SP1", "SP1", "SP3", "SP1"),
    "three_parallel": ("SP6", "SP1", "SP1", "SP3", "SP1"),
    "two_intersecting": ("1-D search over q1", "SP5", "SP1", "SP1", "Gauss-Newton polish"),
    "two_parallel": ("1-D search over q1", "SP6", "SP1", "SP1", "SP1", "Gauss-Newton polish"),
}
SEARCH_FAMILIES: tuple[str, ...] = ("two_intersecting", "two_parallel")
_SLOTS = {
    "spherical_wrist_intersecting_shoulder": 8,
    "spherical_wrist_parallel_shoulder": 8,
    "spherical_wrist": 8,
    "three_parallel_intersecting_wrist": 8,
    "three_parallel": 16,
    "two_intersecting": 32,
    "two_parallel": 32,
}

# Geometry tests, relative to the arm's length L (the summed distances between consecutive axis points at
# q = 0): two axes meet when their distance is below EXACT_GEOMETRY · L and are parallel when the sine of
# their angle is below EXACT_GEOMETRY. Bundled arms computed from DH tables in double precision meet these
# to about 1e-16; EXACT_GEOMETRY (about 450 ulps) leaves room for rounding through long chains of origins, and
# no more: a file that writes π/2 with fewer digits (1.570796325: 1e-10 · L) is a near miss, so its answers
# are polished to the last digit rather than left with errors the size of that rounding. Between EXACT_GEOMETRY
# and NEAR_GEOMETRY the family holds only nearly (a near miss): its answers are polished on the true arm. 1e-3 · L is 1 mm on a 1 m arm, far more than calibration offsets.
EXACT_GEOMETRY = 1e-13
NEAR_GEOMETRY = 1e-3
# Verification: a solution is valid when its pose error is within these (after polishing) [m], [rad].
POSITION_TOLERANCE = 1e-9
ROTATION_TOLERANCE = 1e-9
# A joint angle beyond a limit by at most this [rad] (after whole turns) is put on the limit: the closed form
# rounds a joint exactly at its limit to about 1e-15 rad outside it. The pose of the angle on the limit is the
# one verified (the 1e-9 rad move changes the pose by at most 1e-9 · the reach, checked like any answer).
LIMIT_TOL = 1e-9
# Polishing (near misses, and exact-family answers that lost digits at a singular configuration): up to
# this many Gauss–Newton steps on the true arm, for answers whose error is below POLISH_RANGE (·L for the
# position, rad for the rotation). Farther answers are not solutions of the arm.
POLISH_STEPS = 4
# A Gauss–Newton step is clipped to this [rad, m] per joint. Where the plain step is larger, or larger than the
# error over SINGULAR_CUT · |J| (a Jacobian singular within rounding: an answer on a continuum of solutions,
# e.g. a wrist at q5 = 0, whose null direction the plain step blows up from the rounding of the error), the
# step of least norm is taken, directions whose singular value is below SINGULAR_CUT · σmax dropped (a move
# along the continuum only adds second-order error).
POLISH_MAX_STEP = 0.2
SINGULAR_CUT = 1e-10
# An exact family's verified answer whose error is above this (relative to L for positions; [rad]) is polished
# once more towards the last digit (the issue's 1e-10 for exact families, with a margin): SP5's quartic loses
# digits next to a double root, any closed form next to a singularity.
REFINE_ERROR = 1e-12
POLISH_RANGE = 0.05
# Zeros of the 1-D search (refined to about 1e-12 rad; double roots and fold seeds to about 1e-4) take more
# steps (Gauss–Newton is only linear at a double root).
SEARCH_POLISH_STEPS = 20
# Near misses are polished to convergence (at most NEAR_POLISH_STEPS steps, 0.2 rad each at most: an answer of the
# ideal geometry next to one of its singularities can lie a radian from the true arm's): an answer is done when
# its step is at most CONVERGED_STEP [rad, m], or below NOISE_STEP and no smaller than the one before.
NEAR_POLISH_STEPS = 20
# An exact family's answer within the limits that did not verify (a least-squares one, or one whose polish did not
# converge) and is this close to its target (relative to L for positions; [rad]) may lie at a fold of the arm (a
# subproblem's double root): it is polished to convergence. Only targets about this close to a fold have such
# an answer (the polishing's cost on regular targets scales with it); a polished answer within FOLD_REPEAT
# [rad, m] of a valid one of its target is that one.
FOLD_RANGE = 1e-4
FOLD_REPEAT = 1e-6
CONVERGED_STEP = 1e-15
NOISE_STEP = 1e-9
# A near miss of a lean family (robokin.ik.closed_form) whose axes meet its conditions to LEAN_NEAR_GEOMETRY
# (·L, and sine of the angle) is solved by the lean kernel too: a file's rounded angles (π/2 written 1.5708 is
# 3.7e-6 rad off, 1.570796 3.3e-7, 1.570796325 1e-10) make near misses of that size. Its exact answers within
# LEAN_NEAR_START of the target (·L, rad) take Newton steps on the true arm (its fk and Jacobian from the same
# chain), at most LEAN_NEAR_STEPS, until their errors are at most LEAN_NEAR_DONE (·L, rad): each step squares an
# error of the geometry's size (1e-5 → 1e-10 → rounding).
# A target with anything else (an answer that does not get there, a step above LEAN_NEAR_MAX_STEP, a repeat,
# a least-squares answer or a far exact one that the general path would polish) is solved by the general
# near-miss path, so the solution sets are the general path's.
LEAN_NEAR_GEOMETRY = 1e-5
LEAN_NEAR_START = 1e-3
LEAN_NEAR_STEPS = 3
LEAN_NEAR_DONE = 1e-14
LEAN_NEAR_MAX_STEP = 1e-2
# Two valid solutions of one target closer than this in every joint [rad, m] are one (tangencies give
# double roots); the later slot is marked invalid.
DUPLICATE_TOL = 1e-7
# The most values of a 7-joint arm's parameter joint swept per target (solve_all's grid=): 2¹⁶ values are
# 1e-4 rad apart over a turn, with 2¹⁹ solution slots per target (about 30 MB of answers for one target).
MAX_GRID = 2**16
# The values of the parameter joint at which a 7-joint family is checked to hold (any values that are not
# special would do).
_PROBE_ANGLES = (0.0, 0.9, 2.3)
# A near-miss 7-joint arm prefers a parameter joint that leaves the held arm's position step (SP3) a lever of at
# least this (· L) between the shoulder point and the axis it turns (see _weak_elbow).
ELBOW_LEVER_MIN = 0.02
# A 7-joint arm whose two shoulder axes meet for every value of a middle parameter joint between them (Atlas's
# arms: l_arm_shz and l_arm_ely about l_arm_shx) turns them parallel at some value (there l_arm_shx = −π/2): the
# meeting point runs off to infinity and the intersecting-shoulder formula loses every digit near it (no answer
# within 1e-5 rad of it, a quarter of the sources missed at 1e-4). Parameter values whose shoulder axes are within
# this sine of parallel (the meeting point beyond 20 axis offsets) are solved by the general spherical-wrist
# formula (SP5), which does not use the meeting point.
SHOULDER_PARALLEL_SIN = 0.05


# --------------------------------------------------------------------------------------------- geometry
@dataclass(frozen=True, eq=False)
class _Geometry:
    """A revolute chain at q = 0 in product-of-exponentials form; arrays broadcast over a leading batch.

    Attributes:
        H: ``(..., n, 3)`` unit joint axes in the world.
        P: ``(..., n, 3)`` a point on each axis [m].
        R0: ``(..., 3, 3)`` the tool's rotation at q = 0.
        p0: ``(..., 3)`` the tool's position at q = 0 [m].
    """

    H: np.ndarray
    P: np.ndarray
    R0: np.ndarray
    p0: np.ndarray

    def reversed(self) -> _Geometry:
        """The chain from the tool to the base: ``T⁻¹ = e^{−ξ'n qn} ⋯ e^{−ξ'1 q1} T0⁻¹``, ``ξ' = Ad_{T0⁻¹} ξ``.

        Its joint ``i`` is joint ``n − 1 − i`` of this chain with the sign of its angle flipped.
        """
        Rt = np.swapaxes(self.R0, -1, -2)
        H = (Rt[..., None, :, :] @ self.H[..., ::-1, :, None])[..., 0]
        P = (Rt[..., None, :, :] @ (self.P[..., ::-1, :] - self.p0[..., None, :])[..., None])[..., 0]
        return _Geometry(H, P, Rt, -(Rt @ self.p0[..., None])[..., 0])

    def fixed(self, j: int, t: np.ndarray) -> _Geometry:
        """The chain with joint ``j`` held at ``t`` ``(...)`` [rad]: ``e^{ξj t}`` moved past the later joints."""
        t = np.asarray(t, dtype=float)
        hj, oj = self.H[..., j, :], self.P[..., j, :]
        Rj = _rotation_matrix(hj, t)  # (..., 3, 3)
        later_H = (Rj[..., None, :, :] @ self.H[..., j + 1 :, :, None])[..., 0]
        later_O = (
            oj[..., None, :] + (Rj[..., None, :, :] @ (self.P[..., j + 1 :, :] - oj[..., None, :])[..., None])[..., 0]
        )
        batch = np.broadcast_shapes(self.H.shape[:-2], t.shape)
        H = np.concatenate(
            [np.broadcast_to(self.H[..., :j, :], batch + (j, 3)), np.broadcast_to(later_H, batch + later_H.shape[-2:])],
            -2,
        )
        P = np.concatenate(
            [np.broadcast_to(self.P[..., :j, :], batch + (j, 3)), np.broadcast_to(later_O, batch + later_O.shape[-2:])],
            -2,
        )
        return _Geometry(H, P, Rj @ self.R0, oj + (Rj @ (self.p0 - oj)[..., None])[..., 0])


def _rotation_matrix(h: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``R(h, t)`` ``(..., 3, 3)`` for unit axes ``(..., 3)`` and angles ``(...)`` (Rodrigues)."""
    t = np.asarray(t, dtype=float)
    c, s = np.cos(t)[..., None, None], np.sin(t)[..., None, None]
    x, y, z = h[..., 0], h[..., 1], h[..., 2]
    zero = np.zeros_like(x)
    K = np.stack([zero, -z, y, z, zero, -x, -y, x, zero], -1).reshape(h.shape[:-1] + (3, 3))
    return np.eye(3) + s * K + (1.0 - c) * (K @ K)


def _geometry(robot: Robot) -> _Geometry:
    """The robot's axes and points at q = 0 in the world, from its compiled chain (motion frames' z axes)."""
    C = robot.serial_chain.C
    F = C[0]
    H, P = [], []
    for i in range(robot.n):
        H.append(F[:3, 2])
        P.append(F[:3, 3])
        F = F @ C[i + 1]
    return _Geometry(np.array(H), np.array(P), F[:3, :3].copy(), F[:3, 3].copy())


def _length(g: _Geometry) -> float:
    """The arm's length L [m]: summed distances between consecutive axis points and to the tool (1 if 0)."""
    pts = np.concatenate([g.P, g.p0[None]], axis=0)
    L = float(np.linalg.norm(np.diff(pts, axis=0), axis=-1).sum())
    return L if L > 0.0 else 1.0


def _meet(ha: np.ndarray, oa: np.ndarray, hb: np.ndarray, ob: np.ndarray) -> tuple[np.ndarray, ...]:
    """Closest approach of two lines: ``(midpoint (..., 3), distance (...), sin of the angle (...))``.

    For (nearly) parallel lines the midpoint is that of ``oa`` and its foot on line b.
    """
    n = cross(ha, hb)
    s2 = dot(n, n)
    w = ob - oa
    c = dot(ha, hb)
    safe = np.where(s2 > 1e-24, s2, 1.0)
    ta = (dot(w, ha) - c * dot(w, hb)) / safe  # parameter along a of the closest point
    tb = (c * dot(w, ha) - dot(w, hb)) / safe
    pa = oa + np.where(s2 > 1e-24, ta, 0.0)[..., None] * ha
    pb = ob + np.where(s2 > 1e-24, tb, -dot(w, hb))[..., None] * hb
    return 0.5 * (pa + pb), np.linalg.norm(pa - pb, axis=-1), np.sqrt(s2)


# --------------------------------------------------------------------------------------------- families
@dataclass(frozen=True)
class AnalyticFamily:
    """Which closed-form solver an arm has, and why (see the module docstring's table).

    Attributes:
        name: One of :data:`FAMILIES`, or ``"none"``.
        reason: Why: the axis facts that put the arm in the family, or why none applies.
        exact: The geometry meets the family's conditions to ``EXACT_GEOMETRY`` (else a near miss, whose
            answers are polished on the true arm).
        reversed: The family holds for the chain read from the tool to the base.
        parameter_joint: For a 7-joint arm, the index (in q) of the joint that is a parameter; else None.
        subproblems: The subproblems the solver composes, in order.
        solutions: Solution slots per target (per parameter value for a 7-joint arm).
    """

    name: str
    reason: str
    exact: bool = True
    reversed: bool = False
    parameter_joint: int | None = None
    subproblems: tuple[str, ...] = ()
    solutions: int = 0

    @property
    def applies(self) -> bool:
        """True when the arm has a closed-form family."""
        return self.name != "none"


def _axis_facts(g: _Geometry, L: float, tol: float) -> tuple[Callable[..., bool], ...]:
    """Predicates on a 6-joint chain (axes 1-based in the words, 0-based in the code) at one tolerance."""

    def meet(i: int, j: int) -> bool:
        _, dist, sin = _meet(g.H[i], g.P[i], g.H[j], g.P[j])
        return bool(dist <= tol * L and sin > tol)

    def parallel(i: int, j: int) -> bool:
        return bool(np.linalg.norm(np.cross(g.H[i], g.H[j])) <= tol)

    def concurrent(i: int, j: int, k: int) -> bool:
        if not (meet(i, j) and meet(j, k)):
            return False
        a, _, _ = _meet(g.H[i], g.P[i], g.H[j], g.P[j])
        b, _, _ = _meet(g.H[j], g.P[j], g.H[k], g.P[k])
        return bool(np.linalg.norm(a - b) <= tol * L)

    return meet, parallel, concurrent


def _family6(g: _Geometry, L: float, tol: float, search: bool = False) -> str | None:
    """The first closed-form family (with ``search``: the 1-D search family) the 6-joint chain meets at
    ``tol``, or None."""
    meet, parallel, concurrent = _axis_facts(g, L, tol)

    def meet_or_same(i: int, j: int) -> bool:  # parallel axes i, j on one line (distance below tol · L)
        return bool(_meet(g.H[i], g.P[i], g.H[j], g.P[j])[1] <= tol * L)

    if search:
        # Axes 2 ∥ 3 first: an arm that also has 5 ∩ 6 would make the SP5 of two_intersecting degenerate.
        # (An SP6 that decouples, as on the offset wrists of the Yaskawa HC10 and Fanuc CRX whose 4-5 and 5-6
        # meeting points lie on axis 5, is solved as two equations in one angle each; other degenerate
        # subproblems are caught by _probed.)
        if parallel(1, 2) and not parallel(0, 1) and not parallel(2, 3) and not meet_or_same(1, 2):
            return "two_parallel"
        # Axes 2, 3, 4 through one point make SP5 in (q2, q3, q4) degenerate.
        if meet(4, 5) and not parallel(4, 5) and not concurrent(1, 2, 3):
            return "two_intersecting"
        return None
    wrist = concurrent(3, 4, 5) and not parallel(3, 4) and not parallel(4, 5)
    if wrist and meet(0, 1):
        return "spherical_wrist_intersecting_shoulder"
    if wrist and parallel(1, 2) and not parallel(0, 1):
        return "spherical_wrist_parallel_shoulder"
    if wrist:
        return "spherical_wrist"
    three = parallel(1, 2) and parallel(2, 3) and not parallel(0, 1) and not parallel(1, 4) and not parallel(4, 5)
    if three and meet(4, 5):
        return "three_parallel_intersecting_wrist"
    if three:
        return "three_parallel"
    return None


_REASONS = {
    "spherical_wrist_intersecting_shoulder": "axes {4}, {5}, {6} meet in one point (a spherical wrist) and axes {1}, {2} meet",
    "spherical_wrist_parallel_shoulder": "axes {4}, {5}, {6} meet in one point (a spherical wrist) and axes {2}, {3} are parallel",
    "spherical_wrist": "axes {4}, {5}, {6} meet in one point (a spherical wrist)",
    "three_parallel_intersecting_wrist": "axes {2}, {3}, {4} are parallel and axes {5}, {6} meet",
    "three_parallel": "axes {2}, {3}, {4} are parallel",
    "two_intersecting": "axes {5}, {6} meet (no closed form: a 1-D search over joint {1})",
    "two_parallel": "axes {2}, {3} are parallel (no closed form: a 1-D search over joint {1})",
}


def _classify6(g: _Geometry, L: float, allow_search: bool = True) -> tuple[str, bool, bool] | None:
    """``(family, exact, reversed)`` of a 6-joint chain: closed form before search, exact before near miss,
    forward before reversed."""
    rev = g.reversed()
    for searched in (False, True) if allow_search else (False,):
        for tol, exact in ((EXACT_GEOMETRY, True), (NEAR_GEOMETRY, False)):
            for geo, is_rev in ((g, False), (rev, True)):
                name = _family6(geo, L, tol, searched)
                if name is not None:
                    return name, exact, is_rev
    return None


def _describe(name: str, exact: bool, is_rev: bool, joints: list[int], param: int | None) -> str:
    order = joints[::-1] if is_rev else joints
    labels = {i + 1: f"{order[i] + 1}" for i in range(6)}
    text = _REASONS[name].format(*([None] + [labels[i] for i in range(1, 7)]))
    text += " (joints numbered from 1)"
    if is_rev:
        text += ", reading the chain from the tool to the base"
    if param is not None:
        text += f", with joint {param + 1} as a parameter (for every value of it)"
    if not exact:
        text += f"; only to within {NEAR_GEOMETRY:g}·L (a near miss: answers are polished on the true arm)"
    return text


_FAMILY_CACHE: weakref.WeakKeyDictionary[Robot, tuple[AnalyticFamily, _Geometry, float]] = weakref.WeakKeyDictionary()


def _family_of(robot: Robot) -> tuple[AnalyticFamily, _Geometry, float]:
    cached = _FAMILY_CACHE.get(robot) if isinstance(robot, Robot) else check_robot(robot)
    if cached is not None:
        return cached
    result = _detect(robot)
    _FAMILY_CACHE[robot] = result  # (read by the solver that the probe below runs)
    if result[0].applies:
        result = _probed(robot, *result)
        _FAMILY_CACHE[robot] = result
    return result


# Configurations within the limits whose poses the family's solver must give back (at least half of them; a
# search family may miss one beside a singular configuration): the axis facts alone miss geometries whose
# subproblems decouple or degenerate (a spherical group where the family solves a general triple, ...).
_FAMILY_PROBES = 6


def _probed(robot: Robot, family: AnalyticFamily, g: _Geometry, L: float) -> tuple[AnalyticFamily, _Geometry, float]:
    """``(family, g, L)`` if the family's solver recovers the probe configurations, else family ``none``.

    The first half of the probes goes first: when each of them is recovered the verdict is already known, and the
    other half (which costs a search family about as much again) is not solved. Otherwise the count is completed.
    """
    lo, hi = robot.sampling_bounds.T
    q = lo + (hi - lo) * np.random.default_rng(1).random((_FAMILY_PROBES, robot.n))
    half = (_FAMILY_PROBES + 1) // 2
    found = _recovered(robot, family, q[:half])
    if 2 * found < _FAMILY_PROBES:
        found += _recovered(robot, family, q[half:])
    if 2 * found >= _FAMILY_PROBES:
        return family, g, L
    reason = (
        f"the axes meet the conditions of {family.name} ({family.reason}), but its subproblems are degenerate "
        f"for this geometry: its solver recovered {found} of {_FAMILY_PROBES} configurations from their poses"
    )
    return AnalyticFamily("none", reason), g, L


def _recovered(robot: Robot, family: AnalyticFamily, q: np.ndarray) -> int:
    """How many of the configurations ``q`` (shape ``(k, n)``, rad) the family's solver gives back from their poses."""
    j = family.parameter_joint
    sols = solve_validated(robot, robot.fk(q), q_param=None if j is None else q[:, j])
    near = np.abs(wrap_angle(sols.q - q[:, None])).max(-1) < 1e-6
    return int((near & sols.valid).any(-1).sum())


def _detect(robot: Robot) -> tuple[AnalyticFamily, _Geometry, float]:
    if robot.chain is None:  # a tree: several end effectors, or mimic joints on the way to one
        g = _Geometry(np.zeros((0, 3)), np.zeros((0, 3)), np.eye(3), np.zeros(3))
        reason = (
            f"the robot is a tree of frames (end effectors {', '.join(map(repr, robot.end_effectors))}; or mimic "
            "joints on the way to one); the analytic families are for serial chains"
        )
        # A leaf driven by every coordinate of q, in order (a URDF arm whose tree also holds fixed frames such
        # as a 'base' leaf): its chain, loaded on its own, may have a family.
        driven = [name for name in robot.end_effectors if robot.link_path(name).identity]
        if driven:
            reason += (
                f"; the chain to {driven[0]!r} is moved by every joint of q: load it as a serial arm, "
                f"robokin.load(path, tip={driven[0]!r})"
            )
        return AnalyticFamily("none", reason), g, 1.0
    if not robot.chain.all_revolute:
        kinds = "".join("R" if t == "revolute" else "P" for t in robot.joint_types)
        g = _Geometry(np.zeros((0, 3)), np.zeros((0, 3)), np.eye(3), np.zeros(3))
        return (
            AnalyticFamily(
                "none", f"the arm has a prismatic joint ({kinds}); the analytic families are for revolute arms"
            ),
            g,
            1.0,
        )
    g = _geometry(robot)
    L = _length(g)
    if robot.n == 6:
        if not _full_rank(robot, [[]])[0]:
            reason = (
                "the 6 joints reach only a lower-dimensional set of poses (a Jacobian of rank below 6 at random "
                "configurations, e.g. two spherical groups of three axes): every reachable pose has a continuum "
                "of solutions, which no family enumerates"
            )
            return AnalyticFamily("none", reason), g, L
        found = _classify6(g, L)
        if found is None:
            return AnalyticFamily("none", _no_family_reason(g, L)), g, L
        name, exact, is_rev = found
        return _family(name, exact, is_rev, None, list(range(6))), g, L
    if robot.n == 7:
        candidates = []
        for j, thin in _essential_free(robot):
            # A search family only with an end joint held: folded into the targets, it leaves one geometry
            # for every value (a middle joint would give each target its own arm to search).
            end = j in (0, robot.n - 1)
            probes = [_classify6(g.fixed(j, np.array(t)), L, allow_search=end) for t in _PROBE_ANGLES]
            first = probes[0]
            if first is not None and all(f == first for f in probes):
                name, exact, is_rev = first
                # Rank: closed form order of FAMILIES, exact first, then the joint nearest the chain's middle.
                # A near miss is solved from its ideal answers, which its position step must keep close: an
                # intersecting shoulder whose third axis passes (nearly) through the shoulder point makes that
                # step ill-conditioned, and the geometry's error moves its answers by radians.
                # A thin joint hardly moves in the arm's self-motion: few of its values reach a given target, so
                # a sweep over its range (solve_all without q_param) misses most targets.
                weak = not exact and _weak_elbow(name, is_rev, g, j)
                key = (FAMILIES.index(name), not exact, weak, thin, abs(j - 3), j)
                candidates.append((key, name, exact, is_rev, j))
        if not candidates:
            return (
                AnalyticFamily(
                    "none", "no joint of the 7-joint arm, held fixed, leaves a 6-joint family for every value of it"
                ),
                g,
                L,
            )
        _, name, exact, is_rev, j = min(candidates)
        return _family(name, exact, is_rev, j, [i for i in range(7) if i != j]), g, L
    return (
        AnalyticFamily(
            "none", f"the arm has {robot.n} joints; the analytic families are for 6 joints (and 7 with a parameter)"
        ),
        g,
        L,
    )


# Random configurations at which a 7-joint arm with one joint held must keep a Jacobian of rank 6.
_RANK_PROBES = 8
_RANK_TOL = 1e-6
# A 7-joint arm's joint whose holding leaves the other six a median σ₆/σ₁ (unit-free Jacobian, the probes above)
# below this is a poor parameter (ranked after the others): it barely moves in the self-motion, so a given target
# is reached only in a narrow band of its values, which solve_all's sweep misses. The bundled Gen3 held at its
# elbow (joint 4): 0.0006, and its default sweep of 8 values found a solution for 7.6 % of 2000 reachable targets
# (33 % with 32 values); held at joint 3: 0.026, 98.5 %. The elbows of the Panda and the xArm 7 (0.0012, 0.0016;
# not their parameters) are thin too; every other hold of the bundled and tested 7-joint arms (iiwa14, Gen3,
# Panda, xArm 7, Z1, Talos arm, the iiwa and Panda URDFs): 0.0065 to 0.061.
THIN_HOLD = 0.003


def _held_conditioning(robot: Robot, held: list[list[int]]) -> list[np.ndarray]:
    """For each list of held joints in ``held``: σ₆/σ₁ ``(_RANK_PROBES,)`` of the other joints' Jacobian at
    ``_RANK_PROBES`` random configurations (0 with fewer than 6 of them). The Jacobian is the unit-free
    ``[v/L; ω]`` (:func:`~robokin.measures.unit_scales`), so that the measure is the same for the arm at any
    scale (a 1 mm Panda failed the rank test in m/s against rad/s)."""
    q = np.random.default_rng(0).uniform(-np.pi, np.pi, (_RANK_PROBES, robot.n))
    row_scale, col_scale = unit_scales(robot)
    J = jacobian(robot, q) * row_scale[:, None] * col_scale
    out = []
    for cols in held:
        sv = np.linalg.svd(np.delete(J, cols, axis=-1), compute_uv=False)
        out.append(sv[:, 5] / sv[:, 0] if sv.shape[-1] >= 6 else np.zeros(_RANK_PROBES))
    return out


def _full_rank(robot: Robot, held: list[list[int]]) -> list[bool]:
    """For each list of held joints in ``held``: whether the other joints keep a Jacobian of full rank 6 at
    random configurations (else they reach only a lower-dimensional set of poses, each with a continuum of
    solutions)."""
    return [bool(np.all(ratio > _RANK_TOL)) for ratio in _held_conditioning(robot, held)]


def _essential_free(robot: Robot) -> list[tuple[int, bool]]:
    """The joints of a 7-joint arm that may be held, each with whether it is *thin*: the other six keep a
    Jacobian of full rank 6 at random configurations (holding the elbow of an arm with a spherical shoulder and
    wrist fixes the shoulder-wrist distance, for instance: its other six joints reach only a 5-dimensional set
    of poses), and a thin joint leaves it barely so (median σ₆/σ₁ below :data:`THIN_HOLD`)."""
    ratios = _held_conditioning(robot, [[j] for j in range(robot.n)])
    return [(j, bool(np.median(r) < THIN_HOLD)) for j, r in enumerate(ratios) if np.all(r > _RANK_TOL)]


def _weak_elbow(name: str, is_rev: bool, g: _Geometry, j: int) -> bool:
    """Whether the arm ``g`` with joint ``j`` held is an intersecting-shoulder arm whose third solved axis (the one
    the position step's SP3 turns) passes within :data:`ELBOW_LEVER_MIN` · L of the shoulder point at some probe
    angle: that SP3 is then ill-conditioned (the distance it matches hardly depends on its angle). The official
    Kinova Gen3 URDF held at joint 4: 1 mm on a 1 m arm, and its 0.35 mm wrist offset cost 11 % of its sources."""
    if name != "spherical_wrist_intersecting_shoulder":
        return False
    for t in _PROBE_ANGLES:
        geo = g.fixed(j, np.array(t))
        gs = geo.reversed() if is_rev else geo
        S, _, _ = _meet(gs.H[0], gs.P[0], gs.H[1], gs.P[1])
        h3, o3 = gs.H[2], gs.P[2]
        w = S - o3
        if np.linalg.norm(w - (w @ h3) * h3) < ELBOW_LEVER_MIN * _length(g):
            return True
    return False


def _family(name: str, exact: bool, is_rev: bool, param: int | None, joints: list[int]) -> AnalyticFamily:
    return AnalyticFamily(
        name=name,
        reason=_describe(name, exact, is_rev, joints, param),
        exact=exact,
        reversed=is_rev,
        parameter_joint=param,
        subproblems=_SUBPROBLEMS[name],
        solutions=_SLOTS[name],
    )


def _no_family_reason(g: _Geometry, L: float) -> str:
    meet, parallel, concurrent = _axis_facts(g, L, NEAR_GEOMETRY)
    facts = [f"{i + 1}∩{i + 2}" for i in range(5) if meet(i, i + 1)] + [
        f"{i + 1}∥{i + 2}" for i in range(5) if parallel(i, i + 1)
    ]
    groups = [f"axes {i + 1}, {i + 2}, {i + 3} meet in one point" for i in range(4) if concurrent(i, i + 1, i + 2)]
    return (
        "no spherical wrist, no three parallel axes, no meeting axes 5, 6 (with axes 2, 3, 4 not through one "
        "point: else the search's subproblem 5 degenerates) and no parallel axes 2, 3 at either "
        f"end of the chain (consecutive axes that meet or are parallel: {', '.join(facts) or 'none'}"
        + "".join(f"; {t}" for t in groups)
        + ")"
    )


def analytic_family(robot: Robot) -> AnalyticFamily:
    """Which closed-form family the arm belongs to, read from its joint axes (cached per robot).

    Args:
        robot: The robot.

    Returns:
        :class:`AnalyticFamily`; ``.applies`` is False (``name == "none"``) when no family applies, with
        the reason.

    Raises:
        OptionError: ``robot`` is not a Robot.
    """
    return _family_of(robot)[0]


# --------------------------------------------------------------------------------------------- solvers
def _wrist(g: _Geometry, a: np.ndarray, y: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, ...]:
    """Joints 4, 5, 6 of a spherical wrist, ``R4 R5 R6 = R36``, given ``a = R36 h6`` and ``y = R36 v``; 2 solutions.

    ``R(h4, −q4) a = R(h5, q5) h6`` (SP2), then ``R(h6, q6) v = R5ᵀ R4ᵀ y`` for the unit ``v ⟂ h6`` (SP1).

    Args:
        a, y: ``(..., 3)``; v: ``(3,)`` or ``(..., 3)``.

    Returns:
        ``(..., 2, 3)`` angles and ``(..., 2)`` exact mask.
    """
    h4, h5, h6 = (g.H[..., i, :] for i in (3, 4, 5))
    t4, q5, ok, ls = sp2_kernel(a, np.broadcast_to(h6, a.shape), h4, h5)
    q4 = -t4
    y = rotate(h5[..., None, :], -q5, rotate(h4[..., None, :], t4, y[..., None, :]))
    q6 = sp1_kernel(v[..., None, :], y, h6[..., None, :])
    return np.stack([q4, q5, q6], -1), ok & ~ls[..., None]


def _perpendicular(h: np.ndarray) -> np.ndarray:
    """A unit vector ``(..., 3)`` perpendicular to the unit ``h``."""
    helper = np.where((np.abs(h[..., 0]) < 0.9)[..., None], np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    v = cross(h, helper)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _spherical(name: str, g: _Geometry, Rt: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, ...]:
    """The spherical-wrist families: ``(q (..., 8, 6), exact (..., 8))``."""
    H, P = g.H, g.P
    h1, h2, h3 = H[..., 0, :], H[..., 1, :], H[..., 2, :]
    W, _, _ = _meet(H[..., 3, :], P[..., 3, :], H[..., 4, :], P[..., 4, :])  # the wrist centre at q = 0
    w = p - (Rt @ (g.p0 - W)[..., None])[..., 0]  # the wrist centre of the target [m]
    if name == "spherical_wrist_intersecting_shoulder":
        S, _, _ = _meet(h1, P[..., 0, :], h2, P[..., 1, :])
        p23, p3W = P[..., 2, :] - S, W - P[..., 2, :]
        ws = w - S
        q3, ok3, ls3 = sp3_kernel(p3W, -p23, h3, np.linalg.norm(ws, axis=-1))  # (..., 2)
        v = p23[..., None, :] + rotate(h3[..., None, :], q3, p3W[..., None, :])  # (..., 2, 3)
        t1, q2, ok12, ls12 = sp2_kernel(
            np.broadcast_to(ws[..., None, :], v.shape), v, h1[..., None, :], h2[..., None, :]
        )
        q1 = -t1  # (..., 2, 2)
        q3 = np.broadcast_to(q3[..., :, None], q1.shape)
        ok = (ok3[..., :, None] & ~ls3[..., None, None] & ok12 & ~ls12[..., None]).reshape(q1.shape[:-2] + (4,))
        arm = np.stack([q1, q2, q3], -1).reshape(q1.shape[:-2] + (4, 3))
    elif name == "spherical_wrist_parallel_shoulder":
        o1 = P[..., 0, :]
        p12, p23, p3W = P[..., 1, :] - o1, P[..., 2, :] - P[..., 1, :], W - P[..., 2, :]
        wo = w - o1
        t1, ok1, ls1 = sp4_kernel(h2, wo, h1, dot(h2, p12 + p23 + p3W))
        q1 = -t1  # (..., 2)
        v1 = rotate(h1[..., None, :], t1, wo[..., None, :]) - p12[..., None, :]  # (..., 2, 3)
        q3, ok3, ls3 = sp3_kernel(p3W[..., None, :], -p23[..., None, :], h3[..., None, :], np.linalg.norm(v1, axis=-1))
        u = p23[..., None, None, :] + rotate(h3[..., None, None, :], q3, p3W[..., None, None, :])  # (..., 2, 2, 3)
        q2 = sp1_kernel(u, np.broadcast_to(v1[..., :, None, :], u.shape), h2[..., None, None, :])
        q1 = np.broadcast_to(q1[..., :, None], q2.shape)
        ok = (ok1[..., :, None] & ~ls1[..., None, None] & ok3 & ~ls3[..., None]).reshape(q1.shape[:-2] + (4,))
        arm = np.stack([q1, q2, q3], -1).reshape(q1.shape[:-2] + (4, 3))
    else:  # general: SP5 in (−q1, q2, q3)
        o1 = P[..., 0, :]
        p12, p23, p3W = P[..., 1, :] - o1, P[..., 2, :] - P[..., 1, :], W - P[..., 2, :]
        t1, q2, q3, ok, ls = sp5_kernel(-p12, w - o1, p23, p3W, h1, h2, h3)
        arm = np.stack([-t1, q2, q3], -1)  # (..., 4, 3)
        ok = ok & ~ls[..., None]
    # R36 = R03ᵀ Rt is needed on two vectors only: R(h3, −q3) R(h2, −q2) R(h1, −q1) applied to Rt h6, Rt v.
    v = _perpendicular(H[..., 5, :])
    both = np.stack([(Rt @ H[..., 5, :, None])[..., 0], (Rt @ v[..., None])[..., 0]], -2)  # (..., 2, 3)
    both = np.broadcast_to(both[..., None, :, :], arm.shape[:-1] + (2, 3))
    for i, h in ((0, h1), (1, h2), (2, h3)):
        both = rotate(h[..., None, None, :], -arm[..., i, None], both)
    gw = _Geometry(g.H[..., None, :, :], g.P[..., None, :, :], g.R0, g.p0)
    wrist, okw = _wrist(gw, both[..., 0, :], both[..., 1, :], v[..., None, :])  # (..., 4, 2, 3)
    q = np.concatenate([np.broadcast_to(arm[..., :, None, :], wrist.shape), wrist], -1)
    return q.reshape(q.shape[:-3] + (8, 6)), (ok[..., :, None] & okw).reshape(ok.shape[:-1] + (8,))


def _three_parallel(name: str, g: _Geometry, Rt: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, ...]:
    """The three-parallel families: ``(q (..., k, 6), exact (..., k))``, k = 8 or 16."""
    H, P = g.H, g.P
    h1, h2, h3, h5, h6 = (H[..., i, :] for i in (0, 1, 2, 4, 5))
    if name == "three_parallel_intersecting_wrist":
        o56, _, _ = _meet(h5, P[..., 4, :], h6, P[..., 5, :])
        o5 = o6 = o56
    else:
        o5, o6 = P[..., 4, :], P[..., 5, :]
    o1, o2, o3, o4 = (P[..., i, :] for i in range(4))
    p12, p23, p34, p45, p56 = o2 - o1, o3 - o2, o4 - o3, o5 - o4, o6 - o5
    x = p - (Rt @ (g.p0 - o6)[..., None])[..., 0] - o1  # = R1(p12 + R2(... R5 p56)) [m]
    Rth6 = (Rt @ h6[..., None])[..., 0]
    d1 = dot(h2, p12 + p23 + p34 + p45)
    if name == "three_parallel_intersecting_wrist":
        t1, ok1, ls1 = sp4_kernel(h2, x, h1, d1)  # (..., 2): θ = −q1
        a = rotate(h1[..., None, :], t1, Rth6[..., None, :])  # R1ᵀ Rt h6
        q5, ok5, ls5 = sp4_kernel(
            h2[..., None, :], h6[..., None, :], h5[..., None, :], dot(h2[..., None, :], a)
        )  # (..., 2, 2)
        t1 = np.broadcast_to(t1[..., :, None], q5.shape)
        ok = ok1[..., :, None] & ~ls1[..., None, None] & ok5 & ~ls5[..., None]
        t1, q5, ok = (v.reshape(v.shape[:-2] + (4,)) for v in (t1, q5, ok))
    else:
        hs = np.stack(np.broadcast_arrays(h2, -h2, h2, -h2), -2)
        ks = np.stack(np.broadcast_arrays(h1, h5, h1, h5), -2)
        ps = np.stack(np.broadcast_arrays(x, p56, Rth6, h6), -2)
        hs, ks, ps = np.broadcast_arrays(hs, ks, ps)
        d = np.stack(np.broadcast_arrays(d1, np.zeros_like(d1)), -1)
        t1, q5, ok, ls = sp6_kernel(hs, ks, ps, d)  # (..., 4)
        ok = ok & ~ls[..., None]
    # Each angle's cosine and sine once; R(h, −θ) takes (c, −s).
    c1, s1 = np.cos(t1), np.sin(t1)
    c5, s5 = np.cos(q5), np.sin(q5)
    # q6: R(h6, −q6) R(h5, −q5) h2 = Rtᵀ R1 h2.
    R1h2 = rotate_cs(h1[..., None, :], c1, -s1, h2[..., None, :])
    target = (np.swapaxes(Rt, -1, -2)[..., None, :, :] @ R1h2[..., None])[..., 0]
    b = rotate_cs(h5[..., None, :], c5, -s5, np.broadcast_to(h2[..., None, :], target.shape))
    q6 = -sp1_kernel(b, target, h6[..., None, :])
    # θ = q2 + σ3 q3 + σ4 q4 (below): R(h2, θ) v = R1ᵀ Rt R6ᵀ R5ᵀ v for v ⟂ h2.
    v = np.broadcast_to(_perpendicular(h2)[..., None, :], target.shape)
    y = rotate_cs(h5[..., None, :], c5, -s5, v)
    y = rotate(h6[..., None, :], -q6, y)
    y = (Rt[..., None, :, :] @ y[..., None])[..., 0]
    y = rotate_cs(h1[..., None, :], c1, s1, y)
    theta = sp1_kernel(v, y, h2[..., None, :])
    # R2(p23 + R3 p34) = R1ᵀ x − p12 − R(h2, θ)(p45 + R5 p56).
    tail = p45[..., None, :] + rotate_cs(h5[..., None, :], c5, s5, p56[..., None, :])
    dvec = (
        rotate_cs(h1[..., None, :], c1, s1, x[..., None, :]) - p12[..., None, :] - rotate(h2[..., None, :], theta, tail)
    )
    q3, ok3, ls3 = sp3_kernel(
        p34[..., None, :], -p23[..., None, :], h3[..., None, :], np.linalg.norm(dvec, axis=-1)
    )  # (..., k, 2)
    u = p23[..., None, None, :] + rotate(h3[..., None, None, :], q3, p34[..., None, None, :])
    q2 = sp1_kernel(u, np.broadcast_to(dvec[..., :, None, :], u.shape), h2[..., None, None, :])
    e = lambda a: np.broadcast_to(a[..., :, None], q3.shape)  # noqa: E731
    # θ = q2 + σ3 q3 + σ4 q4, σi = ±1 as axis i runs along or against h2 (URDFs flip axes freely).
    sign3, sign4 = (np.sign(dot(h2, H[..., i, :]))[..., None, None] for i in (2, 3))
    q4 = sign4 * (e(theta) - q2 - sign3 * q3)
    q = np.stack([-e(t1), q2, q3, q4, e(q5), e(q6)], -1)
    ok = e(ok) & ok3 & ~ls3[..., None]
    return q.reshape(q.shape[:-3] + (-1, 6)), ok.reshape(ok.shape[:-2] + (-1,))


def _solve6(name: str, g: _Geometry, R: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, ...]:
    """All solutions ``(q (N, k, 6), exact (N, k))`` of a 6-joint family for targets ``R (N, 3, 3)``, ``p (N, 3)``."""
    Rt = R @ np.swapaxes(g.R0, -1, -2)
    if name.startswith("spherical"):
        return _spherical(name, g, Rt, p)
    if name == "two_intersecting":
        return _two_intersecting(g, Rt, p)
    if name == "two_parallel":
        return _two_parallel(g, Rt, p)
    return _three_parallel(name, g, Rt, p)


# 1-D search (:mod:`robokin.ik.search`): SEARCH_GRID values of the searched joint over a turn, then the
# zeros of each branch bracketed (sign changes, zoomed near-tangent minima) and refined. 256 values (about
# 0.025 rad apart) found every source configuration of 10^3 random targets on random arms of each search
# family (benchmarks/ik_search.py).
SEARCH_GRID = 256
# A zoomed minimum of the residual at or below this is a double root (a tangency): seeded and polished.
# The residuals are a cosine difference (two_intersecting) and a length over the arm's length L
# (two_parallel), both of order 1 away from solutions.
DOUBLE_ROOT_TOL = 1e-8
_SEARCH_SLOTS = 32  # zeros kept per target (a 6R arm has at most 16 solutions; repeats are merged later)


def _search_slots(N: int, rows: np.ndarray, values: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Zeros ``values (S, m)`` of targets ``rows (S,)`` (sorted) where ``keep (S,)``, packed into
    ``(N, _SEARCH_SLOTS, m)`` slots and their mask ``(N, _SEARCH_SLOTS)``."""
    rows, values = rows[keep], values[keep]
    rank = np.arange(rows.size) - np.searchsorted(rows, rows)
    fits = rank < _SEARCH_SLOTS
    out = np.zeros((N, _SEARCH_SLOTS, values.shape[-1]))
    out[rows[fits], rank[fits]] = values[fits]
    mask = np.zeros((N, _SEARCH_SLOTS), dtype=bool)
    mask[rows[fits], rank[fits]] = True
    return out, mask


def _two_intersecting(g: _Geometry, Rt: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, ...]:
    """Axes 5 and 6 meet in X: a 1-D search over q1 (IK-Geo's "two intersecting" case, sec. 4).

    The point X is fixed in the last link, so its target position is known. For a value t of q1,
    ``R(h2, −q2)(R1ᵀ(X − o1) − p12) − p23 = R(h3, q3)(p34 + R(h4, q4) p4X)`` is subproblem 5 in
    (q2, q3, q4), and joints 5 and 6 can then reach the target rotation iff the residual
    ``e(t) = h5ᵀ R04ᵀ Rt h6 − h5ᵀ h6`` vanishes (a rotation about h5 keeps the h5 component). Every zero
    of e on each of SP5's four branches is found by :func:`robokin.ik.search.find_zeros` (the branches are
    evaluated on all four roots of SP5's quartic, real or not: a complex pair shares one angle, which
    continues the two real branches that meet at a fold); zeros off the real branches are dropped, and each
    other gives q5, q6 by SP1. The caller polishes them by Gauss–Newton steps on the true arm and verifies.

    Returns:
        ``(q (N, 32, 6), seed (N, 32))``: the zeros, and which slots hold one.
    """
    h = [g.H[i] for i in range(6)]
    X0, _, _ = _meet(h[4], g.P[4], h[5], g.P[5])
    X = p - (Rt @ (g.p0 - X0)[..., None])[..., 0]  # (N, 3) the target position of X
    o1 = g.P[0]
    p12, p23, p34, p4X = g.P[1] - o1, g.P[2] - g.P[1], g.P[3] - g.P[2], X0 - g.P[3]
    Rth6 = Rt @ h[5]  # (N, 3)
    h56 = h[4] @ h[5]

    def solve(rows: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """At q1 = t ``(C, G)`` of the targets ``rows``: e, (q2, q3, q4) and SP5's exact slots."""
        c, s = np.cos(t), np.sin(t)
        Xp = rotate_cs(h[0], c, -s, (X[rows] - o1)[:, None, :]) - p12  # (C, G, 3)
        t2, q3, q4, ok, ls = sp5_kernel(-p23, Xp, p34, p4X, h[1], h[2], h[3])  # (C, G, 4)
        q2 = -t2
        z = rotate_cs(h[0], c, -s, Rth6[rows][:, None, :])[..., None, :]  # R1ᵀ Rt h6, (C, G, 1, 3)
        for hi, qi in ((h[1], q2), (h[2], q3), (h[3], q4)):
            z = rotate(hi, -qi, z)
        e = z @ h[4] - h56  # (C, G, 4)
        Q = np.stack([q2, q3, q4], -1)
        return e, Q, ok & ~ls[..., None]

    def branches(rows: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return solve(rows, t)[:2]

    N = X.shape[0]
    rows, t, Q, _ = search.find_zeros(branches, N, SEARCH_GRID, DOUBLE_ROOT_TOL)
    # Keep the zeros on a real branch of SP5 (the slot nearest the zero's angles is a solution of it).
    _, Qs, ok = solve(rows, t[:, None])
    nearest = np.argmin(np.abs(wrap_angle(Qs[:, 0] - Q[:, None, :])).max(-1), axis=-1)
    real = ok[np.arange(rows.size), 0, nearest]
    arm, seeded = _search_slots(N, rows, np.concatenate([t[:, None], Q], -1), real)
    # q5, q6 of each zero by SP1 (least squares where the zero is not exact).
    z = (Rt @ h[5])[:, None, :]
    v = _perpendicular(h[5])
    w = (Rt @ v)[:, None, :]
    for i in range(4):
        z = rotate(h[i], -arm[..., i], z)
        w = rotate(h[i], -arm[..., i], w)
    q5 = sp1_kernel(np.broadcast_to(h[5], z.shape), z, h[4])
    w = rotate(h[4], -q5, w)
    q6 = sp1_kernel(np.broadcast_to(v, w.shape), w, h[5])
    return np.concatenate([arm, q5[..., None], q6[..., None]], -1), seeded


def _two_parallel(g: _Geometry, Rt: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, ...]:
    """Axes 2 and 3 parallel: a 1-D search over q1 (IK-Geo's "two parallel" case, sec. 4).

    With ``R23 = R2 R3 = R(h2, θ)`` (θ = q2 ± q3), ``Rr = R1ᵀ Rt = R23 R4 R5 R6`` and
    ``w = R1ᵀ(p − o1) − p12``, the position reads ``w − Rr p6T − Rr R6ᵀ p56 = R2 p23 + R23 (p34 + R4 p45)``.
    Its h2 component and ``h2ᵀ R4 h5 = h2ᵀ Rr R6ᵀ h5`` (from ``h2ᵀ R23 = h2ᵀ``, ``R5 h5 = h5``) are
    subproblem 6 in (q4, −q6); then θ by SP1 (``R(h2, θ) R4 h5 = Rr R6ᵀ h5``), and the remaining vector
    ``v = R2 p23`` must have the length of ``p23`` across h2: the residual is ``e = (‖v⊥‖ − ‖p23⊥‖) / L``.
    Every zero of e on each of SP6's four branches (evaluated on all four roots, as in
    :func:`_two_intersecting`) gives q2 by SP1, q3 = ±(θ − q2) and q5 by SP1.

    Returns:
        ``(q (N, 32, 6), seed (N, 32))``: the zeros, and which slots hold one.
    """
    H, P = g.H, g.P
    h1, h2, h4, h5, h6 = (H[i] for i in (0, 1, 3, 4, 5))
    s3 = 1.0 if float(H[2] @ h2) > 0.0 else -1.0  # R3 = R(h2, s3 q3)
    o1 = P[0]
    p12, p23, p34, p45, p56, p6T = (
        np.asarray(x) for x in (P[1] - o1, P[2] - P[1], P[3] - P[2], P[4] - P[3], P[5] - P[4], g.p0 - P[5])
    )
    p23_perp = float(np.linalg.norm(p23 - (p23 @ h2) * h2))
    L = _length(g)
    x = p - o1  # (N, 3)
    Rt_p6T = Rt @ p6T  # (N, 3)
    d0 = float(h2 @ (p23 + p34))

    def solve(rows: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, ...]:
        """At q1 = t ``(C, G)``: e ``(C, G, 4)``, (q4, q6, θ) ``(C, G, 4, 3)``, SP6's exact slots, and v."""
        c, s = np.cos(t), np.sin(t)
        w = rotate_cs(h1, c, -s, x[rows][:, None, :]) - p12  # (C, G, 3)
        Rr_p6T = rotate_cs(h1, c, -s, Rt_p6T[rows][:, None, :])
        Rrt_h2 = (np.swapaxes(Rt[rows], -1, -2)[:, None] @ rotate_cs(h1, c, s, h2)[..., None])[..., 0]  # Rrᵀ h2
        d1 = dot(w - Rr_p6T, h2) - d0
        hs = np.stack(np.broadcast_arrays(h2, Rrt_h2, h2, -Rrt_h2), -2)  # (C, G, 4, 3)
        ks = np.stack(np.broadcast_arrays(h4, h6, h4, h6), -2)
        ps = np.stack(np.broadcast_arrays(p45, p56, h5, h5), -2)
        hs, ks, ps = np.broadcast_arrays(hs, ks, ps)
        d = np.stack([d1, np.zeros_like(d1)], -1)
        q4, t6, ok, ls = sp6_kernel(hs, ks, ps, d)  # (C, G, 4)
        q6 = -t6

        def rr(vec: np.ndarray) -> np.ndarray:  # Rr vec = R1ᵀ Rt vec for vec (C, G, 4, 3)
            y = (Rt[rows][:, None, None] @ vec[..., None])[..., 0]
            return rotate_cs(h1, c[..., None], -s[..., None], y)

        R6t_h5 = rotate(h6, -q6, np.broadcast_to(h5, q6.shape + (3,)))
        R4_h5 = rotate(h4, q4, np.broadcast_to(h5, q4.shape + (3,)))
        theta = sp1_kernel(R4_h5, rr(R6t_h5), h2)
        Rr_R6t_p56 = rr(rotate(h6, -q6, np.broadcast_to(p56, q6.shape + (3,))))
        tail = p34 + rotate(h4, q4, np.broadcast_to(p45, q4.shape + (3,)))
        v = (w - Rr_p6T)[..., None, :] - Rr_R6t_p56 - rotate(h2, theta, tail)  # = R2 p23 at a solution
        v_perp = v - dot(v, h2)[..., None] * h2
        e = (np.linalg.norm(v_perp, axis=-1) - p23_perp) / L
        return e, np.stack([q4, q6, theta], -1), ok & ~ls[..., None], v

    def branches(rows: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e, Q, _, _ = solve(rows, t)
        return e, Q

    def joints(
        t: np.ndarray, q4: np.ndarray, q6: np.ndarray, theta: np.ndarray, v: np.ndarray, R: np.ndarray
    ) -> np.ndarray:
        """``(..., 6)`` configurations from q1 = t, q4, q6, θ and ``v = R2 p23`` of targets ``R (..., 3, 3)``: q2 by
        SP1, q3 = ±(θ − q2), q5 by SP1 from ``R(h5, q5) u = R4ᵀ R(h2, −θ) Rr R6ᵀ u`` for a unit u ⟂ h5."""
        q2 = sp1_kernel(np.broadcast_to(p23, v.shape), v, h2)
        u = _perpendicular(h5)
        y = rotate(h6, -q6, np.broadcast_to(u, q6.shape + (3,)))
        y = rotate(h4, -q4, rotate(h2, -theta, rotate(h1, -t, (R @ y[..., None])[..., 0])))
        q5 = sp1_kernel(np.broadcast_to(u, y.shape), y, h5)
        return np.stack([t, q2, s3 * (theta - q2), q4, q5, q6], -1)

    N = x.shape[0]
    rows, t, Q, _ = search.find_zeros(branches, N, SEARCH_GRID, DOUBLE_ROOT_TOL)
    _, Qs, ok, vs = solve(rows, t[:, None])
    nearest = np.argmin(np.abs(wrap_angle(Qs[:, 0] - Q[:, None, :])).max(-1), axis=-1)
    r = np.arange(rows.size)
    real = ok[r, 0, nearest]
    q = joints(t, Q[:, 0], Q[:, 1], Q[:, 2], vs[r, 0, nearest], Rt[rows])
    # Where axis 5 is (nearly) parallel to axis 2 (R4 h5 = ±h2: on many arms a wrist held straight), the SP1 for θ
    # degenerates and e swings like a pole within a range of q1 far narrower than the search can resolve: solutions
    # there are seeded in closed form instead. With R4 h5 = s h2 (q4 by SP1), Rr R6ᵀ h5 = s h2 is SP2 in (q1, −q6)
    # (``R(h1, q1) s h2 = R(Rt h6, −q6) Rt h5``); the position then gives θ by SP3 (``‖R(h2, θ) b − y‖ = ‖p23‖``,
    # b = p34 + R4 p45, y = R2 p23 + R23 b): both elbows. Exact at the degenerate posture, these are within the
    # polish's reach of the solutions next to it; kept where their position error is within POLISH_RANGE.
    seeds, near = [], []
    for sign in (1.0, -1.0):
        straight = sp1_kernel(h5, sign * h2, h4)
        if np.linalg.norm(rotate(h4, straight, h5) - sign * h2) > POLISH_RANGE:
            continue  # the arm has no such posture
        q4 = np.full((N, 2), straight)
        with np.errstate(invalid="ignore", divide="ignore"):  # (h1 ∥ Rt h6: no SP2, the seeds are not finite)
            t1, t2, _, ls2 = sp2_kernel(
                np.broadcast_to(sign * h2, (N, 3)), Rt @ h5, np.broadcast_to(h1, (N, 3)), Rt @ h6
            )
        q6 = -t2
        c, s = np.cos(t1), np.sin(t1)
        Rr_R6t_p56 = rotate_cs(
            h1, c, -s, (Rt[:, None] @ rotate(h6, -q6, np.broadcast_to(p56, q6.shape + (3,)))[..., None])[..., 0]
        )
        y = rotate_cs(h1, c, -s, (x - Rt_p6T)[:, None, :]) - p12 - Rr_R6t_p56  # (N, 2, 3)
        tail = p34 + rotate(h4, q4, np.broadcast_to(p45, q4.shape + (3,)))
        theta, _, _ = sp3_kernel(tail[..., None, :], y[..., None, :], h2, np.full((N, 2, 1), np.linalg.norm(p23)))
        t4, q44, q64, y4, tail4 = (np.repeat(z, 2, axis=1) for z in (t1, q4, q6, y, tail))  # (N, 4, ...)
        th4 = theta.reshape(N, 4)
        v = y4 - rotate(h2, th4, tail4)
        seed = joints(t4, q44, q64, th4, v, Rt[:, None])
        err = np.linalg.norm(v - rotate(h2, seed[..., 1], np.broadcast_to(p23, v.shape)), axis=-1)
        seeds.append(seed)
        near.append(~ls2[:, None] & (err < POLISH_RANGE * L) & np.isfinite(seed).all(-1))
    if seeds:
        rows = np.concatenate([rows, np.repeat(np.arange(N), 4 * len(seeds))])
        q = np.concatenate([q, np.concatenate(seeds, 1).reshape(-1, 6)])
        real = np.concatenate([real, np.concatenate(near, 1).reshape(-1)])
        order = np.argsort(rows, kind="stable")  # each target's zeros first, then its seeds
        rows, q, real = rows[order], q[order], real[order]
    return _search_slots(N, rows, q, real)


# --------------------------------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class IKSolutions:
    """Every inverse-kinematics solution of a batch of targets ``(...)``; every array is read-only.

    Attributes:
        q: ``(..., k, n)`` the solutions [rad], each revolute joint within its limits (the turn nearest 0
            among those within the limits, unless ``wraps=True`` listed every one); invalid slots hold the
            nearest configuration the subproblems gave (finite, not a solution).
        valid: ``(..., k)`` bool: within the joint limits, pose errors within the tolerances, not a repeat
            of an earlier slot.
        position_error: ``(..., k)`` ``‖p* − p(q)‖`` [m] of the candidates (exact subproblem solutions within
            the limits); ``inf`` for the other slots, which are not evaluated.
        rotation_error: ``(..., k)`` the angle of ``R* R(q)ᵀ`` [rad]; ``inf`` likewise.
        family: The :class:`AnalyticFamily` that solved them.
    """

    q: np.ndarray
    valid: np.ndarray
    position_error: np.ndarray
    rotation_error: np.ndarray
    family: AnalyticFamily

    def __post_init__(self) -> None:
        for name in ("q", "valid", "position_error", "rotation_error"):
            value = np.asarray(getattr(self, name))
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    @classmethod
    def one(
        cls,
        q: np.ndarray,
        valid: list[bool],
        position_error: list[float],
        rotation_error: list[float],
        family: AnalyticFamily,
    ) -> IKSolutions:
        """The solutions of ONE target from the one-target path's values: ``q`` ``(k, n)`` [rad] (a new array,
        made read-only in place), the other three lists of ``k``; the fields, shapes and dtypes of the
        constructor's, without its per-field loop (the errors are rows of one new read-only array)."""
        errors = np.array([position_error, rotation_error])  # (2, k)
        errors.setflags(write=False)
        flags = np.array(valid, dtype=bool)
        q.setflags(write=False)
        flags.setflags(write=False)
        result = object.__new__(cls)
        vars(result).update(q=q, valid=flags, position_error=errors[0], rotation_error=errors[1], family=family)
        return result

    @property
    def count(self) -> np.ndarray:
        """``(...)`` int, the number of valid solutions per target."""
        return self.valid.sum(axis=-1)


def _pose_errors(
    robot: Robot, q: np.ndarray, R: np.ndarray, p: np.ndarray, which: np.ndarray | None = None
) -> tuple[np.ndarray, ...]:
    """Position [m] and rotation [rad] errors ``(M,)`` of ``q (M, n)`` against ``R (M, 3, 3)``, ``p (M, 3)``.

    Only the rows ``which`` (bool ``(M,)``; all when None) are evaluated, the others are ``inf``. The angle
    of ``R* Rᵀ`` comes from the Frobenius distance, ``‖R* − R‖_F = 2√2 sin(θ/2)``, which keeps full
    precision for small angles (the trace formula does not).
    """
    if which is not None and not which.all():
        pe, re = np.full(q.shape[0], np.inf), np.full(q.shape[0], np.inf)
        rows = np.flatnonzero(which)
        if rows.size:
            pe[rows], re[rows] = _pose_errors(robot, q[rows], R[rows], p[rows])
        return pe, re
    T = fk(robot, q)
    pe = np.linalg.norm(T[:, :3, 3] - p, axis=-1)
    D = T[:, :3, :3] - R
    dist = np.sqrt(np.einsum("nij,nij->n", D, D))
    re = 2.0 * np.arcsin(np.minimum(dist / (2.0 * np.sqrt(2.0)), 1.0))
    return pe, re


def _polish(
    robot: Robot, q: np.ndarray, R: np.ndarray, p: np.ndarray, free: np.ndarray, steps: int, converge: bool = False
) -> np.ndarray:
    """Gauss–Newton steps ``J_f Δq_f = e`` on the ``free`` joints (6 of them) towards the targets: ``steps``
    of them, or with ``converge`` up to ``steps`` per answer until its step reaches the rounding floor."""
    if converge:
        return _polish_to_convergence(robot, q, R, p, free, steps)
    for _ in range(steps):
        T = fk(robot, q)
        dR = R @ np.swapaxes(T[:, :3, :3], -1, -2)
        w = 0.5 * np.stack([dR[:, 2, 1] - dR[:, 1, 2], dR[:, 0, 2] - dR[:, 2, 0], dR[:, 1, 0] - dR[:, 0, 1]], -1)
        e = np.concatenate([p - T[:, :3, 3], w], -1)  # small-angle error; exact at the fixed point
        J = jacobian(robot, q)[:, :, free]
        dq = _solve_steps(J, e)
        size = np.abs(dq).max(-1)
        # A step beyond the clip (far off, or blown up by a Jacobian singular within rounding) or beyond the error
        # over SINGULAR_CUT · the Jacobian's size (on a continuum of solutions the rounding of a converged answer
        # would otherwise move it along the continuum, adding second-order error)
        wild = ~(size <= POLISH_MAX_STEP) | (size * SINGULAR_CUT * np.abs(J).max((-1, -2)) > np.abs(e).max(-1))
        if wild.any():
            dq[wild] = _least_norm_steps(J[wild], e[wild], SINGULAR_CUT)
        q = q.copy()
        q[:, free] += np.clip(dq, -POLISH_MAX_STEP, POLISH_MAX_STEP)
    return q


def polish_pose(robot: Robot, q: np.ndarray, R: np.ndarray, p: np.ndarray, steps: int = POLISH_STEPS) -> np.ndarray:
    """Answers ``q`` ``(M, 6)`` of a 6-joint arm's tool pose polished to the last digit: undamped Gauss–Newton
    steps on the full pose (the square 6×6 world Jacobian, all joints free; :func:`_polish` to convergence),
    batched over the answers, at most ``steps`` per answer, each clipped to POLISH_MAX_STEP [rad, m].

    No angle is wrapped and no limit is enforced: the caller keeps an answer only where it is better and
    within its limits.

    Args:
        robot: A 6-joint serial arm (its tool is the task).
        q: ``(M, 6)`` answers [rad, m] near their targets (each step squares a small error).
        R: ``(M, 3, 3)`` the targets' rotations ``R_world_tool``.
        p: ``(M, 3)`` the targets' positions [m] in the world frame.
        steps: The most Gauss–Newton steps per answer.

    Returns:
        ``(M, 6)`` the polished answers [rad, m].

    Raises:
        ShapeError: ``robot`` does not have 6 joints.
    """
    if robot.n != 6:
        raise ShapeError(f"polish_pose: robot must have 6 joints (a square 6x6 Jacobian), got {robot.n}")
    return _polish(robot, np.asarray(q, dtype=float), R, p, np.arange(6), steps, converge=True)


def _solve_steps(J: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Gauss–Newton steps ``Δq`` ``(S, 6)`` with ``J Δq = e`` for square ``J`` ``(S, 6, 6)`` and ``e`` ``(S, 6)``;
    where ``J`` is singular (a root on a singularity) the least-squares step of least norm (``lstsq``'s, from the
    SVD with its cut-off ``6 ε σmax``), row by row: one singular row does not stop the others."""
    try:
        return np.linalg.solve(J, e[..., None])[..., 0]
    except np.linalg.LinAlgError:
        pass
    dq = np.empty(e.shape)
    regular = np.linalg.det(J) != 0.0
    if regular.any():
        dq[regular] = np.linalg.solve(J[regular], e[regular, :, None])[..., 0]
    singular = ~regular
    dq[singular] = _least_norm_steps(J[singular], e[singular], 6 * np.finfo(float).eps)
    return dq


def _least_norm_steps(J: np.ndarray, e: np.ndarray, rcond: float) -> np.ndarray:
    """The least-squares steps of least norm ``Δq`` ``(S, 6)`` of ``J Δq = e``, ``J`` ``(S, 6, 6)``, singular
    values below ``rcond · σmax`` taken as zero (``lstsq``'s, row by row)."""
    U, sv, Vt = np.linalg.svd(J)
    cut = sv > rcond * sv[:, :1]
    coef = np.where(cut, (U.transpose(0, 2, 1) @ e[..., None])[..., 0] / np.where(cut, sv, 1.0), 0.0)
    return (Vt.transpose(0, 2, 1) @ coef[..., None])[..., 0]


def _polish_to_convergence(
    robot: Robot, q: np.ndarray, R: np.ndarray, p: np.ndarray, free: np.ndarray, steps: int
) -> np.ndarray:
    """:func:`_polish` per answer until its step is at the rounding floor (≤ CONVERGED_STEP) or, once below
    NOISE_STEP, no longer shrinks (the noise of fk), at most ``steps`` steps: answers of a near-miss geometry
    start anywhere from 1e-16 to POLISH_RANGE off and end at the last digit either way."""
    q = q.copy()
    rows = np.arange(q.shape[0])
    last = np.full(q.shape[0], np.inf)
    for _ in range(steps):
        if rows.size == 0:
            break
        stepped = _polish(robot, q[rows], R[rows], p[rows], free, 1)
        size = np.abs(stepped - q[rows]).max(-1)
        q[rows] = stepped
        done = (size <= CONVERGED_STEP) | ((size >= last) & (size < NOISE_STEP))
        rows, last = rows[~done], size[~done]
    return q


def _wrap_into_limits(q: np.ndarray, lower: np.ndarray, upper: np.ndarray, revolute: np.ndarray) -> np.ndarray:
    """Each revolute angle (given in ``[−π, π]``) moved by whole turns to the value within its limits
    nearest 0, where that is not itself, else onto a limit it passes by at most LIMIT_TOL (after whole turns);
    only the joints whose limits do not hold ``[−π, π]`` are looked at."""
    cols = np.flatnonzero(revolute & ((lower > -np.pi) | (upper < np.pi)))
    if cols.size == 0:
        return q
    q = q.copy()
    for j in cols:
        v = q[..., j]
        fix = (v < lower[j]) | (v > upper[j])
        if fix.any():
            for m in (1, -1, 2, -2):
                cand = v + 2.0 * np.pi * m
                v = np.where(fix & (cand >= lower[j]) & (cand <= upper[j]), cand, v)
                fix = (v < lower[j]) | (v > upper[j])
            at = np.nonzero(fix)
            moved, onto = onto_limits(v[at], lower[j], upper[j])
            v[tuple(a[moved] for a in at)] = onto
            q[..., j] = v
    return q


def onto_limits(v: np.ndarray, lower: float, upper: float) -> tuple[np.ndarray, np.ndarray]:
    """Angles ``v`` ``(K,)`` [rad] outside ``[lower, upper]`` within :data:`LIMIT_TOL` of a limit, up to whole
    turns: ``(moved (K,) bool, the limit each moved one is put on)``.

    A joint exactly at its limit (a target made by fk of such a configuration) comes out of the subproblems
    rounded to about 1e-15 rad beyond it (or a turn away); the caller verifies the pose of the angle put on the
    limit.
    """
    onto = np.full(v.shape, np.nan)
    for limit in (lower, upper):
        if np.isfinite(limit):
            onto[np.abs(np.remainder(v - limit + np.pi, 2.0 * np.pi) - np.pi) <= LIMIT_TOL] = limit
    moved = ~np.isnan(onto)
    return moved, onto[moved]


def _expand_wraps(
    q: np.ndarray, valid: np.ndarray, lower: np.ndarray, upper: np.ndarray, revolute: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Every combination of turns within the limits for joints whose finite range exceeds a turn."""
    for j in np.flatnonzero(revolute & np.isfinite(lower) & np.isfinite(upper) & (upper - lower > 2.0 * np.pi)):
        ms = np.arange(
            int(np.floor((lower[j] - np.pi) / (2.0 * np.pi))), int(np.ceil((upper[j] + np.pi) / (2.0 * np.pi))) + 1
        )
        base = wrap_angle(q[..., j])
        cands = base[..., None] + 2.0 * np.pi * ms  # (..., k, W)
        inside = (cands >= lower[j]) & (cands <= upper[j])
        # Keep the q0-style representative order: first the value q already has.
        qn = np.repeat(q[..., :, None, :], ms.size, axis=-2)
        qn[..., j] = cands
        q = qn.reshape(q.shape[:-2] + (-1, q.shape[-1]))
        valid = (valid[..., :, None] & inside).reshape(valid.shape[:-1] + (-1,))
    return q, valid


def _dedupe(q: np.ndarray, valid: np.ndarray, block: int) -> np.ndarray:
    """``valid`` with repeats (within DUPLICATE_TOL, inside each block of ``block`` slots) marked invalid.

    Pairs are screened on one number per slot (a weighted sum of the joints, weights 1, 2, ..., n, which two
    repeats share within DUPLICATE_TOL · n(n+1)/2), and only the few candidates compared joint by joint.
    """
    N, k, n = q.shape
    key = (q @ np.arange(1.0, n + 1.0)).reshape(N, k // block, block)
    vb = valid.reshape(N, k // block, block)
    bound = DUPLICATE_TOL * n * (n + 1) / 2
    out = None
    for i in range(1, block):
        near = (np.abs(key[:, :, :i] - key[:, :, i : i + 1]) < bound) & vb[:, :, :i] & vb[:, :, i : i + 1]
        if not near.any():
            continue
        out = vb.copy() if out is None else out
        t, b, a = np.nonzero(near)
        rows = t * k + b * block
        same = np.abs(q.reshape(-1, n)[rows + a] - q.reshape(-1, n)[rows + i]).max(-1) < DUPLICATE_TOL
        out[t[same], b[same], i] = False
    return valid if out is None else out.reshape(N, k)


def solve_all(
    robot: Robot,
    T_world_tool: npt.ArrayLike,
    *,
    q_param: npt.ArrayLike | None = None,
    grid: int = 8,
    wraps: bool = False,
) -> IKSolutions:
    """Every inverse-kinematics solution of an arm that has an analytic family, batched.

    Args:
        robot: A robot with :func:`analytic_family` ``.applies``.
        T_world_tool: ``(4, 4)`` or ``(..., 4, 4)`` target poses of the tool in the world. Rotation blocks
            off orthonormal by more than ``validation.SNAP_TOL`` (accepted up to ``RIGID_TOL``, e.g. a pose
            in float32) are solved at their nearest rotation; the errors are measured against it.
        q_param: 7-joint arms: the value [rad] of the parameter joint (``family.parameter_joint``),
            a scalar or ``(...)`` broadcast against the targets; None sweeps ``grid`` values evenly over
            its range ([−π, π) when unlimited). Within the joint's limits. Must be None for a 6-joint arm.
        grid: Number of parameter values swept when ``q_param`` is None (7-joint arms), 1 to :data:`MAX_GRID`.
        wraps: Also list every whole-turn variant within the limits of joints whose range exceeds a turn
            (multiplies ``k``); default: each joint at its variant within the limits nearest 0.

    Returns:
        :class:`IKSolutions` with ``q`` ``(..., k, n)``; ``k`` is ``family.solutions`` (times ``grid`` for
        a swept parameter, times the turn variants with ``wraps``). An unreachable target has no valid slot.

    Raises:
        NoAnalyticSolutionError: The arm has no analytic family (the message says why).
        ShapeError: ``T_world_tool`` or ``q_param`` has a wrong shape or a non-finite value.
        ConventionError: ``T_world_tool`` is not a rigid transform.
        OptionError: ``robot`` is not a Robot, ``q_param`` for a 6-joint arm, ``grid`` not an integer from 1
            to :data:`MAX_GRID`, or ``wraps`` not a bool.
        LimitError: a ``q_param`` outside the parameter joint's limits (no valid solution can hold the joint
            there; such a value is most often in degrees). Any angle is accepted for an unlimited joint.
    """
    if not _family_of(robot)[0].applies:
        raise NoAnalyticSolutionError(
            f"robot {robot.name!r} has no analytic IK family: {analytic_family(robot).reason}"
        )
    T = validation.transforms(T_world_tool, "T_world_tool", snap=True)
    return solve_validated(robot, T, q_param=q_param, grid=grid, wraps=validation.flag(wraps, "wraps"))


def solve_validated(
    robot: Robot,
    T: np.ndarray,
    *,
    q_param: npt.ArrayLike | None = None,
    grid: int = 8,
    wraps: bool = False,
) -> IKSolutions:
    """:func:`solve_all` for targets ``T`` ``(..., 4, 4)`` that the caller has already validated
    (``validation.transforms``), for a robot whose family applies; the same arguments and result.

    Raises:
        ShapeError, OptionError, LimitError: ``q_param`` or ``grid`` as in :func:`solve_all`.
    """
    family, g, L = _family_of(robot)
    batch = T.shape[:-2]
    if T.size == 16 and q_param is None and family.exact and family.parameter_joint is None:
        if family.name in closed_form.LEAN_FAMILIES:  # one target: its algebra on floats
            one = _scalar_arm(robot, family, g, L).solutions(T.reshape(4, 4))
            if one is not None:  # (None: a target beyond its range, or an answer to polish: the batched path)
                if not all(one[1]):  # (the continua move invalid slots only)
                    one = _slide_one(robot, family, g, L, T.reshape(4, 4), one)
                if batch == () and not wraps:
                    return IKSolutions.one(*one, family)
                q, valid, pe, re = (np.array(x) for x in one)
                lower, upper = robot.limits.T
                revolute = np.asarray(robot.serial_chain.revolute)
                return _solutions(
                    q[None], valid[None], pe[None], re[None], family, batch, wraps, lower, upper, revolute
                )
    T2 = T.reshape(-1, 4, 4)
    N = T2.shape[0]
    n = robot.n
    lower, upper = robot.limits[:, 0], robot.limits[:, 1]
    revolute = np.asarray(robot.serial_chain.revolute)
    j = family.parameter_joint
    if j is None:
        if q_param is not None:
            raise OptionError(f"q_param is only for 7-joint arms; robot {robot.name!r} has {n} joints")
        geo, R, p, params, reps = g, T2[:, :3, :3], T2[:, :3, 3], None, 1
    else:
        if q_param is None:
            if not isinstance(grid, (int, np.integer)) or isinstance(grid, bool) or not 1 <= grid <= MAX_GRID:
                raise OptionError(f"grid must be an integer >= 1 and at most {MAX_GRID}, got {grid!r}")
            lo = lower[j] if np.isfinite(lower[j]) else -np.pi
            hi = upper[j] if np.isfinite(upper[j]) else np.pi
            values = lo + (hi - lo) * (np.arange(grid) + 0.5) / grid
            params = np.broadcast_to(values, (N, grid)).reshape(-1)
            reps = grid
        else:
            qp = validation.require_finite(validation.real_array(q_param, "q_param", "(...)"), "q_param")
            try:
                qp = np.broadcast_to(qp, batch).reshape(-1)
            except ValueError:
                raise ShapeError(
                    f"q_param of shape {qp.shape} does not broadcast against the targets' batch shape {batch}"
                ) from None
            outside = np.flatnonzero((qp < lower[j]) | (qp > upper[j]))
            if outside.size:
                i = int(outside[0])
                at = f"[{i}]" if qp.size > 1 else ""
                raise LimitError(
                    f"q_param{at} = {float(qp[i]):.6g} rad puts the parameter joint {j} ({robot.joint_names[j]}) "
                    f"outside its limits [{lower[j]:.6g}, {upper[j]:.6g}] rad ({outside.size} of {qp.size} values), "
                    "where no solution can hold it (degrees must be converted with np.radians; clip a sweep to "
                    f"robot.limits[{j}])"
                )
            params, reps = qp, 1
        lean = family.name in closed_form.LEAN_FAMILIES and family.exact  # the lean path holds the joint itself
        geo = g if lean else g.fixed(j, params)
        R = np.repeat(T2[:, :3, :3], reps, axis=0)
        p = np.repeat(T2[:, :3, 3], reps, axis=0)
        if family.name in SEARCH_FAMILIES:  # (an end joint: see _detect) one geometry, the targets moved
            geo = g.fixed(j, np.array(0.0))
            R_solve, p_solve = _fold_end_joint(g, j, params, R, p)
    if N == 0:  # an empty batch: the shapes only
        k = family.solutions * reps
        empty = np.zeros(batch + (k,))
        return IKSolutions(np.zeros(batch + (k, n)), empty.astype(bool), empty, empty, family)
    near = _lean_near(robot, family, g, L)
    if family.name in closed_form.LEAN_FAMILIES and (family.exact or near):
        q, valid, pe, re, redo = _solve_lean(robot, family, g, L, R, p, params, near)
        if redo.any():  # (near misses) targets the lean path leaves to the general one
            rows = np.flatnonzero(redo)
            q[rows], valid[rows], pe[rows], re[rows] = _solve_general(
                robot, family, g, L, R[rows], p[rows], R[rows], p[rows], None, rows.size, 1
            )
        _resolve_parallel_shoulder(robot, family, g, L, R, p, params, (q, valid, pe, re))
        q, valid = q.reshape(N, reps * 8, n), valid.reshape(N, reps * 8)
        pe, re = pe.reshape(N, -1), re.reshape(N, -1)
        _slide_wrists(robot, g, L, q, valid, pe, re, T2[:, :3, :3], T2[:, :3, 3], j)
        _slide_aligned_wrists(robot, family, g, L, q, valid, pe, re, T2[:, :3, :3], T2[:, :3, 3])
        if j is None:
            _slide_shoulders(robot, g, L, q, valid, pe, re, T2[:, :3, :3], T2[:, :3, 3])
        return _solutions(q, valid, pe.reshape(N, -1), re.reshape(N, -1), family, batch, wraps, lower, upper, revolute)
    if family.name not in SEARCH_FAMILIES or j is None:
        R_solve, p_solve = R, p  # the targets the six solved joints must reach
    q, kept, pe, re = _solve_general(robot, family, geo, L, R, p, R_solve, p_solve, params, N, reps)
    if family.name == "spherical_wrist_intersecting_shoulder" and j is not None:  # (8 slots per parameter value)
        out = (
            q.reshape(-1, 8, n).copy(),
            kept.reshape(-1, 8).copy(),
            pe.reshape(-1, 8).copy(),
            re.reshape(-1, 8).copy(),
        )
        _resolve_parallel_shoulder(robot, family, g, L, R, p, params, out)
        q, kept, pe, re = (
            out[0].reshape(q.shape),
            out[1].reshape(kept.shape),
            out[2].reshape(pe.shape),
            out[3].reshape(re.shape),
        )
    _slide_wrists(robot, g, L, q, kept, pe, re, T2[:, :3, :3], T2[:, :3, 3], j)
    _slide_aligned_wrists(robot, family, g, L, q, kept, pe, re, T2[:, :3, :3], T2[:, :3, 3], ALIGNED_GENERAL_WINDOW)
    if j is None:
        _slide_shoulders(robot, g, L, q, kept, pe, re, T2[:, :3, :3], T2[:, :3, 3])
    return _solutions(q, kept, pe, re, family, batch, wraps, lower, upper, revolute)


def _slide_one(
    robot: Robot,
    family: AnalyticFamily,
    g: _Geometry,
    L: float,
    T: np.ndarray,
    one: tuple[np.ndarray, list[bool], list[float], list[float]],
) -> tuple[np.ndarray, list[bool], list[float], list[float]]:
    """The one-target answer ``one`` (``q`` ``(8, 6)``, ``valid``, ``position_error``, ``rotation_error`` as lists
    of 8) of ``T`` ``(4, 4)`` with its invalid slots moved along the wrist, aligned-wrist and shoulder continua
    as the batched path moves them (:func:`_slide_wrists`, :func:`_slide_aligned_wrists`,
    :func:`_slide_shoulders`), each run only where its screen on floats finds a slot it may move."""
    T1 = T.reshape(1, 4, 4)
    R, p = T1[:, :3, :3], T1[:, :3, 3]

    def slid(slide: Callable[..., None], *before: object) -> tuple[np.ndarray, list[bool], list[float], list[float]]:
        q1, v1, pe1, re1 = (np.array(x)[None] for x in one)
        slide(robot, *before, g, L, q1, v1, pe1, re1, R, p)
        return q1[0], v1[0].tolist(), pe1[0].tolist(), re1[0].tolist()

    triples = _wrist_triples(robot, g, L)
    if triples and _near_wrist_continuum(triples, one[0].tolist(), one[1], _float_limits(robot)):
        one = slid(_slide_wrists)
    aligned = _aligned_wrist(robot, family, g, L)
    if aligned is not None and not all(one[1]) and _near_aligned_wrist(aligned, one[0], one[1]):
        one = slid(_slide_aligned_wrists, family)
    shoulder = _shoulder_wrist(robot, g, L) if False in one[1] else None  # (an invalid slot)
    if shoulder is not None and _near_shoulder_continuum(shoulder, T):
        one = slid(_slide_shoulders)
    return one


def _parallel_shoulder(family: AnalyticFamily, g: _Geometry, params: np.ndarray | None) -> np.ndarray:
    """Indices of the parameter values ``params`` ``(M,)`` of a 7-joint intersecting-shoulder arm at which its two
    shoulder axes are within :data:`SHOULDER_PARALLEL_SIN` of parallel (none when the parameter joint is not
    between them: then their angle does not depend on it)."""
    j = family.parameter_joint
    if family.name != "spherical_wrist_intersecting_shoulder" or j is None or params is None:
        return np.zeros(0, dtype=np.intp)
    six = [i for i in range(g.H.shape[-2]) if i != j]
    a, b = sorted(six[-2:] if family.reversed else six[:2])
    if not a < j < b:
        return np.zeros(0, dtype=np.intp)
    hb = (_rotation_matrix(g.H[j], params) @ g.H[b][:, None])[..., 0]  # (M, 3): axis b with joint j at t
    return np.flatnonzero(np.linalg.norm(cross(g.H[a], hb), axis=-1) < SHOULDER_PARALLEL_SIN)


def _resolve_parallel_shoulder(
    robot: Robot,
    family: AnalyticFamily,
    g: _Geometry,
    L: float,
    R: np.ndarray,
    p: np.ndarray,
    params: np.ndarray | None,
    out: tuple[np.ndarray, ...],
) -> None:
    """The targets ``R (M, 3, 3)``, ``p (M, 3)`` whose parameter value turns the shoulder axes (nearly) parallel
    (:func:`_parallel_shoulder`) solved again by the general spherical-wrist formula, written into ``out`` =
    ``(q (M, 8, n), valid (M, 8), position_error, rotation_error)``."""
    rows = _parallel_shoulder(family, g, params)
    if rows.size == 0:
        return
    assert params is not None  # internal invariant: rows come from params (not a check of user input)
    j = family.parameter_joint
    assert j is not None  # internal invariant (as above)
    general = replace(family, name="spherical_wrist")
    Rr, pr, tr = R[rows], p[rows], params[rows]
    q, valid, pe, re = _solve_general(robot, general, g.fixed(j, tr), L, Rr, pr, Rr, pr, tr, rows.size, 1)
    for dst, src in zip(out, (q, valid, pe, re)):
        dst[rows] = src


def _solve_general(
    robot: Robot,
    family: AnalyticFamily,
    geo: _Geometry,
    L: float,
    R: np.ndarray,
    p: np.ndarray,
    R_solve: np.ndarray,
    p_solve: np.ndarray,
    params: np.ndarray | None,
    N: int,
    reps: int,
) -> tuple[np.ndarray, ...]:
    """The general path of :func:`solve_validated` (every family, exact or near miss): ``N`` targets ``R``,
    ``p`` (repeated ``reps`` times for a swept parameter ``params``), the six solved joints of ``geo`` reaching
    ``R_solve``, ``p_solve``.

    Returns:
        ``q (N, reps k, n)``, ``valid (N, reps k)`` (repeats removed), ``position_error``, ``rotation_error``
        ``(N, reps k)``.
    """
    n = robot.n
    lower, upper = robot.limits[:, 0], robot.limits[:, 1]
    revolute = np.asarray(robot.serial_chain.revolute)
    j = family.parameter_joint
    if family.reversed:
        geo_s = geo.reversed()
        Rs = np.swapaxes(R_solve, -1, -2)
        ps = -(Rs @ p_solve[..., None])[..., 0]
        q6, exact = _solve6(family.name, geo_s, Rs, ps)
        q6 = -q6[..., ::-1]
    else:
        q6, exact = _solve6(family.name, geo, R_solve, p_solve)
    q6 = wrap_angle(np.nan_to_num(q6))  # every angle into (−π, π]
    M, k6 = q6.shape[0], q6.shape[1]
    if j is None:
        q = q6
    else:
        assert params is not None  # internal invariant: set whenever j is (not a check of user input)
        q = np.insert(q6, j, np.broadcast_to(params[:, None], (M, k6)), axis=-1)
    q = _wrap_into_limits(q, lower, upper, revolute)
    flat_q = q.reshape(-1, n)
    Rf = np.repeat(R, k6, axis=0)
    pf = np.repeat(p, k6, axis=0)
    # Verified by fk: the candidates, exact slots within the limits (every slot within the limits for a near
    # miss, whose answers are only close); the others are not solutions and are not evaluated (error inf),
    # which spares the fk of up to half the slots on arms with tight limits.
    inside = ((flat_q >= lower) & (flat_q <= upper)).all(-1)
    searched = family.name in SEARCH_FAMILIES
    if searched:  # zeros of the 1-D search: all polished (to full precision), wherever they are
        cand = exact.reshape(-1)
    elif family.exact:
        cand = exact.reshape(-1) & inside
    else:  # a near miss: the ideal geometry's answers, exact or not, are only close
        cand = np.ones_like(inside)
    pe, re = _pose_errors(robot, flat_q, Rf, pf, cand)
    near_miss = not searched and not family.exact
    need = cand & ((pe > POSITION_TOLERANCE) | (re > ROTATION_TOLERANCE))
    if searched:
        need = cand
    else:  # a near miss: every answer (an error of the geometry's rounding, 1e-13·L, polished to the last digit)
        need = (cand if near_miss else need) & (pe < POLISH_RANGE * L) & (re < POLISH_RANGE)
    free = np.array([i for i in range(n) if i != j])
    start = flat_q
    if need.any():
        rows = np.flatnonzero(need)
        flat_q = flat_q.copy()
        if near_miss:
            polished = _polish(robot, flat_q[rows], Rf[rows], pf[rows], free, NEAR_POLISH_STEPS, converge=True)
        else:
            polished = _polish(
                robot, flat_q[rows], Rf[rows], pf[rows], free, SEARCH_POLISH_STEPS if searched else POLISH_STEPS
            )
        polished = wrap_angle(polished)
        flat_q[rows] = _wrap_into_limits(polished, lower, upper, revolute)
        pe, re = pe.copy(), re.copy()
        pe[rows], re[rows] = _pose_errors(robot, flat_q[rows], Rf[rows], pf[rows])
        inside = ((flat_q >= lower) & (flat_q <= upper)).all(-1)
    if family.exact and not searched:
        flat_q, pe, re = _refine_exact(
            robot, flat_q, pe, re, Rf, pf, free, L, np.asarray(inside), (lower, upper, revolute)
        )
        flat_q, pe, re = _polish_at_folds(
            robot, flat_q, pe, re, Rf, pf, free, L, np.asarray(inside), k6, (lower, upper, revolute)
        )
    valid = inside & (pe <= POSITION_TOLERANCE) & (re <= ROTATION_TOLERANCE)
    q = flat_q.reshape(N, reps * k6, n)
    kept = _dedupe(q, valid.reshape(N, reps * k6), k6)
    if near_miss:
        # A double root of the ideal geometry (a fold: its two answers equal, or a least-squares answer where its
        # roots turned complex) is, on the true arm, two roots on either side of it, and both answers polish to
        # the nearer one. The repeat starts again from the mirror image of that root through the ideal answer.
        again = np.flatnonzero(valid & ~kept.reshape(-1))
        if again.size:
            away = flat_q[again] - start[again]
            away[:, revolute] = wrap_angle(away[:, revolute])
            polished = _polish(robot, start[again] - away, Rf[again], pf[again], free, NEAR_POLISH_STEPS, converge=True)
            polished[:, revolute] = wrap_angle(polished[:, revolute])
            polished = _wrap_into_limits(polished, lower, upper, revolute)
            pe_a, re_a = _pose_errors(robot, polished, Rf[again], pf[again])
            ok = ((polished >= lower) & (polished <= upper)).all(-1)
            ok &= (pe_a <= POSITION_TOLERANCE) & (re_a <= ROTATION_TOLERANCE)
            again = again[ok]
            flat_q, pe, re = flat_q.copy(), pe.copy(), re.copy()
            flat_q[again], pe[again], re[again] = polished[ok], pe_a[ok], re_a[ok]
            q = flat_q.reshape(N, reps * k6, n)
            kept = _dedupe(q, valid.reshape(N, reps * k6), k6)
    return q, kept, pe.reshape(N, -1), re.reshape(N, -1)


def _polished(
    robot: Robot,
    q: np.ndarray,
    R: np.ndarray,
    p: np.ndarray,
    free: np.ndarray,
    steps: int,
    limits: tuple[np.ndarray, np.ndarray, np.ndarray],
    converge: bool = False,
) -> tuple[np.ndarray, ...]:
    """:func:`_polish` of answers ``q`` ``(M, n)`` towards ``R``, ``p``, its revolute angles wrapped into
    ``(−π, π]`` and then into the limits: ``(q, position_error, rotation_error, within_limits)``."""
    lower, upper, revolute = limits
    polished = _polish(robot, q, R, p, free, steps, converge)
    polished[:, revolute] = wrap_angle(polished[:, revolute])
    polished = _wrap_into_limits(polished, lower, upper, revolute)
    e_p, e_r = _pose_errors(robot, polished, R, p)
    return polished, e_p, e_r, np.asarray(((polished >= lower) & (polished <= upper)).all(-1))


def _polish_at_folds(
    robot: Robot,
    q: np.ndarray,
    pe: np.ndarray,
    re: np.ndarray,
    R: np.ndarray,
    p: np.ndarray,
    free: np.ndarray,
    L: float,
    inside: np.ndarray,
    block: int,
    limits: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Answers ``q`` ``(S, n)`` of an exact family within the limits (``inside`` ``(S,)``) that did not verify, at
    a fold of the arm: least-squares ones (a subproblem's double root that rounding split into a complex pair,
    whose real part is close to the target) and exact ones whose POLISH_STEPS did not reach the tolerances
    (Gauss–Newton converges slowly at a double root). Those within FOLD_RANGE of the target are polished to
    convergence (as a near miss's answers are) and kept, with their errors in ``pe``, ``re`` [m, rad], where
    they verify within the limits and do not repeat (to FOLD_REPEAT) a valid answer of their target (the
    ``block`` consecutive slots); the others are left as they are."""
    lower, upper, revolute = limits
    verified = (pe <= POSITION_TOLERANCE) & (re <= ROTATION_TOLERANCE)
    rows = np.flatnonzero(inside & ~verified)
    if rows.size == 0:
        return q, pe, re
    e_p, e_r = _pose_errors(robot, q[rows], R[rows], p[rows])
    rows = rows[(e_p < FOLD_RANGE * L) & (e_r < FOLD_RANGE)]
    if rows.size == 0:
        return q, pe, re
    polished, m_p, m_r, ok = _polished(robot, q[rows], R[rows], p[rows], free, NEAR_POLISH_STEPS, limits, True)
    ok &= (m_p <= POSITION_TOLERANCE) & (m_r <= ROTATION_TOLERANCE)
    q, pe, re = q.copy(), pe.copy(), re.copy()
    valid = inside & verified
    for i in np.flatnonzero(ok):  # (rare: targets within FOLD_RANGE of a fold)
        r, y = rows[i], polished[i]
        start = r - r % block
        others = start + np.flatnonzero(valid[start : start + block])
        d = q[others] - y
        d[:, revolute] = wrap_angle(d[:, revolute])
        if not (np.abs(d).max(-1) < FOLD_REPEAT).any():
            q[r], pe[r], re[r], valid[r] = y, m_p[i], m_r[i], True
    return q, pe, re


def _refine_exact(
    robot: Robot,
    q: np.ndarray,
    pe: np.ndarray,
    re: np.ndarray,
    R: np.ndarray,
    p: np.ndarray,
    free: np.ndarray,
    L: float,
    inside: np.ndarray,
    limits: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Answers of an exact family that verify but lost digits (above REFINE_ERROR: a root of SP5's quartic next
    to a double one, a target near a singularity), ``q`` ``(S, n)`` with their errors ``pe``, ``re`` ``(S,)``
    [m, rad], polished by POLISH_STEPS Gauss–Newton steps; each polished answer replaces its answer only where it
    stays within the limits and its error (``pe / L + re``) is smaller, so no answer is lost or made worse."""
    lower, upper, revolute = limits
    ok = inside & (pe <= POSITION_TOLERANCE) & (re <= ROTATION_TOLERANCE)
    rows = np.flatnonzero(ok & ((pe > REFINE_ERROR * L) | (re > REFINE_ERROR)))
    if rows.size == 0:
        return q, pe, re
    polished, pe_p, re_p, within = _polished(robot, q[rows], R[rows], p[rows], free, POLISH_STEPS, limits)
    better = within & (pe_p / L + re_p < pe[rows] / L + re[rows])
    rows = rows[better]
    q, pe, re = q.copy(), pe.copy(), re.copy()
    q[rows], pe[rows], re[rows] = polished[better], pe_p[better], re_p[better]
    return q, pe, re


def _fold_end_joint(g: _Geometry, j: int, t: np.ndarray, R: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Targets ``R (M, 3, 3)``, ``p (M, 3)`` of the 7-joint chain ``g`` with its end joint ``j`` (first or
    last) at ``t (M,)``, as targets of the other six joints at their zero-configuration geometry
    (``g.fixed(j, 0)``): ``e^{−ξ1 t} T`` for the first joint, ``T T0⁻¹ e^{−ξn t} T0`` for the last."""
    E = _rotation_matrix(g.H[j], -t)  # (M, 3, 3): the joint's motion by −t about its axis through o_j
    o = g.P[j]
    if j == 0:
        return E @ R, (E @ (p - o)[..., None])[..., 0] + o
    d = (E @ (g.p0 - o)[..., None])[..., 0] + o - g.p0  # (M, 3)
    RR0t = R @ g.R0.T
    return RR0t @ E @ g.R0, p + (RR0t @ d[..., None])[..., 0]


def _solutions(
    q: np.ndarray,
    valid: np.ndarray,
    pe: np.ndarray,
    re: np.ndarray,
    family: AnalyticFamily,
    batch: tuple[int, ...],
    wraps: bool,
    lower: np.ndarray,
    upper: np.ndarray,
    revolute: np.ndarray,
) -> IKSolutions:
    """The :class:`IKSolutions` of ``q`` ``(N, k, n)`` etc., with the turn variants when ``wraps``."""
    if wraps:
        q, valid = _expand_wraps(q, valid, lower, upper, revolute)
        W = q.shape[1] // pe.shape[1]
        pe, re = np.repeat(pe, W, axis=1), np.repeat(re, W, axis=1)
    k, n = q.shape[1], q.shape[2]
    return IKSolutions(
        q=q.reshape(batch + (k, n)),
        valid=valid.reshape(batch + (k,)),
        position_error=pe.reshape(batch + (k,)),
        rotation_error=re.reshape(batch + (k,)),
        family=family,
    )


# Targets per block of the lean path: its arrays (8 slots × 2048 targets, 128 KiB; 3-vectors 384 KiB) stay
# in a 1 MiB L2 cache while each block's few hundred NumPy calls cost little per target (measured CPU time
# per target at N = 10⁴: 2048 is 5-10 % below 1024; 4096, out of cache, 2x above), and its few matrix
# products stay below the size at which a multi-threaded BLAS starts threads (which on a shared machine costs
# more than it gains).
LEAN_BLOCK = 2048
_LEAN_CACHE: weakref.WeakKeyDictionary[Robot, tuple] = weakref.WeakKeyDictionary()


def _lean_constants(robot: Robot, family: AnalyticFamily, g: _Geometry, L: float) -> tuple:
    """Per robot (cached): the kernel's constants and tool rotation of the six solved joints (None when a
    middle joint of a 7-joint arm is the parameter: they depend on its value), the fk program,
    the limits, and per joint the whole turns to try when its angle from ``arctan2`` (in ``(−π, π]``) is
    outside them (in the order of :func:`_wrap_into_limits`; None for limits that hold ``[−π, π]``)."""
    cached = _LEAN_CACHE.get(robot)
    if cached is None:
        K = None
        held = None
        j = family.parameter_joint
        if j is None or j in (0, robot.n - 1):  # an end parameter joint is folded into the targets
            g6 = g if j is None else g.fixed(j, np.array(0.0))
            gs = g6.reversed() if family.reversed else g6
            K = closed_form.constants(family.name, gs.H, gs.P, gs.R0, gs.p0)
        else:
            held = _held_constants(family, g, j)
        program = closed_form.fk_program(robot.serial_chain.C, L)
        lower, upper = (np.array(a, dtype=float) for a in robot.limits.T)
        revolute = np.asarray(robot.serial_chain.revolute)
        turns: list[tuple[int, ...] | None] = []
        for i in range(robot.n):
            if not revolute[i] or (lower[i] <= -np.pi and upper[i] >= np.pi):
                turns.append(None)
                continue  # every value of (−π, π] is within the limits
            # the turns m for which (−π, π] + 2πm meets the limits
            turns.append(
                tuple(m for m in (1, -1, 2, -2) if lower[i] <= np.pi * (2 * m + 1) and upper[i] > np.pi * (2 * m - 1))
            )
        R0 = None if K is None else (g6.reversed() if family.reversed else g6).R0
        cached = _LEAN_CACHE[robot] = (K, R0, program, lower, upper, turns, held)
    return cached


# A middle joint j of a 7-joint arm held at t (iiwa, Gen3): each axis and point of the other six is fixed or
# turned by R(h_j, ±t), and the kernel's constants are sums of products of a few of them, so each is a
# trigonometric polynomial in t of low degree. They are interpolated from HELD_SAMPLES equispaced values of t
# (a discrete Fourier transform, exact up to degree (HELD_SAMPLES − 1) / 2) and checked at another angle
# against the direct computation (to HELD_CHECK_TOL, relative to each constant's size); an arm that fails the
# check has its constants computed per target.
HELD_SAMPLES = 9
HELD_CHECK_TOL = 1e-11
HELD_ZERO_TOL = 1e-14  # a coefficient below this (relative) is rounding: a constant that does not depend on t
_HELD_PROBE = 0.7313


def _trig_basis(t: np.ndarray, size: int) -> np.ndarray:
    """``[1, cos t, sin t, cos 2t, sin 2t, ...]`` ``(size, ...)`` (``size`` odd) of angles ``t`` ``(...)``."""
    B = np.empty((size,) + t.shape)
    B[0] = 1.0
    if size == 1:
        return B
    c, s = np.cos(t), np.sin(t)
    B[1], B[2] = c, s
    for d in range(3, size, 2):  # cos, sin of (k + 1) t from those of k t
        B[d] = B[d - 2] * c - B[d - 1] * s
        B[d + 1] = B[d - 1] * c + B[d - 2] * s
    return B


def _held_constants(family: AnalyticFamily, g: _Geometry, j: int) -> tuple | None:
    """The lean kernel's constants of the arm with its middle joint ``j`` held, as trigonometric polynomials
    in the held angle ``t``: ``(fixed, coefficients, layout)``, or None when they are not (the check at a probe
    angle fails). ``fixed``: the constants that do not depend on ``t``, in the one-arm layout of
    :func:`closed_form.constants`; ``coefficients`` ``(F, 2d + 1)`` of the others on ``[1, cos t, sin t, ...,
    sin dt]``, whose rows ``rows`` reshaped to ``shape + (M,)`` are the per-target constant ``key`` (layout
    ``[(key, shape, rows)]``); the tool rotation at q = 0 is the key ``"R0"``."""
    t = np.append(2.0 * np.pi * np.arange(HELD_SAMPLES) / HELD_SAMPLES, _HELD_PROBE)
    geo = g.fixed(j, t)
    gs = geo.reversed() if family.reversed else geo
    # The perpendicular the kernel pairs with one axis turns with that axis (about h_j, or h_j seen from the
    # tool for the reversed chain), so that it too is a polynomial in t.
    a = closed_form.perpendicular_axis(family.name)
    h = gs.H[:, a]  # (S + 1, 3)
    v0 = closed_form.perpendicular(h[0])
    V = None
    for axis in (g.H[j], g.R0.T @ g.H[j]):
        for sign in (0.0, 1.0, -1.0):
            Rs = _rotation_matrix(axis, sign * t)  # (S + 1, 3, 3)
            if np.abs(Rs @ h[0] - h).max() <= HELD_CHECK_TOL:
                V = Rs @ v0
                break
        if V is not None:
            break
    if V is None:
        return None
    Ks = closed_form.constants(family.name, gs.H, gs.P, gs.R0, gs.p0, perpendicular=V)
    Ks["R0"] = np.moveaxis(gs.R0, 0, -1)  # (3, 3, S + 1)
    inverse = np.linalg.inv(_trig_basis(t[:-1], HELD_SAMPLES))  # (S, S): values at the samples -> coefficients
    probe = _trig_basis(t[-1:], HELD_SAMPLES)[:, 0]
    fixed: dict[str, np.ndarray] = {}
    layout, rows, start = [], [], 0
    for key, val in Ks.items():
        values = val.reshape(-1, t.size)
        coef = values[:, :-1] @ inverse  # (r, S)
        scale = max(float(np.abs(values).max()), 1e-300)
        if np.abs(coef @ probe - values[:, -1]).max() > HELD_CHECK_TOL * scale:
            return None  # not a polynomial of this degree
        coef[np.abs(coef) <= HELD_ZERO_TOL * scale] = 0.0
        if not coef[:, 1:].any():  # the same for every t: the one-arm layout (as closed_form.constants gives)
            if key == "R0":
                raw = val.shape[:-1]  # (3, 3)
            elif key in closed_form.MATRIX_KEYS:
                raw = val.shape[:-4]  # (r, 3), without the branch axes
            else:
                raw = val.shape[:-1] + (1,)  # (..., 1, 1, 1, 1)
            fixed[key] = np.ascontiguousarray(coef[:, 0].reshape(raw))
            continue
        layout.append((key, val.shape[:-1], slice(start, start + values.shape[0])))
        rows.append(coef)
        start += values.shape[0]
    coef = np.concatenate(rows) if rows else np.zeros((0, 1))  # (F, S): the constants that depend on t
    degree = int(np.flatnonzero(coef.any(0)).max(initial=0) + 1) // 2  # the highest harmonic used
    return fixed, np.ascontiguousarray(coef[:, : 2 * degree + 1]), layout


_SCALAR_CACHE: weakref.WeakKeyDictionary[Robot, closed_form_single.ScalarArm] = weakref.WeakKeyDictionary()


def scalar_arm(robot: Robot) -> closed_form_single.ScalarArm | None:
    """The float kernel of one target (:mod:`robokin.ik.closed_form_single`) of a 6-joint arm whose family is
    one of the lean families, exactly (cached per robot); None for any other arm."""
    family, g, L = _family_of(robot)
    if family.name not in closed_form.LEAN_FAMILIES or not family.exact or family.parameter_joint is not None:
        return None
    return _scalar_arm(robot, family, g, L)


def _scalar_arm(robot: Robot, family: AnalyticFamily, g: _Geometry, L: float) -> closed_form_single.ScalarArm:
    """Per robot (cached): the float kernel of a 6-joint lean family (:mod:`robokin.ik.closed_form_single`)
    with the lean path's constants, limits and turns, and this module's tolerances."""
    arm = _SCALAR_CACHE.get(robot)
    if arm is None:
        cached = _lean_constants(robot, family, g, L)  # (K, R0, program, lower, upper, turns, ...)
        R0, lower, upper, turns = cached[1], cached[3], cached[4], cached[5]
        gs = g.reversed() if family.reversed else g
        K = closed_form.constants(family.name, gs.H, gs.P, gs.R0, gs.p0, complete=True)
        tol = closed_form_single.Tolerances(
            POSITION_TOLERANCE, ROTATION_TOLERANCE, POLISH_RANGE * L, POLISH_RANGE, DUPLICATE_TOL, LIMIT_TOL
        )
        arm = closed_form_single.ScalarArm(
            family.name, K, R0, family.reversed, lower, upper, turns, robot.link_path(None), tol
        )
        _SCALAR_CACHE[robot] = arm
    return arm


_LEAN_NEAR_CACHE: weakref.WeakKeyDictionary[Robot, bool] = weakref.WeakKeyDictionary()


def _lean_near(robot: Robot, family: AnalyticFamily, g: _Geometry, L: float) -> bool:
    """Whether the arm is a 6-joint near miss of a lean family whose axes meet its conditions to
    :data:`LEAN_NEAR_GEOMETRY` (cached per robot): solved by the lean kernel, its answers polished there."""
    cached = _LEAN_NEAR_CACHE.get(robot)
    if cached is None:
        cached = (
            family.name in closed_form.LEAN_FAMILIES
            and not family.exact
            and family.parameter_joint is None
            and _family6(g.reversed() if family.reversed else g, L, LEAN_NEAR_GEOMETRY) == family.name
        )
        _LEAN_NEAR_CACHE[robot] = cached
    return cached


def _solve_lean(
    robot: Robot,
    family: AnalyticFamily,
    g: _Geometry,
    L: float,
    R: np.ndarray,
    p: np.ndarray,
    params: np.ndarray | None,
    near: bool = False,
) -> tuple[np.ndarray, ...]:
    """The lean closed form (:mod:`robokin.ik.closed_form`) of ``M`` targets ``R (M, 3, 3)``, ``p (M, 3)``
    (each with its parameter value for a 7-joint arm), in blocks of :data:`LEAN_BLOCK` targets; with ``near``
    (a near miss, :func:`_lean_near`) every candidate polished on the true arm (:func:`_lean_near_polish`).

    Returns:
        ``q (M, 8, n)``, ``valid (M, 8)`` (repeats removed), ``position_error``, ``rotation_error``
        ``(M, 8)``; candidates are the exact slots within the limits, verified by the chain's fk; and
        ``redo (M,)``: the targets left to the general path (near misses only; their rows are not filled).
    """
    M, n = R.shape[0], robot.n
    out = (np.empty((M, 8, n)), np.empty((M, 8), dtype=bool), np.empty((M, 8)), np.empty((M, 8)))
    redo = np.zeros(M, dtype=bool)
    for a in range(0, M, LEAN_BLOCK):
        b = min(a + LEAN_BLOCK, M)
        # targets beyond float range, a held parameter at which two axes turn parallel (those rows are solved again
        # by _resolve_parallel_shoulder): no solution, no warning
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            part = None if params is None else params[a:b]
            _lean_block(
                robot, family, g, L, R[a:b], p[a:b], part, tuple(o[a:b] for o in out), redo[a:b] if near else None
            )
    return out + (redo,)


def _put_transposed(dst: np.ndarray, src: np.ndarray) -> None:
    """``dst[..., i] = src[i]ᵀ`` for each ``i``: ``src`` ``(n, 8, M)`` into ``dst`` ``(M, 8, n)`` (or ``(8, M)``
    into ``(M, 8)``), one long strided copy per ``i`` (a single transposed copy loops over ``n`` innermost)."""
    for i in range(src.shape[0]):
        dst[..., i] = src[i].T


def _lean_block(
    robot: Robot,
    family: AnalyticFamily,
    g: _Geometry,
    L: float,
    R: np.ndarray,
    p: np.ndarray,
    params: np.ndarray | None,
    dst: tuple[np.ndarray, ...],
    redo: np.ndarray | None = None,
) -> None:
    """One block of :func:`_solve_lean`, written into ``dst`` = ``(q (M, 8, n), valid (M, 8), position_error,
    rotation_error)``; for a near miss, ``redo`` ``(M,)`` marks the targets left to the general path."""
    M, n = R.shape[0], robot.n
    K, R0, program, lower, upper, turns, held = _lean_constants(robot, family, g, L)
    j = family.parameter_joint
    Rs, ps = R, p
    if j is not None and K is not None:  # an end joint held at t: solve the other six for a moved target
        assert params is not None  # internal invariant: set whenever j is (not a check of user input)
        E = _rotation_matrix(g.H[j], -params)  # (M, 3, 3): joint j's motion by −t, about its axis through o_j
        o = g.P[j]
        if j == 0:  # e^{−ξ1 t} T = e^{ξ2 q2} ⋯ T0
            Rs, ps = E @ R, (E @ (p - o)[..., None])[..., 0] + o
        else:  # T T0⁻¹ e^{−ξn t} T0 = e^{ξ1 q1} ⋯ T0
            d = (E @ (g.p0 - o)[..., None])[..., 0] + o - g.p0  # (M, 3)
            RR0t = R @ g.R0.T
            Rs, ps = RR0t @ E @ g.R0, p + (RR0t @ d[..., None])[..., 0]
    if family.reversed:
        Rs, ps = np.swapaxes(Rs, -1, -2), -(np.swapaxes(Rs, -1, -2) @ ps[..., None])[..., 0]
    if K is None and held is not None:  # a middle joint held: its constants per target, from their polynomials
        assert params is not None  # internal invariant: set whenever j is (not a check of user input)
        fixed, coef, layout = held
        basis = _trig_basis(params, coef.shape[1])  # (S', M)
        flat = coef[:, :1] * basis[0]  # (F, M): elementwise (a BLAS product this thin may start threads)
        for d in range(1, coef.shape[1]):
            flat += coef[:, d : d + 1] * basis[d]
        K = dict(fixed)
        K.update((key, flat[rows].reshape(shape + (M,))) for key, shape, rows in layout)
        R0 = K.pop("R0")
        R0 = R0 if R0.ndim == 2 else R0.transpose(2, 0, 1)
    elif K is None:  # per-target constants of the arm with it held, computed directly
        assert params is not None and j is not None  # internal invariant (not a check of user input)
        geo = g.fixed(j, params)
        gs = geo.reversed() if family.reversed else geo
        K = closed_form.constants(family.name, gs.H, gs.P, gs.R0, gs.p0)
        R0 = gs.R0
    Rt, pt = closed_form.target_frames(Rs, ps, R0)
    cos, sin, exact, angles = closed_form.solve_cs(family.name, K, Rt, pt)
    if family.reversed:  # joint i is joint 5 − i of the reversed chain, its angle negated
        cos, sin, angles = cos[::-1], [-x for x in sin[::-1]], [-x for x in angles[::-1]]
    if j is not None:
        assert params is not None  # internal invariant: set whenever j is (not a check of user input)
        cp, sp = (f(params).reshape(1, 1, 1, M) for f in (np.cos, np.sin))
        cos, sin = cos[:j] + [cp] + cos[j:], sin[:j] + [sp] + sin[j:]
        angles = angles[:j] + [params.reshape(1, 1, 1, M)] + angles[j:]
    # The angles, each computed at its own shape (a joint that depends on fewer branches costs fewer calls),
    # broadcast over the branches.
    Q = np.empty((n, 2, 2, 2, M))
    for i in range(n):
        Q[i] = _finite(angles[i])
    # Moved by whole turns into the limits where they can be; the rest are not candidates.
    inside = exact.copy()
    for i in range(n):
        if turns[i] is not None or i == j:  # (the parameter, as given, may be anywhere)
            qi, lo, hi = Q[i], lower[i], upper[i]
            for m in turns[i] or ():
                out = (qi < lo) | (qi > hi)
                shifted = qi + 2.0 * np.pi * m
                np.copyto(qi, shifted, where=out & (shifted >= lo) & (shifted <= hi))
            within = (qi >= lo) & (qi <= hi)
            if i != j:  # exact answers within LIMIT_TOL of a limit: put on it, their cos and sin with them
                at = np.flatnonzero(exact & ~within)  # (flat indices of the contiguous (2, 2, 2, M) arrays)
                moved, onto = onto_limits(qi.reshape(-1)[at], lo, hi)
                if moved.any():
                    at = at[moved]
                    qi.reshape(-1)[at] = onto
                    within.reshape(-1)[at] = True
                    cos[i], sin[i] = (np.array(np.broadcast_to(x, qi.shape)) for x in (cos[i], sin[i]))
                    cos[i].reshape(-1)[at], sin[i].reshape(-1)[at] = np.cos(onto), np.sin(onto)
            inside &= within
    # Verified by the chain's fk from the same (cos, sin): position and rotation errors of every slot; only
    # the candidates (exact and within the limits) keep theirs, the others are inf.
    pe2, dist2 = closed_form.pose_errors_cs(program, cos, sin, R, p)
    pe, dist = np.sqrt(pe2, out=np.empty((2, 2, 2, M))), np.sqrt(dist2, out=np.empty((2, 2, 2, M)))
    re = dist * (1.0 / np.sqrt(2.0))  # ‖R(q) − R*‖_F = 2√2 sin(θ/2): θ to within θ³/24 (exact in double below 1e-5)
    inside &= np.isfinite(pe) & np.isfinite(dist)  # (overflow: not a candidate)
    if redo is not None:
        _lean_near_polish(robot, L, program, Q, exact, pe, dist, R, p, dst, redo)
        return
    far = inside & (dist > 1e-5)
    if far.any():
        re = np.where(far, 2.0 * np.arcsin(np.minimum(dist * (0.5 / np.sqrt(2.0)), 1.0)), re)
    outside = ~inside
    np.copyto(pe, np.inf, where=outside)
    np.copyto(re, np.inf, where=outside)
    pe, re = pe.reshape(8, M), re.reshape(8, M)
    Qs = Q.reshape(n, 8, M)
    ok = (pe <= POSITION_TOLERANCE) & (re <= ROTATION_TOLERANCE)
    need = inside.reshape(8, M) & ~ok  # candidates off the tolerances; polished when near enough
    if need.any():
        need &= (pe < POLISH_RANGE * L) & (re < POLISH_RANGE)
    q_out, valid_out, pe_out, re_out = dst
    _put_transposed(q_out, Qs)
    _put_transposed(pe_out, pe)
    _put_transposed(re_out, re)
    if not need.any():  # the common case: repeats removed component first
        _put_transposed(valid_out, _dedupe_slots(Qs, ok))
        return
    # Rare: answers that lost digits near a singularity, polished on the true arm.
    _put_transposed(valid_out, ok)
    t, s_ = np.nonzero(need.T)
    free = np.array([i for i in range(n) if i != j])
    polished = _polish(robot, q_out[t, s_], R[t], p[t], free, POLISH_STEPS)
    polished = _wrap_into_limits(wrap_angle(polished), lower, upper, robot_revolute(robot))
    q_out[t, s_] = polished
    pe_out[t, s_], re_out[t, s_] = _pose_errors(robot, polished, R[t], p[t])
    within = ((polished >= lower) & (polished <= upper)).all(-1)
    valid_out[t, s_] = within & (pe_out[t, s_] <= POSITION_TOLERANCE) & (re_out[t, s_] <= ROTATION_TOLERANCE)
    valid_out[...] = _dedupe(q_out, valid_out, 8)


def _lean_near_polish(
    robot: Robot,
    L: float,
    program: list,
    Q: np.ndarray,
    exact: np.ndarray,
    pe: np.ndarray,
    dist: np.ndarray,
    R: np.ndarray,
    p: np.ndarray,
    dst: tuple[np.ndarray, ...],
    redo: np.ndarray,
) -> None:
    """The end of :func:`_lean_block` for a near miss (:func:`_lean_near`): the kernel's answers ``Q``
    ``(n, 2, 2, 2, M)`` (turned into the limits where they can be), ``exact`` ``(2, 2, 2, M)`` and the errors of
    every slot on the true arm (``pe`` [m], ``dist`` ``‖R(q) − R*‖_F``) against the block's targets ``R``,
    ``p``; the exact answers near the target (within the limits or not) are polished by at most
    :data:`LEAN_NEAR_STEPS` Newton steps, verified by the true arm's fk and written into ``dst``; ``redo`` marks
    the targets whose slots the general near-miss path would treat otherwise (see :data:`LEAN_NEAR_GEOMETRY`)."""
    n, M = Q.shape[0], R.shape[0]
    lower, upper = robot.limits[:, 0], robot.limits[:, 1]
    revolute = robot_revolute(robot)
    Qs = Q.reshape(n, 8, M)
    ex = exact.reshape(8, M)
    re = 2.0 * np.arcsin(np.minimum(dist.reshape(8, M) * (0.5 / np.sqrt(2.0)), 1.0))
    pe = pe.reshape(8, M)
    finite = np.isfinite(pe) & np.isfinite(re)
    # Every exact answer near the target is polished, within the limits or not (next to a singularity of the
    # ideal arm the true arm's root can lie 1e-2 rad from its answer, on the other side of a limit). The general
    # path polishes every slot within POLISH_RANGE: a target with a least-squares answer there (the ideal arm's
    # roots complex where the true arm has two, beside a fold; or a subproblem degenerate at a singularity, e.g.
    # UR's wrist at q5 = 0, whose every answer is least squares) or an exact one farther than LEAN_NEAR_START
    # is left to it.
    cand = ex & finite & (pe < LEAN_NEAR_START * L) & (re < LEAN_NEAR_START)
    redo |= (finite & (pe < POLISH_RANGE * L) & (re < POLISH_RANGE) & ~cand).any(0)
    q_out, valid_out, pe_out, re_out = dst
    valid_out[...] = False
    pe_out[...], re_out[...] = np.inf, np.inf
    _put_transposed(q_out, Qs)
    s_, t = np.nonzero(cand & ~redo)
    if t.size == 0:
        return
    q, pe_c, re_c, ok = _newton_near(program, q_out[t, s_], R[t], p[t], L)
    turned = wrap_angle(q)
    q = _wrap_into_limits(turned, lower, upper, revolute)
    # An angle put on a limit it passed by at most LIMIT_TOL moved: its pose is verified again (by robot.fk).
    moved = np.flatnonzero(((q != turned) & ((q == lower) | (q == upper))).any(-1))
    if moved.size:
        pe_c[moved], re_c[moved] = _pose_errors(robot, q[moved], R[t[moved]], p[t[moved]])
    within = ((q >= lower) & (q <= upper)).all(-1)
    redo[t[~ok]] = True
    q_out[t, s_], pe_out[t, s_], re_out[t, s_] = q, pe_c, re_c
    valid_out[t, s_] = ok & within & (pe_c <= POSITION_TOLERANCE) & (re_c <= ROTATION_TOLERANCE)
    kept = _dedupe(q_out, valid_out, 8)
    redo[(kept != valid_out).any(-1)] = True  # a repeat: the general path restarts it (a fold of the ideal arm)


def _newton_near(
    program: list, q: np.ndarray, R: np.ndarray, p: np.ndarray, L: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Newton steps ``J Δq = e`` on the true arm (the chain's :func:`closed_form.pose_jacobian_cs`) from answers
    ``q`` ``(S, 6)`` towards targets ``R`` ``(S, 3, 3)``, ``p`` ``(S, 3)``, each until its errors are within
    :data:`LEAN_NEAR_DONE` (·L, rad), at most :data:`LEAN_NEAR_STEPS` steps.

    ``e = [p* − p; ω]`` with ``ω = ½ Σ_k x_k × x*_k`` over the columns of ``R(q)`` and ``R*`` (the
    small-angle vector of ``R* R(q)ᵀ``, exact at the root, so the convergence is quadratic).

    Returns:
        ``q`` ``(S, 6)``, its position [m] and rotation [rad] errors ``(S,)`` by the chain's fk, and ``ok``
        ``(S,)``: within LEAN_NEAR_DONE (no step above LEAN_NEAR_MAX_STEP).
    """
    S = q.shape[0]
    q = q.copy()
    pe, re = np.full(S, np.inf), np.full(S, np.inf)
    ok = np.zeros(S, dtype=bool)
    rows = np.arange(S)
    targets = [np.ascontiguousarray(R[:, :, k].T) for k in range(3)] + [np.ascontiguousarray(p.T)]  # (3, S) each
    J: np.ndarray = np.zeros((0, 6, 6))
    for step in range(LEAN_NEAR_STEPS + 1):
        qa = q[rows].T
        cs = np.cos(qa), np.sin(qa)
        if step == 0:  # (the kernel's answers are off by the geometry's miss: each takes a step)
            cols, J = closed_form.pose_jacobian_cs(program, list(cs[0]), list(cs[1]))
            tg = targets
        else:  # (after a step most are done: the Jacobian only of the others, below)
            cols = closed_form.poses_cs(program, list(cs[0]), list(cs[1]))
            tg = [x[:, rows] for x in targets]
        d = [c - x for c, x in zip(cols, tg)]  # (3, S') each: the columns' and the position's differences
        sq = [(x * x).sum(0) for x in d]
        pe_r = np.sqrt(sq[3])
        re_r = 2.0 * np.arcsin(np.minimum(np.sqrt(sq[0] + sq[1] + sq[2]) * (0.5 / np.sqrt(2.0)), 1.0))
        pe[rows], re[rows] = pe_r, re_r
        done = (pe_r <= LEAN_NEAR_DONE * L) & (re_r <= LEAN_NEAR_DONE)
        ok[rows[done]] = True
        if done.all() or step == LEAN_NEAR_STEPS:
            break
        if done.any():
            keep = ~done
            rows, cols, tg, d = (
                rows[keep],
                [c[:, keep] for c in cols],
                [x[:, keep] for x in tg],
                [x[:, keep] for x in d],
            )
            cs = cs[0][:, keep], cs[1][:, keep]
            if step == 0:
                J = J[keep]
        if step > 0:
            J = closed_form.pose_jacobian_cs(program, list(cs[0]), list(cs[1]))[1]
        # ω = ½ Σ_k x_k × x*_k = ½ Σ_k x_k × (x*_k − x_k)
        w = np.zeros((3, rows.size))
        for c, dk in zip(cols[:3], d[:3]):
            w[0] -= c[1] * dk[2] - c[2] * dk[1]
            w[1] -= c[2] * dk[0] - c[0] * dk[2]
            w[2] -= c[0] * dk[1] - c[1] * dk[0]
        e = np.concatenate([-d[3], 0.5 * w]).T  # (S', 6)
        dq = _solve_steps(J, e)  # (a singular Jacobian: a step of least norm, checked below like every step)
        fine = np.abs(dq).max(-1) <= LEAN_NEAR_MAX_STEP
        rows, dq = rows[fine], dq[fine]
        q[rows] += dq
    return q, pe, re, ok


def _finite(q: np.ndarray) -> np.ndarray:
    """``q`` with NaN (the angle of a NaN pair: a target beyond float range) replaced by 0."""
    return np.nan_to_num(q) if np.isnan(q).any() else q


_FIRST8, _LATER8 = np.triu_indices(8, 1)  # the pairs of slots (a, i), a < i
_WEIGHTS = np.arange(1.0, 8.0)[:, None, None]


def _dedupe_slots(Q: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """:func:`_dedupe` of the 8 slots of each target, component first: ``Q`` ``(n, 8, M)``, ``valid`` ``(8, M)``."""
    n = Q.shape[0]
    key = (Q * _WEIGHTS[:n]).sum(0)  # (8, M); elementwise (a BLAS gemv this size may start threads)
    # The 28 pairs (a < i) as rows: gathering whole rows keeps every operation contiguous over the targets.
    near = np.abs(key[_FIRST8] - key[_LATER8]) < DUPLICATE_TOL * n * (n + 1) / 2  # (28, M)
    near &= valid[_FIRST8]
    near &= valid[_LATER8]
    if not near.any():
        return valid
    pair, t = np.nonzero(near)
    first, later = _FIRST8[pair], _LATER8[pair]
    same = np.abs(Q[:, first, t] - Q[:, later, t]).max(0) < DUPLICATE_TOL
    out = valid.copy()
    out[later[same], t[same]] = False
    return out


def robot_revolute(robot: Robot) -> np.ndarray:
    """Which joints of ``robot``'s serial chain are revolute: ``(n,)`` bool."""
    return np.asarray(robot.serial_chain.revolute)


# --------------------------------------------------------------------------------------------- wrist continua
# A spherical wrist (three consecutive revolute axes a, b, c through one point) with joint b at an angle where
# R(h_b, q_b) h_c = s h_a (s = ±1; e.g. q5 = 0) turns by R(h_a, q_a + s q_c) R(h_b, q_b): every split of
# q_a + s q_c is a solution. The closed forms pick one point of that continuum; when it is outside a limit
# narrower than a turn, the point in the middle of the limits' intersection is taken instead. Answers whose
# q_b is within WRIST_CONTINUUM [rad] of such an angle are tried; the moved answer is verified by fk like any
# other (polished when it is close).
WRIST_CONTINUUM = 1e-6
_WRIST_CACHE: weakref.WeakKeyDictionary[Robot, list[tuple[int, int, int, tuple[float, ...]]]] = (
    weakref.WeakKeyDictionary()
)


def _wrist_triples(robot: Robot, g: _Geometry, L: float) -> list[tuple[int, int, int, tuple[float, ...]]]:
    """Per robot (cached): the spherical wrists ``(a, a + 1, a + 2, angles)`` (revolute, axes through one point
    to NEAR_GEOMETRY · L, consecutive axes not parallel) where the limits of ``a`` or ``a + 2`` do not hold
    ``[−π, π]`` (else every point the closed forms give is within them), with the angles ``q_b`` [rad] at which
    ``R(h_b, q_b) h_c = ±h_a`` (none: no continuum, not listed)."""
    cached = _WRIST_CACHE.get(robot)
    if cached is None:
        lower, upper = robot.limits[:, 0], robot.limits[:, 1]
        revolute = np.asarray(robot.serial_chain.revolute)
        cached = []
        for a in range(robot.n - 2):
            b, c = a + 1, a + 2
            if not revolute[a : c + 1].all():
                continue
            if not ((lower[a] > -np.pi) | (upper[a] < np.pi) | (lower[c] > -np.pi) | (upper[c] < np.pi)):
                continue
            m_ab, d_ab, s_ab = _meet(g.H[a], g.P[a], g.H[b], g.P[b])
            m_bc, d_bc, s_bc = _meet(g.H[b], g.P[b], g.H[c], g.P[c])
            apart = np.max([d_ab, d_bc, np.linalg.norm(m_ab - m_bc)])
            if np.min([s_ab, s_bc]) <= NEAR_GEOMETRY or apart > NEAR_GEOMETRY * L:
                continue
            angles = tuple(t for t, _ in _aligning_angles(g.H[a], g.H[b], g.H[c]))
            if angles:
                cached.append((a, b, c, angles))
        _WRIST_CACHE[robot] = cached
    return cached


def _aligning_angles(ha: np.ndarray, hb: np.ndarray, hc: np.ndarray) -> list[tuple[float, float]]:
    """The angles ``t`` [rad] at which ``R(h_b, t) h_c = s h_a``, with their signs ``s = ±1`` (unit axes ``(3,)``;
    none when the components along ``h_b`` differ by more than NEAR_GEOMETRY)."""
    out = []
    for sign in (1.0, -1.0):  # R(h_b, t) h_c = sign h_a: equal components along h_b, then SP1
        if abs(dot(hb, hc) - sign * dot(hb, ha)) <= NEAR_GEOMETRY:
            u, v = hc - dot(hb, hc) * hb, sign * (ha - dot(hb, ha) * hb)
            out.append((float(np.arctan2(dot(hb, cross(u, v)), dot(u, v))), sign))
    return out


def _float_limits(robot: Robot) -> list:
    """Per robot (cached): its joint limits ``(n, 2)`` [rad, m] as lists of floats (compared as floats)."""
    cached = _FLOAT_LIMITS.get(robot)
    if cached is None:
        cached = _FLOAT_LIMITS[robot] = robot.limits.tolist()
    return cached


_FLOAT_LIMITS: weakref.WeakKeyDictionary[Robot, list] = weakref.WeakKeyDictionary()


def _near_wrist_continuum(
    triples: list[tuple[int, int, int, tuple[float, ...]]], q: list[list[float]], valid: list[bool], limits: list
) -> bool:
    """Whether an invalid one-target answer ``q`` (8 rows) may lie on a wrist continuum outside the ``limits``
    (``(n, 2)`` as lists of floats; the screen of :func:`_slide_wrists`, on floats)."""
    for row, ok in zip(q, valid):
        if ok:
            continue
        for a, b, c, angles in triples:
            x = row[b]
            for t in angles:
                for m in (0.0, 2.0 * math.pi, -2.0 * math.pi):  # (q_b within a turn of 0)
                    if -WRIST_CONTINUUM < x - (t + m) < WRIST_CONTINUUM:
                        (lo_a, hi_a), (lo_c, hi_c) = limits[a], limits[c]
                        if not (lo_a <= row[a] <= hi_a and lo_c <= row[c] <= hi_c):
                            return True
    return False


def _slide_wrists(
    robot: Robot,
    g: _Geometry,
    L: float,
    q: np.ndarray,
    valid: np.ndarray,
    pe: np.ndarray,
    re: np.ndarray,
    R: np.ndarray,
    p: np.ndarray,
    held: int | None = None,
) -> None:
    """Answers on a wrist continuum (see WRIST_CONTINUUM) outside the limits moved along it into them, in place:
    ``q (N, k, n)``, ``valid``, ``pe``, ``re`` ``(N, k)`` of the targets ``R (N, 3, 3)``, ``p (N, 3)``. A moved
    answer on the continuum of a valid one (or of another moved one) is not added; joint ``held`` (a 7-joint
    arm's parameter) is not moved."""
    triples = _wrist_triples(robot, g, L)
    if not triples:
        return
    lower, upper = robot.limits[:, 0], robot.limits[:, 1]
    revolute = np.asarray(robot.serial_chain.revolute)
    for a, b, c, angles in triples:
        if held in (a, c):  # (a 7-joint arm's parameter is not moved)
            continue
        out = ~valid & (
            (q[..., a] < lower[a]) | (q[..., a] > upper[a]) | (q[..., c] < lower[c]) | (q[..., c] > upper[c])
        )
        t, k = np.nonzero(out)
        if t.size == 0:
            continue
        x = q[t, k]  # (M, n)
        on = np.zeros(t.size, dtype=bool)
        for angle in angles:
            on |= np.abs(wrap_angle(x[:, b] - angle)) < WRIST_CONTINUUM
        if not on.any():
            continue
        t, k, x = t[on], k[on], x[on]
        ha, hb, hc = g.H[a], g.H[b], g.H[c]
        cb, sb = np.cos(x[:, b])[:, None], np.sin(x[:, b])[:, None]
        hcb = hc * cb + cross(hb, hc) * sb + hb * (dot(hb, hc) * (1.0 - cb))  # R(h_b, q_b) h_c (M, 3)
        s = np.sign(hcb @ ha)
        total = x[:, a] + s * x[:, c]
        # q_a within [lower_a, upper_a] and within total' − s [lower_c, upper_c], total' = total + 2π m
        lo_c = np.where(s > 0, total - upper[c], total + lower[c])
        hi_c = np.where(s > 0, total - lower[c], total + upper[c])
        shifts = 2.0 * np.pi * np.arange(-2, 3)[:, None]
        lo = np.maximum(lower[a], lo_c + shifts)  # (5, M)
        hi = np.minimum(upper[a], hi_c + shifts)
        best = np.argmax(hi - lo, axis=0)
        cols = np.arange(t.size)
        lo, hi = lo[best, cols], hi[best, cols]
        keep = hi >= lo
        if not keep.any():
            continue
        t, k, x, s, lo, hi = t[keep], k[keep], x[keep].copy(), s[keep], lo[keep], hi[keep]
        total = total[keep] + shifts[best[keep], 0]
        x[:, a] = 0.5 * (lo + hi)
        x[:, c] = s * (total - x[:, a])
        x[:, c] = np.clip(x[:, c], lower[c], upper[c])  # (rounding at an end of an empty-width interval)
        x, e_p, e_r, ok = _verified_moves(robot, L, x, R[t], p[t], held)
        for i in np.flatnonzero(ok):  # (rare: singular targets only) not a second point of a known continuum
            row, y = t[i], x[i]
            others = np.flatnonzero(valid[row])
            z = q[row, others]
            d = z - y
            d[:, revolute] = wrap_angle(d[:, revolute])
            rest = np.abs(np.delete(d, [a, c], axis=-1)).max(-1, initial=0.0) < DUPLICATE_TOL
            same = rest & (np.abs(wrap_angle(z[:, a] + s[i] * z[:, c] - y[a] - s[i] * y[c])) < DUPLICATE_TOL)
            if not same.any():
                q[row, k[i]], valid[row, k[i]], pe[row, k[i]], re[row, k[i]] = y, True, e_p[i], e_r[i]


def _verified_moves(
    robot: Robot, L: float, x: np.ndarray, R: np.ndarray, p: np.ndarray, held: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Answers ``x`` ``(M, n)`` moved along a continuum, verified against their targets ``R (M, 3, 3)``,
    ``p (M, 3)`` by fk; those off by more than REFINE_ERROR (within POLISH_RANGE) polished towards the last
    digit as :func:`_refine_exact` does, the better of the two kept (joint ``held`` not moved).

    Returns:
        ``x``, its position [m] and rotation [rad] errors ``(M,)`` and ``ok`` ``(M,)``: within the limits and
        the tolerances.
    """
    lower, upper = robot.limits[:, 0], robot.limits[:, 1]
    e_p, e_r = _pose_errors(robot, x, R, p)
    close = ((e_p > REFINE_ERROR * L) | (e_r > REFINE_ERROR)) & (e_p < POLISH_RANGE * L) & (e_r < POLISH_RANGE)
    if close.any():
        rows = np.flatnonzero(close)
        free = np.array([i for i in range(robot.n) if i != held])  # (a 7-joint arm's parameter stays)
        limits = (lower, upper, robot_revolute(robot))
        moved, m_p, m_r, within = _polished(robot, x[rows], R[rows], p[rows], free, POLISH_STEPS, limits)
        better = (m_p / L + m_r < e_p[rows] / L + e_r[rows]) & within
        rows, moved = rows[better], moved[better]
        x[rows], e_p[rows], e_r[rows] = moved, m_p[better], m_r[better]
    ok = ((x >= lower) & (x <= upper)).all(-1) & (e_p <= POSITION_TOLERANCE) & (e_r <= ROTATION_TOLERANCE)
    return x, e_p, e_r, ok


# --------------------------------------------------------------------------------------------- aligned wrists
# An exact 6R arm with three parallel axes 2 ∥ 3 ∥ 4 (the UR family, axes 5, 6 meeting, on the lean path; or the
# general ``three_parallel`` family, e.g. so100; read from the tool when the family is reversed) at an angle q5
# where R(h5, q5) h6 = s h2 (s = ±1; UR: q5 ∈ {0, π}) has its axis 6 parallel to the three: the rotation fixes
# only ψ = θ + s q6 (θ = q2 + σ3 q3 + σ4 q4) and the wrist point (a point of axis 6; axes 5 ∩ 6 when they meet)
# is reached for every θ whose wrist offset leaves the axis-4 point within the 2R reach of joints 2, 3. The
# kernel's q6 (SP1) is degenerate there, taken from the rounding, and for some targets the θ that follows
# leaves the 2R short: every slot is least squares. Invalid slots whose q5 is within WRIST_CONTINUUM (the general
# path: ALIGNED_GENERAL_WINDOW) of such an angle, on a continuum (q1, q5) with no valid answer, get one point of
# it in closed form: q1 from the rotation (SP1), the distance ρ from axis 2 to axis 4 in the middle of the
# reachable range (ρ² halfway between its ends), θ from the offset's triangle, q2, q3 from the 2R,
# q4 = σ4 (θ − q2 − σ3 q3), q6 = s (ψ − θ). Regular targets are not touched.
@dataclass(frozen=True)
class _AlignedWrist:
    """The constants of :func:`_aligned_wrist`, in the chain the kernel solves (read from the tool when
    ``reversed``); planar vectors ⟂ h2 as complex numbers on ``(v, h2 × v)``."""

    reversed: bool
    joint: int  # the aligning joint (q5) in the robot's order
    shoulder: int  # q1 in the robot's order
    angles: tuple[float, ...]  # q5 values of the continua in the robot's order [rad]
    signs: tuple[float, ...]  # s of each
    h1: np.ndarray
    h5: np.ndarray
    h2: np.ndarray
    v: np.ndarray
    w: np.ndarray  # h2 × v
    o1: np.ndarray
    p12: np.ndarray
    wrist_in_tool: np.ndarray  # the wrist point in the tool frame [m]
    h6_in_tool: np.ndarray  # axis 6 in the tool frame
    R0: np.ndarray
    a: complex  # p23 ⟂ h2
    b: complex  # p34 ⟂ h2
    c: tuple[complex, ...]  # (wrist point − o4) ⟂ h2 with q5 at each of ``angles``
    sign3: float
    sign4: float


_ALIGNED_CACHE: weakref.WeakKeyDictionary[Robot, _AlignedWrist | None] = weakref.WeakKeyDictionary()


def _aligned_wrist(robot: Robot, family: AnalyticFamily, g: _Geometry, L: float) -> _AlignedWrist | None:
    """Per robot (cached): the constants of an exact 6-joint ``three_parallel_intersecting_wrist`` or
    ``three_parallel`` arm whose axis 6 turns parallel to axis 2 at some q5 (see the section's comment); None
    for any other arm."""
    cached = _ALIGNED_CACHE.get(robot, False)
    if cached is not False:
        return cached  # type: ignore[return-value]  # (an _AlignedWrist or None)
    out = None
    parallel = family.name in ("three_parallel_intersecting_wrist", "three_parallel")
    if parallel and family.exact and family.parameter_joint is None and robot.n == 6:
        gs = g.reversed() if family.reversed else g
        H, P = gs.H, gs.P
        pairs = _aligning_angles(H[1], H[4], H[5])
        if pairs:
            h2 = H[1]
            v = closed_form.perpendicular(h2)
            w = cross(h2, v)
            meet = _meet(H[4], P[4], H[5], P[5])[0]
            wrist = P[5] + dot(meet - P[5], H[5]) * H[5]  # (on axis 6: the point fixed by joint 6)

            def planar(x: np.ndarray) -> complex:
                return complex(dot(x, v), dot(x, w))

            sign = -1.0 if family.reversed else 1.0  # (the reversed chain's angles are negated)
            out = _AlignedWrist(
                reversed=family.reversed,
                joint=1 if family.reversed else 4,
                shoulder=5 if family.reversed else 0,
                angles=tuple(sign * t for t, _ in pairs),
                signs=tuple(s for _, s in pairs),
                h1=H[0],
                h5=H[4],
                h2=h2,
                v=v,
                w=w,
                o1=P[0],
                p12=P[1] - P[0],
                wrist_in_tool=gs.R0.T @ (wrist - gs.p0),
                h6_in_tool=gs.R0.T @ H[5],
                R0=gs.R0,
                a=planar(P[2] - P[1]),
                b=planar(P[3] - P[2]),
                c=tuple(planar(P[4] - P[3] + _rotation_matrix(H[4], np.array(t)) @ (wrist - P[4])) for t, _ in pairs),
                sign3=float(np.sign(dot(H[2], h2))),
                sign4=float(np.sign(dot(H[3], h2))),
            )
    _ALIGNED_CACHE[robot] = out
    return out


def _near_aligned_wrist(info: _AlignedWrist, q: np.ndarray, valid: list[bool]) -> bool:
    """Whether an invalid one-target answer of ``q`` ``(8, 6)`` has q5 within WRIST_CONTINUUM of a continuum of
    :func:`_aligned_wrist` (the screen of :func:`_slide_aligned_wrists`, on floats)."""
    for x, ok in zip(q[:, info.joint].tolist(), valid):
        if not ok:
            for t in info.angles:
                if abs(math.remainder(x - t, 2.0 * math.pi)) < WRIST_CONTINUUM:
                    return True
    return False


def _aligned_frame(
    info: _AlignedWrist, R: np.ndarray, p: np.ndarray, q1: np.ndarray, q5: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For targets ``R (M, 3, 3)``, ``p (M, 3)`` and continua ``(q1, q5)`` ``(M,)`` (all in the kernel's chain):
    ``Y`` ``(M,)`` complex, the planar ``R2 p23 + R23 p34 + R(h2, θ) p4w`` the joints 2-4 must make [m], and
    ``ψ = θ + s q6`` ``(M,)`` [rad] from ``R1ᵀ R R0ᵀ R5ᵀ = R(h2, ψ)``."""
    R1t = np.swapaxes(_rotation_matrix(info.h1, q1), -1, -2)  # (M, 3, 3)
    wrist = p + R @ info.wrist_in_tool  # (M, 3): the wrist point
    y = (R1t @ (wrist - info.o1)[..., None])[..., 0] - info.p12
    E = R1t @ R @ info.R0.T @ np.swapaxes(_rotation_matrix(info.h5, q5), -1, -2)
    Ev = E @ info.v
    return y @ info.v + 1j * (y @ info.w), np.arctan2(Ev @ info.w, Ev @ info.v)


def _aligned_shoulder(info: _AlignedWrist, R: np.ndarray, q1: np.ndarray, q5: np.ndarray) -> np.ndarray:
    """q1 ``(M,)`` [rad] of the continua ``q5`` ``(M,)`` of targets ``R (M, 3, 3)`` (the kernel's chain) from the
    rotation alone, ``R(h1, q1) h2 = R R0ᵀ R5ᵀ h2`` (SP1: the slots' q1, from a double root, can be 1e-4 off); the
    slots' ``q1`` where axes 1 and 2 are parallel (then only q1 + θ counts)."""
    u = (R @ info.R0.T @ np.swapaxes(_rotation_matrix(info.h5, q5), -1, -2) @ info.h2[:, None])[..., 0]  # (M, 3)
    h1, h2 = info.h1, info.h2
    sp1 = np.arctan2(u @ cross(h1, h2), u @ h2 - dot(h1, h2) * (u @ h1))
    return q1 if np.linalg.norm(cross(h1, h2)) < NEAR_GEOMETRY else sp1


def _aligned_at(
    info: _AlignedWrist,
    Y: np.ndarray,
    psi: np.ndarray,
    q1: np.ndarray,
    q5: np.ndarray,
    s: np.ndarray,
    c: np.ndarray,
    th: np.ndarray,
) -> np.ndarray:
    """The two points ``(2, ..., 6)`` [rad] (either elbow; the kernel's chain) of the continua at ``θ`` ``(...)``
    (broadcast with the ``(M,)`` of :func:`_aligned_frame` and the continua's offsets ``c`` ``(M,)``); NaN where
    the 2R does not reach."""
    A, B = abs(info.a), abs(info.b)
    D = Y - np.exp(1j * th) * c  # = e^{i q2} (a + e^{i φ} b), φ = σ3 q3
    k3 = (np.abs(D) ** 2 - A * A - B * B) / (2.0 * A * B)
    k3 = np.where(np.abs(k3) <= 1.0 + 1e-12, np.clip(k3, -1.0, 1.0), np.nan)  # (rounding at the reach's ends)
    alpha = np.angle(info.b) - np.angle(info.a)
    out = []
    for phi in (-alpha + np.arccos(k3), -alpha - np.arccos(k3)):
        q2 = np.angle(D) - np.angle(info.a + np.exp(1j * phi) * info.b)
        parts = [q1, q2, info.sign3 * phi, info.sign4 * (th - q2 - phi), q5, s * (psi - th)]
        out.append(np.stack(np.broadcast_arrays(*parts), -1))
    return wrap_angle(np.stack(out))


def _aligned_middle(info: _AlignedWrist, Y: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The two ``θ`` ``(2, M)`` [rad] that put axis 4 in the middle of the reach of joints 2, 3 (ρ² halfway
    between the ends of the 2R's reach ∩ the offset's ``c`` ``(M,)``); NaN where they do not meet."""
    A, B, C = abs(info.a), abs(info.b), np.abs(c)
    rY = np.abs(Y)
    lo = np.maximum(abs(A - B), np.abs(rY - C))
    hi = np.minimum(A + B, rY + C)
    rho2 = np.where(lo <= hi, 0.5 * (lo * lo + hi * hi), np.nan)
    den = 2.0 * rY * C  # (0: θ moves nothing, any will do)
    kappa = np.clip(np.where(den > 0.0, (rY * rY + C * C - rho2) / np.where(den > 0.0, den, 1.0), 1.0), -1.0, 1.0)
    base = np.angle(Y) - np.angle(c)
    return np.stack([base + np.arccos(kappa), base - np.arccos(kappa)])


def _aligned_within(robot: Robot, info: _AlignedWrist, frame: tuple[np.ndarray, ...], th: np.ndarray) -> np.ndarray:
    """:func:`_aligned_at` of ``frame`` = ``(Y, ψ, q1, q5, s, c)`` at ``θ`` ``(T, M)`` or ``(T, 1)``: the points
    ``(2T, M, n)`` in the robot's order, turned by whole turns into its limits where they can be (NaN left)."""
    Y, psi, q1, q5, s, c = frame
    x = _aligned_at(info, Y, psi, q1, q5, s, c, th)
    x = x.reshape(-1, frame[0].size, 6)
    x = -x[..., ::-1] if info.reversed else x
    return _wrap_into_limits(x, robot.limits[:, 0], robot.limits[:, 1], robot_revolute(robot))


def _within(x: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Which configurations ``x`` ``(..., n)`` are finite and within the limits ``(n,)``."""
    return (np.isfinite(x) & (x >= lower) & (x <= upper)).all(-1)


# The general path's SP6 (``three_parallel``, e.g. so100) leaves q5 of a target on an aligned-wrist continuum
# 1e-8...2e-4 rad off its angle (a double root's rounding; q1 likewise, so q1 is solved again from the rotation):
# its invalid slots within ALIGNED_GENERAL_WINDOW [rad] of the angle are tried (the lean kernel's within
# WRIST_CONTINUUM), and a valid answer within it on the same q1 counts as that continuum's point. The point is
# verified by fk as any other.
ALIGNED_GENERAL_WINDOW = 1e-3
# Where none of the four middle points is within the joint limits, ALIGNED_GRID values of θ over a turn are
# tried and the point farthest inside the limits (its smallest distance to a limit) taken.
ALIGNED_GRID = 256


def _slide_aligned_wrists(
    robot: Robot,
    family: AnalyticFamily,
    g: _Geometry,
    L: float,
    q: np.ndarray,
    valid: np.ndarray,
    pe: np.ndarray,
    re: np.ndarray,
    R: np.ndarray,
    p: np.ndarray,
    window: float = WRIST_CONTINUUM,
) -> None:
    """Continua of an aligned wrist (see :func:`_aligned_wrist`) with no valid answer given one point, in place:
    ``q (N, k, n)``, ``valid``, ``pe``, ``re`` ``(N, k)`` of the targets ``R (N, 3, 3)``, ``p (N, 3)``. Only
    invalid slots with q5 within ``window`` [rad] of a continuum's angle are looked at; the point (the first of
    :func:`_aligned_middle`'s four within the limits, else the grid's farthest inside them) is verified by fk
    (polished when close) and written into the first such slot of its continuum."""
    info = _aligned_wrist(robot, family, g, L)
    if info is None:
        return
    b, a = info.joint, info.shoulder
    slots = np.flatnonzero(~valid.reshape(-1))  # (one flat index: the common case, regular targets, costs little)
    if slots.size == 0:
        return
    which = np.full(slots.size, -1)
    x = q.reshape(-1, q.shape[-1])[slots, b]
    for i, angle in enumerate(info.angles):  # (within a turn or two of it: the values of _wrap_into_limits)
        y = np.abs(x - angle)
        which[(y < window) | (np.abs(y - 2.0 * np.pi) < window) | (np.abs(y - 4.0 * np.pi) < window)] = i
    on = which >= 0
    if not on.any():
        return
    t, k = np.divmod(slots[on], valid.shape[-1])
    which = which[on]
    reach = np.abs(p[t] - g.P[0]).max(-1) <= 2.0 * L  # (L: the arm's reach from its first axis point)
    t, k, which = t[reach], k[reach], which[reach]
    Rk, pk = R[t], p[t]
    sign = -1.0 if info.reversed else 1.0
    if info.reversed:  # the kernel's chain: the tool to the base, targets inverted, angles negated
        Rk = np.swapaxes(Rk, -1, -2)
        pk = -(Rk @ pk[..., None])[..., 0]
    # On a continuum axis 6 is s R(h1, q1) h2: h1 · axis 6 = s h1 · h2, and a target off that by more than
    # ROTATION_TOLERANCE has no point of it within the tolerance (the targets near one are regular).
    tilt = (Rk @ info.h6_in_tool) @ info.h1 - np.array(info.signs)[which] * dot(info.h1, info.h2)
    on = np.abs(tilt) <= ROTATION_TOLERANCE
    t, k, which, Rk, pk = t[on], k[on], which[on], Rk[on], pk[on]
    M = t.size
    if M == 0:
        return
    angle, s, c = np.array(info.angles)[which], np.array(info.signs)[which], np.array(info.c)[which]
    q5 = sign * angle
    q1 = _aligned_shoulder(info, Rk, sign * q[t, k, a], q5)
    lower, upper = robot.limits[:, 0], robot.limits[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        frame = _aligned_frame(info, Rk, pk, q1, q5) + (q1, q5, s, c)
        x = _aligned_within(robot, info, frame, _aligned_middle(info, frame[0], c))  # (4, M, n)
        inside = _within(x, lower, upper)  # (4, M)
        x = x[np.argmax(inside, axis=0), np.arange(M)]
        missing = np.flatnonzero(~inside.any(0))
        if missing.size:  # (limits narrower than a turn) the grid's point farthest inside them
            theta = np.linspace(-np.pi, np.pi, ALIGNED_GRID, endpoint=False)[:, None]
            grid = _aligned_within(robot, info, tuple(f[missing] for f in frame), theta)  # (2G, M', n)
            margin = np.where(_within(grid, lower, upper), np.minimum(grid - lower, upper - grid).min(-1), -np.inf)
            x[missing] = grid[np.argmax(margin, axis=0), np.arange(missing.size)]
    cand = np.flatnonzero(_within(x, lower, upper))
    y, e_p, e_r, good = _verified_moves(robot, L, x[cand], R[t[cand]], p[t[cand]])
    for i, j in zip(cand[good], np.flatnonzero(good)):  # (rare: singular targets only) one point per continuum
        row = t[i]
        z = q[row, valid[row]]
        same = (np.abs(wrap_angle(z[:, a] - y[j, a])) < DUPLICATE_TOL) & (
            np.abs(wrap_angle(z[:, b] - angle[i])) < window
        )
        if not same.any():
            q[row, k[i]], valid[row, k[i]], pe[row, k[i]], re[row, k[i]] = y[j], True, e_p[j], e_r[j]


# --------------------------------------------------------------------------------------------- shoulder continua
# A 6R arm with a spherical wrist (axes 4, 5, 6 through the wrist centre W) and a target whose wrist centre lies
# on axis 1: turning joint 1 does not move W, so q1 is free; q2, q3 place W as before and the wrist follows
# the rotation. The closed forms take q1 from rounding noise (or flag their degenerate subproblem); an answer
# that is not valid is moved along the continuum: q1 at the middle of its limits (then at points spread over
# them, the first whose wrist is within its limits), the wrist solved again for that q1 (two branches), the
# answer verified by fk like any other (polished when it is close). Targets with the wrist centre within
# SHOULDER_CONTINUUM · L [m] of axis 1 (in each coordinate of h1 × (w − o1)) are tried.
SHOULDER_CONTINUUM = 1e-10
# Where on its range q1 is tried, as fractions of it: the middle first, then the middles of the gaps left, six
# levels (63 values, 1/64 of the range apart).
_SHOULDER_FRACTIONS = np.concatenate([(2.0 * np.arange(2**level) + 1.0) / 2.0 ** (level + 1) for level in range(6)])


@dataclass(frozen=True)
class _ShoulderWrist:
    """A 6R arm's spherical wrist seen from its first axis (see SHOULDER_CONTINUUM).

    Attributes:
        centre: ``(3,)`` the wrist centre in the tool frame at q = 0 [m]: ``w = p − R centre`` for a target
            ``R``, ``p``.
        o1, h1: ``(3,)`` a point [m] on axis 1 and its unit direction.
        phi: The angle of joint 5 [rad] around which its two wrist branches lie symmetric
            (``q5 = phi ± δ``): the branch is the sign of ``sin(q5 − phi)``.
        floats: ``centre``, ``o1``, ``h1`` as tuples of floats and the distance bound [m] (the screen of
            the one-target path).
    """

    centre: np.ndarray
    o1: np.ndarray
    h1: np.ndarray
    phi: float
    floats: tuple


_SHOULDER_CACHE: weakref.WeakKeyDictionary[Robot, _ShoulderWrist | None] = weakref.WeakKeyDictionary()


def _shoulder_wrist(robot: Robot, g: _Geometry, L: float) -> _ShoulderWrist | None:
    """Per robot (cached): its :class:`_ShoulderWrist`, or None (not 6 revolute joints, or axes 4, 5, 6 not
    through one point to NEAR_GEOMETRY · L with consecutive ones not parallel)."""
    cached = _SHOULDER_CACHE.get(robot, False)
    if cached is not False:
        return cached  # type: ignore[return-value]  # (False: not looked at yet)
    found = None
    if robot.n == 6 and np.asarray(robot.serial_chain.revolute).all():
        m_45, d_45, s_45 = _meet(g.H[3], g.P[3], g.H[4], g.P[4])
        m_56, d_56, s_56 = _meet(g.H[4], g.P[4], g.H[5], g.P[5])
        apart = np.max([d_45, d_56, np.linalg.norm(m_45 - m_56)])
        if np.min([s_45, s_56]) > NEAR_GEOMETRY and apart <= NEAR_GEOMETRY * L:
            h4, h5, h6 = g.H[3], g.H[4], g.H[5]
            # h4 · R(h5, t) h6 = A cos t + B sin t + const: its extreme at t = phi
            phi = float(np.arctan2(dot(h4, cross(h5, h6)), dot(h4, h6) - dot(h4, h5) * dot(h5, h6)))
            centre = g.R0.T @ (g.p0 - m_45)
            o1, h1 = g.P[0].copy(), g.H[0].copy()
            floats = (tuple(centre.tolist()), tuple(o1.tolist()), tuple(h1.tolist()), SHOULDER_CONTINUUM * L)
            found = _ShoulderWrist(centre, o1, h1, phi, floats)
    _SHOULDER_CACHE[robot] = found
    return found


def _near_shoulder_continuum(shoulder: _ShoulderWrist, T: np.ndarray) -> bool:
    """Whether the target ``T`` ``(4, 4)`` has its wrist centre on axis 1 (the screen of :func:`_slide_shoulders`
    on floats, for one target)."""
    (c0, c1, c2), (o0, o1, o2), (h0, h1, h2), bound = shoulder.floats
    (a0, a1, a2, x), (b0, b1, b2, y), (e0, e1, e2, z) = T.tolist()[:3]
    wx = x - a0 * c0 - a1 * c1 - a2 * c2 - o0
    wy = y - b0 * c0 - b1 * c1 - b2 * c2 - o1
    wz = z - e0 * c0 - e1 * c1 - e2 * c2 - o2
    u, v, s = h1 * wz - h2 * wy, h2 * wx - h0 * wz, h0 * wy - h1 * wx  # h1 × (w − o1)
    return abs(u) <= bound and abs(v) <= bound and abs(s) <= bound


def _wrist_branch(shoulder: _ShoulderWrist, q5: np.ndarray) -> np.ndarray:
    """The wrist branch ``(...)`` of answers with joint 5 at ``q5``: ±1, 0 where the two meet (to
    WRIST_CONTINUUM)."""
    s = np.sin(q5 - shoulder.phi)
    return np.where(np.abs(s) < WRIST_CONTINUUM, 0.0, np.sign(s))


def _slide_shoulders(
    robot: Robot,
    g: _Geometry,
    L: float,
    q: np.ndarray,
    valid: np.ndarray,
    pe: np.ndarray,
    re: np.ndarray,
    R: np.ndarray,
    p: np.ndarray,
) -> None:
    """Answers on a shoulder continuum (see SHOULDER_CONTINUUM) that are not valid moved along it into the
    limits, in place: ``q (N, k, 6)``, ``valid``, ``pe``, ``re`` ``(N, k)`` of the targets ``R (N, 3, 3)``,
    ``p (N, 3)``. A continuum (q2, q3 and the wrist branch) that has a valid answer gets no other; a moved answer
    takes an invalid slot (its own first) of its target."""
    shoulder = _shoulder_wrist(robot, g, L)
    if shoulder is None:
        return
    rows = np.flatnonzero(~valid.all(-1))
    if rows.size == 0:
        return
    w = p[rows] - R[rows] @ shoulder.centre - shoulder.o1
    rows = rows[np.abs(cross(shoulder.h1, w)).max(-1) <= SHOULDER_CONTINUUM * L]  # (no squares: no overflow)
    if rows.size == 0:
        return
    lower, upper = robot.limits[:, 0], robot.limits[:, 1]
    revolute = robot_revolute(robot)
    t, k = np.nonzero(~valid[rows])
    t = rows[t]
    x = q[t, k]  # (M, 6)
    placed = np.isfinite(x[:, 1:3]).all(-1) & ((x[:, 1:3] >= lower[1:3]) & (x[:, 1:3] <= upper[1:3])).all(-1)
    t, k, x = t[placed], k[placed], x[placed]
    if t.size == 0:
        return
    # q1 over its range (a turn at most, finite)
    lo = lower[0] if np.isfinite(lower[0]) else -np.pi
    hi = upper[0] if np.isfinite(upper[0]) else np.pi
    if hi - lo > 2.0 * np.pi:
        lo, hi = 0.5 * (lo + hi) - np.pi, 0.5 * (lo + hi) + np.pi
    q1 = lo + (hi - lo) * _SHOULDER_FRACTIONS  # (K,)
    M, K = t.size, q1.size
    # the wrist for each q1: R36 = R03ᵀ Rt on h6 and on a unit v ⟂ h6 (as in _spherical)
    Rt = R[t] @ g.R0.T
    v = _perpendicular(g.H[5])
    both = np.stack([Rt @ g.H[5], Rt @ v], -2)  # (M, 2, 3)
    both = rotate(g.H[0], -np.broadcast_to(q1[None, :, None], (M, K, 2)), both[:, None])  # (M, K, 2, 3)
    for i in (1, 2):
        both = rotate(g.H[i], -x[:, None, None, i], both)
    wrist, exact = _wrist(g, both[..., 0, :].reshape(-1, 3), both[..., 1, :].reshape(-1, 3), v)  # (M K, 2, 3)
    X = np.empty((M, K, 2, 6))
    X[..., 0] = q1[None, :, None]
    X[..., 1:3] = x[:, None, None, 1:3]
    X[..., 3:] = wrap_angle(wrist.reshape(M, K, 2, 3))
    X = _wrap_into_limits(X, lower, upper, revolute)
    inside = exact.reshape(M, K, 2) & ((X >= lower) & (X <= upper)).all(-1)
    first = np.argmax(inside, axis=1)  # (M, 2): the first q1 tried whose answer is within the limits
    m, b = np.nonzero(inside.any(1))
    if m.size == 0:
        return
    y, e_p, e_r, ok = _verified_moves(robot, L, X[m, first[m, b], b], R[t[m]], p[t[m]], None)
    m, y, e_p, e_r = m[ok], y[ok], e_p[ok], e_r[ok]
    branch = _wrist_branch(shoulder, y[:, 4])
    for i in range(m.size):  # (rare: singular targets only) one answer per continuum
        row = t[m[i]]
        z = q[row, valid[row]]  # the valid answers (and the moved ones so far)
        same = (np.abs(wrap_angle(z[:, 1:3] - y[i, 1:3])).max(-1) < DUPLICATE_TOL) & (
            (_wrist_branch(shoulder, z[:, 4]) * branch[i]) >= 0.0
        )
        if same.any():
            continue
        slot = k[m[i]]
        if valid[row, slot]:  # (taken by an earlier moved answer) the next free slot
            free = np.flatnonzero(~valid[row])
            if free.size == 0:
                continue
            slot = free[0]
        q[row, slot], valid[row, slot], pe[row, slot], re[row, slot] = y[i], True, e_p[i], e_r[i]
