"""Base placement by inverse reachability: score candidate base poses by the targets they reach, and how well.

Vahrenkamp, Asfour & Dillmann, "Robot placement based on reachability inversion" (ICRA 2013): a target
``T_world_target`` is reachable from a base pose ``B`` when the target seen from the base,
``B⁻¹ T_world_target``, falls in a reached cell of the robot's capability (or reachability) map, and the
map's quality there says how well. They invert the map once per target to vote for base poses; here the same
score is computed directly as one batched lookup of every (candidate, target) pair in the map, which gives
the identical sum for every candidate of the grid. The lookup takes the reached cells *near* each target
(:meth:`~.maps.CapabilityMap.near_quality_at`, about half a voxel and half a direction cell about it), so a
sampled map's empty cells do not punch holes in the score; the best candidates by that score are then
checked by IK of every target from them, and ranked by the targets IK reaches.
"""

from __future__ import annotations

import time
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .. import ik, validation
from ..errors import OptionError, PlausibilityWarning
from ..kinematics import path_pose_and_jacobian
from ..model import check_robot
from ..spatial import inverse, rot_z
from .capability import capability_map
from .maps import BasePlacement, CapabilityMap, ReachabilityMap, check_map
from .reachability import DEFAULT_IK_OPTIONS, closed_form_applies, solve_poses
from .sampling import check_seed, chunk_rng, moving_link, positive_int, positive_length, reach

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Robot

__all__ = ["base_placement", "grid_bases_miss"]

# (candidate, target) lookups per block: bounds the scoring's temporaries to ~100 MB.
LOOKUP_BLOCK = 2**18
# The most candidate bases (positions x yaws) scored: 16 bytes of results each, computed in blocks.
MAX_CANDIDATES = 10**7
# Candidates checked by IK per block (the best by the map's score first).
VERIFY_BLOCK = 32
# A candidate base and a target seen from it are a few float64 operations on world coordinates: each rounds by
# up to half an ulp of them, so targets are refused where 16 ulps exceed the IK position tolerance.
FAR_ULPS = 16


# Random configurations at which grid_bases_miss takes the generic ranks, and its relative rank tolerance.
RANK_PROBES, RANK_TOL = 4, 1e-8


def grid_bases_miss(
    robot: Robot, link: str | None, weights: npt.ArrayLike, frame: str = "world", seed: int = 0
) -> bool:
    """Whether the bases from which the frame ``link`` reaches a target are a thin set (a curve or a surface
    in the (x, y, yaw) of the candidate bases) that a grid of candidates meets only by chance.

    A candidate base moves the robot by x, y and a yaw ψ about the world z axis. Near a configuration ``q``
    that reaches the target, the bases that still reach it are those whose motion the arm can make up: their
    set has the full dimension 3 exactly when the base motions' effect on the constrained pose components
    (the IK ``weights``, in the world's or the target's axes) lies in the span of the arm's Jacobian rows of
    those components. That fails where the arm has fewer joints than constrained components and the base
    motions add a direction (full poses for a 5-joint arm, or a planar 2R arm's: x, y and yaw against its 2
    joints), but not for a planar 3R arm's full poses (its 3 joints span x, y and yaw), a SCARA's, or a planar
    arm's positions in its horizontal plane. Decided from the generic ranks at :data:`RANK_PROBES` random
    configurations (the least excess counts, so a singular one does not raise a false alarm); rows in units of
    the reach radius, ranks to :data:`RANK_TOL` of the largest singular value.

    Args:
        robot: The robot.
        link: The frame placed (a moving frame of the robot), None: the robot's one end effector.
        weights: ``(6,)`` IK task weights of ``[x, y, z, rx, ry, rz]`` (:attr:`robokin.ik.IKOptions.weights`).
        frame: Their axes, ``"world"`` or ``"target"`` (:attr:`robokin.ik.IKOptions.weights_frame`).
        seed: Seed of the random configurations.

    Returns:
        True when almost no grid base can reach a target by IK.
    """
    w = np.asarray(weights, dtype=float)
    constrained = np.flatnonzero(w != 0.0)
    lo, hi = robot.sampling_bounds.T
    q = chunk_rng(seed, 0).uniform(lo, hi, size=(RANK_PROBES, robot.n))
    T, J = path_pose_and_jacobian(robot.link_path(link), q)  # (N, 3, 4), (N, 6, n) world rows [v; ω]
    _, radius = reach(robot, None if robot.serial and link == robot.default_link else link)
    base = np.asarray(robot.base.matrix)[:3, 3]
    z = np.array([0.0, 0.0, 1.0])
    # the base motions as twists at the frame's origin: x and y translations, the yaw about world z through the base
    G = np.zeros((q.shape[0], 6, 3))
    G[:, 0, 0] = G[:, 1, 1] = G[:, 5, 2] = 1.0
    G[:, :3, 2] = np.cross(z, T[:, :, 3] - base)
    M = np.concatenate([J, G], axis=-1)  # (N, 6, n + 3)
    if frame == "target":  # the components along the frame's own axes
        Rt = np.swapaxes(T[:, :, :3], -1, -2)
        M = np.concatenate([Rt @ M[:, :3], Rt @ M[:, 3:]], axis=1)
    M = M * np.where(np.arange(6) < 3, 1.0 / max(radius, 1e-300), 1.0)[:, None]
    M = (w[:, None] * M)[:, constrained]
    excess = _ranks(M) - _ranks(M[..., : robot.n])
    return bool(excess.min() > 0)


def _ranks(A: np.ndarray) -> np.ndarray:
    """``(N,)`` the ranks of ``A`` ``(N, r, c)`` to :data:`RANK_TOL` of each one's largest singular value (0 for an
    empty or zero matrix)."""
    if A.shape[-1] == 0 or A.shape[-2] == 0:
        return np.zeros(A.shape[0], dtype=int)
    s = np.linalg.svd(A, compute_uv=False)  # (N, min(r, c)), descending
    return np.count_nonzero(s > RANK_TOL * s[:, :1], axis=-1) * (s[:, 0] > 0.0)


def no_grid_base_message(robot: Robot, link: str | None, options: ik.IKOptions, seed: int, checked: int) -> str:
    """What :func:`base_placement` tells when no candidate reached a target by IK because the arm has too few joints
    for the constrained pose components (:func:`grid_bases_miss`), and what to do instead."""
    constrained = int(np.count_nonzero(np.asarray(options.weights)))
    advice = (
        "place position-only targets instead (options=IKOptions(weights=POSITION_ONLY))"
        if not grid_bases_miss(robot, link, ik.POSITION_ONLY, "world", seed)
        else "free the pose components the arm cannot follow (options=IKOptions(weights=...) with 0 for them)"
    )
    return (
        f"none of the {checked} candidate bases checked by IK reaches a target: {robot.name!r} moves {link!r} with "
        f"{np.unique(robot.link_path(link).index).size} joints for {constrained} constrained pose components, so "
        "it reaches such a target only from bases on a curve or surface of (x, y, yaw) that the grid of candidates "
        f"meets only by chance; {advice}, or a finer step (it helps only as far as a candidate falls within the IK "
        "tolerance of that curve)"
    )


def base_placement(
    robot: Robot,
    T_world_targets: npt.ArrayLike,
    *,
    capability: CapabilityMap | None = None,
    reachability: ReachabilityMap | None = None,
    link: str | None = None,
    step: float | None = None,
    yaws: int = 8,
    top: int = 5,
    verify: int = 256,
    options: ik.IKOptions | None = None,
    samples: int = 10**6,
    voxel: float = 0.05,
    directions: int = 50,
    seed: int = 0,
    engine: Any = None,
) -> BasePlacement:
    """The best base poses for reaching the targets: most targets reached by IK, then highest map score.

    Candidates: base positions on an x-y grid (spacing ``step``) at the robot's base height, covering
    every position within reach of some target, each turned by ``yaws`` evenly spaced angles about the
    world z axis (the base's own orientation otherwise kept). The base is the robot's root frame
    (``robot.base``): for a tree robot (``link`` one of its hands) the whole robot moves with it.

    1. The map's score (Vahrenkamp's inverse reachability): a target counts as reached from a candidate when
       a reached cell of the map lies near the target seen from that base, within about half a voxel and half
       a direction cell (:meth:`~.maps.CapabilityMap.near_quality_at`); its quality is the best manipulability
       of those cells. ``reached`` and ``score`` hold this estimate for every candidate.
    2. IK: the candidates are taken in the order of that estimate (most targets, then score) and every target
       is solved from them (:func:`~.reachability.solve_poses`: the closed form's best solution where the arm
       has one, else the damped least squares with ``options``; each answer checked by ``robot.fk``), until
       ``top`` of them reach by IK at least as many targets as the map promises the next candidate, or
       ``verify`` candidates were solved. The best are those with the most targets reached by IK, then the
       highest map score.

    Args:
        robot: The robot; its ``base`` pose is the one the maps were built with.
        T_world_targets: ``(K, 4, 4)`` or ``(4, 4)`` target poses of the frame ``link``, K >= 1.
        capability: The robot's capability map of ``link`` to score with (default: one of ``samples``
            samples at ``voxel``, ``directions``, ``seed``, on ``engine``).
        reachability: Or its IK reachability map of ``link`` (:func:`~.reachability.reachability_map`);
            not both.
        link: The frame placed on the targets (a name of ``robot.frame_names``, e.g. one hand of a tree
            robot); None: the robot's one end effector.
        step: Candidate grid spacing [m] (default: the map's voxel).
        yaws: Number of base rotations about world z, >= 1.
        top: How many of the best bases to return, >= 1.
        verify: The most candidates solved by IK, >= ``top`` (each costs K IK problems).
        options: IK settings for the check (default :data:`~.reachability.DEFAULT_IK_OPTIONS`).
        samples, voxel, directions, seed, engine: For the default capability map; ``seed`` also seeds the
            IK restarts.

    Returns:
        A :class:`~.maps.BasePlacement`; ``best_success`` and ``best_q`` are the IK answers from each best
        base (``q`` of the robot at its original base, solving ``T_world_base0 · B⁻¹ · T_world_target``,
        which is the robot moved to ``B``, ``robot.with_base(B)``, solving ``T_world_target``).

    Warns:
        PlausibilityWarning: no candidate reached a target by IK, and the arm has too few joints for the
            constrained pose components (:func:`grid_bases_miss`: e.g. full poses for a 2- or 5-joint arm); the
            message says what to do (position-only targets, or freeing what the arm cannot follow).

    Raises:
        ShapeError / ConventionError: bad targets (a wrong shape, NaN or inf, not a rigid transform).
        OptionError: ``robot`` not a Robot; no target; bad ``step``, ``yaws``, ``top``, ``verify``, ``options``, ``link`` (None on a
            robot with several end effectors: the message lists them; a frame no joint moves); a map that is not of this robot and
            frame, or both maps; a candidate grid beyond :data:`MAX_CANDIDATES` (targets far apart for the
            step); targets so far from the world origin that float64 cannot place a base to the IK tolerance.
    """
    link = moving_link(check_robot(robot), link)
    T = validation.transforms(T_world_targets, "T_world_targets")
    targets = T.reshape(-1, 4, 4)
    if targets.shape[0] == 0:
        raise OptionError("T_world_targets must hold at least one target pose, got none")
    yaws = positive_int(yaws, "yaws")
    top = positive_int(top, "top")
    verify = positive_int(verify, "verify")
    if verify < top:
        raise OptionError(f"verify must be >= top ({top}), got {verify}")
    seed = check_seed(seed)
    options = DEFAULT_IK_OPTIONS if options is None else options
    if not isinstance(options, ik.IKOptions):
        raise OptionError(f"options must be an IKOptions, got {type(options).__name__}")
    tol_p = ik.position_tolerance(robot, options)
    far = float(np.abs(np.concatenate([targets[:, :3, 3].ravel(), robot.base.matrix[:3, 3]])).max())
    if np.spacing(far) * FAR_ULPS > tol_p:  # each base moved there would be rounded by more than IK may miss
        raise OptionError(
            f"T_world_targets lie {far:.3g} m from the world origin, where float64 resolves positions only to "
            f"{np.spacing(far):.2g} m, too coarse for the IK position tolerance {tol_p:.2g} m: express the "
            "targets and the base in a frame nearer to them"
        )
    if capability is not None and reachability is not None:
        raise OptionError("pass capability= or reachability=, not both")
    if reachability is None:
        given = check_map(capability, CapabilityMap, "capability", robot.name, link)
    else:
        given = check_map(reachability, ReachabilityMap, "reachability", robot.name, link)
    step = None if step is None else positive_length(step, "step")
    T_world_base0 = np.asarray(robot.base.matrix)
    # the reach ball of capability_map's rule: a serial robot's tool keeps the robot's own ball
    centre, radius = reach(robot, None if robot.serial and link == robot.default_link else link)
    offset = centre - T_world_base0[:3, 3]  # reach centre relative to the base, world axes
    span = radius + np.linalg.norm(offset[:2])
    lo = targets[:, :2, 3].min(axis=0) - span
    hi = targets[:, :2, 3].max(axis=0) + span
    spacing = (voxel if given is None else given.voxel) if step is None else step
    counts = np.floor((hi - lo) / positive_length(spacing, "voxel") + 0.5) + 1  # positions along x and y
    if counts[0] * counts[1] * yaws > MAX_CANDIDATES:
        raise OptionError(
            f"{counts[0]:.3g} x {counts[1]:.3g} positions x {yaws} yaws = {counts[0] * counts[1] * yaws:.3g} "
            f"candidate bases (targets spread over {hi[0] - lo[0]:.3g} x {hi[1] - lo[1]:.3g} m with the reach, "
            f"step {spacing} m); at most {MAX_CANDIDATES:.0e}: choose a larger step, fewer yaws or closer targets"
        )
    if given is None:
        given = capability_map(
            robot, samples=samples, voxel=voxel, directions=directions, link=link, seed=seed, engine=engine
        )
    start = time.perf_counter()
    xs = lo[0] + np.arange(int(counts[0])) * spacing
    ys = lo[1] + np.arange(int(counts[1])) * spacing
    psi = np.arange(yaws) * (2.0 * np.pi / yaws)
    R_base = rot_z(psi) @ T_world_base0[:3, :3]  # (Y, 3, 3)

    def candidates(ids: np.ndarray) -> np.ndarray:
        """``B`` ``(len(ids), 4, 4)`` of flat candidate ids over ``(nx, ny, Y)``:
        ``Trans(x, y, z0) · Rz(ψ) · R_base0``."""
        i, j, y = np.unravel_index(ids, (xs.size, ys.size, yaws))
        B = np.zeros((ids.size, 4, 4))
        B[:, :3, :3] = R_base[y]
        B[:, 0, 3], B[:, 1, 3], B[:, 2, 3] = xs[i], ys[j], T_world_base0[2, 3]
        B[:, 3, 3] = 1.0
        return B

    def seen(ids: np.ndarray) -> np.ndarray:
        """The targets as the map sees them from candidates ``ids``: ``T_world_base0 · B⁻¹ · T_world_target``
        ``(len(ids), K, 4, 4)``."""
        return (T_world_base0 @ inverse(candidates(ids)))[:, None] @ targets

    C, K = xs.size * ys.size * yaws, targets.shape[0]
    reached = np.zeros(C, np.int64)
    score = np.zeros(C)
    per_block = max(1, LOOKUP_BLOCK // K)
    for s in range(0, C, per_block):
        ids = np.arange(s, min(C, s + per_block))
        quality = given.near_quality_at(seen(ids))  # (c, K), NaN where no reached cell is near
        reached[ids] = np.count_nonzero(~np.isnan(quality), axis=-1)
        score[ids] = np.nansum(quality, axis=-1)
    order = np.lexsort((-score, -reached))  # the map's ranking: most targets first, then score
    # IK from the candidates in that order, until the top ones reach as many targets as the map promises the rest
    closed = closed_form_applies(robot, link, options)
    checked: list[np.ndarray] = []
    answers: list[tuple[np.ndarray, np.ndarray]] = []
    done = 0
    while done < min(verify, C):
        ids = order[done : min(done + VERIFY_BLOCK, verify, C)]
        q, ok = solve_poses(
            robot,
            seen(ids).reshape(-1, 4, 4),
            link,
            options,
            chunk_rng(seed, done // VERIFY_BLOCK),
            closed_form=closed,
            dls=True,
        )
        checked.append(ids)
        answers.append((q.reshape(ids.size, K, robot.n), ok.reshape(ids.size, K)))
        done += ids.size
        solved = np.concatenate([a[1] for a in answers]).sum(axis=-1)
        if done >= C or (solved.size >= top and np.sort(solved)[-top] >= reached[order[done]]):
            break
    ids = np.concatenate(checked)
    q_all = np.concatenate([a[0] for a in answers])
    ok_all = np.concatenate([a[1] for a in answers])
    ik_reached = ok_all.sum(axis=-1)
    if not ik_reached.any() and grid_bases_miss(robot, link, options.weights, options.weights_frame, seed):
        warnings.warn(
            no_grid_base_message(robot, link, options, seed, int(ids.size)), PlausibilityWarning, stacklevel=2
        )
    best = np.lexsort((-score[ids], -ik_reached))[:top]  # most targets by IK, then the map's score
    seconds = time.perf_counter() - start
    return BasePlacement(
        robot=robot.name,
        link=link,
        positions=np.stack(np.meshgrid(xs, ys, T_world_base0[2, 3], indexing="ij"), axis=-1)[:, :, 0],
        yaws=psi,
        reached=reached.reshape(xs.size, ys.size, yaws),
        score=score.reshape(xs.size, ys.size, yaws),
        targets=targets,
        best=candidates(ids[best]),
        best_reached=ik_reached[best],
        best_score=score[ids[best]],
        best_success=ok_all[best],
        best_q=q_all[best],
        verified=int(ids.size),
        seconds=seconds,
    )
