"""The server's pure helpers, tested without a client (fast and KB-independent)."""

from __future__ import annotations

import pytest
from lsprotocol import types

from litert_lsp.core.findings import Finding, Severity
from litert_lsp.core.text import (
    apply_change,
    column_from_client,
    column_to_client,
    split_lines,
)
from litert_lsp.server import create_server
from litert_lsp.server.features.code_actions import (
    render_rewrite,
    suppression_edit,
    suppression_line,
)
from litert_lsp.server.features.diagnostics import to_diagnostic
from litert_lsp.server.features.hover import imports_of, name_at, resolve


def test_protocol_line_rules_and_encodings():
    text = "a\r\nb😀c\rd\u2028e\x0cf\n"
    assert split_lines(text) == ["a", "b😀c", "d\u2028e\x0cf", ""]
    assert column_to_client("b😀c", 2, "utf-16") == 3
    assert column_to_client("b😀c", 2, "utf-8") == 5
    assert column_to_client("b😀c", 2, "utf-32") == 2
    assert column_from_client("b😀c", 3, "utf-16") == 2
    assert column_from_client("b😀c", 99, "utf-16") == 3
    # Replace "c" (UTF-16 column 3..4 of line 1) and join lines across a \r\n.
    assert apply_change(text, (1, 3), (1, 4), "C", "utf-16") == "a\r\nb😀C\rd\u2028e\x0cf\n"
    assert apply_change(text, (0, 1), (1, 0), "", "utf-16") == "ab😀c\rd\u2028e\x0cf\n"
    assert apply_change(text, (9, 0), (9, 0), "z", "utf-16") == text + "z"  # clamped to the end


def test_diagnostic_ranges_are_clamped_and_converted():
    lines = ["x = 'é' + y.item()", ""]
    finding = Finding(1, 10, 1, 18, Severity.ERROR, "LRT202", "m", op="torch.Tensor.item")
    diagnostic = to_diagnostic(finding, lines, "utf-8")
    assert (diagnostic.range.start.character, diagnostic.range.end.character) == (11, 19)
    assert diagnostic.data == {"op": "torch.Tensor.item"}
    beyond = to_diagnostic(Finding(9, 40, 12, 3, Severity.WARNING, "LRT105", "m"), lines, "utf-16")
    assert beyond.range.start.line == beyond.range.end.line == 1
    assert beyond.severity == types.DiagnosticSeverity.Warning


def test_suppression_comment_added_merged_or_skipped():
    lines = ["y = x.item()", "y = x.item()  # litert: ignore[LRT201]", "y = x.item()  # litert: ignore",
             "y = x + \\", "s = '# litert: ignore[LRT1]'; y = x.item()"]
    assert suppression_edit(lines, 0, "LRT202") == (12, 12, "  # litert: ignore[LRT202]")
    start, end, merged = suppression_edit(lines, 1, "LRT202")
    assert lines[1][:start] + merged + lines[1][end:] == "y = x.item()  # litert: ignore[LRT201, LRT202]"
    assert suppression_edit(lines, 2, "LRT202") is None
    assert suppression_edit(lines, 3, "LRT202") is None
    assert suppression_edit(lines, 4, "LRT202")[2] == "  # litert: ignore[LRT202]"  # the first one is a string
    multi = Finding(4, 0, 5, 3, Severity.ERROR, "LRT202", "m")
    assert suppression_line(lines, multi) == 4  # line 4 continues with a backslash: use the last line


def test_rewrite_templates_fill_operands_and_module_aliases():
    imports = imports_of("import torch as th\nimport torch.nn.functional as fn\n")
    template = "x - y * torch.floor(x / y)"
    assert render_rewrite(template, "th.remainder(a + 1, b)", method=False, params=None,
                          imports=imports) == "(a + 1) - b * th.floor((a + 1) / b)"
    assert render_rewrite(template, "a.remainder(-2)", method=True, params=None,
                          imports=imports) == "a - (-2) * th.floor(a / (-2))"
    assert render_rewrite(template, "th.remainder(other=b, input=a)", method=False,
                          params=["input", "other"], imports=imports) == "a - b * th.floor(a / b)"
    assert render_rewrite("F.relu(x)", "th.relu(a)", method=False, params=None, imports=imports) == "fn.relu(a)"
    # Arguments the template does not use (a hard-coded dim), unknown keywords, **kwargs, no torch import.
    assert render_rewrite("torch.cumsum(x, 1)", "th.cumsum(a, 2)", method=False, params=None,
                          imports=imports) is None
    assert render_rewrite(template, "th.remainder(a, other=b)", method=False, params=None,
                          imports=imports) is None
    assert render_rewrite(template, "th.remainder(*ab)", method=False, params=None, imports=imports) is None
    assert render_rewrite(template, "remainder(a, b)", method=False, params=None,
                          imports=imports_of("x = 1\n")) is None


def test_name_under_the_cursor_and_its_knowledge_base_names():
    line = "        y = F . grid_sample(x, g) + th.linalg.svd(z)"
    assert name_at(line, line.index("grid") + 2)[0] == "F.grid_sample"
    assert name_at(line, line.index("linalg") + 1)[0] == "th.linalg"
    assert name_at(line, line.index("(")) is not None
    assert name_at("    ", 2) is None
    imports = imports_of("import torch as th\nimport torch.nn.functional as F\ndef f(:\n")  # does not parse
    assert resolve("F.grid_sample", imports)[0] == "torch.nn.functional.grid_sample"
    assert resolve("x.unique", imports) == ["torch.Tensor.unique"]
    assert resolve("tf.linalg.svd", imports_of("import tensorflow as tf\n")) == ["tf.linalg.svd"]


def test_features_are_registered_and_found_by_role():
    from litert_lsp.server.app import DiagnosticsProvider, Feature, SettingsProvider
    from litert_lsp.server.features import FEATURES
    from litert_lsp.server.features.export import ExportFeature

    server = create_server()
    assert [type(f) for f in server.features()] == list(FEATURES)
    assert isinstance(server.get_feature(SettingsProvider), SettingsProvider)
    assert isinstance(server.get_feature(DiagnosticsProvider), DiagnosticsProvider)
    assert isinstance(server.get_feature(ExportFeature), ExportFeature)
    assert server.extra_findings() == {}
    for hook in ("settings_for", "workspace_root_for", "republish", "analysis_for", "document_text",
                 "show_error", "refresh_code_lenses"):
        assert callable(getattr(server, hook))

    class Recording(Feature):
        def __init__(self, server):
            super().__init__(server)
            self.seen = []

        def lenses(self, uri):
            self.seen.append(uri)
            return []

        def idle(self):
            raise RuntimeError("a broken hook")

    recording = server.add_feature(Recording(server))
    with pytest.raises(ValueError):
        server.add_feature(Recording(server))  # one feature of each kind
    handler = server.protocol.fm.features[types.TEXT_DOCUMENT_CODE_LENS]
    # Not initialized: no open documents, so no feature is asked for lenses.
    assert handler(types.CodeLensParams(types.TextDocumentIdentifier("file:///x.py"))) is None
    assert recording.seen == []
    server.on_input_idle()  # a raising hook is logged; the other features' hooks still run

def test_a_crashing_command_becomes_one_sentence_and_a_log_with_the_traceback():
    import asyncio
    import logging

    from litert_lsp.server import errors

    class Recorder(logging.Handler):
        def __init__(self):
            super().__init__()
            self.records = []

        def emit(self, record):
            self.records.append(record.getMessage())

    class Host:  # what the error layer needs of a server: its log and show_error
        def __init__(self):
            self.log = logging.getLogger("test-errors")
            self.log.addHandler(recorder)
            self.shown = []

        def show_error(self, message):
            self.shown.append(message)

    recorder = Recorder()
    host = Host()

    @errors.user_command(host, "litert.demo")
    async def crashes(*arguments):
        raise KeyError("model")

    @errors.user_command(host, "litert.sync")
    def works(*arguments):
        return {"ok": True}

    answer = asyncio.run(crashes())
    assert answer["ok"] is False and "litert.demo failed" in answer["message"]
    assert host.shown == [answer["message"]]
    assert any("Traceback" in r and "KeyError" in r for r in recorder.records)
    assert works() == {"ok": True} and len(host.shown) == 1
    assert errors.guarded(host, "a hook", lambda: 1 / 0) is None
    assert any("ZeroDivisionError" in r for r in recorder.records)
