"""The exceptions robokin raises: one base class and a kind per kind of mistake."""

from __future__ import annotations

__all__ = [
    "RobokinError",
    "RobotFormatError",
    "ShapeError",
    "ConventionError",
    "OptionError",
    "LimitError",
    "PlausibilityWarning",
    "NoAnalyticSolutionError",
    "MapFileError",
]


class RobokinError(Exception):
    """Base class of every error robokin raises on purpose."""


class RobotFormatError(RobokinError, ValueError):
    """A robot description (YAML or URDF) is malformed or missing.

    The message starts with ``FILE:LINE:COL:`` when the position is known, then names the joint and the
    key and says what was expected.

    Attributes:
        path: The file (or ``"<string>"``) the error is in.
        line: 1-based line number, or None when unknown.
        column: 1-based column number, or None when unknown.
        key_path: Where in the document, e.g. ``"joints[2].dh.alpha"``; empty when not applicable. For an
            error raised by the model's own constructors (:class:`robokin.model.Joint`, ``Origin``, ``Robot``)
            it is relative to the joint (``"axis"``, ``"limits"``, ``"velocity"``, ``"dh"``) or the robot
            (``"joints"``, ``"base"``, ``"tool"``), so a file reader can point at the value it read.
        reason: The bare message without the location prefix.
        joint: The name of the joint the rule is about (model errors), else None.
    """

    def __init__(
        self,
        reason: str,
        *,
        path: str = "<string>",
        line: int | None = None,
        column: int | None = None,
        key_path: str = "",
        joint: str | None = None,
    ) -> None:
        self.path = str(path)
        self.joint = joint
        self.line = line
        self.column = column
        self.key_path = key_path
        self.reason = reason
        where = self.path
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {reason}")


class ShapeError(RobokinError, ValueError):
    """An array argument has the wrong shape or holds non-finite values."""


class ConventionError(RobokinError, ValueError):
    """An argument is well shaped but breaks a convention, e.g. a matrix that is not a rigid transform."""


class OptionError(RobokinError, ValueError):
    """A string option (``method=``, ``frame=``, ...) is not one of the valid choices."""


class LimitError(RobokinError, ValueError):
    """Joint values, speeds or accelerations outside the robot's limits where the call must stay inside them."""


class PlausibilityWarning(UserWarning):
    """A robot file loads but its numbers look wrong (e.g. millimetres read as metres, degrees as radians), or a
    call's inputs do not suit the robot (a map voxel too coarse for its reach, base placement of poses the arm has
    too few joints for)."""


class NoAnalyticSolutionError(RobokinError, ValueError):
    """The arm has no closed-form inverse-kinematics family (see :func:`robokin.ik.analytic_family`)."""


class MapFileError(RobokinError, ValueError):
    """A saved map (a ``.npz`` file or a ``.zarr`` store) is missing, unreadable, corrupt, foreign, or of another
    format version.

    The message starts with the path of the file at fault (in a store, the metadata or chunk file).
    """
