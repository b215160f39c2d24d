"""robokin: robot arm kinematics on NumPy.

Load an arm from YAML (``robokin.load("puma560")``), then ``robot.fk(q)``, ``robot.jacobian(q)``,
``robot.ik(T)``; see the README for conventions (frames, ``[v; ω]`` rows, shapes, units).
"""

from . import autodiff, ik, kinematics, measures, singularity, spatial, trajectory, workspace
from .errors import ConventionError, OptionError, RobokinError, RobotFormatError, ShapeError
from .format import dumps, loads, save
from .ik import IKOptions, IKResult
from .kinematics import fk, fk_all, fk_frames, hessian, jacobian, jacobian_dot, manipulability_gradient
from .loading import list_robots, load
from .model import Frame, Joint, Mimic, Origin, Robot
from .singularity import analyze, find_singular, inverse_condition, is_singular, manipulability, singularity_map
from .urdf import describe_urdf, load_urdf, loads_urdf

__version__ = "0.1.0"

__all__ = [
    "ConventionError",
    "IKOptions",
    "IKResult",
    "Frame",
    "Joint",
    "Mimic",
    "OptionError",
    "Origin",
    "RobokinError",
    "Robot",
    "RobotFormatError",
    "ShapeError",
    "analyze",
    "autodiff",
    "describe_urdf",
    "dumps",
    "find_singular",
    "fk",
    "fk_all",
    "fk_frames",
    "hessian",
    "ik",
    "inverse_condition",
    "is_singular",
    "jacobian",
    "jacobian_dot",
    "kinematics",
    "list_robots",
    "load",
    "load_urdf",
    "loads",
    "loads_urdf",
    "manipulability",
    "manipulability_gradient",
    "measures",
    "save",
    "singularity",
    "singularity_map",
    "spatial",
    "trajectory",
    "workspace",
]
