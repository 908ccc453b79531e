import type { Writable } from 'node:stream';
import { decodeJwt } from 'jose';
import OpenAI from 'openai';
import { registerClient } from '../as/register-client.ts';
import type { ProviderKeyJwks } from '../shared/provider-key-crypto.ts';
import type { Stores } from '../storage/index.ts';
import { startCallbackServer } from './callback-server.ts';
import { DemoError } from './demo-error.ts';
import { type FakeOpenAI, startFakeOpenAI } from './fake-openai.ts';
import { authorizationUrl, codeFromCallback, discover, exchangeCode } from './oauth-client.ts';
import { createPkce, randomState } from './pkce.ts';
import { storePlaceholderKey } from './placeholder-key.ts';

export interface DemoOptions {
  issuer: string;
  proxyUrl: string;
  stores: Pick<Stores, 'clients' | 'accounts' | 'providerKeys'>;
  /** The proxy's public key-encryption keys (for the placeholder key only). */
  publicJwks: () => ProviderKeyJwks;
  out: Writable;
  model: string;
  prompt: string;
  /** Who will sign in (`--user`): required with the fake, which needs a key stored for them. */
  user?: string;
  /** Answer from the built-in fake OpenAI on this loopback port instead of OpenAI. */
  fakeUpstream?: { port: number };
  /** Opens the authorization URL in a browser (`--open`). */
  openBrowser?: (url: string) => void;
  /** How long to wait for the person in the browser. */
  callbackTimeoutMs?: number;
  /** Aborted on Ctrl-C: the wait ends and the placeholder key is removed before the exit. */
  signal?: AbortSignal;
}

const TEN_MINUTES = 10 * 60 * 1000;

function within<T>(promise: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: () => void = () => undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DemoError(what)), ms);
    onAbort = () => reject(new DemoError('interrupted'));
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, stopped]).finally(() => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  });
}

/** Checks the proxy answers at its URL and names this issuer as its authorization server. */
async function checkProxy(proxyUrl: string, issuer: string): Promise<void> {
  const where = `${proxyUrl}/.well-known/oauth-protected-resource`;
  const meta = (await fetch(where, { signal: AbortSignal.timeout(5000) })
    .then((res) => res.json())
    .catch(() => undefined)) as { authorization_servers?: string[] } | undefined;
  if (!meta) {
    throw new DemoError(
      `no Mandate proxy answers at ${proxyUrl} (proxy.url, MANDATE_PROXY_URL): start Mandate first (./scripts/mandate.sh start)`,
    );
  }
  if (!meta.authorization_servers?.includes(issuer)) {
    throw new DemoError(
      `the proxy at ${proxyUrl} belongs to ${meta.authorization_servers}, not to ${issuer}`,
    );
  }
}

/** The person of `--user`; with the fake, one must be named (their placeholder key must exist before consent). */
async function choosePerson(options: DemoOptions, fake: boolean) {
  if (!options.user) {
    if (fake)
      throw new DemoError(
        'with --fake-upstream, name the person who will sign in: --user NAME (consent needs an OpenAI key stored for them, so the demo stores a placeholder one until it ends)',
      );
    return undefined;
  }
  const person = await options.stores.accounts.findByUsername(options.user);
  if (!person)
    throw new DemoError(
      `no person named ${options.user}; add them with ./scripts/mandate.sh user add ${options.user}`,
    );
  return person;
}

/** What to say when the proxy refused the call, by its Mandate error code. */
function hintFor(err: InstanceType<typeof OpenAI.APIError>, issuer: string, fake?: FakeOpenAI): string {
  const code = String(err.code ?? '');
  if (code === 'no_provider_key')
    return `store your OpenAI key at ${issuer}/account/keys (or ./scripts/mandate.sh key set --user NAME --provider openai), or run the demo with --fake-upstream`;
  if (fake && (code === 'upstream_key_rejected' || code.startsWith('upstream_') || fake.answered() === 0))
    return `the proxy did not reach the fake OpenAI: start Mandate with MANDATE_OPENAI_BASE_URL=${fake.url} (README, "Try it")`;
  return 'see docs/app-developers.md#errors';
}

/**
 * `mandate demo`: a small app doing what every Mandate app does, printing each step.
 * It registers itself (the registration `mandate client add` does), serves its redirect
 * URI on a random loopback port, sends the person to sign in and consent, exchanges the
 * code with PKCE, and asks the model one question through the proxy with the official
 * openai SDK, the access token as the API key.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  const { issuer, proxyUrl, stores, out } = options;
  const say = (line: string) => out.write(`${line}\n`);
  const step = (line: string) => say(`[demo] ${line}`);
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const meta = await discover(issuer);
    await checkProxy(proxyUrl, issuer);
    step(`Mandate is running: authorization server ${issuer}, proxy ${proxyUrl}`);

    let fake: FakeOpenAI | undefined;
    if (options.fakeUpstream) {
      fake = await startFakeOpenAI({ host: '127.0.0.1', port: options.fakeUpstream.port, say }).catch(
        (err: NodeJS.ErrnoException) => {
          throw new DemoError(
            `the fake OpenAI cannot listen on 127.0.0.1:${options.fakeUpstream?.port} (${err.code ?? err.message}); choose another with --fake-port`,
          );
        },
      );
      cleanups.push(() => (fake as FakeOpenAI).close());
      step(
        `answers come from the fake OpenAI at ${fake.url}, if Mandate was started with MANDATE_OPENAI_BASE_URL=${fake.url}`,
      );
    }

    const person = await choosePerson(options, fake !== undefined);
    if (person && fake) {
      const placeholder = await storePlaceholderKey(stores, options.publicJwks, person.id);
      if (placeholder) {
        cleanups.push(async () => {
          if (await placeholder.remove())
            step(`removed the placeholder OpenAI key (…${placeholder.last4}) of ${person.username} again`);
        });
        step(
          `${person.username} has no OpenAI key stored, and consent and the proxy need one: stored a placeholder key (…${placeholder.last4}) for ${person.username}, which only the fake accepts; the demo removes it when it ends`,
        );
      } else {
        step(
          `${person.username} has an OpenAI key stored: the proxy puts it on the request to the fake, which ignores it and prints nothing of it`,
        );
      }
    } else if (person && !(await stores.providerKeys.get(person.id, 'openai'))) {
      step(
        `note: ${person.username} has no OpenAI key stored, so the consent page will refuse; store one at ${issuer}/account/keys first`,
      );
    }

    const callback = await startCallbackServer();
    cleanups.push(() => callback.close());
    const scope = `openai:${options.model}:chat`;
    const app = await registerClient(stores.clients, {
      name: 'Mandate demo',
      redirectUris: [callback.redirectUri],
      allowedScopes: [scope],
      confidential: false,
    }).catch((err: Error) => {
      throw new DemoError(`cannot register the demo app: ${err.message}`);
    });
    step(
      `1. Registered the app "Mandate demo" as ${app.clientId} (public client, PKCE), as \`mandate client add\` does:`,
    );
    step(`   redirect URI ${callback.redirectUri} (served by this process), scope ${scope}`);

    const pkce = createPkce();
    const state = randomState();
    const url = authorizationUrl(meta, {
      clientId: app.clientId,
      redirectUri: callback.redirectUri,
      scope,
      state,
      challenge: pkce.challenge,
      resource: proxyUrl,
    });
    step('2. Open this address in your browser, sign in to Mandate and allow the demo:');
    say('');
    say(`   ${url}`);
    say('');
    options.openBrowser?.(url.toString());
    step(`   waiting for the browser to come back to ${callback.redirectUri} …`);
    const callbackUrl = await within(
      callback.received,
      options.callbackTimeoutMs ?? TEN_MINUTES,
      'nobody came back from the browser in time; run the demo again',
      options.signal,
    );

    const code = codeFromCallback(callbackUrl, { state, issuer });
    step(
      `3. Back from Mandate with an authorization code; exchanging it with the PKCE verifier at ${meta.token_endpoint}`,
    );
    const tokens = await exchangeCode(meta, {
      clientId: app.clientId,
      redirectUri: callback.redirectUri,
      code,
      verifier: pkce.verifier,
    });
    const accountId = String(decodeJwt(tokens.access_token).sub);
    const account = await stores.accounts.findById(accountId);
    if (person && accountId !== person.id) {
      throw new DemoError(`signed in as ${account?.username ?? accountId}, not ${person.username} (--user)`);
    }
    step(
      `   got an access token for the proxy (a JWT, valid ${tokens.expires_in} s)${tokens.refresh_token ? ' and a refresh token' : ''}; ${account?.username ?? accountId} granted: ${tokens.scope}`,
    );

    const baseURL = `${proxyUrl}/openai/v1`;
    step(
      `4. Asking ${options.model} through the proxy with the official openai SDK: baseURL ${baseURL}, the access token as apiKey`,
    );
    step(`   question: ${options.prompt}`);
    const openai = new OpenAI({
      apiKey: tokens.access_token,
      baseURL,
      organization: null,
      project: null,
      maxRetries: 0,
    });
    let answer: string;
    try {
      const completion = await openai.chat.completions.create(
        { model: options.model, messages: [{ role: 'user', content: options.prompt }] },
        options.signal ? { signal: options.signal } : {},
      );
      answer = completion.choices[0]?.message.content ?? '';
    } catch (err) {
      if (options.signal?.aborted) throw new DemoError('interrupted');
      if (err instanceof OpenAI.APIError) {
        throw new DemoError(
          `the proxy answered ${err.status}: ${err.message}\n  ${hintFor(err, issuer, fake)}`,
        );
      }
      throw err;
    }
    if (fake && fake.answered() === 0) {
      throw new DemoError(
        `an answer came back, but not from the fake OpenAI: Mandate forwards to another upstream; start it with MANDATE_OPENAI_BASE_URL=${fake.url}`,
      );
    }
    step(`5. ${fake ? 'The fake model' : 'The model'} answered:`);
    say('');
    say(`   ${answer}`);
    say('');
    step(
      `Done. The demo app, its grant and this request's usage are on your account page: ${issuer}/account`,
    );
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}
