import type { Engine } from './databases.ts';
import { type ProxyFixture, startProxyFixture } from './proxy-fixture.ts';
import { type DocumentServer, generateTestCertificate, startDocumentServer } from './test-tls.ts';

/**
 * The proxy fixture with the open door: any app may register itself (RFC 7591), and a
 * Client ID Metadata Document is fetched from `docs`, a local https server whose fresh
 * certificate the authorization server trusts. The document server is on loopback:
 * allowed here, off by default. Close both.
 */
export async function startOpenDoorFixture(
  engine: Engine,
): Promise<{ fx: ProxyFixture; docs: DocumentServer }> {
  const tls = generateTestCertificate();
  const docs = await startDocumentServer(tls);
  try {
    const fx = await startProxyFixture(engine, {
      as: {
        openDoor: {
          registration: 'open',
          metadataDocuments: { allowedHosts: ['localhost'], allowPrivateAddresses: true },
        },
      },
      asStart: { metadataDocumentCa: tls.cert },
    });
    return { fx, docs };
  } catch (err) {
    await docs.close();
    throw err;
  }
}

/** The open-door fixture for the enclosing `describe`: started before its tests (handed to `use`), closed after. */
export function openDoorFixtureHooks(
  engine: Engine,
  use: (door: { fx: ProxyFixture; docs: DocumentServer }) => void,
): void {
  let door: { fx: ProxyFixture; docs: DocumentServer } | undefined;
  before(async () => {
    door = await startOpenDoorFixture(engine);
    use(door);
  });
  after(async () => {
    await door?.fx.close();
    await door?.docs.close();
  });
}
