/** @module Label maps: normalization to string values (as Magnum stores them) and the diff views the API shows. */
import { invalidField } from './errors.ts';
import { LABEL_LIMITS, type MapLimits } from './limits.ts';

export type Labels = Record<string, string>;

/**
 * Turns a labels object from a request into a map of strings, the way Magnum stores them:
 * strings stay, numbers become their decimal text, booleans become `True`/`False`.
 * Anything else (null, nested objects, arrays) is refused with a 400 naming the key, and so is a map beyond `limits`
 * (core/limits.ts; `null`: a stored map re-read, not checked).
 */
export function normalizeLabels(input: unknown, field = 'labels', limits: MapLimits | null = LABEL_LIMITS): Labels {
  if (input === null || input === undefined) return {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw invalidField(field, input, 'Value should be a dictionary of strings.');
  }
  const entries = Object.entries(input as Record<string, unknown>);
  if (limits && entries.length > limits.entries) checkMapSize(field, {}, limits, '', entries.length);
  const out: Labels = {};
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > (limits?.key ?? 255))
      throw invalidField(field, input, `Label key '${key}' must be 1 to ${limits?.key ?? 255} characters.`);
    if (limits && typeof value === 'string' && value.length > limits.value) {
      throw invalidField(
        field,
        input,
        `Label '${key}' has ${value.length} characters; at most ${limits.value} are allowed.`,
      );
    }
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) out[key] = String(value);
    else if (typeof value === 'boolean') out[key] = value ? 'True' : 'False';
    else throw invalidField(field, JSON.stringify(input), `Label '${key}' must be a string, number or boolean.`);
  }
  if (limits) checkMapSize(field, out, limits);
  return out;
}

/**
 * 400 naming `field` when a map holds more entries, or more bytes as JSON, than `limits` allow (`what`: e.g.
 * "after merging …").
 */
export function checkMapSize(field: string, map: Labels, limits: MapLimits, what = '', count = 0): void {
  const n = Math.max(count, Object.keys(map).length);
  const after = what ? ` ${what}` : '';
  if (n > limits.entries)
    throw invalidField(
      field,
      `<${n} entries>`,
      `Value should have at most ${limits.entries} entries${after}; got ${n}.`,
    );
  const bytes = Buffer.byteLength(JSON.stringify(map));
  if (bytes > limits.bytes) {
    throw invalidField(
      field,
      `<${bytes} bytes>`,
      `Value should have at most ${limits.bytes} bytes as JSON${after}; got ${bytes}.`,
    );
  }
}

/** The `labels_overridden` / `labels_added` / `labels_skipped` views of `own` against `base`. */
export function labelsDiff(base: Labels, own: Labels): { overridden: Labels; added: Labels; skipped: Labels } {
  const overridden: Labels = {};
  const added: Labels = {};
  const skipped: Labels = {};
  for (const [k, v] of Object.entries(own)) {
    if (!(k in base)) added[k] = v;
    else if (base[k] !== v) overridden[k] = base[k] as string;
  }
  for (const [k, v] of Object.entries(base)) if (!(k in own)) skipped[k] = v;
  return { overridden, added, skipped };
}

const TRUE = new Set(['true', 'yes', 'on', 'y', 't', '1']);
const FALSE = new Set(['false', 'no', 'off', 'n', 'f', '0']);

/** Every word parseBool understands (any case, surrounding blanks ignored), sorted. */
export const BOOL_WORDS: readonly string[] = [...TRUE, ...FALSE].sort();

/** oslo's strict bool_from_string: undefined when the text is not a boolean word. */
export function parseBool(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (TRUE.has(t)) return true;
  if (FALSE.has(t)) return false;
  return undefined;
}
