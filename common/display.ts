/**
 * The SDL window that shows received frames with the live fps in its title.
 * Loaded only when `--display` is asked for, so the headless benchmark never
 * needs SDL.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { FrameGeometry } from "./frame.ts";

/** A window showing frames. */
export interface FrameDisplay {
  /** True once the user closed the window. */
  readonly closed: boolean;
  /** Draws `frame` (same geometry as the window was opened with); `fps` goes in the title. */
  show(frame: Uint8Array, fps: number): void;
  /** Closes the window. */
  close(): void;
}

/** The task that builds the SDL binding, named in the error when it is missing. */
export const SETUP_DISPLAY_TASK = "deno task setup:display";

/** Options for {@linkcode openDisplay}. */
export interface DisplayOptions {
  /** Wait for the display's refresh before each frame. Default: false, so the window does not cap the fps. */
  vsync?: boolean;
  /** Milliseconds between title updates. Default: 500. */
  titleEveryMs?: number;
}

// Minimal shape of the parts of @kmamal/sdl used here.
interface SdlWindow {
  destroyed: boolean;
  render(w: number, h: number, stride: number, format: string, buffer: Buffer): void;
  setTitle(title: string): void;
  on(event: "close", listener: () => void): void;
  destroy(): void;
}
interface Sdl {
  video: { createWindow(options: Record<string, unknown>): SdlWindow };
}

/**
 * Opens a window the size of the frames (scaled down to fit 1280x720).
 * Throws with a message naming {@linkcode SETUP_DISPLAY_TASK} when the SDL
 * binding is not built, and a clear message when there is no display.
 */
export async function openDisplay(
  geometry: FrameGeometry,
  title: string,
  options: DisplayOptions = {},
): Promise<FrameDisplay> {
  let sdl: Sdl;
  try {
    sdl = (await import("@kmamal/sdl")).default as unknown as Sdl;
  } catch (error) {
    const why = (error as Error).message.split("\n")[0];
    throw new Error(
      `--display needs the SDL binding, which is not built (${why}): run \`${SETUP_DISPLAY_TASK}\``,
    );
  }
  const scale = Math.min(1, 1280 / geometry.width, 720 / geometry.height);
  let window: SdlWindow;
  try {
    window = sdl.video.createWindow({
      title,
      width: Math.round(geometry.width * scale),
      height: Math.round(geometry.height * scale),
      vsync: options.vsync ?? false,
    });
  } catch (error) {
    throw new Error(
      `cannot open a window: ${(error as Error).message} (is DISPLAY set? try xvfb-run)`,
    );
  }
  let closed = false;
  window.on("close", () => closed = true);
  const titleEveryMs = options.titleEveryMs ?? 500;
  let nextTitle = 0;
  const stride = geometry.width * 3;
  const display: FrameDisplay = {
    get closed() {
      return closed || window.destroyed;
    },
    show(frame: Uint8Array, fps: number) {
      if (display.closed) return;
      // No copy: a Buffer view of the same bytes (render() insists on a Buffer).
      const view = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
      window.render(geometry.width, geometry.height, stride, "rgb24", view);
      const now = performance.now();
      if (now >= nextTitle) {
        nextTitle = now + titleEveryMs;
        window.setTitle(`${title} - ${fps.toFixed(1)} fps`);
      }
    },
    close() {
      if (!window.destroyed) window.destroy();
      closed = true;
    },
  };
  return display;
}
