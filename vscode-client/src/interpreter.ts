// "LiteRT: Choose the Python interpreter": a quick pick of interpreters that could run the server,
// each checked for `import litert_lsp` before it is offered as working, and the choice written to
// `litert.python` where it applies (the workspace folder's settings when there is one). Works the
// same in remote windows: the candidates are found and checked where the extension runs.
import { execFile } from 'node:child_process';
import { constants as fsConstants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activeInterpreter, expandVariables } from './python';

const VENV_FOLDERS = ['.venv', 'venv', 'env'];
const ENTER_PATH = 'Enter a path…';

interface Candidate extends vscode.QuickPickItem {
  python?: string; // undefined: the "Enter a path…" item
  check?: Promise<string | undefined>; // undefined when it imports litert_lsp, else why not
}

// Whether `python` can run the server: undefined if it imports litert_lsp, else the reason.
export function checkInterpreter(python: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(python, ['-c', 'import litert_lsp; print(litert_lsp.__version__)'], { timeout: 30000 },
      (error, _stdout, stderr) => {
        if (error === null) {
          resolve(undefined);
        } else if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          resolve('the file does not exist');
        } else {
          const last = stderr.trim().split('\n').pop() ?? '';
          resolve(last.includes("No module named 'litert_lsp'") ? 'litert-lsp is not installed there' : last || error.message);
        }
      });
  });
}

async function executable(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsConstants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

// The first `python3` (or `python`) on PATH, as a full path.
async function onPath(): Promise<string | undefined> {
  const names = process.platform === 'win32' ? ['python.exe'] : ['python3', 'python'];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of names) {
      const file = path.join(dir, name);
      if (await executable(file)) {
        return file;
      }
    }
  }
  return undefined;
}

async function venvInterpreters(folders: readonly vscode.WorkspaceFolder[]): Promise<{ python: string; folder: string }[]> {
  const inside = process.platform === 'win32' ? ['Scripts', 'python.exe'] : ['bin', 'python'];
  const found = [];
  for (const folder of folders) {
    if (folder.uri.scheme !== 'file') {
      continue;
    }
    for (const name of VENV_FOLDERS) {
      const python = path.join(folder.uri.fsPath, name, ...inside);
      if (await executable(python)) {
        found.push({ python, folder: folder.name });
      }
    }
  }
  return found;
}

async function candidates(output: vscode.OutputChannel): Promise<Candidate[]> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const items: Candidate[] = [];
  const seen = new Set<string>();
  const add = (python: string, label: string, where: string): void => {
    if (seen.has(python)) {
      return;
    }
    seen.add(python);
    items.push({ label, description: where, detail: python, python });
  };
  const configured = vscode.workspace.getConfiguration('litert', folders[0]?.uri).get<string | null>('python');
  const [fromExtension, venvs, path3] = await Promise.all([
    activeInterpreter(output),
    venvInterpreters(folders),
    onPath(),
  ]);
  if (fromExtension !== undefined) {
    add(fromExtension, '$(symbol-misc) Python extension', 'the interpreter selected in the Python extension');
  }
  for (const venv of venvs) {
    add(venv.python, `$(folder) ${path.basename(path.dirname(path.dirname(venv.python)))}`, `in ${venv.folder}`);
  }
  if (path3 !== undefined) {
    add(path3, `$(terminal) ${path.basename(path3)}`, 'first on PATH');
  }
  if (configured) {
    add(expandVariables(configured), '$(gear) Current setting', 'litert.python');
  }
  for (const item of items) {
    item.check = checkInterpreter(item.python as string);
  }
  items.push({ label: `$(edit) ${ENTER_PATH}`, description: 'the full path of a Python executable', alwaysShow: true });
  return items;
}

// Where `litert.python` is written: the first workspace folder's settings (trusted windows;
// an untrusted workspace may not set it), else the user settings.
function target(): { scope: vscode.Uri | undefined; target: vscode.ConfigurationTarget; where: string } {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder !== undefined && vscode.workspace.isTrusted) {
    return { scope: folder.uri, target: vscode.ConfigurationTarget.WorkspaceFolder, where: `the settings of ${folder.name}` };
  }
  return { scope: undefined, target: vscode.ConfigurationTarget.Global, where: 'your user settings' };
}

async function enterPath(): Promise<string | undefined> {
  const typed = await vscode.window.showInputBox({
    title: 'LiteRT: Python interpreter',
    prompt: 'The full path of a Python executable where litert-lsp is installed',
    placeHolder: '/path/to/venv/bin/python',
    ignoreFocusOut: true,
    validateInput: async (value) => {
      if (value.trim() === '') {
        return undefined;
      }
      return (await checkInterpreter(value.trim())) ?? undefined;
    },
  });
  return typed?.trim() || undefined;
}

// Shows the quick pick; returns the interpreter written to the settings, if any.
export async function chooseInterpreter(output: vscode.OutputChannel): Promise<string | undefined> {
  const pick = vscode.window.createQuickPick<Candidate>();
  pick.title = 'LiteRT: the Python interpreter that runs the language server';
  pick.placeholder = 'Checking which interpreters can import litert_lsp…';
  pick.matchOnDetail = true;
  pick.ignoreFocusOut = true;
  pick.busy = true;
  let refused = false;
  pick.show();
  const items = await candidates(output);
  pick.items = items;
  // Each item says whether it works as soon as its check returns.
  void Promise.all(items.map(async (item) => {
    if (item.check === undefined) {
      return;
    }
    const problem = await item.check;
    item.description = problem === undefined ? `${item.description} · has litert-lsp` : `${item.description} · ${problem}`;
    pick.items = [...items];
  })).then(() => {
    pick.busy = false;
    if (!refused) { // a refusal's reason stays until the next choice
      pick.placeholder = 'Choose the interpreter where litert-lsp is installed';
    }
  });

  const chosen = await new Promise<string | undefined>((resolve) => {
    let leaving = false; // hiding the pick on purpose (to ask for a path): not a dismissal
    pick.onDidHide(() => {
      if (!leaving) {
        resolve(undefined);
      }
    });
    pick.onDidAccept(async () => {
      const item = pick.selectedItems[0];
      if (item === undefined) {
        return;
      }
      if (item.python === undefined) {
        leaving = true;
        pick.hide();
        resolve(await enterPath());
        return;
      }
      const problem = await (item.check ?? checkInterpreter(item.python));
      if (problem !== undefined) {
        // Stay open: say why this one cannot run the server and let the user pick another.
        refused = true;
        pick.placeholder = `${item.python}: ${problem}. Choose another.`;
        return;
      }
      leaving = true;
      resolve(item.python);
      pick.hide();
    });
  });
  pick.dispose();
  if (chosen === undefined) {
    return undefined;
  }
  const where = target();
  await vscode.workspace.getConfiguration('litert', where.scope).update('python', chosen, where.target);
  output.appendLine(`litert.python set to ${chosen} in ${where.where}.`);
  return chosen;
}
