import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Account, AccountStore } from '../../storage/account-store.ts';
import type { CookieNames } from './cookie-names.ts';

/**
 * The person's Mandate sign-in is oidc-provider's own session, read from its signed
 * cookie (the outer Koa app shares the provider's cookie keys), so signing in on the
 * account pages also counts for the next authorization and the other way round.
 * Signing out destroys that session only: grants and apps' refresh tokens live on.
 */
export function createBrowserSession(
  provider: Provider,
  accounts: AccountStore,
  { ttl, secure, names }: { ttl: number; secure: boolean; names: CookieNames },
) {
  async function findSession(ctx: Context) {
    const id = ctx.cookies.get(names.session, { signed: true });
    return id ? provider.Session.find(id) : undefined;
  }

  return {
    async account(ctx: Context): Promise<Account | undefined> {
      const session = await findSession(ctx);
      return session?.accountId ? accounts.findById(session.accountId) : undefined;
    },
    async signIn(ctx: Context, accountId: string): Promise<void> {
      const previous = await findSession(ctx);
      if (previous) await previous.destroy();
      const session = new provider.Session();
      session.loginAccount({ accountId });
      await session.save(ttl);
      ctx.cookies.set(names.session, session.jti, {
        signed: true,
        httpOnly: true,
        sameSite: 'lax',
        secure,
        expires: new Date(Date.now() + ttl * 1000),
      });
    },
    async signOut(ctx: Context): Promise<void> {
      const session = await findSession(ctx);
      if (session) await session.destroy();
      ctx.cookies.set(names.session, null, { signed: true, secure });
    },
  };
}

export type BrowserSession = ReturnType<typeof createBrowserSession>;
