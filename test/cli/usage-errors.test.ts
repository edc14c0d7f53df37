import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

async function cli(args: string[]) {
  const run = runCli(args);
  run.child.stdin.end();
  return { code: await run.exited, stdout: run.stdout(), stderr: run.stderr() };
}

/** A mistake on the command line: exit 2 and exactly this one line on stderr, nothing on stdout. */
async function refused(args: string[], line: string) {
  const { code, stdout, stderr } = await cli(args);
  assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
  assert.equal(stdout, '');
  assert.equal(stderr, `${line}\n`, args.join(' '));
}

describe('the command line', () => {
  it('says what was mistyped in one line, with where to look, and exits 2', async () => {
    await refused(['serve', '--bogus'], "gatehouse: unknown option '--bogus'; see `gatehouse serve --help`");
    await refused(['serve', '--prot', '8000'], "gatehouse: unknown option '--prot' (did you mean --port?); see `gatehouse serve --help`");
    await refused(['srve'], "gatehouse: unknown command 'srve' (did you mean serve?); see `gatehouse --help`");
    await refused(['users', 'add'], "gatehouse: missing required argument 'email'; see `gatehouse users add --help`");
    await refused(['users', 'add', 'ada@example.com', '--port', '9000'], "gatehouse: unknown option '--port'; see `gatehouse users add --help`");
  });

  it('prints its version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const { code, stdout } = await cli([flag]);
      assert.equal(code, 0);
      assert.equal(stdout, `${version}\n`);
    }
  });

  it("offers in each command's --help only the settings that command reads", async () => {
    const usersAdd = await cli(['users', 'add', '--help']);
    assert.equal(usersAdd.code, 0);
    assert.match(usersAdd.stdout, /--data-dir/);
    assert.match(usersAdd.stdout, /--store /);
    for (const unrelated of ['--port', '--public-url', '--issuer', '--mode', '--log-level', '--trust-proxy'])
      assert.ok(!usersAdd.stdout.includes(unrelated), unrelated);

    const serve = await cli(['serve', '--help']);
    for (const flag of [
      '--port',
      '--public-url',
      '--issuer',
      '--no-dynamic-registration',
      '--no-client-metadata-documents',
      '--local-login',
      '--no-local-login',
    ])
      assert.ok(serve.stdout.includes(flag), flag);
    assert.ok(!/--dynamic-registration\b/.test(serve.stdout.replaceAll('--no-dynamic-registration', '')), 'a switch on by default offers only its --no- form');
  });

  it('describes both ways `gatehouse token` mints: for an account with --user, or with the development key', async () => {
    const { code, stdout } = await cli(['token', '--help']);
    assert.equal(code, 0);
    assert.match(stdout, /--user <email> +the account the token is for/);
    assert.match(stdout, /--dev-keys +sign with the development key in the data/);
    assert.match(stdout, /--sub <subject> +with --dev-keys: the subject/);
    assert.match(stdout.replace(/\s+/g, ' '), /print an access token for scripts and tests: for an account of the embedded or federated server \(--user\)/);
    assert.ok(!stdout.includes('--dynamic-registration') && !stdout.includes('--issuer'));
  });
});
