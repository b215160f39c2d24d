"""Forward kinematics, Jacobians and Hessians: closed forms, finite differences, and the methods against each other."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_q

import robokin
from robokin import kinematics, spatial, validation
from robokin.errors import ShapeError
from robokin.model import Joint, Origin, Robot

BATCH_SHAPES = [(), (5,), (2, 3)]


def planar(lengths, form="dh"):
    """A planar arm in the xy plane with the given link lengths [m], written in one of the three forms."""
    joints = []
    for i, length in enumerate(lengths):
        if form == "dh":
            joints.append(Joint(f"j{i}", "revolute", "dh", dh=(length, 0.0, 0.0, 0.0)))
        elif form == "mdh":  # the link length comes before the next joint in modified DH
            prev = lengths[i - 1] if i else 0.0
            joints.append(Joint(f"j{i}", "revolute", "mdh", dh=(prev, 0.0, 0.0, 0.0)))
        else:
            prev = lengths[i - 1] if i else 0.0
            joints.append(Joint(f"j{i}", "revolute", "origin", origin=Origin((prev, 0, 0)), axis=(0, 0, 1)))
    if form != "dh":
        joints.append(Joint("tip", "fixed", "origin", origin=Origin((lengths[-1], 0, 0))))
    return Robot(f"planar{len(lengths)}r", joints)


def reference_fk(robot: Robot, q: np.ndarray) -> np.ndarray:
    """FK as the plain product of each joint's whole 4x4 transform (one configuration at a time)."""
    T = robot.base.matrix
    k = 0
    for joint in robot.joints:
        T = T @ joint.matrix(q[k] if joint.moving else 0.0)
        k += joint.moving
    return T @ robot.tool.matrix


def random_chain(rng: np.random.Generator) -> Robot:
    """A random 8-joint chain mixing every form and joint type, with odd axes, a base and a tool."""
    joints = []
    for i in range(8):
        form = ("dh", "mdh", "origin")[i % 3]
        kind = ("revolute", "prismatic", "revolute", "fixed")[rng.integers(4)] if i else "revolute"
        if form == "origin":
            axis = rng.normal(size=3) if i % 2 else np.eye(3)[i % 3] * (-1) ** i
            joints.append(
                Joint(
                    f"j{i}",
                    kind,
                    "origin",
                    origin=Origin(tuple(rng.normal(size=3) * 0.3), tuple(rng.uniform(-3, 3, 3))),
                    axis=tuple(axis / np.linalg.norm(axis)),
                )
            )
        else:
            joints.append(Joint(f"j{i}", kind, form, dh=tuple(rng.uniform(-1, 1, 4))))
    return Robot(
        "random",
        joints,
        base=Origin((0.1, -0.2, 0.3), (0.3, -0.2, 1.0)),
        tool=Origin((0.0, 0.05, 0.1), (0.1, 0.2, 0.3)),
    )


# ------------------------------------------------------------------------------------ closed forms
@pytest.mark.parametrize("form", ["dh", "mdh", "origin"])
def test_planar_3r_closed_form(form):
    l1, l2, l3 = 1.0, 0.8, 0.5
    robot = planar([l1, l2, l3], form)
    q = np.random.default_rng(0).uniform(-np.pi, np.pi, (50, 3))
    a1, a12, a123 = q[:, 0], q[:, 0] + q[:, 1], q.sum(axis=1)
    x = l1 * np.cos(a1) + l2 * np.cos(a12) + l3 * np.cos(a123)
    y = l1 * np.sin(a1) + l2 * np.sin(a12) + l3 * np.sin(a123)
    T = robot.fk(q)
    np.testing.assert_allclose(T[:, 0, 3], x, atol=1e-14)
    np.testing.assert_allclose(T[:, 1, 3], y, atol=1e-14)
    np.testing.assert_allclose(T[:, :3, :3], spatial.rot_z(a123), atol=1e-14)
    # Jacobian of the planar arm: ∂x/∂q1 = −y, ∂y/∂q1 = x, ω_z = 1 for every joint.
    J = robot.jacobian(q)
    np.testing.assert_allclose(J[:, 0, 0], -y, atol=1e-14)
    np.testing.assert_allclose(J[:, 1, 0], x, atol=1e-14)
    np.testing.assert_allclose(J[:, 0, 2], -l3 * np.sin(a123), atol=1e-14)
    np.testing.assert_allclose(J[:, 5], 1.0, atol=0)
    np.testing.assert_allclose(J[:, 2:5], 0.0, atol=1e-15)


def test_prismatic_closed_form():
    """A cylindrical RP arm: rotate about z, slide along the rotated x axis, at height h."""
    h = 0.4
    robot = Robot(
        "rp",
        [
            Joint("turn", "revolute", "origin", origin=Origin((0, 0, h))),
            Joint("slide", "prismatic", "origin", axis=(1, 0, 0)),
        ],
    )
    q = np.array([[0.3, 0.7], [-2.0, 0.25], [np.pi, 0.0]])
    T = robot.fk(q)
    expected = np.stack([q[:, 1] * np.cos(q[:, 0]), q[:, 1] * np.sin(q[:, 0]), np.full(3, h)], axis=-1)
    np.testing.assert_allclose(T[:, :3, 3], expected, atol=1e-15)
    J = robot.jacobian(q)
    np.testing.assert_allclose(J[:, :3, 1], np.stack([np.cos(q[:, 0]), np.sin(q[:, 0]), 0 * q[:, 0]], -1), atol=1e-15)
    np.testing.assert_allclose(J[:, 3:, 1], 0.0, atol=0)


def test_dh_prismatic_is_offset_along_z():
    """Standard DH prismatic: Rz(theta) Tz(d + q) Tx(a) Rx(alpha)."""
    joint = Joint("p", "prismatic", "dh", dh=(0.2, 0.3, 0.1, 0.4))
    q = 0.5
    expected = (
        spatial.transform(spatial.rot_z(0.4))
        @ spatial.trans(z=0.1 + q)
        @ spatial.trans(x=0.2)
        @ spatial.transform(spatial.rot_x(0.3))
    )
    np.testing.assert_allclose(joint.matrix(q), expected, atol=1e-15)
    mdh = Joint("p", "prismatic", "mdh", dh=(0.2, 0.3, 0.1, 0.4))
    expected = (
        spatial.transform(spatial.rot_x(0.3))
        @ spatial.trans(x=0.2)
        @ spatial.transform(spatial.rot_z(0.4))
        @ spatial.trans(z=0.1 + q)
    )
    np.testing.assert_allclose(mdh.matrix(q), expected, atol=1e-15)


# ------------------------------------------------------------------------------------ every robot
def test_fk_equals_product_of_joint_transforms(robot):
    q = random_q(robot, np.random.default_rng(1), (4,))
    expected = np.stack([reference_fk(robot, qi) for qi in q])
    np.testing.assert_allclose(robot.fk(q), expected, atol=1e-13)
    np.testing.assert_allclose(robot.fk_frames(q)[:, -1], expected, atol=1e-13)


@pytest.mark.parametrize("shape", BATCH_SHAPES)
def test_jacobian_against_central_differences(robot, shape):
    rng = np.random.default_rng(2)
    q = random_q(robot, rng, shape)
    J = robot.jacobian(q)
    assert J.shape == shape + (6, robot.n)
    h = 1e-6
    T = robot.fk(q)
    for i in range(robot.n):
        dq = np.zeros(robot.n)
        dq[i] = h
        dT = (robot.fk(q + dq) - robot.fk(q - dq)) / (2 * h)
        np.testing.assert_allclose(J[..., :3, i], dT[..., :3, 3], atol=1e-8)
        w = spatial.vee(dT[..., :3, :3] @ np.swapaxes(T[..., :3, :3], -1, -2))
        np.testing.assert_allclose(J[..., 3:, i], w, atol=1e-8)


def test_twist_along_a_path(robot):
    """v = J q̇: the velocity of fk along a smooth joint path equals J(q(t)) q̇(t)."""
    rng = np.random.default_rng(3)
    q0, q1 = random_q(robot, rng), random_q(robot, rng)
    t = np.linspace(0.2, 0.8, 7)[:, None]
    path = lambda s: q0 + (q1 - q0) * (3 * s**2 - 2 * s**3)  # noqa: E731
    qd = (q1 - q0) * (6 * t - 6 * t**2)
    h = 1e-6
    T_plus, T_minus, T = robot.fk(path(t + h)), robot.fk(path(t - h)), robot.fk(path(t))
    v = (T_plus[:, :3, 3] - T_minus[:, :3, 3]) / (2 * h)
    w = spatial.so3_log(T_plus[:, :3, :3] @ np.swapaxes(T_minus[:, :3, :3], -1, -2)) / (2 * h)
    twist = np.einsum("tkj,tj->tk", robot.jacobian(path(t)), qd)
    scale = 1 + np.abs(twist).max()
    np.testing.assert_allclose(twist[:, :3], v, atol=1e-7 * scale)
    np.testing.assert_allclose(twist[:, 3:], w, atol=1e-7 * scale)
    del T


def test_tool_frame_is_rotated_world_jacobian(robot):
    q = random_q(robot, np.random.default_rng(4), (3,))
    R = robot.fk(q)[..., :3, :3]
    Rt = np.swapaxes(R, -1, -2)
    J = robot.jacobian(q)
    block = np.zeros((3, 6, 6))
    block[:, :3, :3] = Rt
    block[:, 3:, 3:] = Rt
    np.testing.assert_allclose(robot.jacobian(q, frame="tool"), block @ J, atol=1e-15)


def test_numeric_method_agrees(robot):
    q = random_q(robot, np.random.default_rng(5), (3,))
    for frame in ("world", "tool"):
        np.testing.assert_allclose(robot.jacobian(q, frame, "numeric"), robot.jacobian(q, frame), atol=1e-8)


@pytest.mark.parametrize("n_configs", [1, kinematics.SMALL_BATCH + 3])
def test_both_kernels_agree(n_configs):
    """The product kernel (small batches) and the column kernel (large batches) give the same numbers."""
    robot = random_chain(np.random.default_rng(6))
    q = np.random.default_rng(7).uniform(-2, 2, (n_configs, robot.n))
    for with_axes in (False, True):
        a = kinematics._poses_by_products(robot.chain, q, with_axes)
        b = kinematics._poses_by_columns(robot.chain, q, with_axes)
        for x, y in zip(a if with_axes else [a], b if with_axes else [b]):
            np.testing.assert_allclose(x, y, atol=1e-14)


@pytest.mark.parametrize("seed", [6, 11, 12])
def test_float_fk_kernel_agrees_with_the_kernel_ad_differentiates(seed):
    """fk of a large batch runs a float-only kernel; the AD Jacobians differentiate ``_fk_top``: same poses."""
    robot = random_chain(np.random.default_rng(seed))
    assert not robot.chain.all_revolute  # these seeds mix in prismatic joints (a slide step)
    q = np.random.default_rng(seed + 100).uniform(-2, 2, (kinematics.SMALL_BATCH + 5, robot.n))
    T = robot.fk(q)
    np.testing.assert_allclose(T[:, :3], kinematics._fk_top(robot.chain, q), rtol=0, atol=1e-14)
    np.testing.assert_array_equal(T[:, 3], np.broadcast_to([0.0, 0.0, 0.0, 1.0], (len(q), 4)))
    expected = np.stack([reference_fk(robot, qi) for qi in q[:5]])
    np.testing.assert_allclose(T[:5], expected, rtol=0, atol=1e-13)
    for frame in ("world", "tool"):  # the float Jacobian kernel against the small-batch kernel and AD
        J = robot.jacobian(q, frame)
        for k in (0, 3, len(q) - 1):
            np.testing.assert_allclose(J[k], robot.jacobian(q[k], frame), rtol=0, atol=1e-14)
        np.testing.assert_allclose(J, robot.jacobian(q, frame, method="forward"), rtol=0, atol=1e-13)


def bits(x: np.ndarray) -> np.ndarray:
    """The float64 array's bit patterns (signed zeros and NaN payloads told apart)."""
    return np.ascontiguousarray(x, dtype=np.float64).view(np.uint64)


@pytest.mark.parametrize("seed", [None, 6, 11])
def test_pose_and_jacobian_into_is_pose_and_jacobian_bit_for_bit(robot, seed):
    """The in-place kernel the capability maps use writes pose_and_jacobian's very numbers (every bit, signed
    zeros included): every bundled chain, and random chains with prismatic joints (seeds 6, 11)."""
    if seed is not None:
        robot = random_chain(np.random.default_rng(seed))
        assert not robot.chain.all_revolute
    q = random_q(robot, np.random.default_rng(3), (kinematics.SMALL_BATCH + 37,))
    q[:3] = 0.0  # exact zeros: axes along the world axes, signed zeros in the products
    T, J = kinematics.pose_and_jacobian(robot.chain, q)
    N, n = q.shape
    p, z, J_world = np.full((3, N), np.nan), np.full((3, N), np.nan), np.full((6, n, N), np.nan)
    kinematics.pose_and_jacobian_into(robot.chain, q, p, z, J_world)
    np.testing.assert_array_equal(bits(p), bits(T[:, :, 3].T))
    np.testing.assert_array_equal(bits(z), bits(T[:, :, 2].T))
    np.testing.assert_array_equal(bits(J_world), bits(np.transpose(J, (1, 2, 0))))
    if seed is not None:  # (a prismatic joint's ω rows are its axis times 0: signed zeros, there to get wrong)
        assert np.any(bits(J_world) == bits(np.array(-0.0)))


@pytest.mark.parametrize("n_configs", [2, kinematics.SMALL_BATCH + 3])
def test_random_chain_all_forms(n_configs):
    robot = random_chain(np.random.default_rng(8))
    q = np.random.default_rng(9).uniform(-2, 2, (n_configs, robot.n))
    expected = np.stack([reference_fk(robot, qi) for qi in q])
    np.testing.assert_allclose(robot.fk(q), expected, atol=1e-13)
    np.testing.assert_allclose(robot.jacobian(q), robot.jacobian(q, method="numeric"), atol=1e-8)


def test_fk_frames_layout():
    robot = planar([1.0, 0.8, 0.5], "origin")
    q = np.array([0.1, 0.2, 0.3])
    F = robot.fk_frames(q)
    assert F.shape == (len(robot.joints) + 2, 4, 4)
    np.testing.assert_allclose(F[0], np.eye(4))
    np.testing.assert_allclose(F[1], reference_fk(Robot("a", robot.joints[:1]), q[:1]), atol=1e-15)
    np.testing.assert_allclose(F[2][:2, 3], [np.cos(0.1), np.sin(0.1)], atol=1e-15)  # elbow at the end of link 1


# ------------------------------------------------------------------------------------ Hessian
def test_hessian_against_differences_of_the_jacobian(robot):
    q = random_q(robot, np.random.default_rng(10), (2,))
    h = 1e-6
    for frame in ("world", "tool"):
        H = robot.hessian(q, frame=frame)
        assert H.shape == (2, robot.n, 6, robot.n)
        for i in range(robot.n):
            dq = np.zeros(robot.n)
            dq[i] = h
            dJ = (robot.jacobian(q + dq, frame) - robot.jacobian(q - dq, frame)) / (2 * h)
            np.testing.assert_allclose(H[:, i], dJ, atol=1e-7)


def test_hessian_linear_rows_symmetric(robot):
    """∂²p/∂q_i∂q_j is symmetric in (i, j) (equality of mixed partials)."""
    H = robot.hessian(random_q(robot, np.random.default_rng(11), (3,)))
    np.testing.assert_allclose(H[:, :, :3, :], np.swapaxes(H[:, :, :3, :], 1, 3), atol=1e-13)


def test_jacobian_dot_is_hessian_contraction():
    robot = random_chain(np.random.default_rng(12))
    rng = np.random.default_rng(13)
    q, qd = rng.uniform(-1, 1, (2, robot.n)), rng.uniform(-1, 1, (2, robot.n))
    h = 1e-6
    expected = (robot.jacobian(q + h * qd) - robot.jacobian(q - h * qd)) / (2 * h)
    np.testing.assert_allclose(robot.jacobian_dot(q, qd), expected, atol=1e-7)


# ------------------------------------------------------------------------------------ bad input
def test_q_shape_error_names_n_and_joints():
    robot = planar([1.0, 1.0])
    with pytest.raises(robokin.ShapeError, match=r"shape \(\.\.\., 2\).*j0, j1.*got shape \(3,\)"):
        robot.fk([0.0, 0.0, 0.0])
    with pytest.raises(robokin.ShapeError, match=r"got shape \(\)"):
        robot.jacobian(0.0)


def test_q_must_be_finite():
    robot = planar([1.0, 1.0])
    with pytest.raises(robokin.ShapeError, match=r"q must be finite; found nan at index \(1, 0\)"):
        robot.fk([[0.0, 0.0], [np.nan, 0.0]])
    with pytest.raises(robokin.ShapeError, match="array of numbers"):
        robot.fk(["a", "b"])


def test_unknown_options():
    robot = planar([1.0, 1.0])
    with pytest.raises(robokin.OptionError, match=r"method must be one of 'analytic', 'forward'.*got 'magic'"):
        robot.jacobian([0, 0], method="magic")
    with pytest.raises(robokin.OptionError, match=r"frame must be one of 'world', 'tool', 'local'; got 'base'"):
        robot.jacobian([0, 0], frame="base")


# ------------------------------------------------------------------------------------ autodiff methods
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_ad_jacobians_equal_analytic(robot, shape):
    q = random_q(robot, np.random.default_rng(20), shape)
    for frame in ("world", "tool"):
        J = robot.jacobian(q, frame)
        for method in ("forward", "reverse"):
            J_ad = robot.jacobian(q, frame, method)
            assert J_ad.shape == shape + (6, robot.n)
            np.testing.assert_allclose(J_ad, J, atol=1e-12, rtol=0)
        np.testing.assert_allclose(robot.jacobian(q, frame, "numeric"), J, atol=1e-7, rtol=0)


def test_ad_jacobians_on_a_large_batch_use_the_column_kernel():
    robot = random_chain(np.random.default_rng(21))
    q = np.random.default_rng(22).uniform(-2, 2, (kinematics.SMALL_BATCH * 2, robot.n))
    J = robot.jacobian(q)
    for method in ("forward", "reverse"):
        np.testing.assert_allclose(robot.jacobian(q, method=method), J, atol=1e-12, rtol=0)


def test_ad_differentiates_the_fk_code_itself(monkeypatch):
    """Change fk and the AD Jacobians follow; the closed form (which reads the joint axes) does not."""
    robot = planar([1.0, 0.8, 0.5])
    q = np.array([0.3, -0.5, 0.9])
    J = robot.jacobian(q)
    original = kinematics._fk_top

    def doubled(chain, x):  # the same poses with every translation doubled
        T = original(chain, x)  # (N, 3, 4)
        return np.concatenate([T[..., :3], 2 * T[..., 3:]], -1)

    monkeypatch.setattr(kinematics, "_fk_top", doubled)
    for method in ("forward", "reverse", "numeric"):
        J_m = robot.jacobian(q, method=method)
        np.testing.assert_allclose(J_m[:3], 2 * J[:3], atol=1e-8)
        np.testing.assert_allclose(J_m[3:], J[3:], atol=1e-8)
    np.testing.assert_array_equal(robot.jacobian(q), J)


def test_ad_hessians_equal_analytic(robot):
    q = random_q(robot, np.random.default_rng(23), (2,))
    for frame in ("world", "tool"):
        H = robot.hessian(q, frame)
        for method in ("forward", "reverse"):
            np.testing.assert_allclose(robot.hessian(q, frame, method), H, atol=1e-10, rtol=0)
    assert robot.hessian(q[0], method="forward").shape == (robot.n, 6, robot.n)


def test_manipulability_gradient_against_differences(robot):
    q = random_q(robot, np.random.default_rng(24), (3,))
    for rows in ("all", "translation", "rotation", [0, 1]):
        idx = validation.row_indices(rows)

        def w(x):
            J = robot.jacobian(x)[..., idx, :]  # noqa: B023 - called within this iteration only
            sv = np.linalg.svd(J, compute_uv=False)  # an independent route: product of singular values
            return np.prod(sv, axis=-1)

        if np.any(w(q) < 1e-9):  # structurally singular task (a SCARA's rotation rows): no finite gradient
            continue
        g = robot.manipulability_gradient(q, rows=rows)
        h = 1e-6
        expected = np.stack([(w(q + h * e) - w(q - h * e)) / (2 * h) for e in np.eye(robot.n)], axis=-1)
        np.testing.assert_allclose(g, expected, atol=1e-7)


def test_statics_by_vjp_and_twist_by_jvp(robot):
    """VJP of fk with a tool wrench F gives τ = Jᵀ F; JVP with q̇ gives the twist J q̇."""
    rng = np.random.default_rng(25)
    q = random_q(robot, rng, (2, 3))
    qd, F = rng.normal(size=(2, 3, robot.n)), rng.normal(size=(2, 3, 6))
    J = robot.jacobian(q)
    np.testing.assert_allclose(kinematics.tool_twist(robot, q, qd), np.einsum("...kj,...j->...k", J, qd), atol=1e-13)
    np.testing.assert_allclose(kinematics.joint_torques(robot, q, F), np.einsum("...kj,...k->...j", J, F), atol=1e-13)


def test_blocks_of_a_large_batch_join_seamlessly(monkeypatch):
    """Evaluated in blocks, a batch gives exactly what the same configurations give alone."""
    robot = random_chain(np.random.default_rng(26))
    monkeypatch.setattr(kinematics, "BLOCK", 7)
    q = np.random.default_rng(27).uniform(-2, 2, (3, 10, robot.n))  # 30 configurations: 4 full blocks + 2
    for func, tail in [(robot.fk, (4, 4)), (robot.jacobian, (6, robot.n)), (robot.hessian, (robot.n, 6, robot.n))]:
        whole = func(q)
        assert whole.shape == (3, 10) + tail
        np.testing.assert_array_equal(whole[1, 3], func(q[1, 3]))
    J = robot.jacobian(q, method="forward")
    np.testing.assert_allclose(J, robot.jacobian(q), atol=1e-12, rtol=0)


def test_robot_constructor_rejects_bad_chains():
    joint = Joint("a", "revolute", "dh", dh=(1.0, 0.0, 0.0, 0.0))
    with pytest.raises(robokin.RobotFormatError, match=r"<robot 'r'>: duplicate joint names in \['a', 'a'\]"):
        Robot("r", [joint, joint])
    with pytest.raises(robokin.RobotFormatError, match="needs at least one moving joint"):
        Robot("r", [Joint("f", "fixed", "dh")])
    with pytest.raises(robokin.ShapeError, match=r"configuration 'home' has shape \(2,\), expected \(1,\)"):
        Robot("r", [joint], configurations={"home": [0.0, 0.0]})


def test_manipulability_gradient_is_zero_not_nan_at_singularities():
    puma = robokin.load("puma560")
    assert robokin.manipulability(puma, np.zeros(6)) == pytest.approx(0.0, abs=1e-12)  # a singular pose
    with np.errstate(all="raise"):  # no 1 / √0 escapes either
        g = kinematics.manipulability_gradient(puma, np.stack([np.zeros(6), [0.0, 0.3, 0.2, 0.1, 0.5, 0.2]]))
    np.testing.assert_array_equal(g[0], np.zeros(6))
    assert np.isfinite(g).all() and np.abs(g[1]).max() > 1e-3


def test_manipulability_gradient_refuses_a_q_whose_gram_determinant_overflows():
    stanford = robokin.load("stanford")  # joint 3 slides: q3 = -1e308 m puts 1e308 in J, 1e616 in det(J Jᵀ)
    q = np.full((2, 6), 0.3)
    q[1, 2] = -1e308
    with pytest.raises(
        ShapeError,
        match=r"^q gives a Gram determinant det\(J Jᵀ\) beyond the largest float \(1\.8e\+308\) at batch index \(1,\): "
        r"q = \[0\.3, 0\.3, -1e\+308, 0\.3, 0\.3, 0\.3\]",
    ):
        kinematics.manipulability_gradient(stanford, q)


def test_numeric_jacobian_refuses_a_q_too_large_for_central_differences():
    """At |q| = 1e10, q ± 6e-6 rounds to q: the columns came out silently zero. Now a ShapeError; up to the
    limit the numeric Jacobian still agrees with the analytic one."""
    robot = robokin.load("ur5")
    q = np.full(6, 0.3)
    q[2] = 1e10
    with pytest.raises(ShapeError, match=r"q\[\.\.\., 2\] = 1e\+10 is too large for method='numeric'"):
        robot.jacobian(q, method="numeric")
    assert np.all(np.isfinite(robot.jacobian(q)))  # the analytic Jacobian takes any finite q
    q[2] = 0.9 * kinematics.NUMERIC_Q_LIMIT
    np.testing.assert_allclose(robot.jacobian(q, method="numeric"), robot.jacobian(q), atol=1e-3)
