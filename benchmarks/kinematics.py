"""Forward kinematics and Jacobian speed: single-call latency and batched throughput, beside the peers.

Run: ``python benchmarks/kinematics.py`` (add ``--quick`` for a short run). Every bundled arm with at least
6 joints; float64. When roboticstoolbox-python or pin (Pinocchio) is installed, the same chains go through
them too (checked to agree first) and the table shows how many times slower they are than robokin.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import _peers  # noqa: E402

import robokin  # noqa: E402


def best_time(func, repeat: int, number: int = 1) -> float:
    """Smallest mean CPU time [s] of ``number`` calls over ``repeat`` rounds (process time: every thread of
    this process counted, other processes' load on a shared machine not)."""
    best = np.inf
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(number):
            func()
        best = min(best, (time.process_time() - start) / number)
    return best


def median_latency(func, calls: int) -> float:
    """Median time [s] of single calls."""
    times = np.empty(calls)
    for k in range(calls):
        start = time.perf_counter()
        func()
        times[k] = time.perf_counter() - start
    return float(np.median(times))


def random_q(robot, rng, n_configs):
    lo, hi = robot.limits.T
    lo, hi = np.where(np.isfinite(lo), lo, -np.pi), np.where(np.isfinite(hi), hi, np.pi)
    return rng.uniform(lo, hi, (n_configs, robot.n))


def tree_rows(rng, N: int, repeat: int) -> None:
    """Every frame of a tree at once: robokin's ``fk_all`` (one batched call) beside Pinocchio's
    ``forwardKinematics`` + ``updateFramePlacements`` in a Python loop over the same configurations."""
    baxter = _peers.example_robot_data("baxter_description/urdf/baxter.urdf")
    talos = _peers.example_robot_data("talos_data/robots/talos_reduced.urdf")
    # (label, robokin robot, the URDF Pinocchio loads, whether robokin loaded that very URDF)
    trees = [("baxter", robokin.load("baxter"), baxter, False)]
    if baxter is not None:  # the dual-arm robot's whole URDF (grippers, head, sonar ring): the same tree both sides
        trees.append(("baxter.urdf", robokin.load_urdf(baxter), baxter, True))
    if talos is not None:  # a ~30-joint humanoid, loaded as a whole tree by both libraries
        trees.append(("talos", robokin.load_urdf(talos), talos, True))
    print(f"\ntrees: every frame at once, N = {N:,} configurations in one batch (µs per configuration)")
    print(
        f"{'robot':<12} {'n':>3} {'frames':>6} {'fk(link)':>9} {'J(link)':>8} {'fk_all':>7} {'fk_all(out=)':>12} "
        f"{'pin frames':>10} {'pin loop':>9}  ratios pin loop / fk_all, / fk_all(out=)"
    )
    for name, robot, urdf, same in trees:
        Q = random_q(robot, rng, N)
        # one frame's pose / world Jacobian, for scale: the end effector with the most joints on its path
        link = max(robot.end_effectors, key=lambda f: len(robot.link_path(f).index))  # noqa: B023
        one = best_time(lambda: robot.fk(Q, link=link), repeat) / N  # noqa: B023 - timed within this iteration
        jac = best_time(lambda: robot.jacobian(Q, link=link), repeat) / N  # noqa: B023
        ours = best_time(lambda: robot.fk_all(Q), repeat) / N
        out = robot.fk_all(Q)  # a previous result (its own layout), refilled in place like Pinocchio's Data
        reused = best_time(lambda: robot.fk_all(Q, out=out), repeat) / N  # noqa: B023
        assert np.array_equal(out, robot.fk_all(Q))
        cells = f"{name:<12} {robot.n:>3} {len(robot.frame_names):>6} {one * 1e6:9.3f} {jac * 1e6:8.3f}"
        cells += f" {ours * 1e6:7.3f} {reused * 1e6:12.3f}"
        if urdf is None or _peers.pin is None:
            print(cells + f" {'-':>10} {'-':>9}  (pin not installed)")
            continue
        if same:
            tree = _peers.PinocchioTree(urdf, robot)
            Q_pin = [tree.q_pin(q) for q in Q]
            T_all = robot.fk_all(Q[:3])
            for k in range(3):
                tree.all_frames(Q_pin[k])
                worst = max(np.abs(tree.data.oMf[j].homogeneous - T_all[k, i]).max() for i, j in tree.frames)
                assert worst < 1e-12, f"{name}: robokin and Pinocchio differ by {worst}"
        else:  # the bundled file keeps the arms only: Pinocchio runs its whole URDF
            robot_urdf = robokin.load_urdf(urdf)
            tree = _peers.PinocchioTree(urdf, robot_urdf)
            Q_pin = [tree.q_pin(q) for q in random_q(robot_urdf, rng, N)]

        def pin_loop():
            for qp in Q_pin:
                tree.all_frames(qp)

        theirs = best_time(pin_loop, repeat) / N
        note = "" if same else "  (pin: the whole URDF)"
        ratios = f"{theirs / ours:.2f}x, {theirs / reused:.2f}x"
        print(cells + f" {len(tree.model.frames):>10} {theirs * 1e6:9.3f}  {ratios}{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer repetitions, N = 10^4 only (the tree rows always use N = 10^4)"
    )
    parser.add_argument("--trees", action="store_true", help="only the tree rows")
    args = parser.parse_args()
    sizes = [10_000] if args.quick else [10_000, 100_000]
    calls = 300 if args.quick else 3000
    rng = np.random.default_rng(0)
    versions = _peers.peer_versions()
    print("robokin kinematics benchmark (float64, µs; lower is better)")
    print("peers: " + ", ".join(f"{k} {v}" if v else f"{k} not installed (skipped)" for k, v in versions.items()))
    if not args.trees:
        head = f"{'robot':<9} {'n':>2} {'what':<8} {'single':>8}" + "".join(
            f" {'N=' + format(N, ','):>12}" for N in sizes
        )
        head += f"  {'rtb single':>10} {'rtb N=1e4':>10} {'pin single':>10} {'pin loop':>10}  (ratios: peer time / robokin time)"
        print(head)
        print("-" * len(head))
        for name in robokin.list_robots():
            robot = robokin.load(name)
            if robot.n < 6 or robot.chain is None:  # trees: see tree_rows
                continue
            q1 = random_q(robot, rng, 1)[0]
            Q = {N: random_q(robot, rng, N) for N in sizes}
            ets, pc = _peers.rtb_ets(robot), _peers.pin_chain(robot)
            if ets is not None:
                assert np.abs(ets.eval(q1) - robot.fk(q1)).max() < 1e-12
                assert np.abs(ets.jacob0(q1) - robot.jacobian(q1)).max() < 1e-12
            if pc is not None:
                assert np.abs(pc.fk(q1) - robot.fk(q1)).max() < 1e-12
                assert np.abs(pc.jacobian(q1) - robot.jacobian(q1)).max() < 1e-12
            for what, ours, rtb_one, rtb_batch, pin_one in [
                ("fk", robot.fk, ets and ets.eval, ets and ets.eval, pc and pc.fk),
                ("jacobian", robot.jacobian, ets and ets.jacob0, None, pc and pc.jacobian),
            ]:
                single = median_latency(lambda: ours(q1), calls)
                row = f"{name:<9} {robot.n:>2} {what:<8} {single * 1e6:8.2f}"
                per_config = {}
                for N in sizes:
                    per_config[N] = best_time(lambda: ours(Q[N]), 3 if N > 10_000 else 7) / N
                    row += f" {per_config[N] * 1e6:9.3f}/cf"
                peer_cells = []
                N = sizes[0]
                for func, kind in [(rtb_one, "single"), (rtb_batch, "batch"), (pin_one, "single"), (pin_one, "loop")]:
                    if func is None:
                        peer_cells.append(f"{'-':>10}")
                    elif kind == "single":
                        peer_cells.append(f"{median_latency(lambda: func(q1), calls) / single:9.1f}x")
                    elif kind == "batch":
                        peer_cells.append(f"{best_time(lambda: func(Q[N]), 3) / N / per_config[N]:9.1f}x")
                    else:  # Pinocchio in a Python loop over the same N configurations

                        def loop(func=func):
                            for q in Q[N]:
                                func(q)

                        peer_cells.append(f"{best_time(loop, 3) / N / per_config[N]:9.1f}x")
                print(row + "  " + " ".join(peer_cells))
    tree_rows(rng, 10_000, 3 if args.quick else 7)
    if not any(versions.values()):
        print(
            "note: no peer library installed; `pip install roboticstoolbox-python pin` in this environment to "
            "compare (peers only, never dependencies of robokin)."
        )
    print("single = median latency of one call with one configuration (validation included);")
    print("/cf = µs per configuration of one batched call with N configurations (CPU time, best of 3-7 runs);")
    print("pin loop = Pinocchio called once per configuration in a Python loop over the N = 10^4 batch;")
    print("fk(link), J(link) = the pose / world Jacobian of the end effector with the longest path, same batch.")
    print("fk_all = every frame into a fresh array (its pages written for the first time: page faults included);")
    print("fk_all(out=) = every frame into the array of a previous call, refilled in place (as Pinocchio's loop")
    print("  refills its one Data); the tree goal (issue 12, robokin faster than the pin loop) compares fk_all(out=).")


if __name__ == "__main__":
    main()
