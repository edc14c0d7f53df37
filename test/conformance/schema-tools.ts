import { fromJsonSchema, type McpServer } from '@modelcontextprotocol/server';

/** An input schema using JSON Schema 2020-12 keywords a server must pass through untouched (SEP-1613, SEP-2106). */
const CONTACT_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: { $anchor: 'addressDef', type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's conditional keyword; this object is data, never awaited
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
};

/** An input schema whose string parameter the client must also send as an `Mcp-Param-Region` header (SEP-2243). */
const REGION_SCHEMA = {
  type: 'object',
  properties: { region: { type: 'string', description: 'The region to report on', 'x-mcp-header': 'Region' } },
  required: ['region'],
};

/**
 * Tools whose input schemas are given as raw JSON Schema: one with 2020-12 keywords (json-schema-2020-12) and one
 * whose parameter is mirrored into a header the serving entry checks against the body (http-custom-header-*).
 */
export function registerSchemaTools(server: McpServer): void {
  server.registerTool(
    'json_schema_2020_12_tool',
    { description: 'Tool with JSON Schema 2020-12 features', inputSchema: fromJsonSchema<Record<string, unknown>>(CONTACT_SCHEMA) },
    (contact) => ({ content: [{ type: 'text', text: `Contact: ${JSON.stringify(contact)}` }] }),
  );

  server.registerTool(
    'test_header_param',
    { description: 'Reports on a region named in both the arguments and a header', inputSchema: fromJsonSchema<{ region: string }>(REGION_SCHEMA) },
    ({ region }) => ({ content: [{ type: 'text', text: `Region: ${region}` }] }),
  );
}
