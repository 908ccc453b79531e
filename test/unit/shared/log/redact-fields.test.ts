import { expect } from 'chai';
import { CENSOR, redactFields } from '../../../../src/shared/log/index.ts';

describe('redactFields: secret-named fields of a logged object', () => {
  it('blanks them at the top and one level down, and the secret headers of a headers object on either level', () => {
    const logged = {
      password: 'hunter2',
      grantId: 'g-1',
      body: {
        client_secret: 's3cr3t',
        code_verifier: 'v',
        scope: 'openai:*:chat',
        nested: { token: 'deeper' },
      },
      headers: { Authorization: 'Bearer x', cookie: 'a=b', 'content-type': 'application/json' },
      req: { headers: { 'x-api-key': 'sk-1', 'set-cookie': ['s=1'], host: 'h' }, url: '/x' },
      list: [{ token: 'in an array' }],
    };
    const before = structuredClone(logged);
    const out = redactFields(logged);
    expect(out).to.deep.equal({
      password: CENSOR,
      grantId: 'g-1',
      // Two levels: what is deeper is left as logged (no caller nests secrets that far).
      body: {
        client_secret: CENSOR,
        code_verifier: CENSOR,
        scope: 'openai:*:chat',
        nested: { token: 'deeper' },
      },
      headers: { Authorization: CENSOR, cookie: CENSOR, 'content-type': 'application/json' },
      req: { headers: { 'x-api-key': CENSOR, 'set-cookie': CENSOR, host: 'h' }, url: '/x' },
      list: [{ token: 'in an array' }],
    });
    expect(logged, "the caller's object is not changed").to.deep.equal(before);
  });

  it('returns an object with nothing to blank as it is, and copies only the branch that has', () => {
    const line = { requestId: 'r', status: 200, facts: { model: 'gpt-4o-mini' }, headers: { host: 'h' } };
    expect(redactFields(line)).to.equal(line);
    const mixed = { facts: { model: 'm' }, auth: { token: 't' } };
    const out = redactFields(mixed);
    expect(out).to.not.equal(mixed);
    expect(out.facts, 'an untouched branch is shared').to.equal(mixed.facts);
    expect(out.auth).to.deep.equal({ token: CENSOR });
  });

  it('leaves an error to the error serializer, and an absent secret field absent', () => {
    const err = Object.assign(new Error('boom'), { token: 'own field' });
    const out = redactFields({ err, key: undefined });
    expect(out.err).to.equal(err);
    expect(out).to.have.property('key', undefined);
  });
});
