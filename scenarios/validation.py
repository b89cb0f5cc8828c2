"""The one validation layer of every input file: a bounded YAML reader and the pydantic → problem translator.

Scenario files (:mod:`parkabm.scenarios.loader`) and experiment files (:mod:`parkabm.experiments.design.spec`) are
read by :func:`read_yaml_mapping` and their schema errors turned into :class:`~parkabm.scenarios.errors.Problem`
lines by :func:`problems_from`, so both kinds of file report mistakes the same way: ``file: key.path = value —
allowed: ...``, every problem of a file at once.

**Limits of the YAML reader.** YAML can describe documents far larger than the file (an alias bomb, "billion
laughs": nine aliases of nine aliases of ... expand to 10⁹ nodes from a few hundred bytes) and nesting deep enough to
exhaust the interpreter's stack. The reader measures the composed document before any Python object is built and
rejects, each as one problem naming file and line:

- a file larger than :data:`MAX_FILE_BYTES`;
- nesting deeper than :data:`MAX_NESTING` mappings or lists, aliases followed;
- more than :data:`MAX_NODES` values once every alias is expanded;
- an alias that refers to the mapping or list it is written in (a document that contains itself).

The limits are far above what a scenario or experiment file needs: the largest shipped file has under 200 values
and nests 5 deep.
"""

from __future__ import annotations

import difflib
import math
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import annotated_types
import yaml
from pydantic import BaseModel, Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import InitErrorDetails, PydanticCustomError

from parkabm.scenarios.errors import Problem, shorten

WHOLE_FILE = "-"
"""Key path of problems that concern a whole file."""

MAX_FILE_BYTES = 1_000_000
"""Largest input file read, bytes (1 MB; the largest shipped file is under 5 kB)."""

MAX_NESTING = 100
"""Deepest nesting of mappings and lists accepted in an input file, aliases followed."""

MAX_NODES = 100_000
"""Most values (scalars, lists and mappings) an input file may hold once every alias is expanded."""


# ----------------------------------------------------------------------------------------------------
# Small helpers shared by the schemas
# ----------------------------------------------------------------------------------------------------


def format_number(x: float) -> str:
    """Format a bound or value for messages: integral floats without a trailing ``.0``, others as ``repr``.

    Args:
        x: The number.

    Returns:
        A short, exact text such as ``50000``, ``0.85`` or ``-0.025``.
    """
    if isinstance(x, float) and math.isfinite(x) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def closest(word: object, candidates: list[str]) -> str | None:
    """Return the candidate most similar to ``word`` (for "did you mean" hints), or None if none is close.

    Args:
        word: What the user wrote.
        candidates: The names that would have been accepted.

    Returns:
        The closest candidate, or None.
    """
    matches = difflib.get_close_matches(str(word), candidates, n=1, cutoff=0.6)
    return matches[0] if matches else None


def rejection(kind: str, allowed: str, *, shown: str | None = None, field: str | None = None) -> PydanticCustomError:
    """Build a validation error that :func:`problems_from` renders as a problem line.

    Raise it from a pydantic validator.

    Args:
        kind: Error type (a short snake_case name).
        allowed: What would be accepted.
        shown: The offending value as it should be shown (default: the validated input's ``repr``).
        field: A key below the validated object to which the error belongs (appended to its path).

    Returns:
        The error.
    """
    ctx: dict[str, Any] = {"allowed": allowed}
    if shown is not None:
        ctx["shown"] = shown
    if field is not None:
        ctx["field"] = field
    return PydanticCustomError(kind, "{allowed}", ctx)


def relocate(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[InitErrorDetails]:
    """Re-locate the errors of a nested validation below ``prefix``, so that they can be raised together.

    Args:
        exc: The nested validation's error.
        prefix: Key path of the nested value inside the outer one.

    Returns:
        Error details for ``ValidationError.from_exception_data``.
    """
    details = []
    for error in exc.errors():
        kind = PydanticCustomError(error["type"], error["msg"].replace("{", "(").replace("}", ")"), error.get("ctx"))
        details.append(InitErrorDetails(type=kind, loc=prefix + tuple(error["loc"]), input=error["input"]))
    return details


# ----------------------------------------------------------------------------------------------------
# YAML reading
# ----------------------------------------------------------------------------------------------------


class _LimitExceeded(yaml.MarkedYAMLError):
    """A document beyond the reader's limits; ``allowed`` says which limit."""

    def __init__(self, problem: str, mark: Any, allowed: str) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.allowed = allowed


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _measure(root: yaml.Node) -> None:
    """Reject a composed document whose expansion is too large, too deep or contains itself.

    Every node is visited once (sizes of shared nodes are memoised), so the check takes time proportional to the
    file, not to its expansion.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            children = _children(node)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            open_nodes.discard(key)
            if size[key] > MAX_NODES:
                raise _LimitExceeded(f"more than {MAX_NODES:,} values once aliases are expanded", node.start_mark,
                                     f"a file of at most {MAX_NODES:,} values, aliases expanded")
            if depth[key] > MAX_NESTING:
                raise _LimitExceeded(f"nested more than {MAX_NESTING} deep once aliases are followed",
                                     node.start_mark, f"mappings and lists nested at most {MAX_NESTING} deep")
            continue
        if key in size:
            continue
        if key in open_nodes:
            raise _LimitExceeded("an alias refers to the mapping or list that contains it", node.start_mark,
                                 "aliases of values defined before and outside them")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in size)


class InputYamlLoader(yaml.SafeLoader):
    """Safe YAML loader for input files.

    It rejects duplicate keys, reads ``1e4`` as a number (as YAML 1.2 does) and refuses documents beyond the limits
    of this module (nesting, expanded size, self-reference) before building any Python object.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._nesting = 0

    def fetch_flow_collection_start(self, token_class: type) -> None:
        """Scan ``[`` or ``{``, refusing flow nesting beyond :data:`MAX_NESTING` at once.

        The scanner keeps one possible key per open flow collection and checks them all at every token, so deep
        flow nesting would cost time quadratic in its depth before the composer could refuse it.
        """
        if self.flow_level >= MAX_NESTING:
            raise _LimitExceeded(f"nested more than {MAX_NESTING} deep", self.get_mark(),
                                 f"mappings and lists nested at most {MAX_NESTING} deep")
        super().fetch_flow_collection_start(token_class)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        """Compose one node, refusing nesting beyond :data:`MAX_NESTING` before recursing further."""
        self._nesting += 1
        try:
            if self._nesting > MAX_NESTING:
                raise _LimitExceeded(f"nested more than {MAX_NESTING} deep", self.peek_event().start_mark,
                                     f"mappings and lists nested at most {MAX_NESTING} deep")
            return super().compose_node(parent, index)
        finally:
            self._nesting -= 1

    def compose_document(self) -> yaml.Node:
        """Compose the document and measure its expansion (see :func:`_measure`)."""
        node = super().compose_document()
        if node is not None:
            _measure(node)
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping, refusing a key written twice."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:  # unhashable key: let PyYAML report it
                break
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark, f"key {key!r} appears twice",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


InputYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def read_yaml_mapping(path: Path, display: str, *, what: str,
                      keys: Iterable[str]) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Read one YAML file that must hold a mapping; return it, or the problem that prevents reading it.

    File-level problems: missing, a directory, unreadable, too large, not UTF-8, malformed YAML (with its line and
    column), beyond the nesting or expansion limits, empty, not a mapping.

    Args:
        path: The file.
        display: How problems name the file (as the user gave it).
        what: The kind of file, for the messages (``scenario``, ``experiment``).
        keys: The top-level keys a valid file may have, for the message when it holds no mapping.

    Returns:
        ``(mapping, [])`` or ``(None, [problem])``.
    """
    keys = list(keys)

    def fail(value: str, allowed: str) -> tuple[None, list[Problem]]:
        return None, [Problem(display, WHOLE_FILE, shorten(value), allowed)]

    if path.is_dir():
        return fail("(a directory)", f"a {what} YAML file")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return fail(f"(a file of {path.stat().st_size:,} bytes)", f"a {what} YAML file of at most "
                        f"{MAX_FILE_BYTES:,} bytes")
        raw = path.read_bytes()
    except FileNotFoundError:
        return fail("(no such file)", f"an existing {what} YAML file")
    except PermissionError:
        return fail("(not readable: permission denied)", f"a readable {what} YAML file")
    except OSError as exc:
        return fail(f"(cannot be read: {exc.strerror or exc})", f"a readable {what} YAML file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        found = f"(not UTF-8: byte 0x{raw[exc.start]:02x} on line {line})"
        return fail(found, "a text file encoded as UTF-8")
    try:
        document = yaml.load(text, Loader=InputYamlLoader)
    except _LimitExceeded as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        return fail(f"({where}{exc.problem})", exc.allowed)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        return fail(f"({where}{exc.problem or exc.context})", "valid YAML")
    except yaml.YAMLError as exc:
        return fail(f"({exc})", "valid YAML")
    if document is None:
        return fail("(empty file)", "a mapping with keys " + ", ".join(keys))
    if not isinstance(document, dict):
        return fail(f"(a {type(document).__name__} at the top level)", "a mapping with keys " + ", ".join(keys))
    return document, []


# ----------------------------------------------------------------------------------------------------
# Turning validation errors into problems
# ----------------------------------------------------------------------------------------------------

Subtypes = Mapping[type, Callable[[Any], type]]
"""For a base model whose concrete class depends on the input (the design kind of an experiment file), the function
that picks the class from the input mapping."""


def _strip_annotations(tp: Any) -> tuple[Any, bool, list[Any]]:
    """Strip ``Annotated`` and ``None`` from a type; return it, whether None was allowed, and constraints."""
    optional = False
    constraints: list[Any] = []
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            for item in typing.get_args(tp)[1:]:
                constraints += item.metadata if isinstance(item, FieldInfo) else [item]
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp):
            optional = True
            rest = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007 (built at run time)
        else:
            return tp, optional, constraints


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _union_members(tp: Any) -> list[type[BaseModel]]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [m for m in typing.get_args(tp) if _is_model(m)]
    return []


def _tag_of(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("dist")
    if field is None:
        return None
    args = typing.get_args(field.annotation)
    return args[0] if args else None


def _choose_member(tp: Any, node: Any, subtypes: Subtypes) -> Any:
    """The concrete type for the input ``node``: a union member named by its ``dist`` key, or a design kind."""
    if isinstance(tp, type) and tp in subtypes:
        return subtypes[tp](node)
    members = _union_members(tp)
    if members and isinstance(node, Mapping):
        for member in members:
            if _tag_of(member) == node.get("dist"):
                return member
    return tp


class _Slot:
    """What the schema says about one key path: the type holding it, its field info and its value type."""

    def __init__(self, container: Any, info: FieldInfo | None, tp: Any, optional: bool,
                 constraints: list[Any]) -> None:
        self.container = container
        self.info = info
        self.tp = tp
        self.optional = optional
        self.constraints = constraints


def _slot(path: tuple[Any, ...], data: Any, root: type[BaseModel], subtypes: Subtypes) -> _Slot:
    tp: Any = root
    node = data
    info: FieldInfo | None = None
    optional = False
    constraints: list[Any] = []
    container: Any = None
    for element in path:
        tp = _choose_member(tp, node, subtypes)
        container = tp
        if _is_model(tp):
            field = tp.model_fields.get(element) if isinstance(element, str) else None
            if field is None:
                return _Slot(container, None, None, False, [])
            info = field
            tp, optional, constraints = _strip_annotations(field.annotation)
            constraints = list(field.metadata) + constraints
        elif typing.get_origin(tp) in (dict, list):
            info = None
            tp, optional, constraints = _strip_annotations(typing.get_args(tp)[-1])
        else:
            return _Slot(container, None, None, False, [])
        if isinstance(node, Mapping):
            node = node.get(element)
        elif isinstance(node, list) and isinstance(element, int) and 0 <= element < len(node):
            node = node[element]
        else:
            node = None
    return _Slot(container, info, _choose_member(tp, node, subtypes), optional, constraints)


_TYPE_WORDS = {float: "a number", int: "a whole number", str: "text", bool: "true or false"}


def _range_words(bounds: dict[str, Any]) -> str:
    """Say a numeric range in words, e.g. ``from 0 to 1`` or ``greater than 0 and at most 200``."""
    low = (f"from {format_number(bounds['ge'])}" if "ge" in bounds
           else f"greater than {format_number(bounds['gt'])}" if "gt" in bounds else "")
    if "le" in bounds:
        le = format_number(bounds["le"])
        high = f"to {le}" if "ge" in bounds else f"at most {le}"
    elif "lt" in bounds:
        high = f"below {format_number(bounds['lt'])}"
    else:
        high = ""
    if low and high and "ge" not in bounds:
        high = "and " + high
    if "ge" in bounds and not high:
        low = f"of at least {format_number(bounds['ge'])}"
    words = " ".join(w for w in (low, high) if w)
    return " " + words if words else ""


def _describe(slot: _Slot) -> str:
    """Say in words what a slot accepts: the field's own ``allowed`` text, or its type, range, unit and null."""
    extra = slot.info.json_schema_extra if slot.info is not None else None
    if isinstance(extra, dict) and "allowed" in extra:
        return str(extra["allowed"])
    tp = slot.tp
    if typing.get_origin(tp) is Literal:
        text = "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    elif _is_model(tp):
        text = "a mapping with keys " + ", ".join(tp.model_fields)
    elif _union_members(tp):
        text = "a mapping with dist: " + " | ".join(repr(_tag_of(m)) for m in _union_members(tp))
    elif typing.get_origin(tp) in (typing.Union, types.UnionType) and all(
            a in _TYPE_WORDS for a in typing.get_args(tp)):
        words = list(dict.fromkeys(_TYPE_WORDS[a] for a in typing.get_args(tp)))
        if "a number" in words and "a whole number" in words:
            words.remove("a whole number")
        text = ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]
    elif typing.get_origin(tp) is dict:
        text = "a mapping"
    elif typing.get_origin(tp) is list:
        text = "a list"
    else:
        text = _TYPE_WORDS.get(tp, getattr(tp, "__name__", str(tp)))
    bounds: dict[str, Any] = {}
    for item in slot.constraints:
        for attr in ("ge", "gt", "le", "lt", "min_length", "max_length"):
            if isinstance(item, annotated_types.BaseMetadata) and getattr(item, attr, None) is not None:
                bounds[attr] = getattr(item, attr)
    text += _range_words(bounds)
    if tp is str and bounds.get("min_length") == 1 and "max_length" not in bounds:
        text = "non-empty text"
    elif "min_length" in bounds or "max_length" in bounds:
        text += f" of {bounds.get('min_length', 0)} to {bounds.get('max_length', 'any number of')} items"
    unit = extra.get("unit") if isinstance(extra, dict) else None
    if unit and unit != "none":
        text += f" [{unit}]"
    if slot.optional:
        text += ", or null"
    return text


def _key_text(parts: list[tuple[Any, bool]]) -> str:
    text = ""
    for element, is_index in parts:
        text += f"[{element}]" if is_index else (("." if text else "") + str(element))
    return text or WHOLE_FILE


def _user_path(loc: tuple[Any, ...], data: Any) -> tuple[tuple[Any, ...], str]:
    """Drop from a pydantic error location the parts that are not keys of the user's file.

    Those are the tag a discriminated union inserts (``uniform`` in ``uncertainties.x.uniform.low``) and the
    ``[key]`` marker of errors about dictionary keys. Returns the kept path and its dotted text.
    """
    kept: list[tuple[Any, bool]] = []
    node = data
    for element in loc:
        if isinstance(node, Mapping):
            if element in node:
                kept.append((element, False))
                node = node[element]
                continue
            if element == "[key]" or (isinstance(element, str) and node.get("dist") == element):
                continue
        elif isinstance(node, list) and isinstance(element, int) and 0 <= element < len(node):
            kept.append((element, True))
            node = node[element]
            continue
        elif node is not None and isinstance(element, str):
            continue  # below a scalar: the member of a union of scalars that was tried (``levels[0].bool``)
        kept.append((element, isinstance(element, int)))
        node = None
    return tuple(e for e, _ in kept), _key_text(kept)


def problems_from(exc: ValidationError, data: Any, file_of: str | Callable[[tuple[Any, ...]], str], *,
                  root: type[BaseModel], subtypes: Subtypes | None = None,
                  skip_missing: bool = False) -> list[Problem]:
    """Translate every error of a failed validation into a problem line.

    Args:
        exc: The error of ``root.model_validate(data)``.
        data: The validated input (as read from the file), used to name key paths as the user wrote them.
        file_of: The file the problems name, or a function from a key path to the file that wrote it (a scenario
            chain: a key may come from a parent file).
        root: The model ``data`` was validated with; what a key path accepts is read from it.
        subtypes: Base models whose concrete class depends on the input (see :data:`Subtypes`).
        skip_missing: Leave out required keys that are missing (used when part of the input could not be read, so
            a missing key may be given by the part that is lacking).

    Returns:
        One problem per error: file, key path, offending value and what is allowed.
    """
    subtypes = subtypes or {}
    name_file = file_of if callable(file_of) else (lambda _path: file_of)
    problems = []
    for error in exc.errors():
        kind = error["type"]
        if skip_missing and kind == "missing":
            continue
        path, key = _user_path(tuple(error["loc"]), data)
        ctx = error.get("ctx") or {}
        value = "(missing)" if kind == "missing" else shorten(repr(error.get("input")))
        if "allowed" in ctx:
            allowed = str(ctx["allowed"])
            if "field" in ctx:
                path = (*path, ctx["field"])
                key = f"{key}.{ctx['field']}" if key != WHOLE_FILE else str(ctx["field"])
            if "shown" in ctx:
                value = shorten(str(ctx["shown"]))
        elif kind == "extra_forbidden":
            container = _slot(path, data, root, subtypes).container
            known = list(container.model_fields) if _is_model(container) else []
            hint = closest(path[-1], known)
            allowed = (f"did you mean {hint!r}? " if hint else "") + "known keys: " + ", ".join(known)
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            key = key + ".dist" if key != WHOLE_FILE else "dist"
            value = shorten(repr(ctx.get("tag"))) if kind == "union_tag_invalid" else "(missing)"
            members = _union_members(_slot(path, data, root, subtypes).tp)
            allowed = "one of " + (", ".join(repr(_tag_of(m)) for m in members) or str(ctx.get("expected_tags")))
        elif kind == "literal_error":
            allowed = "one of " + str(ctx.get("expected"))
        else:
            slot = _slot(path, data, root, subtypes)
            allowed = _describe(slot) if slot.tp is not None else str(error["msg"])
            if kind == "finite_number":
                allowed = ("a finite number (not .inf, -.inf or .nan)"
                           + (": " + allowed if allowed != "a number" else ""))
            elif kind == "missing":
                allowed = "required: " + allowed
        problems.append(Problem(name_file(path), key, value, allowed))
    return _merged(problems)


def _merged(problems: list[Problem]) -> list[Problem]:
    """Join the problems of one value (each member of a union that was tried) into one line, in first-seen order."""
    allowed: dict[tuple[str, str, str], list[str]] = {}
    for problem in problems:
        texts = allowed.setdefault((problem.file, problem.key, problem.value), [])
        if problem.allowed not in texts:
            texts.append(problem.allowed)
    merged = []
    for (file, key, value), texts in allowed.items():
        finite = [t for t in texts if t.startswith("a finite number")]  # the member that failed only by inf/nan
        merged.append(Problem(file, key, value, finite[0] if finite else "; or ".join(texts)))
    return merged


def allowed_field(text: str, **kwargs: Any) -> Any:
    """Declare a pydantic field whose problems say ``text`` is what is allowed (instead of its type in words).

    Args:
        text: What the field accepts, in words (e.g. ``a whole number ≥ 1``).
        **kwargs: Passed on to :func:`pydantic.Field`.

    Returns:
        The field.
    """
    extra = {**kwargs.pop("json_schema_extra", {}), "allowed": text}
    return Field(json_schema_extra=extra, **kwargs)


def names_experiment(ref: str) -> bool:
    """Whether ``ref`` is an experiment file: a YAML file whose top-level mapping has a ``scenarios`` key.

    A scenario file can never have that key (its schema refuses it), so the two kinds of file are told apart by their
    content, not their name. A file that cannot be read is not an experiment (the scenario loader reports it).

    Args:
        ref: What the user named: a path or a shipped scenario name.
    """
    path = Path(ref)
    if not path.is_file():
        return False
    document, _ = read_yaml_mapping(path, ref, what="input", keys=[])
    return document is not None and "scenarios" in document
