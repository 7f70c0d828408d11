// Cổng dịch vụ công (thử nghiệm) — a demo relying party of the Định Danh OpenID provider.
//
// Every protocol step is panva's openid-client (certified for FAPI 2.0): discovery, pushed
// authorization requests, private_key_jwt client authentication, PKCE, nonce, DPoP, the
// ID token's validation (signature against the provider's JWKS included), userinfo and token
// introspection. Back-channel logout tokens are verified with panva's jose (the library
// openid-client is built on) against the provider's jwks_uri. This file only keeps sessions
// and renders pages. If a library refuses something of the provider's, the provider is wrong.
//
// Start:  node server.js --issuer http://127.0.0.1:8640 [--port 8650] [--host 127.0.0.1]
//
// Its client key (ES256) is generated in memory at start and never written anywhere. To be
// registered, it prints its PUBLIC JWK set as one line on stdout:
//
//   DINHDANH_DEMO_JWKS {"keys":[...]}
//   DINHDANH_DEMO_REDIRECT_URI http://127.0.0.1:8650/callback
//   DINHDANH_DEMO_BACKCHANNEL_LOGOUT_URI http://127.0.0.1:8650/backchannel-logout
//
// then reads its client id (`rp_…`, from `dinhdanh-server client add … --jwks FILE`, or
// `client set-jwks` for a registration made by an earlier start) as one line on stdin, runs
// discovery and serves; `DINHDANH_DEMO_READY <url>` says it listens. `cargo xtask run` and the
// tests do this exchange; by hand, paste the client id.

import { createServer } from 'node:http';
import { randomBytes, webcrypto } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';

import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const { values: args } = parseArgs({
  options: {
    issuer: { type: 'string' },
    port: { type: 'string', default: '8650' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
if (!args.issuer) {
  console.error('usage: node server.js --issuer <provider URL> [--port N] [--host H]');
  process.exit(2);
}

const ISSUER = new URL(args.issuer);
const BASE = `http://${args.host}:${args.port}`;
const REDIRECT_URI = `${BASE}/callback`;
const BACKCHANNEL_LOGOUT_URI = `${BASE}/backchannel-logout`;
const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const SCOPE = 'openid profile organisation';
const SESSION_COOKIE = 'dd_demo_session';
const PENDING_COOKIE = 'dd_demo_pending';
// A sign-in left half-way is forgotten after ten minutes; a session after an hour.
const PENDING_MS = 10 * 60 * 1000;
const SESSION_MS = 60 * 60 * 1000;
const STYLE = readFileSync(new URL('./style.css', import.meta.url));

// ---------------------------------------------------------------------------------------------
// The client key and the registration handshake
// ---------------------------------------------------------------------------------------------

// Not extractable: the private key cannot leave this process, not even to a file by mistake.
const clientKeys = await webcrypto.subtle.generateKey(
  { name: 'ECDSA', namedCurve: 'P-256' },
  false,
  ['sign', 'verify'],
);
const publicJwk = await webcrypto.subtle.exportKey('jwk', clientKeys.publicKey);
const kid = `demo-${randomBytes(6).toString('hex')}`;
const jwks = {
  keys: [{ kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y, kid, alg: 'ES256', use: 'sig' }],
};
console.log(`DINHDANH_DEMO_JWKS ${JSON.stringify(jwks)}`);
console.log(`DINHDANH_DEMO_REDIRECT_URI ${REDIRECT_URI}`);
console.log(`DINHDANH_DEMO_BACKCHANNEL_LOGOUT_URI ${BACKCHANNEL_LOGOUT_URI}`);

const clientId = await new Promise((resolve) => {
  const rl = createInterface({ input: process.stdin });
  rl.once('line', (line) => {
    rl.close();
    resolve(line.trim());
  });
});
if (!/^rp_[A-Za-z0-9_-]+$/.test(clientId)) {
  console.error('expected the client id (rp_…) on stdin');
  process.exit(2);
}

// Plain http is allowed only for a loopback provider (the provider's own documented exception).
const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(ISSUER.hostname);
const execute = [client.enableNonRepudiationChecks];
if (ISSUER.protocol === 'http:' && loopback) {
  execute.push(client.allowInsecureRequests);
}
// The provider may still be starting (`cargo xtask run` starts both at once): a few tries.
async function discover() {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.discovery(
        ISSUER,
        clientId,
        { id_token_signed_response_alg: 'ES256' },
        client.PrivateKeyJwt({ key: clientKeys.privateKey, kid }),
        { execute },
      );
    } catch (err) {
      // Only a connection that could not be made is tried again; a refusal is final.
      if (attempt >= 40 || !(err instanceof TypeError && err.cause)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
const config = await discover();
const metadata = config.serverMetadata();
// The provider's keys for logout tokens, fetched (and re-fetched for an unknown kid) by jose.
const providerKeys = createRemoteJWKSet(new URL(metadata.jwks_uri));

// ---------------------------------------------------------------------------------------------
// Sessions (in memory) and pages
// ---------------------------------------------------------------------------------------------

/** Sign-ins under way, by the pending cookie: PKCE verifier, state, nonce, DPoP key. */
const pending = new Map();
/** Signed-in sessions, by the session cookie. */
const sessions = new Map();
/**
 * Sessions the provider ended by back-channel logout, by the same cookie: the browser is told
 * why it is signed out, and may still ask whether the old access token is active.
 */
const ended = new Map();
/** Logout tokens' `jti`s seen within their lifetime: a replayed token ends nothing twice. */
const seenLogoutTokens = new Map();

function sweep(map, ttl) {
  const now = Date.now();
  for (const [k, v] of map) {
    if (now - v.at > ttl) map.delete(k);
  }
}

function esc(value) {
  return String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
}

function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

function cookie(name, value, maxAgeSecs) {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSecs}`;
}

// No script at all; forms post only here (and the sign-in form's redirect goes to the
// provider, which Chromium checks against form-action too).
const CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  `form-action 'self' ${ISSUER.origin}`,
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

function send(res, status, body, headers = {}) {
  res.writeHead(status, {
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    // The callback's URL holds the code: never in a Referer.
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

function redirect(res, location, headers = {}) {
  send(res, 303, '', { location, ...headers });
}

function page(res, status, id, main, headers = {}) {
  const html = `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cổng dịch vụ công (thử nghiệm)</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header><h1>Cổng dịch vụ công (thử nghiệm)</h1>
<p lang="en" class="en">Public service portal (demo)</p></header>
<main id="${esc(id)}">
${main}
</main>
<footer><p>Dịch vụ thử nghiệm: đăng nhập bằng Định Danh qua OpenID Connect.</p>
<p lang="en" class="en">A demo service: sign-in with Định Danh over OpenID Connect.</p></footer>
</body>
</html>
`;
  send(res, status, html, { 'content-type': 'text/html; charset=utf-8', ...headers });
}

function homePage(res) {
  page(
    res,
    200,
    'home',
    `<p>Đăng nhập để làm thủ tục cho bản thân hoặc cho tổ chức bạn đại diện.</p>
<p lang="en" class="en">Sign in to file procedures for yourself or for an organisation you represent.</p>
<form method="post" action="/login">
<button type="submit" id="sign-in">Đăng nhập bằng Định Danh<span lang="en" class="en">Sign in with Định Danh</span></button>
</form>`,
  );
}

// The `organisation` claim's `role` and `type` words, as the provider writes them.
const ROLES = {
  owner: ['Người đại diện theo pháp luật', 'Legal representative (owner)'],
  administrator: ['Quản trị viên', 'Administrator'],
  member: ['Người được ủy quyền', 'Delegate'],
};
const TYPES = {
  enterprise: ['Doanh nghiệp', 'Enterprise'],
  cooperative: ['Hợp tác xã', 'Cooperative'],
  organisation_with_tax_code: ['Cơ quan, tổ chức có mã số thuế', 'Organisation with a tax code'],
  organisation_without_registration: ['Tổ chức không có đăng ký', 'Organisation without registration'],
};

function row(vi, en, value, id) {
  return `<tr><th scope="row">${esc(vi)}<span lang="en" class="en">${esc(en)}</span></th><td${
    id ? ` id="${esc(id)}"` : ''
  }>${esc(value)}</td></tr>`;
}

function signedInPage(res, s) {
  const c = s.claims;
  const org = c.organisation;
  let acting;
  if (org && typeof org === 'object') {
    const role = ROLES[org.role] ?? [org.role, org.role];
    const type = TYPES[org.type] ?? [org.type, org.type];
    const code = org.code ?? '';
    acting = `<h2>Đang đại diện cho tổ chức<span lang="en" class="en">Acting for an organisation</span></h2>
<table>
${row('Tổ chức', 'Organisation', org.name, 'organisation-name')}
${row('Mã định danh điện tử', 'e-ID number', org.eid, 'organisation-eid')}
${row('Loại', 'Type', `${type[0]} (${type[1]})`, 'organisation-type')}
${code ? row('Mã số', 'Code', code, 'organisation-code') : ''}
${row('Vai trò', 'Role', `${role[0]} (${role[1]})`, 'organisation-role')}
</table>`;
  } else {
    acting = `<p id="personal">Đăng nhập với tư cách cá nhân.<span lang="en" class="en">Signed in personally.</span></p>`;
  }
  const api = s.userinfo.ok
    ? `<p id="api-call" data-result="ok">Thành công: dịch vụ đã gọi API userinfo bằng access token ràng buộc DPoP.<span lang="en" class="en">Succeeded: the service called the userinfo API with its DPoP-bound access token.</span></p>
<pre id="api-result">${esc(JSON.stringify(s.userinfo.body, null, 2))}</pre>`
    : `<p id="api-call" data-result="failed">Không thành công.<span lang="en" class="en">Failed.</span></p>
<pre id="api-result">${esc(s.userinfo.error)}</pre>`;
  page(
    res,
    200,
    'signed-in',
    `<p>Xin chào, <strong id="person-name">${esc(c.name ?? '')}</strong>.<span lang="en" class="en">Hello.</span></p>
${acting}
<h2>Xác thực<span lang="en" class="en">Authentication</span></h2>
<table>
${row('Định danh (theo dịch vụ)', 'Subject (pairwise)', c.sub, 'sub')}
${row('Mức', 'Level (acr)', c.acr, 'acr')}
${row('Phương thức', 'Methods (amr)', (c.amr ?? []).join(', '), 'amr')}
${row('Thời điểm xác thực', 'Authenticated at', new Date((c.auth_time ?? 0) * 1000).toISOString(), 'auth-time')}
</table>
<h2>Gọi API<span lang="en" class="en">API call</span></h2>
${api}
${introspectionPart(s)}
<form method="post" action="/logout">
<button type="submit" id="sign-out">Đăng xuất<span lang="en" class="en">Sign out</span></button>
</form>`,
  );
}

/** The result of the last introspection of the session's access token, and the button. */
function introspectionPart(s) {
  let result = '';
  if (s.introspection) {
    const i = s.introspection;
    result = i.ok
      ? `<p id="introspection" data-active="${i.active ? 'true' : 'false'}">${
          i.active
            ? 'Access token còn hiệu lực.<span lang="en" class="en">The access token is active.</span>'
            : 'Access token không còn hiệu lực.<span lang="en" class="en">The access token is no longer active.</span>'
        }</p>`
      : `<p id="introspection" data-active="error">Không hỏi được.<span lang="en" class="en">The question failed.</span></p>
<pre>${esc(i.error)}</pre>`;
  }
  return `<h2>Kiểm tra token (RFC 7662)<span lang="en" class="en">Token introspection (RFC 7662)</span></h2>
${result}
<form method="post" action="/introspect">
<button type="submit" id="introspect">Hỏi nhà cung cấp<span lang="en" class="en">Ask the provider</span></button>
</form>`;
}

/** A session the provider ended (back-channel logout): signed out, and why. */
function endedPage(res, e) {
  page(
    res,
    200,
    'signed-out-by-provider',
    `<p>Bạn đã bị đăng xuất: nhà cung cấp định danh báo phiên đăng nhập đã kết thúc (ví dụ: ủy quyền bị thu hồi hoặc tài khoản bị khóa).</p>
<p lang="en" class="en">You were signed out: the identity provider said the sign-in ended (for example, a delegation was revoked or the account was locked).</p>
${introspectionPart(e)}
<form method="post" action="/login">
<button type="submit" id="sign-in">Đăng nhập lại bằng Định Danh<span lang="en" class="en">Sign in again with Định Danh</span></button>
</form>`,
  );
}

function problemPage(res, status, id, vi, en, detail) {
  page(
    res,
    status,
    id,
    `<p>${esc(vi)}</p>
<p lang="en" class="en">${esc(en)}</p>
${detail ? `<pre id="detail">${esc(detail)}</pre>` : ''}
<p><a href="/">Về trang chủ<span lang="en" class="en">Back to the home page</span></a></p>`,
  );
}

/**
 * RP-initiated logout at the provider: not built in this round (another engineer builds the
 * provider's end-session endpoint). When it exists, return the URL to send the browser to, e.g.
 * `client.buildEndSessionUrl(config, { id_token_hint, post_logout_redirect_uri })`; `null`
 * ends only this service's session.
 */
function rpInitiatedLogoutUrl(_session) {
  return null;
}

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

async function login(res) {
  sweep(pending, PENDING_MS);
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  // A DPoP key per sign-in: the code (bound at the push) and the access token are bound to it.
  const dpopKeys = await client.randomDPoPKeyPair('ES256');
  const dpop = client.getDPoPHandle(config, dpopKeys);
  const url = await client.buildAuthorizationUrlWithPAR(
    config,
    {
      redirect_uri: REDIRECT_URI,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    },
    { DPoP: dpop },
  );
  const id = randomBytes(32).toString('base64url');
  pending.set(id, { codeVerifier, state, nonce, dpop, at: Date.now() });
  redirect(res, url.href, {
    'set-cookie': cookie(PENDING_COOKIE, id, PENDING_MS / 1000),
  });
}

async function callback(req, res) {
  const id = cookies(req)[PENDING_COOKIE];
  const p = id && pending.get(id);
  if (!p) {
    // Not the browser that started this sign-in (or it was too long ago): nothing is redeemed.
    problemPage(
      res,
      400,
      'no-sign-in',
      'Trình duyệt này không bắt đầu lượt đăng nhập này. Hãy đăng nhập lại từ trang chủ.',
      'This browser did not start this sign-in. Sign in again from the home page.',
    );
    return;
  }
  pending.delete(id);
  const clearPending = cookie(PENDING_COOKIE, '', 0);
  const currentUrl = new URL(req.url, BASE);
  let tokens;
  try {
    tokens = await client.authorizationCodeGrant(
      config,
      currentUrl,
      {
        pkceCodeVerifier: p.codeVerifier,
        expectedState: p.state,
        expectedNonce: p.nonce,
        idTokenExpected: true,
      },
      undefined,
      { DPoP: p.dpop },
    );
  } catch (err) {
    if (err instanceof client.AuthorizationResponseError && err.error === 'access_denied') {
      page(
        res,
        200,
        'refused',
        `<p>Đăng nhập không thành công: yêu cầu đã bị từ chối trên điện thoại hoặc đã hết hạn.</p>
<p lang="en" class="en">Sign-in did not go through: it was declined on the phone, or it expired.</p>
<p><a href="/">Về trang chủ<span lang="en" class="en">Back to the home page</span></a></p>`,
        { 'set-cookie': clearPending },
      );
      return;
    }
    console.error('sign-in failed:', err);
    problemPage(
      res,
      400,
      'sign-in-failed',
      'Đăng nhập không thành công.',
      'Sign-in failed.',
      `${err.name}: ${err.message}${err.code ? ` (${err.code})` : ''}`,
    );
    return;
  }
  const claims = tokens.claims();
  // The "API call": a DPoP-bound request to the provider's userinfo endpoint with the access
  // token (the library makes the proof, with `ath`, and checks the subject).
  let userinfo;
  try {
    const body = await client.fetchUserInfo(config, tokens.access_token, claims.sub, {
      DPoP: p.dpop,
    });
    userinfo = { ok: true, body };
  } catch (err) {
    console.error('userinfo failed:', err);
    userinfo = { ok: false, error: `${err.name}: ${err.message}` };
  }
  sweep(sessions, SESSION_MS);
  sweep(ended, SESSION_MS);
  const sid = randomBytes(32).toString('base64url');
  sessions.set(sid, {
    claims,
    userinfo,
    idToken: tokens.id_token,
    accessToken: tokens.access_token,
    at: Date.now(),
  });
  res.setHeader('set-cookie', [clearPending, cookie(SESSION_COOKIE, sid, SESSION_MS / 1000)]);
  redirect(res, '/');
}

function logout(req, res) {
  const sid = cookies(req)[SESSION_COOKIE];
  const s = sid && sessions.get(sid);
  if (sid) {
    sessions.delete(sid);
    ended.delete(sid);
  }
  const clear = { 'set-cookie': cookie(SESSION_COOKIE, '', 0) };
  const atProvider = s ? rpInitiatedLogoutUrl(s) : null;
  redirect(res, atProvider ?? '/', clear);
}

/** RFC 7662 through the library: is this session's access token still active? */
async function introspect(req, res) {
  const sid = cookies(req)[SESSION_COOKIE];
  const s = sid && (sessions.get(sid) ?? ended.get(sid));
  if (!s) {
    redirect(res, '/');
    return;
  }
  try {
    const answer = await client.tokenIntrospection(config, s.accessToken);
    s.introspection = { ok: true, active: answer.active === true };
  } catch (err) {
    console.error('introspection failed:', err);
    s.introspection = { ok: false, error: `${err.name}: ${err.message}` };
  }
  redirect(res, '/');
}

/** Reads a small form body (the logout token is well under 8 KiB). */
async function formBody(req, limit = 8192) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new RangeError('body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * OpenID Connect Back-Channel Logout 1.0, §2.6: the logout token is a JWT signed by the
 * provider (its jwks_uri, ES256 as registered, `typ` logout+jwt), for this client, recent, with
 * the logout event, without a nonce, naming `sid` or `sub`; then every session it names ends.
 */
async function backchannelLogout(req, res) {
  const bad = (description) =>
    send(res, 400, JSON.stringify({ error: 'invalid_request', error_description: description }), {
      'content-type': 'application/json',
    });
  let token;
  try {
    token = (await formBody(req)).get('logout_token');
  } catch {
    bad('unreadable body');
    return;
  }
  if (!token) {
    bad('no logout_token');
    return;
  }
  let claims;
  try {
    ({ payload: claims } = await jwtVerify(token, providerKeys, {
      issuer: metadata.issuer,
      audience: clientId,
      algorithms: ['ES256'],
      typ: 'logout+jwt',
      requiredClaims: ['iat', 'jti', 'events'],
      maxTokenAge: '2 minutes',
    }));
  } catch (err) {
    console.error('logout token refused:', err.code ?? err.name);
    bad('the logout token is not valid');
    return;
  }
  const events = claims.events;
  if (
    !events ||
    typeof events !== 'object' ||
    typeof events[LOGOUT_EVENT] !== 'object' ||
    events[LOGOUT_EVENT] === null
  ) {
    bad('no back-channel logout event');
    return;
  }
  if ('nonce' in claims) {
    bad('a logout token carries no nonce');
    return;
  }
  if (typeof claims.sid !== 'string' && typeof claims.sub !== 'string') {
    bad('neither sid nor sub');
    return;
  }
  const now = Date.now();
  for (const [jti, at] of seenLogoutTokens) {
    if (now - at > 5 * 60 * 1000) seenLogoutTokens.delete(jti);
  }
  if (seenLogoutTokens.has(claims.jti)) {
    bad('this logout token was used already');
    return;
  }
  seenLogoutTokens.set(claims.jti, now);
  // Both given: both must match (§2.4); one given: that one.
  let count = 0;
  for (const [cookieId, s] of sessions) {
    const c = s.claims;
    if (claims.sid !== undefined && c.sid !== claims.sid) continue;
    if (claims.sub !== undefined && c.sub !== claims.sub) continue;
    sessions.delete(cookieId);
    ended.set(cookieId, { ...s, introspection: undefined, at: now });
    count++;
  }
  console.log(`back-channel logout: ${count} session(s) ended`);
  send(res, 200, '', { 'cache-control': 'no-store' });
}

async function handle(req, res) {
  const url = new URL(req.url, BASE);
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case 'GET /': {
      const sid = cookies(req)[SESSION_COOKIE];
      const s = sid && sessions.get(sid);
      const e = sid && ended.get(sid);
      if (s && Date.now() - s.at < SESSION_MS) signedInPage(res, s);
      else if (e && Date.now() - e.at < SESSION_MS) endedPage(res, e);
      else homePage(res);
      return;
    }
    case 'GET /style.css':
      send(res, 200, STYLE, { 'content-type': 'text/css; charset=utf-8' });
      return;
    case 'POST /login':
      await login(res);
      return;
    case 'GET /callback':
      await callback(req, res);
      return;
    case 'POST /logout':
      logout(req, res);
      return;
    case 'POST /introspect':
      await introspect(req, res);
      return;
    case 'POST /backchannel-logout':
      await backchannelLogout(req, res);
      return;
    default:
      problemPage(res, 404, 'not-found', 'Không có trang này.', 'No such page.');
  }
}

const server = createServer((req, res) => {
  // Only the back-channel logout reads its body; the others are drained.
  if (req.url !== '/backchannel-logout') req.resume();
  handle(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) {
      problemPage(res, 502, 'error', 'Có lỗi khi liên hệ nhà cung cấp định danh.', 'Something went wrong talking to the identity provider.', `${err.name}: ${err.message}`);
    } else {
      res.end();
    }
  });
});
server.listen(Number(args.port), args.host, () => {
  console.log(`DINHDANH_DEMO_READY ${BASE}/`);
});
