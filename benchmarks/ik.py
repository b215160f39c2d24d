"""Benchmark robokin's IK on every bundled arm with >= 6 joints, and roboticstoolbox's ik_LM when installed.

For each arm: N random reachable targets (fk of random q within the limits, seeded) from random q0 within
the limits. A solution counts only when verified: fk of the returned q within 1e-6 m and 1e-6 rad of the
target (the rotation angle from the quaternion of R* Rᵀ, independent of the solver's so3_log) and q within
the joint limits. Timed one target at a time (median and mean; with ``--repeat K`` the least of K runs of
each seeded solve) and as one batch of N (time per target); mean iterations per target (over all starts).

roboticstoolbox-python (peer, optional): the same chain rebuilt as an ETS from robokin's compiled
constants (``C[0] Rz(q0) C[1] ... C[n]``, joint limits included), ``ets.ik_LM(T, q0)`` with its defaults
(C++; 30 iterations x up to 100 searches, Chan damping, joint limits on) except ``tol=5e-13``: rtb's
tolerance bounds ``E = ½‖e‖²``, and 5e-13 is what makes both errors <= 1e-6 (its default 1e-6 accepts
errors near 1e-3). Verified the same way.

Analytic section (``--analytic``, on by default): every arm with a closed-form family
(``ik.analytic_family``). ``solve_all`` on ``--batch-targets`` targets as one batch (µs per target; a
7-joint arm with its parameter joint given per target), one target at a time (median µs), and
``ik.solve(method="auto")`` one target at a time (median ms); all as CPU time (``time.process_time``, the
least of ``--repeat`` runs), which a shared machine inflates less than wall time. "solved": the configuration a target came
from is among its valid solutions (mod 2π); "false": valid solutions that fail an independent check (fk
within 1e-9 m / 1e-9 rad, by the quaternion angle, and within the limits). ik-geo (PyPI, Rust; optional,
run the script with the peers' interpreter): the same arm handed to ik-geo's solver of the same family
(points on the axes chosen where consecutive axes meet, tool rotation folded into the targets), one
``get_ik`` per target in a Python loop (µs per target), and "agree": the targets whose ik-geo exact
solution set equals robokin's on the same arm without joint limits.

Usage::

    python benchmarks/ik.py                              # 1000 targets per arm, every arm with >= 6 joints
    python benchmarks/ik.py --targets 200 --repeat 3     # quicker, less noisy on a shared machine
    python benchmarks/ik.py --robots panda ur5 iiwa14 puma560
    python benchmarks/ik.py --scales --robots ur5 puma560   # the same arms scaled 1e-3 ... 1e3 (batch, verified)
    python benchmarks/ik.py --q0 --robots ur5 puma560 panda  # starts within 0.1 rad of a solution
    PYTHONPATH=. /work/peers/bin/python benchmarks/ik.py --targets 200 --no-dls   # analytic rows with ik-geo
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import robokin
from robokin import ik, spatial

TOL_P = 1e-6  # [m]
TOL_R = 1e-6  # [rad]
RTB_TOL = 5e-13  # rtb's tol is on E = ½ eᵀe, so this bounds ‖[position error; rotation error]‖ by 1e-6


def reachable_targets(robot: robokin.Robot, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Targets ``(count, 4, 4)`` = fk of random q within the limits, and random starts ``(count, n)``."""
    rng = np.random.default_rng(seed)
    lo, hi = robot.limits.T
    lo = np.where(np.isfinite(lo), lo, -np.pi)
    hi = np.where(np.isfinite(hi), hi, np.pi)
    q_true = rng.uniform(lo, hi, (count, robot.n))
    q0 = rng.uniform(lo, hi, (count, robot.n))
    return robot.fk(q_true), q0


def verified(robot: robokin.Robot, q: np.ndarray, T: np.ndarray, tol_p: float = TOL_P) -> np.ndarray:
    """Bool ``(N,)``: fk(q) within ``tol_p`` [m] and ``TOL_R`` of T and q within the joint limits (NaN q fails).

    The rotation error is the angle of ``R* Rᵀ`` from its quaternion ``(w, v)``, ``2 atan2(|v|, |w|)``: a
    code path independent of the solver's ``spatial.so3_log``.
    """
    ok = np.all(np.isfinite(q), axis=-1)
    q = np.where(ok[:, None], q, 0.0)
    T_q = robot.fk(q)
    quat = spatial.matrix_to_quaternion(T[:, :3, :3] @ np.swapaxes(T_q[:, :3, :3], -1, -2))
    angle = 2.0 * np.arctan2(np.linalg.norm(quat[:, 1:], axis=-1), np.abs(quat[:, 0]))
    lo, hi = robot.limits.T
    return (
        ok
        & (np.linalg.norm(T[:, :3, 3] - T_q[:, :3, 3], axis=-1) <= tol_p)
        & (angle <= TOL_R)
        & np.all((q >= lo) & (q <= hi), axis=-1)
    )


def bench_robokin(robot, T, q0, repeat=1):
    times, qs, its = [], [], []
    for i in range(T.shape[0]):
        best = np.inf
        for _ in range(repeat):  # the same seeded solve: the least time of `repeat` runs
            t0 = time.perf_counter()
            res = ik.solve(robot, T[i], q0[i], seed=i, method="dls")
            best = min(best, time.perf_counter() - t0)
        times.append(best)
        qs.append(res.q)
        its.append(int(res.iterations))
    single_ok = verified(robot, np.array(qs), T)
    batch_time = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = ik.solve(robot, T, q0, seed=0, method="dls")
        batch_time = min(batch_time, (time.perf_counter() - t0) / T.shape[0])
    batch_ok = verified(robot, res.q, T)
    return {
        "single_ok": single_ok.mean(),
        "median": np.median(times),
        "mean": np.mean(times),
        "its": np.mean(its),
        "batch_ok": batch_ok.mean(),
        "batch": batch_time,
        "batch_its": res.iterations.mean(),
    }


def rtb_ets(robot):
    """The robot as a roboticstoolbox ETS, or None when roboticstoolbox is not installed."""
    try:
        import roboticstoolbox as rtb
    except ImportError:
        return None
    chain = robot.chain
    lo, hi = robot.limits.T
    ets = rtb.ETS([rtb.ET.SE3(chain.C[0])])
    for i, revolute in enumerate(chain.revolute):
        qlim = np.array([lo[i] if np.isfinite(lo[i]) else -np.pi, hi[i] if np.isfinite(hi[i]) else np.pi])
        joint = rtb.ET.Rz(qlim=qlim) if revolute else rtb.ET.tz(qlim=qlim)
        ets = ets * joint * rtb.ET.SE3(chain.C[i + 1])
    return ets


def bench_rtb(ets, robot, T, q0, repeat=1):
    times, qs, its = [], [], []
    for i in range(T.shape[0]):
        best = np.inf
        for _ in range(repeat):
            t0 = time.perf_counter()
            # tol bounds E = ½‖e‖² in rtb: 5e-13 makes ‖e‖ <= 1e-6 (its default 1e-6 allows ~1e-3 m); the
            # C binding of rtb 1.5 takes joint_limits as an int.
            sol = ets.ik_LM(np.array(T[i]), q0=np.array(q0[i]), tol=RTB_TOL, joint_limits=1)
            best = min(best, time.perf_counter() - t0)
        times.append(best)
        qs.append(np.asarray(sol.q, dtype=float) if sol.success else np.full(robot.n, np.nan))
        its.append(sol.iterations)
    ok = verified(robot, np.array(qs), T)
    return {"single_ok": ok.mean(), "median": np.median(times), "mean": np.mean(times), "its": np.mean(its)}


def single_solves(robot, T, q0, options=None):
    """Solve every target alone (seed i for target i): the solutions ``(N, n)`` and the times [s]."""
    qs, times = [], []
    for i in range(T.shape[0]):
        t0 = time.perf_counter()
        qs.append(ik.solve(robot, T[i], q0[i], options=options, seed=i, method="dls").q)
        times.append(time.perf_counter() - t0)
    return np.array(qs), times


SCALES = (1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2, 1e3)


def scale_table(names: list[str], count: int, seed: int) -> None:
    """Verified success and time per target of each arm scaled by every factor of SCALES (one batch each)."""
    print(
        f"IK scale table: {count} reachable targets per arm and scale, one batch from random starts; verified = "
        f"fk(q) within 1e-6 × min(L, 1 m) and 1e-6 rad, q within the limits\n"
    )
    head = f"{'robot':<9} {'scale':>7} {'verified':>9} {'batch ms/target':>16} {'single median ms':>17}"
    print(head)
    print("-" * len(head))
    for name in names:
        base = robokin.load(name)
        for scale in SCALES:
            robot = base.scaled(scale)
            T, q0 = reachable_targets(robot, count, seed)
            t0 = time.perf_counter()
            res = ik.solve(robot, T, q0, seed=0, method="dls")
            batch = (time.perf_counter() - t0) / count
            ok = verified(robot, res.q, T, TOL_P * min(robot.characteristic_length, 1.0))
            _, times = single_solves(robot, T[:100], q0[:100])
            print(
                f"{name:<9} {scale:>7g} {ok.mean() * 100:>8.2f}% {batch * 1e3:>16.4f} {np.median(times) * 1e3:>17.3f}",
                flush=True,
            )


def q0_table(names: list[str], count: int, seed: int, radius: float = 0.1, within: float = 0.2) -> None:
    """How often a start ``radius`` rad from a solution ends within ``within`` rad of it (single solves)."""
    print(
        f"IK start-guess table: {count} targets per arm; q0 = the solution + a random direction of length "
        f"{radius} rad (moved into the limits); near = verified and ‖q − q_solution‖ <= {within} rad\n"
    )
    head = f"{'robot':<9} {'prefer':<7} {'near':>8} {'verified':>9} {'median ms':>10} {'batch near':>11}"
    print(head)
    print("-" * len(head))
    for name in names:
        robot = robokin.load(name)
        rng = np.random.default_rng(seed)
        lo, hi = robot.limits.T
        lo_s, hi_s = np.where(np.isfinite(lo), lo, -np.pi), np.where(np.isfinite(hi), hi, np.pi)
        q_true = rng.uniform(lo_s, hi_s, (count, robot.n))
        step = rng.normal(size=(count, robot.n))
        q0 = np.clip(q_true + radius * step / np.linalg.norm(step, axis=1, keepdims=True), lo, hi)
        T = robot.fk(q_true)
        for prefer in ("q0", "any"):
            options = ik.IKOptions(prefer=prefer)
            q, times = single_solves(robot, T, q0, options)
            ok = verified(robot, q, T)
            near = ok & (np.linalg.norm(q - q_true, axis=1) <= within)
            res = ik.solve(robot, T, q0, options=options, seed=0, method="dls")
            batch_near = verified(robot, res.q, T) & (np.linalg.norm(res.q - q_true, axis=1) <= within)
            print(
                f"{name:<9} {prefer:<7} {near.mean() * 100:>7.2f}% {ok.mean() * 100:>8.2f}% "
                f"{np.median(times) * 1e3:>10.3f} {batch_near.mean() * 100:>10.2f}%",
                flush=True,
            )


# --------------------------------------------------------------------------------------------- analytic
ANALYTIC_TOL = 1e-9  # [m], [rad]: the check of every valid analytic solution


def checked(robot: robokin.Robot, q: np.ndarray, T: np.ndarray, tol: float) -> np.ndarray:
    """Bool ``q.shape[:-1]``: fk(q) within ``tol`` m / rad of ``T`` (broadcast) and q within the limits."""
    T_q = robot.fk(q)
    T = np.broadcast_to(T, T_q.shape)
    quat = spatial.matrix_to_quaternion(T[..., :3, :3] @ np.swapaxes(T_q[..., :3, :3], -1, -2))
    angle = 2.0 * np.arctan2(np.linalg.norm(quat[..., 1:], axis=-1), np.abs(quat[..., 0]))
    lo, hi = robot.limits.T
    return (
        (np.linalg.norm(T[..., :3, 3] - T_q[..., :3, 3], axis=-1) <= tol)
        & (angle <= tol)
        & np.all((q >= lo) & (q <= hi), axis=-1)
    )


def unlimited(robot: robokin.Robot) -> robokin.Robot:
    """The same arm without joint limits."""
    joints = tuple(robokin.Joint(j.name, j.type, j.form, j.dh, j.origin, j.axis) for j in robot.joints)
    return robokin.Robot(robot.name, joints, robot.base, robot.tool)


def _meet(ha, oa, hb, ob):
    n = np.cross(ha, hb)
    A = np.stack([ha, -hb, n], -1)
    ta, tb, _ = np.linalg.solve(A, ob - oa)
    return 0.5 * (oa + ta * ha + ob + tb * hb)


IKGEO_FAMILY = {  # robokin family -> ik-geo constructor of the same decomposition
    "spherical_wrist_intersecting_shoulder": "spherical_two_intersecting",
    "spherical_wrist_parallel_shoulder": "spherical_two_parallel",
    "spherical_wrist": "spherical",
    "three_parallel_intersecting_wrist": "three_parallel_two_intersecting",
    "three_parallel": "three_parallel",
}


def ikgeo_robot(robot: robokin.Robot, family):
    """``(ik-geo Robot, R0)`` for a 6-joint arm of a forward family, or None (ik-geo missing / other case).

    At q = 0 the motion frames give the axes ``h_i`` and points ``o_i`` (world); ik-geo takes
    ``p01 = o1``, ``p_{i,i+1} = o_{i+1} − o_i``, ``p6T = p0 − o6`` with no tool rotation, so its targets are
    ``(R R0ᵀ, p)``. Where the family says axes meet, the points are moved to the meeting point.
    """
    try:
        import ik_geo
    except ImportError:
        return None
    if robot.n != 6 or family.reversed or family.name not in IKGEO_FAMILY:
        return None
    C = robot.chain.C
    F, H, P = C[0], [], []
    for i in range(6):
        H.append(F[:3, 2])
        P.append(F[:3, 3])
        F = F @ C[i + 1]
    R0, p0 = F[:3, :3], F[:3, 3]
    if family.name.startswith("spherical"):
        W = _meet(H[3], P[3], H[4], P[4])
        P[3] = P[4] = P[5] = W
        if family.name == "spherical_wrist_intersecting_shoulder":
            P[0] = P[1] = _meet(H[0], P[0], H[1], P[1])
    elif family.name == "three_parallel_intersecting_wrist":
        P[4] = P[5] = _meet(H[4], P[4], H[5], P[5])
    pts = [P[0]] + [P[i + 1] - P[i] for i in range(5)] + [p0 - P[5]]
    make = getattr(ik_geo.Robot, IKGEO_FAMILY[family.name])
    return make([list(map(float, h)) for h in H], [list(map(float, p)) for p in pts]), R0


def _same_sets(a: np.ndarray, b: np.ndarray) -> bool:
    if len(a) != len(b):
        return False
    return all((np.abs(np.angle(np.exp(1j * (b - x)))).max(-1) < 1e-6).any() for x in a)


def bench_analytic(robot, T_batch, q_batch, T, q0, repeat=1):
    family = ik.analytic_family(robot)
    j = family.parameter_joint
    kw = {} if j is None else {"q_param": q_batch[:, j]}
    best = np.inf
    for _ in range(repeat):
        t0 = time.process_time()
        sols = ik.solve_all(robot, T_batch, **kw)
        best = min(best, (time.process_time() - t0) / T_batch.shape[0])
    source = (np.abs(np.angle(np.exp(1j * (sols.q - q_batch[:, None])))).max(-1) < 1e-7) & sols.valid
    false = (~checked(robot, sols.q, T_batch[:, None], ANALYTIC_TOL) & sols.valid).sum()
    # The single solve_all calls first, then the solve calls: interleaved, the LAPACK/BLAS threads that an
    # SVD leaves spinning would be counted in the next call's CPU time.
    single, auto, auto_q = [], [], []
    q_src = q_batch[: T.shape[0]]
    for i in range(T.shape[0]):
        kw1 = {} if j is None else {"q_param": q_src[i, j]}
        t_one = np.inf
        for _ in range(repeat):
            t0 = time.process_time()
            ik.solve_all(robot, T[i], **kw1)
            t_one = min(t_one, time.process_time() - t0)
        single.append(t_one)
    for i in range(T.shape[0]):
        t_auto = np.inf
        for _ in range(repeat):
            t0 = time.process_time()
            res = ik.solve(robot, T[i], q0[i], method="auto")
            t_auto = min(t_auto, time.process_time() - t0)
        auto.append(t_auto)
        auto_q.append(res.q)
    out = {
        "batch": best,
        "solved": source.any(-1).mean(),
        "false": int(false),
        "count": sols.count.mean(),
        "single": np.median(single),
        "auto": np.median(auto),
        "ikgeo": None,
        "auto_ok": verified(robot, np.array(auto_q), T).mean(),
    }
    geo = ikgeo_robot(robot, family)
    if geo is not None:
        peer, R0 = geo
        R_peer = T[:, :3, :3] @ R0.T
        times, agree = [], 0
        free = ik.solve_all(unlimited(robot), T)
        for i in range(T.shape[0]):
            Rl, pl = R_peer[i].T.tolist(), T[i, :3, 3].tolist()  # ik-geo takes the rotation as columns
            t_best = np.inf
            for _ in range(repeat):
                t0 = time.perf_counter()
                sol = peer.get_ik(Rl, pl)
                t_best = min(t_best, time.perf_counter() - t0)
            times.append(t_best)
            theirs = np.array([s for s, ls in sol if not ls]).reshape(-1, 6)
            agree += _same_sets(theirs, free.q[i][free.valid[i]])
        out["ikgeo"] = {"single": np.median(times), "mean": np.mean(times), "agree": agree / T.shape[0]}
    return out


def machine_check() -> float:
    """robokin fk of the Panda, µs per configuration at N = 10⁵: a yardstick of how loaded the machine is."""
    panda = robokin.load("panda")
    q = np.random.default_rng(0).uniform(-1.0, 1.0, (100_000, 7))
    panda.fk(q[:100])
    t0 = time.process_time()
    panda.fk(q)
    return (time.process_time() - t0) / q.shape[0] * 1e6


def analytic_table(names, args) -> None:
    print(
        f"machine check: robokin fk, Panda, N = 10^5: {machine_check():.2f} µs per configuration "
        "(about 0.4 on an idle machine)"
    )
    print(
        f"\nAnalytic IK (closed form, every solution): batch of {args.batch_targets} targets per arm "
        f"(solve_all, one call), {args.targets} single targets; verified = fk within {ANALYTIC_TOL:g} m / rad; "
        f"CPU time (time.process_time), least of {args.repeat} runs"
    )
    head = (
        f"{'robot':<9} {'family':<40} {'solved':>7} {'false':>6} {'sols':>5} {'batch µs/target':>16} "
        f"{'single µs':>10} {'solve auto ms':>14} {'auto ok':>8} {'ik-geo µs':>10} {'agree':>6}"
    )
    print(head)
    print("-" * len(head))
    peer_missing = True
    for name in names:
        robot = robokin.load(name)
        family = ik.analytic_family(robot)
        if not family.applies:
            print(f"{name:<9} {'none: ' + family.reason[:60]}")
            continue
        rng = np.random.default_rng(args.seed)
        lo, hi = robot.limits.T
        q_batch = rng.uniform(
            np.where(np.isfinite(lo), lo, -np.pi), np.where(np.isfinite(hi), hi, np.pi), (args.batch_targets, robot.n)
        )
        T_batch = robot.fk(q_batch)
        _, q0 = reachable_targets(robot, args.targets, args.seed + 1)
        r = bench_analytic(robot, T_batch, q_batch, T_batch[: args.targets], q0, args.repeat)
        fam = family.name + ("" if family.parameter_joint is None else f" (joint {family.parameter_joint + 1} given)")
        g = r["ikgeo"]
        peer_missing &= g is None
        print(
            f"{name:<9} {fam:<40} {r['solved'] * 100:>6.2f}% {r['false']:>6d} {r['count']:>5.2f} "
            f"{r['batch'] * 1e6:>16.2f} {r['single'] * 1e6:>10.1f} {r['auto'] * 1e3:>14.3f} {r['auto_ok'] * 100:>7.1f}% "
            + (f"{g['single'] * 1e6:>10.1f} {g['agree'] * 100:>5.1f}%" if g else f"{'-':>10} {'-':>6}"),
            flush=True,
        )
    if peer_missing:
        print("ik-geo is not importable here (or no arm has a forward 6-joint family): its columns are empty.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--targets", type=int, default=1000, help="targets per arm (default 1000)")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the targets and starts")
    parser.add_argument("--robots", nargs="*", help="only these bundled robots")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="time every solve this many times and keep the least (default 1; a shared "
        "machine's noise only ever adds time)",
    )
    parser.add_argument(
        "--scales",
        action="store_true",
        help="the scale table instead: each arm scaled 1e-3 ... 1e3 (default arms ur5, puma560)",
    )
    parser.add_argument(
        "--q0",
        action="store_true",
        help="the start-guess table instead: q0 0.1 rad from a solution (default ur5, puma560, panda)",
    )
    parser.add_argument(
        "--batch-targets", type=int, default=10000, help="targets of the analytic batch (default 10000)"
    )
    parser.add_argument("--no-dls", action="store_true", help="skip the damped-least-squares table")
    parser.add_argument("--no-analytic", action="store_true", help="skip the analytic table")
    args = parser.parse_args()
    if args.scales:
        scale_table(args.robots or ["ur5", "puma560"], args.targets, args.seed)
        return
    if args.q0:
        q0_table(args.robots or ["ur5", "puma560", "panda"], args.targets, args.seed)
        return
    names = args.robots or [
        n for n in robokin.list_robots() if robokin.load(n).n >= 6 and robokin.load(n).chain is not None
    ]
    if not args.no_analytic:
        analytic_table(names, args)
    if args.no_dls:
        return
    print(
        f"IK benchmark: {args.targets} reachable targets per arm from random starts; verified = fk(q) within "
        f"{TOL_P:g} m and {TOL_R:g} rad and q within the limits\n"
    )
    head = (
        f"{'robot':<9} {'solver':<17} {'verified':>9} {'median ms':>10} {'mean ms':>8} {'iters':>7} "
        f"{'batch verified':>15} {'batch ms/target':>16}"
    )
    print(head)
    print("-" * len(head))
    for name in names:
        robot = robokin.load(name)
        T, q0 = reachable_targets(robot, args.targets, args.seed)
        r = bench_robokin(robot, T, q0, args.repeat)
        print(
            f"{name:<9} {'robokin':<17} {r['single_ok'] * 100:>8.2f}% {r['median'] * 1e3:>10.3f} "
            f"{r['mean'] * 1e3:>8.3f} {r['its']:>7.1f} {r['batch_ok'] * 100:>14.2f}% {r['batch'] * 1e3:>16.4f}",
            flush=True,
        )
        ets = rtb_ets(robot)
        if ets is None:
            continue
        p = bench_rtb(ets, robot, T, q0, args.repeat)
        print(
            f"{'':<9} {'rtb ik_LM (C++)':<17} {p['single_ok'] * 100:>8.2f}% {p['median'] * 1e3:>10.3f} "
            f"{p['mean'] * 1e3:>8.3f} {p['its']:>7.1f} {'-':>15} {'-':>16}",
            flush=True,
        )
    if rtb_ets(robokin.load(names[0])) is None:
        print("\nroboticstoolbox-python is not installed: its ik_LM was skipped.")
    print(
        "\niters: robokin counts every iteration of every start (side-by-side starts included); rtb counts "
        "the iterations of all its searches."
    )


if __name__ == "__main__":
    main()
