"""Workspace maps: capability maps by sampling, reachability maps by IK, base placement; in process or on Dask.

``capability_map(robot, samples, voxel, directions)`` samples joint space and bins the tool poses into a
voxel grid × equal-area approach directions (the tool z axis); ``reachability_map(robot, voxel,
directions)`` solves IK at every (voxel centre, orientation) pose within reach; ``base_placement(robot,
T_world_targets)`` scores candidate bases by the targets the capability map says they reach (inverse
reachability). Heavy work runs in base chunks with their own spawned seeds, merged exactly, so the maps
are bit-identical whatever runs them: in process (default) or a Dask cluster (``robokin[dask]``). Maps are
saved to ``.npz`` or to a chunked Zarr v2 store (``.zarr``, :mod:`robokin.workspace.store`, standard library only)
and read back bit for bit (``load_map``), or a slice at a time (``open_map``).
"""

from .capability import capability_map
from .engines import DaskEngine, InProcessEngine
from .maps import BasePlacement, CapabilityMap, ReachabilityMap, is_zarr_path, load_map, open_map
from .placement import base_placement
from .reachability import reachability_map
from .sampling import BASE_CHUNK, SpherePartition, sphere_partition

__all__ = [
    "BASE_CHUNK",
    "BasePlacement",
    "CapabilityMap",
    "DaskEngine",
    "InProcessEngine",
    "ReachabilityMap",
    "SpherePartition",
    "base_placement",
    "capability_map",
    "is_zarr_path",
    "load_map",
    "open_map",
    "reachability_map",
    "sphere_partition",
]
