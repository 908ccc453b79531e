import { expect } from 'chai';
import {
  renderAccount,
  renderChangePassword,
  renderConsent,
  renderLogin,
  renderMessage,
} from '../../../../src/as/views/index.ts';
import { renderOperatorApps } from '../../../../src/as/views/operator/operator-apps.ts';
import { renderOperatorAudit } from '../../../../src/as/views/operator/operator-audit.ts';
import { renderOperatorGrants } from '../../../../src/as/views/operator/operator-grants.ts';
import { renderOperatorPeople } from '../../../../src/as/views/operator/operator-people.ts';
import { attrBreakout, csrfToken, escapedBreakout, escapedScript, scriptName } from './fixtures.ts';
import { assertPage } from './html-checks.ts';

// Every page in every state: one h1, labelled inputs, no inline style or script, csrf on every form,
// and hostile strings rendered inert.
const evil = `${scriptName}${attrBreakout}`;
const when = new Date('2025-01-01T00:00:00Z');

const pages: Array<[string, string, string | undefined]> = [
  ['login', renderLogin({ action: '/i/1/login', csrfToken }), csrfToken],
  [
    'login, all options',
    renderLogin({
      action: '/i/1/login',
      csrfToken,
      username: evil,
      error: evil,
      clientName: evil,
      throttled: true,
    }),
    csrfToken,
  ],
  [
    'consent',
    renderConsent({
      action: '/i/1/confirm',
      csrfToken,
      client: { name: evil, redirectHost: evil },
      account: evil,
      groups: [
        { provider: evil, scopes: [{ value: evil, text: evil }] },
        { provider: 'Empty', scopes: [] },
      ],
      durations: [{ seconds: 60, label: evil, selected: true }],
      missingKeys: [evil],
      error: evil,
    }),
    csrfToken,
  ],
  [
    'consent, nothing requested',
    renderConsent({
      action: '/i/1/confirm',
      csrfToken,
      client: { name: 'A', redirectHost: 'a.example' },
      account: 'alice',
      groups: [],
      durations: [],
    }),
    csrfToken,
  ],
  ['account, empty', renderAccount({ csrfToken, username: evil, apps: [] }), csrfToken],
  [
    'account, apps',
    renderAccount({
      csrfToken,
      username: evil,
      notice: evil,
      apps: [1, 2, 3].map((n) => ({
        grantId: `${evil}${n}`,
        clientName: evil,
        scopes: n === 3 ? [] : [{ value: evil, text: evil }],
        grantedAt: when,
        expiresAt: when,
      })),
    }),
    csrfToken,
  ],
  ['password', renderChangePassword({ csrfToken, username: evil, error: evil, notice: evil }), csrfToken],
  ['message', renderMessage({ title: evil, message: evil }), undefined],
  [
    'message, error, signed in',
    renderMessage({ title: evil, message: evil, status: 'error', signedInAs: evil, csrfToken }),
    csrfToken,
  ],
  [
    'operator apps',
    renderOperatorApps({
      csrfToken,
      username: evil,
      notice: evil,
      apps: [
        { clientId: evil, name: evil, kind: evil, createdAt: when, liveGrants: 2, disabledAt: undefined },
        { clientId: 'b', name: 'B', kind: 'k', createdAt: undefined, liveGrants: 0, disabledAt: when },
      ],
    }),
    csrfToken,
  ],
  ['operator apps, none', renderOperatorApps({ csrfToken, username: 'olga', apps: [] }), csrfToken],
  [
    'operator people',
    renderOperatorPeople({
      csrfToken,
      username: evil,
      people: [
        {
          username: evil,
          operator: true,
          createdAt: when,
          liveGrants: 1,
          allGrants: 2,
          requests: 1234,
          tokens: 5,
          spendMicroUsd: 5_000_000,
        },
      ],
    }),
    csrfToken,
  ],
  [
    'operator grants',
    renderOperatorGrants({
      csrfToken,
      username: 'olga',
      all: true,
      grants: [
        {
          grantId: evil,
          username: evil,
          appName: evil,
          state: evil,
          createdAt: when,
          expiresAt: when,
          period: evil,
          scopes: [
            { scope: 'all', requests: evil, tokens: '1', spend: '$0.00' },
            { scope: 'openai', requests: '1', tokens: '1', spend: '$0.00' },
          ],
        },
      ],
    }),
    csrfToken,
  ],
  [
    'operator grants, none',
    renderOperatorGrants({ csrfToken, username: 'olga', all: false, grants: [] }),
    csrfToken,
  ],
  [
    'operator audit',
    renderOperatorAudit({
      csrfToken,
      username: 'olga',
      events: [{ at: when, title: evil, text: evil, username: evil, appName: evil, grantId: evil }],
      olderHref: '/operator/audit?before=5',
      newestHref: '/operator/audit',
    }),
    csrfToken,
  ],
];

describe('views: every page', () => {
  for (const [name, doc, token] of pages) {
    it(`${name} is accessible, CSP-safe, csrf-protected and escapes input`, () => {
      assertPage(doc, token);
      expect(doc).not.to.include(scriptName);
      expect(doc).not.to.include(attrBreakout);
      if (doc.includes('alert(1)')) expect(doc).to.include(escapedScript).and.include(escapedBreakout);
    });
  }
});
