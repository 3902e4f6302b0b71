import { oneLine, renderTable, shorten } from '../../../src/cli/table';

describe('oneLine', () => {
  it('turns newlines, tabs, escapes and runs of spaces into one space', () => {
    expect(oneLine('  a\n\tb  \r\n c\u001b[31m d ')).toBe('a b c [31m d');
  });
});

describe('shorten', () => {
  it('leaves short text alone and cuts long text to the limit, ending in an ellipsis', () => {
    expect(shorten('short', 10)).toBe('short');
    expect(shorten('exactly 10', 10)).toBe('exactly 10');
    expect(shorten('abcdefghijklmnop', 10)).toBe('abcdefghi…');
  });

  it('cuts after a whole word when a space is near the limit', () => {
    expect(shorten('this is far too long', 10)).toBe('this is…');
    expect(shorten('this is far too long', 12)).toBe('this is far…');
    expect(shorten('a verylongwordthatgoesonandon', 12)).toBe('a verylongw…');
  });

  it('counts code points, so it never splits a surrogate pair', () => {
    expect(shorten('😀😀😀😀', 3)).toBe('😀😀…');
  });

  it('drops trailing space before the ellipsis', () => {
    expect(shorten('abcd efgh', 6)).toBe('abcd…');
  });
});

describe('renderTable', () => {
  const columns = [{ header: 'NAME' }, { header: 'N', align: 'right' as const }, { header: 'NOTE', shrink: true }];

  it('pads columns to the widest cell, two spaces apart, numbers on the right, no trailing spaces', () => {
    expect(
      renderTable(columns, [
        ['a', '1', ''],
        ['longer', '100', 'some note'],
      ]),
    ).toBe(['NAME      N  NOTE', 'a         1', 'longer  100  some note', ''].join('\n'));
  });

  it('prints only the header for no rows', () => {
    expect(renderTable(columns, [])).toBe('NAME  N  NOTE\n');
  });

  it('keeps every cell on one line', () => {
    expect(renderTable([{ header: 'X' }], [['two\nlines']])).toBe('X\ntwo lines\n');
  });

  it('narrows the shrink column to fit the width, and no further than its floor', () => {
    const rows = [['model', '1', 'a reason that is much longer than the terminal is wide']];
    const fitted = renderTable(columns, rows, { width: 40 });
    for (const line of fitted.trimEnd().split('\n')) expect([...line].length).toBeLessThanOrEqual(40);
    expect(fitted).toContain('model  1  a reason that is much longer…\n');
    const floor = renderTable(columns, rows, { width: 10 });
    expect(floor.split('\n')[1]).toBe('model  1  a reason…');
  });

  it('leaves a table that fits alone', () => {
    const rows = [['model', '1', 'fits']];
    expect(renderTable(columns, rows, { width: 80 })).toBe(renderTable(columns, rows));
  });

  it('refuses a row with the wrong number of cells', () => {
    expect(() => renderTable(columns, [['only one']])).toThrow(RangeError);
  });
});
