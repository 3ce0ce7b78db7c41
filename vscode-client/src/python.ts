// Which Python interpreter runs the server: the `litert.python` setting, else the Python
// extension's active environment, else `python3` from PATH.
import * as vscode from 'vscode';

export interface PythonChoice {
  command: string;
  source: string;
}

// The small part of the ms-python.python API used here (its `environments` API, 2023+).
interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(env: { path: string } | string): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
    onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
  };
}

let watching: vscode.Disposable | undefined;

export async function resolvePython(output: vscode.OutputChannel, onEnvironmentChange: () => void): Promise<PythonChoice> {
  // Read for the first folder: `litert.python` is resource-scoped, so a folder may set its own.
  const configured = vscode.workspace.getConfiguration('litert', vscode.workspace.workspaceFolders?.[0]?.uri)
    .get<string | null>('python');
  if (configured) {
    return { command: expandVariables(configured), source: 'setting litert.python' };
  }
  const fromExtension = await pythonFromExtension(output, onEnvironmentChange);
  if (fromExtension !== undefined) {
    return { command: fromExtension, source: 'the Python extension\'s active environment' };
  }
  return { command: 'python3', source: 'default' };
}

// The Python extension's active interpreter, if that extension and its API are there.
export function activeInterpreter(output: vscode.OutputChannel): Promise<string | undefined> {
  return pythonFromExtension(output, undefined);
}

async function pythonFromExtension(output: vscode.OutputChannel, onChange: (() => void) | undefined): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (extension === undefined) {
    return undefined;
  }
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const environments = api?.environments;
    if (environments === undefined) {
      return undefined;
    }
    if (watching === undefined && onChange !== undefined) {
      // A new interpreter picked in the Python extension restarts our server with it.
      watching = environments.onDidChangeActiveEnvironmentPath(() => onChange());
    }
    const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
    const active = environments.getActiveEnvironmentPath(resource);
    const resolved = await environments.resolveEnvironment(active);
    return resolved?.executable.uri?.fsPath ?? active.path;
  } catch (error) {
    output.appendLine(`Could not ask the Python extension for its interpreter: ${String(error)}`);
    return undefined;
  }
}

// `~/` and `${workspaceFolder}`, which VS Code does not expand in extension settings.
export function expandVariables(path: string): string {
  const home = process.env.HOME ?? process.env.USERPROFILE;
  let expanded = home !== undefined && path.startsWith('~/') ? home + path.slice(1) : path;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (folder !== undefined) {
    expanded = expanded.split('${workspaceFolder}').join(folder);
  }
  return expanded;
}
