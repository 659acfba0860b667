"""Apps point one way: subscriptions/ uses billing/ and workspaces/; those two never write the lifecycle."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIFECYCLE_WRITERS = {"record_event", "record_events", "record_change", "change_status_many", "LifecycleEvent"}


def _modules(app: str) -> list[Path]:
    return sorted(path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts)


def _imports(path: Path) -> list[tuple[str, set[str]]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, {alias.name for alias in node.names}))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, set()) for alias in node.names)
    return found


def test_billing_imports_nothing_from_subscriptions_but_the_task_name():
    offenders = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in _modules("billing")
        if path.name != "tasks.py"
        for module, _names in _imports(path)
        if module.split(".")[0] == "subscriptions"
    ]

    assert offenders == []


@pytest.mark.parametrize("app", ["billing", "workspaces"])
def test_billing_and_workspaces_never_write_lifecycle_events_or_states(app):
    offenders = [
        f"{path.relative_to(ROOT)}: {sorted(names & LIFECYCLE_WRITERS)}"
        for path in _modules(app)
        for _module, names in _imports(path)
        if names & LIFECYCLE_WRITERS
    ]

    assert offenders == []
