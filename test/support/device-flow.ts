import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import { type AuthorizeOptions, consent, signInAndReachConsent } from './oauth-flow.ts';
import type { RunningAs } from './start-authorization-server.ts';
import { formAction, type Hop, type UserAgent } from './user-agent.ts';

/** What a CLI starts with: openid-client's device authorization request (RFC 8628). */
export async function startDevice(config: oidc.Configuration, as: RunningAs, scope: string) {
  return oidc.initiateDeviceAuthorization(config, { scope, resource: as.proxyUrl });
}

/** The person, in a browser: types the user code at the hosted page; returns the next page. */
export async function enterUserCode(ua: UserAgent, verificationUri: string, userCode: string): Promise<Hop> {
  const page = await ua.request(verificationUri);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  return ua.request(formAction(page.body, page.url, '/device'), { form: { xsrf, user_code: userCode } });
}

/** The person confirms the code, signs in and decides on the consent page; returns the last page. */
export async function approveDevice(
  ua: UserAgent,
  verificationUri: string,
  userCode: string,
  opts: Omit<AuthorizeOptions, 'redirectUri'> & { decision?: 'allow' | 'deny' },
): Promise<Hop> {
  const confirm = await enterUserCode(ua, verificationUri, userCode);
  if (confirm.status !== 200 || !confirm.body.includes('name="confirm"'))
    throw new Error(`no confirmation page: ${confirm.status} ${confirm.body.slice(0, 300)}`);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)?.[1] ?? '';
  const posted = await ua.request(formAction(confirm.body, confirm.url, '/device'), {
    form: { xsrf, user_code: userCode, confirm: 'yes' },
  });
  if (!posted.location)
    throw new Error(`confirm did not redirect: ${posted.status} ${posted.body.slice(0, 300)}`);
  const full = { ...opts, redirectUri: 'never:' };
  const page = await signInAndReachConsent(ua, new URL(posted.location, confirm.url).toString(), full);
  if (!page.body.includes('name="decision"'))
    throw new Error(`no consent page: ${page.status} ${page.body.slice(0, 300)}`);
  return consent(ua, page, full);
}

/**
 * The CLI side as oauth4webapi runs it: one poll of the token endpoint with the device
 * code; the tokens, or the OAuth error code the AS answered.
 */
export async function pollOnce(as: RunningAs, clientId: string, deviceCode: string) {
  const server = await oauth
    .discoveryRequest(new URL(as.issuer), { [oauth.allowInsecureRequests]: true })
    .then((res) => oauth.processDiscoveryResponse(new URL(as.issuer), res));
  const client = { client_id: clientId };
  const res = await oauth.deviceCodeGrantRequest(server, client, oauth.None(), deviceCode, {
    [oauth.allowInsecureRequests]: true,
  });
  try {
    return { tokens: await oauth.processDeviceCodeResponse(server, client, res) };
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) return { error: err.error };
    throw err;
  }
}
