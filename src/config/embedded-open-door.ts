/**
 * The open door on the embedded install (SQLite, `mandate start` on one machine): any
 * app, agent or MCP client may register itself (RFC 7591) or name its Client ID Metadata
 * Document from any public host, so a newcomer connects without an operator. What they
 * may ask for stays bounded by `as.openDoor.scopes` and the limits, and the person still
 * consents to each. A config file or the environment overrides it; the schema's
 * defaults (anything else, PostgreSQL installs) keep the door closed.
 */
export const embeddedOpenDoor = Object.freeze({
  registration: 'open',
  metadataDocuments: { allowedHosts: ['*'] },
});
