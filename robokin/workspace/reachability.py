"""Reachability maps by IK over a pose grid: every (voxel centre, orientation) pose within reach, solved.

Like Reuleaux (Makhal & Goins, "Reuleaux: robot base placement by reachability analysis", IRC 2018): a
pose per voxel centre and per cell of an equal-area sphere of approach directions (the tool z axis, roll
fixed), each solved by inverse kinematics; here as batches, in chunks with their own spawned seeds, so the
map is the same on any engine. Poses that cannot be reached are pruned first, since failing IK is the
slowest case (every restart is spent): centres outside the reach ball (:func:`~.sampling.reach`), then
(voxel, direction) cells that no sample of a capability map reached, nor an adjacent cell in a neighbouring
voxel. Where the frame is the tool of an arm with an analytic family, every solution comes from the closed form
(:func:`robokin.ik.solve_all`, a sweep of the parameter joint of a 7-joint arm) and only the poses it leaves
unsolved go to the damped least squares, so an unreachable pose costs a few closed-form evaluations and
one short DLS attempt instead of all of its restarts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .. import ik, spatial, validation
from ..errors import NoAnalyticSolutionError, OptionError
from ..measures import manipulability
from ..model import check_robot
from ..singularity import scaled_jacobian
from .capability import capability_map, check_samples
from .engines import reduce_by_key, resolve_engine
from .maps import CapabilityMap, ReachabilityMap, check_map
from .sampling import (
    check_memory,
    check_seed,
    chunk_rng,
    grid,
    moving_link,
    positive_int,
    reach,
    rotations_with_z,
    sphere_partition,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Robot

__all__ = [
    "DEFAULT_IK_OPTIONS",
    "MAX_ADJACENT",
    "MAX_POSES",
    "METHODS",
    "PARAMETER_GRID",
    "POSE_CHUNK",
    "reachability_map",
]

Method = Literal["auto", "analytic", "dls"]
METHODS: tuple[str, ...] = ("auto", "analytic", "dls")

# Poses per base chunk of IK: large enough that a batch amortises the solvers' per-pass overhead (on the
# Panda 1024 poses per chunk cost 1.36x the CPU time of 4096, 8192 1.23x: the DLS's batches get slower), small
# enough that a chunk's restarts do not wait on one hard pose for long.
POSE_CHUNK = 4096

# A pose not solved from its starts and 4 restarts counts as unreachable: a trade of a few missed poses for
# time, since each unreachable pose that survives pruning would otherwise spend all 100 default restarts.
# Measured on the Panda at 5 cm x 50 (an evenly spaced 1/200 of the poses kept by the voxel pruning, after
# the closed form's 8-value sweep left 3520 unsolved): 2 / 4 / 8 restarts solve 430 / 441 / 445 of them in
# 0.83 / 1.14 / 1.76 s; a pose of the planar 3R arm well inside its workspace needs 3.
DEFAULT_IK_OPTIONS = ik.IKOptions(max_restarts=4)

# The most grid poses (voxels x directions) of a reachability map: it stores them densely (attempted, success:
# 1 byte each; manipulability: 8 bytes), so 10⁸ poses are ~1 GB, with its temporaries ~2 GB. The Panda at
# 5 cm x 50 has 3.4·10⁶, at 2 cm x 50 4.9·10⁷; at 2 cm x 288 it would have 2.8·10⁸.
MAX_POSES = 10**8

# Values of a 7-joint arm's parameter joint swept by the closed form (evenly over its range, as
# :func:`robokin.ik.solve_all` does); the poses whose solutions all lie between them go to the DLS.
PARAMETER_GRID = 8


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
    closed_form: bool  # solve by ik.solve_all first
    dls: bool  # the damped least squares for what the closed form leaves (or for every pose)

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

    def answers(self, c: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Base chunk ``c``'s pose ids ``(M,)``, IK answers ``q`` ``(M, n)`` and ``success`` ``(M,)`` (see
        :func:`solve_poses`; ``q`` of a pose not solved is the DLS's closest, or zeros)."""
        ids = self.pose_ids[c * self.base : (c + 1) * self.base]
        q, success = solve_poses(
            self.robot,
            self.poses(ids),
            self.link,
            self.options,
            chunk_rng(self.seed, c),
            closed_form=self.closed_form,
            dls=self.dls,
        )
        return ids, q, success

    def chunk(self, c: int) -> dict[str, np.ndarray]:
        ids, q, success = self.answers(c)
        # The measure is the answer's, as it is: the best of the closed-form solutions (best_closed_form), else
        # the DLS's one answer. At a pose where every solution is singular (some axis-aligned grid poses are) it
        # is 0 exactly, where DLS reports the small positive value of an answer within its tolerance of the
        # singular one.
        measure = np.zeros(ids.size)
        if success.any():
            measure[success] = manipulability(scaled_jacobian(self.robot, q[success], link=self.link))
        return {"pose": ids, "success": success, "manipulability": measure}

    def run(self, chunks: Sequence[int]) -> dict[str, np.ndarray]:
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


def measure_squared(J: np.ndarray) -> np.ndarray:
    """The square of the manipulability of ``J`` ``(..., k, n)``: ``det(J Jᵀ)`` (``det(Jᵀ J)`` for a tall J).

    Ranks solutions by the manipulability (the product of the singular values, whose square it is) at a tenth
    of the cost of their SVD; the map records the SVD's value at the solution it picks.
    """
    G = J @ J.mT if J.shape[-2] <= J.shape[-1] else J.mT @ J
    return np.linalg.det(G)


def best_closed_form(robot: Robot, T: np.ndarray, link: str, options: ik.IKOptions) -> tuple[np.ndarray, np.ndarray]:
    """The closed-form answer ``(M, n)`` of each pose ``(M, 4, 4)`` of maximal measure, and whether it has one ``(M,)``.

    Every valid solution of :func:`robokin.ik.solve_all` (a 7-joint arm's parameter joint swept over
    :data:`PARAMETER_GRID` values of its range) is checked again by ``robot.fk`` against the IK options'
    tolerances, as :func:`robokin.ik.solve` checks every answer; of those verified, the answer is the one
    whose unit-free task Jacobian (:func:`robokin.singularity.scaled_jacobian`) has the largest
    manipulability (ties: the first in ``solve_all``'s order).
    """
    sols = ik.solve_all(robot, T, grid=PARAMETER_GRID)  # (a 6-joint arm has no parameter: grid unused)
    pose, slot = np.nonzero(sols.valid)  # every valid solution, pose-major
    Q = np.asarray(sols.q[pose, slot])  # (S, n)
    error = spatial.pose_error(T[pose], robot.fk(Q))  # (S, 6)
    ok = np.linalg.norm(error[:, :3], axis=-1) <= ik.position_tolerance(robot, options)
    ok &= np.linalg.norm(error[:, 3:], axis=-1) <= options.rotation_tolerance
    pose, Q = pose[ok], Q[ok]
    q = np.zeros((T.shape[0], robot.n))
    found = np.zeros(T.shape[0], bool)
    if pose.size:
        rank = measure_squared(scaled_jacobian(robot, Q, link=link))  # (S,)
        order = np.lexsort((-rank, pose))  # per pose, the largest measure first (stable: ties in slot order)
        first = order[np.r_[True, pose[order][1:] != pose[order][:-1]]]
        q[pose[first]] = Q[first]
        found[pose[first]] = True
    return q, found


def solve_poses(
    robot: Robot,
    T: np.ndarray,
    link: str,
    options: ik.IKOptions,
    rng: np.random.Generator,
    *,
    closed_form: bool,
    dls: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """IK of poses ``T`` ``(M, 4, 4)`` of ``link`` as a map solves them: answers ``q`` ``(M, n)`` and
    ``success`` ``(M,)``.

    With ``closed_form`` (see :func:`closed_form_applies`) first :func:`best_closed_form`; then, with
    ``dls``, the damped least squares of :func:`robokin.ik.solve` (``method="dls"``, ``options``, restarts
    from ``rng``) for the poses still unsolved. Every success is checked by ``robot.fk`` against the
    tolerances of ``options``; ``q`` of a pose not solved is the DLS's closest, or zeros.
    """
    q = np.zeros((T.shape[0], robot.n))
    success = np.zeros(T.shape[0], bool)
    if closed_form:
        q, success = best_closed_form(robot, T, link, options)
    rest = np.flatnonzero(~success)
    if dls and rest.size:
        result = ik.solve(robot, T[rest], options=options, seed=rng, method="dls", link=link)
        q[rest] = result.q
        success[rest] = np.asarray(result.success, dtype=bool)
    return q, success


# Voxels per block of the pruning lookups (27 neighbours each): bounds its temporaries to ~20 MB; fewer where the
# (voxel, direction) rows are long, so that a block holds at most PRUNE_CELLS cells (~80 MB as float32).
PRUNE_BLOCK = 16384
PRUNE_CELLS = 2**24
# The most (capability map direction, pose direction) pairs of the pruning's adjacency table (1 + 4 bytes each):
# 288 x 288 are 83 000; 65536 x 65536 would be 21 GB.
MAX_ADJACENT = 2**27
# Direction cells whose centres lie within this many cell widths of a pose's direction count as its
# neighbours in the pruning (1.5: the cells that share an edge or a corner with it, not the next ring).
ADJACENT_CELLS = 1.5
NEIGHBOURS = np.stack(np.meshgrid(*[[-1, 0, 1]] * 3, indexing="ij"), axis=-1).reshape(-1, 3)  # (27, 3)


def sampled_pairs(capability: CapabilityMap, p_world: np.ndarray, u_world: np.ndarray) -> np.ndarray:
    """Whether the capability map reached each direction ``u_world`` ``(D, 3)``, or a direction of an adjacent
    cell, in the voxel of each point ``p_world`` ``(V, 3)`` [m] or in one of its 26 neighbours: ``(V, D)`` bool.

    A sampled map under-covers: its cells near the edge of the workspace hold few samples, and a pose at a
    voxel's centre with its cell's centre direction is reached by samples that land around it, in position and
    in direction. The neighbourhoods make up for that. Measured on the Panda at 5 cm x 50 with 10⁶ samples:
    with the voxel neighbourhood alone, 30 of an evenly spaced 5034 of the pruned poses were solvable (all of
    them in sparsely sampled voxels at the edge of the workspace); the adjacent direction cells as well kept
    all 30 for 16 % more attempted poses (``benchmarks/workspace.py --only ik`` checks it again).
    """
    _, rows_of = capability.pair_rows()  # rows of the (R, Dc) table, NaN where not reached
    partition = sphere_partition(capability.directions)
    cell = partition.index(u_world)  # (D,) the map's cell of each direction
    # adjacent cells: centres within 1.5 cell widths (a cell of area 4π/Dc is about sqrt(4π/Dc) rad across)
    width = np.sqrt(4.0 * np.pi / capability.directions)
    adjacent = partition.centres @ partition.centres[cell].T >= np.cos(ADJACENT_CELLS * width)  # (Dc, D)
    out = np.zeros((p_world.shape[0], cell.size), bool)
    if capability.pair_voxels.size == 0:
        return out
    block = max(1, min(PRUNE_BLOCK, PRUNE_CELLS // max(capability.directions, cell.size)))  # (b, Dc), (b, D) bounded
    for s in range(0, p_world.shape[0], block):
        around = p_world[s : s + block, None, :] + NEIGHBOURS * capability.voxel  # (b, 27, 3)
        index, inside = capability.voxel_index(around)
        row = np.minimum(np.searchsorted(capability.pair_voxels, index), capability.pair_voxels.size - 1)
        found = inside & (capability.pair_voxels[row] == index)  # (b, 27)
        near = np.zeros((around.shape[0], capability.directions), bool)
        for k in range(NEIGHBOURS.shape[0]):  # 27 passes over (b, Dc): a Python loop over neighbours only
            hit = found[:, k]
            near[hit] |= ~np.isnan(rows_of(row[hit, k]))
        out[s : s + block] = near.astype(np.float32) @ adjacent.astype(np.float32) > 0  # (b, D)
    return out


def closed_form_applies(robot: Robot, link: str, options: ik.IKOptions) -> bool:
    """Whether :func:`robokin.ik.solve_all` solves the poses of ``link``: the tool of a serial arm with an
    analytic family, the full pose (all weights equal) and no velocity limit (the rule of ``ik.solve``'s
    ``method="auto"``, except that a map takes a search family's exact solutions first too, where ``auto``
    tries the damped least squares first for speed)."""
    return (
        robot.chain is not None
        and link == robot.default_link
        and ik.analytic_family(robot).applies
        and len(set(options.weights)) == 1
        and options.dt is None
    )


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
    method: str = "auto",
) -> ReachabilityJob:
    """The poses :func:`reachability_map` solves for the frame ``link`` (resolved), after pruning, and how
    (arguments validated by it)."""
    closed = method != "dls" and closed_form_applies(robot, link, options)
    if method == "analytic" and not closed:
        family = ik.analytic_family(robot) if robot.chain is not None else None
        if link == robot.default_link and family is not None and not family.applies:
            reason = f"robot {robot.name!r} has no analytic IK family: {family.reason}"
        else:
            reason = (
                f"frame {link!r} of robot {robot.name!r} is not a serial arm's tool with a closed form for these "
                "options (the full pose, no velocity limit)"
            )
        raise NoAnalyticSolutionError(f"method='analytic' needs a closed form: {reason} (use 'auto' or 'dls')")
    # the grid and reach ball of capability_map's rule: a serial robot's tool keeps the robot's own grid
    grid_link = None if robot.serial and link == robot.default_link else link
    origin, shape = grid(robot, voxel, grid_link)
    poses = math.prod(shape) * directions
    if poses > MAX_POSES:
        raise OptionError(
            f"voxel={voxel} m and directions={directions} give {math.prod(shape):.3g} voxels x {directions} = "
            f"{poses:.3g} grid poses for {robot.name!r}; a reachability map holds at most {MAX_POSES:.0e} (stored "
            "densely, ~10 bytes each): choose a larger voxel or fewer directions"
        )
    # attempted, success (1 byte), manipulability and its merge (8 + 8) per pose; voxel centres and distances per voxel
    check_memory(
        18 * poses + 80 * math.prod(shape),
        f"a reachability map of {poses:.3g} grid poses ({voxel} m x {directions} directions for {robot.name!r})",
        "choose a larger voxel or fewer directions",
    )
    partition = sphere_partition(directions)
    pruning = directions if capability is None else capability.directions
    if pruning * directions > MAX_ADJACENT:  # (before the pruning map is sampled)
        raise OptionError(
            f"directions={directions} with a pruning capability map of {pruning} directions needs a table of "
            f"{pruning} x {directions} direction pairs (5 bytes each); at most {MAX_ADJACENT:.3g}: choose fewer "
            "directions (or a capability map with fewer)"
        )
    centre, radius = reach(robot, grid_link)
    p = origin + (np.stack(np.meshgrid(*[np.arange(s) for s in shape], indexing="ij"), -1) + 0.5) * voxel
    p = p.reshape(-1, 3)
    voxels = np.flatnonzero(np.linalg.norm(p - centre, axis=-1) <= radius * (1.0 + 1e-12))
    if capability is None:
        capability = capability_map(
            robot, samples=prune_samples, voxel=voxel, directions=directions, link=link, seed=seed, engine=engine
        )
    keep = sampled_pairs(capability, p[voxels], partition.centres)  # (V, D)
    if not any(options.weights[3:]):  # a position-only task: every orientation of a reached voxel is the same task
        keep[:] = keep.any(axis=1, keepdims=True)
    v, d = np.nonzero(keep)
    pose_ids = voxels[v] * directions + d  # sorted: row-major over (voxel, direction)
    return ReachabilityJob(
        robot,
        pose_ids,
        origin,
        float(voxel),
        shape,
        rotations_with_z(partition.centres),
        options,
        seed,
        link,
        closed,
        method != "analytic",
    )


def reachability_map(
    robot: Robot,
    voxel: float = 0.05,
    directions: int = 50,
    *,
    capability: CapabilityMap | None = None,
    prune_samples: int = 10**6,
    options: ik.IKOptions | None = None,
    link: str | None = None,
    method: Method = "auto",
    seed: int = 0,
    engine: Any = None,
    chunk_size: int | None = None,
) -> ReachabilityMap:
    """Solve IK at every (voxel centre, direction) pose within reach and record success and quality.

    Pruning before IK: a pose is attempted only if its voxel's centre is inside the reach ball and the
    capability map (``capability``, or one of ``prune_samples`` samples on this grid) reached its direction
    cell or an adjacent one, in its voxel or in one of the 26 neighbours (a sampled map under-covers the thin
    boundary of the workspace; the neighbourhoods make up for it, see :func:`sampled_pairs`); for a
    position-only task (``options.weights`` free the rotation) every direction of a voxel kept. The other poses
    count as not reached (``attempted`` is False there).

    How a pose is solved (``method``), like :func:`robokin.ik.solve`'s ``method``:

    - ``"auto"`` (default): where ``link`` is the tool of a serial arm with an analytic family
      (:func:`robokin.ik.analytic_family`) and ``options`` ask for the full pose without velocity limits,
      every closed-form solution (:func:`robokin.ik.solve_all`; a 7-joint arm's parameter joint at
      :data:`PARAMETER_GRID` values over its range), each checked by ``robot.fk`` against the tolerances of
      ``options``; the answer is the verified one of largest manipulability (:func:`best_closed_form`). The
      poses it leaves unsolved (a 7-joint arm's solutions may lie between the swept values), and every pose
      of any other arm or frame, by the damped least squares of :func:`robokin.ik.solve` (``method="dls"``,
      ``options``), whose one answer is checked by ``robot.fk`` likewise.
    - ``"analytic"``: the closed form only (faster; a 7-joint arm's poses solvable only between the swept
      parameter values count as not reached).
    - ``"dls"``: the damped least squares only.

    The measure recorded per pose (``manipulability``) is the manipulability (product of the singular values)
    of the unit-free task Jacobian ``[v/L; ω] J`` (:func:`robokin.singularity.scaled_jacobian`) at the
    answer: the best over the verified closed-form solutions where the closed form solved the pose (for a
    7-joint arm, the best over the swept parameter values), else at the DLS's answer.

    Args:
        robot: The robot.
        voxel: Voxel edge [m]; the grid of :func:`~.sampling.grid`.
        directions: Orientations per voxel: the cells of the equal-area sphere partition; the pose's tool z
            axis is the cell's centre direction (roll about it fixed, see
            :func:`~.sampling.rotations_with_z`).
        capability: A capability map of this robot and frame to prune with (any grid and directions);
            default: one is sampled on this grid.
        prune_samples: Samples of that default capability map.
        options: IK settings; default :data:`DEFAULT_IK_OPTIONS` (4 restarts).
        link: The frame whose poses are solved (a name of ``robot.frame_names``, e.g. one hand of a tree
            robot, by :func:`robokin.ik.solve` with ``link=``); None: the robot's one end effector.
        method: ``"auto"``, ``"analytic"`` or ``"dls"`` (see above).
        seed: Seed >= 0 of the IK restarts (per chunk, spawned) and of the pruning map.
        engine: As for :func:`~.capability.capability_map`.
        chunk_size: Poses per task, rounded to whole base chunks of :data:`POSE_CHUNK`.

    Returns:
        A :class:`~.maps.ReachabilityMap`.

    Raises:
        OptionError: ``robot`` not a Robot; bad ``voxel``, ``directions``, ``seed``, ``options``, ``capability``,
            ``prune_samples`` (without ``capability``), ``link`` (also a frame no joint moves), ``method``
            or engine; a grid of more than :data:`MAX_POSES` poses; more than :data:`MAX_ADJACENT` pairs of
            ``directions`` and the pruning map's directions.
        NoAnalyticSolutionError: ``method="analytic"`` where the closed form does not apply (the message says
            why).
    """
    link = moving_link(check_robot(robot), link)
    validation.choice(method, "method", METHODS)
    seed = check_seed(seed)
    D = positive_int(directions, "directions")
    options = DEFAULT_IK_OPTIONS if options is None else options
    if not isinstance(options, ik.IKOptions):
        raise OptionError(f"options must be an IKOptions, got {type(options).__name__}")
    capability = check_map(capability, CapabilityMap, "capability", robot.name, link)
    if capability is None:  # (the pruning map is made: named here, not as capability_map's samples)
        prune_samples = check_samples(prune_samples, "prune_samples")
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
        method=method,
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
