"""Base placement by inverse reachability: score candidate base poses by the targets they reach, and how well.

Vahrenkamp, Asfour & Dillmann, "Robot placement based on reachability inversion" (ICRA 2013): a target
``T_world_target`` is reachable from a base pose ``B`` when the target seen from the base,
``B⁻¹ T_world_target``, falls in a reached cell of the robot's capability map, and the map's quality
there says how well. They invert the map once per target to vote for base poses; here the same score is
computed directly as one batched lookup of every (candidate, target) pair in the map, which gives the
identical sum for every candidate of the grid.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .. import validation
from ..errors import OptionError
from ..spatial import inverse, rot_z
from .capability import capability_map
from .maps import BasePlacement, CapabilityMap
from .sampling import check_seed, positive_int, positive_length, reach

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Robot

__all__ = ["base_placement"]

# (candidate, yaw, target) lookups per block: bounds the memory of the scoring to ~100 MB.
LOOKUP_BLOCK = 1_000_000


def base_placement(
    robot: Robot,
    T_world_targets: npt.ArrayLike,
    *,
    capability: CapabilityMap | None = None,
    link: str | None = None,
    step: float | None = None,
    yaws: int = 8,
    top: int = 5,
    samples: int = 10**6,
    voxel: float = 0.05,
    directions: int = 50,
    seed: int = 0,
    engine: Any = None,
) -> BasePlacement:
    """The best base poses for reaching the targets: most targets reached, then highest summed quality.

    Candidates: base positions on an x-y grid (spacing ``step``) at the robot's base height, covering
    every position within reach of some target, each turned by ``yaws`` evenly spaced angles about the
    world z axis (the base's own orientation otherwise kept). A target counts as reached from a candidate
    when its (voxel, direction) cell in the capability map of the frame ``link``, seen from that base, was
    reached by a sample; its quality is the cell's best manipulability. The base is the robot's root frame
    (``robot.base``): for a tree robot (``link`` one of its hands) the whole robot moves with it.

    Args:
        robot: The robot; its ``base`` pose is the one the capability map was built with.
        T_world_targets: ``(K, 4, 4)`` or ``(4, 4)`` target poses of the frame ``link``.
        capability: The robot's capability map of ``link`` (default: one of ``samples`` samples at ``voxel``,
            ``directions``, ``seed``, on ``engine``).
        link: The frame placed on the targets (a name of ``robot.frame_names``, e.g. one hand of a tree
            robot); None: the robot's one end effector.
        step: Candidate grid spacing [m] (default: the map's voxel).
        yaws: Number of base rotations about world z, >= 1.
        top: How many of the best bases to return, >= 1.
        samples, voxel, directions, seed, engine: For the default capability map. A target counts only if
            its own (voxel, direction) cell was sampled, so the map must hold several samples per cell: 10⁶
            samples of the Panda at 5 cm reach 45 % of the cells of its reached voxels with 50 directions, 13 %
            with 288, where the score becomes speckle and the best bases the lucky ones.

    Returns:
        A :class:`~.maps.BasePlacement`.

    Raises:
        ShapeError / ConventionError: bad targets. OptionError: bad ``step``, ``yaws``, ``top``, ``link``
        (None on a robot with several end effectors: the message lists them), or a ``capability`` that is not
        a map of this robot and frame.
    """
    link = robot.resolve_link(link)
    T = validation.transforms(T_world_targets, "T_world_targets")
    targets = T.reshape(-1, 4, 4)
    if targets.shape[0] == 0:
        raise OptionError("T_world_targets must hold at least one target pose, got none")
    yaws = positive_int(yaws, "yaws")
    top = positive_int(top, "top")
    if capability is None:
        capability = capability_map(
            robot,
            samples=samples,
            voxel=voxel,
            directions=directions,
            link=link,
            seed=check_seed(seed),
            engine=engine,
        )
    elif not isinstance(capability, CapabilityMap):
        raise OptionError(f"capability must be a CapabilityMap or None, got {type(capability).__name__}")
    elif capability.robot != robot.name:
        raise OptionError(f"capability is a map of {capability.robot!r}, not of {robot.name!r}")
    elif capability.link != link:
        raise OptionError(f"capability is a map of frame {capability.link!r}, not of {link!r}")
    step = capability.voxel if step is None else positive_length(step, "step")
    start = time.perf_counter()

    T_world_base0 = np.asarray(robot.base.matrix)
    # the reach ball of capability_map's rule: a serial robot's tool keeps the robot's own ball
    centre, radius = reach(robot, None if robot.serial and link == robot.default_link else link)
    offset = centre - T_world_base0[:3, 3]  # reach centre relative to the base, world axes
    span = radius + np.linalg.norm(offset[:2])
    lo = targets[:, :2, 3].min(axis=0) - span
    hi = targets[:, :2, 3].max(axis=0) + span
    xs = np.arange(lo[0], hi[0] + 0.5 * step, step)
    ys = np.arange(lo[1], hi[1] + 0.5 * step, step)
    psi = np.arange(yaws) * (2.0 * np.pi / yaws)
    # Candidate B = Trans(x, y, z0) · Rz(ψ) · R_base0; the target as the map sees it is
    # T_world_base0 · B⁻¹ · T_world_target.
    B = np.zeros((xs.size, ys.size, yaws, 4, 4))
    B[..., :3, :3] = rot_z(psi) @ T_world_base0[:3, :3]
    B[..., 0, 3] = xs[:, None, None]
    B[..., 1, 3] = ys[None, :, None]
    B[..., 2, 3] = T_world_base0[2, 3]
    B[..., 3, 3] = 1.0
    M = (T_world_base0 @ inverse(B)).reshape(-1, 4, 4)  # (C, 4, 4)
    K = targets.shape[0]
    reached = np.zeros(M.shape[0], np.int64)
    score = np.zeros(M.shape[0])
    per_block = max(1, LOOKUP_BLOCK // K)
    for s in range(0, M.shape[0], per_block):
        seen = M[s : s + per_block, None] @ targets  # (c, K, 4, 4)
        quality = capability.quality_at(seen)
        hit = capability.reached_at(seen)
        reached[s : s + per_block] = hit.sum(axis=-1)
        score[s : s + per_block] = quality.sum(axis=-1)
    order = np.lexsort((-score, -reached))[:top]  # most reached first, then score
    B_flat = B.reshape(-1, 4, 4)
    seconds = time.perf_counter() - start
    return BasePlacement(
        robot=robot.name,
        link=link,
        positions=B[:, :, 0, :3, 3].copy(),
        yaws=psi,
        reached=reached.reshape(xs.size, ys.size, yaws),
        score=score.reshape(xs.size, ys.size, yaws),
        targets=targets,
        best=B_flat[order],
        best_reached=reached[order],
        best_score=score[order],
        seconds=seconds,
    )
