// Bundles the extension and vscode-languageclient into one file, so the .vsix needs no node_modules.
// With --tests: bundles src/test/*.test.ts into out/test/ instead, for `node --test` (the parts
// they test import nothing from `vscode`).
import { readdirSync } from 'node:fs';
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' };

if (process.argv.includes('--tests')) {
  await build({
    ...common,
    entryPoints: readdirSync('src/test').filter((f) => f.endsWith('.test.ts')).map((f) => `src/test/${f}`),
    outdir: 'out/test',
  });
} else {
  await build({
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'out/extension.js',
    external: ['vscode'],
    sourcemap: true,
  });
}
