#!/usr/bin/env node
// Runs every test file under test/ with node:test through tsx. Node 20's `--test` does not
// expand globs, so the files are listed here. Extra arguments narrow the run to matching paths.
//
// `--coverage` (implied by CI=true) runs the tests under c8, prints coverage per layer of src/ and
// fails when it falls below the floors in .c8rc.json. Every run ends by naming what was skipped and
// why, since node:test does not count a skipped suite; under CI=true a skip fails the run.
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

/** The skipped tests and suites the skip reporter wrote, grouped by reason. */
function readSkips(path) {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return new Map();
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

const scratch = mkdtempSync(join(tmpdir(), 'switchboard-tests-'));
const skipLog = join(scratch, 'skipped.jsonl');
// Naming a reporter replaces node:test's default, so the default is named too: spec on a terminal, TAP otherwise.
const nodeTest = [
  '--import',
  'tsx',
  '--test',
  '--test-concurrency=2',
  '--test-timeout=120000',
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
  console.error('CI=true: nothing may be skipped in CI');
  status ||= 1;
}
if (coverage) printCoverage(coverageSummary, '.c8rc.json');
rmSync(scratch, { recursive: true, force: true });
process.exit(status);
