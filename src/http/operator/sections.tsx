/**
 * The operator page's sections, each a small component over the view model
 * (view_model.ts), which holds masked ids only.
 *
 * @module
 */

import { MEMBER_STATUSES } from "../../state/member_state.ts";
import type { RunRecord } from "../../state/runs.ts";
import {
  type Dictionary,
  formatDuration,
  formatTime,
  type Language,
} from "./i18n.ts";
import { LatencyChart } from "./latency_chart.tsx";
import type { OperatorView } from "./view_model.ts";

interface Props {
  view: OperatorView;
  t: Dictionary;
  language: Language;
  csrf: string;
  now: Date;
}

type RunResult = "ok" | "rejected" | "incomplete" | "busy" | "running";

/** How a run ended, from its status and exit code. */
export function runResult(run: RunRecord): RunResult {
  if (run.status === "running") return "running";
  switch (run.exitCode) {
    case undefined:
    case 0:
      return "ok";
    case 1:
      return "rejected";
    case 4:
      return "busy";
    default:
      return "incomplete";
  }
}

const RESULT_CLASS: Record<RunResult, string> = {
  ok: "ok",
  rejected: "warn",
  incomplete: "bad",
  busy: "warn",
  running: "warn",
};

function resultText(result: RunResult, t: Dictionary): string {
  return {
    ok: t.resultOk,
    rejected: t.resultRejected,
    incomplete: t.resultIncomplete,
    busy: t.resultBusy,
    running: t.resultRunning,
  }[result];
}

/** Members in statuses a coordinator follows up. */
export function needingAttention(view: OperatorView): number {
  let n = 0;
  for (const counts of Object.values(view.organizations)) {
    n += counts["not-consented"] + counts.invalid + counts.pending;
  }
  return n;
}

export function Glance({ view, t }: Props) {
  const last = view.runs[0];
  const result = last && runResult(last);
  const headline = !last ? t.noRuns : {
    ok: t.lastRunOk,
    rejected: t.lastRunRejected,
    incomplete: t.lastRunIncomplete,
    busy: t.lastRunBusy,
    running: t.lastRunRunning,
  }[result!];
  return (
    <section class="glance" id="glance">
      <h2>{t.atAGlance}</h2>
      <p>
        {result && (
          <span class={`badge ${RESULT_CLASS[result]}`}>
            {resultText(result, t)}
          </span>
        )} <strong>{headline}</strong>
        {last?.stoppedBecause && (
          <span class="muted">{` ${last.stoppedBecause}`}</span>
        )}
      </p>
      <p>
        <strong id="attention-count">{needingAttention(view)}</strong>{" "}
        {t.needAttention}.{" "}
        <span id="pending-events">{view.events.pending}</span>{" "}
        {t.pendingEvents}.
      </p>
    </section>
  );
}

export function Actions({ view, t, csrf, language }: Props) {
  const run = view.csvRun;
  return (
    <section id="actions">
      <h2>{t.actions}</h2>
      <div class="actions">
        <div>
          <form method="post" action="/actions/sync">
            <input type="hidden" name="csrf" value={csrf} />
            <button type="submit" id="start-sync">{t.startSync}</button>
          </form>
          <p class="muted">{t.startSyncHelp}</p>
        </div>
        <div>
          {run
            ? (
              <a
                class="button"
                id="download-csv"
                href={`/problems.csv?run=${encodeURIComponent(run.key)}`}
                download
              >
                {t.downloadCsv}
              </a>
            )
            : <p>{t.noProblemsToDownload}</p>}
          {run && (
            <p class="muted">
              {`${t.downloadCsvHelp} (${
                formatTime(run.startedAt, language)
              }, ${run.problemCount} ${t.rows})`}
            </p>
          )}
        </div>
      </div>
    </section>
  );
}

export function Runs({ view, t, language }: Props) {
  const cell = (run: RunRecord, key: string) => (
    <td class="num">{run.counts?.[key] ?? ""}</td>
  );
  return (
    <section id="runs">
      <h2>{t.runs}</h2>
      {view.runs.length === 0 ? <p class="muted">{t.noRuns}</p> : (
        <table>
          <thead>
            <tr>
              <th>{t.started}</th>
              <th>{t.trigger}</th>
              <th class="num">{t.duration}</th>
              <th>{t.result}</th>
              <th class="num">{t.read}</th>
              <th class="num">{t.stored}</th>
              <th class="num">{t.notConsented}</th>
              <th class="num">{t.invalid}</th>
              <th class="num">{t.failed}</th>
              <th class="num">{t.unchanged}</th>
              <th class="num">{t.ended}</th>
              <th class="num">{t.problems}</th>
            </tr>
          </thead>
          <tbody>
            {view.runs.map((run) => {
              const result = runResult(run);
              const ms = run.finishedAt
                ? Date.parse(run.finishedAt) - Date.parse(run.startedAt)
                : undefined;
              return (
                <tr data-run={run.id}>
                  <td>{formatTime(run.startedAt, language)}</td>
                  <td>{run.trigger ?? ""}</td>
                  <td class="num">
                    {ms === undefined ? "" : formatDuration(ms, language)}
                  </td>
                  <td>
                    <span class={`badge ${RESULT_CLASS[result]}`}>
                      {resultText(result, t)}
                    </span>
                  </td>
                  {cell(run, "read")}
                  {cell(run, "stored")}
                  {cell(run, "notConsented")}
                  {cell(run, "invalid")}
                  {cell(run, "failed")}
                  {cell(run, "unchanged")}
                  {cell(run, "ended")}
                  <td class="num">
                    {(run.problemCount ?? 0) > 0
                      ? (
                        <a
                          href={`/problems.csv?run=${
                            encodeURIComponent(run.key)
                          }`}
                        >
                          {run.problemCount}
                        </a>
                      )
                      : run.problemCount ?? ""}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function Latency({ view, t, language }: Props) {
  return (
    <section id="latency">
      <h2>{t.latency}</h2>
      <p class="muted">{t.latencyHelp}</p>
      <LatencyChart runs={view.runs} t={t} language={language} />
    </section>
  );
}

export function Members({ view, t }: Props) {
  const orgs = Object.entries(view.organizations).sort(([a], [b]) =>
    a.localeCompare(b)
  );
  return (
    <section id="members">
      <h2>{t.members}</h2>
      <table>
        <thead>
          <tr>
            <th>{t.organization}</th>
            {MEMBER_STATUSES.map((s) => (
              <th class="num" key={s}>{t.status[s]}</th>
            ))}
            <th class="num">{t.total}</th>
          </tr>
        </thead>
        <tbody>
          {orgs.map(([org, counts]) => (
            <tr data-org={org}>
              <td class="mono">{org}</td>
              {MEMBER_STATUSES.map((s) => (
                <td class="num" data-status={s}>{counts[s]}</td>
              ))}
              <td class="num">
                {MEMBER_STATUSES.reduce((sum, s) => sum + counts[s], 0)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function Retries({ view, t, language, csrf, now }: Props) {
  return (
    <section id="retries">
      <h2>{t.retries}</h2>
      <p class="muted">{t.retriesHelp}</p>
      {view.retries.length === 0 ? <p>{t.noRetries}</p> : (
        <table>
          <thead>
            <tr>
              <th>{t.member}</th>
              <th>{t.organization}</th>
              <th>{t.statusHeading}</th>
              <th class="num">{t.attempts}</th>
              <th>{t.lastTried}</th>
              <th>{t.nextRetry}</th>
              <th>{t.reason}</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {view.retries.map((row) => (
              <tr data-member={row.masked}>
                <td class="mono">{row.masked}</td>
                <td class="mono">{row.organizationNumber}</td>
                <td>{t.status[row.status] ?? row.status}</td>
                <td class="num">{row.attempts}</td>
                <td>{formatTime(row.lastAttemptAt, language)}</td>
                <td>
                  {row.nextRetryAt && Date.parse(row.nextRetryAt) <= +now
                    ? <span class="badge warn">{t.due}</span>
                    : formatTime(row.nextRetryAt, language)}
                </td>
                <td>{row.reason ?? ""}</td>
                <td>
                  <form method="post" action="/actions/retry">
                    <input type="hidden" name="csrf" value={csrf} />
                    <input type="hidden" name="member" value={row.ref} />
                    <button type="submit" class="small retry">
                      {t.retryNow}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function Rejected({ view, t, language }: Props) {
  return (
    <section id="rejected">
      <h2>{t.rejected}</h2>
      {view.problems.length === 0 ? <p>{t.noRejected}</p> : (
        <table>
          <thead>
            <tr>
              <th>{t.run}</th>
              <th class="num">{t.row}</th>
              <th>{t.value}</th>
              <th>{t.code}</th>
              <th>{t.reason}</th>
            </tr>
          </thead>
          <tbody>
            {view.problems.map((p) => (
              <tr>
                <td>{formatTime(p.runStartedAt, language)}</td>
                <td class="num">{p.row ?? ""}</td>
                <td class="mono">{p.value ?? ""}</td>
                <td class="mono">{p.code ?? ""}</td>
                <td>{p.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function Dead({ view, t, language }: Props) {
  return (
    <section id="dead">
      <h2>{t.dead}</h2>
      {view.dead.length === 0 ? <p>{t.noDead}</p> : (
        <table>
          <thead>
            <tr>
              <th>{t.event}</th>
              <th>{t.type}</th>
              <th>{t.member}</th>
              <th>{t.organization}</th>
              <th>{t.received}</th>
              <th class="num">{t.attempts}</th>
              <th>{t.lastError}</th>
            </tr>
          </thead>
          <tbody>
            {view.dead.map((d) => (
              <tr>
                <td class="mono">{d.id}</td>
                <td>{d.type}</td>
                <td class="mono">{d.masked}</td>
                <td class="mono">{d.organizationNumber}</td>
                <td>{formatTime(d.receivedAt, language)}</td>
                <td class="num">{d.attempts}</td>
                <td>{d.lastError ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function OfferingsSection({ view, t, language }: Props) {
  const saved = view.offerings;
  return (
    <section id="offerings">
      <h2>{t.offerings}</h2>
      {!saved ? <p>{t.noOfferings}</p> : (
        <div>
          <p class="muted">
            {t.offeringsAccepted} {formatTime(saved.acceptedAt, language)}
          </p>
          {saved.offerings.organizations.map((org) => (
            <div>
              <h3>
                {org.name}{" "}
                <span class="muted mono">
                  {org.organizationNumber}
                </span>
              </h3>
              <p class="muted">
                {t.address}: {org.location.address.line.join(", ")},{" "}
                {org.location.address.postalCode} {org.location.address.city}
                {org.location.telecom.map((tc) => ` · ${tc.value}`).join("")}
              </p>
              <table>
                <thead>
                  <tr>
                    <th>{t.service}</th>
                    <th>{t.herId}</th>
                    <th>{t.active}</th>
                  </tr>
                </thead>
                <tbody>
                  {org.services.map((s) => (
                    <tr>
                      <td>
                        {s.name}
                        {s.comment && <div class="muted">{s.comment}</div>}
                      </td>
                      <td class="mono">{s.communicationPartyId}</td>
                      <td>{s.active ? t.yes : t.no}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
