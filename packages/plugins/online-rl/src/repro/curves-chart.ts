/** One line of a chart: a name and its (x, y) points. */
export interface Line {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#9d755d'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(6)));
  return out;
}

/** A line chart as SVG, with ticks on both axes and a legend beside the plot (nothing touches the edge). */
export function lineChartSvg(title: string, xLabel: string, yLabel: string, lines: readonly Line[]): string {
  const width = 860;
  const height = 460;
  const m = { left: 70, right: 190, top: 50, bottom: 60 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const xs = lines.flatMap((l) => l.points.map((p) => p[0]));
  const ys = lines.flatMap((l) => l.points.map((p) => p[1]));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const pad = (Math.max(...ys) - Math.min(...ys)) * 0.05 || 0.1;
  const [y0, y1] = [Math.min(...ys) - pad, Math.max(...ys) + pad];
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0 || 1)) * w;
  const sy = (y: number) => m.top + h - ((y - y0) / (y1 - y0 || 1)) * h;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${m.left}" y="28" font-size="17" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${m.left}" y="${m.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
  ];
  for (const t of ticks(y0, y1)) {
    out.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/>`);
    out.push(`<text x="${m.left - 6}" y="${sy(t) + 4}" font-size="11" text-anchor="end">${t}</text>`);
  }
  for (const t of ticks(x0, x1)) {
    out.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${m.top + h}" y2="${m.top + h + 5}" stroke="#666"/>`);
    out.push(`<text x="${sx(t)}" y="${m.top + h + 18}" font-size="11" text-anchor="middle">${t}</text>`);
  }
  out.push(`<text x="${m.left + w / 2}" y="${height - 18}" font-size="12" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${m.top + h / 2}) rotate(-90)" font-size="12" text-anchor="middle">${esc(yLabel)}</text>`);
  lines.forEach((l, i) => {
    const color = COLORS[i % COLORS.length];
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${l.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
    const ly = m.top + 12 + i * 22;
    out.push(`<rect x="${m.left + w + 16}" y="${ly - 10}" width="14" height="4" fill="${color}"/>`);
    out.push(`<text x="${m.left + w + 36}" y="${ly - 4}" font-size="12">${esc(l.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
