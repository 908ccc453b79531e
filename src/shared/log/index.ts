export { createLogger, type Logger, type LoggerSettings, REDACT_PATHS } from './create-logger.ts';
export { CENSOR, redactText } from './redact-text.ts';
export { type SerializedError, serializeError } from './serialize-error.ts';
