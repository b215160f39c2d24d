"""Pick and place along straight lines
===================================

Pick and place with the panda: straight Cartesian moves, IK along them, resolved rate, and an animation.

The tool (pointing down) goes from "home" to above the pick point, straight down, straight up, across to
above the place point while turning 90° about the vertical (SLERP), down, up, and home again. Vertical
moves follow the line by IK seeded from the previous step; the transfer is driven by resolved rate,
``q̇ = J⁺ v`` (damped near singularities); the first and last moves are quintic joint-space paths. Prints
each move with its largest distance from the straight line [m], and writes ``pick_place.gif`` with the
tool's trail and the velocity ellipsoid at the tool.

Usage::

    python demos/animate_pick_place.py [OUT_DIR] [--frames N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: this demo never opens a window

import numpy as np  # noqa: E402

import robokin  # noqa: E402
from robokin import ik, spatial, trajectory, viz  # noqa: E402

PICK = np.array([0.55, -0.25, 0.12])  # [m], world frame
PLACE = np.array([0.40, 0.35, 0.20])  # [m]
CLEARANCE = 0.15  # [m] height of the approach points above pick and place


def _distance_from_line(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Largest distance [m] of the points ``p`` (N, 3) from the straight line through ``a`` and ``b``."""
    u = (b - a) / np.linalg.norm(b - a)
    rel = p - a
    return float(np.linalg.norm(rel - (rel @ u)[:, None] * u, axis=-1).max())


def _straight_legs(robot, legs, q, N: int, first: int, moves: list) -> np.ndarray:
    """Follow each ``(label, T_a, T_b)`` leg as a straight tool line by seeded IK; append the joint paths to
    ``moves``, print how straight and how smooth each was, and return the last configuration."""
    for k, (label, T_a, T_b) in enumerate(legs, first):
        line = trajectory.cartesian_line(T_a, T_b, steps=N)
        followed = trajectory.follow(robot, line.T, q)
        p = robot.fk(followed.q)[:, :3, 3]
        print(
            f"  {k}. {label}: straight line by seeded IK, all reached = {bool(followed.success.all())}, "
            f"distance from the line ≤ {_distance_from_line(p, T_a[:3, 3], T_b[:3, 3]):.1e} m, "
            f"largest joint step {np.degrees(float(followed.largest_step)):.2f} deg"
        )
        moves.append(followed.q[1:])
        q = followed.q[-1]
    return q


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("out_dir", nargs="?", default=".", help="folder for pick_place.gif (default: here)")
    parser.add_argument("--frames", type=int, default=12, help="frames per move (default 12)")
    args = parser.parse_args(argv)

    robot = robokin.load("panda")
    q_home = np.array(robot.configurations["home"])
    T_home = robot.fk(q_home)
    R_down = T_home[:3, :3]  # the tool points down at home
    R_turned = spatial.rot_z(np.pi / 2) @ R_down
    above_pick = spatial.transform(R_down, PICK + [0, 0, CLEARANCE])
    pick = spatial.transform(R_down, PICK)
    above_place = spatial.transform(R_turned, PLACE + [0, 0, CLEARANCE])
    place = spatial.transform(R_turned, PLACE)
    N = args.frames

    first = ik.solve(robot, above_pick, q_home)
    print(f"panda pick and place, {N} frames per move; pick at {PICK.tolist()} m, place at {PLACE.tolist()} m")
    print(f"IK above the pick point: reached = {bool(first.success)}, |Δp| = {float(first.position_error):.1e} m")
    moves = [trajectory.quintic(robot, q_home, first.q, steps=N).q]
    print(f"  1. home → above pick: quintic joint path, {N} frames")
    q = first.q
    q = _straight_legs(robot, [("down to pick", above_pick, pick), ("up from pick", pick, above_pick)], q, N, 2, moves)
    # Resolved rate integrates with explicit Euler steps: run it 10 times finer than the frames (dt = 2 s /
    # (10 (N − 1))), then keep every 10th sample for the animation.
    transfer = trajectory.cartesian_line(above_pick, above_place, steps=10 * (N - 1) + 1, duration=2.0)
    rate = trajectory.resolved_rate(robot, transfer, q)
    print(
        f"  4. across to above place, turning 90° about z: resolved rate q̇ = J⁺v over 2 s, tracking error "
        f"≤ {rate.position_error.max():.1e} m and {np.degrees(rate.rotation_error.max()):.2f} deg, "
        f"damping used: {'yes' if rate.damping.max() > 0 else 'no'}"
    )
    moves.append(rate.q[10::10])
    q = rate.q[-1]
    q = _straight_legs(
        robot, [("down to place", above_place, place), ("up from place", place, above_place)], q, N, 5, moves
    )
    moves.append(trajectory.quintic(robot, q, q_home, steps=N).q[1:])
    print(f"  7. above place → home: quintic joint path, {N} frames")
    q_path = np.concatenate(moves)

    anim = viz.animate(
        robot,
        q_path,
        fps=15,
        ellipsoid=True,
        targets=np.stack([PICK, PLACE]),
        limits="motion",
        ax=viz.axes3d(offscreen=True),
        title="panda: pick and place",
    )
    print(
        f"smallest σmin/σmax along the motion: {anim.inverse_condition.min():.3f} "
        f"({int(anim.near_singular.sum())} frames flagged near a singularity)"
    )
    out = Path(args.out_dir) / "pick_place.gif"
    start = time.perf_counter()
    viz.save(anim, out)
    print(f"wrote {out.resolve()} ({anim.n_frames} frames) in {time.perf_counter() - start:.1f} s")
    return out


# %%
# Running the demo (in the gallery: with the output folder of the docs build) prints and writes:

if __name__ == "__main__":
    main()
