#!/usr/bin/env node
// Checks tests/oidc/provider.mjs on its own, without the Rust app: starts it on a free loopback port, reads its
// discovery document and JWKS, runs whole authorization code + PKCE (S256) flows through its HTML login form with
// plain fetch and a cookie jar of its own (as a browser without JavaScript would), exchanges the codes, verifies the
// ID tokens, and checks that each /__test/mode misbehaviour changes the next ID token as documented.
//
//   scripts/oidc.sh selfcheck      (or: node tests/oidc/selfcheck.mjs, once scripts/oidc.sh has installed .oidc/)
//
// Prints PASS or FAIL for each check, then "N passed, N failed"; exits 1 when any check failed.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const MODULES = process.env.OIDC_PROVIDER_MODULES || join(ROOT, '.oidc', 'node_modules');

async function importPackage(name) {
  const dir = join(MODULES, name);
  if (!existsSync(join(dir, 'package.json'))) {
    console.error(`selfcheck: ${name} is not installed in ${MODULES}; run scripts/oidc.sh`);
    process.exit(2);
  }
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const dot = pkg.exports?.['.'];
  return import(pathToFileURL(join(dir, (typeof dot === 'string' ? dot : dot?.import) || pkg.main)).href);
}
const jose = await importPackage('jose');

// ---- checks ------------------------------------------------------------------------------------------------
let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    const detail = await fn();
    passed += 1;
    console.log(`PASS ${name}${detail ? ` — ${detail}` : ''}`);
  } catch (err) {
    failed += 1;
    console.log(`FAIL ${name} — ${err?.message ?? err}`);
  }
}
function assert(cond, message) { if (!cond) throw new Error(message); }
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  assert(a === e, `${what}: expected ${e}, got ${a}`);
}
async function rejects(promise, code, what) {
  try {
    await promise;
  } catch (err) {
    assert(!code || err.code === code, `${what}: expected ${code}, got ${err.code ?? err.name}: ${err.message}`);
    return `${err.code}: ${err.message}`;
  }
  throw new Error(`${what}: verification succeeded, expected ${code}`);
}

// ---- start the provider ------------------------------------------------------------------------------------
const CLIENT = { client_id: 'ai102', client_secret: 'selfcheck-secret', redirect_uris: ['http://127.0.0.1:9/sso/callback'] };
const OTHER = { client_id: 'other', client_secret: 'other-secret', redirect_uris: ['http://127.0.0.1:9/other/callback'] };
const NATIVE = {
  client_id: 'native', client_secret: 'native-secret', application_type: 'native',
  redirect_uris: ['http://127.0.0.1/sso/callback'],
};
const ALICE = {
  email: 'alice@example.test', email_verified: true, name: 'Alice Example', groups: ['staff', 'exam-admins'],
};
const BOB = { email: 'bob@example.test', email_verified: false, name: 'Bob Example', groups: [] };

const tmp = mkdtempSync(join(tmpdir(), 'oidc-selfcheck-'));
const configFile = join(tmp, 'config.json');
writeFileSync(configFile, JSON.stringify({ clients: [CLIENT, OTHER, NATIVE], accounts: { alice: ALICE, bob: BOB } }));

const child = spawn(process.execPath, [join(HERE, 'provider.mjs'), '--config', configFile, '--port', '0', '--exit-with-stdin'], {
  stdio: ['pipe', 'pipe', 'pipe'],
});
const stderr = [];
child.stderr.on('data', (d) => stderr.push(d));
let exited = false;
child.on('exit', () => { exited = true; });
function stopProvider() {
  if (!exited) child.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', stopProvider);

const ready = await Promise.race([
  new Promise((ok) => createInterface({ input: child.stdout }).once('line', ok)),
  new Promise((_, ko) => { setTimeout(() => ko(new Error('provider not ready in 15 s')), 15000).unref(); }),
  new Promise((_, ko) => { child.once('exit', (c) => ko(new Error(`provider exited with ${c}`))); }),
]).catch((err) => {
  console.log(`FAIL provider starts — ${err.message}\n${Buffer.concat(stderr).toString()}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
});

let issuer;
await check('provider prints one JSON readiness line', () => {
  const line = JSON.parse(ready);
  eq(Object.keys(line).sort(), ['issuer', 'port'], 'keys');
  eq(line.issuer, `http://127.0.0.1:${line.port}`, 'issuer');
  assert(Number.isInteger(line.port) && line.port > 0, 'port');
  issuer = line.issuer;
  return ready.trim();
});

// ---- a user agent: fetch with manual redirects and a cookie jar ---------------------------------------------
class Browser {
  jar = new Map();

  setCookies = [];

  async go(url, init = {}) {
    const u = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookie && u.origin === issuer) headers.set('cookie', cookie);
    const res = await fetch(u, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      this.setCookies.push(c);
      const [pair, ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=/i.test(a) && new Date(a.split('=')[1]) < new Date());
      if (!value || expired) this.jar.delete(name); else this.jar.set(name, value);
    }
    return res;
  }

  // Follows redirects on the provider until a page (200/4xx) or a redirect off the provider.
  async follow(res, from) {
    let current = res;
    let url = from;
    for (let hops = 0; hops < 10; hops += 1) {
      if (current.status < 300 || current.status >= 400) return { res: current, url };
      const next = new URL(current.headers.get('location'), url);
      await current.arrayBuffer();
      if (next.origin !== issuer) return { redirect: next };
      url = next.href;
      current = await this.go(url);
    }
    throw new Error('too many redirects');
  }
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');
function startParams(client, { scope = 'openid email profile', pkce = true } = {}) {
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));
  const params = new URLSearchParams({
    response_type: 'code', client_id: client.client_id, redirect_uri: client.redirect_uris[0], scope, state, nonce,
  });
  if (pkce) {
    params.set('code_challenge', b64url(createHash('sha256').update(verifier).digest()));
    params.set('code_challenge_method', 'S256');
  }
  return { verifier, state, nonce, params };
}

let metadata;
// Runs a flow up to the redirect back to the client; returns { redirect, state, nonce, verifier, loginPage }.
async function authorize(client, { login = 'alice', redirectUri, ...opts } = {}) {
  const browser = new Browser();
  const flow = startParams(client, opts);
  if (redirectUri) flow.params.set('redirect_uri', redirectUri);
  const authUrl = `${metadata.authorization_endpoint}?${flow.params}`;
  const first = await browser.follow(await browser.go(authUrl), authUrl);
  if (first.redirect) return { ...flow, browser, redirect: first.redirect };
  const loginPage = await first.res.text();
  assert(first.res.status === 200, `login page status ${first.res.status}: ${loginPage.slice(0, 300)}`);
  const action = /<form method="post" action="([^"]+\/login)">/.exec(loginPage)?.[1];
  assert(action, 'no login form on the interaction page');
  const actionUrl = new URL(action.replace(/&amp;/g, '&'), first.url).href;
  const posted = await browser.go(actionUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ login }),
  });
  const after = await browser.follow(posted, actionUrl);
  if (!after.redirect) {
    return { ...flow, browser, loginPage, page: { status: after.res.status, body: await after.res.text() } };
  }
  return { ...flow, browser, loginPage, redirect: after.redirect, loginUrl: first.url };
}

async function token(client, code, verifier, { redirectUri = client.redirect_uris[0] } = {}) {
  const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri });
  if (verifier !== undefined) body.set('code_verifier', verifier);
  const res = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`,
    },
    body,
  });
  return { status: res.status, json: await res.json() };
}

// A whole flow for alice (or `login`): returns the token response and what was sent.
async function fullFlow(client = CLIENT, opts = {}) {
  const flow = await authorize(client, opts);
  assert(flow.redirect, `no redirect back to the client (${flow.page?.status}: ${flow.page?.body?.slice(0, 200)})`);
  const q = flow.redirect.searchParams;
  assert(q.get('code'), `no code in ${flow.redirect}`);
  const t = await token(client, q.get('code'), flow.verifier, { redirectUri: opts.redirectUri });
  assert(t.status === 200, `token endpoint ${t.status}: ${JSON.stringify(t.json)}`);
  return { ...flow, tokens: t.json };
}

let jwks;
const verify = (idToken, client = CLIENT) => jose.jwtVerify(idToken, jwks, {
  issuer, audience: client.client_id, algorithms: ['RS256'], clockTolerance: 5,
});
async function setMode(body) {
  const res = await fetch(`${issuer}/__test/mode`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  assert(res.status === 200, `POST /__test/mode ${res.status}: ${await res.text()}`);
}

// Anything on a page that would run script or load something (from outside, or at all).
const LOADS = /<script|<link|<img|<iframe|@import|\ssrc=|javascript:/i;

// ---- discovery, keys ----------------------------------------------------------------------------------------
await check('discovery document', async () => {
  const res = await fetch(`${issuer}/.well-known/openid-configuration`);
  assert(res.status === 200, `status ${res.status}`);
  metadata = await res.json();
  eq(metadata.issuer, issuer, 'issuer');
  for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint']) {
    assert(metadata[k]?.startsWith(`${issuer}/`), `${k} is ${metadata[k]}`);
  }
  eq(metadata.code_challenge_methods_supported, ['S256'], 'code_challenge_methods_supported');
  eq(metadata.id_token_signing_alg_values_supported, ['RS256'], 'id_token_signing_alg_values_supported');
  eq(metadata.response_types_supported, ['code'], 'response_types_supported');
  for (const s of ['openid', 'email', 'profile', 'groups']) assert(metadata.scopes_supported.includes(s), `scope ${s}`);
  for (const c of ['email', 'email_verified', 'name', 'groups']) assert(metadata.claims_supported.includes(c), `claim ${c}`);
  return `issuer ${metadata.issuer}`;
});

let publishedKid;
await check('JWKS has one public RS256 signing key', async () => {
  const res = await fetch(metadata.jwks_uri);
  const { keys } = await res.json();
  eq(keys.length, 1, 'number of keys');
  eq([keys[0].kty, keys[0].alg, keys[0].use], ['RSA', 'RS256', 'sig'], 'kty, alg, use');
  assert(keys[0].kid, 'kid');
  assert(!('d' in keys[0]) && !('p' in keys[0]), 'private parameters are published');
  publishedKid = keys[0].kid;
  jwks = jose.createLocalJWKSet({ keys });
  return `kid ${publishedKid}`;
});

// ---- the normal flow ----------------------------------------------------------------------------------------
let normal;
await check('login page is a plain HTML form without JavaScript', async () => {
  normal = await fullFlow();
  const p = normal.loginPage;
  assert(/^<!DOCTYPE html>\n<html lang="en">/.test(p), 'doctype and lang');
  assert(/<title>[^<]+<\/title>/.test(p), 'title');
  assert(/<label for="login">/.test(p) && /<input id="login" name="login"/.test(p), 'labelled input name="login"');
  assert(!LOADS.test(p) && !/https?:\/\//.test(p), 'script, loaded resource or outside URL on the page');
  return `${p.length} bytes, form posts to ${new URL(normal.loginUrl).pathname}/login`;
});

await check('code + PKCE flow returns to redirect_uri with code, state and iss', async () => {
  const q = normal.redirect.searchParams;
  eq(`${normal.redirect.origin}${normal.redirect.pathname}`, CLIENT.redirect_uris[0], 'redirect target');
  eq(q.get('state'), normal.state, 'state');
  eq(q.get('iss'), issuer, 'iss');
  eq(normal.tokens.token_type, 'Bearer', 'token_type');
  assert(normal.tokens.id_token && normal.tokens.access_token, 'id_token and access_token');
  return `token response keys: ${Object.keys(normal.tokens).sort().join(', ')}`;
});

await check('provider cookies are not Secure and are SameSite=Lax (plain http on loopback)', () => {
  const cookies = normal.browser.setCookies;
  assert(cookies.length > 0, 'no cookies were set');
  for (const c of cookies) {
    assert(!/;\s*secure/i.test(c), `secure cookie: ${c}`);
    assert(/;\s*samesite=lax/i.test(c), `not SameSite=Lax: ${c}`);
  }
  return `${new Set(cookies.map((c) => c.split('=')[0])).size} cookie names`;
});

await check('ID token verifies (RS256, iss, aud, exp) and carries nonce, email, email_verified, name, groups', async () => {
  const { payload, protectedHeader } = await verify(normal.tokens.id_token);
  eq(protectedHeader.alg, 'RS256', 'alg');
  eq(protectedHeader.kid, publishedKid, 'kid');
  eq(payload.sub, 'alice', 'sub');
  eq(payload.nonce, normal.nonce, 'nonce');
  eq([payload.email, payload.email_verified, payload.name, payload.groups],
    [ALICE.email, ALICE.email_verified, ALICE.name, ALICE.groups], 'claims');
  assert(payload.exp > Date.now() / 1000, 'exp');
  return `claims ${JSON.stringify(payload)}`;
});

await check('userinfo answers the access token with the same claims', async () => {
  const res = await fetch(metadata.userinfo_endpoint, { headers: { authorization: `Bearer ${normal.tokens.access_token}` } });
  const u = await res.json();
  eq([u.sub, u.email, u.email_verified, u.name, u.groups], ['alice', ALICE.email, true, ALICE.name, ALICE.groups], 'userinfo');
});

await check('login by e-mail, unverified e-mail and no groups scope', async () => {
  const f = await fullFlow(CLIENT, { login: 'bob@example.test', scope: 'openid email' });
  const { payload } = await verify(f.tokens.id_token);
  eq([payload.sub, payload.email, payload.email_verified, payload.name, payload.groups],
    ['bob', BOB.email, false, undefined, undefined], 'sub, email, email_verified, (no name, no groups)');
});

await check('"groups" scope alone releases groups', async () => {
  const f = await fullFlow(CLIENT, { scope: 'openid groups' });
  const { payload } = await verify(f.tokens.id_token);
  eq([payload.groups, payload.email], [ALICE.groups, undefined], 'groups, email');
});

// ---- the provider's own refusals ----------------------------------------------------------------------------
await check('unknown login re-renders the form with 401', async () => {
  const f = await authorize(CLIENT, { login: 'mallory' });
  eq(f.page?.status, 401, 'status');
  assert(/No such account/.test(f.page.body) && /name="login"/.test(f.page.body), 'error and form');
});

await check('Cancel returns error=access_denied to the client', async () => {
  const browser = new Browser();
  const flow = startParams(CLIENT);
  const authUrl = `${metadata.authorization_endpoint}?${flow.params}`;
  const first = await browser.follow(await browser.go(authUrl), authUrl);
  const page = await first.res.text();
  const action = /<form method="post" action="([^"]+\/abort)">/.exec(page)?.[1];
  assert(action, 'no cancel form');
  const url = new URL(action, first.url).href;
  const after = await browser.follow(await browser.go(url, { method: 'POST' }), url);
  eq(after.redirect?.searchParams.get('error'), 'access_denied', 'error');
  eq(after.redirect?.searchParams.get('state'), flow.state, 'state');
});

await check('authorization request without PKCE is refused', async () => {
  const f = await authorize(CLIENT, { pkce: false });
  const q = f.redirect?.searchParams;
  eq(q?.get('error'), 'invalid_request', 'error');
  return q.get('error_description');
});

await check('code exchange without or with a wrong code_verifier is refused', async () => {
  const a = await authorize(CLIENT);
  const t1 = await token(CLIENT, a.redirect.searchParams.get('code'), undefined);
  eq([t1.status, t1.json.error], [400, 'invalid_grant'], 'no verifier');
  const b = await authorize(CLIENT);
  const t2 = await token(CLIENT, b.redirect.searchParams.get('code'), b64url(randomBytes(32)));
  eq([t2.status, t2.json.error], [400, 'invalid_grant'], 'wrong verifier');
});

await check('a code is single-use', async () => {
  const a = await authorize(CLIENT);
  const code = a.redirect.searchParams.get('code');
  const t1 = await token(CLIENT, code, a.verifier);
  const t2 = await token(CLIENT, code, a.verifier);
  eq([t1.status, t2.status, t2.json.error], [200, 400, 'invalid_grant'], 'statuses');
});

await check('unregistered redirect_uri is refused (web client: exact match, port included)', async () => {
  const flow = startParams(CLIENT);
  flow.params.set('redirect_uri', 'http://127.0.0.1:10/sso/callback');
  const res = await new Browser().go(`${metadata.authorization_endpoint}?${flow.params}`);
  const body = await res.text();
  eq(res.status, 400, 'status');
  assert(!res.headers.get('location'), 'redirected');
  assert(/invalid_redirect_uri/.test(body) && !LOADS.test(body), `error page: ${body}`);
});

await check('native client: loopback redirect_uri on any port', async () => {
  const f = await fullFlow(NATIVE, { redirectUri: 'http://127.0.0.1:54321/sso/callback' });
  eq(f.redirect.port, '54321', 'port');
  await verify(f.tokens.id_token, NATIVE);
});

// ---- misbehaviours ------------------------------------------------------------------------------------------
async function modeFlow(mode, extra = {}) {
  await setMode({ mode, ...extra });
  return fullFlow();
}

await check('mode wrong_aud: aud is not the client, verification fails on aud', async () => {
  const f = await modeFlow('wrong_aud');
  eq(jose.decodeJwt(f.tokens.id_token).aud, 'wrong-audience', 'aud');
  return rejects(verify(f.tokens.id_token), 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'verify');
});

await check('mode wrong_iss: iss differs, verification fails on iss', async () => {
  const f = await modeFlow('wrong_iss');
  eq(jose.decodeJwt(f.tokens.id_token).iss, `${issuer}/wrong`, 'iss');
  return rejects(verify(f.tokens.id_token), 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'verify');
});

await check('mode expired: exp an hour ago, verification fails as expired', async () => {
  const f = await modeFlow('expired');
  const p = jose.decodeJwt(f.tokens.id_token);
  const now = Date.now() / 1000;
  assert(p.exp < now - 3500 && p.iat < p.exp, `exp ${p.exp} iat ${p.iat} now ${now}`);
  return rejects(verify(f.tokens.id_token), 'ERR_JWT_EXPIRED', 'verify');
});

await check('mode wrong_nonce: signature valid, nonce differs from the one sent', async () => {
  const f = await modeFlow('wrong_nonce');
  const { payload } = await verify(f.tokens.id_token);
  assert(payload.nonce && payload.nonce !== f.nonce, `nonce ${payload.nonce} vs sent ${f.nonce}`);
});

await check('mode no_nonce: signature valid, no nonce', async () => {
  const f = await modeFlow('no_nonce');
  const { payload } = await verify(f.tokens.id_token);
  assert(!('nonce' in payload), 'nonce present');
});

await check('mode bad_signature: published kid, signature does not verify', async () => {
  const f = await modeFlow('bad_signature');
  eq(jose.decodeProtectedHeader(f.tokens.id_token).kid, publishedKid, 'kid');
  eq(jose.decodeJwt(f.tokens.id_token).nonce, f.nonce, 'claims otherwise intact (nonce)');
  return rejects(verify(f.tokens.id_token), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'verify');
});

await check('mode unknown_kid: kid not in the JWKS', async () => {
  const f = await modeFlow('unknown_kid');
  assert(jose.decodeProtectedHeader(f.tokens.id_token).kid !== publishedKid, 'kid is the published one');
  return rejects(verify(f.tokens.id_token), 'ERR_JWKS_NO_MATCHING_KEY', 'verify');
});

await check('mode alg_none: unsecured JWT is rejected', async () => {
  const f = await modeFlow('alg_none');
  eq(jose.decodeProtectedHeader(f.tokens.id_token).alg, 'none', 'alg');
  assert(f.tokens.id_token.endsWith('.'), 'empty signature');
  return rejects(verify(f.tokens.id_token), undefined, 'verify');
});

await check('mode normal + claims: overridden claims, still validly signed', async () => {
  const f = await modeFlow('normal', { claims: { email_verified: false, groups: ['admins'] } });
  const { payload } = await verify(f.tokens.id_token);
  eq([payload.email_verified, payload.groups, payload.nonce], [false, ['admins'], f.nonce], 'claims');
});

await check('a mode is used once: the next ID token is normal again', async () => {
  await setMode({ mode: 'wrong_aud' });
  await fullFlow();
  const f = await fullFlow();
  const { payload } = await verify(f.tokens.id_token);
  eq(payload.nonce, f.nonce, 'nonce');
});

await check('a mode for another client_id leaves this client alone', async () => {
  await setMode({ mode: 'expired', client_id: 'other' });
  const f = await fullFlow();
  await verify(f.tokens.id_token);
  const o = await fullFlow(OTHER);
  await rejects(verify(o.tokens.id_token, OTHER), 'ERR_JWT_EXPIRED', 'other client');
});

await check('/__test/mode refuses an unknown mode; GET shows an empty queue; last-id-token', async () => {
  const res = await fetch(`${issuer}/__test/mode`, { method: 'POST', body: '{"mode":"explode"}' });
  eq(res.status, 400, 'status');
  const q = await (await fetch(`${issuer}/__test/mode`)).json();
  eq(q.queue, [], 'queue');
  const last = await (await fetch(`${issuer}/__test/last-id-token`)).json();
  eq(last.payload.aud, 'other', 'last ID token aud');
});

await check('provider exits when its stdin closes (--exit-with-stdin)', async () => {
  child.stdin.end();
  await new Promise((ok, ko) => {
    if (exited) { ok(); return; }
    child.once('exit', ok);
    setTimeout(() => ko(new Error('still running 5 s after stdin closed')), 5000).unref();
  });
});

console.log(`${passed} passed, ${failed} failed`);
if (failed) {
  console.log('--- provider stderr ---');
  console.log(Buffer.concat(stderr).toString());
}
process.exitCode = failed ? 1 : 0;
