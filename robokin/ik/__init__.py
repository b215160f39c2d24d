"""Inverse kinematics as tasks + limits + a damped-least-squares solver; :func:`solve` is the one-target call.

================  ===========================================================================================
module            its one job
================  ===========================================================================================
``options``       :class:`IKOptions` (validated settings) and :class:`IKResult` (the verified answer)
``tasks``         tasks on any frame of a tree (:class:`PoseTask`, :class:`PositionTask`, :class:`PostureTask`):
                  an error and its Jacobian from the frame's pose provider (tree kernels, mimic folded)
``limits``        bounds on the step: joint position limits (projection, active set), velocity limits, the
                  step guard
``dls``           the damped-least-squares step ``Δq = z + Jᵀ(JJᵀ + λI)⁻¹(e − Jz)`` (:func:`dls_step`)
``seeds``         the per-robot seed table: starts whose poses are nearest a target
``solver``        the solver: stacks any tasks' rows, steps every row of every target, restarts attempts
``subproblems``   the Paden–Kahan / IK-Geo subproblems SP1–SP6, batched (the closed form's pieces)
``analytic``      closed-form IK: :func:`analytic_family` of an arm, :func:`solve_all` every solution
``solve_ik``      :func:`solve_tasks`: any frame tasks and the robot's limits, the solver, every task checked by
                  ``robot.fk``; :func:`solve`: one frame's pose (``method="auto"`` takes the closed form
                  when the task is a serial arm's tool and the arm has one)
================  ===========================================================================================
"""

from __future__ import annotations

from .analytic import AnalyticFamily, IKSolutions, analytic_family, solve_all
from .dls import dls_step
from .limits import JointPositionLimit, StepLimit, VelocityLimit
from .options import DAMPING_SCHEMES, POSITION_ONLY, IKOptions, IKResult, TasksResult
from .solve_ik import METHODS, position_tolerance, solve, solve_tasks
from .tasks import (
    FramePoseTask,
    LinkPose,
    PoseProvider,
    PoseTask,
    PositionTask,
    PostureTask,
    ToolPose,
    position_task,
)

__all__ = [
    "solve",
    "solve_tasks",
    "PoseTask",
    "PositionTask",
    "PostureTask",
    "TasksResult",
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
    "PoseProvider",
    "ToolPose",
    "LinkPose",
    "JointPositionLimit",
    "VelocityLimit",
    "StepLimit",
]
