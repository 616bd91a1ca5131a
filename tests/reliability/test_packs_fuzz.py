"""Pack files, fuzzed: whatever a pack file holds, validation gives `file:line:column` problems or a pack, within
bounded time and memory, never an exception; one broken pack never hides the others."""

from __future__ import annotations

import copy
import re
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from interviewer.packs import MAX_NESTING, MAX_PACK_BYTES, Pack, discover_packs, validate_pack_file, validate_pack_text
from tests.conftest import FIXTURES, run_cli

STARTER = (FIXTURES / "packs" / "starter.yaml").read_text(encoding="utf-8")
STARTER_DATA: dict[str, Any] = yaml.safe_load(STARTER)
PATH = Path("fuzzed.yaml")
PROBLEM_LINE = re.compile(r"^.+:\d+:\d+: \S")
SECONDS_PER_FILE = 5.0  # generous for a 2-core CI machine; a normal pack validates in well under 0.1 s


def check(text: str, path: Path = PATH) -> tuple[Pack | None, list[Any]]:
    """Validates `text` and checks the contract: a pack with no errors (warnings allowed), or no pack and located
    errors."""
    started = time.perf_counter()
    pack, problems = validate_pack_text(text, path)
    assert time.perf_counter() - started < SECONDS_PER_FILE
    assert (pack is None) == any(problem.severity == "error" for problem in problems)
    lines = text.count("\n") + 1
    for problem in problems:
        assert PROBLEM_LINE.match(str(problem)), str(problem)
        assert 1 <= problem.line <= lines + 1 and problem.column >= 1
        assert "\n" not in problem.message and len(problem.message) < 400
    return pack, problems


# --- random input -----------------------------------------------------------------------------------------------


@given(st.text(max_size=2000))
def test_random_text(text: str) -> None:
    check(text)


@given(st.binary(max_size=2000))
def test_random_bytes_as_a_file(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("bytes") / "pack.yaml"
    path.write_bytes(data)
    pack, problems = validate_pack_file(path)
    assert pack is None and problems
    assert all(PROBLEM_LINE.match(str(problem)) for problem in problems)


YAML_CHARS = st.sampled_from(list("[]{}:,-?!&*|>'\"#%@` \n\t") + ["  ", "- ", ": ", "&a ", "*a", "!!int ", "---\n"])


@given(st.lists(st.one_of(YAML_CHARS, st.text(max_size=4)), max_size=300).map("".join))
def test_random_yaml_punctuation(text: str) -> None:
    check(text)


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30),
    st.sampled_from(["rag", "1", "concept", "x" * 10_000, "9" * 5000, "2001-13-45", "~", ".inf", "-.nan"]),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=12) | st.integers(), inner, max_size=4), max_leaves=20)


@given(values)
def test_random_yaml_documents(value: Any) -> None:
    check(yaml.safe_dump(value, allow_unicode=True))


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data[:3]):  # the first few items reach every kind of field
            found += _paths(value, (*prefix, index))
    return found


STARTER_PATHS = _paths(STARTER_DATA)[1:]


@given(st.sampled_from(STARTER_PATHS), values)
def test_a_valid_pack_with_one_value_replaced(where: tuple[Any, ...], value: Any) -> None:
    """Wrong types, huge values, empty values anywhere in a real pack: located problems or a valid pack."""
    data = copy.deepcopy(STARTER_DATA)
    target = data
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = value
    pack, problems = check(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    if problems:
        # The problem points into the file, not at its first line, whenever the replaced value is not at the top.
        assert any(problem.line > 1 for problem in problems) or len(where) == 1


@given(st.sampled_from(STARTER_PATHS))
def test_a_valid_pack_with_one_field_removed(where: tuple[Any, ...]) -> None:
    data = copy.deepcopy(STARTER_DATA)
    target = data
    for part in where[:-1]:
        target = target[part]
    del target[where[-1]]
    check(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


# --- hostile shapes -----------------------------------------------------------------------------------------------


@given(st.integers(1, 20_000), st.sampled_from(["[", "{a: ", "- ", "[{x: "]), st.booleans())
def test_deep_nesting(depth: int, opener: str, closed: bool) -> None:
    closer = {"[": "]", "{a: ": "}", "- ": "", "[{x: ": "}]"}[opener]
    if opener == "- ":
        text = "".join("  " * level + "-\n" for level in range(depth))
    else:
        text = opener * depth + "1" + (closer * depth if closed else "")
    pack, problems = check(text)
    assert pack is None
    if depth > MAX_NESTING + 1:
        assert any("levels deep" in problem.message or "too large" in problem.message for problem in problems)


def test_the_reported_bug_five_thousand_brackets() -> None:
    _, problems = check("[" * 5000)
    assert [str(problem) for problem in problems] == [f"fuzzed.yaml:1:{MAX_NESTING + 1}: nested more than "
                                                      f"{MAX_NESTING} levels deep"]


def billion_laughs(levels: int, fan_out: int = 10) -> str:
    lines = ['a0: &a0 "lol"']
    for level in range(1, levels):
        refs = ", ".join(f"*a{level - 1}" for _ in range(fan_out))
        lines.append(f"a{level}: &a{level} [{refs}]")
    lines.append(f"name: *a{levels - 1}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [3, 6, 9, 30])
def test_aliases_that_expand_exponentially_are_refused_in_bounded_memory(levels: int) -> None:
    tracemalloc.start()
    try:
        pack, problems = check(billion_laughs(levels))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert pack is None and peak < 50 * 1024 * 1024
    if levels >= 9:  # 10**6 values and more; 10**5 is within the bound and is simply not a pack
        assert any("aliases expand" in problem.message for problem in problems)


@pytest.mark.parametrize("text", ["a: &x [1, *x]", "a: &x {b: *x}", "- &l\n  - *l\n"])
def test_an_alias_inside_its_own_anchor_is_refused(text: str) -> None:
    _, problems = check(text)
    assert "inside its own anchor" in problems[0].message


def test_aliases_chained_to_exceed_the_nesting_limit_are_refused() -> None:
    lines = ["a0: &a0 " + "[" * 40 + "1" + "]" * 40]
    lines += [f"a{i}: &a{i} " + "[" * 40 + f"*a{i - 1}" + "]" * 40 for i in range(1, 30)]
    _, problems = check("\n".join(lines))
    assert any("levels deep" in problem.message for problem in problems)


def test_small_harmless_aliases_still_load() -> None:
    text = STARTER.replace("- id: llm-basics\n  title: LLM basics and model families",
                           "- id: llm-basics\n  title: &t LLM basics and model families")
    text = text.replace("- id: transformers\n  title: Transformer architecture", "- id: transformers\n  title: *t")
    pack, problems = check(text)
    assert pack is not None, problems


@pytest.mark.parametrize("line", ["  weight: " + "9" * 5000, "  weight: 2001-13-45", "  difficulty: !!int zz",
                                  "  weight: !!float nope", "  difficulty: 1e99999"])
def test_values_the_yaml_constructors_cannot_convert_are_located(line: str) -> None:
    lines = STARTER.splitlines()
    at = next(i for i, text in enumerate(lines) if text.startswith("  difficulty:"))
    lines[at] = line
    _, problems = check("\n".join(lines))
    assert any(problem.line == at + 1 for problem in problems), problems


@pytest.mark.parametrize("text", ["name: \x00", "a: b\n\x07", "a: \ud800", "\ufeffname: x"])
def test_characters_yaml_refuses_are_located(text: str) -> None:
    check(text)


def test_non_utf8_and_huge_files(tmp_path: Path) -> None:
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(STARTER.encode("utf-8") + "title: caf\xe9\n".encode("latin-1"))
    huge = tmp_path / "huge.yaml"
    huge.write_text(STARTER + "# padding\n" * (10 * 1024 * 1024 // 10), encoding="utf-8")
    assert huge.stat().st_size > 10 * 1024 * 1024
    tracemalloc.start()
    try:
        _, latin_problems = validate_pack_file(latin)
        started = time.perf_counter()
        _, huge_problems = validate_pack_file(huge)
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [p.message for p in latin_problems] == ["not a UTF-8 text file"]
    assert "file too large" in huge_problems[0].message and seconds < 1 and peak < 5 * 1024 * 1024
    _, text_problems = check("a: b\n" * (MAX_PACK_BYTES // 5 + 1))
    assert "file too large" in text_problems[0].message


# --- many packs ---------------------------------------------------------------------------------------------------


BROKEN = {
    "deep.yaml": "[" * 5000,
    "laughs.yaml": billion_laughs(12),
    "latin.yaml": b"name: caf\xe9\n",
    "empty.yaml": "",
    "list.yaml": "- just\n- a list\n",
    "syntax.yaml": "name: [unclosed\n",
    "bigint.yaml": STARTER.replace("difficulty: 1", "difficulty: " + "7" * 5000, 1),
}


def _write_packs(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in BROKEN.items():
        target = folder / name
        target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content, encoding="utf-8")
    (folder / "good-one.yaml").write_text(STARTER.replace("name: starter", "name: good-one"), encoding="utf-8")
    (folder / "good-two.yaml").write_text(STARTER.replace("name: starter", "name: good-two"), encoding="utf-8")


def test_broken_packs_never_hide_the_others(tmp_path: Path) -> None:
    builtin, user = tmp_path / "builtin", tmp_path / "user"
    builtin.mkdir()
    (builtin / "starter.yaml").write_text(STARTER, encoding="utf-8")
    _write_packs(user)
    catalog = discover_packs(builtin, user)
    assert sorted(loaded.pack.name for loaded in catalog.packs) == ["good-one", "good-two", "starter"]
    assert len(catalog.skipped) == len(BROKEN)
    for error in catalog.skipped:
        assert all(PROBLEM_LINE.match(str(problem)) for problem in error.problems)


def test_duplicate_names_and_question_ids_across_packs(tmp_path: Path) -> None:
    """Two packs with one name: the later (the user's) replaces the earlier; the same question ids in two packs
    with different names are independent (history keys on pack and question)."""
    builtin, user = tmp_path / "builtin", tmp_path / "user"
    builtin.mkdir()
    user.mkdir()
    (builtin / "starter.yaml").write_text(STARTER, encoding="utf-8")
    (user / "a.yaml").write_text(STARTER.replace("Starter pack (test fixture)", "Mine"), encoding="utf-8")
    (user / "b.yaml").write_text(STARTER.replace("name: starter", "name: copy"), encoding="utf-8")
    catalog = discover_packs(builtin, user)
    titles = {loaded.pack.name: loaded.pack.title for loaded in catalog.packs}
    assert titles == {"starter": "Mine", "copy": STARTER_DATA["title"]}
    assert catalog.get("starter").path.name == "a.yaml" and not catalog.skipped


@given(st.lists(st.sampled_from(sorted(BROKEN) + ["good-one.yaml", "good-two.yaml"]), min_size=1, max_size=6))
def test_any_mix_of_packs_loads_every_good_one(tmp_path_factory: pytest.TempPathFactory, names: list[str]) -> None:
    source = tmp_path_factory.mktemp("source")
    _write_packs(source)
    chosen = tmp_path_factory.mktemp("chosen")
    for name in set(names):
        (chosen / name).write_bytes((source / name).read_bytes())
    catalog = discover_packs(chosen, None)
    good = {name.removesuffix(".yaml") for name in names if name.startswith("good")}
    assert {loaded.pack.name for loaded in catalog.packs} == good
    assert len(catalog.skipped) == len(set(names)) - len(good)


def test_packs_validate_through_the_real_cli(tmp_path: Path) -> None:
    _write_packs(tmp_path)
    result = run_cli("packs", "validate", str(tmp_path), timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Error" not in result.stderr.split("\n")[0]
    problem_lines = [line for line in result.stderr.splitlines() if line.strip()][:-1]
    assert all(PROBLEM_LINE.match(line) for line in problem_lines), result.stderr
    for name in BROKEN:
        assert str(tmp_path / name) in result.stderr
    assert result.stdout.count(": ok (") == 2
    assert result.stderr.splitlines()[-1] == f"{len(BROKEN)} of {len(BROKEN) + 2} pack file(s) have problems"
