"""Trees of frames: fk of any link, fk_all, Jacobians and Hessians with mimic joints folded into their leaders."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import random_q

import robokin
from robokin import RobotFormatError
from robokin.errors import OptionError, ShapeError
from robokin.model import Frame, Joint, Mimic, Origin, Robot

TREES = Path(__file__).parent / "data" / "urdf" / "trees"
REFERENCE = json.loads((TREES / "reference.json").read_text())
# Pinocchio and robokin multiply the same transforms in different orders: agreement to a few ulps of 1 m.
PIN_TOL = 1e-12
FD_STEP = 1e-6  # central differences of fk [rad, m]: truncation ~1e-12, rounding ~1e-10


def two_arm() -> Robot:
    """A hand-made tree: a torso joint, two 2R arms hanging from it, a coupled gripper on the right arm,
    a camera frame on the torso and a TCP frame on each hand."""
    J = Joint
    joints = [
        J("torso", "revolute", "origin", origin=Origin((0, 0, 0.5)), axis=(0, 0, 1), limits=(-2, 2)),
        J("l1", "revolute", "origin", parent="torso", origin=Origin((0, 0.2, 0.3), (0.3, 0, 0)), axis=(0, 1, 0)),
        J("l2", "revolute", "origin", origin=Origin((0.3, 0, 0)), axis=(0, 1, 0)),
        J("r1", "revolute", "origin", parent="torso", origin=Origin((0, -0.2, 0.3)), axis=(0.6, 0.8, 0)),
        J("r2", "prismatic", "origin", origin=Origin((0.3, 0, 0), (0, 0.2, 0.1)), axis=(1, 0, 0), limits=(0, 0.2)),
        J(
            "finger_a",
            "prismatic",
            "origin",
            parent="r2",
            origin=Origin((0.1, 0.02, 0)),
            axis=(0, 1, 0),
            limits=(0, 0.04),
        ),
        J(
            "finger_b",
            "prismatic",
            "origin",
            parent="r2",
            origin=Origin((0.1, -0.02, 0)),
            axis=(0, 1, 0),
            mimic=Mimic("finger_a", -1.0, 0.0),
        ),
        J(
            "wrist_b",
            "revolute",
            "origin",
            parent="finger_b",
            origin=Origin((0.02, 0, 0)),
            axis=(0, 0, 1),
            mimic=Mimic("l2", 0.5, 0.1),
        ),
    ]
    frames = [
        Frame("camera", "torso", Origin((0.1, 0, 0.4), (0, 0.5, 0))),
        Frame("left_tcp", "l2", Origin((0.25, 0, 0))),
        Frame("right_tcp", "r2", Origin((0.15, 0, 0), (0.1, 0, 0))),
    ]
    return Robot("two_arm", joints, frames=frames, base=Origin((0.1, 0.2, 0), (0, 0, 0.3)))


def finite_difference_jacobian(robot: Robot, q: np.ndarray, link: str) -> np.ndarray:
    """World Jacobian (6, n) of ``link`` by central differences of ``fk`` on the full q (independent of folding)."""
    cols = []
    R = robot.fk(q, link=link)[:3, :3]
    for i in range(robot.n):
        dq = np.zeros(robot.n)
        dq[i] = FD_STEP
        Tp, Tm = robot.fk(q + dq, link=link), robot.fk(q - dq, link=link)
        dT = (Tp - Tm) / (2 * FD_STEP)
        W = dT[:3, :3] @ R.T
        cols.append(np.concatenate([dT[:3, 3], [W[2, 1], W[0, 2], W[1, 0]]]))
    return np.stack(cols, axis=-1)


# ------------------------------------------------------------------------------ against Pinocchio
@pytest.mark.parametrize("name", list(REFERENCE["files"]))
def test_every_link_pose_and_world_jacobian_match_pinocchio(name):
    ref = REFERENCE["files"][name]
    robot = robokin.load_urdf(TREES / name)
    assert sorted(robot.joint_names) == sorted(ref["joints"])
    assert set(robot.frame_names) == set(ref["samples"][0]["frames"])  # every link is a frame, nothing else
    cols = [robot.joint_names.index(j) for j in ref["joints"]]
    for sample in ref["samples"]:
        q = np.array([sample["q"][j] for j in robot.joint_names])
        T_all = robot.fk_all(q)
        for link, want in sample["frames"].items():
            T = robot.fk(q, link=link)
            np.testing.assert_allclose(T, want["T_world_link"], rtol=0, atol=PIN_TOL, err_msg=link)
            np.testing.assert_allclose(T_all[robot.frame_names.index(link)], T, rtol=0, atol=PIN_TOL)
            J = robot.jacobian(q, link=link)
            np.testing.assert_allclose(J[:, cols], want["J_world"], rtol=0, atol=PIN_TOL, err_msg=link)


def test_urdf_tree_knows_its_end_effectors_and_mimic_couplings():
    robot = robokin.load_urdf(TREES / "panda_hand.urdf")
    assert robot.n == 8 and "panda_finger_joint2" not in robot.joint_names
    assert robot.end_effectors == ("panda_hand_tcp", "panda_leftfinger", "panda_rightfinger")
    assert robot.root == "panda_link0" and robot.default_link is None
    with pytest.raises(OptionError, match=r"3 end effectors; pass link= one of 'panda_hand_tcp', 'panda_leftfinger'"):
        robot.fk(np.zeros(8))
    q = np.zeros(8)
    q[7] = 0.03
    left, right = robot.fk(q, link=["panda_leftfinger", "panda_rightfinger"])
    # the fingers open symmetrically about the hand: 2 x 0.03 m apart along the hand's y axis
    hand = robot.fk(q, link="panda_hand")
    gap = hand[:3, :3].T @ (left[:3, 3] - right[:3, 3])
    np.testing.assert_allclose(gap, [0.0, 0.06, 0.0], atol=1e-15)


# ------------------------------------------------------------------------------ a serial chain is the special case
def test_serial_chains_are_unchanged_bit_for_bit(robot):
    rng = np.random.default_rng(1)
    q = random_q(robot, rng, (7,))
    assert robot.serial and robot.default_link == "tool" and robot.frame_names[0] == "base"
    np.testing.assert_array_equal(robot.fk(q, link="tool"), robot.fk(q))
    np.testing.assert_array_equal(robot.fk(q), robokin.kinematics._fk(robot.chain, q))
    np.testing.assert_allclose(robot.fk_all(q), robot.fk_frames(q), rtol=0, atol=1e-13)
    assert robot.fk_all(q).shape == (7, len(robot.joints) + 2, 4, 4)
    np.testing.assert_array_equal(robot.jacobian(q, link="tool"), robot.jacobian(q))


# ------------------------------------------------------------------------------ the tree kernels
def test_fk_of_links_matches_the_product_of_joint_transforms_along_the_path():
    robot = two_arm()
    rng = np.random.default_rng(2)
    q = random_q(robot, rng)
    named = dict(zip(robot.joint_names, q))
    value = {
        j.name: (named[j.mimic.joint] * j.mimic.multiplier + j.mimic.offset if j.mimic else named.get(j.name, 0.0))
        for j in robot.joints
    }
    frames = {"base": robot.base.matrix}
    for joint in robot.joints:  # already in topological order here
        parent = joint.parent or (
            robot.joints[robot.joints.index(joint) - 1].name if robot.joints.index(joint) else "base"
        )
        frames[joint.name] = frames[parent] @ joint.matrix(value[joint.name])
    for frame in robot.frames:
        frames[frame.name] = frames[frame.parent] @ frame.origin.matrix
    assert robot.frame_names == tuple(frames)
    T_all = robot.fk_all(q)
    for i, name in enumerate(robot.frame_names):
        np.testing.assert_allclose(robot.fk(q, link=name), frames[name], rtol=0, atol=1e-14, err_msg=name)
        np.testing.assert_allclose(T_all[i], frames[name], rtol=0, atol=1e-14, err_msg=name)


def every_step_kind() -> Robot:
    """A tree with every step of the fk_all plan: turns about ±z and ±x (no post), about ±y, an oblique axis
    and a DH joint (with a post), slides along ±x/-y/z (no post) and an oblique axis, mimic couplings, a fixed
    joint, a frame equal to its parent and a rotated fixed frame; for the entry-major kernel, turns about each
    axis and slides after a translated and after a turned origin."""
    J, O = Joint, Origin
    joints = [
        J("z", "revolute", "origin", origin=O((0.1, 0, 0.3), (0.2, -0.1, 0.4)), axis=(0, 0, 1)),
        J("zm", "revolute", "origin", parent="z", origin=O((0, 0.2, 0.1)), axis=(0, 0, -1)),
        J("x", "revolute", "origin", parent="zm", origin=O((0.3, 0, 0), (0.1, 0.2, 0.3)), axis=(1, 0, 0)),
        J("xm", "revolute", "origin", parent="x", origin=O((0, 0, 0.2)), axis=(-1, 0, 0), mimic=Mimic("x", -0.5, 0.3)),
        J("y", "revolute", "origin", parent="z", origin=O((0, -0.2, 0.1)), axis=(0, 1, 0)),
        J("ym", "revolute", "origin", parent="y", origin=O((0.1, 0.1, 0), (0, 0, 0.7)), axis=(0, -1, 0)),
        J("oblique", "revolute", "origin", parent="y", origin=O((0, 0, 0.15)), axis=(0.6, 0, 0.8)),
        J("dh", "revolute", "dh", parent="oblique", dh=(0.2, 0.3, 0.1, 0.4)),
        J("px", "prismatic", "origin", parent="x", origin=O((0.05, 0, 0)), axis=(1, 0, 0), limits=(-0.1, 0.2)),
        J("pym", "prismatic", "origin", parent="px", origin=O((0, 0.05, 0)), axis=(0, -1, 0), limits=(0, 0.1)),
        J("pob", "prismatic", "origin", parent="ym", origin=O((0, 0, 0.1)), axis=(0, 0.6, 0.8), limits=(0, 0.3)),
        J("pmim", "prismatic", "origin", parent="pob", axis=(0, 0, 1), mimic=Mimic("pym", 2.0, -0.01)),
        J("fx", "fixed", "origin", parent="pym", origin=O((0, 0, 0.1), (0.3, 0, 0))),
        J(
            "pr",
            "prismatic",
            "origin",
            parent="fx",
            origin=O((0, 0.1, 0), (0.2, 0, 0.1)),
            axis=(0, 0, 1),
            limits=(0, 0.2),
        ),
    ]
    frames = [Frame("same", "y"), Frame("tcp", "dh", O((0.1, 0, 0), (0.1, 0.2, 0.3)))]
    return Robot("kinds", joints, frames=frames, base=O((0.1, 0.2, 0), (0, 0, 0.3)))


def reference_frames(robot: Robot, q: np.ndarray) -> dict[str, np.ndarray]:
    """Every frame of ``robot`` (joints listed parents first) as the product of ``Joint.matrix`` along its path."""
    named = dict(zip(robot.joint_names, q))
    frames = {robot.root: robot.base.matrix}
    for i, joint in enumerate(robot.joints):
        parent = joint.parent or (robot.joints[i - 1].name if i else robot.root)
        value = (
            named[joint.mimic.joint] * joint.mimic.multiplier + joint.mimic.offset
            if joint.mimic
            else named.get(joint.name, 0.0)
        )
        frames[joint.name] = frames[parent] @ joint.matrix(value)
    for frame in robot.frames:
        frames[frame.name] = frames[frame.parent] @ frame.origin.matrix
    return frames


def test_fk_all_runs_every_step_kind_and_matches_the_joint_products(monkeypatch):
    from robokin import kinematics

    robot = every_step_kind()
    plan = kinematics._tree_plan(robot.tree)
    kinds = {(kind, slot, post is None) for _, _, kind, _, slot, _, post in plan.steps}
    turns = {(slot, plain) for kind, slot, plain in kinds if kind == kinematics._TURN}
    slides = {(slot, plain) for kind, slot, plain in kinds if kind == kinematics._SLIDE}
    assert {kinematics._COPY, kinematics._FIXED} <= {kind for kind, _, _ in kinds}
    assert turns == {(0, True), (1, True), (0, False)}  # z and x pairs without a post; y, oblique, dh with one
    assert slides == {(0, True), (1, True), (2, True), (2, False)}
    q = random_q(robot, np.random.default_rng(40), (kinematics.SMALL_BATCH + 6,))
    whole = robot.fk_all(q)
    monkeypatch.setattr(kinematics, "TREE_BLOCK", 32)  # blocks of 32, 32 and 6 configurations
    T_all = robot.fk_all(q)
    np.testing.assert_array_equal(T_all, whole)  # the blocks join seamlessly
    np.testing.assert_array_equal(T_all[..., 3, :], np.broadcast_to([0.0, 0.0, 0.0, 1.0], T_all[..., 3, :].shape))
    for k in (0, 17, 40, len(q) - 1):
        want = reference_frames(robot, q[k])
        assert tuple(want) == robot.frame_names
        for i, name in enumerate(robot.frame_names):
            np.testing.assert_allclose(T_all[k, i], want[name], rtol=0, atol=1e-14, err_msg=name)
    # the float kernel and the path kernels the AD Jacobians differentiate give the same poses
    for i, name in enumerate(robot.frame_names):
        path = robot.link_path(name)
        np.testing.assert_allclose(T_all[:, i, :3], kinematics.path_top(path, q), rtol=0, atol=1e-14, err_msg=name)
    assert robot.fk_all(np.zeros((0, robot.n))).shape == (0, len(robot.frame_names), 4, 4)
    # folded Jacobians of large batches: a leader and its mimic on one path (xm, pmim) and plain paths
    for link in ("xm", "pmim", "tcp", "fx"):
        J = robot.jacobian(q, link=link)
        np.testing.assert_allclose(J, robot.jacobian(q, link=link, method="forward"), rtol=0, atol=1e-13)
        np.testing.assert_allclose(J[5], robot.jacobian(q[5], link=link), rtol=0, atol=1e-15)


def test_fk_all_entry_major_kernel_runs_every_step_kind(monkeypatch):
    from robokin import kinematics

    robot = every_step_kind()
    plan = kinematics._entry_plan(robot.tree)
    # (kind, axis, A only translates, no post, A translates at all)
    kinds = {(kind, axis, A_T is None, post is None, t is not None) for _, _, kind, A_T, axis, _, post, t in plan.steps}
    turns = {(axis, moved, plain) for kind, axis, moved, plain, _ in kinds if kind == kinematics._TURN}
    slides = {(axis, moved, plain) for kind, axis, moved, plain, _ in kinds if kind == kinematics._SLIDE}
    fixed = {(moved, t) for kind, _, moved, _, t in kinds if kind == kinematics._FIXED}
    assert fixed == {(True, False), (False, True)}  # a frame equal to its parent; turned origins
    # about x, y, z without a post after a translation or a turned origin; oblique, dh with a post
    assert turns == {(0, True, True), (0, False, True), (1, True, True), (1, False, True), (2, True, True)} | {
        (2, False, True),
        (2, False, False),
    }
    assert slides == {(0, True, True), (1, True, True), (2, True, True), (2, False, True), (2, False, False)}
    q = random_q(robot, np.random.default_rng(41), (70,))
    frame_major = robot.fk_all(q)
    monkeypatch.setattr(kinematics, "TREE_ENTRY_MIN", 1)
    whole = robot.fk_all(q)
    assert whole.strides[-1] != 8 and frame_major.strides[-1] == 8  # the two kernels did run
    np.testing.assert_allclose(whole, frame_major, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(whole[..., 3, :], np.broadcast_to([0.0, 0.0, 0.0, 1.0], whole[..., 3, :].shape))
    for k in (0, 33, len(q) - 1):
        want = reference_frames(robot, q[k])
        for i, name in enumerate(robot.frame_names):
            np.testing.assert_allclose(whole[k, i], want[name], rtol=0, atol=1e-14, err_msg=name)
    monkeypatch.setattr(kinematics, "TREE_ENTRY_BLOCK", 32)  # three equal blocks: 24, 24 and 22 configurations
    np.testing.assert_array_equal(robot.fk_all(q), whole)  # the blocks join seamlessly
    np.testing.assert_array_equal(robot.fk_all(q.reshape(2, 35, -1)), whole.reshape(2, 35, -1, 4, 4))
    assert robot.fk_all(np.zeros((0, robot.n))).shape == (0, len(robot.frame_names), 4, 4)


def test_polynomial_cos_sin_is_within_an_ulp_of_libm(monkeypatch):
    from robokin import kinematics

    monkeypatch.setattr(kinematics, "COS_SIN_CHUNK", 1000)  # chunk boundaries inside the array
    rng = np.random.default_rng(5)
    quarters = np.arange(-40, 41) * np.pi / 4  # the edges of the reduction's quadrants
    tiny = [0.0, -0.0, 5e-324, 1e-300, 1e-8, -1e-8]
    v = np.concatenate([rng.uniform(-7, 7, 3000), rng.uniform(-1e5, 1e5, 899), quarters, tiny, [2e5, -1e300]])
    turn = np.empty(v.size, dtype=complex)  # as the kernel: into the strided real and imaginary parts
    kinematics._cos_sin(v, turn.real, turn.imag)  # the last chunk goes past the reduction's range: libm
    np.testing.assert_allclose(turn.real, np.cos(v), rtol=0, atol=2.3e-16)
    np.testing.assert_allclose(turn.imag, np.sin(v), rtol=0, atol=2.3e-16)
    np.testing.assert_array_equal(turn.imag[-len(tiny) - 2 : -2], tiny)  # sin v = v below 1e-8, as libm


@pytest.mark.parametrize("entry_major", [False, True])
def test_fk_all_checks_overflow_only_when_slides_could_reach_it(monkeypatch, entry_major):
    from robokin import kinematics

    monkeypatch.setattr(kinematics, "TREE_ENTRY_MIN", 1 if entry_major else 10**9)
    monkeypatch.setattr(kinematics, "POSE_BOUND_MIN", 0)  # the bound decides for these 5 configurations too
    robot = every_step_kind()  # with slides: bounded_kinematics is False
    q = random_q(robot, np.random.default_rng(6), (5,))
    assert not robot.bounded_kinematics and kinematics._poses_surely_finite(robot, q)
    q[3, robot.joint_names.index("pob")] = 1e299  # 1e299 m fits; 1e300 m along a unit axis could be near the edge
    assert kinematics._poses_surely_finite(robot, q)
    assert np.isfinite(robot.fk_all(q)).all()
    q[3, robot.joint_names.index("pym")] = 1e300
    assert not kinematics._poses_surely_finite(robot, q)
    assert np.isfinite(robot.fk_all(q)).all()  # checked, and finite
    q[3, robot.joint_names.index("pym")] = 1e308  # finite, but its mimic pmim slides 2e308 m
    with np.errstate(over="ignore"), pytest.raises(ShapeError, match=r"^q gives a frame pose beyond .* index \(3,\)"):
        robot.fk_all(q)


def _layouts(shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Arrays of ``shape`` ``(..., F, 4, 4)`` full of NaN in C order, Fortran order (batch axes that do not merge
    when there are two), with every other entry of a larger array along the frames, and every other batch entry
    along each batch axis (none of them a kernel's own layout)."""
    c_order = np.full(shape, np.nan)
    fortran = np.asfortranarray(np.full(shape, np.nan))
    spaced = np.full(shape[:-3] + (2 * shape[-3], 4, 4), np.nan)[..., ::2, :, :]
    every_other = np.full(tuple(2 * size for size in shape[:-3]) + shape[-3:], np.nan)
    every_other = every_other[tuple(slice(None, None, 2) for _ in shape[:-3])]
    return {"C": c_order, "Fortran": fortran, "strided": spaced, "every other": every_other}


@pytest.mark.parametrize("entry_major", [False, True])
@pytest.mark.parametrize("shape", [(), (3,), (2, 35), (70,)])
def test_fk_all_out_is_filled_in_place_bit_for_bit(monkeypatch, entry_major, shape):
    from robokin import kinematics

    # large batches (the entry-major kernel, blocks of 24, 24, 22) from 32 configurations on
    monkeypatch.setattr(kinematics, "TREE_ENTRY_MIN", 32 if entry_major else 10**9)
    monkeypatch.setattr(kinematics, "TREE_ENTRY_BLOCK", 32)
    robot = every_step_kind()
    q = random_q(robot, np.random.default_rng(42), shape)
    fresh = robot.fk_all(q)
    F = len(robot.frame_names)
    previous = robot.fk_all(random_q(robot, np.random.default_rng(43), shape))  # the kernel's own layout
    for name, out in {"previous result": previous, **_layouts(shape + (F, 4, 4))}.items():
        address = out.__array_interface__["data"][0]
        result = robot.fk_all(q, out=out)
        assert result is out and out.__array_interface__["data"][0] == address, name
        np.testing.assert_array_equal(out, fresh, err_msg=name)  # every entry written (no NaN left), same bits
    flat_q, flat_T = q.reshape(-1, robot.n), previous.reshape(-1, F, 4, 4)
    want = reference_frames(robot, flat_q[-1])
    for i, frame in enumerate(robot.frame_names):
        np.testing.assert_allclose(flat_T[-1, i], want[frame], rtol=0, atol=1e-14, err_msg=frame)


@pytest.mark.parametrize("N", [4095, 4096, 4097])
def test_fk_all_out_around_the_large_batch_threshold(N):
    from robokin import kinematics

    assert kinematics.TREE_ENTRY_MIN == 4096  # N runs both kernels on both sides of it
    robot = every_step_kind()
    q = random_q(robot, np.random.default_rng(44), (N,))
    fresh = robot.fk_all(q)
    for name, out in {"previous result": robot.fk_all(q[::-1]), **_layouts(fresh.shape)}.items():
        assert robot.fk_all(q, out=out) is out
        np.testing.assert_array_equal(out, fresh, err_msg=name)
    want = reference_frames(robot, q[N // 2])
    for i, frame in enumerate(robot.frame_names):
        np.testing.assert_allclose(fresh[N // 2, i], want[frame], rtol=0, atol=1e-14, err_msg=frame)


def test_fk_all_out_refuses_what_cannot_receive_the_result():
    robot = two_arm()
    F = len(robot.frame_names)
    q = random_q(robot, np.random.default_rng(45), (2, 3))
    shape = re.escape(f"(2, 3, {F}, 4, 4)")
    cases = [
        (np.empty((3, 2, F, 4, 4)), rf"^out must be a writeable float64 array of shape {shape}, got shape \(3, 2,"),
        (np.empty((2, 3, F + 1, 4, 4)), rf"^out must be .* of shape {shape}, got shape \(2, 3, {F + 1}, 4, 4\)$"),
        (np.empty((6, F, 4, 4)), rf"^out must be .* of shape {shape}, got shape \(6, {F}, 4, 4\)$"),
        (np.empty((2, 3, F, 4, 4), np.float32), rf"^out must be .* of shape {shape}, got dtype float32$"),
        (np.empty((2, 3, F, 4, 4), complex), r"^out must be .*, got dtype complex128$"),
        (np.zeros((2, 3, F, 4, 4)).tolist(), r"^out must be .*, got list$"),
        (np.broadcast_to(np.eye(4), (2, 3, F, 4, 4)), r"^out must be .*, got a read-only array$"),
        (np.ma.zeros((2, 3, F, 4, 4)), r"^out must be .*, got MaskedArray$"),
    ]
    frozen = np.empty((2, 3, F, 4, 4))
    frozen.setflags(write=False)
    cases.append((frozen, r"^out must be .*, got a read-only array$"))
    one = np.zeros(4 * 4)
    spread = np.lib.stride_tricks.as_strided(one, (2, 3, F, 4, 4), (0, 0, 0, 32, 8))  # writeable, entries shared
    cases.append((spread, r"^out must be .* with one place per entry, got strides \(0, 0, 0, 32, 8\)"))
    for out, match in cases:
        with pytest.raises(ShapeError, match=match):
            robot.fk_all(q, out=out)
    shared = np.zeros((2, 3, F, 4, 4))  # q stored in out's first entries: out would overwrite q
    q_in = shared.reshape(-1)[: 6 * robot.n].reshape(2, 3, robot.n)
    q_in[...] = q
    with pytest.raises(ShapeError, match=r"^out must not share memory with the inputs"):
        robot.fk_all(q_in, out=shared)
    beside = np.zeros(6 * robot.n + 6 * F * 16)  # one buffer, apart: allowed
    q_beside = beside[: 6 * robot.n].reshape(2, 3, robot.n)
    q_beside[...] = q
    np.testing.assert_array_equal(
        robot.fk_all(q_beside, out=beside[6 * robot.n :].reshape(2, 3, F, 4, 4)), robot.fk_all(q)
    )
    with pytest.raises(ShapeError, match=rf"^q must have shape \(\.\.\., {robot.n}\)"):  # q is checked first
        robot.fk_all(np.zeros(3), out=np.empty((F, 4, 4)))


@pytest.mark.parametrize("batch", [(0,), (2, 0), (0, 3)])
def test_fk_all_out_of_an_empty_batch(batch):
    # NumPy gives an empty array zero strides: that is no broadcast view, there is no entry to share a place
    robot = two_arm()
    F = len(robot.frame_names)
    out = np.empty(batch + (F, 4, 4))
    assert robot.fk_all(np.zeros(batch + (robot.n,)), out=out) is out
    with pytest.raises(ShapeError, match=rf"^out must be .* of shape \(0, {F}, 4, 4\), got shape \(1,"):
        robot.fk_all(np.zeros((0, robot.n)), out=np.empty((1, F, 4, 4)))


def test_fk_all_out_still_refuses_poses_beyond_the_largest_float():
    robot = every_step_kind()
    q = random_q(robot, np.random.default_rng(46), (4,))
    q[2, robot.joint_names.index("pym")] = 1e308  # its mimic pmim slides 2e308 m
    out = np.empty((4, len(robot.frame_names), 4, 4))
    with np.errstate(over="ignore"), pytest.raises(ShapeError, match=r"^q gives a frame pose beyond .* index \(2,\)"):
        robot.fk_all(q, out=out)


@pytest.mark.parametrize("shape", [(), (3,), (2, 65)])
def test_shapes_and_batching(shape):
    robot = two_arm()
    q = random_q(robot, np.random.default_rng(3), shape)
    F = len(robot.frame_names)
    assert robot.fk(q, link="camera").shape == shape + (4, 4)
    assert robot.fk(q, link=["left_tcp", "right_tcp", "base"]).shape == shape + (3, 4, 4)
    assert robot.fk(q, link=["left_tcp"]).shape == shape + (1, 4, 4)
    assert robot.fk_all(q).shape == shape + (F, 4, 4)
    assert robot.jacobian(q, link="left_tcp").shape == shape + (6, robot.n)
    assert robot.hessian(q, link="right_tcp").shape == shape + (robot.n, 6, robot.n)
    both = robot.fk(q, link=["left_tcp", "right_tcp"])
    np.testing.assert_array_equal(both[..., 1, :, :], robot.fk(q, link="right_tcp"))


@pytest.mark.parametrize("link", ["left_tcp", "right_tcp", "finger_b", "wrist_b", "camera", "torso", "base"])
def test_jacobian_methods_agree_and_match_finite_differences_of_fk(link):
    robot = two_arm()
    rng = np.random.default_rng(4)
    q = random_q(robot, rng, (3,))
    J = robot.jacobian(q, link=link)
    for method in ("forward", "reverse", "numeric"):
        np.testing.assert_allclose(robot.jacobian(q, link=link, method=method), J, rtol=0, atol=1e-9)
    np.testing.assert_allclose(J[1], finite_difference_jacobian(robot, q[1], link), rtol=0, atol=1e-8)
    # "local" expresses the same twist in the link's own axes; "tool" is its serial-chain alias
    R = robot.fk(q, link=link)[..., :3, :3]
    J_local = robot.jacobian(q, link=link, frame="local")
    np.testing.assert_allclose(R @ J_local[..., :3, :], J[..., :3, :], atol=1e-14)
    np.testing.assert_allclose(R @ J_local[..., 3:, :], J[..., 3:, :], atol=1e-14)
    np.testing.assert_array_equal(robot.jacobian(q, link=link, frame="tool"), J_local)


def test_jacobian_columns_off_the_path_are_zero_and_mimic_columns_fold_into_the_leader():
    robot = two_arm()
    q = random_q(robot, np.random.default_rng(5))
    names = robot.joint_names
    J_left = robot.jacobian(q, link="left_tcp")
    for off in ("r1", "r2", "finger_a"):
        assert not J_left[:, names.index(off)].any()
    # wrist_b follows l2 (q = 0.5 q_l2 + 0.1) although it hangs on the right arm: the right arm's wrist_b
    # frame moves with l2 through the coupling only, by half the rate of a joint rotating about the same axis
    J_wrist = robot.jacobian(q, link="wrist_b")
    assert J_wrist[:, names.index("l2")].any()
    np.testing.assert_allclose(np.linalg.norm(J_wrist[3:, names.index("l2")]), 0.5, atol=1e-15)
    np.testing.assert_allclose(J_wrist, finite_difference_jacobian(robot, q, "wrist_b"), atol=1e-8)
    # finger_b moves opposite to finger_a along the same axis: the leader's column is -1 x a unit direction
    J_b = robot.jacobian(q, link="finger_b")
    J_a = robot.jacobian(q, link="finger_a")
    np.testing.assert_allclose(J_b[:3, names.index("finger_a")], -J_a[:3, names.index("finger_a")], atol=1e-15)


@pytest.mark.parametrize("frame", ["world", "local"])
def test_hessian_methods_agree_and_match_differences_of_the_jacobian(frame):
    robot = two_arm()
    q = random_q(robot, np.random.default_rng(6), (2,))
    for link in ("wrist_b", "right_tcp", "left_tcp"):
        H = robot.hessian(q, frame=frame, link=link)
        for method in ("forward", "reverse"):
            np.testing.assert_allclose(robot.hessian(q, frame=frame, method=method, link=link), H, atol=1e-12)
        for i in range(robot.n):
            dq = np.zeros(robot.n)
            dq[i] = FD_STEP
            dJ = robot.jacobian(q + dq, frame=frame, link=link) - robot.jacobian(q - dq, frame=frame, link=link)
            np.testing.assert_allclose(H[:, i], dJ / (2 * FD_STEP), atol=1e-8)


def test_twist_torques_and_manipulability_gradient_of_a_link():
    robot = two_arm()
    rng = np.random.default_rng(7)
    q = random_q(robot, rng, (4,))
    qd = rng.normal(size=(4, robot.n))
    J = robot.jacobian(q, link="wrist_b")
    np.testing.assert_allclose(
        robokin.kinematics.tool_twist(robot, q, qd, link="wrist_b"), (J @ qd[..., None])[..., 0], atol=1e-14
    )
    wrench = rng.normal(size=(4, 6))
    np.testing.assert_allclose(
        robokin.kinematics.joint_torques(robot, q, wrench, link="wrist_b"),
        (np.swapaxes(J, -1, -2) @ wrench[..., None])[..., 0],
        atol=1e-13,
    )
    g = robokin.manipulability_gradient(robot, q[0], rows="translation", link="left_tcp")

    def w(x):
        Jt = robot.jacobian(x, link="left_tcp")[:3]
        return np.sqrt(np.linalg.det(Jt @ Jt.T))

    fd = [(w(q[0] + FD_STEP * e) - w(q[0] - FD_STEP * e)) / (2 * FD_STEP) for e in np.eye(robot.n)]
    np.testing.assert_allclose(g, fd, atol=1e-7)


def test_default_link_is_a_frame_named_tool_or_the_only_leaf():
    robot = two_arm()
    assert robot.default_link is None
    assert set(robot.end_effectors) == {"camera", "left_tcp", "right_tcp", "finger_a", "wrist_b"}
    with pytest.raises(OptionError, match=r"robot 'two_arm' has 5 end effectors; pass link= one of"):
        robot.jacobian(np.zeros(robot.n))
    single = Robot(
        "arm",
        [Joint("a", "revolute", "origin", parent="base"), Joint("b", "revolute", "origin")],
        frames=[Frame("flange", "b", Origin((0, 0, 0.1)))],
    )
    assert not single.serial and single.default_link == "flange"
    np.testing.assert_allclose(single.fk([0.0, 0.0])[:3, 3], [0, 0, 0.1])
    assert single.chain is not None  # one path covers q in order: the serial kernels serve it


def test_unknown_links_are_refused_with_the_frame_names():
    robot = two_arm()
    q = np.zeros(robot.n)
    with pytest.raises(OptionError, match=r"link must be a frame of robot 'two_arm' \('base', 'torso', .*got 'hand'"):
        robot.fk(q, link="hand")
    with pytest.raises(OptionError, match=r"link must name at least one frame; got an empty list"):
        robot.fk(q, link=[])
    with pytest.raises(OptionError, match=r"link must be a frame name or a list of frame names; got int 3"):
        robot.fk(q, link=3)
    with pytest.raises(OptionError, match=r"link must be a frame of robot 'two_arm'.*got 'nope'"):
        robot.jacobian(q, link="nope")


# ------------------------------------------------------------------------------ model rules
def _joint(name, **kw):
    return Joint(name, kw.pop("type", "revolute"), "origin", **kw)


@pytest.mark.parametrize(
    "joints, frames, match",
    [
        ([_joint("a"), _joint("b", parent="zz")], [], r"joint 'b' names parent frame 'zz', which does not exist"),
        ([_joint("a"), _joint("b", parent="c"), _joint("c", parent="b")], [], r"frames 'b', 'c' form a cycle"),
        ([_joint("a"), _joint("b", parent="base")], [Frame("a", "b")], r"frame name 'a' is used twice"),
        ([_joint("a", parent="base")], [Frame("cam", "nowhere")], r"frame 'cam' names parent frame 'nowhere'"),
        ([_joint("a"), _joint("b", mimic=Mimic("x"))], [], r"joint 'b' mimics joint 'x', which does not exist"),
        (
            [_joint("a"), _joint("f", type="fixed"), _joint("b", mimic=Mimic("f"))],
            [],
            r"joint 'b' mimics joint 'f', which is fixed",
        ),
        (
            [_joint("a"), _joint("b", mimic=Mimic("a")), _joint("c", mimic=Mimic("b"))],
            [],
            r"joint 'c' mimics joint 'b', which is itself a mimic joint",
        ),
        ([_joint("a"), _joint("b", type="fixed", mimic=Mimic("a"))], [], r"joint 'b' is fixed and cannot mimic"),
        ([_joint("a"), _joint("b", mimic=Mimic("a", float("nan")))], [], r"mimic multiplier and offset must be finite"),
    ],
)
def test_bad_trees_are_refused(joints, frames, match):
    with pytest.raises(RobotFormatError, match=match):
        Robot("bad", joints, frames=frames)


def test_a_tree_names_its_tools_in_frames_not_tool():
    with pytest.raises(RobotFormatError, match=r"tool: applies to serial chains"):
        Robot("t", [_joint("a", parent="base")], tool=Origin((0, 0, 1)))


# ------------------------------------------------------------------------------ format 2
DOCS = (Path(__file__).parent.parent / "docs" / "format.md").read_text(encoding="utf-8")
TREE_YAML = DOCS.split("## Format 2: trees")[1].split("```yaml\n", 1)[1].split("```", 1)[0]


def test_the_format_2_example_of_the_docs_loads_as_described():
    robot = robokin.loads(TREE_YAML)
    assert robot.joint_names == ("torso", "left_1", "left_2", "right_1", "finger_a")
    assert set(robot.end_effectors) == {"left_hand", "finger_a", "finger_b", "camera"}
    q = np.radians([30.0, 0.0, 0.0, 0.0, 0.0])
    q[4] = 0.02  # finger_a open 20 mm: finger_b 20 mm the other way
    T = robot.fk(q, link=["left_hand", "finger_a", "finger_b"])
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    np.testing.assert_allclose(T[0, :3, 3], [0.55 * c - 0.2 * s, 0.55 * s + 0.2 * c, 0.8], atol=1e-15)
    np.testing.assert_allclose(T[1, :3, 3] - T[2, :3, 3], [-0.06 * s, 0.06 * c, 0.0], atol=1e-15)
    for shown in re.findall(r"^robots/arm\.yaml:\S+ .*$", DOCS.split("## Format 2: trees")[1], re.M):
        assert shown in _doc_error_messages()


def _doc_error_messages() -> set[str]:
    out = set()
    for old, new in (
        ("left_2, type: revolute, origin", "left_2, type: revolute, parent: left_0, origin"),
        ("{joint: finger_a, multiplier: -1}", "{joint: finger_c, multiplier: -1}"),
    ):
        with pytest.raises(RobotFormatError) as info:
            robokin.loads(TREE_YAML.replace(old, new), path="robots/arm.yaml")
        out.add(str(info.value))
    return out


@pytest.mark.parametrize(
    "old, new, match",
    [
        (
            "- {name: torso,",
            "- {name: torso, parent: nowhere,",
            r"^<string>:5:27: joint 'torso': parent frame 'nowhere' does not exist",
        ),
        (
            "  - {name: left_1, type: revolute, parent: torso,",
            "  - {name: left_1, type: revolute, parent: left_2,",
            r"^<string>:6:44: joint 'left_1': is part of a cycle of parents 'left_1' -> 'left_2' -> 'left_1'",
        ),
        (
            "{joint: finger_a, multiplier: -1}",
            "{joint: right_1, multiplier: -1}\n    velocity: -1",
            r"joint 'finger_b': velocity must be a finite speed > 0",
        ),
        (
            "{joint: finger_a, multiplier: -1}",
            "{joint: finger_b}",
            r"^<string>:15:20: joint 'finger_b': mimics joint 'finger_b', which is itself a mimic joint",
        ),
        (
            "{joint: finger_a, multiplier: -1}",
            "{multiplier: -1}",
            r"^<string>:15:12: joint 'finger_b': 'mimic' needs the key 'joint'",
        ),
        (
            "{joint: finger_a, multiplier: -1}",
            "{joint: finger_a, gain: -1}",
            r"'mimic' has unknown key 'gain' \(expected joint, multiplier, offset\)",
        ),
        (
            "  - {name: camera,",
            "  - {name: left_1,",
            r"^<string>:18:12: frame 'left_1': frame name 'left_1' is already used by joint 'left_1'",
        ),
        (
            "parent: torso, origin: {xyz: [100",
            "parent: cam, origin: {xyz: [100",
            r"^<string>:18:28: frame 'camera': parent frame 'cam' does not exist",
        ),
        ("frames:", "tool: {xyz: [0, 0, 1]}\nframes:", r"^<string>:16:1: 'tool' applies to serial chains"),
        ("robokin: 2", "robokin: 1", r"^<string>:16:1: unknown key 'frames' \(expected robokin, name"),
        (
            "  - {name: left_hand",
            "  - {parent: torso, name: left_hand, pose: {}}\n  - {name: left_hand2",
            r"frame 'left_hand': unknown key 'pose' \(expected name, parent, origin\)",
        ),
    ],
)
def test_format_2_errors_point_at_the_key(old, new, match):
    assert TREE_YAML.count(old) == 1
    with pytest.raises(RobotFormatError, match=match):
        robokin.loads(TREE_YAML.replace(old, new))


def test_a_mimic_joint_has_no_configuration_value():
    text = (
        TREE_YAML + "configurations:\n  home: {torso: 0, left_1: 0, left_2: 0, right_1: 0, finger_a: 0, finger_b: 0}\n"
    )
    with pytest.raises(RobotFormatError, match=r"joint 'finger_b' is a mimic joint and has no value"):
        robokin.loads(text)
    robot = robokin.loads(TREE_YAML + "configurations:\n  home: [0, 0, 0, 0, 10]\n")
    np.testing.assert_array_equal(robot.configurations["home"], [0, 0, 0, 0, 0.01])


@pytest.mark.parametrize(
    "make", [two_arm, lambda: robokin.load_urdf(TREES / "baxter.urdf"), lambda: robokin.loads(TREE_YAML)]
)
def test_trees_round_trip_through_format_2_bit_for_bit(make):
    robot = make()
    text = robokin.dumps(robot)
    assert text.splitlines()[1] == "robokin: 2"
    again = robokin.loads(text)
    q = random_q(robot, np.random.default_rng(8), (3,))
    np.testing.assert_array_equal(again.fk_all(q), robot.fk_all(q))
    assert again.frame_names == robot.frame_names and again.joint_names == robot.joint_names
    assert robokin.dumps(again) == text


# ------------------------------------------------------------------------------ bundled trees
# bundled robot → (URDF checked against Pinocchio above, {bundled frame: URDF link})
BUNDLED_TREES = {
    "panda_hand": (
        "panda_hand.urdf",
        {
            "tool": "panda_hand_tcp",
            "hand": "panda_hand",
            "flange": "panda_link8",
            "finger_left": "panda_leftfinger",
            "finger_right": "panda_rightfinger",
        },
    ),
    "baxter": (
        "baxter.urdf",
        {
            "left_gripper": "left_gripper",
            "right_gripper": "right_gripper",
            "left_w1": "left_lower_forearm",
            "right_e0": "right_upper_elbow",
        },
    ),
}


@pytest.mark.parametrize("name", list(BUNDLED_TREES))
def test_bundled_trees_match_their_published_urdf(name):
    urdf_name, links = BUNDLED_TREES[name]
    robot, urdf = robokin.load(name), robokin.load_urdf(TREES / urdf_name)
    q = random_q(robot, np.random.default_rng(9), (4,))
    q_urdf = np.zeros((4, urdf.n))
    urdf_names = {"finger_left": "panda_finger_joint1"}
    for k, joint in enumerate(robot.joint_names):
        q_urdf[
            :, urdf.joint_names.index(urdf_names.get(joint, f"panda_{joint}" if name == "panda_hand" else joint))
        ] = q[:, k]
    for mine, theirs in links.items():
        np.testing.assert_allclose(
            robot.fk(q, link=mine), urdf.fk(q_urdf, link=theirs), rtol=0, atol=1e-15, err_msg=mine
        )


def test_bundled_trees_kernels_agree(tree_robot):
    q = random_q(tree_robot, np.random.default_rng(10), (3,))
    T_all = tree_robot.fk_all(q)
    for i, link in enumerate(tree_robot.frame_names):
        np.testing.assert_allclose(tree_robot.fk(q, link=link), T_all[:, i], rtol=0, atol=1e-14)
    for link in tree_robot.end_effectors:
        J = tree_robot.jacobian(q, link=link)
        np.testing.assert_allclose(tree_robot.jacobian(q, link=link, method="reverse"), J, atol=1e-13)
        np.testing.assert_allclose(J[0], finite_difference_jacobian(tree_robot, q[0], link), atol=1e-8)


# ------------------------------------------------------------------------------ drawing a tree
def test_skeleton_of_a_tree_reaches_every_leaf_and_breaks_between_branches():
    from robokin import viz

    robot = robokin.load("baxter")
    q = robot.configurations["neutral"]
    sk = viz.skeleton(robot, q)
    pts = sk.links
    gaps = np.isnan(pts).any(axis=-1)
    assert gaps.any() and not np.isnan(pts[0]).any()  # branches separated by NaN rows, none in front
    for link in robot.end_effectors:
        p = robot.fk(q, link=link)[:3, 3]
        assert np.min(np.linalg.norm(pts[~gaps] - p, axis=-1)) < 1e-12
    assert sk.joints.shape == (robot.n, 3)
    ax = viz.plot(robot, q)
    x, y, _ = ax.get_lines()[0].get_data_3d()
    assert np.count_nonzero(np.isfinite(x)) == np.count_nonzero(~gaps)


# ------------------------------------------------------------------------------ singularities of a link
def test_singularity_of_any_link_of_a_tree():
    from robokin import singularity

    robot = two_arm()  # the left arm: torso (z), l1 and l2 (both y): a 3-dof position task
    names = robot.joint_names
    q = np.zeros(robot.n)
    q[names.index("l2")] = 0.8
    assert singularity.task_rows(robot, "left_tcp") == (0, 1, 2)
    assert not singularity.is_singular(robot, q, link="left_tcp")
    stretched = q.copy()
    stretched[names.index("l2")] = 0.0  # the left arm straight: l1 and l2 move the TCP the same way
    assert singularity.is_singular(robot, stretched, link="left_tcp")
    assert not singularity.is_singular(robot, stretched, link="right_tcp")  # the other arm is not stretched
    report = singularity.analyze(robot, stretched, link="left_tcp")
    assert report.singular and report.types == ("unclassified",)
    # the lost direction: a unit TCP velocity no joint rate gives (orthogonal to every column of J_v), and
    # perpendicular to the velocity the stretched arm's joints l1, l2 give (both the same direction)
    lost = report.lost_directions[0][:3]
    J_v = robot.jacobian(stretched, link="left_tcp")[:3]
    np.testing.assert_allclose(np.linalg.norm(lost), 1.0, atol=1e-12)
    np.testing.assert_allclose(lost @ J_v, 0.0, atol=1e-9)
    assert np.linalg.matrix_rank(J_v[:, [names.index("l1"), names.index("l2")]], tol=1e-9) == 1
    with pytest.raises(OptionError, match=r"5 end effectors; pass link= one of"):
        singularity.is_singular(robot, q)
    J = singularity.scaled_jacobian(robot, q, link="right_tcp")
    assert not J[:, [names.index("l1"), names.index("l2")]].any()


def test_a_urdf_tree_with_one_leaf_is_drawn_and_keeps_the_chain_kernels():
    from robokin import viz

    robot = robokin.load_urdf(Path(__file__).parent / "data" / "urdf" / "gantry.urdf")
    assert not robot.serial and robot.chain is not None and robot.default_link == "tool"
    q = random_q(robot, np.random.default_rng(11))
    sk = viz.skeleton(robot, q)
    np.testing.assert_allclose(sk.T_world_tool, robot.fk(q), atol=1e-15)
    assert robot.fk_frames(q).shape == (len(robot.frame_names), 4, 4)


def test_chain_only_algorithms_refuse_a_tree_by_name():
    from robokin import singularity

    robot = robokin.load("baxter")
    with pytest.raises(OptionError, match=r"robot 'baxter' has 2 end effectors; pass link= one of 'left_gripper'"):
        singularity.find_singular(robot, starts=2, seed=0)
    with pytest.raises(
        OptionError, match=r"robot 'baxter' is a tree \(end effectors 'left_gripper', 'right_gripper'\)"
    ):
        _ = robot.serial_chain


def test_a_scaled_tree_keeps_its_tree_frames_and_mimic_couplings():
    # Robot.scaled rebuilt every joint without its parent, child name and mimic coupling: Baxter's scaled
    # arms were one serial chain (poses off by 3 m) and a mimic follower became a coordinate of q.
    urdf = """<robot name="grip"><link name="palm"/><link name="finger"/><link name="slide"/><link name="cam"/>
  <joint name="lead" type="revolute"><parent link="palm"/><child link="finger"/><origin xyz="0 0.1 0"/>
    <axis xyz="0 0 1"/><limit lower="-1" upper="1"/></joint>
  <joint name="pad" type="prismatic"><parent link="palm"/><child link="slide"/><origin xyz="0.2 0 0"/>
    <axis xyz="1 0 0"/><limit lower="-0.5" upper="0.5"/><mimic joint="lead" multiplier="0.01" offset="-0.02"/></joint>
  <joint name="lens" type="prismatic"><parent link="finger"/><child link="cam"/><origin xyz="0 0 0.3" rpy="0.5 0 0"/>
    <axis xyz="0 1 0"/><limit lower="-0.5" upper="0.5"/></joint></robot>"""
    grip = robokin.loads_urdf(urdf)
    for robot in (robokin.load("baxter"), grip):
        rng = np.random.default_rng(2)
        lo, hi = robot.sampling_bounds.T
        q = lo + (hi - lo) * rng.random((20, robot.n))
        for s in (2.0, 1e-3):
            big = robot.scaled(s)
            assert big.n == robot.n and big.frame_names == robot.frame_names and big.root == robot.root
            q_s = q * np.where(np.array(robot.joint_types) == "prismatic", s, 1.0)
            T, T_s = robot.fk_all(q), big.fk_all(q_s)
            np.testing.assert_allclose(T_s[..., :3, 3], s * T[..., :3, 3], rtol=0, atol=s * 1e-15)
            np.testing.assert_allclose(T_s[..., :3, :3], T[..., :3, :3], rtol=0, atol=1e-15)
    # the prismatic follower of a revolute leader: q_pad = 0.01 q_lead - 0.02 [m] becomes 0.02 q_lead - 0.04
    pad = next(j for j in grip.scaled(2.0).joints if j.name == "pad")
    assert (pad.mimic.joint, pad.mimic.multiplier, pad.mimic.offset) == ("lead", 0.02, -0.04)
