"""Zarr v2 stores: the files on disk as the specification lays them out, chunked reads and slices, maps saved as
``.zarr`` bit for bit, and an error naming the file for every kind of broken store.

The files are checked against the specification with json and zlib directly (not with this module's reader);
that zarr-python 2 and 3 read these stores, and that robokin reads stores zarr wrote, is checked by a script
outside the tests (zarr is not a dependency; see the CHANGELOG and the module docstring).
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import zlib

import numpy as np
import pytest

import robokin
from robokin import workspace
from robokin.errors import MapFileError, OptionError, PlausibilityWarning, RobokinError, ShapeError
from robokin.workspace import store
from robokin.workspace.maps import FORMAT_VERSION
from robokin.workspace.store import chunk_shape, open_group, write_group


def same(a, b, what=""):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), what  # NaN included


def edge_arrays():
    rng = np.random.default_rng(5)
    half = rng.standard_normal((13, 7)).astype(np.float16)
    half[2, 3] = half[12, 6] = np.nan
    return {
        "scalar": np.array(2.5),
        "empty_rows": np.zeros((0, 5)),
        "empty": np.zeros(0, np.int64),
        "flags": rng.random((5, 4, 3)) > 0.5,
        "bytes": rng.integers(0, 256, (11, 3), dtype=np.uint8),
        "half_nan": half,
        "ints": np.array([[-(2**63), 2**63 - 1, 0], [1, -1, 7]]),
        "big_endian": rng.standard_normal((10, 3)).astype(">f8"),
        "special": np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324, 1.7976931348623157e308]),
    }


# ------------------------------------------------------------------------------------------ chunks
@pytest.mark.parametrize(
    ("shape", "itemsize", "chunk_bytes", "expected"),
    [
        ((10, 7), 8, 8 * 7 * 3, (3, 7)),  # three whole rows fit
        ((10, 7), 8, 8 * 7 * 3 + 55, (3, 7)),  # not quite four
        ((10, 7), 8, 10**6, (10, 7)),  # the whole array: no chunk longer than it
        ((10, 7), 8, 20, (1, 2)),  # a row is too big: single rows, cut along the next axis
        ((4, 1000, 3), 1, 100, (1, 33, 3)),
        ((10, 7), 8, 1, (1, 1)),  # at least one element
        ((0, 5), 8, 1000, (1, 5)),  # an axis of length 0 still has chunks of length >= 1
        ((), 8, 1, ()),  # 0-d
    ],
)
def test_chunk_shape(shape, itemsize, chunk_bytes, expected):
    assert chunk_shape(shape, itemsize, chunk_bytes) == expected


# ------------------------------------------------------------------------------------------ files on disk
def test_files_follow_the_zarr_v2_layout(tmp_path):
    a = np.arange(15, dtype=np.int64).reshape(5, 3)
    path = tmp_path / "g.zarr"
    write_group(path, {"robot": "x", "n": 3}, {"a": a, "f": np.array([True, False])}, chunk_bytes=2 * 3 * 8)
    assert json.loads((path / ".zgroup").read_text()) == {"zarr_format": 2}
    assert json.loads((path / ".zattrs").read_text()) == {"robot": "x", "n": 3}
    meta = json.loads((path / "a" / ".zarray").read_text())
    assert meta == {
        "zarr_format": 2,
        "shape": [5, 3],
        "chunks": [2, 3],
        "dtype": "<i8",
        "compressor": {"id": "zlib", "level": store.ZLIB_LEVEL},
        "fill_value": 0,
        "order": "C",
        "filters": None,
        "dimension_separator": ".",
    }
    assert sorted(os.listdir(path / "a")) == [".zarray", ".zattrs", "0.0", "1.0", "2.0"]
    # xarray's axis names: given ones, else ARRAY_i
    assert json.loads((path / "a" / ".zattrs").read_text()) == {"_ARRAY_DIMENSIONS": ["a_0", "a_1"]}
    write_group(path, {}, {"a": a, "f": np.array([True, False])}, chunk_bytes=48, dims={"a": ["row", "column"]})
    assert json.loads((path / "a" / ".zattrs").read_text()) == {"_ARRAY_DIMENSIONS": ["row", "column"]}
    assert json.loads((path / "f" / ".zattrs").read_text()) == {"_ARRAY_DIMENSIONS": ["f_0"]}
    # chunk (2, 0) holds row 4, stored whole: the row after it is the fill value
    last = np.frombuffer(zlib.decompress((path / "a" / "2.0").read_bytes()), "<i8")
    np.testing.assert_array_equal(last, [12, 13, 14, 0, 0, 0])
    flags = json.loads((path / "f" / ".zarray").read_text())
    assert (flags["dtype"], flags["fill_value"]) == ("|b1", False)
    assert zlib.decompress((path / "f" / "0").read_bytes()) == b"\x01\x00"
    # a 0-d array has the one chunk "0"; an empty one has none
    write_group(path, {}, {"s": np.array(1.5), "e": np.zeros((0, 4))})  # replaces the store
    assert sorted(os.listdir(path)) == [".zattrs", ".zgroup", "e", "s"]
    assert np.frombuffer(zlib.decompress((path / "s" / "0").read_bytes()), "<f8")[0] == 1.5
    assert sorted(os.listdir(path / "e")) == [".zarray", ".zattrs"]
    assert not any(name.startswith("g.zarr.partial") for name in os.listdir(tmp_path))


@pytest.mark.parametrize("chunk_bytes", [store.CHUNK_BYTES, 24, 1])
def test_round_trip_of_edge_arrays_is_exact(tmp_path, chunk_bytes):
    arrays = edge_arrays()
    attrs = {"name": "x", "values": [0.1, -0.0, 1e300], "big": 2**53 + 1, "nested": {"a": [1, None]}}
    write_group(str(tmp_path / "g.zarr"), attrs, arrays, chunk_bytes=chunk_bytes)
    group = open_group(tmp_path / "g.zarr")
    assert group.attrs == attrs and sorted(group.arrays) == sorted(arrays)
    for name, a in arrays.items():
        back = group[name].read()
        assert back.dtype.isnative  # big-endian input comes back native (little-endian on disk)
        same(a.astype(a.dtype.newbyteorder("=")), back, name)


def test_slices_read_only_the_chunks_they_touch(tmp_path):
    a = np.arange(7 * 5 * 3, dtype=np.float64).reshape(7, 5, 3) / 7
    write_group(tmp_path / "g.zarr", {}, {"a": a}, chunk_bytes=2 * 3 * 8)  # chunks (1, 2, 3)
    arr = open_group(tmp_path / "g.zarr")["a"]
    assert arr.chunks == (1, 2, 3) and arr.shape == (7, 5, 3)
    keys = [
        (...,),
        (3,),
        (-1, 4),
        (slice(2, 6), slice(1, 4), 0),
        (slice(None, None, -2),),
        (slice(6, 0, -3), ..., slice(None, None, 2)),
        (..., 1),
        (slice(4, 4),),
        (slice(5, 1), 2),
        (np.int64(2), slice(-3, None)),
        (slice(-100, 100, 4),),
        (0, 0, 0),
    ]
    for key in keys:
        same(a[key], arr[key], str(key))
    # corrupt every chunk of rows 0..5: row 6 still reads, the rest names the bad chunk
    for i in range(6):
        for j in range(3):
            (tmp_path / "g.zarr" / "a" / f"{i}.{j}.0").write_bytes(b"not zlib")
    same(a[6], arr[6])
    with pytest.raises(MapFileError, match=r"g\.zarr/a/5\.0\.0: corrupt or truncated chunk"):
        arr[5:]


# ------------------------------------------------------------------------------------------ broken stores
def test_broken_chunks_name_the_file(tmp_path):
    a = np.arange(12, dtype=np.float64).reshape(4, 3)
    path = tmp_path / "g.zarr"
    write_group(path, {}, {"a": a, "f": np.ones((2, 2), bool)}, chunk_bytes=3 * 8)
    chunk = path / "a" / "1.0"
    good = chunk.read_bytes()
    chunk.write_bytes(good[: len(good) // 2])  # a truncated chunk (a copy cut short)
    with pytest.raises(MapFileError, match=r"a/1\.0: corrupt or truncated chunk: .*incomplete or truncated"):
        open_group(path)["a"].read()
    chunk.write_bytes(zlib.compress(b"\x00" * 16))  # a valid stream of the wrong length
    with pytest.raises(MapFileError, match=r"a/1\.0: chunk holds 16 bytes, expected 24 \(\(1, 3\) of <f8\)"):
        open_group(path)["a"][1]
    chunk.write_bytes(good)
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0xFF  # a flipped byte: zlib's check sum or the stream itself fails
    chunk.write_bytes(bytes(flipped))
    with pytest.raises(MapFileError, match=r"a/1\.0: corrupt or truncated chunk"):
        open_group(path)["a"][1]
    chunk.write_bytes(good)
    (path / "f" / "0.0").write_bytes(zlib.compress(b"\x01\x02\x00\x01"))
    with pytest.raises(MapFileError, match=r"f/0\.0: corrupt chunk: a bool byte other than 0 or 1"):
        open_group(path)["f"].read()
    # an absent chunk is the fill value (the Zarr rule: zarr leaves chunks of the fill value out) ...
    chunk.unlink()
    same(open_group(path)["a"].read(), np.where(np.arange(4)[:, None] == 1, 0.0, a))
    # ... and an error where the array has none
    meta = json.loads((path / "a" / ".zarray").read_text())
    (path / "a" / ".zarray").write_text(json.dumps(meta | {"fill_value": None}))
    with pytest.raises(MapFileError, match=r"a/1\.0: chunk missing, and the array has no fill_value"):
        open_group(path)["a"].read()
    # a chunk that cannot be read (a directory in its place)
    chunk.mkdir()
    with pytest.raises(MapFileError, match=r"a/1\.0: cannot read the chunk"):
        open_group(path)["a"].read()


def test_missing_foreign_and_malformed_stores(tmp_path):
    with pytest.raises(MapFileError, match=r"nothing\.zarr: cannot read the store: no such file or directory"):
        open_group(tmp_path / "nothing.zarr")
    (tmp_path / "file.zarr").write_text("x")
    with pytest.raises(MapFileError, match=r"file\.zarr: not a Zarr store \(a directory holding \.zgroup\)"):
        open_group(tmp_path / "file.zarr")
    (tmp_path / "plain").mkdir()
    with pytest.raises(MapFileError, match=r"plain/\.zgroup: missing"):
        open_group(tmp_path / "plain")
    (tmp_path / "v3.zarr").mkdir()
    (tmp_path / "v3.zarr" / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group"}')
    with pytest.raises(MapFileError, match=r"v3\.zarr: a Zarr v3 store; robokin reads Zarr v2 groups"):
        open_group(tmp_path / "v3.zarr")
    path = tmp_path / "g.zarr"
    write_group(path, {"a": 1}, {"x": np.zeros((3, 2))})
    (path / ".zgroup").write_text('{"zarr_format": 2,\n  "oops"}')
    with pytest.raises(MapFileError, match=r"g\.zarr/\.zgroup:2:9: not valid JSON: Expecting ':' delimiter"):
        open_group(path)
    (path / ".zgroup").write_text('{"zarr_format": 3}')
    with pytest.raises(MapFileError, match=r"\.zgroup: not a Zarr v2 group \(zarr_format 2\)"):
        open_group(path)
    (path / ".zgroup").write_text('{"zarr_format": 2}')
    (path / ".zattrs").write_bytes(b"\xff\xfe")
    with pytest.raises(MapFileError, match=r"\.zattrs: cannot read: .*utf-8"):
        open_group(path)
    (path / ".zattrs").write_text("[1, 2]")
    with pytest.raises(MapFileError, match=r"\.zattrs: not a JSON object"):
        open_group(path)
    (path / ".zattrs").unlink()  # optional in Zarr v2: no attributes
    assert open_group(path).attrs == {}
    good = json.loads((path / "x" / ".zarray").read_text())
    bad = [
        ({"zarr_format": 3}, r"not Zarr v2 array metadata"),
        ({"shape": [3, -2]}, r"shape \[3, -2\] and chunks \[3, 2\] must be lists"),
        ({"chunks": [0, 2]}, r"shape \[3, 2\] and chunks \[0, 2\] must be lists"),
        ({"chunks": [3]}, r"shape \[3, 2\] and chunks \[3\] must be lists of ints >= 0 / >= 1, as long"),
        ({"shape": "3, 2"}, r"shape '3, 2'"),
        ({"dtype": ">f8"}, r"dtype '>f8'; robokin reads little-endian bool, int and float"),
        ({"dtype": "<U3"}, r"dtype '<U3'"),
        ({"dtype": "float64"}, r"dtype 'float64'"),
        ({"dtype": "<q9"}, r"dtype '<q9'"),
        ({"dtype": [["a", "<f8"]]}, r"dtype \[\['a', '<f8'\]\]"),
        (
            {"compressor": {"id": "blosc", "cname": "lz4"}},
            r"compressor \{'id': 'blosc', 'cname': 'lz4'\}; robokin reads zlib",
        ),
        ({"filters": [{"id": "delta"}]}, r"filters \[\{'id': 'delta'\}\]; robokin reads None or \[\]"),
        ({"order": "F"}, r"order 'F'; robokin reads C"),
        ({"dimension_separator": "/"}, r"dimension_separator '/'; robokin reads \."),
        ({"fill_value": "NaN", "dtype": "<i8"}, r"fill_value 'NaN' is not a value of dtype <i8"),
        ({"fill_value": 2**70, "dtype": "<i8"}, r"fill_value 1180591620717411303424 is not a value of dtype <i8"),
        ({"fill_value": 1, "dtype": "|b1"}, r"fill_value 1 is not a value of dtype \|b1"),
        ({"fill_value": "AAAA"}, r"fill_value 'AAAA' is not a value of dtype <f8"),
    ]
    for change, message in bad:
        (path / "x" / ".zarray").write_text(json.dumps(good | change))
        with pytest.raises(MapFileError, match=r"g\.zarr/x/\.zarray: " + message):
            open_group(path)
    # the readable variants: no compressor (raw chunks), "NaN" fill, an empty filter list
    raw = good | {"compressor": None, "fill_value": "NaN", "filters": []}
    (path / "x" / ".zarray").write_text(json.dumps(raw))
    (path / "x" / "0.0").write_bytes(np.arange(6.0).tobytes())
    arr = open_group(path)["x"]
    assert not arr.compressed and np.isnan(arr.fill_value)
    same(arr.read(), np.arange(6.0).reshape(3, 2))
    (path / "x" / "0.0").unlink()
    assert np.isnan(arr.read()).all()


def test_bad_arguments(tmp_path):
    path = tmp_path / "g.zarr"
    arrays = {"x": np.zeros(3)}
    for chunk_bytes in (0, True, 1.5, "4"):
        with pytest.raises(OptionError, match=r"chunk_bytes must be an integer >= 1, got"):
            write_group(path, {}, arrays, chunk_bytes=chunk_bytes)
    for level in (-1, 10, 1.0):
        with pytest.raises(OptionError, match=r"level must be a zlib level, an integer in 0\.\.9, got"):
            write_group(path, {}, arrays, level=level)
    for name in ("", ".hidden", "a/b"):
        with pytest.raises(OptionError, match=r"array name .*: must be a plain file name, not starting with '\.'"):
            write_group(path, {}, {name: np.zeros(3)})
    for value, kind in (
        (np.array(["a", "b"]), "<U1"),
        (np.array([None]), "object"),
        (np.zeros(2, complex), "complex128"),
    ):
        with pytest.raises(OptionError, match=rf"array 'v': dtype {kind} is not bool, integer or float"):
            write_group(path, {}, {"v": value})
    for dims in ({"x": ["a", "b"]}, {"y": ["a"]}):
        with pytest.raises(OptionError, match=r"dims\['.'\] must name each axis of the array '.', got"):
            write_group(path, {}, arrays, dims=dims)
    with pytest.raises(OptionError, match=r"attrs must be JSON-serialisable: .*ndarray"):
        write_group(path, {"a": np.zeros(2)}, arrays)
    assert not path.exists()
    # what is at the path and is not a store is never replaced
    (tmp_path / "file.zarr").write_text("keep")
    (tmp_path / "folder.zarr").mkdir()
    (tmp_path / "folder.zarr" / "mine.txt").write_text("keep")
    for target in ("file.zarr", "folder.zarr"):
        with pytest.raises(RobokinError, match=rf"{target}: exists and is not a Zarr store; not overwriting it"):
            write_group(tmp_path / target, {}, arrays)
    assert (tmp_path / "file.zarr").read_text() == "keep" and (tmp_path / "folder.zarr" / "mine.txt").exists()
    with pytest.raises(RobokinError, match=r"no/g\.zarr: cannot write the store: No such file or directory"):
        write_group(tmp_path / "no" / "g.zarr", {}, arrays)
    # a store is replaced whole: the old arrays go
    write_group(path, {"v": 1}, {"old": np.zeros(2)})
    write_group(path, {"v": 2}, {"new": np.ones(2)})
    group = open_group(path)
    assert group.attrs == {"v": 2} and list(group.arrays) == ["new"]
    with pytest.raises(OptionError, match=r"g\.zarr: no array 'old'; it holds \['new'\]"):
        group["old"]
    arr = group["new"]
    for key, error, message in [
        (2, ShapeError, r"index 2 is out of range for axis 0 of length 2"),
        (-3, ShapeError, r"index -3 is out of range for axis 0 of length 2"),
        ((0, 0), ShapeError, r"index \(0, 0\) does not fit an array of shape \(2,\)"),
        ((..., ...), ShapeError, r"index \(Ellipsis, Ellipsis\) does not fit"),
        (1.0, OptionError, r"index with ints, slices and \.\.\., got 1\.0"),
        (True, OptionError, r"index with ints, slices and \.\.\., got True"),
        (np.array([0, 1]), OptionError, r"index with ints, slices and \.\.\., got array\(\[0, 1\]\)"),
        (None, OptionError, r"index with ints, slices and \.\.\., got None"),
    ]:
        with pytest.raises(error, match=r"g\.zarr/new: " + message):
            arr[key]


# ------------------------------------------------------------------------------------------ maps
@pytest.fixture(scope="module")
def maps():
    panda = robokin.load("panda")
    cm = workspace.capability_map(panda, samples=2 * 10**4, voxel=0.2, directions=50, seed=7)
    with pytest.warns(PlausibilityWarning, match="voxel=0.4 m is coarse for 'panda'"):  # (a small map, on purpose)
        rm = workspace.reachability_map(panda, voxel=0.4, directions=4, capability=cm, seed=2)
    bp = workspace.base_placement(panda, panda.fk([0, 0, 0, -1.5, 0, 1.5, 0.7]), capability=cm, top=2)
    return {"capability": cm, "reachability": rm, "placement": bp}


def assert_same_fields(a, b):
    assert type(a) is type(b)
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            same(x, y, f.name)
            assert not y.flags.writeable, f.name
        else:
            assert type(x) is type(y) and x == y, f.name


@pytest.mark.parametrize("kind", ["capability", "reachability", "placement"])
@pytest.mark.parametrize("chunk_bytes", [None, 300])
def test_every_map_kind_round_trips_bit_for_bit(tmp_path, maps, kind, chunk_bytes):
    m = maps[kind]
    m.save(tmp_path / "m.zarr", chunk_bytes=chunk_bytes)
    back = workspace.load_map(tmp_path / "m.zarr")
    assert_same_fields(m, back)
    assert_same_fields(m, type(m).load(str(tmp_path / "m.zarr")))
    m.save(tmp_path / "m.npz")
    assert_same_fields(workspace.load_map(tmp_path / "m.npz"), back)  # the same map as the .npz holds


def test_metadata_is_in_the_attributes_and_the_arrays_in_chunks(tmp_path, maps):
    cm = maps["capability"]
    cm.save(str(tmp_path / "cm.zarr"), chunk_bytes=1000)
    attrs = json.loads((tmp_path / "cm.zarr" / ".zattrs").read_text())
    assert attrs == {
        "robokin_kind": "capability",
        "robokin_format_version": FORMAT_VERSION,
        "source": "robokin.workspace.CapabilityMap.save",
        "robot": "panda",
        "link": cm.link,
        "origin": list(cm.origin),  # exact: the shortest repr of a double reads back to it
        "voxel": 0.2,
        "shape": list(cm.shape),
        "directions": 50,
        "samples": 2 * 10**4,
        "seed": 7,
    }
    assert sorted(p.name for p in (tmp_path / "cm.zarr").iterdir() if p.is_dir()) == sorted(
        [
            "counts",
            "reachability",
            "max_manipulability",
            "max_inverse_condition",
            "pair_voxels",
            "pair_starts",
            "pair_directions",
            "pair_values",
        ]
    )
    meta = json.loads((tmp_path / "cm.zarr" / "pair_values" / ".zarray").read_text())
    P = cm.pair_values.size
    assert P > 1000 and meta["shape"] == [P] and meta["chunks"] == [500] and meta["dtype"] == "<f2"
    assert len(os.listdir(tmp_path / "cm.zarr" / "pair_values")) == 2 + -(-P // 500)  # with .zarray, .zattrs
    # one slice of the pairs, without the rest: the other chunks may be gone
    group = workspace.open_map(tmp_path / "cm.zarr")
    for name in os.listdir(tmp_path / "cm.zarr" / "pair_values"):
        if name not in (".zarray", ".zattrs", "1", "2"):
            (tmp_path / "cm.zarr" / "pair_values" / name).write_bytes(b"")
    same(group["pair_values"][600:1400], cm.pair_values[600:1400])
    assert group.attrs["robot"] == "panda" and group["counts"].shape == cm.shape
    with pytest.raises(MapFileError, match=r"cm\.zarr/pair_values/0: corrupt or truncated chunk"):
        workspace.load_map(tmp_path / "cm.zarr")
    # a reachability map's per-(voxel, direction) arrays are chunked too; its per-voxel fields alike
    rm = maps["reachability"]
    rm.save(tmp_path / "rm.zarr", chunk_bytes=2 * rm.directions)
    meta = json.loads((tmp_path / "rm.zarr" / "success" / ".zarray").read_text())
    assert meta["shape"] == [*rm.shape, 4] and meta["chunks"] == [1, 1, 2, 4] and meta["dtype"] == "|b1"
    # the grid's axes by name, shared by every array on it (xarray's convention)
    for name, axes in (("success", ["x", "y", "z", "direction"]), ("reachability", ["x", "y", "z"])):
        assert json.loads((tmp_path / "rm.zarr" / name / ".zattrs").read_text()) == {"_ARRAY_DIMENSIONS": axes}
    assert json.loads((tmp_path / "cm.zarr" / "counts" / ".zattrs").read_text()) == {"_ARRAY_DIMENSIONS": list("xyz")}


def test_edge_maps_empty_one_voxel_nan(tmp_path, maps):
    cm = maps["capability"]
    D = cm.directions
    grid = (2, 3, 2)  # small: chunks of 1 byte are a file per element
    empty = dataclasses.replace(
        cm,
        shape=grid,
        counts=np.zeros(grid, np.int64),
        reachability=np.zeros(grid),
        max_manipulability=np.zeros(grid),
        max_inverse_condition=np.zeros(grid),
        pair_voxels=np.zeros(0, np.int64),
        pair_starts=np.zeros(1, np.int64),
        pair_directions=np.zeros(0, np.uint16),
        pair_values=np.zeros(0, np.float16),
        samples=1,
    )
    one = dataclasses.replace(
        cm,
        origin=np.array([0.1, -0.2, 1 / 3]),
        shape=(1, 1, 1),
        counts=np.ones((1, 1, 1), np.int64),
        reachability=np.full((1, 1, 1), 1 / D),
        max_manipulability=np.full((1, 1, 1), 0.5),
        max_inverse_condition=np.full((1, 1, 1), -0.0),  # -0.0 comes back as it went
        pair_voxels=np.zeros(1, np.int64),
        pair_starts=np.array([0, 1]),
        pair_directions=np.array([3], np.uint16),
        pair_values=np.array([0.25], np.float16),
    )
    for name, m in (("empty", empty), ("one", one)):
        for chunk_bytes in (None, 1, 7):
            m.save(tmp_path / f"{name}.zarr", chunk_bytes=chunk_bytes)
            back = workspace.load_map(tmp_path / f"{name}.zarr")
            assert_same_fields(m, back)
    assert back.pair_count == 1 and back.pair_keys().tolist() == [3]
    assert workspace.load_map(tmp_path / "empty.zarr").quality_at(np.eye(4)) == 0.0
    assert sorted(os.listdir(tmp_path / "empty.zarr" / "pair_voxels")) == [".zarray", ".zattrs"]  # no chunk for no rows
    # a field no map holds (NaN) is written as it is, and refused on loading, naming the field
    nan = dataclasses.replace(one, max_manipulability=np.full((1, 1, 1), np.nan))
    nan.save(tmp_path / "nan.zarr")
    with pytest.raises(
        MapFileError, match=r"nan\.zarr/\.zattrs: not a valid capability map: max_manipulability holds NaN"
    ):
        workspace.load_map(tmp_path / "nan.zarr")


def test_map_store_errors_and_paths(tmp_path, maps):
    cm, bp = maps["capability"], maps["placement"]
    bp.save(tmp_path / "bp.zarr")
    with pytest.raises(MapFileError, match=r"bp\.zarr: holds a BasePlacement, not a CapabilityMap"):
        workspace.CapabilityMap.load(tmp_path / "bp.zarr")
    # a Zarr store that is not a robokin map: "foreign"
    write_group(tmp_path / "other.zarr", {"title": "a zarr of someone else's"}, {"x": np.zeros(3)})
    with pytest.raises(MapFileError, match=r"other\.zarr/\.zattrs: not a robokin map file \(kind None; expected"):
        workspace.load_map(tmp_path / "other.zarr")
    cm.save(tmp_path / "cm.zarr")
    attrs = json.loads((tmp_path / "cm.zarr" / ".zattrs").read_text())
    (tmp_path / "cm.zarr" / ".zattrs").write_text(json.dumps(attrs | {"robokin_format_version": 2}))
    with pytest.raises(MapFileError, match=r"cm\.zarr/\.zattrs: map format version 2, this robokin reads \(3,\)"):
        workspace.open_map(tmp_path / "cm.zarr")
    (tmp_path / "cm.zarr" / ".zattrs").write_text(json.dumps({k: v for k, v in attrs.items() if k != "seed"}))
    with pytest.raises(MapFileError, match=r"cm\.zarr/\.zattrs: the capability map lacks seed"):
        workspace.load_map(tmp_path / "cm.zarr")
    (tmp_path / "cm.zarr" / ".zattrs").write_text(json.dumps(attrs | {"origin": ["a", 0, 0]}))
    with pytest.raises(MapFileError, match=r"cm\.zarr/\.zattrs: origin is \['a', 0, 0\], not a list of numbers"):
        workspace.load_map(tmp_path / "cm.zarr")
    (tmp_path / "cm.zarr" / ".zattrs").write_text(json.dumps(attrs))
    (tmp_path / "cm.zarr" / "counts" / ".zarray").unlink()  # the array is gone
    with pytest.raises(MapFileError, match=r"the capability map lacks counts"):
        workspace.load_map(tmp_path / "cm.zarr")
    with pytest.raises(MapFileError, match=r"gone\.zarr: cannot read the store: no such file or directory"):
        workspace.load_map(tmp_path / "gone.zarr")
    with pytest.raises(OptionError, match=r"chunk_bytes is for \.zarr stores; .*m\.npz is saved as one \.npz"):
        cm.save(tmp_path / "m.npz", chunk_bytes=1000)
    with pytest.raises(OptionError, match=r"chunk_bytes must be an integer >= 1, got 0"):
        cm.save(tmp_path / "m.zarr", chunk_bytes=0)
    (tmp_path / "taken.zarr").write_text("keep")
    with pytest.raises(RobokinError, match=r"taken\.zarr: exists and is not a Zarr store; not overwriting it"):
        cm.save(tmp_path / "taken.zarr")
    # the suffix picks the format, in any case and with a trailing slash; any directory loads as a store
    assert workspace.is_zarr_path("a/MAP.Zarr/") and not workspace.is_zarr_path("map.zarr.npz")
    cm.save(str(tmp_path / "UPPER.ZARR") + "/")
    assert (tmp_path / "UPPER.ZARR" / ".zgroup").is_file()
    os.rename(tmp_path / "UPPER.ZARR", tmp_path / "renamed")
    assert_same_fields(cm, workspace.load_map(pathlib.Path(tmp_path / "renamed")))


def test_cli_writes_a_zarr_store(tmp_path, capsys):
    from robokin.cli import main

    out = str(tmp_path / "map.zarr")
    assert (
        main(["workspace", "planar2r", "--voxel", "0.2", "--samples", "3000", "--directions", "8", "--out", out]) == 0
    )
    assert f"wrote {out}" in capsys.readouterr().out
    saved = workspace.CapabilityMap.load(out)
    assert saved.robot == "planar2r" and saved.counts.sum() == 3000 and saved.directions == 8


def test_a_chunk_that_inflates_beyond_its_size_is_refused_without_inflating_it(tmp_path):
    """A damaged or hostile chunk of a few hundred kB can inflate to gigabytes (zlib reaches ~1000:1); the reader
    stops one byte past the chunk's size instead of inflating it whole."""
    import tracemalloc

    path = tmp_path / "g.zarr"
    write_group(path, {}, {"a": np.arange(12, dtype=np.float64).reshape(4, 3)}, chunk_bytes=3 * 8)
    (path / "a" / "1.0").write_bytes(zlib.compress(b"\x00" * 100_000_000))  # 100 MB from ~100 kB
    tracemalloc.start()
    try:
        with pytest.raises(MapFileError, match=r"a/1\.0: chunk holds more than 24 bytes, expected 24"):
            open_group(path)["a"][1]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # was 100 MB


def test_a_map_store_declaring_other_shapes_is_refused_before_reading(tmp_path, maps):
    """A .zarray whose shape disagrees with the map's grid, directions or pairs (a terabyte, say) is refused from
    its metadata, before an array of that shape is allocated."""
    path = tmp_path / "m.zarr"
    maps["capability"].save(path)
    for name, shape in (("counts", [10**6] * 3), ("pair_values", [10**12])):
        meta_file = path / name / ".zarray"
        good = meta_file.read_text()
        meta = json.loads(good)
        meta["shape"] = shape
        meta_file.write_text(json.dumps(meta))
        with pytest.raises(MapFileError, match=rf"{name}/\.zarray: not a valid capability map: {name} declares shape"):
            workspace.load_map(path)
        meta_file.write_text(good)
    assert isinstance(workspace.load_map(path), workspace.CapabilityMap)
