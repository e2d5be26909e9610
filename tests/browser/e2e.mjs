// The demo in a real browser: Debian's chromium, driven by playwright-core,
// with the DevTools protocol's virtual authenticators, clicks through
// examples/demo/html as customers would and checks what the page shows
// after each step.  `make test-browser` starts the demo on private ports,
// runs this, and stops the demo.
//
//   node tests/browser/e2e.mjs
//
// Environment: DEMO_URL (http://localhost:8190/), DEMO_ADMIN_TOKEN_FILE
// (the demo's conf/admin.tokens), CHROMIUM (/usr/bin/chromium), OUT (the
// screenshots' directory, build/browser-test).  The demo must be fresh:
// users demo, hana and ken without passkeys.  Ends with
// "browser: N passed, N failed"; exits 1 when a step failed.
//
// Three customers, each in a browser context of their own:
//   A demo  internal authenticator with UV: password, registration,
//           login, order and withdrawal, the authenticator removed, the
//           order refused with the read-only fallback, an admin reset,
//           re-enrolment with the grant on a new authenticator, an order
//   B hana  a hybrid (phone) authenticator, in a browser made to lack the
//           WebAuthn JSON methods (the kit's own conversion)
//   C ken   an authenticator that does not verify the user: registration
//           fails in the browser, the kit reports it to telemetry (which
//           answers 204) and the page explains it
//
// Then M, the operator, opens the page's metrics view: what A, B and C
// did must be counted there, by platform and authenticator (the virtual
// authenticators' AAGUID is named in examples/demo/aaguids.json).

import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const base = process.env.DEMO_URL || 'http://localhost:8190/';
const tokenFile = process.env.DEMO_ADMIN_TOKEN_FILE
    || join(root, 'build/browser-test/demo/conf/admin.tokens');
const out = process.env.OUT || join(root, 'build/browser-test');
const shots = join(out, 'screenshots');
const WAIT = 15000;               // the longest wait for any condition

mkdirSync(shots, { recursive: true });

let passed = 0;
let failed = 0;

// what the runs did, for the metrics view to show: ceremonies that
// succeeded, password sign-ins, orders refused at the passkey gate and
// trades it allowed, and every telemetry report the pages sent
const tally = { register: 0, login: 0, passwordSignIn: 0, refused: 0,
                trades: 0 };
const reports = [];

function check(cond, what) {
    if (!cond) {
        throw new Error(what);
    }
}

// ---------------------------------------------------------------------
// the kit's message table covers every code of docs/errors.md

async function tableCheck() {
    const kit = await import(join(root, 'client/webauthn.js'));
    const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
    const codes = new Set();
    for (const m of doc.matchAll(/^\| `([a-z_]+)` \| \d{3} \|/gm)) {
        codes.add(m[1]);
    }
    check(codes.size > 30, 'docs/errors.md: only ' + codes.size + ' codes');
    const names = ['NotAllowedError', 'InvalidStateError', 'AbortError',
        'SecurityError', 'NotSupportedError', 'ConstraintError',
        'UnknownError', 'TimeoutError'];
    const missing = [...codes, ...names].filter((c) =>
        !kit.MESSAGES[c] || !kit.MESSAGES[c].en || !kit.MESSAGES[c].ja);
    check(missing.length === 0, 'no message for ' + missing.join(' '));
    for (const a of ['login', 'passkey', 'retry', 'wait', 'reregister',
                     'support', 'none']) {
        check(kit.NEXT_STEPS[a] && kit.NEXT_STEPS[a].ja, 'no step ' + a);
    }
    const d = kit.describe({ code: 'rate_limited', action: 'wait',
                             retryAfter: 42 }, 'ja');
    check(d.message.includes('42'), 'Retry-After not shown: ' + d.message);
    console.log('ok     client kit: messages for ' + codes.size +
                ' server codes and ' + names.length + ' DOMExceptions');
    passed++;
}

// ---------------------------------------------------------------------

async function admin(method, path, body) {
    const token = readFileSync(tokenFile, 'utf8').split('\n')[0].trim();
    const r = await fetch(new URL('/webauthn-admin/' + path, base), {
        method,
        headers: { Authorization: 'Bearer ' + token,
                   'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body)
    });
    return { status: r.status, body: await r.json() };
}

class Customer {
    constructor(browser, run, user) {
        this.browser = browser;
        this.run = run;
        this.user = user;
        this.n = 0;
        this.telemetry = [];
        this.pageErrors = [];
    }

    async open({ noNativeJSON = false } = {}) {
        this.context = await this.browser.newContext({ locale: 'en-US' });
        this.page = await this.context.newPage();
        if (noNativeJSON) {
            // a browser of before the WebAuthn Level 3 JSON methods
            await this.page.addInitScript(() => {
                delete PublicKeyCredential.parseCreationOptionsFromJSON;
                delete PublicKeyCredential.parseRequestOptionsFromJSON;
                delete PublicKeyCredential.prototype.toJSON;
            });
        }
        this.page.on('pageerror', (e) => this.pageErrors.push(String(e)));
        this.page.on('request', (req) => {
            if (new URL(req.url()).pathname === '/webauthn/telemetry') {
                // the answer's status, kept for after the page is closed
                const t = { req, body: req.postDataJSON(),
                            status: req.response()
                                .then((res) => res && res.status(),
                                      () => null) };
                this.telemetry.push(t);
                reports.push(t);
            }
        });
        this.cdp = await this.context.newCDPSession(this.page);
        await this.cdp.send('WebAuthn.enable', { enableUI: false });
        await this.page.goto(base);
        await this.page.waitForSelector('body[data-ready="yes"]');
    }

    async authenticator(options) {
        const { authenticatorId } = await this.cdp.send(
            'WebAuthn.addVirtualAuthenticator', { options: {
                protocol: 'ctap2', ctap2Version: 'ctap2_1',
                transport: 'internal', hasResidentKey: true,
                hasUserVerification: true, isUserVerified: true,
                automaticPresenceSimulation: true, ...options } });
        this.authId = authenticatorId;
        return authenticatorId;
    }

    // one step: its checks, then a screenshot, named after it
    async step(name, work) {
        this.n++;
        const file = join(shots, `${this.run}-${String(this.n)
            .padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-')
            .toLowerCase().slice(0, 50)}.png`);
        try {
            await work();
            check(this.pageErrors.length === 0,
                  'page errors: ' + this.pageErrors.join('; '));
            await this.page.screenshot({ path: file, fullPage: true });
            passed++;
            console.log(`ok     ${this.run} ${this.user}: ${name}`);
        } catch (e) {
            failed++;
            await this.page.screenshot({ path: file, fullPage: true })
                .catch(() => {});
            const msg = await this.text('#message').catch(() => '?');
            console.log(`not ok ${this.run} ${this.user}: ${name}: ` +
                        e.message.split('\n')[0] + '\n  page says: ' + msg +
                        '\n  screenshot: ' + file);
            e.counted = true;
            throw e;
        }
    }

    click(id) {
        return this.page.click('#' + id);
    }

    text(sel) {
        return this.page.locator(sel).innerText({ timeout: WAIT });
    }

    // waits for the outcome line to show CODE (a TEXT key of the page or
    // an error code), then returns its text
    async outcome(code) {
        const sel = `#message[data-code="${code}"]`;
        try {
            await this.page.waitForSelector(sel, { timeout: WAIT });
        } catch (e) {
            const now = await this.page.getAttribute('#message',
                                                     'data-code');
            throw new Error(`expected outcome ${code}, page shows ${now}`);
        }
        return this.text(sel);
    }

    async passwordSignIn() {
        await this.page.fill('#user', this.user);
        await this.page.fill('#password', this.user);
        await this.click('password-login');
        await this.outcome('password-ok');
        check(await this.text('#balance') === '1,250,000 JPY',
              'balance not shown');
        check(await this.page.getAttribute('#state', 'data-level')
              === 'password', 'not at level password');
        tally.passwordSignIn++;
    }

    async register(grant) {
        if (grant) {
            await this.page.fill('#grant', grant);
        }
        await this.click('register');
        await this.outcome('registered');
        tally.register++;
    }

    async login() {
        await this.click('login');
        await this.outcome('passkey-ok');
        check(await this.page.getAttribute('#state', 'data-level')
              === 'passkey', 'not at level passkey');
        tally.login++;
    }

    async trade(kind) {
        await this.page.evaluate(() => {
            document.getElementById('trade-result').textContent = '';
            delete document.getElementById('trade-result').dataset.result;
        });
        await this.click(kind);
        await this.outcome(kind + '-ok');
        check(await this.page.getAttribute('#trade-result', 'data-result')
              === 'accepted', kind + ' not accepted');
        tally.trades++;
    }

    // an order refused at the passkey gate, with the read-only fallback
    async refusedOrder() {
        await this.click('order');
        const msg = await this.outcome('passkey_required');
        tally.refused++;
        await fallbackShown(this, 'passkey_required');
        return msg;
    }

    // the last telemetry report, once the page has sent one matching
    async telemetryFor(error, ceremony) {
        for (;;) {
            const t = this.telemetry.find((x) => x.body.error === error
                && x.body.ceremony === ceremony);
            if (t) {
                return { body: t.body, status: await t.status };
            }
            await this.page.waitForEvent('request', { timeout: WAIT })
                .catch(() => check(false, 'no telemetry for ' + error));
        }
    }

    async close() {
        await this.context.close();
    }
}

async function fallbackShown(c, code) {
    await c.page.waitForSelector('#fallback:not([hidden])', { timeout: WAIT });
    check(await c.page.getAttribute('#fallback-reason', 'data-code')
          === code, 'fallback not for ' + code);
    check(await c.text('#balance') === '1,250,000 JPY',
          'balance gone in the fallback');
}

// A: the whole life of a passkey
async function runA(browser) {
    const c = new Customer(browser, 'A', 'demo');
    await c.open();
    await c.authenticator({});

    await c.step('password sign-in shows the balance', () =>
        c.passwordSignIn());
    await c.step('an order with the password alone is refused', () =>
        c.refusedOrder());
    await c.step('passkey registration', () => c.register());
    await c.step('passkey login', () => c.login());
    await c.step('order accepted', () => c.trade('order'));
    await c.step('withdrawal accepted', () => c.trade('withdraw'));

    await c.step('authenticator removed, session over: order refused, ' +
                 'read-only fallback', async () => {
        await c.cdp.send('WebAuthn.removeVirtualAuthenticator',
                         { authenticatorId: c.authId });
        await c.click('end-session');
        await c.outcome('session-ended');
        const msg = await c.refusedOrder();
        check(msg.includes('passkey'), 'no explanation: ' + msg);
        check((await c.text('#fallback')).includes('Read-only mode'),
              'fallback not explained');
    });
    await c.step('the fallback in Japanese', async () => {
        await c.click('lang-ja');
        await c.page.waitForSelector('html[lang="ja"]');
        const fb = await c.text('#fallback');
        check(fb.includes('閲覧のみモード') && fb.includes('残高'),
              'no Japanese fallback: ' + fb);
        check((await c.text('#message')).includes('パスキー'),
              'no Japanese message');
        check(await c.text('#balance') === '1,250,000 JPY', 'balance gone');
    });
    await c.step('the passkey step-up, cancelled: reported, ' +
                 'still read-only', async () => {
        await c.click('lang-en');
        await c.page.waitForSelector('html[lang="en"]');
        await c.click('fallback-login');
        await c.page.waitForSelector('#cancel:not([hidden])');
        await c.outcome('waiting');
        await c.click('cancel');
        await c.outcome('AbortError');
        await fallbackShown(c, 'AbortError');
        const t = await c.telemetryFor('AbortError', 'login');
        check(t.status === 204, 'telemetry answered ' + t.status);
        check(typeof t.body.elapsedMs === 'number' && t.body.v === 1,
              'telemetry payload ' + JSON.stringify(t.body));
    });

    let grant;
    await c.step('admin reset', async () => {
        const r = await admin('POST', 'users/demo/reset',
                              { reason: 'browser test' });
        check(r.status === 200 && r.body.revoked === 1 && r.body.grant,
              'reset: ' + JSON.stringify(r));
        grant = r.body.grant;
    });
    await c.step('re-enrolment with the grant on a new authenticator',
                 async () => {
        await c.authenticator({});
        await c.register(grant);
        const s = await admin('GET', 'users/demo');
        const st = s.body.credentials.map((x) => x.status).sort();
        check(st.join() === 'active,revoked', 'credentials: ' + st);
    });
    await c.step('login with the new passkey', () => c.login());
    await c.step('order accepted again', async () => {
        await c.trade('order');
        check(!(await c.page.isVisible('#fallback')), 'fallback still up');
    });
    await c.close();
}

// B: hybrid, without the native JSON methods
async function runB(browser) {
    const c = new Customer(browser, 'B', 'hana');
    await c.open({ noNativeJSON: true });
    await c.authenticator({ transport: 'cable' });
    await c.step('a browser without the JSON methods', async () => {
        check(await c.page.evaluate(() =>
            !PublicKeyCredential.parseCreationOptionsFromJSON), 'natives');
        await c.passwordSignIn();
    });
    await c.step('hybrid passkey registration (kit conversion)', async () => {
        await c.register();
        const s = await admin('GET', 'users/hana');
        check(s.body.credentials[0].transports.includes('hybrid'),
              'not hybrid: ' + JSON.stringify(s.body.credentials));
    });
    await c.step('hybrid passkey login', () => c.login());
    await c.step('order accepted', () => c.trade('order'));
    await c.step('a second registration on the same phone: ' +
                 'InvalidStateError, reported as hybrid', async () => {
        await c.click('register');
        await c.outcome('InvalidStateError');
        const t = await c.telemetryFor('InvalidStateError', 'register');
        check(t.status === 204 && t.body.hybrid === true,
              'telemetry ' + JSON.stringify(t));
    });
    await c.close();
}

// C: user verification off
async function runC(browser) {
    const c = new Customer(browser, 'C', 'ken');
    await c.open();
    await c.authenticator({ isUserVerified: false });
    await c.step('password sign-in', () => c.passwordSignIn());
    await c.step('registration without user verification fails in the ' +
                 'browser, explained', async () => {
        await c.click('register');
        const msg = await c.outcome('NotAllowedError');
        check(msg.includes('cancelled, timed out'), 'message: ' + msg);
        const t = await c.telemetryFor('NotAllowedError', 'register');
        check(t.status === 204 && t.body.hybrid === null,
              'telemetry ' + JSON.stringify(t));
    });
    await c.step('the same in Japanese', async () => {
        await c.click('lang-ja');
        const msg = await c.outcome('NotAllowedError');
        check(msg.includes('キャンセル'), 'message: ' + msg);
    });
    await c.step('reading still works', async () => {
        await c.click('refresh');
        await c.refusedOrder();
    });
    await c.close();
}

// ---------------------------------------------------------------------
// M: the metrics view, after A, B and C

const VIRTUAL = 'Chromium virtual authenticator (tests)';

// the module's platform label of Client Hints (ngx_http_webauthn_metrics.c)
function platformLabel(platform, version) {
    const major = parseInt(version, 10);
    switch (platform) {
    case 'Linux':
        return 'linux';
    case 'macOS':
        return 'macos';
    case 'Chrome OS':
    case 'Chromium OS':
        return 'chromeos';
    case 'Windows':
        return major >= 13 ? 'windows-11'
            : major >= 1 && major <= 10 ? 'windows-10' : 'windows';
    case 'Android':
        return major >= 5 && major <= 30 ? 'android-' + major : 'android';
    default:
        return 'other';
    }
}

// the series of one metric in the exposition text, read here with a
// parser of its own: [{ labels, count }]
function exposition(text, name) {
    const rows = [];
    for (const line of text.split('\n')) {
        const m = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
        if (!m || m[1] !== name) {
            continue;
        }
        const labels = {};
        for (const l of m[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
            labels[l[1]] = l[2].replace(/\\(.)/g,
                                        (_, x) => (x === 'n' ? '\n' : x));
        }
        rows.push({ labels, count: Number(m[3]) });
    }
    return rows;
}

const same = (a, b) => JSON.stringify(Object.entries(a).sort())
    === JSON.stringify(Object.entries(b).sort());

async function runM(browser) {
    const c = new Customer(browser, 'M', 'operator');
    await c.open();

    // the rows of the table of METRIC: [{ labels, count, text }]
    const rows = (metric) => c.page.$$eval(
        `#metrics table[data-metric="${metric}"] tbody tr[data-labels]`,
        (trs) => trs.map((tr) => ({ labels: JSON.parse(tr.dataset.labels),
                                    count: Number(tr.dataset.count),
                                    text: tr.innerText })));
    const row = async (metric, labels) => {
        const r = (await rows(metric)).filter((x) => same(x.labels, labels));
        check(r.length === 1, metric + ': ' + r.length + ' rows of '
              + JSON.stringify(labels) + ' in '
              + JSON.stringify((await rows(metric)).map((x) => x.labels)));
        return r[0];
    };

    let platform;
    await c.step('the metrics view: sign-ins and registrations by ' +
                 'platform and authenticator', async () => {
        const [req] = await Promise.all([
            c.page.waitForRequest((r) =>
                new URL(r.url()).pathname === '/webauthn/metrics'),
            c.click('metrics-show')
        ]);
        await c.page.waitForSelector('#metrics[data-status="200"]',
                                     { timeout: WAIT });
        // Accept-CH on the page: the version hint comes along
        const h = await req.allHeaders();
        check(h['sec-ch-ua-platform'] && 'sec-ch-ua-platform-version' in h,
              'no platform client hints: ' + JSON.stringify(h));
        platform = platformLabel(JSON.parse(h['sec-ch-ua-platform']),
                                 JSON.parse(h['sec-ch-ua-platform-version']));
        check(platform !== 'other', 'platform ' + h['sec-ch-ua-platform']);

        const m = 'webauthn_ceremonies_total';
        const login = await row(m, { ceremony: 'login', result: 'success',
            reason: 'none', platform, authenticator: VIRTUAL });
        check(login.count === tally.login && tally.login >= 2,
              `logins: ${login.count}, the runs made ${tally.login}`);
        check(login.text.includes(VIRTUAL) && login.text.includes(platform),
              'row shows ' + login.text);
        const reg = await row(m, { ceremony: 'register', result: 'success',
            reason: 'none', platform, authenticator: VIRTUAL });
        check(reg.count === tally.register && tally.register >= 3,
              `registrations: ${reg.count}, the runs made ${tally.register}`);
        const all = await rows(m);
        check(all.every((x, i) => !i || all[i - 1].count >= x.count),
              'not most counted first: ' + all.map((x) => x.count));
    });

    await c.step('the tables show what /webauthn/metrics says', async () => {
        const raw = await c.page.locator('#metrics-raw').textContent();
        check(raw.includes('# TYPE webauthn_ceremonies_total counter'),
              'raw text: ' + raw.slice(0, 80));
        for (const m of ['webauthn_ceremonies_total',
                         'webauthn_client_failures_total',
                         'webauthn_gate_decisions_total']) {
            const key = (x) => JSON.stringify(Object.entries(x.labels)
                .sort()) + ' ' + x.count;
            const want = exposition(raw, m).map(key).sort();
            const got = (await rows(m)).map(key).sort();
            check(want.length > 0 && want.join('\n') === got.join('\n'),
                  m + ': the text has ' + want.join(', ') + '; the table '
                  + got.join(', '));
        }
        const store = await c.page.$eval('#metrics-store',
                                         (p) => ({ ...p.dataset }));
        check(Number(store.workers) >= 1 && store.up === store.workers,
              'store ' + JSON.stringify(store));
    });

    await c.step('client failures, as the pages reported them', async () => {
        const accepted = [];
        for (const t of reports) {
            if (await t.status === 204) {
                accepted.push(t.body);
            }
        }
        check(accepted.length >= 3, accepted.length + ' reports accepted');
        const summary = await c.page.$eval('#metrics-summary',
                                           (p) => ({ ...p.dataset }));
        check(Number(summary.accepted) === accepted.length,
              `reports: ${summary.accepted} accepted, the pages had ` +
              `${accepted.length} answered 204`);

        // C's registration without user verification
        const m = 'webauthn_client_failures_total';
        const c1 = await row(m, { ceremony: 'register',
            error: 'NotAllowedError', platform, hybrid: 'unknown' });
        check(c1.count === 1, 'NotAllowedError: ' + c1.count);
        check(c1.text.includes('NotAllowedError'), 'row ' + c1.text);

        // and every other report, counted once
        const want = new Map();
        for (const b of accepted) {
            const k = JSON.stringify({ ceremony: b.ceremony, error: b.error,
                platform, hybrid: b.hybrid === null ? 'unknown'
                    : String(b.hybrid) });
            want.set(k, (want.get(k) || 0) + 1);
        }
        const got = await rows(m);
        check(got.length === want.size, 'client rows: ' + got.length +
              ', reports: ' + [...want.keys()].join(' '));
        for (const x of got) {
            const n = [...want].find(([k]) => same(JSON.parse(k),
                                                   x.labels));
            check(n && n[1] === x.count, 'unexpected ' +
                  JSON.stringify(x.labels) + ' ' + x.count);
        }
    });

    await c.step('gate decisions: reads with the password, refusals, ' +
                 'passkey trades', async () => {
        const m = 'webauthn_gate_decisions_total';
        // every password sign-in reads the positions (and the fallback
        // reads them again): at least one read each
        const read = await row(m, { gate: 'passkey', level: 'password',
            outcome: 'read', reason: 'passkey_required' });
        check(read.count >= tally.passwordSignIn && tally.passwordSignIn >= 3,
              `reads: ${read.count}, password sign-ins ` +
              tally.passwordSignIn);
        const refuse = await row(m, { gate: 'passkey', level: 'password',
            outcome: 'refuse', reason: 'passkey_required' });
        check(refuse.count === tally.refused && tally.refused >= 3,
              `refusals: ${refuse.count}, the runs had ${tally.refused}`);
        // with a passkey session the runs only trade
        const allow = await row(m, { gate: 'passkey', level: 'passkey',
            outcome: 'allow', reason: 'none' });
        check(allow.count === tally.trades && tally.trades >= 4,
              `passkey allows: ${allow.count}, the runs made ` +
              `${tally.trades} trades`);
    });

    await c.step('the metrics view in Japanese', async () => {
        const before = await rows('webauthn_gate_decisions_total');
        await c.click('lang-ja');
        await c.page.waitForSelector('html[lang="ja"]');
        const view = await c.text('#metrics');
        check(view.includes('ゲートの判定') && view.includes('件数')
              && view.includes('受理'), 'no Japanese view: '
              + view.slice(0, 200));
        const after = await rows('webauthn_gate_decisions_total');
        check(JSON.stringify(after.map((x) => [x.labels, x.count]))
              === JSON.stringify(before.map((x) => [x.labels, x.count])),
              'the rows changed with the language');
    });

    await c.step('label values with escapes', async () => {
        const s = await c.page.evaluate(async () => {
            const { parseMetrics } = await import('/demo.js');
            return parseMetrics([
                '# HELP x_total A "help" line.',
                'x_total{a="back\\\\slash",b="a \\"quote\\"",' +
                    'c="two\\nlines",d="{,}="} 7',
                'y_bucket{le="+Inf"} 3',
                'z 1.5'
            ].join('\n'));
        });
        check(s.length === 3 && s[0].name === 'x_total' && s[0].value === 7,
              'samples ' + JSON.stringify(s));
        check(same(s[0].labels, { a: 'back\\slash', b: 'a "quote"',
                                  c: 'two\nlines', d: '{,}=' }),
              'labels ' + JSON.stringify(s[0].labels));
        check(s[1].labels.le === '+Inf' && s[2].value === 1.5,
              'samples ' + JSON.stringify(s.slice(1)));
    });

    await c.step('metrics refused: the status is shown', async () => {
        await c.click('lang-en');
        await c.page.waitForSelector('html[lang="en"]');
        await c.page.route('**/webauthn/metrics', (route) =>
            route.fulfill({ status: 503, body: 'busy' }));
        await c.click('metrics-show');
        await c.page.waitForSelector('#metrics[data-status="503"]',
                                     { timeout: WAIT });
        const msg = await c.text('#metrics-error');
        check(msg === 'The metrics could not be read (the server ' +
              'answered 503).', 'message: ' + msg);
        check(await c.page.locator('#metrics table').count() === 0,
              'tables still shown');
        await c.page.unroute('**/webauthn/metrics');
    });
    await c.close();
}

let browser;
try {
    await tableCheck();
    browser = await chromium.launch({
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        args: ['--no-sandbox']
    });
    for (const run of [runA, runB, runC, runM]) {
        try {
            await run(browser);
        } catch (e) {
            // a step counted it; the next customer starts afresh
            if (!e.counted) {
                failed++;
                console.log('not ok ' + run.name + ': ' + e.message);
            }
        }
    }
} catch (e) {
    failed++;
    console.log('not ok ' + e.message);
} finally {
    await browser?.close();
}
console.log(`screenshots: ${shots}`);
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
