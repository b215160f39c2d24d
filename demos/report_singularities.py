"""Singularity reports: the three kinds on the PUMA 560
=====================================================

Search for singular configurations, take one of each kind, and print what :func:`robokin.analyze <robokin.singularity.analyze>` says.

A 6-joint arm with a revolute wrist has three kinds of singularity: **wrist** (two wrist axes aligned),
**elbow** (the arm stretched out or folded back) and **shoulder** (the wrist centre on the first axis).
``find_singular`` drives seeded random starts towards ``det J = 0`` with autodiff gradients; the report of
each kind gives the singular values of the unit-free Jacobian ``[v/L; ω] J``, the task directions that
are lost (in words), and the joint motions that move nothing. Writes ``singularity_kinds.png``: the arm at
each configuration, with the lost direction drawn at the tool (translation part, black arrow; rotation
axis, orange).

Usage::

    python demos/report_singularities.py [OUT_DIR] [--starts N]
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

KINDS = ("wrist", "elbow", "shoulder")
ARROW = 0.3  # [m] drawn length of a unit direction


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("out_dir", nargs="?", default=".", help="folder for singularity_kinds.png")
    parser.add_argument("--starts", type=int, default=12, help="random starts of the search (default 12)")
    args = parser.parse_args(argv)

    robot = robokin.load("puma560")
    search = robokin.find_singular(robot, starts=args.starts, seed=0)
    groups = search.groups
    print(
        f"{robot.name}: {len(search)} singular configurations from {search.starts} starts; by kind: "
        + ", ".join(f"{kind} {len(index)}" for kind, index in groups.items())
    )

    fig = plt.figure(figsize=(4.4 * len(KINDS), 4.4))
    for k, kind in enumerate(KINDS):
        ax = fig.add_subplot(1, len(KINDS), k + 1, projection="3d")
        if kind not in groups:
            print(f"\n--- no {kind} singularity among the configurations found (try more --starts)")
            ax.set_title(f"{kind}: not found")
            continue
        q = search.q[groups[kind][0]]
        report = robokin.analyze(robot, q)
        print(f"\n--- {kind}: q = [" + ", ".join(f"{v:.1f}" for v in np.degrees(q)) + "] [deg]")
        print(report)
        viz.plot(robot, q, ax=ax, title=f"{kind} singularity", color=viz.WARN_COLOR)
        p_tool = robot.fk(q)[:3, 3]
        direction = report.lost_directions[0]  # [v/L; ω], world frame
        for part, color in ((direction[:3], "black"), (direction[3:], "tab:orange")):
            if np.linalg.norm(part) > 0.1:
                ax.quiver(*p_tool, *(ARROW * part / np.linalg.norm(part)), color=color, lw=2)
        ax.tick_params(labelsize=6)
    fig.tight_layout()
    out = Path(args.out_dir) / "singularity_kinds.png"
    fig.savefig(out, dpi=80)
    plt.close(fig)
    print(f"\nwrote {out.resolve()}")
    return out


# %%
# Running the demo (in the gallery: with the output folder of the docs build) prints and writes:

if __name__ == "__main__":
    main()
