"""How tests/unit/test_private_apis.py finds what the gateway's code uses of third-party classes:
private attributes it reads on other objects, its subclasses of those classes, and what each
subclass shares with its base. Read from the source and the code objects, not from a list kept by
hand."""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import pkgutil
import re
import sys
import textwrap
import tokenize
import types
from collections.abc import Collection
from pathlib import Path

PRIVATE = re.compile(r"_[a-z]\w*")
# getattr(x, "_name"), setattr(...), hasattr(...): a private attribute read by its name.
BY_NAME = re.compile(r"\b(?:get|set|has)attr\([^,()]+,\s*\"(_[a-z]\w*)\"")


# protoc's output (kafka_graphql/grpc/generated/): what it reads of protobuf's and grpcio's own
# parts is theirs to keep in step, regenerated with their version (scripts/grpc-generate.py;
# tests/unit/test_grpc_generated.py proves the committed files are that output).
GENERATED = "generated"


def private_reads(package: types.ModuleType) -> dict[str, str]:
    """Private attribute names the package's code reads or sets on anything but `self` or
    `cls`, each with one place it does."""
    found: dict[str, str] = {}
    for path in sorted(Path(package.__path__[0]).rglob("*.py")):
        if GENERATED in path.parts:
            continue
        source = path.read_text()
        for name in BY_NAME.findall(source):
            found.setdefault(name, str(path))
        lines = io.StringIO(source).readline
        tokens = [
            t for t in tokenize.generate_tokens(lines) if t.type in (tokenize.NAME, tokenize.OP)
        ]
        for owner, dot, name in zip(tokens, tokens[1:], tokens[2:], strict=False):
            private = name.type == tokenize.NAME and PRIVATE.fullmatch(name.string)
            if dot.string == "." and private and owner.string not in ("self", "cls"):
                found.setdefault(name.string, f"{path}:{name.start[0]}")
    return found


def subclasses(package: types.ModuleType, of: Collection[str]) -> dict[str, type]:
    """The package's classes (by name) that derive from a class of the packages `of`."""
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    found = {}
    for name, module in list(sys.modules.items()):
        if name.startswith(package.__name__):
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and value.__module__ == name
                    and any(top_package(base) in of for base in value.__mro__)
                ):
                    found[value.__qualname__] = value
    return found


def names(text: str) -> set[str]:
    """The names in `text`, separated by blanks."""
    return set(text.split())


def top_package(cls: type) -> str:
    return cls.__module__.partition(".")[0]


def names_used_by(cls: type, packages: Collection[str]) -> set[str]:
    """Every attribute name `cls` has or its classes from `packages` declare, and every name
    their code reads or sets (on themselves or anything else)."""
    used = set(dir(cls))
    for klass in (k for k in cls.__mro__ if top_package(k) in packages):
        used.update(vars(klass).get("__annotations__", {}))  # declared, set from elsewhere
        for value in vars(klass).values():
            for function in (value, getattr(value, "fget", None), getattr(value, "__func__", None)):
                code = getattr(function, "__code__", None)
                stack = [code] if isinstance(code, types.CodeType) else []
                while stack:
                    code = stack.pop()
                    used.update(code.co_names)
                    stack.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return used


def defined_by(cls: type) -> set[str]:
    """What `cls` itself defines: its attributes, annotations and what its code sets on `self`
    (`_abc_impl`, `_is_protocol`: what abc and typing put on every such class, left out)."""
    own = {name for name in vars(cls) if not name.startswith("__")}
    own |= set(vars(cls).get("__annotations__", {})) | on_self(cls)[0]
    return own - {"_abc_impl", "_is_protocol"}


def inherited_reads(cls: type) -> set[str]:
    """The attributes the class's own code reads on `self` and does not define (its base's
    state and methods)."""
    return on_self(cls)[1] - defined_by(cls) - set(dir(object))


def on_self(cls: type) -> tuple[set[str], set[str]]:
    """The attributes the class's own code sets on `self`, and those it reads."""
    stored: set[str] = set()
    read: set[str] = set()
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(cls)))):
        if isinstance(node, ast.Attribute) and ast.unparse(node.value) == "self":
            (stored if isinstance(node.ctx, ast.Store) else read).add(node.attr)
    return stored, read
