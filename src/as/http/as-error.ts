/**
 * Stable codes for what the authorization server's own routes refuse. Callers may
 * switch on them; tests and log lines name them.
 */
export type AsErrorCode =
  | 'bad_request'
  | 'unsupported_media_type'
  | 'form_too_large'
  | 'interaction_expired'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'server_error';

/**
 * An error the error handler turns into a response: `status` and `code` are stable,
 * `message` is shown to the person (or put in `error_description`) only when `expose`;
 * an unexpected error gets a generic message instead.
 */
export class AsError extends Error {
  readonly code: AsErrorCode;
  readonly status: number;
  readonly expose: boolean;
  /** The page heading; the JSON API ignores it. */
  readonly title: string;
  constructor(
    code: AsErrorCode,
    status: number,
    message: string,
    options: { title?: string; expose?: boolean } = {},
  ) {
    super(message);
    this.name = 'AsError';
    this.code = code;
    this.status = status;
    this.expose = options.expose ?? status < 500;
    this.title = options.title ?? (status < 500 ? 'Bad request' : 'Something went wrong');
  }
}

export const UNEXPECTED = new AsError(
  'server_error',
  500,
  'Something went wrong on our side. Try again later.',
  {
    expose: false,
  },
);
