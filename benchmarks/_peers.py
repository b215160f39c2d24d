"""The same compiled chain in the peer libraries, for cross-checks and timing (optional imports).

Both peers get exactly robokin's folded chain ``C[0] Mz(q_0) C[1] ... Mz(q_{n-1}) C[n]``, so their poses and
Jacobians must equal robokin's to rounding; the benchmarks check that before they time anything.
"""

from __future__ import annotations

import numpy as np

try:  # roboticstoolbox-python
    import roboticstoolbox as rtb
    from spatialmath import SE3
except ImportError:  # pragma: no cover - optional
    rtb = None

try:  # Pinocchio
    import pinocchio as pin
except ImportError:  # pragma: no cover - optional
    pin = None


def peer_versions() -> dict[str, str | None]:
    return {
        "roboticstoolbox-python": getattr(rtb, "__version__", None),
        "pin (Pinocchio)": getattr(pin, "__version__", None),
    }


def rtb_ets(robot):
    """The chain as a roboticstoolbox ``ETS`` (C++ evaluator), or None when it is not installed."""
    if rtb is None:
        return None
    chain = robot.chain
    items = [rtb.ET.SE3(SE3(np.array(chain.C[0]), check=False))]
    for i, revolute in enumerate(chain.revolute):
        items.append(rtb.ET.Rz() if revolute else rtb.ET.tz())
        items.append(rtb.ET.SE3(SE3(np.array(chain.C[i + 1]), check=False)))
    return rtb.ETS(items)


class PinocchioChain:
    """The chain as a Pinocchio model with a tool frame; None-safe constructor via :func:`pin_chain`."""

    def __init__(self, robot):
        chain = robot.chain
        model = pin.Model()
        parent = 0
        for i, revolute in enumerate(chain.revolute):
            joint = pin.JointModelRZ() if revolute else pin.JointModelPZ()
            C = np.array(chain.C[i])
            parent = model.addJoint(parent, joint, pin.SE3(C[:3, :3], C[:3, 3]), f"j{i}")
        C = np.array(chain.C[-1])
        self.tool = model.addFrame(pin.Frame("tool", parent, pin.SE3(C[:3, :3], C[:3, 3]), pin.FrameType.OP_FRAME))
        self.model, self.data = model, model.createData()

    def fk(self, q: np.ndarray) -> np.ndarray:
        pin.framesForwardKinematics(self.model, self.data, q)
        return self.data.oMf[self.tool].homogeneous

    def jacobian(self, q: np.ndarray) -> np.ndarray:
        return pin.computeFrameJacobian(self.model, self.data, q, self.tool, pin.LOCAL_WORLD_ALIGNED)


def pin_chain(robot):
    return None if pin is None else PinocchioChain(robot)


def example_robot_data(relative: str) -> str | None:
    """Path of a file of the example-robot-data package shipped beside Pinocchio's wheel, or None."""
    if pin is None:
        return None
    import os

    # pin lives in PREFIX/lib/pythonX.Y/site-packages/pinocchio; the data in PREFIX/share/example-robot-data
    prefix = os.path.abspath(os.path.join(os.path.dirname(pin.__file__), "..", "..", "..", ".."))
    path = os.path.join(prefix, "share", "example-robot-data", "robots", relative)
    return path if os.path.isfile(path) else None


class PinocchioTree:
    """A whole-tree URDF in Pinocchio (mimic joints coupled), mapped to robokin's q and frame names."""

    def __init__(self, urdf: str, robot):
        self.model = pin.buildModelFromUrdf(urdf, mimic=True)
        self.data = self.model.createData()
        self.robot = robot
        self.q_index = []  # (robokin coordinate, pin idx_q, continuous)
        for jid in range(1, self.model.njoints):
            joint = self.model.joints[jid]
            if joint.nq == 0 or joint.shortname() == "JointModelMimic":
                continue
            self.q_index.append((robot.joint_names.index(self.model.names[jid]), joint.idx_q, joint.nq == 2))
        self.frames = [
            (i, self.model.getFrameId(name, pin.BODY))
            for i, name in enumerate(robot.frame_names)
            if self.model.existFrame(name, pin.BODY)
        ]

    def q_pin(self, q: np.ndarray) -> np.ndarray:
        out = pin.neutral(self.model)
        for k, idx, continuous in self.q_index:
            if continuous:
                out[idx : idx + 2] = np.cos(q[k]), np.sin(q[k])
            else:
                out[idx] = q[k]
        return out

    def all_frames(self, q_pin: np.ndarray) -> None:
        """``forwardKinematics`` + ``updateFramePlacements``: every frame's pose in ``data.oMf``."""
        pin.forwardKinematics(self.model, self.data, q_pin)
        pin.updateFramePlacements(self.model, self.data)
