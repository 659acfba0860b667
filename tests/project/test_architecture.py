"""Apps point one way: subscriptions/ uses billing/ and workspaces/; those two never write the lifecycle. The back
office (backoffice/) imports the domain apps, and none of them imports it (Oscar's dashboard shape, issue 19); the
shell (works_console/) imports none of our apps; accounts/ knows neither money nor the lifecycle."""

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


OUR_APPS = {"accounts", "billing", "subscriptions", "workspaces", "backoffice"}


def _importing(app: str, forbidden: set[str]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}: {module}"
        for path in _modules(app)
        for module, _names in _imports(path)
        if module.split(".")[0] in forbidden
    ]


@pytest.mark.parametrize(
    ("app", "forbidden"),
    [
        ("works_console", OUR_APPS),
        ("accounts", {"billing", "subscriptions", "backoffice"}),
        ("billing", {"backoffice"}),
        ("workspaces", {"backoffice"}),
        ("subscriptions", {"backoffice"}),
    ],
)
def test_apps_import_only_downwards(app, forbidden):
    assert _importing(app, forbidden) == []


ADMIN_CLASSES = {"ModelAdmin", "AdminSite", "TabularInline", "StackedInline", "AdminConfig"}


def _admin_definitions(path: Path) -> list[str]:
    """The ModelAdmins, inlines, admin sites and admin configs a module defines or registers."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ClassDef):
            bases = {base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "") for base in node.bases}
            if bases & ADMIN_CLASSES:
                found.append(node.name)
        elif isinstance(node, ast.Attribute) and node.attr == "register" and "admin" in ast.unparse(node.value):
            found.append(ast.unparse(node))
    return found


@pytest.mark.parametrize("app", ["accounts", "billing", "subscriptions", "workspaces", "works_console"])
def test_the_operators_pages_live_in_the_back_office(app):
    """No ModelAdmin, admin site or admin registration outside backoffice/: the operators have one room."""
    offenders = [
        f"{path.relative_to(ROOT)}: {definitions}"
        for path in _modules(app)
        if (definitions := _admin_definitions(path))
    ]

    assert offenders == []


def test_the_back_office_uses_the_domain_apps():
    """It calls the same services as the console: the lifecycle preview stays in subscriptions/, the back office
    imports it (a sanity check that the first test above looks at real imports)."""
    assert "subscriptions.preview" in {module for path in _modules("backoffice") for module, _names in _imports(path)}
