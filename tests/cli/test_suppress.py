from litert_lsp.analysis.suppress import apply_suppressions, parse_suppressions
from litert_lsp.core.findings import Finding, Severity


def finding(line: int, code: str, end_line: int | None = None) -> Finding:
    return Finding(line, 0, end_line or line, 1, Severity.ERROR, code, "m")


def test_bare_and_coded_directives():
    source = "a  # litert: ignore\nb  # litert: ignore[LRT102, lrt2]\nc\n"
    by_line, whole = parse_suppressions(source)
    assert by_line == {1: None, 2: frozenset({"LRT102", "LRT2"})} and not whole
    kept = apply_suppressions(
        [finding(1, "LRT101"), finding(2, "LRT102"), finding(2, "LRT205"), finding(2, "LRT104"),
         finding(3, "LRT101")],
        source,
    )
    assert [(f.line, f.code) for f in kept] == [(2, "LRT104"), (3, "LRT101")]


def test_directive_inside_a_string_is_not_a_comment():
    source = 's = "# litert: ignore"\n'
    assert apply_suppressions([finding(1, "LRT101")], source) == [finding(1, "LRT101")]
    source = "s = 'x'  # litert: ignore\n"
    assert apply_suppressions([finding(1, "LRT101")], source) == []


def test_multiline_span_can_be_silenced_on_its_last_line():
    source = "y = torch.unique(\n    x,\n)  # litert: ignore\n"
    assert apply_suppressions([finding(1, "LRT102", end_line=3)], source) == []


def test_ignore_file_only_as_own_line_comment():
    assert apply_suppressions([finding(5, "LRT101")], "# litert: ignore-file\n") == []
    kept = apply_suppressions([finding(5, "LRT101")], "x = 1  # litert: ignore-file\n")
    assert len(kept) == 1
