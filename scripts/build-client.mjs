// Builds the browser bundles of `switchboard/client` into bundle/ with esbuild: the files the
// realtime server serves under its path (`serveClient`) with the names the official server uses,
// so a page's `<script src="/socket.io/socket.io.js">` keeps working.
//
//   socket.io.js                  IIFE, readable: a global `io`, as the official bundle
//   socket.io.min.js              the same, minified
//   socket.io.esm.min.js          ES module, minified: `import { io } from '/socket.io/socket.io.esm.min.js'`
//
// Usage: node scripts/build-client.mjs [--out DIR]
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outIndex = process.argv.indexOf('--out');
const out = outIndex === -1 ? join(root, 'bundle') : resolve(process.argv[outIndex + 1]);
mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  platform: 'browser',
  target: ['es2022'],
  legalComments: 'none',
  logLevel: 'warning',
  // Browsers have no `process`; a bundle must not depend on one.
  define: { 'process.env.NODE_ENV': '"production"' },
};

// The IIFE's value is the entry module's namespace; the page's global is its default export.
const global = { globalName: 'io', footer: { js: 'io=io.default;' } };

await Promise.all([
  build({
    ...common,
    ...global,
    entryPoints: [join(root, 'src/client/global.ts')],
    format: 'iife',
    outfile: join(out, 'socket.io.js'),
  }),
  build({
    ...common,
    ...global,
    entryPoints: [join(root, 'src/client/global.ts')],
    format: 'iife',
    minify: true,
    outfile: join(out, 'socket.io.min.js'),
  }),
  build({
    ...common,
    entryPoints: [join(root, 'src/client/index.ts')],
    format: 'esm',
    minify: true,
    outfile: join(out, 'socket.io.esm.min.js'),
  }),
]);
