import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../core/workerThreads';
import { ReadReport } from './digest';
import type { ReadAnswer, ReadRequest } from './reportWorker';

/** Reports read at once by the worker; past it, the event loop reads the next one itself. */
const MAX_IN_FLIGHT = 32;
/** How long a read may take (a report of 1,000 takes a few milliseconds) before the worker is replaced. */
const READ_DEADLINE_MS = 5_000;

interface Waiting {
  resolve(read: { input: ReadReport; hash: string | null } | null): void;
  timer: NodeJS.Timeout;
}

/**
 * Reads outcome reports on a worker thread (docs/architecture.md "Session outcomes and guards"), so
 * 20,000 outcomes a second cost the event loop next to nothing. It is only ever faster, never
 * different: whatever it does not answer (a report it does not accept, more than 32 at once, a
 * worker that died or overran 5 s, a closed server) resolves null, and the event loop reads that
 * body exactly as it reads every other. A worker that dies or overruns is replaced at the next
 * read.
 */
export class ReportReader {
  #worker: Worker | null = null;
  #waiting = new Map<number, Waiting>();
  #next = 0;
  #closed = false;
  /** Reports the worker has read. */
  readCount = 0;

  constructor(
    private readonly log: { error(object: unknown, message: string): void },
    private readonly deadlineMs = READ_DEADLINE_MS,
  ) {}

  read(text: string, hashOf: string | null): Promise<{ input: ReadReport; hash: string | null } | null> {
    if (this.#closed || this.#waiting.size >= MAX_IN_FLIGHT) return Promise.resolve(null);
    let worker: Worker;
    try {
      worker = this.#worker ?? this.#start();
    } catch (error) {
      this.log.error({ err: error }, 'the outcome report worker could not start');
      return Promise.resolve(null);
    }
    const id = this.#next++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#stop(worker, 'overran its deadline'), this.deadlineMs);
      this.#waiting.set(id, { resolve, timer });
      worker.postMessage({ id, text, hashOf } satisfies ReadRequest);
    });
  }

  #start(): Worker {
    const worker = startWorker('reportWorker', import.meta.url);
    worker.unref();
    worker.on('message', ({ id, read }: ReadAnswer) => {
      const waiting = this.#waiting.get(id);
      if (!waiting) return;
      this.#waiting.delete(id);
      clearTimeout(waiting.timer);
      if (read) this.readCount++;
      waiting.resolve(read && { input: new ReadReport(read.digest), hash: read.hash });
    });
    worker.on('error', (error) => this.#stop(worker, 'failed', error));
    worker.on('exit', () => this.#stop(worker, 'exited'));
    this.#worker = worker;
    return worker;
  }

  /** Leaves what `worker` was reading to the event loop, and the next read to a new worker. */
  #stop(worker: Worker, why: string, error?: unknown) {
    if (this.#worker !== worker) return;
    this.#worker = null;
    if (!this.#closed) this.log.error({ err: error }, `the outcome report worker ${why}; replaced`);
    for (const waiting of this.#waiting.values()) {
      clearTimeout(waiting.timer);
      waiting.resolve(null);
    }
    this.#waiting.clear();
    void worker.terminate();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    if (worker) {
      this.#stop(worker, 'closed');
      await worker.terminate();
    }
  }
}
