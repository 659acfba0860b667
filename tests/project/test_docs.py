"""The README and docs stand alone for whoever clones the repository (issue 19): every link they make is a file of
the repository, and the README gives the demo logins before anything else."""

import re
from pathlib import Path

import pytest

from subscriptions.demo import DEMO_EMAIL, DEMO_PASSWORD, OPERATOR_EMAIL, WORKS_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted([ROOT / "README.md", ROOT / "bench" / "README.md", *(ROOT / "docs").glob("*.md")])
# [text](target): the target up to a space, a `#` or the closing parenthesis.
LINK = re.compile(r"\]\(([^)\s#]+)[^)]*\)")


def _local_links(document: Path) -> list[str]:
    return [target for target in LINK.findall(document.read_text()) if "://" not in target]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_link_of_the_docs_is_a_file_of_the_repository(document):
    targets = [(document.parent / target).resolve() for target in _local_links(document)]

    outside = [str(target) for target in targets if not target.is_relative_to(ROOT)]
    missing = [str(target) for target in targets if not target.exists()]
    assert outside == []
    assert missing == []


def test_the_readme_names_the_product_rules_in_the_repository_and_no_working_material_outside_it():
    readme = (ROOT / "README.md").read_text()

    assert "(docs/product.md)" in readme
    assert "shared/" not in readme
    assert "SPEC.md" not in readme


def test_the_readme_gives_the_demo_logins_before_any_other_section():
    readme = (ROOT / "README.md").read_text()
    first_section = readme.split("\n## ")[1]

    assert first_section.startswith("Try it")
    for login in (DEMO_EMAIL, OPERATOR_EMAIL, DEMO_PASSWORD, WORKS_PASSWORD):
        assert login in first_section
    assert "scan the QR code with an authenticator app" in first_section
