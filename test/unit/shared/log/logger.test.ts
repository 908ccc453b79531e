import { expect } from 'chai';
import { createLogger, redactText, serializeError } from '../../../../src/shared/log/index.ts';
import { captureLogs } from '../../../support/log-capture.ts';

const JWT =
  'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJhbGljZSIsImdyYW50X2lkIjoiZzEifQ.c2lnbmF0dXJlLXBhcnQtaGVyZQ';
const OPENAI_KEY = 'sk-proj-abcdefghijklmnop0123456789';
const ANTHROPIC_KEY = 'sk-ant-api03-abcdefghijklmnop0123456789';

describe('logging: one serializer, one redaction', () => {
  it('redacts bearer tokens, JWTs, provider keys and secret-named pairs from text', () => {
    const text = [
      `Authorization: Bearer opaque.token-value_123`,
      `jwt ${JWT}`,
      `keys ${OPENAI_KEY} and ${ANTHROPIC_KEY}`,
      'password=hunter2hunter2&client_secret=s3cr3t-value',
      'cookie: _session=abc123; mandate.csrf=def456',
      'refresh_token="rt-value-789" code=auth-code-value',
      'x-api-key: sk-whatever-123456',
    ].join('\n');
    const out = redactText(text);
    for (const secret of [
      'opaque.token-value_123',
      JWT,
      JWT.split('.')[1] as string,
      OPENAI_KEY,
      ANTHROPIC_KEY,
      'hunter2hunter2',
      's3cr3t-value',
      'abc123',
      'rt-value-789',
      'auth-code-value',
      'sk-whatever-123456',
    ]) {
      expect(out, secret).to.not.include(secret);
    }
    expect(out).to.include('[redacted]');
    expect(redactText('grant g-123 revoked by the account page')).to.equal(
      'grant g-123 revoked by the account page',
    );
  });

  it('keeps only name, message, code, status and call frames of an error', () => {
    const err = Object.assign(new Error(`upstream refused Bearer ${JWT}`), {
      code: 'ECONNRESET',
      status: 502,
      request: { headers: { authorization: `Bearer ${JWT}` } },
      config: { apiKey: OPENAI_KEY },
    });
    const out = serializeError(err);
    expect(Object.keys(out).sort()).to.deep.equal(['code', 'message', 'name', 'stack', 'status']);
    expect(out.name).to.equal('Error');
    expect(out.code).to.equal('ECONNRESET');
    expect(out.status).to.equal(502);
    expect(JSON.stringify(out)).to.not.include(JWT);
    expect(JSON.stringify(out)).to.not.include(OPENAI_KEY);
    expect(out.stack).to.match(/^at /);
    expect(out.stack, 'frames only: the message line is not repeated').to.not.include('upstream refused');
  });

  it('follows causes a few levels deep, and never prints a non-error object', () => {
    const inner = new Error(`password=${'p'.repeat(12)}`);
    const out = serializeError(new Error('outer', { cause: inner }));
    expect(out.cause?.message).to.equal('password=[redacted]');
    expect(serializeError({ token: 'x' }).message).to.equal('[redacted]');
    let deep: Error = new Error('0');
    for (let i = 1; i < 10; i++) deep = new Error(String(i), { cause: deep });
    let depth = 0;
    for (let e = serializeError(deep); e.cause; e = e.cause) depth++;
    expect(depth).to.equal(3);
  });

  it('a logger made by createLogger uses the serializer, the field redaction and redacts messages', () => {
    const logs = captureLogs();
    const logger = createLogger({ service: 'test', destination: logs.destination });
    logger.error({ err: Object.assign(new Error('boom'), { secret: OPENAI_KEY }) }, 'failed');
    logger.info(
      { password: 'hunter2hunter2', headers: { authorization: `Bearer ${JWT}`, cookie: 'a=b' } },
      `saw ${OPENAI_KEY}`,
    );
    logger.warn(new Error(`token=${JWT}`));
    // A child's child inherits the redaction of its bindings.
    logger
      .child({ component: 'c' })
      .child({ token: 'child-binding-secret' })
      .info({ body: { refresh_token: 'rt-secret-1' } }, 'child');
    const text = logs.text();
    for (const secret of [OPENAI_KEY, 'hunter2hunter2', JWT, 'a=b', 'child-binding-secret', 'rt-secret-1'])
      expect(text).to.not.include(secret);
    const [first = {}, second = {}, third = {}] = logs.lines();
    expect(first.service).to.equal('test');
    expect(first.err).to.deep.include({ name: 'Error', message: 'boom' });
    expect(second.password).to.equal('[redacted]');
    expect(second.msg).to.equal('saw [redacted]');
    expect(third.err).to.deep.include({ message: 'token=[redacted]' });
    expect(third.msg).to.equal('token=[redacted]');
    expect(logs.lines()[3]).to.deep.include({
      component: 'c',
      token: '[redacted]',
      body: { refresh_token: '[redacted]' },
    });
  });

  it('logs nothing at level silent', () => {
    const logs = captureLogs();
    createLogger({ service: 'test', level: 'silent', destination: logs.destination }).error('x');
    expect(logs.lines()).to.have.length(0);
  });
});
