import type { TokenClaims } from '../auth/verify-token.ts';
import type { ProxyLiveness } from '../build-proxy.ts';
import { ProxyError } from '../errors/proxy-error.ts';
import type { RunningLiveness } from './start-liveness.ts';

/** The proxy's view of liveness: revoked or unknown tokens are 401, no answer is 503. */
export function toProxyLiveness(running: RunningLiveness): ProxyLiveness {
  return {
    async check(claims: TokenClaims) {
      switch (await running.check(claims)) {
        case 'live':
          return;
        case 'revoked':
          throw new ProxyError('invalid_token', 'the access token or the grant behind it was revoked');
        case 'unknown':
          throw new ProxyError(
            'invalid_token',
            'the grant behind this access token does not exist or has ended',
          );
        case 'unavailable':
          throw new ProxyError(
            'unavailable',
            'cannot confirm the access token is still valid right now; try again shortly',
          );
      }
    },
    ready: () => running.healthy(),
    onLimitsChanged: (listener) => running.onLimitsChanged(listener),
    onRevoked: (listener) => running.onRevoked(listener),
  };
}
