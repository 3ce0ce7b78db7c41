// Drives VS Code (code-server) in headless Chromium with playwright-core, as a person would:
// open the sample model, wait for the squiggle, read the Problems panel, hover the flagged call,
// then run the export code lens and wait for its result message. Prints one JSON object with
// what it saw; the Python test asserts on it. Screenshots go to the artifacts folder.
//
//   node drive.mjs '<json options>'
//   options: playwright (dir of playwright-core), chromium, url, file, hoverText, exportLens
//            (regex source), exportResult (regex source), artifacts, profile, timeoutMs,
//            handshake (a folder: after the hover, write `ready` there and wait for the test to
//            kill the server and write `restarted`, then check the editor recovered),
//            startFailure (expect the start-failure notice), recover ({venv, broken}: regex sources of
//            quick pick rows; then choose
//            the interpreter from the notice's quick pick, trying `broken` first, and go on:
//            Settings UI, "Check all Python files" with its summary, a deliberate restart),
//            saveCheck (at the end, save the file and read the background check's status)
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const options = JSON.parse(process.argv[2]);
const require = createRequire(import.meta.url);
const { chromium } = require(options.playwright);
const timeout = options.timeoutMs ?? 90000;
const result = { steps: [], screenshots: [], squiggles: 0, problems: '', hover: '', lenses: [], notifications: [] };
const started = Date.now();

function step(name) {
  result.steps.push({ name, ms: Date.now() - started });
}

async function shot(page, name) {
  const file = path.join(options.artifacts, `${name}.png`);
  await page.screenshot({ path: file });
  result.screenshots.push(file);
}

async function waitForFile(file, ms) {
  const deadline = Date.now() + ms;
  while (!existsSync(file)) {
    if (Date.now() > deadline) {
      throw new Error(`the test did not write ${file} within ${ms} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function notificationTexts(page) {
  return page.locator('.notifications-toasts .notification-toast').allInnerTexts();
}

const context = await chromium.launchPersistentContext(options.profile, {
  executablePath: options.chromium,
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let page;
try {
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(timeout);
  await page.goto(options.url);
  step('workbench loaded');

  // Open the file from the explorer, like a user.
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: options.file }).first();
  await row.waitFor();
  await row.dblclick();
  await page.locator('.monaco-editor .view-lines').first().waitFor();
  step('file opened');

  if (options.startFailure) {
    await startFailure(page);
  } else {
    await withDiagnostics(page);
  }
  result.notifications = await notificationTexts(page);
  result.ok = true;
} catch (error) {
  result.ok = false;
  result.error = String(error && error.message ? error.message : error).split('\n').slice(0, 6).join('\n');
  if (page) {
    try {
      result.notifications = await notificationTexts(page);
      await shot(page, 'vscode-failure');
    } catch {
      // the page is gone; the error above says why
    }
  }
} finally {
  await context.close();
}
process.stdout.write(JSON.stringify(result) + '\n');

// A bad `litert.python`: one clear message, and the status bar item says the server failed.
async function startFailure(page) {
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: /did not start/ }).first();
  await toast.waitFor();
  result.failedStatus = await page.locator('.statusbar-item:has(.codicon-error)', { hasText: 'LiteRT' }).count();
  result.failureToasts = await notificationTexts(page);
  await shot(page, 'vscode-start-failure');
  if (options.recover) {
    await recoverAndGoOn(page, toast);
  }
}

async function pickRow(page, text) {
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
  await row.waitFor();
  return row;
}

async function palette(page, query, rowText) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${query}`);
  await (await pickRow(page, rowText)).waitFor();
  await page.keyboard.press('Enter');
}

// "Choose interpreter" in the notice: a quick pick; a broken interpreter is refused with a reason,
// the working one is written to the folder's settings, the server starts and the notice goes.
async function recoverAndGoOn(page, toast) {
  await toast.locator('a', { hasText: 'Choose interpreter' }).click();
  step('choose interpreter clicked');
  // Each candidate says whether it has litert-lsp once its check returns.
  await pickRow(page, /has litert-lsp/);
  result.candidates = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
  await shot(page, 'vscode-choose-interpreter');
  await (await pickRow(page, new RegExp(options.recover.broken))).click();
  // The reason is the input's placeholder (an attribute: not text a hasText filter sees).
  const refused = page.locator('.quick-input-widget input[placeholder*="Choose another"]').first();
  await refused.waitFor({ timeout: 30000 });
  result.refusal = await page.locator('.quick-input-widget input').getAttribute('placeholder');
  await (await pickRow(page, new RegExp(options.recover.venv))).click();
  step('interpreter chosen');

  const ready = page.locator('.statusbar-item:has(.codicon-check)', { hasText: 'LiteRT' }).first();
  await ready.waitFor();
  await page.locator('.monaco-editor .squiggly-error, .monaco-editor .squiggly-warning').first().waitFor();
  await page.locator('.notifications-toasts .notification-toast', { hasText: /did not start/ })
    .waitFor({ state: 'detached', timeout: 15000 }).catch(() => undefined);
  result.toastsAfterRecovery = await notificationTexts(page);
  step('server running after the choice');
  await shot(page, 'vscode-recovered');

  // The setting is findable in the Settings editor of this (remote) window.
  await page.keyboard.press('Control+,');
  await page.locator('.settings-editor .settings-body').first().waitFor();
  await page.waitForTimeout(500); // the search box takes the focus once the editor is laid out
  await page.keyboard.type('litert.python');
  await page.waitForTimeout(1500); // the settings list filters after a debounce
  result.settingsText = await page.locator('.settings-editor').innerText();
  await shot(page, 'vscode-settings-python');
  await page.keyboard.press('Control+W'); // close the Settings editor
  await page.locator('.monaco-editor .view-lines').first().waitFor();

  // "Check all Python files": a summary with a button that opens the Problems panel.
  await palette(page, 'LiteRT: Check all Python files', 'Check all Python files');
  const summary = page.locator('.notifications-toasts .notification-toast', { hasText: /Checked \d+ files?/ }).first();
  await summary.waitFor({ timeout: 60000 });
  result.workspaceSummary = await summary.innerText();
  step('workspace summary shown');
  await shot(page, 'vscode-check-workspace');
  await summary.locator('.monaco-button', { hasText: 'Show Problems' }).click();
  await page.locator('.markers-panel .monaco-list-row').first().waitFor();
  await page.waitForTimeout(500);
  result.problems = await page.locator('.markers-panel').innerText();
  step('problems panel after the workspace check');

  // A deliberate restart: the server comes back (the test then reads the output channel).
  await palette(page, 'LiteRT: Restart the language server', 'Restart the language server');
  await page.waitForTimeout(3000); // the old server exits (and its exit reaches the output channel)
  await page.locator('.statusbar-item:has(.codicon-check)', { hasText: 'LiteRT' }).first().waitFor();
  step('restarted on request');
}

async function withDiagnostics(page) {
  // The server's diagnostic shows as a squiggle.
  const squiggle = page.locator('.monaco-editor .squiggly-error, .monaco-editor .squiggly-warning').first();
  await squiggle.waitFor();
  // Counted until the count holds one: a republish (the background check's, a restart's) redraws
  // the decorations, and a count read during the redraw sees none.
  const squiggles = page.locator('.monaco-editor .squiggly-error, .monaco-editor .squiggly-warning');
  for (let tries = 0; tries < 50 && (result.squiggles = await squiggles.count()) === 0; tries++) {
    await page.waitForTimeout(100);
  }
  step('squiggle shown');
  await page.waitForTimeout(500); // let the status bar settle for the picture
  await shot(page, options.untrusted ? 'vscode-untrusted' : 'vscode-squiggle');

  if (options.untrusted) {
    await restrictedMode(page);
  } else {
    await trustedSession(page, squiggle);
  }
}

// Restricted Mode: diagnostics yes; no lens or palette entry that would run model code.
async function restrictedMode(page) {
  await page.waitForTimeout(3000); // time for lenses to arrive, if any were going to
  result.lenses = await page.locator('.monaco-editor .codelens-decoration').allInnerTexts();
  result.restrictedMode = await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).count();
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill('>LiteRT');
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor();
  await page.waitForTimeout(300);
  result.palette = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
  await shot(page, 'vscode-untrusted-palette');
  await page.keyboard.press('Escape');
}

// Problems panel, hover, a server crash, and an export from its code lens.
async function trustedSession(page, squiggle) {
  // Problems panel.
  await page.keyboard.press('Control+Shift+M');
  const markers = page.locator('.markers-panel');
  await markers.waitFor();
  await page.locator('.markers-panel .monaco-list-row').first().waitFor();
  result.problems = await markers.innerText();
  step('problems panel read');
  await shot(page, 'vscode-problems');

  // Hover the flagged call.
  await page.keyboard.press('Control+Shift+M'); // hide the panel again: more room for the hover
  const box = await squiggle.boundingBox();
  await page.mouse.move(box.x + Math.min(box.width / 2, 30), box.y + box.height / 2);
  const hover = page.locator('.monaco-hover:not(.hidden) .monaco-hover-content', { hasText: options.hoverText }).first();
  await hover.waitFor();
  result.hover = await hover.innerText();
  step('hover read');
  await page.waitForTimeout(800); // the hover fades in
  await shot(page, 'vscode-hover');
  await page.mouse.move(5, 5);

  const ready = page.locator('.statusbar-item:has(.codicon-check)', { hasText: 'LiteRT' }).first();
  if (options.handshake) {
    // The test kills the server process here; the extension must start a new one by itself.
    writeFileSync(path.join(options.handshake, 'ready'), '');
    await waitForFile(path.join(options.handshake, 'restarted'), timeout);
    await ready.waitFor();
    await squiggle.waitFor();
    result.statusAfterRestart = await ready.innerText();
    step('editor recovered after the server was killed');
  }

  if (options.exportLens) {
    // Run the export from its code lens, then wait for the result message.
    const lensPattern = new RegExp(options.exportLens, 'i');
    const lens = page.locator('.monaco-editor .codelens-decoration a', { hasText: lensPattern }).first();
    await lens.waitFor();
    result.lenses = await page.locator('.monaco-editor .codelens-decoration').allInnerTexts();
    const exportTimeout = options.exportTimeoutMs ?? 240000;
    // Lenses are re-requested when the (restarted) server answers; let them settle before
    // clicking, as a person would, so the click does not land on a lens being replaced.
    await page.waitForTimeout(1500);
    await lens.click();
    step('export lens clicked');
    // While the export runs, the status bar item counts it (from $/progress).
    const busy = page.locator('.statusbar-item', { hasText: /LiteRT: \d+ jobs?/ }).first();
    try {
      await busy.waitFor({ timeout: 30000 });
    } catch {
      throw new Error('clicking the export lens started no job within 30 s (no "LiteRT: 1 job" in the status bar)');
    }
    result.statusDuringExport = await busy.innerText();
    step('export job running');
    await shot(page, 'vscode-export-running');
    const resultPattern = new RegExp(options.exportResult, 'i');
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: resultPattern }).first();
    await toast.waitFor({ timeout: exportTimeout });
    step('export result shown');
    await page.waitForTimeout(300);
    await shot(page, 'vscode-export');
  }

  if (options.paletteCheck) {
    // The palette command acts on the model class under the cursor.
    await page.locator('.monaco-editor .view-line', { hasText: options.paletteCheck.line }).first().click();
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill('>LiteRT: Check conversion');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Check conversion' }).first().waitFor();
    await page.keyboard.press('Enter');
    step('palette check started');
    const pattern = new RegExp(options.paletteCheck.result, 'i');
    await page.locator('.notifications-toasts .notification-toast', { hasText: pattern }).first()
      .waitFor({ timeout: options.exportTimeoutMs ?? 240000 });
    step('palette check result shown');
  }

  if (options.saveCheck) {
    await saveCheck(page);
  }
}

// A save starts the background conversion check: the status bar item says what it converts,
// then the verdict (its tooltip read by hovering the item).
async function saveCheck(page) {
  await page.locator('.monaco-editor .view-line', { hasText: options.paletteCheck?.line ?? 'class' }).first().click();
  await page.keyboard.press('Control+S');
  step('saved');
  const item = (pattern) => page.locator('.statusbar-item', { hasText: pattern }).first();
  const converting = item(/LiteRT: converting/);
  await converting.waitFor({ timeout: 120000 });
  result.statusWhileConverting = await converting.innerText();
  step('background check running');
  await shot(page, 'vscode-background-check');
  await converting.waitFor({ state: 'detached', timeout: options.exportTimeoutMs ?? 240000 }).catch(() => undefined);
  const verdict = page.locator('.statusbar-item:has(.codicon-check), .statusbar-item:has(.codicon-warning)',
    { hasText: 'LiteRT' }).first();
  await verdict.waitFor();
  result.statusAfterCheck = await verdict.innerText();
  await verdict.hover();
  const tooltip = page.locator('.workbench-hover, .monaco-hover:not(.hidden)', { hasText: /background check/ }).first();
  await tooltip.waitFor({ timeout: 15000 });
  result.statusTooltip = await tooltip.innerText();
  step('background check verdict shown');
  await shot(page, 'vscode-background-verdict');
  await page.mouse.move(5, 5);
}
