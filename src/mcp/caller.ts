import { AsyncLocalStorage } from 'node:async_hooks';
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Caller } from '../resource/caller.js';

const storage = new AsyncLocalStorage<Caller>();
let enabled = false;

/**
 * Let `getCaller()` work: called by servers built with `callerContext: true`. AsyncLocalStorage is used only
 * then, because on Node 22 it installs async hooks that every promise in the process pays for (about a tenth of
 * the MCP endpoint's throughput); on Node 24 and later it is nearly free.
 */
export function enableCallerContext(): void {
  enabled = true;
}

/** Run `fn` with `caller` as the current caller; every async continuation inside sees it, no one else does. */
export function runAsCaller<T>(caller: Caller, fn: () => T): T {
  return storage.run(caller, fn);
}

/**
 * The caller of the MCP request being handled, from anywhere in its async call chain (a helper deep inside a
 * tool need not be handed the context). Needs `callerContext: true` in the gatehouse() options; tools get the
 * same caller as `ctx.caller` without it. `undefined` over stdio or without auth.
 */
export function getCaller(): Caller | undefined {
  if (!enabled) {
    throw new Error('getCaller() needs `callerContext: true` in the gatehouse() options; a tool handler also gets the caller as ctx.caller');
  }
  return storage.getStore();
}

/** The caller carried on the SDK's `AuthInfo` (how tool contexts receive it). */
export function callerFromAuthInfo(authInfo: AuthInfo | undefined): Caller | undefined {
  const caller = authInfo?.extra?.['caller'];
  return caller === undefined ? undefined : (caller as Caller);
}

/**
 * The caller of the request an SDK handler is serving, from the context the SDK gives every tool, resource and
 * prompt handler: `callerOf(ctx)`. `undefined` over stdio or without auth.
 */
export function callerOf(ctx: { http?: { authInfo?: AuthInfo } } | undefined): Caller | undefined {
  return callerFromAuthInfo(ctx?.http?.authInfo);
}
