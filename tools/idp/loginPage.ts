/** Escapes text for HTML. */
const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The local identity provider's sign-in form: a plain HTML form, posted to /interaction/<uid>/login. */
export function loginPage({ uid, error }: { uid: string; error?: string }): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in – kpi-stream local identity provider</title>
<style>body{font-family:sans-serif;max-width:24rem;margin:4rem auto}label{display:block;margin:.8rem 0}input{width:100%}</style></head>
<body>
<h1>Sign in</h1>
<p>The local identity provider of kpi-stream, for the demo and tests.</p>
${error === undefined ? '' : `<p role="alert">${escape(error)}</p>`}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>User <input name="login" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
</body>
</html>
`;
}
