/** One line of a chart. */
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [x: number, y: number])[];
}

/** One bar of a bar chart. */
export interface Bar {
  readonly label: string;
  readonly value: number;
}

const WIDTH = 760;
const HEIGHT = 260;
const MARGIN = { left: 64, right: 16, top: 32, bottom: 40 } as const;
const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_HEIGHT = HEIGHT - MARGIN.top - MARGIN.bottom;
const TICKS = 5;

/** Escapes text for SVG and HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least `value`. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function label(value: number): string {
  return String(Number(value.toPrecision(3)));
}

function frame(title: string, body: string, yLabel: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeXml(title)}">` +
    `<text x="${MARGIN.left}" y="20" class="title">${escapeXml(title)}</text>` +
    `<text x="14" y="${MARGIN.top + PLOT_HEIGHT / 2}" class="axis" transform="rotate(-90 14 ${MARGIN.top + PLOT_HEIGHT / 2})" text-anchor="middle">${escapeXml(yLabel)}</text>` +
    body +
    '</svg>'
  );
}

function yAxis(top: number): string {
  let out = '';
  for (let i = 0; i <= TICKS; i++) {
    const y = MARGIN.top + PLOT_HEIGHT - (i / TICKS) * PLOT_HEIGHT;
    out +=
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_WIDTH}" y1="${y}" y2="${y}" class="grid"/>` +
      `<text x="${MARGIN.left - 6}" y="${y + 4}" class="axis" text-anchor="end">${label((top * i) / TICKS)}</text>`;
  }
  return out;
}

/** A line chart of `series` over x (seconds), y from 0 to a round bound above the largest value. */
export function lineChart(title: string, yLabel: string, series: readonly Series[]): string {
  const xs = series.flatMap((line) => line.points.map(([x]) => x));
  const ys = series.flatMap((line) => line.points.map(([, y]) => y));
  const right = niceCeiling(Math.max(1, ...xs));
  const top = niceCeiling(Math.max(0, ...ys));
  const at = (x: number, y: number): string =>
    `${(MARGIN.left + (x / right) * PLOT_WIDTH).toFixed(1)},${(MARGIN.top + PLOT_HEIGHT - (y / top) * PLOT_HEIGHT).toFixed(1)}`;
  let body = yAxis(top);
  for (let i = 0; i <= TICKS; i++) {
    const x = MARGIN.left + (i / TICKS) * PLOT_WIDTH;
    body += `<text x="${x}" y="${HEIGHT - 22}" class="axis" text-anchor="middle">${label((right * i) / TICKS)}</text>`;
  }
  body += `<text x="${MARGIN.left + PLOT_WIDTH / 2}" y="${HEIGHT - 6}" class="axis" text-anchor="middle">seconds</text>`;
  series.forEach((line, index) => {
    const points = line.points.map(([x, y]) => at(x, y)).join(' ');
    body += `<polyline points="${points}" fill="none" stroke="${line.color}" stroke-width="2"/>`;
    const legendX = MARGIN.left + PLOT_WIDTH - 150 * (series.length - index);
    body +=
      `<rect x="${legendX + 10}" y="12" width="12" height="3" fill="${line.color}"/>` +
      `<text x="${legendX + 26}" y="17" class="axis">${escapeXml(line.name)}</text>`;
  });
  return frame(title, body, yLabel);
}

/** A bar chart, one bar per entry in order, y from 0 to a round bound above the largest. */
export function barChart(title: string, yLabel: string, bars: readonly Bar[]): string {
  const top = niceCeiling(Math.max(0, ...bars.map((bar) => bar.value)));
  const slot = PLOT_WIDTH / Math.max(1, bars.length);
  let body = yAxis(top);
  bars.forEach((bar, index) => {
    const height = (bar.value / top) * PLOT_HEIGHT;
    const x = MARGIN.left + index * slot;
    body +=
      `<rect x="${(x + slot * 0.1).toFixed(1)}" y="${(MARGIN.top + PLOT_HEIGHT - height).toFixed(1)}" width="${(slot * 0.8).toFixed(1)}" height="${height.toFixed(1)}" class="bar"><title>${escapeXml(`${bar.label}: ${bar.value}`)}</title></rect>` +
      `<text x="${(x + slot / 2).toFixed(1)}" y="${HEIGHT - 22}" class="axis" text-anchor="middle">${escapeXml(bar.label)}</text>`;
  });
  return frame(title, body, yLabel);
}
