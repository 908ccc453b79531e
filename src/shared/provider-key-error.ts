/** Why a provider-key operation failed; callers `switch` on the code, never on the message. */
export type ProviderKeyErrorCode =
  | 'ERR_PROVIDER_KEY_JWKS_INVALID'
  | 'ERR_PROVIDER_KEY_PLAINTEXT_INVALID'
  | 'ERR_PROVIDER_KEY_CIPHERTEXT_INVALID'
  | 'ERR_PROVIDER_KEY_UNKNOWN_KID'
  | 'ERR_PROVIDER_KEY_BINDING_MISMATCH'
  | 'ERR_PROVIDER_KEY_DECRYPTION_FAILED';

/** A provider-key error. Messages name files, kids and reasons, never a key or a ciphertext. */
export class ProviderKeyError extends Error {
  override name = 'ProviderKeyError';
  readonly code: ProviderKeyErrorCode;
  constructor(code: ProviderKeyErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
