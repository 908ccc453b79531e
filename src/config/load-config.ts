import { deepFreeze } from '../shared/deep-freeze.ts';
import { ConfigError } from './config-error.ts';
import { withDataDirDefaults } from './data-dir-defaults.ts';
import { deepMerge } from './deep-merge.ts';
import { defaults } from './defaults.ts';
import { envMap } from './env-map.ts';
import { configFromEnv } from './from-env.ts';
import { replaceModelPrices } from './prices-config.ts';
import { type Config, checkedConfigSchema } from './schema.ts';
import { withUrlDefaults } from './url-defaults.ts';

export interface LoadConfigInput {
  env: Readonly<Record<string, string | undefined>>;
  /** Parsed contents of the configuration file, if there is one. */
  file?: Record<string, unknown> | undefined;
  /** Values that win over everything (generated local secrets, tests). */
  overrides?: Record<string, unknown> | undefined;
  readFile: (path: string) => string;
}

/** One layer over another: objects merge key by key, except that a price entry replaces the model's whole entry. */
const overlay = (base: Record<string, unknown>, over: Record<string, unknown>) =>
  replaceModelPrices(deepMerge(base, over), over);

/** defaults < config file < environment < overrides, checked by one strict schema, frozen. */
export function loadConfig({ env, file, overrides, readFile }: LoadConfigInput): Config {
  let merged = overlay(defaults as Record<string, unknown>, file ?? {});
  merged = deepMerge(merged, configFromEnv(env, readFile));
  merged = withUrlDefaults(withDataDirDefaults(overlay(merged, overrides ?? {})));
  // reportInput: tells a wrong value (a fraction, a string) from a missing one; values are never printed.
  const parsed = checkedConfigSchema.safeParse(merged, { reportInput: true });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const path = issue.path.join('.');
      const envName = envMap.find((e) => e.path === path)?.env;
      const where = envName ? `${path} (${envName})` : path;
      const message =
        issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
      return `${where || '(root)'}: ${message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const config = parsed.data;
  if (config.as.grantTtl.default > config.as.grantTtl.max) {
    throw new ConfigError('Invalid configuration:\n  as.grantTtl.default: must not exceed as.grantTtl.max');
  }
  const door = config.as.openDoor;
  if (door.registration === 'initial_access_token' && door.initialAccessToken === undefined) {
    throw new ConfigError(
      'Invalid configuration:\n  as.openDoor.initialAccessToken (MANDATE_REGISTRATION_INITIAL_ACCESS_TOKEN): is required when as.openDoor.registration is initial_access_token',
    );
  }
  if (door.metadataDocuments.cacheSeconds.min > door.metadataDocuments.cacheSeconds.max) {
    throw new ConfigError(
      'Invalid configuration:\n  as.openDoor.metadataDocuments.cacheSeconds.min: must not exceed its max',
    );
  }
  if (config.as.issuer.startsWith('https:') && !config.as.trustProxy) {
    throw new ConfigError(
      'Invalid configuration:\n  as.trustProxy (MANDATE_TRUST_PROXY): must be true with an https issuer; Mandate serves plain HTTP behind a TLS-terminating proxy',
    );
  }
  return deepFreeze(config);
}
