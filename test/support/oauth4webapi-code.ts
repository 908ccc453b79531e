import * as oauth from 'oauth4webapi';

/** The test servers speak plain http on loopback. */
const insecure = { [oauth.allowInsecureRequests]: true } as const;

export interface CodeRequest {
  redirectUri: string;
  scope: string;
  /** The resource indicator (RFC 8707): the proxy's URL. */
  resource: string;
  /** A DPoP handle (RFC 9449): the code is redeemed with a proof of its key. */
  DPoP?: oauth.DPoPHandle;
}

/**
 * Code + PKCE (S256) as oauth4webapi runs it, strict about every response: `url` is the
 * authorization request to send the person to (a fresh state and verifier), `redeem`
 * validates the callback location and exchanges its code, with the resource, for tokens.
 */
export async function oauth4webapiCodeFlow(
  server: oauth.AuthorizationServer,
  client: oauth.Client,
  request: CodeRequest,
) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(server.authorization_endpoint as string);
  url.search = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: request.redirectUri,
    response_type: 'code',
    scope: request.scope,
    resource: request.resource,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  const redeem = async (location: string) => {
    const params = oauth.validateAuthResponse(server, client, new URL(location), state);
    return oauth.processAuthorizationCodeResponse(
      server,
      client,
      await oauth.authorizationCodeGrantRequest(
        server,
        client,
        oauth.None(),
        params,
        request.redirectUri,
        verifier,
        { ...insecure, DPoP: request.DPoP, additionalParameters: { resource: request.resource } },
      ),
    );
  };
  return { url, redeem };
}
