import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/server';
import { RED_PIXEL_PNG } from './media.js';

/** The resource a client may subscribe to. Its content never changes, so no update is ever owed to a subscriber. */
export const WATCHED_RESOURCE = 'test://watched-resource';

/** Text, binary and templated resources, named as the conformance suite's resources-* scenarios read them. */
export function registerResources(server: McpServer): void {
  server.registerResource(
    'static-text',
    'test://static-text',
    { title: 'Static text', description: 'A fixed text resource', mimeType: 'text/plain' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }] }),
  );

  server.registerResource(
    'static-binary',
    'test://static-binary',
    { title: 'Static binary', description: 'A fixed 1×1 PNG image', mimeType: 'image/png' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: RED_PIXEL_PNG }] }),
  );

  server.registerResource(
    'watched-resource',
    WATCHED_RESOURCE,
    { title: 'Watched resource', description: 'A resource clients may subscribe to', mimeType: 'text/plain' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This resource is watched for updates.' }] }),
  );

  server.registerResource(
    'template-data',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    { title: 'Templated data', description: 'JSON data for any id', mimeType: 'application/json' },
    (uri, { id }) => ({
      contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }],
    }),
  );

  // 2025-era subscriptions. The watched resource never changes, so acknowledging is all a subscription needs; on the
  // 2026-07-28 era the serving entry answers subscriptions on its own listen streams instead.
  server.server.setRequestHandler('resources/subscribe', () => ({}));
  server.server.setRequestHandler('resources/unsubscribe', () => ({}));
}
