"""Workspace maps: capability maps by sampling, reachability maps by IK, base placement; in process or on Dask.

``capability_map(robot, samples, voxel, directions)`` samples joint space and bins the tool poses into a
voxel grid × equal-area approach directions (the tool z axis); ``reachability_map(robot, voxel,
directions)`` solves IK at every (voxel centre, orientation) pose within reach; ``base_placement(robot,
T_world_targets)`` scores candidate bases by the targets the capability map says they reach (inverse
reachability). Heavy work runs in base chunks with their own spawned seeds, merged exactly, so the maps
are bit-identical whatever runs them: in process (default) or a Dask cluster (``robokin[dask]``).
"""

from .capability import capability_map
from .engines import DaskEngine, InProcessEngine
from .maps import BasePlacement, CapabilityMap, ReachabilityMap, load_map
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
    "load_map",
    "reachability_map",
    "sphere_partition",
]
