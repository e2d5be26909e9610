/*
 * The Lua scripts the module runs on the store (EVALSHA, EVAL when Redis
 * does not know them yet).  Each runs on the keys of one user (one hash
 * tag, one Cluster slot), plus, for those that audit, the audit stream,
 * and for those that change the set of active passkeys, the index of
 * changed users, so that what must happen together does.  The layout is in
 * docs/http-api.md; rollback and its audit helper are shared with
 * tools/webauthn-admin (include/wa_store_lua.h).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_webauthn_module.h"
#include <wa_store_lua.h>


ngx_http_webauthn_script_t  ngx_http_webauthn_scripts[] = {

    { NULL, "" },

    /*
     * SCRIPT_USER: the user's handle, made when ARGV[1] is not empty and
     * there is none yet, the user's active passkeys, how long a lockout
     * has left, and the digest of a pending enrolment grant.  With a
     * fifth key, a challenge is stored there too (login_options) unless
     * the user is locked: one round trip instead of two.
     * KEYS: user hash, active set, lock, grant[, challenge]; ARGV: new
     * handle, now, prefix of the passkey hashes[, challenge record, its
     * ttl].
     */
    { "local h = redis.call('HGET', KEYS[1], 'handle')\n"
      "if not h and ARGV[1] ~= '' then\n"
      "  redis.call('HSET', KEYS[1], 'handle', ARGV[1], 'created', ARGV[2])\n"
      "  h = ARGV[1]\n"
      "end\n"
      "local ids = redis.call('SMEMBERS', KEYS[2])\n"
      "table.sort(ids)\n"
      "local out = {}\n"
      "for _, id in ipairs(ids) do\n"
      "  local c = redis.call('HMGET', ARGV[3] .. id, 'transports',\n"
      "    'aaguid', 'be', 'bs', 'count', 'created', 'used')\n"
      "  out[#out + 1] = {id, c[1] or '', c[2] or '', c[3] or '0',\n"
      "    c[4] or '0', c[5] or '0', c[6] or '0', c[7] or '0'}\n"
      "end\n"
      "local lock = redis.call('TTL', KEYS[3])\n"
      "if #KEYS == 5 and lock <= 0 then\n"
      "  redis.call('SET', KEYS[5], ARGV[4], 'EX', ARGV[5])\n"
      "end\n"
      "return {h or false, out, lock, redis.call('GET', KEYS[4]) or false}\n",
      "" },

    /*
     * SCRIPT_REG_BEGIN: consumes a registration challenge, whatever the
     * outcome of the registration, and reads the handle, how many
     * passkeys the user has and how long a lockout has left.
     * KEYS: challenge, user hash, active set, lock.
     */
    { "local c = redis.call('GET', KEYS[1])\n"
      "if c then redis.call('DEL', KEYS[1]) end\n"
      "return {c or false, redis.call('HGET', KEYS[2], 'handle') or false,\n"
      "  redis.call('SCARD', KEYS[3]), redis.call('TTL', KEYS[4])}\n", "" },

    /*
     * SCRIPT_REGISTER: stores a passkey.  Mode "open": the user must
     * still have none (webauthn_enroll open); "grant": the grant must
     * still be the one the challenge was issued for, and is used up, and
     * the passkey starts on probation.  The handle must still be the one
     * SCRIPT_REG_BEGIN read.
     * KEYS: user hash, active set, passkey hash, every-passkey set,
     * grant, event list, audit stream, index of changed users.
     * ARGV: mode, handle, id, grant digest, now, user, actor, stream cap,
     * then the passkey's field/value pairs.
     */
    { WA_STORE_LUA_AUDIT
      WA_STORE_LUA_CHANGED
      "if ARGV[1] == 'open' and redis.call('SCARD', KEYS[2]) > 0 then\n"
      "  return 'enrollment_not_allowed'\n"
      "end\n"
      "if redis.call('HGET', KEYS[1], 'handle') ~= ARGV[2] then\n"
      "  return 'user_mismatch'\n"
      "end\n"
      "if redis.call('EXISTS', KEYS[3]) == 1 then\n"
      "  return 'credential_exists'\n"
      "end\n"
      "local grant = ARGV[1] == 'grant'\n"
      "if grant then\n"
      "  if redis.call('GET', KEYS[5]) ~= ARGV[4] then\n"
      "    return 'grant_invalid'\n"
      "  end\n"
      "  redis.call('DEL', KEYS[5])\n"
      "end\n"
      "redis.call('HSET', KEYS[3], unpack(ARGV, 9))\n"
      "if grant then redis.call('HSET', KEYS[3], 'probation', ARGV[5]) end\n"
      "redis.call('SADD', KEYS[2], ARGV[3])\n"
      "redis.call('SADD', KEYS[4], ARGV[3])\n"
      "changed(KEYS[1], KEYS[8], ARGV[6], ARGV[5])\n"
      "audit(KEYS[6], KEYS[7], ARGV[8], 'register', ARGV[6], ARGV[7],\n"
      "  ARGV[5], {'credential', ARGV[3], 'grant', grant and 1 or 0})\n"
      "return 'ok'\n", "" },

    /*
     * SCRIPT_LOGIN_BEGIN: reads (without consuming it) the challenge
     * bound to the user, the passkey, the user's handle, whether the
     * passkey is active and how long a lockout has left.
     * KEYS: challenge, passkey hash, user hash, active set, lock;
     * ARGV: the passkey's id.
     */
    { "local c = redis.call('HMGET', KEYS[2], 'pk', 'count', 'be',\n"
      "  'revoked', 'aaguid')\n"
      "return {redis.call('GET', KEYS[1]) or false,\n"
      "  redis.call('HGET', KEYS[3], 'handle') or false,\n"
      "  c[1] or false, c[2] or false, c[3] or false, c[4] or false,\n"
      "  c[5] or false, redis.call('SISMEMBER', KEYS[4], ARGV[1]),\n"
      "  redis.call('TTL', KEYS[5])}\n",
      "" },

    /*
     * SCRIPT_LOGIN: after the signature verified: consumes the challenge
     * (when it is the user's; a passkey-first challenge was consumed
     * before), moves the counter forward and creates the session, all at
     * once, so that two submissions of one assertion cannot both pass.
     * The session record is "<passkey id> <probation start>".  Clears the
     * failure count, and records the active set as last-known-good when
     * it changed since the last snapshot (the user's "ver" counts the
     * changes: times in seconds cannot tell two changes in one second).
     * KEYS: passkey hash, epoch, session, user hash, active set,
     * snapshots, failures[, challenge]; ARGV: counter, now, session ttl,
     * passkey id, BS flag.
     */
    { "if #KEYS == 8 and redis.call('DEL', KEYS[8]) == 0 then\n"
      "  return {'challenge_unknown'}\n"
      "end\n"
      "local c = redis.call('HMGET', KEYS[1], 'count', 'revoked',\n"
      "  'probation')\n"
      "if not c[1] then return {'credential_unknown'} end\n"
      "if c[2] then return {'credential_revoked'} end\n"
      "if redis.call('SISMEMBER', KEYS[5], ARGV[4]) == 0 then\n"
      "  return {'credential_suspended'}\n"
      "end\n"
      "local old, new = tonumber(c[1]), tonumber(ARGV[1])\n"
      "if (new ~= 0 or old ~= 0) and new <= old then\n"
      "  return {'counter_regression'}\n"
      "end\n"
      "local p = c[3] or '0'\n"
      "redis.call('HSET', KEYS[1], 'count', ARGV[1], 'used', ARGV[2],\n"
      "  'bs', ARGV[5])\n"
      "redis.call('SET', KEYS[3], ARGV[4] .. ' ' .. p, 'EX', ARGV[3])\n"
      "redis.call('DEL', KEYS[7])\n"
      "local u = redis.call('HMGET', KEYS[4], 'changed', 'snap', 'ver')\n"
      "local ch, ver = u[1] or '0', u[3] or '0'\n"
      "if u[2] ~= ver then\n"
      "  local ids = redis.call('SMEMBERS', KEYS[5])\n"
      "  table.sort(ids)\n"
      "  redis.call('LPUSH', KEYS[6],\n"
      "    ARGV[2] .. ' ' .. ch .. ' ' .. table.concat(ids, ','))\n"
      "  redis.call('LTRIM', KEYS[6], 0, "
                                   WA_STORE_STR(WA_STORE_LKG_LAST) ")\n"
      "  redis.call('HSET', KEYS[4], 'snap', ver)\n"
      "end\n"
      "return {'ok', redis.call('GET', KEYS[2]) or '0', p}\n", "" },

    /*
     * SCRIPT_REVOKE: revokes one passkey for good and ends every session
     * of the user (a session made with it would otherwise outlive it).
     * KEYS: active set, passkey hash, epoch, user hash, event list, audit
     * stream, index of changed users; ARGV: id, now, user, actor, stream
     * cap.
     */
    { WA_STORE_LUA_AUDIT
      WA_STORE_LUA_CHANGED
      "if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then\n"
      "  return 'credential_unknown'\n"
      "end\n"
      "redis.call('HSET', KEYS[2], 'revoked', ARGV[2])\n"
      "redis.call('INCR', KEYS[3])\n"
      "changed(KEYS[4], KEYS[7], ARGV[3], ARGV[2])\n"
      "audit(KEYS[5], KEYS[6], ARGV[5], 'delete', ARGV[3], ARGV[4],\n"
      "  ARGV[2], {'credential', ARGV[1]})\n"
      "return 'ok'\n", "" },

    /*
     * SCRIPT_FAIL: a ceremony of the user failed.  Drops its challenge
     * (a challenge answered wrongly gets no second try); at the
     * attempts-th failure within the window the user's ceremonies are
     * locked for the backoff, doubled at every further lock within a day,
     * up to the maximum.  Returns the seconds locked, or 0.
     * KEYS: failures, lock, lock count, event list, audit stream[,
     * challenge]; ARGV: attempts (0: no lockout), window, backoff,
     * maximum, now, user, stream cap, why.
     */
    { WA_STORE_LUA_AUDIT
      "if #KEYS == 6 then redis.call('DEL', KEYS[6]) end\n"
      "local max = tonumber(ARGV[1])\n"
      "if max == 0 then return 0 end\n"
      "local n = redis.call('INCR', KEYS[1])\n"
      "if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end\n"
      "if n < max then return 0 end\n"
      "local k = redis.call('INCR', KEYS[3])\n"
      "redis.call('EXPIRE', KEYS[3], 86400)\n"
      "local t = tonumber(ARGV[3]) * 2 ^ math.min(k - 1, 30)\n"
      "t = math.floor(math.min(t, tonumber(ARGV[4])))\n"
      "redis.call('SET', KEYS[2], ARGV[5], 'EX', t)\n"
      "redis.call('DEL', KEYS[1])\n"
      "audit(KEYS[4], KEYS[5], ARGV[7], 'lockout', ARGV[6], 'system',\n"
      "  ARGV[5], {'seconds', t, 'failures', n, 'why', ARGV[8]})\n"
      "return t\n", "" },

    /*
     * SCRIPT_ADMIN_USER: what the admin API shows of a user: the user
     * hash, every passkey ever registered with its state, the newest
     * snapshot, the grant's and the lock's seconds left, the failures,
     * the recent events.  {false} for an unknown user.
     * KEYS: user hash, every-passkey set, active set, snapshots, grant,
     * lock, failures, event list; ARGV: prefix of the passkey hashes.
     */
    { "local u = redis.call('HMGET', KEYS[1], 'handle', 'created',\n"
      "  'changed')\n"
      "if not u[1] then return {false} end\n"
      "local ids = redis.call('SUNION', KEYS[2], KEYS[3])\n"
      "table.sort(ids)\n"
      "local out = {}\n"
      "for _, id in ipairs(ids) do\n"
      "  out[#out + 1] = {id, redis.call('SISMEMBER', KEYS[3], id),\n"
      "    redis.call('HMGET', ARGV[1] .. id, 'created', 'used', 'aaguid',\n"
      "      'be', 'bs', 'transports', 'probation', 'revoked', 'suspended',\n"
      "      'removed')}\n"
      "end\n"
      "return {u, out, redis.call('LINDEX', KEYS[4], 0) or false,\n"
      "  redis.call('TTL', KEYS[5]), redis.call('TTL', KEYS[6]),\n"
      "  redis.call('GET', KEYS[7]) or '0',\n"
      "  redis.call('LRANGE', KEYS[8], 0, "
                            WA_STORE_STR(WA_STORE_EVENTS_LAST) ")}\n", "" },

    /*
     * SCRIPT_ADMIN_RESET: every passkey of the user revoked for good
     * (tombstones), sessions ended, failures and lock cleared, and a new
     * enrolment grant.  Returns {"ok", revoked} or {"user_unknown"}.
     * KEYS: user hash, every-passkey set, active set, epoch, grant,
     * failures, lock, lock count, event list, audit stream, index of
     * changed users.
     * ARGV: now, prefix of the passkey hashes, grant digest, grant ttl,
     * user, actor, stream cap, note.
     */
    { WA_STORE_LUA_AUDIT
      WA_STORE_LUA_CHANGED
      "if redis.call('EXISTS', KEYS[1]) == 0 then\n"
      "  return {'user_unknown'}\n"
      "end\n"
      "local n = 0\n"
      "for _, id in ipairs(redis.call('SUNION', KEYS[2], KEYS[3])) do\n"
      "  if redis.call('HSETNX', ARGV[2] .. id, 'revoked', ARGV[1]) == 1\n"
      "  then\n"
      "    n = n + 1\n"
      "  end\n"
      "end\n"
      "redis.call('DEL', KEYS[3], KEYS[6], KEYS[7], KEYS[8])\n"
      "redis.call('INCR', KEYS[4])\n"
      "redis.call('SET', KEYS[5], ARGV[3], 'EX', ARGV[4])\n"
      "changed(KEYS[1], KEYS[11], ARGV[5], ARGV[1])\n"
      "audit(KEYS[9], KEYS[10], ARGV[7], 'reset', ARGV[5], ARGV[6],\n"
      "  ARGV[1], {'revoked', n, 'grant_expires', ARGV[1] + ARGV[4]},\n"
      "  ARGV[8])\n"
      "return {'ok', n}\n", "" },

    /*
     * SCRIPT_ADMIN_GRANT: a one-time enrolment grant, replacing any
     * pending one; makes the user's record (handle) when there is none,
     * which is how a new customer enrols under "webauthn_enroll passkey".
     * KEYS: user hash, grant, event list, audit stream.
     * ARGV: now, new handle, grant digest, grant ttl, user, actor, stream
     * cap, note.  Returns {"ok", 1 when the record was made}.
     */
    { WA_STORE_LUA_AUDIT
      "local made = redis.call('HSETNX', KEYS[1], 'handle', ARGV[2])\n"
      "if made == 1 then\n"
      "  redis.call('HSET', KEYS[1], 'created', ARGV[1])\n"
      "end\n"
      "redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])\n"
      "audit(KEYS[3], KEYS[4], ARGV[7], 'grant', ARGV[5], ARGV[6],\n"
      "  ARGV[1], {'expires', ARGV[1] + ARGV[4], 'new_user', made},\n"
      "  ARGV[8])\n"
      "return {'ok', made}\n", "" },

    /*
     * SCRIPT_ADMIN_UNLOCK: clears a lockout, the failures and the
     * doubling.  Returns {"ok", 1 when the user was locked} or
     * {"user_unknown"}.
     * KEYS: user hash, failures, lock, lock count, event list, audit
     * stream; ARGV: now, user, actor, stream cap, note.
     */
    { WA_STORE_LUA_AUDIT
      "if redis.call('EXISTS', KEYS[1]) == 0 then\n"
      "  return {'user_unknown'}\n"
      "end\n"
      "local was = redis.call('EXISTS', KEYS[3])\n"
      "redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])\n"
      "audit(KEYS[5], KEYS[6], ARGV[4], 'unlock', ARGV[2], ARGV[3],\n"
      "  ARGV[1], {'locked', was}, ARGV[5])\n"
      "return {'ok', was}\n", "" },

    /* SCRIPT_ROLLBACK: include/wa_store_lua.h */
    { WA_STORE_LUA_ROLLBACK, "" }
};


ngx_uint_t  ngx_http_webauthn_nscripts =
    sizeof(ngx_http_webauthn_scripts) / sizeof(ngx_http_webauthn_script_t);
