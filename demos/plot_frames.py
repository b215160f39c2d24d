"""Frames on an arm
================

The frames robokin computes, drawn on the UR5: the world, every joint's frame and the tool.

``fk_frames(q)`` returns the pose of each of them in the world, ``T_world_frame`` of shape
``(len(joints) + 2, 4, 4)``: the base, one frame per joint (where the joint's geometry ends), and the tool,
which is what ``fk(q)`` returns. Each frame is drawn as its three unit axes scaled to 8 cm (x red, y green,
z blue) and numbered as printed. Prints every frame's origin [m] and the tool's z axis, and writes ``frames.png``.

Usage::

    python demos/plot_frames.py [OUT_DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: this demo never opens a window

import matplotlib.pyplot as plt
import numpy as np

import robokin
from robokin import viz

AXIS_COLORS = ("tab:red", "tab:green", "tab:blue")  # x, y, z
AXIS_LENGTH = 0.08  # [m] drawn length of each frame axis


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("out_dir", nargs="?", default=".", help="folder for frames.png (default: here)")
    parser.add_argument("--robot", default="ur5", help="bundled robot (default ur5)")
    args = parser.parse_args(argv)

    robot = robokin.load(args.robot)
    q = np.radians([0.0, -60.0, 80.0, -110.0, -90.0, 30.0])[: robot.n]
    T_world_frames = robot.fk_frames(q)  # (len(joints) + 2, 4, 4)
    names = ["base", *(j.name for j in robot.joints), "tool"]
    T_world_tool = robot.fk(q)

    print(f"{robot.name} at q = {np.round(np.degrees(q), 1).tolist()} deg: {len(names)} frames")
    print(f"  {'#':>2} {'frame':<16} origin x, y, z in the world [m]")
    for k, (name, T) in enumerate(zip(names, T_world_frames)):
        print(f"  {k:>2} {name:<16} {T[0, 3]:7.3f} {T[1, 3]:7.3f} {T[2, 3]:7.3f}")
    print(f"last frame equals fk(q): {bool(np.allclose(T_world_frames[-1], T_world_tool))} (the tool)")
    print(f"tool z axis in the world: {np.round(T_world_tool[:3, 2], 3).tolist()} (the approach direction)")

    fig = plt.figure(figsize=(7, 7))
    ax = fig.add_subplot(projection="3d")
    viz.plot(
        robot,
        q,
        ax=ax,
        title=f"{robot.name}: T_world_frame of every frame (numbered as printed)",
        color="0.6",
        limits=False,
    )
    for k, T in enumerate(T_world_frames):
        for axis in range(3):
            tip = T[:3, 3] + AXIS_LENGTH * T[:3, axis]
            ax.plot(*np.stack([T[:3, 3], tip], axis=1), color=AXIS_COLORS[axis], lw=2)
        ax.text(*(T[:3, 3] + [0.0, 0.0, 0.025 if k % 2 else -0.045]), str(k), fontsize=10, weight="bold")
    # Equal-aspect limits around the frames (the arm's own reach would make them small).
    origins = T_world_frames[:, :3, 3]
    centre, half = (origins.max(0) + origins.min(0)) / 2, (origins.max(0) - origins.min(0)).max() / 2 + 0.1
    ax.set(
        xlim=(centre[0] - half, centre[0] + half),
        ylim=(centre[1] - half, centre[1] + half),
        zlim=(centre[2] - half, centre[2] + half),
        xlabel="x [m]",
        ylabel="y [m]",
        zlabel="z [m]",
    )
    ax.set_box_aspect((1, 1, 1))
    ax.view_init(elev=20, azim=-50)
    fig.tight_layout()
    out = Path(args.out_dir) / "frames.png"
    fig.savefig(out, dpi=90)
    plt.close(fig)
    print(f"wrote {out.resolve()}")
    return out


# %%
# Running the demo (in the gallery: with the output folder of the docs build) prints and writes:

if __name__ == "__main__":
    main()
