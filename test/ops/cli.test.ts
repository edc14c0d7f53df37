import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { freePort, runCli } from '../helpers/cli.js';
import { metricValue } from './support.js';

const METRICS_TOKEN = 'cli-metrics-token-0123456789abcdefghij';

describe('operations settings', () => {
  it('have the documented defaults', () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.maxBodyBytes, 1024 * 1024);
    assert.equal(config.toolCallsPerMinute, 600);
    assert.equal(config.headersTimeoutSeconds, 10);
    assert.equal(config.requestTimeoutSeconds, 30);
    assert.equal(config.shutdownTimeoutSeconds, 10);
    assert.equal(config.metricsPort, undefined);
    assert.equal(config.metricsHost, '127.0.0.1');
    assert.equal(config.metricsToken, undefined);
  });

  it('read GATEHOUSE_* variables and flags', () => {
    const config = loadConfig({
      env: { GATEHOUSE_TOOL_CALLS_PER_MINUTE: '0', GATEHOUSE_METRICS_TOKEN: METRICS_TOKEN, GATEHOUSE_MAX_BODY_BYTES: '65536' },
      flags: { metricsPort: '9464', shutdownTimeoutSeconds: '3' },
    });
    assert.equal(config.toolCallsPerMinute, 0);
    assert.equal(config.metricsToken, METRICS_TOKEN);
    assert.equal(config.maxBodyBytes, 65536);
    assert.equal(config.metricsPort, 9464);
    assert.equal(config.shutdownTimeoutSeconds, 3);
  });

  it('refuse a short metrics token, a headers timeout longer than the request timeout, and a metrics port equal to the port', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ env });
        return [];
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.problems;
      }
    };
    assert.match(problems({ GATEHOUSE_METRICS_TOKEN: 'short' }).join('\n'), /metricsToken \(GATEHOUSE_METRICS_TOKEN\): must be at least 32 characters/);
    assert.match(
      problems({ GATEHOUSE_HEADERS_TIMEOUT_SECONDS: '40' }).join('\n'),
      /headersTimeoutSeconds \(--headers-timeout-seconds \/ GATEHOUSE_HEADERS_TIMEOUT_SECONDS\): must not exceed/,
    );
    assert.match(problems({ GATEHOUSE_PORT: '9000', GATEHOUSE_METRICS_PORT: '9000' }).join('\n'), /metricsPort .*must differ from --port/);
  });

  it('offer the metrics token as an environment variable only', () => {
    const help = runCli(['serve', '--help']);
    return help.exited.then((code) => {
      assert.equal(code, 0);
      assert.match(help.stdout(), /--metrics-port <value>/);
      assert.match(help.stdout(), /--tool-calls-per-minute <value>/);
      assert.doesNotMatch(help.stdout(), /--metrics-token/);
      assert.match(help.stdout(), /GATEHOUSE_METRICS_TOKEN/);
    });
  });
});

describe('gatehouse serve with metrics', () => {
  it('serves them on --metrics-port and prints where', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-ops-cli-'));
    const cli = runCli(['serve', '--mode', 'resource', '--dev-keys', '--data-dir', dataDir, '--port', String(port), '--metrics-port', String(metricsPort)]);
    try {
      await cli.waitFor(/Get a token/);
      assert.match(cli.stderr(), new RegExp(`Metrics: +http://127\\.0\\.0\\.1:${metricsPort}/metrics`));
      assert.equal((await fetch(`http://127.0.0.1:${port}/mcp`, { method: 'POST' })).status, 401);
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      assert.equal(metricValue(text, 'gatehouse_http_requests_total', { route: '/mcp', status: '401' }), 1);
    } finally {
      assert.equal(await cli.stop(), 0);
    }
  });

  it('serves them on the main port behind GATEHOUSE_METRICS_TOKEN, never printing the token', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-ops-cli-'));
    const cli = runCli(['serve', '--mode', 'resource', '--dev-keys', '--data-dir', dataDir, '--port', String(port)], {
      GATEHOUSE_METRICS_TOKEN: METRICS_TOKEN,
    });
    try {
      await cli.waitFor(/Get a token/);
      assert.match(cli.stderr(), new RegExp(`Metrics: +http://localhost:${port}/metrics`));
      assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 401);
      const scrape = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      assert.equal(scrape.status, 200);
      assert.match(await scrape.text(), /gatehouse_http_requests_total/);
    } finally {
      await cli.stop();
      assert.ok(!(cli.stdout() + cli.stderr()).includes(METRICS_TOKEN));
    }
  });
});
