/**
 * The lossless variants' exchanges of a frame with the REST server: raw
 * (the frame as the body), multipart (the study's upload and download) and
 * base64 / hex text in JSON. Each says where it copies the frame.
 *
 * @module
 */

import { FrameRefused } from "../common/echo.ts";
import type { FrameGeometry } from "../common/frame.ts";
import { parseFrameMessage, writeFrameMessage } from "./frame_json.ts";
import { HttpError } from "./http_error.ts";
import { newBoundary, writeMultipart } from "./multipart.ts";
import { Scratch } from "./scratch.ts";
import { DecodeError, type TextCodec } from "./text_codec.ts";
import { type Exchange, FRAME_HEADERS, HttpLink, replyIndex } from "./http_link.ts";

/** raw: the frame as the body, back as the body. */
export class RawExchange implements Exchange {
  readonly #link: HttpLink;
  readonly #geometry: FrameGeometry;
  readonly #received = new Scratch();

  constructor(link: HttpLink, geometry: FrameGeometry) {
    this.#link = link;
    this.#geometry = geometry;
  }

  request(frame: Uint8Array, index: number): Promise<Response> {
    return this.#link.fetch("/frames/raw", {
      method: "POST",
      // Copy: fetch copies the frame into the request here.
      body: frame as Uint8Array<ArrayBuffer>,
      headers: {
        "content-type": "application/octet-stream",
        ...FRAME_HEADERS(this.#geometry, index),
      },
    });
  }

  async reply(response: Response, index: number) {
    return {
      index: replyIndex(response, index),
      frame: await this.#link.body(response, this.#received),
    };
  }

  figures() {
    return {};
  }
}

/** multipart: the study's upload (a form with the frame as a file), then the download back. */
export class MultipartExchange implements Exchange {
  readonly #link: HttpLink;
  readonly #geometry: FrameGeometry;
  readonly #boundary = newBoundary();
  readonly #form = new Scratch();
  readonly #received = new Scratch();
  #formBytes = 0;

  constructor(link: HttpLink, geometry: FrameGeometry) {
    this.#link = link;
    this.#geometry = geometry;
  }

  async request(frame: Uint8Array, index: number): Promise<Response> {
    const { width, height, format } = this.#geometry;
    // Copy: the frame into the form body (a reused buffer); fetch copies the form.
    const form = writeMultipart(
      this.#boundary,
      { width: String(width), height: String(height), format, index: String(index) },
      {
        name: "frame",
        filename: `frame-${index}.rgb`,
        contentType: "application/octet-stream",
        bytes: frame,
      },
      this.#form,
    );
    this.#formBytes = form.byteLength;
    const uploaded = await this.#link.fetch("/uploads", {
      method: "POST",
      body: form,
      headers: { "content-type": `multipart/form-data; boundary=${this.#boundary}` },
    });
    let location: unknown;
    try {
      location = (await uploaded.json()).location;
    } catch (error) {
      throw this.#link.explain(error);
    }
    if (typeof location !== "string" || !location.startsWith("/uploads/")) {
      throw new FrameRefused(`upload reply has no /uploads/ location: ${JSON.stringify(location)}`);
    }
    return await this.#link.fetch(location);
  }

  async reply(response: Response, index: number) {
    return {
      index: replyIndex(response, index),
      frame: await this.#link.body(response, this.#received),
    };
  }

  figures() {
    return { formBytes: this.#formBytes };
  }
}

/** base64 / hex: the frame as text in JSON, back the same way. */
export class TextExchange implements Exchange {
  readonly #link: HttpLink;
  readonly #geometry: FrameGeometry;
  readonly #codec: TextCodec;
  readonly #path: string;
  readonly #message = new Scratch();
  readonly #reply = new Scratch();
  readonly #frame = new Scratch();
  #bodyBytes = 0;

  constructor(link: HttpLink, geometry: FrameGeometry, codec: TextCodec) {
    this.#link = link;
    this.#geometry = geometry;
    this.#codec = codec;
    this.#path = `/frames/${codec.encoding}?encoder=${codec.encoder}`;
  }

  request(frame: Uint8Array, index: number): Promise<Response> {
    // The frame as text (a new string), written as JSON into a reused buffer, which fetch copies.
    const body = writeFrameMessage(
      { geometry: this.#geometry, index },
      this.#codec.encode(frame),
      this.#message,
    );
    this.#bodyBytes = body.byteLength;
    return this.#link.fetch(this.#path, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
  }

  async reply(response: Response, index: number) {
    const bytes = await this.#link.body(response, this.#reply);
    try {
      const message = parseFrameMessage(bytes);
      const out = this.#frame.take(message.geometry.frameBytes);
      return { index: message.index, frame: this.#codec.decode(message.data, out) };
    } catch (error) {
      if (error instanceof HttpError || error instanceof DecodeError) {
        throw new FrameRefused(`bad reply for frame ${index}: ${error.message}`);
      }
      throw error;
    }
  }

  figures() {
    return { encoder: this.#codec.encoder, bodyBytes: this.#bodyBytes };
  }
}
