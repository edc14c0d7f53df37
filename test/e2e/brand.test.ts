import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { authorizationUrl } from '../helpers/authorize.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';

const EMAIL = 'ada@example.com';
const REDIRECT = 'http://127.0.0.1:9/callback';
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="#0b6e4f"/></svg>';
const BRAND = {
  name: 'Acme <Labs> & Co',
  logo: `data:image/svg+xml;base64,${Buffer.from(SVG).toString('base64')}`,
  color: '#0b6e4f',
  supportUrl: 'mailto:help@acme.example?subject=a&b',
};
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

/** What a page shows of the brand, read in the browser: so escaping, the CSP and the CSS all count. */
function brandOnPage(page: Page) {
  return page.evaluate(() => {
    const logo = document.querySelector<HTMLImageElement>('header.brand img');
    const button = document.querySelector('button.primary') ?? document.querySelector('button');
    return {
      title: document.title,
      header: document.querySelector('header.brand')?.textContent ?? '',
      logo: logo?.getAttribute('src') ?? '',
      logoLoaded: (logo?.naturalWidth ?? 0) > 0,
      help: document.querySelector<HTMLAnchorElement>('footer a')?.getAttribute('href') ?? '',
      helpText: document.querySelector('footer a')?.textContent ?? '',
      rule: getComputedStyle(document.querySelector('header.brand')!).borderBottomColor,
      button: button ? getComputedStyle(button).backgroundColor : '',
    };
  });
}

function assertBranded(seen: Awaited<ReturnType<typeof brandOnPage>>, where: string, primaryButton: boolean) {
  assert.ok(seen.header.includes(BRAND.name), `${where}: header "${seen.header}"`);
  assert.ok(seen.header.includes('Embedded test'), `${where}: the server's name beside the brand's`);
  assert.ok(seen.title.endsWith(`· ${BRAND.name}`), `${where}: title "${seen.title}"`);
  assert.equal(seen.logo, BRAND.logo, where);
  assert.ok(seen.logoLoaded, `${where}: the CSP lets the inlined logo load`);
  assert.equal(seen.help, BRAND.supportUrl, where);
  assert.equal(seen.helpText, 'Need help?', where);
  // The colour's style is only applied when its hash is in the CSP: without it the default blue would show.
  assert.equal(seen.rule, 'rgb(11, 110, 79)', `${where}: the header's rule is in the brand colour`);
  if (primaryButton) assert.equal(seen.button, 'rgb(11, 110, 79)', `${where}: the primary button is in the brand colour`);
}

describe('a branded embedded server in Chromium: sign-in, consent and account pages', () => {
  let server: EmbeddedTestServer;
  let browser: Browser;
  let clientId: string;

  before(async () => {
    server = await startEmbedded({ brand: BRAND });
    await server.accounts.create(EMAIL, PASSWORD);
    clientId = (await server.clients.add({ name: 'Notes', redirectUris: [REDIRECT] })).client_id;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    it(`shows the name, logo, colour and support link on each page (${size})`, async () => {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      try {
        await page.goto(authorizationUrl({ server, clientId, redirectUri: REDIRECT }).url.href);
        assert.equal(await page.locator('input[name=password]').count(), 1, 'the sign-in page');
        assertBranded(await brandOnPage(page), 'sign-in', true);
        await screenshot(page, `brand-login-${size}`);

        await page.fill('input[name=email]', EMAIL);
        await page.fill('input[name=password]', PASSWORD);
        await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
        assert.equal(await page.locator('button[value=allow]').count(), 1, `the consent page, at ${page.url()}`);
        assertBranded(await brandOnPage(page), 'consent', true);
        await screenshot(page, `brand-consent-${size}`);

        await page.goto(`${server.urls.issuer}/account`);
        if (await page.locator('input[name=password]').count()) {
          assertBranded(await brandOnPage(page), 'account sign-in', true);
          await page.fill('input[name=email]', EMAIL);
          await page.fill('input[name=password]', PASSWORD);
          await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
        }
        assert.ok((await page.content()).includes(EMAIL), `the account page, at ${page.url()}`);
        assertBranded(await brandOnPage(page), 'account', false);
        await screenshot(page, `brand-account-${size}`);
      } finally {
        await context.close();
      }
    });
  }
});

describe('a branded server with an https logo: landing and error pages, and the CSP', () => {
  const LOGO = 'https://cdn.acme.example/brand/logo.png';
  let server: EmbeddedTestServer;

  before(async () => {
    server = await startEmbedded({ brand: { ...BRAND, logo: LOGO } });
  });
  after(async () => server?.close());

  const pages = () => ({
    landing: `${server.urls.origin}/`,
    error: `${server.urls.issuer}/auth?client_id=no-such-client&response_type=code`,
    'account sign-in': `${server.urls.issuer}/account`,
  });

  it('shows the escaped name, the logo, the colour and the support link on the landing and an error page', async () => {
    for (const [what, url] of Object.entries(pages())) {
      const response = await fetch(url, { headers: { Accept: 'text/html' } });
      const body = await response.text();
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/, what);
      assert.ok(body.includes('Acme &lt;Labs&gt; &amp; Co'), `${what}: the name, escaped`);
      assert.ok(!body.includes(BRAND.name), `${what}: never the name unescaped`);
      assert.ok(body.includes(`<img src="${LOGO}"`), `${what}: the logo`);
      assert.ok(body.includes('href="mailto:help@acme.example?subject=a&amp;b">Need help?</a>'), `${what}: the support link`);
      assert.ok(body.includes('<style>:root{--brand:#0b6e4f;--on-brand:#ffffff}</style>'), `${what}: the colour`);
      if (what === 'error') assert.ok(response.status >= 400, `an error page: ${response.status}`);
    }
  });

  it("lets images load from the logo's origin and no other", async () => {
    for (const [what, url] of Object.entries(pages())) {
      const csp = (await fetch(url, { headers: { Accept: 'text/html' } })).headers.get('content-security-policy') ?? '';
      const imgSrc = /img-src ([^;]*)/.exec(csp)?.[1];
      assert.equal(imgSrc, "'self' data: https://cdn.acme.example", `${what}: ${csp}`);
      assert.match(csp, /default-src 'none'/, what);
      // Two hashed styles, the page's and the colour's: no 'unsafe-inline'.
      assert.match(csp, /style-src 'sha256-[^']+' 'sha256-[^']+';/, `${what}: ${csp}`);
    }
  });
});

describe('gatehouse() with a brand that cannot be used', () => {
  it('refuses a colour that is not a hex colour, a logo that is not https or an image, a support link that is not https or mailto', async () => {
    const { gatehouse } = await import('../../src/gatehouse.js');
    const { dangerouslyNoAuth } = await import('../../src/resource/auth-mode.js');
    for (const brand of [
      { color: 'red;}body{display:none' },
      { color: '#0b6e4f;}' },
      { logo: 'http://cdn.acme.example/logo.png' },
      { logo: 'data:text/html;base64,PHNjcmlwdD4=' },
      { supportUrl: 'javascript:alert(1)' },
    ]) {
      assert.throws(() => gatehouse({ name: 'x', auth: dangerouslyNoAuth(), brand }), TypeError, JSON.stringify(brand));
    }
  });
});
