/** A bad or missing setting; the message names every offending setting. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
