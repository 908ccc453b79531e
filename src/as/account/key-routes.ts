import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { isProvider, type Provider, providerDisplayName, providerIds } from '../../scopes/index.ts';
import type { ProviderKeyJwks } from '../../shared/provider-key-crypto.ts';
import { providerKeyPrefix } from '../../shared/provider-key-format.ts';
import type { Account } from '../../storage/account-store.ts';
import type { Stores } from '../../storage/index.ts';
import type { Csrf } from '../http/csrf.ts';
import { sendHtml } from '../http/html-response.ts';
import { saveProviderKey } from '../keys/save-provider-key.ts';
import { renderConfirm, renderMessage, renderProviderKeys } from '../views/index.ts';
import type { AccountState, createSignedIn } from './signed-in.ts';

export interface ProviderKeyPagesDeps {
  /** The proxy's public key-encryption JWKS; without it keys can be deleted but not added. */
  publicJwks: ProviderKeyJwks | undefined;
  /** Providers the operator set a key for on this server (names only, never the keys). */
  operatorKeyProviders: readonly Provider[];
}

interface Deps extends ProviderKeyPagesDeps {
  stores: Stores;
  csrf: Csrf;
  signedIn: ReturnType<typeof createSignedIn>;
  log: Logger;
}

type Shown = { notice?: string; error?: { provider: Provider; message: string } };

/**
 * /account/keys: the person's provider keys, one per provider, shown only by their last
 * four characters; add or replace (encrypted to the proxy before it is stored) and delete.
 */
export function addProviderKeyRoutes(
  router: Router<AccountState>,
  { stores, csrf, signedIn, log, publicJwks, operatorKeyProviders }: Deps,
) {
  async function show(ctx: Context, account: Account, shown: Shown = {}, status = 200) {
    const stored = new Map(
      (await stores.providerKeys.listForAccount(account.id)).map((k) => [k.provider, k]),
    );
    sendHtml(
      ctx,
      renderProviderKeys({
        csrfToken: csrf.token(ctx),
        username: account.username,
        canStore: publicJwks !== undefined,
        providers: providerIds().map((provider) => {
          const key = stored.get(provider);
          return {
            provider,
            name: providerDisplayName(provider),
            prefix: providerKeyPrefix(provider),
            operatorKey: operatorKeyProviders.includes(provider),
            ...(key ? { stored: { last4: key.last4, updatedAt: new Date(key.updatedAt) } } : {}),
            ...(shown.error?.provider === provider ? { error: shown.error.message } : {}),
          };
        }),
        ...(shown.notice ? { notice: shown.notice } : {}),
      }),
      status,
    );
  }

  function notFound(ctx: Context) {
    sendHtml(
      ctx,
      renderMessage({ title: 'Not found', message: 'Mandate does not know that provider.', status: 'error' }),
      404,
    );
  }

  router.get('/account/keys', signedIn, async (ctx) => {
    const { account } = ctx.state;
    await show(ctx, account, { ...(await doneNotice(ctx, account)) });
  });

  /**
   * After a save or delete (post/redirect/get), the notice for `?saved=<provider>` or
   * `?deleted=<provider>`, said from what is stored now: a link cannot make the page
   * claim a key that is not there (or gone while it is there).
   */
  async function doneNotice(ctx: Context, account: Account): Promise<{ notice?: string }> {
    const { saved, replaced, deleted } = ctx.query;
    const provider = [saved, replaced, deleted].find((p) => typeof p === 'string');
    if (typeof provider !== 'string' || !isProvider(provider)) return {};
    const name = providerDisplayName(provider);
    const key = (await stores.providerKeys.listForAccount(account.id)).find((k) => k.provider === provider);
    if (deleted === provider && !key) {
      const after = operatorKeyProviders.includes(provider)
        ? ''
        : ` Apps you allowed to use ${name} cannot make requests there until you add a key again.`;
      return { notice: `Your ${name} key was deleted.${after}` };
    }
    if ((saved === provider || replaced === provider) && key)
      return {
        notice: `Your ${name} key ending in …${key.last4} was ${saved === provider ? 'saved' : 'replaced'}.`,
      };
    return {};
  }

  router.post('/account/keys/:provider', signedIn, async (ctx) => {
    const { account, form } = ctx.state as Required<AccountState>;
    const provider = ctx.params.provider as string;
    if (!isProvider(provider)) return notFound(ctx);
    if (!publicJwks) {
      const message =
        "This server cannot store new keys yet: its operator has not set up the proxy's encryption key.";
      return show(ctx, account, { error: { provider, message } }, 503);
    }
    const saved = await saveProviderKey(stores.providerKeys, publicJwks, {
      accountId: account.id,
      provider,
      key: form.get('key') ?? '',
    });
    if (!saved.ok) return show(ctx, account, { error: { provider, message: saved.error } }, 400);
    // The provider and the outcome only: not even the last four characters.
    log.info(
      { event: 'provider_key.saved', accountId: account.id, provider, outcome: saved.outcome },
      'provider key saved',
    );
    // Post/redirect/get: a reload shows the keys again instead of posting the key twice.
    ctx.status = 303;
    ctx.redirect(
      `/account/keys?${saved.outcome === 'added' ? 'saved' : 'replaced'}=${encodeURIComponent(provider)}`,
    );
  });

  // Deleting a key's confirmation step.
  router.get('/account/keys/:provider/delete', signedIn, async (ctx) => {
    const { account } = ctx.state;
    const provider = ctx.params.provider as string;
    if (!isProvider(provider)) return notFound(ctx);
    const name = providerDisplayName(provider);
    const key = (await stores.providerKeys.listForAccount(account.id)).find((k) => k.provider === provider);
    if (!key) {
      ctx.status = 303;
      return ctx.redirect('/account/keys');
    }
    sendHtml(
      ctx,
      renderConfirm({
        csrfToken: csrf.token(ctx),
        username: account.username,
        title: `Delete your ${name} key?`,
        consequences: [
          `Mandate forgets your ${name} key ending in …${key.last4}; nobody can get it back from Mandate.`,
          operatorKeyProviders.includes(provider)
            ? `Apps you allowed to use ${name} go on with the key this server's operator set up.`
            : `Apps you allowed to use ${name} cannot make requests there until you add a key again.`,
          'The key itself stays valid at the provider: revoke it there if it should stop working everywhere.',
        ],
        action: `/account/keys/${encodeURIComponent(provider)}/delete`,
        button: `Delete the ${name} key`,
        cancelHref: '/account/keys',
      }),
    );
  });

  router.post('/account/keys/:provider/delete', signedIn, async (ctx) => {
    const { account } = ctx.state;
    const provider = ctx.params.provider as string;
    if (!isProvider(provider)) return notFound(ctx);
    const name = providerDisplayName(provider);
    if (!(await stores.providerKeys.delete(account.id, provider))) {
      return show(ctx, account, { notice: `There was no ${name} key to delete.` }, 404);
    }
    log.info({ event: 'provider_key.deleted', accountId: account.id, provider }, 'provider key deleted');
    ctx.status = 303;
    ctx.redirect(`/account/keys?deleted=${encodeURIComponent(provider)}`);
  });
}
