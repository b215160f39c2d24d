"""YAML ↔ :class:`~robokin.model.Robot`: read and write robot files (format version 1) with exact errors.

The format is specified in ``docs/format.md``. Reading is safe and bounded: the YAML is only *composed*
into nodes (nothing is ever constructed or executed), tags, anchors and aliases are refused, and the
document's size, node count and nesting depth are capped so that a hostile file fails in milliseconds.
Every value is validated once, here, and converted to metres and radians once; every problem is a
:class:`~robokin.errors.RobotFormatError` whose message starts with ``FILE:LINE:COL:`` and names the joint
and the key. Writing produces format version 1 in SI units with floats in ``repr`` form, so that
``loads(dumps(robot))`` reproduces the robot bit for bit.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import yaml

from . import validation
from .errors import PlausibilityWarning, RobotFormatError
from .files import (
    MAX_JOINTS,
    MAX_NAME_CHARS,
    MAX_PLAUSIBLE_LENGTH,
    MAX_TEXT_CHARS,
    degree_looking_angle,
    longest_length,
    read_robot_file,
    without_cycle_collection,
)
from .model import Frame, GeometryForm, Joint, Mimic, Origin, Robot, first_cycle

__all__ = ["load_yaml", "loads", "dumps", "save", "first_difference", "plausibility_warnings", "FORMAT_VERSION"]

FORMAT_VERSION = 1
# Format 2 adds trees: a joint's parent: frame, its child: frame name, mimic: couplings, named fixed frames:
# and the root: frame's name. A format-1 file reads exactly as before.
TREE_VERSION = 2
VERSIONS = (FORMAT_VERSION, TREE_VERSION)
TREE_TOP_KEYS = ("frames", "root")
TREE_JOINT_KEYS = ("parent", "child", "mimic")
FRAME_KEYS = ("name", "parent", "origin")
MIMIC_KEYS = ("joint", "multiplier", "offset")

# What robokin reads and writes: robots of up to MAX_JOINTS joints. Each structural bound below caps what one
# robot can hold, so that everything a loaded robot holds can be written back within the document caps.
MAX_CONFIGURATIONS = 1_000  # named configurations
MAX_CONFIGURATION_VALUES = 100_000  # joint values over all configurations
MAX_NUMBER_CHARS = 100  # one number or pi expression

# The most our writer produces for one item [bytes]: a name double-quoted with every character escaped
# (``\uXXXX``), a float in ``repr`` form (``-2.2250738585072014e-308``), a joint with every field
# (name, type, origin xyz + rpy, axis, limits, velocity).
_NAME_BYTES = 2 + 6 * MAX_NAME_CHARS
_FLOAT_BYTES = 26  # 24 characters and ", "
_JOINT_BYTES = 130 + _NAME_BYTES + 12 * _FLOAT_BYTES
_TEXT_BYTES = 30 + 6 * MAX_TEXT_CHARS
_POSE_BYTES = 40 + 6 * _FLOAT_BYTES

# Bounds on a document, so that a degenerate one fails fast instead of hanging. They are the most our own
# writer produces for the largest robot the bounds above allow (so every robot that loads can be saved and
# loaded back), and the composer stops at the first value or level beyond them.
MAX_BYTES = (
    200
    + _NAME_BYTES
    + 2 * _TEXT_BYTES
    + 2 * _POSE_BYTES  # header, name, description, source, base, tool
    + MAX_JOINTS * _JOINT_BYTES
    + MAX_CONFIGURATIONS * (8 + _NAME_BYTES)
    + MAX_CONFIGURATION_VALUES * _FLOAT_BYTES
)  # whole document [bytes of UTF-8, so also characters]; about 21 MB
MAX_NODES = 64 + 32 * MAX_JOINTS + 2 * MAX_CONFIGURATIONS + MAX_CONFIGURATION_VALUES  # YAML values: ~28 a joint
MAX_DEPTH = 32  # nesting of lists/mappings; a valid robot file nests 5 deep

TOP_KEYS = ("robokin", "name", "description", "source", "units", "base", "tool", "joints", "configurations")
JOINT_KEYS = ("name", "type", "dh", "mdh", "origin", "axis", "limits", "velocity")
DH_KEYS = ("a", "alpha", "d", "theta")
POSE_KEYS = ("xyz", "rpy")
UNITS_KEYS = ("length", "angle")
JOINT_TYPES = ("revolute", "prismatic", "fixed")
FORMS = ("dh", "mdh", "origin")
# Keys that belong one level deeper than a joint's own keys, and where (a dedented line lands there).
_MISPLACED = dict.fromkeys(DH_KEYS, "is a parameter of 'dh:' (or 'mdh:')") | dict.fromkeys(
    POSE_KEYS, "is a key of 'origin:'"
)
# A length written in the unit is divided by this to give metres (division keeps 431.8 mm -> 0.4318 m
# correctly rounded).
LENGTH_UNITS = {"m": 1.0, "cm": 100.0, "mm": 1000.0}
ANGLE_UNITS = ("rad", "deg")

Quantity = Literal["length", "angle"]

_STR_TAG = "tag:yaml.org,2002:str"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_NONFINITE_WORDS = {".nan", ".inf", "+.inf", "-.inf", "nan", "inf", "+inf", "-inf", "infinity", "-infinity"}


# --------------------------------------------------------------------------------------------- reading YAML
# The event parser: libyaml's (C, ~20x faster) when PyYAML was built with it, else PyYAML's own. Both yield
# the same events with the same marks; only the wording of syntax errors differs slightly.
_EventParser = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
_NODE_RESOLVER = yaml.resolver.Resolver()
_MAX_IMPLICIT_KEY_CHARS = 1000  # YAML 1.1 section 9.1.3: an implicit key is at most 1024 characters
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class _Refused(Exception):
    """Raised by the composer for a construct robot files may not use."""

    def __init__(self, reason: str, mark: Any) -> None:  # a yaml Mark (pure-Python or C loader's) or None
        super().__init__(reason)
        self.reason = reason
        self.mark = mark


def _compose_events(parser: Any) -> yaml.Node | None:  # a SafeLoader or a CSafeLoader
    """Compose the parser's events into one node tree, iteratively, refusing tags, anchors and aliases and
    stopping at the first node beyond MAX_NODES or MAX_DEPTH.

    Only nodes are built (each keeps its ``start_mark``: line and column); no Python object is ever constructed
    from the document. Plain scalars get the tag YAML 1.1 resolves them to (int, float, bool, null, str).
    """
    get: Callable[[], Any] = parser.get_event  # events of either loader (their marks differ in type only)
    get()  # StreamStartEvent
    event = get()
    if isinstance(event, yaml.StreamEndEvent):
        return None
    document_mark = event.start_mark  # DocumentStartEvent
    open_nodes: list[yaml.Node] = []  # the collections being filled, outermost first
    pending_keys: list[yaml.Node | None] = []  # per open mapping: its key waiting for a value
    nodes = 0
    root = None
    plain_tags: dict[str, str] = {}  # resolved tags of plain scalars seen
    while True:
        event = get()
        if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            node = open_nodes.pop()
            pending_keys.pop()
            node.end_mark = event.end_mark
            if not open_nodes:
                root = node
                break
            continue
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                f"aliases (*{event.anchor}) are not allowed in robot files; write the value out", event.start_mark
            )
        if event.anchor is not None:
            raise _Refused(
                f"anchors (&{event.anchor}) are not allowed in robot files; write the value out", event.start_mark
            )
        if event.tag is not None:
            raise _Refused(
                f"YAML tags such as {event.tag!r} are not allowed in robot files; write plain values",
                event.start_mark,
            )
        nodes += 1
        if nodes > MAX_NODES:
            raise _Refused(f"document too large: more than {MAX_NODES} YAML values", event.start_mark)
        if len(open_nodes) >= MAX_DEPTH:
            raise _Refused(f"document nested too deeply: more than {MAX_DEPTH} levels", event.start_mark)
        start_mark: Any = event.start_mark
        if isinstance(event, yaml.ScalarEvent):
            value = event.value
            if not event.implicit[0]:  # quoted: always text
                tag = _STR_TAG
            else:
                cached = plain_tags.get(value)
                if cached is None:
                    cached = _NODE_RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
                    if len(plain_tags) < 4096:  # keys and words repeat (name, type, xyz, revolute, ...)
                        plain_tags[value] = cached
                tag = cached
            node = yaml.ScalarNode(tag, value, start_mark, cast(Any, event.end_mark), style=event.style)
        elif isinstance(event, yaml.SequenceStartEvent):
            tag = _NODE_RESOLVER.resolve(yaml.SequenceNode, None, event.implicit)
            node = yaml.SequenceNode(tag, [], start_mark, None, flow_style=event.flow_style)
        else:  # MappingStartEvent
            tag = _NODE_RESOLVER.resolve(yaml.MappingNode, None, event.implicit)
            node = yaml.MappingNode(tag, [], start_mark, None, flow_style=event.flow_style)
        if open_nodes:
            parent = open_nodes[-1]
            if isinstance(parent, yaml.SequenceNode):
                parent.value.append(node)
            elif pending_keys[-1] is None:
                pending_keys[-1] = node
            else:
                parent.value.append((pending_keys[-1], node))
                pending_keys[-1] = None
        if isinstance(node, yaml.ScalarNode):
            if not open_nodes:
                root = node
                break
        else:
            open_nodes.append(node)
            pending_keys.append(None)
    get()  # DocumentEndEvent
    event = get()
    if not isinstance(event, yaml.StreamEndEvent):
        raise yaml.composer.ComposerError(
            "expected a single document in the stream", document_mark, "but found another document", event.start_mark
        )
    return root


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _too_large(size: int, path: str) -> RobotFormatError:
    return RobotFormatError(f"document too large: {size} characters (at most {MAX_BYTES})", path=path, line=1, column=1)


def _compose(text: str, path: str) -> yaml.Node | None:
    """Compose ``text`` into a node tree, turning every YAML problem into a :class:`RobotFormatError`."""
    if len(text) > MAX_BYTES:
        raise _too_large(len(text), path)
    surrogate = _SURROGATE.search(text)
    if surrogate is not None:  # not text at all; libyaml could not even be handed it
        line, column = _line_col(text, surrogate.start())
        raise RobotFormatError(
            f"YAML syntax error: character U+{ord(surrogate.group()):04X} (a lone surrogate) is not allowed",
            path=path,
            line=line,
            column=column,
        )
    parser = _EventParser(text)
    try:
        return _compose_events(parser)
    except _Refused as e:
        mark = e.mark
        raise RobotFormatError(
            e.reason,
            path=path,
            line=None if mark is None else mark.line + 1,
            column=None if mark is None else mark.column + 1,
        ) from None
    except yaml.MarkedYAMLError as e:
        reason, error_line, error_column = _explain_yaml_error(text, e)
        raise RobotFormatError(reason, path=path, line=error_line, column=error_column) from None
    except yaml.reader.ReaderError as e:
        where: tuple[int, int] | tuple[None, None] = (
            _line_col(text, e.position) if isinstance(e.position, int) else (None, None)
        )
        raise RobotFormatError(
            f"YAML syntax error: character {chr(e.character)!r} (U+{e.character:04X}) is not allowed"
            if isinstance(e.character, int)
            else f"YAML syntax error: {e}",
            path=path,
            line=where[0],
            column=where[1],
        ) from None
    except yaml.YAMLError as e:  # any other YAML failure: still a format error, never a traceback
        raise RobotFormatError(f"YAML error: {e}", path=path, line=1, column=1) from None
    finally:
        parser.dispose()


def _starts_with_tab(text: str, line: int) -> bool:
    """Whether 0-based line ``line`` of ``text`` is indented with a tab."""
    start = 0
    for _ in range(line):
        start = text.find("\n", start) + 1
        if start == 0:
            return False
    end = text.find("\n", start)
    return text[start : end if end >= 0 else len(text)].lstrip(" ").startswith("\t")


# A line that starts a joint of the list: "  - name: elbow".
_JOINT_START = re.compile(r"^\s*-\s+name:\s*['\"]?([^'\"#]+?)['\"]?\s*(#.*)?$")


def _key_column(line: str) -> int | None:
    """0-based column where the key or item of a YAML line starts (after "- "), None for blank/comment lines."""
    stripped = line.lstrip(" ")
    if not stripped or stripped.startswith("#"):
        return None
    column = len(line) - len(stripped)
    while stripped.startswith("- "):
        rest = stripped[2:].lstrip(" ")
        column += len(stripped) - len(rest)
        stripped = rest
    return column


def _enclosing_joint(lines: list[str], index: int) -> str | None:
    """The name of the joint whose block holds line ``index`` (0-based), if the line is inside the joints list."""
    if not lines:
        return None
    line = lines[min(index, len(lines) - 1)].expandtabs(8)  # a tab indents to the next multiple of 8
    indent = len(line) - len(line.lstrip(" "))
    for k in range(min(index, len(lines) - 1), -1, -1):
        if re.match(r"^joints\s*:", lines[k]):
            return None
        found = _JOINT_START.match(lines[k])
        if found:
            dash = len(lines[k]) - len(lines[k].lstrip(" "))
            return found.group(1).strip() if k == index or indent > dash else None
    return None


def _explain_yaml_error(text: str, e: yaml.MarkedYAMLError) -> tuple[str, int | None, int | None]:
    """A parser error in plain words: ``(reason, line, column)``, 1-based, naming the enclosing joint.

    PyYAML reports where it noticed the problem in its own terms ("expected <block end>, but found '?'",
    "mapping values are not allowed here"); robot files break it almost always by indentation, so the
    reason says which line is indented to which column and which columns the enclosing blocks use.
    """
    mark = e.problem_mark or e.context_mark
    problem = e.problem or ""
    lines = text.splitlines()
    at = None if mark is None else mark.line
    where = ""
    previous = None
    if at is not None:
        joint = _enclosing_joint(lines, at)
        where = f"joint {joint!r}: " if joint else ""
        previous = next((k for k in range(min(at, len(lines)) - 1, -1, -1) if _key_column(lines[k]) is not None), None)
    if (
        "'\\t'" in problem
        or "\\t" in problem
        or "tab character" in problem
        or (at is not None and _starts_with_tab(text, at))
    ):
        reason = (
            "YAML syntax error: a tab character in the indentation; YAML is indented with spaces only "
            "(replace the tabs by spaces)"
        )
    elif (
        problem.startswith(("expected <block end>", "did not find expected key")) and at is not None and at < len(lines)
    ):
        column = _key_column(lines[at]) or 0
        levels: list[int] = []  # the columns of the blocks enclosing the line above, innermost first
        for k in range(at - 1, -1, -1):
            c = _key_column(lines[k])
            if c is not None and (not levels or c < levels[-1]):
                levels.append(c)
        shown = ", ".join(str(c + 1) for c in levels)
        reason = (
            f"YAML indentation error: this line starts at column {column + 1}, which lines up with no block "
            f"above it (the enclosing keys start at column{'s' if len(levels) > 1 else ''} {shown}); "
            "the keys of one mapping and the items of one list must start in the same column"
        )
    elif problem.startswith("mapping values are not allowed") and at is not None:
        above = (
            ""
            if previous is None
            else (f" (line {previous + 1} starts at column {(_key_column(lines[previous]) or 0) + 1})")
        )
        reason = (
            "YAML indentation error: unexpected ':': either this line is indented deeper than the key above it"
            + above
            + ", so YAML reads it as the continuation of that key's value — line it up with that key — or "
            "a value contains ': ' and needs quotes"
        )
    elif problem.startswith("could not find expected ':'") and e.context_mark is not None:
        mark = e.context_mark
        where_joint = _enclosing_joint(lines, mark.line)
        where = f"joint {where_joint!r}: " if where_joint else ""
        reason = "YAML syntax error: a key without ':' (write 'key: value', with a space after the colon)"
    else:
        reason = "YAML syntax error: " + (": ".join(s for s in (e.context, e.problem) if s) or "invalid YAML")
        if e.context_mark is not None and mark is not None and e.context_mark.line != mark.line:
            reason += f" (the construct started on line {e.context_mark.line + 1})"
    return where + reason, (None if mark is None else mark.line + 1), (None if mark is None else mark.column + 1)


# --------------------------------------------------------------------------------------------- pi expressions
class _ExpressionError(Exception):
    pass


# Numbers are ASCII digits only: Python's float() would also read Unicode digits ('١٢', full-width '１',
# mathematical '𝟏'), which a robot file must not contain where a number is expected.
_TOKEN_RE = re.compile(
    r"[ \t]*(?:(?P<num>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>[-+*/()]))"
)


# A plain decimal number (the same numbers the tokenizer reads, without an expression around them).
_DECIMAL = re.compile(r"[+-]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    end = len(text.rstrip())
    while pos < end:
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            bad = text[pos:].lstrip()[:1]
            raise _ExpressionError(f"unexpected character {bad!r}")
        kind = m.lastgroup
        assert kind is not None  # every alternative of _TOKEN_RE is a named group
        value = m.group(kind)
        if kind == "name" and value != "pi":
            raise _ExpressionError(f"unknown name {value!r} (only pi is allowed)")
        if kind == "num" and re.match(r"0[0-9]", value):
            raise _ExpressionError(f"leading zero in {value!r} is ambiguous")
        tokens.append((kind, value))
        pos = m.end()
    return tokens


class _ExpressionParser:
    """Recursive descent over ``expr := term (('+'|'-') term)*``, ``term := unary (('*'|'/') unary)*``,
    ``unary := ('+'|'-') unary | atom``, ``atom := number | 'pi' | '(' expr ')'``. Never evaluates text.

    Numbers are converted by ``float`` (correctly rounded), ``pi`` is ``math.pi``, and operations are
    evaluated left to right in binary64, exactly as the same expression written in Python.
    """

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.uses_pi = False

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise _ExpressionError("unexpected end")
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def parse(self) -> float:
        value = self.expr()
        if self.pos != len(self.tokens):
            raise _ExpressionError(f"unexpected {self.tokens[self.pos][1]!r}")
        return value

    def expr(self) -> float:
        value = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            rhs = self.term()
            value = value + rhs if op == "+" else value - rhs
        return value

    def term(self) -> float:
        value = self.unary()
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            rhs = self.unary()
            if op == "*":
                value = value * rhs
            elif rhs == 0.0:
                raise _ExpressionError("division by zero")
            else:
                value = value / rhs
        return value

    def unary(self) -> float:
        if self.peek() in ("+", "-"):
            op = self.take()[1]
            value = self.unary()
            return -value if op == "-" else value
        return self.atom()

    def atom(self) -> float:
        kind, value = self.take()
        if kind == "num":
            return float(value)
        if kind == "name":
            self.uses_pi = True
            return math.pi
        if value == "(":
            inner = self.expr()
            if self.take()[1] != ")":
                raise _ExpressionError("missing ')'")
            return inner
        raise _ExpressionError(f"unexpected {value!r}")


def _parse_number(text: str) -> tuple[float, bool]:
    """Value of a number or ``pi`` expression such as ``-3*pi/4`` (no ``eval``); also whether it used pi.

    Raises:
        ValueError: The text is not such an expression (the message says why).
    """
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"longer than {MAX_NUMBER_CHARS} characters")
    if _DECIMAL.fullmatch(text):  # the common case, as our writer writes numbers: no expression to parse
        return float(text), False
    try:
        tokens = _tokenize(text)
        if not tokens:
            raise _ExpressionError("empty")
        parser = _ExpressionParser(tokens)
        return parser.parse(), parser.uses_pi
    except _ExpressionError as e:
        raise ValueError(str(e)) from None


# --------------------------------------------------------------------------------------------- validation
def _kind_of(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == _NULL_TAG:
        return "nothing (null)"
    if node.tag == _BOOL_TAG:
        return f"the boolean {node.value!r}"
    if node.tag in (_INT_TAG, _FLOAT_TAG):
        return f"the number {node.value}"
    return f"the text {node.value!r}"


def _show(node: yaml.Node) -> str:
    """A scalar's text in quotes, or what kind of node it is."""
    if isinstance(node, yaml.ScalarNode) and node.tag not in (_NULL_TAG, _BOOL_TAG):
        return repr(node.value)
    return _kind_of(node)


def _fmt_keys(keys: tuple[str, ...] | list[str]) -> str:
    return ", ".join(keys)


@dataclass(frozen=True)
class _Units:
    length_divisor: float
    angle: str

    def name(self, quantity: Quantity) -> str:
        """The file's unit of ``quantity``, e.g. ``"deg"`` or ``"mm"``."""
        if quantity == "angle":
            return self.angle
        return next(k for k, v in LENGTH_UNITS.items() if v == self.length_divisor)

    def convert(self, value: float, quantity: Quantity) -> float:
        if quantity == "length":
            return value if self.length_divisor == 1.0 else value / self.length_divisor
        return value / 180.0 * math.pi if self.angle == "deg" else value


@dataclass(frozen=True)
class _ParsedJoint:
    joint: Joint
    node: yaml.Node
    limit_text: tuple[str, str]
    parent_node: yaml.Node | None = None  # format 2: the nodes of parent: and mimic.joint, for errors
    mimic_node: yaml.Node | None = None


class _Reader:
    """Walks the composed node tree of one document and builds the :class:`Robot`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.units = _Units(1.0, "rad")
        self.version = FORMAT_VERSION

    # ------------------------------------------------------------------ errors and plumbing
    def error(self, node: yaml.Node | None, where: str, reason: str, key_path: str = "") -> RobotFormatError:
        mark = None if node is None else node.start_mark
        return RobotFormatError(
            f"{where}: {reason}" if where else reason,
            path=self.path,
            line=None if mark is None else mark.line + 1,
            column=None if mark is None else mark.column + 1,
            key_path=key_path,
        )

    def mapping(self, node: yaml.Node, where: str, label: str, key_path: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """The entries ``key -> (key_node, value_node)`` of a mapping node, refusing duplicate keys."""
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, where, f"{label} must be a mapping, got {_kind_of(node)}", key_path)
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _NULL_TAG:
                raise self.error(key_node, where, f"{label} has a key that is not a name", key_path)
            key = key_node.value
            if key in out:
                first = out[key][0].start_mark.line + 1
                raise self.error(
                    key_node,
                    where,
                    f"{label} has duplicate key {key!r} (first given on line {first})",
                    f"{key_path}.{key}" if key_path else key,
                )
            out[key] = (key_node, value_node)
        return out

    def check_keys(
        self,
        entries: dict[str, tuple[yaml.Node, yaml.Node]],
        allowed: tuple[str, ...],
        where: str,
        label: str,
        key_path: str,
    ) -> None:
        for key, (key_node, _) in entries.items():
            if key not in allowed:
                text = f"unknown key {key!r} (expected {_fmt_keys(allowed)})"
                belongs = _MISPLACED.get(key) if allowed == JOINT_KEYS else None
                hint = difflib.get_close_matches(key, allowed, n=1)
                if belongs:
                    text += f"; {key!r} {belongs}: indent it under that key"
                elif hint:
                    text += f"; did you mean {hint[0]!r}?"
                raise self.error(
                    key_node,
                    where,
                    f"{label} has {text}" if label else text,
                    f"{key_path}.{key}" if key_path else key,
                )

    def number(
        self, node: yaml.Node, where: str, what: str, quantity: Quantity | None, key_path: str, per: str = ""
    ) -> float:
        """A finite number (or pi expression) from a scalar, converted to SI for ``quantity``; ``per`` follows the
        unit in messages (``"/s"`` for a speed)."""
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, where, f"{what} must be a number, got {_kind_of(node)}", key_path)
        if node.tag in (_BOOL_TAG, _NULL_TAG):
            raise self.error(node, where, f"{what} must be a number, got {_kind_of(node)}", key_path)
        text = node.value.strip()
        if text.lower() in _NONFINITE_WORDS:
            raise self.error(
                node,
                where,
                f"{what} must be a finite number, got {text!r} (NaN and infinity are not allowed)",
                key_path,
            )
        try:
            value, uses_pi = _parse_number(text)
        except ValueError as e:
            if re.fullmatch(r"[A-Za-z_]{2,}", text) and "pi" not in text.lower():  # a word, e.g. fast
                unit = f" [{self.units.name(quantity)}{per}]" if quantity else ""
                raise self.error(node, where, f"{what} must be a number{unit}, got {text!r}", key_path) from None
            raise self.error(
                node,
                where,
                f"{what} must be a number or an expression of pi such as pi/2, got {text!r}: {e}",
                key_path,
            ) from None
        if not math.isfinite(value):
            raise self.error(node, where, f"{what} must be a finite number, got {text!r} (out of range)", key_path)
        if quantity == "angle" and uses_pi and self.units.angle == "deg":
            raise self.error(
                node, where, f"{what} uses pi but units.angle is deg; write degrees (e.g. 90) or use rad", key_path
            )
        return value if quantity is None else self.units.convert(value, quantity)

    def vector(
        self, node: yaml.Node, where: str, what: str, quantity: Quantity | None, key_path: str
    ) -> tuple[float, float, float]:
        """A list of exactly 3 numbers, converted to SI for ``quantity`` (None: a direction, no unit)."""
        if not isinstance(node, yaml.SequenceNode) or len(node.value) != 3:
            got = f"{len(node.value)} values" if isinstance(node, yaml.SequenceNode) else _kind_of(node)
            raise self.error(node, where, f"{what} must be a list of 3 numbers, got {got}", key_path)
        return tuple(  # type: ignore[return-value]
            self.number(item, where, f"{what[:-1]}[{i}]'", quantity, f"{key_path}[{i}]")
            for i, item in enumerate(node.value)
        )

    def text(self, node: yaml.Node, where: str, what: str, key_path: str, required: bool) -> str:
        if not isinstance(node, yaml.ScalarNode) or (required and node.tag == _NULL_TAG):
            raise self.error(node, where, f"{what} must be text, got {_kind_of(node)}", key_path)
        if node.tag == _NULL_TAG:
            return ""
        if required and not node.value.strip():
            raise self.error(node, where, f"{what} must not be empty", key_path)
        limit = MAX_NAME_CHARS if required else MAX_TEXT_CHARS  # a name, or free text
        if len(node.value) > limit:
            raise self.error(node, where, f"{what} is {len(node.value)} characters long (at most {limit})", key_path)
        return node.value

    # ------------------------------------------------------------------ sections
    def document(self, root: yaml.Node | None) -> Robot:
        if root is None:
            raise RobotFormatError(
                "empty file: expected a mapping with robokin: 1, name and joints", path=self.path, line=1, column=1
            )
        if isinstance(root, yaml.ScalarNode) and root.tag == _NULL_TAG:
            raise self.error(root, "", "empty document: expected a mapping with robokin: 1, name and joints")
        top = self.mapping(root, "", "the file", "")
        if "robokin" in top and getattr(top["robokin"][1], "value", None) == str(TREE_VERSION):
            self.version = TREE_VERSION
        self.check_keys(top, TOP_KEYS + (TREE_TOP_KEYS if self.version == TREE_VERSION else ()), "", "", "")
        if "robokin" not in top:
            raise self.error(root, "", "missing required key 'robokin' (the format version: write robokin: 1)")
        version = top["robokin"][1]
        is_int = isinstance(version, yaml.ScalarNode) and version.tag == _INT_TAG
        # A plain decimal integer literal: no sign, no leading zero (YAML 1.1 reads 01 as octal), no '_'.
        if not (is_int and re.fullmatch(r"0|[1-9][0-9]{0,8}", version.value)):
            too_long = isinstance(version, yaml.ScalarNode) and len(version.value) > 20
            got = "a long number" if too_long else _kind_of(version)
            raise self.error(version, "", f"'robokin' must be the integer format version 1, got {got}", "robokin")
        if int(version.value) not in VERSIONS:
            raise self.error(
                version,
                "",
                f"unsupported format version {int(version.value)} (this robokin reads versions "
                f"{FORMAT_VERSION} and {TREE_VERSION})",
                "robokin",
            )
        if "name" not in top:
            raise self.error(root, "", "missing required key 'name' (the robot's name)")
        name = self.text(top["name"][1], "", "'name'", "name", required=True)
        description = (
            self.text(top["description"][1], "", "'description'", "description", False) if "description" in top else ""
        )
        source = self.text(top["source"][1], "", "'source'", "source", False) if "source" in top else ""
        if "units" in top:
            self.units = self.read_units(top["units"][1])
        base = self.pose(top["base"][1], "", "base", "base") if "base" in top else Origin()
        tool = self.pose(top["tool"][1], "", "tool", "tool") if "tool" in top else Origin()
        if "joints" not in top:
            raise self.error(root, "", "missing required key 'joints' (the list of joints from base to tip)")
        parsed = self.joints(top["joints"][1])
        root_name = self.text(top["root"][1], "", "'root'", "root", required=True) if "root" in top else "base"
        frames = self.frames(top["frames"][1]) if "frames" in top else []
        self.check_tree(parsed, frames, root_name, top)
        configurations = self.configurations(top["configurations"][1], parsed) if "configurations" in top else {}
        try:
            return Robot(
                name=name,
                joints=tuple(p.joint for p in parsed),
                base=base,
                tool=tool,
                configurations=configurations,
                description=description,
                source=source,
                frames=tuple(f for f, _ in frames),
                root=root_name,
            )
        except RobotFormatError as e:  # a robot-level model rule, e.g. offsets adding up to infinity
            index = next((i for i, p in enumerate(parsed) if p.joint.name == e.joint), None)
            if index is not None:
                raise self.error(parsed[index].node, f"joint {e.joint!r}", e.reason, f"joints[{index}]") from None
            raise self.error(top.get(e.key_path, (None, root))[1], "", e.reason, e.key_path) from None
        except ValueError as e:  # pragma: no cover - everything else Robot checks was checked above
            raise self.error(root, "", str(e)) from None

    def read_units(self, node: yaml.Node) -> _Units:
        entries = self.mapping(node, "", "'units'", "units")
        self.check_keys(entries, UNITS_KEYS, "", "'units'", "units")
        chosen = {"length": "m", "angle": "rad"}
        for key, choices in (("length", tuple(LENGTH_UNITS)), ("angle", ANGLE_UNITS)):
            if key in entries:
                value = entries[key][1]
                if not (isinstance(value, yaml.ScalarNode) and value.value in choices):
                    raise self.error(
                        value,
                        "",
                        f"unknown {key} unit {_show(value)} in 'units' (expected {', '.join(choices)})",
                        f"units.{key}",
                    )
                chosen[key] = value.value
        return _Units(LENGTH_UNITS[chosen["length"]], chosen["angle"])

    def pose(self, node: yaml.Node, where: str, key: str, key_path: str) -> Origin:
        """An ``{xyz, rpy}`` mapping (``base``, ``tool`` or a joint's ``origin``); missing entries are 0."""
        entries = self.mapping(node, where, f"'{key}'", key_path)
        self.check_keys(entries, POSE_KEYS, where, f"'{key}'", key_path)
        xyz = (
            self.vector(entries["xyz"][1], where, f"'{key}.xyz'", "length", f"{key_path}.xyz")
            if "xyz" in entries
            else (0.0, 0.0, 0.0)
        )
        rpy = (
            self.vector(entries["rpy"][1], where, f"'{key}.rpy'", "angle", f"{key_path}.rpy")
            if "rpy" in entries
            else (0.0, 0.0, 0.0)
        )
        return Origin(xyz=xyz, rpy=rpy)

    def joints(self, node: yaml.Node) -> list[_ParsedJoint]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, "", f"'joints' must be a list of joints, got {_kind_of(node)}", "joints")
        if len(node.value) > MAX_JOINTS:
            raise self.error(
                node.value[MAX_JOINTS], "", f"'joints' has {len(node.value)} joints (at most {MAX_JOINTS})", "joints"
            )
        parsed: list[_ParsedJoint] = []
        first_seen: dict[str, yaml.Node] = {}
        for index, joint_node in enumerate(node.value):
            p = self.joint(joint_node, index)
            if p.joint.name in first_seen:
                line = first_seen[p.joint.name].start_mark.line + 1
                raise self.error(
                    p.node,
                    f"joint {p.joint.name!r}",
                    f"duplicate joint name (first used on line {line})",
                    f"joints[{index}].name",
                )
            first_seen[p.joint.name] = p.node
            parsed.append(p)
        if not any(p.joint.moving for p in parsed):
            raise self.error(node, "", "'joints' needs at least one moving (revolute or prismatic) joint", "joints")
        return parsed

    def joint(self, node: yaml.Node, index: int) -> _ParsedJoint:
        kp = f"joints[{index}]"
        where = kp
        entries = self.mapping(node, where, "a joint", kp)
        if "name" not in entries:
            raise self.error(node, where, "missing required key 'name'", kp)
        name_node = entries["name"][1]
        name = self.text(name_node, where, "'name'", f"{kp}.name", required=True)
        where = f"joint {name!r}"
        self.check_keys(entries, JOINT_KEYS + (TREE_JOINT_KEYS if self.version == TREE_VERSION else ()), where, "", kp)

        if "type" not in entries:
            raise self.error(node, where, f"missing required key 'type' (expected {', '.join(JOINT_TYPES)})", kp)
        type_node = entries["type"][1]
        jtype = type_node.value if isinstance(type_node, yaml.ScalarNode) else None
        if jtype not in JOINT_TYPES:
            hint = "; a URDF 'continuous' joint is a revolute joint without limits" if jtype == "continuous" else ""
            close = difflib.get_close_matches(jtype, JOINT_TYPES, n=1) if isinstance(jtype, str) else []
            if close and not hint:
                hint = f"; did you mean {close[0]!r}?"
            got = repr(jtype) if isinstance(type_node, yaml.ScalarNode) else _kind_of(type_node)
            raise self.error(
                type_node, where, f"unknown joint type {got} (expected {', '.join(JOINT_TYPES)}){hint}", f"{kp}.type"
            )
        moving = jtype != "fixed"

        forms = [f for f in FORMS if f in entries]
        if not forms:
            raise self.error(node, where, "no geometry: give exactly one of dh, mdh or origin", kp)
        if len(forms) > 1:
            raise self.error(
                entries[forms[1]][0],
                where,
                f"two geometry forms ({forms[0]} and {forms[1]}): give exactly one of dh, mdh or origin",
                f"{kp}.{forms[1]}",
            )
        form = forms[0]
        dh = None
        origin = None
        axis = (0.0, 0.0, 1.0)
        if "axis" in entries and form != "origin":
            raise self.error(
                entries["axis"][0],
                where,
                f"'axis' is not allowed with {form} (the {form} joint axis is always z); use origin + axis",
                f"{kp}.axis",
            )
        if form in ("dh", "mdh"):
            label = f"'{form}'"
            params = self.mapping(entries[form][1], where, label, f"{kp}.{form}")
            self.check_keys(params, DH_KEYS, where, label, f"{kp}.{form}")
            units: dict[str, Quantity] = {"a": "length", "alpha": "angle", "d": "length", "theta": "angle"}
            dh = tuple(
                self.number(params[k][1], where, f"'{form}.{k}'", units[k], f"{kp}.{form}.{k}") if k in params else 0.0
                for k in DH_KEYS
            )
        else:
            origin = self.pose(entries["origin"][1], where, "origin", f"{kp}.origin")
            if "axis" in entries:
                if not moving:
                    raise self.error(
                        entries["axis"][0], where, "a fixed joint does not move: remove 'axis'", f"{kp}.axis"
                    )
                axis = self.axis(entries["axis"][1], where, f"{kp}.axis")

        quantity: Quantity = "angle" if jtype == "revolute" else "length"
        limits = (-math.inf, math.inf)
        limit_text = ("", "")
        if "limits" in entries:
            if not moving:
                raise self.error(
                    entries["limits"][0], where, "a fixed joint has no variable: remove 'limits'", f"{kp}.limits"
                )
            limits, limit_text = self.limits(entries["limits"][1], where, quantity, f"{kp}.limits")
        velocity = None
        if "velocity" in entries:
            if not moving:
                raise self.error(
                    entries["velocity"][0],
                    where,
                    "a fixed joint has no variable: remove 'velocity'",
                    f"{kp}.velocity",
                )
            velocity = self.number(entries["velocity"][1], where, "'velocity'", quantity, f"{kp}.velocity", per="/s")
        parent = child = mimic = parent_node = mimic_node = None
        if "parent" in entries:
            parent_node = entries["parent"][1]
            parent = self.text(parent_node, where, "'parent'", f"{kp}.parent", required=True)
        if "child" in entries:
            child = self.text(entries["child"][1], where, "'child'", f"{kp}.child", required=True)
        if "mimic" in entries:
            if not moving:
                raise self.error(
                    entries["mimic"][0], where, "a fixed joint cannot mimic a joint: remove 'mimic'", f"{kp}.mimic"
                )
            mimic, mimic_node = self.mimic(entries["mimic"][1], where, quantity, f"{kp}.mimic")
        try:  # the joint rules (unit axis, limits, speed) are the model's; this reader adds the location
            joint = Joint(
                name=name,
                type=jtype,
                form=cast(GeometryForm, form),
                dh=cast("tuple[float, float, float, float] | None", dh),
                origin=origin,
                axis=axis,
                limits=limits,
                velocity=velocity,
                parent=parent,
                child=child,
                mimic=mimic,
            )
        except RobotFormatError as e:
            field = e.key_path.split(".")[0]
            located = entries.get(field if field != "dh" else form, (None, node))[1]
            reason = e.reason
            if field in ("limits", "velocity") and self.units.convert(1.0, quantity) != 1.0:  # the model speaks SI
                written = f"[{', '.join(limit_text)}]" if field == "limits" else located.value.strip()
                reason += f" (written {written} in {self.units.name(quantity)})"
            raise self.error(located, where, reason, f"{kp}.{e.key_path}") from None
        return _ParsedJoint(
            joint=joint, node=name_node, limit_text=limit_text, parent_node=parent_node, mimic_node=mimic_node
        )

    # ------------------------------------------------------------------ format 2: trees
    def mimic(self, node: yaml.Node, where: str, quantity: Quantity, key_path: str) -> tuple[Mimic, yaml.Node]:
        entries = self.mapping(node, where, "'mimic'", key_path)
        self.check_keys(entries, MIMIC_KEYS, where, "'mimic'", key_path)
        if "joint" not in entries:
            raise self.error(node, where, "'mimic' needs the key 'joint' (the leader joint's name)", key_path)
        leader_node = entries["joint"][1]
        leader = self.text(leader_node, where, "'mimic.joint'", f"{key_path}.joint", required=True)
        multiplier = (
            self.number(entries["multiplier"][1], where, "'mimic.multiplier'", None, f"{key_path}.multiplier")
            if "multiplier" in entries
            else 1.0
        )
        offset = (
            self.number(entries["offset"][1], where, "'mimic.offset'", quantity, f"{key_path}.offset")
            if "offset" in entries
            else 0.0
        )
        return Mimic(leader, multiplier, offset), leader_node

    def frames(self, node: yaml.Node) -> list[tuple[Frame, dict[str, tuple[yaml.Node, yaml.Node]]]]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, "", f"'frames' must be a list of frames, got {_kind_of(node)}", "frames")
        out = []
        for index, frame_node in enumerate(node.value):
            kp = f"frames[{index}]"
            entries = self.mapping(frame_node, kp, "a frame", kp)
            for key in ("name", "parent"):
                if key not in entries:
                    raise self.error(frame_node, kp, f"missing required key {key!r}", kp)
            name = self.text(entries["name"][1], kp, "'name'", f"{kp}.name", required=True)
            where = f"frame {name!r}"
            self.check_keys(entries, FRAME_KEYS, where, "", kp)
            parent = self.text(entries["parent"][1], where, "'parent'", f"{kp}.parent", required=True)
            origin = (
                self.pose(entries["origin"][1], where, "origin", f"{kp}.origin") if "origin" in entries else Origin()
            )
            out.append((Frame(name, parent, origin), entries))
        return out

    def check_tree(self, parsed: list[_ParsedJoint], frames: list, root_name: str, top: dict) -> None:
        """The tree rules of format 2, each reported at its line: unique frame names, known parents, no
        cycle, mimic leaders that move and do not mimic, no tool: on a tree."""
        owner: dict[str, str] = {root_name: "the root frame"}
        for index, p in enumerate(parsed):
            frame_name = p.joint.frame
            if frame_name in owner:
                raise self.error(
                    p.node,
                    f"joint {p.joint.name!r}",
                    f"frame name {frame_name!r} is already used by {owner[frame_name]}",
                    f"joints[{index}]",
                )
            owner[frame_name] = f"joint {p.joint.name!r}"
        for index, (frame, entries) in enumerate(frames):
            if frame.name in owner:
                raise self.error(
                    entries["name"][1],
                    f"frame {frame.name!r}",
                    f"frame name {frame.name!r} is already used by {owner[frame.name]}",
                    f"frames[{index}].name",
                )
            owner[frame.name] = f"frame {frame.name!r}"
        parent_of: dict[str, tuple[str, yaml.Node, str]] = {}
        previous = root_name
        for index, p in enumerate(parsed):
            wanted = previous if p.joint.parent is None else p.joint.parent
            if wanted not in owner:
                raise self.error(
                    p.parent_node,
                    f"joint {p.joint.name!r}",
                    f"parent frame {wanted!r} does not exist (expected the root {root_name!r}, a "
                    "joint or a frame of this file)",
                    f"joints[{index}].parent",
                )
            parent_of[p.joint.frame] = (wanted, p.parent_node or p.node, f"joints[{index}].parent")
            previous = p.joint.frame
        for index, (frame, entries) in enumerate(frames):
            if frame.parent not in owner:
                raise self.error(
                    entries["parent"][1],
                    f"frame {frame.name!r}",
                    f"parent frame {frame.parent!r} does not exist (expected the root {root_name!r}, "
                    "a joint or a frame of this file)",
                    f"frames[{index}].parent",
                )
            parent_of[frame.name] = (frame.parent, entries["parent"][1], f"frames[{index}].parent")
        loop = first_cycle({name: parent for name, (parent, _, _) in parent_of.items()})
        if loop is not None:
            _, node, key_path = parent_of[loop[0]]
            raise self.error(
                node,
                f"{owner[loop[0]]}",
                "is part of a cycle of parents " + " -> ".join(map(repr, loop + loop[:1])),
                key_path,
            )
        by_name = {p.joint.name: p.joint for p in parsed}
        for index, p in enumerate(parsed):
            mimic = p.joint.mimic
            if mimic is None:
                continue
            leader = by_name.get(mimic.joint)
            problem = (
                "does not exist"
                if leader is None
                else "is fixed (a leader must move)"
                if not leader.moving
                else "is itself a mimic joint (mimic chains are not supported)"
                if leader.mimic
                else None
            )
            if problem:
                raise self.error(
                    p.mimic_node,
                    f"joint {p.joint.name!r}",
                    f"mimics joint {mimic.joint!r}, which {problem}",
                    f"joints[{index}].mimic.joint",
                )
        tree = bool(frames) or any(p.joint.parent is not None for p in parsed)
        if tree and "tool" in top:
            raise self.error(
                top["tool"][0],
                "",
                "'tool' applies to serial chains; a tree names its tool frames in "
                "'frames' (a frame named tool is the default link)",
                "tool",
            )

    def axis(self, node: yaml.Node, where: str, key_path: str) -> tuple[float, float, float]:
        # The axis is a direction: no unit applies. Joint makes it a unit vector (robokin.model.unit_axis).
        return self.vector(node, where, "'axis'", None, key_path)

    def limits(
        self, node: yaml.Node, where: str, quantity: Quantity, key_path: str
    ) -> tuple[tuple[float, float], tuple[str, str]]:
        if not isinstance(node, yaml.SequenceNode) or len(node.value) != 2:
            got = f"{len(node.value)} values" if isinstance(node, yaml.SequenceNode) else _kind_of(node)
            raise self.error(node, where, f"'limits' must be a list [lower, upper], got {got}", key_path)
        out = []
        for i, (item, side, unbounded) in enumerate(zip(node.value, ("lower", "upper"), (-math.inf, math.inf))):
            if isinstance(item, yaml.ScalarNode) and item.tag == _NULL_TAG:
                out.append(unbounded)  # an explicit null: no limit on this side
            else:
                out.append(self.number(item, where, f"{side} limit", quantity, f"{key_path}[{i}]"))
        texts = tuple("null" if item.tag == _NULL_TAG else item.value.strip() for item in node.value)
        return (out[0], out[1]), texts  # type: ignore[return-value]

    def configurations(self, node: yaml.Node, parsed: list[_ParsedJoint]) -> dict[str, np.ndarray]:
        entries = self.mapping(node, "", "'configurations'", "configurations")
        if not entries:
            raise self.error(node, "", "'configurations' is empty (remove it or name at least one)", "configurations")
        moving = [p for p in parsed if p.joint.moving and p.joint.mimic is None]
        names = [p.joint.name for p in moving]
        fixed_names = {p.joint.name for p in parsed if not p.joint.moving or p.joint.mimic is not None}
        if len(entries) > MAX_CONFIGURATIONS or len(entries) * len(moving) > MAX_CONFIGURATION_VALUES:
            raise self.error(
                node,
                "",
                f"'configurations' has {len(entries)} configurations of {len(moving)} values (at most "
                f"{MAX_CONFIGURATIONS} configurations and {MAX_CONFIGURATION_VALUES} values in all)",
                "configurations",
            )
        out: dict[str, np.ndarray] = {}
        for cname, (key_node, value) in entries.items():
            where = f"configuration {cname!r}"
            kp = f"configurations.{cname}"
            if len(cname) > MAX_NAME_CHARS:
                raise self.error(
                    key_node, where, f"the name is {len(cname)} characters long (at most {MAX_NAME_CHARS})", kp
                )
            if isinstance(value, yaml.SequenceNode):
                if len(value.value) != len(moving):
                    raise self.error(
                        value,
                        where,
                        f"has {len(value.value)} values but the robot has {len(moving)} moving "
                        f"joint{'' if len(moving) == 1 else 's'} ({', '.join(names)})",
                        kp,
                    )
                items = list(zip(moving, value.value))
            elif isinstance(value, yaml.MappingNode):
                by_name = self.mapping(value, where, "the mapping", kp)
                for jname, (key_node, _) in by_name.items():
                    if jname in fixed_names:
                        kind = (
                            "fixed"
                            if jname not in {p.joint.name for p in parsed if p.joint.moving}
                            else "a mimic joint"
                        )
                        raise self.error(key_node, where, f"joint {jname!r} is {kind} and has no value", kp)
                    if jname not in names:
                        raise self.error(
                            key_node,
                            where,
                            f"unknown joint {jname!r} (expected the moving joints {', '.join(names)})",
                            kp,
                        )
                missing = [n for n in names if n not in by_name]
                if missing:
                    raise self.error(
                        value,
                        where,
                        f"gives no value for joint(s) {', '.join(missing)} (a mapping must name every moving joint)",
                        kp,
                    )
                items = [(p, by_name[p.joint.name][1]) for p in moving]
            else:
                raise self.error(
                    value,
                    where,
                    f"must be a list of {len(moving)} joint values or a mapping joint name -> value, got "
                    f"{_kind_of(value)}",
                    kp,
                )
            q = []
            for i, (p, item) in enumerate(items):
                quantity: Quantity = "angle" if p.joint.type == "revolute" else "length"
                ikp = f"{kp}[{i}]" if isinstance(value, yaml.SequenceNode) else f"{kp}.{p.joint.name}"
                v = self.number(item, where, f"value for joint {p.joint.name!r}", quantity, ikp)
                lo, hi = p.joint.limits
                if not lo <= v <= hi:
                    raise self.error(
                        item,
                        where,
                        f"value {item.value.strip()} for joint {p.joint.name!r} is outside its limits "
                        f"[{p.limit_text[0]}, {p.limit_text[1]}]",
                        ikp,
                    )
                q.append(v)
            out[cname] = np.array(q, dtype=float)
        return out


# --------------------------------------------------------------------------------------------- public API
def loads(text: str, path: str = "<string>") -> Robot:
    """Parse a robot from YAML text in robokin format version 1.

    Args:
        text: The YAML document.
        path: The name used in error messages (a file path or ``"<string>"``).

    Returns:
        The validated robot, in metres and radians.

    Raises:
        RobotFormatError: The text is not a valid robot; the message starts with ``PATH:LINE:COL:``.
        TypeError: ``text`` is not a ``str``.
    """
    if not isinstance(text, str):
        raise TypeError(f"loads expects the YAML text as str, got {type(text).__name__}")
    path = str(path)
    reader = _Reader(path)
    with without_cycle_collection():
        robot = reader.document(_compose(text, path))
    for message in plausibility_warnings(robot, angle=reader.units.angle, length=reader.units.name("length")):
        warnings.warn(f"{path}: {message}", PlausibilityWarning, stacklevel=2)
    return robot


# In a degree file, revolute limits all within ± this many degrees look like radians (2π rad ≈ 6.28).
RADIAN_LOOKING_DEG = 2.0 * math.pi + 1e-9


def plausibility_warnings(robot: Robot, angle: str = "rad", length: str = "m") -> list[str]:
    """Sentences about numbers of a valid robot that are most likely in the wrong unit, each with the fix.

    Checked (:func:`robokin.files.longest_length`, :func:`robokin.files.degree_looking_angle`): a link offset,
    base/tool offset or prismatic stroke longer than ``MAX_PLAUSIBLE_LENGTH`` but below
    ``UNLIMITED_LOOKING_LENGTH`` (a file in millimetres without ``units: {length: mm}``); in a file with ``angle: deg``, revolute limits
    that all lie within ±2π degrees (radians written in a degree file); in a radian file, a revolute limit or
    a DH angle beyond two turns but within ``UNLIMITED_LOOKING_RAD`` (degrees written in a radian file).

    Args:
        robot: The loaded robot (SI units).
        angle: The file's angle unit, ``"rad"`` or ``"deg"``.
        length: The file's length unit, ``"m"``, ``"cm"`` or ``"mm"``.

    Returns:
        The warnings (empty for a plausible robot).
    """
    found = []
    longest, where = longest_length(robot)
    if longest > MAX_PLAUSIBLE_LENGTH:
        scale = LENGTH_UNITS[length]
        fix = (
            "add units: {length: mm} (or cm) if the numbers are millimetres"
            if length == "m"
            else f"check the numbers: the file says units {{length: {length}}}"
        )
        in_metres = "" if length == "m" else f" = {longest:g} m"
        found.append(
            f"{where} has a length of {longest * scale:g} {length}{in_metres}; robot arms are below "
            f"~{MAX_PLAUSIBLE_LENGTH:g} m: {fix}"
        )
    revolute = [j for j in robot.joints if j.type == "revolute"]
    finite = [abs(v) for j in revolute for v in j.limits if math.isfinite(v)]
    if angle == "deg" and finite and max(finite) < math.radians(RADIAN_LOOKING_DEG) and max(finite) > 0:
        found.append(
            f"every revolute limit lies within ±{math.degrees(max(finite)):.3g} deg: these look like "
            "radians in a file with units {angle: deg}; write the limits in degrees or remove angle: deg"
        )
    worst = degree_looking_angle(robot) if angle == "rad" else None
    if worst is not None:
        found.append(
            f"joint {worst[1]!r} has {'an' if worst[2] == 'alpha' else 'a'} {worst[2]} of {worst[0]:g} rad "
            "(more than two turns): this looks like degrees in a radian file; add units: {angle: deg}"
        )
    return found


def load_yaml(path: str | os.PathLike[str]) -> Robot:
    """Read a robot from a YAML file in robokin format version 1.

    Args:
        path: The file (a regular file, UTF-8, at most ``MAX_BYTES`` bytes).

    Returns:
        The validated robot, in metres and radians.

    Raises:
        OptionError: ``path`` is not a str or an ``os.PathLike``.
        RobotFormatError: The file is missing, not a regular file (a directory, FIFO or device), unreadable,
            too large, not UTF-8, or not a valid robot.
    """
    name = validation.file_path(path)
    data = read_robot_file(name, MAX_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise RobotFormatError("file is not UTF-8 text", path=name, line=line, column=column) from None
    return loads(text, path=name)


# ---------------------------------------------------------------------- writing
_RESOLVER = yaml.resolver.Resolver()
_MAX_IMPLICIT_KEY_CHARS = 1000  # YAML 1.1 section 9.1.3: an implicit key is at most 1024 characters
_PLAIN_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def _yaml_str(s: str) -> str:
    """``s`` as a YAML scalar: plain when that reads back as the same string, else double-quoted."""
    if _PLAIN_RE.fullmatch(s) and _RESOLVER.resolve(yaml.ScalarNode, s, (True, False)) == _STR_TAG:
        return s
    out = yaml.safe_dump(s, default_style='"', allow_unicode=True, width=1 << 30)
    return out.rstrip("\n")


def _yaml_float(x: float) -> str:
    """``repr`` of a float, with a '.' added to a bare mantissa so YAML 1.1 tools also read a float."""
    s = repr(float(x))
    mantissa, e, exponent = s.partition("e")
    if e and "." not in mantissa:
        s = f"{mantissa}.0e{exponent}"
    return s


def _floats(values: Any, num: Callable[..., str] | None = None, quantity: Quantity | None = None) -> str:
    num = num or _plain
    return "[" + ", ".join(num(v, quantity) for v in values) + "]"


def _plain(x: float, quantity: Quantity | None = None) -> str:
    return _yaml_float(x)


def _number_writer(angle: str, length: str, digits: int | None) -> Callable[..., str]:
    """``num(value_SI, quantity) -> text``: converted to the file's units, rounded to ``digits`` significant
    digits (None: exact ``repr``). Values within 1e-12 of zero in SI are float noise and written as 0."""
    scale = LENGTH_UNITS[length]

    def num(x: float, quantity: Quantity | None = None) -> str:
        x = float(x)
        if digits is not None and abs(x) < 1e-12:
            x = 0.0
        if quantity == "length":
            x *= scale
        elif quantity == "angle" and angle == "deg":
            x = math.degrees(x)
        if digits is not None and x != 0.0 and math.isfinite(x):
            x = float(f"{x:.{digits}g}")
        return _yaml_float(x)

    return num


def _pose(origin: Origin, num: Callable[..., str] | None = None) -> str:
    return f"{{xyz: {_floats(origin.xyz, num, 'length')}, rpy: {_floats(origin.rpy, num, 'angle')}}}"


def _is_plus_zero(x: float) -> bool:
    return x == 0.0 and math.copysign(1.0, x) > 0


def _joint_lines(joint: Joint, num: Callable[..., str] = _plain) -> Iterator[str]:
    yield f"  - name: {_yaml_str(joint.name)}"
    yield f"    type: {joint.type}"
    if joint.form in ("dh", "mdh"):
        if joint.dh is None:
            raise ValueError(f"joint {joint.name!r}: form {joint.form} without dh parameters")
        if tuple(joint.axis) != (0.0, 0.0, 1.0):
            raise ValueError(f"joint {joint.name!r}: a {joint.form} joint moves about z, but its axis is {joint.axis}")
        kinds = ("length", "angle", "length", "angle")
        params = ", ".join(f"{k}: {num(v, kind)}" for k, v, kind in zip(DH_KEYS, joint.dh, kinds))
        yield f"    {joint.form}: {{{params}}}"
    elif joint.form == "origin":
        if joint.origin is None:
            raise ValueError(f"joint {joint.name!r}: form origin without an origin")
        yield f"    origin: {_pose(joint.origin, num)}"
        if joint.moving:
            yield f"    axis: {_floats(joint.axis)}"
    else:
        raise ValueError(f"joint {joint.name!r}: unknown geometry form {joint.form!r}")
    lo, hi = joint.limits
    quantity: Quantity = "angle" if joint.type == "revolute" else "length"
    if joint.moving and (lo != -math.inf or hi != math.inf):
        lo_text = "null" if lo == -math.inf else num(lo, quantity)
        hi_text = "null" if hi == math.inf else num(hi, quantity)
        yield f"    limits: [{lo_text}, {hi_text}]"
    if joint.moving and joint.velocity is not None:
        yield f"    velocity: {num(joint.velocity, quantity)}"
    if joint.parent is not None:
        yield f"    parent: {_yaml_str(joint.parent)}"
    if joint.child is not None:
        yield f"    child: {_yaml_str(joint.child)}"
    if joint.mimic is not None:
        m = joint.mimic
        yield f"    mimic: {{joint: {_yaml_str(m.joint)}, multiplier: {num(m.multiplier)}, offset: {num(m.offset, quantity)}}}"


def _needs_trees(robot: Robot) -> bool:
    """True when the robot uses a format-2 feature (parents, child names, mimic joints, frames, a root name)."""
    return (
        bool(robot.frames)
        or robot.root != "base"
        or any(j.parent is not None or j.child is not None or j.mimic is not None for j in robot.joints)
    )


def first_difference(a: Robot, b: Robot, rtol: float = 0.0) -> str | None:
    """The first field in which two robots differ (bit for bit, signed zeros included, when ``rtol`` is 0), or None.

    Fixed joints' axis, limits and velocity mean nothing and are not compared. This is the check behind
    :func:`dumps`'s round-trip guarantee.
    """

    def same(x: Any, y: Any) -> bool:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if rtol:
            if x.shape != y.shape:
                return False
            with np.errstate(invalid="ignore"):  # inf - inf of equal unlimited limits: decided by x == y
                return bool(np.all((x == y) | (np.abs(x - y) <= rtol * np.maximum(np.abs(x), 1e-9))))
        return x.shape == y.shape and x.tobytes() == y.tobytes()

    for field in ("name", "description", "source", "root"):
        if getattr(a, field) != getattr(b, field):
            return field
    if len(a.frames) != len(b.frames):
        return "frames"
    for i, (fa, fb) in enumerate(zip(a.frames, b.frames)):
        if (fa.name, fa.parent) != (fb.name, fb.parent) or not (
            same(fa.origin.xyz, fb.origin.xyz) and same(fa.origin.rpy, fb.origin.rpy)
        ):
            return f"frames[{i}]"
    for field in ("base", "tool"):
        oa, ob = getattr(a, field), getattr(b, field)
        if not (same(oa.xyz, ob.xyz) and same(oa.rpy, ob.rpy)):
            return field
    if len(a.joints) != len(b.joints):
        return "joints"
    for i, (ja, jb) in enumerate(zip(a.joints, b.joints)):
        if (ja.name, ja.type, ja.form, ja.parent, ja.child) != (jb.name, jb.type, jb.form, jb.parent, jb.child):
            return f"joints[{i}]"
        ma, mb = ja.mimic, jb.mimic
        if ma is None or mb is None:
            if (ma is None) != (mb is None):
                return f"joints[{i}].mimic"
        elif ma.joint != mb.joint or not same([ma.multiplier, ma.offset], [mb.multiplier, mb.offset]):
            return f"joints[{i}].mimic"
        if (ja.dh is None) != (jb.dh is None) or (ja.dh is not None and not same(ja.dh, jb.dh)):
            return f"joints[{i}].dh"
        if (ja.origin is None) != (jb.origin is None) or (
            ja.origin is not None
            and jb.origin is not None
            and not (same(ja.origin.xyz, jb.origin.xyz) and same(ja.origin.rpy, jb.origin.rpy))
        ):
            return f"joints[{i}].origin"
        if not ja.moving:  # a fixed joint's axis, limits and velocity mean nothing and are not written
            continue
        if not same(ja.axis, jb.axis):
            return f"joints[{i}].axis"
        if not same(ja.limits, jb.limits):
            return f"joints[{i}].limits"
        if (ja.velocity is None) != (jb.velocity is None) or (
            ja.velocity is not None and not same(ja.velocity, jb.velocity)
        ):
            return f"joints[{i}].velocity"
    if list(a.configurations) != list(b.configurations):
        return "configurations"
    for key in a.configurations:
        if not same(a.configurations[key], b.configurations[key]):
            return f"configurations.{key}"
    return None


def dumps(robot: Robot, *, angle: str = "rad", length: str = "m", digits: int | None = None) -> str:
    """The robot as YAML text, lengths in metres and angles in radians by default: format version 1 for a serial
    chain, version 2 when it uses trees (parents, child frame names, mimic joints, named frames, a root name).

    Each joint keeps its geometry form (dh, mdh or origin + axis) and its place in the chain; by default
    floats are written in ``repr`` form, so ``loads(dumps(robot))`` equals ``robot`` bit for bit (this is
    checked before returning). Unlimited limits and absent speed limits are omitted, a one-sided limit is
    written with ``null`` on its open side, and an identity base or tool is omitted.

    Args:
        robot: The robot to write.
        angle: ``"rad"`` (default) or ``"deg"``: the unit angles are written in (``units: {angle: deg}``).
        length: ``"m"`` (default), ``"cm"`` or ``"mm"``.
        digits: Round every number to this many significant digits (1..17) and write values within 1e-12 of
            zero as 0, removing float noise such as ``0.30000000000000004`` or ``89.99999999999999``; the
            read-back is then checked to agree to that precision. None (default): exact.

    Returns:
        The YAML document.

    Raises:
        RobotFormatError: The robot cannot be written exactly in this format (e.g. a non-finite value, a
            configuration outside the limits, a dh joint whose axis is not z).
        TypeError: ``robot`` is not a :class:`Robot`.
    """
    if not isinstance(robot, Robot):
        raise TypeError(f"dumps expects a Robot, got {type(robot).__name__}")
    where = f"<robot {robot.name!r}>"
    if angle not in ANGLE_UNITS or length not in LENGTH_UNITS:
        raise RobotFormatError(
            f"cannot write angles in {angle!r} or lengths in {length!r} (angle: "
            f"{', '.join(ANGLE_UNITS)}; length: {', '.join(LENGTH_UNITS)})",
            path=where,
        )
    if digits is not None and (isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17):
        raise RobotFormatError(f"digits must be an integer in 1..17 or None, got {digits!r}", path=where)
    num = _number_writer(angle, length, digits)
    names = {"m": "metres", "cm": "centimetres", "mm": "millimetres", "rad": "radians", "deg": "degrees"}
    version = TREE_VERSION if _needs_trees(robot) else FORMAT_VERSION
    lines = [
        f"# robokin robot description, format version {version}; lengths in {names[length]}, angles in {names[angle]}.",
        f"robokin: {version}",
        f"name: {_yaml_str(robot.name)}",
    ]
    if robot.root != "base":
        lines.append(f"root: {_yaml_str(robot.root)}")
    if robot.description:
        lines.append(f"description: {_yaml_str(robot.description)}")
    if robot.source:
        lines.append(f"source: {_yaml_str(robot.source)}")
    if (angle, length) != ("rad", "m"):
        lines.append(f"units: {{length: {length}, angle: {angle}}}")
    for key in ("base", "tool"):
        origin: Origin = getattr(robot, key)
        if not all(_is_plus_zero(v) for v in (*origin.xyz, *origin.rpy)):
            lines.append(f"{key}: {_pose(origin, num)}")
    lines.append("joints:")
    try:
        for joint in robot.joints:
            lines.extend(_joint_lines(joint, num))
    except ValueError as e:
        raise RobotFormatError(f"cannot be saved: {e}", path=where) from None
    if robot.frames:
        lines.append("frames:")
        for frame in robot.frames:
            lines.append(
                f"  - {{name: {_yaml_str(frame.name)}, parent: {_yaml_str(frame.parent)}, "
                f"origin: {_pose(frame.origin, num)}}}"
            )
    if robot.configurations:
        lines.append("configurations:")
        kinds = ["angle" if t == "revolute" else "length" for t in robot.joint_types]
        for key, q in robot.configurations.items():
            key_text = _yaml_str(key)
            values = "[" + ", ".join(num(v, kind) for v, kind in zip(np.asarray(q, dtype=float), kinds)) + "]"
            if len(key_text) <= _MAX_IMPLICIT_KEY_CHARS:
                lines.append(f"  {key_text}: {values}")
            else:  # YAML allows at most 1024 characters in an implicit key: write an explicit one
                lines += [f"  ? {key_text}", f"  : {values}"]
    text = "\n".join(lines) + "\n"

    try:
        with warnings.catch_warnings():  # the robot was loaded already: its plausibility is not news here
            warnings.simplefilter("ignore", PlausibilityWarning)
            again = loads(text, path=where)
    except RobotFormatError as e:
        raise RobotFormatError(f"cannot be saved: {e.reason}", path=where, key_path=e.key_path) from None
    exact = digits is None and (angle, length) == ("rad", "m")
    rtol = 0.0 if exact else (1e-13 if digits is None else 10.0 ** (1 - digits))
    diff = first_difference(robot, again, rtol)
    if diff is not None:
        raise RobotFormatError(
            f"cannot be saved exactly: {diff} would read back differently", path=where, key_path=diff
        )
    return text


def save(robot: Robot, path: str | os.PathLike[str]) -> None:
    """Write the robot to a YAML file (see :func:`dumps`), UTF-8 with ``\\n`` line ends.

    Raises:
        OptionError: ``path`` is not a str or an ``os.PathLike``.
        RobotFormatError: The robot cannot be written exactly in this format.
        OSError: The file cannot be written.
    """
    name = validation.file_path(path)
    text = dumps(robot)
    with open(name, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
