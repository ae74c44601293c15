/**
 * The key layout of the state store, in one place (docs/state.md explains
 * each key). Keys start with a short kind so each kind is one range.
 *
 * @module
 */

/** Schema version this code reads and writes. */
export const SCHEMA_VERSION = 2;

export const schemaKey = ["meta", "schema"] as const;
export const idKeyModeKey = ["meta", "id-key"] as const;
/** The version an upgrade under way starts from (absent: none). */
export const migratingKey = ["meta", "migrating"] as const;

export function memberKey(organizationNumber: string, idKey: string) {
  return ["member", organizationNumber, idKey];
}

export function memberPrefix(organizationNumber: string) {
  return ["member", organizationNumber];
}

export function dueKey(at: string, organizationNumber: string, idKey: string) {
  return ["due", at, organizationNumber, idKey];
}

export function countKey(organizationNumber: string, status: string) {
  return ["count", organizationNumber, status];
}

export function seenKey(
  organizationNumber: string,
  runId: string,
  idKey: string,
) {
  return ["seen", organizationNumber, runId, idKey];
}

export function seenPrefix(organizationNumber: string, runId: string) {
  return ["seen", organizationNumber, runId];
}

export function runKey(runKey: string) {
  return ["run", runKey];
}

export function runProblemsKey(runKey: string, chunk: number) {
  return ["run-problems", runKey, chunk];
}

export function leaseKey(name: string) {
  return ["lease", name];
}
