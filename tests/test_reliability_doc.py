"""The reliability catalogue cannot rot: every test id it cites exists (pytest collect-only)."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT

TEST_ID = re.compile(r"`(tests/[\w/]+\.py::[^`\s]+)`")


def catalogue_ids() -> dict[str, list[str]]:
    """Test ids cited by each ``docs/reliability*.md`` file."""
    return {
        path.name: TEST_ID.findall(path.read_text())
        for path in sorted((ROOT / "docs").glob("reliability*.md"))
    }


def collected(files: set[str]) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {line.strip() for line in done.stdout.splitlines() if "::" in line}


def test_every_cited_test_exists():
    cited = catalogue_ids()
    assert cited.get("reliability.md"), "docs/reliability.md cites no test"
    ids = {i for ids in cited.values() for i in ids}
    have = collected({i.split("::")[0] for i in ids})
    missing = [
        f"{doc}: {i}"
        for doc, doc_ids in cited.items()
        for i in doc_ids
        if i not in have and not any(h.startswith(i + "[") for h in have)
    ]
    assert not missing, missing


def test_each_section_has_rows_and_the_readme_links_the_catalogue():
    text = (ROOT / "docs/reliability.md").read_text()
    for section in ("## Bad input", "## Security"):
        body = text.split(section, 1)[1].split("\n## ", 1)[0]
        rows = [line for line in body.splitlines() if line.startswith("| ") and "`tests/" in line]
        assert len(rows) >= 10, f"{section} has {len(rows)} rows"
    assert "(docs/reliability.md)" in (ROOT / "README.md").read_text()
