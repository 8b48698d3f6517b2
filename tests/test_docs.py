"""README cannot drift: generated parts are current, settings documented, examples real."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from searchsvc.config import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_generated_readme_parts_are_current():
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "README.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, "README is stale: run `cog -r README.md`\n" + result.stderr


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented(setting):
    assert f"`{setting.envvar}`" in README


def test_readme_error_example_is_what_the_api_says(live):
    documented = re.search(
        r"curl 'http://127.0.0.1:8000/api/search\?q=a\*'\n```\n\n```json\n(.*?)\n```", README, re.S
    )
    status, body = live.get_json("/api/search?q=a*")
    assert json.loads(documented.group(1)) == body and status == 400


def test_quick_start_has_two_commands_and_ci_runs_the_test_one():
    block = re.search(r"## Quick start.*?```sh\n(.*?)```", README, re.S).group(1)
    commands = [line for line in block.splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2
    assert commands[1] in (ROOT / ".ci/run").read_text()


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (ROOT / ".venv/bin/ruff").exists(),
    reason="ruff is not installed (pip install -e '.[test]')",
)
def test_code_is_lint_clean_and_formatted():
    ruff = shutil.which("ruff") or str(ROOT / ".venv/bin/ruff")
    for args in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run([ruff, *args], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
