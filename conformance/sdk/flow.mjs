// One mode's flow with the official @directus/sdk, as an app runs it: log in, read /users/me, refresh, read again,
// log out, then refresh with what the app held before the logout (refused: the logout revoked it).
// Usage: node flow.mjs <base url> <json|cookie|session>; the email and password come from DIRECTUS_EMAIL and
// DIRECTUS_PASSWORD. Prints one JSON line a step: {"step", "ok", "detail"}; a failed step stops the flow.
import { authentication, createDirectus, readMe, rest } from "@directus/sdk";

const [url, mode] = process.argv.slice(2);
const { DIRECTUS_EMAIL: email, DIRECTUS_PASSWORD: password } = process.env;

// What a browser does for cookie and session mode (the SDK's credentials: "include"): keep the cookies the target
// sets, send them back to it. Node's fetch keeps none.
const jar = new Map();
async function fetchWithCookies(input, init = {}) {
  const headers = new Headers(init.headers);
  if (jar.size) headers.set("cookie", [...jar].map(([name, value]) => `${name}=${value}`).join("; "));
  const response = await fetch(input, { ...init, headers });
  for (const line of response.headers.getSetCookie()) {
    const pair = line.split(";")[0];
    const name = pair.slice(0, pair.indexOf("=")).trim();
    const value = pair.slice(pair.indexOf("=") + 1).trim();
    if (value) jar.set(name, value);
    else jar.delete(name);
  }
  return response;
}

let held = null; // the SDK's token storage, so that the flow can restore what the app held before its logout
const storage = { get: () => held, set: (value) => { held = value; } };
const client = createDirectus(url, { globals: { fetch: fetchWithCookies } })
  .with(authentication(mode, { autoRefresh: false, credentials: "include", storage }))
  .with(rest({ credentials: "include" }));

function reason(error) {
  const code = error?.errors?.[0]?.extensions?.code;
  const status = error?.response?.status;
  if (code || status) return [status, code].filter(Boolean).join(" ");
  return String(error?.message ?? error);
}

async function step(name, action) {
  try {
    const detail = await action();
    console.log(JSON.stringify({ step: name, ok: true, detail: detail ?? "" }));
    return true;
  } catch (error) {
    console.log(JSON.stringify({ step: name, ok: false, detail: reason(error) }));
    return false;
  }
}

const whoAmI = async () => (await client.request(readMe({ fields: ["id"] }))).id;
// the SDK's login took (email, password) before version 18, ({email, password}) since
const logIn = () => (client.login.length >= 2 ? client.login(email, password) : client.login({ email, password }));
let before = null;
(await step("login", async () => { await logIn(); return "logged in"; })) &&
  (await step("read-me", whoAmI)) &&
  (await step("refresh", async () => { await client.refresh(); return "refreshed"; })) &&
  (await step("read-me-after-refresh", whoAmI)) &&
  (await step("logout", async () => { before = { held: { ...held }, jar: new Map(jar) }; await client.logout(); return "logged out"; })) &&
  (await step("refresh-after-logout", async () => {
    held = before.held;
    for (const [name, value] of before.jar) jar.set(name, value);
    await client.refresh();
    return "refreshed";
  }));
client.stopRefreshing();
