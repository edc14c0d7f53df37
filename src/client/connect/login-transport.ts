import {
  type JSONRPCMessage,
  StreamableHTTPClientTransport,
  type StreamableHTTPClientTransportOptions,
  type TransportSendOptions,
  UnauthorizedError,
} from '@modelcontextprotocol/client';
import type { ConnectProvider } from './provider.js';

/**
 * The SDK's Streamable HTTP transport, finishing the sign-ins it starts. When a message meets a 401 (or a 403
 * `insufficient_scope` that needs more consent) and the SDK sends the person to the authorization server, the
 * SDK stops with `UnauthorizedError`; this waits for the browser to come back to the loopback redirect, has the
 * SDK check `iss` and redeem the code, and sends the message again.
 */
export class LoginTransport extends StreamableHTTPClientTransport {
  constructor(
    url: URL,
    private readonly provider: ConnectProvider,
    options: Omit<StreamableHTTPClientTransportOptions, 'authProvider'> = {},
  ) {
    super(url, { ...options, authProvider: provider });
  }

  override async send(message: JSONRPCMessage | JSONRPCMessage[], options?: TransportSendOptions): Promise<void> {
    try {
      return await super.send(message, options);
    } catch (error) {
      const callback = this.provider.takeCallback();
      if (!(error instanceof UnauthorizedError) || !callback) throw error;
      await this.finishAuth(await callback);
      return super.send(message, options);
    }
  }
}
