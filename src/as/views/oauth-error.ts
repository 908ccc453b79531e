import { html } from './html.ts';
import { layout } from './layout.ts';

export type OAuthErrorView = {
  /** The OAuth error code (`invalid_redirect_uri`): shown only in the developer's details. */
  code: string;
  description?: string;
  /** The app's name, when Mandate knows which app sent the person. */
  appName?: string;
};

/** What went wrong, in the person's words, by OAuth error code. */
const WORDS: Readonly<Record<string, { title: string; text: (app: string) => string }>> = {
  invalid_redirect_uri: {
    title: 'Mandate cannot send you back to this app',
    text: (app) =>
      `${app} asked Mandate to send you back to an address it has not registered, so Mandate stops here to keep you safe. Nothing was allowed.`,
  },
  invalid_client: {
    title: 'Mandate does not know this app',
    text: (app) =>
      `${app} is not registered with this Mandate server, or its registration is not valid. Nothing was allowed.`,
  },
  invalid_request: {
    title: 'The app’s request could not be used',
    text: (app) => `${app} sent Mandate a request that is incomplete or not valid. Nothing was allowed.`,
  },
  invalid_scope: {
    title: 'The app asked for access Mandate cannot give',
    text: (app) => `${app} asked for permissions this server does not offer it. Nothing was allowed.`,
  },
  unauthorized_client: {
    title: 'This app may not sign you in this way',
    text: (app) => `${app} is not allowed to make this kind of request. Nothing was allowed.`,
  },
  session_not_found: {
    title: 'This sign-in link has expired',
    text: (app) => `The page you came from is no longer valid. Go back to ${app} and start again.`,
  },
};

const FALLBACK = {
  title: 'Mandate could not finish this request',
  text: (app: string) => `Something went wrong between ${app} and Mandate. Nothing was allowed.`,
};

/**
 * An error oidc-provider could not send back to the app (no trusted redirect): plain
 * words with the app's name, what to do next, and a way back (never a link to the
 * app's unverified address); the OAuth code and description only in a disclosure for
 * the app's developer.
 */
export function renderOAuthError({ code, description, appName }: OAuthErrorView): string {
  const words = WORDS[code] ?? FALLBACK;
  const app = appName ?? 'The app';
  const body = html`<h1>${words.title}</h1>
<div class="alert alert-error" role="alert"><p>${words.text(app)}</p></div>
<h2>What you can do</h2>
<ul>
<li>Go back to ${appName ?? 'the app'} and try again. If it happens again, tell the app’s makers what this page says.</li>
<li>See which apps can use your AI accounts on your <a href="/account">Mandate account</a>.</li>
</ul>
<details class="developer-details">
<summary>Details for the app’s developer</summary>
<p><code>${code}</code>${description && html`: ${description}`}</p>
</details>`;
  return layout({ title: words.title, body });
}
