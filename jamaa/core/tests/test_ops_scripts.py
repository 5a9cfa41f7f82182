"""The scripts behind `make demo` and `make test` (scripts/lib.sh), run in bash against fake tools.

No real package is installed and no virtualenv is built: apt-get and Python are stand-ins in a temporary PATH."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[3]
LIB = BASE_DIR / "scripts" / "lib.sh"


def fake(bin_dir: Path, name: str, script: str) -> None:
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(0o755)


def bash(snippet: str, *, cwd: Path, path: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": path, "HOME": str(cwd), "LANG": "C.UTF-8"}
    return subprocess.run(["/bin/bash", "-c", f"set -euo pipefail; . {LIB}; {snippet}"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def bin_dir(tmp_path) -> Path:
    directory = tmp_path / "bin"
    directory.mkdir()
    # Only the basic tools the helpers use, without any python or apt-get of the machine.
    for tool in ("cat", "dirname", "basename", "grep", "ls", "sort", "tail", "id", "rm", "touch", "env", "dpkg",
                 "printf", "sed", "sleep", "uname"):
        found = subprocess.run(["/bin/sh", "-c", f"command -v {tool}"], capture_output=True, text=True,
                               check=False).stdout.strip()
        if found.startswith("/"):
            (directory / tool).symlink_to(found)
    return directory


@pytest.mark.parametrize("script", ["demo.sh", "test.sh", "lib.sh"])
def test_the_scripts_are_valid_bash(script):
    result = subprocess.run(["/bin/bash", "-n", str(BASE_DIR / "scripts" / script)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_the_ci_entry_point_runs_make_test():
    ci = BASE_DIR / ".ci" / "run"
    assert os.access(ci, os.X_OK)
    text = ci.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text and "make test" in text


def test_make_knows_the_documented_targets():
    for target in ("demo", "test", "lint", "messages", "clean-demo"):
        result = subprocess.run(["make", "-n", target], cwd=BASE_DIR, capture_output=True, text=True, check=False)
        assert result.returncode == 0, (target, result.stderr)


def test_make_totp_asks_for_the_account(tmp_path):
    result = subprocess.run(["make", "-s", "totp"], cwd=BASE_DIR, capture_output=True, text=True, check=False,
                            env={**os.environ, "USER": "root"})
    assert result.returncode != 0
    assert "Usage: make totp USER=" in result.stdout


def test_a_python_older_than_3_12_is_refused_with_a_clear_message(tmp_path, bin_dir):
    # A pyenv-like shim that exists but fails, and a python3 that is too old.
    fake(bin_dir, "python3.13", "echo 'pyenv: python3.13: command not found' >&2; exit 127")
    fake(bin_dir, "python3", 'case "$*" in *version_info*) exit 1;; *) echo "Python 3.11.2";; esac')
    result = bash("ensure_venv", cwd=tmp_path, path=str(bin_dir))
    assert result.returncode == 1
    assert "Jamaa needs Python 3.12 or newer" in result.stderr
    assert "Python 3.11.2" in result.stderr
    assert not (tmp_path / ".venv").exists()


def test_the_first_recent_python_is_chosen(tmp_path, bin_dir):
    fake(bin_dir, "python3.13", "exit 127")
    fake(bin_dir, "python3.12", "exit 0")
    fake(bin_dir, "python3", "exit 0")
    result = bash("find_python", cwd=tmp_path, path=str(bin_dir))
    assert result.stdout.strip() == str(bin_dir / "python3.12")


def test_dependencies_are_not_reinstalled_when_the_stamp_is_newer(tmp_path, bin_dir):
    (tmp_path / "requirements").mkdir()
    for name in ("base.txt", "dev.txt"):
        (tmp_path / "requirements" / name).write_text("")
    venv_bin = tmp_path / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    log = tmp_path / "pip.log"
    fake(venv_bin, "python", f'case "$*" in *version_info*) exit 0;; *) echo "$*" >> {log};; esac')
    first = bash("ensure_venv", cwd=tmp_path, path=str(bin_dir))
    assert first.returncode == 0, first.stderr
    assert "-m pip install -q" in log.read_text()
    log.unlink()
    second = bash("ensure_venv", cwd=tmp_path, path=str(bin_dir))
    assert second.returncode == 0
    assert not log.exists()


def test_system_packages_are_installed_only_when_missing_with_one_update(tmp_path, bin_dir):
    log = tmp_path / "apt.log"
    fake(bin_dir, "apt-get", f'echo "$*" >> {log}')
    for tool in ("msgfmt", "chromium", "pdftotext"):
        fake(bin_dir, tool, "exit 0")
    present = bash("ensure_system_packages gettext chromium poppler-utils", cwd=tmp_path, path=str(bin_dir))
    assert present.returncode == 0, present.stderr
    assert not log.exists()

    (bin_dir / "pdftotext").unlink()
    missing = bash("ensure_system_packages gettext chromium poppler-utils jamaa-no-such-package", cwd=tmp_path,
                   path=str(bin_dir))
    if missing.returncode != 0:
        # Not root: the script says what to install instead.
        assert "sudo apt-get update && sudo apt-get install -y poppler-utils jamaa-no-such-package" in missing.stderr
        return
    calls = log.read_text().splitlines()
    assert calls == ["update -qq", "install -y -qq --no-install-recommends poppler-utils jamaa-no-such-package"]
