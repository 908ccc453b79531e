/** oidc-provider's own in-memory adapter and its store (not public exports; the AS bench's baseline). */
declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  import type { Adapter } from 'oidc-provider';
  /** An adapter for `model` over the module's store (see `setStorage`). */
  export default class MemoryAdapter implements Adapter {
    constructor(model: string);
    upsert: Adapter['upsert'];
    find: Adapter['find'];
    findByUserCode: Adapter['findByUserCode'];
    findByUid: Adapter['findByUid'];
    consume: Adapter['consume'];
    destroy: Adapter['destroy'];
    revokeByGrantId: Adapter['revokeByGrantId'];
  }
  /** Replaces the module's store (by default an LRU of 1,000 entries). */
  export function setStorage(store: unknown): void;
}
declare module 'oidc-provider/lib/helpers/lru.js' {
  export default class LRU {
    constructor(options: { maxSize: number });
  }
}
