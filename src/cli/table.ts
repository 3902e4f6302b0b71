/**
 * A small column formatter for the CLI's human-readable output: a header row, then left- or right-aligned
 * columns two spaces apart; no borders and no colours, so a table reads the same in a terminal, a log or grep.
 * Widths count code points (wide CJK characters and emoji count as one).
 */

export interface Column {
  readonly header: string;
  /** Default 'left'; numbers read better on the right. */
  readonly align?: 'left' | 'right';
  /** The column that gives way when the table is wider than `width`: its cells are cut to fit, ending in '…'. */
  readonly shrink?: boolean;
}

export interface TableOptions {
  /** Terminal width in characters; when given, the shrink column is narrowed so that lines fit it. */
  readonly width?: number;
}

const GAP = '  ';
/** A shrunk column keeps at least this many characters, even if the line then wraps. */
const MIN_SHRUNK_WIDTH = 12;
const ELLIPSIS = '…';

const length = (s: string): number => [...s].length;

/** Text on one line: control characters (newlines, tabs, escapes) and runs of spaces become one space. */
export function oneLine(text: string): string {
  return text.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
}

/** How far back from the limit a cut looks for a space, so that it ends on a whole word. */
const WORD_BACKTRACK = 20;

/** `text` on one line and at most `max` characters long; a cut one ends in '…', after a whole word where one is near. */
export function shorten(text: string, max: number): string {
  const chars = [...oneLine(text)];
  if (chars.length <= max) return chars.join('');
  if (max <= 0) return '';
  let kept = chars.slice(0, max - 1);
  if (chars[max - 1] !== ' ') {
    const space = kept.lastIndexOf(' ');
    if (space >= Math.max(kept.length / 2, kept.length - WORD_BACKTRACK)) kept = kept.slice(0, space);
  }
  return `${kept.join('').trimEnd()}${ELLIPSIS}`;
}

/** The table as text, one line per row after the header, each line ending in '\n'. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[], options: TableOptions = {}): string {
  const cells = [columns.map((c) => c.header), ...rows].map((row, r) => {
    if (row.length !== columns.length) throw new RangeError(`table row ${r} has ${row.length} cells for ${columns.length} columns`);
    return row.map(oneLine);
  });
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => length(row[i]))));
  const shrink = columns.findIndex((c) => c.shrink);
  if (options.width !== undefined && shrink >= 0) {
    const total = widths.reduce((sum, w) => sum + w, 0) + GAP.length * (columns.length - 1);
    const over = total - options.width;
    if (over > 0) {
      widths[shrink] = Math.max(MIN_SHRUNK_WIDTH, length(columns[shrink].header), widths[shrink] - over);
      for (const row of cells) row[shrink] = shorten(row[shrink], widths[shrink]);
    }
  }
  return cells
    .map((row) =>
      row
        .map((cell, i) => {
          const pad = ' '.repeat(Math.max(0, widths[i] - length(cell)));
          return columns[i].align === 'right' ? pad + cell : cell + pad;
        })
        .join(GAP)
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}
