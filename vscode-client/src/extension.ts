// The LiteRT LSP extension: starts `<python> -m litert_lsp serve` over stdio and adapts it to VS Code.
// Everything the user sees comes from the server (diagnostics, hovers, code actions, code lenses,
// commands); this file only picks the interpreter, keeps the server alive and shows its state.
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import {
  CloseAction,
  CloseHandlerResult,
  ErrorAction,
  ErrorHandlerResult,
  LanguageClient,
  LanguageClientOptions,
  NotificationHandler,
  ProgressType,
  ServerOptions,
  State,
  TransportKind,
  WorkDoneProgress,
} from 'vscode-languageclient/node';
import { chooseInterpreter } from './interpreter';
import { FailureNotice } from './notice';
import { resolvePython } from './python';
import { BackgroundChecks, JobTracker, StatusItem } from './status';
import { ConvertCheckStatus } from './statusView';

const CLIENT_ID = 'litert';
const CLIENT_NAME = 'LiteRT LSP';
// Commands that run the user's model code: refused in untrusted workspaces.
const TRUSTED_COMMANDS = new Set(['litert.export', 'litert.checkConversion']);
// Commands the server may offer (workspace/executeCommand); the client registers those it advertises.
const SERVER_COMMANDS = ['litert.export', 'litert.checkConversion', 'litert.checkWorkspace'];
// Automatic restarts allowed within RESTART_WINDOW_MS before we give up and tell the user.
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 3 * 60 * 1000;
// The server's report on its background conversion check (issue 12; see statusView.ts).
const CONVERT_CHECK_STATUS = 'litert/convertCheckStatus';

let client: TrackingClient | undefined;
let output: vscode.OutputChannel;
let status: StatusItem;
let notice: FailureNotice;
const jobs = new JobTracker();
const checks = new BackgroundChecks();
let fallbackCommands: vscode.Disposable[] = [];

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel(CLIENT_NAME);
  status = new StatusItem(jobs, checks);
  notice = new FailureNotice();
  context.subscriptions.push(output, status, notice);

  context.subscriptions.push(
    vscode.commands.registerCommand('litert.showOutput', () => output.show(true)),
    vscode.commands.registerCommand('litert.restartServer', () => restart(context)),
    // Writing litert.python restarts the server through onDidChangeConfiguration below.
    vscode.commands.registerCommand('litert.chooseInterpreter', () => chooseInterpreter(output)),
    vscode.commands.registerCommand('litert.recover', () => recover(context)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('litert.python')) {
        void restart(context);
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void restart(context)),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await stop();
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const python = await resolvePython(output, () => void restart(context));
  output.appendLine(`Starting the server: ${python.command} -m litert_lsp serve (${python.source})`);
  // Checked first so that a wrong interpreter gives one clear message, not the client's generic
  // "couldn't create connection" plus a string of restarts.
  const problem = await preflight(python.command);
  if (problem !== undefined) {
    output.appendLine(problem);
    reportStartFailure(python.command, problem);
    return;
  }
  const serverOptions: ServerOptions = {
    command: python.command,
    args: ['-m', 'litert_lsp', 'serve'],
    transport: TransportKind.stdio,
    options: { env: { ...process.env, PYTHONUNBUFFERED: '1' } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'untitled', language: 'python' },
    ],
    outputChannel: output,
    synchronize: { configurationSection: 'litert' },
    initializationOptions: { settings: settingsForServer(), trusted: vscode.workspace.isTrusted },
    errorHandler: new RestartingErrorHandler(),
    middleware: {
      executeCommand: async (command, args, next) => {
        if (TRUSTED_COMMANDS.has(command) && !vscode.workspace.isTrusted) {
          void vscode.window.showWarningMessage(
            `LiteRT: "${command}" runs this workspace's model code; trust the workspace first.`,
          );
          return undefined;
        }
        if (TRUSTED_COMMANDS.has(command)) {
          // From the command palette there are no arguments: use the model class at the cursor.
          const given = args.length === 0 ? await argumentsFromEditor(command) : args;
          return askForShapeIfNeeded(command, given, await next(command, given), next);
        }
        if (command === 'litert.checkWorkspace') {
          // The summary is shown here, with a button for the Problems panel (the server would
          // send it as a plain message otherwise).
          const summary = await next(command, [{ showSummary: false }]);
          showWorkspaceSummary(summary);
          return summary;
        }
        return next(command, args);
      },
      provideCodeLenses: async (document, token, next) => {
        const lenses = (await next(document, token)) ?? [];
        return vscode.workspace.isTrusted ? lenses : lenses.filter((l) => !TRUSTED_COMMANDS.has(l.command?.command ?? ''));
      },
      provideCodeActions: async (document, range, context, token, next) => {
        const actions = (await next(document, range, context, token)) ?? [];
        if (vscode.workspace.isTrusted) {
          return actions;
        }
        return actions.filter((a) => {
          const command = a instanceof vscode.CodeAction ? a.command : a;
          return !TRUSTED_COMMANDS.has(command?.command ?? '');
        });
      },
    },
  };
  client = new TrackingClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  client.onDidChangeState((event) => onStateChange(event.newState));
  client.onNotification(CONVERT_CHECK_STATUS, (params: ConvertCheckStatus) => {
    if (params !== null && typeof params === 'object' && typeof params.uri === 'string' && Array.isArray(params.models)) {
      checks.update(params);
    }
  });
  status.setState('starting');
  try {
    await client.start();
  } catch (error) {
    output.appendLine(`The server did not start: ${String(error)}`);
    reportStartFailure(python.command, String(error));
  }
}

// Whether `python` can run the server: it starts, and imports litert_lsp (light: no frameworks).
function preflight(python: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      python,
      ['-c', 'import litert_lsp; print(litert_lsp.__version__)'],
      { timeout: 30000 },
      (error, stdout, stderr) => {
        if (error === null) {
          output.appendLine(`litert-lsp ${stdout.trim()} found in ${python}`);
          resolve(undefined);
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          resolve(`${python} does not exist`);
        } else {
          const last = stderr.trim().split('\n').pop() ?? '';
          resolve(last !== '' ? last : error.message);
        }
      },
    );
  });
}

// The failure is carried by the status bar item (red, until the server runs) and by one
// notification that disappears when it runs again (notice.ts).
function reportStartFailure(python: string, reason: string): void {
  status.setFailed(`"${python}" cannot run it (${reason})`);
  // The reason often names the interpreter already ("/x/python does not exist").
  const what = reason.includes(python) ? reason : `"${python}": ${reason}`;
  notice.show(`The server did not start: ${what}. Choose an interpreter where litert-lsp is installed.`);
}

// A click on the red status bar item: what can be done about it.
async function recover(context: vscode.ExtensionContext): Promise<void> {
  const choices = ['$(python) Choose interpreter…', '$(output) Show output', '$(debug-restart) Restart the server'];
  const choice = await vscode.window.showQuickPick(choices, { title: 'LiteRT: the server is not running' });
  if (choice === choices[0]) {
    await chooseInterpreter(output);
  } else if (choice === choices[1]) {
    output.show(true);
  } else if (choice === choices[2]) {
    await restart(context);
  }
}

interface WorkspaceSummary {
  message?: string;
  error?: string;
  findings?: number;
  running?: boolean;
}

function showWorkspaceSummary(result: unknown): void {
  const summary = (result ?? {}) as WorkspaceSummary;
  if (summary.running || typeof summary.message !== 'string') {
    return; // already running (the server said so), or an older server that sent its own message
  }
  const text = `LiteRT: ${summary.message}`;
  const show = summary.error !== undefined ? vscode.window.showErrorMessage : vscode.window.showInformationMessage;
  if (!summary.findings) {
    void show(text);
    return;
  }
  void show(text, 'Show Problems').then((choice) => {
    if (choice === 'Show Problems') {
      void vscode.commands.executeCommand('workbench.actions.view.problems');
    }
  });
}

async function stop(): Promise<void> {
  const old = client;
  client = undefined;
  disposeFallbacks();
  jobs.clear();
  checks.clear();
  if (old !== undefined) {
    old.stopping = true;
    try {
      await old.stop(5000);
    } catch (error) {
      output.appendLine(`Stopping the server failed: ${String(error)}`);
    }
  }
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  output.appendLine('Restarting the server.');
  await stop();
  await start(context);
}

function onStateChange(state: State): void {
  if (client === undefined) {
    return;
  }
  if (state === State.Running) {
    status.setState('running');
    notice.clear();
    registerFallbacks(client);
  } else if (state === State.Starting) {
    status.setState('starting');
    disposeFallbacks();
    jobs.clear();
  } else {
    // After the error handler gave up, keep showing the failure rather than a plain stop.
    status.setState(status.state === 'failed' ? 'failed' : 'stopped');
    disposeFallbacks();
    jobs.clear();
  }
}

// The client shows $/progress in VS Code's own UI, subscribing to each work-done token through
// onProgress; this subclass also feeds those values to the job counter of the status bar item.
// (Overriding the window/workDoneProgress/create handler instead would not survive a restart:
// the client re-installs its own after every start.)
class TrackingClient extends LanguageClient {
  // Set when we stop this client on purpose: its server's exit is then expected, not news.
  stopping = false;

  error(message: string, data?: unknown, showNotification: boolean | 'force' = true): void {
    if (this.stopping && /^Server process exited with code 0\b/.test(message)) {
      return;
    }
    super.error(message, data, showNotification);
  }

  onProgress<P>(type: ProgressType<P>, token: string | number, handler: NotificationHandler<P>): vscode.Disposable {
    if (type !== WorkDoneProgress.type) {
      return super.onProgress(type, token, handler);
    }
    return super.onProgress(type, token, (value: P) => {
      jobs.observe(token, value as { kind?: string; title?: string; message?: string });
      handler(value);
    });
  }
}

// When the server does not offer a command listed in package.json, say so instead of
// "command not found"; checkWorkspace falls back to the CLI in a terminal.
function registerFallbacks(languageClient: LanguageClient): void {
  disposeFallbacks();
  const offered = new Set(languageClient.initializeResult?.capabilities.executeCommandProvider?.commands ?? []);
  for (const command of SERVER_COMMANDS) {
    if (offered.has(command)) {
      continue;
    }
    fallbackCommands.push(
      vscode.commands.registerCommand(command, () =>
        command === 'litert.checkWorkspace' ? checkWorkspaceInTerminal() : notOffered(command),
      ),
    );
  }
}

function disposeFallbacks(): void {
  fallbackCommands.forEach((d) => d.dispose());
  fallbackCommands = [];
}

function notOffered(command: string): void {
  void vscode.window.showWarningMessage(
    `LiteRT: the server does not offer "${command}": its Python cannot import the export stack ` +
      '(install litert-lsp[frameworks] there, or set litert.python), or this server version lacks it.',
  );
}

async function checkWorkspaceInTerminal(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder === undefined) {
    void vscode.window.showInformationMessage('LiteRT: open a folder to check a workspace.');
    return;
  }
  const python = await resolvePython(output, () => undefined);
  const terminal = vscode.window.createTerminal({ name: 'LiteRT check', cwd: folder.uri.fsPath });
  terminal.show();
  terminal.sendText(`${shellQuote(python.command)} -m litert_lsp check .`);
}

// The server cannot infer example input shapes for some models; it answers `needsInputShape`
// and the user types them here, then the same command runs again with `inputShape`.
async function askForShapeIfNeeded(
  command: string,
  args: unknown[],
  result: unknown,
  next: (command: string, args: unknown[]) => unknown,
): Promise<unknown> {
  const answer = result as { needsInputShape?: boolean; message?: string } | undefined;
  if (answer?.needsInputShape !== true) {
    return result;
  }
  const shape = await vscode.window.showInputBox({
    title: 'LiteRT: example input shape',
    prompt: answer.message,
    placeHolder: '1,16;1,16',
    validateInput: (value) =>
      /^\s*-?\d+(\s*,\s*-?\d+)*(\s*;\s*-?\d+(\s*,\s*-?\d+)*)*\s*$/.test(value)
        ? undefined
        : 'sizes separated by ",", one input after another separated by ";"',
  });
  if (shape === undefined || shape.trim() === '') {
    return result;
  }
  const first = (args[0] ?? {}) as Record<string, unknown>;
  return next(command, [{ ...first, inputShape: shape.trim() }]);
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'"'"'`)}'`;
}

// The server offers each of its commands as a code action on a model class, with the arguments
// it wants ({uri, model}); the palette reuses the one at the cursor, else sends just the file.
async function argumentsFromEditor(command: string): Promise<unknown[]> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined) {
    return [];
  }
  const uri = editor.document.uri;
  const cursor = new vscode.Range(editor.selection.active, editor.selection.active);
  try {
    const actions =
      (await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>(
        'vscode.executeCodeActionProvider',
        uri,
        cursor,
      )) ?? [];
    for (const action of actions) {
      // A bare Command has a string `command`; a CodeAction carries a Command in it.
      const candidate = typeof action.command === 'string' ? (action as vscode.Command) : action.command;
      if (candidate?.command === command && candidate.arguments !== undefined) {
        return candidate.arguments;
      }
    }
  } catch (error) {
    output.appendLine(`Could not ask for code actions at the cursor: ${String(error)}`);
  }
  return [{ uri: uri.toString() }];
}

function settingsForServer(): unknown {
  const config = vscode.workspace.getConfiguration('litert');
  return {
    select: config.get('select'),
    ignore: config.get('ignore'),
    exclude: config.get('exclude'),
    severity: config.get('severity'),
    gpuCompatibility: config.get('gpuCompatibility'),
    python: config.get('python'),
    models: config.get('models'),
    export: config.get('export'),
    perFileIgnores: config.get('perFileIgnores'),
    convertCheck: config.get('convertCheck'),
    convertCheckMemoryMb: config.get('convertCheckMemoryMb'),
    docsUrl: config.get('docsUrl'),
  };
}

// Restarts the server when it dies, up to MAX_RESTARTS times in RESTART_WINDOW_MS.
class RestartingErrorHandler {
  private restarts: number[] = [];

  error(error: Error, _message: unknown, count: number | undefined): ErrorHandlerResult {
    output.appendLine(`Connection error (${count ?? 1}): ${error.message}`);
    return { action: count !== undefined && count > 3 ? ErrorAction.Shutdown : ErrorAction.Continue };
  }

  closed(): CloseHandlerResult {
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    if (this.restarts.length >= MAX_RESTARTS) {
      const reason = `it stopped ${MAX_RESTARTS} times in 3 minutes`;
      status.setFailed(reason);
      // Our notice, not the client's error toast: it goes away once a restart works.
      notice.show(`The server is not running: ${reason}. See the output, then restart it.`);
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    this.restarts.push(now);
    output.appendLine(`The server stopped; restarting it (${this.restarts.length}/${MAX_RESTARTS}).`);
    return { action: CloseAction.Restart, handled: true };
  }
}
