"""Shared fixtures: the Agg backend, and a parametrisation over every bundled robot file."""

from __future__ import annotations

import math
import os
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# Property tests draw the same examples on every run and every machine: a failure is reproducible, never flaky.
# HYPOTHESIS_PROFILE=stress draws many fresh random examples instead, to hunt for new failures by hand.
settings.register_profile("robokin", derandomize=True, deadline=None, database=None)
settings.register_profile("stress", max_examples=400, deadline=None, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "robokin"))

import robokin  # noqa: E402

ROBOT_NAMES = robokin.list_robots()
# Bundled robots whose q drives one serial chain to the default link (robot.chain is not None), and the trees.
CHAIN_NAMES = [name for name in ROBOT_NAMES if robokin.load(name).chain is not None]
TREE_NAMES = [name for name in ROBOT_NAMES if name not in CHAIN_NAMES]


@pytest.fixture(params=CHAIN_NAMES)
def robot(request) -> robokin.Robot:
    """Every bundled serial robot in turn (a new file in robots/ is tested by being added)."""
    return robokin.load(request.param)


@pytest.fixture(params=TREE_NAMES)
def tree_robot(request) -> robokin.Robot:
    """Every bundled tree (several end effectors or coupled joints) in turn."""
    return robokin.load(request.param)


@pytest.fixture(scope="session")
def panda() -> robokin.Robot:
    return robokin.load("panda")


@pytest.fixture(scope="session")
def ur5() -> robokin.Robot:
    return robokin.load("ur5")


@pytest.fixture(scope="session")
def planar2r() -> robokin.Robot:
    return robokin.load("planar2r")


def random_q(robot: robokin.Robot, rng: np.random.Generator, shape: tuple[int, ...] = ()) -> np.ndarray:
    """Joint values ``shape + (n,)`` uniform within the limits (±π where a revolute joint is unlimited,
    ±1 m where a prismatic one is)."""
    lo, hi = robot.limits.T
    default = np.where(np.array(robot.joint_types) == "revolute", np.pi, 1.0)
    lo = np.where(np.isfinite(lo), lo, -default)
    hi = np.where(np.isfinite(hi), hi, default)
    return rng.uniform(lo, hi, size=shape + (robot.n,))


def pose_errors(
    robot: robokin.Robot, q: np.ndarray, T_target: np.ndarray, link: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Position [m] and rotation [rad] error of ``robot.fk(q, link=link)`` against ``T_target``, batched.

    The rotation angle of ``R* Rᵀ`` comes from its quaternion ``(w, v)``: ``θ = 2 atan2(|v|, |w|)``, a code path
    independent of the IK solver's ``spatial.so3_log``.
    """
    T = robot.fk(q, link=link)
    quat = robokin.spatial.matrix_to_quaternion(T_target[..., :3, :3] @ np.swapaxes(T[..., :3, :3], -1, -2))
    angle = 2.0 * np.arctan2(np.linalg.norm(quat[..., 1:], axis=-1), np.abs(quat[..., 0]))
    return np.linalg.norm(T_target[..., :3, 3] - T[..., :3, 3], axis=-1), angle


def within_limits(robot: robokin.Robot, q: np.ndarray) -> np.ndarray:
    """``(...)`` bool: every joint of ``q`` ``(..., n)`` within the robot's limits."""
    lo, hi = robot.limits.T
    return np.all((q >= lo) & (q <= hi), axis=-1)


def best_cpu_time(f, repeats: int = 2) -> float:
    """The least CPU time [s] of ``repeats`` calls of ``f()`` (CPU, not wall: the CI machine is shared). For
    complexity checks only (a ratio of two sizes), never for an absolute speed claim: those are benchmarks."""
    best = math.inf
    for _ in range(repeats):
        start = time.process_time()
        f()
        best = min(best, time.process_time() - start)
    return best


def urdf_comb(n: int) -> str:
    """A URDF spine of n revolute joints s0 -> ... -> sn with a fixed leaf t_i below each moving link s_i
    (n leaves; a walk up from every leaf to count its joints is quadratic in n)."""
    parts = ['<robot name="comb"><link name="s0"/>']
    for i in range(1, n + 1):
        parts.append(
            f'<link name="s{i}"/><link name="t{i}"/><joint name="js{i}" type="revolute"><parent link="s{i - 1}"/>'
            f'<child link="s{i}"/><axis xyz="0 1 0"/><limit lower="-1" upper="1"/></joint><joint name="jt{i}" '
            f'type="fixed"><parent link="s{i}"/><child link="t{i}"/></joint>'
        )
    return "".join(parts) + "</robot>"
