/**
 * `@switchboard/runtime` (docs/api.md "Typed client", "Runtime package"): what a server that starts
 * sessions reads at every session start, answered from memory. It holds the server's plain answer
 * per template (each arm), follows the change events to refetch only what an event names, polls
 * with `If-None-Match` while the stream is down, keeps answering (and says how stale) when
 * Switchboard cannot be reached, and sends outcomes in batches. Arms, overrides and variables are
 * worked out with the contract's own functions, the ones the server runs.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { AuditEvent, OutcomeStatus, SessionConfig, SessionConfigOverrides } from '@switchboard/contract';
import { canaryBucket, inCanary } from '@switchboard/contract/canary';
import { personaliseSessionConfig } from '@switchboard/contract/sessionConfig';

/** The contract's shapes the runtime's answers and inputs are made of. */
export type { OutcomeStatus, SessionConfig, SessionConfigOverrides } from '@switchboard/contract';

export interface RuntimeOptions {
  /** Switchboard's base URL, e.g. `https://switchboard.example.com`. */
  url: string;
  /** An API key of the organization (`sbk_…`): a read key is enough. */
  apiKey: string;
  /** The environment to serve (default: the key's, else production). */
  environment?: string;
  /** Where to keep the last good data across restarts (written atomically). */
  snapshotFile?: string;
  /** How long a session start may wait for Switchboard when nothing is held (default 1,000 ms). */
  timeoutMs?: number;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof globalThis.fetch;
}

export interface SessionConfigOptions {
  /** Picks the arm when the environment runs a canary (the same key, the same arm). */
  sessionKey?: string;
  /** A value for each of the session's variables. */
  variables?: Record<string, unknown>;
  /** What this session narrows in its template. */
  overrides?: SessionConfigOverrides;
}

/** A session config as the server answers it, and how fresh it is. */
export type RuntimeSessionConfig = SessionConfig & {
  /** True while Switchboard cannot be reached (or nothing could be confirmed since a restart). */
  stale: boolean;
  /** Since when the answer could not be confirmed (ISO), or null. */
  staleSince: string | null;
};

/** How a session ended (docs/api.md "Session outcomes"); `environment` and `endedAt` are filled in. */
export interface OutcomeReport {
  templateId: string;
  /** What the session config answered (`cfg.release`). */
  release: SessionConfig['release'];
  sessionKey?: string;
  status: OutcomeStatus;
  errorCode?: string;
  firstResponseMs?: number;
  score?: number;
  /** Default: now. */
  endedAt?: string;
  /** Default: the environment of the template's session config. */
  environment?: string;
}

export interface RuntimeStatus {
  /** The change-event stream is open. */
  connected: boolean;
  stale: boolean;
  staleSince: string | null;
  templates: number;
  outcomes: { queued: number; sent: number; dropped: number; refused: number };
}

/** What a change made the runtime refetch. */
export interface ChangeNotice {
  templateId: string;
}

export interface Runtime {
  sessionConfig(templateId: string, options?: SessionConfigOptions): Promise<RuntimeSessionConfig>;
  /** Queues an outcome; batches go out at least every 2 s. */
  reportOutcome(outcome: OutcomeReport): void;
  status(): RuntimeStatus;
  /** Calls `listener` whenever a held template changed; returns the way to stop. */
  onChange(listener: (notice: ChangeNotice) => void): () => void;
  /** Stops following, sends what is queued (within `timeoutMs`) and writes the snapshot. */
  close(): Promise<void>;
}

/** Switchboard refused the call: the same `code`, `status` and `details` as the server's answer. */
export class SwitchboardError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown>;
  constructor(status: number, body: { code: string; message: string; details?: Record<string, unknown> }) {
    super(body.message);
    this.name = 'SwitchboardError';
    this.status = status;
    this.code = body.code;
    this.details = body.details ?? {};
  }
}

/** Nothing is held for the template and Switchboard did not answer within `timeoutMs`. */
export class SwitchboardUnavailableError extends Error {
  readonly code = 'UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'SwitchboardUnavailableError';
  }
}

/** The server's refusal of a template (404 not deployed, 403, ...), held like an answer. */
interface Refusal {
  status: number;
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/** What is held of one template: the plain answer of each arm, the canary's share, or a refusal. */
interface Held {
  base: SessionConfig | null;
  canary: SessionConfig | null;
  percent: number | null;
  refusal: Refusal | null;
  /** Loaded from the snapshot and not confirmed since (its save time, ms). */
  fromSnapshot: number | null;
}

const SNAPSHOT_FORMAT = 'switchboard.runtime-snapshot/v1';
const OUTCOME_BATCH = 1000;
const OUTCOME_BUFFER = 100_000;
const OUTCOME_EVERY_MS = 2000;
const POLL_EVERY_MS = 1000;
/** Refusals held (templates that do not exist or are not served): past this, the oldest go. */
const REFUSALS_HELD = 1000;

class Unreachable extends Error {}

/** FNV-1a (32 bits) of a text, in base 36: a cheap tag, not a secret. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

export function createRuntime(options: RuntimeOptions): Runtime {
  const base = options.url.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 1000;
  const headers = { authorization: `Bearer ${options.apiKey}` };
  const held = new Map<string, Held>();
  const loading = new Map<string, Promise<void>>();
  const listeners = new Set<(notice: ChangeNotice) => void>();
  let closed = false;
  /** Since when Switchboard could not be reached (ms), or null. */
  let outageSince: number | null = null;
  let connected = false;
  let lastEventId: string | undefined;
  let stream: AbortController | null = null;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  // ---- Snapshot: the last good data, across restarts.
  if (options.snapshotFile) {
    try {
      const snapshot = JSON.parse(readFileSync(options.snapshotFile, 'utf8')) as {
        format: string;
        savedAt: number;
        templates: Record<string, Omit<Held, 'fromSnapshot'>>;
      };
      if (snapshot.format === SNAPSHOT_FORMAT) {
        for (const [id, entry] of Object.entries(snapshot.templates)) {
          held.set(id, { ...entry, fromSnapshot: snapshot.savedAt });
        }
      }
    } catch {
      // No snapshot yet (or an unreadable one): start empty.
    }
  }
  let snapshotTimer: ReturnType<typeof setTimeout> | undefined;
  const writeSnapshot = () => {
    if (!options.snapshotFile) return;
    const templates = Object.fromEntries([...held].map(([id, { fromSnapshot: _, ...entry }]) => [id, entry]));
    const file = options.snapshotFile;
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ format: SNAPSHOT_FORMAT, savedAt: Date.now(), templates }));
    renameSync(temporary, file);
  };
  const snapshotSoon = () => {
    if (!options.snapshotFile || snapshotTimer) return;
    snapshotTimer = setTimeout(() => {
      snapshotTimer = undefined;
      try {
        writeSnapshot();
      } catch {
        // A full disk must not stop sessions: the next change tries again.
      }
    }, 100);
    snapshotTimer.unref?.();
  };

  // ---- Reading from Switchboard.
  async function request(path: string, init: RequestInit = {}, deadlineMs = timeoutMs): Promise<Response> {
    try {
      return await fetchImpl(`${base}${path}`, {
        ...init,
        headers: { ...headers, ...(init.headers as Record<string, string> | undefined) },
        signal: AbortSignal.timeout(deadlineMs),
      });
    } catch (error) {
      throw new Unreachable(error instanceof Error ? error.message : String(error));
    }
  }

  const environmentQuery = () =>
    options.environment ? `environment=${encodeURIComponent(options.environment)}` : '';

  /** The plain config of one arm (`sessionKey` picks it), revalidated with the held copy's ETag. */
  async function readConfig(
    templateId: string,
    copy: SessionConfig | null,
    sessionKey?: string,
  ): Promise<SessionConfig | Refusal> {
    const query = [environmentQuery(), sessionKey ? `sessionKey=${encodeURIComponent(sessionKey)}` : '']
      .filter(Boolean)
      .join('&');
    const response = await request(
      `/api/v1/session-templates/${encodeURIComponent(templateId)}/config${query ? `?${query}` : ''}`,
      { headers: copy ? { 'if-none-match': `"${copy.etag}"` } : {} },
    );
    if (response.status === 304 && copy) return copy;
    if (response.status >= 500 || response.status === 429) throw new Unreachable(`HTTP ${response.status}`);
    const body = (await response.json()) as SessionConfig | { error: Omit<Refusal, 'status'> };
    if ('error' in body) return { status: response.status, ...body.error, details: body.error.details ?? {} };
    return body;
  }

  /** A session key whose bucket lands in a canary of `percent`. */
  function canaryKey(templateId: string, percent: number): string {
    for (let i = 0; ; i++) {
      const key = `switchboard-runtime-probe-${i}`;
      if (inCanary(canaryBucket(templateId, key), percent)) return key;
    }
  }

  /** Reads a template afresh (only what changed travels, thanks to `If-None-Match`). */
  async function refresh(templateId: string): Promise<void> {
    const previous = held.get(templateId);
    const answer = await readConfig(templateId, previous?.base ?? null);
    let next: Held;
    if ('code' in answer) {
      next = { base: null, canary: null, percent: null, refusal: answer, fromSnapshot: null };
    } else if (answer.release.arm !== 'stable') {
      next = { base: answer, canary: null, percent: null, refusal: null, fromSnapshot: null };
    } else {
      const list = await request(
        `/api/v1/environments/${encodeURIComponent(answer.environment)}/deployments?templateId=${encodeURIComponent(templateId)}`,
      );
      if (!list.ok) throw new Unreachable(`HTTP ${list.status}`);
      const { items } = (await list.json()) as {
        items: { templateId: string; canary: { percent: number } | null }[];
      };
      const percent = items.find((item) => item.templateId === templateId)?.canary?.percent ?? null;
      let canary: SessionConfig | null = null;
      if (percent !== null) {
        const read = await readConfig(templateId, previous?.canary ?? null, canaryKey(templateId, percent));
        canary = 'code' in read ? null : read;
      }
      next = { base: answer, canary, percent, refusal: null, fromSnapshot: null };
    }
    const changed =
      !previous ||
      previous.fromSnapshot !== null ||
      previous.base?.etag !== next.base?.etag ||
      previous.canary?.etag !== next.canary?.etag ||
      previous.percent !== next.percent ||
      JSON.stringify(previous.refusal) !== JSON.stringify(next.refusal);
    held.delete(templateId);
    held.set(templateId, next);
    if (next.refusal) {
      // Asking for ids that do not exist must not grow memory (or the polling) without bound.
      const refused = [...held].filter(([, entry]) => entry.refusal);
      for (const [id] of refused.slice(0, Math.max(0, refused.length - REFUSALS_HELD))) held.delete(id);
    }
    if (changed) {
      snapshotSoon();
      for (const listener of listeners) listener({ templateId });
    }
  }

  /** Refreshes `templateId`, once at a time; marks Switchboard reachable or not. */
  function load(templateId: string): Promise<void> {
    const running = loading.get(templateId);
    if (running) return running;
    const work = refresh(templateId)
      .then(() => {
        outageSince = null;
      })
      .catch((error) => {
        if (error instanceof Unreachable) outageSince ??= Date.now();
        throw error;
      })
      .finally(() => loading.delete(templateId));
    loading.set(templateId, work);
    return work;
  }

  const refreshQuietly = (templateId: string) => load(templateId).catch(() => {});

  // ---- Following the change events (SSE), polling while the stream is down.
  function templatesNamedBy(event: AuditEvent): string[] {
    const { type, id } = event.resource;
    if (type === 'sessionTemplate' || type === 'deployment') return held.has(id) ? [id] : [];
    if (type === 'agent') {
      return [...held]
        .filter(([, entry]) =>
          [entry.base, entry.canary].some((config) => config?.agents.some((agent) => agent.id === id)),
        )
        .map(([templateId]) => templateId);
    }
    if (type === 'environment') return [...held.keys()];
    return [];
  }

  async function follow(): Promise<void> {
    if (closed) return;
    const controller = new AbortController();
    stream = controller;
    try {
      const response = await fetchImpl(`${base}/api/v1/events`, {
        headers: {
          ...headers,
          accept: 'text/event-stream',
          ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
        },
        signal: controller.signal,
      });
      if (!response.ok || !response.body) throw new Unreachable(`HTTP ${response.status}`);
      connected = true;
      stopPolling();
      // Whatever changed while the stream was down (or before it opened) is read again.
      await Promise.all([...held.keys()].map(refreshQuietly));
      const decoder = new TextDecoder();
      let buffer = '';
      let id: string | undefined;
      let data = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline = buffer.indexOf('\n');
        while (newline >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, '');
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf('\n');
          if (line === '') {
            if (data) {
              if (id !== undefined) lastEventId = id;
              const event = JSON.parse(data) as AuditEvent;
              for (const templateId of templatesNamedBy(event)) void refreshQuietly(templateId);
            }
            id = undefined;
            data = '';
          } else if (line.startsWith('id:')) id = line.slice(3).trim();
          else if (line.startsWith('data:')) data += line.slice(5).trim();
        }
      }
    } catch {
      // The stream ended or could not open: poll until it is back.
    } finally {
      connected = false;
    }
    if (closed) return;
    startPolling();
    reconnectTimer = setTimeout(() => void follow(), POLL_EVERY_MS);
    reconnectTimer.unref?.();
  }

  function startPolling() {
    if (pollTimer || closed) return;
    const poll = async () => {
      await Promise.all([...held.keys()].map(refreshQuietly));
      if (!closed && !connected) {
        pollTimer = setTimeout(() => void poll(), POLL_EVERY_MS);
        pollTimer.unref?.();
      } else pollTimer = undefined;
    };
    pollTimer = setTimeout(() => void poll(), POLL_EVERY_MS);
    pollTimer.unref?.();
  }
  function stopPolling() {
    clearTimeout(pollTimer);
    pollTimer = undefined;
  }

  void follow();
  // Entries from the snapshot are confirmed as soon as Switchboard answers.
  for (const templateId of held.keys()) void refreshQuietly(templateId);

  // ---- Outcomes: batched, retried with backoff, bounded.
  const queue: Record<string, unknown>[] = [];
  const counts = { sent: 0, dropped: 0, refused: 0 };
  let batch: { key: string; outcomes: Record<string, unknown>[] } | null = null;
  let backoffMs = 0;
  let sending: Promise<void> | null = null;
  let outcomeTimer: ReturnType<typeof setTimeout> | undefined;

  async function sendOnce(deadlineMs: number): Promise<boolean> {
    batch ??= queue.length ? { key: randomUUID(), outcomes: queue.splice(0, OUTCOME_BATCH) } : null;
    if (!batch) return false;
    try {
      const response = await request(
        '/api/v1/session-outcomes',
        {
          method: 'POST',
          // The same key on every retry of this batch: one that reached the server counts once.
          headers: { 'content-type': 'application/json', 'idempotency-key': batch.key },
          body: JSON.stringify({ outcomes: batch.outcomes }),
        },
        deadlineMs,
      );
      if (response.status >= 500 || response.status === 429 || response.status === 409) {
        throw new Unreachable(`HTTP ${response.status}`);
      }
      await response.body?.cancel();
      if (response.ok) counts.sent += batch.outcomes.length;
      else counts.refused += batch.outcomes.length;
      batch = null;
      backoffMs = 0;
      return queue.length > 0;
    } catch {
      backoffMs = Math.min(backoffMs ? backoffMs * 2 : 1000, 30_000);
      return false;
    }
  }

  function scheduleOutcomes(delayMs: number) {
    if (closed || outcomeTimer) return;
    outcomeTimer = setTimeout(() => {
      outcomeTimer = undefined;
      sending = (async () => {
        while (await sendOnce(10_000)) {}
      })().finally(() => {
        sending = null;
        if (queue.length || batch) scheduleOutcomes(backoffMs || OUTCOME_EVERY_MS);
      });
    }, delayMs);
    outcomeTimer.unref?.();
  }

  // ---- Answers.
  function staleness(entry: Held): { stale: boolean; staleSince: string | null } {
    const since = entry.fromSnapshot ?? outageSince;
    return since === null
      ? { stale: false, staleSince: null }
      : { stale: true, staleSince: new Date(since).toISOString() };
  }

  function answer(templateId: string, entry: Held, call: SessionConfigOptions): RuntimeSessionConfig {
    if (entry.refusal) throw new SwitchboardError(entry.refusal.status, entry.refusal);
    const arm =
      entry.canary &&
      entry.percent !== null &&
      inCanary(canaryBucket(templateId, call.sessionKey), entry.percent)
        ? entry.canary
        : entry.base!;
    let config = arm;
    if (call.overrides !== undefined || call.variables !== undefined) {
      // The runtime's own tag of a personalised answer: the plain answer's, and a hash of the input.
      const etag = `${arm.etag}.${fnv1a(JSON.stringify([call.overrides ?? {}, call.variables ?? null]))}`;
      const personalised = personaliseSessionConfig(arm, call, etag);
      if ('refusal' in personalised) {
        throw new SwitchboardError(400, { code: 'BAD_REQUEST', ...personalised.refusal });
      }
      config = personalised.config;
    }
    return { ...config, ...staleness(entry) };
  }

  return {
    async sessionConfig(templateId, call = {}) {
      const entry = held.get(templateId);
      if (entry) return answer(templateId, entry, call);
      try {
        await Promise.race([
          load(templateId),
          new Promise((_, reject) =>
            setTimeout(() => reject(new Unreachable('timed out')), timeoutMs).unref?.(),
          ),
        ]);
      } catch (error) {
        if (error instanceof Unreachable) {
          throw new SwitchboardUnavailableError(
            `Switchboard did not answer within ${timeoutMs} ms and nothing is held for template ${templateId}`,
          );
        }
        throw error;
      }
      return answer(templateId, held.get(templateId)!, call);
    },

    reportOutcome(outcome) {
      const environment =
        outcome.environment ??
        held.get(outcome.templateId)?.base?.environment ??
        options.environment ??
        'production';
      queue.push({ ...outcome, environment, endedAt: outcome.endedAt ?? new Date().toISOString() });
      if (queue.length > OUTCOME_BUFFER) {
        const over = queue.length - OUTCOME_BUFFER;
        queue.splice(0, over);
        counts.dropped += over;
      }
      scheduleOutcomes(queue.length >= OUTCOME_BATCH ? 0 : OUTCOME_EVERY_MS);
    },

    status() {
      const since =
        outageSince ?? Math.min(...[...held.values()].map((entry) => entry.fromSnapshot ?? Infinity));
      const stale = Number.isFinite(since);
      return {
        connected,
        stale,
        staleSince: stale ? new Date(since).toISOString() : null,
        templates: held.size,
        outcomes: { queued: queue.length + (batch?.outcomes.length ?? 0), ...counts },
      };
    },

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close() {
      closed = true;
      stream?.abort();
      stopPolling();
      clearTimeout(reconnectTimer);
      clearTimeout(outcomeTimer);
      clearTimeout(snapshotTimer);
      await sending;
      const deadline = Date.now() + timeoutMs;
      while ((queue.length || batch) && Date.now() < deadline) {
        if (!(await sendOnce(Math.max(1, deadline - Date.now()))) && batch) break;
      }
      try {
        writeSnapshot();
      } catch {
        // Best effort on the way out.
      }
    },
  };
}
