// The status bar item: server state, the running jobs reported through $/progress, and the
// background conversion check (`litert/convertCheckStatus`). What it says is decided by
// renderStatus (statusView.ts); this file keeps the state and talks to VS Code.
import * as vscode from 'vscode';
import { ConvertCheckStatus, ServerState, pickBackground, renderStatus } from './statusView';

export type { ServerState } from './statusView';

type ProgressToken = string | number;
interface ProgressValue {
  kind?: string;
  title?: string;
  message?: string;
  percentage?: number;
}

interface Job {
  title: string;
  latest?: string;
}

export class JobTracker {
  private readonly running = new Map<ProgressToken, Job>();
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  observe(token: ProgressToken, value: ProgressValue): void {
    const job = this.running.get(token);
    if (value.kind === 'begin') {
      this.running.set(token, { title: value.title ?? 'job' });
    } else if (value.kind === 'report' && job !== undefined && (value.message || value.percentage !== undefined)) {
      const percent = value.percentage !== undefined ? ` (${Math.round(value.percentage)}%)` : '';
      job.latest = `${value.message ?? ''}${percent}`.trim();
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
    return [...this.running.values()].map((j) => j.title);
  }

  // One line per job for the tooltip: its title and latest report.
  lines(): string[] {
    return [...this.running.values()].map((j) => (j.latest ? `${j.title}: ${j.latest}` : j.title));
  }
}

// The latest background check of each file, in arrival order.
export class BackgroundChecks {
  private readonly byUri = new Map<string, ConvertCheckStatus>();
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  update(status: ConvertCheckStatus): void {
    this.byUri.delete(status.uri); // re-inserted last: the newest
    this.byUri.set(status.uri, status);
    this.emitter.fire();
  }

  clear(): void {
    this.byUri.clear();
    this.emitter.fire();
  }

  all(): ConvertCheckStatus[] {
    return [...this.byUri.values()];
  }
}

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('litert.status', vscode.StatusBarAlignment.Left, 10);
  private current: ServerState = 'stopped';
  private failure: string | undefined;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly jobs: JobTracker,
    private readonly checks: BackgroundChecks,
  ) {
    this.item.name = 'LiteRT LSP';
    this.subscriptions = [
      jobs.onDidChange(() => this.render()),
      checks.onDidChange(() => this.render()),
      vscode.window.onDidChangeActiveTextEditor(() => this.render()),
    ];
    this.render();
    this.item.show();
  }

  get state(): ServerState {
    return this.current;
  }

  setState(state: ServerState): void {
    this.current = state;
    if (state !== 'failed') {
      this.failure = undefined;
    }
    this.render();
  }

  // The failure stays on the item (red) until the server runs again.
  setFailed(reason: string): void {
    this.current = 'failed';
    this.failure = reason;
    this.render();
  }

  private render(): void {
    const active = vscode.window.activeTextEditor?.document.uri.toString();
    const view = renderStatus({
      state: this.current,
      jobs: this.jobs.titles(),
      background: pickBackground(this.checks.all(), active),
      failure: this.failure,
    });
    this.item.text = view.text;
    // The tooltip's job lines carry each job's latest report; the text only its title.
    const lines = this.jobs.lines();
    this.item.tooltip = lines.length > 0 && view.tooltip.includes('Running:')
      ? view.tooltip.replace(/Running:\n[\s\S]*$/, `Running:\n${lines.join('\n')}`)
      : view.tooltip;
    this.item.backgroundColor =
      view.tone === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : view.tone === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    this.item.command = {
      output: 'litert.showOutput',
      problems: 'workbench.actions.view.problems',
      recover: 'litert.recover',
    }[view.click];
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.item.dispose();
  }
}
