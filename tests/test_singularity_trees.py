"""Singularity analysis of any link of a tree and of stacked tasks (several links' Jacobian rows at once).

Oracles: independent SVDs and determinants of blocks of ``robot.jacobian`` (built here, not by
robokin.singularity), the exact elbow singularity of a hand-made tree, central differences of the
determinant, and the block structure of a dual-arm robot (Baxter's two arms share no joint, so the two-hand
task's singular values are the union of each arm's).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_trees import two_arm

import robokin as rk
from robokin import singularity as S
from robokin.errors import OptionError, ShapeError
from robokin.model import Frame, Origin, Robot

HANDS = ["left_gripper", "right_gripper"]
LEFT, RIGHT = slice(0, 7), slice(7, 14)  # Baxter's q: left s0..w2, then right s0..w2


def scaled(robot: Robot, q: np.ndarray, link: str) -> np.ndarray:
    """diag(I/L, I) J of ``link`` (all revolute joints here), built from ``robot.jacobian`` alone."""
    return robot.jacobian(q, link=link) * np.array([1.0 / robot.characteristic_length] * 3 + [1.0] * 3)[:, None]


def sigma(A: np.ndarray) -> np.ndarray:
    return np.linalg.svd(A, compute_uv=False)


@pytest.fixture(scope="module")
def baxter() -> Robot:
    return rk.load("baxter")


@pytest.fixture(scope="module")
def left_singular(baxter) -> np.ndarray:
    """Configurations (k, 14) where the left arm is singular: found by the search, checked independently."""
    found = S.find_singular(baxter, starts=6, seed=1, link="left_gripper")
    assert len(found) >= 2
    for q in found.q:  # an SVD of the left arm's own 6x7 block, not the module's measure
        s = sigma(scaled(baxter, q, "left_gripper")[:, LEFT])
        assert s[-1] / s[0] < 1e-6
    return np.array(found.q)


# ------------------------------------------------------------------------------ stacked tasks
def test_two_hand_task_is_singular_exactly_when_one_arm_is(baxter, left_singular):
    q_ok = baxter.configurations["neutral"]
    mirrored = left_singular.copy()
    mirrored[:, RIGHT] = left_singular[:, LEFT]  # the right arm in the left's posture: a mirror image
    cases = []  # (q, left singular?, right singular?)
    for q_s, q_m in zip(left_singular, mirrored):
        left_only = q_s.copy()
        left_only[RIGHT] = q_ok[RIGHT]
        right_only = q_ok.copy()
        right_only[RIGHT] = q_m[RIGHT]
        cases += [(left_only, True, False), (right_only, False, True), (q_m, True, True), (q_ok, False, False)]
    for q, left, right in cases:
        s_left = sigma(scaled(baxter, q, "left_gripper")[:, LEFT])
        s_right = sigma(scaled(baxter, q, "right_gripper")[:, RIGHT])
        assert (s_left[-1] / s_left[0] < 1e-6) == left and (s_right[-1] / s_right[0] < 1e-6) == right
        report = S.analyze(baxter, q, link=HANDS)
        # The arms share no joint: the stacked 12x14 block is block-diagonal, its σ are both arms' σ.
        union = np.sort(np.concatenate([s_left, s_right]))[::-1]
        np.testing.assert_allclose(report.singular_values, union, rtol=0, atol=1e-12)
        assert report.smallest_singular_value == pytest.approx(min(s_left[-1], s_right[-1]), abs=1e-12)
        ic = S.inverse_condition(baxter, q, link=HANDS)
        assert ic == pytest.approx(union[-1] / union[0], abs=1e-12)
        assert bool(S.is_singular(baxter, q, link=HANDS)) == (left or right) == report.singular
        assert ic <= min(S.inverse_condition(baxter, q, link=h) for h in HANDS) + 1e-15


def test_two_hand_lost_direction_belongs_to_the_singular_hand(baxter, left_singular):
    q = left_singular[0].copy()
    q[RIGHT] = baxter.configurations["neutral"][RIGHT]
    report = S.analyze(baxter, q, link=HANDS)
    assert report.singular and report.links == tuple(HANDS) and report.lost_directions.shape == (1, 12)
    u = report.lost_directions[0]
    assert np.linalg.norm(u[6:]) < 1e-9 and np.linalg.norm(u[:6]) == pytest.approx(1.0)
    # The left hand's own report loses the same direction (up to sign).
    alone = S.analyze(baxter, q, link="left_gripper").lost_directions[0]
    assert abs(alone @ u[:6]) == pytest.approx(1.0, abs=1e-9)
    text = str(report)
    assert "of 2 links stacked (left_gripper: vx vy vz wx wy wz; right_gripper: vx vy vz wx wy wz)" in text
    assert "lost motion: left_gripper, right_gripper" in text and "  - left_gripper cannot" in text
    # Joints off one hand's path do not move its task; the report says which.
    assert "joints that do not move the task: right_s0, right_s1" in str(S.analyze(baxter, q, link="left_gripper"))


def test_elbow_straight_makes_a_tree_link_and_its_stack_singular():
    """two_arm's left arm: torso (z), l1 and l2 (parallel y axes); with l2 = 0 the arm is straight."""
    robot = two_arm()
    rng = np.random.default_rng(4)
    q = rng.uniform(-1.0, 1.0, (5, robot.n)) * [1, 1, 1, 1, 0, 0] + [0, 0, 0, 0, 0.1, 0.02]
    straight = q.copy()
    straight[:, 2] = 0.0
    stack = ["left_tcp", "right_tcp"]
    for x, singular in ((q, False), (straight, True)):
        np.testing.assert_array_equal(S.is_singular(robot, x, link="left_tcp"), singular)
        np.testing.assert_array_equal(S.is_singular(robot, x, link=stack), singular)
    # The stacked task, built here: each link's task rows, columns of the five joints moving either tcp.
    rows = [S.task_rows(robot, name) for name in stack]
    assert rows == [(0, 1, 2), (0, 1, 2)] and S.task_joints(robot, stack) == (0, 1, 2, 3, 4)
    L = robot.characteristic_length
    cols = np.array([1.0, 1.0, 1.0, 1.0, L])  # r2 is prismatic
    for x in np.concatenate([q, straight]):
        Js = np.concatenate([robot.jacobian(x, link=name)[:3] / L for name in stack])[:, :5] * cols
        s = sigma(Js)
        assert float(S.inverse_condition(robot, x, link=stack)) == pytest.approx(s[-1] / s[0], abs=1e-13)
        np.testing.assert_allclose(S.scaled_jacobian(robot, x, link=stack)[:, :5], Js, rtol=0, atol=1e-15)
    assert S.scaled_jacobian(robot, q, link=stack).shape == (5, 6, robot.n)
    assert S.inverse_condition(robot, q.reshape(5, 1, 6), link=stack).shape == (5, 1)


def test_measures_of_a_stack_are_batched_and_agree_with_the_reports(baxter):
    q = np.random.default_rng(0).uniform(*baxter.sampling_bounds.T, (2, 3, baxter.n))
    ic = S.inverse_condition(baxter, q, link=HANDS)
    w = S.manipulability(baxter, q, link=HANDS)
    reports = S.analyze(baxter, q, link=HANDS)
    assert ic.shape == w.shape == reports.shape == (2, 3)
    for index in np.ndindex(2, 3):
        r = reports[index]
        assert ic[index] == pytest.approx(r.inverse_condition, rel=1e-12)
        assert w[index] == pytest.approx(r.manipulability, rel=1e-12)
        J = np.concatenate([baxter.jacobian(q[index], link=h) for h in HANDS])
        assert w[index] == pytest.approx(np.prod(sigma(J)), rel=1e-10)


# ------------------------------------------------------------------------------ det, gradient, search, map
@pytest.mark.parametrize(
    ("link", "rows", "joints"),
    [
        ("left_tcp", "auto", (0, 1, 2)),
        ("wrist_b", "auto", (0, 2, 3, 4, 5)),  # wrist_b mimics l2, finger_b mimics finger_a: folded
        (["left_tcp", "right_tcp"], [0, 1, 2, 6, 7], (0, 1, 2, 3, 4)),
    ],
)
def test_report_det_is_the_block_determinant_and_its_gradient_central_differences(link, rows, joints):
    robot = two_arm()
    links = [link] if isinstance(link, str) else link
    assert S.task_joints(robot, link) == joints
    idx = list(S.task_rows(robot, link)) if rows == "auto" else rows

    def block_det(x: np.ndarray) -> np.ndarray:  # from robot.jacobian only
        J = np.concatenate([robot.jacobian(x, link=name) for name in links], axis=-2)
        return np.linalg.det(J[..., idx, :][..., list(joints)])

    q = np.random.default_rng(7).uniform(-1.0, 1.0, (3, robot.n)) * 0.5 + [0, 0, 0.8, 0, 0.1, 0.02]
    d = np.array([report.det for report in S.analyze(robot, q, rows=rows, link=link)])
    np.testing.assert_allclose(d, block_det(q), rtol=1e-12, atol=1e-15)
    J = np.concatenate([robot.jacobian(q, link=name) for name in links], axis=-2)[..., idx, :]
    np.testing.assert_allclose(np.abs(d), np.prod(sigma(J), axis=-1), rtol=1e-10)  # |det| = Π σ
    np.testing.assert_allclose(np.abs(d), S.manipulability(robot, q, rows, link), rtol=1e-10)
    grad = S.det_gradient(robot, q, rows, link)
    h = 1e-6
    fd = np.stack([(block_det(q + h * e) - block_det(q - h * e)) / (2 * h) for e in np.eye(robot.n)], axis=-1)
    np.testing.assert_allclose(grad, fd, rtol=0, atol=1e-8)
    off = [i for i in range(robot.n) if i not in joints]
    assert np.all(grad[:, off] == 0.0) and np.abs(grad[:, list(joints)]).max() > 1e-3


def test_det_needs_a_square_task_block(baxter):
    with pytest.raises(
        ShapeError, match=r"det needs a square block: the task of left_gripper .* m = 7 joints .* 6 rows"
    ):
        S.det_gradient(baxter, baxter.configurations["neutral"], link="left_gripper")
    with pytest.raises(ShapeError, match=r"m = 14 joints but rows='auto' selects 12 rows"):
        S.det_gradient(baxter, baxter.configurations["neutral"], link=HANDS)
    with pytest.raises(OptionError, match=r"measure 'det' needs a square task block; rows .* m = 7 task joints"):
        S.singularity_map(baxter, (1, 3), link="left_gripper", measure="det")
    with pytest.raises(OptionError, match=r"joints \[8\] of robot 'baxter' do not move left_gripper: .* \[0, 1, 2, 3"):
        S.singularity_map(baxter, (1, 8), link="left_gripper")


def test_search_of_a_stacked_task_finds_configurations_where_a_hand_is_singular(baxter):
    found = S.find_singular(baxter, starts=6, seed=3, link=HANDS)
    assert len(found) >= 2 and found.links == tuple(HANDS) and "of left_gripper + right_gripper" in str(found)
    assert baxter.within_limits(found.q).all()
    for q in found.q:
        ic = [(lambda s: s[-1] / s[0])(sigma(scaled(baxter, q, h)[:, part])) for h, part in zip(HANDS, (LEFT, RIGHT))]
        assert min(ic) < 1e-6


def test_search_of_a_tree_link_moves_only_its_joints_and_finds_the_elbow():
    robot = two_arm()
    found = S.find_singular(robot, starts=12, seed=0, link="left_tcp")
    assert len(found) >= 1
    L = robot.characteristic_length
    for q in found.q:
        s = sigma(robot.jacobian(q, link="left_tcp")[:3, :3] / L)
        assert s[-1] / s[0] < 1e-6
    # Duplicates are told apart on the task's joints only (torso, l1, l2).
    scaled_q = found.q[:, :3]
    gaps = np.abs(scaled_q[:, None] - scaled_q[None]).max(axis=-1) + np.eye(len(found)) * 9
    assert gaps.min() > S.DUPLICATE_TOL
    straight = np.isclose(np.cos(found.q[:, 2]) ** 2, 1.0, atol=1e-9)  # elbow straight or folded
    assert straight.any()


def test_map_of_a_tree_link_marks_the_straight_elbow():
    robot = two_arm()
    smap = S.singularity_map(robot, (1, 2), link="left_tcp", resolution=(9, 41), measure="det")
    assert smap.links == ("left_tcp",) and smap.det is not None
    for y in (-np.pi, 0.0, np.pi):  # the l2 rows of the grid at the elbow singularity: singular everywhere
        row = int(np.argmin(np.abs(smap.y - y)))
        assert smap.y[row] == pytest.approx(y, abs=1e-12) and smap.singular[row].all()
    q = np.array(smap.q)
    q[1], q[2] = smap.x[3], smap.y[7]
    # The map is of the unit-free J_s: its three translation rows are divided by L.
    world = np.linalg.det(robot.jacobian(q, link="left_tcp")[:3, :3])
    assert smap.values[7, 3] == pytest.approx(world / robot.characteristic_length**3, rel=1e-12)


def test_types_are_told_for_a_six_joint_arm_inside_a_tree():
    ur5 = rk.load("ur5")
    tree = Robot("ur5_camera", ur5.joints, base=ur5.base, frames=(Frame("camera", "elbow", Origin((0.1, 0.0, 0.05))),))
    assert tree.default_link is None and ur5.tool.is_identity
    wrist = np.array([0.3, -1.0, 1.2, 0.4, 0.0, 0.7])  # q5 = 0: axes 4 and 6 aligned
    elbow = np.array([0.3, -1.0, 0.0, 0.4, 0.5, 0.7])  # q3 = 0: stretched
    for q, kind in ((wrist, "wrist"), (elbow, "elbow")):
        serial, in_tree = S.analyze(ur5, q), S.analyze(tree, q, link="wrist_3")
        assert serial.types == in_tree.types == (kind,)
        assert in_tree.type_measures == pytest.approx(serial.type_measures, abs=1e-15)
        assert in_tree.type_text == serial.type_text
    # The camera is moved by three joints: no type, and a stack is never typed.
    assert S.analyze(tree, wrist, link=["wrist_3", "camera"]).types in ((), ("unclassified",))
    assert S.analyze(tree, wrist, link="camera").type_measures == {}


def test_the_default_link_follows_the_robot_rule(baxter):
    hand = rk.load("panda_hand")  # its tool is the default link; the fingers are other end effectors
    q = hand.configurations["home"]
    assert S.task_links(hand) == ("tool",) and S.task_joints(hand) == tuple(range(7))
    assert float(S.inverse_condition(hand, q)) == pytest.approx(float(S.inverse_condition(hand, q, link="tool")))
    found = S.find_singular(hand, starts=3, seed=0)
    for x in found.q:
        s = sigma(scaled(hand, x, "tool")[:, :7])
        assert s[-1] / s[0] < 1e-6
    with pytest.raises(OptionError, match=r"robot 'baxter' has 2 end effectors; pass link= one of 'left_gripper'"):
        S.is_singular(baxter, baxter.configurations["neutral"])


# ------------------------------------------------------------------------------ bad links
CALLS = {
    "inverse_condition": lambda r, q, link: S.inverse_condition(r, q, link=link),
    "manipulability": lambda r, q, link: S.manipulability(r, q, link=link),
    "is_singular": lambda r, q, link: S.is_singular(r, q, link=link),
    "scaled_jacobian": lambda r, q, link: S.scaled_jacobian(r, q, link=link),
    "det_gradient": lambda r, q, link: S.det_gradient(r, q, link=link),
    "analyze": lambda r, q, link: S.analyze(r, q, link=link),
    "find_singular": lambda r, q, link: S.find_singular(r, starts=1, link=link),
    "singularity_map": lambda r, q, link: S.singularity_map(r, (0, 1), q=q, resolution=3, link=link),
    "task_joints": lambda r, q, link: S.task_joints(r, link),
}


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize(
    ("link", "message"),
    [
        (
            "left_hnd",
            r"link must be a frame of robot 'baxter' \('base', 'left_arm_mount', .*'left_gripper'.*got 'left_hnd'",
        ),
        (["left_gripper", "rigt_gripper"], r"link must be a frame of robot 'baxter' \(.*\); got 'rigt_gripper'"),
        (None, r"robot 'baxter' has 2 end effectors; pass link= one of 'left_gripper', 'right_gripper'"),
        ([], r"link must name at least one frame; got an empty list"),
        (["left_gripper", "left_gripper"], r"link names frame 'left_gripper' twice"),
        (["left_gripper", None], r"link lists None in \['left_gripper', None\]: name every frame"),
        (7, r"link must be a frame name or a list of frame names; got int 7"),
        ("left_arm_mount", r"no joint of robot 'baxter' moves 'left_arm_mount': a fixed frame has no singularities"),
    ],
)
def test_bad_links_are_refused_with_the_valid_names(baxter, call, link, message):
    with pytest.raises(OptionError, match=message):
        CALLS[call](baxter, baxter.configurations["neutral"], link)
