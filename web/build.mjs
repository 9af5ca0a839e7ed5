// Builds kho's web UI into <out>: index.html and static/ with content-hashed
// file names (served for a year by kho-server): the app's entry script, the
// chunks of pages loaded when first opened (so the catalog's first load
// stays small), and one style sheet. No inline script: the server's
// Content-Security-Policy forbids it.
// Usage: node build.mjs <out-dir>
import * as esbuild from 'esbuild';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? join(here, 'dist'));

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'static'), { recursive: true });
const result = await esbuild.build({
  entryPoints: { app: join(here, 'src/main.jsx'), style: join(here, 'src/app.css') },
  bundle: true,
  splitting: true,
  minify: true,
  write: true,
  metafile: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: join(out, 'static'),
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  logLevel: 'warning',
  legalComments: 'none',
  external: ['/static/*'],
});

const entries = {};
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (meta.entryPoint?.endsWith('main.jsx')) entries.js = basename(file);
  if (meta.entryPoint?.endsWith('app.css')) entries.css = basename(file);
}
writeFileSync(join(out, 'static', 'favicon.svg'), readFileSync(join(here, 'src', 'favicon.svg')));
const html = readFileSync(join(here, 'src/index.html'), 'utf8')
  .replace('%APP_JS%', `/static/${entries.js}`)
  .replace('%APP_CSS%', `/static/${entries.css}`);
writeFileSync(join(out, 'index.html'), html);
const kib = (f) => `${(statSync(join(out, 'static', f)).size / 1024).toFixed(1)} KiB`;
const chunks = Object.keys(result.metafile.outputs).filter((f) => basename(f).startsWith('chunk-')).length;
console.log(`kho web UI: ${entries.js} (${kib(entries.js)}), ${entries.css} (${kib(entries.css)}), ${chunks} chunks -> ${out}`);
