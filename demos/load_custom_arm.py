"""Your own arm from a YAML file
=============================

Describe an arm in a few lines of YAML, load it, use it, and see what a mistake in the file looks like.

The file below mixes two of the three geometry forms (standard Denavit–Hartenberg for the shoulder, URDF-style
``origin`` + ``axis`` for the rest), uses millimetres and degrees (converted once on load to metres and
radians) and names two configurations. The demo writes it as ``my_arm.yaml``, loads it, prints its joints,
limits and tool pose [m], then loads a copy with one misspelled key and prints the error, which names the
file, line and column, the joint and the key. It writes ``my_arm.png``: the arm at both configurations.

Usage::

    python demos/load_custom_arm.py [OUT_DIR]
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

ARM_YAML = """\
robokin: 1
name: my_arm
description: A 4-axis arm described for the robokin gallery.
units: {length: mm, angle: deg}
base: {xyz: [0, 0, 50]}
joints:
  - name: waist
    type: revolute
    dh: {a: 0, alpha: 90, d: 250}
    limits: [-170, 170]
  - name: shoulder
    type: revolute
    origin: {xyz: [0, 0, 0]}
    axis: [0, 0, 1]
    limits: [-90, 90]
  - name: elbow
    type: revolute
    origin: {xyz: [300, 0, 0]}
    axis: [0, 0, 1]
    limits: [-135, 135]
  - name: slide
    type: prismatic
    origin: {xyz: [250, 0, 0], rpy: [0, 90, 0]}
    axis: [0, 0, 1]
    limits: [0, 100]
tool: {xyz: [0, 0, 40]}
configurations:
  home: [0, 0, 0, 0]
  reach: [30, 40, -70, 80]
"""


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("out_dir", nargs="?", default=".", help="folder for my_arm.yaml and my_arm.png")
    args = parser.parse_args(argv)
    out_dir = Path(args.out_dir)

    path = out_dir / "my_arm.yaml"
    path.write_text(ARM_YAML, encoding="utf-8")
    robot = robokin.load(path)
    print(f"loaded {robot.name!r} from {path.name}: n = {robot.n} moving joints")
    for name, kind, (lo, hi) in zip(robot.joint_names, robot.joint_types, robot.limits):
        unit, scale = ("deg", np.degrees(1.0)) if kind == "revolute" else ("m", 1.0)
        print(f"  {name:<9} {kind:<10} limits [{lo * scale:8.3f}, {hi * scale:8.3f}] {unit}")
    for config, q in robot.configurations.items():
        p = robot.fk(q)[:3, 3]
        print(f"  tool at {config!r}: x, y, z = {p[0]:.3f}, {p[1]:.3f}, {p[2]:.3f} [m]")

    # The same file with one key misspelled: loading fails with a message that points into the file.
    broken = out_dir / "my_arm_typo.yaml"
    broken.write_text(ARM_YAML.replace("axis: [0, 0, 1]\n    limits: [-135", "axes: [0, 0, 1]\n    limits: [-135"))
    try:
        robokin.load(broken)
    except robokin.RobotFormatError as error:
        print("loading the copy with a typo fails, as it should:")
        print(f"  RobotFormatError: {str(error).replace(str(out_dir.resolve()), 'OUT_DIR')}")
    else:  # pragma: no cover - the loader accepted a bad file
        raise SystemExit("the misspelled key was accepted")

    fig = plt.figure(figsize=(8, 4))
    for k, (config, q) in enumerate(robot.configurations.items()):
        ax = fig.add_subplot(1, 2, k + 1, projection="3d")
        viz.plot(robot, q, ax=ax, title=f"my_arm at {config!r}")
        ax.tick_params(labelsize=6)
    fig.tight_layout()
    out = out_dir / "my_arm.png"
    fig.savefig(out, dpi=80)
    plt.close(fig)
    print(f"wrote {out.resolve()}")
    return out


# %%
# Running the demo (in the gallery: with the output folder of the docs build) prints and writes:

if __name__ == "__main__":
    main()
