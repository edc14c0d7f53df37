import { html, type Html } from '../web/html.js';
import { templatedPage } from '../web/templated-page.js';

export type Section = 'overview' | 'people' | 'clients' | 'activity' | 'keys';

const SECTIONS: readonly [Section, string, string][] = [
  ['overview', 'Overview', ''],
  ['people', 'People', '/people'],
  ['clients', 'Clients', '/clients'],
  ['activity', 'Activity', '/activity'],
  ['keys', 'Keys', '/keys'],
];

/** Hidden CSRF field for every console form. */
export const csrfField = (token: string) => html`<input type="hidden" name="csrf" value="${token}">`;

/** A button of the console: a form posting `csrf` to `action`. */
export interface ConsoleAction {
  action: string;
  label: string;
}

/** A small form with one button: every change in the console is a POST carrying the session's CSRF token. */
export function actionButton(action: string, csrf: string, label: string, fields: Record<string, string> = {}): Html {
  return html`<form method="post" action="${action}" class="inline">${csrfField(csrf)}${Object.entries(fields).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  )}<button type="submit">${label}</button></form>`;
}

export { when } from '../pages/views.js';

export interface AdminView {
  /** The console's address. */
  base: string;
  section: Section;
  /** The section's heading. */
  title: string;
  /** Every section, in order: its name, label, address and whether it is the one shown. */
  sections: readonly { name: Section; label: string; href: string; current: boolean }[];
  /** Whom the console is signed in as. */
  admin: string;
  notice?: string;
  /** The section itself: HTML the server built, every value in it escaped. */
  body: Html;
}

const adminView = templatedPage<AdminView>('admin', {
  title: (view) => `${view.title} · Admin`,
  wide: true,
  // A skip link comes first, so a keyboard goes past the section links to the page in one step.
  body: (view) => html`<a class="skip" href="#page">Skip to the page</a>
<nav aria-label="Admin console"><ul>${view.sections.map(
    ({ label, href, current }) => html`<li><a href="${href}"${current ? html` aria-current="page"` : ''}>${label}</a></li>`,
  )}</ul></nav>
<p class="muted">Signed in as <strong>${view.admin}</strong></p>
<h1 id="page" tabindex="-1">${view.title}</h1>
${view.notice ? html`<p class="warning" role="status">${view.notice}</p>` : ''}
${view.body}`,
});

/** A console page: the section links, then the page, in the account pages' look and headers. */
export function adminPage(view: { base: string; section: Section; title: string; admin: string; notice?: string }, body: Html): Html {
  const sections = SECTIONS.map(([name, label, path]) => ({ name, label, href: `${view.base}${path}`, current: name === view.section }));
  return adminView({ ...view, sections, body });
}
