/**
 * The encoded properties of a frame, for tests that write a transport's
 * messages by hand (garbage, a frame cut short, one over a limit).
 *
 * @module
 */

import { encodeProperties, NO_SLOT } from "../common/properties.ts";

/** The encoded properties of frame `index` of `width`x`height` rgb24, in no slot, sent at 0. */
export function frameProperties(width: number, height: number, index = 0): Uint8Array {
  return encodeProperties({ index, width, height, format: "rgb24", slot: NO_SLOT, sentAt: 0 });
}
