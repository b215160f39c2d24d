"""Capability maps by sampling joint space: per voxel, how often, from how many directions and how well.

A capability map (Zacharias, Borst & Hirzinger, "Capturing robot workspace structure: representing robot
capabilities", IROS 2007) records, per voxel of the workspace, which approach directions of an equal-area
sphere partition the tool reaches; their fraction is the voxel's *reachability index*. Here the poses come
from sampling joint space uniformly within the limits (forward kinematics and the Jacobian, batched), and
each voxel also keeps the best manipulability and inverse condition number of the unit-free task Jacobian
seen there, and each reached (voxel, direction) pair its best manipulability.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..kinematics import fk, jacobian
from ..measures import task_rows, unit_scales
from .engines import reduce_by_key, resolve_engine
from .maps import CapabilityMap
from .sampling import (
    BASE_CHUNK,
    SpherePartition,
    check_link,
    check_seed,
    chunk_samples,
    grid,
    positive_int,
    sphere_partition,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Robot

__all__ = ["DENSE_FLOOR_VOXELS", "CapabilityJob", "capability_map", "scaled_measures"]

# A pivot of the LDLᵀ factorisation of J_s J_sᵀ below this fraction of its largest diagonal entry counts as
# zero: the task Jacobian is then rank-deficient to within σ_min/σ_max < ~3e-7 and its manipulability is 0.
PIVOT_TOL = 1e-13

# Margins that keep the cheap upper bound of σ_min/σ_max above the value eigvalsh computes, rounding
# included (eigvalsh's eigenvalues are accurate to a few eps · λ_max): relative and absolute (in λ/λ_max).
BOUND_REL, BOUND_ABS = 1e-9, 1e-12

# Steps of inverse and power iteration behind the bound of σ_min/σ_max (see scaled_measures): more steps
# make the bound tighter, so fewer samples need the exact value (a LAPACK eigvalsh per matrix, ~4 µs). Panda, 32768 random samples: with 2 + 1 steps the bound exceeds
# the exact value by a median factor 1.076 (90th percentile 1.22); with 4 + 3 by 1.025 (1.11), with 8 + 5
# by 1.008 (1.07) at twice the cost of the bound.
INVERSE_STEPS, POWER_STEPS = 4, 3

# Per-voxel running maxima of σ_min/σ_max (used to skip samples that cannot raise them) are kept densely
# up to this many voxels (8 bytes each); larger grids skip nothing.
DENSE_FLOOR_VOXELS = 50_000_000


def gram(
    J: np.ndarray, rows: Sequence[int], row_scale: np.ndarray, col_scale: np.ndarray | None
) -> list[list[np.ndarray]]:
    """Lower triangle of ``A = J_s J_sᵀ`` for ``J_s = diag(row_scale) J[rows] diag(col_scale)``.

    Args:
        J: ``(N, 6, n)`` Jacobians.
        rows: The k task rows.
        row_scale: ``(k,)``.
        col_scale: ``(n,)``, or None for all ones.

    Returns:
        ``A[i][j]`` ``(N,)`` for ``k > i >= j``.
    """
    Jc = np.ascontiguousarray(np.moveaxis(J, 0, -1))  # (6, n, N): each row's columns contiguous over N
    if col_scale is not None:
        Jc *= col_scale[None, :, None]
    k = len(rows)
    return [
        [(Jc[rows[i]] * Jc[rows[j]]).sum(axis=0) * (row_scale[i] * row_scale[j]) for j in range(i + 1)]
        for i in range(k)
    ]


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


def scaled_measures(A: list[list[np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
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
    for j in range(k):
        s = A[j][j].copy()
        for p in range(j):
            s -= L[j][p] * L[j][p] * d[p]
        good = s > tiny
        d.append(np.where(good, s, 0.0))
        inv_d.append(np.where(good, 1.0 / np.where(good, s, 1.0), 0.0))
        det *= d[j]
        for i in range(j + 1, k):
            t = A[i][j].copy()
            for p in range(j):
                t -= L[i][p] * L[j][p] * d[p]
            L[i][j] = t * inv_d[j]
    manipulability = np.sqrt(det)

    def solve(b: list[np.ndarray]) -> list[np.ndarray]:  # (L D Lᵀ)⁺ b, a pseudo-solve where a pivot was 0
        x = [b[0]]
        for i in range(1, k):
            x.append(b[i] - sum(L[i][p] * x[p] for p in range(i)))
        x = [x[i] * inv_d[i] for i in range(k)]
        for i in range(k - 2, -1, -1):
            x[i] = x[i] - sum(L[p][i] * x[p] for p in range(i + 1, k))
        return x

    def unit(x: list[np.ndarray]) -> list[np.ndarray]:
        norm = np.sqrt(sum(a * a for a in x))
        inv = np.where(norm > 0.0, 1.0 / np.where(norm > 0.0, norm, 1.0), 0.0)
        return [a * inv for a in x]

    ones = np.ones_like(scale)
    y = [ones * (-1.0) ** i for i in range(k)]
    for _ in range(INVERSE_STEPS):  # inverse iteration towards the eigenvector of λ_min
        y = unit(solve(y))
    z = [ones] * k
    for _ in range(POWER_STEPS):  # power iteration towards the eigenvector of λ_max
        z = unit(_matvec(A, z))
    lam_min = _rayleigh(A, y)  # >= λ_min (up to rounding)
    lam_max = _rayleigh(A, z)  # <= λ_max
    lam_min = np.where(np.isfinite(lam_min), np.minimum(lam_min, diag.min(axis=0)), diag.min(axis=0))
    lam_max = np.where(np.isfinite(lam_max), np.maximum(lam_max, scale), scale)
    positive = lam_max > 0.0
    ratio = (np.maximum(lam_min, 0.0) + BOUND_ABS * lam_max) / np.where(positive, lam_max, 1.0) * (1.0 + BOUND_REL)
    bound = np.where(positive, np.sqrt(np.minimum(ratio, 1.0 + BOUND_REL)), 0.0)
    return manipulability, bound


def inverse_condition_exact(A: list[list[np.ndarray]], rows: np.ndarray) -> np.ndarray:
    """``σ_min/σ_max = √(λ_min/λ_max)`` of the Gram matrices ``A`` (lower triangle) at ``rows`` ``(c,)``."""
    k = len(A)
    M = np.empty((rows.size, k, k))
    for i in range(k):
        for j in range(i + 1):
            M[:, i, j] = M[:, j, i] = A[i][j][rows]
    w = np.linalg.eigvalsh(M)  # (c, k) ascending
    top = w[:, -1]
    return np.where(top > 0.0, np.sqrt(np.clip(w[:, 0], 0.0, None) / np.where(top > 0.0, top, 1.0)), 0.0)


def _empty_summary() -> dict[str, np.ndarray]:
    empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0)
    return {
        "voxel": empty_i,
        "count": empty_i,
        "manipulability": empty_f,
        "inverse_condition": empty_f,
        "pair": empty_i,
        "pair_manipulability": np.zeros(0, np.float32),
    }


@dataclass(frozen=True, eq=False)
class CapabilityJob:
    """The capability map of one robot as base chunks of joint samples (see :mod:`.engines`).

    Chunk ``c`` is a pure function of ``(seed, c)``: :data:`~.sampling.BASE_CHUNK` samples (fewer in the
    last chunk) from :func:`~.sampling.chunk_samples`. Its summary is a sparse table per voxel (count,
    maxima) and per reached (voxel, direction) pair (best manipulability), merged exactly.
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
    base: int = BASE_CHUNK  # samples per base chunk; maps use BASE_CHUNK (their samples depend on it)

    label = "capability map"

    @property
    def n_chunks(self) -> int:
        return -(-self.samples // self.base)

    @property
    def n_voxels(self) -> int:
        return int(np.prod(self.shape))

    def new_state(self, start: np.ndarray | None = None) -> np.ndarray | None:
        """Running per-voxel maxima of σ_min/σ_max (a copy of ``start``, else zeros): samples whose bound is
        below them are not computed. Valid because every value in it is the exact σ_min/σ_max of a sample
        of this map, whose summary is merged into the result."""
        if self.n_voxels > DENSE_FLOOR_VOXELS:
            return None
        return np.zeros(self.n_voxels) if start is None else start.copy()

    def state_from(self, summary: dict[str, np.ndarray]) -> np.ndarray | None:
        """The running maxima of a merged summary, for tasks that start after it (see :meth:`new_state`)."""
        if self.n_voxels > DENSE_FLOOR_VOXELS:
            return None
        floor = np.zeros(self.n_voxels)
        floor[summary["voxel"]] = summary["inverse_condition"]
        return floor

    def chunk(self, c: int, floor: np.ndarray | None) -> dict[str, np.ndarray]:
        """The summary of base chunk ``c``; ``floor`` (updated in place) only lets it skip work."""
        count = min(self.base, self.samples - c * self.base)
        q = chunk_samples(self.lo, self.hi, self.seed, c, count)  # (N, n)
        T = fk(self.robot, q)  # (N, 4, 4)
        J = jacobian(self.robot, q)  # (N, 6, n)
        ijk = np.floor((T[:, :3, 3] - self.origin) / self.voxel).astype(np.int64)
        ijk = np.clip(ijk, 0, np.array(self.shape) - 1)  # the grid holds the reach ball; rounding only
        voxel = np.ravel_multi_index(ijk.T, self.shape)  # (N,)
        direction = self.partition.index(T[:, :3, 2], normalized=True)  # (N,) approach: the tool z axis
        A = gram(J, self.rows, self.row_scale, self.col_scale)
        manipulability, bound = scaled_measures(A)
        # σ_min/σ_max only where it could raise the voxel's maximum; elsewhere 0, which cannot change the
        # merged maximum (the floor is a maximum over computed samples of the same map).
        ic = np.zeros(count)
        todo = np.flatnonzero(bound > floor[voxel]) if floor is not None else np.arange(count)
        ic[todo] = inverse_condition_exact(A, todo)
        # One stable sort by pair key = voxel · D + direction also sorts by voxel.
        D = self.partition.count
        key = voxel * D + direction
        order = np.argsort(key, kind="stable")
        key = key[order]
        new_pair = np.concatenate([[True], key[1:] != key[:-1]])
        pair_starts = np.flatnonzero(new_pair)
        vox = key // D
        voxel_starts = np.flatnonzero(np.concatenate([[True], vox[1:] != vox[:-1]]))
        m_sorted = manipulability[order]
        voxels = vox[voxel_starts]
        ic_max = np.maximum.reduceat(ic[order], voxel_starts)
        if floor is not None:
            floor[voxels] = np.maximum(floor[voxels], ic_max)
        return {
            "voxel": voxels,
            "count": np.diff(np.append(voxel_starts, count)).astype(np.int64),
            "manipulability": np.maximum.reduceat(m_sorted, voxel_starts),
            "inverse_condition": ic_max,
            "pair": key[pair_starts],
            "pair_manipulability": np.maximum.reduceat(m_sorted, pair_starts).astype(np.float32),
        }

    def run(self, chunks: Sequence[int], state: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """The merged summary of base chunks ``chunks``."""
        return self.merge([self.chunk(c, state) for c in chunks])

    def merge(self, summaries: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """Exact merge: counts add, maxima take the maximum (order-independent, bit-identical)."""
        if not summaries:
            return _empty_summary()
        if len(summaries) == 1:
            return summaries[0]
        cat = {name: np.concatenate([s[name] for s in summaries]) for name in summaries[0]}
        voxels = reduce_by_key(
            cat["voxel"],
            {
                "count": (cat["count"], np.add),
                "manipulability": (cat["manipulability"], np.maximum),
                "inverse_condition": (cat["inverse_condition"], np.maximum),
            },
        )
        pairs = reduce_by_key(cat["pair"], {"m": (cat["pair_manipulability"], np.maximum)})
        return {
            "voxel": voxels["key"],
            "count": voxels["count"],
            "manipulability": voxels["manipulability"],
            "inverse_condition": voxels["inverse_condition"],
            "pair": pairs["key"],
            "pair_manipulability": pairs["m"],
        }

    def to_map(self, summary: dict[str, np.ndarray]) -> CapabilityMap:
        """The dense per-voxel map from a merged summary."""
        V, D = self.n_voxels, self.partition.count
        counts = np.zeros(V, np.int64)
        best_m, best_ic = np.zeros(V), np.zeros(V)
        counts[summary["voxel"]] = summary["count"]
        best_m[summary["voxel"]] = summary["manipulability"]
        best_ic[summary["voxel"]] = summary["inverse_condition"]
        reachability = np.bincount(summary["pair"] // D, minlength=V) / D
        return CapabilityMap(
            robot=self.robot.name,
            origin=self.origin,
            voxel=self.voxel,
            shape=self.shape,
            directions=D,
            samples=self.samples,
            seed=self.seed,
            counts=counts.reshape(self.shape),
            reachability=reachability.reshape(self.shape),
            max_manipulability=best_m.reshape(self.shape),
            max_inverse_condition=best_ic.reshape(self.shape),
            pair_keys=summary["pair"],
            pair_manipulability=summary["pair_manipulability"],
        )


def capability_job(robot: Robot, samples: int, voxel: float, directions: int, seed: int) -> CapabilityJob:
    """The job of :func:`capability_map` (arguments validated)."""
    samples = positive_int(samples, "samples")
    seed = check_seed(seed)
    origin, shape = grid(robot, voxel)
    partition = sphere_partition(directions)
    rows = task_rows(robot)
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
        None if robot.serial_chain.revolute.all() else col_scale,
        lo,
        hi,
    )


def capability_map(
    robot: Robot,
    samples: int = 10**6,
    voxel: float = 0.02,
    directions: int = 288,
    link: None = None,
    seed: int = 0,
    engine: Any = None,
    chunk_size: int | None = None,
) -> CapabilityMap:
    """The capability map of the robot's tool, from ``samples`` joint configurations.

    Samples are uniform within the joint limits (±π rad or ±L m where a joint is unlimited), drawn in
    base chunks of :data:`~.sampling.BASE_CHUNK` with one spawned seed each
    (``SeedSequence(seed, spawn_key=(chunk,))``); each lands in the voxel of its tool origin and in the
    direction cell of its tool **z axis** (the approach direction). The result is bit-identical whatever
    the engine, the number of workers and ``chunk_size``.

    Args:
        robot: The robot.
        samples: Joint-space samples, >= 1 (an integral float like ``1e8`` is accepted).
        voxel: Voxel edge [m]; the grid is a cube about the arm's reach ball
            (:func:`~.sampling.grid`), independent of the samples.
        directions: Approach-direction cells of the equal-area sphere partition (Zacharias used 200;
            288 cells are about 12° across).
        link: Must be None: the robot's end effector (other links come with tree robots).
        seed: Seed >= 0.
        engine: None (in process, with a progress bar on a terminal), a ``dask.distributed.Client``, a
            scheduler address ``"tcp://HOST:PORT"``, or an engine from :mod:`.engines`.
        chunk_size: Samples per task, rounded to whole base chunks; default: the engine's choice. Changes
            the grouping of work, never the result.

    Returns:
        A :class:`~.maps.CapabilityMap`.

    Raises:
        OptionError: a non-positive ``samples``, ``voxel`` or ``directions``, a bad ``seed``, ``link`` not
            None, an unknown engine, or a Dask engine without dask installed.
    """
    check_link(link)
    job = capability_job(robot, samples, voxel, directions, seed)
    if chunk_size is not None:
        chunk_size = positive_int(chunk_size, "chunk_size")
    summary = resolve_engine(engine).run(job, chunk_size)
    return job.to_map(summary)
