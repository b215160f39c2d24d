"""Inverse kinematics for one target, and what the options trade
==============================================================

One target for the 7-joint panda, solved four ways, and one target it cannot reach.

1. the default full-pose solve from the "home" posture;
2. a local solve (``max_restarts=0``): only ``q0``, no other starts; cheaper, and it can fail;
3. position only (``weights=ik.POSITION_ONLY``): the orientation is free;
4. a full pose with a null-space preference (``rest="middle", nullspace_gain=0.5``; the gain is 0, off, by
   default): the redundant seventh degree of freedom is pulled towards the middle of the joint ranges;
5. a point 2 m away, beyond the reach: not an exception but ``success=False`` with the closest pose found.

Prints for each the errors [m, rad], the iterations, the starts used besides ``q0``, the distances of the
answer from ``q0`` and from the middle of the joint ranges [rad] and the time [ms], and writes ``ik_options.png``: the arm
at each answer, with the target marked.

Usage::

    python demos/solve_ik_options.py [OUT_DIR]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: this demo never opens a window

import matplotlib.pyplot as plt
import numpy as np

import robokin
from robokin import IKOptions, ik, spatial, viz


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("out_dir", nargs="?", default=".", help="folder for ik_options.png (default: here)")
    args = parser.parse_args(argv)

    robot = robokin.load("panda")
    q0 = np.array(robot.configurations["home"])
    # A reachable target: the tool 20 cm forward, 15 cm left and 10 cm lower than at home, turned 30° about z.
    T_home = robot.fk(q0)
    T_target = spatial.transform(spatial.rot_z(np.radians(30)) @ T_home[:3, :3], T_home[:3, 3] + [0.2, 0.15, -0.1])
    T_far = spatial.transform(T_home[:3, :3], [2.0, 0.0, 0.5])  # [m], beyond the panda's reach
    middle = robot.limits.mean(axis=1)

    cases = [
        ("default", T_target, None),
        ("local (no restarts)", T_target, IKOptions(max_restarts=0, starts=1)),
        ("position only", T_target, IKOptions(weights=ik.POSITION_ONLY)),
        ("rest = middle", T_target, IKOptions(rest="middle", nullspace_gain=0.5)),
        ("unreachable", T_far, None),
    ]
    print(f"panda, target x, y, z = {np.round(T_target[:3, 3], 3).tolist()} [m], from 'home'")
    print(
        f"  {'case':<20} {'success':<7} {'|Δp| [m]':>9} {'|Δθ| [rad]':>10} {'iter':>5} {'restarts':>8} "
        f"{'|q − q0|':>8} {'|q − middle| [rad]':>18} {'ms':>6}"
    )
    answers = []
    for label, T, options in cases:
        start = time.perf_counter()
        result = ik.solve(robot, T, q0, options=options, seed=0)
        ms = (time.perf_counter() - start) * 1e3
        print(
            f"  {label:<20} {str(bool(result.success)):<7} {float(result.position_error):9.1e} "
            f"{float(result.rotation_error):10.1e} {int(result.iterations):>5} {int(result.restarts):>8} "
            f"{np.linalg.norm(result.q - q0):8.3f} {np.linalg.norm(result.q - middle):18.3f} {ms:6.1f}"
        )
        answers.append((label, T, result))

    fig = plt.figure(figsize=(3.4 * len(answers), 3.6))
    for k, (label, T, result) in enumerate(answers):
        ax = fig.add_subplot(1, len(answers), k + 1, projection="3d")
        viz.plot(
            robot,
            result.q,
            ax=ax,
            title=f"{label}: {'reached' if result.success else 'closest pose'}",
            color=viz.LINK_COLOR if result.success else viz.WARN_COLOR,
        )
        ax.plot(*T[:3, 3, None], "x", color="black", ms=9, mew=2)
        ax.tick_params(labelsize=6)
        ax.title.set_fontsize(9)
    fig.tight_layout()
    out = Path(args.out_dir) / "ik_options.png"
    fig.savefig(out, dpi=80)
    plt.close(fig)
    print(f"wrote {out.resolve()}")
    return out


# %%
# Running the demo (in the gallery: with the output folder of the docs build) prints and writes:

if __name__ == "__main__":
    main()
