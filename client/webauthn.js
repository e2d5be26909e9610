// client/webauthn.js: the browser side of ngx_http_webauthn_module.
//
// One ES module, no build step, no dependency.  Registration and login
// against the module's endpoints (docs/http-api.md), with the browser's
// WebAuthn Level 3 JSON methods where it has them and a base64url
// conversion of its own where it does not; every error, the server's
// (docs/errors.md) and the browser's (DOMException), becomes a
// WebAuthnError with a message and a next step in Japanese and English.
// See docs/client.md.
//
//   import { WebAuthnClient } from './webauthn.js';
//   const wa = new WebAuthnClient({ lang: 'ja' });
//   await wa.register();            // or wa.register({ grant: code })
//   await wa.login();
//
// The module must not touch the DOM nor the browser at import time: the
// tests import it in Node to check its message table.

export const VERSION = '1';

export const DEFAULT_ENDPOINTS = Object.freeze({
    registerOptions: '/webauthn/register_options',
    register: '/webauthn/register',
    loginOptions: '/webauthn/login_options',
    login: '/webauthn/login',
    credentials: '/webauthn/credentials',
    logout: '/webauthn/logout',
    telemetry: '/webauthn/telemetry'
});

// ---------------------------------------------------------------------
// Messages.  MESSAGES: what went wrong, by server code or DOMException
// name; NEXT_STEPS: what to do, by the action of docs/errors.md.  A
// "{seconds}" in a text is replaced by the Retry-After value.

export const MESSAGES = Object.freeze({
    // identity, sessions, the store
    identity_required: {
        en: 'You are not signed in.',
        ja: 'ログインしていません。'
    },
    passkey_required: {
        en: 'This needs a passkey sign-in.',
        ja: 'この操作にはパスキーでのログインが必要です。'
    },
    session_expired: {
        en: 'Your passkey sign-in has ended.',
        ja: 'パスキーでのログインの有効期限が切れました。'
    },
    transaction_mismatch: {
        en: 'This request was not the one confirmed with your passkey.',
        ja: 'この取引はパスキーで承認された内容と一致しません。'
    },
    probation: {
        en: 'Your passkey is too new for this operation.',
        ja: '登録したばかりのパスキーのため、この操作はまだできません。'
    },
    enrollment_not_allowed: {
        en: 'You cannot register a new passkey from here.',
        ja: 'ここでは新しいパスキーを登録できません。'
    },
    policy_denied: {
        en: 'This request is not allowed.',
        ja: 'この操作は許可されていません。'
    },
    rate_limited: {
        en: 'Too many failed attempts. Try again in {seconds} seconds.',
        ja: '失敗が続いたため、一時的にロックされています。{seconds} 秒後にもう一度お試しください。'
    },
    grant_invalid: {
        en: 'The registration code is wrong, used or expired.',
        ja: '登録コードが正しくないか、使用済みか、有効期限切れです。'
    },
    store_unavailable: {
        en: 'The passkey service is temporarily unavailable.',
        ja: 'パスキーのサービスが一時的に利用できません。'
    },
    // requests
    malformed_request: {
        en: 'The browser sent a request the server could not read.',
        ja: 'サーバーが読み取れない要求が送信されました。'
    },
    payload_too_large: {
        en: 'The request was too large.',
        ja: '要求のサイズが大きすぎます。'
    },
    type_mismatch: {
        en: 'The browser sent the wrong kind of passkey answer.',
        ja: 'ブラウザから誤った種類の応答が送信されました。'
    },
    method_not_allowed: {
        en: 'The page used the wrong request method.',
        ja: '誤ったリクエスト方式が使われました。'
    },
    not_implemented: {
        en: 'This function is not available yet.',
        ja: 'この機能はまだ利用できません。'
    },
    // the admin API
    unauthorized: {
        en: 'The administrator token is missing or wrong.',
        ja: '管理者トークンがないか、正しくありません。'
    },
    not_found: {
        en: 'No such administrative function.',
        ja: 'その管理機能はありません。'
    },
    user_unknown: {
        en: 'No passkey record exists for this customer.',
        ja: 'このお客様のパスキー記録はありません。'
    },
    no_snapshot: {
        en: 'There is no earlier passkey set to go back to.',
        ja: '戻せる以前のパスキーの状態がありません。'
    },
    // challenges and origins
    challenge_expired: {
        en: 'The passkey request took too long and expired.',
        ja: 'パスキーの操作に時間がかかりすぎたため、有効期限が切れました。'
    },
    challenge_unknown: {
        en: 'The passkey request is no longer valid.',
        ja: 'パスキーの要求が無効になりました。'
    },
    challenge_mismatch: {
        en: 'The passkey answered a different request.',
        ja: 'パスキーが別の要求に応答しました。'
    },
    origin_mismatch: {
        en: 'This site address is not allowed to use passkeys.',
        ja: 'このサイトのアドレスではパスキーを使用できません。'
    },
    cross_origin_refused: {
        en: 'Passkeys cannot be used inside an embedded frame here.',
        ja: '埋め込まれた画面ではパスキーを使用できません。'
    },
    top_origin_mismatch: {
        en: 'The page embedding this one is not allowed.',
        ja: 'この画面を埋め込んでいるページは許可されていません。'
    },
    rp_id_mismatch: {
        en: 'The passkey is for another site.',
        ja: 'このパスキーは別のサイト用です。'
    },
    // the authenticator's answer
    user_presence_missing: {
        en: 'The passkey did not confirm that you were there.',
        ja: 'パスキーで本人の操作が確認できませんでした。'
    },
    user_verification_required: {
        en: 'Your device did not check your fingerprint, face or PIN.',
        ja: '端末で指紋・顔・PIN による本人確認が行われませんでした。'
    },
    backup_state_invalid: {
        en: 'The passkey sent contradictory backup flags.',
        ja: 'パスキーのバックアップ情報に矛盾があります。'
    },
    backup_eligibility_changed: {
        en: 'This passkey changed in a way the server does not accept.',
        ja: 'このパスキーの状態が変わったため、使用できません。'
    },
    signature_invalid: {
        en: 'The passkey on this device does not match the one we have on file.',
        ja: 'この端末のパスキーが登録済みのものと一致しません。'
    },
    counter_regression: {
        en: 'This passkey may have been copied, so it was refused.',
        ja: 'このパスキーが複製された可能性があるため、拒否されました。'
    },
    // credentials
    credential_unknown: {
        en: 'This passkey is not registered for your account.',
        ja: 'このパスキーはお客様のアカウントに登録されていません。'
    },
    credential_revoked: {
        en: 'This passkey has been removed from your account.',
        ja: 'このパスキーはアカウントから削除されています。'
    },
    credential_suspended: {
        en: 'This passkey is suspended.',
        ja: 'このパスキーは一時停止されています。'
    },
    credential_exists: {
        en: 'This passkey is registered already.',
        ja: 'このパスキーはすでに登録されています。'
    },
    credential_id_mismatch: {
        en: 'The passkey answer contradicts itself.',
        ja: 'パスキーの応答に矛盾があります。'
    },
    user_mismatch: {
        en: 'This passkey or session belongs to another account.',
        ja: 'このパスキーまたはログインは別のアカウントのものです。'
    },
    // registration
    algorithm_unsupported: {
        en: 'This passkey uses an algorithm the server does not accept.',
        ja: 'このパスキーの方式はサーバーで利用できません。'
    },
    key_invalid: {
        en: 'The passkey\'s key is not acceptable.',
        ja: 'パスキーの鍵が受け付けられません。'
    },
    attestation_invalid: {
        en: 'The device\'s proof of origin does not verify.',
        ja: '端末の証明を検証できませんでした。'
    },
    attestation_untrusted: {
        en: 'This kind of security key is not accepted here.',
        ja: 'この種類のセキュリティキーは利用できません。'
    },
    attestation_format_unsupported: {
        en: 'The device\'s proof of origin has an unknown format.',
        ja: '端末の証明の形式に対応していません。'
    },
    internal_error: {
        en: 'The server failed.',
        ja: 'サーバーでエラーが発生しました。'
    },

    // the browser (DOMException names)
    NotAllowedError: {
        en: 'The passkey request was cancelled, timed out, or found no passkey on this device.',
        ja: 'パスキーの操作がキャンセルされたか、時間切れになったか、この端末にパスキーが見つかりませんでした。'
    },
    InvalidStateError: {
        en: 'A passkey for this account is already on this device.',
        ja: 'このアカウントのパスキーはすでにこの端末に登録されています。'
    },
    AbortError: {
        en: 'The passkey request was cancelled.',
        ja: 'パスキーの操作を中止しました。'
    },
    SecurityError: {
        en: 'This page is not allowed to use passkeys for this site (address or security settings).',
        ja: 'このページはこのサイトのパスキーを使用できません（アドレスまたはセキュリティ設定）。'
    },
    NotSupportedError: {
        en: 'This device or browser cannot create the kind of passkey needed.',
        ja: 'この端末またはブラウザでは必要な種類のパスキーを作成できません。'
    },
    ConstraintError: {
        en: 'This device cannot meet the requirements (screen lock or stored passkey).',
        ja: 'この端末は必要な条件（画面ロックまたはパスキーの保存）を満たせません。'
    },
    UnknownError: {
        en: 'The device reported an unknown error.',
        ja: '端末で不明なエラーが発生しました。'
    },
    TimeoutError: {
        en: 'The passkey request timed out.',
        ja: 'パスキーの操作が時間切れになりました。'
    },

    // the kit's own
    unsupported: {
        en: 'This browser does not support passkeys.',
        ja: 'このブラウザはパスキーに対応していません。'
    },
    network_error: {
        en: 'The server could not be reached.',
        ja: 'サーバーに接続できませんでした。'
    },
    http_error: {
        en: 'The server answered with an unexpected error (HTTP {status}).',
        ja: 'サーバーから予期しないエラーが返されました（HTTP {status}）。'
    },
    client_error: {
        en: 'The browser failed to run the passkey request.',
        ja: 'ブラウザでパスキーの操作を実行できませんでした。'
    }
});

export const NEXT_STEPS = Object.freeze({
    login: {
        en: 'Sign in with your password, then try again.',
        ja: 'パスワードでログインしてから、もう一度お試しください。'
    },
    passkey: {
        en: 'Sign in with your passkey, then try again.',
        ja: 'パスキーでログインしてから、もう一度お試しください。'
    },
    retry: {
        en: 'Please try again.',
        ja: 'もう一度お試しください。'
    },
    wait: {
        en: 'Please wait and try again later. Everything else keeps working.',
        ja: 'しばらく待ってからお試しください。その他の機能は引き続き利用できます。'
    },
    reregister: {
        en: 'Register a new passkey. If you cannot sign in with a passkey any more, contact support for a registration code.',
        ja: '新しいパスキーを登録してください。パスキーでログインできない場合は、サポートに登録コードをお問い合わせください。'
    },
    support: {
        en: 'This cannot be fixed on your device: contact support.',
        ja: '端末側では解決できません。サポートにお問い合わせください。'
    },
    none: {
        en: 'This cannot succeed as sent. If it persists, contact support.',
        ja: 'この操作は完了できません。繰り返し発生する場合はサポートにお問い合わせください。'
    }
});

// The next step of each browser failure (the server sends its own).
const CLIENT_ACTIONS = Object.freeze({
    NotAllowedError: 'retry',
    InvalidStateError: 'passkey',
    AbortError: 'retry',
    SecurityError: 'support',
    NotSupportedError: 'support',
    ConstraintError: 'support',
    UnknownError: 'retry',
    TimeoutError: 'retry',
    unsupported: 'support',
    network_error: 'retry',
    client_error: 'support'
});

// Said with every refusal that leaves read access (the "fallback" member).
export const FALLBACK_READ = Object.freeze({
    en: 'You can still see your balance and positions with your password (read-only).',
    ja: 'パスワードだけでも残高と保有銘柄は引き続き確認できます（閲覧のみ）。'
});

function fill(text, err) {
    return text
        .replace('{seconds}', err.retryAfter == null ? '?' : err.retryAfter)
        .replace('{status}', err.status == null ? '?' : err.status);
}

// The message, next step and fallback note of an error, in one language.
export function describe(err, lang = 'en') {
    const l = lang === 'ja' ? 'ja' : 'en';
    const m = MESSAGES[err.code] || MESSAGES[err.name]
        || (err.status ? MESSAGES.http_error : MESSAGES.client_error);
    const next = NEXT_STEPS[err.action] || NEXT_STEPS.none;
    return {
        message: fill(m[l], err),
        next: next[l],
        fallback: err.fallback === 'read' ? FALLBACK_READ[l] : null
    };
}

export class WebAuthnError extends Error {
    constructor(fields) {
        super(fields.serverMessage || fields.code);
        this.name = 'WebAuthnError';
        this.code = fields.code;            // server code or DOMException name
        this.source = fields.source;        // 'server', 'browser', 'network'
        this.action = fields.action || 'none';
        this.status = fields.status ?? null;
        this.fallback = fields.fallback ?? null;
        this.retryAfter = fields.retryAfter ?? null;
        this.ceremony = fields.ceremony ?? null;
        this.serverMessage = fields.serverMessage ?? null;
        this.body = fields.body ?? null;
        this.cause = fields.cause;
    }

    describe(lang) {
        return describe(this, lang);
    }
}

// ---------------------------------------------------------------------
// base64url <-> ArrayBuffer, for browsers without the JSON methods.

export function toBase64url(buf) {
    const bytes = buf instanceof ArrayBuffer ? new Uint8Array(buf)
        : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    let s = '';
    for (let i = 0; i < bytes.length; i++) {
        s += String.fromCharCode(bytes[i]);
    }
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64url(text) {
    const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '='.repeat((4 - b64.length % 4) % 4));
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) {
        bytes[i] = bin.charCodeAt(i);
    }
    return bytes.buffer;
}

function descriptors(list) {
    return (list || []).map((d) => ({ ...d, id: fromBase64url(d.id) }));
}

// PublicKeyCredentialCreationOptions (reg) or ...RequestOptions
function parseOptions(json, reg) {
    const native = reg ? 'parseCreationOptionsFromJSON'
        : 'parseRequestOptionsFromJSON';
    if (typeof PublicKeyCredential[native] === 'function') {
        return PublicKeyCredential[native](json);
    }
    const o = { ...json, challenge: fromBase64url(json.challenge) };
    if (reg) {
        o.user = { ...json.user, id: fromBase64url(json.user.id) };
        o.excludeCredentials = descriptors(json.excludeCredentials);
    } else {
        o.allowCredentials = descriptors(json.allowCredentials);
    }
    return o;
}

// RegistrationResponseJSON or AuthenticationResponseJSON.
function credentialJSON(cred) {
    if (typeof cred.toJSON === 'function') {
        return cred.toJSON();
    }
    const r = cred.response;
    const response = { clientDataJSON: toBase64url(r.clientDataJSON) };
    if (r.attestationObject) {
        response.attestationObject = toBase64url(r.attestationObject);
        response.transports = typeof r.getTransports === 'function'
            ? r.getTransports() : [];
        if (typeof r.getAuthenticatorData === 'function') {
            response.authenticatorData =
                toBase64url(r.getAuthenticatorData());
        }
        const pk = typeof r.getPublicKey === 'function'
            ? r.getPublicKey() : null;
        if (pk) {
            response.publicKey = toBase64url(pk);
        }
        if (typeof r.getPublicKeyAlgorithm === 'function') {
            response.publicKeyAlgorithm = r.getPublicKeyAlgorithm();
        }
    } else {
        response.authenticatorData = toBase64url(r.authenticatorData);
        response.signature = toBase64url(r.signature);
        if (r.userHandle) {
            response.userHandle = toBase64url(r.userHandle);
        }
    }
    return {
        id: cred.id,
        rawId: toBase64url(cred.rawId),
        type: cred.type,
        authenticatorAttachment: cred.authenticatorAttachment ?? null,
        clientExtensionResults: cred.getClientExtensionResults(),
        response
    };
}

// Was hybrid (QR code, phone) in play?  true or false only when the
// answer or every listed passkey says so; null when it is not known.
function hybridOf(json, listed) {
    if (json) {
        const t = (json.response && json.response.transports) || [];
        if (t.includes('hybrid')) {
            return true;
        }
        if (json.authenticatorAttachment === 'platform') {
            return false;
        }
        return null;
    }
    if (!listed || listed.length === 0) {
        return null;
    }
    const all = (pred) => listed.every((d) => pred(d.transports || []));
    if (all((t) => t.length > 0 && t.every((x) => x === 'hybrid'
                                              || x === 'ble'))) {
        return true;
    }
    if (all((t) => t.length > 0 && !t.includes('hybrid'))) {
        return false;
    }
    return null;
}

// ---------------------------------------------------------------------

const HANDLES = 'webauthn-kit:handles';

export class WebAuthnClient {
    // options: endpoints (a partial DEFAULT_ENDPOINTS), headers (an
    // object, or a function returning one, sent with every request),
    // lang ('ja' or 'en'), telemetry (true: report browser failures to
    // endpoints.telemetry), retries (1: automatic restarts on "retry"),
    // retryDelayMs (1000: the pause before a restart after a 5xx),
    // fetch, onEvent (called with {type, ...} for each step, for logs).
    constructor(options = {}) {
        this.endpoints = { ...DEFAULT_ENDPOINTS, ...(options.endpoints || {}) };
        this.headers = options.headers || {};
        this.lang = options.lang || 'en';
        this.telemetry = options.telemetry !== false;
        this.retries = options.retries ?? 1;
        this.retryDelayMs = options.retryDelayMs ?? 1000;
        this.fetch = options.fetch || ((...a) => globalThis.fetch(...a));
        this.onEvent = options.onEvent || (() => {});
    }

    // What this browser offers: passkeys at all, the native JSON methods,
    // and the signal methods.
    static support() {
        const pkc = globalThis.PublicKeyCredential;
        return {
            webauthn: !!(pkc && globalThis.navigator
                         && navigator.credentials),
            nativeJSON: !!(pkc && pkc.parseCreationOptionsFromJSON
                           && pkc.parseRequestOptionsFromJSON),
            signalUnknownCredential:
                !!(pkc && pkc.signalUnknownCredential),
            signalAllAcceptedCredentials:
                !!(pkc && pkc.signalAllAcceptedCredentials)
        };
    }

    describe(err) {
        return describe(err, this.lang);
    }

    // registration: { grant } for re-enrolment after a reset, { signal }
    // an AbortSignal.  Resolves to the register answer's body.
    register(opts = {}) {
        return this.#ceremony('register', opts);
    }

    // login (step-up): { user } for login_options, { signal }.  Resolves
    // to the login answer's body.
    login(opts = {}) {
        return this.#ceremony('login', opts);
    }

    // GET credentials: { user, credentials: [...] }
    async credentials() {
        return this.#call('GET', this.endpoints.credentials, undefined,
                          'credentials');
    }

    async logout(everywhere = false) {
        return this.#call('POST', this.endpoints.logout,
                          everywhere ? { everywhere: true } : {}, 'logout');
    }

    async #ceremony(ceremony, opts) {
        if (!WebAuthnClient.support().webauthn) {
            const err = new WebAuthnError({ code: 'unsupported',
                source: 'browser', action: CLIENT_ACTIONS.unsupported,
                ceremony });
            this.#report(err, 0, null, 0);
            throw err;
        }
        for (let attempt = 0; ; attempt++) {
            try {
                return await this.#once(ceremony, opts, attempt);
            } catch (err) {
                const again = err instanceof WebAuthnError
                    && err.source === 'server' && err.action === 'retry'
                    && attempt < this.retries;
                if (!again) {
                    throw err;
                }
                this.onEvent({ type: 'retry', ceremony, code: err.code });
                if (err.status >= 500) {
                    // store_unavailable, internal_error: not at once
                    await new Promise((r) => setTimeout(r, this.retryDelayMs));
                }
            }
        }
    }

    async #once(ceremony, opts, attempt) {
        const reg = ceremony === 'register';
        const body = {};
        if (reg && opts.grant) {
            body.grant = opts.grant;
        }
        if (!reg && opts.user) {
            body.user = opts.user;
        }
        const options = await this.#call('POST', reg
            ? this.endpoints.registerOptions : this.endpoints.loginOptions,
            body, ceremony);
        if (reg && options.user && options.user.id) {
            this.#rememberHandle(options.user.name, options.user.id);
        }

        const listed = reg ? options.excludeCredentials
            : options.allowCredentials;
        const started = Date.now();
        let cred;
        try {
            const request = { publicKey: parseOptions(options, reg) };
            if (opts.signal) {
                request.signal = opts.signal;
            }
            this.onEvent({ type: 'browser', ceremony });
            cred = reg ? await navigator.credentials.create(request)
                : await navigator.credentials.get(request);
            if (!cred) {
                throw new DOMException('no credential', 'NotAllowedError');
            }
        } catch (e) {
            const name = e && MESSAGES[e.name] && CLIENT_ACTIONS[e.name]
                ? e.name : 'client_error';
            const err = new WebAuthnError({ code: name, source: 'browser',
                action: CLIENT_ACTIONS[name], ceremony,
                serverMessage: e && e.message, cause: e });
            err.browserName = e && e.name;
            this.#report(err, Date.now() - started,
                         hybridOf(null, listed), attempt);
            throw err;
        }

        const json = credentialJSON(cred);
        try {
            const answer = await this.#call('POST', reg
                ? this.endpoints.register : this.endpoints.login,
                json, ceremony);
            answer.hybrid = hybridOf(json, listed);
            if (!reg) {
                await this.#signalAccepted(options, json, answer);
            }
            return answer;
        } catch (err) {
            if (err instanceof WebAuthnError
                    && (err.code === 'credential_unknown'
                        || err.code === 'credential_revoked')) {
                await this.#signalUnknown(options, json);
            }
            throw err;
        }
    }

    #headers() {
        return { ...(typeof this.headers === 'function'
            ? this.headers() : this.headers) };
    }

    // one request; resolves to the JSON body of a 2xx, throws a
    // WebAuthnError otherwise
    async #call(method, url, body, ceremony) {
        const headers = this.#headers();
        const init = { method, headers, credentials: 'same-origin',
                       cache: 'no-store' };
        if (body !== undefined) {
            headers['Content-Type'] = 'application/json';
            init.body = JSON.stringify(body);
        }
        this.onEvent({ type: 'request', method, url, ceremony });
        let r;
        try {
            r = await this.fetch(url, init);
        } catch (e) {
            throw new WebAuthnError({ code: 'network_error',
                source: 'network', action: CLIENT_ACTIONS.network_error,
                ceremony, serverMessage: e && e.message, cause: e });
        }
        const type = r.headers.get('Content-Type') || '';
        let data = null;
        if (type.startsWith('application/json')) {
            data = await r.json().catch(() => null);
        }
        this.onEvent({ type: 'response', method, url, ceremony,
                       status: r.status, body: data });
        if (r.ok && data) {
            return data;
        }
        const retryAfter = r.headers.get('Retry-After');
        if (data && typeof data.error === 'string') {
            throw new WebAuthnError({ code: data.error, source: 'server',
                action: data.action || 'none', status: r.status,
                fallback: data.fallback, ceremony, body: data,
                serverMessage: data.message,
                retryAfter: retryAfter == null ? null : Number(retryAfter) });
        }
        // not the module's JSON: the password layer, a proxy, nginx itself
        throw new WebAuthnError({ code: r.status === 401
                ? 'identity_required' : 'http_error',
            source: 'server', status: r.status, ceremony,
            action: r.status === 401 ? 'login'
                : r.status >= 500 ? 'retry' : 'none' });
    }

    // what the browser's failure was: to telemetry, fire and forget (the
    // endpoint may refuse, 429 say, or not exist: nothing to do about it)
    #report(err, elapsedMs, hybrid, attempt) {
        this.onEvent({ type: 'failure', ceremony: err.ceremony,
                       code: err.code });
        if (!this.telemetry || !this.endpoints.telemetry) {
            return;
        }
        const payload = {
            v: 1,
            ceremony: err.ceremony,
            error: err.browserName || err.code,
            elapsedMs: Math.max(0, Math.round(elapsedMs)),
            hybrid,
            attempt: attempt + 1,
            nativeJSON: WebAuthnClient.support().nativeJSON
        };
        try {
            this.fetch(this.endpoints.telemetry, {
                method: 'POST', keepalive: true, credentials: 'same-origin',
                headers: { ...this.#headers(),
                           'Content-Type': 'application/json' },
                body: JSON.stringify(payload)
            }).catch(() => {});
        } catch (e) {
            // a fetch that throws synchronously: ignored as well
        }
    }

    async #signalUnknown(options, json) {
        const pkc = globalThis.PublicKeyCredential;
        if (!pkc || typeof pkc.signalUnknownCredential !== 'function') {
            return;
        }
        try {
            await pkc.signalUnknownCredential({
                rpId: options.rpId || (options.rp && options.rp.id)
                    || location.hostname,
                credentialId: json.id
            });
            this.onEvent({ type: 'signal', signal: 'unknown',
                           credentialId: json.id });
        } catch (e) {
            // best effort
        }
    }

    // After a login: tell the platform which passkeys this account still
    // accepts.  Needs the user handle: the login answer's userHandle (the
    // assertion's, or the one remembered from register_options, with a
    // server that does not send it).
    async #signalAccepted(options, json, answer) {
        const pkc = globalThis.PublicKeyCredential;
        if (!pkc || typeof pkc.signalAllAcceptedCredentials !== 'function') {
            return;
        }
        const userId = answer.userHandle || json.response.userHandle
            || this.#handleOf(answer.user);
        if (!userId) {
            return;
        }
        if (answer.user) {
            this.#rememberHandle(answer.user, userId);
        }
        try {
            const list = await this.credentials();
            const ids = (list.credentials || []).map((c) => c.id);
            await pkc.signalAllAcceptedCredentials({
                rpId: options.rpId || location.hostname, userId,
                allAcceptedCredentialIds: ids
            });
            this.onEvent({ type: 'signal', signal: 'allAccepted', userId,
                           credentials: ids.length });
        } catch (e) {
            // best effort
        }
    }

    #rememberHandle(user, handle) {
        try {
            const all = JSON.parse(localStorage.getItem(HANDLES) || '{}');
            all[user] = handle;
            localStorage.setItem(HANDLES, JSON.stringify(all));
        } catch (e) {
            // no storage: nothing remembered
        }
    }

    #handleOf(user) {
        try {
            return JSON.parse(localStorage.getItem(HANDLES) || '{}')[user]
                || null;
        } catch (e) {
            return null;
        }
    }
}
