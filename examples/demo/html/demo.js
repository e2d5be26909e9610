// The demo page: the password layer, then passkeys through the browser's
// own WebAuthn Level 3 JSON methods.  No library, no build step.
'use strict';

const $ = (id) => document.getElementById(id);

// What a client does for each "action" of docs/errors.md.
const ADVICE = {
    login: 'Sign in with your password, then try again.',
    passkey: 'Sign in with your passkey, then try again.',
    retry: 'Try again (for store_unavailable and rate_limited: in a moment).',
    reregister: 'This passkey cannot be used for this account any more: ' +
                'register a new one (needs a passkey session or a reset).',
    support: 'Nothing to fix on this device: call the support desk.',
    none: 'This request cannot succeed as sent.'
};

// The password layer is HTTP basic authentication.  The page keeps the
// header for this tab and sends it with every request, so that the
// browser never has to show its own password dialog.
let basic = sessionStorage.getItem('basic');
let passkeySession = null;        // the login answer, while it lasts

function showState() {
    const who = basic ? atob(basic.slice(6)).split(':')[0] : null;
    let s = who ? 'password: ' + who : 'not signed in';
    if (passkeySession) {
        const until = new Date(passkeySession.expiresAt * 1000);
        s += ', passkey session until ' + until.toLocaleTimeString();
    }
    $('state').textContent = s;
}

// One entry in the log: a title, the answer, and what to do about it.
function log(title, status, body, note) {
    const div = document.createElement('div');
    const h = document.createElement('div');
    h.textContent = title + (status ? ' \u2192 ' + status : '');
    div.appendChild(h);

    if (body && typeof body === 'object' && body.error) {
        div.className = 'refused';
        const p = document.createElement('div');
        p.textContent = 'error: ' + body.error +
            (body.message ? ' \u2014 ' + body.message : '') +
            ' (action: ' + (body.action || 'none') + ')' +
            (body.fallback ? ' [fallback: ' + body.fallback + ']' : '');
        div.appendChild(p);
        const a = document.createElement('div');
        a.className = 'hint';
        a.textContent = ADVICE[body.action] || ADVICE.none;
        if (body.fallback === 'read') {
            a.textContent += ' Reading still works with the password alone.';
        }
        div.appendChild(a);
    } else if (status >= 400 || status === 'failed'
               || status === 'not sent') {
        div.className = 'refused';
    } else if (status) {
        div.className = 'ok';
    }

    if (body !== undefined && body !== null) {
        const pre = document.createElement('pre');
        pre.textContent = typeof body === 'string'
            ? body : JSON.stringify(body, null, 2);
        div.appendChild(pre);
    }
    if (note) {
        const n = document.createElement('div');
        n.className = 'hint';
        n.textContent = note;
        div.appendChild(n);
    }
    $('log').prepend(div);
}

// A request to the site: JSON in, JSON (or the password layer's HTML) out.
// Without the password it sends nothing: auth_basic would answer 401 and
// the browser would ask for the password in a dialog of its own.
async function call(method, path, body) {
    if (!basic) {
        return { ok: false, status: 'not sent',
                 data: 'Sign in with your password first: the password ' +
                       'layer (auth_basic) would answer 401.' };
    }
    const headers = { Authorization: basic };
    const init = { method, headers, credentials: 'same-origin',
                   cache: 'no-store' };
    if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
    }
    const r = await fetch(path, init);
    const type = r.headers.get('Content-Type') || '';
    let data;
    if (type.startsWith('application/json')) {
        data = await r.json();
    } else {
        const text = await r.text();
        data = r.status === 401
            ? 'the password layer refused the request (401): ' +
              'sign in with your password'
            : text;
    }
    return { ok: r.ok, status: r.status, data };
}

// Runs one button's work; a browser exception (the customer cancelled,
// no authenticator, ...) is logged with its name.
function button(id, work) {
    $(id).addEventListener('click', async () => {
        try {
            await work();
        } catch (e) {
            log($(id).textContent, 'failed', null,
                'the browser said ' + e.name + ': ' + e.message);
        }
        showState();
    });
}

function webauthnMissing() {
    return !window.PublicKeyCredential
        || !PublicKeyCredential.parseCreationOptionsFromJSON
        || !PublicKeyCredential.parseRequestOptionsFromJSON;
}

function forgetSessionOn(data) {
    if (data && (data.error === 'passkey_required'
                 || data.error === 'session_expired')) {
        passkeySession = null;
    }
}

button('password-login', async () => {
    basic = 'Basic ' + btoa($('user').value + ':' + $('password').value);
    const r = await call('GET', '/account/balance');
    if (r.status === 401) {
        basic = null;
        sessionStorage.removeItem('basic');
    } else {
        sessionStorage.setItem('basic', basic);
    }
    log('Sign in with password: GET /account/balance', r.status, r.data);
});

button('register', async () => {
    const opts = await call('POST', '/webauthn/register_options', {});
    if (!opts.ok) {
        log('POST /webauthn/register_options', opts.status, opts.data);
        return;
    }
    const publicKey =
        PublicKeyCredential.parseCreationOptionsFromJSON(opts.data);
    const credential = await navigator.credentials.create({ publicKey });
    const r = await call('POST', '/webauthn/register', credential.toJSON());
    log('Register a passkey: POST /webauthn/register', r.status, r.data,
        r.ok ? 'Now sign in with it.' : undefined);
});

button('login', async () => {
    const opts = await call('POST', '/webauthn/login_options', {});
    if (!opts.ok) {
        log('POST /webauthn/login_options', opts.status, opts.data);
        return;
    }
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(opts.data);
    const credential = await navigator.credentials.get({ publicKey });
    const r = await call('POST', '/webauthn/login', credential.toJSON());
    let note;
    if (r.ok) {
        passkeySession = r.data;
    } else if (r.data && r.data.action === 'reregister'
               && PublicKeyCredential.signalUnknownCredential) {
        // tell the platform to forget (hide) this passkey
        await PublicKeyCredential.signalUnknownCredential({
            rpId: opts.data.rpId || location.hostname,
            credentialId: credential.id
        });
        note = 'Told the browser this passkey is unknown here ' +
               '(PublicKeyCredential.signalUnknownCredential).';
    }
    log('Sign in with passkey: POST /webauthn/login', r.status, r.data, note);
});

button('list', async () => {
    const r = await call('GET', '/webauthn/credentials');
    log('List passkeys: GET /webauthn/credentials', r.status, r.data);
    const box = $('passkeys');
    box.textContent = '';
    if (!r.ok || !r.data.credentials) {
        return;
    }
    for (const c of r.data.credentials) {
        const row = document.createElement('div');
        const created = new Date(c.createdAt * 1000).toLocaleString();
        row.textContent = c.id.slice(0, 16) + '\u2026 created ' + created +
            (c.backedUp ? ', synced' : '') + ' ';
        const del = document.createElement('button');
        del.textContent = 'Remove';
        del.addEventListener('click', async () => {
            const d = await call('DELETE', '/webauthn/credentials?id=' +
                                 encodeURIComponent(c.id));
            log('Remove a passkey: DELETE /webauthn/credentials', d.status,
                d.data);
            if (d.ok) {
                row.remove();
            }
        });
        row.appendChild(del);
        box.appendChild(row);
    }
});

button('logout', async () => {
    const r = await call('POST', '/webauthn/logout', {});
    passkeySession = null;
    basic = null;
    sessionStorage.removeItem('basic');
    log('Log out: POST /webauthn/logout', r.status, r.data,
        'The passkey session is over and the page forgot the password.');
});

button('balance', async () => {
    const r = await call('GET', '/account/balance');
    log('Read balance: GET /account/balance', r.status, r.data);
});

button('positions', async () => {
    const r = await call('GET', '/trade/positions');
    forgetSessionOn(r.data);
    log('Read positions: GET /trade/positions', r.status, r.data);
});

button('order', async () => {
    const r = await call('POST', '/trade/order',
                         { symbol: '7203', side: 'buy', qty: 100 });
    forgetSessionOn(r.data);
    log('Place order: POST /trade/order', r.status, r.data);
});

if (webauthnMissing()) {
    $('support').hidden = false;
    $('support').textContent = 'This browser lacks the WebAuthn JSON ' +
        'methods the page uses (PublicKeyCredential.' +
        'parseCreationOptionsFromJSON): use a current Chrome, Edge, ' +
        'Firefox or Safari, on http://localhost.';
    for (const id of ['register', 'login']) {
        $(id).disabled = true;
    }
}
showState();
