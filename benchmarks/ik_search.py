"""Completeness of the 1-D search families of robokin.ik.analytic on random arms, against many-start DLS.

For each family (``two_intersecting``: axes 5 and 6 meet; ``two_parallel``: axes 2 and 3 parallel or
opposite) ``--arms`` random 6R arms (axes uniform on the sphere, points N(0, 0.3 m), seeded), and on each
``--targets`` reachable targets (fk of uniform q in [−π, π)⁶). One ``solve_all`` call per arm (all its
targets as one batch). Reported per family:

- "source found": the configuration each target came from is among its valid solutions (mod 2π, 1e-7);
- "false": valid solutions whose position [m] or rotation-matrix entry error by ``fk`` exceeds 1e-9;
- "max fk err": the largest position [m] / rotation-matrix entry error of any valid solution, by ``fk``;
- CPU ms per target (``time.process_time``; the machine may be shared);
- with ``--dls K``: on the first K targets of each arm, the distinct solutions (mod 2π, 1e-4) found by damped
  least squares from ``--starts`` random starts (one attempt each, ``method="dls"``), each brought to machine
  precision by Gauss–Newton steps (near a singular solution the DLS tolerance of 1e-6 smears its answers over
  about 1e-3 rad): "DLS ⊆ search" counts
  the targets where every DLS solution is among the search's, "search ⊆ DLS" those where every search
  solution was also reached by the DLS.
- IK-Geo's ``two_parallel_bot`` (its hard-coded "two parallel" example, ``H = [z x x z x (x+z)/√2]``,
  ``P = [z y y y y y z]``) in the two_parallel row's arms as arm 0 with ``--ikgeo-bot``.

Usage::

    python benchmarks/ik_search.py                          # 20 arms x 50 targets per family
    python benchmarks/ik_search.py --arms 40 --targets 50 --dls 2 --starts 200
    python benchmarks/ik_search.py --arms 150 --first-arm 60    # arms 60..209 (seeds; targets seeded per arm)
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from robokin import ik
from robokin.model import Joint, Origin, Robot
from robokin.spatial import matrix_to_rpy


def robot_from_screws(name: str, H: np.ndarray, P: np.ndarray, R0: np.ndarray, p0: np.ndarray) -> Robot:
    """A revolute arm from zero-configuration axes ``H (6, 3)`` through points ``P (6, 3)``, tool ``(R0, p0)``."""
    joints, prev = [], np.zeros(3)
    for i, (h, o) in enumerate(zip(H, P)):
        joints.append(
            Joint(f"j{i + 1}", "revolute", "origin", origin=Origin(tuple(o - prev), (0.0, 0.0, 0.0)), axis=tuple(h))
        )
        prev = o
    return Robot(name, tuple(joints), tool=Origin(tuple(p0 - prev), tuple(matrix_to_rpy(R0))))


def random_arm(family: str, seed: int) -> Robot:
    rng = np.random.default_rng(seed)
    H = rng.normal(size=(6, 3))
    H /= np.linalg.norm(H, axis=1, keepdims=True)
    P = rng.normal(scale=0.3, size=(6, 3))
    if family == "two_intersecting":
        P[5] = P[4] + rng.normal() * 0.2 * H[4]
    else:
        H[2] = H[1] * rng.choice([-1.0, 1.0])
    return robot_from_screws(f"{family}_{seed}", H, P, np.eye(3), P[5] + rng.normal(scale=0.15, size=3))


def ikgeo_two_parallel_bot() -> Robot:
    """IK-Geo's ``two_parallel_bot`` (matlab/+hardcoded_IK_setups/two_parallel_bot.m): P are offsets."""
    ex, ey, ez = np.eye(3)
    es = (ex + ez) / np.sqrt(2.0)
    H = np.array([ez, ex, ex, ez, ex, es])
    offsets = np.array([ez, ey, ey, ey, ey, ey, ez])
    points = np.cumsum(offsets, axis=0)
    return robot_from_screws("ikgeo_two_parallel_bot", H, points[:6], np.eye(3), points[6])


def same_mod_turn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(np.angle(np.exp(1j * (a - b)))).max(-1)


def newton(robot: Robot, q: np.ndarray, T: np.ndarray, steps: int = 20) -> np.ndarray:
    """Gauss–Newton steps on all joints towards ``T``: the DLS answers (verified to 1e-6) to machine precision,
    so that answers near a singular solution (smeared over about √1e-6 by the tolerance) meet again."""
    for _ in range(steps):
        F = robot.fk(q)
        dR = T[:3, :3] @ np.swapaxes(F[:, :3, :3], -1, -2)
        w = 0.5 * np.stack([dR[:, 2, 1] - dR[:, 1, 2], dR[:, 0, 2] - dR[:, 2, 0], dR[:, 1, 0] - dR[:, 0, 1]], -1)
        e = np.concatenate([T[:3, 3] - F[:, :3, 3], w], -1)
        q = q + np.clip(np.linalg.solve(robot.jacobian(q), e[..., None])[..., 0], -0.2, 0.2)
    return q


def dls_set(robot: Robot, T: np.ndarray, starts: int, seed: int) -> list[np.ndarray]:
    q0 = np.random.default_rng(seed).uniform(-np.pi, np.pi, (starts, robot.n))
    res = ik.solve(
        robot, np.broadcast_to(T, (starts, 4, 4)), q0, options=ik.IKOptions(max_restarts=0, starts=1), method="dls"
    )
    found: list[np.ndarray] = []
    q_dls = res.q[res.success]
    with np.errstate(all="ignore"):
        q_gn = newton(robot, q_dls, T)
        F = robot.fk(q_gn)
    ok = (np.linalg.norm(F[:, :3, 3] - T[:3, 3], axis=-1) < 1e-12) & (
        np.abs(F[:, :3, :3] - T[:3, :3]).max((-1, -2)) < 1e-12
    )
    for q in np.where(ok[:, None], q_gn, q_dls):  # (an answer Gauss–Newton cannot sharpen stays as it came)
        if not any(same_mod_turn(q, f) < 1e-4 for f in found):
            found.append(q)
    return found


def run(family: str, args: argparse.Namespace) -> None:
    found = total = 0
    cpu = 0.0
    perr_max = rerr_max = 0.0
    counts = []
    dls_in = search_in = dls_total = 0
    false = 0
    seeds = range(args.first_arm, args.first_arm + args.arms)
    arms = [random_arm(family, 1000 * (family == "two_parallel") + s) for s in seeds]
    if family == "two_parallel" and args.ikgeo_bot:
        arms[0] = ikgeo_two_parallel_bot()
    for a, robot in zip(seeds, arms):
        fam = ik.analytic_family(robot)
        assert fam.name == family, (robot.name, fam.name, fam.reason)
        rng = np.random.default_rng(10_000 + a)
        q = rng.uniform(-np.pi, np.pi, (args.targets, 6))
        T = robot.fk(q)
        t0 = time.process_time()
        sols = ik.solve_all(robot, T)
        cpu += time.process_time() - t0
        Tq = robot.fk(sols.q)
        v = sols.valid
        if v.any():
            perr = np.linalg.norm(Tq[..., :3, 3] - T[:, None, :3, 3], axis=-1)[v]
            rerr = np.abs(Tq[..., :3, :3] - T[:, None, :3, :3]).max((-1, -2))[v]
            perr_max, rerr_max = max(perr_max, float(perr.max())), max(rerr_max, float(rerr.max()))
            false += int(((perr > 1e-9) | (rerr > 1e-9)).sum())
        hit = ((same_mod_turn(sols.q, q[:, None]) < 1e-7) & v).any(-1)
        found += int(hit.sum())
        total += args.targets
        counts.append(sols.count)
        for i in np.flatnonzero(~hit):
            print(f"  missed: {robot.name} target {i} q = {np.round(q[i], 6).tolist()}")
        for i in range(min(args.dls, args.targets)):
            ours = sols.q[i][sols.valid[i]]
            theirs = dls_set(robot, T[i], args.starts, seed=i)
            dls_total += 1
            missed = [d for d in theirs if not (same_mod_turn(ours, d) < 1e-4).any()]
            dls_in += not missed
            for d in missed:
                print(f"  DLS-only: {robot.name} target {i} q = {np.round(d, 6).tolist()}")
            search_in += all(any(same_mod_turn(a_, d) < 1e-4 for d in theirs) for a_ in ours)
    n_sol = np.concatenate(counts)
    row = (
        f"| {family} | {args.arms} x {args.targets} | {found}/{total} = {100.0 * found / total:.2f} % | "
        f"{false} | {perr_max:.1e} / {rerr_max:.1e} | {1e3 * cpu / total:.1f} | {n_sol.mean():.2f} (max {n_sol.max()}) |"
    )
    if args.dls:
        row += f" {dls_in}/{dls_total} | {search_in}/{dls_total} |"
    print(row, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arms", type=int, default=20)
    parser.add_argument("--first-arm", type=int, default=0, help="seed of the first arm (arms never run before)")
    parser.add_argument("--targets", type=int, default=50)
    parser.add_argument("--dls", type=int, default=0, help="targets per arm compared with many-start DLS")
    parser.add_argument("--starts", type=int, default=200)
    parser.add_argument("--families", nargs="+", default=["two_intersecting", "two_parallel"])
    parser.add_argument("--ikgeo-bot", action="store_true", help="IK-Geo's two_parallel_bot as the first arm")
    args = parser.parse_args()
    head = (
        "| family | arms x targets | source found | false | max fk err [m] / [1] | CPU ms/target | solutions/target |"
    )
    if args.dls:
        head += " DLS ⊆ search | search ⊆ DLS |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for family in args.families:
        run(family, args)


if __name__ == "__main__":
    main()
