// The demo brokerage page: the password layer (HTTP basic authentication,
// sent by the page itself), then passkeys through the client kit
// (client/webauthn.js, docs/client.md).  No library, no build step.

import { WebAuthnClient, WebAuthnError } from './webauthn.js';

const $ = (id) => document.getElementById(id);

// Every text of the page: [English, Japanese].
const TEXT = {
    title: [
        "Demo Securities",
        "デモ証券"
    ],
    intro: [
        "This nginx runs ngx_http_webauthn_module in front of a small application, with a private Redis as its store. The password layer is HTTP basic authentication; passkeys come on top of it.",
        "この nginx は ngx_http_webauthn_module を小さなアプリケーションの前で動かし、専用の Redis を保存先にしています。パスワードの層は HTTP ベーシック認証で、その上にパスキーを重ねています。"
    ],
    now: [
        "Now:",
        "現在:"
    ],
    'fallback-title': [
        "Read-only mode",
        "閲覧のみモード"
    ],
    'fallback-text': [
        "Your passkey could not be used, so trading and withdrawals are paused. Your password still lets you see your balance and positions. Sign in with your passkey to trade. If your passkey no longer works (a new phone, a reset device), call support: they reset it and send you a registration code, with which you register a new passkey here.",
        "パスキーが使えなかったため、取引と出金は停止しています。パスワードだけでも残高と保有銘柄は確認できます。取引するにはパスキーでログインしてください。パスキーが使えなくなった場合（機種変更や端末の初期化など）は、サポートにお電話ください。パスキーをリセットし、登録コードをお送りします。そのコードでここから新しいパスキーを登録できます。"
    ],
    'fallback-login': [
        "Sign in with passkey and continue",
        "パスキーでログインして続ける"
    ],
    'password-legend': [
        "1. Sign in with your password",
        "1. パスワードでログイン"
    ],
    user: [
        "user",
        "ユーザー"
    ],
    password: [
        "password",
        "パスワード"
    ],
    'password-login': [
        "Sign in",
        "ログイン"
    ],
    logout: [
        "Log out",
        "ログアウト"
    ],
    'password-hint': [
        "User demo, password demo.",
        "ユーザー demo、パスワード demo。"
    ],
    'account-legend': [
        "2. Your account (the password is enough)",
        "2. お客様の口座（パスワードで閲覧可能）"
    ],
    cash: [
        "Cash:",
        "預り金:"
    ],
    positions: [
        "Positions:",
        "保有銘柄:"
    ],
    refresh: [
        "Refresh",
        "更新"
    ],
    'passkey-legend': [
        "3. Passkey",
        "3. パスキー"
    ],
    register: [
        "Register a passkey",
        "パスキーを登録"
    ],
    grant: [
        "registration code from support (after a reset)",
        "サポートからの登録コード（リセット後）"
    ],
    login: [
        "Sign in with passkey",
        "パスキーでログイン"
    ],
    'end-session': [
        "End passkey session",
        "パスキーのログインを終了"
    ],
    list: [
        "My passkeys",
        "登録済みのパスキー"
    ],
    cancel: [
        "Cancel",
        "キャンセル"
    ],
    remove: [
        "Remove",
        "削除"
    ],
    'trade-legend': [
        "4. Trade and withdraw (passkey needed)",
        "4. 取引と出金（パスキーが必要）"
    ],
    order: [
        "Buy 100 shares of 7203",
        "7203 を 100 株買う"
    ],
    withdraw: [
        "Withdraw 10,000 JPY",
        "10,000 円を出金"
    ],
    'metrics-legend': [
        "5. Metrics",
        "5. メトリクス"
    ],
    'metrics-show': [
        "Show metrics",
        "メトリクスを表示"
    ],
    'log-title': [
        "What happened",
        "操作の記録"
    ],
    'log-hint': [
        "Newest first: every request and answer. The access log has the refusal codes too (logs/access.log).",
        "新しい順に、すべての要求と応答を表示します。拒否の理由コードはアクセスログ（logs/access.log）にも記録されます。"
    ],
    'shell-title': [
        "From a shell",
        "シェルから"
    ],
    'not-signed-in': [
        "not signed in",
        "ログインしていません"
    ],
    'state-password': [
        "signed in with password as {user} (read only)",
        "{user} としてパスワードでログイン中（閲覧のみ）"
    ],
    'state-passkey': [
        "signed in with passkey as {user} (trading allowed)",
        "{user} としてパスキーでログイン中（取引可能）"
    ],
    'need-password': [
        "Sign in with your password first.",
        "先にパスワードでログインしてください。"
    ],
    'password-wrong': [
        "Wrong user or password.",
        "ユーザー名またはパスワードが正しくありません。"
    ],
    'password-ok': [
        "Signed in with your password.",
        "パスワードでログインしました。"
    ],
    registered: [
        "Passkey registered. Now sign in with it.",
        "パスキーを登録しました。続けてパスキーでログインしてください。"
    ],
    'passkey-ok': [
        "Signed in with your passkey: you can trade.",
        "パスキーでログインしました。取引できます。"
    ],
    waiting: [
        "Waiting for your passkey…",
        "パスキーの操作を待っています…"
    ],
    'order-ok': [
        "Order accepted: 100 shares of 7203.",
        "注文を受け付けました: 7203 を 100 株。"
    ],
    'withdraw-ok': [
        "Withdrawal accepted: 10,000 JPY.",
        "出金を受け付けました: 10,000 円。"
    ],
    'session-ended': [
        "Passkey session ended. Reading still works.",
        "パスキーのログインを終了しました。閲覧は引き続きできます。"
    ],
    'logged-out': [
        "Logged out.",
        "ログアウトしました。"
    ],
    'metrics-na': [
        "Metrics are not available yet in this build (the server answered {status}).",
        "メトリクスはこのビルドではまだ利用できません（サーバーの応答: {status}）。"
    ],
    'no-passkeys': [
        "No passkey yet.",
        "パスキーはまだ登録されていません。"
    ],
    removed: [
        "Passkey removed.",
        "パスキーを削除しました。"
    ],
    unsupported: [
        "This browser cannot use passkeys here: use a current Chrome, Edge, Firefox or Safari, on http://localhost.",
        "このブラウザではパスキーを使えません。最新の Chrome、Edge、Firefox、Safari で http://localhost を開いてください。"
    ]
};

let lang = localStorage.getItem('lang')
    || (navigator.language.startsWith('ja') ? 'ja' : 'en');
const t = (key, vars = {}) => ((TEXT[key] || [key, key])[lang === 'ja' ? 1 : 0])
    .replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');

// The password layer: the page keeps the basic header for this tab and
// sends it itself, so that the browser never shows its own dialog.
let basic = sessionStorage.getItem('basic');
let level = null;                 // the level the last answer showed
let pending = null;               // the trade to repeat after a step-up
let lastOutcome = null;           // redrawn on a language switch
let controller = null;            // the running ceremony's AbortController

const who = () => (basic ? atob(basic.slice(6)).split(':')[0] : null);

const kit = new WebAuthnClient({
    lang,
    headers: () => (basic ? { Authorization: basic } : {}),
    onEvent: (e) => {
        if (e.type === 'response') {
            log(e.method + ' ' + e.url + ' \u2192 ' + e.status, e.body);
        } else if (e.type === 'signal' || e.type === 'retry'
                   || e.type === 'failure') {
            log('kit: ' + JSON.stringify(e));
        }
    }
});

function log(title, body) {
    const div = document.createElement('div');
    div.textContent = title;
    if (body !== undefined && body !== null) {
        const pre = document.createElement('pre');
        pre.textContent = typeof body === 'string'
            ? body : JSON.stringify(body);
        div.appendChild(pre);
    }
    $('log').prepend(div);
}

// The outcome line: ok (a key of TEXT), or an error (a WebAuthnError)
// with its message and next step in the current language.
function show(outcome) {
    lastOutcome = outcome;
    const box = $('message');
    box.hidden = false;
    box.textContent = '';
    if (outcome.error) {
        const d = outcome.error.describe(lang);
        box.dataset.kind = 'error';
        box.dataset.code = outcome.error.code;
        const p = document.createElement('div');
        p.textContent = d.message;
        const n = document.createElement('div');
        n.className = 'hint';
        n.textContent = d.next + (d.fallback ? ' ' + d.fallback : '');
        const c = document.createElement('div');
        c.className = 'hint';
        c.textContent = '(' + outcome.error.code
            + (outcome.error.status ? ', HTTP ' + outcome.error.status : '')
            + ')';
        box.append(p, n, c);
    } else {
        box.dataset.kind = outcome.kind || 'ok';
        box.dataset.code = outcome.key;
        box.textContent = t(outcome.key, outcome.vars);
    }
}

function showState() {
    const user = who();
    $('state').textContent = !user ? t('not-signed-in')
        : t(level === 'passkey' ? 'state-passkey' : 'state-password',
            { user });
    $('state').dataset.level = user ? level || 'password' : 'none';
}

function setLang(l) {
    lang = l;
    kit.lang = l;
    localStorage.setItem('lang', l);
    document.documentElement.lang = l;
    for (const el of document.querySelectorAll('[data-t]')) {
        el.textContent = t(el.dataset.t);
    }
    $('lang-ja').setAttribute('aria-pressed', String(l === 'ja'));
    $('lang-en').setAttribute('aria-pressed', String(l === 'en'));
    if (lastOutcome) {
        show(lastOutcome);
    }
    if (!$('fallback').hidden && fallbackError) {
        showFallback(fallbackError);
    }
    showState();
}

// A request to the site through the password layer; the module's
// refusals become WebAuthnErrors (the kit's), with their fallback.
async function call(method, path, body) {
    if (!basic) {
        throw Object.assign(new Error('need-password'), { key: 'need-password' });
    }
    const headers = { Authorization: basic };
    const init = { method, headers, cache: 'no-store' };
    if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
    }
    const r = await fetch(path, init);
    const json = (r.headers.get('Content-Type') || '')
        .startsWith('application/json') ? await r.json() : null;
    log(method + ' ' + path + ' \u2192 ' + r.status, json);
    if (r.ok) {
        if (json && json.level) {
            level = json.level;
        }
        return json;
    }
    if (r.status === 401 && !json) {
        throw Object.assign(new Error('password-wrong'),
                            { key: 'password-wrong' });
    }
    throw new WebAuthnError({
        code: json ? json.error : 'http_error', source: 'server',
        action: json ? json.action : 'none', status: r.status,
        fallback: json && json.fallback, serverMessage: json && json.message,
        retryAfter: r.headers.get('Retry-After')
    });
}

async function refresh() {
    const b = await call('GET', '/account/balance');
    $('balance').textContent = b.cash;
    const p = await call('GET', '/trade/positions');
    $('positions').textContent = p.positions
        .map((x) => x.symbol + ' \u00d7 ' + x.qty).join(', ');
}

let fallbackError = null;

function showFallback(err) {
    fallbackError = err;
    $('fallback').hidden = false;
    const d = err.describe(lang);
    $('fallback-reason').textContent = d.message + ' ' + d.next;
    $('fallback-reason').dataset.code = err.code;
}

function hideFallback() {
    fallbackError = null;
    $('fallback').hidden = true;
}

// Runs a button's work; shows what went wrong, in the current language.
function button(id, work) {
    $(id).addEventListener('click', async () => {
        try {
            await work();
        } catch (e) {
            $('trade-result').textContent = '';
            delete $('trade-result').dataset.result;
            if (e instanceof WebAuthnError) {
                show({ error: e });
                if (e.fallback === 'read' || !$('fallback').hidden) {
                    showFallback(e);
                    await refresh().catch(() => {});
                }
                if (e.code === 'passkey_required'
                        || e.code === 'session_expired') {
                    level = 'password';
                }
            } else {
                show({ kind: 'error', key: e.key || 'unsupported' });
                if (!e.key) {
                    log('error: ' + e.name + ': ' + e.message);
                }
            }
        }
        showState();
    });
}

// A passkey ceremony, cancellable from the page.
async function ceremony(run) {
    if (!basic) {
        throw Object.assign(new Error('need-password'), { key: 'need-password' });
    }
    controller = new AbortController();
    $('cancel').hidden = false;
    show({ kind: 'info', key: 'waiting' });
    try {
        return await run(controller.signal);
    } finally {
        $('cancel').hidden = true;
        controller = null;
    }
}

async function passkeyLogin() {
    await ceremony((signal) => kit.login({ signal }));
    level = 'passkey';
    hideFallback();
    show({ key: 'passkey-ok' });
}

async function trade(kind) {
    pending = kind;
    const r = kind === 'order'
        ? await call('POST', '/trade/order',
                     { symbol: '7203', side: 'buy', qty: 100 })
        : await call('POST', '/withdraw/request', { amount: 10000 });
    pending = null;
    hideFallback();
    $('trade-result').textContent = t(kind + '-ok');
    $('trade-result').dataset.result = r.order || r.withdrawal;
    show({ key: kind + '-ok' });
}

button('lang-ja', async () => setLang('ja'));
button('lang-en', async () => setLang('en'));

button('password-login', async () => {
    basic = 'Basic ' + btoa($('user').value + ':' + $('password').value);
    try {
        await refresh();
    } catch (e) {
        basic = null;
        sessionStorage.removeItem('basic');
        throw e;
    }
    sessionStorage.setItem('basic', basic);
    show({ key: 'password-ok' });
});

button('logout', async () => {
    await kit.logout().catch(() => {});
    basic = null;
    level = null;
    sessionStorage.removeItem('basic');
    hideFallback();
    $('balance').textContent = $('positions').textContent = '\u2014';
    show({ key: 'logged-out' });
});

button('refresh', refresh);

button('register', async () => {
    const grant = $('grant').value.trim();
    await ceremony((signal) =>
        kit.register(grant ? { grant, signal } : { signal }));
    $('grant').value = '';
    show({ key: 'registered' });
});

button('login', passkeyLogin);

button('cancel', async () => {
    if (controller) {
        controller.abort();
    }
});

button('end-session', async () => {
    await kit.logout();
    level = 'password';
    show({ key: 'session-ended' });
});

button('list', async () => {
    const r = await kit.credentials();
    const box = $('passkeys');
    box.textContent = r.credentials.length ? '' : t('no-passkeys');
    for (const c of r.credentials) {
        const row = document.createElement('div');
        row.textContent = c.id.slice(0, 16) + '\u2026 '
            + new Date(c.createdAt * 1000).toLocaleString(lang) + ' ';
        const del = document.createElement('button');
        del.textContent = t('remove');
        del.addEventListener('click', async () => {
            const d = await call('DELETE', '/webauthn/credentials?id='
                                 + encodeURIComponent(c.id))
                .catch((e) => show({ error: e }));
            if (d) {
                row.remove();
                level = 'password';
                show({ key: 'removed' });
                showState();
            }
        });
        row.appendChild(del);
        box.appendChild(row);
    }
});

button('order', () => trade('order'));
button('withdraw', () => trade('withdraw'));

button('fallback-login', async () => {
    await passkeyLogin();
    if (pending) {
        await trade(pending);
    }
});

button('metrics-show', async () => {
    const r = await fetch('/webauthn/metrics', { cache: 'no-store' });
    const out = $('metrics');
    out.hidden = false;
    out.textContent = r.ok ? await r.text()
        : t('metrics-na', { status: r.status });
    out.dataset.status = r.status;
});

if (!WebAuthnClient.support().webauthn) {
    $('support').hidden = false;
    $('support').dataset.t = 'unsupported';
    for (const id of ['register', 'login']) {
        $(id).disabled = true;
    }
}
setLang(lang);
if (basic) {
    refresh().catch(() => {});
}
document.body.dataset.ready = 'yes';
