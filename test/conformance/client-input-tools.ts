import { inputRequired, inputResponse, type McpServer, type ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';

type ElicitSchema = Parameters<typeof inputRequired.elicit>[0]['requestedSchema'];

/** Form fields with a default for every primitive type (SEP-1034). */
const DEFAULTS_FORM: ElicitSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'Your name', default: 'John Doe' },
    age: { type: 'integer', description: 'Your age', default: 30 },
    score: { type: 'number', description: 'Your score', default: 95.5 },
    status: { type: 'string', description: 'Your status', enum: ['active', 'inactive', 'pending'], default: 'active' },
    verified: { type: 'boolean', description: 'Whether you are verified', default: true },
  },
};

/** One field of each enum form (SEP-1330): untitled and titled single-select, the legacy enumNames, and both multi-selects. */
const ENUMS_FORM: ElicitSchema = {
  type: 'object',
  properties: {
    untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
    titledSingle: {
      type: 'string',
      oneOf: [
        { const: 'value1', title: 'First Option' },
        { const: 'value2', title: 'Second Option' },
        { const: 'value3', title: 'Third Option' },
      ],
    },
    legacyEnum: { type: 'string', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Option One', 'Option Two', 'Option Three'] },
    untitledMulti: { type: 'array', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
    titledMulti: {
      type: 'array',
      items: {
        anyOf: [
          { const: 'value1', title: 'First Choice' },
          { const: 'value2', title: 'Second Choice' },
          { const: 'value3', title: 'Third Choice' },
        ],
      },
    },
  },
};

/** Describes an elicitation answer under `key`, or undefined when there is none yet. */
function elicitationOutcome(ctx: ServerContext, key: string): string | undefined {
  const view = inputResponse(ctx.mcpReq.inputResponses, key);
  if (view.kind !== 'elicit') return undefined;
  return `action=${view.action}, content=${JSON.stringify(view.content ?? {})}`;
}

/**
 * Tools that need the person or the model behind the client: sampling and elicitation, with the SEP-1034 defaults
 * and SEP-1330 enum forms. They are written as multi-round-trip returns, which serve the 2026-07-28 era directly and a
 * 2025-era connection through the SDK's server-to-client requests. Those need a session: served statelessly, a 2025
 * request gets a tool error saying the client's answer could not be received.
 */
export function registerClientInputTools(server: McpServer): void {
  server.registerTool(
    'test_sampling',
    { description: 'Asks the client model to answer a prompt', inputSchema: z.object({ prompt: z.string().describe('The prompt to send to the model') }) },
    ({ prompt }, ctx) => {
      const view = inputResponse(ctx.mcpReq.inputResponses, 'answer');
      if (view.kind !== 'sampling') {
        return inputRequired({
          inputRequests: { answer: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 }) },
        });
      }
      const block = Array.isArray(view.result.content) ? view.result.content[0] : view.result.content;
      return { content: [{ type: 'text', text: `LLM response: ${block?.type === 'text' ? block.text : JSON.stringify(block)}` }] };
    },
  );

  server.registerTool(
    'test_elicitation',
    { description: 'Asks the person for a username and email', inputSchema: z.object({ message: z.string().describe('The message to show the user') }) },
    ({ message }, ctx) => {
      const outcome = elicitationOutcome(ctx, 'details');
      if (outcome === undefined) {
        const requestedSchema: ElicitSchema = {
          type: 'object',
          properties: {
            username: { type: 'string', description: "User's response" },
            email: { type: 'string', description: "User's email address" },
          },
          required: ['username', 'email'],
        };
        return inputRequired({ inputRequests: { details: inputRequired.elicit({ message, requestedSchema }) } });
      }
      return { content: [{ type: 'text', text: `User response: ${outcome}` }] };
    },
  );

  server.registerTool('test_elicitation_sep1034_defaults', { description: 'Asks for a form whose fields all have defaults' }, (ctx) => {
    const outcome = elicitationOutcome(ctx, 'form');
    if (outcome === undefined) {
      return inputRequired({ inputRequests: { form: inputRequired.elicit({ message: 'Please review your details', requestedSchema: DEFAULTS_FORM }) } });
    }
    return { content: [{ type: 'text', text: `Elicitation completed: ${outcome}` }] };
  });

  server.registerTool('test_elicitation_sep1330_enums', { description: 'Asks for a form with every kind of enum field' }, (ctx) => {
    const outcome = elicitationOutcome(ctx, 'form');
    if (outcome === undefined) {
      return inputRequired({ inputRequests: { form: inputRequired.elicit({ message: 'Please choose your options', requestedSchema: ENUMS_FORM }) } });
    }
    return { content: [{ type: 'text', text: `Elicitation completed: ${outcome}` }] };
  });
}
