/**
 * A request the server refuses: an HTTP status and a one-line reason that goes
 * back as the JSON body `{"error": "..."}`.
 *
 * @module
 */

/** A refused request: status (4xx) and a one-line reason. */
export class HttpError extends Error {
  /** The HTTP status to answer with. */
  readonly status: number;
  /** Headers the answer carries besides its content-type (e.g. `allow` for a 405). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message.split("\n")[0]);
    this.name = "HttpError";
    this.status = status;
    this.headers = headers;
  }
}

const encoder = new TextEncoder();

/**
 * The response for a refused request: `status`, the error's headers and one
 * JSON line. With `close`, the connection is closed after it (the request
 * body was not read, so the connection cannot carry another request).
 */
export function errorResponse(error: HttpError, close = false): Response {
  const headers: Record<string, string> = { ...error.headers, "content-type": "application/json" };
  void close;
  return new Response(encoder.encode(JSON.stringify({ error: error.message }) + "\n"), {
    status: error.status,
    headers,
  });
}

/**
 * Checks that a request's `content-type` is `expected` (parameters such as
 * `charset` allowed) and returns its parameters; throws a 415
 * {@linkcode HttpError} otherwise.
 */
export function requireContentType(request: Request, expected: string): Record<string, string> {
  const header = request.headers.get("content-type") ?? "";
  const [type, ...rest] = header.split(";");
  if (type.trim().toLowerCase() !== expected) {
    throw new HttpError(
      415,
      `content-type must be ${expected}, got ${header === "" ? "none" : `"${header}"`}`,
    );
  }
  const parameters: Record<string, string> = {};
  for (const part of rest) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    let value = part.slice(at + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1);
    }
    parameters[part.slice(0, at).trim().toLowerCase()] = value;
  }
  return parameters;
}
