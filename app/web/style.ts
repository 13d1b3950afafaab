/**
 * The pages' one stylesheet, served from /assets/app.css (the CSP allows
 * styles from the app itself only). Colours meet WCAG AA contrast on white;
 * focus is always visible; status colours only repeat what the text says.
 */
export const STYLESHEET = `
:root { --ink: #1b1f24; --muted: #4a5561; --line: #c9d1d9; --accent: #0b5cad; --ok: #1f6f3a; --warn: #8a4b00; --bad: #a4161a; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; color: var(--ink); background: #fff; }
a { color: var(--accent); }
.scroll:focus-visible, a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid #f0b400; outline-offset: 2px; }
.skip { position: absolute; left: -9999px; top: 0; background: #fff; padding: .5rem 1rem; }
.skip:focus { left: 1rem; z-index: 10; }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; justify-content: space-between; padding: .75rem 1.5rem; background: var(--bg); border-bottom: 1px solid var(--line); }
header .brand { font-weight: 700; margin: 0; }
header ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 1rem; }
header a[aria-current] { font-weight: 700; text-decoration-thickness: 3px; }
.account { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; }
.account form { margin: 0; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.75rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
h3 { font-size: 1.05rem; margin: 0 0 .5rem; }
h4 { font-size: 1rem; margin: .75rem 0 .25rem; }
.hint { color: var(--muted); }
.notice { padding: .75rem 1rem; border-left: 4px solid var(--accent); background: var(--bg); }
.notice.error { border-color: var(--bad); }
.notice.done { border-color: var(--ok); }
.button, button { display: inline-block; font: inherit; padding: .45rem 1rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; text-decoration: none; cursor: pointer; }
.account button { background: #fff; color: var(--accent); }
.cards { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: 1rem; }
.cards li { border: 1px solid var(--line); border-radius: 6px; padding: 1rem; }
.cards a { font-weight: 700; }
.flag, .dispute-case { border: 1px solid var(--line); border-radius: 6px; padding: 1rem; margin: 1rem 0; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr)); gap: .25rem 1rem; margin: 0; }
dl div { margin: .15rem 0; }
dt { font-weight: 600; color: var(--muted); font-size: .9rem; }
dd { margin: 0 0 0 .5rem; }
dl dl { border-left: 2px solid var(--line); padding-left: .5rem; }
.badge { display: inline-block; white-space: nowrap; font-size: .8rem; font-weight: 600; padding: .05rem .5rem; border-radius: 1rem; border: 1px solid currentColor; vertical-align: middle; }
.badge.confirmed, .badge.disputed, .badge.rejected { color: var(--bad); }
.badge.proposed, .badge.open, .badge.pending { color: var(--warn); }
.badge.dismissed, .badge.overturned, .badge.upheld, .badge.measurement_problem, .badge.withdrawn { color: var(--ok); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .5rem 0 1rem; min-width: 50%; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: var(--bg); }
fieldset { border: 1px solid var(--line); border-radius: 4px; margin: .75rem 0; }
legend { font-weight: 600; padding: 0 .25rem; }
fieldset div { margin: .25rem 0; }
fieldset label { margin-left: .4rem; }
label { display: block; font-weight: 600; margin-top: .5rem; }
fieldset label { display: inline; font-weight: 400; }
textarea { width: 100%; font: inherit; padding: .4rem; border: 1px solid var(--muted); border-radius: 4px; margin: .25rem 0 .5rem; }
.sides { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; }
blockquote { margin: 0; padding: .5rem 1rem; border-left: 4px solid var(--line); background: var(--bg); white-space: pre-wrap; }
details { margin: .5rem 0; }
summary { cursor: pointer; color: var(--accent); font-weight: 600; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
