/**
 * The in-flight journal: crash safety for member calls at two KV writes per
 * batch instead of one per member.
 *
 * Before a batch is sent, the members it carries (with the content being
 * sent) are written under `["inflight", runId, batchId]`; once their
 * outcomes are recorded the entry is deleted. An entry still there when the
 * next run takes the lease belongs to a run that died between sending and
 * recording: its members are marked `pending` with the content that was in
 * flight, so they are sent again (by the next sync, or by the retry job
 * through the due index), even if tonight's export reverted to content
 * Helsenorge held before. No member is ever marked stored without an answer.
 *
 * @module
 */

import { decodeSystem, encodeSystem } from "./member_record.ts";
import type { MemberRef } from "./member_state.ts";

/** Members per journal entry: keeps a value well under KV's 64 KiB. */
const PER_ENTRY = 200;

const PREFIX = ["inflight"];

type JournalMember = Pick<
  MemberRef,
  "nationalId" | "idSystem" | "organizationNumber" | "start" | "end" | "row"
>;

/**
 * A journaled member as stored: an array, as member records are (a batch
 * is journaled before every call, so its size counts); the system as 0
 * (fødselsnummer) or 1 (D-nummer), else as text. Entries written by an
 * older Medlemsbro hold `JournalMember` objects, read as they are.
 */
type JournalRecord = [
  nationalId: string,
  idSystem: number | string,
  organizationNumber: string,
  start: string,
  end: string,
  row: number | null,
];

function encode(m: MemberRef): JournalRecord {
  return [
    m.nationalId,
    encodeSystem(m.idSystem),
    m.organizationNumber,
    m.start,
    m.end,
    m.row ?? null,
  ];
}

function decode(value: JournalRecord | JournalMember): JournalMember {
  if (!Array.isArray(value)) return value;
  const [nationalId, idSystem, organizationNumber, start, end, row] = value;
  return {
    nationalId,
    idSystem: decodeSystem(idSystem),
    organizationNumber,
    start,
    end,
    ...(row !== null && { row }),
  };
}

/** Journal the members about to be sent; returns the keys to clear. */
export async function journalBatch(
  kv: Deno.Kv,
  runId: string,
  members: readonly MemberRef[],
): Promise<Deno.KvKey[]> {
  const keys: Deno.KvKey[] = [];
  const op = kv.atomic();
  for (let i = 0; i < members.length; i += PER_ENTRY) {
    const key = [...PREFIX, runId, crypto.randomUUID()];
    op.set(key, members.slice(i, i + PER_ENTRY).map(encode));
    keys.push(key);
  }
  await op.commit();
  return keys;
}

/** Clear journal entries once their outcomes are recorded. */
export async function clearJournal(
  kv: Deno.Kv,
  keys: readonly Deno.KvKey[],
): Promise<void> {
  const op = kv.atomic();
  for (const key of keys) op.delete(key);
  await op.commit();
}

/**
 * Journal entries left behind, in the order they were written (their
 * versionstamps): run ids are random, so key order says nothing of time, and
 * a member journaled by two dead runs must end with the later one's content.
 * Only keys are kept while sorting; each entry is read when its turn comes.
 */
export async function* interruptedEntries(
  kv: Deno.Kv,
): AsyncGenerator<{ key: Deno.KvKey; members: MemberRef[] }> {
  const written: { key: Deno.KvKey; versionstamp: string }[] = [];
  for await (const { key, versionstamp } of kv.list({ prefix: PREFIX })) {
    written.push({ key, versionstamp });
  }
  written.sort((a, b) => a.versionstamp < b.versionstamp ? -1 : 1);
  for (const { key } of written) {
    const entry = await kv.get<(JournalRecord | JournalMember)[]>(key);
    if (entry.value !== null) {
      yield { key, members: entry.value.map(decode) };
    }
  }
}
