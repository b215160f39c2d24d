#!/usr/bin/env python
"""Regenerate the reference data in tests/data/ from peer libraries.

Run with the peers' interpreter (roboticstoolbox-python, spatialmath and pin installed):

    /work/peers/bin/python tests/data/make_reference.py            # check + write references
    /work/peers/bin/python tests/data/make_reference.py --check    # only print the comparison table

It does NOT import robokin. It holds its own small, deliberately naive evaluator of the robot YAML
format (format version 1, shared/robot-format.md): units, ``pi`` expressions, the ``dh`` / ``mdh`` /
``origin``+``axis`` joint forms, fixed joints, base and tool. That evaluator checks every bundled
file against a peer model (Robotics Toolbox for Python or Pinocchio) built from the *published*
numbers written below, then the FK poses and world-frame geometric Jacobians are recorded from the
PEER library (not from this evaluator) into ``reference_<robot>.json`` with provenance.

Jacobian rows are [v; w]: v the linear velocity of the tool origin, w the angular velocity, both
in the world frame (RTB ``jacob0``; Pinocchio ``LOCAL_WORLD_ALIGNED``).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import zlib
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
ROBOTS_DIR = HERE.parent.parent / "robots"
N_SAMPLES = 5  # random configurations per robot
SEED = 20240611

# --------------------------------------------------------------------------------------------
# A tiny independent reader/evaluator for the YAML format (no validation beyond what it needs).
# --------------------------------------------------------------------------------------------

_EXPR = re.compile(r"^\s*(-)?\s*(?:(\d+(?:\.\d*)?|\.\d+)\s*\*\s*)?pi\s*(?:/\s*(\d+(?:\.\d*)?))?\s*$")
_LENGTH = {"m": 1.0, "cm": 0.01, "mm": 0.001}
_ANGLE = {"rad": 1.0, "deg": math.pi / 180.0}


def num(x) -> float:
    """A YAML number or a simple ``pi`` expression such as ``-pi/2`` or ``2*pi/3``."""
    if isinstance(x, bool):
        raise TypeError(x)
    if isinstance(x, (int, float)):
        return float(x)
    m = _EXPR.match(str(x))
    if not m:
        raise ValueError(f"not a number or pi expression: {x!r}")
    sign, factor, div = m.groups()
    v = math.pi
    if factor:
        v = float(factor) * v
    if div:
        v = v / float(div)
    return -v if sign else v


def rotx(t):
    c, s = math.cos(t), math.sin(t)
    return np.array([[1, 0, 0, 0], [0, c, -s, 0], [0, s, c, 0], [0, 0, 0, 1.0]])


def roty(t):
    c, s = math.cos(t), math.sin(t)
    return np.array([[c, 0, s, 0], [0, 1, 0, 0], [-s, 0, c, 0], [0, 0, 0, 1.0]])


def rotz(t):
    c, s = math.cos(t), math.sin(t)
    return np.array([[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1.0]])


def trans(x, y, z):
    T = np.eye(4)
    T[:3, 3] = (x, y, z)
    return T


def rot_axis(axis, t):
    """4x4 rotation by angle t about the unit axis (Rodrigues)."""
    k = np.asarray(axis, float)
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    T = np.eye(4)
    T[:3, :3] = np.eye(3) + math.sin(t) * K + (1 - math.cos(t)) * (K @ K)
    return T


def xyz_rpy(d, L, A):
    d = d or {}
    x, y, z = (num(v) * L for v in d.get("xyz", [0, 0, 0]))
    r, p, yw = (num(v) * A for v in d.get("rpy", [0, 0, 0]))
    return trans(x, y, z) @ rotz(yw) @ roty(p) @ rotx(r)


class Chain:
    """Joint list read from a robot YAML file, in SI units."""

    def __init__(self, path: Path):
        self.path = Path(path)
        doc = yaml.safe_load(self.path.read_text())
        self.doc = doc
        self.name = doc["name"]
        u = doc.get("units", {}) or {}
        L = _LENGTH[u.get("length", "m")]
        A = _ANGLE[u.get("angle", "rad")]
        self.base = xyz_rpy(doc.get("base"), L, A)
        self.tool = xyz_rpy(doc.get("tool"), L, A)
        self.joints = []  # (name, type, form, params)
        for j in doc["joints"]:
            jt = j["type"]
            if "dh" in j or "mdh" in j:
                form = "dh" if "dh" in j else "mdh"
                p = j[form]
                prm = {
                    "a": num(p.get("a", 0)) * L,
                    "alpha": num(p.get("alpha", 0)) * A,
                    "d": num(p.get("d", 0)) * L,
                    "theta": num(p.get("theta", 0)) * A,
                }
            else:
                form = "urdf"
                ax = np.array([num(v) for v in j.get("axis", [0, 0, 1])], float)
                prm = {"origin": xyz_rpy(j.get("origin"), L, A), "axis": ax / np.linalg.norm(ax)}
            self.joints.append((j["name"], jt, form, prm))
        moving = [j for j in doc["joints"] if j["type"] != "fixed"]
        self.n = len(moving)
        scale = [A if j["type"] == "revolute" else L for j in moving]
        self.scale = np.array(scale)
        lim = []
        for j, s in zip(moving, scale):
            if "limits" in j:
                lo, hi = (num(v) * s for v in j["limits"])
            else:
                lo, hi = -math.inf, math.inf
            lim.append((lo, hi))
        self.limits = np.array(lim)
        self.configurations = {
            k: np.array([num(v) for v in vals]) * self.scale for k, vals in (doc.get("configurations") or {}).items()
        }

    def fk_and_jacobian(self, q):
        """T_world_tool (4,4) and the world-frame geometric Jacobian (6,n), rows [v; w]."""
        q = np.asarray(q, float)
        T = self.base.copy()
        axes = []  # (kind, world axis, world point on axis)
        k = 0
        for _, jt, form, p in self.joints:
            qi = q[k] if jt != "fixed" else 0.0
            if form == "dh":
                # axis z of the previous frame
                if jt == "revolute":
                    axes.append(("R", T[:3, 2].copy(), T[:3, 3].copy()))
                    J = rotz(p["theta"] + qi) @ trans(0, 0, p["d"])
                elif jt == "prismatic":
                    axes.append(("P", T[:3, 2].copy(), T[:3, 3].copy()))
                    J = rotz(p["theta"]) @ trans(0, 0, p["d"] + qi)
                else:
                    J = rotz(p["theta"]) @ trans(0, 0, p["d"])
                T = T @ J @ trans(p["a"], 0, 0) @ rotx(p["alpha"])
            elif form == "mdh":
                T = T @ rotx(p["alpha"]) @ trans(p["a"], 0, 0)
                if jt == "revolute":
                    axes.append(("R", T[:3, 2].copy(), T[:3, 3].copy()))
                    T = T @ rotz(p["theta"] + qi) @ trans(0, 0, p["d"])
                elif jt == "prismatic":
                    axes.append(("P", T[:3, 2].copy(), T[:3, 3].copy()))
                    T = T @ rotz(p["theta"]) @ trans(0, 0, p["d"] + qi)
                else:
                    T = T @ rotz(p["theta"]) @ trans(0, 0, p["d"])
            else:
                T = T @ p["origin"]
                w = T[:3, :3] @ p["axis"]
                if jt == "revolute":
                    axes.append(("R", w, T[:3, 3].copy()))
                    T = T @ rot_axis(p["axis"], qi)
                elif jt == "prismatic":
                    axes.append(("P", w, T[:3, 3].copy()))
                    T = T @ trans(*(p["axis"] * qi))
            if jt != "fixed":
                k += 1
        T = T @ self.tool
        p_tool = T[:3, 3]
        Jac = np.zeros((6, self.n))
        for i, (kind, w, o) in enumerate(axes):
            if kind == "R":
                Jac[:3, i] = np.cross(w, p_tool - o)
                Jac[3:, i] = w
            else:
                Jac[:3, i] = w
        return T, Jac


# --------------------------------------------------------------------------------------------
# Peer models. Each returns (fk(q) -> (4,4), jac(q) -> (6,n), provenance dict). q is OUR joint
# vector (SI); any mapping to the peer's joint convention is done here and written down.
# --------------------------------------------------------------------------------------------


def _rtb():
    import roboticstoolbox as rtb  # noqa: F401  (peer library, only imported here)

    return rtb


def _rtb_peer(robot, *, model, q_offset=None, end=None, transform="none", note=""):
    rtb = _rtb()
    off = np.zeros(robot.n) if q_offset is None else np.asarray(q_offset, float)
    kw = {} if end is None else {"end": end}

    def fk(q):
        return np.asarray(robot.fkine(np.asarray(q) + off, **kw).A, float)

    def jac(q):
        return np.asarray(robot.jacob0(np.asarray(q) + off, **kw), float)

    prov = {
        "library": "roboticstoolbox-python",
        "version": rtb.__version__,
        "model": model,
        "q_peer": "q + " + json.dumps(off.tolist()) if np.any(off) else "q",
        "transform": transform,
    }
    if note:
        prov["note"] = note
    return fk, jac, prov


def peer_planar2r():
    rtb = _rtb()
    return _rtb_peer(rtb.models.DH.Planar2(), model="roboticstoolbox.models.DH.Planar2 (a1 = a2 = 1 m)")


def peer_planar3r():
    rtb = _rtb()
    r = rtb.DHRobot([rtb.RevoluteDH(a=1.0), rtb.RevoluteDH(a=0.8), rtb.RevoluteDH(a=0.5)], name="planar3r")
    return _rtb_peer(
        r,
        model="roboticstoolbox.DHRobot built here: RevoluteDH(a=1.0), (a=0.8), (a=0.5)",
        note="RTB's own Planar3 has three 1 m links; this one has the file's 1, 0.8, 0.5 m",
    )


def peer_puma560():
    rtb = _rtb()
    return _rtb_peer(
        rtb.models.DH.Puma560(),
        model="roboticstoolbox.models.DH.Puma560 (d1 = 26.45 in)",
        note="our base z = 0.67183 m with d1 = 0 equals RTB's d1 = 26.45*0.0254 m",
    )


def peer_panda():
    rtb = _rtb()
    from spatialmath import SE3

    r = rtb.models.DH.Panda()
    r.tool = SE3()
    return _rtb_peer(
        r,
        model="roboticstoolbox.models.DH.Panda (MDH, flange d7 = 0.107 m)",
        transform="tool set to identity (RTB's default tool is the Franka Hand TCP "
        "transl(0, 0, 0.103) @ trotz(-pi/4)); our tool frame is the flange",
    )


def peer_stanford():
    rtb = _rtb()
    return _rtb_peer(rtb.models.DH.Stanford(), model="roboticstoolbox.models.DH.Stanford")


def peer_cobra600():
    rtb = _rtb()
    return _rtb_peer(
        rtb.models.DH.Cobra600(),
        model="roboticstoolbox.models.DH.Cobra600",
        note="kinematics identical; RTB's qlim (+/-50, +/-88 deg) are toolbox hard stops, "
        "ours are the datasheet ranges",
    )


def peer_ur5():
    rtb = _rtb()
    r = rtb.models.DH.UR5()
    r.links[0].d = 0.089159
    return _rtb_peer(
        r,
        model="roboticstoolbox.models.DH.UR5",
        transform="links[0].d set to 0.089159 (UR's published d1); RTB 1.5 has 0.089459",
        note="with RTB's d1 the pose differs by a 0.3 mm z shift, the Jacobian not at all",
    )


def peer_ur3():
    rtb = _rtb()
    return _rtb_peer(rtb.models.DH.UR3(), model="roboticstoolbox.models.DH.UR3 (standard DH)")


def peer_ur10():
    rtb = _rtb()
    return _rtb_peer(
        rtb.models.DH.UR10(),
        model="roboticstoolbox.models.DH.UR10 (standard DH)",
        note="our file is the URDF origin/axis rewrite of the same DH table",
    )


def peer_irb140():
    rtb = _rtb()
    from spatialmath import SE3

    r = rtb.models.DH.IRB140()
    r.tool = SE3.Rz(math.pi)
    return _rtb_peer(
        r,
        model="roboticstoolbox.models.DH.IRB140",
        q_offset=[0, -math.pi / 2, 0, 0, 0, 0],
        transform="tool = SE3.Rz(pi) (ABB tool0: x down at the calibration position)",
        note="RTB's q2 = 0 is the lower arm horizontal; ABB's (ours) is vertical",
    )


def peer_gen3():
    rtb = _rtb()
    from spatialmath import SE3

    pi = math.pi
    d = [
        -(0.1564 + 0.1284),
        -(0.0054 + 0.0064),
        -(0.2104 + 0.2104),
        -(0.0064 + 0.0064),
        -(0.2084 + 0.1059),
        0.0,
        -(0.1059 + 0.0615),
    ]
    alpha = [pi / 2] * 6 + [pi]
    offset = [0.0] + [pi] * 6
    links = [rtb.RevoluteDH(d=d[i], a=0.0, alpha=alpha[i], offset=offset[i]) for i in range(7)]
    r = rtb.DHRobot(links, base=SE3.Rx(pi), name="gen3")
    return _rtb_peer(
        r,
        model="roboticstoolbox.DHRobot built here from the Kinova Gen3 user guide's classic DH table (base SE3.Rx(pi))",
        note="RTB's URDF KinovaGen3 needs a git download (no network here)",
    )


def peer_kr5_arc():
    rtb = _rtb()
    import os

    import rtbdata
    import xacrodoc.packages as xp

    root = os.path.join(os.path.dirname(rtbdata.__file__), "xacro", "kuka_description")
    xp.update_package_cache(
        {"kuka_kr5_support": os.path.join(root, "kuka_kr5"), "kuka_resources": os.path.join(root, "kuka_resources")}
    )
    path = os.path.join(root, "kuka_kr5", "urdf", "kr5_arc.xacro")
    r = rtb.Robot.URDF(path)
    fk, jac, prov = _rtb_peer(
        r,
        model="roboticstoolbox.Robot.URDF of rtbdata "
        "kuka_description/kuka_kr5/urdf/kr5_arc.xacro (ROS-Industrial "
        "kuka_experimental), end link tool0",
        end="tool0",
        note="RTB's DH KR5 model uses another joint zero and sign convention (A1 "
        "sign, A3 offset 90 deg, wrist), so KUKA's own convention is matched by "
        "the ROS-Industrial description instead",
    )
    prov["rtbdata_version"] = getattr(rtbdata, "__version__", "2.0.0")
    return fk, jac, prov


IIWA14_URDF = """<?xml version="1.0"?>
<robot name="iiwa14_spec">
  <link name="base"/><link name="l1"/><link name="l2"/><link name="l3"/><link name="l4"/>
  <link name="l5"/><link name="l6"/><link name="l7"/><link name="flange"/>
  <joint name="a1" type="revolute"><parent link="base"/><child link="l1"/>
    <origin xyz="0 0 0"/><axis xyz="0 0 1"/><limit lower="-2.96" upper="2.96" effort="1" velocity="1"/></joint>
  <joint name="a2" type="revolute"><parent link="l1"/><child link="l2"/>
    <origin xyz="0 0 0.36"/><axis xyz="0 1 0"/><limit lower="-2.09" upper="2.09" effort="1" velocity="1"/></joint>
  <joint name="a3" type="revolute"><parent link="l2"/><child link="l3"/>
    <origin xyz="0 0 0"/><axis xyz="0 0 1"/><limit lower="-2.96" upper="2.96" effort="1" velocity="1"/></joint>
  <joint name="a4" type="revolute"><parent link="l3"/><child link="l4"/>
    <origin xyz="0 0 0.42"/><axis xyz="0 -1 0"/><limit lower="-2.09" upper="2.09" effort="1" velocity="1"/></joint>
  <joint name="a5" type="revolute"><parent link="l4"/><child link="l5"/>
    <origin xyz="0 0 0"/><axis xyz="0 0 1"/><limit lower="-2.96" upper="2.96" effort="1" velocity="1"/></joint>
  <joint name="a6" type="revolute"><parent link="l5"/><child link="l6"/>
    <origin xyz="0 0 0.4"/><axis xyz="0 1 0"/><limit lower="-2.09" upper="2.09" effort="1" velocity="1"/></joint>
  <joint name="a7" type="revolute"><parent link="l6"/><child link="l7"/>
    <origin xyz="0 0 0"/><axis xyz="0 0 1"/><limit lower="-3.05" upper="3.05" effort="1" velocity="1"/></joint>
  <joint name="a7_flange" type="fixed"><parent link="l7"/><child link="flange"/>
    <origin xyz="0 0 0.126"/></joint>
</robot>
"""


def peer_iiwa14():
    import pinocchio as pin

    model = pin.buildModelFromXML(IIWA14_URDF)
    data = model.createData()
    fid = model.getFrameId("flange")

    def fk(q):
        pin.framesForwardKinematics(model, data, np.asarray(q, float))
        return np.asarray(data.oMf[fid].homogeneous, float).copy()

    def jac(q):
        return np.asarray(
            pin.computeFrameJacobian(model, data, np.asarray(q, float), fid, pin.ReferenceFrame.LOCAL_WORLD_ALIGNED),
            float,
        ).copy()

    prov = {
        "library": "pinocchio",
        "version": pin.__version__,
        "model": "pinocchio.buildModelFromXML of the URDF in make_reference.py (KUKA spec "
        "dimensions 0.36/0.42/0.4/0.126 m, ROS-Industrial axis directions), frame 'flange'",
        "q_peer": "q",
        "transform": "none",
        "note": "RTB's URDF LBR (rtbdata lbr_iiwa_14_r820) has +/-0.43624 mm x offsets at A2/A4 "
        "from its meshes, so it is only a loose check (see make_reference.py --check)",
    }
    return fk, jac, prov


def rtb_lbr_check():
    """FK of RTB's URDF LBR (mesh-derived offsets): used only as a loose cross-check."""
    rtb = _rtb()
    r = rtb.models.URDF.LBR()
    return lambda q: np.asarray(r.fkine(np.asarray(q), end="tool0").A, float)


# Kinova's description (ros2_kortex gen3.urdf / MuJoCo Menagerie kinova_gen3): per joint the fixed
# origin (xyz, roll about x) before a rotation about the local z; then the 61.5 mm interface module.
GEN3_KORTEX = [
    ((0, 0, 0.15643), math.pi),
    ((0, 0.005375, -0.12838), math.pi / 2),
    ((0, -0.21038, -0.006375), -math.pi / 2),
    ((0, 0.006375, -0.21038), math.pi / 2),
    ((0, -0.20843, -0.006375), -math.pi / 2),
    ((0, 0.00017505, -0.10593), math.pi / 2),
    ((0, -0.10593, -0.00017505), -math.pi / 2),
]


def gen3_kortex_check():
    """FK of Kinova's URDF numbers: a loose check of the user guide's DH table (sub-mm rounding)."""

    def fk(q):
        T = np.eye(4)
        for (xyz, roll), qi in zip(GEN3_KORTEX, q):
            T = T @ trans(*xyz) @ rotx(roll) @ rotz(qi)
        return T @ trans(0, 0, -0.0615) @ rotx(math.pi)

    return fk


PEERS = {
    "planar2r": peer_planar2r,
    "planar3r": peer_planar3r,
    "puma560": peer_puma560,
    "panda": peer_panda,
    "stanford": peer_stanford,
    "cobra600": peer_cobra600,
    "ur3": peer_ur3,
    "ur5": peer_ur5,
    "ur10": peer_ur10,
    "iiwa14": peer_iiwa14,
    "gen3": peer_gen3,
    "irb140": peer_irb140,
    "kr5_arc": peer_kr5_arc,
}


def sample_q(chain: Chain, rng: np.random.Generator, k: int) -> np.ndarray:
    """k configurations uniform within the limits; an unlimited revolute joint uses [-pi, pi]."""
    lo = np.where(np.isfinite(chain.limits[:, 0]), chain.limits[:, 0], -math.pi)
    hi = np.where(np.isfinite(chain.limits[:, 1]), chain.limits[:, 1], math.pi)
    return lo + (hi - lo) * rng.random((k, chain.n))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare only, write nothing")
    ap.add_argument("robots", nargs="*", help="robot names (default: all with a peer)")
    args = ap.parse_args(argv)
    names = args.robots or sorted(PEERS)
    worst = 0.0
    print(f"{'robot':10s} {'peer':24s} {'max|dT| ours-peer':>18s} {'max|dJ| ours-peer':>18s}")
    for name in names:
        chain = Chain(ROBOTS_DIR / f"{name}.yaml")
        fk, jac, prov = PEERS[name]()
        rng = np.random.default_rng([SEED, zlib.crc32(name.encode())])  # per robot: stable when robots are added
        qs = sample_q(chain, rng, N_SAMPLES)
        check_qs = np.vstack([qs, *chain.configurations.values()])
        dT = dJ = 0.0
        for q in check_qs:
            T, J = chain.fk_and_jacobian(q)
            dT = max(dT, float(np.abs(T - fk(q)).max()))
            dJ = max(dJ, float(np.abs(J - jac(q)).max()))
        worst = max(worst, dT, dJ)
        print(f"{name:10s} {prov['library'] + ' ' + prov['version']:24s} {dT:18.3e} {dJ:18.3e}")
        if name == "iiwa14":
            lbr = rtb_lbr_check()
            d = max(float(np.abs(chain.fk_and_jacobian(q)[0] - lbr(q)).max()) for q in check_qs)
            print(f"{'':10s} {'(RTB URDF LBR, loose)':24s} {d:18.3e}")
        if name == "gen3":
            kfk = gen3_kortex_check()
            d = max(float(np.abs(chain.fk_and_jacobian(q)[0] - kfk(q)).max()) for q in check_qs)
            print(f"{'':10s} {'(Kinova URDF numbers)':24s} {d:18.3e}")
        if args.check:
            continue
        ref = {
            "robot": name,
            "file": f"robots/{name}.yaml",
            "peer": prov,
            "generated_by": "tests/data/make_reference.py",
            "seed": [SEED, zlib.crc32(name.encode())],
            "q_units": "rad for revolute, m for prismatic joints, in the file's joint order",
            "jacobian": "world frame, rows [v; w], v = linear velocity of the tool origin",
            "independent_check": {
                "max_abs_dT": dT,
                "max_abs_dJ": dJ,
                "against": "standalone numpy evaluator of the YAML in make_reference.py",
            },
            "samples": [{"q": q.tolist(), "T_world_tool": fk(q).tolist(), "J_world": jac(q).tolist()} for q in qs],
        }
        (HERE / f"reference_{name}.json").write_text(json.dumps(ref, indent=1) + "\n")
    print(f"worst deviation: {worst:.3e}")
    return 0 if worst < 1e-12 else 1


if __name__ == "__main__":
    sys.exit(main())
