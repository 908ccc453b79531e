/**
 * Upstream endpoints that read, list or delete state stored on the person's account.
 * None is in the capability table, so all are denied anyway; naming them lets the
 * refusal say why: apps sharing one person's key must not reach each other's data.
 * (POST /v1/responses and POST /v1/chat/completions are allowed before this is asked.)
 */
const PREFIXES = [
  '/v1/files',
  '/v1/uploads',
  '/v1/fine_tuning',
  '/v1/batches',
  '/v1/vector_stores',
  '/v1/assistants',
  '/v1/threads',
  '/v1/conversations',
  '/v1/containers',
  '/v1/evals',
  '/v1/messages/batches',
  '/v1/responses',
  '/v1/chat/completions',
  '/v1/models',
];

export function isStoredStatePath(path: string): boolean {
  return PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}
