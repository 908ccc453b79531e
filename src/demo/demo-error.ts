/** A step of `mandate demo` that cannot go on; the message says what to do. */
export class DemoError extends Error {
  override name = 'DemoError';
}
