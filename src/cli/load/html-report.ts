import { barChart, escapeXml, lineChart } from './svg-chart.js';
import type { LoadReport } from './report.js';
import { formatReport, ms } from './terminal-report.js';

const STYLE = `body{font:14px system-ui,sans-serif;margin:2rem auto;max-width:800px;color:#222}
h1{font-size:1.3rem}pre{background:#f5f5f5;padding:1rem;overflow:auto;font-size:12px}
svg{width:100%;height:auto;margin:1rem 0}.title{font-weight:600;font-size:14px}
.axis{font-size:11px;fill:#555}.grid{stroke:#e4e4e4}.bar{fill:#3a7bd5}
.warning{background:#fff3cd;padding:.5rem 1rem}`;

/**
 * The `--report` page: the summary, then plots of the message rates, the latency and the generator's
 * CPU over time, and the latency histogram. One self-contained file: inline CSS and SVG, no script,
 * nothing fetched, so it opens anywhere and can be attached to an issue.
 */
export function htmlReport(report: LoadReport, generatedAt: Date): string {
  const timeline = report.timeline;
  const rates = lineChart('Messages per second', 'msg/s', [
    { name: 'sent', color: '#3a7bd5', points: timeline.map((point) => [point.t, point.sentPerSecond]) },
    { name: 'received', color: '#2e9d5b', points: timeline.map((point) => [point.t, point.receivedPerSecond]) },
  ]);
  const latency = lineChart('Latency per second', 'ms', [
    { name: 'p50', color: '#2e9d5b', points: timeline.map((point) => [point.t, point.p50]) },
    { name: 'p99', color: '#e08a00', points: timeline.map((point) => [point.t, point.p99]) },
    { name: 'max', color: '#c0392b', points: timeline.map((point) => [point.t, point.max]) },
  ]);
  const load = lineChart('Connections and generator CPU', 'count / % of a core', [
    { name: 'connections', color: '#3a7bd5', points: timeline.map((point) => [point.t, point.connections]) },
    { name: 'CPU %', color: '#8e44ad', points: timeline.map((point) => [point.t, point.cpuPercent]) },
  ]);
  const histogram = barChart(
    'Latency histogram',
    'replies',
    report.latencyMs.histogram.map((bin) => ({ label: `≤${ms(bin.upToMs)}`, value: bin.count })),
  );
  const warning = report.cpu.saturated
    ? `<p class="warning">The generator used ${report.cpu.percentOfOneCore}% of a core: it may have been the bottleneck.</p>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(`switchboard load: ${report.url}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeXml(`Load: ${report.pattern} over ${report.protocol}, ${report.url}`)}</h1>
<p>${escapeXml(generatedAt.toISOString())}</p>
${warning}
<pre>${escapeXml(formatReport(report))}</pre>
${rates}
${latency}
${load}
${histogram}
</body>
</html>
`;
}
