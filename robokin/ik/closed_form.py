"""Lean closed-form kernels of the analytic families: component-first arrays, (cos, sin) pairs, branches as axes.

:mod:`robokin.ik.analytic` reads an arm's family from its axes; this module holds the fast solvers of the
three families of the industrial arms (``spherical_wrist_intersecting_shoulder``,
``spherical_wrist_parallel_shoulder``, ``three_parallel_intersecting_wrist``) and the fk used to verify
their answers. They compute the same subproblem chains as :mod:`robokin.ik.subproblems` (SP1-SP4; Elias &
Wen, arXiv 2211.05737, sec. 3-4), written for speed:

- a 3-vector is an array ``(3, a, b, c, N)``: the component first, then one axis per binary branch (the
  ``±`` of each subproblem with two solutions: ``a``, ``b``, ``c`` each 1 or 2), then the targets. Every
  operation is one NumPy call over all branches and targets at once, with no masks or fancy indexing;
  a branch axis is 1 until the subproblem that splits it, so early stages cost half or a quarter;
- each angle is carried as its ``(cos, sin)`` pair (SP4: ``θ = φ ± acos``, as ``(a r_c ∓ b √(r² − r_c²),
  b r_c ± a √(r² − r_c²)) / r²``; SP1: the normalised ``(p1⊥·p2, kᵀ(p1 × p2))``), so that rotations,
  the next subproblems and the verification need no ``cos``/``sin``; ``arctan2`` runs once per distinct
  output angle, at the shape of the branches it depends on (the two roots of an SP4 whose coefficients are
  the arm's constants share one as ``φ ± δ``; a spherical wrist with axes 4 ∥ 6 ⟂ 5 gets its second
  solutions by half turns, :data:`WRIST_FLIP_TOL`);
- everything that depends only on the arm (projections of axes and offsets, the stacked Rodrigues
  matrices ``[k kᵀ; I − k kᵀ; [k]×]`` of each axis) is computed once per arm (:func:`constants`) as
  arrays that broadcast against the targets; a 7-joint arm with its parameter joint held gives per-target
  constants of the same shapes (the last axis ``N`` instead of 1; ``robokin.ik.analytic`` evaluates them as
  trigonometric polynomials in the held angle).

The verification (:func:`poses_cs`, :func:`pose_errors_cs`) is the chain's own product ``T = C[0] Rz(q1) C[1] ⋯ Rz(qn) C[n]``
(``robokin.model.Chain.C``), evaluated column by column from the same ``(cos, sin)`` pairs with the branch
axes broadcast (joint ``i`` costs as many branches as it has) and the constants' zero and ``±1`` entries
skipped; it equals ``robot.fk`` to rounding (tested).

Large batches are solved in blocks (see ``robokin.ik.analytic.LEAN_BLOCK``): the arrays stay in cache and
the few matrix products stay below the size at which a multi-threaded BLAS starts threads.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "LEAN_FAMILIES",
    "constants",
    "solve_cs",
    "poses_cs",
    "pose_errors_cs",
    "pose_jacobian_cs",
    "perpendicular",
    "MATRIX_KEYS",
    "perpendicular_axis",
    "target_frames",
    "fk_program",
    "EXACT_TOL",
    "WRIST_FLIP_TOL",
    "PARALLEL_TOL",
    "AXIS_TOL",
]

LEAN_FAMILIES: tuple[str, ...] = (
    "spherical_wrist_intersecting_shoulder",
    "spherical_wrist_parallel_shoulder",
    "three_parallel_intersecting_wrist",
)
# As robokin.ik.subproblems.EXACT_TOL: a cosine beyond 1 + EXACT_TOL (relative) has no exact solution.
EXACT_TOL = 1e-9
# A spherical wrist whose axes 4 and 6 are parallel and 5 perpendicular to both at q = 0 (to this, as sines
# and cosines) has R(h4, q4 + π) R(h5, −q5) R(h6, q6 + π) = R(h4, q4) R(h5, q5) R(h6, q6) (R(h4, π) R(h5, −q5)
# = R(h5, q5) R(h4, π), and R(h4, π) R(h6, π) = I): its flipped solutions cost no arithmetic. Each is still
# verified by fk, so a wrist that meets this only to rounding gives answers exact to rounding.
WRIST_FLIP_TOL = 1e-12
# Axes 2 and 3 parallel to this (sine of their angle): the wrist turns back by q2 ± q3 in one rotation (verified
# by fk as every answer).
PARALLEL_TOL = 1e-12
# An axis whose other two components are within this of 0 (DH tables give cos(π/2) = 6e-17) is taken as that
# coordinate axis: its rotations turn two components only (answers verified by fk as every answer).
AXIS_TOL = 1e-15
_SLOT_AXES = 3  # binary branch axes a, b, c
_PM = (
    np.array([1.0, -1.0]).reshape(2, 1, 1, 1),
    np.array([1.0, -1.0]).reshape(2, 1, 1),
    np.array([1.0, -1.0]).reshape(2, 1),
)


# --------------------------------------------------------------------------------------------- helpers
def _mat(G: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``G v`` ``(r, ...)`` for a constant ``G`` ``(r, 3)`` (one matrix product) or per-target
    ``(r, 3, 1, 1, 1, N)``, and ``v`` ``(3, ...)``."""
    if G.ndim == 2:
        return (G @ v.reshape(3, -1)).reshape((G.shape[0],) + v.shape[1:])
    G = G.reshape(G.shape[:2] + (1,) * (v.ndim + 1 - G.ndim) + G.shape[2:])  # v may have more leading axes
    return G[:, 0] * v[0] + G[:, 1] * v[1] + G[:, 2] * v[2]


def _rot(
    K: dict[str, np.ndarray], i: int, c: np.ndarray, s: np.ndarray, v: np.ndarray, inverse: bool = False
) -> np.ndarray:
    """``R(h_i; cos, sin) v`` ``(3, ...)`` about the axis of joint ``i`` (1-based), or with ``inverse``
    ``R(h_i; cos, −sin) v`` (the sign folded into the sums: no negated copy of ``sin``): by Rodrigues,
    ``K["M<i>"] = [k kᵀ; I − k kᵀ; [k]×]``, or, an axis along a coordinate axis (``K["axes"]``, see
    :data:`AXIS_TOL`), as a plane rotation of the two other components."""
    axes = K["axes"][i - 1]
    code = int(axes.flat[0]) if axes.size == 1 else 0
    if code == 0:
        P = _mat(K[f"M{i}"], v)
        P = P.reshape((3, 3) + P.shape[1:])
        return P[0] + c * P[1] + (-s if inverse else s) * P[2]
    k = abs(code) - 1
    a, b = (k + 1) % 3, (k + 2) % 3  # R(±e_k): (v_a, v_b) turned by ±θ, v_k kept
    out = np.empty((3,) + np.broadcast_shapes(c.shape, s.shape, v.shape[1:]))
    np.multiply(c, v[a], out=out[a])
    if (code > 0) != inverse:  # (v_a, v_b) → (c v_a − s v_b, c v_b + s v_a)
        out[a] -= s * v[b]
        np.multiply(c, v[b], out=out[b])
        out[b] += s * v[a]
    else:  # turned the other way (fl(−x) = −fl(x): the same values as with −s)
        out[a] += s * v[b]
        np.multiply(c, v[b], out=out[b])
        out[b] -= s * v[a]
    out[k] = v[k]
    return out


def _combo(V: np.ndarray, c: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``V[0] + c V[1] + s V[2]`` for stacked terms ``V`` ``(3, ...)``: a rotated constant, or its projections."""
    return V[0] + c * V[1] + s * V[2]


def _sp4(a: np.ndarray, b: np.ndarray, rhs: np.ndarray, pm: np.ndarray) -> tuple[np.ndarray, ...]:
    """``(cos θ, sin θ, exact)`` of ``a cos θ + b sin θ = rhs`` (subproblem 4), the two roots on ``pm``'s axis.

    ``θ = φ ± acos(rhs / r)`` with ``(cos φ, sin φ) = (a, b) / r``, ``r = √(a² + b²)``; beyond ``|rhs| > r``
    (no exact root) ``rhs`` is clipped to ``±r``: both slots hold the least-squares ``θ = φ`` or ``φ + π``.
    """
    r2 = a * a + b * b
    r = np.sqrt(r2)
    exact = np.abs(rhs) <= r * (1.0 + EXACT_TOL)
    rc = np.minimum(np.maximum(rhs, -r), r)
    sq = np.sqrt(np.maximum(r2 - rc * rc, 0.0)) * pm
    inv = 1.0 / np.where(r2 > 0.0, r2, 1.0)
    return (a * rc - b * sq) * inv, (b * rc + a * sq) * inv, exact


def _sp4_angle(a: np.ndarray, b: np.ndarray, rhs: np.ndarray, pm: np.ndarray) -> tuple[np.ndarray, ...]:
    """:func:`_sp4` and the angle ``θ`` itself in ``(−π, π]``, as ``φ ± δ``: ``φ = atan2(b, a)`` takes the
    shape of ``(a, b)`` and ``δ = atan2(√(r² − rc²), rc)`` that of ``rhs``, so with constant ``a``, ``b`` (an
    arm's constants) one ``arctan2`` per target serves both roots."""
    r2 = a * a + b * b
    r = np.sqrt(r2)
    exact = np.abs(rhs) <= r * (1.0 + EXACT_TOL)
    rc = np.minimum(np.maximum(rhs, -r), r)
    sq0 = np.sqrt(np.maximum(r2 - rc * rc, 0.0))
    sq = sq0 * pm
    inv = 1.0 / np.where(r2 > 0.0, r2, 1.0)
    theta = _wrap(np.arctan2(b, a) + pm * np.arctan2(sq0, rc))
    return (a * rc - b * sq) * inv, (b * rc + a * sq) * inv, exact, theta


def _wrap(x: np.ndarray) -> np.ndarray:
    """Angles in ``(−3π, 3π]`` moved by a whole turn into ``(−π, π]`` [rad]."""
    return np.where(x > np.pi, x - 2.0 * np.pi, np.where(x <= -np.pi, x + 2.0 * np.pi, x))


def _half_turn(q: np.ndarray) -> np.ndarray:
    """``q + π`` in ``(−π, π]`` for ``q`` in ``(−π, π]``."""
    return np.where(q > 0.0, q - np.pi, q + np.pi)


def _unit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` normalised (SP1's ``(cos θ, sin θ)``); ``(1, 0)`` where both vanish."""
    r = np.sqrt(x * x + y * y)
    zero = r == 0.0
    if not zero.any():  # the common case: no pair to replace
        inv = 1.0 / r
        return x * inv, y * inv
    inv = 1.0 / np.where(zero, 1.0, r)
    return np.where(zero, 1.0, x * inv), y * inv


# --------------------------------------------------------------------------------------------- constants
def _meet(ha: np.ndarray, oa: np.ndarray, hb: np.ndarray, ob: np.ndarray) -> np.ndarray:
    """Midpoint of the closest approach of two lines (axes that meet: their common point) ``(..., 3)``."""
    n = np.cross(ha, hb)
    s2 = (n * n).sum(-1)
    w = ob - oa
    c = (ha * hb).sum(-1)
    ta = ((w * ha).sum(-1) - c * (w * hb).sum(-1)) / s2
    tb = (c * (w * ha).sum(-1) - (w * hb).sum(-1)) / s2
    return 0.5 * (oa + ta[..., None] * ha + ob + tb[..., None] * hb)


def _mv(A: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``A v`` ``(..., r)`` for ``A`` ``(..., r, 3)`` and ``v`` ``(..., 3)`` (elementwise: a stacked matrix
    product would make one BLAS call per target)."""
    return A[..., 0] * v[..., None, 0] + A[..., 1] * v[..., None, 1] + A[..., 2] * v[..., None, 2]


def _rodrigues(k: np.ndarray) -> np.ndarray:
    """``[k kᵀ; I − k kᵀ; [k]×]`` ``(..., 9, 3)`` of unit axes ``k`` ``(..., 3)``."""
    A = k[..., :, None] * k[..., None, :]
    x, y, z = k[..., 0], k[..., 1], k[..., 2]
    zero = np.zeros_like(x)
    K = np.stack([zero, -z, y, z, zero, -x, -y, x, zero], -1).reshape(k.shape[:-1] + (3, 3))
    return np.concatenate([A, np.eye(3) - A, K], -2)


def _sp4_terms(h: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``G`` ``(..., 3, 3)`` with ``(a, b, e) = G p`` for ``hᵀR(k, θ)p = a cos θ + b sin θ + e``."""
    hk = (h * k).sum(-1)[..., None]
    return np.stack([h - hk * k, np.cross(h, k), hk * k], -2)


def _sp4_constant(h: np.ndarray, k: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``(a, b, e)`` ``(..., 3)`` of ``hᵀR(k, θ)p`` for constant ``h``, ``k``, ``p``."""
    return _mv(_sp4_terms(h, k), p)


def _rotated_terms(k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``(k kᵀv, (I − k kᵀ)v, k × v)`` ``(..., 3, 3)``: ``R(k, θ)v = T[0] + cos θ T[1] + sin θ T[2]``."""
    return _mv(_rodrigues(k), v).reshape(k.shape[:-1] + (3, 3))


def _spherical_constants(name: str, H: np.ndarray, P: np.ndarray, v: np.ndarray | None) -> dict[str, np.ndarray]:
    h = [H[..., i, :] for i in range(6)]
    W = _meet(h[3], P[..., 3, :], h[4], P[..., 4, :])  # the wrist centre at q = 0
    out: dict[str, np.ndarray] = {"W": W}
    if name == "spherical_wrist_intersecting_shoulder":
        S = _meet(h[0], P[..., 0, :], h[1], P[..., 1, :])
        p23, p3W = P[..., 2, :] - S, W - P[..., 2, :]
        out["S"] = S
        out["q3"] = _sp4_constant(-p23, h[2], p3W)  # ‖p23 + R3 p3W‖ = ‖w − S‖ as SP4
        out["q3_d"] = 0.5 * ((p23 * p23).sum(-1) + (p3W * p3W).sum(-1))
        V = _rotated_terms(h[2], p3W)
        V[..., 0, :] += p23  # v = p23 + R3 p3W = V0 + c3 V1 + s3 V2
        out["v"] = V
        n = np.cross(h[0], h[1])
        out["B12"] = np.stack([h[0], h[1], n], -2)  # the basis (h1, h2, h1 × h2) of SP2
        out["c12"] = (h[0] * h[1]).sum(-1)
    else:
        o1 = P[..., 0, :]
        p12, p23, p3W = P[..., 1, :] - o1, P[..., 2, :] - P[..., 1, :], W - P[..., 2, :]
        out["o1"], out["p12"] = o1, p12
        out["q1"] = _sp4_terms(h[1], h[0])  # h2ᵀ R(h1, −q1)(w − o1) = h2ᵀ(p12 + p23 + p3W)
        out["q1_d"] = (h[1] * (p12 + p23 + p3W)).sum(-1)
        out["q3"] = _sp4_constant(-p23, h[2], p3W)
        out["q3_d"] = 0.5 * ((p23 * p23).sum(-1) + (p3W * p3W).sum(-1))
        V = _rotated_terms(h[2], p3W)
        V[..., 0, :] += p23  # u = p23 + R3 p3W
        # q2 by SP1 (u → v1 about h2): x = u⊥·v1, y = (h2 × u)·v1, both linear in (1, c3, s3).
        Vp = V - _mv(V, h[1])[..., None] * h[1][..., None, :]
        Vx = np.cross(h[1][..., None, :], V)
        out["q2"] = np.concatenate([Vp, Vx], -2)  # (..., 6, 3)
    # The wrist: R(h4, −q4) a = R(h5, q5) h6 (SP2 in the basis h4, h5, n45), then q6 by SP1.
    n45 = np.cross(h[3], h[4])
    c45, c56, c46 = ((h[3] * h[4]).sum(-1), (h[4] * h[5]).sum(-1), (h[3] * h[5]).sum(-1))
    out["B45"] = np.stack([h[3], h[4], n45], -2)
    out["wrist"] = np.stack(
        [c45, c56, c46 - c45 * c56, (n45 * h[5]).sum(-1), (h[3] * np.cross(h[4], h[5])).sum(-1)], -1
    )
    v = perpendicular(h[5]) if v is None else v
    out["v6"] = v
    out["q6"] = np.stack([v, np.cross(h[5], v)], -2)
    return out


def perpendicular(h: np.ndarray) -> np.ndarray:
    """A unit vector ``(..., 3)`` perpendicular to the unit ``h``."""
    helper = np.where((np.abs(h[..., 0]) < 0.9)[..., None], np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    v = np.cross(h, helper)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _three_parallel_constants(H: np.ndarray, P: np.ndarray, v: np.ndarray | None) -> dict[str, np.ndarray]:
    h = [H[..., i, :] for i in range(6)]
    o56 = _meet(h[4], P[..., 4, :], h[5], P[..., 5, :])
    o1, o2, o3, o4 = (P[..., i, :] for i in range(4))
    p12, p23, p34, p45, p56 = o2 - o1, o3 - o2, o4 - o3, o56 - o4, o56 - o56
    out: dict[str, np.ndarray] = {"o6": o56, "o1": o1, "p12": p12}
    # Axes 3 and 4 along (+1) or against (−1) axis 2: θ = q2 + σ3 q3 + σ4 q4 (URDFs flip axes freely).
    out["sign3"] = np.sign((h[2] * h[1]).sum(-1))
    out["sign4"] = np.sign((h[3] * h[1]).sum(-1))
    out["q1"] = _sp4_terms(h[1], h[0])  # h2ᵀ R(h1, −q1) x = h2ᵀ(p12 + p23 + p34 + p45)
    out["q1_d"] = (h[1] * (p12 + p23 + p34 + p45)).sum(-1)
    R1h2 = _rotated_terms(h[0], h[1])  # R(h1, q1) h2 = T0 + c1 T1 + s1 T2
    out["R1h2"] = R1h2
    out["q5"] = _sp4_constant(h[1], h[4], h[5])  # h2ᵀ R(h5, q5) h6 = h2ᵀ R1ᵀ Rt h6
    # q6 by SP1 (b = R(h5, −q5) h2 → z = Rtᵀ R1 h2 about h6): x = b⊥·z, y = (h6 × b)·z.
    B = _rotated_terms(h[4], h[1])
    Bp = B - _mv(B, h[5])[..., None] * h[5][..., None, :]
    Bx = np.cross(h[5][..., None, :], B)
    out["q6"] = np.concatenate([Bp, Bx], -2)  # (..., 6, 3)
    # θ = q2 + q3 + q4 by SP1 (v ⟂ h2): x = (R1 v)·(Rt w), y = (R1 (h2 × v))·(Rt w), w = R6ᵀ R5ᵀ v.
    v = perpendicular(h[1]) if v is None else v
    out["v2"] = v
    out["theta"] = np.concatenate([_rotated_terms(h[0], v), _rotated_terms(h[0], np.cross(h[1], v))], -2)
    tail = _rotated_terms(h[4], p56)
    tail[..., 0, :] += p45
    out["tail"] = tail  # p45 + R(h5, q5) p56
    out["q3"] = _sp4_constant(-p23, h[2], p34)
    out["q3_d"] = 0.5 * ((p23 * p23).sum(-1) + (p34 * p34).sum(-1))
    U = _rotated_terms(h[2], p34)
    U[..., 0, :] += p23  # u = p23 + R3 p34
    Up = U - _mv(U, h[1])[..., None] * h[1][..., None, :]
    Ux = np.cross(h[1][..., None, :], U)
    out["q2"] = np.concatenate([Up, Ux], -2)
    return out


# The constants applied to vectors as matrices (r, 3): one BLAS product for one arm (see _mat).
MATRIX_KEYS: tuple[str, ...] = (
    "M1", "M2", "M3", "M4", "M5", "M6", "q1", "q2", "q6", "q6w", "theta", "B12", "B45", "R1h2"
)  # fmt: skip


def perpendicular_axis(name: str) -> int:
    """The joint (0-based) of a lean family's arm whose axis the kernel pairs with a perpendicular unit vector
    (its SP1 reference; ``perpendicular=`` of :func:`constants`)."""
    return 1 if name == "three_parallel_intersecting_wrist" else 5


def constants(
    name: str,
    H: np.ndarray,
    P: np.ndarray,
    R0: np.ndarray,
    p0: np.ndarray,
    perpendicular: np.ndarray | None = None,
    complete: bool = False,
) -> dict[str, np.ndarray]:
    """The arm-only quantities of a family's kernel, shaped to broadcast against the targets.

    Args:
        name: One of :data:`LEAN_FAMILIES`.
        H: ``(6, 3)`` or ``(N, 6, 3)`` unit joint axes at q = 0 (world).
        P: ``(6, 3)`` or ``(N, 6, 3)`` a point on each axis [m].
        R0: ``(3, 3)`` or ``(N, 3, 3)`` the tool's rotation at q = 0.
        p0: ``(3,)`` or ``(N, 3)`` the tool's position at q = 0 [m].
        perpendicular: ``(3,)`` or ``(N, 3)`` a unit vector perpendicular to the axis of joint
            :func:`perpendicular_axis` (any one will do; None: one chosen from the axis alone). Given, it
            makes the constants of a family of arms smooth functions of their geometry.
        complete: Also keep what the batched spherical kernel folds away (``q6``, ``M5``, ``M6``), which the
            one-target float kernel (:mod:`robokin.ik.closed_form_single`) reads.

    Returns:
        A dict of arrays: vectors and stacked terms ``(..., 1, 1, 1, Nc)`` (components first, then the
        branch axes and the targets), matrices applied to vectors ``(r, 3)`` (one arm) or
        ``(r, 3, 1, 1, 1, N)`` (per target); ``Nc`` is 1 for one arm and ``N`` per target.
    """
    spherical = name.startswith("spherical")
    v = None if perpendicular is None else np.asarray(perpendicular, dtype=float)
    raw = _spherical_constants(name, H, P, v) if spherical else _three_parallel_constants(H, P, v)
    h6 = H[..., 5, :]
    raw["tip"] = p0 - (raw["W"] if spherical else raw["o6"])
    raw["h6"] = h6
    for i in range(6):
        raw[f"M{i + 1}"] = _rodrigues(H[..., i, :])
    # Each axis as ±(k + 1) when it is ±e_k (AXIS_TOL), else 0; one arm only (per-target constants are
    # sampled in a held angle, and a code that holds at some angles only is no trigonometric polynomial).
    k = np.argmax(np.abs(H), -1)
    major = np.take_along_axis(H, k[..., None], -1)[..., 0]
    aligned = (np.abs(H).sum(-1) - np.abs(major) <= 2.0 * AXIS_TOL) & (np.abs(np.abs(major) - 1.0) <= AXIS_TOL)
    codes = np.where(aligned, np.sign(major) * (k + 1), 0.0)
    raw["axes"] = codes if H.ndim == 2 else np.zeros(H.shape[:-1])
    if spherical:
        raw["ay"] = np.stack([h6, raw.pop("v6")], -1)  # (3 components, 2 vectors)
        h4, h5 = H[..., 3, :], H[..., 4, :]
        flip = (
            (np.abs((h4 * h5).sum(-1)) <= WRIST_FLIP_TOL)
            & (np.abs((h5 * h6).sum(-1)) <= WRIST_FLIP_TOL)
            & (np.abs(np.cross(h4, h6)).max(-1) <= WRIST_FLIP_TOL)
        )
        raw["wrist_flip"] = flip.astype(float)  # 1.0: the wrist's second solutions are (q4 + π, −q5, q6 + π)
        # q6's SP1 rows times R(h5, −q5) = M5[0:3] + c5 M5[3:6] − s5 M5[6:9]: the three terms' rows (6, 3).
        # (q6, M5 and M6 are not needed by the spherical kernel: fewer per-target constants for a held joint.)
        q6, M5 = raw["q6"], raw["M5"]
        raw["q6w"] = np.concatenate([q6 @ M5[..., 3 * t : 3 * t + 3, :] for t in range(3)], -2)
        if not complete:
            del raw["q6"], raw["M5"], raw["M6"]
        # Axes 2 and 3 parallel (one arm only: per-target constants are sampled in a held angle, and a flag
        # that holds at some angles only is no trigonometric polynomial): R3ᵀ R2ᵀ = R(h2, −(q2 ± q3)), one
        # rotation in the wrist instead of two. ±1 the sign of h2·h3, 0 not parallel.
        h2, h3 = H[..., 1, :], H[..., 2, :]
        parallel = H.ndim == 2 and float(np.abs(np.cross(h2, h3)).max()) <= PARALLEL_TOL
        raw["par23"] = np.sign((h2 * h3).sum(-1)) if parallel else np.zeros(H.shape[:-2])
    else:
        raw["R1h2_t"] = np.swapaxes(raw["R1h2"], -1, -2)
    per_target = H.ndim == 3
    out: dict[str, np.ndarray] = {}
    for key, val in raw.items():
        val = np.asarray(val, dtype=float)
        if per_target:
            val = np.moveaxis(val, 0, -1)
        else:
            val = val[..., None]
        if key in MATRIX_KEYS and not per_target:
            out[key] = np.ascontiguousarray(val[..., 0])
            continue
        out[key] = np.ascontiguousarray(val.reshape(val.shape[:-1] + (1,) * _SLOT_AXES + val.shape[-1:]))
    return out


# --------------------------------------------------------------------------------------------- targets
def target_frames(R: np.ndarray, p: np.ndarray, R0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``Rt = R R0ᵀ`` as ``(3, 3, 1, 1, 1, N)`` and ``p`` as ``(3, 1, 1, 1, N)``, component first.

    Args:
        R: ``(N, 3, 3)`` target rotations; p: ``(N, 3)`` target positions [m]; R0: ``(3, 3)`` or
            ``(N, 3, 3)``.
    """
    N = R.shape[0]
    if R0.ndim == 2:  # one matrix product (a stacked one makes a library call per target)
        Rt = (R.reshape(-1, 3) @ R0.T).reshape(N, 3, 3).transpose(1, 2, 0)
    else:  # Rt[i, k] = Σ_j R[i, j] R0[k, j], elementwise over the targets
        Rt = (R.transpose(1, 2, 0)[:, None] * R0.transpose(1, 2, 0)[None]).sum(2)
    return np.ascontiguousarray(Rt).reshape(3, 3, 1, 1, 1, N), np.ascontiguousarray(p.T).reshape(3, 1, 1, 1, N)


def _apply(Rt: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``Rt v`` ``(3, ...)`` for per-target ``Rt`` ``(3, 3, 1, 1, 1, N)`` and ``v`` ``(3, ...)``."""
    return Rt[:, 0] * v[0] + Rt[:, 1] * v[1] + Rt[:, 2] * v[2]


def _apply_t(Rt: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``Rtᵀ v``."""
    return Rt[0] * v[0] + Rt[1] * v[1] + Rt[2] * v[2]


# --------------------------------------------------------------------------------------------- kernels
CS = tuple[list[np.ndarray], list[np.ndarray], np.ndarray, list[np.ndarray]]


def _three_parallel(K: dict[str, np.ndarray], Rt: np.ndarray, p: np.ndarray) -> CS:
    """UR-type arms (2 ∥ 3 ∥ 4, 5 and 6 meet): branches a = q1, b = q5, c = q3."""
    pa, pb, pc = _PM
    x = p - _apply(Rt, K["tip"]) - K["o1"]  # R1(p12 + R2(...)) [m]
    # q1: h2ᵀ R(h1, −q1) x = d1 (SP4; θ = −q1).
    abe = _mat(K["q1"], x)
    ct, st, ex1 = _sp4(abe[0], abe[1], K["q1_d"] - abe[2], pa)  # (2, 1, 1, N)
    c1, s1 = ct, -st  # (R(h1, −q1) = R(h1; ct, st))
    # q5: h2ᵀ R(h5, q5) h6 = (R1 h2)·(Rt h6).
    d5 = _combo(_mat(K["R1h2"], _apply(Rt, K["h6"])), c1, s1)
    a5, b5, e5 = K["q5"]
    c5, s5, ex5, q5 = _sp4_angle(a5, b5, d5 - e5, pb)  # (2, 2, 1, N)
    # q6: R(h6, −q6) R(h5, −q5) h2 = Rtᵀ R1 h2 (SP1), both sides linear in the (cos, sin) of q5 and q1.
    Z = _apply_t(Rt[:, :, None], K["R1h2_t"])  # (3, 3, 1, 1, 1, N): Rtᵀ of the three terms
    S = _mat(K["q6"], Z)  # (6, 3, 1, 1, 1, N)
    U = S[:, 0] + c1 * S[:, 1] + s1 * S[:, 2]  # (6, 2, 1, 1, N)
    x6 = U[0] + c5 * U[1] - s5 * U[2]
    y6 = U[3] + c5 * U[4] - s5 * U[5]
    c6, st6 = _unit(x6, y6)
    s6 = -st6
    # θ = q2 + σ3 q3 + σ4 q4 by SP1 about h2: w = R6ᵀ R5ᵀ v, then x = (R1 v)·(Rt w), y = (R1 (h2 × v))·(Rt w).
    w = _rot(K, 5, c5, s5, K["v2"], inverse=True)
    w = _rot(K, 6, c6, st6, w)  # (R(h6, −q6) = R(h6; c6, st6))
    V = _mat(K["theta"], _apply(Rt, w))  # (6, 2, 2, 1, N)
    ct_, st_ = _unit(V[0] + c1 * V[1] + s1 * V[2], V[3] + c1 * V[4] + s1 * V[5])
    # R2(p23 + R3 p34) = R1ᵀ x − p12 − R(h2, θ)(p45 + R5 p56) =: dvec.
    tail = _rot(K, 2, ct_, st_, _combo(K["tail"], c5, s5))
    dvec = _rot(K, 1, ct, st, x) - K["p12"] - tail  # (3, 2, 2, 1, N)
    a3, b3, e3 = K["q3"]
    c3, s3, ex3, q3 = _sp4_angle(a3, b3, K["q3_d"] - 0.5 * (dvec * dvec).sum(0) - e3, pc)  # (2, 2, 2, N)
    # q2 by SP1 (u = p23 + R3 p34 → dvec about h2).
    G = _mat(K["q2"], dvec)  # (6, 2, 2, 1, N)
    c2, s2 = _unit(G[0] + c3 * G[1] + s3 * G[2], G[3] + c3 * G[4] + s3 * G[5])
    # q4 = σ4 (θ − q2 − σ3 q3).
    sign3, sign4 = K["sign3"], K["sign4"]
    c23, s23 = c2 * c3 - s2 * (sign3 * s3), s2 * c3 + c2 * (sign3 * s3)
    c4, s4 = ct_ * c23 + st_ * s23, sign4 * (st_ * c23 - ct_ * s23)
    q2 = np.arctan2(s2, c2)
    q4 = sign4 * (np.arctan2(st_, ct_) - q2 - sign3 * q3)  # not atan2 of (c4, s4): the angles stay consistent
    q4 -= (2.0 * np.pi) * np.round(q4 * (0.5 / np.pi))
    angles = [np.arctan2(s1, c1), q2, q3, q4, q5, np.arctan2(s6, c6)]
    return [c1, c2, c3, c4, c5, c6], [s1, s2, s3, s4, s5, s6], ex1 & ex5 & ex3, angles


def _wrist(K: dict[str, np.ndarray], Rt: np.ndarray, cs: list[tuple[np.ndarray, np.ndarray]]) -> CS:
    """Joints 4, 5, 6 of a spherical wrist after joints 1-3 ``cs`` (branches a, b): branch c.

    A wrist with ``wrist_flip`` (see :data:`WRIST_FLIP_TOL`) solves branch c = 1 only and gives c = 2 as
    ``(q4 + π, −q5, q6 + π)``.
    """
    flip = bool(K["wrist_flip"].all())
    pc = 1.0 if flip else _PM[2]
    # a = R36 h6 and y = R36 v6 with R36 = R3ᵀ R2ᵀ R1ᵀ Rt, both at once.
    ay = _apply(Rt[:, :, None], K["ay"])  # (3, 2, 1, 1, 1, N)
    sign = float(K["par23"].flat[0]) if K["par23"].size == 1 else 0.0
    if sign != 0.0:  # axes 2 ∥ 3: R3ᵀ R2ᵀ = R(h2, −(q2 + sign q3))
        (c1, s1), (c2, s2), (c3, s3) = cs
        ay = _rot(K, 1, c1, s1, ay, inverse=True)
        ay = _rot(K, 2, c2 * c3 - sign * (s2 * s3), s2 * c3 + sign * (c2 * s3), ay, inverse=True)
    else:
        for i, (c, s) in enumerate(cs):
            ay = _rot(K, i + 1, c, s, ay, inverse=True)
    ay = np.moveaxis(ay, 1, 0)  # (2, 3, a, b, 1, N)
    a, y = ay[0], ay[1]
    c45, c56, k46, n6, k1 = K["wrist"]
    g = _mat(K["B45"], a)  # h4·a, h5·a, n·a
    b1 = g[0]
    det = 1.0 - c45 * c45
    alpha = (b1 - c45 * c56) / det
    beta = (c56 - c45 * b1) / det
    rad = (1.0 - (alpha * alpha + beta * beta + 2.0 * alpha * beta * c45)) / det
    ex = rad >= -EXACT_TOL
    gamma = np.sqrt(np.maximum(rad, 0.0)) * pc  # (2, a, b, N) on axis c ((a, b, 1, N) with the flip)
    # −q4: the angle from a to x about h4; q5: from h6 to x about h5.
    u = g[1] - c45 * b1
    ct4, st4 = _unit(beta * u + gamma * g[2], -beta * g[2] + gamma * u)
    c4, s4 = ct4, -st4
    c5, s5 = _unit(alpha * k46 + gamma * n6, alpha * k1 + -gamma * k46)
    # q6: R(h6, q6) v = R5ᵀ R4ᵀ y (SP1 with the constant v ⟂ h6).
    y = _rot(K, 4, ct4, st4, y)
    G = _mat(K["q6w"], y)  # q6's rows times R5ᵀ, as its three terms
    c6, s6 = _unit(G[0] + c5 * G[2] - s5 * G[4], G[1] + c5 * G[3] - s5 * G[5])
    q = [np.arctan2(s4, c4), np.arctan2(s5, c5), np.arctan2(s6, c6)]
    if not flip:
        return [c4, c5, c6], [s4, s5, s6], ex, q

    def both(x: np.ndarray, x_flipped: np.ndarray) -> np.ndarray:
        return np.concatenate([x, x_flipped], axis=-2)  # the c axis

    cos = [both(c4, -c4), c5, both(c6, -c6)]  # (q5's cosine is the same on both: size 1 on axis c)
    sin = [both(s4, st4), both(s5, -s5), both(s6, -s6)]  # (−s4 = st4 exactly)
    angles = [both(q[0], _half_turn(q[0])), both(q[1], -q[1]), both(q[2], _half_turn(q[2]))]
    return cos, sin, ex, angles


def _spherical(name: str, K: dict[str, np.ndarray], Rt: np.ndarray, p: np.ndarray) -> CS:
    """Spherical-wrist arms: branches a, b for joints 1-3, c for the wrist flip."""
    pa, pb, _ = _PM
    w = p - _apply(Rt, K["tip"])  # the wrist centre of the target [m]
    if name == "spherical_wrist_intersecting_shoulder":
        ws = w - K["S"]
        nw2 = (ws * ws).sum(0)
        a3, b3, e3 = K["q3"]
        c3, s3, ex3, q3 = _sp4_angle(a3, b3, K["q3_d"] - 0.5 * nw2 - e3, pa)  # (2, 1, 1, N)
        # SP2: R(h1, −q1) ws = R(h2, q2) v, v = p23 + R3 p3W, in the basis (h1, h2, n = h1 × h2).
        v = _combo(K["v"], c3, s3)  # (3, 2, 1, 1, N)
        nv2 = (v * v).sum(0)
        nws = np.sqrt(nw2)
        inv1, inv2 = 1.0 / np.where(nws > 0.0, nws, 1.0), 1.0 / np.sqrt(np.where(nv2 > 0.0, nv2, 1.0))
        g1 = _mat(K["B12"], ws) * inv1  # h1·u1, h2·u1, n·u1
        g2 = _mat(K["B12"], v) * inv2  # h1·u2, h2·u2, n·u2
        c12 = K["c12"]
        b1, b2 = g1[0], g2[1]
        det = 1.0 - c12 * c12
        alpha = (b1 - c12 * b2) / det
        beta = (b2 - c12 * b1) / det
        rad = (1.0 - (alpha * alpha + beta * beta + 2.0 * alpha * beta * c12)) / det
        ex12 = (rad >= -EXACT_TOL) & (np.abs(nws - np.sqrt(nv2)) <= EXACT_TOL * np.maximum(nws, np.sqrt(nv2)))
        gamma = np.sqrt(np.maximum(rad, 0.0)) * pb  # (2, 2, 1, N)
        u1 = g1[1] - c12 * b1
        ct1, st1 = _unit(beta * u1 + gamma * g1[2], -beta * g1[2] + gamma * u1)
        c1, s1 = ct1, -st1
        u2 = g2[0] - c12 * b2
        c2, s2 = _unit(alpha * u2 + gamma * g2[2], alpha * g2[2] - gamma * u2)
        ex = ex3 & ex12
    else:
        wo = w - K["o1"]
        abe = _mat(K["q1"], wo)
        ct1, st1, ex1 = _sp4(abe[0], abe[1], K["q1_d"] - abe[2], pa)  # (2, 1, 1, N)
        c1, s1 = ct1, -st1
        v1 = _rot(K, 1, ct1, st1, wo) - K["p12"]  # (3, 2, 1, 1, N)
        a3, b3, e3 = K["q3"]
        c3, s3, ex3, q3 = _sp4_angle(a3, b3, K["q3_d"] - 0.5 * (v1 * v1).sum(0) - e3, pb)  # (2, 2, 1, N)
        G = _mat(K["q2"], v1)
        c2, s2 = _unit(G[0] + c3 * G[1] + s3 * G[2], G[3] + c3 * G[4] + s3 * G[5])
        ex = ex1 & ex3
    cw, sw, exw, qw = _wrist(K, Rt, [(c1, s1), (c2, s2), (c3, s3)])
    angles = [np.arctan2(s1, c1), np.arctan2(s2, c2), q3] + qw
    return [c1, c2, c3] + cw, [s1, s2, s3] + sw, ex & exw, angles


def solve_cs(name: str, K: dict[str, np.ndarray], Rt: np.ndarray, p: np.ndarray) -> CS:
    """Every solution of a lean family as ``(cos, sin)`` pairs.

    Args:
        name: One of :data:`LEAN_FAMILIES`.
        K: Its :func:`constants`.
        Rt: ``(3, 3, 1, 1, 1, N)`` the targets' ``R R0ᵀ``; p: ``(3, 1, 1, 1, N)`` their positions [m]
            (:func:`target_frames`).

    Returns:
        ``cos`` and ``sin`` lists of 6 arrays each broadcasting to ``(2, 2, 2, N)`` (joint i's array has
        size 1 on the branch axes it does not depend on), ``exact`` ``(2, 2, 2, N)``: every subproblem
        on the way had an exact solution, and ``angles``: the 6 joint angles [rad] in ``(−π, π]``, each
        as its pair's shape, equal to ``atan2(sin, cos)`` to rounding (computed with as few ``arctan2`` as
        the branches allow: once per distinct value, the two roots of an SP4 with constant coefficients as
        ``φ ± δ``, a flipped wrist by half turns, three parallel axes' ``q4 = θ − q2 − q3``).
    """
    if name == "three_parallel_intersecting_wrist":
        cos, sin, exact, angles = _three_parallel(K, Rt, p)
    else:
        cos, sin, exact, angles = _spherical(name, K, Rt, p)
    return cos, sin, np.broadcast_to(exact, (2, 2, 2, p.shape[-1])), angles


# --------------------------------------------------------------------------------------------- fk
# Entries of the chain's constant transforms within this of 0 or ±1 (rotation entries; translation entries
# relative to the arm's length) are taken as exactly that: DH tables give cos(π/2) = 6e-17. The poses then
# differ from robot.fk by rounding only (tested to 1e-13), and a product with 0 or ±1 is skipped.
SNAP = 1e-15


def fk_program(C: np.ndarray, length: float) -> list[list[list[tuple[int, float]]]]:
    """Per constant transform ``C[i]`` ``(4, 4)``: for each output column ``j`` of ``T C[i]``, the terms
    ``(k, C[i][k, j])`` with a non-zero coefficient (column 3, the position, also has ``(3, 1.0)``)."""
    program = []
    for Ci in C:
        cols = []
        for j in range(4):
            terms = []
            for k in range(4 if j == 3 else 3):
                v = float(Ci[k, j])
                tol = SNAP * (length if (j == 3 and k < 3) else 1.0)
                if abs(v) <= tol:
                    continue
                if abs(abs(v) - 1.0) <= SNAP and not (j == 3 and k < 3):
                    v = float(np.sign(v))
                terms.append((k, v))
            cols.append(terms)
        program.append(cols)
    return program


def _times(
    cols: list[np.ndarray], signs: list[float], terms: list[tuple[int, float]]
) -> tuple[np.ndarray | float, float]:
    """``Σ v cols[k]`` over ``terms`` (a :func:`fk_program` column) as ``(A, σ)`` with the value ``σ A`` (``0.0``:
    no term), for columns of values ``signs[k] cols[k]``: summed left to right as ``acc + v x``, a term with
    ``v = ±1`` as its column itself and its sign carried, not applied (rounding is symmetric, ``fl(−a) =
    −fl(a)``: the values are those of the plain sum, up to the sign of an exact zero)."""
    acc: np.ndarray | float = 0.0
    sign = 1.0
    for k, v in terms:
        x = cols[k]
        tau = signs[k] if v > 0.0 else -signs[k]
        term = x if abs(v) == 1.0 else x * abs(v)
        if isinstance(acc, float):
            acc, sign = term, tau
        else:
            acc = acc + term if tau == sign else acc - term
    return acc, sign


def _poses_signed(
    program: list, cos: list[np.ndarray], sin: list[np.ndarray], joint_frame: Callable[..., None] | None = None
) -> tuple[list[np.ndarray], list[float]]:
    """:func:`poses_cs` as columns ``A`` and signs ``σ`` (the column is ``σ A``: no pass spent negating); with
    ``joint_frame``, called with the columns and signs of each joint's frame (before its rotation)."""
    shape = (3,) + (1,) * np.ndim(cos[0])
    cols: list[np.ndarray] = [np.zeros(shape), np.zeros(shape), np.zeros(shape), np.zeros(shape)]
    for j in range(3):
        cols[j][j] = 1.0
    signs = [1.0] * 4
    for i in range(len(program)):
        step = program[i]
        new = [_times(cols, signs, step[j]) for j in range(4)]
        cols = [np.broadcast_to(np.asarray(x, dtype=float), shape) if isinstance(x, float) else x for x, _ in new]
        signs = [sign for _, sign in new]
        if i == len(cos):
            break
        if joint_frame is not None:
            joint_frame(cols, signs)
        # T Rz(q): x' = c x + s y, y' = c y − s x; with x = σx X, y = σy Y: x' = σx (c X ± s Y), y' = σy (c Y ∓ s X).
        c, s = cos[i], sin[i]
        x, y = cols[0], cols[1]
        if signs[0] == signs[1]:
            cols[0], cols[1] = c * x + s * y, c * y - s * x
        else:
            cols[0], cols[1] = c * x - s * y, c * y + s * x
    return cols, signs


def poses_cs(program: list, cos: list[np.ndarray], sin: list[np.ndarray]) -> list[np.ndarray]:
    """``T_world_tool`` of a revolute chain ``C[0] Rz(q1) C[1] ⋯ Rz(qn) C[n]`` from each joint's
    ``(cos q, sin q)`` (arrays that broadcast; branch axes as they come), as its columns ``[x, y, z, p]``
    (each ``(3, ...)``), with the chain's :func:`fk_program`.

    ``T Rz(q)`` mixes the first two columns (``x' = c x + s y``, ``y' = c y − s x``), then ``T C`` adds up
    the columns by the constant's non-zero entries. Equals ``robot.fk`` to rounding (tested).
    """
    cols, signs = _poses_signed(program, cos, sin)
    return [x if sign > 0.0 else -x for x, sign in zip(cols, signs)]


def pose_errors_cs(
    program: list, cos: list[np.ndarray], sin: list[np.ndarray], R: np.ndarray, p: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Squared pose errors of the chain at each joint's ``(cos q, sin q)`` against targets ``R`` ``(M, 3, 3)``,
    ``p`` ``(M, 3)`` [m]: ``‖p(q) − p‖²`` [m²] and ``‖R(q) − R‖_F²`` (``= 8 sin²(θ/2)``, θ the angle of
    ``R R(q)ᵀ``), each ``(..., M)`` as the pairs broadcast (:func:`poses_cs`), the targets on the last axis.

    The differences are taken column by column and component by component, so no ``(4, 3, ..., M)`` stack of
    the pose is formed; the Frobenius form keeps full precision for small angles (the trace formula does not).
    """
    cols, signs = _poses_signed(program, cos, sin)
    M = R.shape[0]
    lead = (1,) * (np.ndim(cols[3]) - 2)
    # The targets' columns component first and contiguous (``R`` is often a strided view of ``(M, 4, 4)``
    # poses; read strided, each difference below would copy it through a buffer once per branch).
    Rc = np.ascontiguousarray(R.transpose(2, 1, 0))  # (column k, component i, M)
    targets = [Rc[k].reshape((3,) + lead + (M,)) for k in range(3)]
    targets.append(np.ascontiguousarray(p.T).reshape((3,) + lead + (M,)))
    sums = []
    for col, sign, target in zip(cols, signs, targets):
        d = col - target if sign > 0.0 else col + target  # ±(the column − target), (3, ..., M)
        d *= d
        s = d[0] + d[1]
        s += d[2]
        sums.append(s)
    dist2 = sums[0] + sums[1]
    dist2 += sums[2]
    return sums[3], dist2


def pose_jacobian_cs(
    program: list, cos: list[np.ndarray], sin: list[np.ndarray]
) -> tuple[list[np.ndarray], np.ndarray]:
    """The pose and the world-frame Jacobian of a revolute chain at each joint's ``(cos q, sin q)`` ``(S,)``.

    Joint ``i`` turns about the z axis ``z_i`` of ``C[0] Rz(q1) ⋯ C[i]`` through its origin ``o_i``, so
    ``J[:3, i] = z_i × (p − o_i)`` and ``J[3:, i] = z_i`` (robokin's ``[v; ω]`` rows, the base included).

    Args:
        program: The chain's :func:`fk_program`.
        cos, sin: Per joint ``(S,)``.

    Returns:
        ``([x, y, z, p], J)``: the pose's columns, each ``(3, S)``, and ``J`` ``(S, 6, n)`` (a view of a
        component-first array).
    """
    S, n = np.shape(cos[0])[-1], len(cos)
    axes: list[np.ndarray] = []
    origins: list[np.ndarray] = []

    def record(cols: list[np.ndarray], signs: list[float]) -> None:
        axes.append(cols[2] if signs[2] > 0.0 else -cols[2])
        origins.append(cols[3] if signs[3] > 0.0 else -cols[3])

    cols, signs = _poses_signed(program, cos, sin, record)
    pose = [np.broadcast_to(x if sign > 0.0 else -x, (3, S)) for x, sign in zip(cols, signs)]
    J = np.empty((6, n, S))
    for i in range(n):
        z, d = np.broadcast_to(axes[i], (3, S)), pose[3] - origins[i]
        np.multiply(z[1], d[2], out=J[0, i])
        J[0, i] -= z[2] * d[1]
        np.multiply(z[2], d[0], out=J[1, i])
        J[1, i] -= z[0] * d[2]
        np.multiply(z[0], d[1], out=J[2, i])
        J[2, i] -= z[1] * d[0]
        J[3:, i] = z
    return pose, J.transpose(2, 0, 1)
