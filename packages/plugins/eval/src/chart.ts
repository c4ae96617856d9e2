/** A panel of the report: a training curve, and the held-out curve of the same run when it has one. */
export interface Curve {
  readonly title: string;
  /** Training points [x, y]. */
  readonly points: readonly [number, number][];
  /** Held-out points on the same axes (eval_loss at step 0, every evalEvery steps and at the end), drawn dashed. */
  readonly eval?: readonly [number, number][];
  /** What the x axis counts (default `step`). */
  readonly x?: string;
  /** The bar series this run is (its model's name): the panel takes that series' colour. */
  readonly series?: string;
  /** Legend names of the two lines (default `train`, `held-out`). */
  readonly labels?: readonly [string, string];
}

/** Grouped bars: one group per label, one bar per series (values 0–1). */
export interface Bars {
  readonly groups: readonly string[];
  readonly series: readonly { name: string; values: readonly number[]; intervals?: readonly (readonly [number, number])[] }[];
}

// Tableau 10: ten series before a colour repeats.
const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#ff9da6', '#9d755d', '#bab0ac'];
/** A bold title's font size that keeps it inside `width` pixels (about 0.62 em per character). */
const titleSize = (title: string, width: number, max: number) => Math.min(max, Math.floor(width / (0.62 * Math.max(1, title.length))));
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * An SVG report figure: grouped win-rate bars (with the 50% line of a tie) above one panel of
 * training-loss curves per stage. Plain SVG so it needs no browser or canvas.
 */
export function reportSvg(title: string, bars: Bars, curves: readonly Curve[], options: { yLabel?: string; tieLine?: boolean } = {}): string {
  const width = 960;
  const barH = 320;
  const panelW = 300;
  const panelH = 200;
  const cols = 3;
  const rows = Math.ceil(curves.length / cols);
  const height = 60 + barH + 40 + rows * (panelH + 50);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="20" y="32" font-size="${titleSize(title, width - 40, 20)}" font-weight="bold">${esc(title)}</text>`,
  ];
  // win-rate bars
  const x0 = 60;
  const y0 = 60;
  const plotW = width - x0 - 180;
  const plotH = barH - 40;
  const groupW = plotW / Math.max(1, bars.groups.length);
  const barW = (groupW * 0.8) / Math.max(1, bars.series.length);
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    const y = y0 + plotH * (1 - v);
    const tie = v === 0.5 && options.tieLine !== false;
    out.push(`<line x1="${x0}" x2="${x0 + plotW}" y1="${y}" y2="${y}" stroke="${tie ? '#333' : '#ddd'}" ${tie ? 'stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${x0 - 8}" y="${y + 4}" font-size="11" text-anchor="end">${Math.round(v * 100)}%</text>`);
  }
  bars.groups.forEach((g, gi) => {
    bars.series.forEach((s, si) => {
      const v = Math.max(0, Math.min(1, s.values[gi] ?? 0));
      const x = x0 + gi * groupW + groupW * 0.1 + si * barW;
      out.push(`<rect x="${x}" y="${y0 + plotH * (1 - v)}" width="${barW - 2}" height="${plotH * v}" fill="${COLORS[si % COLORS.length]}"/>`);
      const ci = s.intervals?.[gi];
      if (ci && Number.isFinite(ci[0]) && Number.isFinite(ci[1])) {
        const cx = x + (barW - 2) / 2;
        const [ylo, yhi] = [y0 + plotH * (1 - ci[0]), y0 + plotH * (1 - ci[1])];
        out.push(`<line x1="${cx}" x2="${cx}" y1="${ylo}" y2="${yhi}" stroke="#222"/>`, `<line x1="${cx - 3}" x2="${cx + 3}" y1="${ylo}" y2="${ylo}" stroke="#222"/>`, `<line x1="${cx - 3}" x2="${cx + 3}" y1="${yhi}" y2="${yhi}" stroke="#222"/>`);
      }
    });
    out.push(`<text x="${x0 + gi * groupW + groupW / 2}" y="${y0 + plotH + 18}" font-size="12" text-anchor="middle">${esc(g)}</text>`);
  });
  out.push(`<text x="${x0}" y="${y0 - 10}" font-size="13">${esc(options.yLabel ?? 'win-rate against the baseline (ties count half; bars: bootstrap 95% interval)')}</text>`);
  bars.series.forEach((s, si) => {
    const y = y0 + 10 + si * 20;
    out.push(`<rect x="${x0 + plotW + 20}" y="${y}" width="12" height="12" fill="${COLORS[si % COLORS.length]}"/>`);
    out.push(`<text x="${x0 + plotW + 38}" y="${y + 11}" font-size="12">${esc(s.name)}</text>`);
  });
  // One colour per model in every panel: a curve of a bar series takes its colour; others the next free ones.
  const names = bars.series.map((s) => s.name);
  const colourOf = (c: Curve, i: number) => COLORS[(c.series && names.includes(c.series) ? names.indexOf(c.series) : names.length + i) % COLORS.length];
  const margin = 20;
  const gap = 24;
  const cellW = (width - 2 * margin - (cols - 1) * gap) / cols;
  curves.forEach((c, i) => {
    const cx = margin + (i % cols) * (cellW + gap);
    const cy = 60 + barH + 40 + Math.floor(i / cols) * (panelH + 50);
    // Plot area inside the cell: room for y tick labels on the left and x tick labels below.
    const [px, py, pw, ph] = [cx + 46, cy, cellW - 54, panelH - 28];
    out.push(`<text x="${cx}" y="${cy - 8}" font-size="${titleSize(c.title, cellW, 13)}">${esc(c.title)}</text>`);
    out.push(`<rect x="${px}" y="${py}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
    const all = [...c.points, ...(c.eval ?? [])].filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (all.length < 2) return;
    const xsAll = all.map((p) => p[0]);
    // Steps and iterations are whole numbers: no tick between two of them.
    const xt = niceTicks(Math.min(...xsAll), Math.max(...xsAll)).filter((v) => !xsAll.every(Number.isInteger) || Number.isInteger(v));
    const yt = niceTicks(Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1])));
    const [xmin, xmax, ymin, ymax] = [xt[0], xt[xt.length - 1], yt[0], yt[yt.length - 1]];
    const sx = (x: number) => px + ((x - xmin) / Math.max(xmax - xmin, 1e-12)) * pw;
    const sy = (y: number) => py + ph - ((y - ymin) / Math.max(ymax - ymin, 1e-12)) * ph;
    for (const v of xt) out.push(`<line x1="${sx(v)}" x2="${sx(v)}" y1="${py + ph}" y2="${py + ph + 4}" stroke="#333"/><text x="${sx(v)}" y="${py + ph + 15}" font-size="10" text-anchor="middle">${tickLabel(v)}</text>`);
    for (const v of yt) out.push(`<line x1="${px - 4}" x2="${px}" y1="${sy(v)}" y2="${sy(v)}" stroke="#333"/><line x1="${px}" x2="${px + pw}" y1="${sy(v)}" y2="${sy(v)}" stroke="#eee"/><text x="${px - 6}" y="${sy(v) + 3}" font-size="10" text-anchor="end">${tickLabel(v)}</text>`);
    out.push(`<text x="${px + pw / 2}" y="${py + ph + 27}" font-size="10" text-anchor="middle">${esc(c.x ?? 'step')}</text>`);
    const colour = colourOf(c, i);
    const line = (pts: readonly [number, number][], dashed: boolean) =>
      `<polyline fill="none" stroke="${colour}" stroke-width="1.5"${dashed ? ' stroke-dasharray="5 3"' : ''} points="${pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`;
    if (c.points.length) out.push(line(c.points, false));
    if (c.eval?.length) {
      out.push(line(c.eval, true), ...c.eval.map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${colour}"/>`));
      // Legend inside the plot's top-right corner.
      const lx = px + pw - 112;
      out.push(
        `<line x1="${lx}" x2="${lx + 16}" y1="${py + 10}" y2="${py + 10}" stroke="${colour}" stroke-width="1.5"/><text x="${lx + 20}" y="${py + 13}" font-size="9">${esc(c.labels?.[0] ?? 'train')}</text>`,
        `<line x1="${lx + 52}" x2="${lx + 68}" y1="${py + 10}" y2="${py + 10}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="5 3"/><text x="${lx + 72}" y="${py + 13}" font-size="9">${esc(c.labels?.[1] ?? 'held-out')}</text>`,
      );
    }
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Three to six round tick values covering [lo, hi] (1, 2 or 5 × a power of ten apart). */
export function niceTicks(lo: number, hi: number): number[] {
  if (!(hi > lo)) [lo, hi] = [lo - (Math.abs(lo) || 1) * 0.5, hi + (Math.abs(hi) || 1) * 0.5];
  const raw = (hi - lo) / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((st) => (hi - lo) / st <= 4)!;
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; v < hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < hi - step * 1e-9) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

function tickLabel(v: number): string {
  if (v === 0) return '0';
  return Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(0) : String(Number(v.toPrecision(4)));
}

/** A point of a scatter plot, in a named group (one colour and marker per group). */
export interface ScatterPoint {
  readonly x: number;
  readonly y: number;
  readonly group: string;
  readonly label?: string;
}

/**
 * A scatter of two scores (e.g. the Pareto plane of a merge search): one colour per group, the
 * `line` group's points joined in x order (the front), ticks on both axes, a legend on the right.
 */
export function scatterSvg(title: string, xLabel: string, yLabel: string, points: readonly ScatterPoint[], line?: string): string {
  const width = 820;
  const height = 560;
  const [x0, y0, plotW, plotH] = [80, 50, 520, 440];
  const finite = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const pad = (lo: number, hi: number) => (hi - lo < 1e-9 ? [lo - 0.5, hi + 0.5] : [lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)]);
  const [xmin, xmax] = pad(Math.min(...finite.map((p) => p.x)), Math.max(...finite.map((p) => p.x)));
  const [ymin, ymax] = pad(Math.min(...finite.map((p) => p.y)), Math.max(...finite.map((p) => p.y)));
  const sx = (x: number) => x0 + ((x - xmin) / (xmax - xmin)) * plotW;
  const sy = (y: number) => y0 + plotH - ((y - ymin) / (ymax - ymin)) * plotH;
  const groups = [...new Set(finite.map((p) => p.group))];
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="20" y="30" font-size="18" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${x0}" y="${y0}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const xv = xmin + ((xmax - xmin) * k) / 4;
    const yv = ymin + ((ymax - ymin) * k) / 4;
    out.push(`<line x1="${sx(xv)}" x2="${sx(xv)}" y1="${y0 + plotH}" y2="${y0 + plotH + 5}" stroke="#333"/><text x="${sx(xv)}" y="${y0 + plotH + 18}" font-size="11" text-anchor="middle">${xv.toPrecision(3)}</text>`);
    out.push(`<line x1="${x0 - 5}" x2="${x0}" y1="${sy(yv)}" y2="${sy(yv)}" stroke="#333"/><text x="${x0 - 8}" y="${sy(yv) + 4}" font-size="11" text-anchor="end">${yv.toPrecision(3)}</text>`);
  }
  out.push(`<text x="${x0 + plotW / 2}" y="${y0 + plotH + 40}" font-size="13" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text x="20" y="${y0 + plotH / 2}" font-size="13" text-anchor="middle" transform="rotate(-90 20 ${y0 + plotH / 2})">${esc(yLabel)}</text>`);
  if (line) {
    const pts = finite.filter((p) => p.group === line).sort((a, b) => a.x - b.x);
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${COLORS[groups.indexOf(line) % COLORS.length]}" stroke-width="1.5" points="${pts.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}"/>`);
  }
  for (const p of finite) {
    const c = COLORS[groups.indexOf(p.group) % COLORS.length];
    out.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="${p.group === line ? 5 : 4}" fill="${c}" fill-opacity="0.8"/>`);
    if (p.label) out.push(`<text x="${(sx(p.x) + 6).toFixed(1)}" y="${(sy(p.y) - 6).toFixed(1)}" font-size="10">${esc(p.label)}</text>`);
  }
  groups.forEach((g, i) => {
    out.push(`<circle cx="${x0 + plotW + 30}" cy="${y0 + 10 + i * 20}" r="5" fill="${COLORS[i % COLORS.length]}"/><text x="${x0 + plotW + 42}" y="${y0 + 14 + i * 20}" font-size="12">${esc(g)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Renders SVG to PNG with resvg (a prebuilt binary from the npm registry); undefined when it cannot load. */
export function svgToPng(svg: string): Uint8Array | undefined {
  try {
    const { Resvg } = require('@resvg/resvg-js') as { Resvg: new (svg: string, opts?: object) => { render(): { asPng(): Uint8Array } } };
    return new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
  } catch {
    return undefined;
  }
}
