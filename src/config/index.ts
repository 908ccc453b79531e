export { ConfigError } from './config-error.ts';
export { loadConfig } from './load-config.ts';
export type { Config } from './schema.ts';
