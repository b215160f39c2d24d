"""robokin.measures: functions of a Jacobian, against closed forms and a second computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import robokin
from robokin import measures, singularity
from robokin.errors import OptionError, ShapeError


def _rotation(rng: np.random.Generator, n: int) -> np.ndarray:
    Q, R = np.linalg.qr(rng.normal(size=(n, n)))
    return Q * np.sign(np.diag(R))


def test_singular_values_of_a_rotated_diagonal_matrix():
    rng = np.random.default_rng(0)
    s = np.array([3.0, 2.0, 0.5])
    J = _rotation(rng, 3) @ np.diag(s) @ _rotation(rng, 3)
    np.testing.assert_allclose(measures.singular_values(J), s, rtol=1e-14)
    assert measures.smallest_singular_value(J) == pytest.approx(0.5, rel=1e-14)
    assert measures.inverse_condition(J) == pytest.approx(0.5 / 3.0, rel=1e-14)
    assert measures.manipulability(J) == pytest.approx(3.0, rel=1e-14)  # 3 · 2 · 0.5
    assert abs(measures.det(J)) == pytest.approx(3.0, rel=1e-14)


def test_inverse_condition_is_scale_free_and_zero_for_a_zero_matrix():
    rng = np.random.default_rng(1)
    J = rng.normal(size=(4, 6, 7))
    np.testing.assert_allclose(measures.inverse_condition(1e-6 * J), measures.inverse_condition(J), rtol=1e-12)
    assert measures.inverse_condition(np.zeros((6, 7))) == 0.0
    s = np.array([[2.0, 1.0], [0.0, 0.0]])
    np.testing.assert_array_equal(measures.inverse_condition_from_singular_values(s), [0.5, 0.0])


def test_manipulability_of_wide_and_tall_blocks_is_the_gram_volume():
    rng = np.random.default_rng(2)
    J = rng.normal(size=(5, 6, 7))
    np.testing.assert_allclose(
        measures.manipulability(J), np.sqrt(np.linalg.det(J @ np.swapaxes(J, -1, -2))), rtol=1e-10
    )
    Jt = J[..., :3]  # 6 rows, 3 columns: tall
    np.testing.assert_allclose(
        measures.manipulability(Jt, rows="translation"), np.abs(np.linalg.det(Jt[:, :3])), rtol=1e-10
    )
    np.testing.assert_allclose(
        measures.manipulability(Jt), np.sqrt(np.linalg.det(np.swapaxes(Jt, -1, -2) @ Jt)), rtol=1e-10
    )


def test_det_of_the_planar_2r_position_block():
    robot = robokin.load("planar2r")
    l1, l2 = (float(np.linalg.norm(robot.chain.C[i + 1, :3, 3])) for i in range(2))
    q = np.array([[0.3, 0.9], [-1.0, 2.0], [0.0, 0.0]])
    np.testing.assert_allclose(measures.det(robot.jacobian(q), rows=[0, 1]), l1 * l2 * np.sin(q[:, 1]), atol=1e-14)


def test_det_needs_a_square_block():
    with pytest.raises(ShapeError, match=r"^det needs a square block: J has shape \(3, 7\) for rows='translation'"):
        measures.det(np.zeros((6, 7)), rows="translation")


def test_rows_need_a_six_row_jacobian_and_valid_names():
    with pytest.raises(
        ShapeError, match=r"^rows='rotation' needs a Jacobian with 6 rows \[v; ω\], got shape \(3, 3\)$"
    ):
        measures.manipulability(np.eye(3), rows="rotation")
    with pytest.raises(OptionError, match=r"^rows must be one of 'all', 'translation', 'rotation'; got 'position'$"):
        measures.row_indices("position")
    assert measures.row_indices("rotation") == [3, 4, 5] and measures.row_indices((5, 0)) == [5, 0]


def test_matrix_refuses_bad_jacobians():
    with pytest.raises(ShapeError, match=r"^J must have shape \(\.\.\., m, n\) with m, n >= 1, got shape \(6,\)$"):
        measures.singular_values(np.zeros(6))
    with pytest.raises(ShapeError, match=r"^J must be finite; found nan at index \(0, 1\)$"):
        measures.singular_values([[0.0, np.nan], [1.0, 0.0]])
    with pytest.raises(
        ShapeError,
        match=r"^J must be an array of numbers of shape \(\.\.\., m, n\) \(real integers or "
        r"floats\), got dtype complex128",
    ):
        measures.singular_values(np.eye(2, dtype=complex))


def test_scale_translation_rows():
    J = np.arange(12.0).reshape(6, 2)
    Js = measures.scale_translation_rows(J, 4.0)
    np.testing.assert_array_equal(Js[:3], J[:3] / 4.0)
    np.testing.assert_array_equal(Js[3:], J[3:])
    with pytest.raises(ShapeError, match=r"^length must be a finite number > 0 \[m\], got 0\.0$"):
        measures.scale_translation_rows(J, 0.0)


def test_unit_scales_make_the_jacobian_the_same_for_a_scaled_arm():
    from robokin.model import Joint, Robot

    def arm(s):
        return Robot(
            "a",
            (
                Joint("j1", "revolute", "dh", dh=(s, 0.0, 0.0, 0.0)),
                Joint("j2", "prismatic", "dh", dh=(0.0, math.pi / 2, 0.0, 0.0), limits=(0.0, s)),
                Joint("j3", "revolute", "dh", dh=(s, 0.0, 0.0, 0.0)),
            ),
        )

    q = np.array([0.3, 0.4, -0.2])
    for s in (1e-3, 1.0, 1e3):
        small, big = arm(1.0), arm(s)
        rows, cols = measures.unit_scales(big)
        ref_rows, ref_cols = measures.unit_scales(small)
        q_big = q * np.array([1.0, s, 1.0])
        np.testing.assert_allclose(
            big.jacobian(q_big) * rows[:, None] * cols, small.jacobian(q) * ref_rows[:, None] * ref_cols, atol=1e-12
        )


@pytest.mark.parametrize(
    "name, rows",
    [
        ("planar2r", (0, 1)),
        ("planar3r", (0, 1, 5)),
        ("cobra600", (0, 1, 2, 5)),
        ("puma560", (0, 1, 2, 3, 4, 5)),
        ("panda", (0, 1, 2, 3, 4, 5)),
    ],
)
def test_task_rows_of_the_bundled_arms(name, rows):
    assert measures.task_rows(robokin.load(name)) == rows


def test_one_name_per_quantity_and_the_arguments_tell_the_kinds_apart():
    """Functions of J live in measures only; singularity and the package hold the functions of (robot, q),
    which compute the same quantity through the measures (issue 11, item 12)."""
    for name in ("singular_values", "smallest_singular_value", "det"):
        assert not hasattr(singularity, name) and not hasattr(robokin, name)
    assert singularity.task_rows is measures.task_rows
    assert robokin.inverse_condition is singularity.inverse_condition
    assert robokin.manipulability is singularity.manipulability
    robot = robokin.load("panda")
    q = robot.configurations["home"]
    assert robokin.inverse_condition(robot, q) == measures.inverse_condition(singularity.scaled_jacobian(robot, q))
    assert robokin.manipulability(robot, q) == measures.manipulability(robot.jacobian(q))


def test_manipulability_of_huge_entries_is_not_nan():
    # σ = (6e308, 0, ...) for all-1e308 entries: overflow times 0 must not be NaN
    assert measures.manipulability(np.full((6, 6), 1e308)) == 0.0
    assert measures.manipulability(np.diag([1e308] * 6)) == math.inf
    assert measures.manipulability(np.diag([1e150, 1e-150, 2.0, 3.0, 1.0, 1.0])) == pytest.approx(6.0, rel=1e-12)
    batch = measures.manipulability(np.stack([np.diag([2.0, 3.0, 1.0, 1.0, 1.0, 1.0]), np.full((6, 6), 1e308)]))
    np.testing.assert_array_equal(batch, [6.0, 0.0])
