import { expect } from 'chai';
import { ProxyError } from '../../../../src/proxy/errors/proxy-error.ts';
import { createInFlight } from '../../../../src/proxy/lifecycle/in-flight.ts';

const revoked = () => new ProxyError('invalid_token', 'revoked');

describe('in-flight registry', () => {
  it('ends the requests of a grant, or of one token id, and only those', () => {
    const inFlight = createInFlight();
    const a = inFlight.open();
    const b = inFlight.open();
    const c = inFlight.open();
    a.identify('g1', 't1');
    b.identify('g1', 't2');
    c.identify('g2', 't3');
    expect(inFlight.endToken('t2', revoked())).to.equal(1);
    expect([a.signal.aborted, b.signal.aborted, c.signal.aborted]).to.deep.equal([false, true, false]);
    expect(inFlight.endGrant('g1', revoked())).to.equal(1); // b was already ended
    expect(a.endedBy?.code).to.equal('invalid_token');
    expect(c.endedBy).to.equal(undefined);
    expect(inFlight.endGrant('nobody', revoked())).to.equal(0);
  });

  it('forgets closed requests (a revocation after the end touches nothing) and resolves idle', async () => {
    const inFlight = createInFlight();
    const a = inFlight.open();
    a.identify('g1', 't1');
    let idle = false;
    const waiting = inFlight.idle().then(() => {
      idle = true;
    });
    expect(inFlight.size).to.equal(1);
    a.close();
    a.close();
    await waiting;
    expect(idle).to.equal(true);
    expect(inFlight.size).to.equal(0);
    expect(inFlight.endGrant('g1', revoked())).to.equal(0);
    expect(a.signal.aborted).to.equal(false);
    a.identify('g2', 't2'); // closed: not indexed again
    expect(inFlight.endGrant('g2', revoked())).to.equal(0);
  });

  it('endAll ends everything open; after refuseNew a request is ended as it arrives', () => {
    const inFlight = createInFlight();
    const a = inFlight.open();
    const unnamed = inFlight.open();
    inFlight.refuseNew(new ProxyError('unavailable', 'stopping'));
    const late = inFlight.open();
    expect(late.endedBy?.code).to.equal('unavailable');
    expect(inFlight.endAll(new ProxyError('unavailable', 'deadline'))).to.equal(2);
    expect(a.signal.aborted && unnamed.signal.aborted).to.equal(true);
  });
});
