"""The project stands alone: its code and docs never send a reader outside the repository (to a
design file kept elsewhere); what they need of the design is in docs/design.md."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = re.compile(r"DESIGN\.md|\.\./shared|shared/DESIGN")


def tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / n for n in names if n.endswith((".py", ".md", ".txt", ".toml", ".yml", ".html"))]


def test_nothing_points_outside_the_repository():
    files = tracked_text_files()
    assert len(files) > 50
    offenders = [
        str(path.relative_to(ROOT))
        for path in files
        if path.name != Path(__file__).name and OUTSIDE.search(path.read_text(errors="ignore"))
    ]
    assert offenders == []


def test_the_design_and_architecture_pages_exist_and_link_only_inside():
    for page in ("design.md", "architecture.md"):
        text = (ROOT / "docs" / page).read_text()
        for target in re.findall(r"\]\(([^)#]+)\)", text):
            assert not target.startswith("http"), target
            assert (ROOT / "docs" / target).exists() or (ROOT / target).exists(), target
