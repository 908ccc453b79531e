import { Counter, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one proxy process. Labels never carry a token, key or prompt. */
export function createProxyMetrics() {
  const registry = new Registry();
  const requests = new Counter({
    name: 'mandate_proxy_requests_total',
    help: 'Requests handled, by provider, capability and status',
    labelNames: ['provider', 'capability', 'status'] as const,
    registers: [registry],
  });
  const upstreamSeconds = new Histogram({
    name: 'mandate_proxy_upstream_seconds',
    help: 'Time from forwarding to the upstream response headers',
    labelNames: ['provider', 'capability'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const refusals = new Counter({
    name: 'mandate_proxy_refusals_total',
    help: 'Requests refused by the proxy, by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const leaseSlices = new Counter({
    name: 'mandate_proxy_lease_slices_total',
    help: 'Slices of capped grants taken (one database write each; proxy.leases)',
    registers: [registry],
  });
  const leaseAdmissions = new Counter({
    name: 'mandate_proxy_lease_admissions_total',
    help: 'Capped requests admitted out of a slice in memory, without a database write',
    registers: [registry],
  });
  return { registry, requests, upstreamSeconds, refusals, leaseSlices, leaseAdmissions };
}

export type ProxyMetrics = ReturnType<typeof createProxyMetrics>;
