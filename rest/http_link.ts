/**
 * The REST client's connection to its server: `fetch` with a timeout and
 * one-line errors, the reading of reply bodies into reused buffers, and what
 * each variant's exchange of a frame provides.
 *
 * @module
 */

import { FrameRefused } from "../common/echo.ts";
import type { FrameGeometry } from "../common/frame.ts";
import type { Endpoint } from "../common/endpoint.ts";
import type { FrameError } from "../common/verify.ts";
import { restUrl } from "./endpoint.ts";
import type { Scratch } from "./scratch.ts";

/** What a variant's client does: make the request(s) and read the reply. */
export interface Exchange {
  /** Sends frame `index` and resolves with the response that carries it back. */
  request(frame: Uint8Array, index: number): Promise<Response>;
  /** Reads and checks the reply to frame `index`: the frame and the index it claims. */
  reply(response: Response, index: number): Promise<{ index: number; frame: Uint8Array }>;
  /** Verifies a frame that came back, for a lossy variant (see {@linkcode FrameTransport.check}). */
  check?(frame: Uint8Array, index: number): FrameError | undefined;
  /** Figures for the result record. */
  figures(): Record<string, unknown>;
}

/** The headers that say which frame a raw or multipart body is. */
export const FRAME_HEADERS = (geometry: FrameGeometry, index: number) => ({
  "x-frame-width": String(geometry.width),
  "x-frame-height": String(geometry.height),
  "x-frame-format": geometry.format,
  "x-frame-index": String(index),
});

/** A refusal's status and reason (its JSON line's `error`, or its text). */
async function refusal(response: Response): Promise<FrameRefused> {
  const text = await response.text();
  let reason = text.trim().slice(0, 300);
  try {
    reason = JSON.parse(text).error ?? reason;
  } catch { /* not JSON: show it as it is */ }
  return new FrameRefused(`${response.status} ${reason}`);
}

/** fetch against one server, with a timeout and one-line errors. */
export class HttpLink {
  readonly endpoint: string;
  readonly #base: string;
  readonly #client?: Deno.HttpClient;
  readonly #timeoutMs: number;
  readonly #signal?: AbortSignal;
  readonly #hint: string;

  /** `hint` ends the line that says nothing answers at `endpoint`. */
  constructor(
    endpoint: Endpoint,
    timeoutSeconds: number,
    signal?: AbortSignal,
    hint = "is `deno task rest:server` running there?",
  ) {
    this.endpoint = restUrl(endpoint);
    this.#hint = hint;
    this.#timeoutMs = timeoutSeconds * 1000;
    this.#signal = signal;
    if (endpoint.kind === "unix") {
      // fetch over a unix socket: the runtime's HTTP client connects every
      // request to the socket; the URL's host is then only the Host header.
      this.#client = Deno.createHttpClient({ proxy: { transport: "unix", path: endpoint.path } });
      this.#base = "http://localhost";
    } else if (endpoint.kind === "tcp" || endpoint.kind === "http") {
      this.#base = this.endpoint;
    } else {
      throw new Error(`the REST client cannot connect to ${endpoint.url}`);
    }
  }

  /** fetch(path): rejects with one line when the server is gone or too slow. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = this.#signal ? AbortSignal.any([this.#signal, timeout]) : timeout;
    try {
      const response = await fetch(this.#base + path, { ...init, signal, client: this.#client });
      if (response.ok) return response;
      // A refusal: one JSON line {"error": "..."}, counted, and the run goes on.
      throw await refusal(response);
    } catch (error) {
      throw this.explain(error, timeout);
    }
  }

  /**
   * fetch(path) of a long response (a stream): the timeout applies until its
   * headers arrive, the signal throughout. Rejects with one line as
   * {@linkcode HttpLink.fetch} does.
   */
  async fetchStream(path: string): Promise<Response> {
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new DOMException("no headers", "TimeoutError")),
      this.#timeoutMs,
    );
    const signal = this.#signal ? AbortSignal.any([this.#signal, timeout.signal]) : timeout.signal;
    try {
      const response = await fetch(this.#base + path, { signal, client: this.#client });
      if (response.ok) return response;
      throw await refusal(response);
    } catch (error) {
      throw this.explain(error, timeout.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Turns a fetch or body-read failure into one line. */
  explain(error: unknown, timeout?: AbortSignal): unknown {
    if (error instanceof FrameRefused) return error;
    if (this.#signal?.aborted) return new Error("interrupted while waiting for the server");
    const hint = this.#hint;
    if (timeout?.aborted || (error as Error)?.name === "TimeoutError") {
      return new Error(
        `no reply from ${this.endpoint} within ${this.#timeoutMs / 1000} s: ${hint}`,
      );
    }
    // fetch rejects with "fetch failed" and the reason in its cause, e.g. "error
    // sending request for url (...): client error (Connect): tcp connect
    // error: Connection refused (os error 111)": keep the last clause.
    let deepest = error as Error | undefined;
    while (deepest?.cause instanceof Error) deepest = deepest.cause;
    const message = deepest?.message ?? String(error);
    const cause = message.split(": ").pop()!.replace(/ \(os error \d+\)$/, "");
    return new Error(`${this.endpoint}: ${cause}: ${hint}`);
  }

  /** Reads a response body into `scratch` (its content-length when stated). */
  async body(response: Response, scratch: Scratch): Promise<Uint8Array> {
    try {
      const length = Number(response.headers.get("content-length") ?? NaN);
      if (!Number.isSafeInteger(length) || response.body === null) return await response.bytes();
      return await scratch.readFrom(response.body, length);
    } catch (error) {
      throw this.explain(error);
    }
  }

  close(): void {
    this.#client?.close();
  }
}

/** The frame index a reply says it carries (its `x-frame-index`), or `index`. */
export function replyIndex(response: Response, index: number): number {
  const claimed = Number(response.headers.get("x-frame-index") ?? index);
  return Number.isSafeInteger(claimed) ? claimed : index;
}
