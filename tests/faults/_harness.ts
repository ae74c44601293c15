/**
 * In-process harness for the fault tests: the mock app with faults, answering
 * through `app.request()` (no socket); the real client, whose fetch calls it
 * and gives up when its signal aborts, as a real fetch does; a state store
 * on `:memory:` KV; and simulated time for all of them, so 14 s answers and
 * 15 s timeouts cost no real time.
 */

import assert from "node:assert/strict";
import type { Patient } from "fhir/r4";
import { createMockApp, type MockApp } from "../../mock-helsenorge/app.ts";
import {
  type ConsentSettings,
  DEFAULT_CONSENT,
  isConsented,
} from "../../mock-helsenorge/consent.ts";
import type { FaultsInput } from "../../mock-helsenorge/faults.ts";
import { HelsenorgeClient } from "../../src/helsenorge/client.ts";
import type { RetryPolicy } from "../../src/helsenorge/retry.ts";
import { syntheticNationalIds } from "../../src/identifiers/synthetic.ts";
import type { MemberEntry } from "../../src/input/member.ts";
import { openStateStore, type StateStore } from "../../src/state/store.ts";
import type { SyncReport } from "../../src/sync/report.ts";
import {
  clientTarget,
  runSync,
  type SyncOptions,
} from "../../src/sync/sync.ts";
import { VirtualTime } from "./_virtual_time.ts";
import { totals } from "../state/_harness.ts";

export { totals };

/** The API base URL the in-process client posts to; never resolved. */
export const BASE_URL = "http://mock.invalid/helsekontakter/api/v1";

/** Two organizations the synthetic members belong to. */
export const ORGANIZATIONS = ["948554062", "974760673"];

/** Share of citizens the mock treats as not consented in these tests. */
export const NOT_CONSENTED_FRACTION = 0.1;

/** One synthetic member as the test expects Helsenorge to hold it. */
export interface ExpectedMember {
  nationalId: string;
  organizationNumber: string;
  start: string;
  end: string;
  consented: boolean;
}

/**
 * `count` synthetic members (Test Norge ids), spread over two organizations
 * with two different periods, each marked with the mock's consent rule.
 */
export function syntheticMembers(
  count: number,
  consent: ConsentSettings = {
    ...DEFAULT_CONSENT,
    notConsentedFraction: NOT_CONSENTED_FRACTION,
  },
): ExpectedMember[] {
  const members: ExpectedMember[] = [];
  const ids = syntheticNationalIds({ dnrShare: 0.1 });
  for (let i = 0; i < count; i++) {
    const nationalId = ids.next().value as string;
    members.push({
      nationalId,
      organizationNumber: ORGANIZATIONS[i % 2],
      start: i % 3 === 0 ? "2025-09-01" : "2026-01-01",
      end: i % 5 === 0 ? "2026-06-30" : "2026-12-31",
      consented: isConsented(consent, nationalId),
    });
  }
  return members;
}

/** The members as export rows, read lazily like a file. */
export async function* asRows(
  members: readonly ExpectedMember[],
): AsyncGenerator<MemberEntry> {
  let row = 1;
  for (const m of members) {
    row++;
    yield {
      record: {
        row,
        nationalId: { value: m.nationalId, column: "Fødselsnummer" },
        organizationNumber: {
          value: m.organizationNumber,
          column: "Organisasjonsnummer",
        },
        start: { value: m.start, column: "Medlem fra" },
        end: { value: m.end, column: "Medlem til" },
      },
    };
  }
}

export interface FaultHarness {
  time: VirtualTime;
  mock: MockApp;
  state: StateStore;
  client: HelsenorgeClient;
  /** Member calls the client started, attempts included. */
  attempts: () => number;
  /** Run a sync of `members` on simulated time. */
  sync(
    members: readonly ExpectedMember[],
    options?: Partial<SyncOptions>,
  ): Promise<SyncReport>;
  /** Replace the mock's faults through `POST /_mock/config` (null clears). */
  setFaults(faults: FaultsInput | null): Promise<void>;
  close(): void;
}

export interface FaultHarnessOptions {
  faults?: FaultsInput;
  retry?: Partial<RetryPolicy>;
}

export async function createFaultHarness(
  options: FaultHarnessOptions = {},
): Promise<FaultHarness> {
  const time = new VirtualTime();
  const mock = createMockApp({
    notConsentedFraction: NOT_CONSENTED_FRACTION,
    log: () => {},
    now: time.now,
    sleep: time.idleSleep,
    faults: options.faults,
  });
  let attempts = 0;
  const inProcess: typeof fetch = (input, init) => {
    attempts++;
    const signal = init?.signal ?? undefined;
    const end = time.busy();
    const handled = Promise.resolve(
      mock.app.request(input as string, init as RequestInit),
    );
    handled.finally(end).catch(() => {});
    return new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => reject(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      handled.then((response) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(response);
      }, reject);
    });
  };
  let draws = 0;
  const client = new HelsenorgeClient({
    baseUrl: BASE_URL,
    fetch: inProcess,
    sleep: time.sleep,
    now: time.now,
    timeoutSignal: time.timeoutSignal,
    // Deterministic jitter.
    random: () => ((draws++ * 0.618034) % 1),
    retry: options.retry,
  });
  const state = await openStateStore({ path: ":memory:", now: time.date });

  return {
    time,
    mock,
    state,
    client,
    attempts: () => attempts,
    sync(members, syncOptions = {}) {
      return time.run(runSync({
        target: clientTarget(client),
        members: asRows(members),
        rules: { allowSynthetic: true },
        state,
        lease: { holder: "fault-test" },
        now: time.date,
        ...syncOptions,
      }));
    },
    async setFaults(faults) {
      const response = await mock.app.request("/_mock/config", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ faults }),
      });
      assert.equal(response.status, 200, await response.text());
    },
    close() {
      state.close();
    },
  };
}

/**
 * The must-show check: the mock holds exactly the consented members, each
 * once, with one membership and the right period; no not-consented member is
 * held; and the report and the state store classify them as not consented.
 */
export async function assertStoredSetIsExpected(
  h: FaultHarness,
  members: readonly ExpectedMember[],
  report?: SyncReport,
): Promise<void> {
  const response = await h.mock.app.request("/_mock/received");
  const { patients } = await response.json() as { patients: Patient[] };
  const held = new Map<string, Patient>();
  for (const patient of patients) {
    const id = patient.identifier?.[0]?.value ?? "";
    assert.ok(!held.has(id), `a member is held twice (${id.slice(0, 6)})`);
    held.set(id, patient);
  }

  const consented = members.filter((m) => m.consented);
  const notConsented = members.filter((m) => !m.consented);
  assert.ok(notConsented.length > 0, "the test has not-consented members");
  let lost = 0;
  for (const m of consented) {
    const patient = held.get(m.nationalId);
    if (!patient) {
      lost++;
      continue;
    }
    assert.equal(patient.contact?.length, 1, "one membership per member");
    const contact = patient.contact![0];
    assert.equal(
      contact.organization?.identifier?.value,
      m.organizationNumber,
    );
    assert.deepEqual(contact.period, { start: m.start, end: m.end });
  }
  assert.equal(lost, 0, `${lost} consented members are not held`);
  for (const m of notConsented) {
    assert.ok(!held.has(m.nationalId), "a not-consented member is held");
  }
  assert.equal(held.size, consented.length, "no member held that was not sent");

  const byStatus = await totals(h.state);
  assert.equal(byStatus.stored, consented.length);
  assert.equal(byStatus["not-consented"], notConsented.length);
  assert.equal(byStatus.pending, 0);
  if (report) {
    assert.equal(report.members.notConsented, notConsented.length);
    assert.equal(report.members.stored, consented.length);
    assert.equal(report.members.failed, 0);
    assert.equal(report.members.notSent, 0);
  }
}

/** Member calls the mock saw, with the fault each got. */
export function memberCalls(h: FaultHarness) {
  return h.mock.store.calls().filter((call) => call.step === "members");
}
