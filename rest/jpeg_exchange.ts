/**
 * The jpeg variant's exchange of a frame with the REST server: the frame as a
 * base64 JPEG in JSON, back the same way, judged by its stamps and its PSNR
 * against the frame sent (a lossy codec cannot come back byte for byte).
 *
 * @module
 */

import { FrameRefused } from "../common/echo.ts";
import type { FrameGeometry } from "../common/frame.ts";
import { FrameSource, STAMP_BYTES, writeStamp } from "../common/source.ts";
import { checkStamps, type FrameError } from "../common/verify.ts";
import { parseFrameMessage, writeFrameMessage } from "./frame_json.ts";
import { psnr } from "./jpeg_quality.ts";
import { Scratch } from "./scratch.ts";
import { type Exchange, HttpLink } from "./http_link.ts";

/**
 * The PSNR a JPEG frame must keep, by default, against the frame that was
 * sent. Measured with this suite's frames after two JPEG generations (there
 * and back): 1080p keeps about 36 dB at quality 90 and 23 dB at quality 1;
 * 64x48 keeps 21.6 dB at 90; a different frame of the source scores 3-6 dB.
 */
export const DEFAULT_MIN_PSNR = 15;

/** rest/jpeg.ts, loaded (with libvips) only for the jpeg variant. */
export type JpegCodec = typeof import("./jpeg.ts");

/** jpeg: the frame as a base64 JPEG in JSON, back the same way, checked by PSNR. */
export class JpegExchange implements Exchange {
  readonly #link: HttpLink;
  readonly #geometry: FrameGeometry;
  readonly #quality: number;
  readonly #minPsnr: number;
  readonly #source: FrameSource;
  /** The PSNR of each frame back and not yet checked, by index. */
  readonly #psnrOf = new Map<number, number>();
  readonly #progress: (line: string) => void;
  readonly #codec: JpegCodec;
  readonly #message = new Scratch();
  readonly #reply = new Scratch();
  #frames = 0;
  #jpegBytes = 0;
  #replyJpegBytes = 0;
  #psnrSum = 0;
  #psnrMin = Infinity;
  #lowPsnr = 0;

  constructor(
    link: HttpLink,
    geometry: FrameGeometry,
    options: {
      quality: number;
      minPsnr: number;
      source: FrameSource;
      progress: (line: string) => void;
      codec: JpegCodec;
    },
  ) {
    this.#codec = options.codec;
    this.#link = link;
    this.#geometry = geometry;
    this.#quality = options.quality;
    this.#minPsnr = options.minPsnr;
    this.#source = options.source;
    this.#progress = options.progress;
  }

  async request(frame: Uint8Array, index: number): Promise<Response> {
    const jpeg = await this.#codec.encodeJpeg(frame, this.#geometry, this.#quality);
    this.#jpegBytes += jpeg.byteLength;
    const text = (jpeg as unknown as { toBase64(): string }).toBase64();
    const body = writeFrameMessage(
      { geometry: this.#geometry, index, quality: this.#quality },
      text,
      this.#message,
    );
    return await this.#link.fetch("/frames/jpeg", {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
  }

  async reply(response: Response, index: number) {
    const bytes = await this.#link.body(response, this.#reply);
    let message;
    let jpeg: Uint8Array;
    try {
      message = parseFrameMessage(bytes, { jpeg: true });
      jpeg = (Uint8Array as unknown as { fromBase64(text: string): Uint8Array }).fromBase64(
        message.data,
      );
    } catch (error) {
      throw new FrameRefused(`bad reply for frame ${index}: ${(error as Error).message}`);
    }
    this.#replyJpegBytes += jpeg.byteLength;
    const decoded = await this.#codec.decodeJpeg(jpeg).catch((error) => {
      throw new FrameRefused(`bad reply for frame ${index}: ${error.message}`);
    });
    const frame = decoded.pixels;
    const { frameBytes } = this.#geometry;
    if (frame.byteLength !== frameBytes) return { index: message.index, frame }; // checkFrame: size
    // The stamps, which JPEG blurs, carry the index the reply claims, so that
    // check() counts a stale or wrong-index frame as such; the pixels are
    // judged by their PSNR against the frame sent (another frame of the
    // source scores 3-6 dB, far under any tolerance).
    writeStamp(frame, message.index);
    const body = frame.subarray(STAMP_BYTES, frameBytes - STAMP_BYTES);
    const db = psnr(body, this.#source.body(index));
    this.#psnrOf.set(index, db);
    this.#frames++;
    this.#psnrSum += Math.min(db, 99);
    this.#psnrMin = Math.min(this.#psnrMin, db);
    return { index: message.index, frame };
  }

  check(frame: Uint8Array, index: number): FrameError | undefined {
    const db = this.#psnrOf.get(index);
    this.#psnrOf.delete(index);
    const problem = checkStamps(this.#source, frame, index);
    if (problem) return problem;
    if (db !== undefined && db >= this.#minPsnr) return undefined;
    const message = db === undefined
      ? `frame ${index}: no decoded reply to judge`
      : `frame ${index}: PSNR ${db.toFixed(1)} dB against the frame sent, ` +
        `under the ${this.#minPsnr} dB tolerance`;
    if (++this.#lowPsnr <= 3) this.#progress(message);
    return { kind: "corrupt", index, message };
  }

  figures() {
    const n = Math.max(1, this.#frames);
    return {
      quality: this.#quality,
      sharp: "jpeg optimiseCoding false, chroma 4:2:0 (see rest/jpeg.ts)",
      meanJpegBytes: Math.round(this.#jpegBytes / n),
      meanReplyJpegBytes: Math.round(this.#replyJpegBytes / n),
      compression: Number((this.#geometry.frameBytes / (this.#jpegBytes / n)).toFixed(1)),
      minPsnrDb: Number(this.#psnrMin.toFixed(2)),
      meanPsnrDb: Number((this.#psnrSum / n).toFixed(2)),
      tolerancePsnrDb: this.#minPsnr,
      underTolerance: this.#lowPsnr,
    };
  }
}
