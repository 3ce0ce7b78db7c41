// Drives VS Code (code-server) in headless Chromium with playwright-core, as a person would:
// open the sample model, wait for the squiggle, read the Problems panel, hover the flagged call,
// then run the export code lens and wait for its result message. Prints one JSON object with
// what it saw; the Python test asserts on it. Screenshots go to the artifacts folder.
//
//   node drive.mjs '<json options>'
//   options: playwright (dir of playwright-core), chromium, url, file, hoverText, exportLens
//            (regex source), exportResult (regex source), artifacts, profile, timeoutMs,
//            handshake (a folder: after the hover, write `ready` there and wait for the test to
//            kill the server and write `restarted`, then check the editor recovered)
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
  await shot(page, 'vscode-start-failure');
}

async function withDiagnostics(page) {
  // The server's diagnostic shows as a squiggle.
  const squiggle = page.locator('.monaco-editor .squiggly-error, .monaco-editor .squiggly-warning').first();
  await squiggle.waitFor();
  result.squiggles = await page.locator('.monaco-editor .squiggly-error, .monaco-editor .squiggly-warning').count();
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
}
