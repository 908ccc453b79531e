/** What the request log line records about a request (never a token, key or prompt). */
export interface RequestFacts {
  provider?: string;
  capability?: string;
  model?: string;
  clientId?: string;
  grantId?: string;
  upstreamMs?: number;
  bytesIn?: number;
  bytesOut?: number;
  clientAborted?: boolean;
  upstreamFailed?: boolean;
  inputTokens?: number;
  outputTokens?: number;
}
