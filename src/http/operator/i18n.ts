/**
 * The operator page's words in Norwegian bokmål and English, chosen from the
 * browser's Accept-Language (RFC 9110 §12.5.4: the highest q wins, ties in
 * the order given). `nb`, `no` and `nn` read bokmål; anything else that is
 * not English falls back to bokmål, the users' own language.
 *
 * @module
 */

export type Language = "nb" | "en";

const en = {
  title: "Medlemsbro: Helsenorge sync",
  loggedInAs: "Logged in as",
  logout: "Log out",
  loginTitle: "Log in",
  loginLead: "Coordinators log in to see how the sync to Helsenorge went.",
  username: "User name",
  password: "Password",
  loginButton: "Log in",
  loginFailed: "Wrong user name or password.",
  noUsers:
    "No operator users are set up (MEDLEMSBRO_OPERATOR_USERS); ask whoever runs the service.",
  atAGlance: "At a glance",
  lastRunOk: "The last run worked.",
  lastRunRejected: "The last run worked, but some rows were rejected.",
  lastRunIncomplete: "The last run did not finish.",
  lastRunRunning: "A run is in progress.",
  lastRunBusy: "The last run found another run in progress and did nothing.",
  noRuns: "No runs yet.",
  needAttention: "members need attention (not consented, rejected or waiting)",
  actions: "Actions",
  startSync: "Send pending now",
  startSyncHelp:
    "Sends waiting webhook events and every member whose retry is due.",
  downloadCsv: "Download rejected rows (CSV)",
  downloadCsvHelp: "Rows of the last run that had problems; ids masked.",
  noProblemsToDownload: "No run has rejected rows.",
  runs: "Last runs",
  started: "Started",
  trigger: "Started by",
  duration: "Duration",
  result: "Result",
  read: "Read",
  stored: "Stored",
  notConsented: "Not consented",
  invalid: "Rejected",
  failed: "Failed",
  unchanged: "Unchanged",
  ended: "Ended",
  problems: "Problems",
  resultOk: "OK",
  resultRejected: "Rows rejected",
  resultIncomplete: "Not finished",
  resultBusy: "Skipped (busy)",
  resultRunning: "Running",
  latency: "Response time per run",
  latencyHelp:
    "Member calls (p50, p95, p99, max) against Helsenorge's limits: offerings 3 s, members 10 s for 99 % of calls.",
  noLatency: "No run has recorded response times yet.",
  members: "Members by status",
  organization: "Organization",
  status: {
    stored: "Stored",
    "not-consented": "Not consented",
    invalid: "Rejected",
    pending: "Waiting for answer",
    ended: "Ended",
  } as Record<string, string>,
  total: "Total",
  rows: "rows",
  value: "Value",
  statusHeading: "Status",
  retries: "Waiting for a retry",
  retriesHelp:
    "Citizens who have not consented to Helsenorge are tried daily for a week, then weekly; failed calls after 5 and 15 minutes, then hourly.",
  member: "Member",
  attempts: "Attempts",
  lastTried: "Last tried",
  nextRetry: "Next retry",
  reason: "Reason",
  retryNow: "Retry now",
  due: "due now",
  noRetries: "No member is waiting for a retry.",
  rejected: "Rejected rows in the last runs",
  row: "Row",
  code: "Code",
  run: "Run",
  noRejected: "No rejected rows in the last runs.",
  dead: "Webhook events that could not be delivered",
  event: "Event",
  type: "Type",
  received: "Received",
  lastError: "Last error",
  noDead: "No undelivered events.",
  pendingEvents: "events waiting",
  offerings: "Offerings as Helsenorge has them",
  offeringsAccepted: "Accepted by Helsenorge",
  noOfferings: "Helsenorge has not accepted any offerings yet.",
  service: "Service",
  herId: "HER-id",
  active: "Active",
  yes: "yes",
  no: "no",
  address: "Address",
  noticeRetried: "Retried",
  noticeSync: "Sync finished",
  noticeBusy: "Another run is in progress; try again in a minute.",
  noticeRunning: "The sync is still running; reload in a while.",
  noticeGone: "That member is no longer waiting for a retry.",
  csvHeader: [
    "Run started",
    "Row",
    "Value (national ids masked)",
    "Code",
    "Reason",
  ],
  chartRun: "Run",
  chartLimitMembers: "10 s limit (members)",
  chartLimitOfferings: "3 s limit (offerings)",
};

export type Dictionary = typeof en;

const nb: Dictionary = {
  title: "Medlemsbro: overføring til Helsenorge",
  loggedInAs: "Innlogget som",
  logout: "Logg ut",
  loginTitle: "Logg inn",
  loginLead:
    "Koordinatorer logger inn for å se hvordan overføringen til Helsenorge gikk.",
  username: "Brukernavn",
  password: "Passord",
  loginButton: "Logg inn",
  loginFailed: "Feil brukernavn eller passord.",
  noUsers:
    "Ingen operatørbrukere er satt opp (MEDLEMSBRO_OPERATOR_USERS); spør den som drifter tjenesten.",
  atAGlance: "Kort oppsummert",
  lastRunOk: "Siste kjøring gikk bra.",
  lastRunRejected: "Siste kjøring gikk, men noen rader ble avvist.",
  lastRunIncomplete: "Siste kjøring ble ikke fullført.",
  lastRunRunning: "En kjøring pågår.",
  lastRunBusy:
    "Siste kjøring fant en annen kjøring i gang og gjorde ingenting.",
  noRuns: "Ingen kjøringer ennå.",
  needAttention:
    "medlemmer trenger oppfølging (ikke samtykket, avvist eller venter)",
  actions: "Handlinger",
  startSync: "Send ventende nå",
  startSyncHelp:
    "Sender ventende webhook-hendelser og alle medlemmer som skal prøves på nytt nå.",
  downloadCsv: "Last ned avviste rader (CSV)",
  downloadCsvHelp:
    "Radene fra siste kjøring med problemer; fødselsnumre er maskert.",
  noProblemsToDownload: "Ingen kjøring har avviste rader.",
  runs: "Siste kjøringer",
  started: "Startet",
  trigger: "Startet av",
  duration: "Varighet",
  result: "Resultat",
  read: "Lest",
  stored: "Lagret",
  notConsented: "Ikke samtykket",
  invalid: "Avvist",
  failed: "Feilet",
  unchanged: "Uendret",
  ended: "Avsluttet",
  problems: "Problemer",
  resultOk: "OK",
  resultRejected: "Rader avvist",
  resultIncomplete: "Ikke fullført",
  resultBusy: "Hoppet over (opptatt)",
  resultRunning: "Pågår",
  latency: "Svartid per kjøring",
  latencyHelp:
    "Medlemskall (p50, p95, p99, maks) mot Helsenorges krav: helsetilbud 3 s, medlemmer 10 s for 99 % av kallene.",
  noLatency: "Ingen kjøring har registrert svartider ennå.",
  members: "Medlemmer etter status",
  organization: "Organisasjon",
  status: {
    stored: "Lagret",
    "not-consented": "Ikke samtykket",
    invalid: "Avvist",
    pending: "Venter på svar",
    ended: "Avsluttet",
  },
  total: "Totalt",
  rows: "rader",
  value: "Verdi",
  statusHeading: "Status",
  retries: "Venter på nytt forsøk",
  retriesHelp:
    "Innbyggere som ikke har samtykket til Helsenorge prøves daglig i en uke, deretter ukentlig; feilede kall etter 5 og 15 minutter, deretter hver time.",
  member: "Medlem",
  attempts: "Forsøk",
  lastTried: "Sist forsøkt",
  nextRetry: "Neste forsøk",
  reason: "Årsak",
  retryNow: "Prøv nå",
  due: "nå",
  noRetries: "Ingen medlemmer venter på nytt forsøk.",
  rejected: "Avviste rader i siste kjøringer",
  row: "Rad",
  code: "Kode",
  run: "Kjøring",
  noRejected: "Ingen avviste rader i siste kjøringer.",
  dead: "Webhook-hendelser som ikke kunne leveres",
  event: "Hendelse",
  type: "Type",
  received: "Mottatt",
  lastError: "Siste feil",
  noDead: "Ingen hendelser som ikke kunne leveres.",
  pendingEvents: "hendelser venter",
  offerings: "Helsetilbud slik Helsenorge har dem",
  offeringsAccepted: "Godtatt av Helsenorge",
  noOfferings: "Helsenorge har ikke godtatt noen helsetilbud ennå.",
  service: "Tjeneste",
  herId: "HER-id",
  active: "Aktiv",
  yes: "ja",
  no: "nei",
  address: "Adresse",
  noticeRetried: "Prøvd på nytt",
  noticeSync: "Overføringen er ferdig",
  noticeBusy: "En annen kjøring pågår; prøv igjen om et minutt.",
  noticeRunning: "Overføringen pågår fortsatt; last siden på nytt om litt.",
  noticeGone: "Det medlemmet venter ikke lenger på nytt forsøk.",
  csvHeader: [
    "Kjøring startet",
    "Rad",
    "Verdi (fødselsnumre maskert)",
    "Kode",
    "Årsak",
  ],
  chartRun: "Kjøring",
  chartLimitMembers: "10 s-krav (medlemmer)",
  chartLimitOfferings: "3 s-krav (helsetilbud)",
};

export const DICTIONARIES: Readonly<Record<Language, Dictionary>> = { nb, en };

/**
 * The language for an Accept-Language header; `nb` when there is none or
 * nothing in it is supported.
 *
 * @example
 * ```ts
 * pickLanguage("en-US,en;q=0.9,nb;q=0.8"); // "en"
 * pickLanguage("nn-NO,en;q=0.5");          // "nb"
 * ```
 */
export function pickLanguage(header: string | undefined | null): Language {
  if (!header) return "nb";
  let best: { language: Language; q: number } | undefined;
  for (const part of header.split(",")) {
    const [tag, ...params] = part.trim().split(";");
    const primary = tag.trim().toLowerCase().split("-")[0];
    const language: Language | undefined = primary === "en"
      ? "en"
      : ["nb", "no", "nn"].includes(primary)
      ? "nb"
      : undefined;
    if (!language) continue;
    let q = 1;
    for (const param of params) {
      const [name, value] = param.trim().split("=");
      if (name.trim().toLowerCase() === "q") q = Number(value);
    }
    if (!(q > 0)) continue;
    if (!best || q > best.q) best = { language, q };
  }
  return best?.language ?? "nb";
}

/** Date and time in Oslo time, as people there read it. */
export function formatTime(iso: string | undefined, language: Language) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(+date)) return iso;
  return new Intl.DateTimeFormat(language === "nb" ? "nb-NO" : "en-GB", {
    timeZone: "Europe/Oslo",
    dateStyle: "short",
    timeStyle: "short",
  }).format(date);
}

/** A duration in ms as "850 ms", "12.4 s", "3 min 5 s". */
export function formatDuration(ms: number, language: Language): string {
  const decimal = (n: number) =>
    language === "nb" ? String(n).replace(".", ",") : String(n);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${decimal(Math.round(ms / 100) / 10)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}
