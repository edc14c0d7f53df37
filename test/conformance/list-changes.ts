import { InMemoryServerEventBus, type McpServer } from '@modelcontextprotocol/server';

/**
 * The change events open `subscriptions/listen` streams hear (2026-07-28). Each request is served by a fresh server
 * instance, so a tool cannot reach a listen stream through its own instance: it publishes here, and the handler
 * serving the streams subscribes to the same bus.
 */
export const listChanges = new InMemoryServerEventBus();

/** Tools that announce a change to the tool or prompt list, for the subscription scenarios to observe. */
export function registerListChangeTools(server: McpServer): void {
  server.registerTool('test_trigger_tool_change', { description: 'Announces that the tool list changed' }, () => {
    listChanges.publish({ kind: 'tools_list_changed' });
    return { content: [{ type: 'text', text: 'Announced a tool list change' }] };
  });

  server.registerTool('test_trigger_prompt_change', { description: 'Announces that the prompt list changed' }, () => {
    listChanges.publish({ kind: 'prompts_list_changed' });
    return { content: [{ type: 'text', text: 'Announced a prompt list change' }] };
  });
}
