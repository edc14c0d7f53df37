import { type DpopAlg, type DpopKeyPair, DpopSession, generateDpopKeyPair } from '@modelcontextprotocol/client';
import { calculateJwkThumbprint, exportJWK, importJWK, type JWK } from 'jose';

const ALG: DpopAlg = 'ES256';

/**
 * The DPoP session of one server's tokens, its key kept with them: a DPoP-bound token (RFC 9449) is worth nothing
 * without the key it is bound to, so the key is made exportable and saved beside the tokens, in the same 0600 file.
 */
export async function dpopSession(saved: JWK | undefined, save: (key: JWK) => void): Promise<DpopSession> {
  if (saved) return DpopSession.create({ keyPair: await keyPairOf(saved) });
  const keyPair = await generateDpopKeyPair({ alg: ALG, extractable: true });
  save({ ...(await exportJWK(keyPair.privateKey)), alg: ALG });
  return DpopSession.create({ keyPair });
}

async function keyPairOf(privateJwk: JWK): Promise<DpopKeyPair> {
  const { d: _d, alg: _alg, ...publicJwk } = privateJwk;
  const alg = (privateJwk.alg as DpopAlg | undefined) ?? ALG;
  const [privateKey, publicKey] = await Promise.all([importJWK(privateJwk, alg), importJWK(publicJwk, alg)]);
  return {
    privateKey: privateKey as CryptoKey,
    publicKey: publicKey as CryptoKey,
    publicJwk: publicJwk as DpopKeyPair['publicJwk'],
    thumbprint: await calculateJwkThumbprint(publicJwk, 'sha256'),
    alg,
  };
}
