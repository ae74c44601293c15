/**
 * The operator page: what was sent, what Helsenorge refused, and who waits
 * for consent, for coordinators rather than engineers. Server-rendered with
 * Hono's JSX; forms and links only, so it works without JavaScript.
 *
 * | route | what |
 * | --- | --- |
 * | `GET /login`, `POST /login` | the login form; sets the session cookie |
 * | `POST /logout` | ends the session |
 * | `GET /` | the page |
 * | `GET /problems.csv?run=KEY` | a run's problems as CSV (the last run with problems without `run`) |
 * | `POST /actions/sync` | send waiting webhook events and due members now |
 * | `POST /actions/retry` | send one member (a sealed reference) now |
 *
 * People log in with the form (session.ts); machines may instead send the
 * /status authentication (bearer token or HMAC signature) to the GET
 * routes. Every POST needs the session's CSRF token and passes Hono's
 * Origin / Sec-Fetch-Site check; the cookie is SameSite=Strict as well.
 * Details: docs/operator.md.
 *
 * @module
 */

import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { csrf } from "hono/csrf";
import { maskIdsInText, maskNationalId } from "../../identifiers/mask.ts";
import type { Logger } from "../../log.ts";
import type { WebhookService } from "../../service/webhook_service.ts";
import { runKey } from "../../state/keys.ts";
import {
  MEMBER_STATUSES,
  type MemberStatus,
} from "../../state/member_state.ts";
import { runProblems, type RunRecord } from "../../state/runs.ts";
import { ExitCode } from "../../sync/report.ts";
import { retryDueMembers, retryMembersNow } from "../../sync/retry_due.ts";
import { oneRunLease } from "../../sync/run_scope.ts";
import type { AppEnv } from "../env.ts";
import { ProblemError } from "../problem.ts";
import type { App } from "../routes/_deps.ts";
import { DICTIONARIES, type Dictionary, pickLanguage } from "./i18n.ts";
import { Layout } from "./layout.tsx";
import { type MemberRefs, memberRefs } from "./member_ref.ts";
import { verifyPassword } from "./password.ts";
import { problemsCsv } from "./problems_csv.ts";
import {
  Actions,
  Dead,
  Glance,
  Latency,
  Members,
  OfferingsSection,
  Rejected,
  Retries,
  Runs,
} from "./sections.tsx";
import {
  endSession,
  readSession,
  sameToken,
  type Session,
  startSession,
} from "./session.ts";
import type { OperatorSettings } from "./settings.ts";
import { loadOperatorView } from "./view_model.ts";

export interface OperatorDeps {
  service: WebhookService;
  settings: OperatorSettings;
  /** The /status authentication, for machines. */
  authenticate: MiddlewareHandler<AppEnv>;
  log: Logger;
  now: () => Date;
  /** How long an action waits for its run before answering. @default 20000 */
  actionWaitMs?: number;
}

const SECURITY_HEADERS = {
  "cache-control": "no-store",
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

const FORM_LIMIT = 16 * 1024;
/** Stands in for a missing user so a wrong name costs a hash like a wrong password. */
const DUMMY = {
  iterations: 600_000,
  salt: new Uint8Array(16),
  hash: new Uint8Array(32),
};

type Notice =
  | { kind: "retried"; who: string; status: MemberStatus }
  | { kind: "sync" | "busy" | "running" | "gone" };

/** Mount the operator routes on `app`. */
export function registerOperator(app: App, deps: OperatorDeps): void {
  const { service, settings, log, now, actionWaitMs = 20_000 } = deps;
  const { state } = service.context;
  let refs: Promise<MemberRefs> | undefined;
  const sealer = () => refs ??= memberRefs(settings.sessionSecret);
  let syncJob: Promise<Notice> | undefined;

  const language = (c: Context) => {
    const forced = c.req.query("lang");
    return forced === "en" || forced === "nb"
      ? forced
      : pickLanguage(c.req.header("accept-language"));
  };
  const html = (c: Context, body: unknown, status: 200 | 401 = 200) =>
    c.html(String(body), status, SECURITY_HEADERS);

  /** A person with a session, or a machine with the /status credentials. */
  const viewer: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (
      c.req.header("authorization") || c.req.header("x-medlemsbro-signature")
    ) {
      return await deps.authenticate(c, next);
    }
    const session = await readSession(c, {
      secret: settings.sessionSecret,
      now: now(),
    });
    if (!session) return c.redirect("/login", 303);
    c.set("caller", `operator:${session.user}`);
    sessions.set(c.req.raw, session);
    await next();
  };
  const sessions = new WeakMap<Request, Session>();

  /** A person's POST: session plus the form's CSRF token. */
  const actor = async (c: Context<AppEnv>) => {
    const session = await readSession(c, {
      secret: settings.sessionSecret,
      now: now(),
    });
    if (!session) {
      throw new ProblemError(401, "unauthorized", "Log in first", {
        detail: "no valid session; log in at /login",
      });
    }
    const form = await c.req.parseBody();
    const token = typeof form.csrf === "string" ? form.csrf : "";
    if (!sameToken(token, session.csrf)) {
      throw new ProblemError(403, "csrf", "Form expired", {
        detail: "the form's token does not match the session; reload the page",
      });
    }
    c.set("caller", `operator:${session.user}`);
    return { session, form };
  };

  const posts = [
    bodyLimit({
      maxSize: FORM_LIMIT,
      onError: () => {
        throw new ProblemError(413, "body-too-large", "Body too large");
      },
    }),
    csrf(),
  ] as const;

  app.get("/login", async (c) => {
    const t = DICTIONARIES[language(c)];
    if (await readSession(c, { secret: settings.sessionSecret, now: now() })) {
      return c.redirect("/", 303);
    }
    return html(c, <LoginPage t={t} lang={language(c)} />);
  });

  app.post("/login", ...posts, async (c) => {
    const lang = language(c);
    const t = DICTIONARIES[lang];
    const form = await c.req.parseBody();
    const name = typeof form.username === "string" ? form.username.trim() : "";
    const password = typeof form.password === "string" ? form.password : "";
    const user = settings.users.find((u) => u.name === name);
    const ok = await verifyPassword(password, user?.password ?? DUMMY) &&
      user !== undefined;
    if (!ok) {
      log.warn("operator login refused", {
        user: maskIdsInText(name.slice(0, 64)),
      });
      return html(c, <LoginPage t={t} lang={lang} failed />, 401);
    }
    await startSession(c, user.name, {
      secret: settings.sessionSecret,
      ttlMs: settings.sessionTtlMs,
      now: now(),
    });
    log.info("operator login", { user: user.name });
    return c.redirect("/", 303);
  });

  app.post("/logout", ...posts, async (c) => {
    await actor(c);
    endSession(c);
    return c.redirect("/login", 303);
  });

  app.get("/", viewer, async (c) => {
    const lang = language(c);
    const t = DICTIONARIES[lang];
    const session = sessions.get(c.req.raw);
    const view = await loadOperatorView(state, await sealer());
    const props = {
      view,
      t,
      language: lang,
      csrf: session?.csrf ?? "",
      now: now(),
    };
    return html(
      c,
      <Layout t={t} language={lang} user={session?.user} csrf={session?.csrf}>
        <NoticeBox notice={readNotice(c)} t={t} />
        <Glance {...props} />
        <Actions {...props} />
        <Runs {...props} />
        <Latency {...props} />
        <Members {...props} />
        <Retries {...props} />
        <Rejected {...props} />
        <Dead {...props} />
        <OfferingsSection {...props} />
      </Layout>,
    );
  });

  app.get("/problems.csv", viewer, async (c) => {
    const t = DICTIONARIES[language(c)];
    const key = c.req.query("run");
    let run: RunRecord | undefined;
    if (key) {
      run = (await state.kv.get<RunRecord>(runKey(key))).value ?? undefined;
    } else {
      run = (await state.lastRuns(10)).find((r) => (r.problemCount ?? 0) > 0);
    }
    if (!run) {
      throw new ProblemError(404, "not-found", "No such run", {
        detail: key ? "no run has this key" : "no run has problems",
      });
    }
    const text = problemsCsv(await runProblems(state.kv, run), {
      header: t.csvHeader,
      runStartedAt: run.startedAt,
    });
    const stamp = run.startedAt.slice(0, 16).replace(/[-:]/g, "").replace(
      "T",
      "-",
    );
    return c.body(text, 200, {
      ...SECURITY_HEADERS,
      "content-type": "text/csv; charset=utf-8",
      "content-disposition":
        `attachment; filename="medlemsbro-problems-${stamp}.csv"`,
    });
  });

  app.post("/actions/sync", ...posts, async (c) => {
    await actor(c);
    syncJob ??= sendPending().finally(() => syncJob = undefined);
    const notice = await waitFor(syncJob, actionWaitMs);
    return redirectWith(c, notice ?? { kind: "running" });
  });

  app.post("/actions/retry", ...posts, async (c) => {
    const { form, session } = await actor(c);
    const token = typeof form.member === "string" ? form.member : "";
    const key = await (await sealer()).open(token);
    if (!key) {
      throw new ProblemError(400, "bad-member-reference", "Unknown member", {
        detail: "the member reference is not one this server made",
      });
    }
    const stored = await state.getMemberByKey(
      key.organizationNumber,
      key.idKey,
    );
    if (!stored || stored.state.nextRetryAt === undefined) {
      return redirectWith(c, { kind: "gone" });
    }
    const who = stored.state.masked || maskNationalId(stored.state.nationalId);
    const report = await retryMembersNow({
      state,
      target: (bundle, observe) =>
        service.context.target.members(bundle, observe),
      members: [stored],
      lease: operatorLease(),
      environment: service.context.environment,
      now,
    });
    if (report.exitCode === ExitCode.busy) {
      return redirectWith(c, { kind: "busy" });
    }
    const after = await state.getMemberByKey(key.organizationNumber, key.idKey);
    const status = after?.state.status ?? stored.state.status;
    log.info("operator retry", {
      user: session.user,
      member: who,
      organizationNumber: key.organizationNumber,
      status,
      runId: report.runId,
    });
    return redirectWith(c, { kind: "retried", who, status });
  });

  /** A lease of its own per action: two clicks at once do not overlap. */
  function operatorLease() {
    const { lease } = service.context;
    return oneRunLease({
      ...lease,
      holder: `${lease.holder.replace(/:webhook$/, "")}:operator`,
    });
  }

  /** Flush waiting events, then retry due members, as one action. */
  async function sendPending(): Promise<Notice> {
    const flushes = await service.drain();
    const report = await retryDueMembers({
      state,
      target: (bundle, observe) =>
        service.context.target.members(bundle, observe),
      batchSize: service.context.batchSize,
      concurrency: service.context.concurrency,
      lease: operatorLease(),
      trigger: "operator",
      environment: service.context.environment,
      now,
    });
    const busy = flushes.some((f) => f.busy) ||
      report.exitCode === ExitCode.busy;
    log.info("operator sync", {
      events: flushes.reduce((n, f) => n + f.sent, 0),
      members: report.members,
      busy,
    });
    return { kind: busy ? "busy" : "sync" };
  }
}

async function waitFor<T>(
  work: Promise<T>,
  ms: number,
): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function redirectWith(c: Context, notice: Notice): Response {
  const params = new URLSearchParams({ notice: notice.kind });
  if (notice.kind === "retried") {
    params.set("who", notice.who);
    params.set("status", notice.status);
  }
  return c.redirect(`/?${params}`, 303);
}

/** The notice in the query, only in the shapes this page makes. */
function readNotice(c: Context): Notice | undefined {
  const kind = c.req.query("notice");
  if (kind === "retried") {
    const who = c.req.query("who") ?? "";
    const status = c.req.query("status") as MemberStatus;
    if (!/^\d{0,6}\*{1,11}$/.test(who)) return undefined;
    if (!MEMBER_STATUSES.includes(status)) return undefined;
    return { kind, who, status };
  }
  if (
    kind === "sync" || kind === "busy" || kind === "running" || kind === "gone"
  ) {
    return { kind };
  }
  return undefined;
}

function NoticeBox(props: { notice?: Notice; t: Dictionary }) {
  const { notice, t } = props;
  if (!notice) return null;
  const text = notice.kind === "retried"
    ? `${t.noticeRetried} ${notice.who}: ${t.status[notice.status]}`
    : {
      sync: t.noticeSync,
      busy: t.noticeBusy,
      running: t.noticeRunning,
      gone: t.noticeGone,
    }[notice.kind];
  return <p class="notice" id="notice" role="status">{text}</p>;
}

function LoginPage(
  props: {
    t: Dictionary;
    lang: "nb" | "en";
    failed?: boolean;
    noUsers?: boolean;
  },
) {
  const { t, lang, failed } = props;
  return (
    <Layout t={t} language={lang}>
      <section class="login">
        <h2>{t.loginTitle}</h2>
        <p class="muted">{t.loginLead}</p>
        {failed && <p class="error" role="alert">{t.loginFailed}</p>}
        <form method="post" action="/login">
          <label for="username">{t.username}</label>
          <input
            id="username"
            name="username"
            autocomplete="username"
            required
          />
          <label for="password">{t.password}</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
          />
          <button type="submit">{t.loginButton}</button>
        </form>
      </section>
    </Layout>
  );
}
