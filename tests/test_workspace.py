"""Workspace maps: the sphere partition, seeds, closed-form workspaces, exact merges, Dask, files, plots, errors."""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import io
import math
import warnings

import numpy as np
import pytest
from conftest import pose_errors

import robokin
from robokin import ik, singularity, workspace
from robokin.errors import (
    ConventionError,
    NoAnalyticSolutionError,
    OptionError,
    PlausibilityWarning,
    RobokinError,
    ShapeError,
)
from robokin.workspace import capability as cap_module
from robokin.workspace import maps as maps_module
from robokin.workspace import sampling
from robokin.workspace.engines import InProcessEngine, MergeTree, reduce_by_key, share_targets, unique_max

# A 2R planar arm with l1 = 1 m, l2 = 0.5 m and full turns: its workspace is the annulus 0.5 <= r <= 1.5.
PLANAR_2R = """
robokin: 1
name: annulus2r
units: {length: m, angle: deg}
joints:
  - {name: j1, type: revolute, dh: {a: 1.0, alpha: 0, d: 0, theta: 0}, limits: [-180, 180]}
  - {name: j2, type: revolute, dh: {a: 0.5, alpha: 0, d: 0, theta: 0}, limits: [-180, 180]}
"""
L1, L2 = 1.0, 0.5

# A 6R arm with a spherical wrist and no tool offset (upper arm 0.5 m, forearm 0.3 m, every joint a full
# turn): the tool origin is the wrist centre, whose workspace is the shell 0.2 <= |p| <= 0.8 about the
# shoulder (the world origin), and every orientation is reachable at every point of it.
SPHERICAL_WRIST = """
robokin: 1
name: wrist6r
units: {length: m, angle: deg}
joints:
  - {name: j1, type: revolute, dh: {a: 0, alpha: 90, d: 0, theta: 0}, limits: [-180, 180]}
  - {name: j2, type: revolute, dh: {a: 0.5, alpha: 0, d: 0, theta: 0}, limits: [-180, 180]}
  - {name: j3, type: revolute, dh: {a: 0, alpha: 90, d: 0, theta: 0}, limits: [-180, 180]}
  - {name: j4, type: revolute, dh: {a: 0, alpha: -90, d: 0.3, theta: 0}, limits: [-180, 180]}
  - {name: j5, type: revolute, dh: {a: 0, alpha: 90, d: 0, theta: 0}, limits: [-180, 180]}
  - {name: j6, type: revolute, dh: {a: 0, alpha: 0, d: 0, theta: 0}, limits: [-180, 180]}
"""
R_IN, R_OUT = 0.2, 0.8

# A tree of two planar 2R hands (1 m and 0.5 m, full turns, axes along world z) on shoulders 0.5 m either side of
# the base: each hand reaches the annulus 0.5 <= r <= 1.5 about its own shoulder, tool z always up.
TWO_PLANAR_HANDS = """
robokin: 2
name: two_planar
units: {length: m, angle: deg}
joints:
  - {name: l1, type: revolute, origin: {xyz: [0, 0.5, 0]}, axis: [0, 0, 1], limits: [-180, 180]}
  - {name: l2, type: revolute, origin: {xyz: [1.0, 0, 0]}, axis: [0, 0, 1], limits: [-180, 180]}
  - {name: r1, type: revolute, parent: base, origin: {xyz: [0, -0.5, 0]}, axis: [0, 0, 1], limits: [-180, 180]}
  - {name: r2, type: revolute, origin: {xyz: [1.0, 0, 0]}, axis: [0, 0, 1], limits: [-180, 180]}
frames:
  - {name: left, parent: l2, origin: {xyz: [0.5, 0, 0]}}
  - {name: right, parent: r2, origin: {xyz: [0.5, 0, 0]}}
"""
SHOULDERS = {"left": [0.0, 0.5], "right": [0.0, -0.5]}

ARRAYS = {
    "capability": (
        "counts",
        "reachability",
        "max_manipulability",
        "max_inverse_condition",
        "pair_voxels",
        "pair_starts",
        "pair_directions",
        "pair_values",
        "pair_manipulability",
        "origin",
    ),
    "reachability": ("attempted", "success", "manipulability", "reachability", "origin"),
}


def assert_same_map(a, b, kind: str = "capability") -> None:
    for name in ARRAYS[kind]:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), name  # NaN included
    assert a.shape == b.shape and a.voxel == b.voxel


@pytest.fixture(scope="module")
def planar():
    return robokin.loads(PLANAR_2R)


@pytest.fixture(scope="module")
def wrist():
    return robokin.loads(SPHERICAL_WRIST)


@pytest.fixture(scope="module")
def wrist_map(wrist):
    return workspace.capability_map(wrist, samples=4 * sampling.BASE_CHUNK, voxel=0.1, directions=6, seed=3)


def voxel_distance_range(m, centre):
    """Nearest and farthest distance [m] of every voxel (its box) from ``centre``, ``shape`` each."""
    lo = m.centres() - m.voxel / 2 - centre
    hi = lo + m.voxel
    near = np.sqrt((np.maximum(0, np.maximum(lo, -hi)) ** 2).sum(-1))
    far = np.sqrt((np.maximum(np.abs(lo), np.abs(hi)) ** 2).sum(-1))
    return near, far


# ------------------------------------------------------------------------------------------ sampling
@pytest.mark.parametrize("count", [1, 2, 3, 7, 50, 200, 288, 1000])
def test_sphere_partition_is_equal_area_and_consistent(count):
    p = workspace.sphere_partition(count)
    assert p.regions.sum() == count and p.centres.shape == (count, 3)
    # zone j spans Δz = z_bounds[j] - z_bounds[j + 1]: area 2π Δz over regions[j] cells, each 4π / count
    cell_area = 2 * np.pi * -np.diff(p.z_bounds) / p.regions
    np.testing.assert_allclose(cell_area, 4 * np.pi / count, rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(p.centres, axis=-1), 1.0, rtol=1e-12)
    assert np.array_equal(p.index(p.centres), np.arange(count))  # each centre in its own cell


@pytest.mark.parametrize("count", [1, 2, 3, 7, 50, 288, 4097, 65536])
def test_sphere_partition_zone_lookup_is_the_binary_search(count):
    """zone's bin lookup gives searchsorted's zone for every z: random, on each boundary and one float either side
    of it, on every bin edge of its table, at the poles and a hair beyond them."""
    p = workspace.sphere_partition(count)
    inner = p.z_bounds[1:-1]
    bins = p.zone_table[2]
    z = np.concatenate(
        [
            np.random.default_rng(count).uniform(-1.0, 1.0, 100_000),
            inner,
            np.nextafter(inner, 2.0),
            np.nextafter(inner, -2.0),
            -1.0 + 2.0 * np.arange(bins + 1) / bins,
            [-1.0, 1.0, -0.0, np.nextafter(1.0, 2.0), np.nextafter(-1.0, -2.0)],
        ]
    )
    assert np.array_equal(p.zone(z), np.searchsorted(-inner, -z, side="right"))
    # one direction (or one z) at a time: a scalar, the batch's answer
    assert np.ndim(p.index(p.centres[-1])) == 0 and p.index(p.centres[-1]) == count - 1
    assert np.ndim(p.zone(0.25)) == 0 and p.zone(0.25) == np.searchsorted(-inner, -0.25, side="right")


def test_sphere_partition_cells_hold_equal_shares_of_uniform_directions():
    rng = np.random.default_rng(5)
    u = rng.normal(size=(400_000, 3))
    counts = np.bincount(workspace.sphere_partition(288).index(u), minlength=288)
    expected = u.shape[0] / 288
    assert np.abs(counts - expected).max() < 5 * np.sqrt(expected)  # binomial: 5 standard deviations


def test_sphere_partition_of_288_has_cells_about_12_degrees_across():
    p = workspace.sphere_partition(288)
    nearest = np.sort(p.centres @ p.centres.T, axis=1)[:, -2]  # cos of the angle to the nearest other centre
    angles = np.degrees(np.arccos(np.clip(nearest, -1, 1)))
    assert 8 < angles.min() and angles.max() < 16


def test_chunk_seed_is_the_spawned_child_of_the_seed():
    for c in (0, 1, 7):
        child = np.random.SeedSequence(11).spawn(c + 1)[c]
        assert np.array_equal(sampling.chunk_rng(11, c).random(5), np.random.default_rng(child).random(5))


def test_rotations_with_z_are_rotations_with_that_z():
    u = workspace.sphere_partition(50).centres
    R = sampling.rotations_with_z(u)
    np.testing.assert_allclose(R @ np.swapaxes(R, -1, -2), np.broadcast_to(np.eye(3), R.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(R), 1.0, atol=1e-12)
    np.testing.assert_allclose(R[..., 2], u, atol=1e-12)


def test_grid_holds_every_reachable_tool_position(robot):
    origin, shape = sampling.grid(robot, 0.05)
    q = sampling.chunk_samples(*robot.sampling_bounds.T, 0, 0, 4000)
    p = robokin.fk(robot, q)[:, :3, 3]
    assert np.all(p >= origin) and np.all(p < origin + np.array(shape) * 0.05)
    centre, radius = sampling.reach(robot)
    assert np.linalg.norm(p - centre, axis=-1).max() <= radius * (1 + 1e-12)


def test_grid_does_not_depend_on_the_samples(planar):
    a = workspace.capability_map(planar, samples=1000, voxel=0.1, directions=4)
    b = workspace.capability_map(planar, samples=50_000, voxel=0.1, directions=4, seed=9)
    assert np.array_equal(a.origin, b.origin) and a.shape == b.shape
    # odd side, centred on the first joint (the world origin here): the arm's plane z = 0 is a layer's middle
    np.testing.assert_allclose(a.origin + np.array(a.shape) * a.voxel / 2, 0.0, atol=1e-12)


# ------------------------------------------------------------------------------------------ measures
def test_measures_match_the_singularity_module_and_the_bound_holds():
    robot = robokin.load("panda")
    job = cap_module.capability_job(robot, 10, 0.1, 8, 0)
    q = sampling.chunk_samples(job.lo, job.hi, 2, 0, 3000)
    q[:3] = [0.0, 0.0, 0.0, -0.1, 0.0, 0.0, 0.0]  # near the stretched (singular) arm
    q[3] = 0.0  # exactly singular (q4 = 0 is outside the Panda's limits, but the formula does not care)
    J = robokin.jacobian(robot, q)
    A = cap_module.gram(np.moveaxis(J, 0, -1), job.rows, job.row_scale, job.col_scale)
    m, bound = cap_module.scaled_measures(A)
    ic = cap_module.inverse_condition_exact(A, np.arange(q.shape[0]))
    Js = singularity.scaled_jacobian(robot, q)
    np.testing.assert_allclose(m, robokin.measures.manipulability(Js), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ic, robokin.measures.inverse_condition(Js), rtol=1e-7, atol=1e-7)
    assert np.all(bound >= ic)
    assert np.median(bound / np.maximum(ic, 1e-300)) < 1.5  # tight enough to prune
    # the cheaper bounds (every sample's screen; no inverse step at all) hold too, singular samples included,
    # and give the same manipulability
    for steps in [(cap_module.SCREEN_STEPS, 0), (0, 0), (2, 1)]:
        m_s, screen = cap_module.scaled_measures(A, *steps)
        assert np.array_equal(m_s, m) and np.all(screen >= ic), steps
    assert screen[3] < 1e-5 and ic[3] < 1e-7  # the exactly singular sample (a zero pivot): bounded by that pivot


@pytest.mark.parametrize(("name", "link"), [("panda", None), ("stanford", None), ("baxter", "left_gripper")])
def test_a_chunks_gram_matrices_and_screen_are_the_whole_batchs_bit_for_bit(name, link):
    """What a chunk computes block by block (pose_and_gram: the in-place kernel, or the path's, and each
    block's Gram matrices; the screen in SCREEN_BLOCKs) is bit for bit path_pose_and_jacobian's numbers per
    BLOCK (the Jacobian is the public jacobian's), gram_matrix of them, scaled_measures of that. The batch ends
    in a block below SMALL_BATCH (the product kernel)."""
    from robokin.kinematics import BLOCK, SMALL_BATCH, path_pose_and_jacobian

    robot = robokin.load(name)
    job = cap_module.capability_job(robot, 10, 0.1, 8, 0, link)
    N = 2 * BLOCK + SMALL_BATCH // 2
    q = sampling.chunk_samples(job.lo, job.hi, 5, 0, N)
    p, z, G = job.pose_and_gram(q)
    blocks = [path_pose_and_jacobian(robot.link_path(link), q[s : s + BLOCK]) for s in range(0, N, BLOCK)]
    T, J = np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks])
    assert np.array_equal(J, robokin.jacobian(robot, q, link=link))
    assert np.array_equal(p, T[:, :, 3].T) and np.array_equal(z, T[:, :, 2].T)
    G_whole = cap_module.gram_matrix(np.transpose(J, (1, 2, 0)), job.rows, job.row_scale, job.col_scale)
    assert np.array_equal(G.view(np.uint64), G_whole.view(np.uint64))
    assert np.array_equal(job.pose_and_jacobian(q)[2], np.transpose(J, (1, 2, 0)))
    m, bound = cap_module.scaled_measures(cap_module.lower(G), cap_module.SCREEN_STEPS, 0)
    assert np.all(bound >= 0.0) and np.all(m >= 0.0)
    # a whole base chunk, screened in SCREEN_BLOCKs: its per-voxel maxima are the whole batch's
    job = cap_module.capability_job(robot, sampling.BASE_CHUNK, 0.1, 8, 0, link)
    assert job.base > cap_module.SCREEN_BLOCK
    acc = cap_module.CapabilityAccumulator(job.n_voxels, job.partition.count, dense_pairs=False)
    job.chunk(0, acc)
    p, _, G = job.pose_and_gram(sampling.chunk_samples(job.lo, job.hi, 0, 0, job.base))
    m = cap_module.scaled_measures(cap_module.lower(G), cap_module.SCREEN_STEPS, 0)[0]
    ijk = np.clip(np.floor((p - job.origin[:, None]) / job.voxel).astype(np.int64), 0, None)
    voxel = np.ravel_multi_index(np.minimum(ijk, np.array(job.shape)[:, None] - 1), job.shape)
    best = np.zeros(job.n_voxels)
    np.maximum.at(best, voxel, m)
    assert np.array_equal(acc.manipulability, best) and np.count_nonzero(best) > 10


def test_inverse_condition_rounding_is_monotone_with_the_stated_precision():
    rng = np.random.default_rng(4)
    x = np.sort(np.concatenate([10.0 ** rng.uniform(-300, 0, 20_000), rng.random(20_000), [0.0, 1.0, 1e-308]]))
    r = cap_module.round_inverse_condition(x)
    assert np.all(np.abs(r - x) <= 2.0**-11 * x)  # the stated precision, at every magnitude
    assert np.all(np.diff(r) >= 0.0)  # monotone: the maximum of rounded values is the rounded maximum
    assert r[0] == 0.0 and np.array_equal(cap_module.round_inverse_condition(r), r)  # rounded values stay
    normal = (x >= 2.0**-14) & (x <= 1.0)  # float16's normal range: the same rounding as float16 (pairs)
    assert np.array_equal(r[normal], x[normal].astype(np.float16).astype(float))
    # ties go to even: 1 + 2⁻¹¹ lies halfway between 1 and 1 + 2⁻¹⁰
    assert cap_module.round_inverse_condition(np.array([1 + 2.0**-11, 1 + 3 * 2.0**-11])).tolist() == [1.0, 1 + 2.0**-9]


def random_gram(rng, count, k=6, n=7):
    """Packed Gram matrices ``(k (k + 1) / 2, count)`` of random ``k x n`` matrices: a fifth of full rank, the
    others of every rank below k, or nearly so (a singular value shrunk by up to 1e-9), at scales 1e-6...1e6."""
    M = rng.standard_normal((count, k, n))
    U, s, Vt = np.linalg.svd(M, full_matrices=False)
    rank = rng.integers(0, k + 1, count)
    near = rng.random(count) < 0.5
    shrink = np.where(near, 10.0 ** rng.uniform(-9, -3, count), 0.0)
    s = np.where(np.arange(k) < rank[:, None], s, s * shrink[:, None])
    s *= 10.0 ** rng.uniform(-6, 6, count)[:, None]
    M = np.einsum("cik,ck,ckj->cij", U, s, Vt)
    return np.stack([np.einsum("cj,cj->c", M[:, i], M[:, j]) for i in range(k) for j in range(i + 1)])


@pytest.mark.parametrize("k", [6, 3, 2, 1])
def test_certified_bounds_hold_on_random_and_singular_jacobians(k):
    rng = np.random.default_rng(k)
    G = random_gram(rng, 6000, k=k, n=k + 1)
    exact = cap_module.inverse_condition_exact(cap_module.lower(G), np.arange(G.shape[1]))
    lower, upper = cap_module.inverse_condition_bounds(G)
    assert np.all(lower <= exact) and np.all(exact <= upper)  # on every sample, rank-deficient ones included
    assert np.all(lower >= 0.0) and not np.isnan(upper).any()
    round_ = cap_module.round_inverse_condition
    decided = round_(lower) == round_(upper)
    assert np.array_equal(round_(lower)[decided], round_(exact)[decided])
    # tight enough to decide the rounded value of most well-conditioned samples without eigvalsh (of
    # (near-)singular ones, σ_min/σ_max < 1e-6, the bounds are only [0, ~1e-6]: rounding errors)
    assert decided[exact > 1e-3].mean() > 0.8 and not decided[exact < 1e-7].any()


@pytest.mark.parametrize("k", [6, 3, 2])
def test_ruled_out_only_samples_that_cannot_beat_the_best(k):
    """ruled_out's one Sturm pass drops a sample only when its rounded exact value cannot exceed the best: never
    when the best is the rounded value just below the sample's, on random and (nearly) singular Gram matrices;
    and it drops the well-conditioned samples whose voxel's best is 10 % above them."""
    rng = np.random.default_rng(10 + k)
    G = random_gram(rng, 6000, k=k, n=k + 1)
    exact = cap_module.round_inverse_condition(
        cap_module.inverse_condition_exact(cap_module.lower(G), np.arange(G.shape[1]))
    )
    diagonal, squared_off = cap_module.tridiagonal(G)
    step = np.uint64(1) << np.uint64(53 - cap_module.INVERSE_CONDITION_BITS)
    below = np.where(exact > 0.0, (exact.view(np.uint64) - step).view(np.float64), 0.0)  # the next value down
    assert not cap_module.ruled_out(diagonal, squared_off, below)[exact > 0.0].any()
    for best in (exact, cap_module.round_inverse_condition(exact * rng.uniform(0.0, 2.0, exact.size))):
        out = cap_module.ruled_out(diagonal, squared_off, best)
        assert np.all(exact[out] <= best[out])
    above = cap_module.round_inverse_condition(exact * 1.1)
    out = cap_module.ruled_out(diagonal, squared_off, above)
    assert out[exact > 1e-3].mean() > 0.95  # (1.0 measured; at 5 % above, 0.79 for k = 6)
    # a zero Gram matrix (a sample at a singular point of a rank-0 task) is never ruled out by NaN
    zero = np.zeros((k, 3)), np.zeros((k - 1, 3))
    assert not cap_module.ruled_out(*zero, np.zeros(3)).any()


def test_rounded_maxima_are_the_same_in_any_split_and_order():
    rng = np.random.default_rng(3)
    G = random_gram(rng, 8000)
    A = cap_module.lower(G)
    exact = cap_module.inverse_condition_exact(A, np.arange(G.shape[1]))
    bound = cap_module.scaled_measures(A, cap_module.SCREEN_STEPS, 0)[1]
    voxel = rng.integers(0, 300, G.shape[1])
    expected = np.zeros(300)
    np.maximum.at(expected, voxel, cap_module.round_inverse_condition(exact))
    whole = np.zeros(300)
    computed = cap_module.raise_packed(G, voxel, bound, whole)
    assert np.array_equal(whole, expected) and computed < G.shape[1] / 4
    order = rng.permutation(G.shape[1])
    parts = np.zeros(300)
    for chunk in np.array_split(order, 7):
        cap_module.raise_packed(G[:, chunk], voxel[chunk], bound[chunk], parts)
    assert np.array_equal(parts, expected)
    # a start of rounded exact values of other samples (a Dask task's floor) changes nothing
    floor = expected * (rng.random(300) < 0.5)
    cap_module.raise_packed(G, voxel, bound, floor)
    assert np.array_equal(floor, expected)


def test_per_voxel_maxima_equal_a_brute_force_over_the_same_samples(planar):
    m = workspace.capability_map(planar, samples=40_000, voxel=0.25, directions=4, seed=2)
    q = sampling.chunk_samples(*planar.sampling_bounds.T, 2, 0, 32768)
    q = np.concatenate([q, sampling.chunk_samples(*planar.sampling_bounds.T, 2, 1, 40_000 - 32768)])
    p = robokin.fk(planar, q)[:, :3, 3]
    index, inside = m.voxel_index(p)
    assert inside.all()
    Js = singularity.scaled_jacobian(planar, q)
    counts = np.bincount(index, minlength=m.counts.size)
    best_m, best_ic = np.zeros(m.counts.size), np.zeros(m.counts.size)
    np.maximum.at(best_m, index, robokin.measures.manipulability(Js))
    np.maximum.at(best_ic, index, robokin.measures.inverse_condition(Js))
    assert np.array_equal(m.counts.reshape(-1), counts)
    np.testing.assert_allclose(m.max_manipulability.reshape(-1), best_m, rtol=1e-9, atol=1e-12)
    # the stated precision: rounded to 11 significant bits (relative error <= 2⁻¹¹; atol: SVD vs eigvalsh)
    np.testing.assert_allclose(m.max_inverse_condition.reshape(-1), best_ic, rtol=2.0**-11, atol=1e-7)


def brute_force(job):
    """Per voxel counts and maxima and per (voxel, direction) best manipulability of every sample of ``job``,
    each with its exact measure (no bound, no pruning), straight from fk and the Jacobian."""
    qs = [
        sampling.chunk_samples(job.lo, job.hi, job.seed, c, min(job.base, job.samples - c * job.base))
        for c in range(job.n_chunks)
    ]
    q = np.concatenate(qs)
    # chunk by chunk: a tree's Jacobian folds its path columns by a matmul, whose rounding may depend on the batch
    T = np.concatenate([robokin.fk(job.robot, x, link=job.link) for x in qs])
    J = np.concatenate([robokin.jacobian(job.robot, x, link=job.link) for x in qs])
    ijk = np.floor((T[:, :3, 3] - job.origin) / job.voxel).astype(np.int64)
    assert np.all((ijk >= 0) & (ijk < job.shape))  # the grid holds the frame's reach: no sample clipped
    voxel = np.ravel_multi_index(ijk.T, job.shape)
    direction = job.partition.index(T[:, :3, 2])
    A = cap_module.gram(np.moveaxis(J, 0, -1), job.rows, job.row_scale, job.col_scale)
    m = cap_module.scaled_measures(A)[0]
    ic = cap_module.inverse_condition_exact(A, np.arange(q.shape[0]))
    V, D = job.n_voxels, job.partition.count
    best_m, best_ic, pair = np.zeros(V), np.zeros(V), np.full(V * D, -np.inf)
    np.maximum.at(best_m, voxel, m)
    np.maximum.at(best_ic, voxel, ic)
    np.maximum.at(pair, voxel * D + direction, m)
    return np.bincount(voxel, minlength=V), best_m, best_ic, pair.reshape(V, D)


@pytest.mark.parametrize("which", ["planar", "wrist", "baxter"])
def test_pruned_map_equals_the_exact_measure_of_every_sample(which, planar, wrist):
    # Many samples per voxel, so the bounds skip most exact σ_min/σ_max; the map must not notice. Baxter: a
    # tree robot's hand (link=), its reach ball about its own shoulder.
    robot, link = {"planar": (planar, None), "wrist": (wrist, None), "baxter": (robokin.load("baxter"), "left_hand")}[
        which
    ]
    coarse = (  # (0.35 m is a third of the small wrist arm's reach or more: the grid says so)
        pytest.warns(PlausibilityWarning, match="voxel=0.35 m is coarse for 'wrist6r'")
        if which == "wrist"
        else contextlib.nullcontext()
    )
    with coarse:
        job = dataclasses.replace(cap_module.capability_job(robot, 12 * 1024 + 5, 0.35, 6, 9, link), base=1024)
    counts, best_m, best_ic, pair = brute_force(job)
    acc = job.start()
    for c in range(job.n_chunks):
        job.run_into(acc, [c])
    assert acc.exact < job.samples / 4  # most samples were never computed exactly
    m = job.finish(acc)
    assert np.array_equal(m.counts.reshape(-1), counts)
    assert np.array_equal(m.max_manipulability.reshape(-1), best_m)
    # the rounded maximum of every sample's exact value, not close: whatever the bounds decided
    assert np.array_equal(m.max_inverse_condition.reshape(-1), cap_module.round_inverse_condition(best_ic))
    assert np.array_equal(m.pair_voxels, np.flatnonzero(counts))
    expected = pair[m.pair_voxels]
    reached = np.isfinite(expected)
    assert np.array_equal(~np.isnan(m.pair_manipulability), reached)
    assert np.array_equal(m.pair_manipulability[reached], expected[reached].astype(np.float16))
    np.testing.assert_array_equal(m.reachability.reshape(-1)[m.pair_voxels], reached.mean(axis=1))
    assert m.pair_count == reached.sum() and m.pair_keys().size == reached.sum()
    assert m.link == robot.resolve_link(link)
    with pytest.raises(ValueError, match="accumulator of start"):
        job.finish(acc)  # spent: its pair table is the map's now


def test_a_tree_robot_maps_each_hand_about_its_own_shoulder():
    baxter = robokin.load("baxter")
    left = workspace.capability_map(baxter, samples=3000, voxel=0.1, directions=8, link="left_hand")
    right = workspace.capability_map(baxter, samples=3000, voxel=0.1, directions=8, link="right_hand")
    assert left.link == "left_hand" and left.counts.sum() == 3000
    centre_l, radius = sampling.reach(baxter, "left_hand")
    centre_r, _ = sampling.reach(baxter, "right_hand")
    # the hands mirror each other about the x-z plane: so do their reach balls, and their reached y
    np.testing.assert_allclose(centre_l * [1, -1, 1], centre_r, atol=1e-3)
    y = lambda m: (m.centres()[..., 1][m.counts > 0]).mean()  # noqa: E731
    assert y(left) > 0.1 and y(right) < -0.1
    q = sampling.chunk_samples(*baxter.sampling_bounds.T, 0, 0, 3000)
    d = np.linalg.norm(robokin.fk(baxter, q, link="left_hand")[:, :3, 3] - centre_l, axis=-1)
    assert d.max() <= radius and d.max() > 0.6 * radius  # a ball that holds the hand, not far too big
    with pytest.raises(OptionError, match="end effectors"):
        workspace.capability_map(baxter, samples=10)
    with pytest.raises(OptionError, match="link must be a frame of robot 'baxter'"):
        workspace.capability_map(baxter, samples=10, link="left_foot")


def test_unique_max_keeps_the_largest_code_per_key_in_any_order():
    rng = np.random.default_rng(1)
    keys = rng.integers(0, 300, 5000).astype(np.uint64)
    codes = rng.integers(1, 2**16, 5000).astype(np.uint64)
    packed = keys << np.uint64(16) | codes
    out = unique_max(packed)
    assert np.array_equal(out, unique_max(packed[rng.permutation(5000)]))
    assert np.array_equal(out >> np.uint64(16), np.unique(keys))
    best = np.zeros(300, np.uint64)
    np.maximum.at(best, keys.astype(np.intp), codes)
    assert np.array_equal(out & np.uint64(0xFFFF), best[np.unique(keys).astype(np.intp)])
    assert unique_max(packed[:1]).tolist() == packed[:1].tolist() and unique_max(packed[:0]).size == 0


def test_zeroed_pages_are_a_writable_zeroed_table():
    table = cap_module.zeroed_pages(5 * 4096)
    assert table.dtype == np.uint16 and table.shape == (5 * 4096,) and not table.any()
    table[:] = 7
    assert np.all(table == 7)
    assert cap_module.zeroed_pages(0).size == 0


def test_float16_pair_codes_order_like_the_values():
    m = np.array([0.0, -0.0, 1e-9, 6e-8, 6.1e-5, 0.03, 0.0301, 1.0, 7e4])
    codes = cap_module.pair_codes(m)
    assert codes[1] == codes[0] == 1  # -0.0 is +0.0; 0 is never the code of a reached pair
    assert np.all(np.diff(codes.astype(np.int64)) >= 0)  # monotone: the maximum of codes is the code of the maximum
    assert codes[5] < codes[6] and codes[-1] == 0x7C01  # above float16's range: +inf, still ordered


def test_every_bundled_robot_maps_and_its_maxima_match_the_singularity_module(robot):
    m = workspace.capability_map(robot, samples=1500, voxel=0.25, directions=8, seed=6)
    q = sampling.chunk_samples(*robot.sampling_bounds.T, 6, 0, 1500)
    index, inside = m.voxel_index(robokin.fk(robot, q)[:, :3, 3])
    assert inside.all() and m.counts.sum() == 1500
    Js = singularity.scaled_jacobian(robot, q)  # rows: singularity.task_rows (e.g. 4 for a SCARA)
    best_m, best_ic = np.zeros(m.counts.size), np.zeros(m.counts.size)
    np.maximum.at(best_m, index, robokin.measures.manipulability(Js))
    np.maximum.at(best_ic, index, robokin.measures.inverse_condition(Js))
    np.testing.assert_allclose(m.max_manipulability.reshape(-1), best_m, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(m.max_inverse_condition.reshape(-1), best_ic, rtol=2.0**-11, atol=1e-7)
    assert np.all((m.reachability > 0) == (m.counts > 0)) and m.reachability.max() <= 1.0


def test_reduce_by_key_is_exact_and_order_free():
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 50, 1000)
    values = rng.random(1000)
    out = reduce_by_key(keys, {"n": (np.ones(1000, np.int64), np.add), "max": (values, np.maximum)})
    perm = rng.permutation(1000)
    again = reduce_by_key(keys[perm], {"n": (np.ones(1000, np.int64), np.add), "max": (values[perm], np.maximum)})
    assert all(np.array_equal(out[k], again[k]) for k in out)
    assert np.array_equal(out["n"], np.bincount(keys)[out["key"]])
    assert out["max"][0] == values[keys == out["key"][0]].max()


# ------------------------------------------------------------------------------------------ closed forms
def test_planar_2r_map_is_the_annulus(planar):
    m = workspace.capability_map(planar, samples=3 * sampling.BASE_CHUNK, voxel=0.1, directions=8)
    near, far = voxel_distance_range(m, np.zeros(3))
    reached = m.counts > 0
    assert reached.sum() > 100
    # no reached voxel lies wholly outside |l1 - l2| <= r <= l1 + l2
    assert np.all(near[reached] <= L1 + L2 + 1e-9) and np.all(far[reached] >= abs(L1 - L2) - 1e-9)
    # every voxel of the arm's plane well inside the annulus is reached
    layer = m.shape[2] // 2
    r = np.linalg.norm(m.centres()[..., :2], axis=-1)
    inside = (r > abs(L1 - L2) + 0.15) & (r < L1 + L2 - 0.15)
    assert np.all(reached[:, :, layer][inside[:, :, layer]])
    assert not reached[:, :, :layer].any() and not reached[:, :, layer + 1 :].any()
    # a planar arm's tool z axis is the world z: one direction cell of the eight, everywhere
    assert np.all(m.reachability[reached] == 1 / 8)


def test_spherical_wrist_reach_is_the_shell_with_every_direction(wrist, wrist_map):
    m = wrist_map
    near, far = voxel_distance_range(m, np.zeros(3))
    reached = m.counts > 0
    assert np.all(near[reached] <= R_OUT + 1e-9) and np.all(far[reached] >= R_IN - 1e-9)
    r = np.linalg.norm(m.centres(), axis=-1)
    interior = (r > R_IN + 0.15) & (r < R_OUT - 0.15)
    assert np.all(reached[interior])
    # a full spherical wrist points the tool every way at every wrist position; ~65 samples per voxel,
    # not uniform over the directions, leave a cell unsampled now and then
    assert m.reachability[interior].mean() > 0.95 and m.reachability[interior].min() >= 4 / 6


def test_reachability_map_solves_inside_the_shell_and_nothing_outside(wrist, wrist_map):
    rm = workspace.reachability_map(wrist, voxel=0.2, directions=6, capability=wrist_map, seed=1)
    r = np.linalg.norm(rm.centres(), axis=-1)[..., None] * np.ones(6)
    assert not rm.success[(r > R_OUT + 1e-9) | (r < R_IN - 1e-9)].any()
    well_inside = (r > R_IN + 0.05) & (r < R_OUT - 0.05)
    assert rm.attempted[well_inside].all()
    assert rm.success[well_inside].mean() > 0.98
    # the measure is the answer's, as it is: 0 where not solved, and exactly 0 at a solved pose where the closed
    # form lands on a singular configuration (on this arm ~7 % of the solved grid poses, nearly all of them
    # singular in every IK solution, e.g. a wrist centre on the first axis), so only >= 0 holds everywhere
    assert np.all(rm.manipulability[~rm.success] == 0) and np.all(rm.manipulability >= 0)
    assert np.mean(rm.manipulability[rm.success] > 1e-6) > 0.85
    np.testing.assert_array_equal(rm.reachability, rm.success.mean(-1))
    # the map's grid poses have the tool z of their direction cell
    T = rm.poses()
    assert np.array_equal(rm.success_at(T.reshape(-1, 4, 4)), rm.success.reshape(-1))


def test_reachability_map_of_one_hand_of_a_tree(tmp_path):
    baxter = robokin.load("baxter")
    rm = workspace.reachability_map(
        baxter, voxel=0.3, directions=2, link="left_gripper", prune_samples=sampling.BASE_CHUNK, seed=2
    )
    assert rm.link == "left_gripper" and rm.success.any() and not rm.success.all()
    # the solved poses are the left hand's: IK of that frame solves them again, verified by its own fk
    T = rm.poses()[rm.success]
    again = ik.solve(baxter, T, link="left_gripper")
    assert again.success.all()
    p_err, r_err = pose_errors(baxter, again.q, T, link="left_gripper")
    assert p_err.max() < 1e-5 and r_err.max() < 1e-5
    # nothing solved outside the left hand's reach ball (its voxel's centre within radius + half a diagonal)
    centre, radius = sampling.reach(baxter, "left_gripper")
    d = np.linalg.norm(rm.centres() - centre, axis=-1)[rm.success.any(-1)]
    assert np.all(d <= radius + rm.voxel * np.sqrt(3) / 2)
    assert np.all(rm.manipulability[rm.success] > 0) and np.all(rm.manipulability[~rm.success] == 0)
    rm.save(str(tmp_path / "hand.npz"))
    assert workspace.load_map(str(tmp_path / "hand.npz")).link == "left_gripper"
    left = workspace.capability_map(baxter, samples=sampling.BASE_CHUNK, voxel=0.3, directions=2, link="left_gripper")
    with pytest.raises(OptionError, match="capability is a map of frame 'left_gripper', not of 'right_gripper'"):
        workspace.reachability_map(baxter, voxel=0.3, directions=2, capability=left, link="right_gripper")
    with pytest.raises(OptionError, match="left_gripper"):
        workspace.reachability_map(baxter, voxel=0.3, directions=2)  # two end effectors: link is needed


def test_planar_3r_reaches_exactly_the_poses_whose_wrist_lies_in_the_annulus():
    # planar3r: links 1, 0.8 and 0.5 m, full turns, every axis along world z. Its tool z axis is always +z, and a
    # grid pose of the +z cell has the roll of rotations_with_z: tool x along world x. So the pose at (x, y, 0) is
    # reachable iff its wrist (x - 0.5, y) lies in the 2R annulus 0.2 <= r <= 1.8; nothing else is.
    robot = robokin.load("planar3r")
    rm = workspace.reachability_map(robot, voxel=0.25, directions=6, prune_samples=4 * sampling.BASE_CHUNK, seed=3)
    assert sampling.sphere_partition(6).index([0.0, 0.0, 1.0]) == 0
    p = rm.centres()
    plane = np.abs(p[..., 2]) < 1e-9
    r = np.linalg.norm(p[..., :2] - [0.5, 0.0], axis=-1)
    inside = plane & (r > 0.2 + 0.02) & (r < 1.8 - 0.02)
    assert rm.success[..., 0][inside].all()
    outside = ~plane | (r < 0.2 - 1e-9) | (r > 1.8 + 1e-9)
    assert not rm.success[..., 0][outside].any() and not rm.success[..., 1:].any()
    # every solved pose is the answer's: fk of IK of it again, and the map's own pose grid
    T = rm.poses()[rm.success]
    assert np.array_equal(rm.success_at(T), np.ones(len(T), bool))
    assert rm.manipulability[rm.success].min() > 0 and np.all(rm.manipulability[~rm.success] == 0)
    # the pruning: the samples only ever pointed the tool up (cell 0, the north cap), so only that cell and the
    # adjacent ones (the collar, 90 degrees away) were attempted, never the south cap (cell 5, 180 degrees away)
    assert rm.attempted[..., 0][inside].all() and not rm.attempted[..., 5].any()
    assert not rm.attempted[np.abs(p[..., 2]) > rm.voxel + 1e-9].any()  # two layers off the plane


def test_closed_form_answers_are_checked_by_fk_and_agree_with_the_dls(wrist, wrist_map):
    from robokin.workspace.reachability import reachability_job

    kwargs = {"capability": wrist_map, "voxel": 0.2, "directions": 6, "seed": 1}
    maps = {m: workspace.reachability_map(wrist, method=m, **kwargs) for m in ("auto", "analytic", "dls")}
    auto, analytic, dls = maps["auto"].success, maps["analytic"].success, maps["dls"].success
    assert not (analytic & ~auto).any() and not (dls & ~auto).any()
    # the closed form of a 6R arm finds every pose "auto" does, also at the shoulder singularity (the wrist centre on
    # the first axis, x = y = 0, with the tool along it: a continuum of solutions, whose answers the polish keeps on
    # it; before, their Newton steps blew rounding up along it and the closed form lost them to the DLS)
    p = maps["auto"].centres()[..., None, :] * np.ones((6, 1))
    on_axis = np.linalg.norm(p[..., :2], axis=-1) < 1e-9
    assert not (auto & ~analytic).any() and (analytic & on_axis).any()
    r = np.linalg.norm(p, axis=-1)
    well_inside = (r > R_IN + 0.05) & (r < R_OUT - 0.05)
    assert auto[well_inside].all() and analytic[well_inside & ~on_axis].all()
    # the answers themselves: within the limits and at the pose, by an fk independent of the solvers
    job = reachability_job(
        wrist, 0.2, 6, capability=wrist_map, prune_samples=1, options=ik.IKOptions(), seed=1, engine=None, link="tool"
    )
    assert job.closed_form and job.dls
    ids, q, ok = job.answers(0)
    assert ok.mean() > 0.5
    p_err, r_err = pose_errors(wrist, q[ok], job.poses(ids[ok]))
    assert p_err.max() <= ik.position_tolerance(wrist) and r_err.max() <= 1e-6
    assert np.all((q[ok] >= wrist.limits[:, 0]) & (q[ok] <= wrist.limits[:, 1]))


def test_panda_closed_form_with_dls_solves_a_superset_of_the_closed_form_alone():
    panda = robokin.load("panda")
    cmap = workspace.capability_map(panda, samples=2 * sampling.BASE_CHUNK, voxel=0.3, directions=4, seed=5)
    kwargs = {"capability": cmap, "voxel": 0.3, "directions": 4, "seed": 5}
    auto = workspace.reachability_map(panda, **kwargs)
    analytic = workspace.reachability_map(panda, method="analytic", **kwargs)
    assert analytic.success.any() and not (analytic.success & ~auto.success).any()
    assert np.array_equal(auto.attempted, analytic.attempted)
    from robokin.workspace.reachability import DEFAULT_IK_OPTIONS, reachability_job

    job = reachability_job(
        panda, 0.3, 4, capability=cmap, prune_samples=1, options=DEFAULT_IK_OPTIONS, seed=5, engine=None, link="tool"
    )
    ids, q, ok = job.answers(0)  # one chunk holds every attempted pose: the map's answers
    assert ids.size == auto.attempted.sum() and ok.sum() == auto.success.sum()
    p_err, r_err = pose_errors(panda, q[ok], job.poses(ids[ok]))
    assert p_err.max() <= ik.position_tolerance(panda) and r_err.max() <= 1e-6
    assert np.all((q[ok] >= panda.limits[:, 0]) & (q[ok] <= panda.limits[:, 1]))
    # The measure of a closed-form pose is the best over all its solutions, each checked here by an independent
    # fk (the 8 swept values of joint 7): not the one at the solution nearest the middle of the ranges.
    solved = analytic.success.reshape(-1)
    T = analytic.poses().reshape(-1, 4, 4)[solved]
    sols = ik.solve_all(panda, T, grid=8)
    p_err, r_err = pose_errors(panda, sols.q, T[:, None])
    checked = sols.valid & (p_err <= ik.position_tolerance(panda)) & (r_err <= 1e-6)  # (P, 64)
    w = singularity.manipulability(panda, sols.q, rows="all") / panda.characteristic_length**3  # [v/L; ω]: L⁻³
    best = np.where(checked, w, -1.0).max(axis=-1)
    recorded = analytic.manipulability.reshape(-1)[solved]
    assert np.allclose(recorded, best, rtol=1e-9, atol=1e-15)
    middle = panda.limits.mean(axis=-1)
    nearest = np.argmin(np.where(checked, np.abs(sols.q - middle).sum(-1), np.inf), axis=-1)
    at_nearest = w[np.arange(T.shape[0]), nearest]
    assert np.all(recorded >= at_nearest * (1 - 1e-9)) and np.mean(recorded > 1.05 * at_nearest) > 0.3
    assert np.array_equal(auto.manipulability[analytic.success], analytic.manipulability[analytic.success])


def test_base_placement_puts_the_base_within_reach_of_the_target(wrist):
    # The closed form: every orientation is reachable on the shell 0.2 <= |p| <= 0.8 about the shoulder (the
    # base), so a base at distance d from the target reaches it iff 0.2 <= d <= 0.8. The map's estimate takes the
    # cells near the target (at most 1.5 voxels away along each axis: 1.5·√3 voxels). A sparse map (2¹⁵ samples,
    # 0.1 m x 50 directions) leaves most cells empty, so its own-cell lookup has holes everywhere in the shell; the
    # estimate has none a voxel diagonal inside it.
    sparse = workspace.capability_map(wrist, samples=sampling.BASE_CHUNK, voxel=0.1, directions=50, seed=3)
    target = np.eye(4)
    target[:3, 3] = [2.0, 1.0, 0.0]
    target[:3, :3] = sampling.rotations_with_z([0.3, 0.2, 0.9])
    bp = workspace.base_placement(wrist, target, capability=sparse, yaws=4, top=3)
    assert bp.best.shape == (3, 4, 4) and bp.best_reached.tolist() == [1, 1, 1]
    d = np.linalg.norm(bp.positions - target[:3, 3], axis=-1)[..., None] * np.ones(4)  # (nx, ny, Y)
    v = sparse.voxel
    assert not bp.reached[(d > R_OUT + 1.5 * np.sqrt(3) * v) | (d < R_IN - 1.5 * np.sqrt(3) * v)].any()
    inside = (d > R_IN + np.sqrt(3) * v) & (d < R_OUT - np.sqrt(3) * v)
    assert inside.sum() > 100 and bp.reached[inside].all()
    B = np.tile(np.eye(4), inside.shape + (1, 1))
    B[..., :3, 3] = bp.positions[:, :, None, :]
    B[..., :3, :3] = robokin.spatial.rot_z(bp.yaws)
    own_cell = sparse.reached_at(np.linalg.inv(B) @ target)
    assert (~own_cell[inside]).mean() > 0.5
    # scored with an IK reachability map instead (its grid poses as the "samples"): the same closed form
    rmap = workspace.reachability_map(wrist, capability=sparse, voxel=0.1, directions=6, seed=1)
    by_ik = workspace.base_placement(wrist, target, reachability=rmap, yaws=2, top=2)
    d2 = np.linalg.norm(by_ik.positions - target[:3, 3], axis=-1)[..., None] * np.ones(2)
    assert not by_ik.reached[(d2 > R_OUT + 1.5 * np.sqrt(3) * v) | (d2 < R_IN - 1.5 * np.sqrt(3) * v)].any()
    assert by_ik.reached[(d2 > R_IN + np.sqrt(3) * v) & (d2 < R_OUT - np.sqrt(3) * v)].all()
    assert by_ik.best_reached.tolist() == [1, 1]
    with pytest.raises(OptionError, match="reachability is a map of frame 'tool', not of 'j1'"):
        workspace.base_placement(wrist, target, reachability=rmap, link="j1")
    # the best bases reach the target by IK: checked here by fk of the robot moved there
    assert bp.best_success.shape == (3, 1) and bp.best_success.all()
    for B_best, q in zip(bp.best, bp.best_q):
        p_err, r_err = pose_errors(wrist.with_base(B_best), q, bp.targets)
        assert p_err.max() <= ik.position_tolerance(wrist) and r_err.max() <= 1e-6
    assert np.all(np.diff(bp.best_score) <= 0) and 3 <= bp.verified <= 256


def test_best_bases_of_the_panda_reach_the_targets_by_ik():
    panda = robokin.load("panda")
    q = np.random.default_rng(7).uniform(*panda.limits.T, size=(3, 7))
    targets = panda.fk(q)
    targets[:, 0, 3] += 1.0  # the robot moved 1 m along x reaches all three
    cmap = workspace.capability_map(panda, samples=2 * sampling.BASE_CHUNK, voxel=0.1, directions=20, seed=1)
    bp = workspace.base_placement(panda, targets, capability=cmap, yaws=4, top=4)
    assert bp.best_reached.tolist() == [3, 3, 3, 3]
    assert np.array_equal(bp.best_reached, bp.best_success.sum(-1))
    for B, q_best, ok in zip(bp.best, bp.best_q, bp.best_success):
        p_err, r_err = pose_errors(panda.with_base(B), q_best[ok], bp.targets[ok])
        assert p_err.max() <= ik.position_tolerance(panda) and r_err.max() <= 1e-6
        assert np.all((q_best[ok] >= panda.limits[:, 0]) & (q_best[ok] <= panda.limits[:, 1]))
    # ranked by the targets IK reaches, then by the map's score
    assert np.all(np.diff(bp.best_score) <= 0)
    rows = [np.argwhere(np.all(np.isclose(bp.positions, b[:3, 3]), axis=-1))[0] for b in bp.best]
    yaw = np.round(np.arctan2(bp.best[:, 1, 0], bp.best[:, 0, 0]) / (np.pi / 2)).astype(int) % 4
    assert np.allclose([bp.score[i, j, y] for (i, j), y in zip(rows, yaw)], bp.best_score)


@pytest.mark.parametrize("directions", [6, 50, 288])
def test_near_lookup_covers_half_a_voxel_and_half_a_cell_and_no_more_than_its_stencil(directions):
    # A map with one reached cell: voxel V (centre c), direction cell d. Any pose within half a voxel (per axis) of a
    # point of V and within half a cell width of a direction of cell d finds it; no pose farther than a voxel (per
    # axis) from c, or whose direction is farther than 1.5 widths from d's centre outside d, does.
    voxel, shape = 0.1, (5, 5, 5)
    partition = sampling.sphere_partition(directions)
    d = directions // 3
    table = np.full((1, directions), np.nan, np.float16)
    table[0, d] = 0.5
    V = np.ravel_multi_index((2, 2, 2), shape)
    zeros = np.zeros(shape)
    cmap = workspace.CapabilityMap(
        "x", "tool", np.zeros(3), voxel, shape, directions, 1, 0, zeros.astype(np.int64), zeros, zeros, zeros,
        np.array([V]), *maps_module.sparse_pairs_from_table(table),
    )  # fmt: skip
    assert np.array_equal(cmap.pair_manipulability, table, equal_nan=True) and cmap.pair_count == 1
    c = np.full(3, 0.25)
    rng = np.random.default_rng(directions)
    width = np.sqrt(4 * np.pi / directions)
    u_cell = rng.normal(size=(20000, 3))
    u_cell = (u_cell / np.linalg.norm(u_cell, axis=-1, keepdims=True))[partition.index(u_cell) == d][:400]
    n = u_cell.shape[0]
    axis = np.cross(u_cell, rng.normal(size=(n, 3)))
    axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
    angle = rng.uniform(0, 0.5 * width, n)
    u = u_cell * np.cos(angle)[:, None] + np.cross(axis, u_cell) * np.sin(angle)[:, None]  # within w/2 of u_cell
    p = c + rng.uniform(-0.5, 0.5, (n, 3)) * voxel + rng.uniform(-0.5, 0.5, (n, 3)) * voxel
    T = np.tile(np.eye(4), (n, 1, 1))
    T[:, :3, :3] = sampling.rotations_with_z(u)
    T[:, :3, 3] = p
    assert np.all(cmap.near_quality_at(T) == 0.5)
    far = T.copy()
    far[:, :3, 3] = c + np.where(rng.random((n, 3)) < 0.5, -1, 1) * rng.uniform(1.001, 1.4, (n, 3)) * voxel
    assert np.isnan(cmap.near_quality_at(far)).all()
    u_far = rng.normal(size=(5000, 3))
    u_far /= np.linalg.norm(u_far, axis=-1, keepdims=True)
    u_far = u_far[(u_far @ partition.centres[d] < np.cos(1.5 * width)) & (partition.index(u_far) != d)]
    T_far = np.tile(np.eye(4), (u_far.shape[0], 1, 1))
    T_far[:, :3, :3] = sampling.rotations_with_z(u_far)
    T_far[:, :3, 3] = c
    assert u_far.shape[0] > 100 and np.isnan(cmap.near_quality_at(T_far)).all()


def up_targets(xy) -> np.ndarray:
    """Poses ``(K, 4, 4)`` at the points ``(K, 2)`` of the plane z = 0, tool z up."""
    T = np.tile(np.eye(4), (len(xy), 1, 1))
    T[:, :2, 3] = xy
    return T


# The capability map keeps the tool z axis, not the roll about it: planar arms are placed on targets with it free.
ROLL_FREE = ik.IKOptions(weights=(1, 1, 1, 1, 1, 0), weights_frame="target")


@pytest.mark.parametrize("hand", ["left", "right"])
def test_base_placement_of_one_hand_of_a_tree_follows_its_shoulder(hand):
    # The closed form: from base (x, y) turned by psi, the hand's shoulder is at (x, y) + Rz(psi) s, and a target
    # of the plane is reached iff its distance from the shoulder is within [0.5, 1.5]; the map's estimate is held
    # to it a voxel diagonal inside (sure) and 1.5 voxels along x and y outside (its neighbourhood's reach).
    robot = robokin.loads(TWO_PLANAR_HANDS)
    cmap = workspace.capability_map(robot, samples=4 * sampling.BASE_CHUNK, voxel=0.1, directions=6, link=hand)
    targets = up_targets([[2.0, 1.0], [2.5, 0.2], [1.2, -0.4]])
    bp = workspace.base_placement(robot, targets, capability=cmap, link=hand, yaws=4, top=3, options=ROLL_FREE)
    assert bp.link == hand and bp.reached.shape == bp.positions.shape[:2] + (4,)
    c, s = np.cos(bp.yaws), np.sin(bp.yaws)
    sx, sy = SHOULDERS[hand]
    shoulder = bp.positions[:, :, None, :2] + np.stack([c * sx - s * sy, s * sx + c * sy], axis=-1)  # (nx, ny, Y, 2)
    d = np.linalg.norm(targets[:, :2, 3] - shoulder[..., None, :], axis=-1)  # (nx, ny, Y, K)
    inner, outer = cmap.voxel * np.sqrt(3), 1.5 * cmap.voxel * np.sqrt(2)
    sure_in = (d > 0.5 + inner) & (d < 1.5 - inner)
    sure_out = (d < 0.5 - outer) | (d > 1.5 + outer)
    lower, upper = sure_in.sum(-1), (~sure_out).sum(-1)
    assert np.all(bp.reached >= lower) and np.all(bp.reached <= upper)
    assert (lower == 3).any() and bp.best_reached.tolist() == [3, 3, 3]
    # the best bases reach all three by the closed form and by IK (checked by fk of the robot moved there)
    best = np.array([np.argwhere(np.all(np.isclose(bp.positions, b[:3, 3]), axis=-1))[0] for b in bp.best])
    yaw = np.round(np.arctan2(bp.best[:, 1, 0], bp.best[:, 0, 0]) / (np.pi / 2)).astype(int) % 4
    exact = (d >= 0.5) & (d <= 1.5)
    assert np.all(exact[best[:, 0], best[:, 1], yaw].all(-1))
    for B, q in zip(bp.best, bp.best_q):
        p = robot.with_base(B).fk(q, link=hand)[:, :3, 3]
        assert np.abs(p - targets[:, :3, 3]).max() <= ik.position_tolerance(robot)
    other = "right" if hand == "left" else "left"
    with pytest.raises(OptionError, match=f"capability is a map of frame '{hand}', not of '{other}'"):
        workspace.base_placement(robot, targets, capability=cmap, link=other)
    with pytest.raises(OptionError, match="has 2 end effectors; pass link= one of 'left', 'right'"):
        workspace.base_placement(robot, targets, capability=cmap)


def test_best_base_for_targets_on_a_circle_is_its_centre(planar):
    # Eight targets on a circle of radius 1.3 about c: a base reaches all of them iff the annulus
    # 0.5 <= r <= 1.5 about it holds the circle, i.e. iff it is within 0.2 of c. By symmetry the best is c.
    cmap = workspace.capability_map(planar, samples=4 * sampling.BASE_CHUNK, voxel=0.05, directions=6, seed=2)
    c = np.array([2.0, 1.0])
    angle = np.arange(8) * np.pi / 4
    targets = up_targets(c + 1.3 * np.stack([np.cos(angle), np.sin(angle)], axis=-1))
    bp = workspace.base_placement(planar, targets, capability=cmap, yaws=1, top=1, options=ROLL_FREE)
    all_eight = bp.reached[..., 0] == 8
    d = np.linalg.norm(bp.positions[..., :2] - c, axis=-1)
    assert all_eight[d < 0.2 - cmap.voxel * np.sqrt(3)].all()
    assert np.all(d[all_eight] <= 0.2 + 1.5 * cmap.voxel * np.sqrt(2))
    assert bp.best_reached[0] == 8 and np.linalg.norm(bp.best[0, :2, 3] - c) <= 0.2 + 1e-9
    assert bp.best_success.all()


def test_base_placement_of_full_poses_for_too_few_joints_warns_and_says_what_to_do(planar):
    # a 2R arm reaches a full pose only from bases on a curve of (x, y, yaw) that the candidate grid never meets
    # (review5: 0 targets by IK, silently); with position-only targets the bases fill an annulus
    from robokin.workspace.placement import grid_bases_miss

    cmap = workspace.capability_map(planar, samples=2 * sampling.BASE_CHUNK, voxel=0.1, directions=6, seed=2)
    targets = planar.fk(np.array([[0.31, 1.13], [-0.77, 2.05], [1.9, -0.6]]))
    with pytest.warns(
        PlausibilityWarning,
        match=r"none of the 32 candidate bases checked by IK reaches a target: 'annulus2r' moves 'tool' with 2 joints "
        r"for 6 constrained pose components, .*position-only targets instead "
        r"\(options=IKOptions\(weights=POSITION_ONLY\)\), or a finer step",
    ):
        full = workspace.base_placement(planar, targets, capability=cmap, yaws=4, top=1, verify=32)
    assert full.best_reached[0] == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlausibilityWarning)
        position = workspace.base_placement(
            planar, targets, capability=cmap, yaws=4, top=1, options=ik.IKOptions(weights=ik.POSITION_ONLY)
        )
    assert position.best_reached[0] == 3 and position.best_success.all()
    # 5 joints: full poses miss, positions do not; 3 planar joints span x, y and yaw, and so does a SCARA's 4
    five = robokin.loads(SPHERICAL_WRIST.replace("wrist6r", "wrist5r").split("  - {name: j6")[0])
    assert five.n == 5 and grid_bases_miss(five, None, (1,) * 6)
    assert grid_bases_miss(five, None, (1,) * 6, seed=3) and not grid_bases_miss(five, None, ik.POSITION_ONLY)
    for name in ("planar3r", "cobra600"):
        assert not grid_bases_miss(robokin.load(name), None, (1,) * 6), name
    assert not grid_bases_miss(planar, None, ROLL_FREE.weights, "target")
    assert not grid_bases_miss(robokin.loads(SPHERICAL_WRIST), None, (1,) * 6)


# ------------------------------------------------------------------------------------------ exactness
def test_in_process_map_does_not_depend_on_chunk_size(planar, capsys):
    kwargs = {"samples": 3 * sampling.BASE_CHUNK + 17, "voxel": 0.2, "directions": 12, "seed": 4}
    a = workspace.capability_map(planar, **kwargs)
    b = workspace.capability_map(planar, **kwargs, chunk_size=2 * sampling.BASE_CHUNK)
    c = workspace.capability_map(planar, **kwargs, engine=InProcessEngine(progress=True), chunk_size=10**9)
    assert_same_map(a, b)
    assert_same_map(a, c)
    assert "capability map: [" in capsys.readouterr().err
    assert a.counts.sum() == kwargs["samples"]


@pytest.mark.parametrize("merge", [1, 2**20])
def test_sparse_and_dense_pair_tables_give_the_same_map(wrist, monkeypatch, merge):
    # merge=1: the pairs are merged after every chunk (and, below, moved to the dense table at once);
    # 2**20: merged only by finish. The map must not depend on where the pairs were kept.
    monkeypatch.setattr(cap_module, "MERGE_PAIRS", merge)
    job = dataclasses.replace(cap_module.capability_job(wrist, 6 * 1024 + 7, 0.1, 12, 3), base=1024)
    sparse = cap_module.CapabilityAccumulator(job.n_voxels, 12, dense_pairs=False)
    job.run_into(sparse, range(job.n_chunks))
    monkeypatch.setattr(cap_module, "SPARSE_PAIRS", 0)
    dense = job.start()
    job.run_into(dense, range(job.n_chunks))
    assert sparse.codes is None and (dense.codes is not None) == (merge == 1)
    a, b = job.finish(sparse), job.finish(dense)
    assert_same_map(a, b)
    assert a.pair_count == b.pair_count > 100 and np.isnan(a.pair_manipulability).any()
    np.testing.assert_array_equal(a.reachability.reshape(-1)[a.pair_voxels], (~np.isnan(b.pair_manipulability)).mean(1))


def test_a_single_folded_summary_stays_sparse_to_the_end(wrist, monkeypatch):
    # the Dask client folds one root summary: its pairs (sorted unique) are taken as they are, even above
    # SPARSE_PAIRS, and finish reads them without the dense table; with a second one, a merge moves them as before
    job = dataclasses.replace(cap_module.capability_job(wrist, 6 * 1024 + 7, 0.1, 12, 3), base=1024)
    here = InProcessEngine().run(job)
    root = job.merge([job.run(range(3)), job.run(range(3, job.n_chunks))])
    assert "pairs" in root and root["pairs"].size == here.pair_count > 100
    monkeypatch.setattr(cap_module, "SPARSE_PAIRS", 0)
    one = job.start()
    job.fold(one, root)
    assert one.codes is None and len(one.pairs) == 1 and one.pairs[0] is root["pairs"]
    assert_same_map(here, job.finish(one))
    two = job.start()
    job.fold(two, job.run(range(3)))
    job.fold(two, job.run(range(3, job.n_chunks)))
    assert two.codes is None and len(two.pairs) == 2 and two.merge().size == 0 and two.codes is not None
    assert_same_map(here, job.finish(two))


def test_a_worker_thread_reuses_its_task_accumulator_and_the_summaries_stay_exact(wrist, monkeypatch):
    # a task's summary from the thread's reused accumulator (cleared where the last task wrote, its floor copied
    # in) is the one a fresh accumulator gives from the same floor, byte for byte; two jobs interleave on one
    # thread; a failed task leaves no accumulator behind; threads keep their own and the map is the in-process one
    job = dataclasses.replace(cap_module.capability_job(wrist, 9 * 1024 - 5, 0.1, 6, 11), base=1024)
    other = dataclasses.replace(cap_module.capability_job(wrist, 4 * 1024, 0.1, 6, 12), base=1024)
    here = InProcessEngine().run(job)

    def fresh(j, chunks):
        acc = cap_module.CapabilityAccumulator(j.n_voxels, 6, dense_pairs=False, floor=cap_module.RUNNING.get(j))
        for c in chunks:
            acc.add_pairs(j.chunk(c, acc))
        return j.summary(acc)

    def kept(j):
        return cap_module.TASK_ACCUMULATORS.by_job.get(j, (None,))[0]

    summaries, first = [], None
    for chunks, j in [([0, 1], job), ([0], other), ([2], job), ([1, 2, 3], other), ([3, 4, 5], job)]:
        expected = fresh(j, chunks)
        got = j.run(chunks)
        assert got.keys() == expected.keys()
        for name in got:
            assert got[name].dtype == expected[name].dtype and got[name].tobytes() == expected[name].tobytes(), name
        if j is job:
            summaries.append(got)
            first = first or kept(job)
            assert kept(job) is first is not None and kept(other) is not first
    original = cap_module.CapabilityJob.chunk

    def broken(self, c, acc):
        if c == 7:
            raise RuntimeError("chunk 7 failed")
        return original(self, c, acc)

    monkeypatch.setattr(cap_module.CapabilityJob, "chunk", broken)
    with pytest.raises(RuntimeError, match="chunk 7 failed"):
        job.run([6, 7])
    assert job not in cap_module.TASK_ACCUMULATORS.by_job
    monkeypatch.setattr(cap_module.CapabilityJob, "chunk", original)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        summaries += pool.map(job.run, [[6], [7], [8]])
    root = job.merge(summaries)
    acc = job.start()
    job.fold(acc, root)
    assert_same_map(here, job.finish(acc))


@pytest.mark.parametrize("fan_in", [2, 3, 5])
@pytest.mark.parametrize("n", [1, 2, 7, 9, 26, 64])
def test_merge_tree_merges_every_summary_once_in_small_shallow_merges(fan_in, n):
    merges: list[tuple] = []

    def submit(*parts):
        merges.append(parts)
        return ("merge", len(merges) - 1)

    def leaves_and_depth(node):
        if node[0] == "leaf":
            return [node[1]], 0
        found = [leaves_and_depth(part) for part in merges[node[1]]]
        return [leaf for leaves, _ in found for leaf in leaves], 1 + max(depth for _, depth in found)

    tree = MergeTree(submit, fan_in)
    for i in range(n):
        tree.add(("leaf", i))
        assert all(len(waiting) < fan_in for waiting in tree.levels)  # at most fan_in - 1 wait per level
    leaves, depth = leaves_and_depth(tree.root())
    assert sorted(leaves) == list(range(n))  # every summary exactly once
    assert all(2 <= len(parts) <= fan_in for parts in merges)
    assert len(merges) == tree.merges >= (n - 1) / (fan_in - 1)
    assert depth <= math.floor(math.log(n, fan_in) + 1e-9) + 2
    assert MergeTree(submit, fan_in).root() is None


@pytest.mark.parametrize("dense_rows", [0, 4, 10**9])
def test_summary_merges_are_exact_in_any_order_and_grouping(wrist, monkeypatch, dense_rows):
    # 9 task summaries (an odd number) merged by trees of fan-in 2, 3 and 4 in shuffled orders: the merged
    # summary is the same byte for byte, and its map is the in-process map; with the reached pairs kept
    # sparse (dense_rows=0), as rows (10**9) or either, as the merged counts decide (4)
    monkeypatch.setattr(cap_module, "DENSE_ROWS", dense_rows)
    job = dataclasses.replace(cap_module.capability_job(wrist, 9 * 1024 - 5, 0.1, 6, 11), base=1024)
    here = InProcessEngine().run(job)
    summaries = [job.run([c]) for c in range(job.n_chunks)]
    assert len(summaries) == 9 and sum(int(s["count"].sum()) for s in summaries) == job.samples
    rng = np.random.default_rng(0)
    roots = []
    for fan_in in (2, 3, 4):
        for _ in range(2):
            tree = MergeTree(lambda *parts: job.merge(list(parts)), fan_in)
            for i in rng.permutation(len(summaries)):
                tree.add(summaries[i])
            roots.append(tree.root())
            acc = job.start()
            job.fold(acc, roots[-1])
            assert_same_map(here, job.finish(acc))
    for root in roots[1:]:
        assert root.keys() == roots[0].keys()
        for name in root:
            assert root[name].dtype == roots[0][name].dtype and root[name].tobytes() == roots[0][name].tobytes(), name
    assert np.all(np.diff(roots[0]["voxel"]) > 0)
    acc = job.start()  # a sparse summary, then a merged one (rows, with dense_rows=10**9) on top of its pairs
    job.fold(acc, summaries[0])
    job.fold(acc, job.merge(summaries[1:]))
    assert_same_map(here, job.finish(acc))
    if dense_rows == 0:
        assert "pairs" in roots[0] and np.all(np.diff(roots[0]["pairs"]) > 0)
    if dense_rows == 10**9:
        assert "rows" in roots[0] and roots[0]["rows"].shape == (roots[0]["voxel"].size, 6)
        assert np.count_nonzero(roots[0]["rows"]) == here.pair_count


def test_dask_local_cluster_is_bit_identical_to_in_process(wrist, wrist_map):
    try:
        from dask.distributed import Client, LocalCluster, get_task_stream
    except ImportError as exc:  # pragma: no cover - the dask extra is installed in CI
        pytest.skip(f"dask.distributed is not installed ({exc}); install robokin[dask]")
    kwargs = {"samples": 2 * sampling.BASE_CHUNK + 999, "voxel": 0.1, "directions": 6, "seed": 8}
    here = workspace.capability_map(wrist, **kwargs)
    with (
        LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        one = workspace.capability_map(wrist, **kwargs, engine=client, chunk_size=sampling.BASE_CHUNK)
        with pytest.warns(PlausibilityWarning, match="voxel=0.3 m is coarse for 'wrist6r'"):
            rm_dask = workspace.reachability_map(
                wrist, voxel=0.3, directions=4, capability=wrist_map, engine=client, chunk_size=1
            )
        # 20 tasks of small base chunks, one in flight per worker (later tasks start from the running maxima),
        # merged by trees of fan-in 3 and 2 (7 tasks: an odd number; no summaries shared)
        job = dataclasses.replace(cap_module.capability_job(wrist, 20 * 512 - 3, 0.1, 6, 5), base=512)
        with get_task_stream(client) as shared:
            small_dask = workspace.DaskEngine(client, in_flight=1, fan_in=3).run(job, chunk_size=512)
        with get_task_stream(client) as unshared:
            seven_dask = workspace.DaskEngine(client, fan_in=2, share=0).run(job, chunk_size=3 * 512)
    # each of the first 17 finished summaries (while some task has not started) was taken in by the other worker
    # only (the one that made it had), ahead of its next task: at most 17 seen tasks, where sending to both
    # workers gave 34; none with share=0 (the last few may be dropped unrun when the map is done)
    seen = [task["worker"] for task in shared.data if task["key"].startswith("seen_task")]
    assert len(seen) <= 17 and len(set(seen)) == 2
    assert not any(task["key"].startswith("seen_task") for task in unshared.data)
    assert sum(task["key"].startswith("run_task") for task in unshared.data) == 7
    assert_same_map(here, one)
    assert_same_map(InProcessEngine().run(job), small_dask)
    assert_same_map(InProcessEngine().run(job), seven_dask)
    with pytest.warns(PlausibilityWarning, match="voxel=0.3 m is coarse for 'wrist6r'"):
        rm = workspace.reachability_map(wrist, voxel=0.3, directions=4, capability=wrist_map)
    assert_same_map(rm, rm_dask, "reachability")
    assert rm.success.sum() > 100


def test_share_targets_take_every_worker_in_turns():
    workers = ["tcp://a", "tcp://b", "tcp://c"]
    assert [share_targets(workers, 1, turn) for turn in range(4)] == [
        ["tcp://a"],
        ["tcp://b"],
        ["tcp://c"],
        ["tcp://a"],
    ]
    assert [share_targets(workers, 2, turn) for turn in range(3)] == [
        ["tcp://a", "tcp://b"],
        ["tcp://c", "tcp://a"],
        ["tcp://b", "tcp://c"],
    ]
    assert share_targets(workers, 5, 7) == workers
    assert share_targets(workers, 0, 3) == [] and share_targets([], 2, 0) == []


def test_share_targets_skip_the_workers_that_made_the_summary():
    workers = ["tcp://a", "tcp://b", "tcp://c"]
    assert [share_targets(workers, 2, turn, ["tcp://b"]) for turn in range(2)] == [
        ["tcp://a", "tcp://c"],
        ["tcp://a", "tcp://c"],
    ]
    assert [share_targets(workers, 1, turn, ["tcp://a"]) for turn in range(3)] == [
        ["tcp://b"],
        ["tcp://c"],
        ["tcp://b"],
    ]
    assert share_targets(workers[:2], 2, 5, ["tcp://a"]) == ["tcp://b"]
    assert share_targets(workers[:1], 2, 0, ["tcp://a"]) == []
    assert share_targets(workers, 2, 1, ["tcp://x"]) == share_targets(workers, 2, 1)  # (a worker gone since)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fan_in": 1}, "fan_in must be an integer >= 2, got 1"),
        ({"fan_in": True}, "fan_in must be an integer >= 2, got True"),
        ({"in_flight": 0}, "in_flight must be an integer >= 1, got 0"),
        ({"share": -1}, "share must be an integer >= 0, got -1"),
        ({"tasks_per_worker": 2.0}, "tasks_per_worker must be an integer >= 1, got 2.0"),
    ],
)
def test_dask_engine_refuses_bad_options(kwargs, message):
    pytest.importorskip("distributed")
    with pytest.raises(OptionError, match=message):
        workspace.DaskEngine(None, **kwargs)


def test_a_closed_dask_client_is_refused_in_our_words(planar):
    """review13: a closed Client (or one whose cluster was shut down) was an AttributeError from deep inside
    distributed ('NoneType' object has no attribute 'scatter'); DaskEngine(None) the same at run time."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None)
    client = distributed.Client(cluster)
    client.close()
    cluster.close()
    with pytest.raises(OptionError, match=r"engine: the Dask client is closed \(status 'closed'\); pass a running"):
        workspace.capability_map(planar, samples=10, engine=client)
    with pytest.raises(OptionError, match=r"engine: the Dask client is closed"):
        workspace.reachability_map(planar, voxel=0.5, directions=2, prune_samples=10, engine=client)
    with pytest.raises(OptionError, match=r"client must be a dask\.distributed Client, got NoneType"):
        workspace.DaskEngine(None)


def test_engine_names_a_missing_dask(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.split(".")[0] in ("dask", "distributed"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(OptionError, match=r"needs dask\[distributed\].*pip install 'robokin\[dask\]'"):
        workspace.capability_map(robokin.loads(PLANAR_2R), samples=10, engine="tcp://127.0.0.1:8786")


# ------------------------------------------------------------------------------------------ data
def test_save_load_round_trip(tmp_path, wrist, wrist_map):
    path = str(tmp_path / "map.npz")
    wrist_map.save(path)
    back = workspace.CapabilityMap.load(path)
    assert_same_map(wrist_map, back)
    assert (back.robot, back.directions, back.samples, back.seed) == ("wrist6r", 6, wrist_map.samples, 3)
    # a file of format 2 (the reached pairs as the dense table) reads back as the same map
    table = wrist_map.pair_manipulability
    assert table.shape == (wrist_map.pair_voxels.size, 6) and np.isnan(table).any() and not np.isnan(table).all()
    old = {f.name: getattr(wrist_map, f.name) for f in dataclasses.fields(wrist_map)}
    for name in ("pair_starts", "pair_directions", "pair_values"):
        del old[name]
    np.savez_compressed(
        str(tmp_path / "v2.npz"), __kind__=np.array("capability"), __version__=np.array(2), **old,
        pair_manipulability=np.where(np.isnan(table), np.float16(np.nan), table),  # NaN's usual bits
    )  # fmt: skip
    assert_same_map(wrist_map, workspace.load_map(str(tmp_path / "v2.npz")))
    # the sparse pairs are checked: their row starts must run from 0 to the number of pairs
    bad = dict(old, pair_starts=wrist_map.pair_starts[:-1], pair_directions=wrist_map.pair_directions)
    np.savez(str(tmp_path / "bad.npz"), __kind__="capability", __version__=3, pair_values=wrist_map.pair_values, **bad)
    with pytest.raises(RobokinError, match=r"bad.npz: the pairs of a capability map must be .*pair_starts \(R \+ 1,\)"):
        workspace.load_map(str(tmp_path / "bad.npz"))
    bad["pair_starts"], bad["pair_directions"] = wrist_map.pair_starts, wrist_map.pair_directions + np.uint16(6)
    np.savez(str(tmp_path / "bad.npz"), __kind__="capability", __version__=3, pair_values=wrist_map.pair_values, **bad)
    with pytest.raises(RobokinError, match="pair_directions must be direction cells from 0 to 5, got"):
        workspace.load_map(str(tmp_path / "bad.npz"))
    np.savez(str(tmp_path / "v1.npz"), __kind__="capability", __version__=1, x=np.zeros(3))
    with pytest.raises(RobokinError, match=r"v1.npz: map format version 1, this robokin reads \(2, 3\)"):
        workspace.load_map(str(tmp_path / "v1.npz"))
    bp = workspace.base_placement(wrist, np.eye(4), capability=wrist_map, yaws=2, top=2)
    bp.save(str(tmp_path / "bp.npz"))
    bp2 = workspace.load_map(str(tmp_path / "bp.npz"))
    for f in dataclasses.fields(bp):
        assert np.array_equal(getattr(bp, f.name), getattr(bp2, f.name)), f.name
    with pytest.raises(RobokinError, match="holds a BasePlacement, not a CapabilityMap"):
        workspace.CapabilityMap.load(str(tmp_path / "bp.npz"))
    np.savez(str(tmp_path / "other.npz"), x=np.zeros(3))
    with pytest.raises(RobokinError, match="other.npz: not a robokin map file"):
        workspace.load_map(str(tmp_path / "other.npz"))
    with pytest.raises(RobokinError, match="missing.npz: cannot read the map"):
        workspace.load_map(str(tmp_path / "missing.npz"))


def test_reachability_map_round_trip_queries_and_plots(tmp_path, wrist, wrist_map):
    import matplotlib.pyplot as plt

    rm = workspace.reachability_map(wrist, voxel=0.2, directions=6, capability=wrist_map, seed=1)
    path = str(tmp_path / "rm.npz")
    rm.save(path)
    back = workspace.ReachabilityMap.load(path)
    assert_same_map(rm, back, "reachability")
    assert (back.robot, back.link, back.directions, back.seed, back.seconds) == ("wrist6r", "tool", 6, 1, rm.seconds)
    # queries at points and poses: the voxel's fields, the grid pose's success
    p = np.array([0.5, 0.05, 0.05])
    index, inside = back.voxel_index(p)
    assert inside and back.reachability_at(p) == rm.success.reshape(-1, 6)[index].mean()
    assert back.value_at("max_manipulability", p) == rm.manipulability.reshape(-1, 6)[index].max() > 0
    assert back.reachability_at([5.0, 0.0, 0.0]) == 0.0 and back.value_at("max_manipulability", [5.0, 0, 0]) == 0.0
    T = back.poses()
    np.testing.assert_array_equal(back.success_at(T), rm.success)
    far = T[0, 0, 0, 0].copy()
    far[:3, 3] = [9.0, 9.0, 9.0]
    assert not back.success_at(far)
    with pytest.raises(RobokinError, match="holds a ReachabilityMap, not a CapabilityMap"):
        workspace.CapabilityMap.load(path)
    # the plots: a slice through the shell has its hole at the shoulder, masked (not drawn) where nothing was solved
    ax = back.plot_slice("max_manipulability", axis="z", at=0.0)
    assert "wrist6r (tool) IK: max_manipulability" in ax.get_title() and "z = 0.000 m" in ax.get_title()
    image = ax.get_images()[0].get_array()
    centre = np.ma.getmaskarray(image)[4, 4]
    assert centre and not np.ma.getmaskarray(image)[4, 7]  # the shoulder (r = 0) vs r = 0.6 m
    assert _ink(ax) > 0.03
    plt.close(ax.figure)
    ax = back.plot_scatter(cutaway=False)
    assert f"({int((rm.reachability > 0).sum())} voxels shown)" in ax.get_title() and _ink(ax) > 0.03
    plt.close(ax.figure)
    # the default cuts away the quarter x > 0, y < 0 about the shoulder (the grid's centre), and only it
    ax = back.plot_scatter()
    p = back.centres()[back.reachability > 0]
    quarter = (p[:, 0] > 1e-9) & (p[:, 1] < -1e-9)
    shown = np.stack([np.asarray(c) for c in ax.collections[0]._offsets3d], axis=-1)
    assert f"({int((~quarter).sum())} voxels shown, a quarter cut away)" in ax.get_title() and quarter.sum() > 10
    assert not ((shown[:, 0] > 1e-9) & (shown[:, 1] < -1e-9)).any() and shown.shape[0] == (~quarter).sum()
    plt.close(ax.figure)
    # thinned to 40 distinct reached voxels (a seeded random subset)
    ax = back.plot_scatter(max_points=40)
    x, y, z = (np.asarray(c) for c in ax.collections[0]._offsets3d)
    index, inside = back.voxel_index(np.stack([x, y, z], axis=-1))
    assert "(40 voxels shown, a quarter" in ax.get_title() and inside.all() and np.unique(index).size == 40
    assert np.all(back.reachability.reshape(-1)[index] > 0)
    plt.close(ax.figure)


def test_queries_at_points_and_poses(wrist_map):
    assert wrist_map.counts.flags.writeable is False
    assert wrist_map.reachability_at([5.0, 0.0, 0.0]) == 0.0  # outside the grid
    assert wrist_map.reachability_at(np.zeros((2, 3, 3))).shape == (2, 3)
    p = np.array([0.5, 0.05, 0.05])
    index, inside = wrist_map.voxel_index(p)
    assert inside and wrist_map.reachability_at(p) == wrist_map.reachability.reshape(-1)[index]
    T = np.eye(4)
    T[:3, 3] = p
    assert wrist_map.reached_at(T) and wrist_map.quality_at(T) > 0
    T[:3, 3] = [0.0, 0.0, 0.0]  # the shoulder itself: inside the hole of the shell
    assert not wrist_map.reached_at(T) and wrist_map.quality_at(T) == 0.0


def _ink(ax) -> float:
    ax.figure.canvas.draw()
    rgba = np.asarray(ax.figure.canvas.buffer_rgba())
    return float(np.mean(np.any(rgba[..., :3] < 200, axis=-1)))


def test_plots_draw_pixels(wrist, wrist_map):
    import matplotlib.pyplot as plt

    for ax in (
        wrist_map.plot_slice(),
        wrist_map.plot_slice("max_manipulability", axis="x", at=0.0),
        wrist_map.plot_scatter(),
        workspace.base_placement(wrist, np.eye(4), capability=wrist_map, yaws=2).plot(),
    ):
        assert _ink(ax) > 0.03
        buf = io.BytesIO()
        ax.figure.savefig(buf, format="png")
        assert buf.tell() > 1000
        plt.close(ax.figure)


def test_a_field_of_one_value_is_coloured_from_zero_to_it(planar):
    """review13: a slice (or scatter) whose voxels all hold one value (every reached voxel at reachability 1
    with directions=1; a robot whose joints all sit at one point) got matplotlib's colour bar of that value
    ± 10 %: a "fraction of the 1 approach directions reached" from 0.9 to 1.1, the voxels in its middle colour."""
    import matplotlib.pyplot as plt

    cmap = workspace.capability_map(planar, samples=2000, voxel=0.2, directions=1)
    assert set(np.unique(cmap.reachability[cmap.counts > 0])) == {1.0}
    ax = cmap.plot_slice()
    assert ax.images[0].get_clim() == (0.0, 1.0)
    plt.close(ax.figure)
    ax = cmap.plot_scatter()
    assert ax.collections[0].get_clim() == (0.0, 1.0)
    plt.close(ax.figure)
    ax = cmap.plot_slice("max_manipulability")  # (values that differ keep their own range)
    low, high = ax.images[0].get_clim()
    assert 0.0 < low < high <= 1.0
    plt.close(ax.figure)


def test_cli_maps_one_hand_of_a_tree_robot(tmp_path, capsys):
    from robokin.cli import main

    out = str(tmp_path / "hand.npz")
    args = ["workspace", "baxter", "--link", "right_hand", "--voxel", "0.2", "--samples", "2000", "--out", out]
    assert main(args + ["--directions", "8"]) == 0
    assert "baxter (right_hand): 2e+03 samples" in capsys.readouterr().out
    saved = workspace.load_map(out)
    assert saved.link == "right_hand" and saved.counts.sum() == 2000


def test_cli_builds_an_ik_reachability_map(tmp_path, capsys):
    from robokin.cli import main

    out, png = str(tmp_path / "rm.npz"), str(tmp_path / "rm.png")
    args = ["workspace", "planar3r", "--ik", "--voxel", "0.5", "--directions", "6", "--samples", "3e4"]
    assert main(args + ["--out", out, "--plot", png]) == 0
    text = capsys.readouterr().out
    assert "planar3r (tool): IK reachability map (auto)" in text and "6 approach directions (tool z)" in text
    saved = workspace.ReachabilityMap.load(out)
    assert f"{int(saved.attempted.sum())} attempted" in text and f"{int(saved.success.sum())} solved" in text
    assert_same_map(
        saved,
        workspace.reachability_map(robokin.load("planar3r"), voxel=0.5, directions=6, prune_samples=30_000),
        "reachability",
    )
    import matplotlib.image

    assert np.mean(matplotlib.image.imread(png)[..., :3] < 0.8) > 0.03
    assert main(["workspace", "planar3r", "--ik", "--method", "analytic", "--voxel", "0.5"]) == 1
    assert "method='analytic' needs a closed form" in capsys.readouterr().err
    assert main(["workspace", "planar3r", "--method", "dls"]) == 1
    assert "--method dls is for IK reachability maps: add --ik" in capsys.readouterr().err
    assert main(["workspace", "planar3r", "--ik", "--method", "best"]) == 1
    assert "method must be one of 'auto', 'analytic', 'dls'; got 'best'" in capsys.readouterr().err


def test_cli_places_the_base_and_draws_the_score(tmp_path, capsys):
    from robokin.cli import main

    panda = robokin.load("panda")
    q = np.random.default_rng(3).uniform(*panda.limits.T, size=(2, 7))
    T = panda.fk(q)
    place = []
    for p, rpy in zip(T[:, :3, 3] + [1.0, 0.0, 0.0], robokin.spatial.matrix_to_rpy(T[:, :3, :3])):
        place += ["--place", *(repr(float(v)) for v in [*p, *rpy])]
    out, png = str(tmp_path / "bp.npz"), str(tmp_path / "bp.png")
    common = ["workspace", "panda", "--voxel", "0.1", "--directions", "20", "--samples", "65536", "--seed", "1"]
    assert main(common + place + ["--out", out, "--plot", png]) == 0
    text = capsys.readouterr().out
    bp = workspace.BasePlacement.load(out)
    assert "panda (tool): base placement of 2 target(s)" in text and bp.best_reached[0] == 2
    B = bp.best[0]
    assert f"base at [{B[0, 3]:.3f}, {B[1, 3]:.3f}, {B[2, 3]:.3f}] m" in text and "2/2 targets by IK" in text
    assert np.allclose(bp.targets[:, :3, 3], T[:, :3, 3] + [1.0, 0.0, 0.0]) and np.allclose(
        bp.targets[:, :3, :3], T[:, :3, :3]
    )
    p_err, r_err = pose_errors(panda.with_base(B), bp.best_q[0], bp.targets)
    assert p_err.max() <= ik.position_tolerance(panda) and r_err.max() <= 1e-6
    import matplotlib.image

    assert np.mean(matplotlib.image.imread(png)[..., :3] < 0.8) > 0.05
    # a target out of every base's reach on the grid (10 m up): exit 1, the best base reaches 1 of 2
    far = place[:7] + ["--place", "0", "0", "10", "0", "0", "0"]
    assert main(common + far) == 1 and "1/2 targets by IK" in capsys.readouterr().out
    assert main(common + place + ["--ik"]) == 1
    assert "--place scores bases with a capability map; do not give --ik with it" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # (review12: the parser refuses it, before any work)
        main(common + ["--place", "nan", "0", "0", "0", "0", "0"])
    assert exit_info.value.code == 2
    assert "argument --place: expected a finite number, got 'nan'" in capsys.readouterr().err


def test_cli_writes_the_map_and_the_picture(tmp_path, capsys):
    from robokin.cli import main

    out, png = str(tmp_path / "map.npz"), str(tmp_path / "map.png")
    assert (
        main(
            [
                "workspace",
                "planar2r",
                "--voxel",
                "0.2",
                "--samples",
                "4e4",
                "--directions",
                "8",
                "--seed",
                "1",
                "--out",
                out,
                "--plot",
                png,
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "planar2r (tool): 4e+04 samples" in text and "8 approach directions (tool z)" in text
    cmap = workspace.CapabilityMap.load(out)
    assert cmap.samples == 40_000 and cmap.seed == 1 and cmap.counts.sum() == 40_000
    assert_same_map(
        cmap, workspace.capability_map(robokin.load("planar2r"), samples=40_000, voxel=0.2, directions=8, seed=1)
    )
    import matplotlib.image

    assert np.mean(matplotlib.image.imread(png)[..., :3] < 0.8) > 0.03
    assert main(["workspace", "planar2r", "--samples", "0"]) == 1
    assert "samples must be an integer >= 1" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"samples": 0}, "samples must be an integer >= 1, got 0"),
        ({"samples": 1.5}, "samples must be an integer >= 1, got 1.5"),
        ({"samples": "many"}, "samples must be an integer >= 1"),
        ({"samples": "100"}, "samples must be an integer >= 1, got '100'"),  # text is not read as a number
        ({"voxel": "0.5"}, "voxel must be a positive length \\[m\\], got '0.5'"),
        ({"voxel": True}, "voxel must be a positive length \\[m\\], got True"),
        ({"voxel": 0.0}, "voxel must be a positive finite length"),
        ({"voxel": float("nan")}, "voxel must be a positive finite length"),
        ({"voxel": 1e-4}, "choose a larger voxel"),
        ({"voxel": 1e-300}, r"gives a grid of about .*e\+300³ voxels .* choose a larger voxel"),  # not OverflowError
        ({"voxel": 5e-324}, r"gives a grid of about inf³ voxels .* choose a larger voxel"),
        ({"directions": 0}, "directions must be an integer >= 1"),
        ({"directions": 10**9}, r"^directions must be an integer from 1 to 65536, got 1000000000$"),  # was 24 GB
        ({"directions": 2**16 + 1}, r"^directions must be an integer from 1 to 65536, got 65537$"),
        ({"seed": -1}, r"seed must be an integer from 0 to 2\*\*64 - 1, got -1"),
        ({"link": "hand"}, "link must be a frame of robot .annulus2r."),
        ({"engine": "bogus"}, "engine must be None or 'process'"),
        ({"chunk_size": 0}, "chunk_size must be an integer >= 1"),
    ],
)
def test_capability_map_rejects_bad_arguments(planar, kwargs, match):
    with pytest.raises(OptionError, match=match):
        workspace.capability_map(planar, **{"samples": 100, **kwargs})


def test_queries_and_other_entry_points_reject_bad_arguments(planar, wrist, wrist_map):
    with pytest.raises(ShapeError, match=r"p_world must have shape \(\.\.\., 3\)"):
        wrist_map.reachability_at([1.0, 2.0])
    with pytest.raises(ShapeError, match=r"T_world_tool must have shape \(\.\.\., 4, 4\)"):
        wrist_map.quality_at(np.eye(3))
    with pytest.raises(ConventionError, match="not a rigid transform"):
        wrist_map.reached_at(2 * np.eye(4))
    with pytest.raises(OptionError, match="field must be one of"):
        wrist_map.plot_slice("nope")
    with pytest.raises(OptionError, match="outside the grid along z"):
        wrist_map.plot_slice(at=10.0)
    with pytest.raises(OptionError, match="capability is a map of 'wrist6r', not of 'annulus2r'"):
        workspace.reachability_map(planar, capability=wrist_map)
    with pytest.raises(OptionError, match="options must be an IKOptions"):
        workspace.reachability_map(wrist, capability=wrist_map, options={"max_restarts": 1})
    with pytest.raises(OptionError, match="method must be one of 'auto', 'analytic', 'dls'; got 'exact'"):
        workspace.reachability_map(wrist, capability=wrist_map, method="exact")
    with pytest.raises(NoAnalyticSolutionError, match="method='analytic' needs a closed form: .*annulus2r"):
        workspace.reachability_map(planar, voxel=0.5, directions=2, prune_samples=100, method="analytic")
    with pytest.raises(NoAnalyticSolutionError, match="frame 'j1' of robot 'wrist6r' is not a serial arm's tool"):
        workspace.reachability_map(wrist, voxel=0.5, directions=2, prune_samples=100, link="j1", method="analytic")
    weights = ik.IKOptions(weights=(1, 1, 1, 0, 0, 0))
    with pytest.raises(NoAnalyticSolutionError, match="with a closed form for these options"):
        workspace.reachability_map(wrist, capability=wrist_map, options=weights, method="analytic")
    with pytest.raises(OptionError, match="capability is a map of frame 'tool', not of 'j1'"):
        workspace.base_placement(wrist, np.eye(4), capability=wrist_map, link="j1")
    with pytest.raises(ShapeError, match=r"T_world_targets must have shape \(\.\.\., 4, 4\)"):
        workspace.base_placement(wrist, np.zeros(3), capability=wrist_map)
    with pytest.raises(OptionError, match="yaws must be an integer >= 1"):
        workspace.base_placement(wrist, np.eye(4), capability=wrist_map, yaws=0)
    with pytest.raises(OptionError, match="capability must be a CapabilityMap"):
        workspace.base_placement(wrist, np.eye(4), capability="map.npz")


def test_hostile_inputs_get_our_own_errors_before_any_work(planar, wrist, wrist_map, tmp_path):
    target = np.eye(4)
    for bad, kind in ((np.nan, "nan"), (np.inf, "inf")):
        T = target.copy()
        T[1, 3] = bad
        with pytest.raises(ShapeError, match=rf"T_world_targets must be finite; found {kind} at index \(1, 3\)"):
            workspace.base_placement(wrist, T, capability=wrist_map)
    with pytest.raises(OptionError, match="T_world_targets must hold at least one target pose, got none"):
        workspace.base_placement(wrist, np.zeros((0, 4, 4)), capability=wrist_map)
    with pytest.raises(OptionError, match="step must be a positive finite length"):
        workspace.base_placement(wrist, target, capability=wrist_map, step=-0.1)
    with pytest.raises(OptionError, match="voxel must be a positive finite length"):
        workspace.base_placement(wrist, target, voxel=0.0)
    with pytest.raises(OptionError, match="directions must be an integer >= 1, got 0"):
        workspace.base_placement(wrist, target, directions=0)
    with pytest.raises(OptionError, match="verify must be >= top \\(5\\), got 2"):
        workspace.base_placement(wrist, target, capability=wrist_map, verify=2)
    with pytest.raises(OptionError, match="pass capability= or reachability=, not both"):
        workspace.base_placement(wrist, target, capability=wrist_map, reachability=wrist_map)
    with pytest.raises(OptionError, match="reachability must be a ReachabilityMap or None, got CapabilityMap"):
        workspace.base_placement(wrist, target, reachability=wrist_map)
    # targets 10⁵ m apart: 1.6·10⁸ candidates at 0.1 m would be ~3 GB; refused before anything is allocated
    far = np.stack([target, target])
    far[1, 0, 3] = 1e5
    with pytest.raises(OptionError, match=r"candidate bases .* at most 1e\+07: choose a larger step"):
        workspace.base_placement(wrist, far, capability=wrist_map)
    # a target at 1e300 m: float64 cannot place a base there to the IK tolerance
    far = target.copy()
    far[0, 3] = 1e300
    with pytest.raises(OptionError, match="lie 1e\\+300 m from the world origin, where float64 resolves"):
        workspace.base_placement(wrist, far, capability=wrist_map)
    # 2 cm x 288 directions of the Panda: 2.8·10⁸ grid poses, ~3 GB of dense arrays; refused before pruning
    panda = robokin.load("panda")
    with pytest.raises(OptionError, match=r"9.7e\+05 voxels x 288 = 2.79e\+08 grid poses for 'panda'.* at most 1e\+08"):
        workspace.reachability_map(panda, voxel=0.02, directions=288)
    with pytest.raises(OptionError, match="directions must be an integer from 1 to 65536, got 1000000000"):
        workspace.capability_map(planar, samples=100, directions=10**9)
    # review12: prune_samples=0 was refused as "samples must be ...", an argument the caller did not pass
    for bad, message in (
        (0, "prune_samples must be an integer >= 1, got 0"),
        (2**41, "prune_samples=2.2e\\+12 is more"),
    ):
        with pytest.raises(OptionError, match=message):
            workspace.reachability_map(planar, voxel=0.5, directions=2, prune_samples=bad)
    with (
        pytest.warns(PlausibilityWarning, match="voxel=1.0 m is coarse for 'annulus2r'"),
        pytest.raises(OptionError, match="27 voxels x 1000000000 = 2.7e\\+10 grid poses"),
    ):
        workspace.reachability_map(planar, voxel=1.0, directions=10**9)
    with pytest.raises(OptionError, match="at must be a finite coordinate"):
        wrist_map.plot_slice(at=float("nan"))
    with pytest.raises(OptionError, match="outside the grid along z"):
        wrist_map.plot_slice(at=1e300)
    with pytest.raises(OptionError, match="max_points must be an integer >= 1, got -1"):
        wrist_map.plot_scatter(max_points=-1)
    # far outside the grid: not reached, no overflow of the voxel index
    assert wrist_map.reachability_at([1e300, 0.0, 0.0]) == 0.0 and wrist_map.reachability_at([-1e300, 0.0, 0.0]) == 0
    assert np.isnan(wrist_map.near_quality_at(far))
    assert wrist_map.reached_at(np.zeros((0, 4, 4))).shape == (0,)
    from robokin.cli import main

    assert main(["workspace", "planar2r", "--samples", "1e3", "--out", str(tmp_path / "no" / "map.npz")]) == 1


def test_one_joint_and_prismatic_robots_map_and_a_position_task_keeps_every_direction():
    one = robokin.loads(PLANAR_2R.replace("name: annulus2r", "name: one").rsplit("  - {name: j2", 1)[0])
    # one joint of 1 m: the tool moves on the unit circle with its x axis radial and z up. Of the grid's voxel
    # centres (multiples of 0.1 m) four lie on the circle, and only at (1, 0, 0) is the grid's orientation for
    # "z up" (x along world x, sampling.rotations_with_z) the tool's: exactly one pose is reached.
    rmap = workspace.reachability_map(one, voxel=0.1, directions=6, prune_samples=2**12)
    assert rmap.attempted.sum() > 1 and rmap.success.sum() == 1
    ((i, j, k, d),) = np.argwhere(rmap.success)
    assert np.allclose(rmap.centres()[i, j, k], [1.0, 0.0, 0.0]) and d == 0
    position = ik.IKOptions(weights=ik.POSITION_ONLY, max_restarts=4)
    cartesian = robokin.loads(
        """
robokin: 1
name: xyz
units: {length: m, angle: deg}
joints:
  - {name: j1, type: prismatic, dh: {a: 0, alpha: -90, d: 0, theta: 0}, limits: [0, 0.5]}
  - {name: j2, type: prismatic, dh: {a: 0, alpha: -90, d: 0, theta: -90}, limits: [0, 0.5]}
  - {name: j3, type: prismatic, dh: {a: 0, alpha: 0, d: 0, theta: 0}, limits: [0, 0.5]}
"""
    )
    full = workspace.reachability_map(cartesian, voxel=0.1, directions=6, prune_samples=2**12)
    free = workspace.reachability_map(cartesian, voxel=0.1, directions=6, prune_samples=2**12, options=position)
    # a fixed orientation (tool z along world x) is no grid orientation: no full pose is reached; every voxel
    # centre within the box [0, 0.5]³ is reached by a position task, in all 6 directions
    assert not full.success.any()
    inside = np.all((free.centres() >= -1e-9) & (free.centres() <= 0.5 + 1e-9), axis=-1)
    assert inside.sum() == 6**3 and free.success[inside].all() and not free.success[~inside].any()
    bp = workspace.base_placement(cartesian, cartesian.fk([0.1, 0.2, 0.3]), samples=2**12, voxel=0.1, directions=6)
    assert bp.best_reached[0] == 1


def test_entry_points_refuse_what_is_not_a_robot(wrist):
    """A robot's name instead of the Robot (the usual slip) gets our OptionError with the fix, not an
    AttributeError or weakref's TypeError from deep inside."""
    match = r"robot must be a Robot, got str \(load it first: robokin.load\('panda'\)\)"
    for call in (
        lambda: workspace.capability_map("panda", samples=100),
        lambda: workspace.reachability_map("panda"),
        lambda: workspace.base_placement("panda", np.eye(4)),
        lambda: ik.solve_all("panda", np.eye(4)),
        lambda: ik.analytic_family("panda"),
        lambda: ik.solve("panda", np.eye(4)),
    ):
        with pytest.raises(OptionError, match=match):
            call()
    with pytest.raises(OptionError, match="robot must be a Robot, got NoneType$"):
        ik.analytic_family(None)


def test_samples_beyond_any_map_are_refused_at_once(planar):
    """10²⁰ samples made a list of 3·10¹⁵ tasks before the first one ran (no answer, no progress, then out of
    memory); the largest accepted count makes its tasks lazily."""
    with pytest.raises(OptionError, match=r"samples=1e\+20 is more than a map takes \(1\.1e\+12, 2\*\*40"):
        workspace.capability_map(planar, samples=10**20)
    groups = workspace.engines.task_groups(cap_module.MAX_SAMPLES // sampling.BASE_CHUNK, 3)
    assert len(groups) == -(-(2**40 // 2**15) // 3)
    assert groups[0] == range(3) and groups[-1] == range(3 * (len(groups) - 1), 2**25)
    assert list(workspace.engines.task_groups(7, 3)) == [range(3), range(3, 6), range(6, 7)]
    assert workspace.engines.task_groups(7, 3)[1:] == [range(3, 6), range(6, 7)]


def test_plots_refuse_what_is_not_axes(wrist_map):
    """``ax`` must be matplotlib Axes (3-D ones for the scatter): our OptionError, not matplotlib's traceback."""
    import matplotlib.pyplot as plt

    with pytest.raises(OptionError, match=r"ax must be None or matplotlib Axes, got str 'a'"):
        wrist_map.plot_slice(ax="a")
    fig, flat = plt.subplots()
    try:
        with pytest.raises(OptionError, match=r"ax must be None or 3-D matplotlib Axes \(projection='3d'\)"):
            wrist_map.plot_scatter(ax=flat)
        assert wrist_map.plot_slice(ax=flat) is flat
    finally:
        plt.close(fig)


def test_damaged_map_files_get_our_error(wrist_map, tmp_path):
    """A truncated file, a path that is not a path, and a map whose grid was damaged (NaN origin, a voxel of 0,
    arrays not of the grid's shape) are refused with ``PATH: ...``, never loaded into NaN queries."""
    good = tmp_path / "map.npz"
    wrist_map.save(str(good))
    raw = good.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(RobokinError, match=r"cut\.npz: not a robokin map file \(\.npz\)"):
        workspace.load_map(str(cut))
    with pytest.raises(OptionError, match=r"path must be a file path \(str or os\.PathLike\), got NoneType"):
        workspace.load_map(None)
    with pytest.raises(OptionError, match=r"path must be a file path \(str or os\.PathLike\), got int"):
        wrist_map.save(3)
    # NumPy saves "map.txt" as "map.txt.npz", which load_map("map.txt") then misses: refused.
    for name in ("map.txt", "map"):
        with pytest.raises(OptionError, match=rf"path must end in \.npz \(one archive\) or \.zarr .*{name}'$"):
            wrist_map.save(tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.npz", "map.npz"]
    assert isinstance(workspace.load_map(good), workspace.CapabilityMap)  # a pathlib.Path is a path
    data = dict(np.load(good))
    for key, value, problem in (
        ("origin", np.full(3, np.nan), "origin must be 3 finite numbers"),
        ("voxel", np.array(0.0), "voxel must be a positive finite length"),
        ("shape", np.array([3, 0, 2]), "shape must be 3 integers >= 1"),
        ("counts", data["counts"][:1], "counts has shape"),
    ):
        bad = tmp_path / f"bad_{key}.npz"
        np.savez(bad, **{**data, key: value})
        with pytest.raises(RobokinError, match=rf"bad_{key}\.npz: not a valid capability map: {problem}"):
            workspace.load_map(str(bad))


def test_a_scheduler_address_that_answers_nothing_gets_our_error(planar, capsys):
    """A malformed scheduler address raised distributed's ValueError from deep inside (a traceback from the
    CLI); now OptionError naming the address, on the API and the command line."""
    pytest.importorskip("distributed")
    from robokin.cli import main

    with pytest.raises(OptionError, match=r"cannot connect to the Dask scheduler at 'tcp://:x'"):
        workspace.capability_map(planar, samples=100, engine="tcp://:x")
    assert main(["workspace", "planar2r", "--samples", "100", "--scheduler", "notanaddress"]) == 1
    assert "cannot connect to the Dask scheduler at 'notanaddress': missing port number" in capsys.readouterr().err


def test_a_frame_no_joint_moves_is_refused_by_every_entry_point(planar):
    """``link="base"`` (fixed to the root) reached NumPy's 'need at least one array to stack' from the measures."""
    match = r"link 'base' of robot 'annulus2r' does not move \(no joint between the root and it\)"
    for call in (
        lambda: workspace.capability_map(planar, samples=100, voxel=0.5, link="base"),
        lambda: workspace.reachability_map(planar, voxel=0.5, directions=2, prune_samples=100, link="base"),
        lambda: workspace.base_placement(planar, np.eye(4), samples=100, voxel=0.5, directions=2, link="base"),
    ):
        with pytest.raises(OptionError, match=match):
            call()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"directions": "4"}, r"directions must be an integer >= 1, got '4'"),
        ({"seed": 2**64}, r"seed must be an integer from 0 to 2\*\*64 - 1, got 18446744073709551616"),
    ],
)
def test_strings_bools_and_seeds_beyond_64_bits_are_refused(planar, kwargs, match):
    """A string was read as its number and True as a 1 m voxel; a seed of 2**64 or more made a map whose .npz
    file could not be loaded (an object array)."""
    with pytest.raises(OptionError, match=match):
        workspace.capability_map(planar, **{"samples": 100, "voxel": 0.5, **kwargs})


def test_a_map_is_saved_where_it_is_asked_to_be_or_refused(wrist_map, tmp_path):
    """``save("map")`` or ``save("map.txt")`` wrote ``map.npz`` / ``map.txt.npz`` (NumPy adds the suffix), so the
    file was not where ``load_map`` (and the CLI's "wrote ...") said; any case of ``.npz`` is kept as given."""
    for name in ("map", "map.txt", str(tmp_path)):
        with pytest.raises(OptionError, match="path must end in .npz .* or .zarr .* to save a map"):
            wrist_map.save(tmp_path / name)
    assert not list(tmp_path.iterdir())
    wrist_map.save(tmp_path / "map.NPZ")
    assert [p.name for p in tmp_path.iterdir()] == ["map.NPZ"]
    assert_same_map(workspace.load_map(tmp_path / "map.NPZ"), wrist_map)
    from robokin.cli import main

    assert main(["workspace", "planar2r", "--samples", "1e3", "--out", str(tmp_path / "m.txt")]) == 1
    assert main(["workspace", "planar2r", "--samples", "1e3", "--plot", str(tmp_path / "m.xyz")]) == 1
    assert main(["workspace", "planar2r", "--samples", "1e3", "--plot", str(tmp_path)]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.NPZ"]


def test_map_files_with_fields_no_map_has_are_refused(wrist_map, tmp_path):
    """A file that is not an archive (a .npy array: raw TypeError; text: a message about pickles), and map fields
    of the wrong kind, shape or range (a string for directions: raw TypeError; negative pair directions: raw
    IndexError; unsorted pair voxels, NaN reachability: loaded, then wrong answers) get ``PATH: ...`` naming the
    field."""
    np.save(tmp_path / "a.npy", np.arange(3))
    with pytest.raises(RobokinError, match=r"a\.npy: not a robokin map file \(\.npz\): not a zip archive"):
        workspace.load_map(tmp_path / "a.npy")
    good = tmp_path / "map.npz"
    wrist_map.save(good)
    data = dict(np.load(good))
    for key, value, problem in (
        ("directions", np.array("abc"), "directions has dtype <U3, expected kind 'iu'"),
        ("directions", np.array(0), "directions holds .*0.*, below 1"),
        ("robot", np.array(5), "robot has dtype int64, expected a string"),
        ("counts", data["counts"].astype(float), "counts has dtype float64"),
        ("counts", data["counts"][..., None], r"counts has shape \(\d+, \d+, \d+, 1\), expected 3 axes"),
        ("reachability", np.full(data["reachability"].shape, np.nan), "reachability holds NaN"),
        ("reachability", data["reachability"] + 2, "reachability holds .*, above 1.0"),
        ("max_manipulability", -data["max_manipulability"] - 1, "max_manipulability holds .*, below 0.0"),
        ("pair_voxels", data["pair_voxels"][::-1].copy(), "pair_voxels are not the flat indices of the reached"),
        ("pair_directions", data["pair_directions"].astype(np.int64) - 5, "pair_directions holds .*, below 0"),
        ("pair_starts", data["pair_starts"].astype(float), "pair_starts has dtype float64"),
        ("seed", np.array(-1), "seed holds .*-1.*, below 0"),
    ):
        bad = tmp_path / "bad.npz"
        np.savez(bad, **{**data, key: value})
        with pytest.raises(RobokinError, match=rf"bad\.npz: not a valid capability map: {problem}"):
            workspace.load_map(bad)


def test_lookups_of_a_map_with_many_directions_do_not_build_its_dense_table(wrist, monkeypatch):
    """Queries built the whole (R, D) pair table: 10 GB for 10⁵ Panda samples at 65536 directions (NumPy's
    MemoryError). Beyond DENSE_TABLE_BYTES they read only the pairs they need, with the same answers."""
    cmap = workspace.capability_map(wrist, samples=2**14, voxel=0.2, directions=64, seed=1)
    rng = np.random.default_rng(0)
    q = rng.uniform(-np.pi, np.pi, (400, 6))
    T = wrist.fk(q)
    T[200:, :3, 3] += rng.normal(scale=0.1, size=(200, 3))  # some off the samples' own cells
    dense = (cmap.quality_at(T), cmap.reached_at(T), cmap.near_quality_at(T))
    monkeypatch.setattr(maps_module, "DENSE_TABLE_BYTES", 0)
    sparse_map = dataclasses.replace(cmap)  # the same map without its cached table
    sparse = (sparse_map.quality_at(T), sparse_map.reached_at(T), sparse_map.near_quality_at(T))
    assert "pair_manipulability" not in sparse_map.__dict__  # never built
    for a, b in zip(dense, sparse):
        assert a.tobytes() == b.tobytes()
    assert np.isfinite(dense[2]).sum() > np.count_nonzero(dense[1]) > 0  # the lookups found something
    rows = np.array([0, 3, cmap.pair_voxels.size - 1])
    assert sparse_map.quality_rows(rows).tobytes() == cmap.pair_manipulability[rows].tobytes()
    pruned = workspace.reachability_map(wrist, voxel=0.2, directions=8, capability=sparse_map, method="analytic")
    assert "pair_manipulability" not in sparse_map.__dict__
    assert pruned.attempted.sum() > 0


def test_direction_counts_whose_pruning_table_would_not_fit_are_refused_before_work(planar):
    """27 voxels x 65536 directions passed MAX_POSES, then the pruning's 65536 x 65536 adjacency table (21 GB)
    was allocated."""
    with (
        pytest.warns(PlausibilityWarning, match="voxel=1.0 m is coarse for 'annulus2r'"),
        pytest.raises(OptionError, match=r"directions=65536 with a pruning capability map of 65536 directions"),
    ):
        workspace.reachability_map(planar, voxel=1.0, directions=2**16)


def test_colour_bars_say_what_the_field_means(wrist, wrist_map):
    """The colour bars were labelled with the bare field name ('max_inverse_condition', 'reachability')."""
    import matplotlib.pyplot as plt

    with pytest.warns(PlausibilityWarning, match="voxel=0.4 m is coarse for 'wrist6r'") as caught:
        rmap = workspace.reachability_map(wrist, voxel=0.4, directions=4, capability=None, prune_samples=2**12)
    assert len(caught) == 2  # the IK grid's and its pruning capability map's
    for ax, label in (
        (wrist_map.plot_slice(), "fraction of the 6 approach directions reached"),
        (wrist_map.plot_slice("counts"), "samples in the voxel"),
        (wrist_map.plot_scatter("max_inverse_condition"), "best σ_min/σ_max (unit-free Jacobian)"),
        (wrist_map.plot_slice("max_manipulability"), "best manipulability (unit-free Jacobian)"),
        (rmap.plot_slice(), "fraction of the 4 orientations solved by IK"),
    ):
        bars = [a for a in ax.figure.axes if a is not ax]
        assert label in [b.get_ylabel() for b in bars]
        plt.close(ax.figure)


def test_the_default_voxel_on_a_millimetre_arm_warns_and_a_fitting_one_maps_the_annulus():
    """A 2R arm of 30 + 20 mm at the default 0.02 m voxel was mapped silently on a 5 x 5 x 5 grid; now a
    PlausibilityWarning says so and proposes reach / 20. At 2.5 mm its map is the annulus 10 <= r <= 50 mm."""

    small = robokin.loads(
        PLANAR_2R.replace("name: annulus2r", "name: mm2r")
        .replace("m, angle", "mm, angle")
        .replace("a: 1.0", "a: 30")
        .replace("a: 0.5", "a: 20")
    )
    with pytest.warns(
        PlausibilityWarning,
        match=r"voxel=0.02 m is coarse for 'mm2r', whose reach is 0.05 m: the "
        r"map's grid has 5 voxels across; a voxel of about reach / 20 = 0.0025 m",
    ):
        workspace.capability_map(small, samples=100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = workspace.capability_map(small, samples=2**15, voxel=0.0025, directions=4)
    near, far = voxel_distance_range(m, np.zeros(3))  # (the plane z = 0 runs through the middle layer)
    reached = m.counts > 0
    assert reached.any() and np.all(far[reached] >= 0.01 - 1e-12) and np.all(near[reached] <= 0.05 + 1e-12)


def test_a_map_larger_than_the_free_memory_is_refused_before_work(planar, monkeypatch):
    """The grid's arrays are zero-filled lazily: a map beyond the free memory was not refused but filled until the
    system killed the process. Now the estimate is held against the memory available (Linux's MemAvailable)."""
    assert sampling.available_memory() is None or sampling.available_memory() > 0
    monkeypatch.setattr(sampling, "available_memory", lambda: 10**6)
    with pytest.raises(
        OptionError,
        match=r"a grid of 2.27e\+05 voxels \(0.05 m for 'annulus2r', 48 bytes each\) "
        r"needs about 0.0109 GB, and 0.001 GB of memory are available: choose a larger voxel",
    ):
        workspace.capability_map(planar, samples=100, voxel=0.05)
    with pytest.raises(
        OptionError,
        match=r"a reachability map of .* grid poses \(0.05 m x 50 directions for "
        r"'annulus2r'\) needs about .* GB.*: choose a larger voxel or fewer directions",
    ):
        workspace.reachability_map(planar, voxel=0.05)
    assert workspace.capability_map(planar, samples=100, voxel=0.5).samples == 100  # 343 voxels fit
    monkeypatch.setattr(sampling, "available_memory", lambda: None)  # unknown (not Linux): no check
    assert workspace.capability_map(planar, samples=100, voxel=0.05).samples == 100


def test_plot_options_of_the_wrong_type_are_refused(wrist_map):
    """``cutaway="no"`` cut the map away (a true string), ``at=True`` drew the slice at 1 m."""
    with pytest.raises(OptionError, match=r"cutaway must be True or False, got str 'no'"):
        wrist_map.plot_scatter(cutaway="no")
    for at in (True, "0.5"):
        with pytest.raises(OptionError, match=rf"at must be a coordinate \[m\] or None, got {type(at).__name__}"):
            wrist_map.plot_slice(at=at)
