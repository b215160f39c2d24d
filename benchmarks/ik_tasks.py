"""Multi-task IK on a tree: both grippers of the bundled dual-arm robot (Baxter) to reachable pose pairs.

Run: ``python benchmarks/ik_tasks.py [--pairs 1000]``. Targets are ``fk`` of random configurations within the
limits (reachable by construction); every answer is verified here by ``robot.fk`` of the returned q (both
poses within 1e-6 m and 1e-6 rad) and by the limits. Prints the success rate and the time per pair for one
batched call and for single calls.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import robokin
from robokin import spatial
from robokin.multitask import PoseTask, solve_tasks

HANDS = ["left_gripper", "right_gripper"]
TOL = 1e-6  # [m] and [rad]


def verified(robot, q: np.ndarray, T: np.ndarray) -> np.ndarray:
    """``(K,)`` bool: both grippers at ``T`` ``(K, 2, 4, 4)`` within TOL, and q within the limits."""
    T_got = robot.fk(q, link=HANDS)
    dp = np.linalg.norm(T_got[..., :3, 3] - T[..., :3, 3], axis=-1).max(axis=-1)
    dr = np.linalg.norm(spatial.so3_log(T[..., :3, :3] @ np.swapaxes(T_got[..., :3, :3], -1, -2)), axis=-1).max(-1)
    return (dp <= TOL) & (dr <= TOL) & robot.within_limits(q)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000, help="reachable target pairs (default 1000)")
    parser.add_argument("--single", type=int, default=100, help="pairs also solved one call each (default 100)")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    robot = robokin.load("baxter")
    rng = np.random.default_rng(args.seed)
    lo, hi = robot.sampling_bounds.T
    T = robot.fk(rng.uniform(lo, hi, (args.pairs, robot.n)), link=HANDS)  # (K, 2, 4, 4)
    q0 = robot.configurations["neutral"]
    tasks = [PoseTask(HANDS[0], T[:, 0]), PoseTask(HANDS[1], T[:, 1])]
    start = time.perf_counter()
    res = solve_tasks(robot, tasks, q0=q0, seed=args.seed)
    batch = (time.perf_counter() - start) / args.pairs
    ok = verified(robot, res.q, T)
    print(f"baxter, two pose tasks (left_gripper, right_gripper), {args.pairs} reachable pairs from q0 = neutral")
    print(
        f"  batched: {ok.mean():.1%} verified (solver says {res.success.mean():.1%}), {batch * 1e3:.2f} ms per pair, "
        f"{res.iterations.mean():.1f} iterations and {res.restarts.mean():.2f} restarts per pair, "
        f"NaN: {bool(np.isnan(res.q).any())}"
    )
    times, oks = [], []
    for k in range(min(args.single, args.pairs)):
        start = time.perf_counter()
        one = solve_tasks(robot, [PoseTask(HANDS[0], T[k, 0]), PoseTask(HANDS[1], T[k, 1])], q0=q0, seed=k)
        times.append(time.perf_counter() - start)
        oks.append(bool(verified(robot, one.q[None], T[k : k + 1])[0]))
    print(
        f"  single calls ({len(times)} pairs): {np.mean(oks):.1%} verified, median {np.median(times) * 1e3:.1f} ms, "
        f"mean {np.mean(times) * 1e3:.1f} ms"
    )


if __name__ == "__main__":
    main()
