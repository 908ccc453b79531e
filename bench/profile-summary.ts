/**
 * Where a V8 CPU profile's time goes: self time per function, self time per area (Node
 * internals by module, each npm package, Mandate's own files, GC, idle), and inclusive
 * time of named stages of the proxy's request path.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  name: string;
  /** Milliseconds of CPU in the profiled window. */
  ms: number;
  /** Share of the busy (non-idle) time, 0..1. */
  share: number;
}

export interface ProfileSummary {
  wallMs: number;
  busyMs: number;
  topFunctions: Share[];
  areas: Share[];
  stages: Share[];
}

/** `node:internal/http/server` → `node http`, `.../node_modules/koa/lib/x.js` → `koa`, `/src/proxy/a/b.ts` → `src/proxy/a/b.ts`. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(garbage collector)') return '(garbage collector)';
    if (functionName === '(program)') return '(program: native, not attributed)';
    return `(native ${functionName || 'anonymous'})`;
  }
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) {
    const name = url.replace(/^node:(internal\/)?/, '').split('/');
    const first = name[0] === 'deps' ? `${name[0]}/${name[1]}` : name[0];
    return `node ${first}`;
  }
  const src = url.search(/\/(src|bench|test)\//);
  return src >= 0 ? url.slice(src + 1) : url;
}

function frameLabel(frame: CallFrame): string {
  const file = frame.url
    ? frame.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench|test)\//, '$1/')
    : '';
  return `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`;
}

/**
 * Stages of Mandate's request path, each by a function (or package) on the stack: the
 * time of a sample counts for every stage on its stack, once (inclusive time). Async
 * functions show up in the stacks of the code they resume, so the totals are approximate.
 */
const STAGES: Array<{ name: string; match: (f: CallFrame) => boolean }> = [
  {
    name: 'token verification (`verifyToken`: SHA-256 + cache hit)',
    match: (f) => f.functionName === 'verifyToken',
  },
  { name: 'liveness check (memory hit)', match: (f) => f.functionName === 'check' && /liveness/.test(f.url) },
  { name: 'read the request body (`readBody`)', match: (f) => f.functionName === 'readBody' },
  { name: 'parse the JSON body (`parseRequestBody`)', match: (f) => f.functionName === 'parseRequestBody' },
  { name: 'stored-state policy', match: (f) => f.functionName === 'refuseStoredReferences' },
  { name: 'upstream URL and headers (`upstreams.ts`)', match: (f) => /upstreams\.ts$/.test(f.url) },
  {
    name: '`forward()` call (the upstream request, node:http)',
    match: (f) => f.functionName === 'forward' && /forwarder\.ts$/.test(f.url),
  },
  {
    name: '`res.flushHeaders()` in `pipeResponse` (headers written alone)',
    match: (f) => f.functionName === 'flushHeaders',
  },
  {
    name: '`stream/promises` `pipeline()` set-up and finish',
    match: (f) => /^node:(stream\/promises|internal\/streams\/pipeline)$/.test(f.url),
  },
  {
    name: '… of which `AbortController.abort()` → `DOMException` at its end',
    match: (f) => f.functionName === 'abort' && /abort_controller/.test(f.url),
  },
  {
    name: 'forwarder `Transform` (byte count, idle timer)',
    match: (f) => f.functionName === 'transform' && /forwarder\.ts$/.test(f.url),
  },
  {
    name: 'budget step (`admit`: the cached "no caps" flag, or the reservation)',
    match: (f) => f.functionName === 'admit' && /budget-gate\.ts$/.test(f.url),
  },
  {
    name: '… reservation transaction (`reserve`)',
    match: (f) => f.functionName === 'reserve' && /budget-store\.ts$/.test(f.url),
  },
  {
    name: 'settle transaction (`settle`)',
    match: (f) => f.functionName === 'settle' && /budget-store\.ts$/.test(f.url),
  },
  { name: 'knex (all its frames and what they call)', match: (f) => /\/knex\//.test(f.url) },
  { name: 'better-sqlite3', match: (f) => /\/better-sqlite3\//.test(f.url) },
  { name: 'node-postgres (`pg`, `pg-protocol`)', match: (f) => /\/(pg|pg-protocol)\//.test(f.url) },
  { name: 'request log line (pino, sonic-boom)', match: (f) => /\/(pino|sonic-boom)\//.test(f.url) },
  { name: 'metrics (prom-client)', match: (f) => /\/prom-client\//.test(f.url) },
  { name: 'request id (`randomUUID`)', match: (f) => f.functionName === 'randomUUID' },
];

export function summarizeProfile(path: string, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i += 1) {
    const id = profile.samples[i] as number;
    // timeDeltas[i] is the time before sample i; attribute the interval after it to it.
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, delta));
  }

  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  const stages = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id) as ProfileNode;
    totalUs += us;
    let area = areaOf(node.callFrame);
    // Native code a package called (better-sqlite3's prepare and step, say) counts to that package.
    const caller = parent.get(id);
    if (area.startsWith('(native ') && caller !== undefined) {
      const callerArea = areaOf((byId.get(caller) as ProfileNode).callFrame);
      if (!callerArea.startsWith('(') && !callerArea.startsWith('node ') && !callerArea.startsWith('src/'))
        area = `${callerArea} (native code it called)`;
    }
    if (area === '(idle)') {
      idleUs += us;
      continue;
    }
    functions.set(frameLabel(node.callFrame), (functions.get(frameLabel(node.callFrame)) ?? 0) + us);
    areas.set(area, (areas.get(area) ?? 0) + us);
    // Inclusive: every stage whose function is on this sample's stack (each counted once).
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = (byId.get(at) as ProfileNode).callFrame;
      for (const stage of STAGES) {
        if (!seen.has(stage.name) && stage.match(frame)) {
          seen.add(stage.name);
          stages.set(stage.name, (stages.get(stage.name) ?? 0) + us);
        }
      }
    }
  }
  const busyUs = totalUs - idleUs;
  const toShares = (map: Map<string, number>, limit: number): Share[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({ name, ms: us / 1000, share: busyUs > 0 ? us / busyUs : 0 }));
  return {
    wallMs: (profile.endTime - profile.startTime) / 1000,
    busyMs: busyUs / 1000,
    topFunctions: toShares(functions, top),
    areas: toShares(areas, Number.POSITIVE_INFINITY),
    stages: STAGES.map((s) => ({
      name: s.name,
      ms: (stages.get(s.name) ?? 0) / 1000,
      share: busyUs > 0 ? (stages.get(s.name) ?? 0) / busyUs : 0,
    })),
  };
}
