"""robokin.validation and the boundary of the public functions: bad arguments get RobokinError kinds."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

import robokin
from robokin import kinematics, singularity, validation
from robokin.errors import OptionError, RobokinError, ShapeError


# ------------------------------------------------------------------------------------------ arrays
@pytest.mark.parametrize(
    "value, dtype_word",
    [
        (np.zeros(7, dtype=complex), "complex128"),
        (np.array([np.datetime64("2024-01-01")] * 7), "datetime64"),
        (np.array([datetime.timedelta(0)] * 7, dtype="timedelta64[s]"), "timedelta64"),
        (np.array([object()] * 7, dtype=object), "object"),
        (np.ones(7, dtype=bool), "bool"),
        (["a"] * 7, "<U1"),
    ],
)
def test_joint_vectors_refuse_everything_but_real_numbers(panda, value, dtype_word):
    with pytest.raises(
        ShapeError,
        match=rf"^q must be an array of numbers of shape \(\.\.\., 7\) \(real integers or "
        rf"floats\), got dtype {dtype_word}",
    ):
        panda.fk(value)


def test_masked_arrays_are_refused_not_silently_filled(panda):
    q = np.ma.masked_array(np.zeros(7), mask=[True] + [False] * 6)
    with pytest.raises(ShapeError, match=r"^q must be an array of numbers of shape \(\.\.\., 7\), got a masked array"):
        panda.fk(q)


def test_integers_are_real_numbers(panda):
    np.testing.assert_array_equal(panda.fk(np.zeros(7, dtype=np.int32)), panda.fk(np.zeros(7)))


def test_real_array_passes_float64_through_without_a_copy():
    a = np.zeros((3, 2))
    assert validation.real_array(a, "a") is a
    assert validation.real_array([1, 2], "a").dtype == np.float64


def test_vectors_name_the_argument_the_shape_and_what_came():
    with pytest.raises(ShapeError, match=r"^F must have shape \(\.\.\., 6\) \[f; m\], got shape \(5, 3\)$"):
        validation.vectors(np.zeros((5, 3)), "F", 6, " [f; m]")
    with pytest.raises(ShapeError, match=r"^F must be finite; found inf at index \(1,\)$"):
        validation.vectors([0, np.inf, 0], "F", 3)


def test_broadcast_batch_names_both_arguments():
    q, qd = np.zeros((5, 7)), np.zeros((3, 7))
    with pytest.raises(ShapeError, match=r"^the batch shapes of q \(5, 7\), qd \(3, 7\) do not broadcast"):
        validation.broadcast_batch(("q", q, 1), ("qd", qd, 1))
    assert validation.broadcast_batch(("q", np.zeros((4, 1, 7)), 1), ("qd", np.zeros((3, 7)), 1)) == (4, 3)


# ------------------------------------------------------------------------- the reproducers of issue 10
def test_jacobian_dot_with_batches_that_do_not_broadcast(panda):
    with pytest.raises(ShapeError, match=r"batch shapes of q \(5, 7\), qd \(3, 7\) do not broadcast"):
        kinematics.jacobian_dot(panda, np.zeros((5, 7)), np.zeros((3, 7)))


def test_jacobian_dot_broadcasts_like_numpy(panda):
    rng = np.random.default_rng(3)
    q, qd = rng.uniform(-1, 1, 7), rng.uniform(-1, 1, (4, 7))
    batched = kinematics.jacobian_dot(panda, q, qd)
    assert batched.shape == (4, 6, 7)
    for k in range(4):
        np.testing.assert_allclose(batched[k], kinematics.jacobian_dot(panda, q, qd[k]), rtol=0, atol=1e-13)


def test_tool_twist_broadcasts_q_against_qd_and_names_both_when_it_cannot(panda):
    rng = np.random.default_rng(4)
    q, qd = rng.uniform(-1, 1, 7), rng.uniform(-1, 1, (5, 7))
    twist = kinematics.tool_twist(panda, q, qd)
    assert twist.shape == (5, 6)
    np.testing.assert_allclose(twist, np.einsum("kj,nj->nk", panda.jacobian(q), qd), rtol=0, atol=1e-12)
    with pytest.raises(ShapeError, match=r"batch shapes of q \(2, 7\), qd \(5, 7\) do not broadcast"):
        kinematics.tool_twist(panda, np.zeros((2, 7)), qd)


def test_joint_torques_with_a_batch_of_wrenches(panda):
    rng = np.random.default_rng(5)
    q, F = rng.uniform(-1, 1, 7), rng.uniform(-1, 1, (5, 6))
    tau = kinematics.joint_torques(panda, q, F)
    assert tau.shape == (5, 7)
    np.testing.assert_allclose(tau, F @ panda.jacobian(q), rtol=0, atol=1e-12)
    with pytest.raises(ShapeError, match=r"batch shapes of q \(2, 7\), wrench \(5, 6\) do not broadcast"):
        kinematics.joint_torques(panda, np.zeros((2, 7)), F)
    with pytest.raises(ShapeError, match=r"^wrench must have shape \(\.\.\., 6\) \[f; m\], got shape \(5, 3\)$"):
        kinematics.joint_torques(panda, q, np.zeros((5, 3)))
    with pytest.raises(ShapeError, match=r"^wrench must be an array of numbers .* got dtype complex128"):
        kinematics.joint_torques(panda, q, np.zeros(6, dtype=complex))


@pytest.mark.parametrize("method", [np.array(["analytic"]), np.array("analytic"), None, 3])
def test_jacobian_method_must_be_a_string(panda, method):
    with pytest.raises(
        OptionError,
        match=r"^method must be one of 'analytic', 'forward', 'reverse', 'numeric'; "
        r"got (ndarray|NoneType|int) ",
    ):
        kinematics.jacobian(panda, np.zeros(7), method=method)


def test_frame_must_be_a_string(panda):
    with pytest.raises(OptionError, match=r"^frame must be one of 'world', 'tool', 'local'; got list \['world'\]$"):
        kinematics.jacobian_dot(panda, np.zeros(7), np.zeros(7), frame=["world"])


def test_is_singular_rows_none(panda):
    with pytest.raises(
        OptionError,
        match=r"^rows must be one of 'auto', 'all', 'translation', 'rotation' or row "
        r"indices; got NoneType None$",
    ):
        singularity.is_singular(panda, np.zeros(7), rows=None)


@pytest.mark.parametrize("rows", [[0.5, 1.5], (0.0, 1.0), [True, False], [0, 6], [1, 1], []])
def test_float_bool_and_bad_rows_are_refused_not_truncated(panda, rows):
    with pytest.raises(OptionError, match=r"^rows must be distinct integer indices in 0\.\.5, got "):
        singularity.is_singular(panda, np.zeros(7), rows=rows)
    with pytest.raises(OptionError, match=r"^rows must be distinct integer indices in 0\.\.5, got "):
        robokin.measures.manipulability(np.zeros((6, 7)), rows=rows)


def test_numpy_integer_rows_are_indices(panda):
    q = np.full(7, 0.3)
    assert singularity.is_singular(panda, q, rows=np.array([0, 1, 2])) == singularity.is_singular(
        panda, q, rows=[0, 1, 2]
    )


@pytest.mark.parametrize("joints", [(0.7, 1.2), (1.0, 2.0), (1,), (1, 2, 3), "12", (1, 7), (2, 2)])
def test_singularity_map_joints_must_be_two_distinct_integers(panda, joints):
    with pytest.raises(OptionError, match=r"^joints of 'panda' must be 2 distinct integer indices in 0\.\.6, got "):
        singularity.singularity_map(panda, joints, resolution=3)


@pytest.mark.parametrize("ranges, got", [(((0, 1),), r"\(1, 2\)"), ((0, 1, 2, 3), r"\(4,\)")])
def test_singularity_map_ranges_must_be_two_pairs(panda, ranges, got):
    with pytest.raises(
        ShapeError,
        match=rf"^ranges must be \(\(lo_i, hi_i\), \(lo_j, hi_j\)\) \[rad, m\], shape "
        rf"\(2, 2\), got shape {got}$",
    ):
        singularity.singularity_map(panda, (1, 3), resolution=3, ranges=ranges)
    with pytest.raises(ShapeError, match=r"^ranges must be finite; found nan at index \(1, 0\)$"):
        singularity.singularity_map(panda, (1, 3), resolution=3, ranges=((0, 1), (np.nan, 1)))
    for empty in (((0, 0), (0, 1)), ((1, 0), (0, 1))):  # zero width, or reversed: drawn as a map of one column
        with pytest.raises(OptionError, match=r"^ranges must have lo < hi for each joint, got \[\["):
            singularity.singularity_map(panda, (1, 3), resolution=3, ranges=empty)


@pytest.mark.parametrize("resolution", [[[1, 2], [3]], 1.5, (3,), True])
def test_singularity_map_resolution(panda, resolution):
    with pytest.raises(OptionError, match=r"^resolution must be an int or two ints in 2\.\.1000, got "):
        singularity.singularity_map(panda, (1, 3), resolution=resolution)


def test_singularity_map_ranges_are_used(panda):
    smap = singularity.singularity_map(panda, (1, 3), resolution=3, ranges=((0, 1), (-1, 0)))
    np.testing.assert_array_equal(smap.x, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(smap.y, [-1.0, -0.5, 0.0])


@pytest.mark.parametrize("progress", [5, True, "yes"])
def test_find_singular_progress_must_be_a_callable(panda, progress):
    with pytest.raises(OptionError, match=r"^progress must be None or a callable, got "):
        singularity.find_singular(panda, starts=1, max_iter=1, progress=progress)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True, [1]])
def test_find_singular_checks_the_seed_up_front(panda, seed):
    with pytest.raises(OptionError, match=r"^seed must be None, an integer >= 0 or a numpy\.random\.Generator, got "):
        singularity.find_singular(panda, starts=1, max_iter=1, seed=seed)


def test_seed_accepts_none_integers_and_generators():
    g = np.random.default_rng(1)
    assert validation.seed(None) is None and validation.seed(np.int64(3)) == 3 and validation.seed(g) is g
    assert validation.rng(g) is g
    np.testing.assert_array_equal(validation.rng(7).random(3), np.random.default_rng(7).random(3))


def test_progress_as_a_flag():
    assert validation.progress(True, flag=True) is True and validation.progress(None) is None
    with pytest.raises(OptionError, match=r"^progress must be None, a bool or a callable, got int 1$"):
        validation.progress(1, flag=True)


def test_index_list_refuses_text_and_scalars():
    with pytest.raises(OptionError, match=r"^joints must be 2 distinct integer indices in 0\.\.3, got int 1$"):
        validation.index_list(1, "joints", 4, count=2)
    assert validation.index_list((np.int8(3), 0), "joints", 4, count=2) == [3, 0]
    assert validation.index_list([1, 1], "rows", 4, distinct=False) == [1, 1]


def test_every_reproducer_raises_a_robokin_error(panda):
    """Issue 10 item 7, one line each (ik.dls_step is the IK's own)."""
    q = np.zeros(7)
    calls = [
        lambda: kinematics.jacobian_dot(panda, np.zeros((5, 7)), np.zeros((3, 7))),
        lambda: kinematics.tool_twist(panda, np.zeros((2, 7)), np.zeros((5, 7))),
        lambda: kinematics.joint_torques(panda, np.zeros((2, 7)), np.zeros((5, 6))),
        lambda: singularity.is_singular(panda, q, rows=None),
        lambda: singularity.singularity_map(panda, ranges=((0, 1),)),
        lambda: singularity.find_singular(panda, progress=5),
        lambda: kinematics.jacobian(panda, q, method=np.array("analytic")),
        lambda: singularity.is_singular(panda, q, rows=[0.5, 1.5]),
        lambda: singularity.singularity_map(panda, joints=(0.7, 1.2)),
        lambda: singularity.find_singular(panda, seed=-1),
        lambda: panda.fk(np.zeros(7, dtype=complex)),
        lambda: panda.fk(np.ma.masked_array(q)),
    ]
    for call in calls:
        with pytest.raises(RobokinError, match=r"must"):
            call()


@pytest.mark.parametrize("bad", [None, 3, b"ur5.yaml", ["ur5"]])
def test_every_file_reader_and_writer_refuses_a_path_that_is_not_one(bad, tmp_path):
    """None, a number, bytes or a list as a path: our OptionError naming the argument, not os.fspath's TypeError."""
    from robokin.format import load_yaml

    ur5 = robokin.load("ur5")
    shown = f"got {type(bad).__name__} "
    with pytest.raises(OptionError, match=rf"name_or_path must be a bundled robot name or a file path .*{shown}"):
        robokin.load(bad)
    for read in (load_yaml, robokin.load_urdf, robokin.describe_urdf):
        with pytest.raises(OptionError, match=rf"path must be a file path \(str or os.PathLike\), {shown}"):
            read(bad)
    with pytest.raises(OptionError, match=rf"path must be a file path \(str or os.PathLike\), {shown}"):
        robokin.save(ur5, bad)
    with pytest.raises(OptionError, match=r"name_or_path must be .*got Robot"):
        robokin.load(ur5)


def test_a_path_starting_with_a_tilde_is_in_the_home_folder(tmp_path, monkeypatch):
    """``robokin.load("~/arm.yaml")`` reads the file in the home folder, as a shell would (review8: it said
    "no such file" for a file that exists); writers and the map reader expand it too."""
    from robokin import workspace

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    assert validation.file_path("~/a/b.yaml") == str(home / "a" / "b.yaml")
    assert validation.file_path("a/~b.yaml") == "a/~b.yaml"  # only a leading ~ is the home folder
    robot = robokin.load("planar2r")
    robokin.save(robot, "~/arm.yaml")
    assert (home / "arm.yaml").is_file()
    again = robokin.load("~/arm.yaml")
    assert again.name == "planar2r" and np.array_equal(again.fk([0.3, 0.4]), robot.fk([0.3, 0.4]))
    with pytest.raises(robokin.RobotFormatError, match="no such file"):
        robokin.load("~/missing.yaml")
    cmap = workspace.capability_map(robot, samples=200, voxel=0.5, directions=4, seed=0)
    cmap.save("~/map.npz")
    assert (home / "map.npz").is_file()
    assert np.array_equal(workspace.load_map("~/map.npz").counts, cmap.counts)
