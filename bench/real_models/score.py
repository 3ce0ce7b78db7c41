"""Score the analyzer against the measured truth of real models, per model.

    python -m bench.real_models.score [--framework torch|keras] [--json] [--docs] [--write]

For each model of `data/<framework>_truth.json`, every library file it executed is analyzed
with `litert_lsp.analysis.analyze` (the same code the CLI and the server run) and its findings
are kept when their statement was executed by that model:

- PyTorch: findings of severity error with a PyTorch code (LRT1xx, LRT2xx);
- Keras/TF: findings of severity error or warning with a TF code (LRT3xx).

A model is *flagged* when at least one finding is kept. A failing model (any status but ok
and build_error) that is flagged is a hit, one that is not is a miss; a converting model
that is flagged is a false alarm. A hit *names the construct* when one of its kept findings
is about the construct the converter reported (see `_names_construct`), or, when the truth
has no op name, points at where the failure is: for a wrong-numbers model, a line that the
submodule the mismatch starts in (the culprit finder's answer) executed in its own forward;
for an error without an op name, the library statement the error was raised from
(`_named_by`). Findings on lines
no model executed are neither; they are counted apart.

`--write` stores the per-model verdicts in `data/<framework>_scores.json`, the scoreboard the
CI test compares with (a model may only move the right way); `--docs` regenerates the
compatibility table in `docs/real-models.md`.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from bench.real_models.line_sets import decode as parse_ranges
from bench.real_models.torchvision_shim import BENCH_LIBS
from litert_lsp import kb
from litert_lsp.analysis import Finding, Severity, analyze
from litert_lsp.core.atomic import write_text_atomically

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
REPO = HERE.parents[1]
DOCS_PAGE = REPO / "docs" / "real-models.md"
FRAMEWORKS = ("torch", "keras")
NOT_SCORED = frozenset({"build_error"})
KB_FRAMEWORK = {"torch": "torch", "keras": "tensorflow"}


# ---- truth -------------------------------------------------------------------------------------


def load_truth(framework: str) -> dict[str, Any]:
    path = DATA / f"{framework}_truth.json"
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def library_roots() -> list[Path]:
    """Where the measured libraries' files are looked up (truth paths are relative to it)."""
    # The repository too: the user-style models of bench/real_models/keras_user.
    roots = [Path(sysconfig.get_paths()["purelib"]), Path(sysconfig.get_paths()["platlib"]), BENCH_LIBS, REPO]
    roots += [Path(p) for p in sys.path if p and Path(p).is_dir()]
    return list(dict.fromkeys(r.resolve() for r in roots if r.is_dir()))


def locate(relative: str) -> Path | None:
    for root in library_roots():
        candidate = root / relative
        if candidate.is_file():
            return candidate
    return None


# ---- the analyzer's side -----------------------------------------------------------------------


@dataclass(frozen=True)
class FileFindings:
    path: str
    findings: tuple[Finding, ...]
    statement_of: dict[int, int]  # line -> first line of the innermost statement holding it


@cache
def file_findings(relative: str) -> FileFindings | None:
    path = locate(relative)
    if path is None:
        return None
    source = path.read_text(encoding="utf-8", errors="replace")
    return FileFindings(relative, tuple(analyze(source, path=str(path))), _statement_lines(source))


def _statement_lines(source: str) -> dict[int, int]:
    """Map each line to the first line of the innermost statement that spans it.

    Coverage records a multi-line statement by its first line; a finding may sit on any of
    its lines. Outer statements are visited first, so inner ones overwrite them."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    owner: dict[int, int] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt):
            continue
        # A compound statement owns only its header; its body's statements own their lines.
        end = node.end_lineno or node.lineno
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            end = body[0].lineno - 1
            decorators = getattr(node, "decorator_list", None) or []
            start = min([node.lineno] + [d.lineno for d in decorators])
        else:
            start = node.lineno
        for line in range(start, max(start, end) + 1):
            owner[line] = node.lineno
    # ast.walk is breadth-first: deeper statements come later and overwrite their parents'.
    return owner


def counts(finding: Finding, framework: str) -> bool:
    """Whether a finding is one this framework's score counts."""
    number = finding.code[3:]
    if not number.isdigit():
        return False
    if framework == "torch":
        return number[0] in "12" and finding.severity == Severity.ERROR
    return number[0] == "3" and finding.severity in (Severity.ERROR, Severity.WARNING)


# ---- scoring -----------------------------------------------------------------------------------


@dataclass
class ModelScore:
    id: str
    library: str
    status: str
    error: str | None
    construct: str | None
    findings: list[dict[str, Any]] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    # Where the failure is, when the truth has no op to name: the lines the culprit submodule of
    # a wrong-numbers model executed, or the library lines an error was raised from.
    culprit_lines: dict[str, set[int]] = field(default_factory=dict)
    failing_at: dict[str, set[int]] = field(default_factory=dict)
    culprit: dict[str, Any] | None = None  # the truth's culprit record (name, class, file, ...)

    @property
    def scored(self) -> bool:
        return self.status not in NOT_SCORED

    @property
    def failing(self) -> bool:
        return self.scored and self.status != "ok"

    @property
    def flagged(self) -> bool:
        return bool(self.findings)

    @property
    def names_construct(self) -> bool:
        return any(f["names_construct"] for f in self.findings)

    @property
    def verdict(self) -> str:
        if not self.scored:
            return "not scored"
        if self.failing:
            return "hit" if self.flagged else "miss"
        return "false alarm" if self.flagged else "quiet"


def score_model(model: dict[str, Any], framework: str) -> ModelScore:
    result = ModelScore(model["id"], model.get("library", ""), model["status"], model.get("error"),
                        model.get("construct"))
    culprit = model.get("culprit") or {}
    result.culprit = culprit or None
    result.culprit_lines = {p: parse_ranges(r) for p, r in (culprit.get("executed") or {}).items()}
    result.failing_at = {p: parse_ranges(r) for p, r in (model.get("failing_at") or {}).items()}
    for relative, ranges in sorted((model.get("executed") or {}).items()):
        analyzed = file_findings(relative)
        if analyzed is None:
            result.missing_files.append(relative)
            continue
        executed = parse_ranges(ranges)
        for finding in analyzed.findings:
            if not counts(finding, framework):
                continue
            statement = analyzed.statement_of.get(finding.line, finding.line)
            if statement not in executed and finding.line not in executed:
                continue
            named_by = _named_by(finding, relative, statement, analyzed, result, framework)
            result.findings.append({
                "path": relative, "line": finding.line, "code": finding.code, "op": finding.op,
                "message": finding.message, "names_construct": named_by is not None, "named_by": named_by,
            })
    return result


def _named_by(finding: Finding, relative: str, statement: int, analyzed: FileFindings, model: ModelScore,
              framework: str) -> str | None:
    """How the finding names what failed, or None: "op" (it is about the op the converter
    reported), "culprit" (a wrong-numbers model: it lies on a line the submodule where the
    mismatch starts executed), "location" (an error without an op name: it is on the statement
    the error was raised from)."""
    if model.construct:  # an op to name: only naming it counts
        return "op" if _names_construct(finding, model.construct, framework) else None
    ran = model.culprit_lines.get(relative)
    if ran and (statement in ran or finding.line in ran):
        return "culprit"
    raised = model.failing_at.get(relative)
    if raised and statement in {analyzed.statement_of.get(line, line) for line in raised} | raised:
        return "location"
    return None


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _tokens(text: str | None) -> set[str]:
    """Lower-case identifier pieces of an op name or error text, without namespaces and the
    decorations converters add (`aten.`, `.default`, `Flex`, `tfl.`, `_v2`)."""
    found: set[str] = set()
    for word in _WORD.findall(text or ""):
        word = word.lower()
        if word in {"aten", "torch", "tfl", "default", "tensor", "nn", "functional", "tf", "keras",
                    "ops", "layers", "stablehlo", "mhlo"}:
            continue
        word = re.sub(r"^flex", "", word).strip("_")
        if len(word) >= 3:
            found.add(word)
    return found


def _names_construct(finding: Finding, construct: str | None, framework: str) -> bool:
    """Whether the finding is about what the converter reported.

    The truth's `construct` is compared with the finding's
    op and with what the knowledge base measured for that op (its ATen/TF ops, its error
    and reason), by identifier pieces: `aten._upsample_bicubic2d_aa` matches a finding on
    `F.interpolate` whose measured variant lowered to that op; `FlexFFT2D` matches a finding
    whose entry lists the TF op `FFT2D`."""
    wanted = _tokens(construct) if construct else set()
    if not wanted:
        return False
    seen = _tokens(finding.op) | _tokens(finding.message)
    entry = _entry(finding.op, framework)
    if entry is not None:
        for key in ("aten_ops", "tf_ops", "tflite_ops"):
            seen |= _tokens(" ".join(map(str, entry.get(key) or [])))
        seen |= _tokens(entry.get("error")) | _tokens(entry.get("reason"))
        for variant in entry.variants:
            seen |= _tokens(" ".join(map(str, variant.get("aten_ops") or [])))
            seen |= _tokens(" ".join(map(str, variant.get("tf_ops") or [])))
            seen |= _tokens(variant.get("error")) | _tokens(variant.get("reason"))
    return bool(wanted & seen)


def _entry(op: str | None, framework: str) -> kb.Entry | None:
    if not op:
        return None
    try:
        return kb.lookup(op, KB_FRAMEWORK[framework])
    except Exception:  # noqa: BLE001 - a missing entry or data file only means no match
        return None


@dataclass
class Summary:
    framework: str
    models: list[ModelScore]

    def _count(self, verdict: str) -> int:
        return sum(1 for m in self.models if m.verdict == verdict)

    @property
    def failing(self) -> int:
        return sum(1 for m in self.models if m.failing)

    @property
    def converting(self) -> int:
        return sum(1 for m in self.models if m.scored and not m.failing)

    @property
    def hits(self) -> int:
        return self._count("hit")

    @property
    def false_alarms(self) -> int:
        return self._count("false alarm")

    @property
    def named(self) -> int:
        return sum(1 for m in self.models if m.verdict == "hit" and m.names_construct)

    def as_dict(self) -> dict[str, Any]:
        flagged = self.hits + self.false_alarms
        return {
            "framework": self.framework,
            "models": len(self.models),
            "failing": self.failing,
            "converting": self.converting,
            "hits": self.hits,
            "misses": self._count("miss"),
            "false_alarms": self.false_alarms,
            "named": self.named,
            "recall": round(self.hits / self.failing, 3) if self.failing else None,
            "precision": round(self.hits / flagged, 3) if flagged else None,
            "named_rate": round(self.named / self.failing, 3) if self.failing else None,
            "not_scored": self._count("not scored"),
        }


def score(framework: str, truth: dict[str, Any] | None = None) -> Summary:
    truth = truth if truth is not None else load_truth(framework)
    return Summary(framework, [score_model(m, framework) for m in truth["models"]])


def unexecuted_findings(framework: str, truth: dict[str, Any]) -> int:
    """Counted findings in the measured files on lines no model of the suite executed."""
    executed: dict[str, set[int]] = {}
    for model in truth["models"]:
        for relative, ranges in (model.get("executed") or {}).items():
            executed.setdefault(relative, set()).update(parse_ranges(ranges))
    total = 0
    for relative, lines in executed.items():
        analyzed = file_findings(relative)
        if analyzed is None:
            continue
        for finding in analyzed.findings:
            if counts(finding, framework):
                statement = analyzed.statement_of.get(finding.line, finding.line)
                total += statement not in lines and finding.line not in lines
    return total


# ---- scoreboard and docs -----------------------------------------------------------------------


def scoreboard(summary: Summary) -> dict[str, Any]:
    return {
        "schema": 1,
        "framework": summary.framework,
        "summary": summary.as_dict(),
        "models": {m.id: {"verdict": m.verdict, "named": m.names_construct} for m in summary.models},
    }


def _short(text: str | None, limit: int = 90) -> str:
    text = " ".join((text or "").split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def docs_table(summaries: Iterable[tuple[Summary, dict[str, Any]]]) -> str:
    lines = [
        "# Real models: what converts today, and what litert-lsp says",
        "",
        "Generated by `python -m bench.real_models.score --docs` from the measured truth in",
        "`bench/real_models/data/`: each architecture of the pinned libraries, built from a tiny",
        "configuration with random weights, exported, converted and run in the LiteRT runtime,",
        "and compared with the framework. *litert-lsp* is what the static analyzer reports on the",
        "library lines that model executed (errors for PyTorch, errors and warnings for Keras):",
        "*hit* (a failing model flagged), *miss*, *false alarm* (a converting model flagged),",
        "*quiet* (a converting model not flagged). The background conversion check",
        "(`litert.convertCheck`, `litert-lsp check --convert`) reports what static analysis misses.",
        "",
        "A hit *names the failing construct* when one of its findings is about the op the converter",
        "or runtime reported (`aten.histc`, `tfl.pad`), or, when the failure has no op name, one lies",
        "where the failure is: for a model that runs with wrong numbers, on a library line executed",
        "by the submodule the mismatch starts in (found by converting submodules alone on their",
        "recorded inputs, as `litert-lsp export` does; named in the table), in its forward, eager or",
        "under `torch.export`; for an error without an op name, on the library statement the error",
        "was raised from.",
        "",
    ]
    for summary, truth in summaries:
        totals = summary.as_dict()
        versions = ", ".join(f"{k} {v}" for k, v in sorted((truth.get("versions") or {}).items()))
        title = "PyTorch" if summary.framework == "torch" else "Keras 3 / TensorFlow"
        lines += [
            f"## {title}",
            "",
            f"Measured with {versions}." if versions else "",
            "",
            (f"{totals['models']} models: {totals['converting']} convert and match, "
             f"{totals['failing']} fail. Static analysis flags {totals['hits']} of the failing "
             f"(recall {totals['recall']}), names the failing construct for {totals['named']}, "
             f"and flags {totals['false_alarms']} converting models (precision {totals['precision']})."),
            "",
            "| model | outcome | first error | litert-lsp (named by: op, culprit, location) |",
            "|---|---|---|---|",
        ]
        for model in sorted(summary.models, key=lambda m: m.id):
            said = model.verdict
            if model.verdict == "hit" and model.names_construct:
                by = sorted({f["named_by"] for f in model.findings if f.get("named_by")})
                said += f", names it ({'/'.join(by)})"
            if model.findings:
                codes = sorted({f["code"] for f in model.findings})
                said += f" ({', '.join(codes)})"
            error = _short(model.error)
            if model.culprit:
                where = f"{model.culprit.get('class')}, {Path(model.culprit.get('file') or '?').name}"
                error += f" Mismatch starts in `{model.culprit.get('name')}` ({where})."
            lines.append(f"| `{model.id}` | {model.status} | {error} | {said} |")
        lines.append("")
    return "\n".join(lines)


# ---- command line ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--framework", choices=FRAMEWORKS, action="append")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    parser.add_argument("--write", action="store_true", help="store the scoreboard the CI test checks")
    parser.add_argument("--docs", action="store_true", help="regenerate docs/real-models.md")
    parser.add_argument("--verbose", "-v", action="store_true", help="list each model's findings")
    args = parser.parse_args(argv)
    frameworks = args.framework or [f for f in FRAMEWORKS if (DATA / f"{f}_truth.json").is_file()]
    done: list[tuple[Summary, dict[str, Any]]] = []
    for framework in frameworks:
        truth = load_truth(framework)
        summary = score(framework, truth)
        done.append((summary, truth))
        totals = summary.as_dict()
        totals["findings_on_unexecuted_lines"] = unexecuted_findings(framework, truth)
        if args.json:
            print(json.dumps({"summary": totals, "models": [
                {"id": m.id, "status": m.status, "verdict": m.verdict, "named": m.names_construct,
                 "findings": m.findings, "missing_files": m.missing_files} for m in summary.models]},
                indent=1))
        else:
            print(f"== {framework}: " + ", ".join(f"{k} {v}" for k, v in totals.items() if k != "framework"))
            for model in summary.models:
                mark = {"hit": "HIT ", "miss": "MISS", "false alarm": "FA  ", "quiet": "ok  "}.get(model.verdict, "--  ")
                named = " named" if model.names_construct else ""
                print(f"  {mark} {model.id:40} {model.status:14}{named} {_short(model.construct or model.error, 60)}")
                if args.verbose:
                    for finding in model.findings:
                        print(f"        {finding['path']}:{finding['line']} {finding['code']} {finding['op'] or ''}")
                if model.missing_files:
                    print(f"        (missing library files: {len(model.missing_files)}, e.g. {model.missing_files[0]})")
        if args.write:
            write_text_atomically(json.dumps(scoreboard(summary), indent=1) + "\n", DATA / f"{framework}_scores.json")
    if args.docs:
        write_text_atomically(docs_table(done), DOCS_PAGE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
