import { createHash } from 'node:crypto';
import type { Context, Next } from 'koa';
import { readBody, replayBody } from '../http/replay-body.ts';

/** RFC 8628 §3.5: with no `interval` in the device authorization response, clients wait 5 seconds. */
export const POLL_INTERVAL_MS = 5000;
const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * `slow_down` for a device code polled again within the interval (RFC 8628 §3.5);
 * oidc-provider has no such check. Each slow_down adds 5 seconds to that code's
 * interval, as the RFC asks of the client. Codes are kept hashed, in this process's
 * memory, for as long as a device code lives.
 */
export function createDevicePolling({
  tokenPath,
  ttlMs,
  now = Date.now,
}: {
  tokenPath: string;
  ttlMs: number;
  now?: () => number;
}) {
  const polls = new Map<string, { at: number; interval: number; until: number }>();
  const prune = (t: number) => {
    for (const [key, poll] of polls) if (poll.until < t) polls.delete(key);
  };
  return async function devicePolling(ctx: Context, next: Next): Promise<void> {
    if (ctx.method !== 'POST' || ctx.path !== tokenPath || !ctx.is('application/x-www-form-urlencoded'))
      return next();
    const body = await readBody(ctx);
    if (body === undefined) return next();
    replayBody(ctx, body);
    const params = new URLSearchParams(body.toString('utf8'));
    const code = params.get('device_code');
    if (params.get('grant_type') !== DEVICE_CODE || !code) return next();
    const key = createHash('sha256').update(code).digest('base64url');
    const t = now();
    prune(t);
    const last = polls.get(key);
    if (last && t - last.at < last.interval) {
      last.at = t;
      last.interval += 5000;
      ctx.status = 400;
      ctx.set('cache-control', 'no-store');
      ctx.body = {
        error: 'slow_down',
        error_description: 'poll less often: wait the interval between requests',
      };
      return;
    }
    polls.set(key, { at: t, interval: last?.interval ?? POLL_INTERVAL_MS, until: t + ttlMs });
    return next();
  };
}
