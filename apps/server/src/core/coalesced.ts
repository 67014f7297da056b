/**
 * Background work that many triggers ask for (a notification, a timer, a request): one run at a
 * time, and a call during a run makes exactly one more run after it, never one each. `step`
 * answers whether to run again at once (it left work behind: a full batch); it must not throw.
 */
export class CoalescedWork {
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;

  constructor(private readonly step: () => Promise<boolean>) {}

  run(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          if (this.#stopped) return;
          if (await this.step()) this.#again = true;
        } while (this.#again && !this.#stopped);
      } finally {
        this.#running = null;
      }
    })();
    return this.#running;
  }

  /** No run starts after this; resolves when the one in progress has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }
}
