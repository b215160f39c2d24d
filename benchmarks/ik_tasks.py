"""Multi-task IK on trees: both grippers of the bundled dual-arm robot (Baxter), and a humanoid's hand.

Run: ``python benchmarks/ik_tasks.py [--pairs 1000] [--single 100]``. Targets are ``fk`` of random configurations
within the limits (reachable by construction); every answer is verified here by ``robot.fk`` of the returned q
(every task within 1e-6 m and 1e-6 rad, by the quaternion angle, independent of the solver's ``so3_log``) and by
the limits. Cases:

- ``baxter, two poses``: both grippers to their poses, from q0 = the ``neutral`` configuration.
- ``baxter, point + hold``: the left gripper's origin to a point while the right gripper keeps its pose.
- ``talos, hand + holds`` (when the example-robot-data package is installed beside Pinocchio, e.g. run with the
  peers' interpreter): the 32-joint humanoid with a fixed pelvis; the left gripper to a pose while the right
  gripper and both soles hold the poses they have at the same random configuration (4 pose tasks, 24 rows),
  from q0 = 0.

Each case: one batched call (CPU time per target, ``time.process_time``) and single calls (median and mean CPU
time), success as verified here and as the solver says.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import robokin
from robokin import ik

TOL = 1e-6  # [m] and [rad]


def angle(R: np.ndarray) -> np.ndarray:
    """Rotation angle [rad] of ``R`` ``(..., 3, 3)`` from its quaternion: ``tan(θ/2) = ‖v‖/4 / w²`` with
    ``w = cos(θ/2) = √(1 + tr R)/2`` and ``v = vee(R − Rᵀ)``, ``‖v‖ = 2 sin θ`` (precise near 0, where it is used)."""
    w2 = np.maximum(1.0 + np.trace(R, axis1=-2, axis2=-1), 0.0) / 4.0
    v = np.stack([R[..., 2, 1] - R[..., 1, 2], R[..., 0, 2] - R[..., 2, 0], R[..., 1, 0] - R[..., 0, 1]], -1)
    return 2.0 * np.arctan2(np.linalg.norm(v, axis=-1) / 4.0, w2)


def verified(robot, q: np.ndarray, tasks: list) -> np.ndarray:
    """``(K,)`` bool: every task within TOL at ``robot.fk(q, link=...)``, and q within the limits."""
    ok = robot.within_limits(q)
    for task in tasks:
        T_got = robot.fk(q, link=task.link)
        if isinstance(task, ik.PositionTask):
            ok &= np.linalg.norm(T_got[..., :3, 3] - task.p_target, axis=-1) <= TOL
        else:
            T = np.asarray(task.T_target)
            ok &= np.linalg.norm(T_got[..., :3, 3] - T[..., :3, 3], axis=-1) <= TOL
            ok &= angle(T[..., :3, :3] @ np.swapaxes(T_got[..., :3, :3], -1, -2)) <= TOL
    return ok


def one(tasks: list, k: int) -> list:
    """The tasks of target ``k`` only."""
    out = []
    for task in tasks:
        if isinstance(task, ik.PositionTask):
            out.append(ik.PositionTask(task.link, task.p_target[k], task.weight))
        else:
            out.append(ik.PoseTask(task.link, task.T_target[k]))
    return out


def run(name: str, robot, tasks: list, q0: np.ndarray, targets: int, single: int, seed: int) -> None:
    start = time.process_time()
    res = ik.solve_tasks(robot, tasks, q0=q0, seed=seed)
    cpu = (time.process_time() - start) / targets
    ok = verified(robot, res.q, tasks)
    print(
        f"{name}: {targets} targets, batched: {ok.mean():.1%} verified (solver says {res.success.mean():.1%}), "
        f"{cpu * 1e3:.2f} ms CPU per target, {res.iterations.mean():.1f} iterations and {res.restarts.mean():.2f} "
        f"restarts per target, NaN: {bool(np.isnan(res.q).any())}"
    )
    times, oks, says = [], [], []
    for k in range(min(single, targets)):
        tk = one(tasks, k)
        start = time.process_time()
        r = ik.solve_tasks(robot, tk, q0=q0, seed=k)
        times.append(time.process_time() - start)
        oks.append(bool(verified(robot, r.q[None], [_batch1(t) for t in tk])[0]))
        says.append(bool(r.success))
    if times:
        print(
            f"    single calls ({len(times)}): {np.mean(oks):.1%} verified (solver says {np.mean(says):.1%}), "
            f"CPU median {np.median(times) * 1e3:.1f} ms, mean {np.mean(times) * 1e3:.1f} ms"
        )


def _batch1(task):
    """The task with a batch axis of 1 (for ``verified``)."""
    if isinstance(task, ik.PositionTask):
        return ik.PositionTask(task.link, np.asarray(task.p_target)[None], task.weight)
    return ik.PoseTask(task.link, np.asarray(task.T_target)[None])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000, help="reachable targets per case (default 1000)")
    parser.add_argument("--single", type=int, default=100, help="targets also solved one call each (default 100)")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    baxter = robokin.load("baxter")
    hands = ["left_gripper", "right_gripper"]
    lo, hi = baxter.sampling_bounds.T
    T = baxter.fk(rng.uniform(lo, hi, (args.pairs, baxter.n)), link=hands)  # (K, 2, 4, 4)
    neutral = np.array(baxter.configurations["neutral"])
    run(
        "baxter, two poses (left_gripper, right_gripper) from q0 = neutral",
        baxter,
        [ik.PoseTask(hands[0], T[:, 0]), ik.PoseTask(hands[1], T[:, 1])],
        neutral,
        args.pairs,
        args.single,
        args.seed,
    )
    T_hold = np.broadcast_to(baxter.fk(neutral, link=hands[1]), (args.pairs, 4, 4))
    run(
        "baxter, left_gripper origin to a point + right_gripper holds its neutral pose",
        baxter,
        [ik.PositionTask(hands[0], T[:, 0, :3, 3]), ik.PoseTask(hands[1], T_hold)],
        neutral,
        args.pairs,
        args.single,
        args.seed,
    )

    try:
        import sys
        from pathlib import Path

        sys.path.insert(0, str(Path(__file__).parent))
        import _peers

        talos_urdf = _peers.example_robot_data("talos_data/robots/talos_reduced.urdf")
    except ImportError:  # pragma: no cover
        talos_urdf = None
    if talos_urdf is None:
        print("talos: skipped (example-robot-data not found beside Pinocchio; run with the peers' interpreter)")
        return
    talos = robokin.load_urdf(talos_urdf)
    links = ["gripper_left_base_link", "gripper_right_base_link", "left_sole_link", "right_sole_link"]
    links = [name if name in talos.frame_names else name.replace("_base_link", "_motor_double_link") for name in links]
    lo, hi = talos.sampling_bounds.T
    T4 = talos.fk(rng.uniform(lo, hi, (args.pairs, talos.n)), link=links)
    run(
        f"talos (n = {talos.n}, fixed pelvis), {links[0]} to a pose while {links[1]}, {links[2]} and {links[3]} "
        "hold theirs, from q0 = 0",
        talos,
        [ik.PoseTask(link, T4[:, i]) for i, link in enumerate(links)],
        np.clip(np.zeros(talos.n), *talos.limits.T),
        args.pairs,
        args.single,
        args.seed,
    )


if __name__ == "__main__":
    main()
