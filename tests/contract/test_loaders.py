"""The loaders' promises, as properties over generated robots and mutated robot documents.

1. A document either loads or raises :class:`RobotFormatError` whose message starts ``FILE:LINE:COL:``
   (``<string>:L:C:`` for text): no other exception, no error without a location.
2. Every robot that loads is saved and loaded back bit for bit (``loads(dumps(r))`` equals ``r``, signed
   zeros included) and its forward kinematics are rigid transforms (finite, ``|RᵀR − I| <= 1e-12``) over
   its whole sampling range (limits, else ±π or ±the robot's length), bounds included.
3. YAML → URDF → YAML keeps the robot: the same joint names, types, limits and speed limits, and the same
   forward kinematics up to the rounding that URDF's rpy origins force. A dh/mdh joint and the base/tool
   become ``<origin xyz rpy>`` computed from a product of transforms and converted to roll-pitch-yaw:
   each costs a few ulps of the robot's length, so poses agree to ``URDF_TOL`` times the robot's length
   (plus its largest prismatic travel) and rotations to ``URDF_TOL``.

Examples are drawn by hypothesis from ``st.randoms()`` through ``generators.py``, which the fuzzer
(``benchmarks/fuzz.py --only loaders``) runs for longer; derandomized in CI (tests/conftest.py), fresh
with ``HYPOTHESIS_PROFILE=stress``.
"""

from __future__ import annotations

import math
import random
import re

import generators as gen
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robokin import dumps, loads, loads_urdf
from robokin.errors import RobotFormatError

LOCATED = re.compile(r"^(?:<string>|\S[^:]*):\d+:\d+: \S")
RIGID_TOL = 1e-12  # |RᵀR − I| of a product of ≤ 10 rotations: a few ulps each
URDF_TOL = 1e-9  # relative pose agreement of the YAML robot and its URDF (rpy rounding, see docstring)

# Each example loads 1-3 documents of a 1-7 joint robot (a few ms); the CI budget of this file is ~15 s.
SLOW_OK = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# Generated robots have any size and limits: the plausibility warnings they raise are expected (and tested in
# tests/test_format.py), not what these contracts check.
pytestmark = pytest.mark.filterwarnings("ignore::robokin.errors.PlausibilityWarning")


def check_loaded(robot, rng: random.Random) -> None:
    """Promise 2 for one loaded robot."""
    again = loads(dumps(robot))
    assert gen.robot_difference(robot, again) is None, gen.robot_difference(robot, again)
    T = robot.fk(gen.sample_q(robot, rng))
    assert gen.rigidity_error(T) <= RIGID_TOL, (robot, gen.rigidity_error(T))


def load_or_located_error(kind: str, text: str):
    """The robot, or None after checking that the error is a located RobotFormatError."""
    try:
        return gen.loader(kind)(text)
    except RobotFormatError as e:
        assert LOCATED.match(str(e)), str(e)
        assert e.line is not None and e.column is not None
        return None


@pytest.mark.parametrize("kind", ["yaml", "urdf"])
@SLOW_OK
@given(rng=st.randoms(use_true_random=False))
def test_mutated_documents_load_cleanly_or_fail_with_a_location(kind, rng):
    robot = gen.random_robot(rng)
    text = (
        gen.mutate_yaml(rng, gen.yaml_text(robot, rng))
        if kind == "yaml"
        else gen.mutate_urdf(rng, gen.urdf_text(robot))
    )
    loaded = load_or_located_error(kind, text)
    if loaded is not None:
        check_loaded(loaded, rng)


@SLOW_OK
@given(st.randoms(use_true_random=False))
def test_generated_robots_round_trip_through_yaml_bit_for_bit(rng):
    robot = gen.random_robot(rng)
    text = dumps(robot)
    assert gen.robot_difference(robot, loads(text)) is None
    hand_written = loads(gen.yaml_text(robot, rng))  # mm/deg and pi styles: exact after loading, not before
    check_loaded(hand_written, rng)


@SLOW_OK
@given(st.randoms(use_true_random=False))
def test_yaml_to_urdf_to_yaml_keeps_the_robot(rng):
    robot = gen.random_robot(rng)
    from_urdf = loads_urdf(gen.urdf_text(robot))
    check_loaded(from_urdf, rng)

    named = {j.name: j for j in from_urdf.joints}
    for j in robot.joints:
        u = named[j.name]
        assert u.type == j.type
        if j.moving:
            lo, hi = j.limits
            continuous = j.type == "revolute" and (lo, hi) == (-math.inf, math.inf)
            # URDF has no one-sided or (prismatic) unlimited range: the writer puts ±1e300 on an open side
            expected = (lo, hi) if continuous else (max(lo, -1e300), min(hi, 1e300))
            assert u.limits == expected and u.velocity == j.velocity
    assert from_urdf.joint_names == robot.joint_names

    q = gen.sample_q(robot, rng)
    T_yaml, T_urdf = robot.fk(q), from_urdf.fk(q)
    bounds = gen.sample_bounds(robot)
    travel = max([float(np.abs(b).max()) for b, t in zip(bounds, robot.joint_types) if t == "prismatic"] + [0.0])
    length = float(np.linalg.norm(robot.chain.C[:, :3, 3], axis=-1).sum()) + travel
    np.testing.assert_allclose(T_urdf[..., :3, :3], T_yaml[..., :3, :3], rtol=0, atol=URDF_TOL)
    np.testing.assert_allclose(T_urdf[..., :3, 3], T_yaml[..., :3, 3], rtol=0, atol=URDF_TOL * max(length, 1e-300))
