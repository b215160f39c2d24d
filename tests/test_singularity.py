"""Tests of robokin.singularity: measures of J, the scale-free test, types, search, maps and the CLI.

Oracles: hand-derived closed forms (planar 2R determinant, the PUMA 560 and UR5 singularity conditions
derived from their DH tables below), finite differences for gradients, independent SVDs.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

import robokin as rk
from robokin import measures as M
from robokin import singularity as S
from robokin.cli import main
from robokin.errors import OptionError, ShapeError
from robokin.model import Joint, Origin, Robot

PUMA_A2, PUMA_A3, PUMA_D4 = 0.4318, 0.0203, 0.4318
UR5_A2, UR5_A3, UR5_D5 = -0.425, -0.39225, 0.09465


def planar2r(l1: float, l2: float) -> Robot:
    joints = [Joint(f"j{k}", "revolute", "dh", dh=(l, 0.0, 0.0, 0.0)) for k, l in enumerate((l1, l2))]
    return Robot("p2r", tuple(joints))


def puma(scale: float = 1.0) -> Robot:
    """PUMA 560, standard DH (Corke & Armstrong-Helouvry 1994), all lengths times ``scale``."""
    dh = [
        (0, np.pi / 2, 0),
        (PUMA_A2, 0, 0),
        (PUMA_A3, -np.pi / 2, 0.15005),
        (0, np.pi / 2, PUMA_D4),
        (0, -np.pi / 2, 0),
        (0, 0, 0),
    ]
    joints = [Joint(f"j{k}", "revolute", "dh", dh=(a * scale, al, d * scale, 0.0)) for k, (a, al, d) in enumerate(dh)]
    return Robot("puma", tuple(joints), base=Origin(xyz=(0.0, 0.0, 0.67183 * scale)))


def scaled_J(robot: Robot, q: np.ndarray) -> np.ndarray:
    """Independent construction of the scaled Jacobian diag(I/L, I) J diag(1 | L)."""
    L = S.characteristic_length(robot)
    cols = np.where(np.array(robot.joint_types) == "revolute", 1.0, L)
    return robot.jacobian(q) * np.array([1 / L] * 3 + [1.0] * 3)[:, None] * cols


def inv_cond(M: np.ndarray) -> np.ndarray:
    s = np.linalg.svd(M, compute_uv=False)
    return s[..., -1] / s[..., 0]


# ------------------------------------------------------------------------------ functions of J
def test_planar2r_det_is_l1_l2_sin_q2_exactly():
    l1, l2 = 0.7, 0.3
    robot = planar2r(l1, l2)
    q = np.random.default_rng(0).uniform(-np.pi, np.pi, (4, 5, 2))
    J = robot.jacobian(q)
    np.testing.assert_allclose(M.det(J, rows=[0, 1]), l1 * l2 * np.sin(q[..., 1]), atol=1e-15)
    # tall translation block (3 x 2): product of singular values = |l1 l2 sin q2|
    np.testing.assert_allclose(M.manipulability(J, "translation"), np.abs(l1 * l2 * np.sin(q[..., 1])), atol=1e-15)
    assert M.det(J, rows=[0, 1]).shape == (4, 5)


@pytest.mark.parametrize("q2", [0.0, np.pi, -np.pi])
def test_planar2r_manipulability_vanishes_stretched_and_folded(q2):
    robot = planar2r(1.0, 1.0)
    J = robot.jacobian([0.4, q2])
    assert M.manipulability(J, "translation") < 1e-15
    assert M.manipulability(J, [0, 1]) < 1e-15
    assert S.is_singular(robot, [0.4, q2])
    assert not S.is_singular(robot, [0.4, q2 + 0.05])


def test_singular_values_and_inverse_condition_of_known_matrices():
    rng = np.random.default_rng(1)
    U, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    V, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    sigma = np.array([0.5, 3.0, 1e-3, 2.0])
    J = U[:, :4] @ np.diag(sigma) @ V.T
    np.testing.assert_allclose(M.singular_values(J), [3.0, 2.0, 0.5, 1e-3], rtol=1e-12)
    assert M.smallest_singular_value(J) == pytest.approx(1e-3, rel=1e-9)
    assert M.inverse_condition(J) == pytest.approx(1e-3 / 3.0, rel=1e-9)
    assert M.inverse_condition(-250.0 * J) == pytest.approx(1e-3 / 3.0, rel=1e-9)  # scale-free
    assert M.inverse_condition(np.zeros((6, 3))) == 0.0
    assert M.inverse_condition(np.eye(6)) == 1.0
    assert M.singular_values(np.zeros((2, 3, 6, 7))).shape == (2, 3, 6)


def test_manipulability_is_sqrt_det_JJt_for_wide_and_abs_det_for_square():
    rng = np.random.default_rng(2)
    J = rng.normal(size=(5, 6, 7))
    np.testing.assert_allclose(M.manipulability(J), np.sqrt(np.linalg.det(J @ np.swapaxes(J, -1, -2))), rtol=1e-10)
    Q = rng.normal(size=(5, 6, 6))
    np.testing.assert_allclose(M.manipulability(Q), np.abs(np.linalg.det(Q)), rtol=1e-10)
    Qr = Q[:, 3:, :]  # 3 x 6 rotation block: √det(Qr Qrᵀ)
    np.testing.assert_allclose(
        M.manipulability(Q, "rotation"), np.sqrt(np.linalg.det(Qr @ np.swapaxes(Qr, -1, -2))), rtol=1e-10
    )


def test_errors_of_functions_of_J():
    with pytest.raises(ShapeError, match="square block"):
        M.det(np.ones((6, 7)))
    with pytest.raises(ShapeError, match=r"\(\.\.\., m, n\)"):
        M.singular_values(np.ones(6))
    with pytest.raises(ShapeError, match="finite"):
        M.inverse_condition(np.full((6, 6), np.nan))
    with pytest.raises(ShapeError, match="6 rows"):
        M.manipulability(np.ones((3, 3)), rows="translation")
    with pytest.raises(OptionError, match="rows"):
        M.manipulability(np.ones((6, 6)), rows="elbow")


# ------------------------------------------------------------------------------ scale, rows, random
def test_task_rows_by_generic_rank():
    assert S.task_rows(rk.load("planar2r")) == (0, 1)
    assert S.task_rows(rk.load("planar3r")) == (0, 1, 5)
    assert S.task_rows(rk.load("cobra600")) == (0, 1, 2, 5)
    for name in ("puma560", "ur5", "panda", "iiwa14"):
        assert S.task_rows(rk.load(name)) == (0, 1, 2, 3, 4, 5)


def test_scale_free_for_an_arm_scaled_by_ten():
    big, small = puma(1.0), puma(0.1)
    assert S.characteristic_length(small) == pytest.approx(0.1 * S.characteristic_length(big), rel=1e-12)
    q = np.random.default_rng(3).uniform(-np.pi, np.pi, (50, 6))
    np.testing.assert_allclose(
        M.inverse_condition(S.scaled_jacobian(small, q)), M.inverse_condition(S.scaled_jacobian(big, q)), rtol=1e-9
    )
    # the raw Jacobian is not scale-free: its rows mix metres and radians
    assert np.abs(M.inverse_condition(small.jacobian(q)) - M.inverse_condition(big.jacobian(q))).max() > 1e-2
    np.testing.assert_array_equal(S.is_singular(small, q), S.is_singular(big, q))
    np.testing.assert_allclose(S.scaled_jacobian(big, q[0]), scaled_J(big, q[0]), atol=1e-14)


@pytest.mark.parametrize(
    "name",
    ["puma560", "ur5", "ur10", "irb140", "kr5_arc", "stanford", "panda", "iiwa14", "gen3", "cobra600", "planar3r"],
)
def test_random_configurations_are_not_singular(name):
    robot = rk.load(name)
    lo, hi = robot.sampling_bounds.T
    q = np.random.default_rng(4).uniform(lo, hi, (300, robot.n))
    flags = S.is_singular(robot, q)
    assert flags.shape == (300,) and not flags.any()
    assert np.all(inv_cond(scaled_J(robot, q)) > S.SINGULAR_TOL)


def test_is_singular_batches_and_validates():
    robot = rk.load("puma560")
    q = np.zeros((2, 3, 6))
    assert S.is_singular(robot, q).shape == (2, 3)
    with pytest.raises(OptionError, match=r"tol must be a number in \(0, 1\)"):
        S.is_singular(robot, q, tol=0.0)
    with pytest.raises(OptionError, match="rows must be one of"):
        S.is_singular(robot, q, rows="bogus")
    with pytest.raises(ShapeError, match=r"shape \(\.\.\., 6\)"):
        S.is_singular(robot, np.zeros(5))


# ------------------------------------------------------------------------------ types
def _puma_elbow_q3() -> float:
    # Wrist centre seen from the elbow in frame 2: (a3 c3 - d4 s3, a3 s3 + d4 c3); stretched/folded when it is
    # along the upper arm (x2): a3 s3 + d4 c3 = 0.
    return float(np.arctan2(-PUMA_D4, PUMA_A3))


def _puma_shoulder_q3(q2: float) -> float:
    # Shoulder singularity: the wrist centre's distance from axis 1 within the arm plane is zero:
    # a2 c2 + a3 c23 - d4 s23 = 0 (the d3 offset is along axis 2).
    f = lambda q3: PUMA_A2 * np.cos(q2) + PUMA_A3 * np.cos(q2 + q3) - PUMA_D4 * np.sin(q2 + q3)  # noqa: E731
    return float(brentq(f, -0.2 - q2, 1.4 - q2)) if f(-0.2 - q2) * f(1.4 - q2) < 0 else float(brentq(f, -q2 - 3, -q2))


@pytest.mark.parametrize("robot", [rk.load("puma560"), puma(0.1)], ids=["puma560", "puma_x0.1"])
def test_puma_singularities_are_typed(robot):
    rng = np.random.default_rng(5)
    for _ in range(5):
        q = rng.uniform(-1.2, 1.2, 6)
        wrist = q.copy()
        wrist[4] = 0.0
        elbow = q.copy()
        elbow[2] = _puma_elbow_q3()
        shoulder = q.copy()
        shoulder[2] = _puma_shoulder_q3(q[1])
        for qq, kind in ((wrist, "wrist"), (elbow, "elbow"), (shoulder, "shoulder")):
            assert abs(np.linalg.det(robot.jacobian(qq))) < 1e-12  # the closed forms are singular
            report = S.analyze(robot, qq)
            assert report.singular and report.types == (kind,), (kind, qq, report.type_measures)
        assert not S.analyze(robot, q).singular and S.analyze(robot, q).types == ()


def _ur5_shoulder_q(q: np.ndarray) -> np.ndarray:
    # det J of the UR arm = s3 s5 a2 a3 (a2 c2 + a3 c23 + d5 s234) (zero when the intersection of the last
    # two axes lies in the plane of axis 1 and axis 2); solve the last factor for q2.
    f = lambda q2: UR5_A2 * np.cos(q2) + UR5_A3 * np.cos(q2 + q[2]) + UR5_D5 * np.sin(q2 + q[2] + q[3])  # noqa: E731
    grid = np.linspace(-np.pi, np.pi, 73)
    k = int(np.flatnonzero(np.sign(f(grid[:-1])) != np.sign(f(grid[1:])))[0])
    out = q.copy()
    out[1] = brentq(f, grid[k], grid[k + 1])
    return out


def test_ur5_singularities_are_typed():
    robot = rk.load("ur5")
    rng = np.random.default_rng(6)
    for _ in range(5):
        q = rng.uniform(-2.5, 2.5, 6)
        wrist, elbow = q.copy(), q.copy()
        wrist[4] = 0.0
        elbow[2] = 0.0
        for qq, kind in ((wrist, "wrist"), (elbow, "elbow"), (_ur5_shoulder_q(q), "shoulder")):
            assert abs(np.linalg.det(robot.jacobian(qq))) < 1e-12
            report = S.analyze(robot, qq)
            assert report.singular and report.types == (kind,), (kind, qq, report.type_measures)


def test_ur5_home_has_all_three_and_three_lost_directions():
    robot = rk.load("ur5")
    report = S.analyze(robot, robot.configurations["home"])
    assert report.types == ("wrist", "elbow", "shoulder")
    assert report.lost_directions.shape == (3, 6) and report.null_space.shape == (3, 6)
    # the lost directions are orthonormal and orthogonal to the scaled Jacobian's column space
    np.testing.assert_allclose(report.lost_directions @ report.lost_directions.T, np.eye(3), atol=1e-9)
    assert np.abs(report.lost_directions @ scaled_J(robot, report.q)).max() < 1e-9


def test_unclassified_for_other_kinds_of_arm():
    report = S.analyze(rk.load("planar3r"), [0.3, 0.0, 0.0])
    assert report.singular and report.types == ("unclassified",)
    assert "unclassified" in str(report)


# ------------------------------------------------------------------------------ report words
def test_planar2r_report_lost_direction_and_null_space():
    robot = planar2r(1.0, 1.0)
    report = S.analyze(robot, [0.3, 0.0])
    # stretched: the tip cannot move radially, along (cos 0.3, sin 0.3, 0)
    np.testing.assert_allclose(np.abs(report.lost_directions[0, :3]), [np.cos(0.3), np.sin(0.3), 0.0], atol=1e-12)
    assert "cannot translate along [0.96, 0.30, 0.00] in the world frame" in report.lost_text[0]
    # J_xy = [[-2s, -s], [2c, c]]: (1, -2)/√5 moves nothing
    np.testing.assert_allclose(np.abs(report.null_space[0]), np.array([1.0, 2.0]) / np.sqrt(5.0), atol=1e-12)


def test_puma_wrist_report_names_the_aligned_axes_and_the_null_motion():
    robot = rk.load("puma560")
    q = np.radians([0, 45, -180, 0, 0, 0])
    report = S.analyze(robot, q)
    np.testing.assert_allclose(np.abs(report.null_space[0]), np.array([0, 0, 0, 1, 0, 1]) / np.sqrt(2), atol=1e-12)
    F = robot.fk_frames(q)  # joint k's axis is z of the frame before it (DH): frames 4 and 5 hold axes 5, 6
    z4, z5 = F[3, :3, 2], F[4, :3, 2]
    w = report.lost_directions[0, 3:]
    assert abs(w @ z4) < 1e-9 and abs(w @ z5) < 1e-9  # the lost rotation is about z4 × z5
    text = str(report)
    assert "SINGULAR: wrist" in text and "wrist_roll and wrist_swivel are aligned" in text
    assert "cannot rotate about [0.71, 0.00, 0.71]" in text
    assert "wrist_roll +0.71 rad/s, wrist_swivel -0.71 rad/s" in text
    assert "NOT SINGULAR" in str(S.analyze(robot, robot.configurations["nominal"]))


def test_analyze_batches_one_report_per_configuration():
    """Issue 11, item 12: a batch in, an array of reports of the batch's shape out; one in, one report out."""
    robot = rk.load("puma560")
    q = np.radians([[0, 45, -180, 0, 0, 0], [0, 45, -90, 0, 45, 0], [10, 20, -60, 5, 30, 0]])
    reports = S.analyze(robot, q.reshape(3, 1, 6))
    assert isinstance(reports, np.ndarray) and reports.shape == (3, 1)
    for k in range(3):
        one = S.analyze(robot, q[k])
        assert isinstance(one, S.SingularityReport)
        assert str(reports[k, 0]) == str(one)
    assert [r.singular for r in reports[:, 0]] == [True, False, False]
    with pytest.raises(ShapeError, match=r"shape \(\.\.\., 6\)"):
        S.analyze(robot, np.zeros((2, 5)))


def test_functions_of_robot_and_of_jacobian_have_one_name_each():
    """``robokin.inverse_condition(robot, q)`` works; the Jacobian version is ``robokin.measures.inverse_condition(J)``."""
    robot = rk.load("ur5")
    q = np.random.default_rng(3).uniform(-2, 2, (4, 6))
    ic = rk.inverse_condition(robot, q)
    J_s = S.scaled_jacobian(robot, q)
    np.testing.assert_allclose(ic, M.inverse_condition(J_s), rtol=0, atol=0)
    s = np.linalg.svd(J_s, compute_uv=False)  # independent: σ_min / σ_max straight from NumPy
    np.testing.assert_allclose(ic, s[:, -1] / s[:, 0], rtol=1e-12)
    np.testing.assert_allclose(rk.manipulability(robot, q), np.abs(np.linalg.det(robot.jacobian(q))), rtol=1e-10)
    assert rk.inverse_condition is S.inverse_condition and rk.manipulability is S.manipulability


# ------------------------------------------------------------------------------ gradients
def test_det_gradient_planar2r_closed_form():
    l1, l2 = 0.7, 0.3
    q = np.random.default_rng(7).uniform(-3, 3, (10, 2))
    g = S.det_gradient(planar2r(l1, l2), q)
    np.testing.assert_allclose(g, np.stack([np.zeros(10), l1 * l2 * np.cos(q[:, 1])], -1), atol=1e-14)


@pytest.mark.parametrize("name", ["puma560", "stanford"])
def test_det_gradient_matches_central_differences(name):
    robot = rk.load(name)
    q = np.random.default_rng(8).uniform(-1, 1, (3, 6)) + np.array([0, 0, 0.5, 0, 0, 0])
    h = 1e-6
    fd = np.stack(
        [
            (np.linalg.det(robot.jacobian(q + h * e)) - np.linalg.det(robot.jacobian(q - h * e))) / (2 * h)
            for e in np.eye(6)
        ],
        -1,
    )
    np.testing.assert_allclose(S.det_gradient(robot, q), fd, atol=1e-8)
    with pytest.raises(ShapeError, match="square block"):
        S.det_gradient(rk.load("panda"), np.zeros(7))


@pytest.mark.parametrize("rows", ["all", "translation"])
def test_manipulability_gradient_matches_central_differences(rows):
    robot = rk.load("panda")
    q = np.array([0.1, -0.4, 0.3, -1.8, 0.2, 1.4, 0.6])
    h = 1e-6
    m = lambda x: M.manipulability(robot.jacobian(x), rows)  # noqa: E731
    fd = np.array([(m(q + h * e) - m(q - h * e)) / (2 * h) for e in np.eye(7)])
    np.testing.assert_allclose(robot.manipulability_gradient(q, rows=rows), fd, atol=1e-8)


# ------------------------------------------------------------------------------ search
@pytest.mark.parametrize("name", ["puma560", "ur5", "stanford", "planar2r", "panda", "cobra600"])
def test_find_singular_results_are_verified_by_an_independent_svd(name):
    robot = rk.load(name)
    calls = []
    found = S.find_singular(robot, starts=12, seed=9, progress=lambda *a: calls.append(a))
    assert len(found) >= 3 and calls and calls[-1][0] <= 60
    rows = list(S.task_rows(robot))
    ic = inv_cond(scaled_J(robot, found.q)[:, rows, :])
    assert np.all(ic < found.tol)
    lo, hi = robot.sampling_bounds.T
    assert np.all((found.q >= lo) & (found.q <= hi))
    d = np.abs(found.q[:, None] - found.q[None]).max(-1) + np.eye(len(found)) * 10
    assert d.min() > S.DUPLICATE_TOL * 0.99  # no duplicates


def test_find_singular_types_puma_and_planar2r_and_reproducible():
    robot = rk.load("puma560")
    found = S.find_singular(robot, starts=24, seed=10)
    assert {"wrist", "elbow", "shoulder"} <= set(found.groups)
    for k in found.groups["wrist"]:
        assert abs(np.sin(found.q[k, 4])) < 1e-6
    for k in found.groups["elbow"]:
        q3 = found.q[k, 2]
        assert abs(PUMA_A3 * np.sin(q3) + PUMA_D4 * np.cos(q3)) < 1e-6
    again = S.find_singular(robot, starts=24, seed=10)
    np.testing.assert_array_equal(found.q, again.q)
    p2 = S.find_singular(rk.load("planar2r"), starts=10, seed=1)
    assert np.all(np.abs(np.sin(p2.q[:, 1])) < 1e-9)
    assert "singular configurations from 24 random starts" in str(found)
    with pytest.raises(OptionError, match="starts must be a positive integer"):
        S.find_singular(robot, starts=0)
    # Finite caps, checked before any array is made: 10**9 starts asked NumPy for 45 GB (MemoryError).
    with pytest.raises(OptionError, match=r"starts must be a positive integer, at most 4096, got 1000000000$"):
        S.find_singular(robot, starts=10**9)
    with pytest.raises(OptionError, match=r"max_iter must be a positive integer, at most 10000, got 10+$"):
        S.find_singular(robot, starts=2, max_iter=10**12)


# ------------------------------------------------------------------------------ map
def test_singularity_map_planar2r_and_its_picture():
    robot = rk.load("planar2r")
    smap = S.singularity_map(robot, (0, 1), resolution=(31, 41))
    assert smap.values.shape == (41, 31) and smap.det.shape == (41, 31)
    L = S.characteristic_length(robot)
    np.testing.assert_allclose(smap.det, np.sin(smap.y)[:, None] / L**2 * np.ones(31), atol=1e-14)
    ax = smap.plot()
    fig = ax.figure
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)
    red = (rgb[..., 0] > 200) & (rgb[..., 1] < 60) & (rgb[..., 2] < 60)
    assert red.sum() > 300  # the zero contour (q2 = 0) is drawn
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_the_default_map_joints_exist_on_every_robot_of_two_joints_or_more():
    """The default (1, 2) asked a 2-joint arm for a joint it does not have ("got [1, 2]", joints the user never
    gave); a 2-joint arm maps its only pair, and a 1-joint arm is told a map needs two joints."""
    robot = rk.load("planar2r")
    smap = S.singularity_map(robot, resolution=(5, 7))
    assert smap.joints == (0, 1) and smap.values.shape == (7, 5)
    L = S.characteristic_length(robot)
    np.testing.assert_allclose(smap.det, np.sin(smap.y)[:, None] / L**2 * np.ones(5), atol=1e-14)
    assert S.singularity_map(rk.load("puma560"), resolution=3).joints == (1, 2)
    one = Robot("one", (Joint("a", "revolute", "dh", dh=(1.0, 0.0, 0.0, 0.0)),))
    with pytest.raises(OptionError, match=r"a singularity map sweeps two joints; robot 'one' has 1"):
        S.singularity_map(one, resolution=3)


def test_singularity_map_errors():
    robot = rk.load("panda")
    with pytest.raises(
        OptionError, match=r"joints of 'panda' must be 2 distinct integer indices in 0\.\.6, got \[1, 1\]"
    ):
        S.singularity_map(robot, (1, 1))
    with pytest.raises(OptionError, match="square task block"):
        S.singularity_map(robot, (1, 3), measure="det")
    with pytest.raises(OptionError, match="resolution"):
        S.singularity_map(robot, (1, 3), resolution=1)
    smap = S.singularity_map(robot, (1, 3), resolution=8, measure="manipulability")
    assert smap.det is None and smap.values.shape == (8, 8)


# ------------------------------------------------------------------------------ CLI
def test_cli_singular_report_find_and_map(capsys, tmp_path):
    assert main(["singular", "puma560", "0", "45", "-180", "0", "0", "0", "--deg"]) == 0
    out = capsys.readouterr().out
    assert "SINGULAR: wrist" in out and "cannot rotate about" in out and "wrist_swivel -0.71" in out
    assert main(["singular", "puma560", "--find", "--starts", "8"]) == 0
    captured = capsys.readouterr()
    assert "singular configurations from 8 random starts" in captured.out and "iteration" in captured.err
    png = tmp_path / "map.png"
    assert main(["singular", "puma560", "--map", "1", "2", "--out", str(png), "--resolution", "40"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["singular", "puma560"]) == 1
    assert "give Q" in capsys.readouterr().err


# ------------------------------------------------------------------------------ map: the singular set (issue 11, 3)
def test_map_finds_a_double_root_of_det_the_puma_elbow():
    """Along the PUMA's elbow singularity det J touches zero without changing sign: the map still marks it."""
    robot = rk.load("puma560")
    q = robot.configurations["ready"].copy()
    q[4] = 0.6  # bend the wrist: no wrist singularity on this slice
    smap = S.singularity_map(robot, (2, 3), q=q, resolution=(61, 21))
    q3 = _puma_elbow_q3()  # ≈ -87.3°, from the geometry (a3, d4)
    assert abs(np.degrees(q3) + 87.31) < 0.01
    column = int(np.argmin(np.abs(smap.x - q3)))
    # A double root: det has the same sign on both sides of the elbow line ...
    assert np.all(np.sign(smap.det[:, column - 2]) == np.sign(smap.det[:, column + 2]))
    # ... and the grid points themselves are not singular (the line falls between them).
    assert np.all(smap.inverse_condition[:, column] > S.SINGULAR_TOL)
    assert smap.singular.shape == smap.values.shape and smap.singular.dtype == bool
    assert smap.singular[:, column].all()
    # Nothing else on this slice is singular (every cell off the line has σmin/σmax well above the threshold).
    others = np.delete(smap.singular, column, axis=1)
    assert not others.any()


def test_map_marks_sign_changes_between_grid_points():
    """planar 2R: det = l1 l2 sin q2 changes sign at q2 = 0, which lies between two grid rows here."""
    robot = planar2r(1.0, 0.7)
    smap = S.singularity_map(robot, (0, 1), q=[0.0, 0.1], resolution=(9, 10), ranges=((-np.pi, np.pi), (-1.05, 2.0)))
    assert np.all(np.abs(smap.y) > 0.03)  # no grid point on the singular line
    nearest_zero = int(np.argmin(np.abs(smap.y)))
    expected = np.zeros_like(smap.singular)
    expected[nearest_zero] = True
    np.testing.assert_array_equal(smap.singular, expected)


def test_map_picture_draws_the_singular_cells_red_with_a_legend():
    import matplotlib.pyplot as plt

    robot = rk.load("puma560")
    smap = S.singularity_map(robot, (2, 4), q=robot.configurations["ready"], resolution=41)
    ax = smap.plot()
    (legend_text,) = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend_text == "singular: σ_min/σ_max < 1e-06 or det J = 0"
    fig = ax.figure
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba(), dtype=int)[..., :3]
    q3 = np.degrees(_puma_elbow_q3())
    height = pixels.shape[0]
    # The elbow line: a red column at x = q3, over (almost) the whole height of the map.
    x_px, _ = ax.transData.transform((q3, 0.0))
    _, y_top = ax.transData.transform((q3, np.degrees(smap.y[-1])))
    _, y_bottom = ax.transData.transform((q3, np.degrees(smap.y[0])))
    column = pixels[height - int(y_top) + 3 : height - int(y_bottom) - 3, int(round(x_px))]
    red = (column[:, 0] > 200) & (column[:, 1] < 60) & (column[:, 2] < 60)
    assert red.mean() > 0.9
    plt.close(fig)


def test_cli_map_reports_the_singular_cells_and_refuses_bad_outputs(tmp_path, capsys):
    png = tmp_path / "m.png"
    assert main(["singular", "puma560", "ready", "--map", "2", "4", "--resolution", "21", "--out", str(png)]) == 0
    out = capsys.readouterr().out
    assert png.is_file() and "red: the" in out and "singular cells" in out
    for bad, why in (
        (tmp_path / "m.xyz", "got '.xyz'"),
        (tmp_path / "m", "got no suffix"),
        (tmp_path, "it is a directory"),
    ):
        assert main(["singular", "puma560", "--map", "0", "1", "--out", str(bad)]) == 1
        err = capsys.readouterr().err
        assert why in err and "Traceback" not in err
    assert not (tmp_path / "m.png").with_name("m.png").exists() or png.is_file()


def test_a_map_plot_into_something_not_axes_and_a_tolerance_given_as_text_are_refused():
    robot = rk.load("planar2r")
    sm = S.singularity_map(robot, resolution=4)
    with pytest.raises(OptionError, match="ax must be None or matplotlib Axes, got str 'x'"):
        sm.plot(ax="x")  # was AttributeError: 'str' object has no attribute 'pcolormesh'
    for bad in ("0.1", True, None):  # text was read with float(): "0.1" accepted, None a TypeError message
        with pytest.raises(OptionError, match=r"tol must be a number in \(0, 1\)"):
            S.is_singular(robot, np.zeros(2), tol=bad)
    assert bool(S.is_singular(robot, np.zeros(2), tol=np.float32(0.1)))  # NumPy reals still accepted
