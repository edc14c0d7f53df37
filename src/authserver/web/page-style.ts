/**
 * The stylesheet of every built-in page, inlined and allowed by its hash (the CSP has no 'unsafe-inline').
 *
 * Colours are set in pairs for light and dark schemes, each text colour at 4.5:1 or more on its background and
 * each control's border at 3:1 (WCAG 2.1 AA, §1.4.3 and §1.4.11). Controls are at least 44 px high, for a
 * finger on a phone; the brand colour (`--brand`) comes with the text colour that reads on it (`--on-brand`).
 */
export const PAGE_CSS = `
:root{color-scheme:light dark;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5;
--text:#1b1b1f;--muted:#50505a;--bg:#fff;--page:#f3f4f6;--line:#d4d4da;--field:#6e6e78;--link:#1748a8;--focus:#1748a8;
--error:#b3261e;--error-bg:#fdeeed;--warning:#8f4d00;--warning-bg:#fff4e2;--note-bg:#eef3fc}
@media (prefers-color-scheme:dark){:root{--text:#ececf0;--muted:#b6b6c0;--bg:#1c1c21;--page:#111114;--line:#3b3b45;--field:#8c8c98;
--link:#9abcff;--focus:#9abcff;--error:#ff8f86;--error-bg:#3a1f1d;--warning:#f2b661;--warning-bg:#362814;--note-bg:#1d2638}}
*,*::before,*::after{box-sizing:border-box}
body{margin:0;padding:2.5rem 1rem;background:var(--page);color:var(--text)}
main{margin:0 auto;max-width:32rem;padding:2rem;background:var(--bg);border:1px solid var(--line);border-radius:.75rem}
main.wide{max-width:62rem}
@media (max-width:40rem){body{padding:0}main,main.wide{border:0;border-radius:0;padding:1.25rem 1rem 2rem;min-height:100vh}}
h1{font-size:1.6rem;line-height:1.25;margin:0 0 1rem}
h2{font-size:1.2rem;line-height:1.3;margin:2rem 0 .6rem}
p{margin:.75rem 0}
a{color:var(--link);text-underline-offset:.15em}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-100vw}.skip:focus{position:static;display:inline-block;margin-bottom:.5rem}
label{display:block;margin:1rem 0 .3rem;font-weight:600}
input[type=email],input[type=password],input[type=text],input[type=search],select{display:block;width:100%;min-height:2.75rem;padding:.5rem .75rem;
font:inherit;color:var(--text);background:var(--bg);border:1px solid var(--field);border-radius:.5rem}
main.wide input[type=email],main.wide input[type=password],main.wide input[type=text],main.wide select{max-width:32rem}
fieldset{margin:1.25rem 0 0;padding:0;border:0}legend{padding:0;font-weight:600}
label.check{display:flex;align-items:center;gap:.75rem;min-height:2.75rem;margin:0;font-weight:400}
input[type=checkbox]{width:1.25rem;height:1.25rem;margin:0;accent-color:var(--link)}
button{font:inherit;font-weight:600;min-height:2.75rem;padding:.5rem 1.25rem;margin:1.25rem .5rem 0 0;border-radius:.5rem;cursor:pointer;
color:var(--text);background:var(--bg);border:1px solid var(--field)}
button.primary{color:var(--on-brand,#fff);background:var(--brand,#1f5fbf);border-color:var(--brand,#1f5fbf)}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.5rem}.actions button{margin:0}
@media (max-width:40rem){.actions{flex-direction:column}.actions button{width:100%}}
.error,.warning,.note{padding:.6rem .9rem;margin:1rem 0;border-left:4px solid;border-radius:.25rem}
.error{border-color:var(--error);background:var(--error-bg)}
.warning{border-color:var(--warning);background:var(--warning-bg)}
.muted{color:var(--muted);font-size:.9rem}
.destination{margin:1.25rem 0;padding:.9rem 1rem;background:var(--note-bg);border-radius:.5rem}
.destination .host{display:inline-block;font-size:1.3rem;line-height:1.3;overflow-wrap:anywhere}
ul.scopes{list-style:none;padding:0;margin:.5rem 0 1rem}
ul.scopes li{margin:.5rem 0;padding:.6rem .9rem;border:1px solid var(--line);border-radius:.5rem}
ul.scopes li strong{display:block;font-size:1.05rem}ul.scopes li code{font-size:.85rem}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:.5rem .4rem;border-bottom:1px solid var(--line);vertical-align:top}
.when{white-space:nowrap}
/* On a phone a wide table becomes one block per row, each cell named by its column (the header row stays for screen readers). */
@media (max-width:40rem){table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
table.stack,table.stack tbody{display:block}table.stack td:empty{display:none}table.stack tr{display:block;padding:.6rem 0;border-bottom:1px solid var(--line)}table.stack td{display:block;padding:.15rem 0;border:0}
table.stack td[data-label]::before{content:attr(data-label) ": ";font-weight:600}td,th{overflow-wrap:anywhere}}
form.inline{display:inline}form.inline button{margin:.2rem .3rem .2rem 0;padding:.3rem .8rem;font-size:.9rem}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;margin:0 0 1rem;padding:0;border-bottom:1px solid var(--line)}
nav a{display:inline-flex;align-items:center;min-height:2.75rem;padding:0 .75rem;text-decoration:none;border-bottom:3px solid transparent}
nav a[aria-current=page]{color:var(--text);font-weight:600;border-bottom-color:var(--brand,#1f5fbf)}
pre{white-space:pre-wrap;overflow-wrap:anywhere;padding:.6rem;border:1px solid var(--line);border-radius:.5rem}
svg.chart{width:100%;height:auto;max-width:48rem}
header.brand{display:flex;flex-wrap:wrap;align-items:center;gap:.6rem;margin:0 0 1.5rem;padding-bottom:.75rem;border-bottom:3px solid var(--brand,var(--line))}
header.brand img{max-height:2.5rem;max-width:10rem}
footer{margin-top:2rem;padding-top:1rem;border-top:1px solid var(--line)}
`;
