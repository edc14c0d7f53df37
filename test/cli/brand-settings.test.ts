import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { startGatehouse } from '../helpers/gatehouse-process.js';

const dir = mkdtempSync(join(tmpdir(), 'gh-brand-'));

/** `gatehouse serve` with these flags must stop before listening: exit 2, one line naming the flag, nothing on stdout. */
async function refused(args: string[], flag: string, reason: RegExp) {
  const run = runCli(['serve', '--port', '0', '--data-dir', join(dir, 'data'), ...args]);
  run.child.stdin.end();
  const code = await run.exited;
  const [stdout, stderr] = [run.stdout(), run.stderr()];
  assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
  assert.equal(stderr.trimEnd().split('\n').length, 1, `one line: ${stderr}`);
  assert.ok(stderr.includes(flag), `names ${flag}: ${stderr}`);
  assert.match(stderr, reason);
  assert.equal(stdout, '');
}

describe('gatehouse serve refuses a brand it cannot show', () => {
  it('a colour that would escape its CSS declaration', async () => {
    await refused(['--brand-color', 'red;}body{display:none'], '--brand-color', /CSS hex colour such as #1f5fbf/);
  });

  it('a colour by name, or a hex colour of the wrong length', async () => {
    await refused(['--brand-color', 'red'], '--brand-color', /CSS hex colour/);
    await refused(['--brand-color', '#12345'], '--brand-color', /CSS hex colour/);
  });

  it('a logo file over 100 KiB, even a real png', async () => {
    const big = join(dir, 'big.png');
    writeFileSync(big, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100 * 1024)]));
    await refused(['--brand-logo', big], '--brand-logo', /is 101 KiB: give an https URL, or a png, svg or jpeg file of at most 100 KiB/);
  });

  it('a logo file that is not an image, whatever its name says', async () => {
    const fake = join(dir, 'logo.png');
    writeFileSync(fake, '<html><script>alert(1)</script></html>');
    await refused(['--brand-logo', fake], '--brand-logo', /is not a png, svg or jpeg image/);
  });

  it('a logo file that is not there, and a logo at an http URL', async () => {
    await refused(['--brand-logo', join(dir, 'missing.svg')], '--brand-logo', /cannot be read \(ENOENT\)/);
    await refused(['--brand-logo', 'http://cdn.acme.example/logo.png'], '--brand-logo', /must be an https URL or a file path/);
  });

  it('a support link that is not https or mailto', async () => {
    await refused(['--support-url', 'javascript:alert(1)'], '--support-url', /must be an https or mailto: URL/);
  });
});

describe('gatehouse serve with a brand', () => {
  it('inlines a logo file as a data: URL and shows the name, colour and support link on its pages', async () => {
    const svg = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>';
    const logo = join(dir, 'acme.svg');
    writeFileSync(logo, svg);
    const server = await startGatehouse({
      args: ['--name', 'Acme MCP', '--brand-name', 'Acme', '--brand-logo', logo, '--brand-color', '#0B6E4F', '--support-url', 'https://help.acme.example/'],
    });
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/`, { headers: { Accept: 'text/html' } });
      const body = await response.text();
      assert.ok(body.includes('<strong>Acme</strong><span class="muted">Acme MCP</span>'), body);
      assert.ok(body.includes(`<img src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}"`), 'the logo, inlined');
      assert.ok(body.includes('<style>:root{--brand:#0B6E4F;--on-brand:#ffffff}</style>'));
      assert.ok(body.includes('<a href="https://help.acme.example/">Need help?</a>'));
      assert.match(response.headers.get('content-security-policy') ?? '', /img-src 'self' data:;/);
    } finally {
      await server.stop();
    }
  });
});
