/**
 * One run at a time in a service process. Flushes, uploads and offerings
 * wait here for their turn, in the order they came; a cron job finding it
 * busy is skipped (as it is when another process holds the lease). Inside,
 * each run still takes the KV lease with a holder of its own, which keeps
 * runs of different processes apart.
 *
 * @example
 * ```ts
 * const gate = new RunGate();
 * await gate.run(() => flushPending(context)); // waits for a run going on
 * if (!gate.busy) await gate.run(() => retryDueJob(context));
 * ```
 *
 * @module
 */

export class RunGate {
  #tail: Promise<void> = Promise.resolve();
  #queued = 0;

  /** A run is going on or waiting for its turn. */
  get busy(): boolean {
    return this.#queued > 0;
  }

  /** Run `work` once the runs before it are done; its result or error. */
  run<T>(work: () => Promise<T>): Promise<T> {
    this.#queued++;
    const result = this.#tail.then(() => work());
    this.#tail = result.then(noop, noop).then(() => {
      this.#queued--;
    });
    return result;
  }
}

function noop(): void {}
