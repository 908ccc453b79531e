import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import OpenAI from 'openai';
import { createGrantStore } from '../../../src/storage/grant-store.ts';
import { createRevocationStore } from '../../../src/storage/revocation-store.ts';
import { engines } from '../../support/databases.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';

/**
 * Every refusal of the request itself comes before the budget reserves anything: a
 * request refused for what its body says (stored state, here) leaves no reservation
 * behind and is not counted, so a grant with `max_requests: 3` still serves three.
 */
for (const engine of engines) {
  describe(`refusals leave no reservation (${engine})`, function () {
    this.timeout(60_000);
    let fx: ProxyFixture;

    before(async () => {
      fx = await startProxyFixture(engine);
    });
    after(async () => {
      await fx?.close();
    });
    beforeEach(() => fx.upstream.control.reset());

    async function cappedGrant(maxRequests: number) {
      const tokens = await fx.grant('openai:*:chat');
      const grantId = String(decodeJwt(tokens.accessToken).grant_id);
      const db = fx.as.database.db;
      const clock = () => Date.now();
      const lowered = await createGrantStore(db, clock, createRevocationStore(db, clock)).lowerLimits(
        grantId,
        {
          maxRequests,
        },
      );
      expect(lowered.ok).to.equal(true);
      await fx.proxy.revocationDelivered(grantId);
      return { ...tokens, grantId };
    }

    /** Reservation rows of the grant, open or not yet cleaned up: none may outlive its request. */
    const reservations = async (grantId: string) => {
      const [row] = await fx.as.database.db('reservations').where({ grant_id: grantId }).count({ n: '*' });
      return Number(row?.n ?? 0);
    };
    /** Reservations once the served requests settled (a request settles just after its answer ends). */
    const settledReservations = async (grantId: string) => {
      let open = await reservations(grantId);
      for (let i = 0; i < 100 && open > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        open = await reservations(grantId);
      }
      return open;
    };
    const requestsCounted = async (grantId: string) => {
      // The whole grant's counter rows (each request also counts in its provider's).
      const rows = await fx.as.database.db('grant_counters').where({ grant_id: grantId, scope: '*' });
      return rows.reduce((sum, row) => sum + Number(row.requests ?? 0), 0);
    };

    it('three stored-state refusals on a max_requests: 3 grant: no open reservation, then three served', async () => {
      const { accessToken, grantId } = await cappedGrant(3);
      const forwarded = fx.upstream.requests.length;
      const client = new OpenAI({ apiKey: accessToken, baseURL: fx.proxy.openaiBaseURL, maxRetries: 0 });
      const refused: Array<[string, () => Promise<unknown>]> = [
        [
          'previous_response_id',
          () =>
            client.responses.create({ model: 'gpt-4o-mini', input: 'hi', previous_response_id: 'resp_1' }),
        ],
        [
          'item_reference',
          () =>
            client.responses.create({
              model: 'gpt-4o-mini',
              input: [{ type: 'item_reference', id: 'msg_1' }],
            }),
        ],
        [
          'item_reference',
          () =>
            // The Responses API reads an input item with an id and no type as a reference too.
            client.responses.create({ model: 'gpt-4o-mini', input: [{ id: 'msg_2' } as never] }),
        ],
      ];
      for (const [what, call] of refused) {
        const err = (await call().catch((e: unknown) => e)) as InstanceType<
          typeof OpenAI.PermissionDeniedError
        >;
        expect(err, what).to.be.instanceOf(OpenAI.PermissionDeniedError);
        expect((err.error as { code?: string }).code, what).to.equal('stored_state_denied');
        expect(err.message, what).to.include(what);
        // The refusal is answered after everything it reserved, if anything, is closed.
        expect(await reservations(grantId), what).to.equal(0);
      }
      expect(fx.upstream.requests.length - forwarded).to.equal(0);
      expect(await requestsCounted(grantId)).to.equal(0);

      // The grant is whole: exactly three requests are served, the fourth is refused.
      for (let i = 0; i < 3; i++) {
        const answer = await client.responses.create({
          model: 'gpt-4o-mini',
          input: 'hi',
          max_output_tokens: 8,
        });
        expect(answer.object).to.equal('response');
      }
      const fourth = (await client.responses
        .create({ model: 'gpt-4o-mini', input: 'hi', max_output_tokens: 8 })
        .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.PermissionDeniedError>;
      expect(fourth).to.be.instanceOf(OpenAI.PermissionDeniedError);
      expect((fourth.error as { code?: string }).code).to.equal('limit_reached');
      expect(fx.upstream.requests.length - forwarded).to.equal(3);
      expect(await settledReservations(grantId)).to.equal(0);
      expect(await requestsCounted(grantId)).to.equal(3);
    });

    it('a burst of refused and valid requests at once leaves the counters exact', async () => {
      const { accessToken, grantId } = await cappedGrant(3);
      const forwarded = fx.upstream.requests.length;
      const send = (body: Record<string, unknown>) =>
        fetch(`${fx.proxy.openaiBaseURL}/responses`, {
          method: 'POST',
          headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-4o-mini', max_output_tokens: 8, ...body }),
        });
      const bad = [
        { input: 'hi', previous_response_id: 'resp_1' },
        { input: [{ type: 'item_reference', id: 'msg_1' }] },
        { input: 'hi', background: true },
        { input: 'hi', conversation: 'conv_1' },
        { input: 'hi', background: 1 },
        { input: 'hi', store: 'false' },
      ];
      const answers = await Promise.all([
        ...bad.flatMap((body) => [send(body), send(body)]),
        send({ input: 'hi' }),
      ]);
      const statuses = await Promise.all(
        answers.map(async (res) => {
          await res.text();
          return res.status;
        }),
      );
      expect(statuses.slice(0, -1).every((status) => status === 403 || status === 400)).to.equal(true);
      expect(statuses.at(-1)).to.equal(200);
      expect(await settledReservations(grantId)).to.equal(0);
      expect(await requestsCounted(grantId)).to.equal(1);
      expect(fx.upstream.requests.length - forwarded).to.equal(1);
    });

    it('bodies of the wrong kind or reading are refused before admission too, and the grant stays whole', async () => {
      const { accessToken, grantId } = await cappedGrant(1);
      const forwarded = fx.upstream.requests.length;
      const auth = { authorization: `Bearer ${accessToken}` };
      const form = new FormData();
      form.set('model', 'gpt-4o-mini');
      form.set('messages', JSON.stringify([{ role: 'user', content: 'hi' }]));
      const refused: Array<[string, Promise<Response>]> = [
        // A form to a JSON endpoint would skip every check of a JSON body.
        [
          'form',
          fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, { method: 'POST', headers: auth, body: form }),
        ],
        [
          'model appears twice',
          fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: '{"model":"gpt-4o-mini","messages":[],"model":"gpt-4o"}',
          }),
        ],
        [
          'n must be',
          fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'gpt-4o-mini', messages: [], n: '3' }),
          }),
        ],
      ];
      for (const [what, sent] of refused) {
        const res = await sent;
        expect(res.status, what).to.equal(400);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code, what).to.equal('invalid_request');
        if (what !== 'form') expect(body.error.message, what).to.include(what);
        expect(await reservations(grantId), what).to.equal(0);
      }
      // A GET with a body (fetch cannot send one).
      const listing = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const body = JSON.stringify({ model: 'gpt-4o-mini' });
        const req = httpRequest(`${fx.proxy.openaiBaseURL}/models`, {
          method: 'GET',
          headers: { ...auth, 'content-type': 'application/json', 'content-length': String(body.length) },
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (chunk) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(listing.status).to.equal(400);
      expect(listing.text).to.include('takes no request body');
      expect(fx.upstream.requests.length - forwarded).to.equal(0);
      expect(await requestsCounted(grantId)).to.equal(0);

      const client = new OpenAI({ apiKey: accessToken, baseURL: fx.proxy.openaiBaseURL, maxRetries: 0 });
      const answer = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 5,
      });
      expect(answer.choices).to.have.length(1);
      expect(await settledReservations(grantId)).to.equal(0);
      expect(await requestsCounted(grantId)).to.equal(1);
    });
  });
}
