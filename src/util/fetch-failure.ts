/** What `fetch` throws when its `AbortSignal.timeout()` fires (before the answer, or while its body streams). */
export function isTimeout(error: unknown): boolean {
  return error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

/** fetch's "fetch failed" says nothing; the socket error under it (ECONNREFUSED, ENOTFOUND…) is what a person needs. */
export function networkFailureDetail(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** A body that ran past the size it was allowed. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

/** A response body as text, read no further than `maxBytes`: past it the read stops and this throws. */
export async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new BodyTooLargeError(`the body is over ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
