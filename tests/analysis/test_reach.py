"""Reach: ops called through values, not names (analysis/torch/reach.py).

`functools.partial` bound in a setup method, `getattr` with a literal name, registries (a
dict of functions, a registry class instance, looked up with a literal or a run-time key),
and a decorator that installs a class's forward. Each case asserts the finding the same
code gets when written as a direct call, so the knowledge base's verdicts decide and the
tests hold as it is re-measured; a case whose direct form is not flagged is skipped.
"""

from __future__ import annotations

import textwrap

import pytest

from litert_lsp.analysis import DocumentAnalyzer, analyze

HEADER = "import torch\nfrom torch import nn\n"


def found(source: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in analyze(textwrap.dedent(source)) if f.code.startswith("LRT")]


def line_of(source: str, text: str) -> int:
    return next(i for i, line in enumerate(textwrap.dedent(source).split("\n"), 1) if text in line)


def direct_codes(call: str) -> list[str]:
    """What a plain `return <call>` in forward(self, x, y) gets (skip when nothing)."""
    source = HEADER + f"\nclass M(nn.Module):\n    def forward(self, x, y):\n        return {call}\n"
    codes = [f.code for f in analyze(source)]
    if not codes:
        pytest.skip(f"the knowledge base does not flag `{call}`")
    return codes


# ---- functools.partial ---------------------------------------------------------------------------

@pytest.mark.parametrize("imports, spelling", [
    ("from functools import partial", "partial"),
    ("import functools", "functools.partial"),
    ("from functools import partial as bind", "bind"),
])
def test_partial_stored_in_a_setup_method_is_checked_at_the_call(imports, spelling):
    expected = direct_codes("torch.fft.fftn(x, dim=(1, 2))")
    source = f"""\
        {HEADER.replace(chr(10), chr(10) + '        ')}{imports}


        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self._setup()

            def _setup(self):
                self.transform = {spelling}(torch.fft.fftn, dim=(1, 2))

            def forward(self, x):
                return self.transform(x).real
        """
    findings = [f for f in analyze(textwrap.dedent(source)) if f.code.startswith("LRT")]
    assert [(f.line, f.code) for f in findings] == [(line_of(source, "return self.transform"), expected[0])]
    assert findings[0].op == "torch.fft.fftn"
    assert "`self.transform` is a `functools.partial`" in findings[0].message


def test_partial_keywords_pick_the_measured_variant():
    failing = direct_codes("torch.add(x, y, alpha=2)")
    if [f.code for f in analyze(HEADER + "\nclass M(nn.Module):\n    def forward(self, x, y):\n"
                                         "        return torch.add(x, y)\n")]:
        pytest.skip("the knowledge base flags torch.add without alpha too")
    template = """\
        import torch
        from functools import partial
        from torch import nn


        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.combine = partial(torch.add{extra})

            def forward(self, x, y):
                return self.combine(x, y)
        """
    assert found(template.format(extra=", alpha=2")) == [(12, failing[0])]
    assert found(template.format(extra="")) == []


def test_partial_bound_to_a_local_name():
    expected = direct_codes("torch.histc(x, bins=4)")
    source = """\
        import torch
        from functools import partial
        from torch import nn


        class M(nn.Module):
            def forward(self, x):
                count = partial(torch.histc, bins=4)
                return count(x)
        """
    assert found(source) == [(9, expected[0])]


def test_partial_of_a_module_function_reaches_its_body():
    expected = direct_codes("torch.histc(x, bins=4)")
    source = """\
        import torch
        from functools import partial
        from torch import nn


        def counts(x, bins):
            return torch.histc(x, bins=bins)


        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.count = partial(counts, bins=4)

            def forward(self, x):
                return self.count(x)
        """
    assert found(source) == [(7, expected[0])]


def test_a_rebound_name_forgets_the_partial():
    direct_codes("torch.histc(x, bins=4)")
    source = """\
        import torch
        from functools import partial
        from torch import nn


        class M(nn.Module):
            def forward(self, x):
                count = partial(torch.histc, bins=4)
                count = torch.relu
                return count(x)
        """
    assert found(source) == []


# ---- getattr with a literal name -----------------------------------------------------------------

@pytest.mark.parametrize("body", [
    "return getattr(torch, 'histc')(x, bins=4)",
    "fn = getattr(torch, 'histc')\n        return fn(x, bins=4)",
    "return getattr(self, 'count')(x)",
])
def test_getattr_with_a_literal_name(body):
    expected = direct_codes("torch.histc(x, bins=4)")
    source = HEADER + (
        "\n\nclass M(nn.Module):\n"
        "    def count(self, x):\n"
        "        return torch.histc(x, bins=4)\n\n"
        f"    def forward(self, x):\n        {body}\n"
    )
    codes = [f.code for f in analyze(source)]
    assert codes == [expected[0]]


def test_getattr_with_a_computed_name_is_not_guessed():
    direct_codes("torch.histc(x, bins=4)")
    source = HEADER + (
        "\n\nclass M(nn.Module):\n"
        "    def forward(self, x, name: str = 'histc'):\n"
        "        return getattr(torch, name)(x)\n"
    )
    assert found(source) == []


# ---- registries ----------------------------------------------------------------------------------

REGISTRY = """\
    import torch
    from torch import nn


    def plain_impl(x):
        return x * 2


    def counting_impl(x):
        return torch.histc(x, bins=4)


    IMPLS = {"plain": plain_impl, "counting": counting_impl}


    class M(nn.Module):
        def __init__(self, kind):
            super().__init__()
            self.kind = kind

        def forward(self, x):
            return CALL
    """


def test_a_registry_lookup_with_a_runtime_key_may_be_any_entry():
    expected = direct_codes("torch.histc(x, bins=4)")
    assert found(REGISTRY.replace("CALL", "IMPLS[self.kind](x)")) == [(10, expected[0])]
    assert found(REGISTRY.replace("CALL", "IMPLS.get(self.kind, plain_impl)(x)")) == [(10, expected[0])]


def test_a_registry_lookup_with_a_literal_key_is_that_entry():
    expected = direct_codes("torch.histc(x, bins=4)")
    assert found(REGISTRY.replace("CALL", 'IMPLS["plain"](x)')) == []
    assert found(REGISTRY.replace("CALL", 'IMPLS["counting"](x)')) == [(10, expected[0])]


def test_torch_ops_in_a_registry_are_reported_only_for_a_known_key():
    expected = direct_codes("torch.histc(x, bins=4)")
    source = """\
        import torch
        from torch import nn

        OPS = {"relu": torch.relu, "count": torch.histc}


        class M(nn.Module):
            def forward(self, x, name: str = "relu"):
                a = OPS[name](x)
                return OPS["count"](a)
        """
    assert found(source) == [(10, expected[0])]


def test_a_registry_class_instance_picked_in_forward():
    expected = direct_codes("torch.histc(x, bins=4)")
    source = """\
        import torch
        from torch import nn


        def counting_impl(module, x):
            return torch.histc(x, bins=module.bins)


        def default_impl(module, x):
            return x


        class Interface:
            _mapping = {"counting": counting_impl}

            def __getitem__(self, key):
                return self._mapping[key]

            def get_impl(self, key, default):
                return self._mapping.get(key, default)


        IMPLEMENTATIONS = Interface()


        class M(nn.Module):
            def __init__(self, config):
                super().__init__()
                self.config = config
                self.bins = 4

            def forward(self, x):
                impl = IMPLEMENTATIONS.get_impl(self.config.impl, default_impl)
                return impl(self, x)
        """
    assert found(source) == [(6, expected[0])]


# ---- a decorator that installs forward -----------------------------------------------------------

def test_a_forward_installed_by_a_class_decorator_is_traced():
    expected = direct_codes("torch.histc(x, bins=4)")
    source = """\
        import torch
        from torch import nn


        def counting_forward(self, x):
            return torch.histc(x.float(), bins=self.bins)


        class Interface:
            _mapping = {"counting": counting_forward}

            def get_impl(self, key, default):
                return self._mapping.get(key, default)


        DEFAULT = Interface()


        def use_implementations(cls=None, *, interface=DEFAULT):
            def wrap(cls):
                original = cls.forward

                def forward(self, *args, **kwargs):
                    impl = interface.get_impl(self.config.impl, original)
                    return impl(self, *args, **kwargs)

                cls.forward = forward
                return cls

            return wrap(cls) if cls is not None else wrap
        """
    assert found(source) == [(6, expected[0])]


def test_an_installed_forward_that_is_a_module_function():
    expected = direct_codes("torch.histc(x, bins=4)")
    source = """\
        import torch


        def counting_forward(self, x):
            return torch.histc(x, bins=4)


        def install(cls):
            setattr(cls, "forward", counting_forward)
            return cls
        """
    assert found(source) == [(5, expected[0])]


def test_functions_nobody_reaches_stay_quiet():
    direct_codes("torch.histc(x, bins=4)")
    source = """\
        import torch


        def counting(x: torch.Tensor):
            return torch.histc(x, bins=4)


        IMPLS = {"counting": counting}
        """
    assert found(source) == []


# ---- incremental analysis ------------------------------------------------------------------------

def test_editing_the_partial_updates_the_forward_finding():
    failing = direct_codes("torch.add(x, y, alpha=2)")
    template = textwrap.dedent("""\
        import torch
        from functools import partial
        from torch import nn


        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.combine = partial(torch.add{extra})

            def forward(self, x, y):
                return self.combine(x, y)
        """)
    document = DocumentAnalyzer("<m>", strict=True)
    plain = [(f.line, f.code) for f in document.analyze(template.format(extra=""))]
    if plain:
        pytest.skip("the knowledge base flags torch.add without alpha too")
    edited = [(f.line, f.code) for f in document.analyze(template.format(extra=", alpha=2"))]
    assert edited == [(12, failing[0])]
    assert [(f.line, f.code) for f in document.analyze(template.format(extra=""))] == []


# ---- forward implementations defined apart from their module -------------------------------------

def test_a_function_taking_a_module_and_tensors_is_a_forward_implementation():
    # The shape of attention / experts implementations that a registry in another file
    # installs: traced when this file is checked alone.
    expected = direct_codes("torch.histc(x, bins=4)")
    source = """\
        import torch
        from torch import nn


        def counting_attention(module: nn.Module, query: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
            return torch.histc(query * scale, bins=module.bins)
        """
    assert found(source) == [(6, expected[0])]


@pytest.mark.parametrize("signature, tensor", [
    ("def export(model: nn.Module, path: str, example: torch.Tensor | None = None):", "example"),
    ("def parameter_groups(model: nn.Module, weights: torch.Tensor) -> dict:", "weights"),
    ("def helper(count: int, x: torch.Tensor):", "x"),
])
def test_utilities_taking_a_model_are_not_forwards(signature, tensor):
    expected = direct_codes("torch.histc(x, bins=4)")
    body = f"    return torch.histc({tensor}, bins=4)\n"
    control = f"import torch\nfrom torch import nn\n\n\ndef impl(module: nn.Module, {tensor}: torch.Tensor):\n{body}"
    assert found(control) == [(6, expected[0])]  # the same body in a forward implementation
    assert found(f"import torch\nfrom torch import nn\n\n\n{signature}\n{body}") == []
