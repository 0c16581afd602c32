import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { ROOT } from './children.js';

/** The source trees the benchmark processes load: the library and the benchmark code. */
const LIBRARY = 'src';
const BENCH = 'bench';
/** Never compiled: earlier builds and results. */
const SKIP = new Set([join('bench', '.build'), join('bench', 'results')]);

function typeScriptFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (SKIP.has(path)) continue;
    if (statSync(join(ROOT, path)).isDirectory()) found.push(...typeScriptFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) found.push(path);
  }
  return found;
}

/**
 * Compiles `src/` and `bench/` to plain JavaScript in a directory of this run's own, file by file
 * with TypeScript's transpiler (the tsconfig has `isolatedModules`, so no type information is
 * needed). The benchmark processes run that output with plain `node`, as a user of the published
 * package would run `dist/`: a loader such as tsx rewrites every named closure into a call that
 * defines its `name` at run time, which would add memory and CPU to every connection of code
 * written in TypeScript and not to ws, which is JavaScript. Outputs are cached by content in
 * bench/.build/cache, so only changed files are compiled again. With `revision` (a git commit),
 * the library is compiled as committed there rather than as it is in the working tree. Returns
 * the directory.
 */
export function compileForBenchmarks(revision?: string): string {
  const out = join(ROOT, 'bench', '.build', `run-${process.pid}`);
  const cache = join(ROOT, 'bench', '.build', 'cache');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  const compilerOptions: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    sourceMap: false,
  };
  const settings = JSON.stringify([ts.version, compilerOptions]);
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const library =
    revision === undefined
      ? typeScriptFiles(LIBRARY).map((file) => ({ file, read: () => readFileSync(join(ROOT, file), 'utf8') }))
      : git('ls-tree', '-r', '--name-only', revision, '--', LIBRARY)
          .split('\n')
          .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
          .map((file) => ({ file, read: () => git('show', `${revision}:${file}`) }));
  const bench = typeScriptFiles(BENCH).map((file) => ({ file, read: () => readFileSync(join(ROOT, file), 'utf8') }));
  for (const { file, read } of [...library, ...bench]) {
    const source = read();
    const cached = join(cache, `${createHash('sha256').update(settings).update(source).digest('hex')}.js`);
    let outputText: string;
    if (existsSync(cached)) {
      outputText = readFileSync(cached, 'utf8');
    } else {
      outputText = ts.transpileModule(source, { compilerOptions, fileName: file }).outputText;
      writeFileSync(cached, outputText);
    }
    const target = join(out, file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  return out;
}

/** Removes a directory made by {@link compileForBenchmarks}. */
export function removeBuild(directory: string): void {
  if (relative(join(ROOT, 'bench', '.build'), directory).startsWith('..')) return;
  rmSync(directory, { recursive: true, force: true });
}
