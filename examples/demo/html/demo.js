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
    'metrics-hint': [
        "What the module has counted since nginx started, read from /webauthn/metrics (Prometheus text, for this machine only).",
        "nginx の起動以降にモジュールが数えた値です。/webauthn/metrics（Prometheus 形式、このマシンからのみ）から読み取ります。"
    ],
    'metrics-ceremonies': [
        "Passkey registrations and sign-ins, as the server ended them",
        "パスキーの登録とログイン（サーバーでの結果）"
    ],
    'metrics-client': [
        "Failures in the browser, as the pages reported them",
        "ブラウザー内での失敗（ページからの報告）"
    ],
    'metrics-gate': [
        "Gate decisions",
        "ゲートの判定"
    ],
    'metrics-none': [
        "Nothing counted yet.",
        "まだ記録はありません。"
    ],
    'metrics-summary': [
        "Counted since {since}. Started: {register} registrations, {login} sign-ins. Lockouts: {lockouts}. Browser reports: {accepted} accepted, {refused} refused.",
        "{since} から集計。開始: 登録 {register} 件、ログイン {login} 件。ロック: {lockouts} 件。ブラウザーからの報告: 受理 {accepted} 件、拒否 {refused} 件。"
    ],
    'metrics-store': [
        "Store (Redis): {up} of {workers} workers connected; round trips p50 {p50}, p99 {p99} ({count} commands).",
        "保存先（Redis）: ワーカー {workers} 個中 {up} 個が接続中。往復時間 p50 {p50}、p99 {p99}（{count} コマンド）。"
    ],
    'metrics-raw': [
        "raw (Prometheus text)",
        "元のテキスト（Prometheus 形式）"
    ],
    'col-ceremony': [
        "ceremony",
        "操作"
    ],
    'col-result': [
        "result",
        "結果"
    ],
    'col-reason': [
        "reason",
        "理由"
    ],
    'col-platform': [
        "platform",
        "プラットフォーム"
    ],
    'col-authenticator': [
        "authenticator",
        "認証器"
    ],
    'col-error': [
        "error",
        "エラー"
    ],
    'col-hybrid': [
        "hybrid (phone)",
        "ハイブリッド（スマートフォン）"
    ],
    'col-gate': [
        "gate",
        "ゲート"
    ],
    'col-level': [
        "level",
        "レベル"
    ],
    'col-outcome': [
        "outcome",
        "判定"
    ],
    'col-count': [
        "count",
        "件数"
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
        "The metrics could not be read (the server answered {status}).",
        "メトリクスを読み取れませんでした（サーバーの応答: {status}）。"
    ],
    'metrics-unreachable': [
        "The metrics could not be read (no answer from the server).",
        "メトリクスを読み取れませんでした（サーバーから応答がありません）。"
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
    if (metrics) {
        renderMetrics();
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

// 5. Metrics: /webauthn/metrics in the Prometheus text format (0.0.4),
// read into a few tables.  The last answer is kept, to draw it again in
// the other language.
let metrics = null;               // { status, text }

// One sample a line, 'name{label="value",...} value [timestamp]', label
// values with \\, \" and \n escaped; comments (# HELP, # TYPE), blank
// lines and lines that do not parse are skipped.
export function parseMetrics(text) {
    const samples = [];
    for (const line of text.split('\n')) {
        const s = line.startsWith('#') ? null : parseSample(line.trim());
        if (s) {
            samples.push(s);
        }
    }
    return samples;
}

function parseSample(line) {
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!name) {
        return null;
    }
    const labels = {};
    let i = name[0].length;
    if (line[i] === '{') {
        i++;
        for (;;) {
            while (line[i] === ' ' || line[i] === ',') {
                i++;
            }
            if (line[i] === '}') {
                i++;
                break;
            }
            const key = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"/.exec(line.slice(i));
            if (!key) {
                return null;
            }
            i += key[0].length;
            let v = '';
            for (;;) {
                const c = line[i++];
                if (c === undefined) {
                    return null;
                }
                if (c === '"') {
                    break;
                }
                if (c === '\\') {
                    const e = line[i++];
                    v += e === 'n' ? '\n' : e === '\\' || e === '"' ? e
                        : '\\' + (e ?? '');
                } else {
                    v += c;
                }
            }
            labels[key[1]] = v;
        }
    }
    const rest = line.slice(i).trim().split(/\s+/)[0];
    const value = rest === '+Inf' ? Infinity : rest === '-Inf' ? -Infinity
        : rest === '' ? NaN : Number(rest);
    if (Number.isNaN(value) && rest !== 'NaN') {
        return null;
    }
    return { name: name[0], labels, value };
}

// the three tables: a metric, the labels shown, most counted first
const METRIC_TABLES = [
    { metric: 'webauthn_ceremonies_total', title: 'metrics-ceremonies',
      columns: ['ceremony', 'result', 'reason', 'platform',
                'authenticator'] },
    { metric: 'webauthn_client_failures_total', title: 'metrics-client',
      columns: ['ceremony', 'error', 'platform', 'hybrid'] },
    { metric: 'webauthn_gate_decisions_total', title: 'metrics-gate',
      columns: ['gate', 'level', 'outcome', 'reason'] }
];

const count = (n) => n.toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-US');

function metricTable(samples, { metric, title, columns }) {
    const table = document.createElement('table');
    table.dataset.metric = metric;
    const caption = document.createElement('caption');
    caption.dataset.t = title;
    caption.textContent = t(title);
    const head = document.createElement('tr');
    for (const c of [...columns, 'count']) {
        const th = document.createElement('th');
        th.dataset.t = 'col-' + c;
        th.textContent = t('col-' + c);
        head.appendChild(th);
    }
    const thead = document.createElement('thead');
    thead.appendChild(head);
    const tbody = document.createElement('tbody');
    const rows = samples.filter((s) => s.name === metric)
        .map((s) => ({ s, key: columns.map((c) => s.labels[c]).join('\n') }))
        .sort((a, b) => b.s.value - a.s.value
              || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const { s } of rows) {
        const tr = document.createElement('tr');
        tr.dataset.labels = JSON.stringify(s.labels);
        tr.dataset.count = String(s.value);
        for (const c of columns) {
            const td = document.createElement('td');
            td.textContent = s.labels[c] ?? '';
            tr.appendChild(td);
        }
        const td = document.createElement('td');
        td.className = 'count';
        td.textContent = count(s.value);
        tr.appendChild(td);
        tbody.appendChild(tr);
    }
    if (!rows.length) {
        const tr = document.createElement('tr');
        tr.dataset.empty = 'yes';
        const td = document.createElement('td');
        td.colSpan = columns.length + 1;
        td.dataset.t = 'metrics-none';
        td.textContent = t('metrics-none');
        tr.appendChild(td);
        tbody.appendChild(tr);
    }
    table.append(caption, thead, tbody);
    return table;
}

// a histogram's quantile, as the bucket it falls in: "≤ 2.5 ms"
function quantile(samples, name, q) {
    const buckets = samples.filter((s) => s.name === name + '_bucket')
        .map((s) => ({ le: Number(s.labels.le.replace('+Inf', 'Infinity')),
                       n: s.value }))
        .sort((a, b) => a.le - b.le);
    const total = buckets.length ? buckets[buckets.length - 1].n : 0;
    if (!total) {
        return '\u2014';
    }
    const ms = (le) => String(+(le * 1000).toPrecision(6)) + ' ms';
    for (let i = 0; i < buckets.length; i++) {
        if (buckets[i].n >= q * total) {
            return Number.isFinite(buckets[i].le)
                ? '\u2264 ' + ms(buckets[i].le)
                : '> ' + ms(i ? buckets[i - 1].le : 0);
        }
    }
    return '\u2014';
}

function renderMetrics() {
    const box = $('metrics');
    const err = $('metrics-error');
    const view = $('metrics-view');
    box.hidden = false;
    box.dataset.status = metrics.status;
    view.textContent = '';
    $('metrics-raw').textContent = metrics.text || '';
    $('metrics-raw-box').hidden = !metrics.text;
    if (metrics.status !== 200) {
        err.hidden = false;
        err.textContent = metrics.status
            ? t('metrics-na', { status: metrics.status })
            : t('metrics-unreachable');
        return;
    }
    err.hidden = true;
    err.textContent = '';

    const samples = parseMetrics(metrics.text);
    const sum = (name, match = {}) => samples
        .filter((s) => s.name === name && Object.entries(match)
            .every(([k, v]) => s.labels[k] === v))
        .reduce((a, s) => a + s.value, 0);

    const since = samples.find((s) =>
        s.name === 'webauthn_metrics_start_time_seconds');
    const summary = document.createElement('p');
    summary.id = 'metrics-summary';
    const vars = {
        register: sum('webauthn_ceremonies_started_total',
                      { ceremony: 'register' }),
        login: sum('webauthn_ceremonies_started_total', { ceremony: 'login' }),
        lockouts: sum('webauthn_lockouts_total'),
        accepted: sum('webauthn_telemetry_reports_total',
                      { result: 'accepted' }),
        refused: sum('webauthn_telemetry_reports_total')
            - sum('webauthn_telemetry_reports_total', { result: 'accepted' })
    };
    Object.assign(summary.dataset, vars);
    summary.textContent = t('metrics-summary', {
        ...Object.fromEntries(Object.entries(vars)
            .map(([k, v]) => [k, count(v)])),
        since: since ? new Date(since.value * 1000).toLocaleString(lang)
            : '\u2014'
    });

    const store = document.createElement('p');
    store.id = 'metrics-store';
    const workers = samples.filter((s) => s.name === 'webauthn_store_up');
    store.dataset.workers = workers.length;
    store.dataset.up = workers.filter((s) => s.value === 1).length;
    store.textContent = t('metrics-store', {
        workers: workers.length, up: store.dataset.up,
        p50: quantile(samples, 'webauthn_store_latency_seconds', 0.5),
        p99: quantile(samples, 'webauthn_store_latency_seconds', 0.99),
        count: count(sum('webauthn_store_latency_seconds_count'))
    });

    view.append(summary, store,
                ...METRIC_TABLES.map((m) => metricTable(samples, m)));
}

button('metrics-show', async () => {
    try {
        const r = await fetch('/webauthn/metrics', { cache: 'no-store' });
        metrics = { status: r.status, text: r.ok ? await r.text() : '' };
    } catch (e) {
        metrics = { status: 0, text: '' };
    }
    renderMetrics();
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
