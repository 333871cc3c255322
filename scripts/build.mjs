#!/usr/bin/env node
// Builds the emulator into dist/ with esbuild: one ESM bundle of our TypeScript (plus the pure-JS
// libraries that are costly to load as hundreds of files), run by plain `node`. `npm start` runs it
// first (it takes well under a second); tests and `npm run dev` run the sources through tsx.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// Bundled into dist/: typebox (about 700 modules) and @peculiar/x509 (loaded only when certificates
// are made) start much faster as one file. Everything else, native addons included, stays external.
const BUNDLED = new Set(['typebox', '@peculiar/x509']);
const external = Object.keys(pkg.dependencies).filter((name) => !BUNDLED.has(name));

await build({
  absWorkingDir: root,
  // main: the CLI (`npm start`, bin/ciam-emulator.mjs); index: the in-process API (`import { startEmulator } from 'ciam-emulator'`).
  entryPoints: { main: 'server/main.ts', index: 'server/index.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22.12',
  external,
  sourcemap: 'linked',
  logLevel: 'warning',
  // Some bundled CommonJS code calls require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});

// `--types` (the prepare script): declarations for the in-process API, so TypeScript test suites
// get types. tsc takes a few seconds, so npm start does not wait for it.
// A failure here must not fail `npm install`: the bundle is built and `npm run typecheck` reports type errors.
if (process.argv.includes('--types')) {
  const { spawnSync } = await import('node:child_process');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.stderr.write('\nciam-emulator build: WARNING: could not write the type declarations (dist/types); the emulator itself is built.\n');
}
