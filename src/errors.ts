/**
 * The one domain error base. Callers act on `code`; messages say what could
 * not be done and why, and never carry a national id, token or key.
 *
 * @module
 */

/** Base of every failure a caller of the core is expected to handle. */
export class MedlemsbroError extends Error {
  override name = "MedlemsbroError";
  /** Stable, machine-readable code such as `ERR_HELSENORGE_UNAVAILABLE`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The message of anything thrown, for reports and logs. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
