import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import OpenAI from 'openai';
import { createFakeUpstream } from '../../support/fake-upstream/index.ts';
import { useFakeUpstream } from './use-fake-upstream.ts';

describe('fake upstream: request recording', () => {
  const setup = useFakeUpstream();

  it('records method, paths, query, lowercased headers, raw body and parsed JSON', async () => {
    const since = setup.fake.requests.length;
    const body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}';
    await fetch(`${setup.fake.openaiBaseURL}/chat/completions?trace=1`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${setup.fake.openaiKey}`,
        'Content-Type': 'application/json',
        'X-Custom-Header': 'Value',
      },
      body,
    }).then((response) => response.arrayBuffer());
    const request = await setup.fake.control.waitForEnd(() => true, { since });
    expect(request).to.deep.include({
      seq: since,
      provider: 'openai',
      method: 'POST',
      path: '/openai/v1/chat/completions',
      route: '/v1/chat/completions',
      search: '?trace=1',
      status: 200,
      finished: true,
      aborted: false,
    });
    expect(request.headers['x-custom-header']).to.equal('Value');
    expect(request.rawHeaders).to.include('X-Custom-Header');
    expect(request.body.toString('utf8')).to.equal(body);
    expect(request.json).to.deep.equal(JSON.parse(body));
    expect(setup.fake.requests[since]).to.equal(request);
  });

  it('leaves json undefined for a body that is not JSON', async () => {
    await fetch(`${setup.fake.anthropicBaseURL}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': setup.fake.anthropicKey,
        'anthropic-version': '1',
      },
      body: '{not json',
    }).then((response) => response.arrayBuffer());
    const request = await setup.fake.control.waitForEnd((r) => r.provider === 'anthropic');
    expect(request.json).to.equal(undefined);
    expect(request.status).to.equal(400);
  });

  it('waits for a request that has not arrived yet', async () => {
    const since = setup.fake.requests.length;
    const arrival = setup.fake.control.waitForRequest((request) => request.route === '/v1/models', { since });
    await setup.openai.models.list();
    expect((await arrival).seq).to.equal(since);
  });

  it('answers paths outside both providers with a 404', async () => {
    const response = await fetch(`${setup.fake.url}/elsewhere/v1/models`);
    expect(response.status).to.equal(404);
    expect((await setup.fake.control.waitForEnd((r) => r.path === '/elsewhere/v1/models')).provider).to.equal(
      null,
    );
  });

  it('records the request target exactly as sent, without normalising it', async () => {
    const target = '/openai/v1/../v1/models?x=%2e';
    await new Promise<void>((resolve, reject) => {
      const outgoing = httpRequest(`${setup.fake.url}${target}`, { path: target }, (response) => {
        response.resume().once('end', resolve);
      });
      outgoing.once('error', reject).end();
    });
    const request = await setup.fake.control.waitForEnd();
    expect(request).to.deep.include({
      path: '/openai/v1/../v1/models',
      route: '/v1/../v1/models',
      search: '?x=%2e',
    });
  });

  it('keeps nothing with record: false (for benchmarks)', async () => {
    const fake = await createFakeUpstream({ record: false });
    try {
      const client = new OpenAI({ apiKey: fake.openaiKey, baseURL: fake.openaiBaseURL, maxRetries: 0 });
      await client.models.list();
      expect(fake.requests).to.deep.equal([]);
    } finally {
      await fake.close();
    }
  });
});
