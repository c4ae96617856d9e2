/** A line series for a small-multiple panel. */
export interface Curve {
  readonly title: string;
  readonly points: readonly [number, number][];
  /** What the x axis counts (default `step`). */
  readonly x?: string;
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
  // loss curves
  curves.forEach((c, i) => {
    const px = 20 + (i % cols) * (panelW + 20);
    const py = 60 + barH + 40 + Math.floor(i / cols) * (panelH + 50);
    out.push(`<text x="${px}" y="${py - 8}" font-size="13">${esc(c.title)}</text>`);
    out.push(`<rect x="${px}" y="${py}" width="${panelW}" height="${panelH}" fill="none" stroke="#999"/>`);
    if (c.points.length < 2) return;
    const xs = c.points.map((p) => p[0]);
    const ys = c.points.map((p) => p[1]);
    const [xmin, xmax] = [Math.min(...xs), Math.max(...xs)];
    const [ymin, ymax] = [Math.min(...ys), Math.max(...ys)];
    const sx = (x: number) => px + ((x - xmin) / Math.max(xmax - xmin, 1e-9)) * panelW;
    const sy = (y: number) => py + panelH - ((y - ymin) / Math.max(ymax - ymin, 1e-9)) * (panelH - 10) - 5;
    out.push(`<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5" points="${c.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
    out.push(`<text x="${px + 4}" y="${py + 14}" font-size="10">${ymax.toPrecision(3)}</text>`);
    out.push(`<text x="${px + 4}" y="${py + panelH - 4}" font-size="10">${ymin.toPrecision(3)}</text>`);
    out.push(`<text x="${px + panelW - 4}" y="${py + panelH + 14}" font-size="10" text-anchor="end">${c.x ?? 'step'} ${xmax}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
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
