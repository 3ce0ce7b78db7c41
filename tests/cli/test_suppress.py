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


def test_noqa_with_lrt_codes_is_honoured_and_bare_noqa_is_not():
    source = "a  # noqa: LRT202, E501\nb  # noqa\nc  # NOQA:LRT1\n"
    by_line, _ = parse_suppressions(source)
    assert by_line == {1: frozenset({"LRT202"}), 3: frozenset({"LRT1"})}
    kept = apply_suppressions([finding(1, "LRT202"), finding(1, "LRT201"), finding(2, "LRT202"),
                               finding(3, "LRT104")], source)
    assert [(f.line, f.code) for f in kept] == [(1, "LRT201"), (2, "LRT202")]


def test_a_space_before_the_codes_still_limits_them():
    source = "a  # litert: ignore [LRT202]\n"
    assert parse_suppressions(source)[0] == {1: frozenset({"LRT202"})}
    assert apply_suppressions([finding(1, "LRT101")], source) == [finding(1, "LRT101")]


def test_comments_are_found_by_tokenize_across_multiline_strings():
    source = 's = """\n# litert: ignore-file\nx  # litert: ignore\n"""\ny = 1  # noqa: LRT202\n'
    by_line, whole = parse_suppressions(source)
    assert not whole and by_line == {5: frozenset({"LRT202"})}


def test_a_file_that_does_not_tokenize_still_has_its_comments_read():
    source = "y = torch.unique(  # litert: ignore[LRT102]\n"
    assert parse_suppressions(source)[0] == {1: frozenset({"LRT102"})}


def test_the_server_quick_fix_uses_the_same_parser():
    from litert_lsp.server.features.code_actions import suppression_edit

    lines = ["y = x.item()  # litert: ignore [LRT201]", "y = x.item()  # noqa: E501"]
    start, end, text = suppression_edit(lines, 0, "LRT202")
    assert lines[0][:start] + text + lines[0][end:] == "y = x.item()  # litert: ignore [LRT201, LRT202]"
    assert suppression_edit(lines, 1, "LRT202")[2] == "  # litert: ignore[LRT202]"
