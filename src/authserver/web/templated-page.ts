import { Html, page } from './html.js';
import { currentTemplates, type PageName } from './page-templates.js';

/** A built-in page: its title and its body, drawn from the same view data an operator's template gets. */
export interface BuiltInPage<View> {
  title: (view: View) => string;
  body: (view: View) => Html;
  /** For pages with tables, whose columns would wrap in the width of a form. */
  wide?: boolean;
}

/**
 * A page as "view data → template": the operator's `<name>.html` renders the view when they gave one, the built-in
 * body otherwise; either is then wrapped by the layout. The server, not the template, sets the page's headers.
 */
export function templatedPage<View extends object>(name: PageName, builtIn: BuiltInPage<View>): (view: View) => Html {
  const body = templatedBody(name, builtIn.body);
  return (view) => page(builtIn.title(view), body(view), { wide: builtIn.wide === true });
}

/**
 * A body without its page, for a frame of its own to wrap (an admin console section inside `admin.html`): the
 * operator's `<name>.html` rendered with the view when they gave one, the built-in body otherwise.
 */
export function templatedBody<View extends object>(name: PageName, builtIn: (view: View) => Html): (view: View) => Html {
  return (view) => {
    const custom = currentTemplates()?.render(name, view);
    return custom !== undefined ? new Html(custom) : builtIn(view);
  };
}
