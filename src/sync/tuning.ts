/**
 * How member calls are sized and paced, from settings: one place, so the
 * CLI, the webhook flushes and the scheduled jobs tune runs alike.
 *
 * @module
 */

import type { Settings } from "../config/settings.ts";
import type { SyncOptions } from "./sync.ts";

/** The run options that size and pace member calls. */
export type SyncTuning =
  & Required<Pick<SyncOptions, "batchSize" | "concurrency">>
  & Pick<
    SyncOptions,
    "minBatchSize" | "maxBatchSize" | "targetLatencyMs" | "breakerFailures"
  >;

/** The tuning the settings ask for. */
export function syncTuning(settings: Settings): SyncTuning {
  return {
    batchSize: settings.batchSize,
    concurrency: settings.concurrency,
    minBatchSize: settings.minBatchSize,
    maxBatchSize: settings.maxBatchSize,
    targetLatencyMs: settings.targetLatencyMs,
    breakerFailures: settings.breakerFailures,
  };
}

/** Just the tuning fields of a larger object (a flush context, say). */
export function tuningOf(from: SyncTuning): SyncTuning {
  const {
    batchSize,
    concurrency,
    minBatchSize,
    maxBatchSize,
    targetLatencyMs,
    breakerFailures,
  } = from;
  return {
    batchSize,
    concurrency,
    minBatchSize,
    maxBatchSize,
    targetLatencyMs,
    breakerFailures,
  };
}
