import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

// axe-core's own bundle, evaluated in the page: CSP blocks script tags on our pages, not code the test runs.
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const SERIOUS = new Set(['serious', 'critical']);

/**
 * The test runner's compiler names functions through a `__name` helper, which the functions evaluated in the page
 * would call there, where it does not exist: give the page an identity one first.
 */
const inPage = (page: Page) => page.evaluate('globalThis.__name ??= (f) => f');

/** axe-core's serious and critical WCAG 2.1 A/AA violations on the page, one line each with the elements they concern. */
export async function axeViolations(page: Page): Promise<string[]> {
  await inPage(page);
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })).violations;
  }, WCAG_21_AA);
  return violations
    .filter((v) => SERIOUS.has(v.impact ?? ''))
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => `${n.target.join(' ')}${n.failureSummary ? ` [${n.failureSummary.replace(/\s+/g, ' ')}]` : ''}`).join('; ')}`,
    );
}

interface AxeViolation {
  id: string;
  impact?: string;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/**
 * What axe leaves to people, checked in the page as rendered: one h1 and headings that never skip a level, a
 * label for every form control, nothing wider than the window, and (on a phone) tap targets of 44 px or more.
 */
export async function structureProblems(page: Page, options: { phone: boolean }): Promise<string[]> {
  await inPage(page);
  return page.evaluate((phone) => {
    const problems: string[] = [];
    const describe = (el: Element) =>
      `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : ''} "${(el.textContent ?? '').trim().slice(0, 40)}"`;
    const headings = Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6'));
    const ones = headings.filter((h) => h.tagName === 'H1').length;
    if (ones !== 1) problems.push(`${ones} h1 elements, not one`);
    let level = 0;
    for (const h of headings) {
      const next = Number(h.tagName[1]);
      if (next > level + 1) problems.push(`${describe(h)} is an h${next} after an h${level}`);
      level = next;
    }
    for (const control of Array.from(
      document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('input:not([type=hidden]), select, textarea'),
    )) {
      const named = control.labels?.length || control.getAttribute('aria-label') || control.getAttribute('aria-labelledby');
      if (!named) problems.push(`${describe(control)} has no label`);
    }
    const width = document.documentElement.scrollWidth;
    if (width > window.innerWidth) problems.push(`the page is ${width} px wide in a ${window.innerWidth} px window (it scrolls sideways)`);
    if (phone) {
      const targets = Array.from(document.querySelectorAll('button, input:not([type=hidden]), select, nav a, label:has(input[type=checkbox])'));
      for (const target of targets) {
        const box = target.getBoundingClientRect();
        // A checkbox is tapped through its label: the label is the target.
        if (target.matches('input[type=checkbox]')) continue;
        if (box.height < 44) problems.push(`${describe(target)} is ${Math.round(box.height)} px high, under 44 px to tap`);
      }
    }
    return problems;
  }, options.phone);
}

/** Every element the Tab key reaches, in document order (no positive tabindex on our pages, so that is the tab order). */
const FOCUSABLE = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex="0"]';

/**
 * Where keyboard focus first lands: the autofocused control, or else where the first Tab goes. Returns problems:
 * it must be the first interactive element in reading order, and show a visible focus ring.
 */
export async function firstFocusProblems(page: Page): Promise<string[]> {
  await inPage(page);
  // Chromium applies `autofocus` on a rendering frame after load: wait for one before looking.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  const autofocused = await page.evaluate(() => document.activeElement !== document.body && document.activeElement !== null);
  if (!autofocused) await page.keyboard.press('Tab');
  return page.evaluate((selector) => {
    const first = document.querySelector(selector);
    const focused = document.activeElement;
    if (!first) return focused === document.body || focused === null ? [] : ['focus landed on a page with nothing to focus'];
    const name = (el: Element | null) =>
      el ? `${el.tagName.toLowerCase()} "${(el.textContent || el.getAttribute('name') || '').trim().slice(0, 40)}"` : 'nothing';
    const problems: string[] = [];
    if (focused !== first) problems.push(`the first keyboard stop is ${name(focused)}, not the first interactive element ${name(first)}`);
    const style = getComputedStyle(focused!);
    if (style.outlineStyle === 'none' || Number.parseFloat(style.outlineWidth) < 2) problems.push(`${name(focused)} shows no focus outline of 2 px or more`);
    return problems;
  }, FOCUSABLE);
}

/** Press Tab until `selector` has focus: how many presses it took, or undefined when it never got focus. */
export async function tabsTo(page: Page, selector: string, limit = 30): Promise<number | undefined> {
  for (let presses = 1; presses <= limit; presses++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return presses;
  }
  return undefined;
}

/** The WCAG contrast ratio of an element's text on its own background colour (both as computed, opaque). */
export async function textContrast(page: Page, selector: string): Promise<number> {
  await inPage(page);
  return page.evaluate((s) => {
    const el = document.querySelector(s);
    if (!el) throw new Error(`no ${s} on the page`);
    const style = getComputedStyle(el);
    const luminance = (color: string) => {
      const [r, g, b] = (color.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
        const c = Number(v) / 255;
        return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const [light, dark] = [luminance(style.color), luminance(style.backgroundColor)].sort((a, b) => b - a);
    return (light! + 0.05) / (dark! + 0.05);
  }, selector);
}
