/**
 * Upgrades of the state store's layout, by the schema version each starts
 * from. `openStateStore` runs those a store needs when it opens it; run no
 * older Medlemsbro against the store afterwards (it refuses a newer schema).
 *
 * @module
 */

import { encodeMember, type MemberValue } from "./member_record.ts";
import type { MemberState } from "./member_state.ts";

/** Upgrades a store from `from` to `from + 1`. */
export type Migration = (kv: Deno.Kv) => Promise<void>;

/** Member records rewritten per atomic operation: KV's 100-check limit. */
const PER_COMMIT = 100;
const MAX_ROUNDS = 5;

/** Every upgrade this Medlemsbro knows. */
export const MIGRATIONS: Readonly<Record<number, Migration>> = Object.freeze({
  1: membersAsRecords,
});

/**
 * Schema 1 to 2: member values from objects with field names to the JSON
 * arrays
 * of member_record.ts, in key order. Each rewrite checks the record it
 * read, and a record changed meanwhile is read again in another pass.
 */
async function membersAsRecords(kv: Deno.Kv): Promise<void> {
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    let conflicts = 0;
    let op = kv.atomic();
    let pending = 0;
    const commit = async () => {
      if (!(await op.commit()).ok) conflicts++;
      op = kv.atomic();
      pending = 0;
    };
    const entries = kv.list<MemberState | MemberValue>(
      { prefix: ["member"] },
      { batchSize: PER_COMMIT },
    );
    for await (const entry of entries) {
      if (typeof entry.value === "string") continue;
      op.check(entry).set(entry.key, encodeMember(entry.value));
      if (++pending === PER_COMMIT) await commit();
    }
    if (pending > 0) await commit();
    if (conflicts === 0) return;
  }
  throw new Error(
    "Cannot upgrade the state store: its member records kept changing; stop other Medlemsbro processes using it and try again",
  );
}
