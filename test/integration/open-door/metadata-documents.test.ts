import { expect } from 'chai';
import { engines } from '../../support/databases.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import {
  type DocumentServer,
  generateTestCertificate,
  json,
  startDocumentServer,
} from '../../support/test-tls.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

/** A metadata document for `url`, as a native app would publish it. */
function documentFor(url: string, extra: Record<string, unknown> = {}) {
  return {
    client_id: url,
    client_name: 'Doc app',
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'none',
    ...extra,
  };
}

/** An authorization request naming `clientId`: accepted (a redirect to the sign-in page) or refused (a page). */
async function authorizeWith(as: RunningAs, clientId: string) {
  const url = new URL(`${as.issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openai:*:chat',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    resource: as.proxyUrl,
  }).toString();
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), body: await res.text() };
}

function refusals(as: RunningAs): Array<{ url?: unknown; reason?: unknown }> {
  return as.logs.lines().filter((l) => l.event === 'client_metadata_document' && l.outcome === 'refused');
}

/*
 * The guard on what the authorization server fetches when an https URL is a client_id:
 * public addresses only, no redirects, size and time limits, the document's own
 * client_id, allowed hosts, a per-host rate limit, and a cache that keeps each document
 * for its lifetime (within the operator's bounds): nothing fetched twice in that window.
 */
for (const engine of engines) {
  describe(`open door: Client ID Metadata Document guard (${engine})`, () => {
    const tls = generateTestCertificate();
    let docs: DocumentServer;

    before(async () => {
      docs = await startDocumentServer(tls);
    });
    after(async () => {
      await docs?.close();
    });

    describe('public addresses only (the default)', () => {
      let as: RunningAs;
      before(async () => {
        as = await startAuthorizationServer(
          engine,
          { as: { openDoor: { metadataDocuments: { allowedHosts: ['*'] } } } },
          undefined,
          { metadataDocumentCa: tls.cert },
        );
      });
      after(async () => {
        await as?.close();
      });

      it('refuses loopback, private, link-local and metadata addresses, by name or literal, before connecting', async () => {
        docs.route('/private.json', json(documentFor(`${docs.origin}/private.json`)));
        for (const clientId of [
          `https://localhost:${docs.port}/private.json`,
          `https://127.0.0.1:${docs.port}/private.json`,
          `https://[::1]:${docs.port}/private.json`,
          'https://169.254.169.254/latest/meta-data.json',
          'https://10.0.0.8/app.json',
          'https://192.168.1.1/app.json',
          'https://[::ffff:127.0.0.1]/app.json',
          'https://[fd00::1]/app.json',
        ]) {
          const res = await authorizeWith(as, clientId);
          expect(res.status, clientId).to.equal(400);
          expect(res.location, clientId).to.equal(null);
          expect(res.body, clientId).to.include('invalid_client');
        }
        expect(docs.hits('/private.json')).to.equal(0);
        const reasons = refusals(as).map((r) => String(r.reason));
        expect(reasons.filter((r) => r.includes('not a public address'))).to.have.length(8);
      });

      it('a plain http URL is no client id at all', async () => {
        const res = await authorizeWith(as, `http://localhost:${docs.port}/private.json`);
        expect(res.status).to.equal(400);
        expect(docs.hits('/private.json')).to.equal(0);
      });
    });

    describe('with loopback allowed for the test server', () => {
      let as: RunningAs;
      before(async () => {
        as = await startAuthorizationServer(
          engine,
          {
            as: {
              openDoor: {
                metadataDocuments: {
                  allowedHosts: ['localhost'],
                  allowPrivateAddresses: true,
                  fetchTimeoutMs: 300,
                  maxBytes: 1024,
                  fetchesPerHostPerMinute: 100,
                  cacheSeconds: { min: 300, max: 3600 },
                },
              },
            },
          },
          undefined,
          { metadataDocumentCa: tls.cert },
        );
      });
      after(async () => {
        await as?.close();
      });

      const at = (path: string) => `${docs.origin}${path}`;

      it('accepts a valid document and keeps it for its lifetime: fetched once for many requests', async () => {
        docs.route('/ok.json', json(documentFor(at('/ok.json')), { 'cache-control': 'max-age=600' }));
        // No caching headers at all: kept for the operator's minimum.
        docs.route('/nocache.json', json(documentFor(at('/nocache.json')), { 'cache-control': 'no-store' }));
        for (let i = 0; i < 3; i++) {
          for (const path of ['/ok.json', '/nocache.json']) {
            const res = await authorizeWith(as, at(path));
            expect(res.status, path).to.equal(303);
            expect(res.location, path).to.match(/\/interaction\//);
          }
        }
        expect(docs.hits('/ok.json')).to.equal(1);
        expect(docs.hits('/nocache.json')).to.equal(1);
      });

      it('refuses a redirect without following it', async () => {
        docs.route('/moved.json', (_req, res) => {
          res.writeHead(302, { location: at('/target.json') }).end();
        });
        docs.route('/target.json', json(documentFor(at('/moved.json'))));
        const res = await authorizeWith(as, at('/moved.json'));
        expect(res.status).to.equal(400);
        expect(res.body).to.include('invalid_client');
        expect(docs.hits('/target.json')).to.equal(0);
        expect(refusals(as).some((r) => String(r.reason).includes('redirect (302)'))).to.equal(true);
      });

      it('refuses an oversized document, declared or streamed', async () => {
        const big = documentFor(at('/big.json'), { client_name: 'x'.repeat(2000) });
        docs.route('/big.json', json(big));
        docs.route('/stream.json', (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(JSON.stringify(documentFor(at('/stream.json'))).slice(0, -1));
          res.write(`, "padding": "${'p'.repeat(4000)}"}`);
          res.end();
        });
        for (const path of ['/big.json', '/stream.json']) {
          const res = await authorizeWith(as, at(path));
          expect(res.status, path).to.equal(400);
          expect(res.body, path).to.include('invalid_client');
        }
        const reasons = refusals(as).map((r) => String(r.reason));
        expect(reasons.filter((r) => r.includes('larger than 1024 bytes'))).to.have.length(2);
      });

      it('refuses a document that does not answer in time', async () => {
        const held: Array<() => void> = [];
        docs.route('/slow.json', (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"client_id":');
          held.push(() => res.end());
        });
        const started = performance.now();
        const res = await authorizeWith(as, at('/slow.json'));
        const took = performance.now() - started;
        for (const release of held) release();
        expect(res.status).to.equal(400);
        expect(took).to.be.within(250, 2400);
        expect(refusals(as).some((r) => String(r.reason).includes('within 300 ms'))).to.equal(true);
      });

      it('refuses a document whose client_id is not its URL, or that is not public, or with a plain http redirect', async () => {
        docs.route('/other.json', json(documentFor(at('/elsewhere.json'))));
        docs.route(
          '/secret.json',
          json(documentFor(at('/secret.json'), { token_endpoint_auth_method: 'client_secret_basic' })),
        );
        docs.route(
          '/http.json',
          json(documentFor(at('/http.json'), { redirect_uris: ['http://app.example/cb', REDIRECT] })),
        );
        for (const path of ['/other.json', '/secret.json', '/http.json']) {
          const res = await authorizeWith(as, at(path));
          expect(res.status, path).to.equal(400);
          expect(res.body, path).to.include('invalid_client');
        }
        expect(docs.hits('/other.json')).to.equal(1);
      });

      it('refuses a host not on the allow-list without fetching', async () => {
        docs.route('/ip.json', json(documentFor(`https://127.0.0.1:${docs.port}/ip.json`)));
        const res = await authorizeWith(as, `https://127.0.0.1:${docs.port}/ip.json`);
        expect(res.status).to.equal(400);
        expect(res.body).to.include('does not accept client ids from 127.0.0.1');
        expect(docs.hits('/ip.json')).to.equal(0);
      });
    });

    it('rate limits fetches per host: a failing document is not fetched again and again', async () => {
      const as = await startAuthorizationServer(
        engine,
        {
          as: {
            openDoor: {
              metadataDocuments: {
                allowedHosts: ['localhost'],
                allowPrivateAddresses: true,
                fetchesPerHostPerMinute: 2,
              },
            },
          },
        },
        undefined,
        { metadataDocumentCa: tls.cert },
      );
      try {
        // Five refused documents on one host: two fetched, the rest refused unfetched.
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) {
          docs.route(`/wrong${i}.json`, json(documentFor('https://localhost/not-this.json')));
          statuses.push((await authorizeWith(as, `${docs.origin}/wrong${i}.json`)).status);
        }
        expect(statuses.every((s) => s === 400)).to.equal(true);
        const hits = [0, 1, 2, 3, 4].map((i) => docs.hits(`/wrong${i}.json`));
        expect(hits).to.deep.equal([1, 1, 0, 0, 0]);
        const last = await authorizeWith(as, `${docs.origin}/wrong4.json`);
        expect(last.body).to.include('too many metadata document fetches');
        // The same refused document asked for again is not fetched again either.
        await authorizeWith(as, `${docs.origin}/wrong0.json`);
        expect(docs.hits('/wrong0.json')).to.equal(1);
      } finally {
        await as.close();
      }
    });

    it('an untrusted certificate is refused (no operator CA)', async () => {
      const as = await startAuthorizationServer(engine, {
        as: { openDoor: { metadataDocuments: { allowedHosts: ['localhost'], allowPrivateAddresses: true } } },
      });
      try {
        docs.route('/untrusted.json', json(documentFor(`${docs.origin}/untrusted.json`)));
        const res = await authorizeWith(as, `${docs.origin}/untrusted.json`);
        expect(res.status).to.equal(400);
        expect(
          refusals(as).some((r) => /certificate|SELF_SIGNED|DEPTH_ZERO/i.test(String(r.reason))),
        ).to.equal(true);
      } finally {
        await as.close();
      }
    });

    it('off by default: an https client_id is an unknown client, nothing fetched', async () => {
      const as = await startAuthorizationServer(engine, {}, undefined, { metadataDocumentCa: tls.cert });
      try {
        const metadata = (await (
          await fetch(`${as.issuer}/.well-known/oauth-authorization-server`)
        ).json()) as Record<string, unknown>;
        expect(metadata).not.to.have.property('client_id_metadata_document_supported');
        docs.route('/off.json', json(documentFor(`${docs.origin}/off.json`)));
        const res = await authorizeWith(as, `${docs.origin}/off.json`);
        expect(res.status).to.equal(400);
        expect(docs.hits('/off.json')).to.equal(0);
      } finally {
        await as.close();
      }
    });
  });
}
