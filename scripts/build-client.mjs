// Builds the browser bundles of `switchboard/client` into bundle/ with esbuild: the files the
// realtime server serves under its path (`serveClient`) with the names the official server uses,
// so a page's `<script src="/socket.io/socket.io.js">` keeps working.
//
//   socket.io.js                  IIFE, readable: a global `io`, as the official bundle
//   socket.io.min.js              the same, minified
//   socket.io.esm.min.js          ES module, minified: `import { io } from '/socket.io/socket.io.esm.min.js'`
//   socket.io.websocket.esm.min.js  the same over WebSocket only (`switchboard/client/websocket`)
//
// Usage: node scripts/build-client.mjs [--out DIR] [--sizes]
//   --sizes  prints each minified file's bytes, gzipped, and what each source module costs in it
import { build } from 'esbuild';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outIndex = process.argv.indexOf('--out');
const out = outIndex === -1 ? join(root, 'bundle') : resolve(process.argv[outIndex + 1]);
const sizes = process.argv.includes('--sizes');
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

const results = await Promise.all([
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
  ...[
    ['index.ts', 'socket.io.esm.min.js'],
    ['websocket.ts', 'socket.io.websocket.esm.min.js'],
  ].map(([entry, file]) =>
    build({
      ...common,
      entryPoints: [join(root, 'src/client', entry)],
      format: 'esm',
      minify: true,
      metafile: sizes,
      outfile: join(out, file),
    }),
  ),
]);

if (sizes) {
  for (const result of results.slice(2)) {
    for (const [file, output] of Object.entries(result.metafile.outputs)) {
      const bytes = readFileSync(resolve(file));
      console.log(`${file}: ${bytes.length} bytes, ${gzipSync(bytes, { level: 9 }).length} gzipped`);
      const inputs = Object.entries(output.inputs).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput);
      for (const [input, { bytesInOutput }] of inputs) console.log(`  ${String(bytesInOutput).padStart(6)} ${input}`);
    }
  }
}
