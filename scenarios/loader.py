"""Read scenario files: find them, resolve ``extends:``, validate, and report every problem in one pass.

A scenario is named either by the name of a shipped file (``baseline`` is ``scenarios/baseline.yaml`` of the
installed package) or by a path to a YAML file. ``extends:`` names the scenario a file is derived from:

- a value with a ``/`` or ending in ``.yaml``/``.yml`` is a path, relative to the extending file;
- a bare name is the file ``<name>.yaml`` next to the extending file if there is one, else the shipped
  scenario of that name (so a copied folder of scenarios keeps working, and a user file can extend a shipped
  scenario).

The parent is read first and the child is merged into it: mappings merge key by key (the child wins), lists
and scalars are replaced. Two mappings are replaced as a whole instead of merged, because mixing two of them
makes no sense: ``description`` (both languages belong together) and each entry of ``uncertainties`` (a
distribution). Every file of a chain needs its own ``name``.

Problems are reported against the file that wrote the offending key, with the path as the user gave it.
"""

from __future__ import annotations

import os
import re
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, Protocol

import annotated_types
import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from parkabm.scenarios.errors import Problem, UserInputError, shorten
from parkabm.scenarios.schema import IDENTIFIER_RULE, Scenario, closest, format_number

if typing.TYPE_CHECKING:
    import pandas as pd

SCENARIO_DIR = Path(__file__).parent
"""Folder of the shipped scenario files (``<name>.yaml``)."""

_SUFFIXES = (".yaml", ".yml")
_FILE = "-"  # key path of problems that concern a whole file


class WorldIds(Protocol):
    """What validation needs from a world: parks and sectors indexed by id (see ``scenarios/world.py``)."""

    @property
    def parks(self) -> pd.DataFrame:
        """Parks indexed by park id."""
        ...

    @property
    def sectors(self) -> pd.DataFrame:
        """Sectors indexed by sector id."""
        ...


# ----------------------------------------------------------------------------------------------------
# YAML reading
# ----------------------------------------------------------------------------------------------------


class _ScenarioYamlLoader(yaml.SafeLoader):
    """Safe YAML loader that rejects duplicate keys and reads ``1e4`` as a number (as YAML 1.2 does)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
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


_ScenarioYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def read_yaml_mapping(path: Path, display: str, *, what: str = "scenario",
                      keys: Iterable[str] | None = None) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Read one YAML file that must hold a mapping; return it, or the problem that prevents reading it.

    Shared by scenario and experiment files: the same safe loader (duplicate keys rejected, ``1e4`` read as a
    number) and the same file-level problems (missing, a directory, unreadable, not UTF-8, malformed YAML with its
    line and column, empty, not a mapping).

    Args:
        path: The file.
        display: How problems name the file (as the user gave it).
        what: The kind of file, for the messages (``scenario``, ``experiment``).
        keys: The top-level keys a valid file may have, for the message when it holds no mapping.

    Returns:
        ``(mapping, [])`` or ``(None, [problem])``.
    """
    keys = list(keys) if keys is not None else list(Scenario.model_fields)

    def fail(value: str, allowed: str) -> tuple[None, list[Problem]]:
        return None, [Problem(display, _FILE, shorten(value), allowed)]

    if path.is_dir():
        return fail("(a directory)", f"a {what} YAML file")
    try:
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
        document = yaml.load(text, Loader=_ScenarioYamlLoader)
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
# Finding files and resolving extends
# ----------------------------------------------------------------------------------------------------


def shipped_names() -> list[str]:
    """Return the names of the shipped scenarios, sorted."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def _looks_like_path(text: str) -> bool:
    return "/" in text or os.sep in text or text.lower().endswith(_SUFFIXES)


def _unknown_scenario_hint(text: str) -> str:
    names = shipped_names()
    hint = closest(text, names)
    return (f"did you mean {hint!r}? " if hint else "") + "a shipped scenario (" + ", ".join(names) + ")"


def _locate(ref: str | Path) -> tuple[str, Path | None, list[Problem]]:
    """Turn a reference given by the user into (display name, file path) or a problem."""
    if isinstance(ref, Path):
        return str(ref), ref, []
    text = str(ref)
    if _looks_like_path(text) or Path(text).is_file():
        return text, Path(text), []
    shipped = SCENARIO_DIR / f"{text}.yaml"
    if shipped.is_file():
        return text, shipped, []
    if Path(text).exists():
        return text, Path(text), []  # reported as "(a directory)" when read
    allowed = _unknown_scenario_hint(text) + " or a path to a YAML file"
    return text, None, [Problem(text, _FILE, "(no such file or shipped scenario)", allowed)]


def _locate_parent(value: str, child: Path, child_display: str) -> tuple[str, Path] | None:
    """Find the file named by a child's ``extends:`` value; None if there is none."""
    if _looks_like_path(value):
        given = Path(value)
        path = given if given.is_absolute() else child.parent / given
        if given.is_absolute():
            display = value
        else:
            display = os.path.normpath(os.path.join(os.path.dirname(child_display), value))
        return (display, path) if path.exists() else None
    sibling = child.parent / f"{value}.yaml"
    if sibling.is_file() and sibling.parent.resolve() != SCENARIO_DIR.resolve():
        return os.path.normpath(os.path.join(os.path.dirname(child_display), f"{value}.yaml")), sibling
    shipped = SCENARIO_DIR / f"{value}.yaml"
    return (value, shipped) if shipped.is_file() else None


def _is_atomic(path: tuple[Any, ...]) -> bool:
    """Whether a mapping at ``path`` replaces the parent's instead of merging into it."""
    return path == ("description",) or (len(path) == 2 and path[0] == "uncertainties")


def _merge(parent: Mapping[str, Any], child: Mapping[str, Any], child_display: str,
           origin: dict[tuple[Any, ...], str], path: tuple[Any, ...] = ()) -> dict[str, Any]:
    """Merge ``child`` into ``parent`` (child wins) and record which file wrote each key in ``origin``."""
    merged = dict(parent)
    for key, value in child.items():
        here = (*path, key)
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping) and not _is_atomic(here):
            origin[here] = child_display
            merged[key] = _merge(merged[key], value, child_display, origin, here)
        else:
            for stale in [p for p in origin if p[: len(here)] == here]:
                del origin[stale]
            origin[here] = child_display
            merged[key] = value
    return merged


class _Chain:
    """The files of one scenario, leaf first, read and merged."""

    def __init__(self, display: str, path: Path) -> None:
        self.leaf = display
        self.problems: list[Problem] = []
        self.origin: dict[tuple[Any, ...], str] = {}
        self.data: dict[str, Any] | None = None
        documents: list[tuple[str, dict[str, Any]]] = []
        visited: list[tuple[Path, str]] = []
        while True:
            document, problems = read_yaml_mapping(path, display)
            if document is None:
                self.problems += problems
                return
            documents.append((display, document))
            visited.append((path.resolve(), display))
            parent = document.get("extends")
            if parent is None:
                break
            if "name" not in document:
                self.problems.append(Problem(
                    display, "name", "(missing)",
                    "required in every scenario file, also one that extends another: " + IDENTIFIER_RULE,
                ))
            if not isinstance(parent, str) or not parent.strip():
                self.problems.append(Problem.of(display, "extends", parent,
                                                "a scenario name or a path to a YAML file (text)"))
                return
            found = _locate_parent(parent, path, display)
            if found is None:
                self.problems.append(Problem.of(
                    display, "extends", parent,
                    _unknown_scenario_hint(parent)
                    + ", a <name>.yaml next to this file, or a path relative to it",
                ))
                return
            parent_display, parent_path = found
            resolved = parent_path.resolve()
            if any(resolved == seen for seen, _ in visited):
                cycle = [d for _, d in visited[[p for p, _ in visited].index(resolved):]] + [parent_display]
                self.problems.append(Problem(
                    display, "extends", shorten(repr(parent) + " (cycle: " + " → ".join(cycle) + ")"),
                    "a parent chain without cycles",
                ))
                return
            display, path = parent_display, parent_path
        merged: dict[str, Any] = {}
        for doc_display, document in reversed(documents):
            merged = _merge(merged, document, doc_display, self.origin)
        self.data = merged

    def file_of(self, key_path: tuple[Any, ...]) -> str:
        """Return the file that wrote ``key_path`` (or its nearest written ancestor); the leaf if none did."""
        for end in range(len(key_path), 0, -1):
            file = self.origin.get(tuple(key_path[:end]))
            if file is not None:
                return file
        return self.leaf


# ----------------------------------------------------------------------------------------------------
# Turning validation errors into problems
# ----------------------------------------------------------------------------------------------------


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


def _choose_member(tp: Any, node: Any) -> Any:
    """For a discriminated union of models, pick the member named by the input's ``dist`` key."""
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


def _slot(path: tuple[Any, ...], data: Any) -> _Slot:
    tp: Any = Scenario
    node = data
    info: FieldInfo | None = None
    optional = False
    constraints: list[Any] = []
    container: Any = None
    for element in path:
        tp = _choose_member(tp, node)
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
    return _Slot(container, info, _choose_member(tp, node), optional, constraints)


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
    """Say in words what a slot accepts: type, range or length, unit, and whether null is allowed."""
    tp = slot.tp
    if typing.get_origin(tp) is Literal:
        text = "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    elif _is_model(tp):
        text = "a mapping with keys " + ", ".join(tp.model_fields)
    elif _union_members(tp):
        text = "a mapping with dist: " + " | ".join(repr(_tag_of(m)) for m in _union_members(tp))
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
    extra = slot.info.json_schema_extra if slot.info is not None else None
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
    return text or _FILE


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
        kept.append((element, False))
        node = None
    return tuple(e for e, _ in kept), _key_text(kept)


def _problems_from(exc: ValidationError, data: Any, file_of: Any) -> list[Problem]:
    """Translate every error of a failed validation into a problem line."""
    problems = []
    for error in exc.errors():
        path, key = _user_path(tuple(error["loc"]), data)
        kind = error["type"]
        ctx = error.get("ctx") or {}
        value = "(missing)" if kind == "missing" else shorten(repr(error.get("input")))
        if "allowed" in ctx:
            allowed = str(ctx["allowed"])
            if "field" in ctx:
                path = (*path, ctx["field"])
                key = f"{key}.{ctx['field']}" if key != _FILE else str(ctx["field"])
            if "shown" in ctx:
                value = shorten(str(ctx["shown"]))
        elif kind == "extra_forbidden":
            container = _slot(path, data).container
            known = list(container.model_fields) if _is_model(container) else []
            hint = closest(path[-1], known)
            allowed = (f"did you mean {hint!r}? " if hint else "") + "known keys: " + ", ".join(known)
        elif kind == "union_tag_invalid":
            key += ".dist"
            value = shorten(repr(ctx.get("tag")))
            allowed = "one of " + str(ctx.get("expected_tags"))
        elif kind == "union_tag_not_found":
            key += ".dist"
            value = "(missing)"
            members = _union_members(_slot(path, data).tp)
            allowed = "one of " + ", ".join(repr(_tag_of(m)) for m in members)
        elif kind == "literal_error":
            allowed = "one of " + str(ctx.get("expected"))
        else:
            slot = _slot(path, data)
            allowed = _describe(slot) if slot.tp is not None else str(error["msg"])
            if kind == "missing":
                allowed = "required: " + allowed
        problems.append(Problem(file_of(path), key, value, allowed))
    return problems


# ----------------------------------------------------------------------------------------------------
# Checks against the world data
# ----------------------------------------------------------------------------------------------------


class _WorldSource:
    """Loads the world at most once, and only when a scenario names parks or sectors."""

    def __init__(self, world: WorldIds | None) -> None:
        self._world = world

    def get(self) -> WorldIds:
        if self._world is None:
            self._world = _load_default_world()
        return self._world


def _load_default_world() -> WorldIds:
    from parkabm.scenarios.world import load_world

    return load_world()


def _world_problems(data: Mapping[str, Any], world: _WorldSource, file_of: Any, leaf: str) -> list[Problem]:
    """Check park ids and sector ids named under ``levers.parks`` against the world data."""
    levers = data.get("levers")
    parks = levers.get("parks") if isinstance(levers, Mapping) else None
    if not isinstance(parks, Mapping) or not parks:
        return []
    try:
        loaded = world.get()
    except UserInputError as exc:
        return exc.problems or [Problem(leaf, "levers.parks", "(world data cannot be read)", str(exc))]
    park_ids = sorted(str(p) for p in loaded.parks.index)
    sector_ids = sorted(str(s) for s in loaded.sectors.index)
    problems = []
    for park, override in parks.items():
        if park not in park_ids:
            hint = closest(park, park_ids)
            problems.append(Problem.of(
                file_of(("levers", "parks", park)), f"levers.parks.{park}", park,
                (f"did you mean {hint!r}? " if hint else "")
                + "a park id of the world: " + ", ".join(park_ids),
            ))
        leading = override.get("leading") if isinstance(override, Mapping) else None
        if not isinstance(leading, list):
            continue
        for i, sector in enumerate(leading):
            if isinstance(sector, str) and sector not in sector_ids:
                hint = closest(sector, sector_ids)
                problems.append(Problem.of(
                    file_of(("levers", "parks", park, "leading")),
                    f"levers.parks.{park}.leading[{i}]",
                    sector,
                    (f"did you mean {hint!r}? " if hint else "") + "a sector id of the world: "
                    + ", ".join(sector_ids),
                ))
    return problems


# ----------------------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------------------


def _dedupe(problems: Iterable[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _resolve(ref: str | Path, world: _WorldSource) -> tuple[Scenario | None, list[Problem]]:
    display, path, problems = _locate(ref)
    if path is None:
        return None, problems
    chain = _Chain(display, path)
    if chain.data is None:
        return None, chain.problems
    problems = list(chain.problems)
    scenario = None
    try:
        scenario = Scenario.model_validate(chain.data)
    except ValidationError as exc:
        problems += _problems_from(exc, chain.data, chain.file_of)
    problems += _world_problems(chain.data, world, chain.file_of, chain.leaf)
    return (None if problems else scenario), _dedupe(problems)


def load_scenario(ref: str | Path, *, world: WorldIds | None = None) -> Scenario:
    """Load, resolve and validate one scenario.

    Args:
        ref: A shipped scenario name (``baseline``) or a path to a YAML file.
        world: World whose park and sector ids overrides may name; the shipped world is read when omitted
            and a scenario names parks.

    Returns:
        The validated scenario, with ``extends`` resolved (the field keeps the parent's name for reference).

    Raises:
        UserInputError: Listing every problem found in the file and its parents.
    """
    scenario, problems = _resolve(ref, _WorldSource(world))
    if problems or scenario is None:
        raise UserInputError(problems)
    return scenario


def validate(refs: Iterable[str | Path], *, world: WorldIds | None = None) -> list[Problem]:
    """Check scenario files and return every problem found in any of them (an empty list when all are valid).

    Args:
        refs: Shipped scenario names or paths to YAML files.
        world: As for :func:`load_scenario`.

    Returns:
        The problems, in file order, each naming file, key path, offending value and what is allowed.
    """
    source = _WorldSource(world)
    problems: list[Problem] = []
    for ref in refs:
        problems += _resolve(ref, source)[1]
    return _dedupe(problems)


def list_scenarios() -> pd.DataFrame:
    """Return the shipped scenarios, one row each, sorted by name.

    Returns:
        Columns ``name``, ``description_en``, ``description_zh``, ``extends`` (None for a root scenario) and
        ``path`` (the installed file).

    Raises:
        UserInputError: A shipped file is invalid (listing every problem).
    """
    import pandas as pd

    rows, problems = [], []
    for name in shipped_names():
        scenario, found = _resolve(name, _WorldSource(None))
        problems += found
        if scenario is not None:
            rows.append({
                "name": scenario.name,
                "description_en": scenario.description.en,
                "description_zh": scenario.description.zh,
                "extends": scenario.extends,
                "path": str(SCENARIO_DIR / f"{name}.yaml"),
            })
    if problems:
        raise UserInputError(problems)
    columns = ["name", "description_en", "description_zh", "extends", "path"]
    return pd.DataFrame(rows, columns=columns).sort_values("name", ignore_index=True)


def apply_changes(scenario: Scenario, changes: Mapping[str, Any], *, source: str = "changes",
                  world: WorldIds | None = None) -> Scenario:
    """Return a copy of a scenario with some values changed, validated like a file.

    Used by experiments that vary levers: ``{"levers.land.redevelopment_mu_per_year": 20000}``.

    Args:
        scenario: The scenario to start from.
        changes: New values by dotted key path from the scenario's top (``levers.…``, ``world.…``,
            ``uncertainties.<name>``).
        source: How problems name the origin of the changes (e.g. the experiment file).
        world: As for :func:`load_scenario`.

    Returns:
        The changed scenario.

    Raises:
        UserInputError: Listing every problem (unknown key, wrong type, out of range, unknown park …).
    """
    data = scenario.model_dump()
    problems: list[Problem] = []
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = data
        for i, part in enumerate(parents):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                problems.append(Problem.of(source, ".".join(parents[: i + 1]), child, "a mapping of keys"))
                break
            node = child
        else:
            node[last] = value
    if problems:
        raise UserInputError(problems)
    try:
        changed = Scenario.model_validate(data)
    except ValidationError as exc:
        problems += _problems_from(exc, data, lambda _path: source)
        changed = None
    touched = {tuple(k.split(".")[:2]) for k in changes}
    if ("levers", "parks") in touched:
        problems += _world_problems(data, _WorldSource(world), lambda _path: source, source)
    if problems or changed is None:
        raise UserInputError(_dedupe(problems))
    return changed
