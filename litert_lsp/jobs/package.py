"""Where a model file sits in its Python package, so it can be imported the way its project
imports it (relative imports such as `from .blocks import ConvBlock` need a parent package).
Stdlib only: used by the worker and by the scripts we generate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PackagePlace:
    """`import_root` goes on sys.path; `module_name` is the dotted name to import from there.
    A file outside any package has its own folder as root and its stem as name."""

    import_root: Path
    module_name: str

    @property
    def in_package(self) -> bool:
        return "." in self.module_name


def package_place(source: Path) -> PackagePlace:
    """Walk up from the file while each folder is a package (has `__init__.py`) with a name
    Python can import; the folder above the topmost one is the import root."""
    source = Path(source).resolve()
    parts = [] if source.stem == "__init__" else [source.stem]
    folder = source.parent
    while (folder / "__init__.py").is_file() and folder.name.isidentifier() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    if not parts:  # a top-level __init__.py outside any package: import it as its folder
        return PackagePlace(source.parent.parent, source.parent.name)
    return PackagePlace(folder, ".".join(parts))
