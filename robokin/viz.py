"""Draw an arm with matplotlib: a 3D stick figure, an animation of a motion, GIF/MP4 files, a slider window.

matplotlib is imported lazily (inside the functions), so ``import robokin`` stays light. Only matplotlib's
public, current API is used (``FuncAnimation``, ``PillowWriter``, ``FFMpegWriter``, ``Line3D.set_data_3d``,
``Animation.save(progress_callback=...)``). The library never calls ``plt.show()``; the CLI and the demos do.

What is drawn, for a configuration ``q``:

- the links as one polyline through the frame origins from ``fk_frames``, with an elbow wherever a link
  leaves a joint along its axis (the ``d`` of DH) and then across it (the ``a``), so an L-shaped link is
  drawn as an L and not as a diagonal;
- the joints as dots on their axes, and a short segment along each joint axis;
- the base and the tool frames as axis triads (x red, y green, z blue);
- in an animation, also the tool's trail, an optional velocity (manipulability) ellipsoid at the tool, and a
  visible warning (the links turn red and a label says so) when the arm passes near a singularity.

Every artist robokin draws has a ``gid`` (``"links"``, ``"joints"``, ``"joint-axes"``, ``"tool-x"``, ...,
``"trail"``, ``"ellipsoid"``, ``"status"``) so tests and users can find it again and read its data back.
"""

from __future__ import annotations

import functools
import numbers
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

import numpy as np
import numpy.typing as npt

from . import singularity, validation
from .errors import OptionError, RobokinError, ShapeError
from .kinematics import fk, fk_frames, jacobian

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.animation import FuncAnimation
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .model import Robot

__all__ = [
    "plot",
    "animate",
    "save",
    "check_writer",
    "teach",
    "axes3d",
    "reach",
    "skeleton",
    "progress_bar",
    "plot_joints",
    "default_view",
    "watched_links",
    "drawn_link",
    "Skeleton",
    "ArmAnimation",  # noqa: F822 - made on first use by the module __getattr__ (matplotlib imported lazily)
    "SAVE_FORMATS",
    "NEAR_SINGULAR",
    "MAX_FRAMES",
]

SAVE_FORMATS: tuple[str, ...] = (".gif", ".mp4")
LIMITS: tuple[str, ...] = ("reach", "motion")

# Colours: links, links near a singularity, the three axes of a triad, the trail, the ellipsoid.
LINK_COLOR = "#3465a4"
WARN_COLOR = "#cc0000"
TRIAD_COLORS = ("#d62728", "#2ca02c", "#1f77b4")
TRAIL_COLOR = "#ff7f0e"
ELLIPSOID_COLOR = "#75507b"
FLOOR_COLOR = "#d3d7cf"
LINE_START_COLOR = "#4e9a06"
LINE_END_COLOR = "#a40000"

# Drawing order (3D axes draw in this order, not by depth): floor under everything, then the ellipsoid,
# the trail above it, the arm, and the markers on top.
Z_FLOOR, Z_ELLIPSOID, Z_TRAIL, Z_ARM, Z_MARKERS = 0, 1, 2, 3, 4

# The default camera: this elevation [deg]; the azimuth looks across the motion's main horizontal
# direction (the one nearest DEFAULT_AZIM), so a motion is never seen end-on.
DEFAULT_ELEV = 25.0
DEFAULT_AZIM = -60.0
VIEW_OBLIQUE = 30.0
# A motion whose height is below this fraction of its horizontal extent is flat: seen from FLAT_ELEV [deg].
FLAT_MOTION = 0.1
FLAT_ELEV = 60.0
# Margin around everything drawn, as a fraction of its largest extent.
FRAME_MARGIN = 0.08

# Sizes as fractions of the robot's reach: triads, joint-axis segments, the largest ellipsoid semi-axis.
TRIAD_FRACTION = 0.12
AXIS_FRACTION = 0.06
ELLIPSOID_FRACTION = 0.18

# Below this inverse condition number σ_min/σ_max of the Jacobian the arm is drawn as "near a singularity".
# It is a drawing threshold, not a physical constant: 0.05 flags the last few degrees before a wrist or
# elbow singularity of the bundled arms without flagging their ordinary postures.
NEAR_SINGULAR = 0.05

# Zoom of the 3D box inside its axes: just small enough that the tick and axis labels stay inside.
BOX_ZOOM = 0.88
# The same for a flat box (a planar arm or a SCARA, seen from FLAT_ELEV): it spans the whole width, its short
# z axis stands at the right-hand corner and the "z [m]" label beside it fell off the picture at BOX_ZOOM.
FLAT_BOX_ZOOM = 0.78

# At most this many tick intervals per axis: tick labels are most of the cost of drawing a 3D frame.
TICK_BINS = 4

# Reach used for an unlimited prismatic joint when sizing the axes [m].
UNLIMITED_STROKE = 1.0

# The most frames an animation takes: 55 min at 30 fps. Its geometry is computed for every frame at once
# (about 10 kB a frame for Baxter's two arms: 1 GB at this count); 10⁶ frames died in NumPy's MemoryError.
MAX_FRAMES = 100_000


# ----------------------------------------------------------------------------------------- geometry
@dataclass(frozen=True, eq=False)
class Skeleton:
    """The points of a stick figure, world frame [m], batched like ``q`` ``(..., n)``.

    Attributes:
        links: ``(..., K, 3)`` polyline from the base origin to the tool origin (last point = ``fk(q)[:3, 3]``).
        joints: ``(..., n, 3)`` a point on each moving joint's axis (its motion frame's origin).
        axes: ``(..., n, 3)`` unit direction of each moving joint's axis (rotation axis or sliding direction).
        T_world_base: ``(..., 4, 4)`` base frame.
        T_world_tool: ``(..., 4, 4)`` tool frame.
    """

    links: np.ndarray
    joints: np.ndarray
    axes: np.ndarray
    T_world_base: np.ndarray
    T_world_tool: np.ndarray


def skeleton(robot: Robot, q: npt.ArrayLike, link: str | None = None) -> Skeleton:
    """The points to draw for ``q`` ``(..., n)``; vectorized over the batch.

    For each joint ``j`` with previous frame ``F`` and motion frame ``M = F @ pre_j`` (axis ``z_j``, origin
    ``P_j``) and own frame origin ``O_j``, the polyline visits ``P_j − z_j (z_j · (P_j − O_prev))`` (the
    elbow before the joint: the link runs across the axis, then along it), ``P_j``, then
    ``P_j + z_j (z_j · (O_j − P_j))`` (the elbow after it) and ``O_j``. For DH joints this is the path
    ``d`` along z then ``a`` along x; for modified DH, ``a`` along x then ``d`` along z.

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        link: The frame whose pose is ``T_world_tool`` (default: :func:`drawn_link`).

    Returns:
        A :class:`Skeleton` with the batch shape of ``q``.
    """
    q = validation.joint_vector(robot, q)
    batch = q.shape[:-1]
    if link is not None and link != drawn_link(robot):
        sk = skeleton(robot, q)
        T_world_link = fk(robot, q, link=robot.resolve_link(link))
        return Skeleton(sk.links, sk.joints, sk.axes, sk.T_world_base, T_world_link)
    if not robot.serial or robot.chain is None:  # a tree (a URDF's whole tree even when it has one leaf)
        return _tree_skeleton(robot, q)
    F = fk_frames(robot, q).reshape((-1, len(robot.joints) + 2, 4, 4))  # (N, m, 4, 4)
    chain = robot.chain
    origins = F[:, :, :3, 3]  # (N, m, 3)
    points = [origins[:, 0]]
    joints, axes = [], []
    for j, (pre, k) in enumerate(zip(chain.pre, chain.variable)):
        O_prev, O_j = origins[:, j], origins[:, j + 1]
        if k >= 0:
            R_prev = F[:, j, :3, :3]
            P = O_prev + R_prev @ pre[:3, 3]  # (N, 3)
            z = R_prev @ pre[:3, 2]  # (N, 3)
            before = P - z * np.sum(z * (P - O_prev), axis=-1, keepdims=True)
            after = P + z * np.sum(z * (O_j - P), axis=-1, keepdims=True)
            points += [before, P, after]
            joints.append(P)
            axes.append(z)
        points.append(O_j)
    points.append(origins[:, -1])
    links = np.stack(points, axis=1)  # (N, K, 3)
    return Skeleton(
        links=links.reshape(batch + links.shape[1:]),
        joints=np.stack(joints, axis=1).reshape(batch + (robot.n, 3)),
        axes=np.stack(axes, axis=1).reshape(batch + (robot.n, 3)),
        T_world_base=F[:, 0].reshape(batch + (4, 4)),
        T_world_tool=F[:, -1].reshape(batch + (4, 4)),
    )


def watched_links(robot: Robot, link: str | Sequence[str] | None = None) -> tuple[str, ...]:
    """The frames an animation or the teach window follows: ``link``, else the robot's one end effector, else
    all its end effectors (both hands of a dual-arm robot).

    The first is drawn with a triad and a trail; the singularity warning watches all of them as one stacked
    task (:func:`robokin.singularity.inverse_condition` with ``link=`` this tuple).

    Raises:
        OptionError: an unknown frame (the message lists the robot's frames), an empty list or a repeated frame.
    """
    if link is None:
        return (robot.default_link,) if robot.default_link else robot.end_effectors
    return singularity.task_links(robot, link)


def drawn_link(robot: Robot) -> str:
    """The frame whose pose the tool triad and the trail follow by default: the first of :func:`watched_links`."""
    return watched_links(robot)[0]


def _tree_skeleton(robot: Robot, q: np.ndarray) -> Skeleton:
    """:func:`skeleton` of a tree: each frame's link from its parent's origin (elbows as for a chain), the
    links of different branches separated by NaN rows so that one polyline draws the whole tree."""
    batch = q.shape[:-1]
    tree = robot.tree
    F = robot.fk_all(q).reshape((-1, len(tree.names), 4, 4))  # (N, F, 4, 4)
    origins = F[:, :, :3, 3]
    gap = np.full_like(origins[:, 0], np.nan)
    points, joints, axes = [], [], []
    previous = -1  # the frame drawn last: a frame not hanging from it starts a new branch
    for f in tree.order:
        parent = tree.parent[f]
        O_prev, O_f = origins[:, parent], origins[:, f]
        if parent != previous:
            points += [gap, O_prev]
        if tree.variable[f] >= 0:
            R_prev = F[:, parent, :3, :3]
            P = O_prev + R_prev @ tree.pre[f][:3, 3]
            z = R_prev @ tree.pre[f][:3, 2]
            points += [
                P - z * np.sum(z * (P - O_prev), axis=-1, keepdims=True),
                P,
                P + z * np.sum(z * (O_f - P), axis=-1, keepdims=True),
            ]
            joints.append(P)
            axes.append(z)
        points.append(O_f)
        previous = f
    links = np.stack(points[1:], axis=1)  # (N, K, 3), the leading gap dropped
    k = len(joints)
    T_tool = F[:, robot.frame_names.index(drawn_link(robot))]
    return Skeleton(
        links=links.reshape(batch + links.shape[1:]),
        joints=np.stack(joints, axis=1).reshape(batch + (k, 3)),
        axes=np.stack(axes, axis=1).reshape(batch + (k, 3)),
        T_world_base=F[:, 0].reshape(batch + (4, 4)),
        T_world_tool=T_tool.reshape(batch + (4, 4)),
    )


def reach(robot: Robot) -> float:
    """An upper bound [m] on the distance from the base origin to any frame origin of the arm.

    The sum of the lengths of every constant offset in the chain (the tool's included) and of the largest
    stroke of each prismatic joint (``UNLIMITED_STROKE`` when unlimited).
    """
    chain = robot.chain
    if chain is None:  # a tree: the longest root-to-frame sum of the same lengths (robot.characteristic_length)
        return max(robot.characteristic_length, 1e-3)
    total = float(np.linalg.norm(chain.pre[:, :3, 3], axis=-1).sum())
    total += float(np.linalg.norm(chain.post[:, :3, 3], axis=-1).sum())
    total += float(np.linalg.norm(chain.T_last_tool[:3, 3]))
    for joint in robot.moving_joints:
        if joint.type == "prismatic":
            stroke = float(np.max(np.abs(joint.limits)))
            total += stroke if np.isfinite(stroke) else UNLIMITED_STROKE
    return max(total, 1e-3)


def _ellipsoid_axes(J: np.ndarray) -> np.ndarray:
    """Semi-axes ``(..., 3, 3)`` (columns) of the translational velocity ellipsoid ``{J_v q̇ : |q̇| ≤ 1}``.

    The columns are ``σ_k u_k`` from the SVD ``J_v = U Σ Vᵀ`` [m/s per unit joint rate] (Yoshikawa 1985).
    """
    U, s, _ = np.linalg.svd(J[..., :3, :])
    s3 = np.zeros(J.shape[:-2] + (3,))
    s3[..., : s.shape[-1]] = s
    return U * s3[..., None, :]


def _unit_rings(points: int = 25) -> np.ndarray:
    """Rings on the unit sphere as one polyline ``(P, 3)`` with NaN rows between rings."""
    t = np.linspace(0.0, 2.0 * np.pi, points)
    rings = []
    for lat in (-0.6, 0.0, 0.6):  # three parallels
        r = np.sqrt(1.0 - lat**2)
        rings.append(np.stack([r * np.cos(t), r * np.sin(t), np.full_like(t, lat)], axis=-1))
    for lon in np.arange(4) * np.pi / 4:  # four meridians
        rings.append(np.stack([np.cos(t) * np.cos(lon), np.cos(t) * np.sin(lon), np.sin(t)], axis=-1))
    gap = np.full((1, 3), np.nan)
    return np.concatenate([np.concatenate([ring, gap]) for ring in rings])[:-1]


def _segments(starts: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Segments ``starts → starts + vectors`` ``(k, 3)`` as one NaN-separated polyline ``(3k - 1, 3)``."""
    gap = np.full_like(starts, np.nan)
    return np.stack([starts, starts + vectors, gap], axis=1).reshape(-1, 3)[:-1]


# ----------------------------------------------------------------------------------------- drawing
def _pyplot() -> Any:
    import matplotlib.pyplot as plt

    return plt


def axes3d(figsize: tuple[float, float] = (6.0, 6.0), *, offscreen: bool = False) -> Axes:
    """A new figure with one 3D axes, laid out for an arm.

    Args:
        figsize: Figure size [inch].
        offscreen: True makes a bare ``matplotlib.figure.Figure`` that pyplot does not know: it never opens
            a window and needs no display or backend choice (for files only; what the CLI uses).
            False makes it with ``pyplot.figure`` (shown by ``plt.show()``).

    Returns:
        The 3D axes.
    """
    if offscreen:
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize)
    else:
        fig = _pyplot().figure(figsize=figsize)
    fig.subplots_adjust(left=0.0, right=1.0, bottom=0.02, top=0.95)
    return fig.add_subplot(projection="3d")


def _new_axes(ax: Axes | None) -> Axes:
    if ax is None:
        return axes3d()
    if getattr(ax, "name", "") != "3d":
        raise OptionError(
            f"ax must be a 3D Axes (projection='3d'), got a {type(ax).__name__} named {getattr(ax, 'name', '?')!r}"
        )
    return ax


def _set_data(line: Any, xyz: np.ndarray) -> None:
    line.set_data_3d(xyz[..., 0], xyz[..., 1], xyz[..., 2])


class _Arm:
    """The artists of one drawn arm and how to move them to a new configuration."""

    def __init__(self, ax: Axes, robot: Robot, size: float, color: str) -> None:
        self.robot = robot
        self.size = size
        empty = np.full((2, 3), np.nan)
        (self.links,) = ax.plot(*empty.T, "-", color=color, lw=3.0, solid_capstyle="round", gid="links", label="links")
        (self.joints,) = ax.plot(*empty.T, "o", color="#2e3436", ms=5.0, gid="joints", label="joints")
        (self.joint_axes,) = ax.plot(*empty.T, "-", color="#888a85", lw=1.5, gid="joint-axes")
        self.base = [ax.plot(*empty.T, "-", color=c, lw=2.0, gid=f"base-{a}")[0] for a, c in zip("xyz", TRIAD_COLORS)]
        self.tool = [ax.plot(*empty.T, "-", color=c, lw=2.0, gid=f"tool-{a}")[0] for a, c in zip("xyz", TRIAD_COLORS)]

    def update(self, sk: Skeleton) -> None:
        """Move the artists to one unbatched skeleton."""
        _set_data(self.links, sk.links)
        _set_data(self.joints, sk.joints)
        half = 0.5 * AXIS_FRACTION * self.size * sk.axes
        _set_data(self.joint_axes, _segments(sk.joints - half, 2.0 * half))
        for lines, T in ((self.base, sk.T_world_base), (self.tool, sk.T_world_tool)):
            for i, line in enumerate(lines):
                _set_data(line, np.stack([T[:3, 3], T[:3, 3] + TRIAD_FRACTION * self.size * T[:3, i]]))

    def set_color(self, color: str) -> None:
        self.links.set_color(color)


def _frame_axes(ax: Axes, robot: Robot, size: float, center: np.ndarray | None = None) -> None:
    """Equal aspect, limits of ± ``size`` around ``center`` (default: the base origin), axes in metres."""
    center = robot.base.matrix[:3, 3] if center is None else center
    _set_box(ax, center - size, center + size)


def _set_box(ax: Axes, lo: np.ndarray, hi: np.ndarray) -> None:
    """Limits ``lo``..``hi`` (3,) [m] with equal scale on the three axes: the box takes their proportions."""
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_zlim(lo[2], hi[2])
    z_ticks, flat = _z_ticks(lo, hi)
    ax.set_box_aspect(tuple(hi - lo), zoom=FLAT_BOX_ZOOM if flat else BOX_ZOOM)
    ax.locator_params(nbins=TICK_BINS)
    ax.zaxis.set_major_locator(z_ticks)
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")
    ax.set_zlabel("z [m]")


def _z_ticks(lo: np.ndarray, hi: np.ndarray) -> tuple[Any, bool]:
    """The tick locator of the z axis of the box ``lo``..``hi`` (3,) [m], and whether the box is flat (less
    than half as high as wide).

    The z axis is drawn as long as the box is high, and the x and y axes carry ``TICK_BINS`` intervals over the
    box's width, so z gets ``TICK_BINS · height / width`` of them. A flat box (less than one interval: a planar
    arm or a SCARA) gets a single tick, its lowest round value within the box: more labels were drawn on top of
    each other there.
    """
    from matplotlib.ticker import FixedLocator, MaxNLocator

    width = float(max(hi[0] - lo[0], hi[1] - lo[1]))
    bins = TICK_BINS * float(hi[2] - lo[2]) / width if width > 0 else float(TICK_BINS)
    if bins >= 1.0:  # (a box less than half as high as wide is flat too: a short z axis at the corner)
        return MaxNLocator(nbins=min(TICK_BINS, int(bins))), bins < 2.0
    ticks = MaxNLocator(nbins=1).tick_values(lo[2], hi[2])
    inside = ticks[(ticks >= lo[2]) & (ticks <= hi[2])]
    return FixedLocator(inside[:1] if inside.size else [0.5 * (lo[2] + hi[2])]), True


def _floor_height(robot: Robot, points: np.ndarray) -> float:
    """The floor: the world's z = 0 plane, or just below the lowest point drawn when something goes lower."""
    return float(min(0.0, points[..., 2].min()))


def _fit_axes(ax: Axes, robot: Robot, points: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Frame everything drawn (``points`` ``(k, 3)``) and the floor under the base, equal scale, a small margin.

    Returns:
        The box ``lo``, ``hi`` (3,) [m] and the floor height [m].
    """
    points = points[np.isfinite(points).all(axis=-1)]  # drop the NaN gaps between polyline pieces
    floor = _floor_height(robot, points)
    base = robot.base.matrix[:3, 3]
    every = np.concatenate([points, [[base[0], base[1], floor]]])
    lo, hi = every.min(axis=0), every.max(axis=0)
    pad = FRAME_MARGIN * max(float((hi - lo).max()), 1e-3) + 0.5 * TRIAD_FRACTION * size
    lo, hi = lo - pad, hi + pad
    lo[2] = max(lo[2], floor)  # nothing below the floor
    _set_box(ax, lo, hi)
    return lo, hi, floor


def _draw_floor(ax: Axes, robot: Robot, lo: np.ndarray, hi: np.ndarray, floor: float) -> None:
    """A grey floor grid at z = ``floor`` over the box, and a pedestal from the base down to it."""
    xs, ys = np.linspace(lo[0], hi[0], 6), np.linspace(lo[1], hi[1], 6)
    grid = [np.array([[x, lo[1], floor], [x, hi[1], floor]]) for x in xs]
    grid += [np.array([[lo[0], y, floor], [hi[0], y, floor]]) for y in ys]
    gap = np.full((1, 3), np.nan)
    lines = np.concatenate([np.concatenate([g, gap]) for g in grid])[:-1]
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection  # type: ignore[import-untyped]

    corners = [[lo[0], lo[1], floor], [hi[0], lo[1], floor], [hi[0], hi[1], floor], [lo[0], hi[1], floor]]
    ax.add_collection3d(
        Poly3DCollection(
            [corners], facecolor=FLOOR_COLOR, alpha=0.45, edgecolor="none", gid="floor-plane", zorder=Z_FLOOR
        )
    )
    ax.plot(*lines.T, "-", color="#888a85", lw=0.6, gid="floor", zorder=Z_FLOOR)
    base = robot.base.matrix[:3, 3]
    if base[2] - floor > 1e-9:
        ax.plot(
            [base[0]] * 2,
            [base[1]] * 2,
            [floor, base[2]],
            "-",
            color="#555753",
            lw=6.0,
            solid_capstyle="butt",
            gid="pedestal",
            zorder=Z_FLOOR,
            label="pedestal",
        )


def default_view(tool_path: np.ndarray) -> tuple[float, float]:
    """Camera ``(elev, azim)`` [deg] that looks across the tool's motion, not along it.

    The azimuth is perpendicular to the main horizontal direction of ``tool_path`` ``(k, 3)`` (its first
    principal axis projected on the floor) turned by ``VIEW_OBLIQUE``, the one of the four candidates nearest
    ``DEFAULT_AZIM``; a motion without
    a horizontal extent keeps ``DEFAULT_AZIM``. The elevation is ``DEFAULT_ELEV``, ``FLAT_ELEV`` when the motion
    is flat (a planar arm: seen from above).
    """
    centred = tool_path - tool_path.mean(axis=0)
    if not np.abs(centred).max() > 0:
        return DEFAULT_ELEV, DEFAULT_AZIM
    d = np.linalg.svd(centred, full_matrices=False)[2][0]  # main direction (unit)
    horizontal = float(np.hypot(d[0], d[1]))
    elev = DEFAULT_ELEV  # a mainly vertical motion too: its height shows (cos 25° = 0.91), the floor stays a floor
    spread = np.ptp(tool_path, axis=0)
    if spread[2] < FLAT_MOTION * max(spread[0], spread[1]):  # a flat (e.g. planar) motion: look down on it
        elev = FLAT_ELEV
    if horizontal < 0.2:
        return elev, DEFAULT_AZIM
    along = np.degrees(np.arctan2(d[1], d[0]))
    # Across the motion, turned VIEW_OBLIQUE further so the depth of the arm still shows (cos 30° = 0.87 of
    # the motion's length stays visible).
    options = np.array(
        [
            along + 90.0 - VIEW_OBLIQUE,
            along + 90.0 + VIEW_OBLIQUE,
            along - 90.0 - VIEW_OBLIQUE,
            along - 90.0 + VIEW_OBLIQUE,
        ]
    )
    gap = np.abs((options - DEFAULT_AZIM + 180.0) % 360.0 - 180.0)
    azim = (options[int(np.argmin(gap))] + 180.0) % 360.0 - 180.0
    return elev, float(azim)


def _check_view(view: Any) -> tuple[float, float] | None:
    if view is None:
        return None
    try:
        elev, azim = (float(v) for v in view)
    except (TypeError, ValueError):
        raise OptionError(f"view must be (elevation, azimuth) in degrees, got {view!r}") from None
    if not (np.isfinite(elev) and np.isfinite(azim)):
        raise OptionError(f"view must be finite angles in degrees, got {view!r}")
    return elev, azim


def plot(
    robot: Robot,
    q: npt.ArrayLike,
    ax: Axes | None = None,
    *,
    color: str = LINK_COLOR,
    title: str | None = None,
    limits: bool = True,
    view: tuple[float, float] | None = None,
    link: str | None = None,
) -> Axes:
    """Draw the arm at one configuration as a 3D stick figure.

    Args:
        robot: The robot.
        q: ``(n,)`` joint values [rad, m].
        ax: A 3D axes to draw into; a new figure and axes when None.
        color: Colour of the links.
        title: Axes title (default: the robot's name).
        limits: Set equal-aspect limits of ± the robot's reach around its base (False keeps the axes' own).
        view: Camera ``(elevation, azimuth)`` [deg]; None keeps the axes' own.
        link: The frame drawn with the tool triad (default: :func:`drawn_link`).

    Returns:
        The axes drawn into.

    Raises:
        ShapeError: ``q`` is not a single configuration ``(n,)``.
        OptionError: ``ax`` is not a 3D axes, or an unknown ``link``.
    """
    q = validation.joint_vector(robot, q)
    if q.ndim != 1:
        raise ShapeError(f"plot draws one configuration: q must have shape ({robot.n},), got {q.shape}")
    ax = _new_axes(ax)
    size = reach(robot)
    arm = _Arm(ax, robot, size, color)
    arm.update(skeleton(robot, q, link))
    view = _check_view(view)
    if limits:
        _frame_axes(ax, robot, size)
    if view is not None:
        ax.view_init(elev=view[0], azim=view[1])
    ax.set_title(robot.name if title is None else title)
    return ax


# ----------------------------------------------------------------------------------------- animation
@functools.cache
def _animation_class() -> Any:
    from matplotlib.animation import FuncAnimation

    class ArmAnimation(FuncAnimation):
        """A ``FuncAnimation`` of an arm that also knows its frame rate, frame count and what it showed.

        Attributes:
            fps: Frames per second it was made for.
            n_frames: Number of frames.
            q_path: ``(n_frames, n)`` the configurations shown.
            inverse_condition: ``(n_frames,)`` σ_min/σ_max of the unit-free task Jacobian of the watched links
                (stacked) at each frame.
            links: The watched frames (:func:`watched_links`); the triad and the trail follow the first.
            near_singular: ``(n_frames,)`` bool, frames drawn with the singularity warning.
            ellipsoid_scale: Drawing scale of the velocity ellipsoid [m drawn per m/s], or None.
            ax: The 3D axes it draws into.
            draw_frame: ``draw_frame(i)`` moves every artist to frame ``i`` (without rendering) and returns
                the artists it changed.
            saved_to: The last file :func:`save` wrote, or None.
        """

        saved_to: Path | None = None

        def __del__(self) -> None:
            # matplotlib warns when an animation is deleted without having rendered anything; one that
            # :func:`save` rendered frame by frame through its writer has rendered everything.
            if self.saved_to is None:
                super().__del__()

    return ArmAnimation


def __getattr__(name: str) -> Any:
    # ``robokin.viz.ArmAnimation`` is created on first use so that matplotlib is imported lazily.
    if name == "ArmAnimation":
        return _animation_class()
    raise AttributeError(f"module 'robokin.viz' has no attribute {name!r}")


def animate(
    robot: Robot,
    q_path: npt.ArrayLike,
    *,
    fps: float = 20.0,
    trail: bool = True,
    ellipsoid: bool = False,
    near_singular: float = NEAR_SINGULAR,
    targets: npt.ArrayLike | None = None,
    line: npt.ArrayLike | None = None,
    limits: Literal["reach", "motion"] = "motion",
    view: tuple[float, float] | None = None,
    floor: bool = True,
    legend: bool = True,
    ax: Axes | None = None,
    title: str | None = None,
    link: str | Sequence[str] | None = None,
) -> FuncAnimation:
    """Animate the arm along a joint path, one frame per configuration.

    Args:
        robot: The robot.
        q_path: ``(frames, n)`` joint values [rad, m], e.g. ``trajectory.quintic(...).q``.
        fps: Frames per second (the animation's interval is ``1000 / fps`` ms).
        trail: Draw the path of the tool origin (of each watched link, the others dashed) up to the current frame.
        ellipsoid: Draw the translational velocity (manipulability) ellipsoid at the tool: the tool
            velocities reachable with joint rates of unit norm, ``{J_v q̇ : |q̇| ≤ 1}``, scaled for the whole
            animation so that its largest semi-axis is ``ELLIPSOID_FRACTION`` of the reach (the scale, in
            m per m/s, is printed in the status label). The trail is drawn above it.
        near_singular: Frames whose unit-free task Jacobian (:func:`robokin.singularity.inverse_condition`
            of the watched links, stacked) has inverse condition number σ_min/σ_max below this are drawn
            with red links and a "NEAR SINGULARITY" label.
        targets: ``(k, 3)`` world points [m] to mark (e.g. IK targets), or None.
        line: ``(2, 3)`` start and end [m] of a planned straight tool line: drawn dashed, with a start and an
            end marker; or None.
        limits: ``"motion"`` (default): the box around everything this motion draws (base, arm in every
            frame, trail, targets, line) and the floor below the base, equal scale, a small margin: the arm
            fills the frame. ``"reach"``: a cube of ± the robot's reach around its base.
        view: Camera ``(elevation, azimuth)`` [deg]; default :func:`default_view` of the tool's path.
        floor: Draw the floor (z = 0 of the world, or below the lowest point) and a pedestal under a raised base.
        legend: Draw a legend naming the trail, targets, ellipsoid, line markers and the red links.
        ax: A 3D axes to draw into; a new figure when None.
        title: Axes title (default: the robot's name).
        link: The frame(s) to watch (:func:`watched_links`; default: the robot's one end effector, else
            every end effector): the first carries the tool triad, the trail and the ellipsoid; the warning
            is about all of them as one stacked task.

    Returns:
        An ``ArmAnimation`` (a ``matplotlib.animation.FuncAnimation``) with ``fps``, ``n_frames``,
        ``q_path``, ``inverse_condition`` and ``near_singular`` attributes; save it with :func:`save`.

    Raises:
        ShapeError: ``q_path`` is not ``(frames, n)`` with 1 to :data:`MAX_FRAMES` frames, ``targets`` not
            ``(k, 3)`` or ``line`` not ``(2, 3)``.
        OptionError: ``fps`` not positive, ``near_singular`` not in [0, 1], ``trail``, ``ellipsoid``,
            ``floor`` or ``legend`` not a bool, ``limits`` unknown, a bad ``view``, ``ax`` not a 3D axes, or an
            unknown ``link``.
    """
    validation.choice(limits, "limits", LIMITS)
    for name, value in (("trail", trail), ("ellipsoid", ellipsoid), ("floor", floor), ("legend", legend)):
        validation.flag(value, name)
    ok = isinstance(near_singular, numbers.Real) and not isinstance(near_singular, (bool, np.bool_))
    if not (ok and 0.0 <= near_singular <= 1.0):  # a ratio σ_min/σ_max
        raise OptionError(f"near_singular must be a number in [0, 1] (a ratio σ_min/σ_max), got {near_singular!r}")
    links = watched_links(robot, link)
    q_path = validation.joint_vector(robot, q_path, "q_path")
    if q_path.ndim != 2 or not 1 <= q_path.shape[0] <= MAX_FRAMES:
        raise ShapeError(
            f"q_path must have shape (frames, {robot.n}) with 1 <= frames <= MAX_FRAMES = {MAX_FRAMES}, got "
            f"{q_path.shape}"
        )
    fps = validation.positive(fps, "fps", "a positive number of frames per second")
    if targets is not None:
        targets = np.asarray(targets, dtype=float)
        if targets.ndim != 2 or targets.shape[-1] != 3 or not np.isfinite(targets).all():
            raise ShapeError(f"targets must have shape (k, 3) [m], finite, got {targets.shape}")
    if line is not None:
        line = np.asarray(line, dtype=float)
        if line.shape != (2, 3) or not np.isfinite(line).all():
            raise ShapeError(f"line must be the start and end points, shape (2, 3) [m], finite, got {line.shape}")
    view = _check_view(view)
    ax = _new_axes(ax)
    ax.computed_zorder = False  # draw in the Z_* order: the trail stays visible over the ellipsoid
    fig = ax.figure
    size = reach(robot)
    sk = skeleton(robot, q_path, links[0])  # every frame's geometry at once, (frames, ...)
    J = jacobian(robot, q_path, link=links[0])  # (frames, 6, n)
    inv_cond = singularity.inverse_condition(robot, q_path, link=links)  # (frames,)
    warn = inv_cond < near_singular
    tool_path = sk.T_world_tool[:, :3, 3]  # (frames, 3)

    arm = _Arm(ax, robot, size, LINK_COLOR)
    if ellipsoid:
        semi = _ellipsoid_axes(J)  # (frames, 3, 3) [m/s per unit joint rate]
        largest = float(np.linalg.norm(semi, axis=-2).max())
        scale = ELLIPSOID_FRACTION * size / largest if largest > 0 else 0.0  # [m per m/s]
        rings = _unit_rings()  # (P, 3)
        shells = tool_path[:, None, :] + scale * np.einsum("fij,pj->fpi", semi, rings)  # (frames, P, 3)
    if limits == "reach":
        _frame_axes(ax, robot, size)
        box = None
    else:
        drawn = [sk.links.reshape(-1, 3), sk.T_world_base[:1, :3, 3]]
        drawn += [] if targets is None else [targets]
        drawn += [] if line is None else [line]
        drawn += [] if not ellipsoid else [shells.reshape(-1, 3)]
        box = _fit_axes(ax, robot, np.concatenate(drawn), size)
    if floor:
        if box is None:
            lo = np.array([ax.get_xlim()[0], ax.get_ylim()[0], ax.get_zlim()[0]])
            hi = np.array([ax.get_xlim()[1], ax.get_ylim()[1], ax.get_zlim()[1]])
            box = (lo, hi, max(lo[2], _floor_height(robot, sk.links.reshape(-1, 3))))
        _draw_floor(ax, robot, *box)
    elev, azim = default_view(tool_path) if view is None else view
    ax.view_init(elev=elev, azim=azim)
    ax.set_title(robot.name if title is None else title)
    for artist in (arm.links, arm.joints, arm.joint_axes, *arm.base, *arm.tool):
        artist.set_zorder(Z_ARM)
    trail_line = None
    trail_label = "tool path (trail)" if links[0] == "tool" else f"{links[0]} path (trail)"
    other_trails: list[tuple[Any, np.ndarray]] = []  # the other watched links' trails: (line, (frames, 3))
    if trail:
        trail_line = ax.plot(
            [], [], [], "-", color=TRAIL_COLOR, lw=2.0, gid="trail", label=trail_label, zorder=Z_TRAIL
        )[0]
        if len(links) > 1:
            others = fk(robot, q_path, link=list(links[1:]))[:, :, :3, 3]  # (frames, k - 1, 3)
            for k, name in enumerate(links[1:]):
                line_k = ax.plot(
                    [], [], [], "--", color=TRAIL_COLOR, lw=1.5, gid=f"trail-{name}", label=f"{name} path (trail)"
                )[0]
                line_k.set_zorder(Z_TRAIL)
                other_trails.append((line_k, others[:, k]))
    if ellipsoid:
        ell_line = ax.plot(
            [],
            [],
            [],
            "-",
            color=ELLIPSOID_COLOR,
            lw=0.8,
            gid="ellipsoid",
            label="velocity ellipsoid",
            zorder=Z_ELLIPSOID,
        )[0]
    if targets is not None:
        ax.plot(*targets.T, "x", color="#000000", ms=8, mew=2, gid="targets", label="IK targets", zorder=Z_MARKERS)
    if line is not None:
        ax.plot(*line.T, "--", color="#555753", lw=1.0, gid="line", label="planned line", zorder=Z_TRAIL)
        ax.plot(*line[:1].T, "o", color=LINE_START_COLOR, ms=7, gid="line-start", label="line start", zorder=Z_MARKERS)
        ax.plot(*line[1:].T, "s", color=LINE_END_COLOR, ms=7, gid="line-end", label="line end", zorder=Z_MARKERS)
    if legend:
        from matplotlib.lines import Line2D

        handles = [
            h
            for h in ax.get_lines()
            if h.get_label() and not h.get_label().startswith("_") and h.get_gid() not in ("joints", "pedestal")
        ]
        if warn.any():
            handles.append(
                Line2D(
                    [], [], color=WARN_COLOR, lw=3.0, label=f"links near a singularity (σmin/σmax < {near_singular:g})"
                )
            )
        ax.legend(handles=handles, loc="upper right", fontsize=7, framealpha=0.8)
    status = ax.text2D(0.02, 0.97, "", transform=ax.transAxes, va="top", family="monospace", gid="status")

    def draw(i: int) -> Any:
        one = Skeleton(sk.links[i], sk.joints[i], sk.axes[i], sk.T_world_base[i], sk.T_world_tool[i])
        arm.update(one)
        changed = [arm.links, arm.joints, arm.joint_axes, *arm.base, *arm.tool, status]
        if trail_line is not None:
            _set_data(trail_line, tool_path[: i + 1])
            changed.append(trail_line)
        for line_k, path_k in other_trails:
            _set_data(line_k, path_k[: i + 1])
            changed.append(line_k)
        if ellipsoid:
            _set_data(ell_line, shells[i])
            changed.append(ell_line)
        text = f"frame {i + 1:>3}/{len(q_path)}  σmin/σmax = {inv_cond[i]:.3f}"
        if ellipsoid:
            text += f"\nellipsoid scale {scale:.3g} m per m/s"
        if warn[i]:
            arm.set_color(WARN_COLOR)
            status.set_text("NEAR SINGULARITY\n" + text)
            status.set_color(WARN_COLOR)
        else:
            arm.set_color(LINK_COLOR)
            status.set_text(text)
            status.set_color("#2e3436")
        return changed

    draw(0)
    anim = _animation_class()(fig, draw, frames=len(q_path), interval=1000.0 / fps, blit=False, cache_frame_data=False)
    anim.fps = float(fps)
    anim.n_frames = len(q_path)
    anim.q_path = q_path
    anim.inverse_condition = inv_cond
    anim.near_singular = warn
    anim.ellipsoid_scale = scale if ellipsoid else None
    anim.ax = ax
    anim.links = links
    anim.draw_frame = draw
    return anim


# ----------------------------------------------------------------------------------------- joint plots
def plot_joints(
    path: Any,
    robot: Robot | None = None,
    *,
    deg: bool = True,
    offscreen: bool = False,
) -> Figure:
    """Joint positions, velocities and accelerations against time (RTB's ``qplot``), with the limits.

    Args:
        path: A :class:`robokin.trajectory.JointPath` (``t`` ``(N,)``, ``q``, ``qd``, ``qdd`` ``(N, n)``).
        robot: The robot, for joint names and the limits: position limits drawn on the q plot and speed
            limits (from the robot file's ``velocity``) as ± lines on the q̇ plot, dashed, in each joint's
            colour. None draws the curves only.
        deg: Revolute joints in degrees (deg, deg/s, deg/s²); prismatic joints stay in metres. False: SI.
        offscreen: True makes a bare ``matplotlib.figure.Figure`` (for files, no window); else pyplot's.

    Returns:
        The figure, three axes sharing the time axis (gids ``"q"``, ``"qd"``, ``"qdd"``); each curve has gid
        ``"joint-<i>"`` and each limit line ``"limit-<i>"``.

    Raises:
        ShapeError: ``path`` lacks ``t``/``q``/``qd``/``qdd`` of shapes ``(N,)`` and ``(N, n)``, or ``n`` differs
            from the robot's.
    """
    try:
        t = np.asarray(path.t, dtype=float)
        arrays = [np.asarray(getattr(path, name), dtype=float) for name in ("q", "qd", "qdd")]
    except AttributeError:
        raise ShapeError(f"path must be a JointPath (with t, q, qd, qdd), got {type(path).__name__}") from None
    if t.ndim != 1 or any(a.ndim != 2 or a.shape[0] != t.shape[0] for a in arrays):
        raise ShapeError(f"path must have t (N,) and q, qd, qdd (N, n), got t {t.shape}, q {arrays[0].shape}")
    n = arrays[0].shape[1]
    if robot is not None and robot.n != n:
        raise ShapeError(f"path has {n} joints, robot {robot.name!r} has {robot.n}")
    revolute = np.array([True] * n if robot is None else [k == "revolute" for k in robot.joint_types])
    factor = np.where(revolute & deg, 180.0 / np.pi, 1.0)
    names = [f"q{i}" for i in range(n)] if robot is None else list(robot.joint_names)
    if offscreen:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7.0, 7.0), layout="constrained")
    else:
        fig = _pyplot().figure(figsize=(7.0, 7.0), layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    angle = "deg" if deg else "rad"
    unit = angle if revolute.all() else (f"{angle} | m" if revolute.any() else "m")
    labels = (f"q [{unit}]", f"q̇ [{unit}/s]", f"q̈ [{unit}/s²]")
    limits: list[np.ndarray | None] = [None, None, None]
    if robot is not None:
        limits[0] = robot.limits
        v = robot.velocity_limits
        limits[1] = np.stack([-v, v], axis=-1)
    colors = [f"C{i % 10}" for i in range(n)]
    for ax, gid, values, label, lim in zip(axes, ("q", "qd", "qdd"), arrays, labels, limits):
        ax.set_gid(gid)
        for i in range(n):
            ax.plot(t, values[:, i] * factor[i], color=colors[i], lw=1.5, gid=f"joint-{i}", label=names[i])
            if lim is not None:
                for bound in lim[i]:
                    if np.isfinite(bound):
                        ax.axhline(bound * factor[i], color=colors[i], lw=0.9, ls="--", gid=f"limit-{i}")
        ax.set_ylabel(label)
        ax.grid(True, lw=0.3)
    shown = np.concatenate([a * factor for a in arrays[:1]])
    span = float(np.ptp(shown)) if shown.size else 1.0
    axes[0].set_ylim(shown.min() - 0.6 * span - 1e-9, shown.max() + 0.6 * span + 1e-9)  # limits near the motion show
    axes[-1].set_xlabel("t [s]")
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    axes[0].set_title(
        ("" if robot is None else f"{robot.name}: ") + "joint positions, velocities, accelerations (dashed: limits)"
    )
    return fig


# ----------------------------------------------------------------------------------------- saving
FFMPEG_HELP = (
    "writing MP4 needs the ffmpeg program, which was not found on PATH (nor at matplotlib's "
    "rcParams['animation.ffmpeg_path']). Install it (Debian/Ubuntu: `sudo apt-get install ffmpeg`; macOS: "
    "`brew install ffmpeg`; conda: `conda install -c conda-forge ffmpeg`) or save a .gif instead"
)


def check_writer(path: str | Path) -> None:
    """Fail before any drawing when :func:`save` could not write ``path``: its folder does not exist, or a
    ``.mp4`` without ffmpeg.

    Raises:
        RobokinError: the folder of ``path`` is not an existing folder, or ``.mp4`` and ffmpeg is not installed
            (the message says how to get it).
    """
    from matplotlib import animation

    folder = Path(path).parent
    if not folder.is_dir():
        raise RobokinError(f"cannot write {path}: the folder {str(folder)!r} does not exist")
    if Path(path).suffix.lower() == ".mp4" and not animation.writers.is_available("ffmpeg"):
        raise RobokinError(f"cannot write {path}: {FFMPEG_HELP}")


def progress_bar(
    label: str, stream: TextIO | None = None, width: int = 30, unit: str = "frames"
) -> Callable[[int, int], None]:
    """A textual progress bar for ``Animation.save(progress_callback=...)`` (or any ``callback(k, N)``, such as
    :func:`robokin.trajectory.follow`'s ``progress``), drawn on ``stream`` (stderr).

    Args:
        label: Text before the bar (e.g. the file name).
        stream: A text stream; ``sys.stderr`` when None.
        width: Bar width in characters.
        unit: What is counted, after the count (``"frames"``; ``"poses"`` for a path).

    Returns:
        ``callback(current_frame, total_frames)``; it ends the line after the last frame. On a stream that is
        not a terminal (a log file, a pipe) it writes only one final line, without carriage returns.
    """

    def callback(current: int, total: int | None) -> None:
        out = sys.stderr if stream is None else stream
        done = current + 1
        if not (hasattr(out, "isatty") and out.isatty()):
            if total and done >= total:  # not a terminal: no carriage returns, only the final line
                out.write(f"{label}: {done}/{total} {unit}\n")
                out.flush()
            return
        if total:
            filled = width * done // total
            if done < total and filled == width * current // total and current > 0:
                return  # the bar would not change: keep stderr quiet
            out.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {unit}")
            if done >= total:
                out.write("\n")
        else:
            out.write(f"\r{label} {done} {unit}")
        out.flush()

    return callback


def save(
    anim: FuncAnimation,
    path: str | Path,
    *,
    fps: float | None = None,
    dpi: float = 80.0,
    progress: bool = True,
) -> Path:
    """Write an animation to a GIF (through Pillow) or an MP4 (through ffmpeg).

    Args:
        anim: An animation, e.g. from :func:`animate`.
        path: The file to write; its suffix picks the format: ``.gif`` or ``.mp4``.
        fps: Frames per second in the file (default: the animation's ``fps``, else 20).
        dpi: Resolution; the pixel size is the figure size in inches times ``dpi``.
        progress: Show a textual progress bar on stderr while frames render.

    Returns:
        The path written.

    Raises:
        OptionError: ``anim`` not an Animation, ``path`` not a path, a suffix other than ``.gif``/``.mp4``, or
            an ``fps`` or ``dpi`` that is not a positive finite number.
        RobokinError: the folder of ``path`` does not exist, or ``.mp4`` asked for and ffmpeg is not installed (the
            message says how to get it).
    """
    from matplotlib import animation

    if not isinstance(anim, animation.Animation):
        raise OptionError(f"anim must be a matplotlib Animation (e.g. from animate()), got {type(anim).__name__}")
    path = Path(validation.file_path(path))
    suffix = path.suffix.lower()
    validation.choice(suffix, "the file suffix", SAVE_FORMATS)
    fps = validation.positive(
        getattr(anim, "fps", 20.0) if fps is None else fps, "fps", "a positive number of frames per second"
    )
    dpi = validation.positive(dpi, "dpi", "a positive number of dots per inch")
    check_writer(path)
    if suffix == ".gif":
        writer = animation.PillowWriter(fps=fps)
    else:
        writer = animation.FFMpegWriter(fps=fps, codec="h264", extra_args=["-pix_fmt", "yuv420p"])
    callback = progress_bar(f"rendering {path.name}") if progress else None
    if isinstance(anim, _animation_class()):
        # Drive the writer ourselves (the documented ``with writer.saving(...): writer.grab_frame()``
        # pattern): ``Animation.save`` renders every frame twice (a ``draw_idle`` and the writer's
        # ``savefig``), this renders it once.
        fig = anim.ax.figure
        with writer.saving(fig, str(path), dpi):
            for i in range(anim.n_frames):
                anim.draw_frame(i)
                writer.grab_frame()
                if callback is not None:
                    callback(i, anim.n_frames)
        anim.saved_to = path
    else:
        anim.save(str(path), writer=writer, dpi=dpi, progress_callback=callback)
    return path


# ----------------------------------------------------------------------------------------- teach
def teach(robot: Robot, q: npt.ArrayLike | None = None, link: str | Sequence[str] | None = None) -> Figure:
    """An interactive window: one slider per joint; the arm, the link poses and manipulability follow live.

    The library does not show the window: call ``matplotlib.pyplot.show()`` (``robokin teach`` does).

    Args:
        robot: The robot.
        q: ``(n,)`` starting joint values [rad, m] (default: the first named configuration, else the
            middle of the limits).
        link: The frame(s) whose poses are shown (:func:`watched_links`; default: the robot's one end
            effector, else every end effector, e.g. both hands). Manipulability and σmin/σmax are those of
            their stacked task (:mod:`robokin.singularity`).

    Returns:
        The figure. ``fig.robokin_sliders`` holds the sliders (revolute ones in degrees) and
        ``fig.robokin_q()`` returns the current ``(n,)`` joint values [rad, m].

    Raises:
        ShapeError: bad ``q``. OptionError: an unknown ``link``.
    """
    from matplotlib.widgets import Slider

    from .spatial import matrix_to_rpy

    links = watched_links(robot, link)
    size = reach(robot)
    ranges = [(float(lo), float(hi)) for lo, hi in robot.sampling_bounds]  # unlimited: ±π rad or ±L m
    if q is None:
        if robot.configurations:
            q = next(iter(robot.configurations.values()))
        else:
            q = np.array([0.0 if lo <= 0.0 <= hi else 0.5 * (lo + hi) for lo, hi in ranges])
    q = np.array(validation.joint_vector(robot, q), dtype=float)
    if q.ndim != 1:
        raise ShapeError(f"teach starts from one configuration: q must have shape ({robot.n},), got {q.shape}")
    revolute = np.array(robot.joint_types) == "revolute"

    plt = _pyplot()
    fig = plt.figure(figsize=(10.0, 6.5))
    ax = fig.add_axes((0.0, 0.05, 0.55, 0.9), projection="3d")
    arm = _Arm(ax, robot, size, LINK_COLOR)
    _frame_axes(ax, robot, size)
    ax.set_title(f"{robot.name}: teach")
    readout = fig.text(0.58, 0.95, "", va="top", family="monospace", fontsize=9, gid="readout")
    sliders = []
    height = min(0.05, 0.45 / robot.n)
    # A new Slider redraws the figure (draw_idle draws at once on non-GUI canvases): n redraws of a growing
    # figure, 9 s for Baxter's 14 joints. Skip them; refresh() below draws once.
    setattr(fig.canvas, "draw_idle", lambda *args, **kwargs: None)  # noqa: B010
    for i, (joint, (lo, hi)) in enumerate(zip(robot.moving_joints, ranges)):
        slot = fig.add_axes((0.68, 0.45 - (i + 1) * height, 0.25, 0.7 * height))
        to_shown = np.degrees if revolute[i] else (lambda v: v)
        unit = "°" if revolute[i] else " m"
        s = Slider(
            slot,
            joint.name,
            float(to_shown(lo)),
            float(to_shown(hi)),
            valinit=float(to_shown(q[i])),
            valfmt="%.1f" + unit if revolute[i] else "%.3f" + unit,
        )
        sliders.append(s)
    delattr(fig.canvas, "draw_idle")  # the canvas's own method again

    def current() -> np.ndarray:
        shown = np.array([s.val for s in sliders])
        return np.where(revolute, np.radians(shown), shown)

    def refresh(_value: Any = None) -> None:
        qc = current()
        arm.update(skeleton(robot, qc, links[0]))
        w = float(singularity.manipulability(robot, qc, link=links))
        inv_cond = float(singularity.inverse_condition(robot, qc, link=links))
        near = inv_cond < NEAR_SINGULAR
        arm.set_color(WARN_COLOR if near else LINK_COLOR)
        text = ""
        for name, T in zip(links, fk(robot, qc, link=list(links))):
            rpy = np.degrees(matrix_to_rpy(T[:3, :3]))
            text += (
                f"{name} pose (world)\n"
                f"  x y z [m]   {T[0, 3]:8.4f} {T[1, 3]:8.4f} {T[2, 3]:8.4f}\n"
                f"  r p y [deg] {rpy[0]:8.2f} {rpy[1]:8.2f} {rpy[2]:8.2f}\n"
            )
        of = "" if len(links) == 1 else f" ({len(links)} links stacked)"
        readout.set_text(
            text + f"manipulability w = {w:.4g}{of}\n"
            f"1/κ(J) = σmin/σmax = {inv_cond:.3f}" + ("\nNEAR SINGULARITY" if near else "")
        )
        readout.set_color(WARN_COLOR if near else "#2e3436")
        fig.canvas.draw_idle()

    for s in sliders:
        s.on_changed(refresh)
    refresh()
    fig.robokin_sliders = sliders  # keep the widgets alive as long as the figure
    fig.robokin_q = current
    return fig
