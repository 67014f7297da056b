/**
 * An `EventSource` over `fetch`, for tRPC's `httpSubscriptionLink`: unlike the browser's own it
 * sends headers (the bearer token), and it runs wherever `fetch` does (Node 20 has no
 * `EventSource`). It follows the server-sent events rules: `event:`, `data:` (joined by newlines),
 * `id:` (sent back as `Last-Event-ID` on a reconnect), `retry:`; comments ignored. A dropped
 * connection reconnects after `retry` ms (1 s unless the server said otherwise); an answer that is
 * not a 200 event stream, or `close()`, ends it for good.
 */
export interface FetchEventSourceInit {
  /** Headers for each connection (asked again before each reconnect). */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  fetch?: typeof globalThis.fetch;
  /** Unused: credentials follow the headers. Accepted for EventSource compatibility. */
  withCredentials?: boolean;
}

interface MessageEventLike {
  type: string;
  data: string;
  lastEventId: string;
}

type Listener = (event: MessageEventLike) => void;

export class FetchEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;
  readyState = 0;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #controller = new AbortController();
  #lastEventId = '';
  #retryMs = 1_000;

  constructor(
    readonly url: string,
    private readonly init: FetchEventSourceInit = {},
  ) {
    void this.#run();
  }

  addEventListener(type: string, listener: Listener): void {
    const listeners = this.#listeners.get(type) ?? new Set();
    listeners.add(listener);
    this.#listeners.set(type, listeners);
  }

  removeEventListener(type: string, listener: Listener): void {
    this.#listeners.get(type)?.delete(listener);
  }

  close(): void {
    this.readyState = this.CLOSED;
    this.#controller.abort();
  }

  #dispatch(type: string, data = ''): void {
    const event = { type, data, lastEventId: this.#lastEventId };
    for (const listener of this.#listeners.get(type) ?? []) listener(event);
  }

  async #run(): Promise<void> {
    const fetch = this.init.fetch ?? globalThis.fetch;
    while (this.readyState !== this.CLOSED) {
      try {
        const given = typeof this.init.headers === 'function' ? await this.init.headers() : this.init.headers;
        const response = await fetch(this.url, {
          headers: {
            accept: 'text/event-stream',
            ...given,
            ...(this.#lastEventId ? { 'last-event-id': this.#lastEventId } : {}),
          },
          signal: this.#controller.signal,
        });
        if (
          !response.ok ||
          !response.body ||
          !response.headers.get('content-type')?.startsWith('text/event-stream')
        ) {
          // Not a stream: an answer to give up on, as the browser's EventSource does.
          this.readyState = this.CLOSED;
          this.#dispatch('error');
          return;
        }
        this.readyState = this.OPEN;
        this.#dispatch('open');
        await this.#read(response.body);
      } catch {
        if (this.readyState === this.CLOSED) return;
      }
      if (this.readyState === this.CLOSED) return;
      // Dropped: say so (tRPC then waits), and come back from the last event seen.
      this.readyState = this.CONNECTING;
      this.#dispatch('error');
      await new Promise((resolve) => setTimeout(resolve, this.#retryMs));
    }
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let type = '';
    let data: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let newline = buffer.search(/\r\n|\r|\n/);
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          // A blank line ends the event.
          if (data.length) this.#dispatch(type || 'message', data.join('\n'));
          type = '';
          data = [];
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') type = text;
          else if (field === 'data') data.push(text);
          else if (field === 'id' && !text.includes('\0')) this.#lastEventId = text;
          else if (field === 'retry' && /^\d+$/.test(text)) this.#retryMs = Number(text);
        }
        newline = buffer.search(/\r\n|\r|\n/);
      }
    }
  }
}
