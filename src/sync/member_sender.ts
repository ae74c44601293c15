/**
 * Sending member batches and booking each member's outcome, in the report's
 * counters and, when state is kept, in the state store.
 *
 * With state, a batch is first planned against what Helsenorge already holds
 * (delta sync): unchanged members are skipped, and the rest are journaled
 * as in flight before the call leaves (src/state/journal.ts). Only an answer
 * moves a member to `stored`, so a run killed half way leaves journaled
 * members that the next run marks pending and sends again, and never a
 * member marked stored that Helsenorge lacks.
 *
 * A call that got no usable answer after the client's own resends is sent
 * again later in the run, until `breakerFailures` calls in a row have
 * failed: then the circuit breaker stops the run, and what was not sent is
 * left for the next run (docs/reliability.md). Every attempt's timing feeds
 * the adaptive batch size and the run's latency record.
 *
 * @module
 */

import type { Bundle } from "fhir/r4";
import type { AdaptiveBatchSize } from "../batches/adaptive.ts";
import { memberOutcomes, membersBundle } from "../fhir/members_bundle.ts";
import type { EntryOutcome } from "../fhir/outcome.ts";
import {
  type CallObserver,
  type ClientEvent,
  HelsenorgeError,
} from "../helsenorge/client.ts";
import { maskNationalId } from "../identifiers/mask.ts";
import type { Member } from "../input/member.ts";
import { contentHash } from "../state/content_hash.ts";
import type { Outcome, StoredMember } from "../state/member_state.ts";
import type { OutcomeResult } from "../state/outcomes.ts";
import type { StateStore } from "../state/store.ts";
import type { LatencyRecorder } from "./latency.ts";
import type { MemberCounts, ProblemList } from "./report.ts";
import { errorMessage } from "../errors.ts";

/**
 * Where member bundles go; `undefined` back means not sent (dry run).
 * `observe`, when the target calls Helsenorge, gets the call's events.
 */
export type MembersTarget = (
  bundle: Bundle,
  observe?: CallObserver,
) => Promise<Bundle | undefined>;

export interface MemberSenderOptions {
  target: MembersTarget;
  counts: MemberCounts;
  problems: ProblemList;
  /** Keep state (delta sync, pending marks, outcomes). */
  state?: StateStore;
  /** The run's id; with `markSeen`, members are marked seen by it. */
  runId?: string;
  /** Mark members seen by the run, for ending absent members (`--full`). */
  markSeen?: boolean;
  /** Send even unchanged members. */
  force?: boolean;
  now: () => Date;
  onBatch?: () => void;
  /** Learns from every attempt's timing; resend rounds use its size. */
  sizer?: AdaptiveBatchSize;
  /** Collects every attempt's timing for the report. */
  latency?: LatencyRecorder;
  /**
   * Whole calls in a row without a usable answer (after the client's own
   * resends) that stop the run. Below it, a failed call's members are sent
   * again later in the run. @default 1 (stop at the first)
   */
  breakerFailures?: number;
}

/**
 * Member calls in a row with no usable answer (after the client's own
 * resends) before a run stops; the CLI, the service and tests share it.
 */
export const DEFAULT_BREAKER_FAILURES = 3;

/** Sends member batches; one instance per run. */
export class MemberSender {
  readonly #options: MemberSenderOptions;
  #failed: Member[] = [];
  #stopReason: string | undefined;
  #failuresInARow = 0;
  #breakerTripped = false;

  constructor(options: MemberSenderOptions) {
    const { breakerFailures = DEFAULT_BREAKER_FAILURES } = options;
    if (!Number.isInteger(breakerFailures) || breakerFailures < 1) {
      throw new RangeError(
        `breakerFailures must be a whole number >= 1, got ${breakerFailures}`,
      );
    }
    this.#options = options;
  }

  /** Whether the circuit breaker stopped the run. */
  get breakerTripped(): boolean {
    return this.#breakerTripped;
  }

  /** Stop sending: later batches are only counted as not sent. */
  stop(reason: string): void {
    this.#stopReason ??= reason;
  }

  /** Why sending stopped (a whole call failed), if it did. */
  get stopReason(): string | undefined {
    return this.#stopReason;
  }

  /**
   * Plan, send and book one batch. After a whole call failed, later batches
   * are only counted as not sent, so the rest of the export is still read
   * and validated.
   */
  async send(batch: Member[]): Promise<void> {
    const { counts, state, runId, markSeen, force, now } = this.#options;
    if (this.#stopReason !== undefined) {
      counts.notSent += batch.length;
      return;
    }

    let members = batch;
    let known: (StoredMember | null)[] | undefined;
    let hashes: Map<Member, string> | undefined;
    let journal: Deno.KvKey[] | undefined;
    if (state) {
      const planned = await state.planBatch(batch, {
        runId: markSeen ? runId : undefined,
        force,
        now: now(),
      });
      const toSend = planned.filter((p) => {
        if (p.decision === "skip-unchanged") counts.unchanged++;
        else if (p.decision === "skip-not-due") counts.notDue++;
        return p.decision === "send";
      });
      members = toSend.map((p) => p.member);
      known = toSend.map((p) => p.existing ?? null);
      hashes = new Map(toSend.map((p) => [p.member, p.hash]));
      if (members.length > 0) {
        journal = await state.journalBatch(runId ?? "unrecorded", members);
      }
    }

    if (members.length > 0) await this.#post(members, known, hashes);
    if (journal) await state!.clearJournal(journal);
    this.#options.onBatch?.();
  }

  /**
   * Send members again whose entries failed (5xx in the batch-response) or
   * whose whole call failed, in up to `rounds` more rounds; what still fails
   * is booked as failed. With a sizer, batches take its current size.
   */
  async resendFailed(batchSize: number, rounds: number): Promise<void> {
    for (let round = 1; round <= rounds && this.#failed.length > 0; round++) {
      if (this.#stopReason !== undefined) break;
      const pending = this.#failed;
      this.#failed = [];
      for (let i = 0; i < pending.length;) {
        const size = this.#options.sizer?.current ?? batchSize;
        const members = pending.slice(i, i + size);
        i += size;
        if (this.#stopReason !== undefined) {
          this.#failed.push(...members);
          continue;
        }
        await this.#post(members);
      }
    }
    this.#bookFailed(this.#failed, "no stored answer after every resend");
    this.#failed = [];
  }

  /**
   * Send one bundle and record its outcomes. `known` and `hashes` are what
   * the plan found and computed, to spare a read and a hash per member.
   */
  async #post(
    members: Member[],
    known?: (StoredMember | null)[],
    hashes?: ReadonlyMap<Member, string>,
  ): Promise<void> {
    const { target, counts, state, runId, now } = this.#options;
    const { bundle, entryMembers } = membersBundle(members);
    counts.batches++;

    let response: Bundle | undefined;
    try {
      response = await target(bundle, this.#observer(bundle));
    } catch (error) {
      const reason = errorMessage(error);
      if (this.#shouldStop(error, reason)) {
        this.#bookFailed(members, "the call failed, see why the run stopped");
      } else {
        // Sent again later in this run; booked once that answer comes.
        this.#failed.push(...members);
      }
      await state?.recordOutcomes(
        members.map((member) =>
          result(member, "failed", reason, hashes?.get(member))
        ),
        { runId, now: now(), known },
      );
      return;
    }
    this.#failuresInARow = 0;

    if (response === undefined) {
      counts.prepared += members.length;
      return;
    }

    const results: OutcomeResult[] = [];
    for (const [member, outcome] of memberOutcomes(entryMembers, response)) {
      this.#book(member, outcome);
      results.push(
        result(
          member,
          toOutcome(outcome),
          reasonOf(outcome),
          hashes?.get(member),
        ),
      );
    }
    // `known` is in batch order, as `results` is when no member was merged.
    const inOrder = results.length === members.length &&
      results.every((r, i) => r.member === members[i]);
    await state?.recordOutcomes(results, {
      runId,
      now: now(),
      known: inOrder ? known : undefined,
    });
  }

  /**
   * After a whole call failed: whether the run stops now. A refusal (4xx)
   * stops it at once, since resending cannot help; no answer stops it once
   * `breakerFailures` calls in a row had none.
   */
  #shouldStop(error: unknown, reason: string): boolean {
    const { breakerFailures = DEFAULT_BREAKER_FAILURES } = this.#options;
    if (this.#stopReason !== undefined) return true;
    const transient = error instanceof HelsenorgeError &&
      (error.code === "ERR_HELSENORGE_UNAVAILABLE" ||
        error.code === "ERR_HELSENORGE_BAD_RESPONSE");
    if (!transient) {
      this.#stopReason = reason;
      return true;
    }
    this.#failuresInARow++;
    if (this.#failuresInARow < breakerFailures) return false;
    this.#breakerTripped = breakerFailures > 1;
    this.#stopReason = breakerFailures > 1
      ? `the circuit breaker opened after ${this.#failuresInARow} member calls in a row got no usable answer; the next run resumes from here. Last: ${reason}`
      : reason;
    return true;
  }

  /** Feeds the call's attempt timings to the sizer and the latency record. */
  #observer(bundle: Bundle): CallObserver | undefined {
    const { sizer, latency } = this.#options;
    if (!sizer && !latency) return undefined;
    const size = bundle.entry?.length ?? 0;
    return (event: ClientEvent) => {
      latency?.observe(event);
      if (event.type === "response") {
        sizer?.observe({
          size,
          durationMs: event.durationMs,
          ok: event.status >= 200 && event.status < 300,
        });
      } else if (event.type === "no-answer" && event.timedOut) {
        sizer?.observe({ size, timedOut: true });
      }
    };
  }

  #book(member: Member, outcome: EntryOutcome): void {
    const { counts, problems } = this.#options;
    switch (outcome.kind) {
      case "stored":
        counts.stored++;
        return;
      case "not-consented":
        counts.notConsented++;
        return;
      case "invalid":
        counts.invalid++;
        problems.push({
          row: member.row,
          column: "",
          value: maskNationalId(member.nationalId),
          reason: `Helsenorge refused the member: ${outcome.reason}`,
          code: "rejected-by-helsenorge",
          severity: "error",
        });
        return;
      case "failed":
        this.#failed.push(member);
        return;
    }
  }

  #bookFailed(members: Member[], reason: string): void {
    const { counts, problems } = this.#options;
    for (const member of members) {
      counts.failed++;
      problems.push({
        row: member.row,
        column: "",
        value: maskNationalId(member.nationalId),
        reason: `not sent: ${reason}`,
        code: "send-failed",
        severity: "error",
      });
    }
  }
}

function result(
  member: Member,
  outcome: Outcome,
  reason: string | undefined,
  hash = contentHash(member),
): OutcomeResult {
  return { member, hash, outcome, reason };
}

function toOutcome(outcome: EntryOutcome): Outcome {
  return outcome.kind;
}

function reasonOf(outcome: EntryOutcome): string | undefined {
  return outcome.kind === "stored" ? undefined : outcome.reason;
}
