// The status bar item's words for each server state and background check (`npm test`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConvertCheckStatus, backgroundJobTitle, pickBackground, renderStatus, verdict } from '../statusView';

const URI = 'file:///work/project/model.py';

function check(state: ConvertCheckStatus['state'], models: ConvertCheckStatus['models'], uri = URI): ConvertCheckStatus {
  return { uri, state, models, findings: models.filter((m) => m.status !== 'ok').length };
}

test('a running background check names its model and spins', () => {
  const background = check('running', [
    { name: 'Head', status: 'ok', message: '' },
    { name: 'Net', status: 'running', message: '' },
    { name: 'Big', status: 'pending', message: '' },
    { name: 'Odd', status: 'not_checked', message: 'needs constructor argument `config`' },
  ]);
  const view = renderStatus({ state: 'running', jobs: [], background });
  assert.equal(view.text, '$(sync~spin) LiteRT: converting Net');
  assert.match(view.tooltip, /Background check of model\.py/);
  assert.equal(view.tone, 'normal');
});

test("the check's own $/progress is not counted again as a job; other jobs are", () => {
  const background = check('running', [{ name: 'Net', status: 'running', message: '' }]);
  const alone = renderStatus({ state: 'running', jobs: [backgroundJobTitle('Net')], background });
  assert.equal(alone.text, '$(sync~spin) LiteRT: converting Net');
  const withExport = renderStatus({ state: 'running', jobs: [backgroundJobTitle('Net'), 'LiteRT: exporting Net'], background });
  assert.equal(withExport.text, '$(sync~spin) LiteRT: converting Net (+1 job)');
});

test('a model that converts and matches: a check mark and a tooltip saying so', () => {
  const view = renderStatus({ state: 'running', jobs: [], background: check('done', [{ name: 'Net', status: 'ok', message: 'verified' }]) });
  assert.equal(view.text, '$(check) LiteRT');
  assert.equal(view.tooltip, 'Net converts and matches (background check of model.py)');
  assert.equal(view.click, 'output');
});

test('a model not checked is neither a pass nor a failure; the tooltip says why', () => {
  const background = check('done', [
    { name: 'Net', status: 'ok', message: '' },
    { name: 'Odd', status: 'not_checked', message: 'needs constructor argument `config`' },
  ]);
  const view = renderStatus({ state: 'running', jobs: [], background });
  assert.equal(view.text, '$(check) LiteRT');
  assert.match(view.tooltip, /^Net converts and matches \(background check of model\.py\)\nOdd not checked: needs constructor/);
  // The server's own sentence is not repeated ("Odd not checked: LiteRT: not checked ...").
  const worded = check('done', [{ name: 'Net', status: 'ok', message: '' },
    { name: 'Odd', status: 'not_checked', message: 'LiteRT: not checked in the background — needs an input shape' }]);
  assert.match(renderStatus({ state: 'running', jobs: [], background: worded }).tooltip,
    /\nOdd: not checked in the background — needs an input shape$/);
});

test('a model that fails: a warning naming it, the message in the tooltip, a click for Problems', () => {
  const background = check('done', [
    { name: 'Net', status: 'failed', message: 'aten.unique has no lowering' },
    { name: 'Head', status: 'ok', message: '' },
  ]);
  const view = renderStatus({ state: 'running', jobs: [], background });
  assert.equal(view.text, '$(warning) LiteRT: Net fails to convert');
  assert.match(view.tooltip, /aten\.unique has no lowering/);
  assert.match(view.tooltip, /model\.py/);
  assert.equal(view.tone, 'warning');
  assert.equal(view.click, 'problems');
});

test('each export status reads as a verdict', () => {
  assert.equal(verdict('convert_failed'), 'fails to convert');
  assert.equal(verdict('mismatch'), 'converts but its outputs differ');
  assert.equal(verdict('runtime_failed'), 'fails in the LiteRT runtime');
  const two = check('done', [
    { name: 'A', status: 'mismatch', message: 'rel err 1e-2' },
    { name: 'B', status: 'convert_failed', message: 'x' },
  ]);
  assert.equal(renderStatus({ state: 'running', jobs: [], background: two }).text,
    '$(warning) LiteRT: A converts but its outputs differ (+1 more)');
});

test('skipped and cancelled checks leave the plain ready state', () => {
  const skipped = renderStatus({ state: 'running', jobs: [], background: check('skipped', []) });
  assert.equal(skipped.text, '$(check) LiteRT');
  assert.match(skipped.tooltip, /no model to build/);
  assert.equal(renderStatus({ state: 'running', jobs: [], background: check('cancelled', []) }).text, '$(check) LiteRT');
});

test('jobs without a background check are counted', () => {
  assert.equal(renderStatus({ state: 'running', jobs: ['LiteRT: exporting Net'] }).text, '$(sync~spin) LiteRT: 1 job');
  assert.equal(renderStatus({ state: 'running', jobs: ['a', 'b'] }).text, '$(sync~spin) LiteRT: 2 jobs');
});

test('a failed server is red, says why, and a click offers the ways out', () => {
  const view = renderStatus({ state: 'failed', jobs: [], failure: '"/x/python" cannot run it (does not exist)' });
  assert.equal(view.text, '$(error) LiteRT');
  assert.match(view.tooltip, /does not exist/);
  assert.equal(view.tone, 'error');
  assert.equal(view.click, 'recover');
  // A background verdict never hides the failure.
  const failedWithCheck = renderStatus({ state: 'failed', jobs: [], background: check('done', [{ name: 'Net', status: 'failed', message: '' }]) });
  assert.equal(failedWithCheck.tone, 'error');
});

test('which check is shown: a running one, else the active file, else the latest', () => {
  const a = check('done', [{ name: 'A', status: 'failed', message: '' }], 'file:///p/a.py');
  const b = check('done', [{ name: 'B', status: 'ok', message: '' }], 'file:///p/b.py');
  const c = check('running', [{ name: 'C', status: 'running', message: '' }], 'file:///p/c.py');
  assert.equal(pickBackground([a, b], 'file:///p/a.py'), a);
  assert.equal(pickBackground([a, b], undefined), b);
  assert.equal(pickBackground([a, c, b], 'file:///p/a.py'), c);
  assert.equal(pickBackground([], undefined), undefined);
});
