"""What a map samples: the equal-area sphere of approach directions, the voxel grid, and per-chunk seeds.

Reproducibility contract. Joint samples come in base chunks of :data:`BASE_CHUNK` configurations; chunk
``c`` of a map with seed ``s`` is drawn from ``numpy.random.default_rng(SeedSequence(s, spawn_key=(c,)))``
(the same stream as ``SeedSequence(s).spawn(c + 1)[c]``), so the samples depend on ``(seed, c)`` only and
never on how an engine groups chunks into tasks. The grid's origin and shape come from the robot alone
(:func:`grid`), never from the samples.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .. import validation
from ..errors import OptionError, PlausibilityWarning

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Robot

__all__ = [
    "BASE_CHUNK",
    "MAX_DIRECTIONS",
    "MAX_SEED",
    "MAX_VOXELS",
    "MIN_REACH_VOXELS",
    "SpherePartition",
    "available_memory",
    "check_memory",
    "chunk_rng",
    "chunk_samples",
    "chunk_sizes",
    "grid",
    "moving_link",
    "reach",
    "rotations_with_z",
    "sphere_partition",
]

# Configurations per base chunk: the unit of randomness (one spawned seed each) and of work. 2¹⁵ keeps one
# chunk's arrays (q, T, J, JJᵀ; about 40 MB for a 7-joint arm) well inside a worker's memory, while the
# per-chunk Python overhead (~0.2 ms) stays below 1 % of its ~0.1 s of NumPy work. Changing it changes the
# samples of every seeded map.
BASE_CHUNK = 2**15

# The largest grid accepted: its dense per-voxel arrays (four of 8 bytes) stay below ~6 GB.
MAX_VOXELS = 200_000_000

# A voxel larger than a third of the reach radius (a grid of 7 voxels across or fewer) draws a PlausibilityWarning:
# the default 0.02 m on a small arm (a 50 mm reach gives 5 voxels across), or a voxel given in mm read as metres.
MIN_REACH_VOXELS = 3

# The most approach-direction cells accepted: cells about 0.9° across, finer than a map's samples fill. A map's
# (voxel, direction) tables grow with the count (2 bytes a cell), and its packed pair keys ``voxel · D +
# direction`` must fit in 48 bits (MAX_VOXELS · MAX_DIRECTIONS < 2⁴⁸).
MAX_DIRECTIONS = 2**16


@dataclass(frozen=True, eq=False)
class SpherePartition:
    """An equal-area partition of the unit sphere into ``count`` cells (Leopardi's zonal EQ partition).

    Two polar caps and collars of constant ``z`` in between; collar ``j`` holds ``regions[j]`` cells of
    equal azimuth width. Every cell has area ``4π / count`` exactly (on a sphere, the area of a zone is
    ``2π Δz``, so a collar of ``m`` cells spans ``Δz = 2m / count``). P. Leopardi, "A partition of the unit
    sphere into regions of equal area and small diameter", ETNA 25 (2006), the ``dim = 2`` case.

    Attributes:
        count: Number of cells D.
        z_bounds: ``(k + 1,)`` cell-zone boundaries in ``z``, from 1 (north pole) down to -1.
        regions: ``(k,)`` cells per zone (1 for each polar cap).
        first: ``(k,)`` index of each zone's first cell; cells are numbered north to south, then by
            azimuth from ``+x`` counter-clockwise about ``+z``.
        centres: ``(D, 3)`` unit vector at the centre of each cell (the mid-``z`` and mid-azimuth; a pole
            for a cap).
    """

    count: int
    z_bounds: np.ndarray
    regions: np.ndarray
    first: np.ndarray
    centres: np.ndarray

    def zone(self, z: np.ndarray) -> np.ndarray:
        """The zone of each ``z`` ``(...)`` [-1, 1]: the number of inner boundaries ``z_bounds[1:-1]`` at or above
        it, ``np.searchsorted(-z_bounds[1:-1], -z, side="right")``'s numbers at a few times less cost (that is a
        binary search per value: 42 ns a value for 288 cells): ``z``'s bin in :attr:`zone_table` gives the
        boundaries above the bin and the one (or none) within it, compared directly.

        Returns:
            ``(...)`` int64 zone indices in ``[0, len(regions))``.
        """
        above, within, bins = self.zone_table
        z = np.asarray(z, dtype=float)
        b = ((z + 1.0) * (0.5 * bins)).astype(np.int64)  # (truncated: within ~1e-15 of the bin, see zone_table)
        b = np.clip(b, 0, bins - 1)
        return above[b] + (within[b] >= z)

    @functools.cached_property
    def zone_table(self) -> tuple[np.ndarray, np.ndarray, int]:
        """:meth:`zone`'s lookup: ``bins`` equal bins of ``z`` over [-1, 1] (8 per cell, so two inner boundaries,
        at least ``2 / count`` apart, never share a bin), and for each the number of inner boundaries above
        it ``(bins,)`` and the one within it ``(bins,)`` (-inf: none). The bins are widened by 1e-9 on both
        sides, far more than the rounding of a computed bin index, so a boundary near a bin edge is in the
        bins on both sides and always compared with ``z`` itself."""
        inner = self.z_bounds[1:-1]  # descending
        bins = 8 * self.count
        edges = -1.0 + 2.0 * np.arange(bins + 1) / bins
        low, high = edges[:-1] - 1e-9, edges[1:] + 1e-9
        above = np.searchsorted(-inner, -high, side="left").astype(np.int64)  # #{inner > high}
        candidate = inner[np.minimum(above, inner.size - 1)] if inner.size else np.zeros(bins)
        within = np.where((above < inner.size) & (candidate >= low), candidate, -np.inf)
        return above, within, bins

    def index(self, u: npt.ArrayLike, normalized: bool = False) -> np.ndarray:
        """The cell holding each direction.

        Args:
            u: ``(..., 3)`` directions (need not be unit; a zero vector falls in the last cell).
            normalized: ``u`` is known to be unit (e.g. a rotation's column): skip normalising it.

        Returns:
            ``(...)`` int64 cell indices in ``[0, count)``.
        """
        u = np.asarray(u, dtype=float)
        if normalized:
            z = u[..., 2]
        else:
            norm = np.sqrt(np.einsum("...i,...i->...", u, u))
            z = u[..., 2] / np.where(norm > 0.0, norm, 1.0)
        zone = self.zone(z)  # (...)
        m = self.regions[zone]
        phi = np.asarray(np.arctan2(u[..., 1], u[..., 0]))  # [-π, π] (an array also for one direction)
        np.add(phi, 2.0 * np.pi, out=phi, where=phi < 0.0)  # [0, 2π): phi % 2π's numbers at 1/8 of its cost
        k = np.minimum((phi * (m / (2.0 * np.pi))).astype(np.int64), m - 1)
        return self.first[zone] + k


def sphere_partition(count: int) -> SpherePartition:
    """The equal-area partition of the sphere into ``count`` cells (see :class:`SpherePartition`).

    Args:
        count: Number of cells, >= 1.

    Returns:
        The partition.

    Raises:
        OptionError: ``count`` is not an integer from 1 to :data:`MAX_DIRECTIONS`.
    """
    count = positive_int(count, "directions")
    if count > MAX_DIRECTIONS:
        raise OptionError(f"directions must be an integer from 1 to {MAX_DIRECTIONS}, got {count}")
    if count == 1:
        zones = [1]
    elif count == 2:
        zones = [1, 1]
    else:
        area = 4.0 * np.pi / count
        theta_cap = 2.0 * math.asin(math.sqrt(1.0 / count))  # cap of area 4π/count
        ideal_angle = math.sqrt(area)  # a cell about as tall as it is wide
        collars = max(1, round((np.pi - 2.0 * theta_cap) / ideal_angle))
        fitting = (np.pi - 2.0 * theta_cap) / collars
        zones = [1]
        carry = 0.0
        for j in range(collars):
            top, bottom = theta_cap + j * fitting, theta_cap + (j + 1) * fitting
            ideal = 2.0 * np.pi * (math.cos(top) - math.cos(bottom)) / area
            m = round(ideal + carry)
            carry += ideal - m
            zones.append(m)
        zones.append(1)
    regions = np.array([m for m in zones if m > 0], dtype=np.int64)
    first = np.concatenate([[0], np.cumsum(regions)[:-1]]).astype(np.int64)
    z_bounds = 1.0 - 2.0 * np.concatenate([[0], np.cumsum(regions)]) / count
    z_bounds[-1] = -1.0
    centres = []
    for j, m in enumerate(regions):
        z_mid = 0.5 * (z_bounds[j] + z_bounds[j + 1])
        if m == 1 and (j == 0 or j == len(regions) - 1) and count > 1:
            z_mid = 1.0 if j == 0 else -1.0  # a polar cap's centre is its pole
        phi = (np.arange(m) + 0.5) * (2.0 * np.pi / m)
        s = math.sqrt(max(0.0, 1.0 - z_mid * z_mid))
        centres.append(np.stack([s * np.cos(phi), s * np.sin(phi), np.full(m, z_mid)], axis=-1))
    return SpherePartition(count, z_bounds, regions, first, np.concatenate(centres))


def rotations_with_z(u: npt.ArrayLike) -> np.ndarray:
    """Rotations ``(..., 3, 3)`` whose z column is the unit vector ``u`` ``(..., 3)``.

    The x column is the world ``x`` (or ``y`` when ``u`` is within 45° of ``x``) made orthogonal to ``u``;
    the roll about ``u`` is therefore fixed, not sampled.
    """
    u_arr = np.asarray(u, dtype=float)
    u_unit = u_arr / np.linalg.norm(u_arr, axis=-1, keepdims=True)
    e = np.where(np.abs(u_unit[..., :1]) < np.sqrt(0.5), [1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
    x = e - np.sum(e * u_unit, axis=-1, keepdims=True) * u_unit
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    y = np.cross(u_unit, x)
    return np.stack([x, y, u_unit], axis=-1)


# --------------------------------------------------------------------------------------------- the grid
def positive_int(value: Any, name: str) -> int:
    """``value`` as an int >= 1 (an integral float such as ``1e8`` is accepted; a bool or a string is not);
    OptionError otherwise."""
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise OptionError(f"{name} must be an integer >= 1, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise OptionError(f"{name} must be an integer >= 1, got {value!r}") from None
    if not (math.isfinite(number) and number >= 1 and number == int(number)):
        raise OptionError(f"{name} must be an integer >= 1, got {value!r}")
    return int(number) if not isinstance(value, (int, np.integer)) else int(value)


def positive_length(value: Any, name: str) -> float:
    """``value`` as a float > 0 and finite [m] (a bool or a string is not one); OptionError otherwise."""
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise OptionError(f"{name} must be a positive length [m], got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise OptionError(f"{name} must be a positive length [m], got {value!r}") from None
    if not (math.isfinite(number) and number > 0):
        raise OptionError(f"{name} must be a positive finite length [m], got {value!r}")
    return number


def reach(robot: Robot, link: str | None = None) -> tuple[np.ndarray, float]:
    """A ball that holds every position the frame ``link`` (default: the tool) can reach.

    A pose is ``C[0] Mz_0(q_0) C[1] ... Mz_{n-1}(q_{n-1}) C[n]`` (:class:`robokin.model.Chain`): the first
    joint moves about or along the z axis of ``C[0]``, whose origin it leaves in place (revolute) or moves by
    at most its travel (prismatic). So the frame is never farther from ``C[0]``'s origin than the sum of the
    offsets ``‖C[1..n] translation‖`` plus the prismatic travel, by the triangle inequality; tight for a
    stretched arm. For the tool of a serial robot that sum is the characteristic length ``L``
    (:attr:`robokin.model.Robot.characteristic_length`); for another frame (``link``, a tree's hand) it is
    taken over the root → link path (:meth:`robokin.model.Robot.link_path`), mimic joints' travel through
    their multiplier and offset.

    Args:
        robot: The robot.
        link: A frame name, or None for the robot's one end effector.

    Returns:
        ``p_world_centre`` ``(3,)`` [m] (the first moving joint's axis origin) and the radius [m].

    Raises:
        OptionError: an unknown frame, or ``link=None`` on a robot with several end effectors.
    """
    if link is None and robot.serial:
        centre = np.array(robot.serial_chain.C[0, :3, 3], dtype=float)
        return centre, robot.characteristic_length
    path = robot.link_path(link)
    if path.chain is None:  # no moving joint on the path: one fixed position
        return np.array(path.constant_pose[:3, 3], dtype=float), 0.0
    C = path.chain.C
    lo, hi = robot.sampling_bounds[path.index].T  # the coordinates the path's joints read
    ends = np.abs(np.stack([lo * path.multiplier + path.offset, hi * path.multiplier + path.offset]))
    travel = float(np.sum(np.where(path.chain.revolute, 0.0, ends.max(axis=0))))
    radius = sum(math.hypot(*C[i, :3, 3]) for i in range(1, C.shape[0])) + travel
    return np.array(C[0, :3, 3], dtype=float), float(radius)


def grid(robot: Robot, voxel: float, link: str | None = None) -> tuple[np.ndarray, tuple[int, int, int]]:
    """The voxel grid of a map: a cube about the reach ball (:func:`reach`), from the robot alone.

    The cube's side is ``2 · radius`` rounded up to an odd number of whole voxels, centred on the ball's
    centre (which is therefore a voxel centre), so the grid does not depend on the samples and two maps of
    one robot at one voxel size share their grid.

    Args:
        robot: The robot.
        voxel: Voxel edge [m].
        link: The frame whose positions the grid must hold (default: the robot's one end effector).

    Returns:
        ``origin`` ``(3,)`` [m], the world position of the grid's lowest corner, and ``shape``
        ``(nx, ny, nz)``; voxel ``(i, j, k)`` spans ``origin + [i, j, k] · voxel`` to ``+ voxel``.

    Raises:
        OptionError: ``voxel`` is not a positive length, or the grid would exceed :data:`MAX_VOXELS`.

    Warns:
        PlausibilityWarning: the voxel is larger than a third of the reach radius (:data:`MIN_REACH_VOXELS`).
    """
    voxel = positive_length(voxel, "voxel")
    centre, radius = reach(robot, link)
    # An odd number of voxels per side, at least 2·radius: the reach centre is a voxel centre, so a planar
    # arm's plane runs through the middle of a layer of voxels, never along a boundary between two.
    if not radius / voxel < 1e6:  # far too fine (possibly inf voxels per side): said before any integer of it
        raise OptionError(
            f"voxel={voxel} m gives a grid of about {2.0 * radius / voxel:.3g}³ voxels for {robot.name!r} "
            f"(reach {radius:.3f} m); at most {MAX_VOXELS:.0e} are allowed: choose a larger voxel"
        )
    if 0.0 < radius < MIN_REACH_VOXELS * voxel:
        warnings.warn(
            f"voxel={voxel} m is coarse for {robot.name!r}, whose reach is {radius:.3g} m: the map's grid has "
            f"{2 * math.ceil(radius / voxel - 0.5 - 1e-9) + 1} voxels across; a voxel of about reach / 20 = "
            f"{radius / 20:.2g} m resolves it (lengths are in metres)",
            PlausibilityWarning,
            stacklevel=3,
        )
    side = 2 * math.ceil(radius / voxel - 0.5 - 1e-9) + 1
    if side**3 > MAX_VOXELS:
        raise OptionError(
            f"voxel={voxel} m gives a grid of {side}³ = {side**3:.3g} voxels for {robot.name!r} "
            f"(reach {radius:.3f} m); at most {MAX_VOXELS:.0e} are allowed: choose a larger voxel"
        )
    origin = centre - 0.5 * side * voxel
    return origin, (side, side, side)


def available_memory() -> int | None:
    """Bytes of memory the system can give without swapping (Linux's ``MemAvailable``), or None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def check_memory(needed: float, what: str, advice: str) -> None:
    """OptionError if a map's arrays, ``needed`` bytes, exceed the memory available now (:func:`available_memory`;
    no check where it is unknown). The arrays are zero-filled lazily, so an allocation beyond the memory would
    not fail at once but be killed by the system when filled; ``what`` says what asked for them, ``advice``
    what to change."""
    free = available_memory()
    if free is not None and needed > free:
        raise OptionError(
            f"{what} needs about {needed / 1e9:.3g} GB, and {free / 1e9:.3g} GB of memory are available: {advice}"
        )


# --------------------------------------------------------------------------------------------- chunks
def chunk_sizes(total: int, base: int = BASE_CHUNK) -> np.ndarray:
    """Items per base chunk ``(C,)``: ``base`` each, the last one the remainder."""
    count = -(-total // base)
    sizes = np.full(count, base, dtype=np.int64)
    sizes[-1] = total - base * (count - 1)
    return sizes


def chunk_rng(seed: int, chunk: int) -> np.random.Generator:
    """The generator of base chunk ``chunk``: ``SeedSequence(seed, spawn_key=(chunk,))``.

    That is the seed ``SeedSequence(seed).spawn(chunk + 1)[chunk]`` would give, built directly so that chunk
    ``c`` costs the same whatever ``c`` is.
    """
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(chunk),)))


def chunk_samples(lo: np.ndarray, hi: np.ndarray, seed: int, chunk: int, count: int) -> np.ndarray:
    """The ``count`` joint samples ``(count, n)`` of base chunk ``chunk``, uniform in ``[lo, hi)``
    (a map uses ``lo, hi = robot.sampling_bounds.T``: the limits, ±π rad or ±L m where unlimited)."""
    return lo + (hi - lo) * chunk_rng(seed, chunk).random((count, lo.shape[0]))


# Seeds are stored in a map's files as one 64-bit integer (an .npz array of int64 or uint64, a JSON number).
MAX_SEED = 2**64 - 1


def check_seed(seed: object) -> int:
    """``seed`` as an int from 0 to :data:`MAX_SEED`; OptionError otherwise."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise OptionError(f"seed must be an integer from 0 to 2**64 - 1, got {seed!r}")
    return int(seed)


def moving_link(robot: Robot, link: str | None) -> str:
    """``link`` resolved (:meth:`robokin.model.Robot.resolve_link`), if a joint moves it; OptionError otherwise
    (a frame fixed to the root, such as ``"base"``, has no workspace to map or place)."""
    name = robot.resolve_link(link)
    if robot.link_path(name).chain is None:
        raise OptionError(
            f"link {name!r} of robot {robot.name!r} does not move (no joint between the root and it): it has no "
            f"workspace to map; choose a frame a joint moves, e.g. {robot.end_effectors[0]!r}"
        )
    return name


def points(p: npt.ArrayLike, name: str = "p_world") -> np.ndarray:
    """``p`` as finite float ``(..., 3)`` positions [m]; ShapeError otherwise."""
    return validation.vectors(p, name, 3, " [m]")
