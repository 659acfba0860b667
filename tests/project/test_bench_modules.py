"""bench/ reads as well as the app: no module of it imports one that imports it back (issue 17)."""

import ast
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _bench_imports(path: Path) -> set[str]:
    """The bench modules a file imports, at the top or inside a function (a lazy import is a cycle as well)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module == "bench":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bench."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith("bench.")}
    return found


def _graph() -> dict[str, set[str]]:
    modules = {path.stem: path for path in BENCH.glob("*.py")}
    return {name: _bench_imports(path) & modules.keys() for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles, done = [], set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycles.append(path[path.index(name) :] + [name])
            return
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    return cycles


def test_the_finder_sees_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_bench_module_imports_one_that_imports_it_back():
    graph = _graph()
    assert {"harness", "lifecycle", "money", "raw", "suite"} <= graph.keys()
    assert graph["money"] >= {"harness"} and "lifecycle" not in graph["money"]
    assert _cycles(graph) == []


def test_the_families_are_apart():
    """The runner knows no benchmark; the two families know each other not at all."""
    graph = _graph()
    assert graph["harness"].isdisjoint({"lifecycle", "money", "raw", "suite"})
    assert "money" not in graph["lifecycle"] and "lifecycle" not in graph["money"]
