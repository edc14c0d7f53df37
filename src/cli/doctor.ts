import type { Command } from 'commander';
import { doctor, doctorUrlProblem, DEFAULT_ORIGIN } from '../client/doctor/doctor.js';
import { renderJson, renderText } from '../client/doctor/render.js';
import { ConfigError } from '../config/load.js';

/** `gatehouse doctor <mcp-url>`: exit 0 when nothing fails, 1 otherwise; a bad argument is a usage error (2). */
export function doctorCommand(program: Command): void {
  program
    .command('doctor')
    .description("check any MCP server's authorization the way a client does, without credentials")
    .argument('<mcp-url>', 'the MCP endpoint, e.g. https://mcp.example.com/mcp')
    .option('--json', 'print the report as JSON')
    .option('--login', 'go on through a real authorization (a browser sign-in, or --token): read what the token says and call tools/list')
    .option('--token <token>', "with --login: an access token to use instead of signing in ('-' reads it from standard input)")
    .option('--no-browser', 'with --login: print the authorization URL instead of opening the browser')
    .option('--register-probe', "register (then delete, where allowed) one client per preset at the server's dynamic registration endpoint")
    .option('--origin <origin>', 'the browser origin whose CORS access is checked', DEFAULT_ORIGIN)
    .option('--timeout <ms>', 'per request, in milliseconds', '10000')
    .action(async (url: string, options: Record<string, unknown>) => runDoctor(url, options));
}

async function runDoctor(url: string, options: Record<string, unknown>): Promise<void> {
  const problems: string[] = [];
  const urlProblem = doctorUrlProblem(url);
  if (urlProblem) problems.push(`<mcp-url>: ${urlProblem}`);
  const timeoutMs = Number(options['timeout']);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) problems.push('--timeout must be a whole number of milliseconds, e.g. --timeout 10000');
  const origin = String(options['origin']);
  if (!URL.canParse(origin) || new URL(origin).origin !== origin) problems.push(`--origin must be a browser origin like ${DEFAULT_ORIGIN}, got "${origin}"`);
  const given = options['token'] as string | undefined;
  if (given !== undefined && !options['login']) problems.push('--token is used only with --login; add --login');
  const token = given === '-' ? (await readStdin()).trim() : given;
  if (given === '-' && !token) problems.push('--token -: standard input held no token');
  if (problems.length) throw new ConfigError(problems);

  const report = await doctor(url, {
    login: Boolean(options['login']),
    token,
    signIn: { openBrowser: options['browser'] !== false, log: (line) => process.stderr.write(`${line}\n`) },
    registerProbe: Boolean(options['registerProbe']),
    origin,
    timeoutMs,
  });
  process.stdout.write(options['json'] ? renderJson(report) : renderText(report, { color: process.stdout.isTTY === true }));
  process.exitCode = report.ok ? 0 : 1;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
