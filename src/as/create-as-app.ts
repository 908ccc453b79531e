import Koa from 'koa';
import mount from 'koa-mount';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { Provider as AiProvider } from '../scopes/index.ts';
import type { ProviderKeyJwks } from '../shared/provider-key-crypto.ts';
import { type Clock, type Stores, systemClock } from '../storage/index.ts';
import { createAccountRoutes } from './account/routes.ts';
import { createBrowserSession } from './http/browser-session.ts';
import { canonicalResource } from './http/canonical-resource.ts';
import { createPasswordCheck } from './http/check-password.ts';
import { cookieNames, isSecureIssuer } from './http/cookie-names.ts';
import { createCsrf } from './http/csrf.ts';
import { defaultScopes } from './http/default-scopes.ts';
import { createErrorHandler } from './http/error-handler.ts';
import { createLoginThrottle } from './http/login-throttle.ts';
import { notFoundPage } from './http/not-found-page.ts';
import { securityHeaders } from './http/security-headers.ts';
import { type LimitMaximums, limitMaximumsFrom } from './interactions/operator-maximums.ts';
import { createInteractionRoutes } from './interactions/routes.ts';
import { createRateLimiter } from './open-door/rate-limiter.ts';
import { createRegistrationGate } from './open-door/registration-gate.ts';
import { createOperatorPages } from './operator/routes.ts';
import { stylesheet } from './views/index.ts';

export interface AsAppOptions {
  issuer: string;
  proxyUrl: string;
  cookieKeys: readonly string[];
  trustProxy: boolean;
  sessionTtl: number;
  grantTtl: { default: number; max: number };
  loginThrottle: { maxFailures: number };
  /** The proxy's public key-encryption JWKS (never the private half); none: keys cannot be added. */
  providerKeyPublicJwks: ProviderKeyJwks | undefined;
  /** Providers with an operator-configured key: names only. */
  operatorKeyProviders: readonly AiProvider[];
  /** The operator's maximum for each limit: no grant allows more. */
  limitMaximums: LimitMaximums;
  /** The most an app the operator did not register may ask for. */
  openDoorScopes: readonly string[];
  /** The operator's policy for apps it did not register (`as.openDoor`). */
  openDoor: Config['as']['openDoor'];
  /** The clock rate limits count with (the system clock by default). */
  clock?: Clock;
}

/** The authorization server: hosted pages and account pages in front of oidc-provider. */
export function createAsApp(options: AsAppOptions, provider: Provider, stores: Stores, logger: Logger): Koa {
  const app = new Koa();
  app.keys = [...options.cookieKeys];
  app.proxy = options.trustProxy;
  // Behind a proxy, the client address is the entry the nearest proxy appended, not
  // the leftmost one, which the client controls.
  app.maxIpsCount = 1;
  const secure = isSecureIssuer(options.issuer);
  const names = cookieNames(secure);
  const csrf = createCsrf({ key: options.cookieKeys[0] as string, secure, names });
  const checkPassword = createPasswordCheck(
    stores.accounts,
    createLoginThrottle(stores.loginFailures, options.loginThrottle.maxFailures),
  );
  const session = createBrowserSession(provider, stores.accounts, { ttl: options.sessionTtl, secure, names });

  // What escapes every handler (Koa would print it raw to stderr) goes through the serializer.
  app.on('error', (err: unknown) => logger.error({ event: 'error', err }, 'unhandled error'));
  app.use(securityHeaders);
  app.use(createErrorHandler(logger));
  app.use(notFoundPage);

  const css = stylesheet();
  app.use(async (ctx, next) => {
    if (ctx.path === '/static/mandate.css' && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      ctx.type = 'text/css; charset=utf-8';
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.etag = css.sha256;
      ctx.body = css.body;
      return;
    }
    if (ctx.path === '/' && ctx.method === 'GET') return ctx.redirect('/account');
    if (ctx.path === '/favicon.ico') {
      ctx.status = 204;
      return;
    }
    await next();
  });

  const interactions = createInteractionRoutes({
    provider,
    stores,
    csrf,
    checkPassword,
    proxyUrl: options.proxyUrl,
    grantTtl: options.grantTtl,
    operatorKeyProviders: options.operatorKeyProviders,
    limitMaximums: options.limitMaximums,
    openDoorScopes: options.openDoorScopes,
    openDoorLimitMaximums: limitMaximumsFrom(options.openDoor.limitMaximums),
    logger,
  });
  const account = createAccountRoutes({
    provider,
    stores,
    csrf,
    session,
    checkPassword,
    providerKeys: {
      publicJwks: options.providerKeyPublicJwks,
      operatorKeyProviders: options.operatorKeyProviders,
    },
    logger,
  });
  app.use(interactions.routes());
  app.use(createOperatorPages({ stores, csrf, session, logger }));
  app.use(account.routes());
  app.use(account.allowedMethods());
  app.use(canonicalResource(options.proxyUrl));
  app.use(defaultScopes({ provider, openDoorScopes: options.openDoorScopes }));
  if (options.openDoor.registration !== 'off') {
    const { max, windowSeconds } = options.openDoor.registrationRateLimit;
    app.use(
      createRegistrationGate({
        provider,
        limiter: createRateLimiter({
          max,
          windowMs: windowSeconds * 1000,
          clock: options.clock ?? systemClock,
        }),
        openDoorScopes: options.openDoorScopes,
      }),
    );
  }
  app.use(mount(provider));
  return app;
}
