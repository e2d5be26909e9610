/*
 * The Lua scripts that both the module and tools/webauthn-admin run on the
 * store, so that a rollback or a suspension means the same thing whether
 * the admin API or the bulk tool does it.  Plain C string literals, no
 * nginx: the tool includes this header as the module does.
 *
 * The layout they work on is in docs/http-api.md ("What is stored") and
 * docs/recovery.md.  Every script here runs on the keys of one user (one
 * hash tag), plus the audit stream and the index of changed users.
 */

#ifndef WA_STORE_LUA_H
#define WA_STORE_LUA_H


/*
 * The index of the last entry kept (LTRIM 0 N) of the per-user event list
 * and of the last-known-good snapshots; the scripts use them as text.
 */
#define WA_STORE_EVENTS_LAST    19
#define WA_STORE_LKG_LAST       7
#define WA_STORE_LKG_KEPT       (WA_STORE_LKG_LAST + 1)

/*
 * The index of changed users: a hash, user name -> the user hash's
 * "changed", written by every script that sets "changed", in the same
 * script.  A rollback of the users changed since a time walks it (HSCAN)
 * instead of every key of the store.  Not a sorted set: the walk needs no
 * order, and a score moved (as a rollback moves every score it touches)
 * costs a skiplist search, a hash field an O(1) write.  Like the audit
 * stream it is one key for every user: a cross-slot write (one Redis, not
 * a Cluster).  The mark says that the index is complete: the time
 * `webauthn-admin reindex` finished putting in it the users written before
 * it existed; without the mark the tool scans every key.
 */
#define WA_STORE_CHANGED_KEY    "wa:changed"
#define WA_STORE_CHANGED_MARK   "wa:changed:complete"

#define WA_STORE_STR_(n)        #n
#define WA_STORE_STR(n)         WA_STORE_STR_(n)


/*
 * audit(): appends one event to the audit stream (XADD, capped near
 * maxlen) and to the user's short event list (newest first, JSON).
 * d is a flat list of detail names and values; reason, when not empty,
 * is the operator's note.  The list is trimmed only once it is longer
 * than it may be: most users have fewer events, and LTRIM would be one
 * more command for nothing.
 */
#define WA_STORE_LUA_AUDIT                                                    \
    "local function audit(kev, kstream, maxlen, event, user, actor, now, d,\n"\
    "  reason)\n"                                                            \
    "  if reason and reason ~= '' then\n"                                    \
    "    d[#d + 1] = 'reason'\n"                                             \
    "    d[#d + 1] = reason\n"                                               \
    "  end\n"                                                                \
    "  local a = {kstream, 'MAXLEN', '~', maxlen, '*', 'event', event,\n"     \
    "    'user', user, 'actor', actor, 'time', now}\n"                        \
    "  local e = {event = event, actor = actor, time = tonumber(now)}\n"      \
    "  for i = 1, #d, 2 do\n"                                                 \
    "    a[#a + 1] = d[i]\n"                                                  \
    "    a[#a + 1] = tostring(d[i + 1])\n"                                    \
    "    e[d[i]] = d[i + 1]\n"                                                \
    "  end\n"                                                                 \
    "  e.id = redis.call('XADD', unpack(a))\n"                                \
    "  if redis.call('LPUSH', kev, cjson.encode(e)) > "                       \
              WA_STORE_STR(WA_STORE_EVENTS_LAST) " + 1 then\n"                \
    "    redis.call('LTRIM', kev, 0, " WA_STORE_STR(WA_STORE_EVENTS_LAST) ")\n"\
    "  end\n"                                                                 \
    "end\n"


/*
 * changed(): the user's set of active passkeys changed now: "changed",
 * "ver" (how many times) and the user's entry in the index of changed
 * users, together.
 */
#define WA_STORE_LUA_CHANGED                                                  \
    "local function changed(kuser, kindex, user, now)\n"                      \
    "  redis.call('HSET', kuser, 'changed', now)\n"                           \
    "  redis.call('HINCRBY', kuser, 'ver', 1)\n"                              \
    "  redis.call('HSET', kindex, user, now)\n"                               \
    "end\n"


/*
 * ROLLBACK: the user's active passkeys become those of the newest
 * last-known-good snapshot taken of a set older than ARGV[1]; passkeys
 * revoked since (tombstones) are never brought back.  Restored passkeys
 * start a probation; passkeys not in the snapshot are set aside as
 * "removed" (a later rollback may restore them).  Sessions end when the
 * set changed, or always in "force" mode.
 *
 * KEYS: 1 user hash, 2 active set, 3 snapshot list, 4 session epoch,
 *       5 event list, 6 audit stream, 7 index of changed users.
 * ARGV: 1 before (snapshots of sets changed before this time),
 *       2 now, 3 key prefix of the passkey hashes, 4 user, 5 actor,
 *       6 stream cap, 7 mode: "force" (admin API), "apply" (bulk: no
 *       change, no write) or "dry" (report, write nothing),
 *       8 only users whose set changed at or after this time (0: all),
 *       9 (optional) the operator's note for the audit entry.
 * Returns {"ok", restored, removed, active, skipped, snapshot time,
 *          ids of the active set after, comma-separated}, or
 *         {"user_unknown"}, {"unchanged"}, {"no_snapshot"}.
 */
#define WA_STORE_LUA_ROLLBACK                                                 \
    WA_STORE_LUA_AUDIT                                                        \
    WA_STORE_LUA_CHANGED                                                      \
    "local u = redis.call('HMGET', KEYS[1], 'handle', 'changed')\n"           \
    "if not u[1] then return {'user_unknown'} end\n"                          \
    "if tonumber(u[2] or '0') < tonumber(ARGV[8]) then\n"                     \
    "  return {'unchanged'}\n"                                                \
    "end\n"                                                                   \
    "local before, snap = tonumber(ARGV[1]), nil\n"                           \
    "for _, s in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do\n"           \
    "  local t, c, ids = string.match(s, '^(%d+) (%d+) ([^ ]*)$')\n"          \
    "  if c and tonumber(c) < before then\n"                                  \
    "    snap = {t = t, ids = ids}\n"                                         \
    "    break\n"                                                             \
    "  end\n"                                                                 \
    "end\n"                                                                   \
    "if not snap then return {'no_snapshot'} end\n"                           \
    "local want, wanted = {}, {}\n"                                           \
    "for id in string.gmatch(snap.ids, '[^,]+') do\n"                         \
    "  want[id] = true\n"                                                     \
    "  wanted[#wanted + 1] = id\n"                                            \
    "end\n"                                                                   \
    "local dry = ARGV[7] == 'dry'\n"                                          \
    "local active = redis.call('SMEMBERS', KEYS[2])\n"                        \
    "table.sort(active)\n"                                                    \
    "local has, out = {}, {}\n"                                               \
    "local restored, removed, skipped = 0, 0, 0\n"                            \
    "for _, id in ipairs(active) do\n"                                        \
    "  has[id] = true\n"                                                      \
    "  if want[id] then\n"                                                    \
    "    out[#out + 1] = id\n"                                                \
    "  else\n"                                                                \
    "    removed = removed + 1\n"                                             \
    "    if not dry then\n"                                                   \
    "      redis.call('SREM', KEYS[2], id)\n"                                 \
    "      redis.call('HSET', ARGV[3] .. id, 'removed', ARGV[2])\n"           \
    "    end\n"                                                               \
    "  end\n"                                                                 \
    "end\n"                                                                   \
    "for _, id in ipairs(wanted) do\n"                                        \
    "  if not has[id] then\n"                                                 \
    "    local c = redis.call('HMGET', ARGV[3] .. id, 'pk', 'revoked')\n"     \
    "    if c[1] and not c[2] then\n"                                         \
    "      restored = restored + 1\n"                                         \
    "      out[#out + 1] = id\n"                                              \
    "      if not dry then\n"                                                 \
    "        redis.call('HDEL', ARGV[3] .. id, 'removed', 'suspended')\n"     \
    "        redis.call('HSET', ARGV[3] .. id, 'probation', ARGV[2])\n"       \
    "        redis.call('SADD', KEYS[2], id)\n"                               \
    "      end\n"                                                             \
    "    else\n"                                                              \
    "      skipped = skipped + 1\n"                                           \
    "    end\n"                                                               \
    "  end\n"                                                                 \
    "end\n"                                                                   \
    "table.sort(out)\n"                                                       \
    "local r = {'ok', restored, removed, #out, skipped, tonumber(snap.t),\n"  \
    "  table.concat(out, ',')}\n"                                             \
    "if dry then return r end\n"                                              \
    "if restored + removed > 0 then\n"                                        \
    "  changed(KEYS[1], KEYS[7], ARGV[4], ARGV[2])\n"                         \
    "elseif ARGV[7] ~= 'force' then\n"                                        \
    "  return r\n"                                                            \
    "end\n"                                                                   \
    "redis.call('INCR', KEYS[4])\n"                                           \
    "audit(KEYS[5], KEYS[6], ARGV[6], 'rollback', ARGV[4], ARGV[5], ARGV[2],\n"\
    "  {'restored', restored, 'removed', removed, 'skipped', skipped,\n"      \
    "   'snapshot', tonumber(snap.t), 'credentials', r[7]}, ARGV[9])\n"    \
    "return r\n"


/*
 * SUSPEND: incident response.  The user's active passkeys registered in
 * [ARGV[1], ARGV[2]) leave the active set, marked "suspended" (a rollback
 * may restore them); the user's sessions end when any did.
 *
 * KEYS: 1 user hash, 2 active set, 3 session epoch, 4 event list,
 *       5 audit stream, 6 index of changed users.
 * ARGV: 1 from, 2 until (registered before), 3 now, 4 key prefix of the
 *       passkey hashes, 5 user, 6 actor, 7 stream cap, 8 mode: "apply"
 *       or "dry", 9 (optional) the operator's note for the audit entry.
 * Returns {"ok", suspended, ids suspended, comma-separated} or
 *         {"user_unknown"}.
 */
#define WA_STORE_LUA_SUSPEND                                                  \
    WA_STORE_LUA_AUDIT                                                        \
    WA_STORE_LUA_CHANGED                                                      \
    "if redis.call('EXISTS', KEYS[1]) == 0 then return {'user_unknown'} end\n"\
    "local from, to = tonumber(ARGV[1]), tonumber(ARGV[2])\n"                 \
    "local ids = redis.call('SMEMBERS', KEYS[2])\n"                           \
    "table.sort(ids)\n"                                                       \
    "local out = {}\n"                                                        \
    "for _, id in ipairs(ids) do\n"                                           \
    "  local c = tonumber(redis.call('HGET', ARGV[4] .. id, 'created')\n"     \
    "    or '0')\n"                                                           \
    "  if c >= from and c < to then\n"                                        \
    "    out[#out + 1] = id\n"                                                \
    "    if ARGV[8] ~= 'dry' then\n"                                          \
    "      redis.call('SREM', KEYS[2], id)\n"                                 \
    "      redis.call('HSET', ARGV[4] .. id, 'suspended', ARGV[3])\n"         \
    "    end\n"                                                               \
    "  end\n"                                                                 \
    "end\n"                                                                   \
    "local r = {'ok', #out, table.concat(out, ',')}\n"                        \
    "if #out == 0 or ARGV[8] == 'dry' then return r end\n"                    \
    "changed(KEYS[1], KEYS[6], ARGV[5], ARGV[3])\n"                           \
    "redis.call('INCR', KEYS[3])\n"                                           \
    "audit(KEYS[4], KEYS[5], ARGV[7], 'suspend', ARGV[5], ARGV[6], ARGV[3],\n"\
    "  {'suspended', #out, 'credentials', r[3]}, ARGV[9])\n"                  \
    "return r\n"


#endif /* WA_STORE_LUA_H */
