"""Fuzzing the validation entry points: mutated scenario and experiment files end in success or a clean problem list.

Each example starts from a shipped file and mutates it: a key dropped or renamed, a value replaced by a wrong type,
an extreme or non-finite number, random text, a deep nesting or an alias; or the YAML text itself is cut, salted with
random characters or given aliases. Whatever comes out, validation must either accept the file or raise
:class:`UserInputError` with one line per problem (``file: key = value — allowed: ...``), never another exception.
"""

import re
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parkabm.experiments.design.spec import SPEC_DIR, load_spec
from parkabm.scenarios.errors import UserInputError
from parkabm.scenarios.loader import SCENARIO_DIR, load_scenario, validate

LINE = re.compile(r"^\S.*: .+ = .* — allowed: .+$")
"""One problem line: file, key path, value, what is allowed."""

SCENARIOS = sorted(SCENARIO_DIR.glob("*.yaml"))
SPECS = sorted(SPEC_DIR.glob("*.yaml"))
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

numbers = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1, 2**31, 10**9, 1e-6, 1e300, float("inf"), float("-inf"), float("nan")]),
)
texts = st.text(max_size=30)
scalars = st.one_of(numbers, texts, st.booleans(), st.none())
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(texts, inner, max_size=4)), max_leaves=10)


def _paths(node, prefix=()):
    """Every key path of a document (mapping keys and list indices) down to 8 levels (not into deep mutations)."""
    yield prefix
    if len(prefix) >= 8:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


def _deep(depth: int):
    node: object = 1
    for _ in range(depth):
        node = [node]
    return node


@st.composite
def mutated(draw, files):
    """A shipped file's document with one to three mutations, dumped as YAML text (or mangled text)."""
    source = draw(st.sampled_from(files))
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(document) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        action = draw(st.sampled_from(["drop", "rename", "replace", "deep", "add"]))
        if action == "drop":
            del parent[last]
        elif action == "rename" and isinstance(parent, dict):
            parent[str(last) + draw(st.text(min_size=1, max_size=3))] = parent.pop(last)
        elif action == "deep":
            parent[last] = _deep(draw(st.sampled_from([5, 99, 150, 400])))
        elif action == "add" and isinstance(parent, dict):
            parent[draw(texts)] = draw(values)
        else:
            parent[last] = draw(values)
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    mangle = draw(st.sampled_from(["none", "none", "cut", "salt", "alias"]))
    if mangle == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif mangle == "salt":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(min_size=1, max_size=5)) + text[at:]
    elif mangle == "alias":
        text += "bomb0: &b0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"bomb{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 10)}]\n" for i in range(1, draw(st.integers(1, 7))))
    return source.name, text


def _assert_clean(error: UserInputError, name: str) -> None:
    lines = str(error).splitlines()
    assert lines, "a UserInputError without a message"
    for line in lines:
        assert LINE.match(line), line
    assert any(line.startswith(name) or ".yaml" in line.split(":")[0] for line in lines), lines


@FUZZ
@given(mutated(SCENARIOS))
def test_mutated_scenarios_are_accepted_or_reported_cleanly(case):
    name, text = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        problems = validate([path])
        if problems:
            error = UserInputError(problems)
            _assert_clean(error, str(path))
            try:
                load_scenario(path)
            except UserInputError as raised:
                assert str(raised) == str(error)
            else:
                raise AssertionError("validate found problems that load_scenario accepted")


@FUZZ
@given(mutated(SPECS))
def test_mutated_experiments_are_accepted_or_reported_cleanly(case):
    name, text = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            experiment = load_spec(path)
        except UserInputError as error:
            _assert_clean(error, str(path))
        else:
            assert experiment.n_jobs >= 1
