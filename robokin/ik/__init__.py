"""Inverse kinematics as tasks + limits + a damped-least-squares solver; :func:`solve` is the one-target call.

================  ===========================================================================================
module            its one job
================  ===========================================================================================
``options``       :class:`IKOptions` (validated settings) and :class:`IKResult` (the verified answer)
``tasks``         tasks: an error and its Jacobian from a frame's pose provider (pose, position), a posture
``limits``        bounds on the step: joint position limits (projection, active set), the step guard
``dls``           the damped-least-squares step ``Δq = z + Jᵀ(JJᵀ + λI)⁻¹(e − Jz)`` (:func:`dls_step`)
``seeds``         the per-robot seed table: starts whose poses are nearest a target
``solver``        the solver: stacks any tasks' rows, steps every row of every target, restarts attempts
``solve_ik``      :func:`solve`: the tool's pose task and the robot's limits, a solver, ``robot.fk`` check
================  ===========================================================================================
"""

from __future__ import annotations

from .dls import dls_step
from .limits import JointPositionLimit, StepLimit
from .options import DAMPING_SCHEMES, POSITION_ONLY, IKOptions, IKResult
from .solve_ik import position_tolerance, solve
from .tasks import FramePoseTask, PoseProvider, PostureTask, ToolPose, position_task

__all__ = [
    "solve",
    "position_tolerance",
    "IKOptions",
    "IKResult",
    "POSITION_ONLY",
    "DAMPING_SCHEMES",
    "dls_step",
    "FramePoseTask",
    "position_task",
    "PostureTask",
    "PoseProvider",
    "ToolPose",
    "JointPositionLimit",
    "StepLimit",
]
