import { randomBytes } from 'node:crypto';
import { createRequestStateCodec } from '@modelcontextprotocol/server';

/** What a multi-round tool keeps between rounds: which tool minted it, the round it is in, and answers gathered so far. */
export interface FlowState {
  tool: string;
  step: number;
  answers?: Record<string, string>;
}

/**
 * Seals and verifies the `requestState` the multi-round tools hand the client, so a tampered state is refused
 * (-32602) before any handler runs. The key is made per process: every round of a flow reaches this one process.
 */
export const requestStates = createRequestStateCodec<FlowState>({ key: randomBytes(32), ttlSeconds: 600 });
