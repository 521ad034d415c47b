/**
 * @module Size limits of every unbounded-by-Magnum input, in one place. Magnum's columns bound plain strings
 * (String(255), so 255 characters); maps stored as JSON text (labels, health_status_reason) and lists are bounded here
 * so that one project's objects stay small enough not to slow anyone else's requests. docs/compatibility.md states them.
 */

/** Characters of a plain string attribute (Magnum's String(255) columns). */
export const MAX_STRING = 255;
/** Labels of one template, cluster or node group (also after a cluster's labels are merged with its template's). */
export const MAX_LABELS = 100;
/** Characters of a label key. */
export const MAX_LABEL_KEY = 255;
/** Characters of a label value. */
export const MAX_LABEL_VALUE = 4096;
/**
 * Bytes of a labels map as stored (its JSON text, UTF-8): Magnum's JSON columns are TEXT, at most 65,535 bytes on
 * MySQL. Also what keeps one object small enough to render quickly, whatever its labels.
 */
export const MAX_LABELS_BYTES = 65_535;
/** Entries of `health_status_reason` (one per node plus a few; a cluster holds at most 244 nodes). */
export const MAX_HEALTH_REASONS = 512;
/** Operations of one JSON PATCH document. */
export const MAX_PATCH_OPS = 256;
/** Entries of a resize's `nodes_to_remove`. */
export const MAX_NODES_TO_REMOVE = 256;
/** Characters of a PEM certificate signing request given to ca-sign. */
export const MAX_CSR = 65_536;

/** Limits a label-like map is checked against. */
export interface MapLimits {
  entries: number;
  key: number;
  value: number;
  /** Bytes of the map's JSON text. */
  bytes: number;
}

export const LABEL_LIMITS: MapLimits = {
  entries: MAX_LABELS,
  key: MAX_LABEL_KEY,
  value: MAX_LABEL_VALUE,
  bytes: MAX_LABELS_BYTES,
};
export const HEALTH_REASON_LIMITS: MapLimits = {
  entries: MAX_HEALTH_REASONS,
  key: MAX_LABEL_KEY,
  value: MAX_LABEL_VALUE,
  bytes: MAX_LABELS_BYTES,
};

/** JSON schema of a labels object in a request body (validation and the OpenAPI document). */
export const labelsSchema = {
  type: 'object',
  maxProperties: MAX_LABELS,
  propertyNames: { minLength: 1, maxLength: MAX_LABEL_KEY },
  additionalProperties: { type: ['string', 'number', 'boolean'], maxLength: MAX_LABEL_VALUE },
  description: `at most ${MAX_LABELS} labels; keys 1 to ${MAX_LABEL_KEY} characters, values at most ${MAX_LABEL_VALUE}; at most ${MAX_LABELS_BYTES} bytes as JSON`,
} as const;
