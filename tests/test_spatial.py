"""SE(3)/SO(3) helpers: closed forms, inverses of each other, and the half-turn cases."""

from __future__ import annotations

import numpy as np
import pytest

from robokin import spatial


def random_rotvec(rng, shape, max_angle=np.pi):
    axis = rng.normal(size=shape + (3,))
    axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
    return axis * rng.uniform(0, max_angle, shape + (1,))


def test_elementary_rotations_closed_form():
    c, s = np.cos(0.3), np.sin(0.3)
    np.testing.assert_allclose(spatial.rot_z(0.3), [[c, -s, 0], [s, c, 0], [0, 0, 1]], atol=0)
    np.testing.assert_allclose(spatial.rot_x(0.3), [[1, 0, 0], [0, c, -s], [0, s, c]], atol=0)
    np.testing.assert_allclose(spatial.rot_y(0.3), [[c, 0, s], [0, 1, 0], [-s, 0, c]], atol=0)


def test_rpy_is_fixed_axis_zyx():
    r, p, y = 0.1, -0.4, 2.0
    expected = spatial.rot_z(y) @ spatial.rot_y(p) @ spatial.rot_x(r)
    np.testing.assert_allclose(spatial.rpy_to_matrix([r, p, y]), expected, atol=1e-16)
    rpy = np.random.default_rng(0).uniform(-1.5, 1.5, (100, 3))
    np.testing.assert_allclose(spatial.matrix_to_rpy(spatial.rpy_to_matrix(rpy)), rpy, atol=1e-14)


def test_rpy_at_gimbal_lock_reproduces_the_rotation():
    R = spatial.rpy_to_matrix([0.3, np.pi / 2, -0.2])
    np.testing.assert_allclose(spatial.rpy_to_matrix(spatial.matrix_to_rpy(R)), R, atol=1e-12)


def test_skew_vee_cross():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 5, 3))
    np.testing.assert_allclose(spatial.skew(a) @ b[..., None], np.cross(a, b)[..., None], atol=1e-15)
    np.testing.assert_allclose(spatial.vee(spatial.skew(a)), a, atol=0)


def test_exp_log_round_trip_including_half_turn():
    rng = np.random.default_rng(2)
    w = random_rotvec(rng, (200,))
    np.testing.assert_allclose(spatial.so3_log(spatial.so3_exp(w)), w, atol=1e-12)
    near_pi = w / np.linalg.norm(w, axis=-1, keepdims=True) * (np.pi - 1e-10)
    R = spatial.so3_exp(near_pi)
    np.testing.assert_allclose(spatial.so3_exp(spatial.so3_log(R)), R, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(spatial.so3_log(spatial.rot_x(np.pi))), np.pi, atol=1e-15)


def quaternion_log(R):
    """Reference log through Shepperd's quaternion (w, v): 2 atan2(|v|, w) v/|v|, another code path."""
    quat = spatial.matrix_to_quaternion(R)
    w, v = quat[..., 0], quat[..., 1:]
    vn = np.linalg.norm(v, axis=-1, keepdims=True)
    return 2.0 * np.arctan2(vn, w[..., None]) * v / np.where(vn > 0, vn, 1.0)


def test_log_matches_quaternion_log_at_every_angle():
    """Uniform angles, exactly π, within 1e-4..1e-12 of π (the symmetric-part branch) and tiny angles."""
    rng = np.random.default_rng(1)
    axis = rng.normal(size=(3000, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    angle = np.concatenate(
        [
            rng.uniform(0, np.pi, 2700),
            np.full(100, np.pi),
            np.pi - 10.0 ** -rng.uniform(4, 12, 100),
            10.0 ** -rng.uniform(4, 12, 100),
        ]
    )
    R = spatial.so3_exp(axis * angle[:, None])
    got = spatial.so3_log(R)
    ref = quaternion_log(R)
    diff = np.linalg.norm(got - ref, axis=1)
    at_pi = np.abs(angle - np.pi) < 1e-15  # ±axis are both logs of a half turn
    diff[at_pi] = np.minimum(diff[at_pi], np.linalg.norm(got[at_pi] + ref[at_pi], axis=1))
    assert diff.max() < 1e-12
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), angle, atol=1e-12)
    np.testing.assert_allclose(spatial.so3_exp(got), R, atol=1e-12)


def test_log_closed_form_and_batch_shapes():
    """log(Rx(θ)) = [θ, 0, 0] for θ in [0, π]; (3, 3) in gives (3,) out, (2, 4, 3, 3) gives (2, 4, 3)."""
    theta = np.array([0.0, 1e-9, 0.5, 2.0, np.pi - 1e-3, np.pi - 1e-6, np.pi])
    np.testing.assert_allclose(
        spatial.so3_log(spatial.rot_x(theta)), np.stack([theta, 0 * theta, 0 * theta], -1), atol=1e-15, rtol=1e-14
    )
    assert spatial.so3_log(np.eye(3)).shape == (3,)
    R = spatial.so3_exp(random_rotvec(np.random.default_rng(5), (2, 4)))
    w = spatial.so3_log(R)
    assert w.shape == (2, 4, 3)
    np.testing.assert_allclose(w.reshape(8, 3), spatial.so3_log(R.reshape(8, 3, 3)), atol=0)


def test_exp_matches_rodrigues_and_small_angles():
    w = np.array([1e-10, -2e-10, 3e-10])
    np.testing.assert_allclose(spatial.so3_exp(w), np.eye(3) + spatial.skew(w), atol=1e-19)
    np.testing.assert_allclose(spatial.so3_log(np.eye(3)), 0.0, atol=0)
    axis, angle = np.array([0.0, 0.6, 0.8]), 1.1
    K = spatial.skew(axis)
    expected = np.eye(3) + np.sin(angle) * K + (1 - np.cos(angle)) * K @ K
    np.testing.assert_allclose(spatial.rot_axis(axis, angle), expected, atol=1e-15)


def test_quaternion_round_trip_and_sign():
    R = spatial.so3_exp(random_rotvec(np.random.default_rng(3), (100,)))
    quat = spatial.matrix_to_quaternion(R)
    assert np.all(quat[:, 0] >= 0)
    np.testing.assert_allclose(np.linalg.norm(quat, axis=-1), 1.0, atol=1e-15)
    np.testing.assert_allclose(spatial.quaternion_to_matrix(quat), R, atol=1e-14)
    # about z by θ: [cos θ/2, 0, 0, sin θ/2]
    np.testing.assert_allclose(
        spatial.matrix_to_quaternion(spatial.rot_z(1.0)), [np.cos(0.5), 0, 0, np.sin(0.5)], atol=1e-15
    )


def test_inverse_and_adjoint():
    rng = np.random.default_rng(4)
    T = spatial.transform(spatial.so3_exp(random_rotvec(rng, (4,))), rng.normal(size=(4, 3)))
    np.testing.assert_allclose(spatial.inverse(T) @ T, np.broadcast_to(np.eye(4), (4, 4, 4)), atol=1e-15)
    # Ad(T_a_b) maps a twist [v; ω] of frame b to frame a: p_a-velocity of a point fixed in b.
    twist_b = rng.normal(size=(4, 6))
    twist_a = (spatial.adjoint(T) @ twist_b[..., None])[..., 0]
    v_b, w_b = twist_b[:, :3], twist_b[:, 3:]
    R, p = T[:, :3, :3], T[:, :3, 3]
    np.testing.assert_allclose(twist_a[:, 3:], (R @ w_b[..., None])[..., 0], atol=1e-15)
    np.testing.assert_allclose(twist_a[:, :3], (R @ v_b[..., None])[..., 0] + np.cross(p, twist_a[:, 3:]), atol=1e-14)


@pytest.mark.parametrize("angle", [0.0, 1e-9, 1.0, np.pi - 1e-7, np.pi])
def test_pose_error(angle):
    axis = np.array([0.0, 0.6, -0.8])
    T = spatial.transform(spatial.rot_x(0.2), [0.1, 0.2, 0.3])
    T_target = spatial.transform(spatial.rot_axis(axis, angle) @ T[:3, :3], [0.4, 0.2, -0.3])
    e = spatial.pose_error(T_target, T)
    np.testing.assert_allclose(e[:3], [0.3, 0.0, -0.6], atol=1e-15)
    np.testing.assert_allclose(np.linalg.norm(e[3:]), angle, atol=1e-12)
    if angle > 0:
        np.testing.assert_allclose(abs(e[3:] @ axis), angle, atol=1e-9)


def test_transform_from_position_and_rpy():
    """``transform(p=..., rpy=...)``: a tool 10 cm along z turned a quarter turn about it (issue 11, item 11)."""
    from robokin.errors import OptionError

    T = spatial.transform(p=[0.0, 0.0, 0.1], rpy=[0.0, 0.0, np.pi / 2])
    expected = np.array([[0.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.1], [0.0, 0.0, 0.0, 1.0]])
    np.testing.assert_allclose(T, expected, atol=1e-15)
    batch = spatial.transform(p=np.zeros((4, 3)), rpy=np.random.default_rng(0).uniform(-1, 1, (4, 3)))
    assert batch.shape == (4, 4, 4)
    with pytest.raises(OptionError, match="rotation as R or as rpy, not both"):
        spatial.transform(np.eye(3), rpy=[0, 0, 0])
