import type { Hono } from 'hono';
import { html } from '../web/html.js';
import type { ConsoleContext } from './console-context.js';

/** The console's front page. */
export function mountOverview(app: Hono, ctx: ConsoleContext): void {
  app.get(ctx.base, async (c) => {
    const admin = await ctx.access.require(c);
    return ctx.render(c, admin, { section: 'overview', title: 'Admin console' }, html`<p><a href="${ctx.base}/people">People</a></p>`);
  });
}
