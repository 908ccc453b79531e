import { expect } from 'chai';
import { createRevocationFeed, type FeedEvent } from '../../../../src/proxy/liveness/revocation-feed.ts';
import type { RevocationEntry } from '../../../../src/storage/revocation-store.ts';
import { fakeListen, fakeLog, manualTimers } from './fakes.ts';

describe('revocation feed', () => {
  let now: number;
  let delivered: RevocationEntry[];
  let events: FeedEvent[];
  let waiters: { match: (e: FeedEvent) => boolean; resolve: () => void }[];

  beforeEach(() => {
    now = 1_800_000_000_000;
    delivered = [];
    events = [];
    waiters = [];
  });

  /** Resolves on the next event the predicate accepts. */
  function nextEvent(match: (e: FeedEvent) => boolean): Promise<void> {
    return new Promise((resolve) => waiters.push({ match, resolve }));
  }

  function record(e: FeedEvent) {
    events.push(e);
    for (const w of waiters.filter((w) => w.match(e))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  }

  function build(over: Partial<Parameters<typeof createRevocationFeed>[0]> = {}) {
    const log = fakeLog();
    const clock = manualTimers();
    const feed = createRevocationFeed({
      revocations: log.revocations,
      pollIntervalMs: 250,
      maxSilenceMs: 1000,
      clock: () => now,
      timers: clock.timers,
      onEntries: (entries) => delivered.push(...entries),
      onEvent: record,
      random: () => 1,
      ...over,
    });
    return { log, feed, clock };
  }

  it('starts from the last sequence number: what came before is not replayed', async () => {
    const { log, feed, clock } = build();
    log.append('grant', 'old');
    await feed.start();
    expect(feed.position).to.equal(1);
    expect(delivered).to.deep.equal([]);
    log.append('grant', 'new');
    clock.tickIntervals();
    await feed.readNow();
    expect(delivered.map((e) => e.subjectId)).to.deep.equal(['new']);
    await feed.stop();
  });

  it('is unhealthy until its first read, and after maxSilenceMs without a successful read', async () => {
    const { log, feed } = build();
    expect(feed.healthy(now)).to.equal(false);
    await feed.start();
    expect(feed.healthy(now + 1000)).to.equal(true);
    expect(feed.healthy(now + 1001)).to.equal(false);

    now += 600;
    log.state.fail = new Error('database down');
    await feed.readNow().catch(() => {});
    expect(events.at(-1)?.type).to.equal('read-failed');
    expect(feed.lastHeardAt).to.equal(now - 600);
    expect(feed.healthy(now + 401)).to.equal(false);

    log.state.fail = undefined;
    now += 500;
    await feed.readNow();
    expect(feed.healthy(now)).to.equal(true);
    await feed.stop();
    expect(feed.healthy(now)).to.equal(false);
  });

  it('never reads twice at once: triggers during a read coalesce into exactly one more', async () => {
    const listen = fakeListen();
    const { log, feed } = build({ listen: listen.listen });
    await feed.start();
    await feed.readNow(); // settle the catch-up read that listening queued
    const readsBefore = log.state.reads;
    const release = log.hold();
    const first = feed.readNow();
    log.append('grant', 'g1');
    listen.notify('1');
    listen.notify('1');
    const again = feed.readNow();
    release();
    await Promise.all([first, again]);
    expect(log.state.reads - readsBefore).to.equal(2);
    expect(log.state.maxConcurrent).to.equal(1);
    expect(delivered.map((e) => e.subjectId)).to.deep.equal(['g1']);
    await feed.stop();
  });

  it('skips a notification for a sequence number it already delivered', async () => {
    const listen = fakeListen();
    const { log, feed } = build({ listen: listen.listen });
    await feed.start();
    log.append('grant', 'g1');
    await feed.readNow();
    const reads = log.state.reads;
    listen.notify('1');
    await feed.readNow();
    expect(log.state.reads).to.equal(reads + 1); // only the explicit one
    await feed.stop();
  });

  it('reads in batches until the log is drained', async () => {
    const { log, feed } = build({ batchSize: 2 });
    await feed.start();
    for (const id of ['a', 'b', 'c', 'd', 'e']) log.append('token', id);
    await feed.readNow();
    expect(delivered.map((e) => e.subjectId)).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
    expect(feed.position).to.equal(5);
  });

  it('an entry is delivered again if applying it failed', async () => {
    let failOnce = true;
    const { log, feed } = build({
      onEntries(entries) {
        if (failOnce) {
          failOnce = false;
          throw new Error('apply failed');
        }
        delivered.push(...entries);
      },
    });
    await feed.start();
    log.append('grant', 'g1');
    await feed.readNow().catch(() => {});
    await feed.readNow();
    expect(delivered.map((e) => e.subjectId)).to.deep.equal(['g1']);
    await feed.stop();
  });

  it('reconnects a lost LISTEN with growing delays and catches up on reconnect', async () => {
    const listen = fakeListen();
    const { log, feed, clock } = build({ listen: listen.listen, reconnectDelayMs: { min: 100, max: 400 } });
    await feed.start();
    expect(events.map((e) => e.type)).to.include('listening');

    listen.state.failConnect = new Error('refused');
    listen.drop();
    log.append('grant', 'while-down');
    const delays = [clock.pendingTimeouts()];
    for (let i = 0; i < 3; i++) {
      const failed = nextEvent((e) => e.type === 'listen-failed');
      clock.runTimeouts();
      await failed;
      delays.push(clock.pendingTimeouts());
    }
    expect(delays).to.deep.equal([[100], [200], [400], [400]]); // doubling, capped

    listen.state.failConnect = undefined;
    const caughtUp = nextEvent((e) => e.type === 'read' && e.entries.length > 0);
    clock.runTimeouts();
    await caughtUp;
    expect(delivered.map((e) => e.subjectId)).to.deep.equal(['while-down']);
    expect(listen.state.open).to.equal(true);
    expect(events.filter((e) => e.type === 'listen-lost')).to.have.length(1);

    // After a success the delay starts small again.
    listen.drop();
    expect(clock.pendingTimeouts()).to.deep.equal([100]);
    await feed.stop();
    expect(clock.pendingTimeouts()).to.deep.equal([]);
    expect(clock.intervalCount()).to.equal(0);
  });
});
