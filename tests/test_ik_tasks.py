"""IK with several tasks on the frames of a tree (ik.solve_tasks, ik.solve(link=)): verified answers, limits,
velocity limits, weights, batching, errors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import pose_errors, random_q, within_limits

import robokin
from robokin import ik, spatial
from robokin.errors import ConventionError, NoAnalyticSolutionError, OptionError, ShapeError
from robokin.ik import IKOptions, PoseTask, PositionTask, PostureTask, solve_tasks

HANDS = ["left_gripper", "right_gripper"]
TOL = 1e-6


@pytest.fixture(scope="module")
def baxter():
    return robokin.load("baxter")


def hand_targets(baxter, seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """``shape + (2, 4, 4)`` poses of both grippers at random q (reachable by construction)."""
    return baxter.fk(random_q(baxter, np.random.default_rng(seed), shape), link=HANDS)


def test_two_hands_reach_reachable_pose_pairs_within_limits(baxter):
    T = hand_targets(baxter, 11, (12,))
    res = solve_tasks(
        baxter, [PoseTask(HANDS[0], T[:, 0]), PoseTask(HANDS[1], T[:, 1])], q0=baxter.configurations["neutral"], seed=1
    )
    assert res.success.all() and res.task_success.all() and res.q.shape == (12, 14)
    assert res.position_error.shape == (12, 2) and res.rotation_error.shape == (12, 2)
    assert within_limits(baxter, res.q).all() and np.isfinite(res.q).all()
    for i, hand in enumerate(HANDS):  # verified independently: fk of the answer, the quaternion angle
        pe, re = pose_errors(baxter, res.q, T[:, i], link=hand)
        assert pe.max() <= TOL and re.max() <= TOL
        np.testing.assert_allclose(res.position_error[:, i], pe, atol=1e-12)


def test_a_position_task_and_a_pose_task_together_and_unbatched(baxter):
    T = baxter.fk(np.array(baxter.configurations["neutral"]) + 0.2, link=HANDS)
    res = solve_tasks(baxter, [PoseTask(HANDS[0], T[0]), PositionTask(HANDS[1], T[1][:3, 3], weight=2.0)], seed=0)
    assert res.q.shape == (14,) and res.success.shape == () and bool(res.success)
    assert res.position_error.shape == (2,) and res.task_success.shape == (2,)
    np.testing.assert_allclose(baxter.fk(res.q, link=HANDS[1])[:3, 3], T[1][:3, 3], atol=TOL)
    assert res.rotation_error[1] == 0.0  # a position task has no target orientation
    R = baxter.fk(res.q, link=HANDS[0])[:3, :3]  # the pose task's is the whole error, by fk
    np.testing.assert_allclose(res.rotation_error[0], np.linalg.norm(spatial.so3_log(T[0][:3, :3] @ R.T)), atol=1e-15)


def test_unreachable_targets_are_a_result_not_an_exception(baxter):
    far = spatial.transform(np.eye(3), [5.0, 0.0, 0.0])  # 5 m away: out of reach
    res = solve_tasks(
        baxter,
        [PoseTask(HANDS[0], far), PositionTask(HANDS[1], [0.6, -0.4, 0.0])],
        options=IKOptions(max_restarts=2),
        seed=0,
    )
    assert not bool(res.success) and not res.task_success[0] and np.isfinite(res.q).all()
    assert res.position_error[0] > 3.0  # the closest pose found is still about 4 m short
    assert within_limits(baxter, res.q)


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
    np.testing.assert_allclose(robot.fk(res.q, link="finger_right")[:3, 3], T[1][:3, 3], atol=TOL)
    # the finger's opening is the only joint that moves it relative to the hand: it is recovered
    np.testing.assert_allclose(res.q[-1], q_true[-1], atol=1e-6)


def test_targets_broadcast_over_tasks_and_an_empty_batch(baxter):
    T = hand_targets(baxter, 12, (3,))
    res = solve_tasks(baxter, [PoseTask(HANDS[0], T[:, 0]), PoseTask(HANDS[1], T[0, 1])], seed=0)
    assert res.q.shape == (3, 14) and res.success.shape == (3,)
    empty = solve_tasks(baxter, [PoseTask(HANDS[0], np.zeros((0, 4, 4))), PoseTask(HANDS[1], T[0, 1])])
    assert empty.q.shape == (0, 14) and empty.position_error.shape == (0, 2) and empty.success.shape == (0,)


def test_reproducible_and_q0_that_solves_comes_back(baxter):
    q_true = random_q(baxter, np.random.default_rng(13))
    T = baxter.fk(q_true, link=HANDS)
    tasks = [PoseTask(HANDS[0], T[0]), PoseTask(HANDS[1], T[1])]
    a = solve_tasks(baxter, tasks, seed=5)
    b = solve_tasks(baxter, tasks, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(a.q, b.q)
    same = solve_tasks(baxter, tasks, q0=q_true)  # prefer="q0": q0 already solves both tasks
    assert bool(same.success)
    np.testing.assert_array_equal(same.q, q_true)


def test_a_hand_moves_while_the_other_holds_its_pose(baxter):
    q0 = np.array(baxter.configurations["neutral"])
    T0 = baxter.fk(q0, link=HANDS)
    p = T0[0, :3, 3] + [0.05, 0.10, -0.05]
    res = solve_tasks(baxter, [PositionTask(HANDS[0], p), PoseTask(HANDS[1], T0[1])], q0=q0, seed=0)
    assert bool(res.success)
    pe, re = pose_errors(baxter, res.q, T0[1], link=HANDS[1])
    assert pe <= TOL and re <= TOL
    assert np.linalg.norm(baxter.fk(res.q, link=HANDS[0])[:3, 3] - p) <= TOL


def test_per_component_weights_free_the_rotation_about_the_target_z(baxter):
    q0 = np.array(baxter.configurations["neutral"])
    T = baxter.fk(q0 + 0.3, link=HANDS[0]) @ spatial.transform(spatial.rot_z(0.8), [0.0, 0.0, 0.0])
    free_z = (1.0, 1.0, 1.0, 1.0, 1.0, 0.0)
    res = solve_tasks(baxter, [PoseTask(HANDS[0], T, weights=free_z, weights_frame="target")], q0=q0, seed=0)
    assert bool(res.success)
    T_got = baxter.fk(res.q, link=HANDS[0])
    assert np.linalg.norm(T_got[:3, 3] - T[:3, 3]) <= TOL
    assert np.linalg.norm(T_got[:3, 2] - T[:3, 2]) <= 2 * TOL  # the z axes agree; the rotation about it is free
    # the options' weights serve a pose task without its own, with the same meaning
    opts = IKOptions(weights=free_z, weights_frame="target")
    same = solve_tasks(baxter, [PoseTask(HANDS[0], T)], q0=q0, options=opts, seed=0)
    np.testing.assert_array_equal(same.q, res.q)
    # position_weight/orientation_weight: orientation free
    pos = solve_tasks(baxter, [PoseTask(HANDS[0], T, orientation_weight=0.0)], q0=q0, seed=0)
    assert bool(pos.success) and np.linalg.norm(baxter.fk(pos.q, link=HANDS[0])[:3, 3] - T[:3, 3]) <= TOL


def test_a_posture_task_keeps_the_redundant_arms_near_the_rest_posture(baxter):
    rest = np.array(baxter.configurations["neutral"], dtype=float)
    q_true = rest + np.random.default_rng(3).uniform(-0.3, 0.3, (6, baxter.n))
    T = baxter.fk(q_true, link=HANDS)
    hands = [PoseTask(HANDS[0], T[:, 0]), PoseTask(HANDS[1], T[:, 1])]
    start = np.clip(rest + 0.5, *baxter.limits.T)
    plain = solve_tasks(baxter, hands, q0=start, seed=0)
    kept = solve_tasks(baxter, [*hands, PostureTask(rest, gain=0.5)], q0=start, seed=0)
    assert plain.success.all() and kept.success.all()  # the posture never keeps the hands from converging
    far = np.linalg.norm(plain.q - rest, axis=-1).mean()
    near = np.linalg.norm(kept.q - rest, axis=-1).mean()
    assert near < 0.9 * far  # 7 joints per 6-row hand task: the free motion is biased towards the rest


def test_velocity_limits_bound_every_step(baxter):
    """With dt, each step moves joint j by at most v_j dt: a single attempt from q0 ends within iterations ×
    v dt of it, joint by joint; without dt the same solve moves further per step."""
    q0 = np.array(baxter.configurations["neutral"])
    T = baxter.fk(q0 + 0.4, link=HANDS)
    tasks = [PoseTask(HANDS[0], T[0]), PoseTask(HANDS[1], T[1])]
    dt = 0.02
    local = {"max_restarts": 0, "starts": 1, "max_iterations": 200}
    res = solve_tasks(baxter, tasks, q0=q0, options=IKOptions(dt=dt, **local))
    v = baxter.velocity_limits
    assert bool(res.success)  # slower, but it gets there
    assert np.all(np.abs(res.q - q0) <= res.iterations * v * dt + 1e-12)
    free = solve_tasks(baxter, tasks, q0=q0, options=IKOptions(**local))
    assert bool(free.success) and free.iterations < res.iterations
    # the options' own speeds replace the robot's
    slow = IKOptions(dt=dt, velocity_limits=(0.5,) * 14, **local)
    res2 = solve_tasks(baxter, tasks, q0=q0, options=slow)
    assert np.all(np.abs(res2.q - q0) <= res2.iterations * 0.5 * dt + 1e-12)
    assert res2.iterations > res.iterations


def test_velocity_limits_in_solve_of_a_serial_arm():
    panda = robokin.load("panda")
    q0 = random_q(panda, np.random.default_rng(16))
    T = panda.fk(np.clip(q0 + 0.2, *panda.limits.T))
    opts = IKOptions(dt=0.01, max_restarts=0, starts=1, max_iterations=300)
    res = panda.ik(T, q0, options=opts)  # "auto" leaves the closed form out when steps have velocity limits
    assert bool(res.success)
    assert np.all(np.abs(res.q - q0) <= res.iterations * panda.velocity_limits * 0.01 + 1e-12)


def test_velocity_limit_options_are_checked(baxter):
    with pytest.raises(OptionError, match=r"IKOptions.velocity_limits needs dt"):
        IKOptions(velocity_limits=(1.0,) * 14)
    with pytest.raises(OptionError, match=r"IKOptions.velocity_limits must be joint speeds > 0"):
        IKOptions(dt=0.1, velocity_limits=(1.0, 0.0))
    with pytest.raises(OptionError, match=r"IKOptions.dt must be a positive finite number, got -1"):
        IKOptions(dt=-1)
    T = baxter.fk(np.array(baxter.configurations["neutral"]), link=HANDS[0])
    with pytest.raises(OptionError, match=r"IKOptions.velocity_limits must have 14 values for robot 'baxter'"):
        solve_tasks(baxter, [PoseTask(HANDS[0], T)], options=IKOptions(dt=0.1, velocity_limits=(1.0,) * 7))


def test_velocity_limit_step_bound():
    limit = ik.VelocityLimit(np.array([1.0, 2.0, np.inf]), 0.1)
    np.testing.assert_allclose(limit.bound, [0.1, 0.2, np.inf])
    step = ik.StepLimit(np.minimum(1.0, limit.bound))
    np.testing.assert_allclose(
        step.apply(np.array([[0.5, 0.1, 3.0]])), [[0.1, 0.02, 0.6]]
    )  # ratio 5 on joint 0: all / 5


def test_bad_tasks_are_refused(baxter):
    T = np.eye(4)
    rest = np.array(baxter.configurations["neutral"])
    with pytest.raises(OptionError, match=r"tasks must hold at least one PoseTask or PositionTask"):
        solve_tasks(baxter, [])
    with pytest.raises(OptionError, match=r"tasks must be a list of PoseTask / PositionTask .*got PoseTask"):
        solve_tasks(baxter, PoseTask(HANDS[0], T))
    with pytest.raises(OptionError, match=r"tasks\[1\] must be a PoseTask, a PositionTask or a PostureTask, got str"):
        solve_tasks(baxter, [PoseTask(HANDS[0], T), "right"])
    with pytest.raises(OptionError, match=r"link must be a frame of robot 'baxter'.*got 'left_hnd'"):
        solve_tasks(baxter, [PoseTask("left_hnd", T)])
    with pytest.raises(OptionError, match=r"robot 'baxter' has 2 end effectors; pass link="):
        solve_tasks(baxter, [PoseTask(None, T)])
    with pytest.raises(OptionError, match=r"tasks\[0\].weight must be a finite number > 0, got 0"):
        solve_tasks(baxter, [PositionTask(HANDS[0], [0.5, 0.0, 0.0], weight=0)])
    with pytest.raises(OptionError, match=r"tasks\[0\].weights must be 6 finite numbers >= 0, not all 0"):
        solve_tasks(baxter, [PoseTask(HANDS[0], T, weights=(1, 1, 1))])
    with pytest.raises(OptionError, match=r"tasks\[0\]: give weights or position_weight/orientation_weight"):
        solve_tasks(baxter, [PoseTask(HANDS[0], T, weights=(1,) * 6, position_weight=2.0)])
    with pytest.raises(OptionError, match=r"tasks\[0\].position_weight must be a finite number >= 0, got -1"):
        solve_tasks(baxter, [PoseTask(HANDS[0], T, position_weight=-1)])
    with pytest.raises(OptionError, match=r"tasks\[0\]: position_weight and orientation_weight are both 0"):
        solve_tasks(baxter, [PoseTask(HANDS[0], T, position_weight=0, orientation_weight=0)])
    with pytest.raises(OptionError, match=r"tasks\[0\].weights_frame must be one of"):
        solve_tasks(baxter, [PoseTask(HANDS[0], T, weights_frame="tool")])
    with pytest.raises(ConventionError, match=r"tasks\[0\].T_target is not a rigid transform"):
        solve_tasks(baxter, [PoseTask(HANDS[0], 2 * T)])
    with pytest.raises(ShapeError, match=r"tasks\[0\].p_target must have shape \(..., 3\) \[m\], got shape \(2,\)"):
        solve_tasks(baxter, [PositionTask(HANDS[0], [1.0, 2.0])])
    with pytest.raises(ShapeError, match=r"tasks\[0\].T_target \(2, 4, 4\), tasks\[1\].T_target \(3, 4, 4\) do not"):
        solve_tasks(baxter, [PoseTask(HANDS[0], np.tile(T, (2, 1, 1))), PoseTask(HANDS[1], np.tile(T, (3, 1, 1)))])
    with pytest.raises(ShapeError, match=r"q0 must have shape \(..., 14\)"):
        solve_tasks(baxter, [PoseTask(HANDS[0], T)], q0=np.zeros(3))
    with pytest.raises(ShapeError, match=r"q0 of shape \(2, 14\) does not broadcast against the tasks' targets"):
        solve_tasks(baxter, [PoseTask(HANDS[0], np.tile(T, (3, 1, 1)))], q0=np.zeros((2, 14)))
    with pytest.raises(OptionError, match=r"tasks\[1\].gain must be in \(0, 1\], got 2"):
        solve_tasks(baxter, [PoseTask(HANDS[0], T), PostureTask(rest, gain=2)])
    with pytest.raises(OptionError, match=r"tasks\[2\] is a second PostureTask"):
        solve_tasks(baxter, [PoseTask(HANDS[0], T), PostureTask(rest), PostureTask(rest)])
    with pytest.raises(OptionError, match=r"a posture alone is no target"):
        solve_tasks(baxter, [PostureTask(rest)])
    with pytest.raises(OptionError, match=r"tasks\[1\].q_rest must be within the joint limits.*'left_s0' is 9"):
        solve_tasks(baxter, [PoseTask(HANDS[0], T), PostureTask(np.r_[9.0, rest[1:]])])
    # review12: a posture in degrees gets the same hint as the other joint values held within the limits
    with pytest.raises(
        OptionError, match=r"'left_s1' is -31\.5127 rad, its limits \[-2\.147, 1\.047\] rad \(degrees must be converted"
    ):
        solve_tasks(baxter, [PoseTask(HANDS[0], T), PostureTask(np.degrees(np.r_[0.0, -0.55, rest[2:]]))])
    with pytest.raises(OptionError, match=r"options must be an IKOptions, got dict"):
        solve_tasks(baxter, [PoseTask(HANDS[0], T)], options={})
    with pytest.raises(OptionError, match=r"seed"):
        solve_tasks(baxter, [PoseTask(HANDS[0], T)], seed=-1)


# --------------------------------------------------------------------------------------- ik.solve(link=)
def test_solve_on_a_frame_of_a_tree(baxter):
    T = hand_targets(baxter, 14, (5,))
    res = ik.solve(baxter, T[:, 1], link=HANDS[1], seed=0)
    assert res.success.all() and within_limits(baxter, res.q).all()
    pe, re = pose_errors(baxter, res.q, T[:, 1], link=HANDS[1])
    assert pe.max() <= TOL and re.max() <= TOL
    assert np.all(np.isfinite(res.inverse_condition)) and np.all(res.inverse_condition > 0)
    same = baxter.ik(T[:, 1], link=HANDS[1], seed=0)  # robot.ik is the same call
    np.testing.assert_array_equal(same.q, res.q)
    # the left arm's joints do not move the right gripper: the answer keeps them at the start
    np.testing.assert_array_equal(
        res.q[:, :7], np.broadcast_to(ik.solve(baxter, T[:, 1], link=HANDS[1]).q[:, :7], (5, 7))
    )


def test_joints_that_move_no_task_keep_their_start_values_from_every_start(baxter):
    """The other arm (and a gripper's fingers under its TCP) stay at q0 even when the answer comes from a seeded
    or random start, not only from q0's own attempt (review8: the right arm moved to a seed table entry's
    values while the left gripper was solved)."""
    q0 = np.array(baxter.configurations["neutral"])
    T = hand_targets(baxter, 21, (12,))
    for one in T[:4, 0]:  # one target at a time: 8 starts, most answers from the seed table
        res = ik.solve(baxter, one, q0, link=HANDS[0], seed=0)
        assert res.success and pose_errors(baxter, res.q, one, link=HANDS[0])[0] <= TOL
        np.testing.assert_array_equal(res.q[7:], q0[7:])
    batch = ik.solve(baxter, T[:, 1], q0, link=HANDS[1], options=IKOptions(max_restarts=40), seed=3)
    assert batch.success.all()
    np.testing.assert_array_equal(batch.q[:, :7], np.broadcast_to(q0[:7], (12, 7)))
    one_task = solve_tasks(baxter, [PositionTask(HANDS[0], T[0, 0, :3, 3])], q0=q0, seed=1)
    assert one_task.success
    np.testing.assert_array_equal(one_task.q[7:], q0[7:])
    hand = robokin.load("panda_hand")  # the fingers do not move the TCP
    q_hand = np.array(hand.configurations["home"])
    T_hand = hand.fk(random_q(hand, np.random.default_rng(5), (6,)))
    res = ik.solve(hand, T_hand, q_hand, seed=0)
    assert res.success.all()
    np.testing.assert_array_equal(res.q[:, 7], np.full(6, q_hand[7]))


def test_solve_on_a_tree_needs_a_link_and_has_no_closed_form(baxter):
    with pytest.raises(OptionError, match=r"robot 'baxter' has 2 end effectors; pass link= one of 'left_gripper'"):
        ik.solve(baxter, np.eye(4))
    with pytest.raises(OptionError, match=r"link must be a frame of robot 'baxter'"):
        ik.solve(baxter, np.eye(4), link="nose")
    with pytest.raises(NoAnalyticSolutionError, match=r"frame 'left_gripper' of robot 'baxter' is not one"):
        ik.solve(baxter, np.eye(4), link=HANDS[0], method="analytic")


def test_solve_on_another_frame_of_a_serial_arm():
    panda = robokin.load("panda")
    q_true = random_q(panda, np.random.default_rng(15), (4,))
    T_flange = panda.fk(q_true, link="flange")
    res = panda.ik(T_flange, link="flange", seed=0)
    assert res.success.all()
    pe, re = pose_errors(panda, res.q, T_flange, link="flange")
    assert pe.max() <= TOL and re.max() <= TOL
    T_tool = panda.fk(q_true)
    default = panda.ik(T_tool, seed=0)
    named = panda.ik(T_tool, link="tool", seed=0)  # the default link by name is the same solve
    np.testing.assert_array_equal(default.q, named.q)
    # a frame whose pose q does not change: solved when the target is that pose, a result otherwise
    base = panda.fk(q_true[0], link="base")
    assert bool(panda.ik(base, link="base").success)
    off = panda.ik(base @ spatial.transform(np.eye(3), [0.1, 0, 0]), link="base", options=IKOptions(max_restarts=2))
    assert not bool(off.success) and np.isfinite(off.q).all()


# --------------------------------------------------------------------------------------- robokin ik --link
def _text(x: float) -> str:
    return repr(float(x))


def _solution(out: str, robot) -> np.ndarray:
    """The q [rad/m] column of ``robokin ik``'s joint table."""
    values = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in robot.joint_names:
            values[parts[0]] = float(parts[1])
    return np.array([values[name] for name in robot.joint_names])


def test_cli_ik_on_a_link_of_a_tree(baxter, capsys):
    from robokin.cli import main

    q_true = np.array(baxter.configurations["neutral"]) + 0.1
    T = baxter.fk(q_true, link="right_gripper")
    rpy = spatial.matrix_to_rpy(T[:3, :3])
    argv = ["ik", "baxter", "--link", "right_gripper", "--xyz", *map(_text, T[:3, 3]), "--rpy", *map(_text, rpy)]
    assert main([*argv, "--q0", "neutral"]) == 0
    out = capsys.readouterr().out
    assert "baxter, link right_gripper: target xyz [m]" in out
    pe, re_ = pose_errors(baxter, _solution(out, baxter), T, link="right_gripper")
    assert pe <= 1e-5 and re_ <= 1e-5  # the table prints 5 decimals
    # a tree with several end effectors needs --link; an unknown frame is named; --all is the tool's
    assert main(["ik", "baxter", "--xyz", "0.5", "0", "0"]) == 1
    assert "2 end effectors (left_gripper, right_gripper): choose one with --link FRAME" in capsys.readouterr().err
    assert main(["ik", "baxter", "--link", "nose", "--xyz", "0.5", "0", "0"]) == 1
    assert "link must be a frame of robot 'baxter'" in capsys.readouterr().err
    assert main([*argv, "--all"]) == 1
    assert "--all solves a serial arm's tool in closed form; --link right_gripper is not one" in capsys.readouterr().err


def test_cli_ik_on_a_link_of_a_serial_arm(capsys):
    from robokin.cli import main

    panda = robokin.load("panda")
    q_true = random_q(panda, np.random.default_rng(17))
    p = panda.fk(q_true, link="flange")[:3, 3]
    assert main(["ik", "panda", "--link", "flange", "--xyz", *map(_text, p)]) == 0  # position only
    out = capsys.readouterr().out
    assert "panda, link flange:" in out and "task: position only" in out
    np.testing.assert_allclose(panda.fk(_solution(out, panda), link="flange")[:3, 3], p, atol=1e-4)
    assert main(["ik", "panda", "--xyz", *map(_text, panda.fk(q_true)[:3, 3])]) == 0  # default: the tool
    assert "panda, link tool:" in capsys.readouterr().out


def test_random_restarts_keep_the_joints_of_the_solved_tasks(baxter, monkeypatch):
    """A random restart re-samples the joints of the tasks not within tolerance only: on Baxter, a row whose
    left hand is solved and right hand is not re-samples the right arm's 7 joints."""
    from robokin.ik import solve_ik

    T = hand_targets(baxter, 18, (1,))
    tasks = [PoseTask(HANDS[0], T[:, 0]), PoseTask(HANDS[1], T[:, 1])]
    problem = None
    real = solve_ik.solve_dls

    def capture(pb):
        nonlocal problem
        problem = pb
        return real(pb)

    monkeypatch.setattr(solve_ik, "solve_dls", capture)
    solve_tasks(baxter, tasks, seed=0)
    assert problem is not None and problem.task_joints is not None
    tol = problem.tol_sq
    left_done = np.array([[0.0, 0.0, 1.0, 1.0]])  # squared [position, rotation] of the left, then the right hand
    both_open = np.array([[1.0, 1.0, 1.0, 1.0]])
    right_done = np.array([[1.0, 0.0, tol[2] / 2, tol[3] / 2]])
    np.testing.assert_array_equal(problem.resample(left_done)[0], [False] * 7 + [True] * 7)
    np.testing.assert_array_equal(problem.resample(both_open)[0], [True] * 14)
    np.testing.assert_array_equal(problem.resample(right_done)[0], [True] * 7 + [False] * 7)


@pytest.mark.parametrize(
    ("name", "link"), [("baxter", "left_gripper"), ("panda_hand", "finger_right"), ("panda", "joint4")]
)
def test_link_pose_is_robot_fk_and_jacobian(name, link):
    """A task's rows read the frame's pose and world Jacobian from the tree kernel: the very ``robot.fk`` and
    ``robot.jacobian`` (zero columns off the path, mimic columns folded), and a task's error rows are
    ``[p* − p; log(R* Rᵀ)]`` of that pose."""
    robot = robokin.load(name)
    q = random_q(robot, np.random.default_rng(19), (4,))
    provider = ik.LinkPose(robot.link_path(link))
    T, J = provider(q)
    np.testing.assert_allclose(T, robot.fk(q, link=link)[:, :3], atol=1e-15)
    np.testing.assert_allclose(J, robot.jacobian(q, link=link, method="forward"), atol=1e-12)
    T_target = robot.fk(random_q(robot, np.random.default_rng(20), (4,)), link=link)
    task = ik.FramePoseTask(provider, T_target[:, :3, 3], T_target[:, :3, :3], np.ones(6), 1.0, 1e-6, 1e-6)
    e, J_rows, _, _ = task.rows(task.gather(np.arange(4)), T, J)
    np.testing.assert_allclose(e[:, :3], T_target[:, :3, 3] - T[:, :, 3], atol=1e-15)
    np.testing.assert_allclose(e[:, 3:], spatial.so3_log(T_target[:, :3, :3] @ T[:, :, :3].mT), atol=1e-15)
    np.testing.assert_array_equal(J_rows, J)
