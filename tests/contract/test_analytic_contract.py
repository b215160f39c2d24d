"""The closed-form IK contract over generated arms (issue 13): for random 6R arms of every analytic family
(generic or right-angled axes, each along or against its direction; 1e-3 ... 1e3 m), the family is read from
the axes, ``ik.solve_all`` returns only verified solutions within the limits and always the source
configuration of a reachable target, ``ik.solve(method="auto")`` succeeds, and nothing beyond the reach is
solved. See :mod:`analytic_cases`; ``benchmarks/fuzz.py --only analytic`` runs the same cases for minutes.
"""

from __future__ import annotations

import numpy as np
import pytest
from analytic_cases import FAMILIES, analytic_violations, family_arm
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=4, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_closed_form_ik_keeps_its_promises(family, seed):
    rng = np.random.default_rng(seed)
    robot = family_arm(rng, family)
    assert analytic_violations(robot, family, rng) == [], robot.joints
