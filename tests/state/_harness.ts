/**
 * In-process harness for the state tests: the mock app answering through
 * `app.request()` (no socket), a client whose `fetch` calls it, a state store
 * on `:memory:` KV, and a clock the test moves by hand.
 */

import type { Bundle, Patient } from "fhir/r4";
import {
  createMockApp,
  type MockApp,
  type MockAppOptions,
} from "../../mock-helsenorge/app.ts";
import { HelsenorgeClient } from "../../src/helsenorge/client.ts";
import { readMembers } from "../../src/input/read_members.ts";
import type { MemberStatus } from "../../src/state/member_state.ts";
import { openStateStore, type StateStore } from "../../src/state/store.ts";
import type { SyncReport } from "../../src/sync/report.ts";
import {
  type BundleTarget,
  clientTarget,
  runSync,
  type SyncOptions,
} from "../../src/sync/sync.ts";

export const FIXTURE = new URL(
  "../../fixtures/medlemmer-eksport.csv",
  import.meta.url,
).pathname;

/** The API base URL the in-process client posts to; never resolved. */
export const BASE_URL = "http://mock.invalid/helsekontakter/api/v1";

/** Valid, distinct members of the sample export (43 rows, 3 bad, 1 twice). */
export const SAMPLE_MEMBERS = 39;

/** A clock the test moves; every part of a run reads it. */
export class FakeClock {
  #ms: number;
  constructor(iso: string) {
    this.#ms = Date.parse(iso);
  }
  now = (): Date => new Date(this.#ms);
  set(iso: string): void {
    this.#ms = Date.parse(iso);
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
}

export interface Harness {
  mock: MockApp;
  state: StateStore;
  clock: FakeClock;
  /** Posts to the mock through the real client. */
  client: HelsenorgeClient;
  /** `clientTarget(client)`, recording every member bundle it passes on. */
  target: BundleTarget;
  /** Member bundles the client was asked to send, in order. */
  sent: Bundle[];
  /** Run a sync of a member file on this harness. */
  sync(path: string, options?: Partial<SyncOptions>): Promise<SyncReport>;
  close(): void;
}

/** Options for {@linkcode createHarness}. */
export interface HarnessOptions {
  /** Mock options; `notConsentedFraction` defaults to 0 here. */
  mock?: MockAppOptions;
  /** @default "2026-06-15T08:00:00.000Z" */
  start?: string;
  /** Wraps the client's fetch (to drop answers, count, delay). */
  wrapFetch?: (fetch: typeof globalThis.fetch) => typeof globalThis.fetch;
  /** An existing store (two stores over one file); closed by the caller. */
  state?: StateStore;
}

export async function createHarness(
  options: HarnessOptions = {},
): Promise<Harness> {
  const {
    start = "2026-06-15T08:00:00.000Z",
    wrapFetch = (f: typeof globalThis.fetch) => f,
  } = options;
  const clock = new FakeClock(start);
  const mock = createMockApp({
    notConsentedFraction: 0,
    log: () => {},
    ...options.mock,
  });
  const inProcess: typeof globalThis.fetch = (input, init) =>
    Promise.resolve(mock.app.request(input, init));
  const client = new HelsenorgeClient({
    baseUrl: BASE_URL,
    fetch: wrapFetch(inProcess),
    // One attempt: a lost answer is the next run's business, not a resend's.
    retry: { maxAttempts: 1 },
    sleep: () => Promise.resolve(),
  });
  const state = options.state ??
    await openStateStore({ path: ":memory:", now: clock.now });
  const sent: Bundle[] = [];
  const inner = clientTarget(client);
  const target: BundleTarget = {
    offerings: (bundle) => inner.offerings(bundle),
    members: (bundle) => {
      sent.push(bundle);
      return inner.members(bundle);
    },
  };

  return {
    mock,
    state,
    clock,
    client,
    target,
    sent,
    async sync(path, syncOptions = {}) {
      const input = await readMembers({ path });
      return await runSync({
        target,
        members: input.entries,
        rules: { allowSynthetic: true },
        state,
        lease: { holder: "test" },
        now: clock.now,
        ...syncOptions,
      });
    },
    close() {
      if (options.state === undefined) state.close();
    },
  };
}

/** Lines of the sample export (CRLF, BOM kept on the header). */
export async function sampleLines(): Promise<string[]> {
  const text = await Deno.readTextFile(FIXTURE);
  return text.replace(/\r\n$/, "").split("\r\n");
}

/** The member on a data row of the sample (row 2 is the first). */
export async function memberOnRow(
  row: number,
): Promise<{ nationalId: string; organizationNumber: string }> {
  const fields = (await sampleLines())[row - 1].split(";");
  return {
    nationalId: fields[0].trim().padStart(11, "0"),
    organizationNumber: fields[3].replaceAll(" ", ""),
  };
}

/**
 * Write a copy of the sample export changed by `edit` (which gets the lines,
 * header first, and returns the lines to write) to a temp `.csv` file.
 */
export async function exportCopy(
  edit: (lines: string[]) => string[],
): Promise<string> {
  const path = await Deno.makeTempFile({
    prefix: "medlemsbro-export-",
    suffix: ".csv",
  });
  await Deno.writeTextFile(
    path,
    edit(await sampleLines()).join("\r\n") + "\r\n",
  );
  return path;
}

/** The sample without the given data rows (CSV rows: 2 is the first). */
export function withoutRows(rows: readonly number[]) {
  return (lines: string[]) => lines.filter((_, i) => !rows.includes(i + 1));
}

/** Member calls the mock answered, with the entries each carried. */
export function memberCalls(mock: MockApp) {
  return mock.store.calls().filter((call) => call.step === "members");
}

/** Entries of all member calls the mock answered. */
export function memberEntriesReceived(mock: MockApp): number {
  return memberCalls(mock).reduce((sum, call) => sum + call.entries, 0);
}

/** The Patient the mock holds for a national id. */
export function heldPatient(
  mock: MockApp,
  nationalId: string,
): Patient | undefined {
  return mock.store.find("Patient", nationalId)?.resource;
}

/** The membership end the mock holds for a member and organization. */
export function heldEnd(
  mock: MockApp,
  nationalId: string,
  organizationNumber: string,
): string | undefined {
  return heldPatient(mock, nationalId)?.contact?.find((contact) =>
    contact.organization?.identifier?.value === organizationNumber
  )?.period?.end;
}

/** National ids in a member bundle, in entry order. */
export function idsIn(bundle: Bundle): string[] {
  return (bundle.entry ?? []).map((entry) =>
    (entry.resource as Patient).identifier![0].value!
  );
}

/** Status counts summed over every organization. */
export async function totals(
  state: StateStore,
  now?: Date,
): Promise<Record<MemberStatus, number>> {
  const summary = await state.statusSummary(now);
  const sum: Record<MemberStatus, number> = {
    stored: 0,
    "not-consented": 0,
    invalid: 0,
    pending: 0,
    ended: 0,
  };
  for (const byStatus of Object.values(summary.organizations)) {
    for (const [status, count] of Object.entries(byStatus)) {
      sum[status as MemberStatus] += count;
    }
  }
  return sum;
}

/** One member's state, by national id and organization. */
export async function memberState(
  state: StateStore,
  nationalId: string,
  organizationNumber: string,
) {
  const [found] = await state.getMembers([{
    nationalId,
    organizationNumber,
    idSystem: "",
    start: "",
    end: "",
  }]);
  return found?.state;
}
