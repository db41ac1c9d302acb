// Builds the designer's in-browser editors (bpmn-js modeler + properties panel + bpmnlint, dmn-js)
// from web/assets/editor/ into web/static/vendor/editor/ (git-ignored): `make setup` runs it.
// The bpmnlint configuration is packed first, as bpmnlint's own bundler plugins do.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'web/assets/editor');
const out = path.join(root, 'web/static/vendor/editor');

async function packLintConfig() {
  const compileConfig = require(require.resolve('bpmnlint/lib/support/compile-config', { paths: [ root ] }));
  const config = JSON.parse(await readFile(path.join(source, 'bpmnlintrc.json'), 'utf8'));
  await mkdir(path.join(source, 'generated'), { recursive: true });
  await writeFile(path.join(source, 'generated/bpmnlint-config.js'), await compileConfig(config));
}

await packLintConfig();
await rm(out, { recursive: true, force: true });
await esbuild.build({
  entryPoints: [ 'bpmn-editor.js', 'dmn-editor.js', 'bpmn-editor.css', 'dmn-editor.css' ].map(f => path.join(source, f)),
  outdir: out,
  bundle: true,
  minify: true,
  format: 'iife',
  target: [ 'chrome100', 'firefox100', 'safari15' ],
  nodePaths: [ path.join(root, 'node_modules') ],
  loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file' },
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
  legalComments: 'linked'
});
console.log('sanfu: editors built into ' + path.relative(root, out));
