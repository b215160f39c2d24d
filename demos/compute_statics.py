"""Statics and velocities by autodiff, without forming J
======================================================

The UR5 carries a 2 kg load from "ready" to "home" along a quintic joint path (rest to rest, 2 s).

At every sample the joint torques that hold the load up, ``τ = Jᵀ F`` with the tool wrench
``F = [0, 0, m g, 0, 0, 0]`` (the force the tool exerts, world frame), come from **one vector-Jacobian
product** of the forward kinematics (:func:`robokin.kinematics.joint_torques`: the wrench is the pose's
cotangent), and the tool twist ``[v; ω] = J q̇`` from **one Jacobian-vector product**
(:func:`robokin.kinematics.tool_twist`). Neither forms J; both are checked against the explicit Jacobian.
Prints the largest torque per joint [N·m], the largest tool speed [m/s] and the largest differences from
``Jᵀ F`` and ``J q̇``, and writes ``statics.png``: torques and tool speed against time.

Usage::

    python demos/compute_statics.py [OUT_DIR] [--steps N]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: this demo never opens a window

import matplotlib.pyplot as plt
import numpy as np

import robokin
from robokin import kinematics, trajectory

MASS = 2.0  # [kg] load at the tool
GRAVITY = 9.81  # [m/s²]


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("out_dir", nargs="?", default=".", help="folder for statics.png (default: here)")
    parser.add_argument("--steps", type=int, default=101, help="samples along the path (default 101)")
    args = parser.parse_args(argv)

    robot = robokin.load("ur5")
    path = trajectory.quintic(
        robot, robot.configurations["ready"], robot.configurations["home"], steps=args.steps, duration=2.0
    )
    wrench = np.array([0.0, 0.0, MASS * GRAVITY, 0.0, 0.0, 0.0])  # [N, N·m], world frame

    tau = kinematics.joint_torques(robot, path.q, wrench)  # (N, n) [N·m], one VJP of fk for all samples
    twist = kinematics.tool_twist(robot, path.q, path.qd)  # (N, 6) [m/s, rad/s], one JVP of fk
    J = robot.jacobian(path.q)  # (N, 6, n), only to check the two above
    tau_check = np.einsum("kij,i->kj", J, wrench)
    twist_check = np.einsum("kij,kj->ki", J, path.qd)

    print(f"{robot.name} holding {MASS} kg from 'ready' to 'home' in 2 s, {args.steps} samples")
    print(
        "largest |τ| per joint [N·m]: "
        + ", ".join(f"{name} {v:.2f}" for name, v in zip(robot.joint_names, np.abs(tau).max(axis=0)))
    )
    speed = np.linalg.norm(twist[:, :3], axis=-1)
    print(f"largest tool speed: {speed.max():.3f} m/s at t = {path.t[speed.argmax()]:.2f} s")
    print(f"VJP torques vs Jᵀ F: largest difference {np.abs(tau - tau_check).max():.1e} N·m")
    print(f"JVP twist vs J q̇: largest difference {np.abs(twist - twist_check).max():.1e} m/s or rad/s")

    fig, (ax_tau, ax_speed) = plt.subplots(2, 1, figsize=(8, 6), sharex=True, layout="constrained")
    for j, name in enumerate(robot.joint_names):
        ax_tau.plot(path.t, tau[:, j], label=name, ls="--" if j % 2 else "-")  # dashed: equal curves show
    ax_tau.set_ylabel("τ = Jᵀ F [N·m]")
    ax_tau.set_title(f"{robot.name}: joint torques holding {MASS} kg, by one VJP of fk")
    ax_tau.legend(fontsize=8, ncol=3)
    ax_speed.plot(path.t, speed, color="black", label="|v| of the tool (one JVP of fk)")
    ax_speed.set_xlabel("t [s]")
    ax_speed.set_ylabel("tool speed [m/s]")
    ax_speed.legend(fontsize=8)
    out = Path(args.out_dir) / "statics.png"
    fig.savefig(out, dpi=80)
    plt.close(fig)
    print(f"wrote {out.resolve()}")
    return out


# %%
# Running the demo (in the gallery: with the output folder of the docs build) prints and writes:

if __name__ == "__main__":
    main()
