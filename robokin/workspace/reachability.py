"""Reachability maps by IK over a pose grid: every (voxel centre, orientation) pose within reach, solved.

Like Reuleaux (Makhal & Goins, "Reuleaux: robot base placement by reachability analysis", IRC 2018): a
pose per voxel centre and per cell of an equal-area sphere of approach directions (the tool z axis, roll
fixed), each solved by inverse kinematics; here all of them as batches of :func:`robokin.ik.solve`, in
chunks with their own spawned seeds, so the map is the same on any engine. Poses that cannot be reached
are pruned first, since failing IK is the slowest case (every restart is spent): centres outside the
reach ball (:func:`~.sampling.reach`), then voxels whose neighbourhood no sample of a capability map
reached.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import ik
from ..errors import OptionError
from ..measures import manipulability
from ..singularity import scaled_jacobian
from .capability import capability_map
from .engines import reduce_by_key, resolve_engine
from .maps import CapabilityMap, ReachabilityMap
from .sampling import (
    check_seed,
    chunk_rng,
    grid,
    positive_int,
    reach,
    rotations_with_z,
    sphere_partition,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Robot

__all__ = ["DEFAULT_IK_OPTIONS", "POSE_CHUNK", "reachability_map"]

# Poses per base chunk of IK: large enough that a batch amortises the solver's per-pass overhead, small
# enough that a chunk's restarts do not wait on one hard pose for long.
POSE_CHUNK = 512

# A pose not solved from its starts and 8 restarts counts as unreachable: a trade of a few missed poses for
# time, since each unreachable pose that survives pruning would otherwise spend all 100 default restarts.
DEFAULT_IK_OPTIONS = ik.IKOptions(max_restarts=8)


@dataclass(frozen=True, eq=False)
class ReachabilityJob:
    """IK over the attempted poses, in base chunks of :data:`POSE_CHUNK` (see :mod:`.engines`)."""

    robot: Robot
    pose_ids: np.ndarray  # (P,) sorted flat ids voxel · D + direction of the attempted poses
    origin: np.ndarray
    voxel: float
    shape: tuple[int, int, int]
    rotations: np.ndarray  # (D, 3, 3)
    options: ik.IKOptions
    seed: int
    link: str  # the frame solved for (a name of robot.frame_names)

    label = "reachability map"
    base = POSE_CHUNK

    @property
    def n_chunks(self) -> int:
        return -(-self.pose_ids.size // self.base)

    # the engine protocol (.engines): the accumulator is the list of summaries (disjoint pose sets)
    def start(self) -> list[dict[str, np.ndarray]]:
        return []

    def run_into(self, acc: list[dict[str, np.ndarray]], chunks: Sequence[int]) -> None:
        acc.append(self.run(chunks))

    def state(self, acc: list[dict[str, np.ndarray]]) -> None:
        return None

    def fold(self, acc: list[dict[str, np.ndarray]], summary: dict[str, np.ndarray]) -> None:
        acc.append(summary)

    def finish(self, acc: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        return self.merge(acc)

    def poses(self, ids: np.ndarray) -> np.ndarray:
        """``T_world_link`` ``(len(ids), 4, 4)`` of flat pose ids."""
        D = self.rotations.shape[0]
        ijk = np.stack(np.unravel_index(ids // D, self.shape), axis=-1)
        T = np.zeros((ids.size, 4, 4))
        T[:, :3, :3] = self.rotations[ids % D]
        T[:, :3, 3] = self.origin + (ijk + 0.5) * self.voxel
        T[:, 3, 3] = 1.0
        return T

    def chunk(self, c: int) -> dict[str, np.ndarray]:
        ids = self.pose_ids[c * self.base : (c + 1) * self.base]
        # method="auto": the closed form where the arm has an analytic family (several times faster than
        # damped least squares), DLS otherwise. The measure is the answer's, as it is: at a pose where every
        # solution is singular (some axis-aligned grid poses are) it is 0 exactly, where DLS reported the
        # small positive value of an answer within its tolerance of the singular one.
        seed = chunk_rng(self.seed, c)
        result = ik.solve(self.robot, self.poses(ids), options=self.options, seed=seed, method="auto", link=self.link)
        measure = manipulability(scaled_jacobian(self.robot, result.q, link=self.link))
        success = np.asarray(result.success, dtype=bool)
        return {"pose": ids, "success": success, "manipulability": np.where(success, measure, 0.0)}

    def run(self, chunks: Sequence[int], state: None = None) -> dict[str, np.ndarray]:
        return self.merge([self.chunk(c) for c in chunks])

    def merge(self, summaries: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """Exact merge of disjoint pose sets: sorted by pose id."""
        if not summaries:
            return {"pose": np.zeros(0, np.int64), "success": np.zeros(0, bool), "manipulability": np.zeros(0)}
        if len(summaries) == 1:
            return summaries[0]
        cat = {name: np.concatenate([s[name] for s in summaries]) for name in ("pose", "success", "manipulability")}
        out = reduce_by_key(
            cat["pose"],
            {"success": (cat["success"], np.logical_or), "manipulability": (cat["manipulability"], np.maximum)},
        )
        return {"pose": out["key"], "success": out["success"], "manipulability": out["manipulability"]}


def _near_reached(capability: CapabilityMap, p_world: np.ndarray) -> np.ndarray:
    """Whether the capability map has samples in the voxel of each point ``(N, 3)`` or a neighbouring one."""
    offsets = np.stack(np.meshgrid(*[[-1, 0, 1]] * 3, indexing="ij"), axis=-1).reshape(-1, 3) * capability.voxel
    return np.asarray((capability.value_at("counts", p_world[:, None, :] + offsets) > 0).any(axis=-1))


def reachability_job(
    robot: Robot,
    voxel: float,
    directions: int,
    *,
    capability: CapabilityMap | None,
    prune_samples: int,
    options: ik.IKOptions,
    seed: int,
    engine: Any,
    link: str,
) -> ReachabilityJob:
    """The poses :func:`reachability_map` solves for the frame ``link`` (resolved), after pruning (arguments
    validated by it)."""
    # the grid and reach ball of capability_map's rule: a serial robot's tool keeps the robot's own grid
    grid_link = None if robot.serial and link == robot.default_link else link
    origin, shape = grid(robot, voxel, grid_link)
    partition = sphere_partition(directions)
    centre, radius = reach(robot, grid_link)
    p = origin + (np.stack(np.meshgrid(*[np.arange(s) for s in shape], indexing="ij"), -1) + 0.5) * voxel
    p = p.reshape(-1, 3)
    keep = np.linalg.norm(p - centre, axis=-1) <= radius * (1.0 + 1e-12)
    if capability is None:
        capability = capability_map(
            robot, samples=prune_samples, voxel=voxel, directions=directions, link=link, seed=seed, engine=engine
        )
    keep[keep] = _near_reached(capability, p[keep])
    voxels = np.flatnonzero(keep)
    pose_ids = (voxels[:, None] * directions + np.arange(directions)).reshape(-1)
    return ReachabilityJob(
        robot, pose_ids, origin, float(voxel), shape, rotations_with_z(partition.centres), options, seed, link
    )


def reachability_map(
    robot: Robot,
    voxel: float = 0.05,
    directions: int = 50,
    *,
    capability: CapabilityMap | None = None,
    prune_samples: int = 200_000,
    options: ik.IKOptions | None = None,
    link: str | None = None,
    seed: int = 0,
    engine: Any = None,
    chunk_size: int | None = None,
) -> ReachabilityMap:
    """Solve IK at every (voxel centre, direction) pose within reach and record success and quality.

    Pruning before IK: a voxel is attempted only if its centre is inside the reach ball and the capability
    map (``capability``, or one of ``prune_samples`` samples on this grid) has samples in it or in one of
    its 26 neighbours (a sampled map under-covers the thin boundary of the workspace; the neighbourhood
    makes up for it). Every direction of an attempted voxel is solved.

    Args:
        robot: The robot.
        voxel: Voxel edge [m]; the grid of :func:`~.sampling.grid`.
        directions: Orientations per voxel: the cells of the equal-area sphere partition; the pose's tool z
            axis is the cell's centre direction (roll about it fixed, see
            :func:`~.sampling.rotations_with_z`).
        capability: A capability map of this robot to prune with (any grid); default: one is sampled.
        prune_samples: Samples of that default capability map.
        options: IK settings; default :data:`DEFAULT_IK_OPTIONS` (8 restarts).
        link: The frame whose poses are solved (a name of ``robot.frame_names``, e.g. one hand of a tree
            robot, by :func:`robokin.ik.solve` with ``link=``); None: the robot's one end effector.
        seed: Seed >= 0 of the IK restarts (per chunk, spawned) and of the pruning map.
        engine: As for :func:`~.capability.capability_map`.
        chunk_size: Poses per task, rounded to whole base chunks of :data:`POSE_CHUNK`.

    Returns:
        A :class:`~.maps.ReachabilityMap`.

    Raises:
        OptionError: bad ``voxel``, ``directions``, ``seed``, ``options``, ``capability``, ``link`` or engine.
    """
    link = robot.resolve_link(link)
    seed = check_seed(seed)
    D = positive_int(directions, "directions")
    options = DEFAULT_IK_OPTIONS if options is None else options
    if not isinstance(options, ik.IKOptions):
        raise OptionError(f"options must be an IKOptions, got {type(options).__name__}")
    if capability is not None and not isinstance(capability, CapabilityMap):
        raise OptionError(f"capability must be a CapabilityMap or None, got {type(capability).__name__}")
    if capability is not None and capability.robot != robot.name:
        raise OptionError(f"capability is a map of {capability.robot!r}, not of {robot.name!r}")
    if capability is not None and capability.link != link:
        raise OptionError(f"capability is a map of frame {capability.link!r}, not of {link!r}")
    if chunk_size is not None:
        chunk_size = positive_int(chunk_size, "chunk_size")
    engine = resolve_engine(engine)
    job = reachability_job(
        robot,
        voxel,
        D,
        capability=capability,
        prune_samples=prune_samples,
        options=options,
        seed=seed,
        engine=engine,
        link=link,
    )
    pose_ids, origin, shape = job.pose_ids, job.origin, job.shape
    start = time.perf_counter()
    if pose_ids.size:
        summary = engine.run(job, chunk_size)
    else:
        summary = {"pose": pose_ids, "success": np.zeros(0, bool), "manipulability": np.zeros(0)}
    seconds = time.perf_counter() - start
    V = int(np.prod(shape))
    attempted = np.zeros(V * D, bool)
    attempted[pose_ids] = True
    success: np.ndarray = np.zeros(V * D, bool)
    success[summary["pose"]] = summary["success"]
    measure = np.zeros(V * D)
    measure[summary["pose"]] = summary["manipulability"]
    success = success.reshape(tuple(shape) + (D,))
    return ReachabilityMap(
        robot=robot.name,
        link=link,
        origin=origin,
        voxel=float(voxel),
        shape=shape,
        directions=D,
        seed=seed,
        attempted=attempted.reshape(success.shape),
        success=success,
        manipulability=measure.reshape(success.shape),
        reachability=success.mean(axis=-1),
        seconds=seconds,
    )
