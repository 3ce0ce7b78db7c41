"""The fast walk visits exactly what `ast.walk` visits, in the same order, but the
expression contexts; `children` is `ast.iter_child_nodes` the same way."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from litert_lsp.analysis.syntax_walk import children, walk

EVERY_CONSTRUCT = '''
import a.b as c
from .x import (y as z, w)
@dec(1)
class K(Base, metaclass=M):
    attr: int = 3
    async def f(self, p, /, q=1, *args, r, s=2, **kw) -> "T":
        global g
        nonlocal_ = lambda u, *v: u if v else -u
        async with ctx() as (m, n), other:
            async for i in aiter():
                await i
        try:
            x[1:2, ::3] += {**d, 'k': [*l]}
        except* (E, F) as e:
            raise X from e
        finally:
            del x.y
        match p:
            case {"k": [1, *rest]} | Point(x=0) if rest:
                pass
            case str() as s_:
                pass
        yield from (j async for j in q if j)
        print(f"{p!r:>{q}}", {k: v for k, v in kw.items()}, {e for e in l}, not a and b or c)
        assert p is not q, "message"
        while (walrus := next(it)) < 3:
            continue
        else:
            return
'''


def _real_sources() -> list[str]:
    spec = importlib.util.find_spec("transformers")
    if not spec or not spec.origin:
        return []
    files = sorted((Path(spec.origin).parent / "models").rglob("modeling_*.py"))[::60]
    return [path.read_text(encoding="utf-8") for path in files]


def _expected_walk(tree: ast.AST) -> list[ast.AST]:
    return [node for node in ast.walk(tree) if not isinstance(node, ast.expr_context)]


def test_same_nodes_in_the_same_order_as_ast_walk() -> None:
    sources = [EVERY_CONSTRUCT, *_real_sources()]
    assert len(sources) > 1 or importlib.util.find_spec("transformers") is None
    for source in sources:
        tree = ast.parse(source)
        expected = _expected_walk(tree)
        found = walk(tree)
        assert len(found) == len(expected)
        assert all(a is b for a, b in zip(found, expected, strict=True))
        for node in expected:
            assert children(node) == [c for c in ast.iter_child_nodes(node) if not isinstance(c, ast.expr_context)]


def test_a_subtree_walks_alone() -> None:
    tree = ast.parse(EVERY_CONSTRUCT)
    method = next(n for n in ast.walk(tree) if isinstance(n, ast.AsyncFunctionDef))
    assert walk(method)[0] is method
    assert {type(n).__name__ for n in walk(method)} >= {"Match", "TryStar", "NamedExpr", "JoinedStr", "Await"}
    assert not any(isinstance(n, ast.Import) for n in walk(method))
