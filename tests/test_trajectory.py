"""Tests of robokin.trajectory: quintic boundary conditions, straight Cartesian lines, seeded IK, resolved rate.

Oracles: the closed-form quintic (values at the ends and the middle), hand-derived rotations about z for
SLERP, finite differences of the sampled paths for the velocities, the distance from the line for
straightness, the closed-form planar 2R arm, and ``np.linalg.lstsq`` (minimum-norm least squares) for J⁺v.
"""

from __future__ import annotations

import numpy as np
import pytest

import robokin
from robokin import spatial, trajectory
from robokin.errors import ConventionError, LimitError, OptionError, ShapeError
from robokin.model import Joint, Robot

L1, L2 = 1.0, 0.5


def planar2r() -> Robot:
    """A planar 2R arm built in code: links L1, L2 along x, axes along z (independent of the YAML files)."""
    return Robot(
        name="test2r",
        joints=(
            Joint("j1", "revolute", "dh", dh=(L1, 0.0, 0.0, 0.0)),
            Joint("j2", "revolute", "dh", dh=(L2, 0.0, 0.0, 0.0)),
        ),
    )


@pytest.fixture(scope="module")
def panda() -> Robot:
    return robokin.load("panda")


# ----------------------------------------------------------------------------------------- quintic
def test_quintic_scaling_closed_form():
    T = 2.0
    s, sd, sdd = trajectory.quintic_scaling([0.0, 1.0, 2.0], T)
    np.testing.assert_allclose(s, [0.0, 0.5, 1.0], atol=1e-15)
    # ṡ(T/2) = 30 (1/2)² (1/2)² / T = 1.875 / T; s̈ vanishes at both ends and in the middle.
    np.testing.assert_allclose(sd, [0.0, 1.875 / T, 0.0], atol=1e-15)
    np.testing.assert_allclose(sdd, [0.0, 0.0, 0.0], atol=1e-15)
    # s(τ = 1/4) = 10/64 − 15/256 + 6/1024 = 0.103515625
    np.testing.assert_allclose(trajectory.quintic_scaling(0.5, T)[0], 0.103515625, rtol=1e-14)


def test_quintic_boundary_conditions_and_derivatives():
    robot = planar2r()
    q0, q1 = np.array([0.3, -1.0]), np.array([1.2, 0.4])
    path = trajectory.quintic(robot, q0, q1, steps=401, duration=3.0)
    assert path.q.shape == (401, 2) and path.t.shape == (401,)
    np.testing.assert_allclose(path.q[0], q0, atol=1e-15)
    np.testing.assert_allclose(path.q[-1], q1, atol=1e-15)
    np.testing.assert_allclose(path.qd[[0, -1]], 0.0, atol=1e-15)
    np.testing.assert_allclose(path.qdd[[0, -1]], 0.0, atol=1e-15)
    # Velocities and accelerations are the derivatives of the samples (central differences, h = 7.5 ms).
    np.testing.assert_allclose(np.gradient(path.q, path.t, axis=0)[1:-1], path.qd[1:-1], atol=1e-4)
    np.testing.assert_allclose(np.gradient(path.qd, path.t, axis=0)[1:-1], path.qdd[1:-1], atol=2e-4)
    # The peak speed of a quintic is 1.875 |Δq| / T, in the middle.
    np.testing.assert_allclose(np.abs(path.qd).max(axis=0), 1.875 * np.abs(q1 - q0) / 3.0, rtol=1e-12)
    assert not path.q.flags.writeable


def test_quintic_batches_over_leading_axes():
    robot = planar2r()
    q0 = np.zeros((4, 3, 2))
    q1 = np.ones(2)
    path = trajectory.quintic(robot, q0, q1, steps=5)
    assert path.q.shape == (4, 3, 5, 2)
    np.testing.assert_allclose(path.q[2, 1], trajectory.quintic(robot, q0[2, 1], q1, steps=5).q)


def test_quintic_through_stops_at_every_waypoint():
    robot = planar2r()
    W = np.array([[0.0, 0.0], [1.0, -0.5], [0.2, 0.8], [0.0, 0.0]])
    path = trajectory.quintic_through(robot, W, steps=7, duration=0.5)
    assert path.q.shape == (3 * 6 + 1, 2)
    idx = np.arange(4) * 6
    np.testing.assert_allclose(path.q[idx], W, atol=1e-15)
    np.testing.assert_allclose(path.qd[idx], 0.0, atol=1e-15)
    np.testing.assert_allclose(path.t[idx], [0.0, 0.5, 1.0, 1.5])
    assert np.all(np.diff(path.t) > 0)


def test_quintic_errors():
    robot = planar2r()
    with pytest.raises(OptionError, match="steps must be an integer >= 2"):
        trajectory.quintic(robot, [0, 0], [1, 1], steps=1)
    with pytest.raises(OptionError, match="duration must be a positive"):
        trajectory.quintic(robot, [0, 0], [1, 1], duration=0.0)
    with pytest.raises(ShapeError, match=r"q_goal must have shape \(\.\.\., 2\)"):
        trajectory.quintic(robot, [0, 0], [1, 1, 1])
    with pytest.raises(ShapeError, match=r"waypoints must have shape \(k, 2\) with k >= 2"):
        trajectory.quintic_through(robot, [[0.0, 0.0]])


# ----------------------------------------------------------------------------------------- Cartesian
def test_slerp_about_z_is_a_constant_rate_turn():
    theta = 1.2
    R = trajectory.slerp(np.eye(3), spatial.rot_z(theta), np.array([0.0, 0.25, 0.5, 1.0]))
    np.testing.assert_allclose(R, spatial.rot_z(theta * np.array([0.0, 0.25, 0.5, 1.0])), atol=1e-12)


def test_slerp_takes_the_shorter_arc():
    # Rz(270°) is reached by −90° about z: the midpoint is Rz(−45°), not Rz(135°).
    R = trajectory.slerp(np.eye(3), spatial.rot_z(1.5 * np.pi), np.array([0.5]))
    np.testing.assert_allclose(R[0], spatial.rot_z(-0.25 * np.pi), atol=1e-12)


def test_slerp_of_equal_rotations_is_constant():
    R0 = spatial.rot_x(0.4) @ spatial.rot_y(-0.3)
    R = trajectory.slerp(R0, R0, np.linspace(0, 1, 5))
    np.testing.assert_allclose(R, np.broadcast_to(R0, (5, 3, 3)), atol=1e-12)


def test_slerp_refuses_fractions_outside_zero_to_one():
    # It extrapolated silently (s = 2 turned 2.4 rad for a 1.2 rad pair); scipy's Slerp refuses such times too.
    R1 = spatial.rot_z(1.2)
    with pytest.raises(ConventionError, match=r"s\[1\] = 2\.0 is outside \(2 of 3 outside\)"):
        trajectory.slerp(np.eye(3), R1, [0.5, 2.0, -1e-300])
    with pytest.raises(ConventionError, match=r"s\[0\] = -0\.1 is outside.*does not extrapolate"):
        trajectory.slerp(np.eye(3), R1, [-0.1])
    # The ends themselves are fractions: exactly R_start and R_goal.
    R = trajectory.slerp(np.eye(3), R1, [0.0, 1.0, -0.0])
    np.testing.assert_allclose(R, [np.eye(3), R1, np.eye(3)], atol=1e-15)


def _line_pair():
    T0 = spatial.transform(spatial.rot_x(0.3) @ spatial.rot_z(0.2), [0.4, -0.1, 0.5])
    T1 = spatial.transform(spatial.rot_y(-0.7) @ spatial.rot_z(1.1), [0.1, 0.35, 0.2])
    return T0, T1


def test_cartesian_line_is_straight_and_ends_exactly():
    T0, T1 = _line_pair()
    path = trajectory.cartesian_line(T0, T1, steps=101, duration=2.0)
    p = path.T[:, :3, 3]
    u = (T1[:3, 3] - T0[:3, 3]) / np.linalg.norm(T1[:3, 3] - T0[:3, 3])
    rel = p - T0[:3, 3]
    deviation = np.linalg.norm(rel - (rel @ u)[:, None] * u, axis=-1)
    assert deviation.max() < 1e-14  # largest distance from the line [m]
    np.testing.assert_allclose(path.T[0], T0, atol=1e-15)
    np.testing.assert_allclose(path.T[-1], T1, atol=1e-15)
    assert np.all(np.diff(rel @ u) >= 0)  # moves forward only
    # Every sample is a rigid transform, turned from R0 by s times the whole turn about a fixed axis.
    R = path.T[:, :3, :3]
    np.testing.assert_allclose(R @ np.swapaxes(R, -1, -2), np.broadcast_to(np.eye(3), R.shape), atol=1e-12)
    w = spatial.so3_log(T1[:3, :3] @ T0[:3, :3].T)
    np.testing.assert_allclose(spatial.so3_log(R @ T0[:3, :3].T), path.s[:, None] * w, atol=1e-12)


def test_cartesian_line_twist_matches_finite_differences():
    T0, T1 = _line_pair()
    path = trajectory.cartesian_line(T0, T1, steps=2001, duration=1.5)
    v_fd = np.gradient(path.T[:, :3, 3], path.t, axis=0)
    np.testing.assert_allclose(path.twist[1:-1, :3], v_fd[1:-1], atol=1e-5)
    # ω = vee(Ṙ Rᵀ), Ṙ by central differences.
    R = path.T[:, :3, :3]
    Rdot = np.gradient(R, path.t, axis=0)
    w_fd = spatial.vee(Rdot @ np.swapaxes(R, -1, -2))
    np.testing.assert_allclose(path.twist[1:-1, 3:], w_fd[1:-1], atol=1e-4)
    np.testing.assert_allclose(path.twist[[0, -1]], 0.0, atol=1e-15)


def test_cartesian_line_batches_and_validates():
    T0, T1 = _line_pair()
    path = trajectory.cartesian_line(np.stack([T0, T1]), T1, steps=4)
    assert path.T.shape == (2, 4, 4, 4) and path.twist.shape == (2, 4, 6)
    np.testing.assert_allclose(path.T[1], np.broadcast_to(T1, (4, 4, 4)), atol=1e-12)
    bad = T1.copy()
    bad[:3, :3] *= 2.0
    with pytest.raises(ConventionError, match="T_goal is not a rigid transform"):
        trajectory.cartesian_line(T0, bad)
    with pytest.raises(ShapeError, match=r"T_start must have shape \(\.\.\., 4, 4\)"):
        trajectory.cartesian_line(np.eye(3), T1)


# ----------------------------------------------------------------------------------------- IK along a path
def test_follow_tracks_a_line_without_branch_flips(panda):
    q0 = np.array(panda.configurations["home"])
    T0 = panda.fk(q0)
    T1 = T0.copy()
    T1[:3, 3] += [0.15, -0.2, -0.1]
    line = trajectory.cartesian_line(T0, T1, steps=25)
    result = trajectory.follow(panda, line.T, q0)
    assert result.q.shape == (25, 7)
    assert result.success.all()
    reached = panda.fk(result.q)
    np.testing.assert_allclose(reached[:, :3, 3], line.T[:, :3, 3], atol=1e-5)
    # No flip: consecutive solutions are close (the tool moves at most 0.03 m between samples).
    assert float(result.largest_step) < 0.2
    assert np.abs(result.q[0] - q0).max() < 1e-3


def test_follow_moves_one_hand_of_a_tree_and_leaves_the_other_arm_alone():
    baxter = robokin.load("baxter")
    q0 = np.array(baxter.configurations["neutral"])
    T0 = baxter.fk(q0, link="left_gripper")
    T1 = T0.copy()
    T1[:3, 3] += [-0.06, 0.08, -0.05]  # inwards and down: away from the stretched-arm boundary
    line = trajectory.cartesian_line(T0, T1, steps=12)
    result = trajectory.follow(baxter, line.T, q0, link="left_gripper")
    assert result.success.all()
    reached = baxter.fk(result.q, link="left_gripper")
    np.testing.assert_allclose(reached[:, :3, 3], line.T[:, :3, 3], atol=1e-5)
    assert float(result.largest_step) < 0.2
    # The right arm's joints are not on the left gripper's path: they keep q0's values.
    right = [i for i, name in enumerate(baxter.joint_names) if name.startswith("right")]
    assert len(right) == 7
    np.testing.assert_array_equal(result.q[:, right], np.broadcast_to(q0[right], (12, 7)))
    with pytest.raises(OptionError, match="left_gripper"):
        trajectory.follow(baxter, line.T, q0, link="no_such_frame")


def test_follow_reports_an_unreachable_path_instead_of_jumping():
    robot = planar2r()
    q0 = np.array([0.0, 0.6])
    T0 = robot.fk(q0)
    T1 = T0.copy()
    T1[:3, 3] = [2.0, 0.0, 0.0]  # beyond the reach L1 + L2 = 1.5 m
    line = trajectory.cartesian_line(T0, T1, steps=8)
    result = trajectory.follow(robot, line.T, q0)
    assert not result.success[-1]
    assert result.position_error[-1] > 0.45  # at least 2.0 − 1.5 m, to the tolerance of the solver


def test_follow_errors(panda):
    with pytest.raises(ShapeError, match=r"T_path must have shape \(\.\.\., N, 4, 4\)"):
        trajectory.follow(panda, np.eye(4), panda.configurations["home"])
    # A path of no poses was NumPy's "need at least one array to stack".
    with pytest.raises(
        ShapeError, match=r"T_path must have shape \(\.\.\., N, 4, 4\) with N >= 1 poses, got \(0, 4, 4\)"
    ):
        trajectory.follow(panda, np.zeros((0, 4, 4)), panda.configurations["home"])


# ----------------------------------------------------------------------------------------- resolved rate
def test_damped_rate_is_the_minimum_norm_solution_when_undamped():
    rng = np.random.default_rng(1)
    for m, n in ((6, 7), (3, 7), (6, 4)):
        J = rng.normal(size=(3, m, n))
        v = rng.normal(size=(3, m))
        qd = trajectory.damped_rate(J, v, np.zeros(3))
        ref = np.stack([np.linalg.lstsq(J[b], v[b], rcond=None)[0] for b in range(3)])
        np.testing.assert_allclose(qd, ref, atol=1e-10)


def test_damped_rate_solves_the_damped_normal_equations():
    rng = np.random.default_rng(2)
    J = rng.normal(size=(2, 6, 7))
    J[:, :, -1] = J[:, :, 0]  # rank deficient: exactly singular
    v = rng.normal(size=(2, 6))
    lam = np.array([0.1, 0.3])
    qd = trajectory.damped_rate(J, v, lam)
    lhs = (np.swapaxes(J, -1, -2) @ J + lam[:, None, None] ** 2 * np.eye(7)) @ qd[..., None]
    np.testing.assert_allclose(lhs[..., 0], (np.swapaxes(J, -1, -2) @ v[..., None])[..., 0], atol=1e-10)


def test_resolved_rate_tracks_a_line(panda):
    q0 = np.array(panda.configurations["home"])
    T0 = panda.fk(q0)
    T1 = spatial.transform(T0[:3, :3] @ spatial.rot_z(0.5), T0[:3, 3] + [0.1, 0.2, -0.15])
    errors = []
    for steps in (50, 200):
        path = trajectory.cartesian_line(T0, T1, steps=steps, duration=2.0)
        result = trajectory.resolved_rate(panda, path, q0)
        assert result.q.shape == (steps, 7)
        np.testing.assert_allclose(result.q[0], q0)
        np.testing.assert_allclose(panda.fk(result.q), result.T, atol=1e-12)
        errors.append(result.position_error.max())
        assert result.rotation_error.max() < 5e-3
        assert np.all(result.damping == 0.0)  # far from singularities: plain J⁺ v
    assert errors[0] < 2e-3  # [m], 50 Euler steps over 2 s
    assert errors[1] < errors[0] / 3  # explicit Euler: the error shrinks with the step


def test_resolved_rate_damps_through_the_edge_of_the_workspace():
    robot = planar2r()
    q0 = np.array([0.0, 1.0])
    T0 = robot.fk(q0)
    T1 = T0.copy()
    T1[:3, 3] = [1.7, 0.0, 0.0]  # 0.2 m beyond the reach: the arm stretches out (q2 → 0, singular)
    path = trajectory.cartesian_line(T0, T1, steps=200, duration=2.0)
    result = trajectory.resolved_rate(robot, path, q0, options=trajectory.RateOptions(rows=(0, 1)))
    assert np.isfinite(result.q).all()
    assert result.damping.max() > 0.0
    assert np.abs(result.qd).max() < 50.0  # [rad/s]: damped, no blow-up at the singularity
    # It ends nearly stretched along x: the closest reachable point is (1.5, 0) m.
    np.testing.assert_allclose(result.T[-1, :2, 3], [1.5, 0.0], atol=0.02)


def test_resolved_rate_option_errors(panda):
    q0 = np.array(panda.configurations["home"])
    T0 = panda.fk(q0)
    path = trajectory.cartesian_line(T0, T0, steps=11, duration=1.0)
    with pytest.raises(OptionError, match=r"gain \* dt <= 1"):
        trajectory.resolved_rate(panda, path, q0, options=trajectory.RateOptions(gain=20.0))
    with pytest.raises(OptionError, match="damping >= 0"):
        trajectory.resolved_rate(panda, path, q0, options=trajectory.RateOptions(damping=-1.0))
    with pytest.raises(ShapeError, match=r"q0 must have shape \(\.\.\., 7\)"):
        trajectory.resolved_rate(panda, path, q0[:3])
    # Bare poses for the path, or options of another kind, were AttributeErrors ('t', 'rows').
    with pytest.raises(
        OptionError, match=r"path must be a CartesianPath .*got ndarray; to follow bare poses use follow"
    ):
        trajectory.resolved_rate(panda, path.T, q0)
    with pytest.raises(OptionError, match="options must be a RateOptions, got dict"):
        trajectory.resolved_rate(panda, path, q0, options={"gain": 1.0})


# ----------------------------------------------------------------------------------------- limits (issue 11, 4 and 9)
def test_quintic_respects_the_speed_limits_kr5_a1():
    """KUKA KR 5 arc: A1 is limited to 154 °/s; a 150° swing must take at least 1.875 · 150/154 s."""
    robot = robokin.load("kr5_arc")
    q0 = np.zeros(6)
    q1 = np.radians([150.0, -20.0, 10.0, 0.0, 30.0, 0.0])
    assert np.degrees(robot.velocity_limits[0]) == pytest.approx(154.0)
    path = trajectory.quintic(robot, q0, q1, steps=801)
    assert path.t[-1] == pytest.approx(1.875 * 150.0 / 154.0, rel=1e-12)
    peak = np.abs(path.qd).max(axis=0)
    assert np.all(peak <= robot.velocity_limits * (1 + 1e-9))
    assert peak[0] == pytest.approx(robot.velocity_limits[0], rel=1e-5)  # time-optimal for this profile
    with pytest.raises(LimitError, match=r"joint 0 a1: peak speed 4\.909 against its limit 2\.688 rad/s.*1\.826 s"):
        trajectory.quintic(robot, q0, q1, duration=1.0)
    fast = trajectory.quintic(robot, q0, q1, duration=1.0, enforce_limits=False)
    assert np.abs(fast.qd[:, 0]).max() > robot.velocity_limits[0]


def test_quintic_acceleration_limits():
    robot = robokin.load("ur5")
    q1 = np.array([0.5, 0, 0, 0, 0, 0])
    a = np.full(6, 0.2)
    T = trajectory.minimum_duration(robot, np.zeros(6), q1, acceleration_limits=a)
    assert T == pytest.approx(np.sqrt(10.0 / np.sqrt(3.0) * 0.5 / 0.2), rel=1e-12)
    path = trajectory.quintic(robot, np.zeros(6), q1, steps=2001, acceleration_limits=a)
    assert np.abs(path.qdd[:, 0]).max() == pytest.approx(0.2, rel=1e-4)


def test_paths_refuse_to_leave_the_limits():
    robot = robokin.load("ur5")
    inside = robot.configurations["home"]
    outside = inside.copy()
    outside[2] = np.radians(90.0) * 180 / np.pi  # 90 "degrees" given as radians: 90 rad
    with pytest.raises(LimitError, match=r"q_goal puts joint 2 \(elbow\) at 90 rad, outside its limits"):
        trajectory.quintic(robot, inside, outside)
    with pytest.raises(LimitError, match=r"q_start puts joint 2"):
        trajectory.lspb(robot, outside, inside)
    with pytest.raises(LimitError, match=r"waypoints\[1\] puts joint 2"):
        trajectory.blended_through(robot, [inside, outside])
    path = trajectory.quintic(robot, inside, outside, duration=100.0, enforce_limits=False)
    assert path.q[-1, 2] == 90.0


def test_lspb_trapezoid():
    robot = robokin.load("planar2r")
    q0, q1 = np.array([0.0, 0.0]), np.array([1.0, -0.5])
    path = trajectory.lspb(robot, q0, q1, steps=1001, duration=2.0)
    np.testing.assert_allclose(path.q[0], q0, atol=0)
    np.testing.assert_allclose(path.q[-1], q1, atol=1e-15)
    np.testing.assert_allclose(path.qd[[0, -1]], 0.0, atol=1e-15)
    # Blend 20 % at each end: cruise speed Δ / (T (1 - 0.2)) = Δ / 1.6 in the middle, zero acceleration.
    middle = (path.t > 0.45) & (path.t < 1.55)
    np.testing.assert_allclose(path.qd[middle], np.broadcast_to((q1 - q0) / 1.6, path.qd[middle].shape), rtol=1e-12)
    np.testing.assert_allclose(path.qdd[middle], 0.0, atol=0)
    # Derivatives agree with finite differences of q (interior samples).
    np.testing.assert_allclose(np.gradient(path.q, path.t, axis=0)[1:-1], path.qd[1:-1], atol=2e-3)
    s, sd, sdd = trajectory.lspb_scaling([0.0, 0.2, 1.0, 1.8, 2.0], 2.0, blend=0.1)
    # t_b = 0.2, V = 1/1.8: s(t_b) = V t_b / 2, symmetric at the end.
    np.testing.assert_allclose(s, [0.0, 0.1 / 1.8, 0.5, 1 - 0.1 / 1.8, 1.0], atol=1e-15)
    np.testing.assert_allclose(sd[1:4], 1 / 1.8, rtol=1e-12)
    with pytest.raises(OptionError, match=r"blend must be in \(0, 0.5\]"):
        trajectory.lspb_scaling(0.0, 1.0, blend=0.7)


def test_blended_through_does_not_stop_and_keeps_the_speed_limits():
    robot = robokin.load("ur5")
    W = np.radians(
        [[0, -90, 0, -90, 0, 0], [60, -60, 40, -90, 30, 0], [90, -100, 80, -60, 0, 45], [0, -90, 0, -90, 0, 0]]
    )
    path = trajectory.blended_through(robot, W, dt=0.005)
    np.testing.assert_allclose(path.q[0], W[0], atol=0)
    np.testing.assert_allclose(path.q[-1], W[-1], atol=0)
    np.testing.assert_allclose(path.qd[[0, -1]], 0.0, atol=1e-12)
    assert np.all(np.abs(path.qd) <= robot.velocity_limits * (1 + 1e-9))
    # Every segment runs at the speed limit of its slowest joint (180 °/s on the UR5).
    assert np.abs(path.qd).max() == pytest.approx(np.pi, rel=1e-9)
    # It passes near the inner waypoints without stopping there: the corner is cut by h |Δv| / 4 at most,
    # with segment speeds Δq / T_k (T_k = max |Δq| / v) and h = BLEND_FRACTION · min T_k.
    durations = (np.abs(np.diff(W, axis=0)) / robot.velocity_limits).max(axis=-1)
    v = np.diff(W, axis=0) / durations[:, None]
    h = trajectory.BLEND_FRACTION * durations.min()
    for k, w in enumerate(W[1:-1]):
        nearest = int(np.argmin(np.linalg.norm(path.q - w, axis=-1)))
        cut = h * np.linalg.norm(v[k + 1] - v[k]) / 4.0
        assert 0.2 * cut < np.linalg.norm(path.q[nearest] - w) <= cut * (1 + 1e-6) + 0.005 * np.pi
        assert np.linalg.norm(path.qd[nearest]) > 0.5
    # q̇ and q̈ are the derivatives of q.
    np.testing.assert_allclose(np.gradient(path.q, path.t, axis=0)[2:-2], path.qd[2:-2], atol=0.05)
    lo, hi = robot.limits.T
    assert np.all((path.q >= lo) & (path.q <= hi))


@pytest.mark.parametrize("factor", [1e-3, 1e3])
def test_resolved_rate_tracks_the_same_line_on_an_arm_at_any_scale(factor):
    """The damping compared σ_min of J in mixed units with 0.05: on a UR5 of 1 mm (factor 1e-3) every σ of the
    translation rows is ~1e-3, so the damping was always on and the arm did not move (end error = the whole
    5 % move). On the unit-free Jacobian, the arm and its scaled copy take the same joint path."""
    base = robokin.load("ur5")
    robot = base.scaled(factor)
    q0 = np.full(6, 0.3)
    runs = []
    for r, f in [(base, 1.0), (robot, factor)]:
        T0 = r.fk(q0)
        T1 = T0.copy()
        T1[0, 3] += 0.05 * f
        res = trajectory.resolved_rate(r, trajectory.cartesian_line(T0, T1), q0)
        end = np.abs(r.fk(res.q[-1])[:3, 3] - T1[:3, 3]).max()
        assert end < 0.01 * 0.05 * f  # within 1 % of the move
        runs.append(res)
    np.testing.assert_allclose(runs[1].q, runs[0].q, atol=1e-9)
    np.testing.assert_allclose(runs[1].position_error / factor, runs[0].position_error, atol=1e-12)


def test_follow_reports_its_progress_pose_by_pose():
    """review10: follow() solved a long path with no sign of life; ``progress(k, N)`` is called after each pose
    (matplotlib's progress_callback convention, so viz.progress_bar plugs in), and a non-callable is refused."""
    import io

    from robokin import viz

    robot = robokin.load("planar3r")
    q0 = robot.configurations["ready"]
    T0 = robot.fk(q0)
    line = trajectory.cartesian_line(T0, T0 @ robokin.spatial.transform(p=[0.1, 0.05, 0.0]), steps=7)
    calls = []
    followed = trajectory.follow(robot, line.T, q0, progress=lambda k, n: calls.append((k, n)))
    assert calls == [(k, 7) for k in range(7)] and followed.success.all()
    stream = io.StringIO()  # not a terminal: one final line
    trajectory.follow(robot, line.T, q0, progress=viz.progress_bar("following", stream, unit="poses"))
    assert stream.getvalue() == "following: 7/7 poses\n"
    with pytest.raises(OptionError, match="progress must be None or a callable, got int 5"):
        trajectory.follow(robot, line.T, q0, progress=5)


def test_resolved_rate_without_damping_at_an_exact_singularity_takes_the_pseudo_inverse():
    # damping=0 is allowed (undamped J⁺ v), but np.linalg.solve raised LinAlgError at an exactly singular J.
    robot = planar2r()
    q0 = np.zeros(2)  # stretched along x: the x row of J is exactly 0
    T0 = robot.fk(q0)
    twist = np.zeros((3, 6))
    twist[:, 1] = 0.1  # [m/s] along y, the one direction the stretched arm can move
    path = trajectory.CartesianPath(t=np.array([0.0, 0.01, 0.02]), s=np.zeros(3), T=np.stack([T0] * 3), twist=twist)
    options = trajectory.RateOptions(damping=0.0, rows=(0, 1))
    result = trajectory.resolved_rate(robot, path, q0, options=options)
    expected = np.linalg.pinv(robot.jacobian(q0)[:2]) @ np.array([0.0, 0.1])  # the minimum-norm J⁺ v
    np.testing.assert_allclose(result.qd[0], expected, rtol=1e-12, atol=1e-15)
    assert np.isfinite(result.q).all()


def test_resolved_rate_refuses_paths_it_cannot_follow(panda):
    q0 = np.array(panda.configurations["home"])
    T0 = panda.fk(q0)
    path = trajectory.cartesian_line(np.stack([T0] * 2), T0, steps=11)
    with pytest.raises(ShapeError, match=r"batch shapes of path.T \(2, 11, 4, 4\), q0 \(3, 7\) do not broadcast"):
        trajectory.resolved_rate(panda, path, np.stack([q0] * 3))
    good = {"t": [0.0, 0.05, 0.1], "s": [0.0, 0.5, 1.0], "T": np.stack([T0] * 3), "twist": np.zeros((3, 6))}
    assert trajectory.resolved_rate(panda, trajectory.CartesianPath(**good), q0).q.shape == (3, 7)
    bad_twist = np.zeros((3, 6))
    bad_twist[1, 0] = np.nan
    with pytest.raises(ShapeError, match=r"path.t must be \(N,\) strictly increasing"):
        trajectory.CartesianPath(**{**good, "t": [0.0, 0.1, 0.05]})
    with pytest.raises(ShapeError, match=r"N >= 2"):
        trajectory.CartesianPath(t=[0.0], s=[0.0], T=T0[None], twist=np.zeros((1, 6)))
    with pytest.raises(ShapeError, match=r"path.twist must be finite; found nan at index \(1, 0\)"):
        trajectory.CartesianPath(**{**good, "twist": bad_twist})
    with pytest.raises(ShapeError, match=r"same N and leading axes; got t \(3,\), s \(3,\), T \(2, 4, 4\)"):
        trajectory.CartesianPath(**{**good, "T": np.stack([T0] * 2)})
    with pytest.raises(ConventionError, match=r"path.T\[0\] is not a rigid transform"):
        trajectory.CartesianPath(**{**good, "T": np.stack([2.0 * T0] * 3)})


def test_resolved_rate_moves_the_named_end_effector_of_a_tree():
    # baxter has two end effectors: without link= it says which to pass, with it the chosen hand follows the
    # line and the other arm (whose Jacobian columns are zero for that hand) stays where it was (minimum norm).
    baxter = robokin.load("baxter")
    q0 = np.array(baxter.configurations["neutral"])
    T0 = baxter.fk(q0, link="left_gripper")
    T1 = spatial.transform(T0[:3, :3] @ spatial.rot_z(0.3), T0[:3, 3] + [0.05, -0.05, 0.05])
    path = trajectory.cartesian_line(T0, T1, steps=100, duration=1.0)
    with pytest.raises(OptionError, match=r"2 end effectors; pass link= one of 'left_gripper', 'right_gripper'"):
        trajectory.resolved_rate(baxter, path, q0)
    with pytest.raises(OptionError, match=r"link must be a frame of robot 'baxter'.*got 'left_hnd'"):
        trajectory.resolved_rate(baxter, path, q0, link="left_hnd")
    result = trajectory.resolved_rate(baxter, path, q0, link="left_gripper")
    np.testing.assert_allclose(baxter.fk(result.q, link="left_gripper"), result.T, atol=1e-12)
    np.testing.assert_allclose(result.T[-1, :3, 3], T1[:3, 3], atol=2e-3)  # [m]: 100 Euler steps
    assert result.rotation_error.max() < 5e-3
    np.testing.assert_array_equal(result.q[:, 7:], np.broadcast_to(q0[7:], (100, 7)))  # the right arm stays
    assert np.ptp(result.q[:, :7], axis=0).max() > 0.01  # the left arm moved
