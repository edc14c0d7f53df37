import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import { RED_PIXEL_PNG, silentWav } from './media.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Tools returning each kind of tool-call content, plus the ones that report progress, log while they run, or fail.
 * Named as the conformance suite's tools-call-* scenarios call them.
 */
export function registerContentTools(server: McpServer): void {
  server.registerTool('test_simple_text', { description: 'Returns one text block' }, () => ({
    content: [{ type: 'text', text: 'This is a simple text response for testing.' }],
  }));

  server.registerTool('test_image_content', { description: 'Returns a 1×1 PNG image' }, () => ({
    content: [{ type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' }],
  }));

  server.registerTool('test_audio_content', { description: 'Returns a short silent WAV clip' }, () => ({
    content: [{ type: 'audio', data: silentWav(), mimeType: 'audio/wav' }],
  }));

  server.registerTool('test_embedded_resource', { description: 'Returns an embedded text resource' }, () => ({
    content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }],
  }));

  server.registerTool('test_resource_link', { description: 'Returns a link to the static text resource' }, () => ({
    content: [{ type: 'resource_link', uri: 'test://static-text', name: 'static-text', mimeType: 'text/plain', description: 'The static text resource' }],
  }));

  server.registerTool('test_multiple_content_types', { description: 'Returns text, an image and an embedded resource' }, () => ({
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' },
      {
        type: 'resource',
        resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) },
      },
    ],
  }));

  server.registerTool('test_error_handling', { description: 'Always fails with a tool error' }, () => ({
    isError: true,
    content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }],
  }));

  server.registerTool('test_tool_with_progress', { description: 'Reports progress 0, 50 and 100 of 100 when given a progress token' }, async (ctx) => {
    const progressToken = ctx.mcpReq._meta?.progressToken;
    for (const progress of [0, 50, 100]) {
      if (progressToken !== undefined) {
        await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress, total: 100 } });
      }
      if (progress < 100) await pause(50);
    }
    return { content: [{ type: 'text', text: 'Progress reporting completed' }] };
  });

  // The 2025 scenario calls it test_tool_with_logging; the 2026 one test_logging_tool. One handler serves both names.
  const logWhileRunning = async (ctx: ServerContext) => {
    await ctx.mcpReq.log('info', 'Tool execution started');
    await pause(50);
    await ctx.mcpReq.log('info', 'Tool processing data');
    await pause(50);
    await ctx.mcpReq.log('info', 'Tool execution completed');
    return { content: [{ type: 'text' as const, text: 'Logging completed' }] };
  };
  server.registerTool('test_tool_with_logging', { description: 'Logs three info messages while it runs' }, logWhileRunning);
  server.registerTool('test_logging_tool', { description: 'Logs three info messages while it runs' }, logWhileRunning);
}
