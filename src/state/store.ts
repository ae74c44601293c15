/**
 * The state store: member status, content hashes, due retries, runs and the
 * run lease, in Deno KV. A local SQLite file on one machine; Deploy's KV on
 * Deno Deploy. Layout and rules: docs/state.md.
 *
 * @example
 * ```ts
 * const store = await openStateStore({ path: ".medlemsbro/test1.sqlite" });
 * const run = await store.startRun("cli");
 * const plans = await store.planBatch(batch, { runId: run.id });
 * const toSend = plans.filter((p) => p.decision === "send");
 * const journal = await store.journalBatch(run.id, toSend.map((p) => p.member));
 * // ... send, then:
 * await store.recordOutcomes(results, { runId: run.id });
 * await store.clearJournal(journal);
 * ```
 *
 * @module
 */

import { dirname } from "node:path";
import { errorMessage, MedlemsbroError } from "../errors.ts";
import { contentHash } from "./content_hash.ts";
import { dueMembers, upcomingRetries } from "./due.ts";
import { checkIdKeyMode, createIdKeyer, type IdKeyer } from "./id_key.ts";
import {
  idKeyModeKey,
  migratingKey,
  SCHEMA_VERSION,
  schemaKey,
} from "./keys.ts";
import {
  acquireLease,
  type LeaseResult,
  releaseLease,
  renewLease,
} from "./lease.ts";
import type {
  MemberBasis,
  MemberRef,
  MemberState,
  StoredMember,
} from "./member_state.ts";
import {
  HeldWrites,
  type MemberUpdate,
  readMembers,
  writeHeld,
  writeMembers,
} from "./_member_writes.ts";
import {
  endedState,
  type OutcomeResult,
  outcomeState,
  pendingState,
} from "./outcomes.ts";
import { type PlanDecision, planMember } from "./plan.ts";
import {
  checkRetrySchedule,
  DEFAULT_RETRY_SCHEDULE,
  type RetrySchedule,
} from "./retry_schedule.ts";
import {
  finishRun,
  lastRuns,
  type Run,
  type RunFinish,
  type RunRecord,
  startRun,
} from "./runs.ts";
import { markSeen, membersNotSeenInRun } from "./seen.ts";
import { clearJournal, interruptedEntries, journalBatch } from "./journal.ts";
import {
  memberCounts,
  recount,
  type StatusSummary,
  statusSummary,
} from "./status.ts";
import { isStandIn, MemberSnapshot, standInRecord } from "./snapshot.ts";
import { type Migration, MIGRATIONS } from "./migrations.ts";
import { decodeMember, encodeMember } from "./member_record.ts";

export type { Migration };

export interface StateStoreOptions {
  /**
   * A SQLite file (its folder is created), `":memory:"`, or `undefined` for
   * `Deno.openKv()`'s default (Deploy's KV on Deploy). Ignored with `kv`.
   */
  path?: string;
  /** An open store to use instead (tests, Deploy); not closed by `close()`. */
  kv?: Deno.Kv;
  /**
   * Key member records by HMAC-SHA-256 of the national id with this secret
   * (≥ 32 bytes) instead of the id itself. Fixed for the life of a store.
   */
  idKeySecret?: Uint8Array;
  /** @default DEFAULT_RETRY_SCHEDULE */
  retrySchedule?: RetrySchedule;
  /** @default () => new Date() */
  now?: () => Date;
  /** Upgrades by the version they start from. @default MIGRATIONS */
  migrations?: Readonly<Record<number, Migration>>;
  /**
   * The Helsenorge environment this store tracks. Recorded on first use; a
   * store made for another environment is refused, since a member's status
   * at one environment says nothing about another.
   */
  environment?: string;
  /**
   * Member writes held back, while the store holds the lease, before they
   * are sorted and written (docs/performance.md). Reads of member records
   * write what is held first. 1 writes each batch at once.
   * @default DEFAULT_WRITE_BEHIND
   */
  writeBehind?: number;
}

/** Member writes held under the lease before a flush: see `writeBehind`. */
export const DEFAULT_WRITE_BEHIND = 50_000;

/**
 * The store holds national ids: its folder, file and SQLite's companion
 * files are owner-only. SQLite creates `-wal` and `-shm` with the main
 * file's mode, so the file is made 0600 before SQLite first opens it.
 */
async function ownerOnly(path: string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    const file = await Deno.open(path, {
      create: true,
      write: true,
      mode: 0o600,
    });
    file.close();
  } catch {
    return; // Not a writable file: openKv says why.
  }
  for (const suffix of ["", "-wal", "-shm"]) {
    await Deno.chmod(path + suffix, 0o600).catch(() => {});
  }
}

async function bindEnvironment(kv: Deno.Kv, environment: string) {
  const key = ["meta", "environment"];
  const stored = await kv.get<string>(key);
  if (stored.value === null) {
    await kv.atomic().check(stored).set(key, environment).commit();
    return bindEnvironment(kv, environment);
  }
  if (stored.value !== environment) {
    throw new MedlemsbroError(
      "ERR_STATE_ENVIRONMENT",
      `Cannot use this state store for ${environment}: it tracks members at ${stored.value}. Give each environment its own --state`,
    );
  }
}

/** A member of a batch with the store's decision about it. */
export interface PlannedMember<M extends MemberRef = MemberRef> {
  member: M;
  /** `contentHash(member)`. */
  hash: string;
  idKey: string;
  /**
   * The stored record, when there is one. Planned from the run's snapshot
   * (while the store holds the lease), it is given only for members to
   * send, as a stand-in holding just the `MemberBasis` fields: enough for
   * `recordOutcomes`' `known`, which the store answers from the snapshot
   * anyway.
   */
  existing?: StoredMember;
  decision: PlanDecision;
}

/** Open (and on first use create) the state store. */
export async function openStateStore(
  options: StateStoreOptions = {},
): Promise<StateStore> {
  const {
    path,
    kv: given,
    idKeySecret,
    retrySchedule = DEFAULT_RETRY_SCHEDULE,
    now = () => new Date(),
    migrations = MIGRATIONS,
    environment,
    writeBehind = DEFAULT_WRITE_BEHIND,
  } = options;
  if (!Number.isInteger(writeBehind) || writeBehind < 1) {
    throw new RangeError(
      `writeBehind must be a whole number of members >= 1, got ${writeBehind}`,
    );
  }
  const schedule = checkRetrySchedule(retrySchedule);
  const keyer = await createIdKeyer(idKeySecret);

  let kv = given;
  if (kv === undefined) {
    if (path !== undefined && path !== ":memory:") await ownerOnly(path);
    try {
      kv = await Deno.openKv(path);
    } catch (cause) {
      throw new MedlemsbroError(
        "ERR_STATE_OPEN",
        `Cannot open the state store ${path}: ${
          errorMessage(cause)
        }; give --state a SQLite file (created if missing)`,
        { cause },
      );
    }
  }
  try {
    await prepare(kv, keyer, migrations);
    if (environment !== undefined) await bindEnvironment(kv, environment);
  } catch (error) {
    if (given === undefined) kv.close();
    if (error instanceof MedlemsbroError) throw error;
    // SQLite's "database is locked" while another process writes (an
    // upgrade waits for none): said as a state problem, not a crash.
    throw new MedlemsbroError(
      "ERR_STATE_OPEN",
      `Cannot open the state store${path ? ` ${path}` : ""}: ${
        errorMessage(error)
      }; is another Medlemsbro process using it? Try again when it is done`,
      { cause: error },
    );
  }
  return new StateStore(
    kv,
    given === undefined,
    keyer,
    schedule,
    now,
    writeBehind,
  );
}

async function prepare(
  kv: Deno.Kv,
  keyer: IdKeyer,
  migrations: Readonly<Record<number, Migration>>,
): Promise<void> {
  const schema = await kv.get<number>(schemaKey);
  if (schema.value === null) {
    const mode = { mode: keyer.mode, fingerprint: keyer.fingerprint };
    const created = await kv.atomic().check(schema)
      .set(schemaKey, SCHEMA_VERSION).set(idKeyModeKey, mode).commit();
    if (created.ok) return;
    return prepare(kv, keyer, migrations);
  }

  let version = schema.value;
  if (version > SCHEMA_VERSION) {
    throw new MedlemsbroError(
      "ERR_STATE_SCHEMA_TOO_NEW",
      `Cannot open the state store: it has schema version ${version}, and this Medlemsbro reads version ${SCHEMA_VERSION} at most; upgrade Medlemsbro`,
    );
  }
  const step = (from: number): Migration => {
    const migrate = migrations[from];
    if (migrate) return migrate;
    throw new MedlemsbroError(
      "ERR_STATE_SCHEMA_OLD",
      `Cannot open the state store: it has schema version ${from} and no migration to ${
        from + 1
      } exists`,
    );
  };
  // An upgrade cut short (killed, or the store busy) is run again first.
  const unfinished = await kv.get<number>(migratingKey);
  if (unfinished.value !== null) {
    await step(unfinished.value)(kv);
    await kv.delete(migratingKey);
  }
  while (version < SCHEMA_VERSION) {
    const migrate = step(version);
    // The new version is marked before the first record is rewritten, so an
    // older Medlemsbro refuses the store from then on; the note makes the
    // next open finish an upgrade cut short. So each migration must be safe
    // to run again and leave records this code reads at any point.
    await kv.atomic().set(schemaKey, version + 1).set(migratingKey, version)
      .commit();
    await migrate(kv);
    await kv.delete(migratingKey);
    version++;
  }

  const mode = await kv.get<{ mode: string; fingerprint: string }>(
    idKeyModeKey,
  );
  if (mode.value) checkIdKeyMode(mode.value, keyer);
}

/** Member state, runs and the lease, over one Deno KV. */
export class StateStore {
  readonly #kv: Deno.Kv;
  readonly #ownsKv: boolean;
  readonly #keyer: IdKeyer;
  readonly #schedule: RetrySchedule;
  readonly #now: () => Date;
  /** Leases this store holds now, by name, with their holder: while it holds one, it is the only writer. */
  readonly #leases = new Map<string, string>();
  /**
   * While a lease is held: each organization's member records, loaded the
   * first time a batch names it and kept in step with every write.
   */
  readonly #snapshots = new Map<string, Promise<MemberSnapshot>>();
  readonly #loaded = new Map<string, MemberSnapshot>();
  /** Bumped whenever the snapshots are dropped; stale loads are not kept. */
  #generation = 0;
  /** Member writes and snapshot loads under the lease, one at a time. */
  #queue: Promise<unknown> = Promise.resolve();
  /**
   * Under the lease: member writes not yet in the KV, by member, with what
   * the KV holds for each; written sorted by {@linkcode flush}.
   */
  #held = new HeldWrites();
  /** Journal entries to delete once the held writes are in the KV. */
  #heldJournal: Deno.KvKey[] = [];
  /**
   * Held writes being written in the background (one such write at a time),
   * so the run goes on sending meanwhile; `done` rejects if it failed.
   */
  #flushing?: { writes: HeldWrites; done: Promise<void> };
  /** Why the last background write failed, until a flush reports it. */
  #flushFailure?: { error: unknown };
  readonly #writeBehind: number;

  constructor(
    kv: Deno.Kv,
    ownsKv: boolean,
    keyer: IdKeyer,
    schedule: RetrySchedule,
    now: () => Date,
    writeBehind = DEFAULT_WRITE_BEHIND,
  ) {
    this.#kv = kv;
    this.#ownsKv = ownsKv;
    this.#keyer = keyer;
    this.#schedule = schedule;
    this.#now = now;
    this.#writeBehind = writeBehind;
  }

  /** The underlying KV (for the queue and tests). */
  get kv(): Deno.Kv {
    return this.#kv;
  }

  /** The id parts of member keys for these national ids. */
  idKeys(nationalIds: readonly string[]): Promise<string[]> {
    return this.#keyer.keys(nationalIds);
  }

  /** One member's record by its key parts (as listed), if it exists. */
  async getMemberByKey(
    organizationNumber: string,
    idKey: string,
  ): Promise<StoredMember | undefined> {
    await this.flush();
    const [found] = await readMembers(this.#kv, [{
      organizationNumber,
      idKey,
    }]);
    return found;
  }

  /** The stored records of these members (`undefined` when new). */
  async getMembers(
    members: readonly MemberRef[],
  ): Promise<(StoredMember | undefined)[]> {
    const idKeys = await this.idKeys(members.map((m) => m.nationalId));
    await this.flush();
    return readMembers(
      this.#kv,
      members.map((m, i) => ({
        organizationNumber: m.organizationNumber,
        idKey: idKeys[i],
      })),
    );
  }

  /**
   * Hash, look up and plan a batch of members; with `runId`, also mark them
   * seen by that run (for ended memberships).
   */
  async planBatch<M extends MemberRef>(
    members: readonly M[],
    options: { runId?: string; force?: boolean; now?: Date } = {},
  ): Promise<PlannedMember<M>[]> {
    const { runId, force = false, now = this.#now() } = options;
    const idKeys = await this.idKeys(members.map((m) => m.nationalId));
    if (this.#leases.size > 0) {
      return this.#planFromSnapshots(members, idKeys, { runId, force, now });
    }
    const existing = await readMembers(
      this.#kv,
      members.map((m, i) => ({
        organizationNumber: m.organizationNumber,
        idKey: idKeys[i],
      })),
    );

    if (runId !== undefined) await this.#markSeen(members, idKeys, runId);

    return members.map((member, i) => {
      const hash = contentHash(member);
      return {
        member,
        hash,
        idKey: idKeys[i],
        existing: existing[i],
        decision: planMember(existing[i]?.state, { hash }, now, { force }),
      };
    });
  }

  /**
   * Mark members `pending` with the given content, due after the first
   * failed-call delay: how {@linkcode recoverInterrupted} books a dead run's
   * journaled batches (the sync itself journals batches, see `journalBatch`).
   * Pass planned members to spare a read. Returns their records after the
   * write.
   */
  async markPending(
    items: readonly {
      member: MemberRef;
      hash?: string;
      idKey?: string;
      existing?: StoredMember;
      /** The member's whole record as just read (`null`: none). */
      known?: StoredMember | null;
    }[],
    options: { runId?: string; now?: Date } = {},
  ): Promise<StoredMember[]> {
    const { runId, now = this.#now() } = options;
    const idKeys = await this.#idKeysOf(items);
    const written = await this.#write(
      items.map((item, i) => ({
        organizationNumber: item.member.organizationNumber,
        idKey: idKeys[i],
        // A plan's stand-in lacks what `pendingState` keeps: read instead.
        known: item.known !== undefined
          ? item.known
          : "decision" in item && !isStandIn(item.existing)
          ? item.existing ?? null
          : undefined,
        update: (old) =>
          pendingState(
            old,
            item.member,
            item.hash ?? contentHash(item.member),
            now,
            this.#schedule,
            runId,
          ),
      })),
    );
    return written as StoredMember[];
  }

  /**
   * Journal a batch before it is sent (see journal.ts); clear the returned
   * keys with {@linkcode clearJournal} once its outcomes are recorded.
   */
  journalBatch(
    runId: string,
    members: readonly MemberRef[],
  ): Promise<Deno.KvKey[]> {
    return journalBatch(this.#kv, runId, members);
  }

  /**
   * Clear journal entries whose outcomes are recorded; under the lease, once
   * the writes held back are in the KV (the outcomes may be among them).
   */
  clearJournal(keys: readonly Deno.KvKey[]): Promise<void> {
    if (this.#leases.size === 0) return clearJournal(this.#kv, keys);
    return this.#serially(async () => {
      // Outcomes may have been lost with a failed write: keep the entries.
      if (this.#flushFailure) throw this.#flushFailure.error;
      if (this.#held.size > 0 || this.#flushing) {
        this.#heldJournal.push(...keys);
      } else await clearJournal(this.#kv, keys);
    });
  }

  /**
   * Mark the members of batches left in the journal by a run that died
   * `pending`, with the content that was in flight, and clear the entries.
   * Call only while holding the lease. Returns how many members it marked.
   */
  async recoverInterrupted(now: Date = this.#now()): Promise<number> {
    let marked = 0;
    for await (const { key, members } of interruptedEntries(this.#kv)) {
      const unanswered = await this.#unanswered(members, String(key[1]));
      if (unanswered.length > 0) {
        await this.markPending(unanswered, { now });
      }
      // Not before the pending marks are in the KV.
      await this.clearJournal([key]);
      marked += unanswered.length;
    }
    return marked;
  }

  /**
   * The members of a dead run's journal entry that it did not answer: the
   * run may have died after recording answers but before clearing the
   * entry, and a member with a record of that run with this content is done.
   * Each comes with its record (`null`: none) for `markPending`.
   *
   * Under the lease the snapshot decides for most members, and only the
   * rest are taken from the held writes or read, with no flush per entry (a
   * dead run of a million members leaves a journal of many thousands).
   */
  async #unanswered(
    members: readonly MemberRef[],
    runId: string,
  ): Promise<{ member: MemberRef; known: StoredMember | null }[]> {
    const answered = (
      state: MemberBasis | undefined,
      member: MemberRef,
    ) =>
      state !== undefined && state.lastRunId === runId &&
      state.status !== "pending" && state.contentHash === contentHash(member);

    if (this.#leases.size === 0) {
      const records = await this.getMembers(members);
      return members.flatMap((member, i) =>
        answered(records[i]?.state, member)
          ? []
          : [{ member, known: records[i] ?? null }]
      );
    }

    const idKeys = await this.idKeys(members.map((m) => m.nationalId));
    const snapshots = await this.#snapshotsFor(members);
    const bases = members.map((m, i) =>
      snapshots.get(m.organizationNumber)!.basis(idKeys[i])
    );
    // Read where the snapshot cannot say, and where it has an unanswered
    // member's record: `markPending` keeps parts the snapshot does not hold.
    const toRead = bases.flatMap((basis, i) =>
      basis === null || (basis && answered(basis, members[i])) ? [] : [i]
    );
    const read = await this.#latestRecords(
      toRead.map((i) => ({
        organizationNumber: members[i].organizationNumber,
        idKey: idKeys[i],
      })),
    );
    const records = new Map(toRead.map((index, n) => [index, read[n]]));
    return members.flatMap((member, i) => {
      if (bases[i] === null) return [{ member, known: null }];
      if (!records.has(i)) return [];
      const record = records.get(i);
      return answered(record?.state, member)
        ? []
        : [{ member, known: record ?? null }];
    });
  }

  /**
   * Record what Helsenorge answered for each member (or that the call
   * failed), in atomic chunks; sets the next retry for not-consented and
   * failed members.
   */
  async recordOutcomes(
    results: readonly OutcomeResult[],
    options: {
      runId?: string;
      now?: Date;
      /** Each member's record as last read (`null`: known absent), to spare a read. */
      known?: readonly (StoredMember | null | undefined)[];
    } = {},
  ): Promise<void> {
    const { runId, now = this.#now(), known } = options;
    const idKeys = await this.idKeys(results.map((r) => r.member.nationalId));
    await this.#write(
      results.map((result, i) => ({
        organizationNumber: result.member.organizationNumber,
        idKey: idKeys[i],
        known: known?.[i],
        update: (old) => outcomeState(old, result, now, this.#schedule, runId),
      })),
      // `outcomeState` reads only the basis, and a member's row when it
      // comes without one: the snapshot can stand in for the record.
      (index) => results[index].member.row !== undefined,
    );
  }

  /** Record that a run saw these members (see `planBatch`). */
  async markSeen(
    organizationNumber: string,
    runId: string,
    nationalIds: readonly string[],
  ): Promise<void> {
    await markSeen(
      this.#kv,
      organizationNumber,
      runId,
      await this.idKeys(nationalIds),
    );
  }

  /** Members of the organization not seen by the run (not ended ones). */
  async *membersNotSeenInRun(
    organizationNumber: string,
    runId: string,
  ): AsyncIterable<StoredMember> {
    await this.flush();
    yield* membersNotSeenInRun(this.#kv, organizationNumber, runId);
  }

  /**
   * Mark memberships ended with `end` (`YYYY-MM-DD`): after Helsenorge stored
   * the end, or straight away for members it never held.
   */
  async markEnded(
    items: readonly { member: StoredMember; end: string }[],
    options: { runId?: string; now?: Date } = {},
  ): Promise<void> {
    const { runId, now = this.#now() } = options;
    await this.#write(
      items.map(({ member, end }) => ({
        organizationNumber: member.state.organizationNumber,
        idKey: member.idKey,
        known: member,
        update: (old) =>
          old &&
          endedState(
            old,
            end,
            contentHash({ ...old, end }),
            now,
            runId,
          ),
      })),
    );
  }

  /** Members due for a retry at `now`, earliest first. */
  async *dueMembers(
    now = this.#now(),
    limit?: number,
  ): AsyncIterable<StoredMember> {
    await this.flush();
    yield* dueMembers(this.#kv, now, limit);
  }

  /** The next `limit` members waiting for a retry, due or not, earliest first. */
  async upcomingRetries(limit = 50): Promise<StoredMember[]> {
    await this.flush();
    return upcomingRetries(this.#kv, limit);
  }

  /** Record the start of a run; finish it with {@linkcode finishRun}. */
  startRun(trigger?: string): Promise<Run> {
    return startRun(this.#kv, this.#now(), trigger);
  }

  /** Record how a run ended: counts, problems (masked), exit code. */
  finishRun(run: Run, finish: RunFinish): Promise<RunRecord> {
    return finishRun(this.#kv, run, finish, this.#now());
  }

  /** The last `n` runs, newest first. */
  lastRuns(n = 10): Promise<RunRecord[]> {
    return lastRuns(this.#kv, n);
  }

  /**
   * Take the lease `name` for `ttlMs`, unless another holder has it. While
   * this store holds a lease it plans from snapshots (docs/state.md).
   */
  async acquireLease(
    name: string,
    holder: string,
    ttlMs: number,
    now = this.#now(),
  ): Promise<LeaseResult> {
    const held = this.#leases.size > 0;
    const result = await acquireLease(this.#kv, name, holder, ttlMs, now);
    if (result.ok) {
      // Snapshots from before the lease may miss others' writes.
      if (!held) this.#dropSnapshots();
      this.#leases.set(name, holder);
    }
    return result;
  }

  /** Extend a lease this holder has, before it expires. */
  renewLease(
    name: string,
    holder: string,
    ttlMs: number,
    now = this.#now(),
  ): Promise<LeaseResult> {
    return renewLease(this.#kv, name, holder, ttlMs, now);
  }

  /**
   * Give the lease up, after writing what is held back; the snapshots go
   * with the last lease held. Should that write fail, the lease is still
   * given up: the journal entries of the unwritten outcomes remain, and the
   * next run books those members pending.
   */
  async releaseLease(name: string, holder: string): Promise<boolean> {
    // A run that lost the lease to another run of this process gives up
    // nothing of that run's: its held writes and snapshots stay.
    if (this.#leases.get(name) !== holder) {
      return await releaseLease(this.#kv, name, holder);
    }
    const last = this.#leases.size === 1;
    const flushed = last
      ? await this.flush().then(() => undefined, (error) => ({ error }))
      : undefined;
    this.#leases.delete(name);
    if (this.#leases.size === 0) this.#dropSnapshots();
    const released = await releaseLease(this.#kv, name, holder);
    if (flushed) throw flushed.error;
    return released;
  }

  /**
   * Write the member writes held back under the lease, sorted by key, then
   * clear the journal entries they answer. Reads of member records and
   * `releaseLease` call it; a run calls it before it reports itself done.
   */
  flush(): Promise<void> {
    return this.#serially(() => this.#flushHeld());
  }

  /**
   * Forget the writes held back, without writing them: for a run that lost
   * its lease, since another run may have written the same members since.
   * Their journal entries stay in the KV, so the next run holding the lease
   * books those members pending and sends them again.
   */
  discardHeld(): void {
    this.#dropSnapshots();
  }

  /** Members by status and organization, due retries and the last runs. */
  async statusSummary(now = this.#now()): Promise<StatusSummary> {
    await this.flush();
    return statusSummary(this.#kv, now);
  }

  /** Members per status and organization, from the counters (no scans). */
  async memberCounts(): Promise<StatusSummary["organizations"]> {
    await this.flush();
    return memberCounts(this.#kv);
  }

  /** Rebuild an organization's counters by scanning it (hold the lease). */
  async recount(organizationNumber: string) {
    await this.flush();
    return recount(this.#kv, organizationNumber);
  }

  /** Close the KV, unless it was given (`options.kv`). */
  close(): void {
    if (this.#ownsKv) this.#kv.close();
  }

  /** `planBatch` while holding the lease: from the snapshots, no reads. */
  async #planFromSnapshots<M extends MemberRef>(
    members: readonly M[],
    idKeys: readonly string[],
    options: { runId?: string; force: boolean; now: Date },
  ): Promise<PlannedMember<M>[]> {
    const { runId, force, now } = options;
    const snapshots = await this.#snapshotsFor(members);

    const bases = members.map((m, i) =>
      snapshots.get(m.organizationNumber)!.basis(idKeys[i])
    );
    // Records the snapshot does not hold exactly (or knows only as written
    // in this run) are taken from the held writes, else read.
    const unsure = bases.flatMap((basis, i) => basis === undefined ? [i] : []);
    const records = await this.#latestRecords(
      unsure.map((i) => ({
        organizationNumber: members[i].organizationNumber,
        idKey: idKeys[i],
      })),
    );
    const read = new Map(unsure.map((index, n) => [index, records[n]]));

    if (runId !== undefined) await this.#markSeen(members, idKeys, runId);

    return members.map((member, i) => {
      const hash = contentHash(member);
      const basis = bases[i];
      const existing = basis === undefined ? read.get(i) : undefined;
      const decision = planMember(
        basis ?? existing?.state,
        { hash },
        now,
        { force },
      );
      return {
        member,
        hash,
        idKey: idKeys[i],
        existing: basis && decision === "send"
          ? standInRecord(member.organizationNumber, idKeys[i], basis)
          : existing,
        decision,
      };
    });
  }

  async #markSeen(
    members: readonly MemberRef[],
    idKeys: readonly string[],
    runId: string,
  ): Promise<void> {
    const byOrganization = new Map<string, string[]>();
    members.forEach((m, i) => {
      const list = byOrganization.get(m.organizationNumber) ?? [];
      list.push(idKeys[i]);
      byOrganization.set(m.organizationNumber, list);
    });
    for (const [organizationNumber, keys] of byOrganization) {
      await markSeen(this.#kv, organizationNumber, runId, keys);
    }
  }

  /** The snapshots of the members' organizations, by organization number. */
  async #snapshotsFor(
    members: readonly MemberRef[],
  ): Promise<Map<string, MemberSnapshot>> {
    const snapshots = new Map<string, MemberSnapshot>();
    for (const { organizationNumber } of members) {
      if (!snapshots.has(organizationNumber)) {
        snapshots.set(
          organizationNumber,
          await this.#snapshot(organizationNumber),
        );
      }
    }
    return snapshots;
  }

  /** The organization's snapshot, loaded (one range scan) on first use. */
  #snapshot(organizationNumber: string): Promise<MemberSnapshot> {
    let loading = this.#snapshots.get(organizationNumber);
    if (loading === undefined) {
      const generation = this.#generation;
      loading = this.#serially(async () => {
        // Held writes may be for this organization: in the KV first.
        await this.#flushHeld();
        const snapshot = await MemberSnapshot.load(
          this.#kv,
          organizationNumber,
        );
        if (generation === this.#generation) {
          this.#loaded.set(organizationNumber, snapshot);
        }
        return snapshot;
      });
      this.#snapshots.set(organizationNumber, loading);
      loading.catch(() => {
        if (this.#snapshots.get(organizationNumber) === loading) {
          this.#snapshots.delete(organizationNumber);
        }
      });
    }
    return loading;
  }

  #dropSnapshots(): void {
    this.#generation++;
    this.#snapshots.clear();
    this.#loaded.clear();
    // Unwritten outcomes are lost with them; their journal entries stay, so
    // the next run holding the lease books those members pending.
    this.#held = new HeldWrites();
    this.#heldJournal = [];
  }

  /**
   * Write what is held, and wait for a write in the background (call within
   * `#serially`): afterwards the KV holds every write made so far.
   */
  async #flushHeld(): Promise<void> {
    await this.#startFlush();
    await this.#flushing?.done;
    this.#throwFlushFailure();
  }

  /**
   * Start writing what is held in the background, once an earlier such
   * write is done (call within `#serially`). A failed write drops the
   * snapshots and what is held, and is thrown here or by the next flush:
   * the journal entries of the lost outcomes stay in the KV.
   */
  async #startFlush(): Promise<void> {
    await this.#flushing?.done;
    this.#throwFlushFailure();
    if (this.#held.size === 0 && this.#heldJournal.length === 0) return;
    const writes = this.#held;
    const journal = this.#heldJournal;
    this.#held = new HeldWrites();
    this.#heldJournal = [];
    const flushing = {
      writes,
      done: writeHeld(this.#kv, writes.all(), journal).then(
        () => {},
        (error) => {
          // Some chunks may have been written: start again from the store.
          this.#dropSnapshots();
          this.#flushFailure = { error };
        },
      ).finally(() => {
        if (this.#flushing === flushing) this.#flushing = undefined;
      }),
    };
    this.#flushing = flushing;
  }

  #throwFlushFailure(): void {
    const failure = this.#flushFailure;
    this.#flushFailure = undefined;
    if (failure) throw failure.error;
  }

  /** Run `task` after every write and load queued before it. */
  #serially<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(task);
    this.#queue = result.catch(() => {});
    return result;
  }

  /**
   * Write member records. Holding the lease, the writes are held back and
   * written sorted by {@linkcode flush}, keeping loaded snapshots in step;
   * where `fromSnapshot` allows, the snapshot stands in for the record, so
   * nothing is read. Returns each record after the write; held ones carry
   * an empty versionstamp, as they are not in the KV yet.
   */
  #write(
    updates: readonly MemberUpdate[],
    fromSnapshot?: (index: number) => boolean,
  ): Promise<(StoredMember | undefined)[]> {
    if (this.#leases.size === 0) return writeMembers(this.#kv, updates);
    return this.#serially(async () => {
      const current = await this.#currentStates(updates, fromSnapshot);
      const written = updates.map((u, index) => {
        const old = current[index];
        const state = u.update(old);
        if (state === undefined) {
          return old && { idKey: u.idKey, state: old, versionstamp: "" };
        }
        const previous = this.#held.get(u.organizationNumber, u.idKey);
        this.#held.set({
          organizationNumber: u.organizationNumber,
          idKey: u.idKey,
          stored: previous ? previous.stored : old && {
            status: old.status,
            nextRetryAt: old.nextRetryAt,
          },
          record: encodeMember(state),
          status: state.status,
          nextRetryAt: state.nextRetryAt,
        });
        this.#loaded.get(u.organizationNumber)?.written(u.idKey, state);
        return { idKey: u.idKey, state, versionstamp: "" };
      });
      if (this.#held.size >= this.#writeBehind) await this.#startFlush();
      return written;
    });
  }

  /**
   * Each member's state as it stands under the lease: the snapshot's (where
   * `fromSnapshot` allows and it holds the member), else a held write, else
   * the caller's `known`, else read from the KV (which holds no newer write
   * for it).
   */
  async #currentStates(
    updates: readonly MemberUpdate[],
    fromSnapshot?: (index: number) => boolean,
  ): Promise<(MemberState | undefined)[]> {
    const current: (MemberState | undefined)[] = [];
    const latest: number[] = [];
    updates.forEach((u, index) => {
      // The snapshot is kept in step with every write, held ones included;
      // asked first, it spares two lookups in the held writes per member.
      const basis = fromSnapshot?.(index)
        ? this.#loaded.get(u.organizationNumber)?.basis(u.idKey)
        : undefined;
      if (basis === null) current[index] = undefined;
      else if (basis !== undefined) {
        current[index] =
          standInRecord(u.organizationNumber, u.idKey, basis).state;
      } else if (u.known !== undefined) {
        current[index] = this.#heldState(u.organizationNumber, u.idKey) ??
          u.known?.state;
      } else latest.push(index);
    });
    const records = await this.#latestRecords(
      latest.map((index) => updates[index]),
    );
    latest.forEach((index, n) => current[index] = records[n]?.state);
    return current;
  }

  /**
   * The member's state in a write held back or being written, if any:
   * newer than the KV, which has the state of every other member.
   */
  #heldState(
    organizationNumber: string,
    idKey: string,
  ): MemberState | undefined {
    const held = this.#held.get(organizationNumber, idKey) ??
      this.#flushing?.writes.get(organizationNumber, idKey);
    return held && decodeMember(held.record, organizationNumber);
  }

  /**
   * Members' records as they stand under the lease: from a held write (with
   * an empty versionstamp, as it is not in the KV yet), else read from the
   * KV, which has the newest state of every member not held. No flush.
   */
  async #latestRecords(
    refs: readonly { organizationNumber: string; idKey: string }[],
  ): Promise<(StoredMember | undefined)[]> {
    const records: (StoredMember | undefined)[] = [];
    const unread: number[] = [];
    refs.forEach(({ organizationNumber, idKey }, index) => {
      const held = this.#heldState(organizationNumber, idKey);
      if (held) records[index] = { idKey, state: held, versionstamp: "" };
      else unread.push(index);
    });
    if (unread.length > 0) {
      const read = await readMembers(this.#kv, unread.map((i) => refs[i]));
      unread.forEach((index, n) => records[index] = read[n]);
    }
    return records;
  }

  async #idKeysOf(
    items: readonly { member: MemberRef; idKey?: string }[],
  ): Promise<string[]> {
    if (items.every((item) => item.idKey !== undefined)) {
      return items.map((item) => item.idKey!);
    }
    return await this.idKeys(items.map((item) => item.member.nationalId));
  }
}
