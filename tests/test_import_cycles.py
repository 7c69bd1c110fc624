"""No import cycle among bot/handlers/scheduler/storage, type-only imports included."""

from __future__ import annotations

import grimp

from tests.import_cycles import cycles, describe, project_graph


def test_the_project_has_no_import_cycle():
    graph = project_graph()
    found = cycles(graph)
    assert found == [], "\n".join(line for group in found for line in describe(graph, group))


def _package(root, files: dict[str, str]) -> None:
    pkg = root / "cyclepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name, text in files.items():
        (pkg / f"{name}.py").write_text(text)


def test_a_cycle_through_type_checking_and_a_function_import_is_found(tmp_path, monkeypatch):
    _package(
        tmp_path,
        {
            "a": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from cyclepkg.b import B\n",
            "b": "def f():\n    from cyclepkg import c\n",
            "c": "import cyclepkg.a\n",
            "leaf": "import cyclepkg.a\n",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("cyclepkg", exclude_type_checking_imports=False, cache_dir=None)
    assert cycles(graph) == [["cyclepkg.a", "cyclepkg.b", "cyclepkg.c"]]
    assert describe(graph, ["cyclepkg.a", "cyclepkg.b", "cyclepkg.c"]) == [
        "  cyclepkg.a:3 → cyclepkg.b: from cyclepkg.b import B",
        "  cyclepkg.b:2 → cyclepkg.c: from cyclepkg import c",
        "  cyclepkg.c:1 → cyclepkg.a: import cyclepkg.a",
    ]


def test_two_separate_cycles_are_reported_apart(tmp_path, monkeypatch):
    _package(
        tmp_path,
        {
            "a": "import cyclepkg.b\n",
            "b": "import cyclepkg.a\n",
            "x": "import cyclepkg.y\n",
            "y": "import cyclepkg.x\nimport cyclepkg.a\n",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("cyclepkg", cache_dir=None)
    assert cycles(graph) == [["cyclepkg.a", "cyclepkg.b"], ["cyclepkg.x", "cyclepkg.y"]]
