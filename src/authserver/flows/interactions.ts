import type { Hono } from 'hono';
import { HttpError } from '../../util/http-error.js';
import { consentStep, submitConsent } from './consent-step.js';
import { interactionOf, type InteractionDeps } from './interaction.js';
import { renderLogin, submitLogin } from './login-step.js';
import { passwordSignIn } from './password-sign-in.js';
import { returnFromUpstream, startUpstream } from './upstream-steps.js';

export type { InteractionDeps } from './interaction.js';

/**
 * The login and consent steps of the authorization flow (oidc-provider "interactions"): plain HTML forms,
 * each bound to the browser that started the flow (oidc-provider's interaction cookie) and to a CSRF token.
 */
export function mountInteractions(app: Hono, deps: InteractionDeps): void {
  const signIn = passwordSignIn(deps);
  const path = `${deps.basePath}/interaction/:uid`;
  const interaction = (c: Parameters<typeof interactionOf>[0]) => interactionOf(c, deps.provider);

  app.get(path, async (c) => {
    const current = await interaction(c);
    if (current.prompt.name === 'login') return renderLogin(c, deps, current);
    if (current.prompt.name === 'consent') return consentStep(c, deps, current);
    throw new HttpError(400, 'unsupported', `Unsupported step "${current.prompt.name}"`);
  });
  app.post(`${path}/login`, async (c) => submitLogin(c, deps, signIn, await interaction(c)));
  app.post(`${path}/consent`, async (c) => submitConsent(c, deps, await interaction(c)));
  app.post(`${path}/upstream`, async (c) => startUpstream(c, deps, await interaction(c)));
  app.get(`${path}/upstream`, async (c) => returnFromUpstream(c, deps, await interaction(c)));
}
