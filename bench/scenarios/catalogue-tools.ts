// The tools of the catalogue scenario besides whoami: what an app's MCP server might offer, each with a
// description, a zod input schema of a few fields and a scope. Plain data and zod only, no Gatehouse import,
// so the baseline and the current library (and the bare SDK) are given the very same tools.
import { z } from 'zod';

export interface CatalogueTool {
  name: string;
  description: string;
  /** `<area>:read` or `<area>:write`; the bare SDK, having no auth, ignores it. */
  scope: string;
  inputSchema: z.ZodObject;
  handler: (args: Record<string, unknown>) => Record<string, unknown>;
}

const AREAS = ['notes', 'calendar', 'files', 'tasks', 'contacts', 'mail', 'issues', 'wiki', 'invoices', 'reports'] as const;
const READS = ['search', 'get', 'list', 'summarize', 'export'] as const;
const WRITES = ['create', 'update', 'delete', 'archive', 'share'] as const;

// A function, not a shared object: each tool gets a schema of its own, as when a person writes them one by one.
const readInput = () =>
  z.object({
    query: z.string().min(1).describe('Words to look for, or an id'),
    limit: z.number().int().min(1).max(100).optional().describe('How many results at most (default 20)'),
  });
const writeInput = () =>
  z.object({
    id: z.string().min(1).describe('The id of the item'),
    content: z.string().describe('The new text of the item'),
    notify: z.boolean().optional().describe('Tell the people following the item'),
  });

/** `count` tools, areas interleaved so that a small catalogue already spans several of them; at most 100. */
export function catalogueTools(count: number): CatalogueTool[] {
  if (count > AREAS.length * (READS.length + WRITES.length)) throw new Error(`at most ${AREAS.length * 10} catalogue tools`);
  const verbs = [...READS, ...WRITES];
  return Array.from({ length: count }, (_, i) => {
    const area = AREAS[i % AREAS.length]!;
    const verb = verbs[Math.floor(i / AREAS.length)]!;
    const writes = (WRITES as readonly string[]).includes(verb);
    return {
      name: `${area}_${verb}`,
      description: `${verb[0]!.toUpperCase()}${verb.slice(1)} ${writes ? 'an item of' : 'items in'} the ${area} of the signed-in person.`,
      scope: `${area}:${writes ? 'write' : 'read'}`,
      inputSchema: writes ? writeInput() : readInput(),
      handler: (args) => ({ ok: true, tool: `${area}_${verb}`, args }),
    };
  });
}

/** Every scope the first `count` tools need, for tokens that may call (and see) all of them. */
export function catalogueScopes(count: number): string[] {
  return [...new Set(catalogueTools(count).map((t) => t.scope))];
}
