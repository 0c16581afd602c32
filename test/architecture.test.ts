import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { describe, it } from 'node:test';

/** Which layers each layer may import (docs/ARCHITECTURE.md); `node` stands for `node:*` modules. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  protocol: ['protocol'],
  diagnostics: ['diagnostics', 'node'],
  ws: ['protocol', 'diagnostics', 'ws', 'node'],
  engine: ['protocol', 'diagnostics', 'ws', 'engine', 'node'],
  adapter: ['protocol', 'adapter', 'node'],
  server: ['protocol', 'diagnostics', 'engine', 'adapter', 'server', 'node'],
  redis: ['protocol', 'adapter', 'redis', 'node', 'package'],
  client: ['protocol', 'client', 'package'],
  // The client's Node entry: the client on our own WebSocket and Node's fetch.
  'client-node': ['protocol', 'client', 'ws', 'client-node', 'node'],
  cli: [
    'protocol',
    'diagnostics',
    'ws',
    'engine',
    'adapter',
    'server',
    'redis',
    'client',
    'client-node',
    'cli',
    'node',
    'package',
  ],
  // src/index.ts, the package root: a few names re-exported from the public subpaths.
  'index.ts': ['ws', 'server'],
};

const SRC = resolve('src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function layerOf(path: string): string {
  return relative(SRC, path).split(sep)[0]!;
}

/** The module specifiers of every static and dynamic import and re-export in `source`. */
function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  const pattern =
    /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;
  for (const match of source.matchAll(pattern)) specifiers.push((match[1] ?? match[2] ?? match[3])!);
  return specifiers;
}

describe('layering', () => {
  for (const file of sourceFiles(SRC)) {
    const layer = layerOf(file);
    it(`${relative(SRC, file)} imports only what ${layer} may`, () => {
      const allowed = ALLOWED[layer];
      assert.ok(allowed, `src/${layer} is not in the layer table; add it here and to docs/ARCHITECTURE.md`);
      for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
        let target: string;
        if (specifier.startsWith('node:')) target = 'node';
        else if (specifier.startsWith('.')) target = layerOf(resolve(dirname(file), specifier));
        else target = 'package';
        assert.ok(allowed.includes(target), `${relative(SRC, file)} imports ${specifier} (layer "${target}")`);
      }
    });
  }
});
