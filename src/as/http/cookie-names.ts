/**
 * The names of the cookies the authorization server sets, Mandate's own and
 * oidc-provider's. On an https issuer a `__Host-` name makes the browser refuse the
 * cookie unless it is Secure, has Path=/ and no Domain, so a sibling subdomain (or a
 * plain-http page on the same host) cannot plant or overwrite it. oidc-provider's
 * interaction cookies are scoped to one interaction's path, which `__Host-` forbids;
 * they get `__Secure-` (Secure is required). Plain names on http (localhost), where a
 * browser would refuse the prefixed ones.
 */
export interface CookieNames {
  /** Mandate's CSRF cookie (http/csrf.ts). */
  csrf: string;
  /** oidc-provider's session, which the account pages share (http/browser-session.ts). */
  session: string;
  /** oidc-provider's interaction and resume cookies. */
  interaction: string;
  resume: string;
}

export function cookieNames(secure: boolean): CookieNames {
  return secure
    ? {
        csrf: '__Host-mandate.csrf',
        session: '__Host-mandate.session',
        interaction: '__Secure-mandate.interaction',
        resume: '__Secure-mandate.resume',
      }
    : {
        csrf: 'mandate.csrf',
        session: '_session',
        interaction: '_interaction',
        resume: '_interaction_resume',
      };
}

export const isSecureIssuer = (issuer: string): boolean => new URL(issuer).protocol === 'https:';
