/** A small dependency-free SVG line chart: one panel per metric, concurrency on a log2 x axis. */

export interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  readonly dashed?: boolean;
}

export interface Panel {
  readonly title: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
}

const W = 420;
const H = 280;
const M = { left: 64, right: 16, top: 28, bottom: 44 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return Math.ceil(v / p) * p;
}

function panel(p: Panel, dx: number): string {
  const xs = p.series.flatMap((s) => s.points.map(([x]) => x));
  const ys = p.series.flatMap((s) => s.points.map(([, y]) => y));
  const xMin = Math.log2(Math.min(...xs));
  const xMax = Math.max(xMin + 1, Math.log2(Math.max(...xs)));
  const yMax = niceMax(Math.max(...ys));
  const sx = (x: number) => dx + M.left + ((Math.log2(x) - xMin) / (xMax - xMin)) * (W - M.left - M.right);
  const sy = (y: number) => M.top + (1 - y / yMax) * (H - M.top - M.bottom);
  const out: string[] = [];
  out.push(`<text x="${dx + W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${esc(p.title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    out.push(`<line x1="${dx + M.left}" x2="${dx + W - M.right}" y1="${sy(y)}" y2="${sy(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${dx + M.left - 6}" y="${sy(y) + 4}" text-anchor="end" font-size="10">${Math.round(y).toLocaleString('en-US')}</text>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<text x="${sx(x)}" y="${H - M.bottom + 16}" text-anchor="middle" font-size="10">${x}</text>`);
  }
  out.push(`<text x="${dx + W / 2}" y="${H - 8}" text-anchor="middle" font-size="11">concurrency (requests in flight)</text>`);
  out.push(`<text transform="translate(${dx + 14},${H / 2}) rotate(-90)" text-anchor="middle" font-size="11">${esc(p.yLabel)}</text>`);
  p.series.forEach((s, i) => {
    const d = s.points.map(([x, y], j) => `${j ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''}/>`);
    for (const [x, y] of s.points) out.push(`<circle cx="${sx(x)}" cy="${sy(y)}" r="3" fill="${s.color}"/>`);
    out.push(`<text x="${dx + M.left + 8}" y="${M.top + 12 + i * 13}" font-size="10" fill="${s.color}">${esc(s.label)}</text>`);
  });
  return out.join('\n');
}

export function renderChart(panels: readonly Panel[]): string {
  const body = panels.map((p, i) => panel(p, i * W)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W * panels.length}" height="${H}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}
