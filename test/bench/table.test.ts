import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImplId } from '../../bench/lib/protocol.js';
import { computeMedians, median, type BenchResults, type CellResult, type MetricDef } from '../../bench/lib/results.js';
import { formatValue, renderTables } from '../../bench/lib/table.js';

const METRICS: MetricDef[] = [
  { key: 'rate', label: 'messages/s', format: 'rate', better: 'higher', table: true },
  { key: 'hidden', label: 'diagnostic', format: 'percent', better: 'lower', table: false },
];

function results(cell: CellResult): BenchResults {
  return {
    schema: 1,
    mode: 'full',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
    durationSeconds: 60,
    machine: {
      cpu: 'test',
      cores: 2,
      memoryGiB: 1,
      os: 'test',
      node: 'v20',
      packages: {},
      commit: 'abc',
      pinning: 'none',
      loadAverage: 0,
    },
    settings: { rounds: 3 },
    notes: [],
    implementations: [],
    scenarios: [{ id: 'echo', title: 'Echo', description: 'test scenario', metrics: METRICS, cells: [cell] }],
  };
}

describe('results and tables', () => {
  it('takes the median of odd and even counts', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });

  it('computes medians over successful runs only and renders ratios first / second', () => {
    const cell: CellResult = {
      id: 'c',
      label: '1 conn × 32 B',
      params: {},
      runs: {
        [ImplId.Switchboard]: [
          { metrics: { rate: 300, hidden: 1 } },
          { metrics: { rate: 200, hidden: 1 } },
          { metrics: { rate: 400, hidden: 1 } },
        ],
        [ImplId.Ws]: [
          { metrics: { rate: 100, hidden: 1 } },
          { error: 'server exited' },
          { metrics: { rate: 200, hidden: 1 } },
        ],
      },
      median: {},
    };
    computeMedians(cell, METRICS);
    assert.deepEqual(cell.median[ImplId.Switchboard], { rate: 300, hidden: 1 });
    assert.deepEqual(cell.median[ImplId.Ws], { rate: 150, hidden: 1 });
    const table = renderTables(results(cell));
    assert.match(table, /\*\*messages\/s\*\*/);
    assert.doesNotMatch(table, /diagnostic/);
    // 300 / 150 for ours against ws; ws+native took no part, so neither its column nor its ratio shows.
    assert.match(table, /\| 1 conn × 32 B \| 300\.0 \/s \| 150\.0 \/s \(1 failed\) \| 2\.00× \|/);
    assert.doesNotMatch(table, /ws\+native/);
  });

  it('formats each kind of value', () => {
    assert.equal(formatValue(1_234_567, 'rate'), '1.23 M/s');
    assert.equal(formatValue(12_345, 'rate'), '12.3 k/s');
    assert.equal(formatValue(2048, 'bytes'), '2.0 KiB');
    assert.equal(formatValue(1500, 'micros'), '1.50 ms');
    assert.equal(formatValue(undefined, 'percent'), '—');
  });
});
