#!/usr/bin/env node
// A real OpenID provider for the single sign-on tests: panva's certified `oidc-provider` (installed into .oidc/
// by scripts/oidc.sh), on plain http on loopback, with accounts and clients from a JSON file.
//
//   node tests/oidc/provider.mjs --config FILE [--port N] [--exit-with-stdin]
//
// --port 0 (the default) takes a free port. When it is ready it prints one JSON line on stdout and nothing else:
//   {"issuer":"http://127.0.0.1:PORT","port":PORT}
// Logs go to stderr. It stops on SIGTERM/SIGINT, and with --exit-with-stdin also when its stdin closes (so a test
// that dies without killing it does not leave it behind; give it a pipe as stdin then).
//
// The config file:
//   {
//     "clients": [ { "client_id": "ai102", "client_secret": "…", "redirect_uris": ["http://127.0.0.1:8080/sso/callback"] } ],
//     "accounts": { "alice": { "email": "alice@example.test", "email_verified": true, "name": "Alice", "groups": ["staff"] } }
//   }
// Each client is oidc-provider client metadata, passed on as is (defaults: response_types ["code"], grant_types
// ["authorization_code"], token_endpoint_auth_method "client_secret_basic", RS256 ID tokens). Web clients match
// redirect_uris exactly, port included; a client with "application_type": "native" and an http://127.0.0.1/…
// redirect URI accepts any port there (RFC 8252 loopback redirection), for an app that listens on port 0.
// Each account's key is its subject (`sub`); its object holds its claims.
//
// What it does:
// - discovery at /.well-known/openid-configuration, JWKS at /jwks, authorization code flow at /auth and /token,
//   userinfo at /me; PKCE with S256 is required of every client (plain is not offered).
// - ID tokens are signed with RS256 by an RSA key generated at start (kid in the JWKS), and carry the claims of
//   the granted scopes: email → email, email_verified; profile → name, groups; groups → groups.
// - login is a plain HTML form without JavaScript at /interaction/UID: <input name="login"> takes a subject or an
//   account's e-mail; its "Cancel" button ends the flow with error=access_denied. There is no consent screen:
//   every requested scope and claim is granted at once.
// - test controls on the same server (never part of a real provider):
//     POST /__test/mode  {"mode": M, "client_id"?: C, "claims"?: {…}}  queues a misbehaviour for the next ID token
//       issued by the token endpoint (for client C only, when given), used once. Modes:
//         normal        claims as issued, re-signed with the real key (use with "claims" to override some)
//         wrong_aud     aud is "wrong-audience" (not the client)
//         wrong_iss     iss is the issuer with "/wrong" appended
//         expired       exp and iat an hour and two hours in the past (beyond any sane clock skew)
//         wrong_nonce   nonce replaced by another random value
//         no_nonce      nonce removed
//         bad_signature signed by another RSA key under the published kid (signature check fails)
//         unknown_kid   signed by another RSA key under a kid that is not in the JWKS
//         alg_none      an unsecured JWT (alg "none", empty signature)
//       "claims" is merged into the payload after the mode's change (e.g. {"email_verified": false}).
//     DELETE /__test/mode  clears the queue;  GET /__test/mode  shows it.
//     GET /__test/last-id-token  the last ID token the token endpoint sent, as {"id_token", "header", "payload"}.
//   Only the ID token in the token endpoint's response changes; the authorization code, the access token, userinfo
//   and the JWKS stay as they are.
//
// http on loopback: the issuer is http://127.0.0.1:PORT and the server listens there itself, so `proxy` stays off
// (nothing in front sets X-Forwarded-*); cookies are not `secure` (oidc-provider marks them secure only on https
// requests) and all are SameSite=Lax, because Chromium drops SameSite=None cookies that are not Secure; the dev
// interactions are off and its own pages (login, logout, errors) load nothing from outside.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const { values: args } = parseArgs({
  options: {
    config: { type: 'string' },
    port: { type: 'string', default: '0' },
    modules: { type: 'string', default: process.env.OIDC_PROVIDER_MODULES || join(ROOT, '.oidc', 'node_modules') },
    'exit-with-stdin': { type: 'boolean', default: false },
  },
});

function fail(message) {
  process.stderr.write(`provider.mjs: ${message}\n`);
  process.exit(2);
}

if (!args.config) fail('--config FILE is required');
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0..65535, not ${args.port}`);

// Modules from .oidc/ (scripts/oidc.sh), imported by path: this file is not inside that npm project.
async function importPackage(name) {
  const dir = join(args.modules, name);
  const pkgFile = join(dir, 'package.json');
  if (!existsSync(pkgFile)) fail(`${name} is not installed in ${args.modules}; run scripts/oidc.sh`);
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
  const dot = pkg.exports?.['.'];
  const entry = (typeof dot === 'string' ? dot : dot?.import) || pkg.main || 'index.js';
  return { module: await import(pathToFileURL(join(dir, entry)).href), version: pkg.version };
}
const { module: oidcModule, version: providerVersion } = await importPackage('oidc-provider');
const { module: jose } = await importPackage('jose');
const { Provider, errors } = oidcModule;

// ---- configuration -------------------------------------------------------------------------------------------
let config;
try {
  config = JSON.parse(readFileSync(args.config, 'utf8'));
} catch (err) {
  fail(`cannot read --config ${args.config}: ${err.message}`);
}
const clients = config.clients ?? [];
const accounts = config.accounts ?? {};
if (!Array.isArray(clients) || clients.some((c) => typeof c?.client_id !== 'string')) {
  fail('config "clients" must be an array of objects with a client_id');
}
if (typeof accounts !== 'object' || Array.isArray(accounts)) fail('config "accounts" must map subject → claims');

const SCOPES = ['openid', 'email', 'profile', 'groups'];
const CLAIMS = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  profile: ['name', 'given_name', 'family_name', 'preferred_username', 'locale', 'groups'],
  groups: ['groups'],
  acr: null, amr: null, auth_time: null, iss: null, sid: null,
};

function findAccountByLogin(login) {
  const value = String(login ?? '').trim();
  if (!value) return undefined;
  if (Object.hasOwn(accounts, value)) return value;
  const lower = value.toLowerCase();
  return Object.keys(accounts).find((sub) => String(accounts[sub]?.email ?? '').toLowerCase() === lower);
}

// ---- keys ------------------------------------------------------------------------------------------------------
async function rsaKey(kid) {
  const { privateKey } = await jose.generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = { ...(await jose.exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  return { privateKey, jwk };
}
const signing = await rsaKey(`rs256-${randomUUID()}`);
const rogue = await rsaKey(signing.jwk.kid); // same kid, a key nobody published

// ---- the server: listen first, so a free port can become the issuer -------------------------------------------
let handler = (req, res) => { res.writeHead(503).end(); };
const server = http.createServer((req, res) => handler(req, res));
await new Promise((ok, ko) => {
  server.once('error', ko);
  server.listen(port, '127.0.0.1', ok);
});
const actualPort = server.address().port;
const issuer = `http://127.0.0.1:${actualPort}`;

const html = (s) => String(s).replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));
const page = (title, body) => `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(title)}</title>
</head>
<body>
<main>
<h1>${html(title)}</h1>
${body}
</main>
</body>
</html>
`;

async function loadExistingGrant(ctx) {
  const { Grant } = ctx.oidc.provider;
  const { clientId } = ctx.oidc.client;
  const { accountId } = ctx.oidc.session;
  const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(clientId);
  let grant = grantId ? await Grant.find(grantId) : undefined;
  if (!grant || grant.accountId !== accountId || grant.clientId !== clientId) {
    grant = new Grant({ clientId, accountId });
  }
  // Consent is implied: grant whatever was asked for, so no consent prompt is ever shown.
  const scopes = [...ctx.oidc.requestParamScopes].filter((s) => SCOPES.includes(s));
  if (scopes.length) grant.addOIDCScope(scopes.join(' '));
  const claims = [...ctx.oidc.requestParamClaims];
  if (claims.length) grant.addOIDCClaims(claims);
  await grant.save();
  return grant;
}

const provider = new Provider(issuer, {
  clients,
  async findAccount(ctx, sub) {
    if (!Object.hasOwn(accounts, sub)) return undefined;
    return {
      accountId: sub,
      async claims() { return { ...accounts[sub], sub }; },
    };
  },
  claims: CLAIMS,
  scopes: SCOPES,
  conformIdTokenClaims: false, // scope claims in the ID token too, not only from userinfo
  jwks: { keys: [signing.jwk] },
  pkce: { methods: ['S256'], required: () => true },
  responseTypes: ['code'],
  cookies: {
    keys: [randomBytes(32).toString('base64url')],
    long: { httpOnly: true, sameSite: 'lax', signed: true },
    short: { httpOnly: true, sameSite: 'lax', signed: true },
  },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.type = 'html';
        ctx.body = page('Sign out', `${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<button type="submit" form="op.logoutForm">Stay signed in</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.type = 'html';
        ctx.body = page('Signed out', '<p>You are signed out.</p>');
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  loadExistingGrant,
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error', `<dl>${Object.entries(out)
      .map(([k, v]) => `<dt>${html(k)}</dt><dd>${html(v)}</dd>`).join('')}</dl>`);
  },
});

for (const event of ['server_error', 'authorization.error', 'grant.error', 'userinfo.error', 'end_session.error']) {
  provider.on(event, (ctx, err) => {
    process.stderr.write(`provider.mjs: ${event}: ${err?.name}: ${err?.message}${err?.error_description ? ` (${err.error_description})` : ''}\n`);
  });
}

// ---- misbehaviour: re-sign the token endpoint's ID token ------------------------------------------------------
const MODES = new Set(['normal', 'wrong_aud', 'wrong_iss', 'expired', 'wrong_nonce', 'no_nonce', 'bad_signature',
  'unknown_kid', 'alg_none']);
const queue = [];
let lastIdToken;

async function misbehave(idToken, { mode, claims }) {
  const header = jose.decodeProtectedHeader(idToken);
  const payload = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  let key = signing.privateKey;
  let { kid } = header;
  switch (mode) {
    case 'wrong_aud': payload.aud = 'wrong-audience'; delete payload.azp; break;
    case 'wrong_iss': payload.iss = `${issuer}/wrong`; break;
    case 'expired': payload.iat = now - 7200; payload.exp = now - 3600; break;
    case 'wrong_nonce': payload.nonce = randomBytes(16).toString('base64url'); break;
    case 'no_nonce': delete payload.nonce; break;
    case 'bad_signature': key = rogue.privateKey; break;
    case 'unknown_kid': key = rogue.privateKey; kid = `unknown-${randomUUID()}`; break;
    default: break;
  }
  Object.assign(payload, claims ?? {});
  if (mode === 'alg_none') return new jose.UnsecuredJWT(payload).encode();
  return new jose.SignJWT(payload).setProtectedHeader({ ...header, alg: 'RS256', kid }).sign(key);
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.method !== 'POST' || ctx.path !== '/token' || ctx.status !== 200) return;
  const body = ctx.body;
  if (!body || typeof body !== 'object' || typeof body.id_token !== 'string') return;
  const aud = jose.decodeJwt(body.id_token).aud;
  const clientId = ctx.oidc?.client?.clientId ?? (Array.isArray(aud) ? aud[0] : aud);
  const i = queue.findIndex((m) => !m.client_id || m.client_id === clientId);
  if (i >= 0) {
    const [m] = queue.splice(i, 1);
    body.id_token = await misbehave(body.id_token, m);
    process.stderr.write(`provider.mjs: token endpoint: ID token for ${clientId} sent with mode ${m.mode}\n`);
  }
  lastIdToken = body.id_token;
});

// ---- plain-node routes: interactions and test controls -------------------------------------------------------
async function readBody(req, limit = 64 * 1024) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, {
    'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), ...headers,
  });
  res.end(body);
}
const sendJson = (res, status, value) => send(res, status, 'application/json', `${JSON.stringify(value)}\n`);

function loginPage(uid, { login = '', error } = {}) {
  return page('Sign in to the test provider', `${error ? `<p role="alert" id="error">${html(error)}</p>\n` : ''}<form method="post" action="/interaction/${html(uid)}/login">
<p><label for="login">Subject or e-mail</label>
<input id="login" name="login" type="text" value="${html(login)}" autocomplete="username" required autofocus></p>
<p><button type="submit" id="submit">Sign in</button></p>
</form>
<form method="post" action="/interaction/${html(uid)}/abort">
<p><button type="submit" id="cancel">Cancel</button></p>
</form>`);
}

// Ends a consent prompt at once with a grant of everything asked for.
async function autoConsent(req, res, details) {
  const { prompt: { details: missing }, grantId, session, params } = details;
  const grant = grantId ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scope] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scope.join(' '));
  }
  await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } },
    { mergeWithLastSubmission: true });
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'text/plain', 'interaction mismatch\n');
  const { prompt } = details;
  if (action === '' && req.method === 'GET') {
    if (prompt.name === 'consent') return autoConsent(req, res, details);
    if (prompt.name !== 'login') return send(res, 501, 'text/plain', `prompt ${prompt.name} not supported\n`);
    return send(res, 200, 'text/html; charset=utf-8', loginPage(uid));
  }
  if (action === '/login' && req.method === 'POST') {
    const form = new URLSearchParams(await readBody(req));
    const login = form.get('login') ?? '';
    const accountId = findAccountByLogin(login);
    if (prompt.name !== 'login') return send(res, 400, 'text/plain', 'no login is pending\n');
    if (!accountId) {
      return send(res, 401, 'text/html; charset=utf-8', loginPage(uid, { login, error: 'No such account.' }));
    }
    return provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
  }
  if (action === '/abort' && req.method === 'POST') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'End-User cancelled the sign-in',
    }, { mergeWithLastSubmission: false });
  }
  return send(res, 405, 'text/plain', 'method not allowed\n');
}

async function testMode(req, res) {
  if (req.method === 'GET') return sendJson(res, 200, { queue });
  if (req.method === 'DELETE') { queue.length = 0; return sendJson(res, 200, { queue }); }
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'use GET, POST or DELETE' });
  let body;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    return sendJson(res, 400, { error: 'body must be JSON' });
  }
  if (!MODES.has(body?.mode)) return sendJson(res, 400, { error: `mode must be one of ${[...MODES].join(', ')}` });
  if (body.client_id !== undefined && typeof body.client_id !== 'string') {
    return sendJson(res, 400, { error: 'client_id must be a string' });
  }
  if (body.claims !== undefined && (typeof body.claims !== 'object' || Array.isArray(body.claims) || !body.claims)) {
    return sendJson(res, 400, { error: 'claims must be an object' });
  }
  queue.push({ mode: body.mode, client_id: body.client_id, claims: body.claims });
  return sendJson(res, 200, { queue });
}

const providerCallback = provider.callback();
handler = async (req, res) => {
  const { pathname } = new URL(req.url, issuer);
  try {
    const m = /^\/interaction\/([\w-]+)(\/login|\/abort)?$/.exec(pathname);
    if (m) return await interaction(req, res, m[1], m[2] ?? '');
    if (pathname === '/__test/mode') return await testMode(req, res);
    if (pathname === '/__test/last-id-token' && req.method === 'GET') {
      if (!lastIdToken) return sendJson(res, 404, { error: 'no ID token issued yet' });
      return sendJson(res, 200, {
        id_token: lastIdToken,
        header: jose.decodeProtectedHeader(lastIdToken),
        payload: jose.decodeJwt(lastIdToken),
      });
    }
    return providerCallback(req, res);
  } catch (err) {
    const status = err.status ?? err.statusCode ?? 500;
    process.stderr.write(`provider.mjs: ${req.method} ${pathname}: ${err.name}: ${err.message}\n`);
    if (res.headersSent) return res.end();
    // e.g. SessionNotFound: the interaction cookie is missing or the interaction expired.
    const message = err instanceof errors.OIDCProviderError ? `${err.error}: ${err.error_description}` : err.message;
    return send(res, status, 'text/html; charset=utf-8', page('Error', `<p>${html(message)}</p>`));
  }
};

function stop() {
  server.close();
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 200).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (args['exit-with-stdin']) {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}

process.stderr.write(`provider.mjs: oidc-provider ${providerVersion} on ${issuer} (${clients.length} clients, ${Object.keys(accounts).length} accounts)\n`);
process.stdout.write(`${JSON.stringify({ issuer, port: actualPort })}\n`);
