"""Generated closed-form IK cases and their contract, shared by ``test_analytic_contract.py`` and the
``analytic`` category of ``benchmarks/fuzz.py``.

A case is a random 6R arm built to belong to one analytic family (its axes meet or are parallel by
construction, everything else random: directions, points, a rigid motion of the whole arm, a scale of
10^U(-3, 3) m, joint limits that are absent, narrow or wider than a turn), a source configuration within the
limits and its pose as the target. The contract (:func:`analytic_violations`), checked with ``robot.fk`` by
formulas independent of the solver's:

- the family is detected from the axes (exact);
- ``ik.solve_all`` returns no NaN, every valid slot is within the limits and reaches the target (1e-9 of the
  arm's length, 1e-9 rad);
- the source configuration is among the valid slots (up to whole turns), unless it is singular (there a whole
  set of configurations reaches the target and the solver returns some of them);
- ``ik.solve(method="auto")`` reports success, confirmed by fk;
- a target beyond the arm's reach has no valid slot.
"""

from __future__ import annotations

import numpy as np

from robokin import ik, measures, singularity
from robokin.model import Joint, Origin, Robot
from robokin.spatial import matrix_to_rpy, so3_exp

# Axis directions (0 = x, 1 = y, 2 = z at q = 0) of arms of each family with right angles: Puma, KUKA KR /
# ABB IRB, a wrist on a non-meeting shoulder, UR, UR with an offset wrist, and the two search families.
TEMPLATES = {
    "spherical_wrist_intersecting_shoulder": (2, 1, 1, 2, 1, 2),
    "spherical_wrist_parallel_shoulder": (2, 1, 1, 0, 1, 0),
    "spherical_wrist": (2, 0, 1, 2, 1, 2),
    "three_parallel_intersecting_wrist": (2, 1, 1, 1, 2, 1),
    "three_parallel": (2, 1, 1, 1, 2, 1),
    "two_intersecting": (2, 1, 0, 2, 1, 2),
    "two_parallel": (2, 1, 1, 0, 2, 0),
}
FAMILIES = tuple(TEMPLATES)
# Closed forms must find a non-singular source to this [rad] (search families polish their zeros to ~1e-12).
SOURCE_TOL = 1e-6
# A source whose scaled Jacobian's inverse condition number is below this is singular: not looked for.
SINGULAR = 1e-5


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def family_arm(rng: np.random.Generator, family: str) -> Robot:
    """A random revolute 6-joint arm of ``family`` (see :data:`FAMILIES`), lengths of order 10^U(-3, 3) m."""
    if rng.random() < 0.5:  # generic directions
        H = _unit(rng.normal(size=(6, 3)))
    else:  # an industrial arm's right angles, each axis along or against its direction (URDFs flip them)
        H = np.eye(3)[list(TEMPLATES[family])] * rng.choice([-1.0, 1.0], size=(6, 1))
    P = rng.normal(scale=0.4, size=(6, 3))
    sign = lambda: float(rng.choice([-1.0, 1.0]))  # noqa: E731 - parallel axes may point either way
    if family.startswith("spherical_wrist"):  # axes 4, 5, 6 through one point w
        w = P[3]
        for i in (4, 5):
            P[i] = w + rng.uniform(-0.3, 0.3) * H[i]
    if family == "spherical_wrist_intersecting_shoulder":
        P[1] = P[0] + rng.uniform(-0.3, 0.3) * H[0]
    if family == "spherical_wrist_parallel_shoulder":
        H[2] = sign() * H[1]
    if family.startswith("three_parallel"):
        H[2], H[3] = sign() * H[1], sign() * H[1]
    if family in ("three_parallel_intersecting_wrist", "two_intersecting"):
        P[5] = P[4] + rng.uniform(-0.3, 0.3) * H[4]
    if family == "two_parallel":
        H[2] = sign() * H[1]
    scale = float(10.0 ** rng.uniform(-3, 3))
    R_move = so3_exp(rng.normal(size=3))
    H, P = H @ R_move.T, (P * scale) @ R_move.T + scale * rng.normal(size=3)
    p_tool = P[5] + scale * rng.normal(scale=0.2, size=3)
    R_tool = so3_exp(rng.normal(size=3))
    joints, previous = [], np.zeros(3)
    for i in range(6):
        choice = rng.random()
        if choice < 0.4:
            limits = (-np.inf, np.inf)
        else:
            lo = float(rng.uniform(-np.pi, 0.0))
            width = float(rng.uniform(0.5, 2 * np.pi)) if choice < 0.8 else float(rng.uniform(2 * np.pi, 4 * np.pi))
            limits = (lo, lo + width)
        joints.append(
            Joint(
                f"j{i + 1}",
                "revolute",
                "origin",
                origin=Origin(tuple(float(x) for x in P[i] - previous), (0.0, 0.0, 0.0)),
                axis=tuple(float(x) for x in H[i]),
                limits=limits,
            )
        )
        previous = P[i]
    tool = Origin(tuple(float(x) for x in p_tool - previous), tuple(float(x) for x in matrix_to_rpy(R_tool)))
    return Robot(f"random_{family}", tuple(joints), tool=tool)


def _turn_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(np.angle(np.exp(1j * (a - b)))).max(-1)


def analytic_violations(robot: Robot, family: str, rng: np.random.Generator) -> list[str]:
    """What breaks the closed-form IK contract (module docstring) for one random source configuration."""
    found = ik.analytic_family(robot)
    if not (found.applies and found.exact):
        return [f"family {family} not detected: {found.name} ({found.reason})"]
    lo, hi = robot.sampling_bounds.T
    q_src = rng.uniform(lo, hi)
    T = robot.fk(q_src)
    L = robot.characteristic_length
    sols = ik.solve_all(robot, T)
    broken = []
    if np.isnan(sols.q).any() or np.isnan(sols.position_error).any():
        broken.append("NaN in solve_all")
    good = sols.q[sols.valid]
    if len(good):
        Tq = robot.fk(good)
        perr = np.linalg.norm(Tq[:, :3, 3] - T[:3, 3], axis=-1) / L
        rerr = np.abs(Tq[:, :3, :3] - T[:3, :3]).max((-1, -2))
        if perr.max() > 1e-9 or rerr.max() > 1e-9:
            broken.append(f"false solution: position error {perr.max():.1e} L, rotation {rerr.max():.1e}")
        limits = robot.limits
        if not ((good >= limits[:, 0]) & (good <= limits[:, 1])).all():
            broken.append("a valid solution outside the joint limits")
    singular = measures.inverse_condition(singularity.scaled_jacobian(robot, q_src)) < SINGULAR
    if not singular and not (len(good) and _turn_distance(good, q_src).min() < SOURCE_TOL):
        nearest = _turn_distance(good, q_src).min() if len(good) else np.inf
        broken.append(f"source configuration missed ({len(good)} valid, nearest {nearest:.1e} rad)")
    result = ik.solve(robot, T, q0=rng.uniform(lo, hi))
    if not result.success:
        broken.append(f"ik.solve(method='auto') failed on a reachable target ({found.name})")
    else:
        Tq = robot.fk(result.q)
        if np.linalg.norm(Tq[:3, 3] - T[:3, 3]) > 1e-6 * L or np.abs(Tq[:3, :3] - T[:3, :3]).max() > 1e-6:
            broken.append("ik.solve reported a success that fk does not confirm")
    far = T.copy()
    first_axis_point = robot.fk_frames(np.zeros(robot.n))[1, :3, 3]  # reach ≤ L from here
    far[:3, 3] = first_axis_point + 10.0 * L * _unit(rng.normal(size=3))
    beyond = ik.solve_all(robot, far)
    if beyond.valid.any():
        broken.append("a valid solution for a target 10 L away from the first axis")
    return broken
