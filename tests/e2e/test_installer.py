"""The installer's failure paths: a machine that cannot install the editors must say why, in one
sentence, and the e2e fixtures turn that into a failure (never a silent skip). Fast: no installs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.install import installer
from tests.e2e.install.installer import InstallError


def test_missing_program_is_named() -> None:
    with pytest.raises(InstallError, match=r"^step: `no-such-program-x` is not installed on this machine$"):
        installer._run("step", ["no-such-program-x", "--version"])


def test_failing_command_quotes_its_output() -> None:
    with pytest.raises(InstallError) as caught:
        installer._run("npm", ["sh", "-c", "echo 'E404 not found: code-server@0.0.0' >&2; exit 3"])
    message = str(caught.value)
    assert message.startswith("npm: `sh -c") and "exited 3" in message and "E404 not found" in message
    assert "\n" not in message  # one sentence, one line


def test_no_apt_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(installer.shutil, "which", lambda name: None)
    with pytest.raises(InstallError, match="this machine has no apt-get"):
        installer.install_apt(installer.Tools(cache=tmp_path))


def test_no_node_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(installer.shutil, "which", lambda name: None)
    with pytest.raises(InstallError, match="node and npm"):
        installer.install(("playwright",), cache=tmp_path)


def test_stamps_skip_work_already_done(tmp_path: Path) -> None:
    calls = []
    stamp = tmp_path / ".installed"
    assert installer._stamped(stamp, "v1", lambda: calls.append(1)) is True
    assert installer._stamped(stamp, "v1", lambda: calls.append(1)) is False
    assert installer._stamped(stamp, "v2", lambda: calls.append(1)) is True
    assert calls == [1, 1]


def test_fixture_failure_is_loud(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.e2e import conftest

    def broken(components, cache=None):
        raise InstallError("apt: `apt-get update` exited 100: Temporary failure resolving")

    monkeypatch.setattr(conftest, "install", broken)
    with pytest.raises(pytest.fail.Exception, match="cannot set up the real-editor tests: apt:"):
        conftest._install("apt")
