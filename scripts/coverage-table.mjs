// Prints c8's json-summary as one row per layer of src/ (protocol, ws, engine, ...) and a total,
// with the floors from the c8 configuration; c8 itself fails the run when a total is below its floor.
import { readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';

const METRICS = ['lines', 'branches', 'functions'];

function percent(covered, total) {
  return total === 0 ? '100.00' : ((100 * covered) / total).toFixed(2);
}

/**
 * @param {string} summaryPath c8's coverage-summary.json
 * @param {string} configPath the c8 configuration holding the floors
 * @returns {number} how many files the summary measured: 0 when there is no summary
 */
export function printCoverage(summaryPath, configPath) {
  let summary;
  try {
    summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
  } catch {
    console.log(`\ncoverage: no summary at ${summaryPath}`);
    return 0;
  }
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  const layers = new Map();
  for (const [file, metrics] of Object.entries(summary)) {
    if (file === 'total') continue;
    const parts = relative(process.cwd(), file).split(sep);
    // src/<layer>/... ; a file directly in src/ is its own row.
    const layer = parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts.join('/');
    const sums = layers.get(layer) ?? { files: 0, lines: [0, 0], branches: [0, 0], functions: [0, 0] };
    sums.files++;
    for (const metric of METRICS) {
      sums[metric][0] += metrics[metric].covered;
      sums[metric][1] += metrics[metric].total;
    }
    layers.set(layer, sums);
  }
  const row = (name, files, cells) =>
    `  ${name.padEnd(16)}${String(files).padStart(6)}${cells.map((cell) => cell.padStart(11)).join('')}`;
  console.log('\ncoverage (%):');
  console.log(row('', 'files', METRICS));
  for (const [layer, sums] of [...layers].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(
      row(
        layer,
        sums.files,
        METRICS.map((metric) => percent(...sums[metric])),
      ),
    );
  }
  const files = [...layers.values()].reduce((count, sums) => count + sums.files, 0);
  const { total } = summary;
  console.log(
    row(
      'total',
      files,
      METRICS.map((metric) => percent(total[metric].covered, total[metric].total)),
    ),
  );
  console.log(
    row(
      'floor',
      '',
      METRICS.map((metric) => String(config[metric] ?? 0)),
    ),
  );
  console.log(`  (floors from ${configPath}; raise them as coverage grows, never lower them)`);
  return files;
}
