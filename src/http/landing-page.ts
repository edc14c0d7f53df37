import type { Context, Hono } from 'hono';
import { accepts } from 'hono/accepts';
import { connectApp } from '../authserver/pages/connect-app.js';
import { html, pageResponse } from '../authserver/web/html.js';
import { templatedPage } from '../authserver/web/templated-page.js';
import type { AuthSetup } from '../resource/auth-mode.js';
import type { ServerUrls } from '../resource/urls.js';
import { NotFoundError } from '../util/http-error.js';
import type { Env } from './app-env.js';
import { identityOf } from './identity.js';

export interface LandingPageOptions {
  urls: ServerUrls;
  auth: AuthSetup;
  resourceName?: string;
}

interface LandingView {
  name: string;
  mcpUrl: string;
  accountPage?: string;
  issuers: readonly string[];
  /** Tokens are checked at all (not the development mode without authentication). */
  protectedByOAuth: boolean;
}

const landingPage = templatedPage<LandingView>('landing', {
  title: (view) => view.name,
  body: (view) => html`<h1>${view.name}</h1>
<p>${
    view.protectedByOAuth
      ? 'This is an MCP server protected by OAuth: an app you connect signs you in and asks your permission before it can use the server.'
      : 'This is an MCP server.'
  }</p>
${view.protectedByOAuth ? '' : html`<p class="warning" role="note">Authentication is switched off: anyone who can reach this server can use all of it.</p>`}
${connectApp(view.mcpUrl, { presets: view.accountPage !== undefined })}
${
  view.accountPage
    ? html`<h2>Your account</h2>
<p>See the apps connected to your account, and disconnect them, on <a href="${view.accountPage}">your account page</a>.</p>`
    : view.issuers.length
      ? html`<h2>Where tokens come from</h2>
<p>Its tokens are issued by ${view.issuers.map((issuer, i) => html`${i ? ' or ' : ''}<code class="url">${issuer}</code>`)}; this server only checks them.</p>`
      : ''
}`,
});

/**
 * `GET /` (under the base path): a page for a person who opens the server's address in a browser. A client that
 * asks for JSON only keeps the plain JSON 404 it always had; `Vary: Accept` keeps caches from mixing the two.
 */
export function mountLandingPage(app: Hono<Env>, options: LandingPageOptions): void {
  const { urls, auth } = options;
  const paths = urls.basePath ? [urls.basePath, `${urls.basePath}/`] : ['/'];
  const answer = (c: Context<Env>) => {
    const wanted = accepts(c, { header: 'Accept', supports: ['text/html', 'application/json'], default: 'text/html' });
    const response =
      wanted === 'application/json'
        ? new NotFoundError().toResponse()
        : pageResponse(
            landingPage({
              name: options.resourceName ?? 'MCP server',
              mcpUrl: identityOf(c, urls).resource,
              accountPage: auth.accountPage,
              issuers: auth.authorizationServers,
              protectedByOAuth: auth.verifier !== undefined,
            }),
          );
    response.headers.set('Vary', 'Accept');
    return response;
  };
  // The MCP endpoint may itself be at the root: it keeps it.
  for (const path of paths) if (path !== urls.mcpPath) app.get(path, answer);
}
