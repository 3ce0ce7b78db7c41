"""The scoring of bench/convert_check_real.py: a located failure counts when the model executed
its line (or the first line of the statement holding it); the culprit counts when it is an
attention submodule. Real files, no converter."""

from __future__ import annotations

from pathlib import Path

from bench.convert_check_real import score

SOURCE = "class Attention:\n    def forward(self, x):\n        y = f(\n            x)\n        return y\n"


def _outcome(root: Path, line: int, culprit: dict | None = None) -> dict:
    failure = {"path": str(root / "models" / "m.py"), "line": line, "message": "m", "stage": "convert"}
    details = {"culprit": culprit} if culprit else {}
    return {"root": str(root), "result": {"failures": [failure], "details": details, "status": "failed"}}


def test_a_failure_on_an_executed_statement_is_a_hit(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    (root / "models").mkdir(parents=True)
    (root / "models" / "m.py").write_text(SOURCE)
    model = {"status": "lowering", "executed": {"lib/models/m.py": "1-3,5"}}
    assert score(model, _outcome(root, 4))["flagged"]  # line 4 continues the statement of line 3
    assert not score({**model, "executed": {"lib/models/m.py": "1-2"}}, _outcome(root, 4))["flagged"]


def test_the_culprit_counts_when_it_is_attention(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    (root / "models").mkdir(parents=True)
    (root / "models" / "m.py").write_text(SOURCE)
    model = {"status": "wrong_numbers", "executed": {"lib/models/m.py": "1"}}
    attention = {"module": "model.layers.0.self_attn", "class": "LlamaAttention"}
    assert score(model, _outcome(root, 1, attention))["attention"] is True
    assert score(model, _outcome(root, 1, {"module": "model.model", "class": "LlamaModel"}))["attention"] is False
