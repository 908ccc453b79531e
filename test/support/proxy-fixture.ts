import { randomBytes } from 'node:crypto';
import type * as oidc from 'openid-client';
import { systemClock } from '../../src/storage/index.ts';
import type { Engine } from './databases.ts';
import { createFakeUpstream, type FakeUpstream, type FakeUpstreamOptions } from './fake-upstream/index.ts';
import { authorize, discover, exchange } from './oauth-flow.ts';
import { type RunningAs, type StartOptions, startAuthorizationServer } from './start-authorization-server.ts';
import { type RunningProxy, startProxy } from './start-proxy.ts';
import { createUserAgent } from './user-agent.ts';

export interface ProxyFixtureOptions {
  /** Scopes the app may ask for (default: every chat, embeddings and models scope). */
  allowedScopes?: string[];
  /** The app's redirect URIs; the first is used for the flow. */
  redirectUris?: string[];
  /** `proxy.*` config overrides for the proxy (body limit, timeouts, upstreams…). */
  proxy?: Record<string, unknown>;
  upstream?: FakeUpstreamOptions;
  /** Price table entries over the shipped ones. */
  prices?: Record<string, unknown>;
  username?: string;
  password?: string;
  /**
   * OpenAI-compatible providers (`providers.*`) for both servers; the person stores a key
   * for each the fake serves (`groq`, `acme`, `mistral`).
   */
  providers?: { presets?: string[]; compatible?: ({ id: string } & Record<string, unknown>)[] };
  /** `as.*` config overrides for the authorization server (the open-door policy…). */
  as?: Record<string, unknown>;
  /** How the authorization server is started (extra CAs for metadata documents…). */
  asStart?: StartOptions;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
}

export interface ProxyFixture {
  as: RunningAs;
  upstream: FakeUpstream;
  /** Replaced by `restartProxy`: always read it from the fixture. */
  proxy: RunningProxy;
  accountId: string;
  username: string;
  password: string;
  client: { clientId: string; redirectUri: string };
  oidc: oidc.Configuration;
  /**
   * A new grant through the whole code + PKCE flow (sign-in, consent, exchange). Allowing
   * the app again replaces its earlier grant (re-authorization): those tokens stop working.
   */
  grant(scope: string): Promise<IssuedTokens>;
  /** Registers another app like the first (same scopes and redirect URIs): its grants live beside the first app's. */
  addApp(name: string): Promise<{ clientId: string; grant(scope: string): Promise<IssuedTokens> }>;
  /** Stops the proxy and starts a new one on the same URL with other `proxy.*` settings. */
  restartProxy(proxyOptions?: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

/** Distinctive fake provider keys, so a leak of any part of them can be searched for. */
export function distinctiveKeys(): {
  openaiKey: string;
  anthropicKey: string;
  googleKey: string;
  groqKey: string;
  acmeKey: string;
  mistralKey: string;
} {
  return {
    openaiKey: `sk-proj-${randomBytes(24).toString('hex')}Zq9X`,
    anthropicKey: `sk-ant-api03-${randomBytes(24).toString('hex')}Wk3v`,
    googleKey: `AIza${randomBytes(15).toString('hex')}Gm5Y1`,
    groqKey: `gsk_${randomBytes(24).toString('hex')}Gq7W`,
    acmeKey: `acme-${randomBytes(24).toString('hex')}Ac2M`,
    mistralKey: `${randomBytes(16).toString('hex')}Ms4T`,
  };
}

/**
 * An authorization server (signing with a key the test holds), a person with both
 * provider keys stored, a registered public app, the fake upstream and a proxy.
 */
export async function startProxyFixture(
  engine: Engine,
  options: ProxyFixtureOptions = {},
): Promise<ProxyFixture> {
  const username = options.username ?? 'alice';
  const password = options.password ?? 'correct horse battery';
  // No operator keys: every request must go out with the person's own stored key.
  const as = await startAuthorizationServer(
    engine,
    {
      ...(options.as ? { as: options.as } : {}),
      ...(options.providers ? { providers: options.providers } : {}),
      proxy: { operatorKeys: {} },
    },
    systemClock,
    options.asStart,
  );
  let upstream: FakeUpstream | undefined;
  let proxy: RunningProxy | undefined;
  try {
    const accountId = await as.addUser(username, password);
    upstream = await createFakeUpstream({ ...distinctiveKeys(), ...options.upstream });
    const fake = upstream;
    const start = async (proxyOptions: Record<string, unknown> | undefined) => {
      const started = await startProxy(as, fake, {
        ...(proxyOptions ? { proxy: proxyOptions } : {}),
        ...(options.prices ? { prices: options.prices } : {}),
        ...(options.providers ? { providers: options.providers } : {}),
      });
      const configured = [
        ...(options.providers?.presets ?? []),
        ...(options.providers?.compatible ?? []).map((p) => p.id),
      ];
      if (configured.includes('groq')) await started.setProviderKey(accountId, 'groq', fake.groqKey);
      if (configured.includes('acme')) await started.setProviderKey(accountId, 'acme', fake.acmeKey);
      if (configured.includes('mistral')) await started.setProviderKey(accountId, 'mistral', fake.mistralKey);
      await started.setProviderKey(accountId, 'openai', fake.openaiKey);
      await started.setProviderKey(accountId, 'anthropic', fake.anthropicKey);
      await started.setProviderKey(accountId, 'google', fake.googleKey);
      return started;
    };
    proxy = await start(options.proxy);
    const registerApp = async (name: string) => {
      const client = await as.addClient({
        name,
        allowedScopes: options.allowedScopes ?? [
          'openai:*:chat',
          'openai:*:embeddings',
          'openai:*:models',
          'anthropic:*:chat',
          'anthropic:*:models',
          'google:*:chat',
          'google:*:embeddings',
          'google:*:models',
        ],
        ...(options.redirectUris ? { redirectUris: options.redirectUris } : {}),
      });
      const config = await discover(as, client.clientId);
      const grant = async (scope: string): Promise<IssuedTokens> => {
        const tokens = await exchange(
          await authorize(config, as, createUserAgent(), {
            redirectUri: client.redirectUri,
            scope,
            username,
            password,
          }),
        );
        if (!tokens.refresh_token) throw new Error('no refresh token was issued');
        return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token };
      };
      return { client, config, grant };
    };
    const { client, config, grant } = await registerApp('Writer');
    const fixture: ProxyFixture = {
      as,
      upstream,
      proxy,
      accountId,
      username,
      password,
      client: { clientId: client.clientId, redirectUri: client.redirectUri },
      oidc: config,
      grant,
      async addApp(name) {
        const app = await registerApp(name);
        return { clientId: app.client.clientId, grant: app.grant };
      },
      async restartProxy(proxyOptions) {
        await fixture.proxy.close();
        fixture.proxy = await start(proxyOptions);
      },
      async close() {
        await fixture.proxy.close();
        await fake.close();
        await as.close();
      },
    };
    return fixture;
  } catch (err) {
    await proxy?.close();
    await upstream?.close();
    await as.close();
    throw err;
  }
}
