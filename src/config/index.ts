export { ConfigError } from './config-error.ts';
export { withDataDirDefaults } from './data-dir-defaults.ts';
export { deepMerge } from './deep-merge.ts';
export { defaults } from './defaults.ts';
export { configFromEnv } from './from-env.ts';
export { loadConfig } from './load-config.ts';
export type { Config } from './schema.ts';
export { hostForUrl, withUrlDefaults } from './url-defaults.ts';
