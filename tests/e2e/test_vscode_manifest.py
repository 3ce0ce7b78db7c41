"""The extension's manifest against the server's settings: every Settings field is contributed
as a `litert.*` VS Code setting with a description, and the commands that run user code are
disabled in untrusted workspaces. Fast: reads files only."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from litert_lsp.core.settings import ExportSettings, Settings

MANIFEST = Path(__file__).resolve().parents[2] / "vscode-client" / "package.json"
USER_CODE_COMMANDS = {"litert.export", "litert.checkConversion"}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _manifest() -> dict:
    return json.loads(MANIFEST.read_text())


def test_every_server_setting_is_contributed_with_a_description() -> None:
    properties = _manifest()["contributes"]["configuration"]["properties"]
    expected = {f"litert.{_camel(f.name)}" for f in dataclasses.fields(Settings)
                if f.name != "export" and not f.metadata.get("provenance")}
    expected |= {f"litert.export.{_camel(f.name)}" for f in dataclasses.fields(ExportSettings)}
    assert expected <= set(properties), sorted(expected - set(properties))
    for key in expected:
        text = properties[key].get("markdownDescription") or properties[key].get("description")
        assert text and len(text) > 20, key


def test_defaults_match_the_server() -> None:
    properties = _manifest()["contributes"]["configuration"]["properties"]
    export = ExportSettings()
    for field in dataclasses.fields(ExportSettings):
        default = properties[f"litert.export.{_camel(field.name)}"]["default"]
        value = getattr(export, field.name)
        assert default == (value if value is not None else "none"), field.name
    assert properties["litert.gpuCompatibility"]["default"] is Settings().gpu_compatibility


def test_commands_and_workspace_trust() -> None:
    manifest = _manifest()
    commands = {c["command"]: c for c in manifest["contributes"]["commands"]}
    assert set(commands) >= {"litert.export", "litert.checkConversion", "litert.checkWorkspace",
                             "litert.restartServer", "litert.showOutput"}
    trust = manifest["capabilities"]["untrustedWorkspaces"]
    assert trust["supported"] == "limited"
    assert "litert.python" in trust["restrictedConfigurations"]
    for command in USER_CODE_COMMANDS:
        assert commands[command].get("enablement") == "isWorkspaceTrusted", command
    palette = {m["command"]: m["when"] for m in manifest["contributes"]["menus"]["commandPalette"]}
    assert all("isWorkspaceTrusted" in palette[c] for c in USER_CODE_COMMANDS)


def test_engine_and_activation() -> None:
    manifest = _manifest()
    assert manifest["engines"]["vscode"] == "^1.100.0"
    assert "onLanguage:python" in manifest["activationEvents"]
    lock = json.loads((MANIFEST.parent / "package-lock.json").read_text())
    # `npm ci` must need nothing but the npm registry.
    for name, entry in lock["packages"].items():
        if "resolved" in entry:
            assert entry["resolved"].startswith("https://registry.npmjs.org/"), name


def test_the_severity_setting_names_exactly_the_real_statuses():
    from litert_lsp.core.codes import CODES
    from litert_lsp.core.settings import STATUSES

    manifest = json.loads(MANIFEST.read_text())
    configuration = manifest["contributes"]["configuration"]
    properties = (configuration if isinstance(configuration, dict) else configuration[0])["properties"]
    description = properties["litert.severity"]["markdownDescription"]
    named = set(re.findall(r"`([a-z_]+|LRT\d+)`", description)) - {"off"}
    assert named >= STATUSES, sorted(STATUSES - named)
    assert named <= STATUSES | set(CODES), sorted(named - STATUSES - set(CODES))


def test_the_interpreter_setting_shows_in_every_settings_tab() -> None:
    # In a remote window the Settings editor's User tab lists only application, window,
    # resource and language-overridable settings (VS Code's settingsTreeModels.ts): a
    # `machine-overridable` litert.python was "No Settings Found" there. `resource` shows in
    # User, Remote, Workspace and Folder, and lets the interpreter chooser write it per folder.
    manifest = _manifest()
    python = manifest["contributes"]["configuration"]["properties"]["litert.python"]
    assert python["scope"] == "resource", python
    commands = {c["command"] for c in manifest["contributes"]["commands"]}
    assert "litert.chooseInterpreter" in commands
