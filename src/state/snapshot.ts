/**
 * One organization's member records, in memory, for the length of a run
 * that holds the lease: what the delta plan and the outcome writes need of
 * each record, so a run reads the records once, in key order (one range
 * scan, ~8 µs a member), instead of once per member at random (~25 µs).
 *
 * Compact on purpose (docs/performance.md): no string or object per member,
 * only typed arrays. A member takes 29 bytes: the 64-bit hash of its
 * idKey, its 64-bit content hash, status, last outcome, attempts, the next
 * retry as epoch milliseconds and a small number standing for its last run
 * id. An open-addressing table of 32-bit slots points into those arrays.
 *
 * Two idKeys share a 64-bit hash with a chance of about n²/2⁶⁵ (3 in 100
 * million for a million members); lookups compare both halves. A record
 * the arrays cannot hold exactly (an unusual time or hash format, a
 * counter out of range) is kept as "read it from the store" rather than
 * approximated.
 *
 * Members written for the first time during the run (every member of a
 * first sync) are not added to the arrays: the run has planned them
 * already, so the snapshot only needs to know that they now have a record.
 * A {@linkcode WrittenKeys} set remembers that in 4 bytes a member, and
 * `basis` answers "read it" for them. That keeps a first sync of a million
 * members ~40 MB smaller (docs/performance.md).
 *
 * It is true only while nobody else writes the organization's records: the
 * store keeps snapshots only while it holds the lease, and updates them
 * with every record it writes.
 *
 * @module
 */

import { memberPrefix } from "./keys.ts";
import { decodeBasis, type MemberValue } from "./member_record.ts";
import {
  MEMBER_STATUSES,
  type MemberBasis,
  type MemberState,
  type MemberStatus,
  type Outcome,
} from "./member_state.ts";
import { hash64 } from "../hash64.ts";

const OUTCOMES: readonly Outcome[] = [
  "stored",
  "not-consented",
  "invalid",
  "failed",
];
/** In `#flags`: low 3 bits status + 1 (0: no record), next 3 outcome + 1. */
const STATUS_MASK = 0x07;
const OUTCOME_SHIFT = 3;
/** The record does not fit the arrays: read it from the store. */
const READ_FLAG = 0x80;
const MAX_ATTEMPTS = 0xffff;
const MAX_RUN_TAGS = 0xffff;
const HEX16 = /^[0-9a-f]{16}$/;
/** Records per `kv.list` round trip while loading. */
const LIST_BATCH = 1000;

/** What {@linkcode MemberSnapshot.basis} knows of a member. */
export type SnapshotBasis =
  /** The member's record, as far as plans and outcomes need it. */
  | MemberBasis
  /** No record: a new member. */
  | null
  /** A record the snapshot does not hold exactly: read it. */
  | undefined;

/** An organization's member records as the plan and the writer need them. */
export class MemberSnapshot {
  readonly organizationNumber: string;
  /** Entry index + 1 per slot; 0 marks an empty slot. */
  #slots: Uint32Array;
  #keyHigh: Uint32Array;
  #keyLow: Uint32Array;
  #hashHigh: Uint32Array;
  #hashLow: Uint32Array;
  /** Epoch ms of `nextRetryAt`; NaN when there is none. */
  #due: Float64Array;
  #attempts: Uint16Array;
  /** Index + 1 in `#runIds` of `lastRunId`; 0 when there is none. */
  #runTags: Uint16Array;
  #flags: Uint8Array;
  #size = 0;
  readonly #written = new WrittenKeys();
  readonly #runIds: string[] = [];
  readonly #runTagOf = new Map<string, number>();

  /** An empty snapshot with room for `expected` members before growing. */
  constructor(organizationNumber: string, expected = 0) {
    this.organizationNumber = organizationNumber;
    const capacity = Math.max(1024, Math.ceil(expected * 1.0625));
    this.#keyHigh = new Uint32Array(capacity);
    this.#keyLow = new Uint32Array(capacity);
    this.#hashHigh = new Uint32Array(capacity);
    this.#hashLow = new Uint32Array(capacity);
    this.#due = new Float64Array(capacity);
    this.#attempts = new Uint16Array(capacity);
    this.#runTags = new Uint16Array(capacity);
    this.#flags = new Uint8Array(capacity);
    this.#slots = new Uint32Array(slotCount(capacity));
  }

  /**
   * Scan the organization's member records once, in key order. The caller
   * makes sure nobody writes them meanwhile (it holds the lease).
   */
  static async load(
    kv: Deno.Kv,
    organizationNumber: string,
  ): Promise<MemberSnapshot> {
    const counts = await kv.getMany<Deno.KvU64[]>(
      MEMBER_STATUSES.map((s) => ["count", organizationNumber, s]),
    );
    const expected = counts.reduce(
      (sum, entry) => sum + Number(entry.value?.value ?? 0n),
      0,
    );
    const snapshot = new MemberSnapshot(organizationNumber, expected);
    const records = kv.list<MemberValue>(
      { prefix: memberPrefix(organizationNumber) },
      { batchSize: LIST_BATCH },
    );
    for await (const { key, value } of records) {
      snapshot.set(key[2] as string, decodeBasis(value));
    }
    return snapshot;
  }

  /** Members held in full (not counting those only known as written). */
  get size(): number {
    return this.#size;
  }

  /** Bytes held by the arrays (for the performance notes and tests). */
  get byteLength(): number {
    return this.#slots.byteLength + this.#keyHigh.byteLength +
      this.#keyLow.byteLength + this.#hashHigh.byteLength +
      this.#hashLow.byteLength + this.#due.byteLength +
      this.#attempts.byteLength + this.#runTags.byteLength +
      this.#flags.byteLength;
  }

  /** What the snapshot knows of the member with this idKey. */
  basis(idKey: string): SnapshotBasis {
    const [high, low] = hash64(idKey);
    const entry = this.#find(high, low);
    if (entry < 0) return this.#written.has(high) ? undefined : null;
    const flags = this.#flags[entry];
    if (flags & READ_FLAG) return undefined;
    const outcome = flags >> OUTCOME_SHIFT & STATUS_MASK;
    const due = this.#due[entry];
    const tag = this.#runTags[entry];
    return {
      contentHash: hex8(this.#hashHigh[entry]) + hex8(this.#hashLow[entry]),
      status: MEMBER_STATUSES[(flags & STATUS_MASK) - 1],
      lastOutcome: outcome === 0 ? undefined : OUTCOMES[outcome - 1],
      attempts: this.#attempts[entry],
      nextRetryAt: Number.isNaN(due) ? undefined : new Date(due).toISOString(),
      lastRunId: tag === 0 ? undefined : this.#runIds[tag - 1],
    };
  }

  /** Hold the member's state (as loaded, or as now stored). */
  set(idKey: string, state: MemberBasis): void {
    const [high, low] = hash64(idKey);
    let entry = this.#find(high, low);
    if (entry < 0) entry = this.#add(high, low);
    this.#setEntry(entry, state);
  }

  /**
   * Keep the snapshot true after the store wrote `state` for the member:
   * a member it holds is updated, a member it does not hold is remembered
   * as having a record now (see the module notes).
   */
  written(idKey: string, state: MemberBasis): void {
    const [high, low] = hash64(idKey);
    const entry = this.#find(high, low);
    if (entry >= 0) this.#setEntry(entry, state);
    else this.#written.add(high);
  }

  #setEntry(entry: number, state: MemberBasis): void {
    const status = MEMBER_STATUSES.indexOf(state.status as MemberStatus) + 1;
    // -1 for an outcome this code does not know: read that record.
    const outcome = state.lastOutcome === undefined
      ? 0
      : OUTCOMES.indexOf(state.lastOutcome) + 1 || -1;
    const due = state.nextRetryAt === undefined
      ? Number.NaN
      : Date.parse(state.nextRetryAt);
    const tag = this.#runTag(state.lastRunId);
    const exact = status > 0 && outcome >= 0 &&
      HEX16.test(state.contentHash) &&
      Number.isInteger(state.attempts) && state.attempts >= 0 &&
      state.attempts <= MAX_ATTEMPTS && tag >= 0 &&
      (state.nextRetryAt === undefined ||
        (!Number.isNaN(due) &&
          new Date(due).toISOString() === state.nextRetryAt));

    if (!exact) {
      this.#flags[entry] = READ_FLAG | Math.max(status, 1);
      return;
    }
    this.#hashHigh[entry] = parseInt(state.contentHash.slice(0, 8), 16);
    this.#hashLow[entry] = parseInt(state.contentHash.slice(8), 16);
    this.#due[entry] = due;
    this.#attempts[entry] = state.attempts;
    this.#runTags[entry] = tag;
    this.#flags[entry] = status | outcome << OUTCOME_SHIFT;
  }

  /** The entry index of the idKey hashed to `high`, `low`, or -1. */
  #find(high: number, low: number): number {
    const slots = this.#slots;
    const mask = slots.length - 1;
    for (let slot = low & mask;; slot = (slot + 1) & mask) {
      const stored = slots[slot];
      if (stored === 0) return -1;
      const entry = stored - 1;
      if (this.#keyLow[entry] === low && this.#keyHigh[entry] === high) {
        return entry;
      }
    }
  }

  #add(high: number, low: number): number {
    if (this.#size === this.#keyHigh.length) this.#growEntries();
    const entry = this.#size++;
    this.#keyHigh[entry] = high;
    this.#keyLow[entry] = low;
    if (this.#slots.length < slotCount(this.#size)) {
      this.#slots = new Uint32Array(this.#slots.length * 2);
      for (let i = 0; i < entry; i++) this.#place(i);
    }
    this.#place(entry);
    return entry;
  }

  #place(entry: number): void {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let slot = this.#keyLow[entry] & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = entry + 1;
  }

  #growEntries(): void {
    const capacity = Math.ceil(this.#keyHigh.length * 1.5);
    this.#keyHigh = resized(this.#keyHigh, new Uint32Array(capacity));
    this.#keyLow = resized(this.#keyLow, new Uint32Array(capacity));
    this.#hashHigh = resized(this.#hashHigh, new Uint32Array(capacity));
    this.#hashLow = resized(this.#hashLow, new Uint32Array(capacity));
    this.#due = resized(this.#due, new Float64Array(capacity));
    this.#attempts = resized(this.#attempts, new Uint16Array(capacity));
    this.#runTags = resized(this.#runTags, new Uint16Array(capacity));
    this.#flags = resized(this.#flags, new Uint8Array(capacity));
  }

  /** The tag standing for `runId` (0: none), or -1 when out of tags. */
  #runTag(runId: string | undefined): number {
    if (runId === undefined) return 0;
    let tag = this.#runTagOf.get(runId);
    if (tag === undefined) {
      if (this.#runIds.length >= MAX_RUN_TAGS) return -1;
      this.#runIds.push(runId);
      tag = this.#runIds.length;
      this.#runTagOf.set(runId, tag);
    }
    return tag;
  }
}

/**
 * A stand-in record for the writer, built from a snapshot's basis: only
 * the {@linkcode MemberBasis} fields are true. The writer reads nothing
 * else of a known record while it holds the lease (no versionstamp check),
 * and `outcomeState` reads only the basis, so the stand-in is never stored.
 */
export function standInRecord(
  organizationNumber: string,
  idKey: string,
  basis: MemberBasis,
): { idKey: string; state: MemberState; versionstamp: string } {
  return {
    idKey,
    versionstamp: "",
    state: {
      ...basis,
      nationalId: "",
      idSystem: "",
      organizationNumber,
      start: "",
      end: "",
      masked: "",
    },
  };
}

/** Whether `record` is a {@linkcode standInRecord} (real versionstamps are never empty). */
export function isStandIn(
  record: { versionstamp: string } | undefined,
): boolean {
  return record?.versionstamp === "";
}

/**
 * A set of idKeys as 32-bit fingerprints (the high half of their hash) in
 * an open-addressing table: 4 bytes a slot. Two idKeys may share a
 * fingerprint, so `has` can say yes for a key never added (about one in
 * 4 000 lookups at a million keys); it never says no for one added. The
 * snapshot uses a yes only to read the record from the store, so a false
 * yes costs a read and nothing else.
 */
export class WrittenKeys {
  /** Fingerprints; 0 marks an empty slot (a fingerprint of 0 is kept as 1). */
  #slots = new Uint32Array(1024);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get byteLength(): number {
    return this.#slots.byteLength;
  }

  /** Add the idKey whose `hash64` has this high half. */
  add(high: number): void {
    const fingerprint = high || 1;
    if (this.#slotOf(fingerprint) >= 0) return;
    if ((this.#size + 1) * 4 > this.#slots.length * 3) this.#grow();
    this.#place(this.#slots, fingerprint);
    this.#size++;
  }

  /** Whether that idKey may have been added (see the class notes). */
  has(high: number): boolean {
    return this.#slotOf(high || 1) >= 0;
  }

  #slotOf(fingerprint: number): number {
    const slots = this.#slots;
    const mask = slots.length - 1;
    for (let slot = fingerprint & mask;; slot = (slot + 1) & mask) {
      const stored = slots[slot];
      if (stored === fingerprint) return slot;
      if (stored === 0) return -1;
    }
  }

  #place(slots: Uint32Array, fingerprint: number): void {
    const mask = slots.length - 1;
    let slot = fingerprint & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = fingerprint;
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Uint32Array(old.length * 2);
    for (const fingerprint of old) {
      if (fingerprint !== 0) this.#place(this.#slots, fingerprint);
    }
  }
}

/** Slots for `entries` at a load of at most 3/4, a power of two. */
function slotCount(entries: number): number {
  let slots = 2048;
  while (slots * 3 < entries * 4) slots *= 2;
  return slots;
}

function resized<
  T extends Uint8Array | Uint16Array | Uint32Array | Float64Array,
>(
  from: T,
  to: T,
): T {
  to.set(from as never);
  return to;
}

function hex8(half: number): string {
  return half.toString(16).padStart(8, "0");
}
