"""Regression tests for the loader reproducers of issue 10 (items 1, 2, 5, 6, 10 and 11), one or more each.

Expected values are counted by hand from the documents written here (line and column numbers, limits) or
follow from the promise itself (a unit axis, a rigid pose, the same robot after a round trip).
"""

from __future__ import annotations

import os
import time

import generators as gen
import numpy as np
import pytest
from conftest import best_cpu_time

from robokin import dumps, load, loads, loads_urdf, save
from robokin import format as yaml_format
from robokin import urdf as urdf_format
from robokin.errors import RobotFormatError
from robokin.format import load_yaml
from robokin.model import Joint, Origin, Robot
from robokin.urdf import load_urdf

HEAD = "robokin: 1\nname: arm\njoints:\n"  # three lines; a joint appended starts on line 4


def urdf_chain(n: int, link_body: str = "") -> str:
    """A URDF chain of n revolute joints l0 -> l1 -> ... -> ln (one joint and one link a line from line 3)."""
    links = [f'<link name="l{i}">{link_body}</link>' for i in range(n + 1)]
    joints = [
        f'<joint name="j{i}" type="revolute"><parent link="l{i}"/><child link="l{i + 1}"/>'
        f'<origin xyz="0.1 0 0.05" rpy="0 0.1 0"/><axis xyz="0 0 1"/>'
        f'<limit lower="-3" upper="3" effort="1" velocity="2"/></joint>'
        for i in range(n)
    ]
    return '<?xml version="1.0"?>\n<robot name="big">\n' + "\n".join(links + joints) + "\n</robot>\n"


# ------------------------------------------------------------------------------------------------ item 1
def test_urdf_load_time_is_linear_in_chain_length():
    small, large = urdf_chain(125), urdf_chain(1000)
    t_small = best_cpu_time(lambda: loads_urdf(small))
    t_large = best_cpu_time(lambda: loads_urdf(large))
    # 8x the joints: linear is ~8x, quadratic 64x, the old cubic cycle check 512x. Generous for a shared CI.
    assert t_large / t_small < 24, (t_small, t_large)
    assert t_large < 5.0
    assert loads_urdf(large).n == 1000


# ------------------------------------------------------------------------------------------------ item 2
def test_urdf_element_cap_stops_ten_megabytes_of_ignored_elements():
    # 10.8 MB of elements robokin does not read (counted, never stored); 9 elements come before them, so the
    # first one beyond the cap is ignored element MAX_ELEMENTS - 8, at column 1 + 9 (MAX_ELEMENTS - 9)
    ignored = "<gazebo/>" * 1_200_000
    with pytest.raises(
        RobotFormatError,
        match=rf"^<string>:6:{9 * (urdf_format.MAX_ELEMENTS - 9) + 1}: document "
        rf"too large: more than {urdf_format.MAX_ELEMENTS} elements$",
    ):
        loads_urdf(urdf_chain(1).replace("</robot>", ignored + "</robot>"))


def test_urdf_caps_refuse_before_exhausting_time_or_memory(monkeypatch):
    monkeypatch.setattr(urdf_format, "MAX_ELEMENTS", 1000)
    start = time.perf_counter()
    with pytest.raises(RobotFormatError, match=r"^<string>:6:\d+: document too large: more than 1000 elements$"):
        loads_urdf(urdf_chain(1).replace("</robot>", "<gazebo/>" * 100_000 + "</robot>"))
    with pytest.raises(
        RobotFormatError,
        match=rf"^<string>:1:1: document too large: {urdf_format.MAX_BYTES + 1} "
        r"bytes \(the limit is \d+ bytes\)$",
    ):
        loads_urdf(b" " * (urdf_format.MAX_BYTES + 1))
    deep = "<a>" * (urdf_format.MAX_DEPTH + 5)
    with pytest.raises(
        RobotFormatError,
        match=rf"^<string>:1:{3 * urdf_format.MAX_DEPTH + 1}: document nested too "
        rf"deeply: more than {urdf_format.MAX_DEPTH} levels",
    ):
        loads_urdf(deep)
    long_attr = urdf_chain(1).replace('<link name="l0">', f'<link name="l0"><mesh filename="{"x" * 5000}"/>')
    with pytest.raises(
        RobotFormatError,
        match=r"^<string>:3:17: <mesh> attribute filename is 5000 characters "
        rf"long \(at most {urdf_format.MAX_ATTRIBUTE_CHARS}\)$",
    ):
        loads_urdf(long_attr)
    assert time.perf_counter() - start < 5.0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and /dev/zero")
@pytest.mark.parametrize("suffix", [".urdf", ".yaml"])
def test_only_regular_files_are_opened(tmp_path, suffix):
    zero = tmp_path / f"z{suffix}"
    zero.symlink_to("/dev/zero")
    fifo = tmp_path / f"f{suffix}"
    os.mkfifo(fifo)  # nobody writes: opening it for reading the usual way would block forever
    folder = tmp_path / f"d{suffix}"
    folder.mkdir()
    start = time.perf_counter()
    for path, kind in ((zero, "a character device"), (fifo, r"a named pipe \(FIFO\)"), (folder, "a directory")):
        for reader in (load, load_urdf if suffix == ".urdf" else load_yaml):
            with pytest.raises(RobotFormatError, match=rf"^{path}: is {kind}, not a robot file$"):
                reader(path)
    assert time.perf_counter() - start < 2.0


def test_oversized_urdf_file_is_refused_by_its_size(tmp_path):
    big = tmp_path / "big.urdf"
    with open(big, "wb") as f:
        f.truncate(urdf_format.MAX_BYTES + 1)  # sparse: nothing is read
    with pytest.raises(
        RobotFormatError,
        match=rf"big\.urdf:1:1: document too large: {urdf_format.MAX_BYTES + 1} "
        r"bytes",
    ):
        load_urdf(big)


# ------------------------------------------------------------------------------------------------ item 5
@pytest.mark.parametrize("component", ["5e-324", "1e-170", "1e-300", "1e154", "1.3e154", "1e308"])
def test_tiny_and_huge_axes_become_unit_axes_in_both_formats(component):
    yaml_robot = loads(
        HEAD + f"  - {{name: j, type: revolute, origin: {{}}, axis: [{component}, {component}, {component}]}}\n"
    )
    urdf_robot = loads_urdf(
        urdf_chain(1).replace('<axis xyz="0 0 1"/>', f'<axis xyz="{component} {component} {component}"/>')
    )
    for robot in (yaml_robot, urdf_robot):
        axis = np.array(robot.joints[0].axis)
        np.testing.assert_allclose(axis, [3**-0.5] * 3, rtol=0, atol=2e-16)
        T = robot.fk(np.linspace(-3, 3, 7)[:, None])
        assert gen.rigidity_error(T) <= 1e-15


# ------------------------------------------------------------------------------------------------ item 6
@pytest.mark.parametrize("encoding", ["klingon", "utf-16", "shift_jis", "x" * 100])
def test_unknown_or_unusable_xml_encoding_is_a_located_format_error(encoding):
    text = f'<?xml version="1.0" encoding="{encoding}"?>\n<robot name="r"><link name="a"/></robot>'
    with pytest.raises(
        RobotFormatError,
        match=r"^bad\.urdf:1:\d+: (unknown XML encoding|cannot read the XML|"
        r"malformed XML)",
    ):
        loads_urdf(text.encode("ascii"), path="bad.urdf")


def test_axis_components_that_overflow_when_squared_are_fine():
    robot = loads_urdf(urdf_chain(1).replace('<axis xyz="0 0 1"/>', '<axis xyz="1.3e154 0 0"/>'))
    assert robot.joints[0].axis == (1.0, 0.0, 0.0)


def test_lone_surrogates_are_located_format_errors():
    with pytest.raises(RobotFormatError, match=r"^<string>:2:7: YAML syntax error: character U\+D800"):
        loads("robokin: 1\nname: \ud800\n")
    with pytest.raises(RobotFormatError, match=r"^<string>:2:\d+: malformed XML"):
        loads_urdf('<?xml version="1.0"?>\n<robot name="\ud800"/>')


# ------------------------------------------------------------------------------------------------ item 10
def test_urdf_velocity_zero_means_no_limit_like_yaml_and_converts(tmp_path):
    text = urdf_chain(2).replace('velocity="2"', 'velocity="0"', 1)
    robot = loads_urdf(text)
    assert robot.joints[0].velocity is None and robot.velocity_limits[0] == np.inf
    assert loads(HEAD + "  - {name: j, type: revolute, dh: {}, velocity: 0}\n").joints[0].velocity is None
    save(robot, tmp_path / "r.yaml")
    assert gen.robot_difference(robot, load_yaml(tmp_path / "r.yaml")) is None


def test_robot_level_rules_are_located_in_urdf_too():
    # two offsets of 1e308 m add up to infinity: the model refuses the robot, the reader says where
    text = urdf_chain(2).replace('<origin xyz="0.1 0 0.05" rpy="0 0.1 0"/>', '<origin xyz="1e308 0 0" rpy="0 0 0"/>')
    with pytest.raises(
        RobotFormatError,
        match=r"^<string>:7:1: joint 'j1': the link offsets up to joint 'j1' add up "
        r"to more than the largest float",
    ):
        loads_urdf(text)


def test_urdf_axis_that_underflows_when_squared_is_accepted_like_yaml():
    robot = loads_urdf(urdf_chain(1).replace('<axis xyz="0 0 1"/>', '<axis xyz="1e-170 0 0"/>'))
    assert robot.joints[0].axis == (1.0, 0.0, 0.0)
    assert loads(HEAD + "  - {name: j, type: revolute, origin: {}, axis: [1e-170, 0, 0]}\n").joints[0].axis == (
        1.0,
        0.0,
        0.0,
    )


def _big_yaml_block(n: int) -> str:
    lines = [HEAD.rstrip("\n")]
    for i in range(n):
        lines += [
            f"  - name: joint_{i}",
            "    type: revolute",
            "    origin:",
            "      xyz: [0.1, 0.0, 0.05]",
            "      rpy: [0.0, 0.1, 0.0]",
            "    axis: [0, 0, 1]",
            "    limits:",
            "      - -3",
            "      - 3",
            "    velocity: 2",
        ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("what", ["600-joint flow YAML", "1000-joint block YAML", "500-joint URDF"])
def test_large_robots_that_load_can_be_saved_and_loaded_back(what, tmp_path):
    if what.endswith("URDF"):
        robot = loads_urdf(urdf_chain(500))
    elif "block" in what:
        robot = loads(_big_yaml_block(1000))
    else:
        rng = np.random.default_rng(6)
        joints = tuple(
            Joint(
                name=f"j{i}",
                type="revolute",
                form="origin",
                origin=Origin(tuple(rng.normal(size=3)), tuple(rng.normal(size=3))),
                axis=(0.0, 0.0, 1.0),
                limits=(-3.0, 3.0),
                velocity=2.0,
            )
            for i in range(600)
        )
        robot = loads(dumps(Robot(name="r", joints=joints)))
    save(robot, tmp_path / "r.yaml")
    assert gen.robot_difference(robot, load(tmp_path / "r.yaml")) is None


def _worst_case_robot(n: int, configurations: int) -> Robot:
    """n joints with every field, the longest texts (of U+FFFE, which the writer escapes as 6 characters)
    and floats of 24 characters, and configurations of n such floats."""
    long_float = -2.2250738585072014e-308  # 24 characters in repr
    name = "\ufffe" * (yaml_format.MAX_NAME_CHARS - 6)
    pose = Origin((long_float,) * 3, (long_float,) * 3)
    joints = tuple(
        Joint(
            name=f"{name}{i:06d}",
            type="prismatic",
            form="origin",
            origin=pose,
            axis=(-0.5773502691896258,) * 3,
            limits=(long_float, 2.2250738585072014e-308),
            velocity=1.2345678901234567e-300,
        )
        for i in range(n)
    )
    text = "\ufffe" * yaml_format.MAX_TEXT_CHARS
    return Robot(
        name=name + "robot!",
        joints=joints,
        base=pose,
        tool=pose,
        description=text,
        source=text,
        configurations={f"{name}{c:06d}": [long_float] * n for c in range(configurations)},
    )


def test_the_document_caps_admit_everything_dumps_writes_up_to_the_robot_caps():
    """MAX_BYTES and MAX_NODES bound what dumps writes for the largest robot the caps allow.

    The writer writes a fixed header, one block per joint, one line per configuration and one float per
    configuration value, so its size is ``H + joints·J + configurations·K + values·F``; the four unknowns come
    from worst-case robots of (1 or 2 joints) x (1 or 2 configurations), then the cap must hold for the
    largest robot (MAX_JOINTS joints, MAX_CONFIGURATIONS configurations, MAX_CONFIGURATION_VALUES values).
    """
    import yaml

    def measure(n: int, c: int) -> np.ndarray:
        text = dumps(_worst_case_robot(n, c))
        events = yaml.parse(text, Loader=yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)
        nodes = sum(1 for e in events if isinstance(e, (yaml.ScalarEvent, yaml.CollectionStartEvent)))
        return np.array([len(text.encode("utf-8")), nodes])

    s11, s21, s12, s22 = measure(1, 1), measure(2, 1), measure(1, 2), measure(2, 2)
    F = (s22 - s21) - (s12 - s11)
    K = s12 - s11 - F
    J = s21 - s11 - F
    H = s11 - J - K - F
    worst = (
        H + yaml_format.MAX_JOINTS * J + yaml_format.MAX_CONFIGURATIONS * K + yaml_format.MAX_CONFIGURATION_VALUES * F
    )
    assert J[0] > 1500 and F[0] == 26  # the worst case is worst: escaped names, 24-character floats and ", "
    assert worst[0] <= yaml_format.MAX_BYTES, (worst, yaml_format.MAX_BYTES)
    assert worst[1] <= yaml_format.MAX_NODES, (worst, yaml_format.MAX_NODES)


def test_robot_caps_are_enforced_when_loading():
    name = "n" * (yaml_format.MAX_NAME_CHARS + 1)
    with pytest.raises(
        RobotFormatError,
        match=rf"^<string>:2:7: 'name' is {len(name)} characters long \(at most "
        rf"{yaml_format.MAX_NAME_CHARS}\)$",
    ):
        loads(f"robokin: 1\nname: {name}\njoints: []\n")
    with pytest.raises(
        RobotFormatError,
        match=rf"^<string>:5:1: joint '{name}': the name is {len(name)} "
        r"characters long",
    ):
        loads_urdf(urdf_chain(1).replace('name="j0"', f'name="{name}"'))


# ------------------------------------------------------------------------------------------------ item 11
@pytest.mark.parametrize("digits", ["١٢", "１２", "𝟏𝟐", "1٢", "٣.٥"])
def test_only_ascii_digits_are_numbers(digits):
    with pytest.raises(
        RobotFormatError,
        match=rf"^<string>:4:39: joint 'j': 'dh.a' must be a number or an "
        rf"expression of pi such as pi/2, got '{digits}'",
    ):
        loads(HEAD + f"  - {{name: j, type: revolute, dh: {{a: {digits}}}}}\n")
    with pytest.raises(
        RobotFormatError,
        match=rf"^<string>:5:71: joint 'j0': <origin>: attribute xyz has "
        rf"'{digits}', which is not a number",
    ):
        loads_urdf(urdf_chain(1).replace('xyz="0.1 0 0.05"', f'xyz="{digits} 0 0.05"'))


@pytest.mark.parametrize("version", ["01", "+1", "0o1", "1_0", "0x1", "1.0"])
def test_format_version_is_a_plain_integer_literal(version):
    with pytest.raises(RobotFormatError, match=r"^<string>:1:10: 'robokin' must be the integer format version 1"):
        loads(f"robokin: {version}\nname: arm\njoints:\n  - {{name: j, type: revolute, dh: {{}}}}\n")


TREE = """<?xml version="1.0"?>
<robot name="t">
  <link name="base"/>
  <link name="a"/>
  <link name="b"/>
  <joint name="ja" type="revolute"><parent link="base"/><child link="a"/><limit/></joint>
  <joint name="jb" type="fixed"><parent link="base"/><child link="b"/></joint>
</robot>
"""


@pytest.mark.parametrize(
    "text, kwargs, pattern",
    [
        (
            TREE,
            {"base": "base"},
            r"^t\.urdf:5:3: the tree below base link 'base' has 2 leaf links; pass tip= .*Leaves, moving chains first: 'a' \(1 moving joint\), 'b'",
        ),
        (TREE, {"tip": "nowhere"}, r"^t\.urdf:2:1: unknown tip link 'nowhere'"),
        (TREE, {"base": "nowhere"}, r"^t\.urdf:2:1: unknown base link 'nowhere'"),
        (TREE, {"base": "a", "tip": "b"}, r"^t\.urdf:5:3: tip link 'b' is not below base link 'a'"),
        (TREE, {"base": "a"}, r"^t\.urdf:4:3: base link 'a' has no joint below it"),
        (TREE, {"base": "a", "tip": "a"}, r"^t\.urdf:4:3: base and tip are the same link 'a'"),
        (TREE, {"tip": "b"}, r"^t\.urdf:7:3: joint 'jb': the chain from 'base' to 'b' has no moving joint"),
        (
            TREE.replace('<link name="b"/>', '<link name="b"/><link name="c"/>'),
            {},
            r"^t\.urdf:5:19: robot 't' has 2 root links \('base', 'c'\)",
        ),
        (
            TREE.replace('<parent link="base"/><child link="a"/>', '<parent link="b"/><child link="a"/>').replace(
                '<parent link="base"/><child link="b"/>', '<parent link="a"/><child link="b"/>'
            ),
            {},
            r"^t\.urdf:6:3: joint 'ja': is part of a cycle of joints 'ja' -> 'jb' -> 'ja'",
        ),
    ],
    ids=[
        "several leaves",
        "missing tip",
        "missing base",
        "tip not below",
        "no joint below",
        "same link",
        "no moving joint",
        "two roots",
        "cycle",
    ],
)
def test_urdf_chain_level_errors_are_located(text, kwargs, pattern):
    with pytest.raises(RobotFormatError, match=pattern):
        loads_urdf(text, path="t.urdf", **kwargs)


def test_document_too_large_is_located_at_the_start():
    with pytest.raises(RobotFormatError, match=r"^<string>:1:1: document too large"):
        loads("x: " + "a" * yaml_format.MAX_BYTES)
