/**
 * The webhook service of the running process, built from its service
 * context: same state store, Helsenorge connection, logger and run gate as
 * the cron jobs, and the same lease name as the CLI (`sync:ENV`), so webhook
 * flushes, cron jobs and CLI runs never overlap.
 *
 * @module
 */

import { ENVIRONMENTS } from "../config/environments.ts";
import { syncLease } from "../sync/run_scope.ts";
import type { ServiceContext } from "./context.ts";
import {
  createWebhookService,
  type WebhookService,
} from "./webhook_service.ts";
import {
  describeWebhookSettings,
  type WebhookSettings,
} from "./webhook_settings.ts";
import { syncTuning } from "../sync/tuning.ts";

/** The webhook service on the process's context; warns if none can sign in. */
export function webhookServiceFor(
  context: ServiceContext,
  settings: WebhookSettings,
  options: { now?: () => Date } = {},
): WebhookService {
  const { now = () => new Date() } = options;
  const { settings: sync, state, target, log, holder, gate } = context;
  if (settings.secrets.length === 0 && settings.tokens.length === 0) {
    log.warn(
      "no webhook secrets or tokens are set: every webhook call is refused (MEDLEMSBRO_WEBHOOK_SECRETS, MEDLEMSBRO_WEBHOOK_TOKENS)",
    );
  }
  log.info("webhooks ready", describeWebhookSettings(settings));
  return createWebhookService({
    settings,
    state,
    target,
    rules: {
      allowSynthetic: ENVIRONMENTS[sync.env].allowSynthetic,
      defaultEnd: sync.defaultEnd,
    },
    environment: sync.env,
    log,
    lease: syncLease(sync, `${holder}:webhook`),
    ...syncTuning(sync),
    maxEndShare: sync.maxEndShare,
    gate,
    now,
  });
}
