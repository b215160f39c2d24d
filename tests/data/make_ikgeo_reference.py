#!/usr/bin/env python
"""Regenerate ``ikgeo_reference.json``: every IK solution from the ``ik-geo`` package (PyPI, Rust) for
random targets of its UR5 and ABB IRB 6640 models.

Run with the peers' interpreter (``ik-geo`` installed; robokin is NOT imported):

    /work/peers/bin/python tests/data/make_ikgeo_reference.py

The kinematic parameters are read from ik-geo itself, not typed in: at the zero configuration each
joint's axis ``h_i`` (unit, world frame) comes from the rotation of ``fk(θ e_i)`` relative to ``fk(0)``
and a point ``o_i`` on it from the tool's displacement, ``(I − R(h_i, θ)) o_i = p(θ e_i) − R(h_i, θ) p(0)``
(least squares, minimum norm), for two angles θ. Targets are ``fk(q)`` of ik-geo for random q. The
test (tests/test_ik_analytic.py) builds a robokin robot from ``H``, ``P``, ``R0``, ``p0`` and checks
that robokin's solution set equals ik-geo's exact solutions (``is_ls`` False) for every target.
"""

from __future__ import annotations

import json
from pathlib import Path

import ik_geo
import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 20261130
N_TARGETS = 40


def fk(robot, q):
    """``(R, p)`` of ik-geo's fk; its rotation comes as a list of columns (transposed here)."""
    R, p = robot.forward_kinematics([float(v) for v in q])
    return np.array(R, dtype=float).T, np.array(p, dtype=float)


def log_axis(R):
    """Unit axis and angle of a rotation (angle in (0, π))."""
    w = 0.5 * np.array([R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1]])
    s = np.linalg.norm(w)
    angle = np.arctan2(s, 0.5 * (np.trace(R) - 1.0))
    return w / s, angle


def screws(robot, n=6):
    R0, p0 = fk(robot, np.zeros(n))
    H, P = [], []
    for i in range(n):
        rows, rhs = [], []
        h = None
        for theta in (1.0, 2.0):
            q = np.zeros(n)
            q[i] = theta
            R, p = fk(robot, q)
            dR = R @ R0.T
            axis, angle = log_axis(dR)
            assert abs(angle - theta) < 1e-9, (i, theta, angle)
            h = axis if h is None else h
            assert np.allclose(axis, h, atol=1e-9)
            rows.append(np.eye(3) - dR)
            rhs.append(p - dR @ p0)
        o = np.linalg.lstsq(np.vstack(rows), np.concatenate(rhs), rcond=None)[0]
        H.append(h)
        P.append(o)
    return np.array(H), np.array(P), R0, p0


def main() -> None:
    rng = np.random.default_rng(SEED)
    out = {
        "source": "ik-geo (PyPI) Robot.ur5() and Robot.irb6640(); parameters and solutions read from it",
        "ik_geo_version": getattr(ik_geo, "__version__", "1.0.3"),
        "robots": {},
    }
    for name, make in (("ur5", ik_geo.Robot.ur5), ("irb6640", ik_geo.Robot.irb6640)):
        robot = make()
        H, P, R0, p0 = screws(robot)
        targets, solutions = [], []
        for _ in range(N_TARGETS):
            q = rng.uniform(-np.pi, np.pi, 6)
            R, p = fk(robot, q)
            sols = robot.get_ik(R.T.tolist(), p.tolist())  # columns, as its fk gives them
            for s, ls in sols:  # ik-geo's own exact answers reproduce the target
                if not ls:
                    Rs, ps = fk(robot, s)
                    assert np.abs(Rs - R).max() < 1e-8 and np.abs(ps - p).max() < 1e-8
            targets.append({"q": q.tolist(), "R": R.tolist(), "p": p.tolist()})
            solutions.append([{"q": list(map(float, s)), "is_ls": bool(ls)} for s, ls in sols])
        out["robots"][name] = {
            "H": H.tolist(),
            "P": P.tolist(),
            "R0": R0.tolist(),
            "p0": p0.tolist(),
            "targets": targets,
            "solutions": solutions,
        }
        exact = [sum(not s["is_ls"] for s in sol) for sol in solutions]
        print(f"{name}: {N_TARGETS} targets, exact solutions per target {min(exact)}..{max(exact)}")
    (HERE / "ikgeo_reference.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
