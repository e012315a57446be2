/**
 * @module errors
 * One base class for every failure tcpwin reports on purpose, each with a stable `code`.
 * Throw these only for bad input given by a person (usage) or for I/O; decoders return
 * values with offsets instead (see STYLE.md §4).
 */

export class TcpwinError extends Error {
  override readonly name: string = "TcpwinError";
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A value a person typed that cannot be used: the CLI prints it on one line and exits 2. */
export class UsageError extends TcpwinError {
  override readonly name = "UsageError";
  constructor(
    message: string,
    readonly option?: string,
    readonly value?: string,
  ) {
    super("usage", message);
  }
}
