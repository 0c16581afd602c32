import { IMPLEMENTATIONS, RATIOS } from './implementations.js';
import type { BenchResults, MetricDef, MetricFormat } from './results.js';

/** Formats a value of a metric for a table. */
export function formatValue(value: number | undefined, format: MetricFormat): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  switch (format) {
    case 'rate':
      return value >= 1e6
        ? `${(value / 1e6).toFixed(2)} M/s`
        : value >= 1e3
          ? `${(value / 1e3).toFixed(1)} k/s`
          : `${value.toFixed(1)} /s`;
    case 'mibps':
      return `${value.toFixed(1)} MiB/s`;
    case 'micros':
      return value >= 1000
        ? `${(value / 1000).toFixed(2)} ms`
        : value >= 10
          ? `${value.toFixed(1)} µs`
          : `${value.toFixed(2)} µs`;
    case 'bytes':
      return Math.abs(value) >= 1024 ? `${(value / 1024).toFixed(1)} KiB` : `${Math.round(value)} B`;
    case 'percent':
      return `${value.toFixed(0)}%`;
    case 'count':
      return String(Math.round(value));
  }
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '—';
  return `${(a / b).toFixed(2)}×`;
}

/**
 * Renders the results as Markdown tables: one per headline metric of each scenario, the median of
 * every implementation per cell, then the ratios (first / second).
 */
export function renderTables(results: BenchResults): string {
  const out: string[] = [];
  for (const scenario of results.scenarios) {
    // Only the implementations that took part in this scenario.
    const known = scenario.implementations ?? IMPLEMENTATIONS;
    const label = (id: string): string => known.find((implementation) => implementation.id === id)?.label ?? id;
    const present = known.filter((implementation) =>
      scenario.cells.some((cell) => cell.runs[implementation.id] !== undefined),
    );
    const ratios = (scenario.ratios ?? RATIOS).filter(
      ([a, b]) => present.some((p) => p.id === a) && present.some((p) => p.id === b),
    );
    out.push(`### ${scenario.title}`, '', scenario.description, '');
    for (const metric of scenario.metrics.filter((m: MetricDef) => m.table)) {
      out.push(
        `**${metric.label}** (${metric.better} is better; ratios below 1 mean ${metric.better === 'higher' ? 'slower' : 'better'})`,
        '',
      );
      const header = ['', ...present.map((p) => p.label), ...ratios.map(([a, b]) => `${label(a)} / ${label(b)}`)];
      out.push(`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
      for (const cell of scenario.cells) {
        const values = present.map((p) => {
          const value = cell.median[p.id]?.[metric.key];
          const failed = (cell.runs[p.id] ?? []).filter((run) => 'error' in run).length;
          return formatValue(value, metric.format) + (failed > 0 ? ` (${failed} failed)` : '');
        });
        const ratioCells = ratios.map(([a, b]) => ratio(cell.median[a]?.[metric.key], cell.median[b]?.[metric.key]));
        out.push(`| ${[cell.label, ...values, ...ratioCells].join(' | ')} |`);
      }
      out.push('');
    }
  }
  return out.join('\n');
}

/**
 * Whether the generator could have been the bottleneck: per cell, the highest generator CPU use and
 * the lowest server CPU use seen in any run (percent of one core).
 */
export function renderSaturation(results: BenchResults): string {
  const out = ['| scenario | cell | generator CPU, highest | server CPU, lowest |', '| --- | --- | ---: | ---: |'];
  for (const scenario of results.scenarios) {
    for (const cell of scenario.cells) {
      const runs = Object.values(cell.runs)
        .flat()
        .flatMap((run) => ('metrics' in run ? [run.metrics] : []));
      const generator = runs.map((m) => m['generatorCpuPercent']).filter((v): v is number => v !== undefined);
      const server = runs.map((m) => m['serverCpuPercent']).filter((v): v is number => v !== undefined);
      if (generator.length === 0) continue;
      out.push(
        `| ${scenario.title} | ${cell.label} | ${formatValue(Math.max(...generator), 'percent')} | ${formatValue(Math.min(...server), 'percent')} |`,
      );
    }
  }
  return out.join('\n');
}

/** The machine and software block shown above the tables. */
export function renderMachine(results: BenchResults): string {
  const { machine } = results;
  const packages = Object.entries(machine.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return [
    `- CPU: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, ${machine.os}`,
    `- Node ${machine.node}; ${packages}; commit ${machine.commit}`,
    `- ${machine.pinning}; load average ${machine.loadAverage} at the start`,
    `- mode: ${results.mode}, ${String(results.settings['rounds'])} interleaved round(s), medians shown; run took ${Math.round(results.durationSeconds)} s (${results.startedAt})`,
    ...results.notes.map((note) => `- note: ${note}`),
  ].join('\n');
}
