"""The server's features, one module each (see `litert_lsp.server.app.Feature`).

    settings         workspace/configuration + [tool.litert-lsp], watched pyproject.toml,
                     workspace trust (trust.py) for the settings that run code
    diagnostics      open/change/save/close, pushed (with version) or pulled diagnostics,
                     coalescing of edit bursts, never an old version over a newer one
    hover            what the knowledge base says about the op under the cursor, and what
                     other features add there (`hover_parts`)
    export           export / check-conversion / script commands, their lenses and actions
    convert_check    the background conversion check after a save (litert.convertCheck);
                     follow_edits moves converter findings with incremental edits;
                     not_checked says, once, why a model was not checked (lens and hover)
    code_actions     suppression comments and verified rewrites, then every feature's actions
    lenses           textDocument/codeLens, collected from every feature
    workspace_check  the `litert.checkWorkspace` command with $/progress and a summary
    debug            `litert.debug.modules` (what the server process has imported; for tests)

A new feature: a module here with a `Feature` subclass, added to FEATURES. Features find
each other with `server.get_feature(...)`; imports between feature modules go one way
(export -> settings -> trust), checked by the import contracts in pyproject.toml.
"""

from __future__ import annotations

from litert_lsp.server.features.code_actions import CodeActionsFeature
from litert_lsp.server.features.convert_check import ConvertCheckFeature
from litert_lsp.server.features.debug import DebugFeature
from litert_lsp.server.features.diagnostics import DiagnosticsEngine
from litert_lsp.server.features.export import ExportFeature
from litert_lsp.server.features.hover import HoverFeature
from litert_lsp.server.features.lenses import LensesFeature
from litert_lsp.server.features.settings import SettingsFeature
from litert_lsp.server.features.workspace_check import WorkspaceCheckFeature

# Registration order: settings first (others read them), code actions after every feature
# whose action kinds it advertises.
FEATURES = (
    SettingsFeature,
    DiagnosticsEngine,
    HoverFeature,
    ExportFeature,
    ConvertCheckFeature,
    WorkspaceCheckFeature,
    DebugFeature,
    LensesFeature,
    CodeActionsFeature,
)
