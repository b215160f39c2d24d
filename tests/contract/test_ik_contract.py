"""The IK contract over generated robots and targets (issue 10): ``ik.solve`` never raises on valid input, never
returns NaN or a q outside the limits, never reports a success that ``robot.fk`` does not confirm; bad arguments
raise only RobokinError kinds.

Hypothesis draws the seed of a case (:mod:`ik_cases`: a random chain scaled 1e-3 ... 1e3 m, targets reachable,
on the limits, unreachable or at q = 0, random valid options); the CI profile is derandomized, and
``HYPOTHESIS_PROFILE=stress`` draws many fresh ones. ``benchmarks/fuzz_ik.py`` runs the same cases for minutes.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ik_cases import bad_ik_call, random_case, random_robot, violations

from robokin import ik
from robokin.errors import RobokinError

SEEDS = st.integers(0, 2**32 - 1)


@settings(max_examples=60)
@given(SEEDS)
def test_ik_keeps_its_promises(seed):
    robot, T, q0, options, solve_seed, kind = random_case(np.random.default_rng(seed))
    assert violations(robot, T, q0, options, solve_seed) == [], (kind, robot.joints, options)


@settings(max_examples=20)
@given(SEEDS)
def test_unreachable_targets_are_not_solved(seed):
    """3 L from a reachable pose is out of reach: success is never reported (and nothing else breaks)."""
    rng = np.random.default_rng(seed)
    robot = random_robot(rng, float(10.0 ** rng.uniform(-3, 3)))
    from ik_cases import random_targets  # noqa: PLC0415

    T = random_targets(rng, robot, "unreachable", (2,))
    options = ik.IKOptions(max_restarts=2, weights=ik.POSITION_ONLY)
    assert violations(robot, T, None, options, 0) == []
    assert not ik.solve(robot, T, options=options).success.any()


@settings(max_examples=80)
@given(SEEDS)
def test_bad_arguments_raise_only_robokin_errors(seed):
    rng = np.random.default_rng(seed)
    robot = random_robot(rng, 1.0)
    call = bad_ik_call(rng, robot)
    try:
        call()
    except RobokinError:
        pass
    except Exception as exc:  # noqa: BLE001 - the very thing this property looks for
        pytest.fail(f"{type(exc).__name__}: {exc}")
