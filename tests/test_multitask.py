"""IK with several tasks on the frames of a tree: verified answers, limits, batching, errors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_q

import robokin
from robokin import spatial
from robokin.errors import ConventionError, OptionError, ShapeError
from robokin.multitask import PoseTask, PositionTask, solve_tasks

HANDS = ["left_gripper", "right_gripper"]


@pytest.fixture(scope="module")
def baxter():
    return robokin.load("baxter")


def test_two_hands_reach_reachable_pose_pairs_within_limits(baxter):
    rng = np.random.default_rng(0)
    q_true = random_q(baxter, rng, (24,))
    T = baxter.fk(q_true, link=HANDS)  # reachable by construction
    res = solve_tasks(
        baxter, [PoseTask(HANDS[0], T[:, 0]), PoseTask(HANDS[1], T[:, 1])], q0=baxter.configurations["neutral"], seed=1
    )
    assert res.success.all() and res.q.shape == (24, 14) and res.position_error.shape == (24, 2)
    lo, hi = baxter.limits.T
    assert np.all((res.q >= lo) & (res.q <= hi)) and np.isfinite(res.q).all()
    # verified independently here: fk of the answer against the targets
    T_got = baxter.fk(res.q, link=HANDS)
    np.testing.assert_allclose(T_got[..., :3, 3], T[..., :3, 3], atol=1e-6)
    w = spatial.so3_log(T[..., :3, :3] @ np.swapaxes(T_got[..., :3, :3], -1, -2))
    assert np.linalg.norm(w, axis=-1).max() <= 1e-6


def test_a_position_task_and_a_pose_task_together_and_unbatched(baxter):
    q_true = baxter.configurations["neutral"] + 0.2
    T = baxter.fk(q_true, link=HANDS)
    res = solve_tasks(baxter, [PoseTask(HANDS[0], T[0]), PositionTask(HANDS[1], T[1][:3, 3], weight=2.0)], seed=0)
    assert res.q.shape == (14,) and res.success.shape == () and bool(res.success)
    assert res.rotation_error[1] == 0.0 and res.position_error.shape == (2,)
    np.testing.assert_allclose(baxter.fk(res.q, link=HANDS[1])[:3, 3], T[1][:3, 3], atol=1e-6)


def test_unreachable_targets_are_a_result_not_an_exception(baxter):
    far = spatial.transform(np.eye(3), [5.0, 0.0, 0.0])  # 5 m away: out of reach
    res = solve_tasks(
        baxter,
        [PoseTask(HANDS[0], far), PositionTask(HANDS[1], [0.6, -0.4, 0.0])],
        options=robokin.IKOptions(max_restarts=2),
        seed=0,
    )
    assert not bool(res.success) and np.isfinite(res.q).all()
    assert res.position_error[0] > 3.0  # the closest pose found is still about 4 m short
    lo, hi = baxter.limits.T
    assert np.all((res.q >= lo) & (res.q <= hi))


def test_mimic_joints_follow_in_a_task_on_a_coupled_finger():
    robot = robokin.load("panda_hand")
    q_true = np.array([0.3, -0.5, 0.2, -2.0, 0.1, 1.8, 0.6, 0.03])
    T = robot.fk(q_true, link=["tool", "finger_right"])
    res = solve_tasks(
        robot,
        [PoseTask("tool", T[0]), PositionTask("finger_right", T[1][:3, 3])],
        q0=robot.configurations["home"],
        seed=0,
    )
    assert bool(res.success)
    np.testing.assert_allclose(robot.fk(res.q, link="finger_right")[:3, 3], T[1][:3, 3], atol=1e-6)


def test_targets_broadcast_over_tasks(baxter):
    q_true = random_q(baxter, np.random.default_rng(2), (3,))
    T = baxter.fk(q_true, link=HANDS)
    res = solve_tasks(baxter, [PoseTask(HANDS[0], T[:, 0]), PoseTask(HANDS[1], T[0, 1])], seed=0)
    assert res.q.shape == (3, 14)


def test_bad_tasks_are_refused(baxter):
    T = np.eye(4)
    with pytest.raises(OptionError, match=r"tasks must be a non-empty list of PoseTask / PositionTask"):
        solve_tasks(baxter, [])
    with pytest.raises(OptionError, match=r"tasks\[1\] must be a PoseTask, a PositionTask or a PostureTask, got str"):
        solve_tasks(baxter, [PoseTask(HANDS[0], T), "right"])
    with pytest.raises(OptionError, match=r"link must be a frame of robot 'baxter'.*got 'left_hnd'"):
        solve_tasks(baxter, [PoseTask("left_hnd", T)])
    with pytest.raises(OptionError, match=r"tasks\[0\].weight must be a positive finite number, got 0"):
        solve_tasks(baxter, [PoseTask(HANDS[0], T, weight=0)])
    with pytest.raises(ConventionError, match=r"tasks\[0\].T_target is not a rigid transform"):
        solve_tasks(baxter, [PoseTask(HANDS[0], 2 * T)])
    with pytest.raises(ShapeError, match=r"tasks\[0\].p_target must have shape \(..., 3\) \[m\], got shape \(2,\)"):
        solve_tasks(baxter, [PositionTask(HANDS[0], [1.0, 2.0])])
    with pytest.raises(ShapeError, match=r"do not broadcast together"):
        solve_tasks(baxter, [PoseTask(HANDS[0], np.tile(T, (2, 1, 1))), PoseTask(HANDS[1], np.tile(T, (3, 1, 1)))])
    with pytest.raises(ShapeError, match=r"q0 must have shape \(..., 14\)"):
        solve_tasks(baxter, [PoseTask(HANDS[0], T)], q0=np.zeros(3))


def test_the_one_chain_ik_points_trees_to_solve_tasks(baxter):
    with pytest.raises(
        OptionError, match=r"robot 'baxter' is a tree \(end effectors 'left_gripper', 'right_gripper'\)"
    ):
        robokin.ik.solve(baxter, np.eye(4))


def test_a_posture_task_keeps_the_redundant_arms_near_the_rest_posture(baxter):
    from robokin.multitask import PostureTask

    rest = np.array(baxter.configurations["neutral"], dtype=float)
    q_true = rest + np.random.default_rng(3).uniform(-0.3, 0.3, (6, baxter.n))
    T = baxter.fk(q_true, link=HANDS)
    hands = [PoseTask(HANDS[0], T[:, 0]), PoseTask(HANDS[1], T[:, 1])]
    plain = solve_tasks(baxter, hands, q0=rest + 0.5, seed=0)
    kept = solve_tasks(baxter, [*hands, PostureTask(rest, gain=0.2)], q0=rest + 0.5, seed=0)
    assert plain.success.all() and kept.success.all()  # the posture never keeps the hands from converging
    far = np.linalg.norm(plain.q - rest, axis=-1).mean()
    near = np.linalg.norm(kept.q - rest, axis=-1).mean()
    assert near < 0.9 * far  # 7 joints per 6-row hand task: the free motion is biased towards the rest
    with pytest.raises(OptionError, match=r"tasks\[1\].gain must be in \(0, 1\], got 2"):
        solve_tasks(baxter, [hands[0], PostureTask(rest, gain=2)])
    with pytest.raises(OptionError, match=r"a posture alone is no target"):
        solve_tasks(baxter, [PostureTask(rest)])
