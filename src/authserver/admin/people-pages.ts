import type { Hono } from 'hono';
import type { Store } from '../../store/contract/store.js';
import { NotFoundError } from '../../util/http-error.js';
import { createResetLink } from '../flows/password-reset.js';
import { accountLabel, type PublicUser } from '../people/accounts.js';
import type { Consents } from '../people/consents.js';
import type { Acting, PeopleAdmin } from '../people/people-admin.js';
import { seeOther } from '../web/html.js';
import type { ConsoleContext } from './console-context.js';
import { peopleList, peopleListView, personPage, personView } from './people-views.js';

export interface PeoplePagesDeps {
  people: PeopleAdmin;
  consents: Consents;
  store: Store;
  /** The reset page's absolute URL, which the links point at. */
  resetUrl: string;
}

const NOTICES: Record<string, string> = {
  disabled: 'Disabled: they are signed out everywhere and their apps get 401 from their next call.',
  enabled: 'Enabled again.',
  removed: 'Removed, with every app they had connected.',
  revoked: 'The app was disconnected: its next call gets 401.',
  'not-found': 'That app was not connected.',
  'admin-granted': 'They are now an admin.',
  'admin-revoked': 'They are no longer an admin.',
};

const matches = (user: PublicUser, query: string) =>
  !query || [accountLabel(user), user.email, user.id, ...(user.identities ?? []).map((i) => i.username ?? '')].some((v) => v.toLowerCase().includes(query));

/** People: search, disable or enable, remove, reset links, the admin role, and each person's connected apps. */
export function mountPeoplePages(app: Hono, ctx: ConsoleContext, deps: PeoplePagesDeps): void {
  const { base, access, accounts } = ctx;
  const acting = (actor: string): Acting => ({ via: 'admin console', actor });
  const person = async (id: string) => {
    const user = await accounts.findById(id);
    if (!user) throw new NotFoundError('No such person', { description: 'No account has this id: it may have been removed.' });
    return user;
  };

  app.get(`${base}/people`, async (c) => {
    const admin = await access.require(c);
    const query = (c.req.query('q') ?? '').trim().toLowerCase();
    const people = (await accounts.list()).filter((user) => matches(user, query));
    return ctx.render(
      c,
      admin,
      { section: 'people', title: 'People', notice: NOTICES[c.req.query('notice') ?? ''] },
      peopleList(peopleListView(base, admin.csrf, query, people)),
    );
  });

  app.get(`${base}/people/:id`, async (c) => {
    const admin = await access.require(c);
    const user = await person(c.req.param('id'));
    const body = personPage(
      personView(base, admin.csrf, {
        person: user,
        hasPassword: await accounts.hasPassword(user.id),
        apps: await deps.consents.listForUser(user.id),
        self: user.id === admin.admin.id,
      }),
    );
    return ctx.render(c, admin, { section: 'people', title: accountLabel(user), notice: NOTICES[c.req.query('notice') ?? ''] }, body);
  });

  const back = (id: string, notice: string) => seeOther(`${base}/people/${encodeURIComponent(id)}?notice=${notice}`);

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.post(`${base}/people/:id/${action}`, (c) =>
      ctx.change(c, async (admin) => {
        const user = await person(c.req.param('id'));
        await deps.people.setDisabled(user.id, disabled, acting(admin.admin.id));
        return back(user.id, disabled ? 'disabled' : 'enabled');
      }),
    );
  }

  for (const [action, grant] of [
    ['grant-admin', true],
    ['revoke-admin', false],
  ] as const) {
    app.post(`${base}/people/:id/${action}`, (c) =>
      ctx.change(c, async (admin) => {
        const user = await person(c.req.param('id'));
        // An admin cannot lock themselves out here; another admin (or the CLI) can take the role.
        if (user.id === admin.admin.id) return back(user.id, '');
        await deps.people.setAdmin(user.id, grant, acting(admin.admin.id));
        return back(user.id, grant ? 'admin-granted' : 'admin-revoked');
      }),
    );
  }

  app.post(`${base}/people/:id/remove`, (c) =>
    ctx.change(c, async (admin) => {
      const user = await person(c.req.param('id'));
      if (user.id === admin.admin.id) return back(user.id, '');
      await deps.people.remove(user.id, acting(admin.admin.id));
      return seeOther(`${base}/people?notice=removed`);
    }),
  );

  app.post(`${base}/people/:id/revoke`, (c) =>
    ctx.change(c, async (admin, form) => {
      const user = await person(c.req.param('id'));
      const revoked = await deps.people.disconnect(user.id, form['client_id'] ?? '', acting(admin.admin.id));
      return back(user.id, revoked ? 'revoked' : 'not-found');
    }),
  );

  // The link is shown once, on the answer to the POST (never in a URL, where logs and history would keep it).
  app.post(`${base}/people/:id/reset-link`, (c) =>
    ctx.change(c, async (admin) => {
      const user = await person(c.req.param('id'));
      if (!(await accounts.hasPassword(user.id))) return back(user.id, '');
      const link = await createResetLink(deps.store, user.id, deps.resetUrl);
      await ctx.audit.record({ type: 'account.reset_link', subject: user.id, actor: admin.admin.id, reason: 'admin console' });
      const body = personPage(
        personView(base, admin.csrf, {
          person: user,
          hasPassword: true,
          apps: await deps.consents.listForUser(user.id),
          resetLink: link,
          self: user.id === admin.admin.id,
        }),
      );
      return ctx.render(c, admin, { section: 'people', title: accountLabel(user) }, body);
    }),
  );
}
