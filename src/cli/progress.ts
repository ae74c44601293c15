/**
 * A one-line progress display for long runs, shown only on a terminal.
 *
 * @module
 */

import type { SyncProgress } from "../sync/sync.ts";

export interface ProgressPrinter {
  update: (progress: SyncProgress) => void;
  done: () => void;
}

/**
 * Redraw one line on `file` at most every `intervalMs`; silent when `file` is
 * not a terminal, so logs and pipes get only the summary.
 */
export function progressPrinter(
  file: { isTerminal(): boolean; writeSync(data: Uint8Array): number },
  intervalMs = 250,
  now: () => number = Date.now,
): ProgressPrinter | undefined {
  if (!file.isTerminal()) return undefined;
  const encoder = new TextEncoder();
  let last = 0;
  let shown = false;
  return {
    update({ members }) {
      const time = now();
      if (time - last < intervalMs) return;
      last = time;
      shown = true;
      const sent = members.stored + members.notConsented + members.failed;
      file.writeSync(encoder.encode(
        `\r\x1b[2K  ${members.read} read, ${sent} sent (${members.stored} stored, ${members.notConsented} not consented), ${members.invalid} invalid`,
      ));
    },
    done() {
      if (shown) file.writeSync(encoder.encode("\r\x1b[2K"));
    },
  };
}
