/**
 * The streams of one HTTP/2 connection: the identifiers this side opens
 * (odd for a client, even for a server), those the peer opened, the peer's
 * limit and initial window, and the streams open now.
 *
 * @module
 */

import { DEFAULT_WINDOW, ErrorCode } from "./http2_frames.ts";
import { ConnectionError, Http2Stream, NO_EVENTS, type StreamEvents } from "./http2_stream.ts";

/** The open streams of a connection; see the module documentation. */
export class StreamTable {
  readonly #streams = new Map<number, Http2Stream>();
  readonly #role: "client" | "server";
  readonly #window: number;
  readonly #onForget: () => void;
  #nextId: number;
  /** The highest stream the peer opened. */
  lastPeerId = 0;
  /** The peer's SETTINGS_INITIAL_WINDOW_SIZE. */
  #peerInitialWindow = DEFAULT_WINDOW;
  /** The peer's SETTINGS_MAX_CONCURRENT_STREAMS. */
  peerMaxStreams = Infinity;

  /** `window`: this side's receive window of each stream; `onForget` runs when one closes. */
  constructor(role: "client" | "server", window: number, onForget: () => void) {
    this.#role = role;
    this.#window = window;
    this.#onForget = onForget;
    this.#nextId = role === "client" ? 1 : 2;
  }

  /** Streams open now. */
  get size(): number {
    return this.#streams.size;
  }

  /** The open stream `id`, if it is. */
  get(id: number): Http2Stream | undefined {
    return this.#streams.get(id);
  }

  /** The open streams, as a list that closing them does not change. */
  all(): Http2Stream[] {
    return [...this.#streams.values()];
  }

  /** Opens a stream of this side; throws when the peer's limit is reached. */
  open(events: StreamEvents): Http2Stream {
    if (this.#streams.size >= this.peerMaxStreams) {
      throw new Error(`the server allows ${this.peerMaxStreams} concurrent streams`);
    }
    const id = this.#nextId;
    this.#nextId += 2;
    const stream = new Http2Stream(id, events, this.#peerInitialWindow, this.#window);
    this.#streams.set(id, stream);
    return stream;
  }

  /**
   * A stream the peer opens with a header block on `id` (server side): the
   * new stream; "refused" when `limit` streams are open; undefined when `id`
   * opens nothing (trailers of a stream already gone, or `accepting` false).
   * Throws {@linkcode ConnectionError} for a stream that cannot exist yet.
   */
  openByPeer(id: number, limit: number, accepting: boolean): Http2Stream | "refused" | undefined {
    if (this.#role === "client" || id % 2 === 0) {
      // A closed stream of ours, or one the server should not open: ignored.
      if (id > this.highestId()) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `HEADERS on idle stream ${id}`);
      }
      return undefined;
    }
    if (id <= this.lastPeerId) return undefined; // trailers of a stream this side reset
    this.lastPeerId = id;
    if (!accepting) return undefined;
    if (this.#streams.size >= limit) return "refused";
    const stream = new Http2Stream(id, NO_EVENTS, this.#peerInitialWindow, this.#window);
    this.#streams.set(id, stream);
    return stream;
  }

  /** The highest identifier of a stream that exists or existed. */
  highestId(): number {
    return this.#role === "server" ? this.lastPeerId : this.#nextId - 2;
  }

  /**
   * The peer sent GOAWAY: the streams this side opened after `last` never
   * reached it; each is reset with REFUSED_STREAM and `reason`.
   */
  goneAway(last: number, reason: string): void {
    for (const stream of this.all()) {
      if (stream.id > last && stream.id % 2 === this.#nextId % 2) {
        this.forget(stream);
        stream.events.onReset(ErrorCode.REFUSED_STREAM, reason);
      }
    }
  }

  /** The peer's new initial window: every open stream's send window moves by the difference. */
  setPeerInitialWindow(value: number): void {
    const delta = value - this.#peerInitialWindow;
    this.#peerInitialWindow = value;
    for (const stream of this.#streams.values()) stream.sendWindow += delta;
  }

  /** This side ended `stream`; it closes when the peer has too. */
  endLocal(stream: Http2Stream): void {
    stream.localEnded = true;
    if (stream.remoteEnded) this.forget(stream);
  }

  /** The peer ended `stream`; it closes when this side has too. */
  endRemote(stream: Http2Stream): void {
    stream.remoteEnded = true;
    if (stream.localEnded) this.forget(stream);
  }

  /** `stream` is closed: no more frames for it. */
  forget(stream: Http2Stream): void {
    stream.closed = true;
    this.#streams.delete(stream.id);
    this.#onForget();
  }
}
