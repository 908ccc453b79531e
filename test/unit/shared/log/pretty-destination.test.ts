import { expect } from 'chai';
import { createLogger, createPrettyDestination, formatLogLine } from '../../../../src/shared/log/index.ts';

const JWT =
  'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJhbGljZSIsImdyYW50X2lkIjoiZzEifQ.c2lnbmF0dXJlLXBhcnQtaGVyZQ';
const KEY = 'sk-proj-abcdefghijklmnop0123456789';

function prettyLogger() {
  const written: string[] = [];
  const logger = createLogger({
    service: 'mandate-proxy',
    destination: createPrettyDestination({ write: (text: string) => written.push(text) }),
  });
  return { logger, text: () => written.join('') };
}

describe('logging: readable lines on a terminal', () => {
  it('prints time, level, service, message and the fields as key=value, one line per event', () => {
    const { logger, text } = prettyLogger();
    logger.info({ event: 'consent', outcome: 'granted', scopes: 'openai:*:chat openid' }, 'consent given');
    logger.warn({ granted: false, code: 'rate_limited', status: 429 }, 'refused');
    const lines = text().trimEnd().split('\n');
    expect(lines).to.have.length(2);
    expect(lines[0]).to.match(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}proxy consent given {2}event=consent outcome=granted scopes="openai:\*:chat openid"$/,
    );
    expect(lines[1]).to.match(/ WARN {2}proxy refused {2}granted=false code=rate_limited status=429$/);
    expect(text()).to.not.include('{"level"').and.not.include('pid=').and.not.include('\x1b[');
  });

  it('goes through the same redaction as JSON: no token, key or password reaches the terminal', () => {
    const { logger, text } = prettyLogger();
    logger.info(
      { headers: { authorization: `Bearer ${JWT}` }, password: 'hunter2hunter2', key: KEY },
      'request',
    );
    logger.error(new Error(`upstream refused ${KEY} with Bearer ${JWT}`));
    logger.info(`interpolated ${JWT} and api_key=${KEY}`);
    for (const secret of [JWT, KEY, 'hunter2hunter2', JWT.split('.')[1] as string]) {
      expect(text(), secret).to.not.include(secret);
    }
    expect(text()).to.include('[redacted]');
    // The error: its redacted message and its call frames on the lines below.
    expect(text()).to.match(
      /ERROR proxy upstream refused \[redacted\][^\n]*\n {4}Error: upstream refused \[redacted\]/,
    );
    expect(text()).to.match(/\n {6}at /);
  });

  it('passes a line that is not JSON through unchanged, and colours only when asked', () => {
    expect(formatLogLine('plain text')).to.equal('plain text\n');
    const line = JSON.stringify({ level: 50, time: 0, service: 'mandate-as', msg: 'boom' });
    expect(formatLogLine(line, true)).to.include('\x1b[31mERROR');
    expect(formatLogLine(line, false)).to.not.include('\x1b[');
  });
});
