#!/usr/bin/env node
// Runs every test file under test/ with node:test through tsx. Node 20's `--test` does not
// expand globs, so the files are listed here. Extra arguments narrow the run to matching paths.
//
// `--coverage` (implied by CI=true) runs the tests under c8, prints coverage per layer of src/ and
// fails when it falls below the floors in .c8rc.json. Every run ends by naming what was skipped and
// why, since node:test does not count a skipped suite; under CI=true a skip (or a `todo` test, whose
// failure fails nothing) fails the run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printCoverage } from './coverage-table.mjs';

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

/**
 * The skipped tests and suites the skip reporter wrote, grouped by reason; `undefined` when it wrote
 * no log at all (node:test creates the file even for a run with nothing skipped, so the reporter did
 * not run, and what was skipped is unknown).
 */
function readSkips(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const byReason = new Map();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const { file, name, reason } = JSON.parse(line);
    const entries = byReason.get(reason) ?? new Set();
    entries.add(`${file}: ${name}`);
    byReason.set(reason, entries);
  }
  return byReason;
}

function reportSkips(byReason) {
  if (byReason === undefined) {
    console.log('\nskipped: unknown (the skip reporter wrote no log)');
    return Infinity;
  }
  const count = [...byReason.values()].reduce((sum, entries) => sum + entries.size, 0);
  if (count === 0) {
    console.log('\nskipped: nothing');
    return 0;
  }
  // node:test's own "skipped" counts tests only: a suite skipped whole shows there as 0.
  console.log(`\nskipped: ${count} (suites count once, however many tests they hold)`);
  for (const [reason, entries] of byReason) {
    const files = new Set([...entries].map((entry) => entry.slice(0, entry.indexOf(': '))));
    console.log(`  ${entries.size} in ${files.size} file${files.size === 1 ? '' : 's'}: ${reason}`);
    for (const entry of entries) console.log(`      ${entry}`);
  }
  return count;
}

const args = process.argv.slice(2);
const ci = process.env['CI'] === 'true';
const coverage = ci || args.includes('--coverage');
const filters = args.filter((arg) => arg !== '--coverage');
const files = findTests('test')
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

// The realtime server serves the client's browser bundle and the browser tests load it: build it
// from the sources under test first (esbuild, well under a second).
const bundled = spawnSync(process.execPath, [join('scripts', 'build-client.mjs')], { stdio: 'inherit' });
if (bundled.status !== 0) {
  console.error('building the client bundle failed');
  process.exit(1);
}

const scratch = mkdtempSync(join(tmpdir(), 'switchboard-tests-'));
const skipLog = join(scratch, 'skipped.jsonl');
// Naming a reporter replaces node:test's default, so the default is named too: spec on a terminal, TAP otherwise.
const nodeTest = [
  '--import',
  'tsx',
  '--test',
  '--test-concurrency=2',
  // Each file runs as one test under this bound: the longest, the installed-package test, type-checks
  // the package under eleven compiler settings, about two minutes on a loaded two-core machine.
  '--test-timeout=300000',
  `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
  '--test-reporter-destination=stdout',
  '--test-reporter=./scripts/skip-reporter.mjs',
  `--test-reporter-destination=${skipLog}`,
  ...files,
];
// c8 reads its include list, reporters and floors from .c8rc.json; its json-summary feeds the table below.
// The floors hold for the whole suite only: a run narrowed to some files prints its coverage unchecked.
const c8 = [join('node_modules', 'c8', 'bin', 'c8.js'), ...(filters.length > 0 ? ['--no-check-coverage'] : [])];
const command = coverage ? [...c8, process.execPath, ...nodeTest] : nodeTest;
const coverageSummary = join('coverage', 'coverage-summary.json');
// An earlier run's summary must not pass for this one's if c8 stops before writing its own.
rmSync(coverageSummary, { force: true });
const result = spawnSync(process.execPath, command, { stdio: 'inherit' });
let status = result.status ?? 1;

const skipped = reportSkips(readSkips(skipLog));
if (ci && skipped > 0) {
  console.error('CI=true: nothing may be skipped in CI, nor go unaccounted for');
  status ||= 1;
}
// c8 passes a summary that holds no file of src/ (the sources were not mapped, say): its floors
// would then hold of nothing, so an absent or empty summary fails the run rather than passing it.
if (coverage && printCoverage(coverageSummary, '.c8rc.json') === 0) {
  console.error('coverage: no file of src/ was measured, so the floors were not checked');
  status ||= 1;
}
rmSync(scratch, { recursive: true, force: true });
process.exit(status);
