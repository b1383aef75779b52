/**
 * Making a segment that its maker owns and removes (the echo server's
 * doorway, the stream publisher's broadcast ring), taking over one left by a
 * process that is gone.
 *
 * @module
 */

import { checkPreamble, LAYOUT_VERSION, LayoutError, PAGE_BYTES, unsealed } from "./layout.ts";
import type { MappedSegment, SharedMemoryPlatform } from "./platform.ts";

/** Options of {@linkcode createSegment}. */
export interface CreateSegmentOptions {
  /** Bytes of the segment. */
  bytes: number;
  /** Its {@linkcode SegmentKind}: a segment of another kind is refused, never reused. */
  kind: number;
  /** The kind's layout version. Default: {@linkcode LAYOUT_VERSION}. */
  version?: number;
  /** Who makes such segments, as the messages name it: `server`, `publisher`. */
  maker: string;
  /** Where the note of a replaced segment goes. */
  log: (line: string) => void;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates segment `name` exclusively (zero-filled, mode 0600) for the caller
 * to write its header into, magic last. When the name exists: a segment whose
 * owner is gone is removed (and `log` says so) and made again; one of a live
 * owner, or one that is not of this kind and version, is refused with a
 * one-line error.
 */
export async function createSegment(
  platform: SharedMemoryPlatform,
  name: string,
  options: CreateSegmentOptions,
): Promise<MappedSegment> {
  const where = platform.describe(name);
  const { maker, log } = options;
  for (let attempt = 0; attempt < 5; attempt++) {
    const segment = platform.create(name, options.bytes);
    if (segment) return segment;
    const existing = platform.open(name);
    if (!existing) continue; // removed in the meantime: try again
    let owner: number;
    try {
      const header = new Uint8Array(existing.buffer, 0, Math.min(existing.bytes, PAGE_BYTES));
      if (unsealed(header)) {
        // No magic yet: its maker is setting it up now, or died doing so. Look again shortly.
        await delay(200);
        if (unsealed(header)) {
          platform.unlink(name);
          log(`replaced ${where}, left half made by a ${maker} that died starting`);
          continue;
        }
      }
      owner = checkPreamble(header, options.kind, where, options.version ?? LAYOUT_VERSION);
    } catch (error) {
      if (error instanceof LayoutError) {
        throw new LayoutError(`${error.message}: remove it or choose another --endpoint`);
      }
      throw error;
    } finally {
      existing.close();
    }
    if (platform.processAlive(owner)) {
      throw new Error(`${where} is in use by the ${maker} with pid ${owner}`);
    }
    platform.unlink(name);
    log(`replaced the stale segment ${where} left by pid ${owner}, which is gone`);
  }
  throw new Error(`cannot create ${where}: it keeps reappearing`);
}
