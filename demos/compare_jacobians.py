"""Four Jacobians that agree
=========================

Four ways to the same Jacobian: closed form ("analytic"), forward-mode AD, reverse-mode AD, central differences.

For every bundled robot, at 64 seeded random configurations within the limits, prints the largest
difference of each method from the analytic Jacobian [m/s or rad/s per unit joint rate] and the time per
configuration, and writes ``jacobians.png`` (the differences on a log scale).

Usage::

    python demos/compare_jacobians.py [OUT_DIR] [--samples N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: this demo never opens a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import robokin  # noqa: E402

METHODS = ("forward", "reverse", "numeric")


def random_q(robot: robokin.Robot, rng: np.random.Generator, count: int) -> np.ndarray:
    """``(count, n)`` configurations uniform within the limits (±π rad or ±1 m where unlimited)."""
    lo, hi = robot.limits.T
    span = np.where(np.array(robot.joint_types) == "revolute", np.pi, 1.0)
    return rng.uniform(np.where(np.isfinite(lo), lo, -span), np.where(np.isfinite(hi), hi, span), (count, robot.n))


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("out_dir", nargs="?", default=".", help="folder for jacobians.png (default: here)")
    parser.add_argument("--samples", type=int, default=64, help="random configurations per robot (default 64)")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    names = robokin.list_robots()
    worst = np.zeros((len(names), len(METHODS)))
    print(
        f"{args.samples} random configurations per robot; largest |J_method − J_analytic| "
        "[m/s, rad/s per unit joint rate], and µs per configuration"
    )
    print(f"{'robot':<10} " + " ".join(f"{m:>10} {'µs':>7}" for m in METHODS) + f" {'analytic µs':>12}")
    for r, name in enumerate(names):
        robot = robokin.load(name)
        q = random_q(robot, rng, args.samples)
        link = robot.default_link or robot.end_effectors[0]  # a tree: its tool or first end effector
        start = time.perf_counter()
        J = robot.jacobian(q, link=link)
        t_analytic = (time.perf_counter() - start) / args.samples * 1e6
        cells = []
        for m, method in enumerate(METHODS):
            start = time.perf_counter()
            Jm = robot.jacobian(q, method=method, link=link)
            dt = (time.perf_counter() - start) / args.samples * 1e6
            worst[r, m] = np.abs(Jm - J).max()
            cells.append(f"{worst[r, m]:10.1e} {dt:7.1f}")
        print(f"{name:<10} " + " ".join(cells) + f" {t_analytic:12.1f}")
    ad = worst[:, :2].max()
    print(
        f"\nforward and reverse AD agree with the closed form to {ad:.1e}; central differences "
        f"(truncation and rounding error) to {worst[:, 2].max():.1e}"
    )

    fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
    x = np.arange(len(names))
    for m, method in enumerate(METHODS):
        ax.bar(x + (m - 1) * 0.27, np.maximum(worst[:, m], 1e-18), width=0.27, label=method)
    ax.set_yscale("log")
    ax.set_xticks(x, names, rotation=45, ha="right")
    ax.set_ylabel("largest |J − J_analytic|")
    ax.set_title(f"Jacobian methods vs the closed form, {args.samples} random configurations per robot")
    ax.legend()
    out = Path(args.out_dir) / "jacobians.png"
    fig.savefig(out, dpi=80)
    plt.close(fig)
    print(f"wrote {out.resolve()}")
    return out


# %%
# Running the demo (in the gallery: with the output folder of the docs build) prints and writes:

if __name__ == "__main__":
    main()
