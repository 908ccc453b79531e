export { createLogger, type Logger, type LoggerSettings, REDACT_PATHS } from './create-logger.ts';
export { createPrettyDestination, formatLogLine } from './pretty-destination.ts';
export { CENSOR, redactText } from './redact-text.ts';
export { type SerializedError, serializeError } from './serialize-error.ts';
