"""The six canonical geometric subproblems of inverse kinematics, batched over any leading axes.

Paden–Kahan subproblems 1–3 and the three of IK-Geo (Elias & Wen, "IK-Geo: Unified robot inverse
kinematics using subproblem decomposition", Mechanism and Machine Theory 2025, arXiv 2211.05737, sec. 3),
with ``R(k, θ)`` the rotation by ``θ`` [rad] about the unit axis ``k`` (Rodrigues):

=====  ======================================================================================  ===========
name   equation (unknowns θ)                                                                   solutions
=====  ======================================================================================  ===========
SP1    ``R(k, θ) p1 = p2``                                                                     1
SP2    ``R(k1, θ1) p1 = R(k2, θ2) p2``                                                         ≤ 2
SP3    ``‖R(k, θ) p1 − p2‖ = d``                                                               ≤ 2
SP4    ``hᵀ R(k, θ) p = d``                                                                    ≤ 2
SP5    ``p0 + R(k1, θ1) p1 = R(k2, θ2) (p2 + R(k3, θ3) p3)``                                   ≤ 4
SP6    ``h1ᵀR(k1, θ1)p1 + h2ᵀR(k2, θ2)p2 = d1``, ``h3ᵀR(k3, θ1)p3 + h4ᵀR(k4, θ2)p4 = d2``      ≤ 4
=====  ======================================================================================  ===========

Every function broadcasts its arguments like NumPy (vectors ``(..., 3)``, scalars ``(...)``) and returns a
:class:`Subsolutions`: ``theta (..., k, m)`` for ``k`` solution slots of ``m`` angles, ``valid (..., k)``
(the slot holds a solution) and ``least_squares (...)`` (no exact solution exists; the valid slots then hold
least-squares minimisers of the equation's residual, exactly for SP1, SP3 and SP4, and a nearby
approximate one for SP2, SP5 and SP6). An exact double root (a tangency) fills two slots with the same
angle. Angles are in ``(−π, π]``.

SP5 and SP6 come down to one problem: two linear equations in the unit vectors ``x1 = (cos θ1, sin θ1)``
and ``x2 = (cos θ2, sin θ2)``. Eliminating ``x2`` leaves a quadratic form in ``(cos θ1, sin θ1, 1)``,
i.e. a quartic in ``z = e^{iθ1}`` whose roots on the unit circle are the solutions (found as eigenvalues of
its companion matrix, then polished by Newton steps on the real equation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Subsolutions", "rotate", "rotate_cs", "sp1", "sp2", "sp3", "sp4", "sp5", "sp6", "wrap_angle", "EXACT_TOL"]

# Relative tolerance of "exact": a cosine within 1 + EXACT_TOL of ±1 is clamped (a tangency), beyond it the
# instance has no exact solution and is solved in the least-squares sense. Inputs computed by forward
# kinematics at a tangency (a boundary of the workspace, a wrist singularity) land within about 1e-15 of it.
EXACT_TOL = 1e-9
# A root z of the SP5/SP6 quartic is taken as a solution when | |z| − 1 | is below this. A double root
# (a tangency) splits by about sqrt(ε) ≈ 1e-8 off the circle in floating point; the Newton polish
# (_NEWTON_STEPS steps on the real trigonometric equation) then restores full precision.
ROOT_TOL = 1e-5
_NEWTON_STEPS = 2
# ... and is kept when the unit vector eliminated with it comes out of length 1 within this.
UNIT_TOL = 1e-7
# A 2×2 block of the SP6 system counts as singular below this |det| relative to the product of the norms of
# the system's two rows. With both blocks singular the system either decouples (the blocks' column spaces
# differ: one equation in each angle alone, see _decoupled) or has a continuum of solutions or none (marked
# invalid).
_SINGULAR_TOL = 1e-12
# Both blocks singular: the system decouples when the sine of the angle between their column spaces exceeds
# this, and each block's nonzero column is above _SINGULAR_TOL of its row scale. (The offset wrists of the
# Yaskawa HC10 and Fanuc CRX give a decoupled SP6 at every value of the searched joint, with the sine near 1.)
_DECOUPLED_SIN = 1e-6


@dataclass(frozen=True, eq=False)
class Subsolutions:
    """All solutions of a batch of subproblem instances; every array is read-only.

    Attributes:
        theta: ``(..., k, m)`` angles [rad] in ``(−π, π]``: slot ``j`` holds ``(θ1, ..., θm)``.
        valid: ``(..., k)`` bool, the slot holds a solution (exact, or least-squares when
            ``least_squares``).
        least_squares: ``(...)`` bool, no exact solution exists; the valid slots minimise the residual.
    """

    theta: np.ndarray
    valid: np.ndarray
    least_squares: np.ndarray

    def __post_init__(self) -> None:
        for name in ("theta", "valid", "least_squares"):
            value = np.asarray(getattr(self, name))
            value.setflags(write=False)
            object.__setattr__(self, name, value)


# --------------------------------------------------------------------------------------------- helpers
def dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``aᵀb`` over the last axis ``(..., 3)`` → ``(...)``, broadcasting."""
    if b.size == 3 and a.size > 3:  # one vector against many: a single matrix-vector product
        return a @ b.reshape(3)
    if a.size == 3 and b.size > 3:
        return b @ a.reshape(3)
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1] + a[..., 2] * b[..., 2]


def _skew_t(v: np.ndarray) -> np.ndarray:
    """``[v]×ᵀ`` ``(3, 3)`` of one vector, so that ``p @ [v]×ᵀ = v × p`` for rows ``p``."""
    x, y, z = v.reshape(3)
    return np.array([[0.0, z, -y], [-z, 0.0, x], [y, -x, 0.0]])


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a × b`` over the last axis ``(..., 3)``, broadcasting."""
    if a.size == 3 and b.size > 3:  # one vector against many: one matrix product
        return (b @ _skew_t(a)).reshape(np.broadcast_shapes(a.shape, b.shape))
    if b.size == 3 and a.size > 3:
        return (-(a @ _skew_t(b))).reshape(np.broadcast_shapes(a.shape, b.shape))
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    return np.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)


def rotate(k: npt.ArrayLike, theta: npt.ArrayLike, p: npt.ArrayLike) -> np.ndarray:
    """``R(k, θ) p`` ``(..., 3)`` by Rodrigues' formula, for unit axes ``k`` ``(..., 3)``, broadcasting."""
    theta = np.asarray(theta, dtype=float)
    return rotate_cs(k, np.cos(theta), np.sin(theta), p)


def rotate_cs(k: npt.ArrayLike, c: np.ndarray, s: np.ndarray, p: npt.ArrayLike) -> np.ndarray:
    """:func:`rotate` with ``cos θ`` and ``sin θ`` ``(...)`` given (computed once for several rotations)."""
    k, p = np.asarray(k, dtype=float), np.asarray(p, dtype=float)
    c, s = c[..., None], s[..., None]
    if k.size == 3 and p.size > 3:  # one axis for the whole batch: k × p = p [k]×ᵀ and kᵀp as products
        kv = k.reshape(3)
        return c * p + s * (p @ _skew_t(kv)) + ((1.0 - c) * (p @ kv)[..., None]) * kv
    return c * p + s * cross(k, p) + (1.0 - c) * dot(k, p)[..., None] * k


def _terms(h: np.ndarray, k: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, ...]:
    """``hᵀR(k, θ)p = a cos θ + b sin θ + e``: returns ``(a, b, e)`` (Rodrigues, split by ``cos``/``sin``)."""
    kp = dot(k, p)
    hk = dot(h, k)
    e = hk * kp
    return dot(h, p) - e, dot(h, cross(k, p)), e


def wrap_angle(theta: np.ndarray) -> np.ndarray:
    """Angles [rad] into ``(−π, π]``, any shape (the one wrap of the IK modules)."""
    return np.pi - np.mod(np.pi - theta, 2.0 * np.pi)


def _vec(x: npt.ArrayLike) -> np.ndarray:
    return np.asarray(x, dtype=float)


# --------------------------------------------------------------------------------------------- SP1-SP4
def sp1_kernel(p1: np.ndarray, p2: np.ndarray, k: np.ndarray) -> np.ndarray:
    """θ ``(...)`` minimising ``‖R(k, θ)p1 − p2‖``: ``atan2(kᵀ(p1 × p2), p1⊥ᵀ p2)``, ``p1⊥ = p1 − k kᵀp1``."""
    kp1 = dot(k, p1)[..., None]
    x = dot(p1 - kp1 * k, p2)
    y = dot(k, cross(p1, p2))
    return np.arctan2(y, x)


def sp1(p1: npt.ArrayLike, p2: npt.ArrayLike, k: npt.ArrayLike) -> Subsolutions:
    """Subproblem 1: the angle θ with ``R(k, θ) p1 = p2``.

    Exact when ``kᵀp1 = kᵀp2`` and ``‖p1⊥‖ = ‖p2⊥‖`` (the components perpendicular to ``k``); otherwise
    the θ minimising ``‖R(k, θ)p1 − p2‖`` (least squares), which is the same formula. When ``p1`` lies on
    the axis every θ solves it and 0 is returned.

    Args:
        p1: ``(..., 3)``.
        p2: ``(..., 3)``.
        k: ``(..., 3)`` unit axis.

    Returns:
        :class:`Subsolutions` with ``k = 1`` slot of ``m = 1`` angle.
    """
    p1, p2, k = _vec(p1), _vec(p2), _vec(k)
    theta = sp1_kernel(p1, p2, k)
    kp1, kp2 = dot(k, p1), dot(k, p2)
    n1 = np.linalg.norm(p1 - kp1[..., None] * k, axis=-1)
    n2 = np.linalg.norm(p2 - kp2[..., None] * k, axis=-1)
    scale = np.maximum(np.linalg.norm(p1, axis=-1), np.linalg.norm(p2, axis=-1))
    ls = (np.abs(kp1 - kp2) > EXACT_TOL * scale) | (np.abs(n1 - n2) > EXACT_TOL * scale)
    return Subsolutions(theta[..., None, None], np.ones(theta.shape + (1,), dtype=bool), ls)


def sp4_kernel(h: np.ndarray, p: np.ndarray, k: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, ...]:
    """SP4 kernel: ``(theta (..., 2), valid (..., 2), least_squares (...))``."""
    a, b, e = _terms(h, k, p)
    r = np.hypot(a, b)
    rhs = d - e
    phi = np.arctan2(b, a)
    cos = rhs / np.where(r > 0.0, r, 1.0)
    ls = np.abs(cos) > 1.0 + EXACT_TOL
    half = np.arccos(np.clip(cos, -1.0, 1.0))  # 0 or π when least squares: the nearest value of a cos + b sin
    theta = wrap_angle(np.stack([phi + half, phi - half], axis=-1))
    valid = np.stack([np.ones_like(ls), ~ls], axis=-1)
    return theta, valid, ls


def sp4(h: npt.ArrayLike, p: npt.ArrayLike, k: npt.ArrayLike, d: npt.ArrayLike) -> Subsolutions:
    """Subproblem 4: the angles θ with ``hᵀ R(k, θ) p = d``.

    ``hᵀR(k, θ)p = a cos θ + b sin θ + (hᵀk)(kᵀp)`` with ``a = hᵀ(p − k kᵀp)`` and ``b = hᵀ(k × p)``, so
    ``θ = atan2(b, a) ± acos((d − (hᵀk)(kᵀp)) / √(a² + b²))``. With no exact solution, the one θ that
    brings ``hᵀR(k, θ)p`` nearest ``d``. ``h`` need not be a unit vector.

    Args:
        h: ``(..., 3)``.
        p: ``(..., 3)``.
        k: ``(..., 3)`` unit axis.
        d: ``(...)``.

    Returns:
        :class:`Subsolutions` with ``k = 2`` slots of ``m = 1`` angle.
    """
    theta, valid, ls = sp4_kernel(_vec(h), _vec(p), _vec(k), _vec(d))
    return Subsolutions(theta[..., None], valid, ls)


def sp3_kernel(p1: np.ndarray, p2: np.ndarray, k: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, ...]:
    """SP3 as SP4: ``‖R p1 − p2‖² = ‖p1‖² + ‖p2‖² − 2 p2ᵀR p1 = d²``."""
    return sp4_kernel(p2, p1, k, 0.5 * (dot(p1, p1) + dot(p2, p2) - d * d))


def sp3(p1: npt.ArrayLike, p2: npt.ArrayLike, k: npt.ArrayLike, d: npt.ArrayLike) -> Subsolutions:
    """Subproblem 3: the angles θ with ``‖R(k, θ) p1 − p2‖ = d`` (``d ≥ 0``).

    Reduced to subproblem 4 by ``p2ᵀ R(k, θ) p1 = (‖p1‖² + ‖p2‖² − d²) / 2``; with no exact solution,
    the θ that brings ``‖R(k, θ)p1 − p2‖`` nearest ``d``.

    Args:
        p1: ``(..., 3)``.
        p2: ``(..., 3)``.
        k: ``(..., 3)`` unit axis.
        d: ``(...)`` distance [m].

    Returns:
        :class:`Subsolutions` with ``k = 2`` slots of ``m = 1`` angle.
    """
    theta, valid, ls = sp3_kernel(_vec(p1), _vec(p2), _vec(k), _vec(d))
    return Subsolutions(theta[..., None], valid, ls)


def sp2_kernel(p1: np.ndarray, p2: np.ndarray, k1: np.ndarray, k2: np.ndarray) -> tuple[np.ndarray, ...]:
    """SP2 kernel: ``(theta1 (..., 2), theta2 (..., 2), valid (..., 2), least_squares (...))``.

    The common point ``x = R(k1, θ1)p1 = R(k2, θ2)p2`` lies on both circles: ``k1ᵀx = k1ᵀp1``,
    ``k2ᵀx = k2ᵀp2``, ``‖x‖ = ‖p‖``. Writing ``x = α k1 + β k2 + γ (k1 × k2)``, α and β come from the 2×2
    Gram system and ``γ = ±√(‖p‖² − ‖α k1 + β k2‖²) / ‖k1 × k2‖``; then θ1 and θ2 by subproblem 1.
    With ``‖p1‖ ≠ ‖p2‖`` the unit directions are used; with no common point (negative radicand) ``γ = 0``:
    the circles' points in the plane of ``k1`` and ``k2``, on the side of ``α k1 + β k2``.
    """
    n1 = np.linalg.norm(p1, axis=-1)
    n2 = np.linalg.norm(p2, axis=-1)
    scale = np.maximum(n1, n2)
    unequal = np.abs(n1 - n2) > EXACT_TOL * scale
    u1 = p1 / np.where(n1 > 0.0, n1, 1.0)[..., None]
    u2 = p2 / np.where(n2 > 0.0, n2, 1.0)[..., None]
    c12 = dot(k1, k2)
    det = 1.0 - c12 * c12  # ‖k1 × k2‖²
    b1, b2 = dot(k1, u1), dot(k2, u2)
    alpha = (b1 - c12 * b2) / det
    beta = (b2 - c12 * b1) / det
    xy = alpha[..., None] * k1 + beta[..., None] * k2
    rad = (1.0 - dot(xy, xy)) / det
    ls = unequal | (rad < -EXACT_TOL)
    gamma = np.sqrt(np.maximum(rad, 0.0))[..., None]
    n = cross(k1, k2)
    x = np.stack([xy + gamma * n, xy - gamma * n], axis=-2)  # (..., 2, 3)
    t1 = sp1_kernel(u1[..., None, :], x, k1[..., None, :])
    t2 = sp1_kernel(u2[..., None, :], x, k2[..., None, :])
    valid = np.stack([np.ones_like(ls), ~ls], axis=-1)
    return t1, t2, valid, ls


def sp2(p1: npt.ArrayLike, p2: npt.ArrayLike, k1: npt.ArrayLike, k2: npt.ArrayLike) -> Subsolutions:
    """Subproblem 2: the angle pairs ``(θ1, θ2)`` with ``R(k1, θ1) p1 = R(k2, θ2) p2``.

    ``k1`` and ``k2`` must not be parallel. Exact when ``‖p1‖ = ‖p2‖`` and the circles swept by ``p1``
    about ``k1`` and ``p2`` about ``k2`` meet; otherwise one approximate least-squares pair (the circles'
    points in the plane of ``k1`` and ``k2``, for the unit directions of ``p1`` and ``p2``).

    Args:
        p1: ``(..., 3)``.
        p2: ``(..., 3)``.
        k1: ``(..., 3)`` unit axis.
        k2: ``(..., 3)`` unit axis, not parallel to ``k1``.

    Returns:
        :class:`Subsolutions` with ``k = 2`` slots of ``m = 2`` angles ``(θ1, θ2)``.
    """
    t1, t2, valid, ls = sp2_kernel(_vec(p1), _vec(p2), _vec(k1), _vec(k2))
    return Subsolutions(np.stack([t1, t2], axis=-1), valid, ls)


# --------------------------------------------------------------------------------------------- SP5, SP6
def _quartic_roots(Q: np.ndarray) -> np.ndarray:
    """Roots ``z`` ``(..., 4)`` of ``z² f(θ)`` for ``f = [c, s, 1] Q [c, s, 1]ᵀ``, ``z = e^{iθ}``.

    With ``c = (z + 1/z)/2`` and ``s = (z − 1/z)/(2i)``, ``z² f`` has the coefficients (highest first)
    ``c4 = (Q00 − Q11)/4 − i Q01/2``, ``c3 = Q02 − i Q12``, ``c2 = (Q00 + Q11)/2 + Q22``, ``c1 = c̄3``,
    ``c0 = c̄4``. A vanishing ``c4`` (a lower degree; the lost roots are at 0 and ∞) is replaced by a tiny
    value, which puts those roots far off the unit circle where they are discarded.
    """
    Q00, Q11, Q22 = Q[..., 0, 0], Q[..., 1, 1], Q[..., 2, 2]
    Q01, Q02, Q12 = Q[..., 0, 1], Q[..., 0, 2], Q[..., 1, 2]
    c4 = (Q00 - Q11) / 4.0 - 0.5j * Q01
    c3 = Q02 - 1j * Q12
    c2 = (Q00 + Q11) / 2.0 + Q22 + 0j
    scale = np.maximum.reduce([np.abs(c4), np.abs(c3), np.abs(c2)])
    tiny = 1e-14 * np.where(scale > 0.0, scale, 1.0)
    c4 = np.where(np.abs(c4) < tiny, tiny, c4)
    comp = np.zeros(Q.shape[:-2] + (4, 4), dtype=complex)
    comp[..., 0, 0] = -c3 / c4
    comp[..., 0, 1] = -c2 / c4
    comp[..., 0, 2] = -np.conj(c3) / c4
    comp[..., 0, 3] = -np.conj(c4) / c4
    comp[..., 1, 0] = comp[..., 2, 1] = comp[..., 3, 2] = 1.0
    return np.linalg.eigvals(comp)


def _two_circles(A1: np.ndarray, A2: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
    """Solve ``A1 x1 + A2 x2 = b`` for unit ``x1 = (cos θ1, sin θ1)``, ``x2 = (cos θ2, sin θ2)``.

    Args:
        A1, A2: ``(..., 2, 2)``; b: ``(..., 2)``.

    Returns:
        ``theta1 (..., 4)``, ``theta2 (..., 4)``, ``valid (..., 4)``, ``least_squares (...)``.
    """

    # Eliminate the better-conditioned block's unknown: x2 = adj(A2)(b − A1 x1) / det A2, and ‖x2‖ = 1.
    # Both determinants are measured against one scale, the product of the norms of the system's two rows
    # (each row an equation in its own units): a block with a column of noise (a cosine term that vanishes in
    # exact arithmetic, or to 1e-12 with π/2 written to 11 digits) has a determinant of that noise's size on
    # this scale, and is never the one eliminated. (Relative to its own columns' norms, a noise column may
    # look perpendicular to the other, the block well conditioned; dividing by its tiny determinant then
    # loses every solution.)
    rows = np.sqrt((A1 * A1).sum(-1) + (A2 * A2).sum(-1))  # (..., 2)
    scale = rows[..., 0] * rows[..., 1]
    scale = np.where(scale > 0.0, scale, 1.0)
    det1 = A1[..., 0, 0] * A1[..., 1, 1] - A1[..., 0, 1] * A1[..., 1, 0]
    det2 = A2[..., 0, 0] * A2[..., 1, 1] - A2[..., 0, 1] * A2[..., 1, 0]
    r1, r2 = np.abs(det1) / scale, np.abs(det2) / scale
    swap = r1 > r2  # eliminate x1 instead
    Ae = np.where(swap[..., None, None], A1, A2)  # the block whose unknown is eliminated
    Ak = np.where(swap[..., None, None], A2, A1)  # the block whose angle the quartic gives
    D = np.where(swap, det1, det2)
    degenerate = np.maximum(r1, r2) < _SINGULAR_TOL
    D = np.where(degenerate, 1.0, D)
    adj = np.stack([np.stack([Ae[..., 1, 1], -Ae[..., 0, 1]], -1), np.stack([-Ae[..., 1, 0], Ae[..., 0, 0]], -1)], -2)
    u = (adj @ b[..., None])[..., 0]  # (..., 2)
    V = adj @ Ak  # (..., 2, 2)
    VtV = np.swapaxes(V, -1, -2) @ V
    Vtu = (np.swapaxes(V, -1, -2) @ u[..., None])[..., 0]
    Q = np.empty(b.shape[:-1] + (3, 3))
    Q[..., :2, :2] = VtV
    Q[..., :2, 2] = Q[..., 2, :2] = -Vtu
    Q[..., 2, 2] = dot2(u, u) - D * D
    z = _quartic_roots(Q)
    off = np.abs(np.abs(z) - 1.0)
    ok = off < ROOT_TOL
    theta = np.angle(z)
    Qe = Q[..., None, :, :]
    for _ in range(_NEWTON_STEPS):  # Newton on f(θ) = v Q vᵀ, v = [cos θ, sin θ, 1]; f' = 2 v Q [−sin, cos, 0]ᵀ
        c, s = np.cos(theta), np.sin(theta)
        v = np.stack([c, s, np.ones_like(c)], axis=-1)
        w = np.stack([-s, c, np.zeros_like(c)], axis=-1)
        Qv = (Qe @ v[..., None])[..., 0]
        f = dot3(v, Qv)
        df = 2.0 * dot3(w, Qv)
        step = np.where(np.abs(df) > 1e-300, f / np.where(df == 0.0, 1.0, df), 0.0)
        theta = np.where(ok, theta - np.clip(step, -0.1, 0.1), theta)
    x = np.stack([np.cos(theta), np.sin(theta)], axis=-1)  # (..., 4, 2)
    y = (adj[..., None, :, :] @ (b[..., None, :] - (Ak[..., None, :, :] @ x[..., None])[..., 0])[..., None])[..., 0]
    y = y / D[..., None, None]
    other = np.arctan2(y[..., 1], y[..., 0])
    # A root is a solution when the eliminated unit vector comes out of unit length (a root pair that is
    # complex, but near the circle, does not after the Newton steps).
    miss = np.abs(np.hypot(y[..., 0], y[..., 1]) - 1.0)
    valid = ok & (miss < UNIT_TOL) & ~degenerate[..., None]
    ls = ~valid.any(axis=-1) & ~degenerate
    if ls.any():  # least squares: the root that comes nearest (unit circle, then unit length)
        nearest = np.argmin(off + miss, axis=-1)
        valid = valid | (ls[..., None] & (np.arange(4) == nearest[..., None]))
    theta = wrap_angle(theta)
    t1 = np.where(swap[..., None], other, theta)
    t2 = np.where(swap[..., None], theta, other)
    if degenerate.any():  # (instances that decouple: their answers replace the empty slots)
        d1, d2, dvalid, dls, split = _decoupled(A1, A2, b, np.sqrt(scale))
        split &= degenerate
        t1 = np.where(split[..., None], d1, t1)
        t2 = np.where(split[..., None], d2, t2)
        valid = np.where(split[..., None], dvalid, valid)
        ls = np.where(split, dls, ls)
    return t1, t2, valid, ls


def _left_null(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A unit ``n`` ``(..., 2)`` with ``nᵀM = 0`` for a rank-1 ``M`` ``(..., 2, 2)`` (from its larger column),
    and that column's norm ``(...)`` (0 for a zero block)."""
    norms = np.hypot(M[..., 0, :], M[..., 1, :])  # (..., 2) column norms
    j = np.argmax(norms, axis=-1)
    col = np.take_along_axis(M, j[..., None, None], axis=-1)[..., 0]  # (..., 2)
    size = np.take_along_axis(norms, j[..., None], axis=-1)[..., 0]
    n = np.stack([col[..., 1], -col[..., 0]], -1) / np.where(size > 0.0, size, 1.0)[..., None]
    return n, size


def _decoupled(A1: np.ndarray, A2: np.ndarray, b: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, ...]:
    """``A1 x1 + A2 x2 = b`` for singular blocks of rank 1 with different column spaces: ``n2ᵀA2 = 0`` leaves
    ``(A1ᵀn2)ᵀx1 = n2ᵀb``, one equation in θ1 alone (two angles, as in SP4), and likewise θ2; the four pairs.

    Args:
        A1, A2: ``(..., 2, 2)``; b: ``(..., 2)``; scale: ``(...)`` the size of the system's entries.

    Returns:
        ``theta1 (..., 4)``, ``theta2 (..., 4)``, ``valid (..., 4)``, ``least_squares (...)`` and which instances
        decouple ``(...)``. Slots ``(±θ1) × (±θ2)``; with no exact pair, the nearest one in slot 0.
    """
    n1, size1 = _left_null(A1)
    n2, size2 = _left_null(A2)
    independent = np.abs(n1[..., 0] * n2[..., 1] - n1[..., 1] * n2[..., 0]) > _DECOUPLED_SIN
    split = independent & (size1 > _SINGULAR_TOL * scale) & (size2 > _SINGULAR_TOL * scale)
    angles, exact = [], []
    for A, n in ((A1, n2), (A2, n1)):
        a = (np.swapaxes(A, -1, -2) @ n[..., None])[..., 0]  # (..., 2): a · (cos θ, sin θ) = nᵀb
        r = np.hypot(a[..., 0], a[..., 1])
        cos = dot2(n, b) / np.where(r > 0.0, r, 1.0)
        half = np.arccos(np.clip(cos, -1.0, 1.0))
        phi = np.arctan2(a[..., 1], a[..., 0])
        angles.append(wrap_angle(np.stack([phi + half, phi - half], -1)))
        exact.append(np.abs(cos) <= 1.0 + EXACT_TOL)
    t1 = np.repeat(angles[0], 2, axis=-1)  # (θ1+, θ1+, θ1−, θ1−)
    t2 = np.tile(angles[1], 2)  # (θ2+, θ2−, θ2+, θ2−)
    ls = ~(exact[0] & exact[1])
    valid = np.where(ls[..., None], np.arange(4) == 0, True)
    return t1, t2, valid, ls & split, split


def dot2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1]


def dot3(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1] + a[..., 2] * b[..., 2]


def sp6_kernel(h: np.ndarray, k: np.ndarray, p: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, ...]:
    """SP6 kernel for ``h, k, p`` ``(..., 4, 3)`` and ``d`` ``(..., 2)``."""
    a, b, e = _terms(h, k, p)  # (..., 4) each
    A1 = np.stack([np.stack([a[..., 0], b[..., 0]], -1), np.stack([a[..., 2], b[..., 2]], -1)], -2)
    A2 = np.stack([np.stack([a[..., 1], b[..., 1]], -1), np.stack([a[..., 3], b[..., 3]], -1)], -2)
    rhs = d - np.stack([e[..., 0] + e[..., 1], e[..., 2] + e[..., 3]], axis=-1)
    return _two_circles(A1, A2, rhs)


def sp6(h: npt.ArrayLike, k: npt.ArrayLike, p: npt.ArrayLike, d: npt.ArrayLike) -> Subsolutions:
    """Subproblem 6: the pairs ``(θ1, θ2)`` with
    ``h1ᵀR(k1, θ1)p1 + h2ᵀR(k2, θ2)p2 = d1`` and ``h3ᵀR(k3, θ1)p3 + h4ᵀR(k4, θ2)p4 = d2``.

    Each term is linear in ``(cos, sin)`` of its angle (:func:`sp4`), so this is two linear equations in
    two unit vectors; up to four solutions. Instances whose 2×2 blocks are both singular decouple when the blocks'
    column spaces differ (one equation in each angle alone: two angles each, four pairs); otherwise (a
    continuum of solutions or none) they have no valid slot.

    Args:
        h: ``(..., 4, 3)`` the vectors ``h1..h4`` (any length).
        k: ``(..., 4, 3)`` the unit axes ``k1..k4``.
        p: ``(..., 4, 3)`` the vectors ``p1..p4``.
        d: ``(..., 2)`` the right-hand sides ``(d1, d2)``.

    Returns:
        :class:`Subsolutions` with ``k = 4`` slots of ``m = 2`` angles ``(θ1, θ2)``.
    """
    h, k, p, d = _vec(h), _vec(k), _vec(p), _vec(d)
    h, k, p = np.broadcast_arrays(h, k, p)
    t1, t2, valid, ls = sp6_kernel(h, k, p, d)
    return Subsolutions(np.stack([t1, t2], axis=-1), valid, ls)


def sp5_kernel(
    p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, p3: np.ndarray, k1: np.ndarray, k2: np.ndarray, k3: np.ndarray
) -> tuple[np.ndarray, ...]:
    """SP5 kernel: ``theta1, theta2, theta3`` ``(..., 4)``, ``valid (..., 4)``, ``least_squares (...)``.

    ``R(k2, θ2)`` maps ``u = p2 + R(k3, θ3)p3`` onto ``v = p0 + R(k1, θ1)p1`` iff ``k2ᵀu = k2ᵀv`` and
    ``‖u‖ = ‖v‖``; both are linear in the cosines and sines of θ1 and θ3 (the norms expand to
    ``2 p0ᵀR1p1 − 2 p2ᵀR3p3 = ‖p2‖² + ‖p3‖² − ‖p0‖² − ‖p1‖²``): subproblem 6 in (θ1, θ3), then θ2 by SP1.
    """
    h = np.stack(np.broadcast_arrays(k2, -k2, 2.0 * p0, -2.0 * p2), axis=-2)
    k = np.stack(np.broadcast_arrays(k1, k3, k1, k3), axis=-2)
    p = np.stack(np.broadcast_arrays(p1, p3, p1, p3), axis=-2)
    d = np.stack(np.broadcast_arrays(dot(k2, p2 - p0), dot(p2, p2) + dot(p3, p3) - dot(p0, p0) - dot(p1, p1)), axis=-1)
    h, k, p = np.broadcast_arrays(h, k, p)
    t1, t3, valid, ls = sp6_kernel(h, k, p, d)
    v = p0[..., None, :] + rotate(k1[..., None, :], t1, p1[..., None, :])
    u = p2[..., None, :] + rotate(k3[..., None, :], t3, p3[..., None, :])
    t2 = sp1_kernel(u, v, k2[..., None, :])
    return t1, t2, t3, valid, ls


def sp5(
    p0: npt.ArrayLike,
    p1: npt.ArrayLike,
    p2: npt.ArrayLike,
    p3: npt.ArrayLike,
    k1: npt.ArrayLike,
    k2: npt.ArrayLike,
    k3: npt.ArrayLike,
) -> Subsolutions:
    """Subproblem 5: the triples ``(θ1, θ2, θ3)`` with ``p0 + R(k1, θ1)p1 = R(k2, θ2)(p2 + R(k3, θ3)p3)``.

    Up to four solutions (see :func:`sp5_kernel` for the reduction to subproblem 6).

    Args:
        p0, p1, p2, p3: ``(..., 3)`` each.
        k1, k2, k3: ``(..., 3)`` unit axes.

    Returns:
        :class:`Subsolutions` with ``k = 4`` slots of ``m = 3`` angles ``(θ1, θ2, θ3)``.
    """
    t1, t2, t3, valid, ls = sp5_kernel(*(_vec(x) for x in (p0, p1, p2, p3, k1, k2, k3)))
    return Subsolutions(np.stack([t1, t2, t3], axis=-1), valid, ls)
