export { createLogger, type Logger, type LoggerSettings } from './create-logger.ts';
export { createPrettyDestination, formatLogLine } from './pretty-destination.ts';
export { redactFields } from './redact-fields.ts';
export { CENSOR, redactText } from './redact-text.ts';
export { type SerializedError, serializeError } from './serialize-error.ts';
