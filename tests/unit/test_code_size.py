"""Small modules and short functions (docs/architecture.md, "Layers"): no module of the package
over 300 lines, no function over 60 (from its first decorator to its last line, nested functions
included). A module that grows past the bound holds two things: split it by what it is about.
Generated code (protobuf modules) is left out."""

from __future__ import annotations

import ast
from fnmatch import fnmatch
from pathlib import Path

PACKAGE = Path(__file__).parents[2] / "kafka_graphql"
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60
GENERATED = ("*_pb2*.py",)

# Modules and functions let over the bounds (none): an entry that is no longer over fails below.
ALLOWED_MODULES: set[str] = set()
ALLOWED_FUNCTIONS: set[tuple[str, str]] = set()


def _modules() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if not any(fnmatch(path.name, pattern) for pattern in GENERATED)
    ]


def _long_functions(tree: ast.AST) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - start + 1
            if length > MAX_FUNCTION_LINES:
                found.append((node.name, length))
    return found


def _over() -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    modules: dict[str, int] = {}
    functions: dict[tuple[str, str], int] = {}
    for path in _modules():
        name = path.relative_to(PACKAGE).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            modules[name] = lines
        for function, length in _long_functions(ast.parse(text, filename=str(path))):
            functions[(name, function)] = length
    return modules, functions


def test_no_module_over_300_lines_and_no_function_over_60() -> None:
    modules, functions = _over()
    too_long = [
        f"{name}: {lines} lines" for name, lines in modules.items() if name not in ALLOWED_MODULES
    ]
    too_long += [
        f"{name}: {function}() is {length} lines"
        for (name, function), length in functions.items()
        if (name, function) not in ALLOWED_FUNCTIONS
    ]
    assert not too_long, "split by what the code is about:\n" + "\n".join(too_long)


def test_the_allow_list_names_only_what_is_still_over() -> None:
    modules, functions = _over()
    stale = sorted(ALLOWED_MODULES - set(modules)) + [
        f"{name}: {function}()" for name, function in sorted(ALLOWED_FUNCTIONS - set(functions))
    ]
    assert not stale, "no longer over: remove from the allow-list:\n" + "\n".join(stale)


def test_the_walk_finds_the_package() -> None:
    assert len(_modules()) > 100
