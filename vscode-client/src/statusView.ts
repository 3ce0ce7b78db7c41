// What the status bar item says, as a pure function of the server state, the running jobs and
// the background conversion check (`litert/convertCheckStatus`). No `vscode` import, so that
// src/test/statusView.test.ts runs it under plain Node.

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

// The params of the server's `litert/convertCheckStatus` notification (issue 12).
export interface ConvertCheckModel {
  name: string;
  // The export status ("ok", "mismatch", "failed", ...), or where the model is in the check:
  // "pending", "running", or "not_checked" (it cannot be built without asking; `message` says why).
  status: string;
  message: string;
}

// Statuses that are not a verdict on the model's conversion.
const NOT_A_VERDICT = new Set(['pending', 'running', 'not_checked', 'cancelled']);

export interface ConvertCheckStatus {
  uri: string;
  state: 'running' | 'done' | 'cancelled' | 'skipped';
  models: ConvertCheckModel[];
  findings: number;
}

export type Tone = 'normal' | 'warning' | 'error';
// What a click does: the output channel, the Problems panel, or the recovery choices.
export type Click = 'output' | 'problems' | 'recover';

export interface StatusView {
  text: string;
  tooltip: string;
  tone: Tone;
  click: Click;
}

export interface StatusInput {
  state: ServerState;
  jobs: string[]; // titles (or latest messages) of the running $/progress jobs
  background?: ConvertCheckStatus; // the check to show, if any
  failure?: string; // why the server is not running, when state is 'failed'
}

// The $/progress title the server gives a background check of `model` (see convert_check.py).
export function backgroundJobTitle(model: string): string {
  return `LiteRT: converting ${model}`;
}

export function fileName(uri: string): string {
  const path = uri.split(/[?#]/)[0];
  const last = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

// How a model's export status reads after its name ("Net fails to convert").
export function verdict(status: string): string {
  switch (status) {
    case 'ok':
      return 'converts and matches';
    case 'mismatch':
      return 'converts but its outputs differ';
    case 'unverified':
      return 'converts but cannot be verified here';
    case 'timeout':
      return 'took too long to check';
    default:
      if (status.includes('runtime')) {
        return 'fails in the LiteRT runtime';
      }
      if (status.includes('export')) {
        return 'fails in torch.export';
      }
      return 'fails to convert';
  }
}

// "Odd not checked: needs ..." (the server's sentence may already say "not checked").
function notChecked(model: ConvertCheckModel): string {
  const why = model.message.replace(/^LiteRT:\s*/, '');
  return /not checked/i.test(why) ? `${model.name}: ${why}` : `${model.name} not checked: ${why}`;
}

function names(models: ConvertCheckModel[]): string {
  const all = models.map((m) => m.name);
  return all.length <= 2 ? all.join(' and ') : `${all.slice(0, -1).join(', ')} and ${all[all.length - 1]}`;
}

// Jobs other than the background check's own $/progress (which the check's line already shows).
function otherJobs(jobs: string[], background: ConvertCheckStatus | undefined): string[] {
  if (background?.state !== 'running') {
    return jobs;
  }
  const own = new Set(background.models.map((m) => backgroundJobTitle(m.name)));
  return jobs.filter((title) => !own.has(title));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function renderStatus(input: StatusInput): StatusView {
  const { state, background } = input;
  if (state === 'failed') {
    const why = input.failure ? `: ${input.failure}` : '';
    return {
      text: '$(error) LiteRT',
      tooltip: `LiteRT LSP is not running${why}. Click to choose an interpreter, see the output or restart.`,
      tone: 'error',
      click: 'recover',
    };
  }
  if (state === 'starting') {
    return { text: '$(loading~spin) LiteRT', tooltip: 'LiteRT LSP: starting the server', tone: 'normal', click: 'output' };
  }
  if (state === 'stopped') {
    return { text: '$(circle-slash) LiteRT', tooltip: 'LiteRT LSP: server stopped', tone: 'normal', click: 'recover' };
  }
  const jobs = otherJobs(input.jobs, background);
  const jobLines = jobs.length > 0 ? `\nRunning:\n${jobs.join('\n')}` : '';
  const file = background ? fileName(background.uri) : '';

  if (background?.state === 'running') {
    const converting = background.models.filter((m) => m.status === 'running');
    const what = converting.length > 0 ? names(converting) : file;
    const more = jobs.length > 0 ? ` (+${plural(jobs.length, 'job')})` : '';
    return {
      text: `$(sync~spin) LiteRT: converting ${what}${more}`,
      tooltip: `Background check of ${file}: converting ${what} and running it in LiteRT${jobLines}`,
      tone: 'normal',
      click: 'output',
    };
  }
  if (jobs.length > 0) {
    return {
      text: `$(sync~spin) LiteRT: ${plural(jobs.length, 'job')}`,
      tooltip: `Running:\n${jobs.join('\n')}`,
      tone: 'normal',
      click: 'output',
    };
  }
  if (background?.state === 'done') {
    const unchecked = background.models.filter((m) => m.status === 'not_checked');
    const uncheckedLines = unchecked.map((m) => `\n${notChecked(m)}`).join('');
    const failing = background.models.filter((m) => !NOT_A_VERDICT.has(m.status) && m.status !== 'ok');
    const passing = background.models.filter((m) => m.status === 'ok');
    if (failing.length > 0) {
      const first = failing[0];
      const others = failing.length > 1 ? ` (+${failing.length - 1} more)` : '';
      const details = failing.map((m) => `${m.name} ${verdict(m.status)}: ${m.message}`).join('\n');
      return {
        text: `$(warning) LiteRT: ${first.name} ${verdict(first.status)}${others}`,
        tooltip: `${details}${uncheckedLines}\n(background check of ${file}; click for the Problems panel)`,
        tone: 'warning',
        click: 'problems',
      };
    }
    if (passing.length > 0) {
      const plural = passing.length > 1;
      return {
        text: '$(check) LiteRT',
        tooltip: `${names(passing)} ${plural ? 'convert and match' : 'converts and matches'} ` +
          `(background check of ${file})${uncheckedLines}`,
        tone: 'normal',
        click: 'output',
      };
    }
  }
  const note = background?.state === 'skipped' ? `\nBackground check of ${file}: no model to build without asking` : '';
  return { text: '$(check) LiteRT', tooltip: `LiteRT LSP: ready (click for the server output)${note}`, tone: 'normal', click: 'output' };
}

// Which background check the item shows: a running one first, else the active editor's file,
// else the latest. `latest` is in arrival order (oldest first).
export function pickBackground(
  checks: ConvertCheckStatus[],
  activeUri: string | undefined,
): ConvertCheckStatus | undefined {
  const running = checks.filter((c) => c.state === 'running');
  if (running.length > 0) {
    return running[running.length - 1];
  }
  const active = checks.find((c) => c.uri === activeUri);
  return active ?? checks[checks.length - 1];
}
