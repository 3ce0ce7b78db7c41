// The status bar item: server state, and the running jobs reported through $/progress.
import * as vscode from 'vscode';

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

type ProgressToken = string | number;
interface ProgressValue {
  kind?: string;
  title?: string;
  message?: string;
}

export class JobTracker {
  private readonly running = new Map<ProgressToken, string>();
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  observe(token: ProgressToken, value: ProgressValue): void {
    if (value.kind === 'begin') {
      this.running.set(token, value.title ?? 'job');
    } else if (value.kind === 'report' && this.running.has(token) && value.message) {
      this.running.set(token, `${value.message}`);
    } else if (value.kind === 'end') {
      this.running.delete(token);
    } else {
      return;
    }
    this.emitter.fire();
  }

  clear(): void {
    if (this.running.size > 0) {
      this.running.clear();
      this.emitter.fire();
    }
  }

  titles(): string[] {
    return [...this.running.values()];
  }
}

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('litert.status', vscode.StatusBarAlignment.Left, 10);
  private current: ServerState = 'stopped';
  private readonly subscription: vscode.Disposable;

  constructor(private readonly jobs: JobTracker) {
    this.item.name = 'LiteRT LSP';
    this.item.command = 'litert.showOutput';
    this.subscription = jobs.onDidChange(() => this.render());
    this.render();
    this.item.show();
  }

  get state(): ServerState {
    return this.current;
  }

  setState(state: ServerState): void {
    this.current = state;
    this.render();
  }

  private render(): void {
    const running = this.jobs.titles();
    if (this.current === 'running' && running.length > 0) {
      this.item.text = `$(sync~spin) LiteRT: ${running.length} job${running.length > 1 ? 's' : ''}`;
      this.item.tooltip = `Running:\n${running.join('\n')}`;
      this.item.backgroundColor = undefined;
      return;
    }
    const view: Record<ServerState, [string, string]> = {
      starting: ['$(loading~spin) LiteRT', 'LiteRT LSP: starting the server'],
      running: ['$(check) LiteRT', 'LiteRT LSP: ready (click for the server output)'],
      stopped: ['$(circle-slash) LiteRT', 'LiteRT LSP: server stopped'],
      failed: ['$(error) LiteRT', 'LiteRT LSP: the server failed; click for its output'],
    };
    [this.item.text, this.item.tooltip] = view[this.current];
    this.item.backgroundColor =
      this.current === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
