"""Record every link's pose and world Jacobian of the whole-tree URDFs here, as Pinocchio computes them.

Run with the peers interpreter (Pinocchio installed there, never a robokin dependency):

    /work/peers/bin/python tests/data/urdf/trees/make_reference.py

For each URDF, Pinocchio builds the model with mimic joints coupled (``buildModelFromUrdf(path, mimic=True)``,
Pinocchio >= 3.4). For seeded random joint values (uniform within the limits; continuous joints in [-pi, pi]),
keyed by joint name, it records for every link (BODY frame) ``oMf`` (4, 4) and the frame Jacobian in
``LOCAL_WORLD_ALIGNED`` (rows [v; w], world axes, at the link origin: robokin's ``frame="world"``), columns in
the order of ``joints`` (the independent joints; mimic joints fold into their leaders).
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

import numpy as np
import pinocchio as pin

HERE = Path(__file__).resolve().parent
SEED = 20261130
SAMPLES = 2
FILES = ("panda_hand.urdf", "baxter.urdf", "talos_left_arm.urdf")


def _record(path: Path, rng: np.random.Generator) -> dict:
    model = pin.buildModelFromUrdf(str(path), mimic=True)
    data = model.createData()
    joints = []  # (name, joint model) of the independent joints, in Pinocchio's order
    for jid in range(1, model.njoints):
        joint = model.joints[jid]
        if joint.shortname() != "JointModelMimic" and joint.nv > 0:
            joints.append((model.names[jid], joint))
    samples = []
    for _ in range(SAMPLES):
        q_named, q_pin = {}, pin.neutral(model)
        for name, joint in joints:
            lo, hi = model.lowerPositionLimit[joint.idx_q], model.upperPositionLimit[joint.idx_q]
            if joint.nq == 2:  # continuous joint: (cos, sin)
                value = rng.uniform(-np.pi, np.pi)
                q_pin[joint.idx_q : joint.idx_q + 2] = np.cos(value), np.sin(value)
            else:
                value = rng.uniform(lo, hi) if np.isfinite([lo, hi]).all() and hi > lo else rng.uniform(-np.pi, np.pi)
                q_pin[joint.idx_q] = value
            q_named[name] = float(value)
        pin.forwardKinematics(model, data, q_pin)
        pin.updateFramePlacements(model, data)
        pin.computeJointJacobians(model, data, q_pin)
        frames = {}
        for fid, frame in enumerate(model.frames):
            if frame.type != pin.FrameType.BODY:
                continue
            J = pin.getFrameJacobian(model, data, fid, pin.LOCAL_WORLD_ALIGNED)
            frames[frame.name] = {
                "T_world_link": data.oMf[fid].homogeneous.tolist(),
                "J_world": J[:, [joint.idx_v for _, joint in joints]].tolist(),
            }
        samples.append({"q": q_named, "frames": frames})
    return {"joints": [name for name, _ in joints], "samples": samples}


def main() -> None:
    rng = np.random.default_rng(SEED)
    out = {
        "generator": f"pinocchio {pin.__version__}, Python {platform.python_version()}, {sys.platform}",
        "seed": SEED,
        "files": {name: _record(HERE / name, rng) for name in FILES},
    }
    (HERE / "reference.json").write_text(json.dumps(out, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {HERE / 'reference.json'}")


if __name__ == "__main__":
    main()
