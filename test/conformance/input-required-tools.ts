import {
  acceptedContent,
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  inputRequired,
  inputResponse,
  type InputRequests,
  type McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import { type FlowState, requestStates } from './request-state.js';

const nameSchema = z.object({ name: z.string() });
const okSchema = z.object({ ok: z.boolean() });
const colorSchema = z.object({ color: z.string() });
const contextSchema = z.object({ context: z.string() });

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

const askName = (message = 'What is your name?') => inputRequired.elicit({ message, requestedSchema: nameSchema });
const askColor = () => inputRequired.elicit({ message: 'Step 2: What is your favorite color?', requestedSchema: colorSchema });
const askOk = () => inputRequired.elicit({ message: 'Please confirm', requestedSchema: okSchema });
const askGreeting = () => inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }], maxTokens: 50 });

/** The state this round carries, if it was minted for `tool` (the codec has already verified it). */
function stateFor(ctx: ServerContext, tool: string): FlowState | undefined {
  const state = ctx.mcpReq.requestState<FlowState>();
  return state?.tool === tool ? state : undefined;
}

/** The text of a sampling answer, if the client gave one under `key`. */
function sampledText(ctx: ServerContext, key: string): string | undefined {
  const view = inputResponse(ctx.mcpReq.inputResponses, key);
  if (view.kind !== 'sampling') return undefined;
  const content = view.result.content;
  const block = Array.isArray(content) ? content[0] : content;
  return block?.type === 'text' ? block.text : '';
}

/** The roots the client listed under `key`, if it did. */
function listedRoots(ctx: ServerContext, key: string): string[] | undefined {
  const view = inputResponse(ctx.mcpReq.inputResponses, key);
  return view.kind === 'roots' ? view.roots.map((root) => root.uri) : undefined;
}

/** The capabilities the client declared on this request's envelope (2026-07-28). */
function declaredCapabilities(ctx: ServerContext): ClientCapabilities {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  return (envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) ?? {};
}

/** A tool that asks for confirmation under signed state, and answers `done(ok)` once both come back. */
function registerSignedConfirmation(server: McpServer, tool: string, done: (ok: boolean) => string): void {
  server.registerTool(tool, { description: 'Asks for confirmation, keeping signed state between rounds' }, async (ctx) => {
    const confirmed = acceptedContent(ctx.mcpReq.inputResponses, 'confirm', okSchema);
    if (stateFor(ctx, tool) && confirmed) return text(done(confirmed.ok));
    return inputRequired({ inputRequests: { confirm: askOk() }, requestState: await requestStates.mint({ tool, step: 1 }) });
  });
}

/**
 * Tools (and one prompt) that gather input through multi-round-trip results (SEP-2322): the tool answers
 * `input_required` with the requests it needs, and the client retries with `inputResponses` (and the echoed
 * `requestState`). On a 2025-era connection with a session the SDK fulfils the same returns with server-to-client
 * requests; per-request (stateless) 2025 serving cannot receive their answers.
 */
export function registerInputRequiredTools(server: McpServer): void {
  server.registerTool('test_input_required_result_elicitation', { description: 'Asks for your name, then greets you' }, (ctx) => {
    const answer = acceptedContent(ctx.mcpReq.inputResponses, 'user_name', nameSchema);
    // Missing, wrong or malformed answers are asked for again rather than refused.
    if (!answer) return inputRequired({ inputRequests: { user_name: askName() } });
    return text(`Hello, ${answer.name}!`);
  });

  server.registerTool('test_input_required_result_sampling', { description: 'Asks the client model for the capital of France' }, (ctx) => {
    const answer = sampledText(ctx, 'capital_question');
    if (answer === undefined) {
      return inputRequired({
        inputRequests: {
          capital_question: inputRequired.createMessage({
            messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }],
            maxTokens: 100,
          }),
        },
      });
    }
    return text(`The model answered: ${answer}`);
  });

  server.registerTool('test_input_required_result_list_roots', { description: "Lists the client's roots" }, (ctx) => {
    const roots = listedRoots(ctx, 'client_roots');
    if (!roots) return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
    return text(`Client roots: ${roots.join(', ') || '(none)'}`);
  });

  registerSignedConfirmation(server, 'test_input_required_result_request_state', (ok) => `state-ok: confirmed=${ok}`);

  server.registerTool('test_input_required_result_multiple_inputs', { description: 'Asks for a name, a greeting and the roots at once' }, async (ctx) => {
    const tool = 'test_input_required_result_multiple_inputs';
    const state = stateFor(ctx, tool);
    const name = acceptedContent(ctx.mcpReq.inputResponses, 'user_name', nameSchema);
    const greeting = sampledText(ctx, 'greeting');
    const roots = listedRoots(ctx, 'client_roots');
    if (state && name && greeting !== undefined && roots) {
      return text(`${greeting} ${name.name} (roots: ${roots.join(', ') || 'none'})`);
    }
    const missing: InputRequests = {};
    if (!name) missing['user_name'] = askName();
    if (greeting === undefined) missing['greeting'] = askGreeting();
    if (!roots) missing['client_roots'] = inputRequired.listRoots();
    // A retry without valid state starts the flow over.
    const inputRequests = state ? missing : { user_name: askName(), greeting: askGreeting(), client_roots: inputRequired.listRoots() };
    return inputRequired({ inputRequests, requestState: await requestStates.mint({ tool, step: 1 }) });
  });

  server.registerTool('test_input_required_result_multi_round', { description: 'Asks for a name, then a favourite colour' }, async (ctx) => {
    const tool = 'test_input_required_result_multi_round';
    const state = stateFor(ctx, tool);
    if (state?.step === 2) {
      const color = acceptedContent(ctx.mcpReq.inputResponses, 'step2', colorSchema);
      const name = state.answers?.['name'] ?? 'someone';
      if (color) return text(`${name} likes ${color.color}`);
      return inputRequired({ inputRequests: { step2: askColor() }, requestState: await requestStates.mint(state) });
    }
    const name = state ? acceptedContent(ctx.mcpReq.inputResponses, 'step1', nameSchema) : undefined;
    if (name) {
      return inputRequired({ inputRequests: { step2: askColor() }, requestState: await requestStates.mint({ tool, step: 2, answers: { name: name.name } }) });
    }
    return inputRequired({ inputRequests: { step1: askName('Step 1: What is your name?') }, requestState: await requestStates.mint({ tool, step: 1 }) });
  });

  // Round 2 with altered state never reaches the handler: the codec refuses it with -32602.
  registerSignedConfirmation(server, 'test_input_required_result_tampered_state', (ok) => `Confirmed: ${ok}`);

  server.registerTool('test_input_required_result_capabilities', { description: 'Asks only for the kinds of input the client declared it can give' }, (ctx) => {
    const responses = ctx.mcpReq.inputResponses;
    if (responses && Object.keys(responses).length > 0) return text(`Received: ${Object.keys(responses).join(', ')}`);
    const capabilities = declaredCapabilities(ctx);
    const inputRequests: InputRequests = {};
    if (capabilities.elicitation) inputRequests['user_name'] = askName();
    if (capabilities.sampling) inputRequests['greeting'] = askGreeting();
    if (capabilities.roots) inputRequests['client_roots'] = inputRequired.listRoots();
    if (Object.keys(inputRequests).length === 0) return text('The client declared no way to give input; nothing asked.');
    return inputRequired({ inputRequests });
  });

  // Needs sampling whatever the client declared: a client without it gets MissingRequiredClientCapability (-32021).
  server.registerTool('test_missing_capability', { description: 'Needs the client to sample a greeting' }, (ctx) => {
    const greeting = sampledText(ctx, 'greeting');
    if (greeting === undefined) return inputRequired({ inputRequests: { greeting: askGreeting() } });
    return text(`The model said: ${greeting}`);
  });

  server.registerTool(
    'test_streaming_elicitation',
    { description: 'Asks for confirmation in an input-required result, never a request on the stream' },
    (ctx) => {
      const confirmed = acceptedContent(ctx.mcpReq.inputResponses, 'confirm', okSchema);
      if (!confirmed) return inputRequired({ inputRequests: { confirm: askOk() } });
      return text(`Confirmed: ${confirmed.ok}`);
    },
  );

  server.registerPrompt('test_input_required_result_prompt', { description: 'A prompt that first asks what context to use' }, (ctx) => {
    const answer = acceptedContent(ctx.mcpReq.inputResponses, 'user_context', contextSchema);
    if (!answer) {
      return inputRequired({
        inputRequests: { user_context: inputRequired.elicit({ message: 'What context should the prompt use?', requestedSchema: contextSchema }) },
      });
    }
    return { messages: [{ role: 'user', content: { type: 'text', text: `Use this context: ${answer.context}` } }] };
  });
}
