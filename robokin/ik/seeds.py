"""The seed table of a robot: fixed configurations with their poses, for starts near a target's pose."""

from __future__ import annotations

import weakref
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
    """Configurations within the limits, their poses and Jacobians from one provider, and search features.

    Attributes:
        q: ``(K, n)`` configurations [rad, m].
        T: ``(K, 3, 4)`` their poses, top rows ``[R p]`` of ``T_world_frame``.
        J: ``(K, 6, n)`` their world Jacobians.
        features: ``(13, K)`` float32 ``[p/L; R row-major; −‖p/L‖²]`` for the nearest-pose search.
    """

    q: np.ndarray
    T: np.ndarray
    J: np.ndarray
    features: np.ndarray

    def nearest(self, query: np.ndarray, k: int) -> np.ndarray:
        """Indices ``(M, k)`` (``k <= K``) of the entries nearest each target, nearest first.

        ``query`` ``(M, 13)`` is a task's :meth:`~robokin.ik.tasks.FramePoseTask.seed_query`; ``query @
        features`` is ``2 p*·p/L² + tr(R*ᵀR) − ‖p‖²/L²`` (terms as weighted), the negative of
        ``‖p* − p‖²/L² + 3 − tr(R*ᵀR)`` (``3 − tr = 2 (1 − cos θ) ≈ θ²``) up to a constant: a ranking, so in
        single precision.
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


_TABLES: weakref.WeakKeyDictionary[Robot, SeedTable] = weakref.WeakKeyDictionary()


def seed_table(robot: Robot, provider: PoseProvider, lower: np.ndarray, upper: np.ndarray, length: float) -> SeedTable:
    """The robot's :class:`SeedTable` for its tool, built at its first use and cached (robots are immutable).

    Args:
        robot: The robot (the cache key).
        provider: Pose and Jacobian of the tool.
        lower: ``(n,)`` finite sampling bounds [rad, m] (the limits; a range for unlimited joints).
        upper: ``(n,)``.
        length: ``L`` [m], the robot's characteristic length.
    """
    table = _TABLES.get(robot)
    if table is None:
        q = lower + (upper - lower) * np.random.default_rng(SEED).random((SIZE, lower.shape[0]))
        T, J = provider(q)  # (K, 3, 4), (K, 6, n)
        p = T[:, :3, 3] / length
        table = SeedTable(
            q=q,
            T=T,
            J=J,
            features=np.concatenate([p.T, T[:, :3, :3].reshape(-1, 9).T, -np.einsum("ij,ij->i", p, p)[None]]).astype(
                np.float32
            ),
        )
        _TABLES[robot] = table
    return table
