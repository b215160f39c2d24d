"""Record reference poses of the test URDFs from Pinocchio, for robokin's URDF tests.

Run with the peers interpreter (Pinocchio installed there, never a robokin dependency):

    /work/peers/bin/python tests/data/urdf/make_reference.py

For every case below it writes ``<urdf stem>.json`` next to this script: the library and its version, the
URDF, and for seeded random joint vectors q (within the limits; continuous joints in [-pi, pi]) the pose
``T_base_tip`` (4, 4) of the tip link in the base link as Pinocchio computes it from the same URDF
(``forwardKinematics`` + ``updateFramePlacements``). robokin's tests load the URDF themselves and compare.
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

import numpy as np
import pinocchio as pin

HERE = Path(__file__).resolve().parent
SEED = 20240607
SAMPLES = 8

# urdf stem → list of (base, tip, chain's moving joints in order from the base)
CASES = {
    "ur5": [
        (
            "base_link",
            "tool0",
            [
                "shoulder_pan_joint",
                "shoulder_lift_joint",
                "elbow_joint",
                "wrist_1_joint",
                "wrist_2_joint",
                "wrist_3_joint",
            ],
        ),
    ],
    "panda": [
        ("panda_link0", "panda_hand_tcp", [f"panda_joint{i}" for i in range(1, 8)]),
        ("panda_link0", "panda_leftfinger", [f"panda_joint{i}" for i in range(1, 8)] + ["panda_finger_joint1"]),
    ],
    "gantry": [
        ("world", "tool", ["x", "z", "spin", "tilt"]),
    ],
}


def _pose(model: pin.Model, data: pin.Data, base: str, tip: str, names: list[str], q_chain: np.ndarray) -> np.ndarray:
    q = pin.neutral(model)
    for name, value in zip(names, q_chain):
        joint = model.joints[model.getJointId(name)]
        if joint.nq == 2:  # continuous joint: Pinocchio stores (cos q, sin q)
            q[joint.idx_q : joint.idx_q + 2] = np.cos(value), np.sin(value)
        else:
            q[joint.idx_q] = value
    pin.forwardKinematics(model, data, q)
    pin.updateFramePlacements(model, data)
    T_world_base = data.oMf[model.getFrameId(base, pin.BODY)].homogeneous
    T_world_tip = data.oMf[model.getFrameId(tip, pin.BODY)].homogeneous
    if np.array_equal(T_world_base, np.eye(4)):  # the root link: no inversion, no rounding
        return T_world_tip
    return np.linalg.solve(T_world_base, T_world_tip)


def main() -> None:
    rng = np.random.default_rng(SEED)
    for stem, cases in CASES.items():
        urdf = HERE / f"{stem}.urdf"
        model = pin.buildModelFromUrdf(str(urdf))
        data = model.createData()
        out_cases = []
        for base, tip, names in cases:
            lower, upper = [], []
            for name in names:
                joint = model.joints[model.getJointId(name)]
                if joint.nq == 2:
                    lower.append(-np.pi)
                    upper.append(np.pi)
                else:
                    lower.append(model.lowerPositionLimit[joint.idx_q])
                    upper.append(model.upperPositionLimit[joint.idx_q])
            qs = rng.uniform(lower, upper, size=(SAMPLES, len(names)))
            poses = [_pose(model, data, base, tip, names, q) for q in qs]
            out_cases.append(
                {"base": base, "tip": tip, "joints": names, "q": qs.tolist(), "T_base_tip": [T.tolist() for T in poses]}
            )
        record = {
            "library": "pinocchio",
            "version": pin.__version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "made_by": "tests/data/urdf/make_reference.py (buildModelFromUrdf, forwardKinematics, oMf of BODY frames)",
            "urdf": urdf.name,
            "seed": SEED,
            "cases": out_cases,
        }
        target = HERE / f"{stem}.json"
        target.write_text(json.dumps(record, indent=1) + "\n")
        print(
            f"wrote {target.relative_to(HERE.parent.parent.parent)}: {len(out_cases)} case(s) x {SAMPLES} poses",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
