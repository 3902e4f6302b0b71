/**
 * How error messages show what they are about, so that every message a client sees stays short and free of
 * server paths. A client-given name (model, version, tensor, datatype string, URL) is shown through quoted()
 * or excerpt(), which cut it to its first SHOWN_CHARS characters and say so; lists of the server's own names go
 * through listed(); foreign messages that may hold a server path (onnxruntime's, the file system's) go through
 * relativeTo(). bounded() is the last resort where a message leaves the server, for a message that forgot.
 */

/** Most characters of one client-given name or value a message shows. */
export const SHOWN_CHARS = 128;
/** Most names listed() shows before it says how many there are in all. */
export const LISTED_NAMES = 16;
/** Most characters of any message a client sees (grpc-message, a BatchPredict item status, an HTTP error body). */
export const MAX_MESSAGE_CHARS = 4096;

/** The first `max` code points of `text` (never half a surrogate pair), or null when it has no more than that. */
function cut(text: string, max: number): { head: string; total: number } | null {
  // Fast path: a string of at most `max` UTF-16 units has at most `max` code points.
  if (text.length <= max) return null;
  let head = '';
  let total = 0;
  for (const ch of text) {
    if (total < max) head += ch;
    total++;
  }
  return total <= max ? null : { head, total };
}

const cutNote = (c: { total: number }, max: number) => `(cut at ${max} of ${c.total} characters)`;

/** A client-given name as a message shows it: `'name'`, or `'first 128 characters…' (cut at 128 of N characters)`. */
export function quoted(name: string): string {
  const c = cut(name, SHOWN_CHARS);
  return c ? `'${c.head}…' ${cutNote(c, SHOWN_CHARS)}` : `'${name}'`;
}

/** A client-given value shown without quotes (a dimension, a JSON excerpt, a URL path), cut like quoted(). */
export function excerpt(text: string): string {
  const c = cut(text, SHOWN_CHARS);
  return c ? `${c.head}… ${cutNote(c, SHOWN_CHARS)}` : text;
}

/** A shape in a message, `[2,-1,4]`, cut like excerpt() (a client-given shape may have thousands of dimensions). */
export function shapeText(shape: readonly number[]): string {
  return excerpt(`[${shape.join(',')}]`);
}

/**
 * Names the server lists in a message (inputs, outputs, models, versions): comma-separated, each shown by `show`
 * (excerpt, or quoted), at most LISTED_NAMES of them and then how many in all; 'none' for an empty list.
 */
export function listed(names: readonly (string | number)[], show: (name: string) => string = excerpt): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, LISTED_NAMES).map((n) => show(String(n)));
  return names.length > LISTED_NAMES ? `${shown.join(', ')}, … (${names.length} in all)` : shown.join(', ');
}

/**
 * A foreign message with the server folder `dir` taken out: `<dir>/1/model.onnx` reads `1/model.onnx`, and
 * `<dir>` itself reads `.`. Logs keep the full path (as a field of its own); clients see this.
 */
export function relativeTo(text: string, dir: string): string {
  const root = dir.replace(/[\\/]+$/, '');
  if (!root) return text;
  const escaped = root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // `<dir>/` goes; `<dir>` alone becomes '.', unless it starts a longer name (`<dir>2/...` is another folder).
  return text.replace(new RegExp(`${escaped}(?:[\\\\/]|(?![\\w.-]))`, 'g'), (m) => (m === root ? '.' : ''));
}

/** The last bound on a message leaving the server: at most MAX_MESSAGE_CHARS characters, saying so when cut. */
export function bounded(message: string): string {
  const c = cut(message, MAX_MESSAGE_CHARS);
  return c ? `${c.head}… ${cutNote(c, MAX_MESSAGE_CHARS)}` : message;
}
