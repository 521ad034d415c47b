/** @module cli/table — prettytable-style text tables and Python-style value rendering, as magnumclient prints them. */

/** A JSON value as decoded from an API response. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One column of a list table: its header and how to read the cell value from a row object. */
export interface ListColumn {
  /** Text of the header cell. */
  header: string;
  /** Attribute read from each item; an absent attribute renders as an empty cell, `null` as `-`. */
  field: string;
}

const ANSI_SGR = /\u001b\[[0-9;]*m|\u001b\(B/g;
const ZERO_WIDTH = /[\p{Mn}\p{Me}\u200b-\u200f\u2028-\u202e\u2060-\u2063\ufeff]/u;
const WIDE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x23f0, 0x23f0],
  [0x23f3, 0x23f3],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x267f, 0x267f],
  [0x2693, 0x2693],
  [0x26a1, 0x26a1],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x26ce, 0x26ce],
  [0x26d4, 0x26d4],
  [0x26ea, 0x26ea],
  [0x26f2, 0x26f3],
  [0x26f5, 0x26f5],
  [0x26fa, 0x26fa],
  [0x26fd, 0x26fd],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2728, 0x2728],
  [0x274c, 0x274c],
  [0x274e, 0x274e],
  [0x2753, 0x2755],
  [0x2757, 0x2757],
  [0x2795, 0x2797],
  [0x27b0, 0x27b0],
  [0x27bf, 0x27bf],
  [0x2b1b, 0x2b1c],
  [0x2b50, 0x2b50],
  [0x2b55, 0x2b55],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe4],
  [0x17000, 0x18cff],
  [0x1b000, 0x1b2ff],
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f251],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f7e0, 0x1f7eb],
  [0x1f90c, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

function isWide(codePoint: number): boolean {
  for (const [lo, hi] of WIDE_RANGES) {
    if (codePoint < lo) return false;
    if (codePoint <= hi) return true;
  }
  return false;
}

/**
 * Terminal column width of one line of text, the way prettytable measures it (wcwidth): ANSI colour sequences and
 * combining marks take no room, East Asian wide and fullwidth characters take two columns.
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text.replace(ANSI_SGR, '')) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || ZERO_WIDTH.test(ch)) continue;
    width += isWide(cp) ? 2 : 1;
  }
  return width;
}

function padRight(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

/**
 * Renders a table the way `prettytable.PrettyTable` does with `align = 'l'` and the default style: `+---+` rules, a
 * header row, one space of padding, multi-line cells split on newlines and top-aligned. No trailing newline.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const split = (cell: string): string[] => cell.split('\n');
  const widths = headers.map((h, i) => {
    let w = Math.max(...split(h).map(displayWidth));
    for (const row of rows) w = Math.max(w, ...split(row[i] ?? '').map(displayWidth));
    return w;
  });
  const rule = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  const renderRow = (cells: readonly string[]): string[] => {
    const cellLines = widths.map((_, i) => split(cells[i] ?? ''));
    const height = Math.max(...cellLines.map((l) => l.length));
    const out: string[] = [];
    for (let line = 0; line < height; line++) {
      out.push('| ' + widths.map((w, i) => padRight(cellLines[i]?.[line] ?? '', w)).join(' | ') + ' |');
    }
    return out;
  };
  const lines = [rule, ...renderRow(headers), rule];
  for (const row of rows) lines.push(...renderRow(row));
  lines.push(rule);
  return lines.join('\n');
}

function hex(codePoint: number, digits: number): string {
  return codePoint.toString(16).padStart(digits, '0');
}

/** Python `repr()` of a string: single quotes unless only double quotes avoid escaping, C-style escapes. */
export function pyReprString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + quote;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && /[\p{C}\p{Z}]/u.test(ch)) {
      out += cp < 0x100 ? '\\x' + hex(cp, 2) : cp < 0x10000 ? '\\u' + hex(cp, 4) : '\\U' + hex(cp, 8);
    } else out += ch;
  }
  return out + quote;
}

/** Python `repr()` of a number decoded from JSON (integral values print as ints, others like Python floats). */
export function pyReprNumber(value: number): string {
  if (Number.isInteger(value)) return BigInt(value).toString();
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  const [mantissa = '', expText = '0'] = value.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let fixed: string;
  if (exp < 0) fixed = '0.' + '0'.repeat(-exp - 1) + digits;
  else if (digits.length > exp + 1) fixed = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
  else fixed = digits + '0'.repeat(exp + 1 - digits.length) + '.0';
  return (negative ? '-' : '') + fixed;
}

/** Python `repr()` of a JSON value (`None`, `True`, `{'a': 'b'}`, `['x', 1]`, …). */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return pyReprNumber(value);
  if (typeof value === 'string') return pyReprString(value);
  if (Array.isArray(value)) return '[' + value.map(pyRepr).join(', ') + ']';
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return '{' + entries.map(([k, v]) => `${pyReprString(k)}: ${pyRepr(v)}`).join(', ') + '}';
  }
  return pyReprString(String(value));
}

/** Python `str()` of a JSON value: strings as they are, everything else as its `repr()`. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** Python's `str.title()` for ASCII-and-letters text: every run of letters gets an upper-case first letter. */
function pyTitle(text: string): string {
  return text.replace(/\p{L}+/gu, (word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase());
}

/** Header magnumclient derives for a `--fields` column: `image_id` → `Image Id`, mixed case kept as is. */
export function fieldTitle(field: string): string {
  const cut = field.lastIndexOf(':');
  const prefix = cut >= 0 ? field.slice(0, cut) : null;
  let name = (cut >= 0 ? field.slice(cut + 1) : field).replace(/_/g, ' ');
  const hasCased = /\p{L}/u.test(name) && name.toLowerCase() !== name.toUpperCase();
  const isLower = hasCased && name === name.toLowerCase();
  const isUpper = hasCased && name === name.toUpperCase();
  if (isLower || isUpper) name = pyTitle(name);
  return prefix === null ? name : `${prefix}: ${name}`;
}

/**
 * A list table as magnumclient's `print_list` prints it: one row per item, absent attributes empty, `null` as `-`,
 * other values through Python `str()`. Rows keep the server's order.
 */
export function formatListTable(items: readonly Record<string, unknown>[], columns: readonly ListColumn[]): string {
  const rows = items.map((item) =>
    columns.map(({ field }) => {
      if (!Object.hasOwn(item, field)) return '';
      const value = item[field];
      return value === null || value === undefined ? '-' : pyStr(value);
    }),
  );
  return renderTable(
    columns.map((c) => c.header),
    rows,
  );
}

/**
 * The two-column `Property | Value` table of magnumclient's `print_dict`: dicts as their Python repr, lists as the
 * repr of their items' `str()`, `null` as `-`, and string values containing a literal backslash-n split over rows.
 */
export function formatPropertyTable(object: Record<string, unknown>, propertyHeader = 'Property'): string {
  const rows: string[][] = [];
  for (const [key, raw] of Object.entries(object)) {
    let value: unknown = raw;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) value = pyRepr(value);
    if (typeof value === 'string' && value !== '' && value.includes('\\n')) {
      let first = key;
      for (const line of value.trim().split('\\n')) {
        rows.push([first, line]);
        first = '';
      }
    } else if (Array.isArray(value)) {
      rows.push([key, pyRepr(value.map(pyStr))]);
    } else {
      rows.push([key, value === null || value === undefined ? '-' : pyStr(value)]);
    }
  }
  return renderTable([propertyHeader, 'Value'], rows);
}
