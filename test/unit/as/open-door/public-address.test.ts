import { expect } from 'chai';
import { addressProblem } from '../../../../src/as/open-door/public-address.ts';

describe('public-address: only public internet addresses may be fetched', () => {
  it('refuses loopback, private, link-local, shared, multicast, documentation and mapped forms', () => {
    for (const address of [
      '127.0.0.1',
      '127.9.9.9',
      '0.0.0.0',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '198.18.0.1',
      '192.0.2.1',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      '::7f00:1',
      '::ffff:0:7f00:1',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      'ff02::1',
      '2001:db8::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:a9fe:a9fe',
      '64:ff9b::a9fe:a9fe',
    ]) {
      expect(addressProblem(address), address).to.be.a('string');
    }
  });

  it('allows public addresses', () => {
    for (const address of ['93.184.216.34', '1.1.1.1', '172.32.0.1', '2606:4700::1111', '::ffff:5db8:d822']) {
      expect(addressProblem(address), address).to.equal(undefined);
    }
  });

  it('refuses what is not an IP address', () => {
    expect(addressProblem('localhost')).to.match(/not an IP address/);
  });
});
