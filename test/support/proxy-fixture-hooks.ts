import type { Engine } from './databases.ts';
import { type ProxyFixture, type ProxyFixtureOptions, startProxyFixture } from './proxy-fixture.ts';

/**
 * One proxy fixture for the enclosing `describe`: started before its tests (handed to
 * `use`, which keeps it in the suite's `fx`), the fake upstream reset before each test,
 * closed after them all.
 */
export function proxyFixtureHooks(
  engine: Engine,
  options: ProxyFixtureOptions,
  use: (fx: ProxyFixture) => void,
): void {
  let fx: ProxyFixture | undefined;
  before(async () => {
    fx = await startProxyFixture(engine, options);
    use(fx);
  });
  after(async () => {
    await fx?.close();
  });
  beforeEach(() => fx?.upstream.control.reset());
}
