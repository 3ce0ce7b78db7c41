"""Model code inside a package (relative imports, as in timm or torchvision) is imported by its
dotted name: where the package starts, and the generated scripts' import lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from litert_lsp.jobs.job import ExportRequest
from litert_lsp.jobs.package import package_place
from litert_lsp.jobs.script import render


def make_package(root: Path) -> Path:
    """root/proj/nets/model.py, with proj and nets packages, and a `src` folder that is not one."""
    nets = root / "src" / "proj" / "nets"
    nets.mkdir(parents=True)
    (root / "src" / "proj" / "__init__.py").write_text("")
    (nets / "__init__.py").write_text("")
    (nets / "model.py").write_text("from .blocks import Block\n")
    return nets / "model.py"


def test_file_in_nested_package_gets_dotted_name(tmp_path: Path) -> None:
    place = package_place(make_package(tmp_path))
    assert place.import_root == (tmp_path / "src").resolve()
    assert place.module_name == "proj.nets.model"
    assert place.in_package


def test_plain_file_is_its_own_module(tmp_path: Path) -> None:
    (tmp_path / "tiny.py").write_text("")
    place = package_place(tmp_path / "tiny.py")
    assert (place.import_root, place.module_name, place.in_package) == (tmp_path.resolve(), "tiny", False)


def test_folder_with_unimportable_name_ends_the_package(tmp_path: Path) -> None:
    odd = tmp_path / "my-models"
    odd.mkdir()
    (odd / "__init__.py").write_text("")
    (odd / "net.py").write_text("")
    assert package_place(odd / "net.py").module_name == "net"


def test_generated_torch_script_imports_by_dotted_name(tmp_path: Path) -> None:
    source = make_package(tmp_path)
    request = ExportRequest(source=str(source), model="Net", workspace=str(tmp_path),
                            output=str(source.with_suffix(".tflite")))
    text = render(request, source.parent / "export_net.py")
    assert "IMPORT_ROOT = HERE / '../..'" in text  # from src/proj/nets up to src
    assert "MODULE_NAME = 'proj.nets.model'" in text
    assert "importlib.import_module(MODULE_NAME)" in text
    compile(text, "export_net.py", "exec")  # the script must stay valid Python


PACKAGED_NET = '''\
import torch

from .blocks import ConvBlock


class PackagedNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.block = ConvBlock()

    def forward(self, x):
        return torch.relu(self.block(x))
'''

BLOCKS = '''\
import torch


class ConvBlock(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return self.conv(x)
'''


@pytest.mark.slow
def test_model_with_relative_import_exports(warm_worker, tmp_path: Path) -> None:
    """Real worker and converter: before, this failed with 'attempted relative import with no
    known parent package'."""
    pytest.importorskip("torch")
    pytest.importorskip("litert_torch")
    package = tmp_path / "ws" / "zoo"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "blocks.py").write_text(BLOCKS)
    (package / "net.py").write_text(PACKAGED_NET)
    request = ExportRequest(source=str(package / "net.py"), model="PackagedNet", workspace=str(tmp_path / "ws"),
                            output=str(tmp_path / "ws" / "net.tflite"), input_shapes=[[1, 3, 16, 16]])
    result = warm_worker.export(request)
    assert result.ok, result.message
    assert result.op_histogram.get("CONV_2D") == 1
    assert Path(result.output).stat().st_size > 0



@pytest.mark.slow
def test_keras_builder_with_relative_import_exports(warm_worker, tmp_path: Path) -> None:
    """TF user code in a package goes through the same dotted-name import."""
    pytest.importorskip("tensorflow")
    package = tmp_path / "ws" / "kzoo"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "layers.py").write_text("import keras\n\n\ndef head(units):\n    return keras.layers.Dense(units)\n")
    (package / "builder.py").write_text(
        "import keras\n\nfrom .layers import head\n\n\n"
        "def build_model():\n    inputs = keras.Input((5,))\n    return keras.Model(inputs, head(3)(inputs))\n")
    request = ExportRequest(source=str(package / "builder.py"), workspace=str(tmp_path / "ws"),
                            output=str(tmp_path / "ws" / "builder.tflite"))
    result = warm_worker.export(request)
    assert result.ok, result.message
    assert Path(result.output).stat().st_size > 0
