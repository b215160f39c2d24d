"""The bundled robots
==================

Load every bundled robot and draw it: a grid of 3D stick figures, one per arm, at a named configuration.

Prints each arm's number of joints, its reach bound and its tool position, and writes ``robots.png``.

Usage::

    python demos/plot_robots.py [OUT_DIR]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: this demo never opens a window

import matplotlib.pyplot as plt  # noqa: E402

import robokin  # noqa: E402
from robokin import viz  # noqa: E402


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("out_dir", nargs="?", default=".", help="folder for robots.png (default: here)")
    args = parser.parse_args(argv)

    names = robokin.list_robots()
    cols = 4
    rows = math.ceil(len(names) / cols)
    fig = plt.figure(figsize=(3.2 * cols, 3.2 * rows))
    print(f"{'robot':<10} {'n':>2}  {'configuration':<13} {'reach [m]':>9}  tool x, y, z [m]")
    for k, name in enumerate(names):
        robot = robokin.load(name)
        config = next((c for c in ("ready", "home") if c in robot.configurations), next(iter(robot.configurations)))
        q = robot.configurations[config]
        ax = fig.add_subplot(rows, cols, k + 1, projection="3d")
        viz.plot(robot, q, ax=ax, title=f"{name} ({config})")
        ax.tick_params(labelsize=6)
        p = robot.fk(q, link=viz.drawn_link(robot))[:3, 3]  # a tree: its tool or first end effector
        print(f"{name:<10} {robot.n:>2}  {config:<13} {viz.reach(robot):9.3f}  {p[0]:7.3f} {p[1]:7.3f} {p[2]:7.3f}")
    fig.tight_layout()
    out = Path(args.out_dir) / "robots.png"
    fig.savefig(out, dpi=80)
    plt.close(fig)
    print(f"wrote {out.resolve()}")
    return out


# %%
# Running the demo (in the gallery: with the output folder of the docs build) prints and writes:

if __name__ == "__main__":
    main()
