/**
 * Simulated time for the fault tests: a clock, `sleep` and timeout signals
 * that never wait for real. `run(work)` moves the clock to the next timer
 * whenever nothing else is happening, so a 14 s answer or a 15 s timeout
 * costs no real time, and timers still fire in the order of their due times.
 *
 * "Nothing else is happening" means: no in-process request is being worked
 * on (see `busy`) and no timer was set or fired for a few event-loop turns.
 */

interface Timer {
  due: number;
  seq: number;
  fire: () => void;
}

export class VirtualTime {
  #now: number;
  #timers: Timer[] = [];
  #seq = 0;
  #activity = 0;
  #busy = 0;

  constructor(startIso = "2026-06-15T08:00:00.000Z") {
    this.#now = Date.parse(startIso);
  }

  /** Milliseconds since the epoch, simulated. */
  now = (): number => this.#now;

  /** The simulated time as a Date. */
  date = (): Date => new Date(this.#now);

  /** A sleep on simulated time that `signal` can cut short. */
  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.#remove(timer);
        reject(signal?.reason);
      };
      const timer = this.#add(ms, () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });

  /** Like `AbortSignal.timeout(ms)` on simulated time; `done` drops it. */
  timeoutSignal = (ms: number, done?: AbortSignal): AbortSignal => {
    const controller = new AbortController();
    const timer = this.#add(
      ms,
      () =>
        controller.abort(
          new DOMException("Signal timed out.", "TimeoutError"),
        ),
    );
    done?.addEventListener("abort", () => this.#remove(timer), { once: true });
    return controller.signal;
  };

  /**
   * Mark work that the clock must not move past: an in-process request is
   * being handled. Returns the function that ends the mark.
   */
  busy(): () => void {
    this.#busy++;
    this.#activity++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#busy--;
      this.#activity++;
    };
  }

  /** A sleep that is not busy time, for code inside a `busy()` mark. */
  idleSleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    this.#busy--;
    try {
      await this.sleep(ms, signal);
    } finally {
      this.#busy++;
    }
  };

  /**
   * Run `work` to its end, moving the clock as it waits. Bounded: throws
   * after `maxTurns` event-loop turns or `maxVirtualMs` of simulated time.
   */
  async run<T>(
    work: Promise<T>,
    { maxTurns = 2_000_000, maxVirtualMs = 24 * 3600_000 } = {},
  ): Promise<T> {
    let settled = false;
    work.then(() => settled = true, () => settled = true);
    const start = this.#now;
    let quiet = 0;
    for (let turn = 0; !settled; turn++) {
      if (turn > maxTurns || this.#now - start > maxVirtualMs) {
        throw new Error(
          `virtual time ran away: ${turn} turns, ${this.#now - start} ms`,
        );
      }
      const before = this.#activity;
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (settled) break;
      if (this.#activity !== before || this.#busy > 0) {
        quiet = 0;
        continue;
      }
      if (++quiet < 3 || this.#timers.length === 0) continue;
      quiet = 0;
      const next = this.#timers.shift()!;
      this.#now = Math.max(this.#now, next.due);
      this.#activity++;
      next.fire();
    }
    return await work;
  }

  #add(ms: number, fire: () => void): Timer {
    const timer = { due: this.#now + Math.max(0, ms), seq: this.#seq++, fire };
    const at = this.#timers.findIndex((t) =>
      t.due > timer.due || (t.due === timer.due && t.seq > timer.seq)
    );
    if (at === -1) this.#timers.push(timer);
    else this.#timers.splice(at, 0, timer);
    this.#activity++;
    return timer;
  }

  #remove(timer: Timer): void {
    const at = this.#timers.indexOf(timer);
    if (at !== -1) this.#timers.splice(at, 1);
    this.#activity++;
  }
}
