"""Tests of robokin.viz and the `animate` / `teach` commands, headless (Agg).

What is drawn is read back from the artists (``Line3D.get_data_3d``) and from rendered pixels, and held to
the closed-form planar 2R arm, to ``fk`` and to the geometry of the link elbows; GIFs are decoded with
Pillow. matplotlib deprecation warnings are errors here: robokin uses only matplotlib's current API.
"""

from __future__ import annotations

import gc

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.animation import AbstractMovieWriter  # noqa: E402
from PIL import Image  # noqa: E402

import robokin  # noqa: E402
from robokin import trajectory, viz  # noqa: E402
from robokin.cli import main  # noqa: E402
from robokin.errors import OptionError, RobokinError, ShapeError  # noqa: E402
from robokin.model import Joint, Robot  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("error::matplotlib.MatplotlibDeprecationWarning"),
]

L1, L2 = 1.0, 0.5


def animate(robot, q_path, **kwargs):
    """``viz.animate`` and one rendering of its figure (its first frame): an animation these tests only look
    at is still rendered once, as a user's would be, so matplotlib never warns that one was deleted without
    rendering anything (that warning is not filtered here)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    anim = viz.animate(robot, q_path, **kwargs)
    FigureCanvasAgg(anim.ax.figure).draw()  # an offscreen figure's own canvas draws nothing
    return anim


def planar2r() -> Robot:
    """A planar 2R arm built in code: links L1, L2 along x, both axes along z."""
    return Robot(
        name="test2r",
        joints=(
            Joint("j1", "revolute", "dh", dh=(L1, 0.0, 0.0, 0.0)),
            Joint("j2", "revolute", "dh", dh=(L2, 0.0, 0.0, 0.0)),
        ),
    )


def tool_2r(q) -> np.ndarray:
    """Closed-form tool position (..., 3) of the planar 2R arm [m]."""
    q = np.asarray(q, dtype=float)
    c1, s1 = np.cos(q[..., 0]), np.sin(q[..., 0])
    c12, s12 = np.cos(q[..., 0] + q[..., 1]), np.sin(q[..., 0] + q[..., 1])
    return np.stack([L1 * c1 + L2 * c12, L1 * s1 + L2 * s12, np.zeros_like(c1)], axis=-1)


def line(ax, gid: str):
    found = [a for a in ax.lines if a.get_gid() == gid]
    assert len(found) == 1, f"expected one artist with gid {gid!r}, found {len(found)}"
    return found[0]


def xyz(artist) -> np.ndarray:
    return np.stack([np.asarray(c, dtype=float) for c in artist.get_data_3d()], axis=-1)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ----------------------------------------------------------------------------------------- plot
def test_plot_planar2r_matches_the_closed_form():
    robot = planar2r()
    q = np.array([0.7, -1.1])
    ax = viz.plot(robot, q)
    links = xyz(line(ax, "links"))
    np.testing.assert_allclose(links[0], [0.0, 0.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(links[-1], tool_2r(q), atol=1e-12)
    # The polyline passes through the elbow at (L1 cos q1, L1 sin q1, 0).
    elbow = [L1 * np.cos(q[0]), L1 * np.sin(q[0]), 0.0]
    assert np.min(np.linalg.norm(links - elbow, axis=-1)) < 1e-12
    joints = xyz(line(ax, "joints"))
    np.testing.assert_allclose(joints, [[0.0, 0.0, 0.0], elbow], atol=1e-12)
    # Tool triad: x axis along the second link, starting at the tool.
    tool_x = xyz(line(ax, "tool-x"))
    np.testing.assert_allclose(tool_x[0], tool_2r(q), atol=1e-12)
    direction = (tool_x[1] - tool_x[0]) / np.linalg.norm(tool_x[1] - tool_x[0])
    np.testing.assert_allclose(direction, [np.cos(q.sum()), np.sin(q.sum()), 0.0], atol=1e-12)
    # Equal aspect, limits ± the reach (L1 + L2) around the base.
    for get in (ax.get_xlim, ax.get_ylim, ax.get_zlim):
        np.testing.assert_allclose(get(), (-(L1 + L2), L1 + L2))


def test_plot_tool_equals_fk_for_every_bundled_robot(robot):
    for name, q in robot.configurations.items():
        ax = viz.plot(robot, q)
        links = xyz(line(ax, "links"))
        np.testing.assert_allclose(links[-1], robot.fk(q)[:3, 3], atol=1e-12, err_msg=name)
        np.testing.assert_allclose(links[0], robot.chain.T_world_base[:3, 3], atol=1e-12)
        # The whole arm fits in the axes' limits.
        lo = np.array([ax.get_xlim()[0], ax.get_ylim()[0], ax.get_zlim()[0]])
        hi = np.array([ax.get_xlim()[1], ax.get_ylim()[1], ax.get_zlim()[1]])
        assert np.all(links >= lo - 1e-9) and np.all(links <= hi + 1e-9), name
        plt.close(ax.figure)


def test_skeleton_links_leave_each_joint_across_then_along_its_axis(robot):
    """The elbow before joint j: (P_j − elbow) ∥ z_j and (elbow − O_prev) ⟂ z_j, for random configurations."""
    rng = np.random.default_rng(7)
    lo, hi = robot.limits.T
    q = rng.uniform(np.where(np.isfinite(lo), lo, -np.pi), np.where(np.isfinite(hi), hi, np.pi), (5, robot.n))
    sk = viz.skeleton(robot, q)
    assert sk.links.shape[0] == 5 and sk.joints.shape == (5, robot.n, 3)
    np.testing.assert_allclose(sk.links[:, -1], robot.fk(q)[:, :3, 3], atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(sk.axes, axis=-1), 1.0, atol=1e-12)
    # The documented order of the polyline: base, then per moving joint (elbow before, P_j, elbow after,
    # O_j), per fixed joint O_j, then the tool.
    k, j = 1, 0
    for joint in robot.joints:
        if not joint.moving:
            k += 1
            continue
        before, P, after, O = (sk.links[:, k + i] for i in range(4))
        O_prev = sk.links[:, k - 1]
        z = sk.axes[:, j]
        np.testing.assert_allclose(P, sk.joints[:, j], atol=1e-15)
        np.testing.assert_allclose(np.cross(P - before, z), 0.0, atol=1e-9)  # along the axis
        np.testing.assert_allclose(np.sum((before - O_prev) * z, axis=-1), 0.0, atol=1e-9)  # across it
        np.testing.assert_allclose(np.cross(after - P, z), 0.0, atol=1e-9)
        np.testing.assert_allclose(np.sum((O - after) * z, axis=-1), 0.0, atol=1e-9)
        k, j = k + 4, j + 1
    assert k == sk.links.shape[1] - 1


def test_plot_errors():
    robot = planar2r()
    with pytest.raises(ShapeError, match=r"plot draws one configuration: q must have shape \(2,\)"):
        viz.plot(robot, np.zeros((3, 2)))
    with pytest.raises(ShapeError, match=r"q must have shape \(\.\.\., 2\)"):
        viz.plot(robot, np.zeros(3))
    fig = plt.figure()
    with pytest.raises(OptionError, match="ax must be a 3D Axes"):
        viz.plot(robot, np.zeros(2), ax=fig.add_subplot())


# ----------------------------------------------------------------------------------------- animate
class RecordingWriter(AbstractMovieWriter):
    """A movie writer (matplotlib's public extension point) that keeps what each frame shows."""

    def __init__(self, ax):
        super().__init__(fps=10)
        self.ax = ax
        self.tools, self.links, self.pixels, self.status = [], [], [], []

    def setup(self, fig, outfile, dpi=None):
        super().setup(fig, outfile, dpi=dpi)

    def grab_frame(self, **savefig_kwargs):
        self.fig.canvas.draw()
        self.tools.append(xyz(line(self.ax, "tool-x"))[0])
        self.links.append(xyz(line(self.ax, "links")))
        self.pixels.append(np.asarray(self.fig.canvas.buffer_rgba())[..., :3].copy())
        self.status.append([t for t in self.ax.texts if t.get_gid() == "status"][0].get_text())

    def finish(self):
        pass


def test_animate_frames_show_fk_and_differ_where_the_arm_moves(tmp_path):
    robot = planar2r()
    q_path = np.array([[0.0, 0.5], [0.3, 0.5], [0.6, 0.2], [0.6, 0.2], [0.9, -0.4]])
    anim = animate(robot, q_path, fps=5, trail=True)
    assert anim.n_frames == 5 and anim.fps == 5
    rec = RecordingWriter(anim.ax)
    anim.save(str(tmp_path / "unused"), writer=rec)
    assert len(rec.tools) == 5
    np.testing.assert_allclose(np.array(rec.tools), tool_2r(q_path), atol=1e-12)
    np.testing.assert_allclose(np.array([links[-1] for links in rec.links]), tool_2r(q_path), atol=1e-12)
    # Consecutive frames differ in pixels; the arm's artists are identical where q repeats (frames 3, 4).
    for i in range(4):
        assert np.any(rec.pixels[i] != rec.pixels[i + 1]), f"frames {i} and {i + 1} are identical"
    np.testing.assert_array_equal(rec.links[2], rec.links[3])
    assert not np.array_equal(rec.links[1], rec.links[2])
    assert rec.status[0].startswith("frame   1/5")
    # The trail holds the tool positions up to the current frame.
    np.testing.assert_allclose(xyz(line(anim.ax, "trail")), tool_2r(q_path), atol=1e-12)


def test_animate_warns_near_a_singularity():
    robot = planar2r()
    # q2 passes through 0 (the stretched arm is singular).
    q_path = np.stack([np.full(7, 0.2), np.linspace(0.9, -0.9, 7)], axis=-1)
    anim = animate(robot, q_path)
    # σ_min/σ_max of [v/L; ω] J for the 2R x-y task vanishes with sin q2.
    assert anim.near_singular.tolist() == [False, False, False, True, False, False, False]
    assert anim.inverse_condition[3] < 1e-12
    anim.draw_frame(3)
    assert line(anim.ax, "links").get_color() == viz.WARN_COLOR
    status = [t for t in anim.ax.texts if t.get_gid() == "status"][0]
    assert status.get_text().startswith("NEAR SINGULARITY")
    anim.draw_frame(0)
    assert line(anim.ax, "links").get_color() == viz.LINK_COLOR


def test_animate_ellipsoid_is_the_velocity_ellipse_of_the_2r_arm():
    robot = planar2r()
    q = np.array([0.0, np.pi / 2])
    anim = animate(robot, q[None], ellipsoid=True)
    shell = xyz(line(anim.ax, "ellipsoid"))
    shell = shell[np.isfinite(shell).all(axis=-1)]
    d = (shell - tool_2r(q)) / anim.ellipsoid_scale
    np.testing.assert_allclose(d[:, 2], 0.0, atol=1e-12)  # the planar arm's ellipsoid is flat
    # By hand: J_v = [[-L1 s1 - L2 s12, -L2 s12], [L1 c1 + L2 c12, L2 c12]] = [[-0.5, -0.5], [1, 0]],
    # A = J_v J_vᵀ = [[0.5, -0.5], [-0.5, 1]], A⁻¹ = [[4, 2], [2, 2]]; the ellipse is {d : dᵀ A⁻¹ d <= 1}.
    quad = np.einsum("pi,ij,pj->p", d[:, :2], np.array([[4.0, 2.0], [2.0, 2.0]]), d[:, :2])
    assert quad.max() == pytest.approx(1.0, abs=1e-9)
    assert np.all(quad <= 1.0 + 1e-9)
    # Its largest semi-axis is ELLIPSOID_FRACTION of the reach when drawn.
    largest = np.linalg.norm(shell - tool_2r(q), axis=-1).max()
    assert largest == pytest.approx(viz.ELLIPSOID_FRACTION * (L1 + L2), rel=1e-3)


def test_animate_errors():
    robot = planar2r()
    with pytest.raises(ShapeError, match=r"q_path must have shape \(frames, 2\)"):
        animate(robot, np.zeros(2))
    with pytest.raises(OptionError, match="fps must be a positive number"):
        animate(robot, np.zeros((3, 2)), fps=0)
    with pytest.raises(OptionError, match="limits must be one of 'reach', 'motion'"):
        animate(robot, np.zeros((3, 2)), limits="tight")
    with pytest.raises(ShapeError, match=r"targets must have shape \(k, 3\)"):
        animate(robot, np.zeros((3, 2)), targets=[1.0, 2.0])
    # Beyond MAX_FRAMES: refused before any geometry is computed (10⁶ frames raised NumPy's MemoryError).
    many = np.broadcast_to(np.zeros(2), (viz.MAX_FRAMES + 1, 2))
    with pytest.raises(ShapeError, match=r"with 1 <= frames <= MAX_FRAMES = 100000, got \(100001, 2\)"):
        animate(robot, many)


# ----------------------------------------------------------------------------------------- save
def test_save_gif_decodes_with_the_expected_frames(tmp_path, capsys):
    robot = robokin.load("panda")
    path = trajectory.quintic(robot, robot.configurations["home"], robot.configurations["reach"], steps=6)
    anim = animate(robot, path.q, fps=10, ellipsoid=True, ax=viz.axes3d((3.0, 3.0), offscreen=True))
    written = viz.save(anim, tmp_path / "arm.gif", dpi=50)
    assert written == tmp_path / "arm.gif" and anim.saved_to == written
    with Image.open(written) as im:
        assert im.format == "GIF" and im.n_frames == 6 and im.size == (150, 150)
        frames = []
        for i in range(im.n_frames):
            im.seek(i)
            frames.append(np.asarray(im.convert("RGB"), dtype=int))
            assert im.info["duration"] == 100  # [ms] per frame at 10 fps (GIF stores 10 ms units)
    for a, b in zip(frames, frames[1:]):
        assert np.abs(a - b).sum() > 0
    err = capsys.readouterr().err
    assert err == "rendering arm.gif: 6/6 frames\n"  # stderr is not a terminal here: one final line


def test_saved_gif_shows_the_singularity_warning_in_red(tmp_path):
    robot = planar2r()
    q_path = np.array([[0.2, 1.2], [0.2, 0.0]])  # an ordinary pose, then the stretched (singular) arm
    anim = animate(robot, q_path, ax=viz.axes3d((3.0, 3.0), offscreen=True))
    viz.save(anim, tmp_path / "warn.gif", dpi=60, progress=False)
    red = []
    with Image.open(tmp_path / "warn.gif") as im:
        for i in range(2):
            im.seek(i)
            rgb = np.asarray(im.convert("RGB"), dtype=int)
            # Pixels of the warning colour #cc0000 (the triads' red #d62728 is 56 away, excluded).
            red.append(int((np.linalg.norm(rgb - [204, 0, 0], axis=-1) < 30).sum()))
    # Frame 0: at most the legend's sample stroke of the warning colour (13 px at this size, when the GIF's
    # palette keeps #cc0000 exact); frame 1: the red links and the NEAR SINGULARITY label besides.
    assert red[0] <= 15 and red[1] > red[0] + 50, red


def test_save_mp4_without_ffmpeg_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setitem(matplotlib.rcParams, "animation.ffmpeg_path", str(tmp_path / "no-such-ffmpeg"))
    anim = animate(planar2r(), np.zeros((2, 2)))
    with pytest.raises(RobokinError, match=r"needs the ffmpeg program.*apt-get install ffmpeg.*\.gif instead"):
        viz.save(anim, tmp_path / "arm.mp4")
    assert not (tmp_path / "arm.mp4").exists()


@pytest.mark.skipif(not matplotlib.animation.writers.is_available("ffmpeg"), reason="ffmpeg is not installed")
def test_save_mp4_with_ffmpeg(tmp_path):
    anim = animate(planar2r(), np.array([[0.0, 0.5], [0.5, 0.5], [1.0, 0.2]]))
    out = viz.save(anim, tmp_path / "arm.mp4", progress=False)
    assert out.stat().st_size > 1000


def test_save_errors(tmp_path):
    anim = animate(planar2r(), np.zeros((2, 2)))
    with pytest.raises(OptionError, match=r"the file suffix must be one of '\.gif', '\.mp4'; got '\.png'"):
        viz.save(anim, tmp_path / "arm.png")
    with pytest.raises(OptionError, match="fps must be a positive number"):
        viz.save(anim, tmp_path / "arm.gif", fps=-1)
    # dpi 0, -1 or NaN reached matplotlib as an IndexError; not an animation, or no path: AttributeError/TypeError.
    for dpi in (0, -1.0, float("nan"), True, "80"):
        with pytest.raises(OptionError, match=r"dpi must be a positive number of dots per inch, got \w+ "):
            viz.save(anim, tmp_path / "arm.gif", dpi=dpi)
    with pytest.raises(OptionError, match="anim must be a matplotlib Animation .*got int"):
        viz.save(3, tmp_path / "arm.gif")
    with pytest.raises(OptionError, match=r"path must be a file path \(str or os.PathLike\), got NoneType"):
        viz.save(anim, None)
    assert list(tmp_path.iterdir()) == []


def test_animate_refuses_flags_and_thresholds_of_the_wrong_kind():
    robot = planar2r()
    for name in ("trail", "ellipsoid", "floor", "legend"):
        with pytest.raises(OptionError, match=rf"{name} must be True or False, got str 'yes'"):
            animate(robot, np.zeros((2, 2)), **{name: "yes"})
    for value in (-0.1, 2.0, float("nan"), "0.05"):
        with pytest.raises(OptionError, match=r"near_singular must be a number in \[0, 1\]"):
            animate(robot, np.zeros((2, 2)), near_singular=value)


def test_progress_bar_text():
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    bar = viz.progress_bar("x.gif", stream=out, width=10)
    for i in range(4):
        bar(i, 4)
    text = out.getvalue()
    assert text.endswith("x.gif [##########] 4/4 frames\n")
    # floor(10 · k / 4) marks after frame k
    assert "\rx.gif [##........] 1/4 frames\rx.gif [#####.....] 2/4 frames\rx.gif [#######...] 3/4" in text
    # Not a terminal (a log file, a pipe): no carriage returns, one final line.
    log = io.StringIO()
    bar = viz.progress_bar("x.gif", stream=log, width=10)
    for i in range(4):
        bar(i, 4)
    assert log.getvalue() == "x.gif: 4/4 frames\n"


# ----------------------------------------------------------------------------------------- teach
def test_teach_sliders_move_the_arm_and_the_readout():
    robot = planar2r()
    fig = viz.teach(robot, [0.0, 0.0])
    sliders = fig.robokin_sliders
    assert [s.label.get_text() for s in sliders] == ["j1", "j2"]
    sliders[1].set_val(90.0)  # degrees
    np.testing.assert_allclose(fig.robokin_q(), [0.0, np.pi / 2])
    ax = [a for a in fig.axes if a.name == "3d"][0]
    np.testing.assert_allclose(xyz(line(ax, "links"))[-1], [1.0, 0.5, 0.0], atol=1e-12)
    readout = [t for t in fig.texts if t.get_gid() == "readout"][0].get_text()
    assert "1.0000   0.5000   0.0000" in readout
    assert "NEAR SINGULARITY" not in readout
    sliders[1].set_val(0.0)  # stretched: singular
    assert "NEAR SINGULARITY" in [t for t in fig.texts if t.get_gid() == "readout"][0].get_text()


def test_teach_command_needs_a_display(capsys):
    assert main(["teach", "planar2r"]) == 1
    err = capsys.readouterr().err
    assert (
        "teach opens an interactive window, but matplotlib's backend is 'agg'" in err.lower()
        or "teach opens an interactive window, but matplotlib's backend is" in err
    )
    assert "MPLBACKEND=TkAgg" in err


# ----------------------------------------------------------------------------------------- CLI animate
def test_animate_command_joint_space(tmp_path, capsys):
    out = tmp_path / "arm.gif"
    assert (
        main(
            [
                "animate",
                "planar2r",
                "--from",
                "0",
                "0.5",
                "--to",
                "1",
                "0",
                "--frames",
                "4",
                "--out",
                str(out),
                "--ellipsoid",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "quintic joint motion" in text and f"wrote {out}" in text
    with Image.open(out) as im:
        assert im.n_frames == 4


def test_animate_command_line(tmp_path, capsys):
    out = tmp_path / "line.gif"
    assert (
        main(
            [
                "animate",
                "panda",
                "--line",
                "0.45",
                "0.1",
                "0.5",
                "--frames",
                "5",
                "--out",
                str(out),
                "--limits",
                "motion",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "straight line of the tool" in text and "largest distance of the tool from the line" in text
    distance = float(text.split("from the line: ")[1].split(" m")[0])
    assert distance < 1e-5
    with Image.open(out) as im:
        assert im.n_frames == 5


def test_animate_command_errors(tmp_path, capsys):
    assert main(["animate", "planar2r", "--to", "1", "--out", str(tmp_path / "a.gif")]) == 1
    assert "--to needs 2 values" in capsys.readouterr().err
    assert main(["animate", "planar2r", "--to", "zero", "--out", str(tmp_path / "a.png")]) == 1
    assert "the animation must be a file name ending in .gif, .mp4 (got '.png')" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["animate", "planar2r", "--to", "zero", "--line", "1", "0", "0"])


# ----------------------------------------------------------------------------------------- trees: teach, animate
HANDS = ("left_gripper", "right_gripper")


def _readout(fig) -> str:
    return [t for t in fig.texts if t.get_gid() == "readout"][0].get_text()


def test_teach_on_a_dual_arm_robot_shows_both_hands_and_their_stacked_measure():
    from robokin import singularity

    robot = robokin.load("baxter")
    # The right arm in a singular posture (found for the left arm, mirrored), the left arm at neutral.
    q = robot.configurations["neutral"].copy()
    q[7:] = singularity.find_singular(robot, starts=3, seed=1, link="left_gripper").q[0][:7]
    fig = viz.teach(robot, q)  # no default link: both end effectors are watched
    text = _readout(fig)
    assert "σmin/σmax = 0.000" in text and "NEAR SINGULARITY" in text and "(2 links stacked)" in text
    fig.robokin_sliders[10].set_val(np.degrees(0.75))  # right_e1 to its neutral value
    q = fig.robokin_q()
    text = _readout(fig)
    for hand in HANDS:
        block = text.split(f"{hand} pose (world)")[1]
        shown = [float(v) for v in block.split("x y z [m]")[1].split("\n")[0].split()]
        np.testing.assert_allclose(shown, robot.fk(q, link=hand)[:3, 3], atol=1e-4)
    ic = float(singularity.inverse_condition(robot, q, link=list(HANDS)))
    assert f"σmin/σmax = {ic:.3f}" in text and ic > 1e-4  # moved off the singular posture
    ax = [a for a in fig.axes if a.name == "3d"][0]
    np.testing.assert_allclose(xyz(line(ax, "tool-x"))[0], robot.fk(q, link="left_gripper")[:3, 3], atol=1e-12)
    fig = viz.teach(robot, link="right_gripper")
    text = _readout(fig)
    assert "right_gripper pose (world)" in text and "left_gripper" not in text and "stacked" not in text
    ax = [a for a in fig.axes if a.name == "3d"][0]
    T = robot.fk(fig.robokin_q(), link="right_gripper")
    np.testing.assert_allclose(xyz(line(ax, "tool-x"))[0], T[:3, 3], atol=1e-12)
    with pytest.raises(OptionError, match=r"link must be a frame of robot 'baxter' .*got 'right_hand_tcp'"):
        viz.teach(robot, link="right_hand_tcp")


def test_plot_a_tree_with_the_triad_at_a_chosen_link():
    robot = robokin.load("baxter")
    q = robot.configurations["neutral"]
    for link in HANDS:
        ax = viz.plot(robot, q, link=link)
        np.testing.assert_allclose(xyz(line(ax, "tool-x"))[0], robot.fk(q, link=link)[:3, 3], atol=1e-12)
        plt.close(ax.figure)
    ax = viz.plot(robot, q)  # no --link: the first end effector
    np.testing.assert_allclose(xyz(line(ax, "tool-x"))[0], robot.fk(q, link="left_gripper")[:3, 3], atol=1e-12)
    with pytest.raises(OptionError, match=r"link must be a frame of robot 'baxter' .*got 'gripper'"):
        viz.plot(robot, q, link="gripper")


def test_animate_a_tree_watches_the_chosen_links():
    from robokin import singularity

    robot = robokin.load("baxter")
    path = trajectory.quintic(robot, robot.configurations["neutral"], robot.configurations["zero"], steps=4).q
    anim = animate(robot, path, ax=viz.axes3d(offscreen=True))
    assert anim.links == HANDS
    np.testing.assert_allclose(anim.inverse_condition, singularity.inverse_condition(robot, path, link=list(HANDS)))
    anim.draw_frame(2)  # each hand's trail up to frame 3, the second one dashed
    np.testing.assert_allclose(xyz(line(anim.ax, "trail")), robot.fk(path[:3], link=HANDS[0])[:, :3, 3], atol=1e-12)
    second = line(anim.ax, "trail-right_gripper")
    np.testing.assert_allclose(xyz(second), robot.fk(path[:3], link=HANDS[1])[:, :3, 3], atol=1e-12)
    assert second.get_linestyle() == "--" and second.get_label() == "right_gripper path (trail)"
    anim = animate(robot, path, link="right_gripper", ax=viz.axes3d(offscreen=True), ellipsoid=True)
    assert anim.links == ("right_gripper",)
    np.testing.assert_allclose(anim.inverse_condition, singularity.inverse_condition(robot, path, link="right_gripper"))
    anim.draw_frame(3)
    trail = xyz(line(anim.ax, "trail"))
    np.testing.assert_allclose(trail, robot.fk(path, link="right_gripper")[:, :3, 3], atol=1e-12)
    assert line(anim.ax, "trail").get_label() == "right_gripper path (trail)"
    with pytest.raises(OptionError, match=r"link names frame 'left_gripper' twice"):
        animate(robot, path, link=["left_gripper", "left_gripper"])


def test_animate_command_line_of_a_tree_link(tmp_path, capsys):
    robot = robokin.load("baxter")
    start = robot.fk(robot.configurations["neutral"], link="right_gripper")[:3, 3]
    goal = [f"{v:.4f}" for v in start + [-0.05, 0.05, 0.05]]
    out = tmp_path / "line.gif"
    argv = ["animate", "baxter", "--line", *goal, "--frames", "4", "--out", str(out)]
    assert main([*argv, "--link", "right_gripper"]) == 0
    text = capsys.readouterr().out
    assert "straight line of right_gripper from [" in text and "IK did not converge" not in text
    assert float(text.split("from the line: ")[1].split(" m")[0]) < 1e-5
    assert "smallest σmin/σmax of [v/L; ω] J of right_gripper:" in text
    with Image.open(out) as im:
        assert im.n_frames == 4
    assert main(argv) == 1  # which hand? the robot has two end effectors
    assert "2 end effectors (left_gripper, right_gripper): choose one with --link FRAME" in capsys.readouterr().err
    # A tree with a default link (the Panda hand's tool) needs no --link; --to watches both hands of Baxter.
    assert main(["animate", "panda_hand", "--line", "0.4", "0.05", "0.5", "--frames", "3", "--out", str(out)]) == 0
    assert "straight line of the tool" in capsys.readouterr().out
    assert main(["animate", "baxter", "--to", "zero", "--frames", "3", "--out", str(out)]) == 0
    assert "J of left_gripper + right_gripper:" in capsys.readouterr().out


# ----------------------------------------------------------------------------------------- framing (issue 11, 7)
def _pixels(fig) -> np.ndarray:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)  # the offscreen figures have no canvas of their own
    canvas.draw()
    return np.asarray(canvas.buffer_rgba(), dtype=int)[..., :3]


def _color_mask(pixels: np.ndarray, hex_color: str, tol: int = 40) -> np.ndarray:
    rgb = np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)])
    return np.abs(pixels - rgb).max(axis=-1) <= tol


def test_default_framing_makes_the_arm_fill_the_picture():
    """The Panda's links span most of the picture's height, not ~15 %, and nothing is below the floor."""
    robot = robokin.load("panda")
    path = trajectory.quintic(robot, robot.configurations["home"], robot.configurations["reach"], steps=5)
    anim = animate(robot, path.q, ax=viz.axes3d(offscreen=True))
    ax = anim.ax
    assert ax.get_zlim()[0] == pytest.approx(0.0, abs=1e-12)  # the floor (the base is on z = 0)
    links = np.concatenate([viz.skeleton(robot, q).links for q in path.q])
    for k, get in enumerate((ax.get_xlim, ax.get_ylim, ax.get_zlim)):
        lo, hi = get()
        assert lo <= links[:, k].min() and links[:, k].max() <= hi
        # tight: the arm's extent is at least half of the box along every axis it moves in
        extent = np.ptp(links[:, k])
        assert extent >= 0.5 * (hi - lo) or extent < 0.05
    rows = np.nonzero(_color_mask(_pixels(ax.figure), viz.LINK_COLOR).any(axis=1))[0]
    height = ax.figure.get_size_inches()[1] * ax.figure.dpi
    assert (rows.max() - rows.min()) > 0.35 * height  # the arm at frame 0 alone, drawn in LINK_COLOR


def test_floor_and_pedestal_under_a_raised_base():
    robot = robokin.load("puma560")  # its base is 0.67 m above the floor
    anim = animate(robot, robot.configurations["ready"][None], ax=viz.axes3d(offscreen=True))
    pedestal = xyz(line(anim.ax, "pedestal"))
    np.testing.assert_allclose(pedestal[:, 2], [0.0, robot.chain.T_world_base[2, 3]])
    floor = xyz(line(anim.ax, "floor"))
    assert np.nanmax(np.abs(floor[:, 2])) == 0.0
    assert anim.ax.get_zlim()[0] == pytest.approx(0.0)


def test_view_option_and_default_view_across_the_motion():
    robot = robokin.load("planar2r")
    q = np.stack([np.linspace(-0.5, 0.5, 6), np.full(6, 0.3)], axis=-1)
    anim = animate(robot, q, ax=viz.axes3d(offscreen=True), view=(12.0, 34.0))
    assert (anim.ax.elev, anim.ax.azim) == (12.0, 34.0)
    # A tool moving along x must not be seen end-on: the camera's horizontal direction is at least 55°
    # away from the motion (the default view is across it, turned by VIEW_OBLIQUE).
    elev, azim = viz.default_view(np.stack([np.linspace(0, 1, 5), np.zeros(5), np.zeros(5)], axis=-1))
    assert abs(np.cos(np.radians(azim))) <= np.cos(np.radians(55.0))
    assert elev == viz.FLAT_ELEV  # a motion in a horizontal plane is seen from above
    elev, _ = viz.default_view(np.stack([np.linspace(0, 1, 5), np.zeros(5), np.linspace(0, 0.8, 5)], axis=-1))
    assert elev == viz.DEFAULT_ELEV
    # review10: a mainly vertical motion was seen from 10° (the floor a sliver, the ticks crowded); it is seen
    # from the usual elevation, which shows its height as well (cos 25° = 0.91).
    for drift in (0.0, 0.3):
        up = np.stack([np.linspace(0, drift, 5), np.zeros(5), np.linspace(0, 1.0, 5)], axis=-1)
        assert viz.default_view(up)[0] == viz.DEFAULT_ELEV >= 20.0
    with pytest.raises(OptionError, match=r"view must be \(elevation, azimuth\)"):
        animate(robot, q, view=("up", 3))


def test_legend_names_trail_targets_ellipsoid_and_red_links():
    robot = robokin.load("puma560")
    q0 = robot.configurations["ready"].copy()
    q0[4] = 0.4
    q1 = q0.copy()
    q1[4] = 0.0  # wrist straight: singular, drawn red
    path = trajectory.quintic(robot, q0, q1, steps=6)
    anim = animate(robot, path.q, ellipsoid=True, targets=[[0.3, 0.1, 1.0]], ax=viz.axes3d(offscreen=True))
    labels = [t.get_text() for t in anim.ax.get_legend().get_texts()]
    for wanted in ("tool path (trail)", "velocity ellipsoid", "IK targets", "links near a singularity"):
        assert any(label.startswith(wanted) for label in labels), (wanted, labels)
    # The trail is drawn above the ellipsoid.
    assert anim.ax.computed_zorder is False
    assert line(anim.ax, "trail").get_zorder() > line(anim.ax, "ellipsoid").get_zorder()


def test_cartesian_line_start_and_end_markers(tmp_path, capsys):
    robot = robokin.load("panda")
    T0 = robot.fk(robot.configurations["home"])
    line_ends = np.stack([T0[:3, 3], T0[:3, 3] + [0.1, 0.1, 0.0]])
    anim = animate(robot, robot.configurations["home"][None], line=line_ends, ax=viz.axes3d(offscreen=True))
    np.testing.assert_allclose(xyz(line(anim.ax, "line-start"))[0], line_ends[0])
    np.testing.assert_allclose(xyz(line(anim.ax, "line-end"))[0], line_ends[1])
    pixels = _pixels(anim.ax.figure)
    assert _color_mask(pixels, viz.LINE_START_COLOR, 30).sum() > 10
    assert _color_mask(pixels, viz.LINE_END_COLOR, 30).sum() > 10
    with pytest.raises(ShapeError, match=r"line must be the start and end points, shape \(2, 3\)"):
        animate(robot, robot.configurations["home"][None], line=[[0, 0, 0]])


# ----------------------------------------------------------------------------------------- joint plots (issue 11, 8)
def test_plot_joints_draws_q_qd_qdd_and_the_limits():
    robot = robokin.load("kr5_arc")
    path = trajectory.quintic(robot, np.zeros(6), np.radians([150, -20, 10, 0, 30, 0]), steps=50)
    fig = viz.plot_joints(path, robot, offscreen=True)
    axes = {ax.get_gid(): ax for ax in fig.axes if ax.get_gid()}
    assert set(axes) == {"q", "qd", "qdd"}
    for gid, values in (("q", path.q), ("qd", path.qd), ("qdd", path.qdd)):
        curve = [a for a in axes[gid].lines if a.get_gid() == "joint-0"][0]
        np.testing.assert_allclose(curve.get_xdata(), path.t)
        np.testing.assert_allclose(curve.get_ydata(), np.degrees(values[:, 0]))
    limit_q = sorted(a.get_ydata()[0] for a in axes["q"].lines if a.get_gid() == "limit-0")
    np.testing.assert_allclose(limit_q, np.degrees(robot.limits[0]))
    limit_qd = sorted(a.get_ydata()[0] for a in axes["qd"].lines if a.get_gid() == "limit-0")
    np.testing.assert_allclose(limit_qd, [-154.0, 154.0])
    # The A1 speed curve touches its dashed limit: the path runs A1 at its limit.
    assert np.degrees(np.abs(path.qd[:, 0])).max() == pytest.approx(154.0, rel=2e-3)
    assert axes["qd"].get_ylabel() == "q̇ [deg/s]"
    # Pixels: every panel has drawn curves (non-white pixels inside each axes).
    pixels = _pixels(fig)
    height = pixels.shape[0]
    for ax in axes.values():
        x0, y0, x1, y1 = ax.get_window_extent().extents.astype(int)
        inside = pixels[height - y1 + 2 : height - y0 - 2, x0 + 2 : x1 - 2]
        assert (inside.min(axis=-1) < 200).mean() > 0.005
    with pytest.raises(ShapeError, match="path has 6 joints, robot 'panda' has 7"):
        viz.plot_joints(path, robokin.load("panda"))


def test_animate_command_writes_the_joint_plot(tmp_path, capsys):
    out, plot_png = tmp_path / "a.gif", tmp_path / "joints.png"
    assert (
        main(
            [
                "animate",
                "planar2r",
                "--to",
                "1",
                "0.5",
                "--frames",
                "3",
                "--out",
                str(out),
                "--joints",
                str(plot_png),
                "--profile",
                "lspb",
                "--view",
                "30",
                "-45",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "lspb joint motion" in printed and f"wrote {plot_png}" in printed
    with Image.open(plot_png) as im:
        assert im.size[0] > 300 and im.size[1] > 300


@pytest.mark.parametrize("name", robokin.list_robots())
def test_axis_labels_stay_inside_the_picture(name):
    """review10: with the 3-D box zoomed to 0.95 the "z [m]" label was cut off at the picture's edge (panda,
    panda_hand, planar arms; ur5 in the demo). An animation through the robot's named configurations, at the
    default view, rendered: every axis label lies inside the figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    robot = robokin.load(name)
    q = np.stack([np.array(v) for v in robot.configurations.values()])
    anim = viz.animate(
        robot, q, ax=viz.axes3d(offscreen=True), link=robot.default_link or robot.end_effectors[0], ellipsoid=True
    )
    canvas = FigureCanvasAgg(anim.ax.figure)
    canvas.draw()
    figure = anim.ax.figure.bbox
    for axis in (anim.ax.xaxis, anim.ax.yaxis, anim.ax.zaxis):
        box = axis.label.get_window_extent(canvas.get_renderer())
        inside = box.x0 >= figure.x0 - 0.5 and box.x1 <= figure.x1 + 0.5 and box.y0 >= figure.y0 - 0.5
        assert inside and box.y1 <= figure.y1 + 0.5, (axis.axis_name, box.extents, figure.extents)


def test_save_into_a_folder_that_does_not_exist_says_so_before_rendering(tmp_path):
    anim = viz.animate(planar2r(), np.zeros((2, 2)))
    anim.draw_frame = lambda i: pytest.fail("rendered a frame before the check")
    for name in ("arm.gif", "arm.mp4"):  # was FileNotFoundError from PIL / matplotlib, after the rendering
        with pytest.raises(
            RobokinError, match=r"cannot write .*no-such-folder.* the folder '.*no-such-folder' does not"
        ):
            viz.save(anim, tmp_path / "no-such-folder" / name)
    assert not (tmp_path / "no-such-folder").exists()
    with pytest.warns(UserWarning, match="Animation was deleted without rendering anything"):
        del anim  # never rendered, which matplotlib's warning at collection confirms
        gc.collect()


@pytest.mark.parametrize("name", ["planar2r", "planar3r", "cobra600", "ur5"])
def test_z_tick_labels_do_not_pile_up_on_a_flat_box(name):
    """review10: a planar arm's box is flat (0.4 m high, 3 m wide) and seen from 60°, so its five z tick labels
    0.0 … 0.4 were drawn on top of each other at the right edge, and "z [m]" fell off the picture. Over a motion
    through the sampling range, rendered: consecutive z ticks lie at least a label's height apart on screen
    (their projected positions), and the z label is inside the figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from mpl_toolkits.mplot3d import proj3d

    robot = robokin.load(name)
    lo, hi = robot.sampling_bounds.T
    q = lo + np.linspace(0.3, 0.7, 5)[:, None] * (hi - lo)
    anim = viz.animate(robot, q, ax=viz.axes3d(offscreen=True))
    ax = anim.ax
    canvas = FigureCanvasAgg(ax.figure)
    canvas.draw()
    z0, z1 = ax.get_zlim()
    ticks = [z for z in ax.zaxis.get_major_locator()() if z0 <= z <= z1]
    assert ticks
    x, y = np.mean(ax.get_xlim()), np.mean(ax.get_ylim())
    screen = [ax.transData.transform(proj3d.proj_transform(x, y, z, ax.get_proj())[:2]) for z in ticks]
    label_height = ax.zaxis.get_ticklabels()[0].get_fontsize() * ax.figure.dpi / 72.0  # [px]
    for a, b in zip(screen, screen[1:]):
        assert np.hypot(*(b - a)) >= label_height, (ticks, screen)
    box = ax.zaxis.label.get_window_extent(canvas.get_renderer())
    figure = ax.figure.bbox
    assert figure.x0 - 0.5 <= box.x0 and box.x1 <= figure.x1 + 0.5, (box.extents, figure.extents)
