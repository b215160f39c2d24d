"""Two hands at once: a dual-arm robot carries a box
===================================================

Baxter carries a box with both grippers, solved as one two-task IK per frame, and animated. The box (0.50 m wide) is held by its two side faces: the left gripper at the box centre + 0.25 m along y, the
right one at − 0.25 m, both pointing down. The box moves along a closed loop in front of the robot (a lift,
a sideways move and a turn of 30° about the vertical); at every frame both hands are one batch of two
:class:`robokin.ik.PoseTask` targets, solved together by :func:`robokin.ik.solve_tasks`
from the previous frame's answer. Then 200 random reachable pairs (fk of random q) are solved as one batch.
Prints the success rates, errors [m, rad] and times [ms], and writes ``two_hands.gif``.

Usage::

    python demos/solve_two_hand_task.py [OUT_DIR] [--frames N] [--pairs K]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: this demo never opens a window

import numpy as np  # noqa: E402

import robokin  # noqa: E402
from robokin import spatial, viz  # noqa: E402
from robokin.ik import PoseTask, solve_tasks  # noqa: E402

BOX_CENTRE = np.array([0.70, 0.0, 0.10])  # [m], world (torso) frame, at the start
HALF_WIDTH = 0.25  # [m]: each gripper is this far from the box centre
HANDS = ("left_gripper", "right_gripper")


def box_poses(frames: int) -> np.ndarray:
    """Poses ``(frames, 4, 4)`` of the box along its loop: up 0.15 m and left 0.10 m while turning 30°, back."""
    s = 0.5 - 0.5 * np.cos(np.linspace(0.0, 2.0 * np.pi, frames))  # 0 → 1 → 0, smooth
    yaw = np.radians(30.0) * s
    R = spatial.rot_z(yaw)  # (frames, 3, 3)
    p = BOX_CENTRE + s[:, None] * np.array([0.0, 0.10, 0.15])
    return spatial.transform(R, p)


def hand_targets(T_world_box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two gripper poses ``(..., 4, 4)`` for box poses ``(..., 4, 4)``: at ±HALF_WIDTH along the box's y
    axis, pointing down (gripper z = −box z), fingers closing along the box's y axis."""
    R_box_gripper = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]])  # z down, y flipped
    out = []
    for side in (1.0, -1.0):
        T_box_hand = spatial.transform(R_box_gripper, [0.0, side * HALF_WIDTH, 0.0])
        out.append(T_world_box @ T_box_hand)
    return out[0], out[1]


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("out_dir", nargs="?", default=".", help="folder for two_hands.gif (default: here)")
    parser.add_argument("--frames", type=int, default=30, help="frames of the box's loop (default 30)")
    parser.add_argument("--pairs", type=int, default=200, help="random reachable target pairs (default 200)")
    args = parser.parse_args(argv)

    robot = robokin.load("baxter")
    q = robot.configurations["neutral"]
    T_left, T_right = hand_targets(box_poses(args.frames))
    print(f"baxter carries a {2 * HALF_WIDTH:.2f} m box with both grippers along a {args.frames}-frame loop")
    path, worst_p, worst_r, start = [], 0.0, 0.0, time.perf_counter()
    reached = 0
    for k in range(args.frames):  # each frame from the previous answer: a smooth motion
        result = solve_tasks(robot, [PoseTask(HANDS[0], T_left[k]), PoseTask(HANDS[1], T_right[k])], q0=q, seed=k)
        q = result.q
        path.append(q)
        reached += bool(result.success)
        worst_p = max(worst_p, float(result.position_error.max()))
        worst_r = max(worst_r, float(result.rotation_error.max()))
    elapsed = (time.perf_counter() - start) / args.frames * 1e3
    q_path = np.stack(path)
    print(
        f"  both hands reached in {reached}/{args.frames} frames; largest errors {worst_p:.1e} m and "
        f"{worst_r:.1e} rad; {elapsed:.1f} ms per frame; largest joint step "
        f"{np.degrees(np.abs(np.diff(q_path, axis=0)).max()):.1f} deg"
    )
    # The box keeps its width: the grippers' distance [m] along the motion, by fk of the solutions.
    p = robot.fk(q_path, link=list(HANDS))[:, :, :3, 3]
    width = np.linalg.norm(p[:, 0] - p[:, 1], axis=-1)
    print(f"  gripper distance {width.min():.6f}-{width.max():.6f} m (box width {2 * HALF_WIDTH:.6f} m)")

    rng = np.random.default_rng(0)
    lo, hi = robot.limits.T
    q_true = rng.uniform(lo, hi, (args.pairs, robot.n))
    T_pairs = robot.fk(q_true, link=list(HANDS))  # (K, 2, 4, 4): reachable by construction
    start = time.perf_counter()
    batch = solve_tasks(
        robot,
        [PoseTask(HANDS[0], T_pairs[:, 0]), PoseTask(HANDS[1], T_pairs[:, 1])],
        q0=robot.configurations["neutral"],
        seed=1,
    )
    elapsed = (time.perf_counter() - start) / args.pairs * 1e3
    inside = np.all((batch.q >= lo) & (batch.q <= hi))
    print(
        f"  {args.pairs} random reachable pairs in one batch: {batch.success.mean():.1%} solved (verified by fk), "
        f"{elapsed:.1f} ms per pair, within limits: {bool(inside)}, largest error "
        f"{batch.position_error.max():.1e} m"
    )

    targets = np.concatenate([T_left[:, :3, 3], T_right[:, :3, 3]])
    anim = viz.animate(
        robot,
        q_path,
        fps=10,
        targets=targets,
        limits="motion",
        ax=viz.axes3d(offscreen=True),
        title="baxter: two hands, one box",
    )
    out = Path(args.out_dir) / "two_hands.gif"
    start = time.perf_counter()
    viz.save(anim, out, progress=False)
    print(f"wrote {out.resolve()} ({anim.n_frames} frames) in {time.perf_counter() - start:.1f} s")
    return out


# %%
if __name__ == "__main__":
    main()
