// Builds kho's web UI into <out>: index.html and static/ with content-hashed
// file names (served for a year by kho-server), one script and one style
// sheet. No inline script: the server's Content-Security-Policy forbids it.
// Usage: node build.mjs <out-dir>
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? join(here, 'dist'));

const result = await esbuild.build({
  entryPoints: { app: join(here, 'src/main.jsx'), style: join(here, 'src/app.css') },
  bundle: true,
  minify: true,
  write: false,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: 'static',
  logLevel: 'warning',
  legalComments: 'none',
  external: ['/static/*'],
});

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'static'), { recursive: true });
const names = {};
for (const f of result.outputFiles) {
  const ext = f.path.endsWith('.css') ? 'css' : 'js';
  const hash = createHash('sha256').update(f.contents).digest('hex').slice(0, 12);
  const name = `${ext === 'css' ? 'app' : 'app'}-${hash}.${ext}`;
  writeFileSync(join(out, 'static', name), f.contents);
  names[ext] = name;
}
for (const asset of ['favicon.svg']) {
  writeFileSync(join(out, 'static', asset), readFileSync(join(here, 'src', asset)));
}
const html = readFileSync(join(here, 'src/index.html'), 'utf8')
  .replace('%APP_JS%', `/static/${names.js}`)
  .replace('%APP_CSS%', `/static/${names.css}`);
writeFileSync(join(out, 'index.html'), html);
const sizes = result.outputFiles.map((f) => `${(f.contents.length / 1024).toFixed(1)} KiB`).join(', ');
console.log(`kho web UI: ${names.js}, ${names.css} (${sizes}) -> ${out}`);
