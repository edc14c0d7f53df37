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
  return (view) => {
    const custom = currentTemplates()?.render(name, view);
    return page(builtIn.title(view), custom !== undefined ? new Html(custom) : builtIn.body(view), { wide: builtIn.wide === true });
  };
}
