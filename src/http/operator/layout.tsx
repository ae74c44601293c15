/**
 * The operator page's frame: one HTML document, its CSS inline (no script,
 * no outside resource), the header with who is logged in and a logout form.
 *
 * @module
 */

import type { Child } from "hono/jsx";
import type { Dictionary, Language } from "./i18n.ts";

const CSS = `
:root { color-scheme: light; --ok: #1b7f3b; --warn: #9a6700; --bad: #b42318; --line: #d9dce1; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1f2328; background: #f6f7f9; }
header { background: #0b3a5b; color: #fff; padding: .8rem 1.5rem; display: flex; align-items: center; justify-content: space-between; gap: 1rem; }
header h1 { font-size: 1.15rem; margin: 0; }
header form { display: inline; }
header button { background: transparent; color: #fff; border: 1px solid #fff8; }
main { max-width: 1180px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .9rem 1.1rem; margin: 1rem 0; }
h2 { font-size: 1.05rem; margin: 0 0 .6rem; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f0f2f5; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: #59636e; }
.badge { white-space: nowrap; display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .85rem; font-weight: 600; }
.ok { background: #dafbe1; color: var(--ok); }
.warn { background: #fff8c5; color: var(--warn); }
.bad { background: #ffebe9; color: var(--bad); }
.glance { font-size: 1.05rem; }
.glance strong { font-size: 1.15rem; }
.notice { background: #ddf4ff; border: 1px solid #54aeff; border-radius: 8px; padding: .6rem 1rem; margin-top: 1rem; }
button, .button { font: inherit; padding: .35rem .8rem; border-radius: 6px; border: 1px solid #0b3a5b; background: #0b3a5b; color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
button.small { padding: .1rem .55rem; font-size: .85rem; }
.actions { display: flex; gap: 1.5rem; flex-wrap: wrap; }
.actions > div { max-width: 30rem; }
.chart text { font-size: 11px; fill: #444; }
.chart .limit { font-size: 11px; font-weight: 600; }
.login { max-width: 24rem; margin: 3rem auto; }
.login label { display: block; margin: .6rem 0 .2rem; }
.login input { width: 100%; font: inherit; padding: .4rem; }
.login button { margin-top: 1rem; }
.error { color: var(--bad); }
.mono { font-family: ui-monospace, Menlo, Consolas, monospace; }
`;

export function Layout(
  props: {
    t: Dictionary;
    language: Language;
    user?: string;
    csrf?: string;
    children?: Child;
  },
) {
  const { t, language, user, csrf } = props;
  return (
    <html lang={language === "nb" ? "nb" : "en"}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{t.title}</title>
        <style dangerouslySetInnerHTML={{ __html: CSS }} />
      </head>
      <body>
        <header>
          <h1>{t.title}</h1>
          {user && (
            <div>
              {t.loggedInAs} <strong>{user}</strong>{" "}
              <form method="post" action="/logout">
                <input type="hidden" name="csrf" value={csrf} />
                <button type="submit" class="small">{t.logout}</button>
              </form>
            </div>
          )}
        </header>
        <main>{props.children}</main>
      </body>
    </html>
  );
}
