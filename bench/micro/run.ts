/**
 * Micro-benchmarks of the frame parser and encoder: `npm run bench:micro`. Runs micro/suite.ts,
 * compiled to JavaScript, twice, pinned to one core: once with ws's native helpers disabled and once
 * with them, and prints
 * frames per second with the ratios. The parser reads ~1 MiB of masked binary frames in 64 KiB
 * reads; the encoder builds unmasked server frames and masked client frames.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { compileForBenchmarks, removeBuild } from '../lib/build.js';
import { ROOT, TASKSET } from '../lib/children.js';
import { GENERATOR_CORE } from '../lib/context.js';
import { formatSize } from '../lib/config.js';
import { formatValue } from '../lib/table.js';

interface Line {
  readonly kind: string;
  readonly size: number;
  readonly implementation: string;
  readonly framesPerSecond: number;
}

function runSuite(build: string, nativeHelpers: boolean): Line[] {
  const env: NodeJS.ProcessEnv = nativeHelpers
    ? { ...process.env }
    : { ...process.env, WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' };
  if (nativeHelpers) {
    delete env['WS_NO_BUFFER_UTIL'];
    delete env['WS_NO_UTF_8_VALIDATE'];
  }
  const nodeArgs = [join(build, 'bench', 'micro', 'suite.js')];
  const [command, args] =
    TASKSET === undefined
      ? [process.execPath, nodeArgs]
      : [TASKSET, ['-c', String(GENERATOR_CORE), process.execPath, ...nodeArgs]];
  const result = spawnSync(command, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0) throw new Error(`micro suite failed (${result.status ?? result.signal}):\n${result.stderr}`);
  return result.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Line)
    .map((line) => (line.implementation === 'ws' && nativeHelpers ? { ...line, implementation: 'ws+native' } : line));
}

// Compiled JavaScript, as the benchmark servers run it (see compileForBenchmarks).
const build = compileForBenchmarks();
let lines: Line[];
try {
  lines = [...runSuite(build, false), ...runSuite(build, true)];
} finally {
  removeBuild(build);
}
const rate = (kind: string, size: number, implementation: string): number | undefined =>
  lines.find((l) => l.kind === kind && l.size === size && l.implementation === implementation)?.framesPerSecond;
const ratio = (a: number | undefined, b: number | undefined): string =>
  a !== undefined && b !== undefined ? `${(a / b).toFixed(2)}×` : '—';

const titles: Record<string, string> = {
  parse: 'parse masked client frames',
  serialize: 'encode server frames (unmasked)',
  'serialize-masked': 'encode client frames (masked copy)',
};
console.log('| frames/s | switchboard | ws | ws+native | switchboard / ws | switchboard / ws+native |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const kind of Object.keys(titles)) {
  for (const size of [32, 64 * 1024]) {
    const ours = rate(kind, size, 'switchboard');
    const ws = rate(kind, size, 'ws');
    const native = rate(kind, size, 'ws+native');
    console.log(
      `| ${titles[kind]}, ${formatSize(size)} | ${formatValue(ours, 'rate')} | ${formatValue(ws, 'rate')} | ${formatValue(native, 'rate')} | ${ratio(ours, ws)} | ${ratio(ours, native)} |`,
    );
  }
}
