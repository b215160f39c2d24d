"""Inverse kinematics for a batch of targets
=========================================

Inverse kinematics for a batch of reachable targets, solved as one vectorized call, then drawn.

The targets are the tool poses of seeded random configurations of the panda (so each is reachable);
all are solved at once from the "home" posture. Prints each target, whether it was reached, the
position [m] and rotation [rad] errors, iterations and restarts, and writes ``ik_targets.png``: the arm at
each solution with its target marked.

Usage::

    python demos/solve_ik_targets.py [OUT_DIR] [--targets N]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: this demo never opens a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import robokin  # noqa: E402
from robokin import ik, viz  # noqa: E402


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("out_dir", nargs="?", default=".", help="folder for ik_targets.png (default: here)")
    parser.add_argument("--targets", type=int, default=6, help="number of targets (default 6)")
    parser.add_argument("--robot", default="panda", help="bundled robot (default panda)")
    args = parser.parse_args(argv)

    robot = robokin.load(args.robot)
    rng = np.random.default_rng(3)
    lo, hi = robot.limits.T
    lo, hi = np.where(np.isfinite(lo), lo, -np.pi), np.where(np.isfinite(hi), hi, np.pi)
    q_true = rng.uniform(lo + 0.2 * (hi - lo), hi - 0.2 * (hi - lo), (args.targets, robot.n))
    T_targets = robot.fk(q_true)  # (k, 4, 4): reachable by construction
    q0 = next(iter(robot.configurations.values()))

    start = time.perf_counter()
    result = ik.solve(robot, T_targets, q0)
    seconds = time.perf_counter() - start
    print(
        f"{robot.name}: {args.targets} targets solved as one batch from {next(iter(robot.configurations))!r} "
        f"in {seconds * 1e3:.1f} ms"
    )
    print(
        f"  {'#':>2}  {'target x, y, z [m]':<24} {'reached':<7} {'|Δp| [m]':>9} {'|Δθ| [rad]':>10} "
        f"{'iter':>5} {'restarts':>8}"
    )
    for k in range(args.targets):
        xyz = ", ".join(f"{v:.3f}" for v in T_targets[k, :3, 3])
        print(
            f"  {k + 1:>2}  {xyz:<24} {'yes' if result.success[k] else 'NO':<7} {result.position_error[k]:9.1e} "
            f"{result.rotation_error[k]:10.1e} {result.iterations[k]:>5} {result.restarts[k]:>8}"
        )
    reached = robot.fk(result.q)
    print(
        f"largest distance of the tool from its target, checked by fk: "
        f"{np.linalg.norm(reached[:, :3, 3] - T_targets[:, :3, 3], axis=-1).max():.1e} m"
    )

    cols = min(3, args.targets)
    rows = math.ceil(args.targets / cols)
    fig = plt.figure(figsize=(3.4 * cols, 3.4 * rows))
    for k in range(args.targets):
        ax = fig.add_subplot(rows, cols, k + 1, projection="3d")
        viz.plot(robot, result.q[k], ax=ax, title=f"target {k + 1}: {'reached' if result.success[k] else 'missed'}")
        ax.plot(*T_targets[k, :3, 3, None], "x", color="black", ms=9, mew=2)
        ax.tick_params(labelsize=6)
    fig.tight_layout()
    out = Path(args.out_dir) / "ik_targets.png"
    fig.savefig(out, dpi=80)
    plt.close(fig)
    print(f"wrote {out.resolve()}")
    return out


# %%
# Running the demo (in the gallery: with the output folder of the docs build) prints and writes:

if __name__ == "__main__":
    main()
