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
``subproblems``   the Paden–Kahan / IK-Geo subproblems SP1–SP6, batched (the closed form's pieces)
``analytic``      closed-form IK: :func:`analytic_family` of an arm, :func:`solve_all` every solution
``solve_ik``      :func:`solve`: the tool's pose task and the robot's limits, a solver, ``robot.fk`` check;
                  ``method="auto"`` takes the closed form when the arm has one
================  ===========================================================================================
"""

from __future__ import annotations

from .analytic import AnalyticFamily, IKSolutions, analytic_family, solve_all
from .dls import dls_step
from .limits import JointPositionLimit, StepLimit
from .options import DAMPING_SCHEMES, POSITION_ONLY, IKOptions, IKResult
from .solve_ik import METHODS, position_tolerance, solve
from .tasks import FramePoseTask, PoseProvider, PostureTask, ToolPose, position_task

__all__ = [
    "solve",
    "solve_all",
    "analytic_family",
    "IKSolutions",
    "AnalyticFamily",
    "METHODS",
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
