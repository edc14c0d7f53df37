import type { Context, Hono } from 'hono';
import { InvalidRequestError } from '../../util/http-error.js';
import type { KeySource } from '../keys/key-store.js';
import type { KeyMaterial } from '../keys/keys.js';
import { rotateSigningKeys } from '../keys/rotation.js';
import { when } from './admin-layout.js';
import type { ConsoleContext } from './console-context.js';
import { keysPage } from './keys-view.js';

/** Each signing key with what it does now: signs, is published ahead of signing, or only verifies older tokens. */
function keyRows(material: KeyMaterial, now = Date.now() / 1000) {
  const signingAlgs = new Set<string>();
  return material.signing.map((key) => {
    const from = material.signsFrom?.[key.kid!] ?? 0;
    let status: string;
    if (from > now) status = `published; signs from ${when(from * 1000)}`;
    else if (!signingAlgs.has(key.alg!)) {
      signingAlgs.add(key.alg!);
      status = 'signs new tokens';
    } else status = 'verifies tokens it signed until they expire';
    return { kid: key.kid!, alg: key.alg!, status };
  });
}

/** Keys: the current generation and the ones kept, and a rotation (the same one `gatehouse keys rotate` makes). */
export function mountKeysPage(app: Hono, ctx: ConsoleContext, keys: KeySource): void {
  const { base, access } = ctx;

  const render = async (c: Context, notice?: string) => {
    const admin = await access.require(c);
    const { keys: material, version } = await keys.load();
    const body = keysPage({ generation: version, keys: keyRows(material), rotateAction: `${base}/keys/rotate`, csrf: admin.csrf });
    return ctx.render(c, admin, { section: 'keys', title: 'Keys', notice }, body);
  };

  app.get(`${base}/keys`, (c) => render(c));

  app.post(`${base}/keys/rotate`, (c) =>
    ctx.change(c, async (admin) => {
      const result = await rotateSigningKeys(keys, ctx.audit, { via: 'admin console', actor: admin.admin.id }).catch((error: unknown) => {
        // Keys from the environment are rotated there, not here: say so on the page.
        throw new InvalidRequestError(error instanceof Error ? error.message : 'The keys could not be rotated');
      });
      return render(c, `New signing keys ${result.current.join(', ')} are published; they sign from ${when(result.signsFrom * 1000)}.`);
    }),
  );
}
