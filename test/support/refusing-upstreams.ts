import { freePort } from './free-port.ts';

/**
 * `proxy.*` settings pointing every provider at a port that was free a moment ago: each
 * connection to the upstream is refused, so no request ever reaches it.
 */
export async function refusingUpstreams(): Promise<{ upstreams: Record<string, string> }> {
  const closed = await freePort();
  return {
    upstreams: {
      openai: `http://127.0.0.1:${closed}/openai`,
      anthropic: `http://127.0.0.1:${closed}/anthropic`,
    },
  };
}
