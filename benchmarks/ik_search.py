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
from dataclasses import replace

import numpy as np

from robokin import ik
from robokin.model import Joint, Origin, Robot
from robokin.spatial import matrix_to_rpy, rpy_to_matrix


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


def _limited(robot: Robot, lo: float, hi: float) -> Robot:
    return Robot(robot.name, tuple(replace(j, limits=(lo, hi)) for j in robot.joints), robot.base, robot.tool)


# The Yaskawa Motoman HC10 at q = 0 (tests/test_ik_analytic.py's _HC10_H, _HC10_P: ros-industrial/motoman's
# hc10_macro.xacro composed into the world); the Fanuc CRX-10iA/L and M-430iA/2P share its offset wrist.
HC10_H = np.array([[0, 0, 1], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, -1, 0], [0, 0, 1]], float)
HC10_P = np.array([[0, 0, 0.275], [0, 0, 0.275], [0, 0, 0.975], [0, 0, 0.475], [0, 0.162, 0.475], [0, 0.162, 0.475]])


def named_arm(name: str) -> Robot:
    """The search-family arms of the tests (tests/test_ik_analytic.py, built the same way) by name."""
    if name == "hc10_like":
        return robot_from_screws(name, HC10_H, HC10_P, np.diag([1.0, -1.0, -1.0]), np.array([0, 0.162, 0.345]))
    if name == "hc10_limited":  # every joint within ±3 rad
        return _limited(named_arm("hc10_like"), -3.0, 3.0)
    if name == "ikgeo_two_parallel_bot":
        return ikgeo_two_parallel_bot()
    if name == "irb140_rtbdata":  # rtbdata's irb140.urdf: joint 6 2 cm off the wrist, without its limits
        H = np.array([[0, 0, 1], [0, 1, 0], [0, 1, 0], [1, 0, 0], [0, 1, 0], [1, 0, 0]], float)
        P = np.cumsum([[0, 0, 0], [0.28, 0, 1.38], [0, 0, 1.42], [0, 0, 0], [1.49, 0, 0], [0, 0, 0.02]], axis=0)
        return robot_from_screws(name, H, P, rpy_to_matrix(np.array([0.0, 1.57079632679, 0.0])), P[5])
    if name == "decoupled_reversed":  # axes 5 ∥ 4 read from the tool, its SP6 decoupled
        H = np.array([[0, 0, -1], [0, -1, 0], [0, 0, -1], [0, -1, 0], [0, -1, 0], [0, 0, 1]], float)
        P = np.array([[0, 0, 0], [0, 0.348, 0], [0, 0.348, 0], [0, 0.348, 0], [0, 0.348, 0.292], [0, 0.348, 0.55]])
        return robot_from_screws(name, H, P, np.eye(3), P[5] + [0.05, 0.02, 0.1])
    if name == "sph_broken":  # axes 5 ∩ 6, axis 4 just off the point of axes 2, 3; every joint within ±2.5 rad
        H = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]], float)
        P = np.array(
            [[0, 0, 0], [0.05, 0, 0.3], [0.05, 0, 0.3], [0.05, 0.04, 0.35], [0.1, 0.02, 0.6], [0.1, 0.02, 0.6]]
        )
        return _limited(robot_from_screws(name, H, P, np.eye(3), np.array([0.1, 0.02, 0.7])), -2.5, 2.5)
    family, _, seed = name.rpartition("_")
    if family in ("two_intersecting", "two_parallel") and seed.isdigit():
        return random_arm(family, int(seed))
    raise SystemExit(f"unknown arm {name!r}: one of {', '.join(NAMED_ARMS)} or <family>_<seed>")


NAMED_ARMS = (
    "hc10_like",
    "hc10_limited",
    "ikgeo_two_parallel_bot",
    "irb140_rtbdata",
    "decoupled_reversed",
    "sph_broken",
    "two_intersecting_0",
    "two_parallel_1000",
)


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


def within_limits_mod_turn(robot: Robot, q: np.ndarray) -> np.ndarray:
    """``(...)`` whether some whole-turn variant of ``q (..., n)`` is within the limits (limits within a turn
    centred on 0, or unlimited: the wrapped angle is the only candidate)."""
    lo, hi = robot.limits.T
    w = np.angle(np.exp(1j * q))
    return (((w >= lo) & (w <= hi)) | ((lo <= -np.pi) & (hi >= np.pi))).all(-1)


def audit(name: str, args: argparse.Namespace) -> str:
    """One named arm on ``--targets`` targets, fk of q uniform within its limits (clipped to [−π, π), seeded
    13), solved by ``solve_all`` in chunks of ``--chunk``; its row of the table."""
    robot = named_arm(name)
    fam = ik.analytic_family(robot)
    lo, hi = robot.limits.T
    q = np.random.default_rng(13).uniform(np.maximum(lo, -np.pi), np.minimum(hi, np.pi), (args.targets, robot.n))
    T = robot.fk(q)
    cpu = perr_max = rerr_max = 0.0
    solved = found = false = 0
    counts = []
    dls_in = search_in = 0
    dls_total = min(args.dls, args.targets)
    for start in range(0, args.targets, args.chunk):
        rows = slice(start, min(start + args.chunk, args.targets))
        t0 = time.process_time()
        sols = ik.solve_all(robot, T[rows])
        cpu += time.process_time() - t0
        v = sols.valid
        Tq = robot.fk(sols.q)
        perr = np.where(v, np.linalg.norm(Tq[..., :3, 3] - T[rows, None, :3, 3], axis=-1), 0.0)
        rerr = np.where(v, np.abs(Tq[..., :3, :3] - T[rows, None, :3, :3]).max((-1, -2)), 0.0)
        perr_max, rerr_max = max(perr_max, float(perr.max())), max(rerr_max, float(rerr.max()))
        false += int(((perr > 1e-10) | (rerr > 1e-10)).sum())
        hit = ((same_mod_turn(sols.q, q[rows, None]) < 1e-6) & v).any(-1)
        solved += int(v.any(-1).sum())
        found += int(hit.sum())
        counts.append(sols.count)
        for i in np.flatnonzero(~hit):
            print(f"  missed: {name} target {start + i} q = {q[start + i].tolist()}", flush=True)
        for i in range(rows.start, min(rows.stop, dls_total)):
            ours = sols.q[i - start][v[i - start]]
            theirs = [d for d in dls_set(robot, T[i], args.starts, seed=i) if within_limits_mod_turn(robot, d)]
            missed = [d for d in theirs if not (same_mod_turn(ours, d) < 1e-4).any()]
            dls_in += not missed
            for d in missed:
                print(f"  DLS-only: {name} target {i} q = {d.tolist()}", flush=True)
            search_in += all(any(same_mod_turn(a_, d) < 1e-4 for d in theirs) for a_ in ours)
    n_sol, n = np.concatenate(counts), args.targets
    row = (
        f"| {name} | {fam.name}{' (reversed)' if fam.reversed else ''} | {n} | {100.0 * solved / n:.2f} % | "
        f"{found}/{n} = {100.0 * found / n:.2f} % | {false} | {perr_max:.1e} / {rerr_max:.1e} | "
        f"{n_sol.mean():.2f} (max {n_sol.max()}) | {1e3 * cpu / n:.1f} |"
    )
    if args.dls:
        row += f" {dls_in}/{dls_total} | {search_in}/{dls_total} |"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arms", type=int, default=20)
    parser.add_argument("--first-arm", type=int, default=0, help="seed of the first arm (arms never run before)")
    parser.add_argument("--targets", type=int, default=50)
    parser.add_argument("--dls", type=int, default=0, help="targets per arm compared with many-start DLS")
    parser.add_argument("--starts", type=int, default=200)
    parser.add_argument("--families", nargs="+", default=["two_intersecting", "two_parallel"])
    parser.add_argument("--ikgeo-bot", action="store_true", help="IK-Geo's two_parallel_bot as the first arm")
    parser.add_argument(
        "--robots", nargs="+", help=f"named arms instead: 'all' ({' '.join(NAMED_ARMS)}), <family>_<seed>"
    )
    parser.add_argument("--chunk", type=int, default=500, help="targets per solve_all call with --robots")
    args = parser.parse_args()
    if args.robots:
        head = (
            "| arm | family | targets | solved | source found | false | max fk err [m] / [1] | solutions/target |"
            " CPU ms/target |"
        )
        if args.dls:
            head += " DLS ⊆ search | search ⊆ DLS |"
        print(head)
        print("|" + "---|" * (head.count("|") - 1), flush=True)
        for name in NAMED_ARMS if args.robots == ["all"] else args.robots:
            print(audit(name, args), flush=True)
        return
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
