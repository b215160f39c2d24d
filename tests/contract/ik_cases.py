"""Generated IK cases and the IK contract, shared by ``test_ik_contract.py`` and ``benchmarks/fuzz_ik.py``.

A case is a random serial robot (revolute, prismatic and fixed joints in the dh, mdh and origin forms, every
length scaled by 10^U(-3, 3)), targets of one kind (reachable, on the joint-limit boundary, unreachable,
at q = 0, which is singular for many generated chains) and random valid options. The contract
(:func:`violations`): ``ik.solve`` returns (no exception), nothing is NaN, q is within the limits, and every
reported success holds when checked with ``robot.fk`` by formulas independent of the solver's.
"""

from __future__ import annotations

import numpy as np

import robokin
from robokin import ik, spatial
from robokin.model import Joint, Origin, Robot

KINDS = ("reachable", "boundary", "unreachable", "zero")
WEIGHTS = ((1.0,) * 6, ik.POSITION_ONLY, (1.0, 1.0, 1.0, 1.0, 1.0, 0.0), (0.3, 1.0, 2.0, 0.5, 0.1, 1.0))


def random_robot(rng: np.random.Generator, scale: float) -> Robot:
    """A serial chain of 1-7 joints with lengths of order ``scale`` [m]."""
    joints = []
    count = int(rng.integers(1, 8))
    for k in range(count):
        kind = str(rng.choice(["revolute"] * 5 + ["prismatic"] * 2 + ["fixed"]))
        if k == count - 1 and not any(j.type != "fixed" for j in joints) and kind == "fixed":
            kind = "revolute"
        form = str(rng.choice(["dh", "mdh", "origin"]))
        right = rng.random() < 0.5  # right angles and zero offsets, as real arms have (and their singularities)
        angle = (
            (lambda: float(rng.choice([0.0, np.pi / 2, -np.pi / 2])))
            if right
            else (lambda: float(rng.uniform(-np.pi, np.pi)))
        )
        length = (
            (lambda: float(scale * rng.choice([0.0, rng.uniform(0.1, 1.0)])))
            if right
            else (lambda: float(scale * rng.uniform(-1.0, 1.0)))
        )
        dh = origin = None
        axis = (0.0, 0.0, 1.0)
        if form == "origin":
            origin = Origin((length(), length(), length()), (angle(), angle(), angle()))
            v = rng.normal(size=3) if rng.random() < 0.5 else np.eye(3)[rng.integers(3)]
            axis = tuple(float(x) for x in v / np.linalg.norm(v))
        else:
            dh = (length(), angle(), length(), angle())
        if kind == "revolute":
            lo = float(rng.uniform(-np.pi, 0.0))
            limits = (-np.inf, np.inf) if rng.random() < 0.2 else (lo, lo + float(rng.uniform(0.2, 2 * np.pi)))
        elif kind == "prismatic":
            lo = float(scale * rng.uniform(-1.0, 0.5))
            limits = (-np.inf, np.inf) if rng.random() < 0.1 else (lo, lo + float(scale * rng.uniform(0.1, 1.0)))
        else:
            limits = (-np.inf, np.inf)
        joints.append(Joint(f"j{k}", kind, form, dh=dh, origin=origin, axis=axis, limits=limits))
    base = Origin(
        tuple(float(x) for x in scale * rng.uniform(-1, 1, 3)), tuple(float(x) for x in rng.uniform(-1, 1, 3))
    )
    tool = Origin(tuple(float(x) for x in scale * rng.uniform(-0.3, 0.3, 3)), (0.0, 0.0, 0.0))
    return Robot("generated", tuple(joints), base, tool)


def sample_q(rng: np.random.Generator, robot: Robot, shape: tuple[int, ...]) -> np.ndarray:
    """Configurations ``shape + (n,)`` within the limits (±π, or ±L for prismatic joints, where unlimited)."""
    lo, hi = robot.sampling_bounds.T
    return rng.uniform(lo, hi, shape + (robot.n,))


def random_targets(rng: np.random.Generator, robot: Robot, kind: str, shape: tuple[int, ...]) -> np.ndarray:
    """Targets ``shape + (4, 4)`` of the given kind (see :data:`KINDS`)."""
    q = sample_q(rng, robot, shape)
    lo, hi = robot.limits.T
    if kind == "boundary":  # every limited joint at one of its limits
        at_hi = rng.random(q.shape) < 0.5
        q = np.where(at_hi & np.isfinite(hi), hi, np.where(np.isfinite(lo), lo, q))
    elif kind == "zero":
        q = np.clip(np.zeros(q.shape), lo, hi)
    T = robot.fk(q)
    if kind == "unreachable":  # 3 L from a reachable point: beyond the reach L of the first joint's frame
        u = rng.normal(size=shape + (3,))
        u /= np.linalg.norm(u, axis=-1, keepdims=True)
        T = T.copy()
        T[..., :3, 3] += 3.0 * robot.characteristic_length * u
    return T


def random_options(rng: np.random.Generator) -> ik.IKOptions:
    """Valid options: weights, frames, damping, starts, preferences and few restarts (a case stays fast)."""
    weights = WEIGHTS[int(rng.integers(len(WEIGHTS)))]
    return ik.IKOptions(
        weights=weights,
        weights_frame=str(rng.choice(["world", "target"])),
        damping=str(rng.choice(ik.DAMPING_SCHEMES)),
        max_restarts=int(rng.integers(0, 6)),
        starts=[None, 1, 2][int(rng.integers(3))],
        prefer=str(rng.choice(["q0", "any"])),
        finish=str(rng.choice(["first", "all"])),
        rest=[None, "q0", "middle"][int(rng.integers(3))],
        nullspace_gain=float(rng.choice([0.0, 0.5])),
    )


def _rotation_vector(R: np.ndarray) -> np.ndarray:
    """``(..., 3)`` rotation vector of ``R`` from its quaternion ``(w, v)``: ``2 atan2(|v|, w) v/|v|``."""
    quat = spatial.matrix_to_quaternion(R)
    w, v = quat[..., 0], quat[..., 1:]
    v = np.where((w < 0)[..., None], -v, v)
    s = np.linalg.norm(v, axis=-1)
    angle = 2.0 * np.arctan2(s, np.abs(w))
    return np.where((s > 0)[..., None], v * (angle / np.where(s > 0, s, 1.0))[..., None], 0.0)


def violations(robot: Robot, T: np.ndarray, q0, options: ik.IKOptions, seed: int) -> list[str]:
    """Solve and return the broken promises (empty when the contract holds). Exceptions propagate."""
    res = ik.solve(robot, T, q0, options=options, seed=seed)
    batch = T.shape[:-2]
    broken = []
    if res.q.shape != batch + (robot.n,) or res.success.shape != batch:
        broken.append(f"shape: q {res.q.shape}, success {res.success.shape} for targets {T.shape}")
    for name in ("q", "position_error", "rotation_error", "inverse_condition"):
        if np.isnan(getattr(res, name)).any():
            broken.append(f"NaN in {name}")
    if not np.all(np.isfinite(res.q)):
        broken.append("q not finite")
        return broken
    lo, hi = robot.limits.T
    if not np.all((res.q >= lo) & (res.q <= hi)):
        broken.append("q outside the limits")
    # Independent verification: robot.fk, the rotation vector from the quaternion, the weights' frame.
    T_q = robot.fk(res.q)
    dp = T[..., :3, 3] - T_q[..., :3, 3]
    dr = _rotation_vector(T[..., :3, :3] @ np.swapaxes(T_q[..., :3, :3], -1, -2))
    w = np.array(options.weights)
    if options.weights_frame == "target":
        Rt = np.swapaxes(T[..., :3, :3], -1, -2)
        dp, dr = (Rt @ dp[..., None])[..., 0], (Rt @ dr[..., None])[..., 0]
    tol_p = ik.position_tolerance(robot, options)
    ok_p = np.linalg.norm(dp[..., w[:3] > 0], axis=-1) <= tol_p * (1 + 1e-6)
    ok_r = np.linalg.norm(dr[..., w[3:] > 0], axis=-1) <= options.rotation_tolerance * (1 + 1e-6) + 1e-13
    if np.any(res.success & ~(ok_p & ok_r)):
        broken.append("false success (robot.fk disagrees)")
    return broken


def random_case(rng: np.random.Generator):
    """``(robot, T, q0, options, seed, kind)`` of one generated case."""
    scale = float(10.0 ** rng.uniform(-3.0, 3.0))
    robot = random_robot(rng, scale)
    kind = KINDS[int(rng.integers(len(KINDS)))]
    shape = [(), (3,)][int(rng.integers(2))]
    T = random_targets(rng, robot, kind, shape)
    q0 = None if rng.random() < 0.3 else sample_q(rng, robot, shape)
    return robot, T, q0, random_options(rng), int(rng.integers(1000)), kind


def bad_ik_call(rng: np.random.Generator, robot: Robot):
    """A call of the IK API with one bad argument; returns a zero-argument callable."""
    garbage = [
        np.eye(3),
        np.full((4, 4), np.nan),
        "T",
        np.zeros((2, 4, 4), dtype=complex),
        None,
        np.ones((4, 4)),
        np.eye(4)[None, None, :3],
        [[1, 2], [3]],
        np.zeros((robot.n + 1,)),
        np.array(["a"] * robot.n),
        np.full(robot.n, np.inf),
        -1,
        1.5,
        "seed",
        object(),
    ]
    which = int(rng.integers(6))
    g = garbage[int(rng.integers(len(garbage)))]
    if which == 0:
        return lambda: ik.solve(robot, g)
    if which == 1:
        return lambda: ik.solve(robot, np.eye(4), g if g is not None else "x")
    if which == 2:
        return lambda: ik.solve(robot, np.eye(4), seed=g if g is not None else -5)
    if which == 3:
        field = str(
            rng.choice(
                [
                    "position_tolerance",
                    "rotation_tolerance",
                    "max_iterations",
                    "max_restarts",
                    "damping",
                    "max_step",
                    "weights",
                    "weights_frame",
                    "rest",
                    "starts",
                    "prefer",
                    "finish",
                    "nullspace_gain",
                    "singularity_threshold",
                    "damping_bias",
                ]
            )
        )
        return lambda: ik.IKOptions(**{field: g if g is not None else -1})
    if which == 4:
        return lambda: ik.solve(robot, np.eye(4), options=g)
    shapes = [(6, robot.n), (2, 6, robot.n), (5,), (2, 3, 4)]
    J = np.zeros(shapes[int(rng.integers(len(shapes)))])
    e = np.zeros(shapes[int(rng.integers(len(shapes)))][:-1] or (1,))
    return lambda: ik.dls_step(J if g is None else g, e, 0.1)


__all__ = ["random_case", "violations", "bad_ik_call", "random_robot", "KINDS", "robokin"]
