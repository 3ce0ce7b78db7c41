"""The background conversion check (`litert.convertCheck`) without converting: converter
findings following edits, the content key, strict validation of the setting, a saved model in
an untrusted workspace (never run; said once in the log), a model that cannot be built (its
lens, hover and status, never a diagnostic), onIdle's quiet period, and the worker's limits.
The converting lane is in test_convert_check_slow.py."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from lsprotocol import types

from litert_lsp.analysis.project_index import imported_project_files
from litert_lsp.core.findings import Finding, Severity
from litert_lsp.core.settings import Settings
from litert_lsp.jobs.client import WorkerClient
from litert_lsp.jobs.job import ExportResult
from litert_lsp.server.features.convert_check import IDLE_SECONDS, STATUS, content_key
from litert_lsp.server.features.follow_edits import follow
from litert_lsp.server.features.not_checked import from_plan_error, from_result
from tests.server.conftest import running_server

MODEL = "import torch\nfrom torch import nn\n\n\nclass Net(nn.Module):\n    def forward(self, x):\n        return x + 1\n"


def _finding(line: int, code: str = "LRT901") -> Finding:
    return Finding(line, 4, line, 20, Severity.ERROR, code, "conversion failed")


def _edit(start: tuple[int, int], end: tuple[int, int], text: str) -> types.TextDocumentContentChangePartial:
    return types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(*start), end=types.Position(*end)), text=text)


def test_a_line_inserted_above_moves_the_finding_down() -> None:
    moved = follow([_finding(5)], [_edit((0, 0), (0, 0), "import os\n")])
    assert [(f.line, f.end_line) for f in moved] == [(6, 6)]


def test_lines_deleted_above_move_it_up_and_edits_below_leave_it() -> None:
    moved = follow([_finding(5)], [_edit((0, 0), (2, 0), "")])
    assert [f.line for f in moved] == [3]
    assert [f.line for f in follow([_finding(5)], [_edit((7, 0), (7, 3), "abc\n\n")])] == [5]


def test_editing_the_finding_line_drops_it_and_other_codes_stay() -> None:
    static = _finding(5, "LRT101")
    kept = follow([_finding(5), static], [_edit((4, 2), (4, 3), "y")])
    assert kept == [static]


def test_a_whole_text_change_drops_converter_findings() -> None:
    whole = types.TextDocumentContentChangeWholeDocument(text="x = 1\n")
    assert follow([_finding(2), _finding(3, "LRT902")], [whole]) == []


def test_changes_apply_in_order() -> None:
    # Insert two lines above, then edit the (moved) line 7: dropped.
    changes = [_edit((0, 0), (0, 0), "a\nb\n"), _edit((6, 0), (6, 1), "z")]
    assert follow([_finding(5)], changes) == []


def test_the_content_key_covers_imported_project_modules(tmp_path: Path) -> None:
    helper = tmp_path / "blocks.py"
    helper.write_text("X = 1\n")
    model = tmp_path / "model.py"
    text = "from blocks import X\n"
    before = content_key(model, text, tmp_path)
    assert content_key(model, text, tmp_path) == before
    helper.write_text("X = 2\n")
    assert content_key(model, text, tmp_path) != before
    assert content_key(model, text + "\n", tmp_path) != content_key(model, text, tmp_path)


def test_the_content_key_follows_imports_through_packages_and_other_files(tmp_path: Path) -> None:
    # app/models/net.py -> .blocks (-> ..common.layers, its package's __init__) and `from . import heads`:
    # an edit in any of them may change what the model builds, so each must change the key.
    files = {
        "app/__init__.py": "",
        "app/common/__init__.py": "",
        "app/common/layers.py": "K = 1\n",
        "app/models/__init__.py": "",
        "app/models/blocks.py": "from ..common.layers import K\n",
        "app/models/heads.py": "H = 1\n",
        "app/models/net.py": "import torch\nfrom .blocks import K\nfrom . import heads\n",
        "unrelated.py": "U = 1\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    model = tmp_path / "app/models/net.py"
    text = model.read_text()
    imported = {p.relative_to(tmp_path.resolve()).as_posix() for p in imported_project_files(model, text)}
    assert imported == {"app/models/blocks.py", "app/models/heads.py", "app/models/__init__.py",
                        "app/common/layers.py", "app/common/__init__.py"}
    for name in ("app/common/layers.py", "app/models/heads.py", "unrelated.py"):
        before = content_key(model, text, tmp_path)
        (tmp_path / name).write_text((tmp_path / name).read_text() + "# edited\n")
        assert (content_key(model, text, tmp_path) != before) == (name != "unrelated.py"), name


def test_the_setting_is_validated_strictly() -> None:
    assert Settings().convert_check == "onSave"
    assert Settings().merged({"convertCheck": "off"})[0].convert_check == "off"
    for bad in ("sometimes", 1, True):
        settings, problems = Settings().merged({"convertCheck": bad})
        assert settings.convert_check == "onSave" and problems and "convert-check" in problems[0]


async def test_an_untrusted_workspace_never_checks_and_says_so_once(tmp_path: Path) -> None:
    source = tmp_path / "net.py"
    source.write_text(MODEL)
    uri = source.as_uri()
    async with running_server(tmp_path, initialization_options={"trusted": False}) as client:
        client.open(uri, MODEL)
        await client.diagnostics_for(uri)
        for _ in range(2):
            client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
        said = await client.until(lambda: [m for m in client.log_messages if "not trusted" in m.message
                                           and "background conversion check" in m.message])
        await asyncio.sleep(1.0)
        assert len([m for m in client.log_messages if "background conversion check" in m.message]) == 1, said
        assert not [d for d in client.diagnostics.get(uri, []) if d.code in ("LRT901", "LRT902")]


# ---- what a model that is not checked says, and where -------------------------------------

NEEDS_CONFIG = ("import torch\nfrom torch import nn\n\n\nclass Net(nn.Module):\n"
                "    def __init__(self, config):\n        super().__init__()\n        self.fc = nn.Linear(config, 2)\n\n"
                "    def forward(self, x):\n        return self.fc(x)\n")
NET_LINE = 4  # 0-based line of `class Net`


def test_a_plan_error_for_missing_arguments_says_which_and_where_they_go() -> None:
    why = from_plan_error("Net", "Net() needs config, which have no defaults: add ...", ["config"], configured=False)
    assert why.sentence == ("LiteRT: not checked in the background — needs constructor argument `config`: set it "
                            "under [tool.litert-lsp.models.Net] in pyproject.toml")
    other = from_plan_error("Net", "the checkpoint ck.pt does not exist. Give another one", ["config"], configured=True)
    assert other.reason == "the checkpoint ck.pt does not exist"


def test_timeouts_crashes_and_memory_are_not_verdicts_and_say_what_to_do() -> None:
    hung = ExportResult(False, "the export took longer than 3 s", "load code", details={"timeout": 3.0},
                        status="timeout")
    assert from_result("Net", hung, 4096, 120.0).reason == "building it took longer than 3 s: raise export.timeout-seconds"
    at_ceiling = ExportResult(False, "too long", "convert", details={"timeout": 120.0}, status="timeout")
    assert "Check conversion" in from_result("Net", at_ceiling, 4096, 120.0).reason
    crashed = ExportResult(False, "the export worker stopped unexpectedly ... ran out of memory", "load code",
                           details={"worker_exit": -6})
    why = from_result("Net", crashed, 4096, 120.0)
    assert why.kind == "crash" and "SIGABRT" in why.reason
    hog = ExportResult(False, "Net() raised MemoryError: ", "load code")
    why = from_result("Net", hog, 4096, 120.0)
    assert why.kind == "memory" and "4096 MB" in why.reason and "convertCheckMemoryMb" in why.reason
    assert from_result("Net", ExportResult(False, "conversion failed", "convert"), 4096, 120.0) is None
    assert from_result("Net", ExportResult(True, "ok"), 4096, 120.0) is None


async def test_the_worker_starts_with_its_memory_cap_priority_and_no_core_files() -> None:
    if not Path("/proc/self/limits").exists():
        pytest.skip("reads /proc")
    client = WorkerClient(memory_mb=1536, niceness=7)
    try:
        await client.start()
        assert client.process is not None
        limits = Path(f"/proc/{client.process.pid}/limits")
        # The shim execs the worker in the same process: wait for the worker's command line.
        for _ in range(100):
            if Path(f"/proc/{client.process.pid}/cmdline").read_bytes().endswith(b"-m\0litert_lsp.worker\0"):
                break
            await asyncio.sleep(0.05)
        rows = {line[:26].strip(): line[26:].split() for line in limits.read_text().splitlines()[1:]}
        assert rows["Max data size"][0] == str(1536 << 20)
        assert rows["Max core file size"][0] == "0"
        assert os.getpriority(os.PRIO_PROCESS, client.process.pid) == os.getpriority(os.PRIO_PROCESS, 0) + 7
    finally:
        await client.close()


class StatusClient:
    """The litert/convertCheckStatus notifications a client received."""

    def __init__(self, client) -> None:
        self.seen: list[dict] = []

        @client.feature(STATUS)
        def on_status(params) -> None:
            self.seen.append(_plain(params))
            client.arrived.set()


def _plain(params) -> dict:
    # pygls hands unknown notifications' params over as attribute objects.
    if isinstance(params, dict):
        return params
    if isinstance(params, list):
        return [_plain(p) for p in params]  # type: ignore[return-value]
    if hasattr(params, "_asdict"):
        return {k: _plain(v) for k, v in params._asdict().items()}
    if hasattr(params, "__dict__"):
        return {k: _plain(v) for k, v in vars(params).items()}
    return params


def _save(client, uri: str) -> None:
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))


async def test_a_model_that_cannot_be_built_says_why_in_a_lens_and_the_hover_never_a_diagnostic(tmp_path: Path) -> None:
    source = tmp_path / "net.py"
    source.write_text(NEEDS_CONFIG)
    uri = source.as_uri()
    async with running_server(tmp_path, initialization_options={"trusted": True}) as client:
        status = StatusClient(client)
        client.open(uri, NEEDS_CONFIG)
        await client.diagnostics_for(uri)
        for count in (1, 2):  # the second from the cache
            _save(client, uri)
            await client.until(lambda count=count: len(status.seen) == count)
        expected = ("LiteRT: not checked in the background — needs constructor argument `config`: set it under "
                    "[tool.litert-lsp.models.Net] in pyproject.toml")
        assert status.seen[0] == status.seen[1] == {"uri": uri, "state": "skipped", "findings": 0,
                                  "models": [{"name": "Net", "status": "not_checked", "message": expected}]}
        lenses = await client.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri)))
        said = [lens for lens in lenses if lens.command and lens.command.title.startswith("LiteRT: not checked")]
        assert [(lens.range.start.line, lens.command.title) for lens in said] == [(NET_LINE, expected)]
        hover = await client.text_document_hover_async(types.HoverParams(
            types.TextDocumentIdentifier(uri), types.Position(line=NET_LINE, character=7)))
        assert hover is not None and expected in hover.contents.value
        elsewhere = await client.text_document_hover_async(types.HoverParams(
            types.TextDocumentIdentifier(uri), types.Position(line=NET_LINE + 1, character=9)))
        assert elsewhere is None or "not checked" not in elsewhere.contents.value
        # Said once in the log, whatever the number of saves; never as a diagnostic or a popup.
        logged = [m for m in client.log_messages if "background check skips Net" in m.message]
        assert len(logged) == 1
        assert not [d for d in client.diagnostics.get(uri, []) if d.code in ("LRT901", "LRT902")]
        assert not [m for m in client.messages if "not checked" in m.message or "config" in m.message]


async def test_on_idle_checks_a_saved_file_left_unedited_and_never_an_edited_one(tmp_path: Path) -> None:
    source = tmp_path / "net.py"
    source.write_text(NEEDS_CONFIG)
    uri = source.as_uri()
    async with running_server(tmp_path, configuration={"litert": {"convertCheck": "onIdle"}},
                              initialization_options={"trusted": True}) as client:
        status = StatusClient(client)
        client.open(uri, NEEDS_CONFIG)
        await client.diagnostics_for(uri)
        saved_at = time.monotonic()
        _save(client, uri)
        await asyncio.sleep(0.5)
        assert status.seen == []  # not at the save: after a quiet period
        await client.until(lambda: status.seen, timeout=10)
        assert time.monotonic() - saved_at >= IDLE_SECONDS
        assert status.seen[-1]["state"] == "skipped"
        # Saved, then edited: the buffer is not the saved file, so no check.
        _save(client, uri)
        client.change(uri, 2, "# draft\n", start=(0, 0), end=(0, 0))
        await asyncio.sleep(IDLE_SECONDS + 1.5)
        assert len(status.seen) == 1
        # The edit undone: the buffer is the saved file again, and it is checked once quiet.
        client.change(uri, 3, "", start=(0, 0), end=(1, 0))
        await client.until(lambda: len(status.seen) == 2, timeout=10)


async def test_the_time_budget_counts_from_the_moved_deadline_not_the_first_one() -> None:
    # The worker's first word about a job moves the deadline (startup budget -> the model's
    # budget); the wait must follow it, not sleep out the startup budget.
    from litert_lsp.jobs.client import _until_deadline

    loop = asyncio.get_running_loop()
    deadline = [loop.time() + 30.0]

    async def job() -> None:
        await asyncio.sleep(0.1)
        deadline[0] = loop.time() + 0.2  # "started": now the model's own 0.2 s
        await asyncio.sleep(60)

    started = loop.time()
    with pytest.raises(asyncio.TimeoutError):
        await _until_deadline(job(), deadline)
    assert loop.time() - started < 5.0

    async def quick() -> str:
        return "answer"

    assert await _until_deadline(quick(), [loop.time() + 1.0]) == "answer"


def test_the_memory_cap_setting_is_read_and_checked(tmp_path: Path) -> None:
    from litert_lsp.core.settings import load_settings
    from litert_lsp.server.features.convert_check import memory_budget_mb

    for text, budget, complaint in (("2048", 2048, False), ("0", None, False), ("-5", 4096, True),
                                    ('"lots"', 4096, True)):
        (tmp_path / "pyproject.toml").write_text(f"[tool.litert-lsp]\nconvert-check-memory-mb = {text}\n")
        settings, problems = load_settings(tmp_path)
        assert memory_budget_mb(settings) == budget, text
        assert any("convert-check-memory-mb" in p for p in problems) == complaint, (text, problems)
