/** Ids of clients made by dynamic registration (RFC 7591) start with this. */
export const REGISTERED_ID_PREFIX = 'dcr_';

/**
 * Who vouches for a client: the operator (`mandate client add`, the proxy's own), the
 * app itself through dynamic registration, or the app's own Client ID Metadata Document
 * (its client_id is an https URL). Only the operator's clients are reviewed by anyone.
 */
export type ClientKind = 'operator' | 'registered' | 'metadata_document';

export function clientKind(clientId: string): ClientKind {
  if (clientId.startsWith(REGISTERED_ID_PREFIX)) return 'registered';
  if (clientId.startsWith('https://')) return 'metadata_document';
  return 'operator';
}

/** The host a self-identified app is known by: its metadata document's, else none. */
export function clientDomain(clientId: string): string | undefined {
  return clientKind(clientId) === 'metadata_document' ? URL.parse(clientId)?.host : undefined;
}
