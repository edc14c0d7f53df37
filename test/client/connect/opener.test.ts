import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openableUrl, openInBrowser, systemOpener, UnsafeAuthorizationUrlError } from '../../../src/client/connect/opener.js';

/** A stand-in for xdg-open that records the arguments it was given, one JSON line per run. */
function recorder(): { command: string[]; runs: () => string[][]; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-opener-'));
  const script = join(dir, 'record.cjs');
  const out = join(dir, 'runs.jsonl');
  writeFileSync(script, `require('node:fs').appendFileSync(${JSON.stringify(out)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`);
  return {
    command: [process.execPath, script],
    dir,
    runs: () =>
      existsSync(out)
        ? readFileSync(out, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as string[])
        : [],
  };
}

/** The opener is started detached; wait for it to have written its record. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(20);
}

describe('opening the authorization URL', () => {
  it('refuses every URL that is not http(s), before anything is started', async () => {
    const opener = recorder();
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'vscode://x/open', 'ms-settings:', 'data:text/html,<script>1</script>', 'not a url', '']) {
      assert.throws(() => openableUrl(url), UnsafeAuthorizationUrlError, url);
      await assert.rejects(openInBrowser(url, opener.command), UnsafeAuthorizationUrlError, url);
    }
    // A URL the opener does take, so its record shows it ran once, for that one alone.
    await openInBrowser('https://as.example/authorize', opener.command);
    await until(() => opener.runs().length > 0);
    assert.deepEqual(opener.runs(), [['https://as.example/authorize']]);
  });

  it('passes an http(s) URL with shell metacharacters as one argument, run by no shell', async () => {
    const opener = recorder();
    const marker = join(opener.dir, 'pwned');
    const url = `https://as.example/authorize?a=$(touch ${marker})&b=\`touch ${marker}\`;touch ${marker}|touch ${marker}`;
    await openInBrowser(url, opener.command);
    await until(() => opener.runs().length > 0);
    assert.deepEqual(opener.runs(), [[new URL(url).href]]);
    assert.equal(existsSync(marker), false, 'nothing in the URL was run');
  });

  it("uses the platform's opener without a shell on each platform", () => {
    assert.deepEqual(systemOpener('linux'), ['xdg-open']);
    assert.deepEqual(systemOpener('darwin'), ['open']);
    assert.deepEqual(systemOpener('win32'), ['rundll32', 'url.dll,FileProtocolHandler']);
  });
});
