// The demo page in a real browser: headless Chromium with a virtual
// authenticator (the DevTools protocol's WebAuthn domain) clicks through
// examples/demo/html as a customer would, and checks what each step shows.
//
//   scripts/demo.sh                    # start the demo first
//   node tests/browser/demo.mjs [URL]  # URL: http://localhost:8080/
//
// Environment: CHROMIUM (chromium).  Needs node 18+ and Debian's chromium;
// nothing from npm: it speaks the DevTools protocol over
// --remote-debugging-pipe.  Ends with "N passed, N failed".
//
// Each run registers a new passkey for the user "demo" in the demo's
// Redis; "redis-cli -p 6390 flushdb" starts over (webauthn_enroll open
// admits only a user with no passkey yet).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.argv[2] || 'http://localhost:8080/';
const profile = mkdtempSync(join(tmpdir(), 'wa-demo-chromium-'));

const browser = spawn(process.env.CHROMIUM || 'chromium', [
    '--headless=new', '--remote-debugging-pipe', '--no-sandbox',
    '--no-first-run', '--no-default-browser-check', '--disable-gpu',
    '--user-data-dir=' + profile, 'about:blank'
], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });

const toBrowser = browser.stdio[3];
const fromBrowser = browser.stdio[4];

// The DevTools protocol over the pipe: JSON messages ended by NUL.
let nextId = 1;
const pending = new Map();
let buffered = '';

fromBrowser.on('data', (chunk) => {
    buffered += chunk.toString('utf8');
    let end;
    while ((end = buffered.indexOf('\0')) >= 0) {
        const msg = JSON.parse(buffered.slice(0, end));
        buffered = buffered.slice(end + 1);
        if (msg.id && pending.has(msg.id)) {
            const { resolve, reject, method } = pending.get(msg.id);
            pending.delete(msg.id);
            if (msg.error) {
                reject(new Error(method + ': ' + msg.error.message));
            } else {
                resolve(msg.result);
            }
        }
    }
});

function send(method, params = {}, sessionId) {
    const id = nextId++;
    const msg = { id, method, params };
    if (sessionId) {
        msg.sessionId = sessionId;
    }
    toBrowser.write(JSON.stringify(msg) + '\0');
    return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject, method });
    });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let session;
const page = (method, params) => send(method, params, session);

async function evaluate(expression) {
    const r = await page('Runtime.evaluate', {
        expression, awaitPromise: true, returnByValue: true,
        userGesture: true
    });
    if (r.exceptionDetails) {
        throw new Error('page: ' + r.exceptionDetails.text + ' ' +
                        JSON.stringify(r.exceptionDetails.exception));
    }
    return r.result.value;
}

// Clicks a button and returns the text of the log entry it added.
async function click(id, selector = '#' + id) {
    const before = await evaluate(
        "document.querySelectorAll('#log > div').length");
    await evaluate(`document.querySelector(${JSON.stringify(selector)})` +
                   '.click()');
    for (let i = 0; i < 200; i++) {
        const n = await evaluate(
            "document.querySelectorAll('#log > div').length");
        if (n > before) {
            return evaluate("document.querySelector('#log > div').innerText");
        }
        await sleep(50);
    }
    throw new Error(id + ': no log entry after 10 s');
}

let passed = 0;
let failed = 0;

async function step(name, id, ...expected) {
    let text;
    try {
        text = await click(id);
    } catch (e) {
        text = String(e.message);
    }
    const missing = expected.filter((e) => !text.includes(e));
    if (missing.length === 0) {
        passed++;
        console.log('ok     ' + name);
    } else {
        failed++;
        console.log('not ok ' + name + ': expected ' +
                    JSON.stringify(missing) + ' in:\n  ' +
                    text.replace(/\n/g, '\n  '));
    }
    return text;
}

async function main() {
    const { targetId } = await send('Target.createTarget',
                                    { url: 'about:blank' });
    ({ sessionId: session } = await send('Target.attachToTarget',
                                         { targetId, flatten: true }));

    await page('Page.enable');
    await page('Runtime.enable');
    await page('Emulation.setFocusEmulationEnabled', { enabled: true });
    await page('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await page('WebAuthn.addVirtualAuthenticator', {
        options: {
            protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'internal',
            hasResidentKey: true, hasUserVerification: true,
            isUserVerified: true, automaticPresenceSimulation: true
        }
    });

    await page('Page.navigate', { url });
    for (let i = 0; i < 100; i++) {
        if (await evaluate("document.readyState === 'complete' && " +
                           "!!document.getElementById('register')")) {
            break;
        }
        await sleep(50);
    }

    const missing = await evaluate("document.getElementById('support').hidden");
    if (!missing) {
        throw new Error('the page says the browser lacks WebAuthn: ' +
                        await evaluate("document.getElementById('support')" +
                                       '.textContent'));
    }

    await step('password sign-in reads the balance', 'password-login',
               '200', '"level": "password"');
    await step('a read on /trade/ passes on the fallback', 'positions',
               '200', '"level": "password"');
    await step('an order without a passkey is refused', 'order',
               '403', 'passkey_required', 'action: passkey');
    await step('the password user enrols a first passkey', 'register',
               '201', '"status": "ok"');
    await step('passkey sign-in', 'login',
               '200', '"level": "passkey"');
    await step('an order with the passkey session', 'order',
               '200', '"order": "accepted"', '"level": "passkey"');
    await step('a read at level passkey', 'positions',
               '200', '"level": "passkey"');
    await step('the passkey list', 'list', '200', '"credentials"');

    // revoke it, then try to sign in with it
    let text;
    try {
        text = await click('remove', '#passkeys button');
    } catch (e) {
        text = e.message;
    }
    if (text.includes('200') && text.includes('"revoked"')) {
        passed++;
        console.log('ok     removing the passkey');
    } else {
        failed++;
        console.log('not ok removing the passkey:\n  ' + text);
    }
    await step('a removed passkey is refused, and the browser is told',
               'login', '403', 'action: reregister',
               'signalUnknownCredential');

    await step('logout', 'logout', '200');
    await step('after logout, the page asks for the password', 'order',
               'not sent', 'Sign in with your password first');

    const creds = await page('WebAuthn.getCredentials', { authenticatorId });
    console.log('(the virtual authenticator holds ' +
                creds.credentials.length + ' credential(s))');
}

let status = 0;
try {
    await main();
} catch (e) {
    failed++;
    console.log('not ok ' + e.message);
}
console.log(`browser: ${passed} passed, ${failed} failed`);
status = failed ? 1 : 0;
const exited = new Promise((r) => browser.once('exit', r));
await Promise.race([send('Browser.close').catch(() => {}), sleep(2000)]);
if (browser.exitCode === null) {
    browser.kill();
}
await Promise.race([exited, sleep(5000)]);
rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
process.exit(status);
