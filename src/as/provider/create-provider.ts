import { randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import Provider, { type Adapter, type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import { AI_ACCESS_TYPE, isAiScope, isScopeToken, parseScope, splitScopeParam } from '../../scopes/index.ts';
import { generateClientSecret, hashClientSecret } from '../../shared/client-secret.ts';
import { DPOP_ALGORITHMS } from '../../shared/dpop-algorithms.ts';
import type { Stores } from '../../storage/index.ts';
import { createOidcAdapterFactory } from '../../storage/oidc-adapter.ts';
import { cookieNames, isSecureIssuer } from '../http/cookie-names.ts';
import { logProviderEvents } from '../log/log-provider-events.ts';
import { clientDomain, REGISTERED_ID_PREFIX } from '../open-door/client-kind.ts';
import { createMetadataDocuments, type MetadataDocumentPolicy } from '../open-door/metadata-documents.ts';
import {
  createTokenExchangeGrant,
  TOKEN_EXCHANGE,
  TOKEN_EXCHANGE_PARAMETERS,
} from '../token-exchange/token-exchange-grant.ts';
import {
  renderDeviceCodeConfirm,
  renderDeviceCodeInput,
  renderMessage,
  renderOAuthError,
} from '../views/index.ts';
import { createDevicePolling } from './device-polling.ts';
import {
  allowTokenExchange,
  grantRevocationReasonFromRequest,
  refuseDisabledClients,
  useHashedClientSecrets,
} from './internals.ts';
import { createJwtTokenEndpoints } from './jwt-token-endpoints.ts';
import { createLifetimes } from './lifetimes.ts';
import { raiseRequestParams } from './raise-request-params.ts';
import { createGetResourceServerInfo } from './resource-server.ts';
import { createRichAuthorizationRequests } from './rich-authorization-requests.ts';
import { createUserCodeThrottle, USER_CODE_ACCEPTED } from './user-code-throttle.ts';
import { createAccessTokenVerifier } from './verify-access-token.ts';

export interface ProviderOptions {
  issuer: string;
  proxyUrl: string;
  proxyClient: { id: string; secret: string };
  cookieKeys: readonly string[];
  signingKeys: readonly JWK[];
  trustProxy: boolean;
  accessTokenTtl: number;
  sessionTtl: number;
  interactionTtl: number;
  defaultGrantTtl: number;
  /** How long a device code (RFC 8628) and its user code may be used. */
  deviceCodeTtl: number;
  /** Wrong user codes one address may type at /device in the sign-in throttle's window. */
  userCodeMaxFailures: number;
  /** The scopes apps the operator did not register may ask for: published as `scopes_supported`. */
  openDoorScopes: readonly string[];
  /** RFC 7591 registration: `off`, `open`, or with this initial access token. */
  registration: { policy: 'off' | 'open' | 'initial_access_token'; initialAccessToken?: string | undefined };
  /** Client ID Metadata Documents: the operator's policy, and extra CAs (PEM) to trust for them. */
  metadataDocuments: MetadataDocumentPolicy;
  metadataDocumentCa?: string | undefined;
  /** RFC 8693 token exchange for sub-agents: on or off, and how deep a chain may go. */
  tokenExchange: { enabled: boolean; maxDepth: number; maxLiveChildren: number };
  /**
   * Bench only (bench/as-flows.ts): where oidc-provider keeps every model but `Client`,
   * in place of the knex adapter, to measure what the database costs. Clients, accounts
   * and Mandate's grants stay in the database. Production never sets it.
   */
  adapter?: ((model: string) => Adapter) | undefined;
}

/**
 * Dynamic client registration (RFC 7591) and management with the registration access
 * token (RFC 7592, rotated on every update). Ids say how the client came to be
 * (open-door/client-kind.ts); secrets are generated like the CLI's and stored hashed
 * by the adapter. What an app may register is checked before (open-door/check-registration.ts).
 */
function registrationFeatures({
  policy,
  initialAccessToken,
}: ProviderOptions['registration']): Pick<
  NonNullable<Configuration['features']>,
  'registration' | 'registrationManagement'
> {
  const enabled = policy !== 'off';
  return {
    registration: {
      enabled,
      initialAccessToken: policy === 'initial_access_token' ? (initialAccessToken as string) : false,
      idFactory: () => `${REGISTERED_ID_PREFIX}${randomBytes(12).toString('base64url')}`,
      secretFactory: async () => generateClientSecret(),
      issueRegistrationAccessToken: true,
    },
    registrationManagement: { enabled, rotateRegistrationAccessToken: true },
  };
}

/** The knex adapter, or the bench's override for every model but `Client` (clients stay in their table). */
const withAdapterOverride =
  (database: (model: string) => Adapter, override: ProviderOptions['adapter']) => (model: string) =>
    override && model !== 'Client' ? override(model) : database(model);

const publicJwk = ({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub }: JWK): JWK => pub;

/** oidc-provider configured for Mandate: code + PKCE only, JWT access tokens for the proxy. */
export function createProvider(options: ProviderOptions, stores: Stores, logger: Logger): Provider {
  const { issuer, proxyUrl } = options;
  const getResourceServerInfo = createGetResourceServerInfo({
    proxyUrl,
    accessTokenTtl: options.accessTokenTtl,
    openDoorScopes: options.openDoorScopes,
  });

  // Claims of tokens issued by token exchange beyond oidc-provider's own (`act`).
  const extraClaims = new WeakMap<object, Record<string, unknown>>();
  const secure = isSecureIssuer(issuer);
  const names = cookieNames(secure);
  const documents = createMetadataDocuments(options.metadataDocuments, {
    clock: stores.clock,
    logger,
    extraCa: options.metadataDocumentCa,
  });
  const configuration: Configuration = {
    // The one fetch oidc-provider may make: a metadata document, guarded (open-door/guarded-fetch.ts).
    fetch: documents.fetch as Configuration['fetch'],
    fetchResponseBodyLimits: documents.fetchResponseBodyLimits,
    adapter: withAdapterOverride(
      createOidcAdapterFactory({
        db: stores.db,
        clock: stores.clock,
        revocations: stores.revocations,
        grantRevocationReason: grantRevocationReasonFromRequest,
      }),
      options.adapter,
    ),
    clients: [
      {
        client_id: options.proxyClient.id,
        client_secret: hashClientSecret(options.proxyClient.secret),
        client_name: 'Mandate proxy',
        grant_types: [],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    async findAccount(_ctx, id) {
      const account = await stores.accounts.findById(id);
      if (!account) return undefined;
      return { accountId: account.id, claims: async () => ({ sub: account.id }) };
    },
    jwks: { keys: options.signingKeys as JWK[] } as Configuration['jwks'],
    cookies: {
      keys: [...options.cookieKeys],
      // `__Host-`/`__Secure-` names on an https issuer (http/cookie-names.ts); Secure
      // there explicitly, since a prefixed cookie without it is dropped by the browser.
      names: { session: names.session, interaction: names.interaction, resume: names.resume },
      long: { signed: true, httpOnly: true, sameSite: 'lax', ...(secure ? { secure: true } : {}) },
      short: { signed: true, httpOnly: true, sameSite: 'lax', ...(secure ? { secure: true } : {}) },
    },
    scopes: ['openid'],
    claims: { openid: ['sub'] },
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      response_modes: ['query'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
      // Every app may ask for limits with RFC 9396 authorization details.
      authorization_details_types: [AI_ACCESS_TYPE],
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256'],
      requestObjectSigningAlgValues: ['ES256'],
      userinfoSigningAlgValues: ['ES256'],
      introspectionSigningAlgValues: ['ES256'],
      authorizationSigningAlgValues: ['ES256'],
      clientAuthSigningAlgValues: ['ES256'],
      // DPoP proofs (RFC 9449): the same list the proxy's proof check accepts.
      dPoPSigningAlgValues: DPOP_ALGORITHMS,
    },
    extraClientMetadata: {
      properties: ['allowed_ai_scopes'],
      validator(_ctx, key, given, metadata) {
        if (key !== 'allowed_ai_scopes') return;
        // An app that names AI scopes in its own `scope` (a metadata document) asks for
        // them as its allowed scopes, which the open-door policy still bounds
        // (resource-server.ts); only OIDC scopes stay in `scope`, as oidc-provider knows no other.
        const m = metadata as unknown as { scope?: unknown; allowed_ai_scopes?: unknown };
        let value = given;
        if (typeof m.scope === 'string') {
          const scopes = splitScopeParam(m.scope);
          const ai = scopes.filter(isAiScope);
          if (ai.length > 0) {
            const oidc = scopes.filter((s) => !isAiScope(s));
            if (oidc.length > 0) m.scope = oidc.join(' ');
            else delete m.scope;
            if (value === undefined) {
              value = ai.join(' ');
              m.allowed_ai_scopes = value;
            }
          }
        }
        if (value === undefined) return;
        if (typeof value !== 'string')
          throw new TypeError('allowed_ai_scopes must be a space-separated string');
        for (const scope of splitScopeParam(value)) {
          if (!isScopeToken(scope) || !parseScope(scope).ok)
            throw new TypeError(`allowed_ai_scopes: invalid scope ${scope}`);
        }
      },
    },
    features: {
      devInteractions: { enabled: false },
      ...registrationFeatures(options.registration),
      clientIdMetadataDocument: documents.feature,
      // A token request with a DPoP proof gets tokens bound to its key (`cnf.jkt`);
      // a client registered with `dpop_bound_access_tokens` must send one.
      dPoP: { enabled: true },
      // RFC 8628: the device shows a short code the person types at /device, then the
      // same sign-in and consent as a code grant (interactions/routes.ts).
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        async userCodeInputSource(ctx, form, _out, err) {
          // Cancel on the confirmation page reaches here as an error; it is the person's choice.
          if (err?.name === 'AbortedError') {
            ctx.type = 'text/html; charset=utf-8';
            ctx.body = renderMessage({
              title: 'Device not connected',
              message:
                'You cancelled: nothing was allowed, and your device is told so. You can close this window.',
            });
            return;
          }
          const error =
            err && ((err as { userCode?: string }).userCode || err.name === 'NoCodeError')
              ? 'That code is not valid or has expired. Check the code on your device and try again.'
              : err
                ? 'That request could not be completed. Start again on your device.'
                : undefined;
          ctx.type = 'text/html; charset=utf-8';
          ctx.body = renderDeviceCodeInput({ form, ...(error ? { error } : {}) });
        },
        async userCodeConfirmSource(ctx, form, client, _deviceInfo, userCode) {
          ctx.state[USER_CODE_ACCEPTED] = true;
          ctx.type = 'text/html; charset=utf-8';
          ctx.body = renderDeviceCodeConfirm({
            form,
            appName:
              clientDomain(client.clientId) ?? (client.clientName as string | undefined) ?? client.clientId,
            userCode,
          });
        },
        async successSource(ctx) {
          ctx.type = 'text/html; charset=utf-8';
          ctx.body = renderMessage({
            title: 'Device connected',
            message: 'You can close this window and go back to your device.',
          });
        },
      },
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: false },
      revocation: {
        enabled: true,
        // A client may revoke only its own tokens; a confidential client asking for
        // another's is told so, a public one is answered as if it had worked (RFC 7009).
        async allowedPolicy(_ctx, client, token) {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none') return false;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client) => client.clientId === options.proxyClient.id,
      },
      richAuthorizationRequests: createRichAuthorizationRequests({
        currentLimits: async (grantId) => (await stores.grants.find(grantId))?.limits,
      }) as never,
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => proxyUrl,
        useGrantedResource: async () => true,
        getResourceServerInfo: getResourceServerInfo as never,
      },
    },
    // Raise requests name the grant whose limits they ask to raise.
    extraParams: raiseRequestParams as never,
    interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // Browser apps may call the token, revocation and introspection endpoints from the
    // origins of their own redirect URIs, and from nowhere else.
    clientBasedCORS(_ctx, origin, client) {
      return client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) ?? false;
    },
    // Every authorization shows the consent page, where the person sets the terms: only
    // the grant approved in this very interaction is loaded, never an older one.
    async loadExistingGrant(ctx) {
      const grantId = (ctx.oidc.result as { consent?: { grantId?: string } } | undefined)?.consent?.grantId;
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    // Apps keep working when the person signs out of Mandate's own pages.
    expiresWithSession: async () => false,
    // AI grants get a refresh token without asking for offline_access.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    extraTokenClaims: async (_ctx, token) =>
      token.kind === 'AccessToken'
        ? { grant_id: (token as { grantId?: string }).grantId, ...extraClaims.get(token) }
        : undefined,
    ttl: createLifetimes(options) as Configuration['ttl'],
    // An error that cannot go back to the app (no trusted redirect): a page in plain words
    // naming the app when it is known (a metadata-document app by its domain, as the
    // account pages do), the OAuth code only in the developer's details.
    async renderError(ctx, out) {
      const client = ctx.oidc?.client;
      const appName = client
        ? (clientDomain(client.clientId) ?? (client.clientName as string | undefined) ?? client.clientId)
        : undefined;
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = renderOAuthError({
        code: out.error,
        ...(out.error_description ? { description: out.error_description } : {}),
        ...(appName ? { appName } : {}),
      });
    },
  };

  const provider = new Provider(issuer, configuration);
  provider.proxy = options.trustProxy;
  provider.maxIpsCount = 1;
  const verifyAccessToken = createAccessTokenVerifier({
    publicJwks: { keys: options.signingKeys.map(publicJwk) },
    issuer,
    audience: proxyUrl,
    clock: stores.clock,
  });
  useHashedClientSecrets(provider);
  if (options.tokenExchange.enabled) {
    allowTokenExchange(provider, TOKEN_EXCHANGE);
    provider.registerGrantType(
      TOKEN_EXCHANGE,
      createTokenExchangeGrant({
        proxyUrl,
        maxDepth: options.tokenExchange.maxDepth,
        maxLiveChildren: options.tokenExchange.maxLiveChildren,
        verifyAccessToken,
        stores,
        extraClaims,
      }) as never,
      TOKEN_EXCHANGE_PARAMETERS,
    );
  }
  refuseDisabledClients(provider, stores.disabledClients.isDisabled);
  logProviderEvents(provider, logger);

  // Only the query response mode is allowed (clients are registered with it), so only it
  // is advertised; form_post would need inline script the pages' CSP forbids.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route === 'discovery' && ctx.body) {
      const body = ctx.body as {
        response_modes_supported?: string[];
        scopes_supported?: string[];
        grant_management_actions_supported?: string[];
      };
      body.response_modes_supported = ['query'];
      // Raise requests (`grant_id`): of OAuth Grant Management, only the update action.
      body.grant_management_actions_supported = ['update'];
      // AI scopes are checked by Mandate, not declared to oidc-provider: published here.
      body.scopes_supported = ['openid', ...options.openDoorScopes];
    }
  });
  provider.use(
    createUserCodeThrottle({
      store: stores.loginFailures,
      maxFailures: options.userCodeMaxFailures,
      path: '/device',
    }) as (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>,
  );
  provider.use(
    createDevicePolling({ tokenPath: '/token', ttlMs: options.deviceCodeTtl * 1000 }) as (
      ctx: KoaContextWithOIDC,
      next: () => Promise<void>,
    ) => Promise<void>,
  );
  provider.use(
    createJwtTokenEndpoints({
      verifyAccessToken,
      grants: stores.grants,
      revocations: stores.revocations,
      introspectionClientId: options.proxyClient.id,
    }) as (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>,
  );
  return provider;
}
