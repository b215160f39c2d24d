"""Every closed-form solution of ONE target on Python floats: the lean families' algebra without NumPy calls.

:func:`robokin.ik.solve_all` with a single target spends its time in the fixed cost of NumPy calls on tiny
arrays (about 370 of them in :mod:`robokin.ik.closed_form`, 1-3 µs each), not in arithmetic. This module
computes the same subproblem chains (SP1-SP4; Elias & Wen, arXiv 2211.05737, sec. 3-4) for one target on
Python floats (``math.sqrt``, ``math.atan2``, tuples), branch by branch, then takes one small NumPy step
for the verification: the candidates' poses by :func:`robokin.kinematics.path_fk` (the chain's own fk).

- The arm's constants are those of :func:`robokin.ik.closed_form.constants` (one source), read once per arm
  into tuples (:class:`ScalarArm`).
- The algebra follows the batched kernels step by step (the same ``(cos, sin)`` pairs, the same ``exact``
  tests with :data:`~robokin.ik.closed_form.EXACT_TOL`, the same slot order: slot ``4a + 2b + c`` for the
  binary branches ``a``, ``b``, ``c`` with ``+`` first), taking ``atan2`` once per branch where the batched
  kernels take it per slot, and the same whole-turn rule, verification and removal of repeats; the two
  agree to rounding on thousands of random targets per family (``tests/test_ik_closed_form_single.py``).
- What the scalar path does not do, it declines (:meth:`ScalarArm.solve` returns None) and the batched
  path runs: targets beyond :data:`HUGE` [m] (where products overflow), and answers that need polishing
  (lost digits at a singular configuration), so polishing has one source.
- :meth:`ScalarArm.pose_and_jacobian`: the tool's pose and world Jacobian of one configuration on floats
  (for :func:`robokin.ik.solve`'s answer), equal to ``kinematics.pose_and_jacobian`` to rounding (tested).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..kinematics import path_fk
from .closed_form import EXACT_TOL, LEAN_FAMILIES

if TYPE_CHECKING:  # pragma: no cover
    from ..model import LinkPath

__all__ = ["ScalarArm", "Tolerances", "HUGE", "pose_errors"]

# Targets with a coordinate beyond this [m] go to the batched path, which handles overflow (NaN pairs that
# are not candidates); below it, no product of the algebra leaves float range.
HUGE = 1e150
_TWO_PI = 2.0 * math.pi
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_HALF_INV_SQRT2 = 0.5 / math.sqrt(2.0)

Vec = tuple[float, float, float]


@dataclass(frozen=True)
class Tolerances:
    """The verification and polishing thresholds of :mod:`robokin.ik.analytic` (passed in, one source).

    Attributes:
        position: A valid solution's position error at most this [m].
        rotation: Its rotation error at most this [rad].
        polish_position: An answer closer than this [m] (and ``polish_rotation``) that is not valid is
            polished by the batched path.
        polish_rotation: [rad], likewise.
        duplicate: Two valid slots closer than this in every joint [rad] are one.
        limit: An angle beyond a joint limit by at most this [rad] (after whole turns) is put on the limit
            (a joint exactly at its limit, rounded), and verified there.
    """

    position: float
    rotation: float
    polish_position: float
    polish_rotation: float
    duplicate: float
    limit: float = 0.0


# --------------------------------------------------------------------------------------------- helpers
def _vec(x: np.ndarray) -> Vec:
    a, b, c = (float(v) for v in np.asarray(x, dtype=float).reshape(3))
    return (a, b, c)


def _rows(x: np.ndarray) -> tuple[Vec, ...]:
    """The rows of a stack of 3-vectors ``(r, 3, ...)`` (trailing size-1 axes dropped)."""
    arr = np.asarray(x, dtype=float)
    return tuple(_vec(row) for row in arr.reshape(arr.shape[0], 3))


def _axis(M9: np.ndarray) -> Vec:
    """The unit axis ``k`` of a stacked Rodrigues matrix ``[k kᵀ; I − k kᵀ; [k]×]`` ``(9, 3)`` (read from
    ``[k]×``: no arithmetic, the very numbers of ``k``)."""
    return (float(M9[8, 1]), float(M9[6, 2]), float(M9[7, 0]))


def _rot(k: Vec, c: float, s: float, v: Vec) -> Vec:
    """``R(k; cos, sin) v = k kᵀv + c (I − k kᵀ) v + s k × v`` (Rodrigues)."""
    kx, ky, kz = k
    vx, vy, vz = v
    d = kx * vx + ky * vy + kz * vz
    ax, ay, az = kx * d, ky * d, kz * d
    return (
        ax + c * (vx - ax) + s * (ky * vz - kz * vy),
        ay + c * (vy - ay) + s * (kz * vx - kx * vz),
        az + c * (vz - az) + s * (kx * vy - ky * vx),
    )


def _rot_terms(k: Vec, v: Vec) -> tuple[Vec, Vec, Vec]:
    """The terms of :func:`_rot` that do not depend on the angle: ``R(k; cos, sin) v = A + cos V + sin X`` with
    ``A = k kᵀv``, ``V = v − A``, ``X = k × v``; ``A[i] + c V[i] + s X[i]`` is :func:`_rot`'s very arithmetic
    (for one ``v`` turned by several angles)."""
    kx, ky, kz = k
    vx, vy, vz = v
    d = kx * vx + ky * vy + kz * vz
    ax, ay, az = kx * d, ky * d, kz * d
    return (ax, ay, az), (vx - ax, vy - ay, vz - az), (ky * vz - kz * vy, kz * vx - kx * vz, kx * vy - ky * vx)


def _sp4(a: float, b: float, rhs: float) -> tuple[float, float, float, float, bool]:
    """Both roots ``(cos₊, sin₊, cos₋, sin₋, exact)`` of ``a cos θ + b sin θ = rhs`` (subproblem 4), as
    :func:`robokin.ik.closed_form` ``_sp4``: ``rhs`` clipped to ``±r`` when there is no exact root."""
    r2 = a * a + b * b
    r = math.sqrt(r2)
    exact = abs(rhs) <= r * (1.0 + EXACT_TOL)
    rc = -r if rhs < -r else (r if rhs > r else rhs)
    sq = math.sqrt(max(r2 - rc * rc, 0.0))
    inv = 1.0 / r2 if r2 > 0.0 else 1.0
    arc, brc, asq, bsq = a * rc, b * rc, a * sq, b * sq
    return (arc - bsq) * inv, (brc + asq) * inv, (arc + bsq) * inv, (brc - asq) * inv, exact


def _unit(x: float, y: float) -> tuple[float, float]:
    """``(x, y)`` normalised (SP1's ``(cos θ, sin θ)``); ``(1, 0)`` where both vanish."""
    r = math.sqrt(x * x + y * y)
    if r == 0.0:
        return 1.0, y
    inv = 1.0 / r
    return x * inv, y * inv


def _apply(Rt: Sequence[Vec], v: Vec) -> Vec:
    """``Rt v`` for ``Rt`` given by its rows."""
    r0, r1, r2 = Rt
    x, y, z = v
    return (r0[0] * x + r0[1] * y + r0[2] * z, r1[0] * x + r1[1] * y + r1[2] * z, r2[0] * x + r2[1] * y + r2[2] * z)


def _mat(G: Sequence[Vec], v: Vec) -> tuple[float, float, float]:
    """``G v`` for a constant ``G`` of 3 rows."""
    x, y, z = v
    g0, g1, g2 = G
    return (g0[0] * x + g0[1] * y + g0[2] * z, g1[0] * x + g1[1] * y + g1[2] * z, g2[0] * x + g2[1] * y + g2[2] * z)


def _mat6(G: Sequence[Vec], v: Vec) -> tuple[float, float, float, float, float, float]:
    """``G v`` for a constant ``G`` of 6 rows."""
    x, y, z = v
    g0, g1, g2, g3, g4, g5 = G
    return (
        g0[0] * x + g0[1] * y + g0[2] * z,
        g1[0] * x + g1[1] * y + g1[2] * z,
        g2[0] * x + g2[1] * y + g2[2] * z,
        g3[0] * x + g3[1] * y + g3[2] * z,
        g4[0] * x + g4[1] * y + g4[2] * z,
        g5[0] * x + g5[1] * y + g5[2] * z,
    )


def pose_errors(x2: float, y2: float, z2: float, p2: float) -> tuple[float, float]:
    """Position [m] and rotation [rad] errors from the squared differences of a pose's columns ``[x, y, z, p]``
    and the target's: ``‖p − p*‖`` and the angle θ of ``R R*ᵀ`` from ``‖R − R*‖_F = 2√2 sin(θ/2)`` (full precision
    at small angles, where the trace formula loses it; ``θ = dist/√2`` to within θ³/24 below 1e-5 rad)."""
    dist = math.sqrt(x2 + y2 + z2)
    return math.sqrt(p2), dist * _INV_SQRT2 if dist <= 1e-5 else 2.0 * math.asin(min(dist * _HALF_INV_SQRT2, 1.0))


# A slot's six angles [rad] of the solved chain, and whether every subproblem on its way had an exact root.
Slot = tuple[list[float], bool]


# --------------------------------------------------------------------------------------------- the arm
class ScalarArm:
    """One arm's lean closed form on floats, with what :meth:`solve` needs to finish the solutions.

    Args:
        name: One of :data:`~robokin.ik.closed_form.LEAN_FAMILIES`.
        K: The arm's :func:`~robokin.ik.closed_form.constants` (one arm, not per target).
        R0: ``(3, 3)`` the solved chain's tool rotation at q = 0.
        reversed_chain: The family holds for the chain read from the tool to the base: targets are inverted
            and joint ``i`` is joint ``5 − i`` of the solved chain with its angle negated.
        lower, upper: ``(6,)`` joint limits [rad].
        turns: Per joint, the whole turns to try when its angle is outside the limits (None: the limits
            hold ``[−π, π]``), as in ``robokin.ik.analytic``.
        path: The robot's root → tool :class:`~robokin.model.LinkPath`, whose fk verifies every candidate.
        tolerances: The verification thresholds.
    """

    def __init__(
        self,
        name: str,
        K: dict[str, np.ndarray],
        R0: np.ndarray,
        reversed_chain: bool,
        lower: np.ndarray,
        upper: np.ndarray,
        turns: Sequence[tuple[int, ...] | None],
        path: LinkPath,
        tolerances: Tolerances,
    ) -> None:
        if name not in LEAN_FAMILIES:
            raise ValueError(f"no scalar kernel for family {name!r}")  # internal: callers pass a lean family
        self.name = name
        self.reversed = reversed_chain
        self.R0 = tuple(_vec(r) for r in np.asarray(R0, dtype=float))
        self.path = path
        # The chain's constant transforms' top rows [R t] (T = C[0] Rz(q1) C[1] ⋯ Rz(qn) C[n]) for the pose and
        # Jacobian of one configuration (pose_and_jacobian).
        if path.chain is None:
            raise ValueError("the tool's path has no moving joint")  # internal: a lean family's arm is a chain
        self.C = [[tuple(row) for row in Ci[:3]] for Ci in np.asarray(path.chain.C, dtype=float).tolist()]
        # The chain's joint matrices M_i = cos q_i K_cos[i] + sin q_i K_sin[i] + K_one[i] (kinematics' product
        # kernel) for the verification of up to 8 candidates; a path that is not q itself, or with a prismatic
        # joint, uses path_fk.
        chain = path.chain
        self.K = (
            (chain.K_cos, chain.K_sin, chain.K_one) if path.identity and list(chain.revolute) == [True] * 6 else None
        )
        self.tol = tolerances
        self.turns = [(i, float(lower[i]), float(upper[i]), t) for i, t in enumerate(turns) if t is not None]
        self.h = tuple(_axis(K[f"M{i + 1}"]) for i in range(6))
        self.tip = _vec(K["tip"])
        self.q3 = _vec(K["q3"])
        self.q3_d = float(K["q3_d"].reshape(()))
        self.h6 = _vec(K["h6"])
        if name == "three_parallel_intersecting_wrist":
            self.o1, self.p12 = _vec(K["o1"]), _vec(K["p12"])
            self.q1, self.q1_d = _rows(K["q1"]), float(K["q1_d"].reshape(()))
            self.R1h2 = _rows(K["R1h2"])  # R(h1, q1) h2 = T0 + c1 T1 + s1 T2
            self.q5 = _vec(K["q5"])
            self.q6 = _rows(K["q6"])
            self.v2 = _vec(K["v2"])
            # R(h5, −q5) v2 = A + cos q5 B − sin q5 D (Rodrigues with the constant parts of v2 about h5).
            (k0, k1, k2), (u0, u1, u2) = self.h[4], self.v2
            d = k0 * u0 + k1 * u1 + k2 * u2
            A = (k0 * d, k1 * d, k2 * d)
            self.v2_h5 = (
                A,
                (u0 - A[0], u1 - A[1], u2 - A[2]),
                (k1 * u2 - k2 * u1, k2 * u0 - k0 * u2, k0 * u1 - k1 * u0),
            )
            self.theta = _rows(K["theta"])
            self.tail = _rows(K["tail"])
            self.q2 = _rows(K["q2"])
            self.sign3, self.sign4 = float(K["sign3"].reshape(())), float(K["sign4"].reshape(()))
            return
        # Joints 2 and 3 about one axis (the same unit vector, or its negative, to the last bit: every
        # parallel-shoulder and Puma-type arm): R(h2, q2) R(h3, q3) is one rotation R(h2, q2 ± q3).
        h2, h3 = self.h[1], self.h[2]
        self.sign23 = 1.0 if h3 == h2 else (-1.0 if h3 == (-h2[0], -h2[1], -h2[2]) else 0.0)
        ay = np.asarray(K["ay"], dtype=float).reshape(3, 2)
        self.ay = (_vec(ay[:, 0]), _vec(ay[:, 1]))  # h6 and v6 ⟂ h6
        self.B45 = _rows(K["B45"])
        c45, c56, k46, n6, k1 = (float(x) for x in np.asarray(K["wrist"], dtype=float).reshape(5))
        self.wrist = (c45, c56, k46, n6, k1)
        self.flip = bool(K["wrist_flip"].all())  # the second wrist solutions are (q4 + π, −q5, q6 + π)
        self.q6 = _rows(K["q6"])
        if name == "spherical_wrist_intersecting_shoulder":
            self.S = _vec(K["S"])
            self.v = _rows(K["v"])
            self.B12 = _rows(K["B12"])
            self.c12 = float(K["c12"].reshape(()))
        else:
            self.o1, self.p12 = _vec(K["o1"]), _vec(K["p12"])
            self.q1, self.q1_d = _rows(K["q1"]), float(K["q1_d"].reshape(()))
            self.q2 = _rows(K["q2"])

    # ----------------------------------------------------------------------------------------- kernels
    def solve_angles(self, Rt: Sequence[Vec], p: Vec) -> list[Slot]:
        """The 8 slots of one target ``Rt = R R0ᵀ`` (rows), ``p`` [m] of the solved chain: each slot's six
        angles [rad] (``atan2`` of the batched kernels' ``(cos, sin)`` pairs, in ``(−π, π]``) and whether
        every subproblem on its way had an exact root; slot ``4a + 2b + c``."""
        if self.name == "three_parallel_intersecting_wrist":
            return self._three_parallel(Rt, p)
        return self._spherical(Rt, p)

    def _three_parallel(self, Rt: Sequence[Vec], p: Vec) -> list[Slot]:
        """UR-type arms (2 ∥ 3 ∥ 4, 5 and 6 meet): branches a = q1, b = q5, c = q3."""
        h1, h2, _, _, h5, h6 = self.h
        (r00, r01, r02), (r10, r11, r12), (r20, r21, r22) = Rt
        t0, t1, t2 = self.tip
        o1 = self.o1
        # x = p − Rt tip − o1 = R1(p12 + R2(...)) [m]
        x = (
            p[0] - (r00 * t0 + r01 * t1 + r02 * t2) - o1[0],
            p[1] - (r10 * t0 + r11 * t1 + r12 * t2) - o1[1],
            p[2] - (r20 * t0 + r21 * t1 + r22 * t2) - o1[2],
        )
        a1, b1, e1 = _mat(self.q1, x)
        c1p, s1p, c1m, s1m, ex1 = _sp4(a1, b1, self.q1_d - e1)  # θ = −q1
        g0, g1, g2 = self.h6
        Rth6 = (r00 * g0 + r01 * g1 + r02 * g2, r10 * g0 + r11 * g1 + r12 * g2, r20 * g0 + r21 * g1 + r22 * g2)
        T0, T1, T2 = self.R1h2
        a5, b5, e5 = self.q5
        U6, theta, (l0, l1, l2), G2 = self.q6, self.theta, self.tail, self.q2
        sign3, sign4 = self.sign3, self.sign4
        a3, b3, e3 = self.q3
        q3_d = self.q3_d
        p12 = self.p12
        (A0, A1, A2), (B0, B1, B2), (D0, D1, D2) = self.v2_h5
        atan2, sqrt, two_pi, half_turns = math.atan2, math.sqrt, _TWO_PI, 0.5 / math.pi
        slots: list[Slot] = []
        for ct1, st1 in ((c1p, s1p), (c1m, s1m)):
            c1, s1 = ct1, -st1
            q1 = atan2(s1, c1)
            # q5: h2ᵀ R(h5, q5) h6 = (R1 h2)·(Rt h6).
            R1h2 = (T0[0] + c1 * T1[0] + s1 * T2[0], T0[1] + c1 * T1[1] + s1 * T2[1], T0[2] + c1 * T1[2] + s1 * T2[2])
            d5 = R1h2[0] * Rth6[0] + R1h2[1] * Rth6[1] + R1h2[2] * Rth6[2]
            c5p, s5p, c5m, s5m, ex5 = _sp4(a5, b5, d5 - e5)
            # q6: R(h6, −q6) R(h5, −q5) h2 = Rtᵀ R1 h2 (SP1): x = b⊥·z, y = (h6 × b)·z, linear in (1, c5, s5).
            z = (
                r00 * R1h2[0] + r10 * R1h2[1] + r20 * R1h2[2],
                r01 * R1h2[0] + r11 * R1h2[1] + r21 * R1h2[2],
                r02 * R1h2[0] + r12 * R1h2[1] + r22 * R1h2[2],
            )
            U0, U1, U2, U3, U4, U5 = _mat6(U6, z)
            xr = _rot(h1, c1, -s1, x)  # R1ᵀ x
            for c5, s5 in ((c5p, s5p), (c5m, s5m)):
                q5 = atan2(s5, c5) if s5 != 0.0 or c5 > 0.0 else abs(atan2(s5, c5))  # (in (−π, π]: not −π)
                x6, y6 = U0 + c5 * U1 - s5 * U2, U3 + c5 * U4 - s5 * U5
                r6 = sqrt(x6 * x6 + y6 * y6)
                c6, s6 = (x6 / r6, -y6 / r6) if r6 != 0.0 else (1.0, -y6)
                # θ = q2 + σ3 q3 + σ4 q4 by SP1 about h2: w = R6ᵀ R5ᵀ v, x = (R1 v)·(Rt w), y = (R1 (h2 × v))·(Rt w).
                w0, w1, w2 = _rot(h6, c6, -s6, (A0 + c5 * B0 - s5 * D0, A1 + c5 * B1 - s5 * D1, A2 + c5 * B2 - s5 * D2))
                V0, V1, V2, V3, V4, V5 = _mat6(
                    theta,
                    (r00 * w0 + r01 * w1 + r02 * w2, r10 * w0 + r11 * w1 + r12 * w2, r20 * w0 + r21 * w1 + r22 * w2),
                )
                xt, yt = V0 + c1 * V1 + s1 * V2, V3 + c1 * V4 + s1 * V5
                rt = sqrt(xt * xt + yt * yt)
                ct_, st_ = (xt / rt, yt / rt) if rt != 0.0 else (1.0, yt)
                th = atan2(st_, ct_)
                # R2(p23 + R3 p34) = R1ᵀ x − p12 − R(h2, θ)(p45 + R5 p56) =: dvec.
                tr = _rot(
                    h2,
                    ct_,
                    st_,
                    (l0[0] + c5 * l1[0] + s5 * l2[0], l0[1] + c5 * l1[1] + s5 * l2[1], l0[2] + c5 * l1[2] + s5 * l2[2]),
                )
                dvec = (xr[0] - p12[0] - tr[0], xr[1] - p12[1] - tr[1], xr[2] - p12[2] - tr[2])
                nd2 = dvec[0] * dvec[0] + dvec[1] * dvec[1] + dvec[2] * dvec[2]
                c3p, s3p, c3m, s3m, ex3 = _sp4(a3, b3, q3_d - 0.5 * nd2 - e3)
                G0, G1, G2_, G3, G4, G5 = _mat6(G2, dvec)
                ex = ex1 and ex5 and ex3
                q6 = atan2(s6, c6)
                for c3, s3 in ((c3p, s3p), (c3m, s3m)):
                    # q2 by SP1 (u = p23 + R3 p34 → dvec about h2); q4 = σ4 (θ − q2 − σ3 q3) wrapped into [−π, π].
                    q3 = atan2(s3, c3)
                    x2, y2 = G0 + c3 * G1 + s3 * G2_, G3 + c3 * G4 + s3 * G5
                    q2 = atan2(y2, x2) if (x2 != 0.0 or y2 != 0.0) else atan2(y2, 1.0)
                    q4 = sign4 * (th - q2 - sign3 * q3)
                    slots.append(([q1, q2, q3, q4 - two_pi * round(q4 * half_turns), q5, q6], ex))
        return slots

    def _spherical(self, Rt: Sequence[Vec], p: Vec) -> list[Slot]:
        """Spherical-wrist arms: branches a, b for joints 1-3, c for the wrist flip."""
        h1, h2, h3, h4, h5, _ = self.h
        tip = _apply(Rt, self.tip)
        w = (p[0] - tip[0], p[1] - tip[1], p[2] - tip[2])  # the wrist centre of the target [m]
        a3, b3, e3 = self.q3
        sqrt = math.sqrt
        # Per arm branch: (c1, s1, c2, s2, c3, s3, exact).
        arms: list[tuple[float, float, float, float, float, float, bool]] = []
        if self.name == "spherical_wrist_intersecting_shoulder":
            S = self.S
            ws = (w[0] - S[0], w[1] - S[1], w[2] - S[2])
            nw2 = ws[0] * ws[0] + ws[1] * ws[1] + ws[2] * ws[2]
            c3p, s3p, c3m, s3m, ex3 = _sp4(a3, b3, self.q3_d - 0.5 * nw2 - e3)
            # SP2: R(h1, −q1) ws = R(h2, q2) v, v = p23 + R3 p3W, in the basis (h1, h2, n = h1 × h2).
            nws = sqrt(nw2)
            inv1 = 1.0 / nws if nws > 0.0 else 1.0
            m0, m1, m2 = _mat(self.B12, ws)  # h1·u1, h2·u1, n·u1
            b1, g11, g12 = m0 * inv1, m1 * inv1, m2 * inv1
            c12 = self.c12
            det = 1.0 - c12 * c12
            V0, V1, V2 = self.v
            for c3, s3 in ((c3p, s3p), (c3m, s3m)):
                v = (V0[0] + c3 * V1[0] + s3 * V2[0], V0[1] + c3 * V1[1] + s3 * V2[1], V0[2] + c3 * V1[2] + s3 * V2[2])
                nv2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2]
                inv2 = 1.0 / sqrt(nv2 if nv2 > 0.0 else 1.0)
                m0, m1, m2 = _mat(self.B12, v)  # h1·u2, h2·u2, n·u2
                g20, b2, g22 = m0 * inv2, m1 * inv2, m2 * inv2
                alpha = (b1 - c12 * b2) / det
                beta = (b2 - c12 * b1) / det
                rad = (1.0 - (alpha * alpha + beta * beta + 2.0 * alpha * beta * c12)) / det
                nv = sqrt(nv2)
                ex12 = ex3 and rad >= -EXACT_TOL and abs(nws - nv) <= EXACT_TOL * max(nws, nv)
                root = sqrt(max(rad, 0.0))
                u1 = g11 - c12 * b1
                u2 = g20 - c12 * b2
                for gamma in (root, -root):
                    ct1, st1 = _unit(beta * u1 + gamma * g12, -beta * g12 + gamma * u1)
                    c2, s2 = _unit(alpha * u2 + gamma * g22, alpha * g22 - gamma * u2)
                    arms.append((ct1, -st1, c2, s2, c3, s3, ex12))
        else:
            o1 = self.o1
            wo = (w[0] - o1[0], w[1] - o1[1], w[2] - o1[2])
            a1, b1_, e1 = _mat(self.q1, wo)
            c1p, s1p, c1m, s1m, ex1 = _sp4(a1, b1_, self.q1_d - e1)
            p12 = self.p12
            G6 = self.q2
            for ct1, st1 in ((c1p, s1p), (c1m, s1m)):
                r = _rot(h1, ct1, st1, wo)
                v1 = (r[0] - p12[0], r[1] - p12[1], r[2] - p12[2])
                nv1 = v1[0] * v1[0] + v1[1] * v1[1] + v1[2] * v1[2]
                c3p, s3p, c3m, s3m, ex3 = _sp4(a3, b3, self.q3_d - 0.5 * nv1 - e3)
                G0, G1, G2, G3, G4, G5 = _mat6(G6, v1)
                for c3, s3 in ((c3p, s3p), (c3m, s3m)):
                    c2, s2 = _unit(G0 + c3 * G1 + s3 * G2, G3 + c3 * G4 + s3 * G5)
                    arms.append((ct1, -st1, c2, s2, c3, s3, ex1 and ex3))
        # The wrist: a = R36 h6 and y = R36 v6 with R36 = R3ᵀ R2ᵀ R1ᵀ Rt; R(h4, −q4) a = R(h5, q5) h6 (SP2 in
        # the basis h4, h5, n45), then R(h6, q6) v6 = R5ᵀ R4ᵀ y (SP1).
        a0, y0 = _apply(Rt, self.ay[0]), _apply(Rt, self.ay[1])
        c45, c56, k46, n6, k1 = self.wrist
        detw = 1.0 - c45 * c45
        (B0, B1, B2), (v6, w6) = self.B45, self.q6  # q6 by SP1: x = v6·y, y = (h6 × v6)·y
        atan2 = math.atan2
        sign23 = self.sign23
        slots: list[Slot] = []
        q1_last = None
        for c1, s1, c2, s2, c3, s3, ex in arms:
            if (c1, s1) != q1_last:  # (joint 1 is shared by the slots of a parallel shoulder's branch a)
                q1_last = (c1, s1)
                ar, yr = _rot(h1, c1, -s1, a0), _rot(h1, c1, -s1, y0)
                q1 = atan2(s1, c1)
            if sign23:  # R3ᵀ R2ᵀ = R(h2, −(q2 ± q3))
                s3_ = sign23 * s3
                c23, s23 = c2 * c3 - s2 * s3_, s2 * c3 + c2 * s3_
                a, y = _rot(h2, c23, -s23, ar), _rot(h2, c23, -s23, yr)
            else:
                a = _rot(h3, c3, -s3, _rot(h2, c2, -s2, ar))
                y = _rot(h3, c3, -s3, _rot(h2, c2, -s2, yr))
            q2, q3 = atan2(s2, c2), atan2(s3, c3)
            ax, ay, az = a
            g0 = B0[0] * ax + B0[1] * ay + B0[2] * az  # h4·a, h5·a, n·a
            g1 = B1[0] * ax + B1[1] * ay + B1[2] * az
            g2 = B2[0] * ax + B2[1] * ay + B2[2] * az
            alpha = (g0 - c45 * c56) / detw
            beta = (c56 - c45 * g0) / detw
            rad = (1.0 - (alpha * alpha + beta * beta + 2.0 * alpha * beta * c45)) / detw
            exw = ex and rad >= -EXACT_TOL
            root = sqrt(max(rad, 0.0))
            u = g1 - c45 * g0
            (A0, A1, A2), (Y0, Y1, Y2), (X0, X1, X2) = _rot_terms(h4, y)  # (shared by both γ)
            for gamma in (root, -root):
                # −q4: the angle from a to x about h4; q5: from h6 to x about h5; then R(h5, −q5) R(h4, −q4) y.
                ct4, st4 = _unit(beta * u + gamma * g2, -beta * g2 + gamma * u)
                c5, s5 = _unit(alpha * k46 + gamma * n6, alpha * k1 + -gamma * k46)
                yx, yy, yz = _rot(
                    h5, c5, -s5, (A0 + ct4 * Y0 + st4 * X0, A1 + ct4 * Y1 + st4 * X1, A2 + ct4 * Y2 + st4 * X2)
                )
                x6, y6 = v6[0] * yx + v6[1] * yy + v6[2] * yz, w6[0] * yx + w6[1] * yy + w6[2] * yz
                q6 = atan2(y6, x6) if (x6 != 0.0 or y6 != 0.0) else atan2(y6, 1.0)
                slots.append(([q1, q2, q3, atan2(-st4, ct4), atan2(s5, c5), q6], exw))
            if root == 0.0 and self.flip:  # (a wrist continuum: the flip by half turns, as the batch's kernel)
                row = slots[-2][0]
                q4, q6 = row[3], row[5]
                flipped = [q1, q2, q3, q4 - math.pi if q4 > 0.0 else q4 + math.pi, -row[4]]
                slots[-1] = (flipped + [q6 - math.pi if q6 > 0.0 else q6 + math.pi], exw)
        return slots

    # ----------------------------------------------------------------------------------------- solutions
    def solve(self, T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """Every solution of one target ``T`` ``(4, 4)`` (validated), verified by the chain's fk.

        Returns:
            ``q`` ``(8, 6)`` [rad], ``valid`` ``(8,)`` (within the limits, pose errors within the tolerances,
            not a repeat of an earlier slot), ``position_error`` [m] and ``rotation_error`` [rad] ``(8,)``
            (``inf`` for slots that are not candidates: not exact, or outside the limits), as
            ``robokin.ik.analytic``'s lean path; or None when the batched path must run (a target beyond
            :data:`HUGE`, or an answer to polish).
        """
        one = self.solutions(T)
        if one is None:
            return None
        q, valid, pe, re = one
        return np.array(q), np.array(valid), np.array(pe), np.array(re)

    def solutions(self, T: np.ndarray) -> tuple[np.ndarray, list[bool], list[float], list[float]] | None:
        """:meth:`solve` with ``q`` an array ``(8, 6)`` [rad] and the other three as lists of 8: what
        ``robokin.ik.analytic`` and ``ik.solve``'s one-target path read."""
        rows = T.tolist()
        if max(abs(rows[0][3]), abs(rows[1][3]), abs(rows[2][3])) > HUGE:
            return None
        Q, candidate = self._within_limits(self.solve_angles(*self._target(rows)))
        return self._verified(Q, candidate, T)

    def fk(self, rows: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
        """``T_world_tool`` ``(k, 4, 4)`` of the configurations ``rows`` (k × 6 [rad]): the product kernel of
        ``robot.fk`` (:func:`robokin.kinematics.path_fk` for fewer than its ``SMALL_BATCH`` rows), its joint
        matrices ``M_i = cos q_i K_cos[i] + sin q_i K_sin[i] + K_one[i]`` multiplied in its balanced tree
        ``((M0 M1)(M2 M3))(M4 M5)`` without its general loop (tested equal to ``path_fk``)."""
        q = np.asarray(rows, dtype=float)
        if self.K is None:
            return path_fk(self.path, q)
        K_cos, K_sin, K_one = self.K
        q = q[:, :, None, None]  # (k, 6, 1, 1)
        M = np.cos(q) * K_cos + np.sin(q) * K_sin + K_one  # (k, 6, 4, 4)
        P = M[:, 0::2] @ M[:, 1::2]  # (k, 3, 4, 4)
        return P[:, 0] @ P[:, 1] @ P[:, 2]

    def pose_and_jacobian(self, q: Sequence[float]) -> tuple[list[list[float]], list[tuple[float, ...]]]:
        """The tool's pose (its top rows ``[R p]``, 3 × 4) and world Jacobian (6 rows × 6, ``[v; ω]``) of ONE
        configuration ``q`` [rad] on floats: the chain's product ``C[0] Rz(q1) C[1] ⋯`` (the kernel of
        ``robot.fk``) and, per joint, ``[z × (p − o); z]`` of its motion frame (``kinematics.pose_and_jacobian``;
        the two agree to rounding, tested)."""
        cos, sin = math.cos, math.sin
        (x0, y0, z0, p0), (x1, y1, z1, p1), (x2, y2, z2, p2) = self.C[0]
        axes, origins = [], []
        for i, qi in enumerate(q):
            axes.append((z0, z1, z2))
            origins.append((p0, p1, p2))
            c, s = cos(qi), sin(qi)  # T Rz(q): x' = c x + s y, y' = c y − s x
            x0, y0 = c * x0 + s * y0, c * y0 - s * x0
            x1, y1 = c * x1 + s * y1, c * y1 - s * x1
            x2, y2 = c * x2 + s * y2, c * y2 - s * x2
            (a0, b0, c0, t0), (a1, b1, c1, t1), (a2, b2, c2, t2) = self.C[i + 1]  # T C: columns mixed by C's rows
            x0, y0, z0, p0 = (
                x0 * a0 + y0 * a1 + z0 * a2,
                x0 * b0 + y0 * b1 + z0 * b2,
                x0 * c0 + y0 * c1 + z0 * c2,
                x0 * t0 + y0 * t1 + z0 * t2 + p0,
            )
            x1, y1, z1, p1 = (
                x1 * a0 + y1 * a1 + z1 * a2,
                x1 * b0 + y1 * b1 + z1 * b2,
                x1 * c0 + y1 * c1 + z1 * c2,
                x1 * t0 + y1 * t1 + z1 * t2 + p1,
            )
            x2, y2, z2, p2 = (
                x2 * a0 + y2 * a1 + z2 * a2,
                x2 * b0 + y2 * b1 + z2 * b2,
                x2 * c0 + y2 * c1 + z2 * c2,
                x2 * t0 + y2 * t1 + z2 * t2 + p2,
            )
        columns = []
        for (zx, zy, zz), (ox, oy, oz) in zip(axes, origins):
            dx, dy, dz = p0 - ox, p1 - oy, p2 - oz
            columns.append((zy * dz - zz * dy, zz * dx - zx * dz, zx * dy - zy * dx, zx, zy, zz))
        return [[x0, y0, z0, p0], [x1, y1, z1, p1], [x2, y2, z2, p2]], list(zip(*columns))

    def repeats(self, rows: list[list[float]]) -> set[int]:
        """The indices of ``rows`` (solutions ``(k, 6)`` [rad]) that repeat an earlier row: closer than
        ``tol.duplicate`` in every joint. Pairs are screened on the weighted sum of the joints (weights 1..6),
        which two repeats share within 21 × ``tol.duplicate``."""
        dup = self.tol.duplicate
        bound = 21.0 * dup
        keys = [q[0] + 2.0 * q[1] + 3.0 * q[2] + 4.0 * q[3] + 5.0 * q[4] + 6.0 * q[5] for q in rows]
        ordered = sorted(keys)
        later: set[int] = set()
        if any(b - a < bound for a, b in zip(ordered, ordered[1:])):  # rare: look at the pairs
            for n_ in range(len(rows)):
                for m_ in range(n_):
                    if abs(keys[m_] - keys[n_]) < bound and max(abs(a - b) for a, b in zip(rows[m_], rows[n_])) < dup:
                        later.add(n_)
                        break
        return later

    def _target(self, rows: list[list[float]]) -> tuple[tuple[Vec, Vec, Vec], Vec]:
        """``Rt = R R0ᵀ`` (rows) and ``p`` [m] of the solved chain for the target's rows ``T.tolist()``."""
        (a, b, c, x), (d, e, f, y), (g, h, i, z), _ = rows
        if self.reversed:  # the chain from the tool to the base: T⁻¹ = [Rᵀ, −Rᵀ p]
            R: tuple[Vec, Vec, Vec] = ((a, d, g), (b, e, h), (c, f, i))
            p = (-(a * x + d * y + g * z), -(b * x + e * y + h * z), -(c * x + f * y + i * z))
        else:
            R, p = ((a, b, c), (d, e, f), (g, h, i)), (x, y, z)
        (u0, u1, u2), (v0, v1, v2), (w0, w1, w2) = self.R0
        r, s, t = (
            (r0 * u0 + r1 * u1 + r2 * u2, r0 * v0 + r1 * v1 + r2 * v2, r0 * w0 + r1 * w1 + r2 * w2) for r0, r1, r2 in R
        )
        return (r, s, t), p

    def _within_limits(self, slots: list[Slot]) -> tuple[list[list[float]], list[bool]]:
        """The slots' angles of the robot's joints moved by whole turns into the limits where they can be, and
        which slots are candidates (exact, within the limits)."""
        Q: list[list[float]] = []
        candidate: list[bool] = []
        for q, exact in slots:
            if self.reversed:  # joint i is joint 5 − i of the reversed chain, its angle negated
                q = [-q[5], -q[4], -q[3], -q[2], -q[1], -q[0]]
            inside = exact
            for i, lo, hi, turns in self.turns:  # moved by whole turns into the limits where they can be
                qi = q[i]
                if lo <= qi <= hi:
                    continue
                for m in turns:
                    shifted = qi + _TWO_PI * m
                    if lo <= shifted <= hi:
                        q[i] = qi = shifted
                        break
                else:
                    tol = self.tol.limit
                    for m in (0, *turns):  # within tol.limit of a limit: on it
                        shifted = qi + _TWO_PI * m
                        if lo - tol <= shifted <= hi + tol:
                            q[i] = min(max(shifted, lo), hi)
                            break
                    else:
                        inside = False
            Q.append(q)
            candidate.append(inside)
        return Q, candidate

    def _verified(
        self, Q: list[list[float]], candidate: list[bool], T: np.ndarray
    ) -> tuple[np.ndarray, list[bool], list[float], list[float]] | None:
        """Errors of the candidates by the chain's fk, the valid slots without repeats; None to polish."""
        tol = self.tol
        inf = math.inf
        q = np.fromiter(itertools.chain.from_iterable(Q), float, 48).reshape(8, 6)  # [rad] (np.array(Q), faster)
        pe, re, valid = [inf] * 8, [inf] * 8, [False] * 8
        idx = [k for k in range(8) if candidate[k]]
        if not idx:
            return q, valid, pe, re
        D = self.fk(q if len(idx) == 8 else q[idx])[:, :3] - T[:3]  # (k, 3, 4): the chain's own fk against the target
        D *= D
        squares = np.add.reduce(D, axis=1).tolist()  # (k, 4): squared differences of the columns x, y, z, p
        tol_p, tol_r, polish_p, polish_r = tol.position, tol.rotation, tol.polish_position, tol.polish_rotation
        ok: list[int] = []
        for k, sq in zip(idx, squares):
            e_p, e_r = pose_errors(*sq)
            if not (e_p < inf and e_r < inf):
                continue  # (overflow: not a candidate)
            pe[k], re[k] = e_p, e_r
            if e_p <= tol_p and e_r <= tol_r:
                ok.append(k)
            elif e_p < polish_p and e_r < polish_r:
                return None  # lost digits near a singularity: the batched path polishes it
        later = self.repeats([Q[k] for k in ok])
        for n_, k in enumerate(ok):
            valid[k] = n_ not in later
        return q, valid, pe, re
