import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface OneShotResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP/1.1 exchange on a connection of its own (no keep-alive pool), for fuzzing: a server may stop reading an
 * oversized body and close the connection after answering, and a pooled client would then see the *next* request
 * fail on that socket. Here every request has its own socket, so each answer belongs to its request.
 * Rejects only when no response arrives (refused, reset before the status line, timeout).
 */
/** Header values node:http refuses to send (it throws): NUL, CR, LF and other controls, or anything above U+00FF. */
export const sendableHeaderValue = (value: string) => /^[\t\x20-\x7e\x80-\xff]*$/.test(value);

export function oneShot(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {},
): Promise<OneShotResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let responded = false;
    const body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
    const headers = { connection: 'close', ...(body !== undefined && { 'content-length': String(body.length) }), ...options.headers };
    const req = httpRequest(url, { method: options.method ?? 'GET', headers, agent: false }, (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      const keepWhatArrived = () => {
        // The server closed the socket after sending the head: keep what arrived.
        if (!settled) {
          settled = true;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        }
      };
      res.on('error', keepWhatArrived);
      res.on('close', keepWhatArrived);
    });
    req.setTimeout(options.timeoutMs ?? 15_000, () => req.destroy(new Error('timed out')));
    req.on('error', (error) => {
      // An error while still writing a body the server already answered (EPIPE, reset): the response decides.
      if (!settled && responded) return;
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
    req.end(body);
  });
}
