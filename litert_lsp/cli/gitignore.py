"""`.gitignore` rules for `litert-lsp check`, read with the maintained `pathspec` library.

Every `.gitignore` from the repository root (the folder holding `.git`) down to a path's
folder applies, deeper files winning, as in git. Outside a repository only the `.gitignore`
files of the path's own folders count, up to the filesystem root.
"""

from __future__ import annotations

from pathlib import Path

import pathspec


class GitIgnore:
    def __init__(self) -> None:
        self._specs: dict[Path, pathspec.GitIgnoreSpec | None] = {}
        self._chains: dict[Path, list[Path]] = {}

    def ignored(self, path: Path, is_dir: bool = False) -> bool:
        """Whether git would ignore `path` (a folder when `is_dir`)."""
        path = path.resolve()
        verdict = False
        for folder in self._chain(path.parent):
            spec = self._spec(folder)
            if spec is None:
                continue
            relative = path.relative_to(folder).as_posix() + ("/" if is_dir else "")
            include = spec.check_file(relative).include
            if include is not None:  # True: ignored; False: re-included by a `!` rule
                verdict = include
        return verdict

    def _chain(self, folder: Path) -> list[Path]:
        """The folders whose .gitignore applies, outermost first."""
        if folder not in self._chains:
            chain: list[Path] = []
            for candidate in (folder, *folder.parents):
                chain.append(candidate)
                if (candidate / ".git").exists():
                    break
            self._chains[folder] = chain[::-1]
        return self._chains[folder]

    def _spec(self, folder: Path) -> pathspec.GitIgnoreSpec | None:
        if folder not in self._specs:
            try:
                lines = (folder / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = None
            self._specs[folder] = pathspec.GitIgnoreSpec.from_lines(lines) if lines else None
        return self._specs[folder]
