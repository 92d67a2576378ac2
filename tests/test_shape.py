"""The package's classes each small enough to read at once."""

from __future__ import annotations

import ast
from pathlib import Path

import imgur_dl

MOST_LINES = 155  # a class over this is doing more than one job: part of it belongs in a module of its own


def test_no_class_is_too_long_to_read_at_once() -> None:
    longer = []
    for module in sorted(Path(imgur_dl.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                lines = node.end_lineno - node.lineno + 1
                if lines > MOST_LINES:
                    longer.append(f"{module.name}: {node.name}, {lines} lines")
    assert not longer, longer
