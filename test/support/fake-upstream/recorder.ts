/** The log of received requests and promises that wait on it without polling or sleeping. */
import type { RecordedRequest, RequestPredicate } from './types.ts';

type Waiter = {
  since: number;
  match: RequestPredicate;
  resolve: (request: RecordedRequest) => void;
  reject: (error: Error) => void;
};

export type Recorder = {
  requests: RecordedRequest[];
  /** Record a request whose body was read (or cut short); assigns its `seq`. */
  add(fields: Omit<RecordedRequest, 'seq'>): RecordedRequest;
  /** Call after any change to a recorded request, so waiters re-check. */
  changed(): void;
  waitUntil(match: RequestPredicate, since: number): Promise<RecordedRequest>;
  /** Reject every pending waiter (the fake is closing). */
  fail(error: Error): void;
};

/** With `keep: false` (benchmarks) requests are numbered but not kept, and waits see nothing. */
export function createRecorder({ keep }: { keep: boolean }): Recorder {
  const requests: RecordedRequest[] = [];
  let count = 0;
  let waiters: Waiter[] = [];
  let failure: Error | undefined;

  const find = (waiter: Pick<Waiter, 'since' | 'match'>) =>
    requests.slice(waiter.since).find((request) => waiter.match(request));

  const changed = () => {
    waiters = waiters.filter((waiter) => {
      const found = find(waiter);
      if (found) waiter.resolve(found);
      return !found;
    });
  };

  return {
    requests,
    add(fields) {
      const request: RecordedRequest = { seq: count, ...fields };
      count += 1;
      if (!keep) return request;
      requests.push(request);
      changed();
      return request;
    },
    changed,
    waitUntil(match, since) {
      const found = find({ match, since });
      if (found) return Promise.resolve(found);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => waiters.push({ since, match, resolve, reject }));
    },
    fail(error) {
      failure = error;
      for (const waiter of waiters) waiter.reject(error);
      waiters = [];
    },
  };
}
