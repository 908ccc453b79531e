import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import { isClientSecretHash, verifyClientSecret } from '../../shared/client-secret.ts';
import { providerRoute } from '../http/provider-route.ts';
import { readBody, replayBody } from '../http/replay-body.ts';
import { checkRegistration } from './check-registration.ts';
import type { RateLimiter } from './rate-limiter.ts';

const REGISTRATION_PATH = '/reg';
const BODY_LIMIT = 16 * 1024;

export interface RegistrationGateDeps {
  provider: Provider;
  /** Registrations per client address. */
  limiter: RateLimiter;
  openDoorScopes: readonly string[];
}

function refuse(ctx: Context, status: number, error: string, description: string) {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error, error_description: description };
}

function bearer(ctx: Context): string | undefined {
  const match = /^Bearer ([^\s]+)$/i.exec(ctx.get('authorization'));
  return match?.[1];
}

/**
 * In front of oidc-provider's registration endpoints (RFC 7591 `/reg`, RFC 7592
 * `/reg/:clientId`): registrations are rate limited per client address, every
 * registration and update is checked (check-registration.ts) and handed on rewritten,
 * and the stored secret's hash never leaves: an update may present the plain secret
 * (RFC 7592 §2.2), which is checked against the hash here, and reads answer without it.
 */
export function createRegistrationGate({ provider, limiter, openDoorScopes }: RegistrationGateDeps) {
  return async function registrationGate(ctx: Context, next: Next): Promise<void> {
    const { route, trimmed } = providerRoute(ctx.path);
    const isCreate = route === REGISTRATION_PATH && ctx.method === 'POST';
    const clientId = route.startsWith(`${REGISTRATION_PATH}/`)
      ? trimmed.slice(REGISTRATION_PATH.length + 1)
      : undefined;
    if (!isCreate && clientId === undefined) return next();

    if (isCreate) {
      const retryAfter = limiter.hit(ctx.ip);
      if (retryAfter !== undefined) {
        ctx.set('Retry-After', String(retryAfter));
        return refuse(
          ctx,
          429,
          'invalid_request',
          'too many registrations from this address; try again later',
        );
      }
    }

    if ((isCreate || ctx.method === 'PUT') && ctx.is('application/json')) {
      const raw = await readBody(ctx, BODY_LIMIT);
      if (raw === undefined) return refuse(ctx, 413, 'invalid_request', 'registration too large');
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch {
        return refuse(ctx, 400, 'invalid_request', 'the body is not JSON');
      }
      const checked = checkRegistration(parsed, openDoorScopes);
      if (!checked.ok) return refuse(ctx, 400, checked.error, checked.description);
      if (clientId !== undefined && 'client_secret' in checked.body) {
        const token = bearer(ctx);
        const rat = token ? await provider.RegistrationAccessToken.find(token) : undefined;
        if (rat?.clientId === clientId) {
          const client = await provider.Client.find(clientId);
          if (!verifyClientSecret(client?.clientSecret, checked.body.client_secret)) {
            return refuse(ctx, 400, 'invalid_request', "client_secret does not match the client's");
          }
          delete checked.body.client_secret;
        }
      }
      replayBody(ctx, Buffer.from(JSON.stringify(checked.body)));
    }

    await next();

    const body = ctx.body as { client_secret?: unknown } | undefined;
    if (
      clientId !== undefined &&
      typeof body?.client_secret === 'string' &&
      isClientSecretHash(body.client_secret)
    ) {
      delete body.client_secret;
    }
  };
}
