"""A tour of the PUMA 560's singularities
======================================

A tour of the PUMA 560's singularities: a map over shoulder and elbow, and singular configurations found.

Prints the singular configurations found from seeded random starts (joint values in degrees, their type:
wrist, elbow or shoulder; at most three of each type) and writes ``singularities.png``: the map of
σ_min/σ_max of the unit-free Jacobian over q[1] (shoulder) and q[2] (elbow) with the singular set in red,
and the arm drawn at one singular configuration of each type found.

Usage::

    python demos/tour_singularities.py [OUT_DIR] [--starts N] [--resolution N]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: this demo never opens a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import robokin  # noqa: E402
from robokin import singularity, viz  # noqa: E402


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("out_dir", nargs="?", default=".", help="folder for singularities.png (default: here)")
    parser.add_argument("--starts", type=int, default=24, help="random starts of the search (default 24)")
    parser.add_argument("--resolution", type=int, default=91, help="map grid points per axis (default 91)")
    args = parser.parse_args(argv)

    robot = robokin.load("puma560")
    q_map = np.array(robot.configurations["nominal"])
    smap = singularity.singularity_map(robot, (1, 2), q=q_map, resolution=args.resolution)
    frac = float((smap.inverse_condition < 0.05).mean())
    print(
        f"{robot.name}: map of σ_min/σ_max over {smap.joint_names[0]} × {smap.joint_names[1]} "
        f"({args.resolution}×{args.resolution}), other joints at 'nominal'; "
        f"{100 * frac:.1f} % of the grid is within σ_min/σ_max < 0.05"
    )

    found = singularity.find_singular(robot, starts=args.starts, seed=0)
    print(
        f"found {len(found)} distinct singular configurations from {found.starts} starts ({found.converged} converged):"
    )
    shown: dict[str, np.ndarray] = {}
    count: dict[str, int] = {}
    for q, ic, types in zip(found.q, found.inverse_condition, found.types):
        kind = "+".join(types)
        count[kind] = count.get(kind, 0) + 1
        if count[kind] > 3:
            continue
        print("  q [deg] = [" + ", ".join(f"{v:7.1f}" for v in np.degrees(q)) + f"]  σmin/σmax = {ic:.1e}  {kind}")
        shown.setdefault(kind, q)
    print("  by type: " + ", ".join(f"{kind} {k}" for kind, k in count.items()))

    panels = 1 + len(shown)
    fig = plt.figure(figsize=(4.6 * panels, 4.4))
    smap.plot(fig.add_subplot(1, panels, 1))
    for k, (kind, q) in enumerate(shown.items(), 2):
        ax = fig.add_subplot(1, panels, k, projection="3d")
        viz.plot(robot, q, ax=ax, title=f"{kind} singularity", color=viz.WARN_COLOR)
        ax.tick_params(labelsize=6)
    fig.tight_layout()
    out = Path(args.out_dir) / "singularities.png"
    fig.savefig(out, dpi=80)
    plt.close(fig)
    print(f"wrote {out.resolve()}")
    return out


# %%
# Running the demo (in the gallery: with the output folder of the docs build) prints and writes:

if __name__ == "__main__":
    main()
