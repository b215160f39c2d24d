"""Finite inputs whose results overflow: a ShapeError naming the arguments, never NaN or a raw NumPy error.

The rule (``robokin.validation.finite_result``): a public function returns finite numbers or raises a ShapeError
that names each input at the first batch index where the result passes the largest float. The measures of a
Jacobian's size (singular values, manipulability, det) saturate at ±inf instead, computed without overflow
(a power-of-two scaling), so they are never NaN either. Each case here returned NaN (or raised a raw
OverflowError / ValueError) before the rule; the fuzzer found the first ones (``benchmarks/fuzz.py --replay
api:991613`` tool_twist, ``api:992945`` analyze).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import robokin
from robokin import kinematics, measures, singularity, spatial, trajectory
from robokin.errors import ConventionError, OptionError, ShapeError
from robokin.ik import dls_step

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflow warnings on the way to the refusal

HUGE = 1e308
MAX = r"beyond the largest float \(1\.8e\+308\)"


@pytest.fixture(scope="module")
def slides() -> robokin.Robot:
    """Two unlimited slides along z and a revolute joint: q = (1e308, 1e308) puts the tool at 2e308 m."""
    return robokin.loads(
        "robokin: 1\nname: slides\njoints:\n  - {name: a, type: prismatic, dh: {}}\n"
        "  - {name: b, type: prismatic, dh: {}}\n  - {name: c, type: revolute, dh: {a: 0.5}}\n"
    )


# ------------------------------------------------------------------------------------- kinematics
def test_tool_twist_refuses_a_speed_whose_twist_overflows():  # fuzz api:991613, api:993313
    ur5 = robokin.load("ur5")
    qd = np.zeros((2, 6))
    qd[1, 3:5] = (-HUGE, HUGE)  # the two wrist rates: ω = 1e308 (z4 − z5) has components past 1.8e308
    with pytest.raises(
        ShapeError,
        match=rf"^q and qd give a tool twist {MAX} at batch index \(1,\): q = \[0, 0, 0, 0, 0, 0\], "
        r"qd = \[0, 0, 0, -1e\+308, 1e\+308, 0\]",
    ):
        kinematics.tool_twist(ur5, np.zeros(6), qd)
    # the same speeds scaled down by 2**-20 give J q̇ (the twist is linear in q̇)
    twist = kinematics.tool_twist(ur5, np.zeros(6), qd * 2.0**-20)
    np.testing.assert_allclose(twist[1] * 2.0**20, ur5.jacobian(np.zeros(6)) @ qd[1], rtol=1e-12, atol=1e296)


def test_jacobian_dot_and_joint_torques_refuse_overflowing_results():
    planar = robokin.load("planar2r")
    with pytest.raises(ShapeError, match=rf"^q and qd give a Jacobian derivative {MAX}: q = \[0\.3, 0\.4\], qd = "):
        kinematics.jacobian_dot(planar, [0.3, 0.4], [HUGE, HUGE])
    with pytest.raises(ShapeError, match=rf"^q and wrench give a joint torque {MAX}: .*wrench = \[1e\+308, "):
        kinematics.joint_torques(planar, [0.3, 0.4], [HUGE, HUGE, HUGE, HUGE, HUGE, HUGE])


@pytest.mark.parametrize(
    ("call", "what"),
    [
        (lambda r, q: kinematics.fk(r, q), "pose"),
        (lambda r, q: kinematics.fk(r, q, link=["a", "tool"]), "pose"),
        (lambda r, q: kinematics.fk_frames(r, q), "frame pose"),
        (lambda r, q: kinematics.fk_all(r, q), "frame pose"),
        (lambda r, q: kinematics.jacobian(r, q, method="forward"), "Jacobian"),
        (lambda r, q: kinematics.hessian(r, q, method="reverse"), "Hessian"),
    ],
)
def test_poses_past_the_largest_float_are_refused_naming_q(slides, call, what):
    q = np.zeros((3, 3))
    q[2, :2] = HUGE  # 1e308 + 1e308 m along z
    with pytest.raises(
        ShapeError, match=rf"^q gives a {what} {MAX} at batch index \(2,\): q = \[1e\+308, 1e\+308, 0\]"
    ):
        call(slides, q)
    assert np.isfinite(call(slides, q[:2])).all()  # the other configurations alone are fine


def test_analyze_and_det_gradient_refuse_a_prismatic_value_whose_measures_overflow():  # fuzz api:992945
    stanford = robokin.load("stanford")  # joint 3 slides: q3 = 1e154 m puts 1e154 in J and ~1e616 in det J
    q = np.array([0.3, 0.3, 1e200, 0.3, 0.3, 0.3])
    with pytest.raises(ShapeError, match=rf"^q gives a singularity analysis {MAX}: q = \[0\.3, 0\.3, 1e\+200, "):
        singularity.analyze(stanford, q)
    with pytest.raises(ShapeError, match=rf"^q gives a det gradient {MAX}: q = \[0\.3, 0\.3, 1e\+200, "):
        singularity.det_gradient(stanford, q)
    report = singularity.analyze(stanford, [0.3, 0.3, 1e3, 0.3, 0.3, 0.3])  # a long but finite stroke: fine
    assert np.isfinite(report.singular_values).all() and math.isfinite(report.det)


# ------------------------------------------------------------------------------------- measures of J
def test_measures_of_huge_jacobians_saturate_without_nan():
    rotation = 1.5 * np.array([[1.0, 1.0], [1.0, -1.0]])  # 1.5√2 × an orthogonal matrix: σ = 2.1e308 (twice)
    np.testing.assert_array_equal(measures.singular_values(HUGE * rotation), [math.inf, math.inf])
    assert measures.inverse_condition(HUGE * rotation) == pytest.approx(1.0, abs=1e-15)  # scale-free
    assert measures.det(2.0**510 * np.eye(2)) == 2.0**1020  # exact: scaled by a power of two and back
    assert measures.det(HUGE * rotation) == -math.inf  # det = −4.5e616, sign kept
    assert measures.det(np.full((3, 3), HUGE)) == 0.0  # singular stays 0, not inf · 0
    with pytest.raises(ShapeError, match=rf"^J and length give a scaled Jacobian {MAX}: .*length = 1e-310"):
        measures.scale_translation_rows(np.ones((6, 2)), 1e-310)


def test_so3_exp_of_a_huge_rotation_vector_is_a_rotation_about_it():
    angle = 2.0**600  # θ² overflows; the angle itself is exact, and so are its sine and cosine
    np.testing.assert_allclose(spatial.so3_exp([0.0, angle, 0.0]), spatial.rot_y(angle), atol=1e-15)
    w = np.array([1.5e308, -1.5e308, 1.5e308])  # |w| = 2.6e308 is past the largest float: θ is the largest float
    R = spatial.so3_exp(w)
    u = np.array([1.0, -1.0, 1.0]) / math.sqrt(3.0)
    np.testing.assert_allclose(R.T @ R, np.eye(3), atol=1e-15)
    assert np.linalg.det(R) == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(R @ u, u, atol=1e-15)  # the axis is fixed
    theta = np.finfo(float).max
    assert np.trace(R) == pytest.approx(1.0 + 2.0 * math.cos(theta), abs=1e-14)  # the angle
    # in a batch, the ordinary rotation vectors keep their usual (bit-identical) result
    np.testing.assert_array_equal(spatial.so3_exp(np.stack([w, [0.1, 0.2, 0.3]]))[1], spatial.so3_exp([0.1, 0.2, 0.3]))


def test_dls_step_refuses_a_step_that_overflows():
    with pytest.raises(ShapeError, match=rf"^J, e and lam give a step {MAX}: .*e = \[1e\+308, -1e\+308, "):
        dls_step(np.ones((6, 2)), HUGE * np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0]), 1e-3)


# ------------------------------------------------------------------------------------- trajectories
def test_joint_motions_whose_difference_overflows_are_refused():
    planar = robokin.load("planar2r")  # unlimited revolute joints: ±1e308 rad are inside the limits
    start, goal = [-HUGE, 0.0], [HUGE, 0.0]
    pattern = rf"^q_start and q_goal give a joint motion q_goal − q_start {MAX}: q_start = \[-1e\+308, 0\]"
    with pytest.raises(ShapeError, match=pattern):
        trajectory.minimum_duration(planar, start, goal)
    for call in (trajectory.quintic, trajectory.lspb):
        with pytest.raises(ShapeError, match=pattern):
            call(planar, start, goal, enforce_limits=False)
    with pytest.raises(ShapeError, match=rf"^waypoints gives a step between consecutive waypoints {MAX} at batch"):
        trajectory.quintic_through(planar, [[0.0, 0.0], start, goal], enforce_limits=False)
    with pytest.raises(ShapeError, match=rf"^waypoints gives a step between consecutive waypoints {MAX}"):
        trajectory.blended_through(planar, [start, goal], enforce_limits=False)


def test_a_duration_too_short_to_compute_with_is_refused():
    planar = robokin.load("planar2r")
    with pytest.raises(ShapeError, match=rf"^duration gives a time scaling {MAX}: duration = 1e-300"):
        trajectory.quintic(planar, [0.0, 0.0], [1.0, 1.0], duration=1e-300, enforce_limits=False)
    with pytest.raises(ShapeError, match=rf"^duration gives a time scaling {MAX}: duration = 1e-300"):
        trajectory.lspb_scaling([0.5], duration=1e-300)
    with pytest.raises(ShapeError, match=rf"^duration gives a time scaling {MAX}: duration = 1e-300"):
        trajectory.cartesian_line(np.eye(4), spatial.transform(p=[1.0, 0.0, 0.0]), duration=1e-300)
    with pytest.raises(
        ShapeError, match=rf"^T_start, T_goal and duration give a tool twist {MAX}: T_start = \[\[1, 0, 0, 0\], \[0, 1"
    ):
        trajectory.cartesian_line(np.eye(4), spatial.transform(p=[1e300, 0.0, 0.0]), duration=1e-10)
    # a huge duration is fine: the speeds and accelerations are 0 to rounding (no OverflowError in T²)
    s, sd, sdd = trajectory.quintic_scaling([0.0, 5e299, 1e300], duration=1e300)
    np.testing.assert_array_equal(s, [0.0, 0.5, 1.0])
    assert np.abs(sdd).max() == 0.0 and 0.0 < sd[1] < 1e-299


def test_cartesian_lines_between_points_1e308_apart_are_refused():
    far = spatial.transform(p=[-HUGE, 0.0, 0.0]), spatial.transform(p=[HUGE, 0.0, 0.0])
    with pytest.raises(ShapeError, match=rf"^T_start, T_goal and duration give a translation p_goal − p_start {MAX}"):
        trajectory.cartesian_line(*far)


def test_sample_counts_are_capped():
    planar = robokin.load("planar2r")
    with pytest.raises(
        OptionError, match=r"steps must be an integer >= 2 .* at most MAX_SAMPLES = 10000000, got 10000001"
    ):
        trajectory.quintic(planar, [0.0, 0.0], [1.0, 1.0], steps=trajectory.MAX_SAMPLES + 1)
    with pytest.raises(OptionError, match=r"sampled every dt = 1e-09 s it would have 1\.5e\+09 samples, more than"):
        trajectory.blended_through(planar, [[0.0, 0.0], [1.0, 1.0]], dt=1e-9)
    with pytest.raises(OptionError, match=r"^dt must be a positive finite number of seconds, got '0\.1'"):
        trajectory.blended_through(planar, [[0.0, 0.0], [1.0, 1.0]], dt="0.1")


def test_slerp_and_empty_batches_take_the_checked_path():
    with pytest.raises(ConventionError, match=r"^R_goal is not a rotation: it must be orthonormal with det \+1"):
        trajectory.slerp(np.eye(3), 2.0 * np.eye(3), [0.5])
    with pytest.raises(ShapeError, match=r"^s must be finite"):
        trajectory.slerp(np.eye(3), np.eye(3), [math.nan])
    planar = robokin.load("planar2r")
    path = trajectory.quintic(planar, np.zeros((0, 2)), np.zeros((0, 2)), steps=3)  # was a raw ValueError
    assert path.q.shape == (0, 3, 2)
