/**
 * The secret-hygiene check over a whole test run: no token, code, client secret, password or upstream token that
 * the tests created appears in any server's log lines or in the raw bytes of any SQLite store the tests used.
 *
 *   node --import tsx test/leak-scan.ts reset   # before the run
 *   node --import tsx test/leak-scan.ts check   # after it: exit 1 and a report when something leaked
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const DIR = process.env['GATEHOUSE_LEAK_DIR'] ?? join(process.cwd(), '.test-leaks');
/** Shorter strings (short test passwords, fixture logins) would match by coincidence. */
const MIN_SECRET_LENGTH = 16;

interface Record {
  secrets: string[];
  logs: string[];
  dataDirs: string[];
}

function check(): number {
  const records = existsSync(DIR) ? readdirSync(DIR).map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Record) : [];
  const secrets = new Set(records.flatMap((r) => r.secrets).filter((s) => s.length >= MIN_SECRET_LENGTH));
  const logs = records.flatMap((r) => r.logs).join('\n');
  const files = [...new Set(records.flatMap((r) => r.dataDirs))]
    .filter((dir) => existsSync(dir))
    .flatMap((dir) =>
      readdirSync(dir)
        .filter((f) => f.startsWith('gatehouse.db'))
        .map((f) => join(dir, f)),
    );
  const leaks: string[] = [];
  for (const secret of secrets) {
    if (logs.includes(secret)) leaks.push(`log lines contain ${describe(secret)}`);
  }
  for (const file of files) {
    const bytes = readFileSync(file).toString('latin1');
    for (const secret of secrets) if (bytes.includes(secret)) leaks.push(`${file} contains ${describe(secret)}`);
  }
  process.stdout.write(
    `leak scan: ${secrets.size} secrets from ${records.length} test processes, against ${logs.split('\n').length} log lines and ${files.length} store files\n`,
  );
  if (records.length === 0 || secrets.size === 0) {
    process.stdout.write('leak scan: nothing was recorded (was GATEHOUSE_LEAK_DIR set for the run?)\n');
    return 1;
  }
  for (const leak of leaks) process.stdout.write(`LEAK: ${leak}\n`);
  return leaks.length === 0 ? 0 : 1;
}

/** Enough of a secret to find it in the test that made it, never the whole secret. */
function describe(secret: string): string {
  return `a secret starting ${JSON.stringify(secret.slice(0, 6))} (${secret.length} characters)`;
}

const command = process.argv[2];
if (command === 'reset') {
  rmSync(DIR, { recursive: true, force: true });
} else if (command === 'check') {
  process.exitCode = check();
} else {
  process.stderr.write('usage: leak-scan.ts reset|check\n');
  process.exitCode = 2;
}
