import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareBundleSizes, OFFICIAL_BUNDLES, type BundleComparison } from '../client/bundle-size.js';
import { CLIENT_IMPLEMENTATIONS, CLIENT_RATIOS, ClientImplId } from '../client/implementations.js';
import type { RunContext } from '../lib/context.js';
import {
  computeMedians,
  type CellResult,
  type MetricDef,
  type RunRecord,
  type ScenarioResult,
} from '../lib/results.js';
import { withImplementations } from '../socketio/harness.js';

const METRICS: readonly MetricDef[] = [
  { key: 'minified', label: 'bundle size, minified', format: 'bytes', better: 'lower', table: true },
  { key: 'gzipped', label: 'bundle size, minified and gzipped', format: 'bytes', better: 'lower', table: true },
];

function cell(comparison: BundleComparison): CellResult {
  const record = (size: BundleComparison['ours']): RunRecord[] => [
    { metrics: { minified: size.minified, gzipped: size.gzipped }, details: size.file },
  ];
  const result: CellResult = {
    id: `client-size-${comparison.id}`,
    label: `${comparison.label} (${comparison.ours.file} / ${comparison.theirs.file})`,
    params: { ours: comparison.ours.file, theirs: comparison.theirs.file },
    runs: { [ClientImplId.Switchboard]: record(comparison.ours), [ClientImplId.Official]: record(comparison.theirs) },
    median: {},
  };
  computeMedians(result, METRICS);
  return result;
}

/**
 * The size of our browser bundles against the official client's: built once (sizes do not vary
 * between rounds), minified, and gzipped at level 9. A build that fails fails the scenario's runs.
 */
export function runClientSize(context: RunContext): Promise<ScenarioResult> {
  const { version } = JSON.parse(readFileSync(join(OFFICIAL_BUNDLES, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  context.details.set(ClientImplId.Official, `socket.io-client ${version}, its dist/ bundles`);
  context.details.set(ClientImplId.Switchboard, 'bundles built by scripts/build-client.mjs from the working tree');
  let cells: CellResult[];
  try {
    const comparisons = compareBundleSizes();
    for (const { label, ours, theirs } of comparisons) {
      context.log(
        `  client-size | ${label}: ${ours.minified} / ${theirs.minified} B minified (${(ours.minified / theirs.minified).toFixed(2)}×), ${ours.gzipped} / ${theirs.gzipped} B gzipped (${(ours.gzipped / theirs.gzipped).toFixed(2)}×)`,
      );
    }
    cells = comparisons.map(cell);
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    context.log(`  client-size: FAILED ${message}`);
    cells = [
      {
        id: 'client-size-build',
        label: 'building the bundles',
        params: {},
        runs: Object.fromEntries(
          CLIENT_IMPLEMENTATIONS.map((implementation) => [implementation.id, [{ error: message }]]),
        ),
        median: {},
      },
    ];
  }
  return Promise.resolve(
    withImplementations(
      context,
      {
        id: 'client-size',
        title: 'Socket.IO client bundle size',
        description:
          'Our browser bundles, built from the working tree by `scripts/build-client.mjs` (esbuild, minified), against the bundles socket.io-client ships in `dist/`; gzip at level 9. Sizes do not vary between rounds: measured once.',
        metrics: METRICS,
        cells,
      },
      CLIENT_IMPLEMENTATIONS,
      CLIENT_RATIOS,
    ),
  );
}
