"""Capability maps by sampling joint space: per voxel, how often, from how many directions and how well.

A capability map (Zacharias, Borst & Hirzinger, "Capturing robot workspace structure: representing robot
capabilities", IROS 2007) records, per voxel of the workspace, which approach directions of an equal-area
sphere partition the tool reaches; their fraction is the voxel's *reachability index*. Here the poses come
from sampling joint space uniformly within the limits (forward kinematics and the Jacobian, batched), and
each voxel also keeps the best manipulability and inverse condition number of the unit-free task Jacobian
seen there, and each reached (voxel, direction) pair its best manipulability.

The inverse condition number is kept to a stated precision, 11 significant bits (:data:`INVERSE_CONDITION_BITS`):
a sample that may beat its voxel's maximum is first tested against it by one Sturm pass (:func:`ruled_out`);
the rest get certified bounds (:func:`inverse_condition_bounds`), and LAPACK's ``eigvalsh`` only where those
straddle a rounding boundary (on a Panda map about 1 sample in 1000), instead of once per rise of a voxel's
running maximum (0.65 per sample in a fresh map).
"""

from __future__ import annotations

import math
import mmap
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..errors import OptionError
from ..kinematics import BLOCK, SMALL_BATCH, path_pose_and_jacobian, pose_and_jacobian_into
from ..measures import task_rows, unit_scales
from ..model import check_robot
from .engines import resolve_engine, unique_max
from .maps import CapabilityMap
from .sampling import (
    BASE_CHUNK,
    SpherePartition,
    check_memory,
    check_seed,
    chunk_samples,
    grid,
    moving_link,
    positive_int,
    sphere_partition,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Robot

__all__ = [
    "CapabilityAccumulator",
    "CapabilityJob",
    "MAX_SAMPLES",
    "capability_map",
    "check_samples",
    "raise_inverse_condition",
    "scaled_measures",
]

# A pivot of the LDLᵀ factorisation of J_s J_sᵀ below this fraction of its largest diagonal entry counts as
# zero: the task Jacobian is then rank-deficient to within σ_min/σ_max < ~3e-7 and its manipulability is 0.
PIVOT_TOL = 1e-13

# Margins that keep the cheap upper bound of σ_min/σ_max above the value eigvalsh computes, rounding
# included (eigvalsh's eigenvalues are accurate to a few eps · λ_max): relative and absolute (in λ/λ_max).
BOUND_REL, BOUND_ABS = 1e-9, 1e-12

# Default steps of inverse and power iteration of scaled_measures' bound of σ_min/σ_max: more steps make it
# tighter. Panda, 32768 random samples: with 2 + 1 steps the bound exceeds the exact value by a median factor
# 1.076 (90th percentile 1.22); with 4 + 3 by 1.025 (1.11), with 8 + 5 by 1.008 (1.07) at twice the cost.
INVERSE_STEPS, POWER_STEPS = 4, 3

# Every sample of a map gets the cheaper screening bound (SCREEN_STEPS inverse steps, no power steps); only
# the ones it cannot rule out get the tridiagonal form and one Sturm pass at their voxel's best (ruled_out), the
# few left certified bounds (tridiagonal_bounds), and of those only the ones whose bounds cannot decide the
# rounded value the exact value (see raise_packed). Panda, 2 cm × 288, after 10⁸ samples: the screen lets
# through 27 % of the samples with 1 step, 15 % with 2 (+0.085 µs a sample), and a sample let through costs
# ~0.85 µs more (gathered 0.16, tridiagonal form 0.43, Sturm pass 0.26): a draw; after 10⁶ and 10⁷ samples
# 1 step was 0.1 µs a sample cheaper (screen and the rest, CPU, shared machine).
SCREEN_STEPS = 1
# Samples screened together (its some 60 working arrays stay nearer the core's cache): Panda, one base chunk of
# 32768 samples, CPU µs per sample on a shared machine, least of 5: whole chunk 0.30, 16384 0.24, 8192 0.24,
# 4096 0.28, 2048 0.35 (per NumPy call overhead).
SCREEN_BLOCK = 8192


def gram_matrix(
    J: np.ndarray,
    rows: Sequence[int],
    row_scale: np.ndarray,
    col_scale: np.ndarray | None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """The lower triangle of ``A = J_s J_sᵀ`` for ``J_s = diag(row_scale) J[rows] diag(col_scale)``, packed.

    Args:
        J: ``(6, n, N)`` Jacobians, the batch last (each row's columns contiguous over N).
        rows: The k task rows.
        row_scale: ``(k,)``.
        col_scale: ``(n,)``, or None for all ones.
        out: ``(k (k + 1) / 2, N)`` to write the result into (default: a new array).

    Returns:
        ``(k (k + 1) / 2, N)``: row ``i (i + 1) / 2 + j`` holds ``A[i, j]`` for ``k > i >= j``
        (:func:`lower` gives them as ``A[i][j]``).
    """
    # contiguous (a no-op for the map's own arrays): NumPy's sum over the joints then adds in one fixed order
    # whatever the caller's layout (a strided view may be summed pairwise), so A is bit-reproducible
    Jc = np.ascontiguousarray(J) if col_scale is None else J * col_scale[None, :, None]
    k = len(rows)
    G = np.empty((k * (k + 1) // 2, J.shape[-1])) if out is None else out
    product = np.empty(J.shape[1:])
    for i in range(k):
        for j in range(i + 1):
            np.multiply(Jc[rows[i]], Jc[rows[j]], out=product)
            np.multiply(product.sum(axis=0), row_scale[i] * row_scale[j], out=G[i * (i + 1) // 2 + j])
    return G


def lower(G: np.ndarray) -> list[list[np.ndarray]]:
    """The packed lower triangle ``G`` ``(k (k + 1) / 2, N)`` of :func:`gram_matrix` as views ``A[i][j]``
    ``(N,)``, ``k > i >= j``."""
    k = round((math.isqrt(8 * G.shape[0] + 1) - 1) / 2)
    return [[G[i * (i + 1) // 2 + j] for j in range(i + 1)] for i in range(k)]


def gram(
    J: np.ndarray, rows: Sequence[int], row_scale: np.ndarray, col_scale: np.ndarray | None
) -> list[list[np.ndarray]]:
    """:func:`gram_matrix` (same arguments) as the views ``A[i][j]`` ``(N,)``, ``k > i >= j`` (:func:`lower`)."""
    return lower(gram_matrix(J, rows, row_scale, col_scale))


def _matvec(A: list[list[np.ndarray]], x: list[np.ndarray]) -> list[np.ndarray]:
    """``A x`` for the symmetric Gram matrices (lower triangle ``A[i][j]``, i >= j) and vectors ``x[i]``."""
    k = len(A)
    return [sum(A[max(i, j)][min(i, j)] * x[j] for j in range(k)) for i in range(k)]


def _rayleigh(A: list[list[np.ndarray]], x: list[np.ndarray]) -> np.ndarray:
    """Rayleigh quotient ``xᵀAx / xᵀx`` (N,), NaN where ``x`` vanishes; it lies in ``[λ_min, λ_max]``."""
    Ax = _matvec(A, x)
    num = sum(a * b for a, b in zip(x, Ax))
    den = sum(a * a for a in x)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return num / den


def scaled_measures(
    A: list[list[np.ndarray]], inverse_steps: int = INVERSE_STEPS, power_steps: int = POWER_STEPS
) -> tuple[np.ndarray, np.ndarray]:
    """Manipulability and an upper bound of ``σ_min/σ_max`` of task Jacobians ``J_s`` ``(N, k, n)``, k <= n,
    from their Gram matrices ``A = J_s J_sᵀ`` (lower triangle, :func:`gram`).

    Manipulability is ``√det(J_s J_sᵀ)``, the product of the singular values, from an unpivoted LDLᵀ
    factorisation of the k × k Gram matrix ``A`` written as elementwise operations over the batch (an order
    of magnitude cheaper than a batched SVD or LU for k <= 6). The bound is ``√(ρ(y) / ρ(z))`` with ``ρ``
    the Rayleigh quotient, which lies in ``[λ_min, λ_max]`` for *any* vector: ``y`` from
    :data:`INVERSE_STEPS` steps of inverse iteration (with the LDLᵀ factors) so that ``ρ(y)`` is close above
    ``λ_min``, ``z`` from :data:`POWER_STEPS` steps of power iteration so that ``ρ(z)`` is close below
    ``λ_max``; inflated by :data:`BOUND_REL` and :data:`BOUND_ABS` for rounding. Only the bound's validity
    affects the map (it decides which samples need the exact value); its tightness affects the speed.

    Args:
        A: Lower triangle ``A[i][j]`` ``(N,)`` each.
        inverse_steps: Steps of inverse iteration (default :data:`INVERSE_STEPS`).
        power_steps: Steps of power iteration (default :data:`POWER_STEPS`); with 0, the largest diagonal
            entry (``ρ`` of a unit vector) bounds ``λ_max`` from below. (``ρ`` of the all-ones vector, also
            taken before, was above it in none of 98 304 Panda samples: its 20 operations a sample are saved.)

    Returns:
        ``manipulability`` ``(N,)`` and ``bound`` ``(N,)`` >= the ``σ_min/σ_max`` that
        :func:`inverse_condition_exact` computes.
    """
    k = len(A)
    diag = np.stack([A[i][i] for i in range(k)])  # (k, N)
    scale = diag.max(axis=0)
    tiny = PIVOT_TOL * scale
    L: list[list[Any]] = [[None] * k for _ in range(k)]
    det = np.ones_like(scale)
    d: list[np.ndarray] = []
    inv_d: list[np.ndarray] = []
    # λ_min <= every diagonal entry, and <= every pivot up to the first zero one: a pivot is 1 / (A_j⁻¹)_jj of
    # a leading block A_j, >= λ_min(A_j) >= λ_min(A) (Cauchy interlacing)
    cap = diag.min(axis=0)
    regular = np.ones(scale.shape, bool)  # every pivot so far above tiny
    all_regular = True  # (regular.all(), while it holds)
    # in place, in the order of the expressions L[j][p] * L[j][p] * d[p] etc. (the manipulability's bits)
    product, good = np.empty_like(scale), np.empty(scale.shape, bool)

    def reduced(a: np.ndarray, i: int, j: int) -> np.ndarray:
        """``a - Σ_p (L[i][p] L[j][p]) d[p]`` over ``p < j``, subtracted in that order (a new array; the first
        subtraction reads ``a`` itself, no copy of it)."""
        out = np.empty_like(a)
        for p in range(j):
            np.multiply(L[i][p], L[j][p], out=product)
            np.multiply(product, d[p], out=product)
            np.subtract(a if p == 0 else out, product, out=out)
        return out

    for j in range(k):
        s = A[j][j].copy() if j == 0 else reduced(A[j][j], j, j)
        np.greater(s, tiny, out=good)
        if all_regular and good.all():  # (the usual case: what follows, in 4 passes instead of 8)
            np.minimum(cap, s, out=cap)
            inverse = np.divide(1.0, s)
        else:
            all_regular = False
            np.minimum(cap, s, out=cap, where=regular)
            regular &= good
            np.logical_not(good, out=good)
            np.copyto(s, 0.0, where=good)  # a zero pivot
            inverse = np.divide(1.0, s, out=np.zeros_like(s), where=s != 0.0)
        d.append(s)
        inv_d.append(inverse)
        det *= s
        for i in range(j + 1, k):
            if j == 0:
                L[i][j] = np.multiply(A[i][j], inverse)
            else:
                L[i][j] = reduced(A[i][j], i, j)
                L[i][j] *= inverse
    manipulability = np.sqrt(det)

    x = [np.empty_like(scale) for _ in range(k)]

    def solve(b: list[np.ndarray]) -> None:  # x = (L D Lᵀ)⁺ b, a pseudo-solve where a pivot was 0; in place
        for i in range(k):
            np.copyto(x[i], b[i])
            for p in range(i):
                np.multiply(L[i][p], x[p], out=product)
                x[i] -= product
        for i in range(k):
            x[i] *= inv_d[i]
        for i in range(k - 2, -1, -1):
            for p in range(i + 1, k):
                np.multiply(L[p][i], x[p], out=product)
                x[i] -= product

    def square_norm(v: list[np.ndarray], out: np.ndarray) -> np.ndarray:
        np.multiply(v[0], v[0], out=out)
        for a in v[1:]:
            np.multiply(a, a, out=product)
            out += product
        return out

    y = [np.full_like(scale, (-1.0) ** i) for i in range(k)]
    if inverse_steps == 0:
        lam_min = _rayleigh(A, y)
    else:  # inverse iteration towards the eigenvector of λ_min
        norm = np.empty_like(scale)
        for _ in range(inverse_steps - 1):
            solve(y)
            np.sqrt(square_norm(x, norm), out=norm)
            np.divide(1.0, norm, out=norm, where=norm > 0.0)  # (x = 0 stays 0)
            for i in range(k):
                np.multiply(x[i], norm, out=y[i])
        solve(y)
        # ρ(x) = xᵀAx / xᵀx = xᵀy / xᵀx, as A x = y: no product with A. The LDLᵀ solve is backward stable
        # ((A + ΔA) x = y, ‖ΔA‖ ~ k² ε ‖A‖), well inside BOUND_ABS; not where a pivot was zeroed (x then
        # solves another system), but there λ_min <= that pivot <= tiny already (cap)
        lam_min = np.multiply(x[0], y[0])
        for i in range(1, k):
            np.multiply(x[i], y[i], out=product)
            lam_min += product
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            lam_min /= square_norm(x, norm if inverse_steps > 1 else np.empty_like(scale))
        np.copyto(lam_min, cap, where=~regular)
    if power_steps == 0:  # the largest diagonal entry (taken below)
        lam_max = scale
    else:
        z = [np.ones_like(scale)] * k
        inverse_norm = np.empty_like(scale)
        for _ in range(power_steps):  # power iteration towards the eigenvector of λ_max
            z = _matvec(A, z)
            np.sqrt(square_norm(z, inverse_norm), out=inverse_norm)
            np.divide(1.0, inverse_norm, out=inverse_norm, where=inverse_norm > 0.0)  # (z = 0 stays 0)
            for a in z:
                a *= inverse_norm
        lam_max = _rayleigh(A, z)  # <= λ_max
        lam_max = np.where(np.isfinite(lam_max), np.maximum(lam_max, scale), scale)
    lam_min = np.where(np.isfinite(lam_min), np.minimum(lam_min, cap), cap)  # >= λ_min (up to rounding)
    positive = lam_max > 0.0
    ratio = (np.maximum(lam_min, 0.0) + BOUND_ABS * lam_max) / np.where(positive, lam_max, 1.0) * (1.0 + BOUND_REL)
    bound = np.where(positive, np.sqrt(np.minimum(ratio, 1.0 + BOUND_REL)), 0.0)
    return manipulability, bound


# Significant bits kept of each sample's σ_min/σ_max (rounded to nearest, ties to even, like float16 but with
# float64's range): the map's max_inverse_condition is the largest rounded value, relative error <= 2⁻¹¹.
# Rounding is monotone, so the maximum of rounded values is the rounded maximum, in any order; and a sample's
# rounded value is decided by certified bounds alone unless they straddle a rounding boundary.
INVERSE_CONDITION_BITS = 11

# Laguerre steps towards λ_min (from below) and λ_max (from above) of the tridiagonal form (see
# inverse_condition_bounds): cubically convergent. Panda, 32768 random samples: after 3 steps the bounds
# leave the rounded value of 4.2 % of the samples undecided (those get eigvalsh), after 4 steps 0.16 %.
LAGUERRE_STEPS = 4

# Samples whose tridiagonal forms (and then certified bounds) are computed together: their working arrays (the
# k × k matrices, about 40 rows of 8 bytes per sample) stay near the core's cache; per NumPy call overhead stays
# small against it.
CANDIDATE_BLOCK = 4096


def round_inverse_condition(x: np.ndarray) -> np.ndarray:
    """``x`` >= 0 ``(...)`` rounded to :data:`INVERSE_CONDITION_BITS` significant bits (to nearest, ties to
    even): relative error <= 2⁻¹¹; monotone (``x <= y`` gives ``round(x) <= round(y)``); 0 stays 0."""
    drop = np.uint64(53 - INVERSE_CONDITION_BITS)
    bits = np.ascontiguousarray(x, dtype=np.float64).view(np.uint64)
    odd = (bits >> drop) & np.uint64(1)
    out = (bits + ((np.uint64(1) << (drop - np.uint64(1))) - np.uint64(1)) + odd) & ~(
        (np.uint64(1) << drop) - np.uint64(1)
    )
    return out.view(np.float64)


def tridiagonal(G: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Householder tridiagonal form ``T = Qᵀ A Q`` of the Gram matrices ``A`` packed in ``G``.

    Backward stable: ``T`` is exactly similar to ``A + E`` with ``‖E‖ <~ k² ε ‖A‖`` (Golub & Van Loan,
    *Matrix Computations*, 4th ed., §8.3.1), so its eigenvalues are within that of ``A``'s. Each reflection
    updates only the lower triangle, by the symmetric rank-2 update ``B - v wᵀ - w vᵀ`` (as LAPACK's
    ``dsytd2``), one elementwise operation per entry over the batch.

    Args:
        G: ``(k (k + 1) / 2, c)`` packed lower triangles (:func:`gram_matrix`).

    Returns:
        ``diagonal`` ``(k, c)`` and ``squared_off`` ``(k - 1, c)``: ``T``'s diagonal and its squared
        off-diagonal entries.
    """
    A = lower(np.array(G, dtype=np.float64, order="C"))  # a contiguous copy, reduced in place: A[i][j] (c,)
    k, c = len(A), G.shape[1]
    diagonal, squared_off = np.empty((k, c)), np.empty((max(k - 1, 0), c))
    norm2, alpha, beta, half_vp, product = (np.empty(c) for _ in range(5))
    w = [np.empty(c) for _ in range(k)]
    with np.errstate(invalid="ignore", divide="ignore"):
        for j in range(k - 2):
            # the trailing block B = A[j+1:, j+1:] (lower triangle B(a, b), a >= b) and x = A[j+1:, j], which
            # becomes the Householder vector v = x + sign(x₀) ‖x‖ e₁
            x = [A[i][j] for i in range(j + 1, k)]
            m = len(x)

            def B(a: int, b: int, j: int = j) -> np.ndarray:
                return A[j + 1 + max(a, b)][j + 1 + min(a, b)]

            np.multiply(x[0], x[0], out=norm2)
            for a in range(1, m):
                np.multiply(x[a], x[a], out=product)
                norm2 += product
            squared_off[j] = norm2  # α² (= ‖x‖², the next off-diagonal entry squared)
            np.sqrt(norm2, out=alpha)
            np.copysign(alpha, x[0], out=alpha)
            # vᵀv = 2 (‖x‖² + |x₀| ‖x‖); β = 2 / vᵀv (0 where x = 0: nothing to reflect)
            np.multiply(x[0], alpha, out=beta)
            beta += norm2
            np.divide(1.0, beta, out=beta, where=beta > 0.0)
            x[0] += alpha
            for a in range(m):  # p = β B v, in w
                np.multiply(B(a, 0), x[0], out=w[a])
                for b in range(1, m):
                    np.multiply(B(a, b), x[b], out=product)
                    w[a] += product
                w[a] *= beta
            np.multiply(x[0], w[0], out=half_vp)
            for a in range(1, m):
                np.multiply(x[a], w[a], out=product)
                half_vp += product
            half_vp *= beta
            half_vp *= 0.5  # β vᵀp / 2
            for a in range(m):  # w = p - (β vᵀp / 2) v
                np.multiply(half_vp, x[a], out=product)
                w[a] -= product
            for a in range(m):  # B - v wᵀ - w vᵀ, its lower triangle
                for b in range(a + 1):
                    entry = B(a, b)
                    np.multiply(x[a], w[b], out=product)
                    entry -= product
                    np.multiply(w[a], x[b], out=product)
                    entry -= product
            diagonal[j] = A[j][j]
    for i in range(max(k - 2, 0), k):
        diagonal[i] = A[i][i]
    if k >= 2:
        np.square(A[k - 1][k - 2], out=squared_off[k - 2])
    return diagonal, squared_off


class _Pivots:
    """The pivots of ``T - s I`` for tridiagonal ``T`` (the LDLᵀ of a Sturm sequence), batched over ``n``
    columns, in reused buffers: the least pivot of each of the first ``split`` columns and the largest of
    each of the others (``low`` ``(split,)``, ``high`` ``(n - split,)``), and the first two derivatives of
    ``log |det(T - s I)|`` in ``s``, ``G = Σ 1/(s - λ_i)`` and ``-H = -Σ 1/(s - λ_i)²``, by differentiating
    the recurrence ``d_i = (a_i - s) - b²_{i-1} / d_{i-1}``."""

    def __init__(self, diagonal: np.ndarray, squared_off: np.ndarray, split: int) -> None:
        self.diagonal, self.squared_off, self.split = diagonal, squared_off, split
        k, n = diagonal.shape
        self.pivots = np.empty((k, n))  # d_i, row i
        self.q, self.g, self.h, self.t, self.u = (np.empty(n) for _ in range(5))
        self.low, self.high, self.G, self.H = np.empty(split), np.empty(n - split), np.empty(n), np.empty(n)

    def __call__(self, shift: np.ndarray, derivatives: bool) -> None:
        q, g, h, t, u = self.q, self.g, self.h, self.t, self.u
        G, H, pivots = self.G, self.H, self.pivots
        np.subtract(self.diagonal, shift, out=pivots)  # a_i - s, every row
        if derivatives:
            np.divide(-1.0, pivots[0], out=g)  # d'/d, with d' = -1
            h[:] = 0.0  # d''/d
            G[:] = g
            np.multiply(g, g, out=H)
        for i in range(1, self.diagonal.shape[0]):
            d, d_next = pivots[i - 1], pivots[i]
            np.divide(self.squared_off[i - 1], d, out=q)
            d_next -= q
            if derivatives:
                # d'_i = q g_{i-1} - 1 and d''_i = q (h_{i-1} - 2 g²_{i-1}), as ratios to d_i
                np.multiply(g, g, out=t)
                t *= -2.0
                t += h
                t *= q
                np.divide(t, d_next, out=h)
                np.multiply(q, g, out=u)
                u -= 1.0
                np.divide(u, d_next, out=g)
                G += g
                np.multiply(g, g, out=t)
                H += t
                H -= h
        np.min(pivots[:, : self.split], axis=0, out=self.low)
        np.max(pivots[:, self.split :], axis=0, out=self.high)


def ruled_out(diagonal: np.ndarray, squared_off: np.ndarray, best: np.ndarray) -> np.ndarray:
    """Where the rounded ``σ_min/σ_max`` (:func:`round_inverse_condition` of :func:`inverse_condition_exact`)
    of Gram matrices is certified not to exceed ``best``, from their tridiagonal forms ``T``
    (:func:`tridiagonal`) and one Sturm pass: a quarter of the cost of their bounds
    (:func:`tridiagonal_bounds`), which then only the others need.

    A sample can beat ``best`` only if ``σ_min/σ_max`` reaches ``t``, the midpoint between ``best`` and the
    next rounded value. ``s_hi``, the largest ``λ_max`` of ``T``'s 2 × 2 diagonal blocks, is at most
    ``λ_max`` (Cauchy interlacing; a median 3 % below it on a Panda's well-conditioned samples), like the
    screen's Rayleigh quotients, to rounding. With ``s_lo = t² s_hi`` (less the slack), a pivot <= 0 of
    ``T - s_lo I`` certifies ``λ_min <= s_lo`` (Sylvester's inertia, as in :func:`tridiagonal_bounds`); the
    upper bound ``√((s_lo + slack) / (s_hi - slack))`` that follows, inflated by :data:`BOUND_REL`, must
    then round to ``best`` or below. The slack ``BOUND_ABS · tr T`` (``tr T >= λ_max``) covers the
    tridiagonal form's, the Sturm pass's and eigvalsh's errors, as in :func:`tridiagonal_bounds`. A sample
    with anything NaN or not certified is not ruled out.

    Args:
        diagonal: ``(k, c)`` diagonals of the tridiagonal forms.
        squared_off: ``(k - 1, c)`` their squared off-diagonal entries.
        best: ``(c,)`` rounded values (:func:`round_inverse_condition`) to beat, >= 0.

    Returns:
        ``(c,)`` bool: True where the sample certainly cannot raise ``best``.
    """
    k, c = diagonal.shape
    if k == 1:  # σ_min/σ_max is 1 (or 0): a sample beats any best < 1
        return np.zeros(c, bool)
    s_hi = diagonal[:-1] + diagonal[1:]  # λ_max of each 2 × 2 diagonal block, (a + b)/2 + √(((a - b)/2)² + e²)
    s_hi *= 0.5
    root = diagonal[:-1] - diagonal[1:]
    root *= 0.5
    np.square(root, out=root)
    root += squared_off
    np.sqrt(root, out=root)
    s_hi += root
    s_hi = s_hi.max(axis=0)  # (c,)
    slack = diagonal.sum(axis=0)
    np.maximum(slack, s_hi, out=slack)
    slack *= BOUND_ABS
    # t: halfway to the next value of INVERSE_CONDITION_BITS significant bits (best's low bits are zero), a
    # hair less so that the roundings below cannot carry the bound past it
    step = np.uint64(1) << np.uint64(53 - INVERSE_CONDITION_BITS)
    following = (np.ascontiguousarray(best, dtype=np.float64).view(np.uint64) + step).view(np.float64)
    t = (best + following) * (0.5 * (1.0 - 2.0**-30) / (1.0 + BOUND_REL))
    pivots = _Pivots(diagonal, squared_off, c)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        s_lo = t * t * (s_hi - slack) - slack
        pivots(s_lo, False)
        upper = np.sqrt((s_lo + slack) / (s_hi - slack)) * (1.0 + BOUND_REL)
    out = pivots.low <= 0.0  # λ_min <= s_lo
    out &= s_hi > slack
    certified = np.flatnonzero(out)
    out[certified] = round_inverse_condition(upper[certified]) <= best[certified]
    return out


def inverse_condition_bounds(G: np.ndarray, steps: int = LAGUERRE_STEPS) -> tuple[np.ndarray, np.ndarray]:
    """Certified lower and upper bounds of the ``σ_min/σ_max`` that :func:`inverse_condition_exact` computes
    for the Gram matrices packed in ``G``: :func:`tridiagonal_bounds` of their :func:`tridiagonal` form.

    Args:
        G: ``(k (k + 1) / 2, c)`` packed Gram matrices (:func:`gram_matrix`).
        steps: Laguerre steps per end.

    Returns:
        ``lower`` and ``upper`` ``(c,)``.
    """
    return tridiagonal_bounds(*tridiagonal(G), steps)


def tridiagonal_bounds(
    diagonal: np.ndarray, squared_off: np.ndarray, steps: int = LAGUERRE_STEPS
) -> tuple[np.ndarray, np.ndarray]:
    """Certified lower and upper bounds of the ``σ_min/σ_max`` that :func:`inverse_condition_exact` computes
    for Gram matrices, from their tridiagonal forms (:func:`tridiagonal`).

    On the tridiagonal form (:func:`tridiagonal`), ``steps`` Laguerre steps approach ``λ_min`` from below
    (from 0) and ``λ_max`` from above (from the least of Gershgorin's bound and the Frobenius norm): for a
    polynomial with real roots they never cross one (Wilkinson, *The Algebraic Eigenvalue Problem*, §7.13)
    and converge cubically. Nothing rests on that: every bound used is certified by the signs of the
    pivots of ``T - s I`` (Sylvester's inertia; the computed pivots are exact for a ``T`` whose entries moved
    by a few ε, Kahan 1966), all positive for ``s < λ_min``, all negative for ``s > λ_max``, and not so
    at ``s`` just inside after the last step. The tridiagonal form's and eigvalsh's own errors (a small
    multiple of ``ε λ_max``) are covered by :data:`BOUND_ABS`, the roundings of the ratio and its square
    root by :data:`BOUND_REL`. A bound that could not be certified is 0 (lower) or inf (upper).

    Args:
        diagonal: ``(k, c)`` diagonals of the tridiagonal forms.
        squared_off: ``(k - 1, c)`` their squared off-diagonal entries.
        steps: Laguerre steps per end.

    Returns:
        ``lower`` and ``upper`` ``(c,)``.
    """
    k, c = diagonal.shape
    off = np.sqrt(squared_off)
    gershgorin = diagonal.copy()
    gershgorin[:-1] += off
    gershgorin[1:] += off
    top = np.sqrt(np.einsum("ic,ic->c", diagonal, diagonal) + 2.0 * squared_off.sum(axis=0))  # Frobenius
    np.minimum(top, gershgorin.max(axis=0), out=top)
    pivots = _Pivots(
        np.concatenate([diagonal, diagonal], axis=1), np.concatenate([squared_off, squared_off], axis=1), c
    )
    # the first half of every (2c,) array walks up to λ_min, the second half down to λ_max
    shift = np.concatenate([np.zeros(c), top * (1.0 + 2.0**-20)])
    certified = np.concatenate([np.full(c, -np.inf), np.full(c, np.inf)])  # λ_min >= [:c], λ_max <= [c:]
    inner = np.concatenate([np.full(c, np.inf), np.zeros(c)])  # λ_min <= [:c], λ_max >= [c:]
    moved = np.zeros(2 * c)  # the last certified move
    live = np.ones(2 * c, bool)  # not yet crossed or failed
    ok, crossed, t = np.empty(2 * c, bool), np.empty(2 * c, bool), np.empty(2 * c)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for it in range(steps + 2):
            if it == steps + 1:
                # a probe just inside where no step crossed: the last move's square (relative) times 4, as
                # Laguerre converges cubically, plus the rounding slack
                slack = BOUND_ABS * certified[c:]
                np.multiply(moved, moved, out=t)
                t /= np.abs(certified)
                t *= 4.0
                t[:c] += slack
                t[c:] += slack
                t[c:] *= -1.0
                np.add(certified, t, out=shift)
            pivots(shift, it < steps)
            np.less_equal(pivots.low, 0.0, out=crossed[:c])
            np.greater_equal(pivots.high, 0.0, out=crossed[c:])
            crossed &= live
            np.copyto(inner, shift, where=crossed)
            if it == steps + 1:
                break
            np.greater(pivots.low, 0.0, out=ok[:c])
            np.less(pivots.high, 0.0, out=ok[c:])
            ok &= live
            np.subtract(shift, certified, out=t)
            np.abs(t, out=t)
            np.copyto(moved, t, where=ok)
            np.copyto(certified, shift, where=ok)
            live &= ok
            if it < steps:  # Laguerre: s - k / (G ∓ √((k - 1)(k H - G²)))
                G1, G2 = pivots.G, pivots.H
                np.multiply(G1, G1, out=t)
                np.multiply(G2, k, out=shift)
                shift -= t
                shift *= k - 1
                np.maximum(shift, 0.0, out=shift)
                np.sqrt(shift, out=shift)
                shift[:c] *= -1.0
                shift += G1
                np.divide(k * (1.0 - 2.0**-20), shift, out=shift)  # a hair short: stay outside the root
                np.subtract(certified, shift, out=shift)
        lam_max = certified[c:]
        lower = np.sqrt(np.maximum(certified[:c] - slack, 0.0) / (lam_max + slack)) * (1.0 - BOUND_REL)
        upper = np.sqrt((inner[:c] + slack) / (inner[c:] - slack)) * (1.0 + BOUND_REL)
    lower[~np.isfinite(lower)] = 0.0
    upper[~((upper >= 0.0) & (inner[c:] > slack))] = np.inf
    return lower, upper


def inverse_condition_exact(A: list[list[np.ndarray]], rows: np.ndarray) -> np.ndarray:
    """``σ_min/σ_max = √(λ_min/λ_max)`` of the Gram matrices ``A`` (lower triangle) at ``rows`` ``(c,)``.

    The map's definition of the measure: LAPACK's ``eigvalsh`` per matrix, so a sample's value does not
    depend on which other samples share its batch.
    """
    k = len(A)
    M = np.empty((rows.size, k, k))
    for i in range(k):
        for j in range(i + 1):
            M[:, i, j] = M[:, j, i] = A[i][j][rows]
    w = np.linalg.eigvalsh(M)  # (c, k) ascending
    top = w[:, -1]
    return np.where(top > 0.0, np.sqrt(np.clip(w[:, 0], 0.0, None) / np.where(top > 0.0, top, 1.0)), 0.0)


def raise_packed(G: np.ndarray, voxel: np.ndarray, bound: np.ndarray, best: np.ndarray) -> int:
    """Raise the per-voxel maxima ``best`` (in place) to the rounded ``σ_min/σ_max``
    (:func:`round_inverse_condition` of :func:`inverse_condition_exact`) of every sample of ``G`` that can
    beat them, computing the exact value for as few as possible.

    The samples whose ``bound`` rounds above their voxel's maximum get their tridiagonal form
    (:func:`tridiagonal`); one Sturm pass rules out most of them (:func:`ruled_out`: on a Panda map after 10⁸
    samples, 27 % of the samples get this far and 1.5 % are left), and the others get certified bounds
    (:func:`tridiagonal_bounds`, all at once). Each voxel's maximum is raised to the rounded lower bounds
    (each at most its sample's rounded value); a sample whose rounded upper bound is still above its voxel's
    maximum then (its bounds straddle a rounding boundary, or could not be certified) gets its exact value.
    So ``best`` ends as the maximum of its start and the rounded exact values of *all* the samples, whatever
    the order of the samples or how they are split into batches: rounding is monotone, and a sample is ruled
    out only when its rounded value is certified not to exceed a value ``best`` holds.

    Args:
        G: ``(k (k + 1) / 2, c)`` packed Gram matrices (:func:`gram_matrix`).
        voxel: ``(c,)`` flat voxel index of each sample.
        bound: ``(c,)`` upper bounds of the samples' exact values.
        best: ``(V,)`` float64 per-voxel maxima, rounded values (:func:`round_inverse_condition`), raised in
            place.

    Returns:
        The number of exact values computed.
    """
    keep = np.flatnonzero(bound > best[voxel])  # (rounding is monotone, and best's values are rounded)
    keep = keep[round_inverse_condition(bound[keep]) > best[voxel[keep]]]
    if keep.size == 0:
        return 0
    survivors, diagonals, squared_offs = [], [], []
    for start in range(0, keep.size, CANDIDATE_BLOCK):  # cache-sized blocks
        block = keep[start : start + CANDIDATE_BLOCK]
        diagonal, squared_off = tridiagonal(G.take(block, axis=1))  # (C order: rows contiguous)
        left = np.flatnonzero(~ruled_out(diagonal, squared_off, best[voxel[block]]))
        survivors.append(block[left])
        diagonals.append(diagonal.take(left, axis=1))
        squared_offs.append(squared_off.take(left, axis=1))
    keep = np.concatenate(survivors)
    if keep.size == 0:
        return 0
    diagonal, squared_off = np.concatenate(diagonals, axis=1), np.concatenate(squared_offs, axis=1)
    lower_bound, upper_bound = np.empty(keep.size), np.empty(keep.size)
    for start in range(0, keep.size, CANDIDATE_BLOCK):  # the survivors of all blocks together: fewer calls
        part = slice(start, start + CANDIDATE_BLOCK)
        lower_bound[part], upper_bound[part] = tridiagonal_bounds(diagonal[:, part], squared_off[:, part])
    v = voxel[keep]
    np.maximum.at(best, v, round_inverse_condition(lower_bound))
    np.minimum(upper_bound, bound[keep], out=upper_bound)
    undecided = np.flatnonzero(round_inverse_condition(upper_bound) > best[v])
    if undecided.size:
        exact = inverse_condition_exact(lower(G), keep[undecided])
        np.maximum.at(best, v[undecided], round_inverse_condition(exact))
    return int(undecided.size)


def raise_inverse_condition(A: list[list[np.ndarray]], voxel: np.ndarray, bound: np.ndarray, best: np.ndarray) -> int:
    """Raise the per-voxel maxima ``best`` (in place) to the rounded ``σ_min/σ_max`` of the samples that
    can beat them (:func:`raise_packed` of the samples whose ``bound`` is above their voxel's maximum).

    Args:
        A: Gram matrices (lower triangle) ``(N,)`` each.
        voxel: ``(N,)`` flat voxel index of each sample.
        bound: ``(N,)`` upper bounds of the samples' exact values.
        best: ``(V,)`` float64 per-voxel maxima (rounded values), raised in place.

    Returns:
        The number of exact values computed.
    """
    candidates = np.flatnonzero(bound > best[voxel])
    if candidates.size == 0:
        return 0
    G = np.stack([A[i][j][candidates] for i in range(len(A)) for j in range(i + 1)])
    return raise_packed(G, voxel[candidates], bound[candidates], best)


# Reached pairs are kept sparse (8 B each, sorted) until there are more than this many, or more than a quarter
# of the grid's (voxel, direction) cells (beyond which the dense table is smaller); then in a dense table.
SPARSE_PAIRS = 2**23
# A sparse pair list is merged (sorted, made unique) when its unmerged part has grown to this size, or to
# the size of its merged part (so merging costs O(log) sorts per pair).
MERGE_PAIRS = 2**20


class CapabilityAccumulator:
    """The running capability map, updated in place, of bounded size.

    Attributes:
        counts: ``(V,)`` int64 samples per voxel.
        manipulability: ``(V,)`` float64 best manipulability per voxel.
        inverse_condition: ``(V,)`` float64 best ``σ_min/σ_max`` per voxel, rounded to
            :data:`INVERSE_CONDITION_BITS` significant bits (:func:`round_inverse_condition`).
        codes: ``(V · D,)`` uint16 per (voxel, direction), or None while the pairs are sparse: 0 where not
            reached, else 1 + the bits of the best manipulability rounded to float16 (non-negative float16
            values order like their bits, and rounding is monotone, so the maximum of codes is the code of
            the maximum). Anonymous zeroed pages of 4 KB (:func:`zeroed_pages`): memory is used only where
            pairs are reached (about ``2 · D`` bytes per reached voxel).
        pairs: While ``codes`` is None, the reached pairs as sorted unique uint64 arrays
            ``(voxel · D + direction) << 16 | code`` (the first one merged, the rest not yet).
        dense_pairs: Whether the pairs may move to a dense table (a task's accumulator keeps them sparse,
            to return them).

    Args:
        voxels, directions: The grid's V voxels and the D directions.
        dense_pairs: See the attribute.
        floor: ``(V,)`` start of ``inverse_condition`` (copied; default zeros).
        pages: The per-voxel arrays on anonymous zeroed pages (:func:`zeroed_pages`), not on the heap: for an
            accumulator kept and reused (:meth:`clear`) by a worker thread.
    """

    def __init__(
        self,
        voxels: int,
        directions: int,
        dense_pairs: bool,
        floor: np.ndarray | None = None,
        pages: bool = False,
    ) -> None:
        zeros = zeroed_pages if pages else np.zeros
        self.counts = zeros(voxels, np.int64)
        self.manipulability = zeros(voxels, np.float64)
        self.inverse_condition = zeros(voxels, np.float64)
        if floor is not None:
            np.copyto(self.inverse_condition, floor)
        self.directions = directions
        self.dense_pairs = dense_pairs
        self.codes: np.ndarray | None = None
        self.pairs: list[np.ndarray] = []
        self.unmerged = 0  # pairs in self.pairs[1:]
        self.exact = 0  # exact σ_min/σ_max computed (for benchmarks)
        self.spent = False  # finish() has turned the pairs into a map

    def clear(self, touched: np.ndarray, floor: np.ndarray | None = None) -> None:
        """Empty the accumulator again, for the next task of a worker thread, in place and without
        grid-sized allocations: counts and manipulability back to zero at ``touched``, which must hold every
        voxel with a count (the only voxels a chunk writes), ``inverse_condition`` a copy of ``floor`` (or
        zeros), no pairs (the dense table, if any, dropped).

        Args:
            touched: ``(T,)`` voxel indices, at least every one with a nonzero count.
            floor: ``(V,)`` the new start of ``inverse_condition``, or None for zeros.
        """
        self.counts[touched] = 0
        self.manipulability[touched] = 0.0
        if floor is None:
            self.inverse_condition.fill(0.0)
        else:
            np.copyto(self.inverse_condition, floor)
        self.codes, self.pairs, self.unmerged, self.exact, self.spent = None, [], 0, 0, False

    def add_pairs(self, packed: np.ndarray) -> None:
        """Fold sorted unique packed pairs ``key << 16 | code`` (uint64) into the pairs."""
        if self.codes is not None:
            self._scatter(packed)
            return
        if not self.pairs:  # the first is merged as it is: a Dask map's one root summary stays sparse to the end,
            self.pairs = [packed]  # not moved to the dense table and read back (8.5 M pairs: 1.8–1.9 → 0.2–0.3 s CPU)
            return
        self.pairs.append(packed)
        self.unmerged += packed.size
        merged = self.pairs[0].size if len(self.pairs) > 1 else 0
        if self.unmerged >= max(MERGE_PAIRS, merged):
            self.merge()

    def add_rows(self, voxels: np.ndarray, rows: np.ndarray) -> None:
        """Fold the codes ``rows`` ``(R, D)`` uint16 of distinct ``voxels`` ``(R,)`` into the pairs, which move
        to the dense table (a merged summary's dense form, see :meth:`CapabilityJob.merge`)."""
        if self.codes is None:
            pending = self.merge()  # (empty if that already moved them)
            if self.codes is None:
                self.codes = zeroed_pages(self.counts.size * self.directions)
                self._scatter(pending)
                self.pairs = []
        table = self.codes.reshape(-1, self.directions)
        table[voxels] = np.maximum(table[voxels], rows)

    def merge(self, final: bool = False) -> np.ndarray:
        """The pairs as one sorted unique array (while sparse); moves them to the dense table instead
        (and returns an empty array) once there are too many (:data:`SPARSE_PAIRS`), unless ``final`` (the
        map's own merge: its pairs are sparse, so they stay so)."""
        if self.codes is not None or not self.pairs:
            return np.zeros(0, np.uint64)
        # (each list entry is sorted: merging runs, 2-3× faster than a quicksort next to a long merged run)
        merged = unique_max(np.concatenate(self.pairs), sorted_runs=True) if len(self.pairs) != 1 else self.pairs[0]
        self.pairs, self.unmerged = [merged], 0
        cells = self.counts.size * self.directions
        if self.dense_pairs and not final and (merged.size > SPARSE_PAIRS or 4 * merged.size > cells):
            self.codes = zeroed_pages(cells)
            self._scatter(merged)
            self.pairs = []
            return np.zeros(0, np.uint64)
        return merged

    def _scatter(self, packed: np.ndarray) -> None:
        assert self.codes is not None
        keys = (packed >> np.uint64(16)).astype(np.intp)
        codes = (packed & np.uint64(0xFFFF)).astype(np.uint16)
        np.maximum(self.codes[keys], codes, out=codes)
        self.codes[keys] = codes


def zeroed_pages(count: int, dtype: npt.DTypeLike = np.uint16) -> np.ndarray:
    """A zeroed array ``(count,)`` of ``dtype`` (default uint16) on an anonymous memory map: the kernel maps
    a page (4 KB) only when it is first written, so a large, sparsely written table costs only its written
    pages, and it is not on the heap (a long-lived one does not keep the heap from shrinking). (NumPy's
    ``zeros`` asks for transparent huge pages on large arrays: one written byte then costs 2 MB, and the
    table of a Panda map at 2 cm was resident almost whole, 559 MB.)"""
    dtype = np.dtype(dtype)
    if count == 0 or not hasattr(mmap, "MAP_PRIVATE"):  # (Windows: NumPy's zeros)
        return np.zeros(count, dtype)
    return np.frombuffer(mmap.mmap(-1, dtype.itemsize * count, flags=mmap.MAP_PRIVATE), dtype=dtype)


def nonzero_voxels(values: np.ndarray) -> np.ndarray:
    """``np.flatnonzero(values)`` of a 1-D array, through a boolean mask (3× faster on int64 counts of a
    Panda grid, 970 299 voxels: 1.4 vs 4.2 ms)."""
    return np.flatnonzero(values != 0)


def pair_codes(manipulability: np.ndarray) -> np.ndarray:
    """The uint64 code ``1 + bits(float16(m))`` of manipulabilities ``m >= 0`` (see
    :class:`CapabilityAccumulator`); ``+ 0.0`` turns a ``-0.0`` into ``+0.0`` first."""
    with np.errstate(over="ignore"):  # above float16's range (65504): +inf, still ordered
        half = (manipulability + 0.0).astype(np.float16)
    return half.view(np.uint16).astype(np.uint64) + np.uint64(1)


# Rows of the dense pair table read per step at the end of a map (a bounded temporary: 4096 · D · 2 bytes).
COMPACT_ROWS = 4096

# A merged summary keeps its reached pairs as dense rows (2 B a cell) once more than a DENSE_ROWS-th of its
# voxels' (voxel, direction) cells are reached: sparse pairs take 8 B each (see CapabilityJob.merge).
DENSE_ROWS = 4

# Per process (a Dask worker): the running per-voxel maxima of σ_min/σ_max of each job whose tasks ran here
# (the scattered job is one object in the worker's memory), raised by every summary a task or a merge here
# saw (its own and others'), so a task skips what was already beaten, as in process. Every value is the
# rounded measure of a sample of that job; dropped with the job.
RUNNING: weakref.WeakKeyDictionary[CapabilityJob, np.ndarray] = weakref.WeakKeyDictionary()
RUNNING_LOCK = threading.Lock()

# Per thread (of a Dask worker): one sparse accumulator per job, reused by the thread's next task of that job
# (CapabilityJob.run), so a task does not allocate and fault in three grid-sized arrays (23 MB on a Panda grid
# at 2 cm) and zeroes only what it touched. Each thread has its own (threads run their tasks at once); a task
# takes it out while it runs and puts it back with the voxels it touched (cleared when the next task starts,
# from the freshest floor), only if it succeeded: one that fails leaves none half-used.
# Dropped with the job (or the thread).
TASK_ACCUMULATORS = threading.local()


@dataclass(frozen=True, eq=False)
class CapabilityJob:
    """The capability map of one robot as base chunks of joint samples (see :mod:`.engines`).

    Chunk ``c`` is a pure function of ``(seed, c)``: :data:`~.sampling.BASE_CHUNK` samples (fewer in the
    last chunk) from :func:`~.sampling.chunk_samples`. In process its samples go straight into a
    :class:`CapabilityAccumulator`; on a Dask worker a task returns a compact summary (the touched
    voxels' counts and maxima, and its reached pairs packed in 8 bytes each); summaries are merged on the
    workers (:meth:`merge`) and the last one folded into the client's accumulator.
    """

    robot: Robot
    samples: int
    seed: int
    origin: np.ndarray
    voxel: float
    shape: tuple[int, int, int]
    partition: SpherePartition
    rows: tuple[int, ...]
    row_scale: np.ndarray
    col_scale: np.ndarray | None
    lo: np.ndarray
    hi: np.ndarray
    link: str | None = None
    base: int = BASE_CHUNK  # samples per base chunk; maps use BASE_CHUNK (their samples depend on it)

    label = "capability map"

    @property
    def n_chunks(self) -> int:
        return -(-self.samples // self.base)

    @property
    def n_voxels(self) -> int:
        return int(np.prod(self.shape))

    def pose_and_jacobian(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Tool positions and z axes ``(3, N)`` and world Jacobians ``(6, n, N)`` (the batch last, as
        :func:`gram` wants it) from one kernel pass per block of :data:`robokin.kinematics.BLOCK`
        configurations (cache-sized, as :func:`robokin.fk` does)."""
        N = q.shape[0]
        p, z, J = np.empty((3, N)), np.empty((3, N)), np.empty((6, self.robot.n, N))
        for start in range(0, N, BLOCK):
            stop = min(start + BLOCK, N)
            self._block(q[start:stop], p[:, start:stop], z[:, start:stop], J[..., start:stop])
        return p, z, J

    def pose_and_gram(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Tool positions and z axes ``(3, N)`` and the packed Gram matrices ``(k (k + 1) / 2, N)`` of the
        scaled task Jacobians (:func:`gram_matrix`), block by block (:data:`robokin.kinematics.BLOCK`): each
        block's Jacobians go into the Gram matrices while they are in cache. The same numbers, bit for bit, as
        :func:`gram_matrix` of :meth:`pose_and_jacobian` (its sums run over the joints, never over the batch)."""
        N, k = q.shape[0], len(self.rows)
        p, z, G = np.empty((3, N)), np.empty((3, N)), np.empty((k * (k + 1) // 2, N))
        J = np.empty((6, self.robot.n, min(BLOCK, N)))
        for start in range(0, N, BLOCK):
            stop = min(start + BLOCK, N)
            J_block = J if stop - start == J.shape[-1] else np.empty(J.shape[:2] + (stop - start,))
            self._block(q[start:stop], p[:, start:stop], z[:, start:stop], J_block)
            gram_matrix(J_block, self.rows, self.row_scale, self.col_scale, out=G[:, start:stop])
        return p, z, G

    def _block(self, q: np.ndarray, p: np.ndarray, z: np.ndarray, J: np.ndarray) -> None:
        """One block's tool positions and z axes ``(3, B)`` and world Jacobians ``(6, n, B)``, written into
        ``p``, ``z`` and ``J``: :func:`robokin.kinematics.path_pose_and_jacobian`'s numbers (bit for bit,
        through :func:`robokin.kinematics.pose_and_jacobian_into` where it applies)."""
        path = self.robot.link_path(self.link)
        if path.identity and path.chain is not None and q.shape[0] >= SMALL_BATCH:
            pose_and_jacobian_into(path.chain, q, p, z, J)
            return
        T, J_rows = path_pose_and_jacobian(path, q)  # (B, 3, 4), (B, 6, n)
        p[...] = T[:, :, 3].T
        z[...] = T[:, :, 2].T
        J[...] = np.transpose(J_rows, (1, 2, 0))

    def chunk(self, c: int, acc: CapabilityAccumulator) -> np.ndarray:
        """Fold base chunk ``c``'s per-voxel counts and maxima into ``acc``; return its reached pairs as
        sorted unique uint64 ``(voxel · D + direction) << 16 | code`` (the largest code per pair)."""
        count = min(self.base, self.samples - c * self.base)
        q = chunk_samples(self.lo, self.hi, self.seed, c, count)  # (N, n)
        p, z, G = self.pose_and_gram(q)
        ijk = np.floor((p - self.origin[:, None]) / self.voxel).astype(np.int64)  # (3, N)
        ijk = np.clip(ijk, 0, np.array(self.shape)[:, None] - 1)  # the grid holds the reach ball; rounding only
        voxel = np.ravel_multi_index(ijk, self.shape)  # (N,)
        direction = self.partition.index(z.T, normalized=True)  # (N,) approach: the tool z axis
        manipulability, bound = np.empty(count), np.empty(count)
        for start in range(0, count, SCREEN_BLOCK):  # (elementwise per sample: the same numbers in any blocks)
            stop = min(start + SCREEN_BLOCK, count)
            manipulability[start:stop], bound[start:stop] = scaled_measures(lower(G[:, start:stop]), SCREEN_STEPS, 0)
        np.add.at(acc.counts, voxel, 1)
        np.maximum.at(acc.manipulability, voxel, manipulability)
        acc.exact += raise_packed(G, voxel, bound, acc.inverse_condition)
        key = (voxel * self.partition.count + direction).astype(np.uint64)
        return unique_max((key << np.uint64(16)) | pair_codes(manipulability))

    # ------------------------------------------------------------------ the engine protocol (.engines)
    def start(self) -> CapabilityAccumulator:
        """The accumulator of the whole map: dense per voxel and per (voxel, direction)."""
        return CapabilityAccumulator(self.n_voxels, self.partition.count, dense_pairs=True)

    def run_into(self, acc: CapabilityAccumulator, chunks: Sequence[int]) -> None:
        """In process: fold base chunks ``chunks`` straight into ``acc``."""
        for c in chunks:
            acc.add_pairs(self.chunk(c, acc))

    def run(self, chunks: Sequence[int]) -> dict[str, np.ndarray]:
        """A task on a worker: the compact summary of base chunks ``chunks``.

        The task starts from this process's running maxima of the job (:data:`RUNNING`: what earlier tasks
        and merges here saw) and adds its own to them when done. That only saves work: every value is the
        rounded measure of a sample of this map, so a sample that cannot beat it cannot change the result.
        """
        kept = getattr(TASK_ACCUMULATORS, "by_job", None)
        if kept is None:
            kept = TASK_ACCUMULATORS.by_job = weakref.WeakKeyDictionary()
        last = kept.pop(self, None)  # (this thread's accumulator and the voxels its last task here touched)
        with RUNNING_LOCK:  # (the floor is copied)
            floor = RUNNING.get(self)
            if last is None:
                acc = CapabilityAccumulator(
                    self.n_voxels, self.partition.count, dense_pairs=False, floor=floor, pages=True
                )
            else:
                acc, touched = last
                acc.clear(touched, floor)
        for c in chunks:
            acc.add_pairs(self.chunk(c, acc))
        summary = self.summary(acc)
        self.seen(summary)
        kept[self] = (acc, summary["voxel"])  # (not if the task failed: a half-used one is dropped)
        return summary

    def summary(self, acc: CapabilityAccumulator) -> dict[str, np.ndarray]:
        """The compact summary of a sparse accumulator: per touched voxel (sorted) its count and maxima, the
        reached pairs (sorted unique uint64 ``key << 16 | code``) and the number of exact values computed."""
        voxels = nonzero_voxels(acc.counts)
        return {
            "voxel": voxels,
            "count": acc.counts[voxels],
            "manipulability": acc.manipulability[voxels],
            "inverse_condition": acc.inverse_condition[voxels],
            "pairs": acc.merge(),
            "exact": np.array(acc.exact),
        }

    def merge(self, summaries: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """The summary of the union of ``summaries``' chunks (disjoint chunk sets): per voxel counts add and
        maxima take the maximum, pair sets unite with the larger code (exact, whatever their order and
        grouping: integer sums, and maxima of values >= +0.0, never NaN or -0.0).

        The reached pairs stay sparse (``"pairs"``, 8 B each) while at most a :data:`DENSE_ROWS`-th of the
        summary's (voxel, direction) cells are reached; beyond, they are ``"rows"``, ``(R, D)`` uint16 codes
        of the summary's R voxels (2 B a cell: a merged summary of a big map is then at most R · D · 2 bytes,
        190 MB for a Panda at 2 cm × 288, not 8 B for each of its 71 million pairs). The form is chosen by the
        merged pairs' count alone, so it too does not depend on the order or the grouping.
        """
        if len(summaries) == 1:
            return summaries[0]
        D = self.partition.count
        # the union of the voxel lists, marked in a grid-sized table, and each summary scattered into it at its
        # (unique) positions, looked up in a grid-sized index (of which only the touched pages are mapped)
        every = np.concatenate([s["voxel"] for s in summaries])
        touched = np.zeros(self.n_voxels, bool)
        touched[every] = True
        voxel = np.flatnonzero(touched)
        position = np.empty(self.n_voxels, np.intp)
        position[voxel] = np.arange(voxel.size)
        at = position[every]
        # one unbuffered ufunc.at per column over all the summaries (exact: integer sums and maxima, in any order)
        count = np.zeros(voxel.size, np.int64)
        np.add.at(count, at, np.concatenate([s["count"] for s in summaries]))
        maxima = {name: np.zeros(voxel.size) for name in ("manipulability", "inverse_condition")}
        for name, best in maxima.items():
            np.maximum.at(best, at, np.concatenate([s[name] for s in summaries]))
        out: dict[str, np.ndarray] = {"voxel": voxel, "count": count, **maxima}
        out["exact"] = np.array(sum(int(s["exact"]) for s in summaries))
        cells = voxel.size * D
        if all("pairs" in s for s in summaries) and DENSE_ROWS * sum(s["pairs"].size for s in summaries) <= cells:
            out["pairs"] = unique_max(np.concatenate([s["pairs"] for s in summaries]), sorted_runs=True)
            return out
        rows = np.zeros((voxel.size, D), np.uint16)
        cell = rows.reshape(-1)  # (a view)
        for s in summaries:
            if "rows" in s:
                at = position[s["voxel"]]
                rows[at] = np.maximum(rows[at], s["rows"])
            else:  # a pair's flat cell in rows: position[v] · D + direction = key + (position[v] - v) · D
                key = (s["pairs"] >> np.uint64(16)).astype(np.intp)  # (keys < V · D: no overflow)
                v = key // D
                v -= position[v]
                v *= D
                key -= v
                codes = (s["pairs"] & np.uint64(0xFFFF)).astype(np.uint16)
                np.maximum(cell[key], codes, out=codes)  # (the keys of one summary are unique)
                cell[key] = codes
        if DENSE_ROWS * np.count_nonzero(rows) > cells:
            out["rows"] = rows
        else:
            reached = np.flatnonzero(rows)  # row-major: sorted by voxel · D + direction, as the packed pairs are
            key = (voxel[reached // D] * D + reached % D).astype(np.uint64)
            out["pairs"] = (key << np.uint64(16)) | rows.reshape(-1)[reached].astype(np.uint64)
        return out

    def seen(self, summary: dict[str, np.ndarray]) -> None:
        """Raise this process's running maxima of the job (:data:`RUNNING`) to a summary's: later tasks
        here then skip the samples that cannot beat them (work saved, result unchanged)."""
        v = summary["voxel"]
        with RUNNING_LOCK:
            running = RUNNING.get(self)
            if running is None:  # (not setdefault: that zeroed a grid-sized array at every call, ~2 ms on a Panda)
                running = RUNNING[self] = np.zeros(self.n_voxels)
            running[v] = np.maximum(running[v], summary["inverse_condition"])

    def fold(self, acc: CapabilityAccumulator, summary: dict[str, np.ndarray]) -> None:
        """Fold a summary into ``acc``: counts add, maxima take the maximum (exact, any order)."""
        v = summary["voxel"]
        acc.counts[v] += summary["count"]
        acc.manipulability[v] = np.maximum(acc.manipulability[v], summary["manipulability"])
        acc.inverse_condition[v] = np.maximum(acc.inverse_condition[v], summary["inverse_condition"])
        if "rows" in summary:
            acc.add_rows(v, summary["rows"])
        else:
            acc.add_pairs(summary["pairs"])
        acc.exact += int(summary["exact"])

    def finish(self, acc: CapabilityAccumulator) -> CapabilityMap:
        """The map from the accumulator: per reached voxel, its reached directions and their best
        manipulability (sparse, :class:`~.maps.CapabilityMap`)."""
        if acc.spent:
            raise ValueError("finish takes the accumulator of start(), once (its pairs become the map's)")
        D = self.partition.count
        reached = nonzero_voxels(acc.counts)
        per_voxel = np.zeros(reached.size, np.int64)  # reached directions of each reached voxel
        pairs = acc.merge(final=True)
        if acc.codes is None:  # sorted unique key << 16 | code, key = voxel · D + direction
            keys = pairs >> np.uint64(16)
            voxel = keys // np.uint64(D)
            directions = (keys - voxel * np.uint64(D)).astype(np.uint16)
            values = ((pairs & np.uint64(0xFFFF)).astype(np.uint16) - np.uint16(1)).view(np.float16)
            per_voxel[:] = np.bincount(voxel.astype(np.intp), minlength=self.n_voxels)[reached]
        else:  # the dense table's rows of the reached voxels, in blocks: counted, then gathered
            codes = acc.codes.reshape(-1, D)  # (V, D)
            for i in range(0, reached.size, COMPACT_ROWS):
                per_voxel[i : i + COMPACT_ROWS] = np.count_nonzero(codes[reached[i : i + COMPACT_ROWS]], axis=1)
            total = int(per_voxel.sum())
            directions, codes_out = np.empty(total, np.uint16), np.empty(total, np.uint16)
            at = 0
            for i in range(0, reached.size, COMPACT_ROWS):
                rows = codes[reached[i : i + COMPACT_ROWS]]
                row, column = np.nonzero(rows)
                directions[at : at + row.size] = column
                codes_out[at : at + row.size] = rows[row, column]
                at += row.size
            codes_out -= np.uint16(1)  # the float16 bits
            values = codes_out.view(np.float16)
        starts = np.zeros(reached.size + 1, np.int64)
        np.cumsum(per_voxel, out=starts[1:])
        reachability = np.zeros(self.n_voxels)
        reachability[reached] = per_voxel / D
        acc.codes, acc.pairs, acc.spent = None, [], True
        for array in (acc.counts, acc.manipulability, acc.inverse_condition, reachability, reached, starts):
            array.flags.writeable = False  # the map keeps these arrays (no copy); the accumulator is spent
        directions.flags.writeable = values.flags.writeable = False
        return CapabilityMap(
            robot=self.robot.name,
            link=self.robot.resolve_link(self.link),
            origin=self.origin,
            voxel=self.voxel,
            shape=self.shape,
            directions=D,
            samples=self.samples,
            seed=self.seed,
            counts=acc.counts.reshape(self.shape),
            reachability=reachability.reshape(self.shape),
            max_manipulability=acc.manipulability.reshape(self.shape),
            max_inverse_condition=acc.inverse_condition.reshape(self.shape),
            pair_voxels=reached,
            pair_starts=starts,
            pair_directions=directions,
            pair_values=values,
        )


# Bytes per voxel of a capability map in process: the accumulator's counts and two maxima, the finished map's
# reachability, and the merges' index (8 bytes each), with a reserve for one base chunk's arrays.
VOXEL_BYTES = 48

# The most samples of a map: 2⁴⁰ (1.1·10¹²) is 140 times the 8·10⁹ a 1 cm Panda map needs, and 3.4·10⁷ base
# chunks (tasks are made as they run: engines.TaskGroups).
MAX_SAMPLES = 2**40


def check_samples(samples: Any, name: str = "samples") -> int:
    """``samples`` of a capability map (named ``name`` in the message, e.g. ``prune_samples``) as an int from 1 to
    :data:`MAX_SAMPLES`; OptionError otherwise."""
    samples = positive_int(samples, name)
    if samples > MAX_SAMPLES:
        raise OptionError(
            f"{name}={samples:.3g} is more than a map takes ({MAX_SAMPLES:.3g}, 2**40: about 25 days of one core "
            f"at 2 µs a sample); choose fewer {name}"
        )
    return samples


def capability_job(
    robot: Robot, samples: int, voxel: float, directions: int, seed: int, link: str | None = None
) -> CapabilityJob:
    """The job of :func:`capability_map` (arguments validated)."""
    check_robot(robot)
    samples = check_samples(samples)
    seed = check_seed(seed)
    link = moving_link(robot, link)
    origin, shape = grid(robot, voxel, None if robot.serial and link == robot.default_link else link)
    check_memory(
        VOXEL_BYTES * math.prod(shape),
        f"a grid of {math.prod(shape):.3g} voxels ({voxel} m for {robot.name!r}, {VOXEL_BYTES} bytes each)",
        "choose a larger voxel",
    )
    partition = sphere_partition(directions)
    rows = task_rows(robot, link)
    row_scale, col_scale = unit_scales(robot)
    lo, hi = robot.sampling_bounds.T
    return CapabilityJob(
        robot,
        samples,
        seed,
        origin,
        float(voxel),
        shape,
        partition,
        tuple(rows),
        row_scale[list(rows)],
        None if np.all(col_scale == 1.0) else col_scale,
        lo,
        hi,
        link,
    )


def capability_map(
    robot: Robot,
    samples: int = 10**6,
    voxel: float = 0.02,
    directions: int = 288,
    link: str | None = None,
    seed: int = 0,
    engine: Any = None,
    chunk_size: int | None = None,
) -> CapabilityMap:
    """The capability map of the robot's tool, from ``samples`` joint configurations.

    Samples are uniform within the joint limits (±π rad or ±L m where a joint is unlimited), drawn in
    base chunks of :data:`~.sampling.BASE_CHUNK` with one spawned seed each
    (``SeedSequence(seed, spawn_key=(chunk,))``); each lands in the voxel of its tool origin and in the
    direction cell of its tool **z axis** (the approach direction). The result is bit-identical whatever
    the engine, the number of workers and ``chunk_size``. ``max_manipulability`` is exact (to rounding);
    ``max_inverse_condition`` is rounded to 11 significant bits, relative error <= 2⁻¹¹
    (:attr:`~.maps.CapabilityMap.max_inverse_condition`).

    Args:
        robot: The robot.
        samples: Joint-space samples, 1 to :data:`MAX_SAMPLES` (an integral float like ``1e8`` is accepted).
        voxel: Voxel edge [m]; the grid is a cube about the arm's reach ball
            (:func:`~.sampling.grid`), independent of the samples.
        directions: Approach-direction cells of the equal-area sphere partition (Zacharias used 200;
            288 cells are about 12° across).
        link: The frame mapped (a name of ``robot.frame_names``, e.g. one hand of a tree robot); None: the
            robot's one end effector. The grid then holds that frame's reach (:func:`~.sampling.reach`),
            and the task Jacobian is that frame's.
        seed: Seed, 0 to 2**64 - 1.
        engine: None (in process, with a progress bar on a terminal), a ``dask.distributed.Client``, a
            scheduler address ``"tcp://HOST:PORT"``, or an engine from :mod:`.engines`.
        chunk_size: Samples per task, rounded to whole base chunks; default: the engine's choice. Changes
            the grouping of work, never the result.

    Returns:
        A :class:`~.maps.CapabilityMap`.

    Raises:
        OptionError: ``robot`` not a Robot; a non-positive ``samples`` or more than :data:`MAX_SAMPLES`, ``voxel`` or ``directions``, ``directions`` above
            :data:`~.sampling.MAX_DIRECTIONS`, a bad ``seed``, ``link`` not a frame of the robot (or None on a robot with several end effectors, or a frame no joint moves), an unknown engine, a
            closed Dask client, or a Dask engine without dask installed.
    """
    job = capability_job(robot, samples, voxel, directions, seed, link)
    if chunk_size is not None:
        chunk_size = positive_int(chunk_size, "chunk_size")
    result: CapabilityMap = resolve_engine(engine).run(job, chunk_size)
    return result
