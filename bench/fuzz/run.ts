/**
 * `npm run fuzz`: fuzzes every parser for a few minutes (opt-in, beyond the property tests and the
 * fuzz smoke test of `npm test`). Options: `--minutes=N` for the whole run (default 5, shared
 * evenly by the targets), `--target=name,...`, `--seed=N` to replay a run. Prints inputs/s per
 * target; each failing input is saved as hex to bench/fuzz/failures/<target>-<hash>.hex, which
 * later runs (and the smoke test) check first, so a fixed bug stays fixed.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fuzz } from './engine.js';
import { TARGETS } from './targets/index.js';

/** Where findings are saved, and read back from. */
export const FAILURES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'failures');

/** The saved findings of `target`, as inputs. */
export function savedFindings(target: string): Uint8Array[] {
  let names: string[];
  try {
    names = readdirSync(FAILURES_DIR);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.startsWith(`${target}-`) && name.endsWith('.hex'))
    .map((name) => Buffer.from(readFileSync(join(FAILURES_DIR, name), 'utf8').split('\n')[0]!.trim(), 'hex'));
}

function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv
    .slice(2)
    .find((arg) => arg.startsWith(prefix))
    ?.slice(prefix.length);
}

function main(): number {
  if (process.argv.includes('--help')) {
    console.log('npm run fuzz -- [--minutes=5] [--target=name,...] [--seed=N]\n\ntargets:');
    for (const target of TARGETS) console.log(`  ${target.name.padEnd(20)} ${target.description}`);
    return 0;
  }
  const known = process.argv.slice(2).filter((arg) => !/^--(minutes|target|seed)=/.test(arg));
  if (known.length > 0) throw new TypeError(`unknown argument ${known[0]!}; see npm run fuzz -- --help`);
  const minutes = Number(option('minutes') ?? 5);
  if (!(minutes > 0)) throw new TypeError('--minutes must be a positive number');
  const seed = Number(option('seed') ?? Date.now() % 2 ** 32);
  const names = option('target')?.split(',');
  const unknown = names?.find((name) => !TARGETS.some((target) => target.name === name));
  if (unknown !== undefined) {
    throw new TypeError(`unknown target ${unknown}; one of ${TARGETS.map((target) => target.name).join(', ')}`);
  }
  const chosen = TARGETS.filter((target) => names === undefined || names.includes(target.name));
  const durationMs = (minutes * 60_000) / chosen.length;

  console.log(`fuzzing ${chosen.length} targets for ${minutes} min, seed ${seed}`);
  let failed = 0;
  for (const target of chosen) {
    const stats = fuzz(target, { durationMs, seed, replay: savedFindings(target.name) });
    const rate = Math.round(stats.iterations / stats.seconds).toLocaleString('en-US');
    console.log(
      `${target.name.padEnd(20)} ${stats.iterations.toLocaleString('en-US').padStart(12)} inputs ` +
        `${rate.padStart(9)}/s  ${stats.findings.length} failing`,
    );
    for (const { input, message } of stats.findings) {
      const hex = Buffer.from(input).toString('hex');
      const hash = createHash('sha1').update(input).digest('hex').slice(0, 12);
      const file = join(FAILURES_DIR, `${target.name}-${hash}.hex`);
      mkdirSync(FAILURES_DIR, { recursive: true });
      writeFileSync(file, `${hex}\n${message.replace(/^/gm, '# ')}\n`);
      console.log(
        `  ${message.split('\n')[0]!}\n    input (${input.length} bytes): ${hex.slice(0, 200)}` +
          `${hex.length > 200 ? '…' : ''}\n    saved to ${file}`,
      );
      failed++;
    }
  }
  return failed === 0 ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main();
  } catch (error) {
    // A wrong argument: its message is the whole story.
    if (!(error instanceof TypeError)) throw error;
    console.error(error.message);
    process.exitCode = 2;
  }
}
