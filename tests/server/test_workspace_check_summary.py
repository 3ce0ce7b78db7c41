"""`litert.checkWorkspace` tells the user what it found: a percentage and a file count while it
runs, one summary sentence at the end (as window/showMessage, unless the client shows it
itself), and the same sentence and counts in its result. A real server over stdio."""

from __future__ import annotations

import re

from litert_lsp.server.features.workspace_check import summary_sentence
from tests.server.conftest import MODEL, running_server

FILES = {
    "models/net.py": MODEL,
    "models/also.py": MODEL,
    "models/clean.py": "import torch\n\nx = torch.zeros(3)\n",
    "broken.py": "def f(:\n",
}


async def test_progress_counts_files_and_the_summary_is_one_sentence(project):
    folder = project(FILES)
    async with running_server(folder) as client:
        summary = await client.command("litert.checkWorkspace")
        assert summary["files"] == 4, summary
        assert summary["files_with_findings"] == 3, summary  # both models and the syntax error
        assert summary["errors"] >= 3, summary
        assert summary["errors"] + summary["warnings"] <= summary["findings"]
        expected = re.compile(r"^Checked 4 files: \d+ errors?(, \d+ warnings?)?(, \d+ notes?)? in 3 files$")
        assert expected.match(summary["message"]), summary["message"]

        reports = [r for token, rs in client.progress_reports.items() if str(token).startswith("litert-check")
                   for r in rs]
        middle = [r for r in reports if r.kind == "report" and r.percentage]
        assert [r.percentage for r in middle] == sorted(r.percentage for r in middle)
        assert middle[-1].percentage == 100 and "4/4 files" in middle[-1].message, middle[-1]
        assert reports[-1].kind == "end" and reports[-1].message == summary["message"]

        def shown():
            return [m for m in client.messages if m.message == summary["message"]]

        assert len(await client.until(shown)) == 1


async def test_a_client_that_shows_the_summary_itself_gets_no_message(project):
    folder = project({"models/net.py": MODEL})
    async with running_server(folder) as client:
        summary = await client.command("litert.checkWorkspace", {"showSummary": False})
        assert summary["message"].startswith("Checked 1 file: "), summary["message"]
        # A second check gives the server time to have sent a message, had it meant to.
        await client.command("litert.checkWorkspace", {"showSummary": False})
        assert not [m for m in client.messages if m.message.startswith("Checked")], client.messages


def test_summary_sentences() -> None:
    base = {"files": 214, "findings": 10, "errors": 3, "warnings": 5, "files_with_findings": 4, "skipped": [],
            "cancelled": False}
    assert summary_sentence(base, 214) == "Checked 214 files: 3 errors, 5 warnings, 2 notes in 4 files"
    clean = {**base, "findings": 0, "errors": 0, "warnings": 0, "files_with_findings": 0, "files": 1}
    assert summary_sentence(clean, 1) == "Checked 1 file: no findings"
    cancelled = {**base, "files": 20, "findings": 1, "errors": 1, "warnings": 0, "files_with_findings": 1,
                 "cancelled": True, "skipped": [{"path": "x.py", "reason": "not UTF-8"}]}
    assert summary_sentence(cancelled, 214) == ("Cancelled after 20 files of 214: 1 error in 1 file "
                                                "(1 file could not be read)")
    assert summary_sentence({**base, "error": "disk gone"}, 0).endswith("disk gone")
