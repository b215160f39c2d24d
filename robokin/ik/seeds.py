"""The seed tables of a robot: fixed configurations with the poses of the tasks' frames, for starts near the
targets (one table per tuple of frames: the tool, or the frames of several tasks)."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .tasks import PoseProvider

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Robot

__all__ = ["SeedTable", "seed_table", "SIZE", "SEED"]

# Entries of a table and the seed of its configurations (uniform within the limits). Why 2048: see
# benchmarks/ik_tuning.md (nearest-pose starts).
SIZE = 2048
SEED = 0
# Up to this many ranks by repeated argmax (0.3 ms each for 1000 targets) rather than argpartition (6 ms
# for 1000 targets whatever the rank).
_ARGMAX_RANKS = 10


@dataclass(frozen=True, eq=False)
class SeedTable:
    """Configurations within the limits, the poses and Jacobians of k frames (one provider each), and search
    features.

    Attributes:
        q: ``(K, n)`` configurations [rad, m].
        providers: The k providers (frames) of the table.
        T: ``(K, 3, 4)`` the first frame's poses, top rows ``[R p]`` of ``T_world_frame``.
        J: ``(K, 6, n)`` its world Jacobians.
        features: ``(13 k, K)`` float32 ``[p/L; R row-major; −‖p/L‖²]`` of each frame, stacked, for the
            nearest-pose search.
        kin_all: Per provider ``(T, J)``, the first one being ``(T, J)``.
    """

    q: np.ndarray
    T: np.ndarray
    J: np.ndarray
    features: np.ndarray
    providers: tuple[PoseProvider, ...] = ()
    kin_all: tuple[tuple[np.ndarray, np.ndarray], ...] = ()

    def kin(self, i: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """The providers' outputs ``{id(provider): (T[i], J[i])}`` for entries ``i`` (what the solver's
        :meth:`~robokin.ik.solver.Problem.rows_at` reads)."""
        return {id(p): (T[i], J[i]) for p, (T, J) in zip(self.providers, self.kin_all)}

    def nearest(self, query: np.ndarray, k: int) -> np.ndarray:
        """Indices ``(M, k)`` (``k <= K``) of the entries nearest each target, nearest first.

        ``query`` ``(M, 13 k)`` is the tasks' :meth:`~robokin.ik.tasks.FramePoseTask.seed_query`, one per frame
        of the table, side by side; ``query @ features`` is the sum over the frames of ``2 p*·p/L² + tr(R*ᵀR) −
        ‖p‖²/L²`` (terms as weighted), the negative of ``Σ ‖p* − p‖²/L² + 3 − tr(R*ᵀR)`` (``3 − tr = 2 (1 −
        cos θ) ≈ θ²``) up to a constant: a ranking, so in single precision.
        """
        M = query.shape[0]
        d = query.astype(np.float32) @ self.features  # (M, K)
        if k <= _ARGMAX_RANKS and M > 1 and k < d.shape[1]:
            rows = np.arange(M)
            near = np.empty((M, k), dtype=np.intp)
            for j in range(k):
                near[:, j] = d.argmax(axis=1)
                d[rows, near[:, j]] = -np.inf
            return near
        if k < d.shape[1]:
            near = np.argpartition(d, -k, axis=1)[:, -k:]
            order = np.argsort(-np.take_along_axis(d, near, axis=1), axis=1, kind="stable")
            return np.take_along_axis(near, order, axis=1)
        return np.argsort(-d, axis=1, kind="stable")


_TABLES: weakref.WeakKeyDictionary[Robot, dict[tuple[PoseProvider, ...], SeedTable]] = weakref.WeakKeyDictionary()


def seed_table(
    robot: Robot, providers: Sequence[PoseProvider], lower: np.ndarray, upper: np.ndarray, length: float
) -> SeedTable:
    """The robot's :class:`SeedTable` for the frames of ``providers``, built at its first use and cached
    (robots are immutable; the providers are the robot's own, cached with it).

    Args:
        robot: The robot (the cache key).
        providers: Pose and Jacobian of each task's frame (the tool, or several frames of a tree).
        lower: ``(n,)`` finite sampling bounds [rad, m] (the limits; a range for unlimited joints).
        upper: ``(n,)``.
        length: ``L`` [m], the length a position is divided by.
    """
    key = tuple(providers)
    tables = _TABLES.setdefault(robot, {})
    table = tables.get(key)
    if table is None:
        q = lower + (upper - lower) * np.random.default_rng(SEED).random((SIZE, lower.shape[0]))
        kin, blocks = [], []
        for provider in key:
            T, J = provider(q)  # (K, 3, 4), (K, 6, n)
            p = T[:, :3, 3] / length
            kin.append((T, J))
            blocks += [p.T, T[:, :3, :3].reshape(-1, 9).T, -np.einsum("ij,ij->i", p, p)[None]]
        table = tables[key] = SeedTable(
            q=q,
            T=kin[0][0],
            J=kin[0][1],
            features=np.concatenate(blocks).astype(np.float32),
            providers=key,
            kin_all=tuple(kin),
        )
    return table
