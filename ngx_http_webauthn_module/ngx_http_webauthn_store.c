
/*
 * The store: Redis through hiredis' asynchronous API on nginx's event loop.
 *
 * Each worker keeps one connection for its commands, made when the worker
 * starts and made again, with a growing delay, whenever it is lost, and,
 * with the session cache, a second one that hears Redis' invalidations
 * (below, "The session cache").  Nothing here blocks:
 * the address is an IP or a unix socket (no name to resolve), connect() is
 * non-blocking, every command has a timer.  A command that times out takes
 * the connection down with it: a Redis that does not answer one command
 * will not answer the next, and every waiting request then gets its answer
 * (store unavailable) at once instead of one timeout each.
 *
 * hiredis owns the socket: the nginx connection that carries its events is
 * freed, never closed, and hiredis closes the descriptor.  Events are
 * level-triggered because hiredis reads 16 KiB at a time: with
 * edge-triggered events the rest of a large reply would wait for more
 * data that never comes.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/async.h>
#include <openssl/evp.h>
#include <time.h>

#include "ngx_http_webauthn_module.h"


#define NGX_HTTP_WEBAUTHN_STORE_DISCONNECTED  0
#define NGX_HTTP_WEBAUTHN_STORE_CONNECTING    1
#define NGX_HTTP_WEBAUTHN_STORE_READY         2

#define NGX_HTTP_WEBAUTHN_BACKOFF_MIN         100
#define NGX_HTTP_WEBAUTHN_BACKOFF_MAX         1000

#define NGX_HTTP_WEBAUTHN_ARGV_MAX            48

/* the heartbeat's channel: "wa:heartbeat:" and 16 random hex digits */
#define NGX_HTTP_WEBAUTHN_CHANNEL_RND         8
#define NGX_HTTP_WEBAUTHN_CHANNEL_LEN                                        \
    (sizeof("wa:heartbeat:") + 2 * NGX_HTTP_WEBAUTHN_CHANNEL_RND)


typedef struct ngx_http_webauthn_store_s  ngx_http_webauthn_store_t;

/* a connection to Redis, kept up: hiredis' context is ac->data = conn */
typedef struct {
    ngx_http_webauthn_store_t       *store;
    redisAsyncContext               *ac;
    ngx_uint_t                       state;
    ngx_event_t                      reconnect;
    ngx_msec_t                       backoff;
    unsigned                         tracker:1;
    unsigned                         writing:1;
} ngx_http_webauthn_store_conn_t;


struct ngx_http_webauthn_store_s {
    ngx_http_webauthn_redis_conf_t  *conf;
    ngx_log_t                       *log;

    /* the commands */
    ngx_http_webauthn_store_conn_t   main;

    /*
     * The session cache, and what makes it trustworthy: the tracker, a
     * second connection subscribed to Redis' invalidation messages, whose
     * CLIENT ID the main connection names in CLIENT TRACKING, and a
     * heartbeat published on the main connection and heard on the tracker.
     */
    ngx_http_webauthn_cache_t       *cache;
    ngx_http_webauthn_store_conn_t   tracker;
    long long                        tracker_id;    /* -1: none yet */
    ngx_uint_t                       subscribed;    /* channels confirmed */
    redisAsyncContext               *tracking;      /* main.ac, tracked */
    ngx_uint_t                       seq;           /* invalidations */
    ngx_event_t                      heartbeat;
    ngx_msec_t                       interval;
    ngx_msec_t                       heard;         /* last heartbeat */
    ngx_event_t                      turn;          /* clears drained */
    u_char                           channel[NGX_HTTP_WEBAUTHN_CHANNEL_LEN];

    unsigned                         drained:1;     /* tracker, this turn */

    unsigned                         exiting:1;
    unsigned                         refused:1;     /* no tracking here */
};


/*
 * One command in flight.  It lives in the heap, not in the request pool:
 * hiredis calls back after the request may be gone, so the request only
 * detaches itself (r = NULL) when its pool is destroyed.
 */
typedef struct {
    ngx_http_request_t              *r;
    ngx_http_webauthn_store_pt       handler;
    void                            *data;
    ngx_pool_cleanup_t              *cln;
    ngx_event_t                      timer;
    ngx_uint_t                       script;
    uint64_t                         start;     /* us, for the metrics */
    unsigned                         retried:1;
    unsigned                         orphan:1;  /* sent without request */
    unsigned                         counted:1;
    unsigned                         fill:1;    /* for the session cache */
    ngx_uint_t                       seq;       /* st->seq when sent */
    int                              argc;
    const char                      *argv[NGX_HTTP_WEBAUTHN_ARGV_MAX];
    size_t                           argvlen[NGX_HTTP_WEBAUTHN_ARGV_MAX];
} ngx_http_webauthn_store_op_t;


static void ngx_http_webauthn_store_connect(
    ngx_http_webauthn_store_conn_t *conn);
static void ngx_http_webauthn_store_schedule(
    ngx_http_webauthn_store_conn_t *conn);
static void ngx_http_webauthn_store_reconnect_handler(ngx_event_t *ev);
static void ngx_http_webauthn_store_drop(ngx_http_webauthn_store_conn_t *conn);
static void ngx_http_webauthn_store_gone(ngx_http_webauthn_store_conn_t *conn);
static void ngx_http_webauthn_store_connected(const redisAsyncContext *ac,
    int status);
static void ngx_http_webauthn_store_disconnected(const redisAsyncContext *ac,
    int status);
static void ngx_http_webauthn_store_setup_reply(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_webauthn_store_reply(redisAsyncContext *ac, void *reply,
    void *privdata);
static ngx_int_t ngx_http_webauthn_store_send(ngx_http_webauthn_store_t *st,
    ngx_http_webauthn_store_op_t *op, ngx_uint_t eval);
static ngx_http_webauthn_store_op_t *ngx_http_webauthn_store_op(
    ngx_http_request_t *r, ngx_http_webauthn_store_pt handler, void *data,
    ngx_uint_t script, int nkeys, int argc, const char **argv,
    const size_t *argvlen);
static ngx_int_t ngx_http_webauthn_store_go(ngx_http_webauthn_store_t *st,
    ngx_http_webauthn_store_op_t *op);
static void ngx_http_webauthn_store_deliver(ngx_http_webauthn_store_op_t *op,
    redisReply *reply);
static void ngx_http_webauthn_store_timeout(ngx_event_t *ev);
static void ngx_http_webauthn_store_cleanup(void *data);
static void ngx_http_webauthn_store_free_op(ngx_http_webauthn_store_op_t *op);
static uint64_t ngx_http_webauthn_store_now(void);

static ngx_uint_t ngx_http_webauthn_cache_trusted(
    ngx_http_webauthn_store_t *st);
static void ngx_http_webauthn_cache_fill(ngx_http_webauthn_store_t *st,
    ngx_http_webauthn_store_op_t *op, redisReply *rr);
static void ngx_http_webauthn_cache_untrack(ngx_http_webauthn_store_t *st);
static void ngx_http_webauthn_cache_refuse(ngx_http_webauthn_store_t *st,
    const char *what, redisReply *rr);
static void ngx_http_webauthn_tracker_setup(ngx_http_webauthn_store_t *st);
static void ngx_http_webauthn_tracker_id(redisAsyncContext *ac, void *reply,
    void *privdata);
static void ngx_http_webauthn_tracker_message(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_webauthn_tracking_on(ngx_http_webauthn_store_t *st);
static void ngx_http_webauthn_tracking_reply(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_webauthn_heartbeat_handler(ngx_event_t *ev);
static void ngx_http_webauthn_turn_handler(ngx_event_t *ev);

static void ngx_http_webauthn_event_read(ngx_event_t *ev);
static void ngx_http_webauthn_event_write(ngx_event_t *ev);
static void ngx_http_webauthn_event_add_read(void *privdata);
static void ngx_http_webauthn_event_del_read(void *privdata);
static void ngx_http_webauthn_event_add_write(void *privdata);
static void ngx_http_webauthn_event_del_write(void *privdata);
static void ngx_http_webauthn_event_cleanup(void *privdata);


/* the worker's store; NULL without webauthn_redis */
static ngx_http_webauthn_store_t  *ngx_http_webauthn_store;

/* Redis' channel of invalidation messages, for a client in RESP2 */
static u_char  ngx_http_webauthn_invalidate[] = "__redis__:invalidate";


ngx_int_t
ngx_http_webauthn_store_init_process(ngx_cycle_t *cycle)
{
    u_char                          *p;
    unsigned int                     len;
    EVP_MD                          *sha1;
    ngx_uint_t                       i;
    ngx_http_webauthn_store_t       *st;
    ngx_http_webauthn_main_conf_t   *wmcf;
    u_char                           md[EVP_MAX_MD_SIZE];
    u_char                           rnd[NGX_HTTP_WEBAUTHN_CHANNEL_RND];

    ngx_http_webauthn_store = NULL;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    wmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_webauthn_module);

    if (wmcf == NULL || wmcf->redis == NULL) {
        return NGX_OK;
    }

    /*
     * EVALSHA names a script by the SHA-1 of its text.  The digest is
     * fetched explicitly and freed: OpenSSL keeps what EVP_sha1() fetches
     * implicitly until the process ends.
     */

    sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    if (sha1 == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "webauthn: no SHA-1 for the store scripts");
        return NGX_ERROR;
    }

    for (i = 1; i < ngx_http_webauthn_nscripts; i++) {
        if (EVP_Digest(ngx_http_webauthn_scripts[i].text,
                       ngx_strlen(ngx_http_webauthn_scripts[i].text),
                       md, &len, sha1, NULL)
            != 1)
        {
            ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                          "webauthn: SHA-1 of a store script failed");
            EVP_MD_free(sha1);
            return NGX_ERROR;
        }

        p = ngx_hex_dump(ngx_http_webauthn_scripts[i].sha, md, len);
        *p = '\0';
    }

    EVP_MD_free(sha1);

    st = ngx_pcalloc(cycle->pool, sizeof(ngx_http_webauthn_store_t));
    if (st == NULL) {
        return NGX_ERROR;
    }

    st->conf = wmcf->redis;
    st->log = cycle->log;
    st->tracker_id = -1;

    st->main.store = st;
    st->main.backoff = NGX_HTTP_WEBAUTHN_BACKOFF_MIN;
    st->main.reconnect.handler = ngx_http_webauthn_store_reconnect_handler;
    st->main.reconnect.data = &st->main;
    st->main.reconnect.log = cycle->log;
    st->main.reconnect.cancelable = 1;

    ngx_http_webauthn_store = st;

    if (wmcf->session_cache) {
        /* a session is its record and its user's epoch: two keys */

        st->cache = ngx_http_webauthn_cache_create(2 * wmcf->session_cache,
                                                   cycle->log);
        if (st->cache == NULL) {
            return NGX_ERROR;
        }

        /*
         * The heartbeat's channel is the worker's own: another worker's,
         * or another node's, heartbeat must not vouch for this tracker.
         */

        if (ngx_http_webauthn_random(rnd, sizeof(rnd)) != NGX_OK) {
            return NGX_ERROR;
        }

        p = ngx_cpymem(st->channel, "wa:heartbeat:",
                       sizeof("wa:heartbeat:") - 1);
        p = ngx_hex_dump(p, rnd, sizeof(rnd));
        *p = '\0';

        st->tracker = st->main;
        st->tracker.tracker = 1;
        st->tracker.reconnect.data = &st->tracker;

        st->interval = st->conf->timeout / 2 ? st->conf->timeout / 2 : 1;

        st->heartbeat.handler = ngx_http_webauthn_heartbeat_handler;
        st->heartbeat.data = st;
        st->heartbeat.log = cycle->log;
        st->heartbeat.cancelable = 1;

        ngx_add_timer(&st->heartbeat, st->interval);

        st->turn.handler = ngx_http_webauthn_turn_handler;
        st->turn.data = st;
        st->turn.log = cycle->log;

        ngx_http_webauthn_store_connect(&st->tracker);
    }

    ngx_http_webauthn_store_connect(&st->main);

    return NGX_OK;
}


void
ngx_http_webauthn_store_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_webauthn_store_t  *st;

    st = ngx_http_webauthn_store;

    if (st == NULL) {
        return;
    }

    st->exiting = 1;

    if (st->main.reconnect.timer_set) {
        ngx_del_timer(&st->main.reconnect);
    }

    if (st->tracker.reconnect.timer_set) {
        ngx_del_timer(&st->tracker.reconnect);
    }

    if (st->heartbeat.timer_set) {
        ngx_del_timer(&st->heartbeat);
    }

    if (st->turn.posted) {
        ngx_delete_posted_event(&st->turn);
    }

    /* hiredis closes its sockets; nginx must not find them open at exit */
    ngx_http_webauthn_store_drop(&st->main);
    ngx_http_webauthn_store_drop(&st->tracker);

    ngx_http_webauthn_cache_destroy(st->cache);
    st->cache = NULL;

    ngx_http_webauthn_store = NULL;
}


static void
ngx_http_webauthn_store_connect(ngx_http_webauthn_store_conn_t *conn)
{
    ngx_connection_t                *c;
    redisAsyncContext               *ac;
    ngx_http_webauthn_store_t       *st;
    ngx_http_webauthn_redis_conf_t  *rc;

    st = conn->store;
    rc = st->conf;

    if (rc->path.len) {
        ac = redisAsyncConnectUnix((char *) rc->path.data);

    } else {
        /* an IP address: getaddrinfo() does not block on it */
        ac = redisAsyncConnect((char *) rc->host.data, rc->port);
    }

    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ERR, st->log, 0,
                      "webauthn: redis \"%V\": no memory to connect",
                      &rc->name);
        ngx_http_webauthn_store_schedule(conn);
        return;
    }

    if (ac->err) {
        ngx_log_error(NGX_LOG_ERR, st->log, 0,
                      "webauthn: redis \"%V\": connect failed: %s",
                      &rc->name, ac->errstr);
        redisAsyncFree(ac);
        ngx_http_webauthn_store_schedule(conn);
        return;
    }

    c = ngx_get_connection(ac->c.fd, st->log);
    if (c == NULL) {
        redisAsyncFree(ac);
        ngx_http_webauthn_store_schedule(conn);
        return;
    }

    c->data = ac;
    c->read->handler = ngx_http_webauthn_event_read;
    c->write->handler = ngx_http_webauthn_event_write;
    c->read->log = st->log;
    c->write->log = st->log;

    ac->data = conn;
    ac->ev.data = c;
    ac->ev.addRead = ngx_http_webauthn_event_add_read;
    ac->ev.delRead = ngx_http_webauthn_event_del_read;
    ac->ev.addWrite = ngx_http_webauthn_event_add_write;
    ac->ev.delWrite = ngx_http_webauthn_event_del_write;
    ac->ev.cleanup = ngx_http_webauthn_event_cleanup;

    redisAsyncSetConnectCallback(ac, ngx_http_webauthn_store_connected);
    redisAsyncSetDisconnectCallback(ac, ngx_http_webauthn_store_disconnected);

    conn->ac = ac;
    conn->state = NGX_HTTP_WEBAUTHN_STORE_CONNECTING;

    /* AUTH and SELECT go first, pipelined before any command */

    if (rc->password.len) {
        if (redisAsyncCommand(ac, ngx_http_webauthn_store_setup_reply,
                              "AUTH", "AUTH %b", rc->password.data,
                              rc->password.len)
            != REDIS_OK)
        {
            goto failed;
        }
    }

    /* for CLIENT LIST; a Redis that refuses names is served all the same */

    if (redisAsyncCommand(ac, NULL, NULL, "CLIENT SETNAME %s",
                          conn->tracker ? "webauthn-tracker" : "webauthn")
        != REDIS_OK)
    {
        goto failed;
    }

    if (conn->tracker) {
        /* the keys in invalidation messages carry no database */
        ngx_http_webauthn_tracker_setup(st);
        return;
    }

    if (rc->db) {
        if (redisAsyncCommand(ac, ngx_http_webauthn_store_setup_reply,
                              "SELECT", "SELECT %d", (int) rc->db)
            != REDIS_OK)
        {
            goto failed;
        }
    }

    ngx_http_webauthn_tracking_on(st);

    return;

failed:

    ngx_http_webauthn_store_drop(conn);
    ngx_http_webauthn_store_schedule(conn);
}


static void
ngx_http_webauthn_store_schedule(ngx_http_webauthn_store_conn_t *conn)
{
    if (conn->store->exiting || ngx_exiting || ngx_quit || ngx_terminate) {
        return;
    }

    if (conn->tracker && conn->store->refused) {
        return;
    }

    if (conn->reconnect.timer_set) {
        return;
    }

    ngx_add_timer(&conn->reconnect, conn->backoff);

    conn->backoff *= 2;

    if (conn->backoff > NGX_HTTP_WEBAUTHN_BACKOFF_MAX) {
        conn->backoff = NGX_HTTP_WEBAUTHN_BACKOFF_MAX;
    }
}


static void
ngx_http_webauthn_store_reconnect_handler(ngx_event_t *ev)
{
    ngx_http_webauthn_store_conn_t  *conn = ev->data;

    if (conn->ac == NULL && !conn->store->exiting) {
        ngx_http_webauthn_store_connect(conn);
    }
}


/*
 * Frees a connection from outside hiredis' callbacks: every command still
 * waiting is answered NULL through its callback.  conn->ac is cleared
 * first, so that a request handler that runs meanwhile finds the store
 * unavailable instead of a context being freed.
 */

static void
ngx_http_webauthn_store_drop(ngx_http_webauthn_store_conn_t *conn)
{
    redisAsyncContext  *ac;

    ac = conn->ac;

    if (ac == NULL) {
        return;
    }

    ngx_http_webauthn_store_gone(conn);

    redisAsyncFree(ac);
}


/* a connection is gone: what depended on it goes too */

static void
ngx_http_webauthn_store_gone(ngx_http_webauthn_store_conn_t *conn)
{
    ngx_http_webauthn_store_t  *st;

    st = conn->store;

    conn->ac = NULL;
    conn->state = NGX_HTTP_WEBAUTHN_STORE_DISCONNECTED;

    if (conn->tracker) {
        st->tracker_id = -1;
        st->subscribed = 0;

    } else {
        ngx_http_webauthn_metric_store_state(0, 0);
    }

    /* either connection lost: changes may go unheard from now on */
    ngx_http_webauthn_cache_untrack(st);
}


static void
ngx_http_webauthn_store_connected(const redisAsyncContext *ac, int status)
{
    ngx_http_webauthn_store_conn_t  *conn = ac->data;

    ngx_http_webauthn_store_t  *st;

    st = conn->store;

    if (status != REDIS_OK) {
        /* hiredis frees the context when this returns */

        ngx_log_error(NGX_LOG_ERR, st->log, 0,
                      "webauthn: redis \"%V\": connect failed: %s",
                      &st->conf->name, ac->errstr);

        if (conn->ac == ac) {
            ngx_http_webauthn_store_gone(conn);
        }

        if (!conn->tracker) {
            /* and a failed attempt, for the metrics */
            ngx_http_webauthn_metric_store_state(0, 1);
        }

        ngx_http_webauthn_store_schedule(conn);
        return;
    }

    conn->state = NGX_HTTP_WEBAUTHN_STORE_READY;

    if (conn->tracker) {
        return;
    }

    ngx_log_error(NGX_LOG_INFO, st->log, 0,
                  "webauthn: redis \"%V\": connected", &st->conf->name);

    ngx_http_webauthn_metric_store_state(1, 1);

    /*
     * The delay starts over once Redis has answered a command: a server
     * that accepts connections and then refuses AUTH is retried with the
     * growing delay, not ten times a second.
     */
}


static void
ngx_http_webauthn_store_disconnected(const redisAsyncContext *ac, int status)
{
    ngx_http_webauthn_store_conn_t  *conn = ac->data;

    ngx_http_webauthn_store_t  *st;

    st = conn->store;

    /* hiredis frees the context when this returns */

    if (conn->ac == ac) {
        ngx_http_webauthn_store_gone(conn);

    } else if (!conn->tracker) {
        ngx_http_webauthn_metric_store_state(0, 0);
    }

    if (st->exiting) {
        return;
    }

    if (status != REDIS_OK) {
        ngx_log_error(NGX_LOG_ERR, st->log, 0,
                      "webauthn: redis \"%V\": %sconnection lost: %s",
                      &st->conf->name,
                      conn->tracker ? "invalidation " : "", ac->errstr);

    } else if (!conn->tracker || !st->refused) {
        ngx_log_error(NGX_LOG_WARN, st->log, 0,
                      "webauthn: redis \"%V\": %sdisconnected",
                      &st->conf->name, conn->tracker ? "invalidation " : "");
    }

    ngx_http_webauthn_store_schedule(conn);
}


/* AUTH and SELECT: a refusal makes the connection useless */

static void
ngx_http_webauthn_store_setup_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply                      *rr = reply;
    ngx_http_webauthn_store_conn_t  *conn = ac->data;

    if (rr == NULL || rr->type != REDIS_REPLY_ERROR) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, conn->store->log, 0,
                  "webauthn: redis \"%V\": %s refused: %*s",
                  &conn->store->conf->name, (char *) privdata,
                  (size_t) rr->len, rr->str);

    /* inside a callback: only a deferred disconnect is allowed */
    redisAsyncDisconnect(ac);
}


ngx_int_t
ngx_http_webauthn_store_command(ngx_http_request_t *r,
    ngx_http_webauthn_store_pt handler, void *data, ngx_uint_t script,
    int nkeys, int argc, const char **argv, const size_t *argvlen)
{
    ngx_http_webauthn_store_t     *st;
    ngx_http_webauthn_store_op_t  *op;

    st = ngx_http_webauthn_store;

    if (st == NULL) {
        return NGX_DECLINED;
    }

    if (st->main.ac == NULL
        || st->main.state == NGX_HTTP_WEBAUTHN_STORE_DISCONNECTED)
    {
        ngx_http_webauthn_metric_store_error(
            NGX_HTTP_WEBAUTHN_STORE_UNAVAILABLE);
        return NGX_DECLINED;
    }

    op = ngx_http_webauthn_store_op(r, handler, data, script, nkeys, argc,
                                    argv, argvlen);
    if (op == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_webauthn_store_go(st, op);
}


ngx_int_t
ngx_http_webauthn_store_mget_cached(ngx_http_request_t *r,
    ngx_http_webauthn_store_pt handler, void *data, int argc,
    const char **argv, const size_t *argvlen)
{
    ngx_http_webauthn_store_t     *st;
    ngx_http_webauthn_store_op_t  *op;

    st = ngx_http_webauthn_store;

    if (st == NULL || !ngx_http_webauthn_cache_trusted(st)) {
        if (st && st->cache) {
            ngx_http_webauthn_metric_session_cache(
                NGX_HTTP_WEBAUTHN_CACHE_BYPASS);
        }

        return ngx_http_webauthn_store_command(r, handler, data,
                                               NGX_HTTP_WEBAUTHN_SCRIPT_NONE,
                                               0, argc, argv, argvlen);
    }

    ngx_http_webauthn_metric_session_cache(NGX_HTTP_WEBAUTHN_CACHE_MISS);

    op = ngx_http_webauthn_store_op(r, handler, data,
                                    NGX_HTTP_WEBAUTHN_SCRIPT_NONE, 0, argc,
                                    argv, argvlen);
    if (op == NULL) {
        return NGX_ERROR;
    }

    /*
     * In OPTIN mode Redis tracks the keys of the one command that follows
     * CLIENT CACHING yes; nothing can come between the two here.
     */

    if (redisAsyncCommand(st->main.ac, NULL, NULL, "CLIENT CACHING yes")
        == REDIS_OK)
    {
        op->fill = 1;
        op->seq = st->seq;
    }

    return ngx_http_webauthn_store_go(st, op);
}


static ngx_http_webauthn_store_op_t *
ngx_http_webauthn_store_op(ngx_http_request_t *r,
    ngx_http_webauthn_store_pt handler, void *data, ngx_uint_t script,
    int nkeys, int argc, const char **argv, const size_t *argvlen)
{
    int                            i, n;
    u_char                        *p;
    size_t                         size;
    ngx_http_webauthn_store_t     *st;
    ngx_http_webauthn_store_op_t  *op;

    st = ngx_http_webauthn_store;

    n = script ? 3 : 0;

    if (argc + n > NGX_HTTP_WEBAUTHN_ARGV_MAX) {
        return NULL;
    }

    /* the arguments are copied: a NOSCRIPT answer sends them again */

    size = sizeof(ngx_http_webauthn_store_op_t) + NGX_INT_T_LEN;

    for (i = 0; i < argc; i++) {
        size += argvlen[i];
    }

    op = ngx_calloc(size, st->log);
    if (op == NULL) {
        return NULL;
    }

    p = (u_char *) op + sizeof(ngx_http_webauthn_store_op_t);

    op->r = r;
    op->orphan = (r == NULL);
    op->handler = handler;
    op->data = data;
    op->script = script;
    op->argc = argc + n;
    op->start = ngx_http_webauthn_store_now();

    if (script) {
        /* argv[0] and argv[1] are set by ngx_http_webauthn_store_send() */
        op->argv[2] = (char *) p;
        p = ngx_sprintf(p, "%d", nkeys);
        op->argvlen[2] = p - (u_char *) op->argv[2];
    }

    for (i = 0; i < argc; i++) {
        op->argv[n + i] = (char *) p;
        op->argvlen[n + i] = argvlen[i];
        p = ngx_cpymem(p, argv[i], argvlen[i]);
    }

    if (r) {
        op->cln = ngx_pool_cleanup_add(r->pool, 0);
        if (op->cln == NULL) {
            ngx_free(op);
            return NULL;
        }

        op->cln->handler = ngx_http_webauthn_store_cleanup;
        op->cln->data = op;

        op->timer.handler = ngx_http_webauthn_store_timeout;
        op->timer.data = op;
        op->timer.log = r->connection->log;
    }

    return op;
}


static ngx_int_t
ngx_http_webauthn_store_go(ngx_http_webauthn_store_t *st,
    ngx_http_webauthn_store_op_t *op)
{
    if (ngx_http_webauthn_store_send(st, op, 0) != NGX_OK) {
        ngx_http_webauthn_store_free_op(op);
        return NGX_DECLINED;
    }

    if (op->r) {
        ngx_add_timer(&op->timer, st->conf->timeout);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_webauthn_store_send(ngx_http_webauthn_store_t *st,
    ngx_http_webauthn_store_op_t *op, ngx_uint_t eval)
{
    ngx_http_webauthn_script_t  *s;

    if (op->script) {
        s = &ngx_http_webauthn_scripts[op->script];

        if (eval) {
            op->argv[0] = "EVAL";
            op->argvlen[0] = 4;
            op->argv[1] = s->text;
            op->argvlen[1] = ngx_strlen(s->text);

        } else {
            op->argv[0] = "EVALSHA";
            op->argvlen[0] = 7;
            op->argv[1] = (char *) s->sha;
            op->argvlen[1] = 40;
        }
    }

    if (redisAsyncCommandArgv(st->main.ac, ngx_http_webauthn_store_reply, op,
                              op->argc, op->argv, op->argvlen)
        != REDIS_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_webauthn_store_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply                      *rr = reply;
    ngx_http_webauthn_store_op_t    *op = privdata;
    ngx_http_webauthn_store_conn_t  *conn = ac->data;

    ngx_http_webauthn_store_t  *st;

    st = conn->store;

    /*
     * A Redis restarted or flushed forgets its scripts: send the text,
     * also for a command nobody waits for (its effect is wanted all the
     * same); the op holds its own copy of the arguments.
     */

    if (rr && rr->type == REDIS_REPLY_ERROR && op->script && !op->retried
        && rr->len >= 8 && ngx_strncmp(rr->str, "NOSCRIPT", 8) == 0
        && st->main.ac == ac)
    {
        op->retried = 1;

        if (ngx_http_webauthn_store_send(st, op, 1) == NGX_OK) {
            return;
        }
    }

    if (rr && rr->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, st->log, 0,
                      "webauthn: redis \"%V\": %*s",
                      &st->conf->name, (size_t) rr->len, rr->str);
        rr = NULL;

    } else if (rr) {
        conn->backoff = NGX_HTTP_WEBAUTHN_BACKOFF_MIN;

        if (op->fill) {
            ngx_http_webauthn_cache_fill(st, op, rr);
        }
    }

    /* once per command: a timed-out one was counted by its timer */

    if (!op->counted) {
        op->counted = 1;

        if (rr) {
            ngx_http_webauthn_metric_store_latency(
                ngx_http_webauthn_store_now() - op->start);

        } else {
            ngx_http_webauthn_metric_store_error(
                (reply && ((redisReply *) reply)->type == REDIS_REPLY_ERROR)
                ? NGX_HTTP_WEBAUTHN_STORE_ERROR
                : NGX_HTTP_WEBAUTHN_STORE_LOST);
        }
    }

    if (op->r) {
        ngx_http_webauthn_store_deliver(op, rr);

    } else if (op->orphan && op->handler) {
        /* nobody waits, but the answer is wanted (metrics) */
        op->handler(NULL, op->data, rr);
    }

    ngx_http_webauthn_store_free_op(op);
}


static void
ngx_http_webauthn_store_deliver(ngx_http_webauthn_store_op_t *op,
    redisReply *reply)
{
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = op->r;
    c = r->connection;

    /* the answer is given once: detach from the request first */

    op->r = NULL;

    if (op->cln) {
        op->cln->handler = NULL;
        op->cln = NULL;
    }

    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }

    op->handler(r, op->data, reply);

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_webauthn_store_timeout(ngx_event_t *ev)
{
    void                          *data;
    ngx_connection_t              *c;
    ngx_http_request_t            *r;
    ngx_http_webauthn_store_t     *st;
    ngx_http_webauthn_store_pt     handler;
    ngx_http_webauthn_store_op_t  *op = ev->data;

    st = ngx_http_webauthn_store;

    r = op->r;
    c = r->connection;
    handler = op->handler;
    data = op->data;

    ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                  "webauthn: redis \"%V\" timed out",
                  &st->conf->name);

    /* counted once: not again as lost when the connection goes below */

    op->counted = 1;
    ngx_http_webauthn_metric_store_error(NGX_HTTP_WEBAUTHN_STORE_TIMEOUT);

    /* detached, op is freed by its callback when the connection goes */

    op->r = NULL;

    if (op->cln) {
        op->cln->handler = NULL;
        op->cln = NULL;
    }

    /*
     * The connection goes first: every other command on it is answered
     * NULL now, and a handler that sends a new command finds the store
     * unavailable instead of queueing behind a dead connection.
     */

    ngx_http_webauthn_store_drop(&st->main);
    ngx_http_webauthn_store_schedule(&st->main);

    handler(r, data, NULL);

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_webauthn_store_cleanup(void *data)
{
    ngx_http_webauthn_store_op_t  *op = data;

    /* the request is gone; hiredis will still call back, and free op */

    op->r = NULL;
    op->cln = NULL;

    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }
}


static void
ngx_http_webauthn_store_free_op(ngx_http_webauthn_store_op_t *op)
{
    if (op->cln) {
        op->cln->handler = NULL;
    }

    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }

    ngx_free(op);
}


/*
 * The session cache.  Redis tracks, for the main connection (CLIENT
 * TRACKING ... OPTIN), the keys of every MGET sent after CLIENT CACHING
 * yes, and when one of them changes, is deleted or expires, it sends the
 * key's name to the tracker, which deletes the entry.  The cache is used
 * only while all of that demonstrably works:
 *
 *   - both connections are up and TRACKING was answered OK on this very
 *     main connection, naming this very tracker (a lost connection of
 *     either kind empties the cache: changes may have gone unheard);
 *   - a heartbeat, published on the main connection every half timeout,
 *     was heard on the tracker within the last timeout: a Redis that
 *     stops answering, or a tracker that stops hearing, stops the cache
 *     within a timeout;
 *   - what the tracker has already received is read before an entry is
 *     used, once a turn of the event loop, so that a change Redis made
 *     before the turn that reads this request began is always seen, even
 *     when both arrived for the same turn.
 *
 * An answer is kept only if no invalidation (of any key) came in while it
 * was on its way: an invalidation may overtake the answer it concerns.
 */

ngx_int_t
ngx_http_webauthn_store_cached(ngx_uint_t n, ngx_str_t *keys,
    ngx_str_t *values)
{
    ngx_uint_t                  i;
    ngx_http_webauthn_store_t  *st;

    st = ngx_http_webauthn_store;

    if (st == NULL || !ngx_http_webauthn_cache_trusted(st)) {
        return NGX_DECLINED;
    }

    /*
     * What has come in on the tracker first, then the entries: epoll
     * hands out one turn's events in no particular order, and a request
     * must not be served before an invalidation that arrived ahead of
     * it.  Once a turn is enough: every request served in this turn was
     * signalled by the epoll_wait() that began it, so whatever preceded
     * it on the tracker was there by then.  A recv() per request cost
     * the gate about a tenth of its rate.
     */

    if (!st->drained) {
        redisAsyncHandleRead(st->tracker.ac);

        if (!ngx_http_webauthn_cache_trusted(st)) {
            return NGX_DECLINED;
        }

        st->drained = 1;
        ngx_post_event(&st->turn, &ngx_posted_events);
    }

    for (i = 0; i < n; i++) {
        if (ngx_http_webauthn_cache_get(st->cache, keys[i].data, keys[i].len,
                                        &values[i])
            != NGX_OK)
        {
            return NGX_DECLINED;
        }
    }

    ngx_http_webauthn_metric_session_cache(NGX_HTTP_WEBAUTHN_CACHE_HIT);

    return NGX_OK;
}


/* the posted events close a turn of the event loop: the next one reads */

static void
ngx_http_webauthn_turn_handler(ngx_event_t *ev)
{
    ngx_http_webauthn_store_t *st = ev->data;

    st->drained = 0;
}


static ngx_uint_t
ngx_http_webauthn_cache_trusted(ngx_http_webauthn_store_t *st)
{
    return st->cache != NULL
           && st->main.ac != NULL
           && st->main.state == NGX_HTTP_WEBAUTHN_STORE_READY
           && st->tracking == st->main.ac
           && st->tracker.ac != NULL
           && st->subscribed == 2
           && ngx_current_msec - st->heard < st->conf->timeout;
}


/* the answer to a tracked MGET: argv[1..] are its keys */

static void
ngx_http_webauthn_cache_fill(ngx_http_webauthn_store_t *st,
    ngx_http_webauthn_store_op_t *op, redisReply *rr)
{
    size_t       i;
    ngx_str_t    value;
    redisReply  *e;

    if (op->seq != st->seq || !ngx_http_webauthn_cache_trusted(st)
        || rr->type != REDIS_REPLY_ARRAY
        || rr->elements != (size_t) op->argc - 1)
    {
        return;
    }

    for (i = 0; i < rr->elements; i++) {
        e = rr->element[i];

        if (e->type == REDIS_REPLY_NIL) {
            ngx_http_webauthn_cache_put(st->cache, (u_char *) op->argv[i + 1],
                                        op->argvlen[i + 1], NULL);

        } else if (e->type == REDIS_REPLY_STRING) {
            value.data = (u_char *) e->str;
            value.len = e->len;

            ngx_http_webauthn_cache_put(st->cache, (u_char *) op->argv[i + 1],
                                        op->argvlen[i + 1], &value);
        }
    }
}


/* the cache can no longer hear of changes: it starts over, empty */

static void
ngx_http_webauthn_cache_untrack(ngx_http_webauthn_store_t *st)
{
    st->tracking = NULL;
    st->seq++;

    if (st->cache) {
        ngx_http_webauthn_cache_flush(st->cache);
    }
}


/*
 * Redis refused a command of the cache's set-up.  When it cannot track
 * (older than 6: an unknown command; an ACL that forbids CLIENT or
 * SUBSCRIBE) the worker goes on without the cache, said once.  Anything
 * else (a tracker that went away meanwhile, a Redis still loading) is
 * passing: the tracker starts over.
 */

static void
ngx_http_webauthn_cache_refuse(ngx_http_webauthn_store_t *st,
    const char *what, redisReply *rr)
{
    ngx_uint_t  lasting;

    lasting = rr == NULL
              || (rr->len >= 6 && ngx_strncmp(rr->str, "NOPERM", 6) == 0)
              || ngx_strlcasestrn((u_char *) rr->str,
                                  (u_char *) rr->str + rr->len,
                                  (u_char *) "unknown", 7 - 1)
                 != NULL;

    ngx_http_webauthn_cache_untrack(st);

    if (st->refused) {
        return;
    }

    if (lasting) {
        st->refused = 1;

        ngx_log_error(NGX_LOG_WARN, st->log, 0,
                      "webauthn: redis \"%V\": %s refused: %*s; the session "
                      "cache is off, every session is checked in Redis",
                      &st->conf->name, what,
                      (size_t) (rr ? rr->len : 0), rr ? rr->str : "");

    } else {
        ngx_log_error(NGX_LOG_WARN, st->log, 0,
                      "webauthn: redis \"%V\": %s refused: %*s; the session "
                      "cache starts over", &st->conf->name, what,
                      (size_t) rr->len, rr->str);
    }

    if (st->tracker.ac) {
        /* inside a callback, perhaps: only a deferred disconnect */
        redisAsyncDisconnect(st->tracker.ac);
    }
}


/* the tracker: CLIENT ID, then SUBSCRIBE to invalidations and heartbeat */

static void
ngx_http_webauthn_tracker_setup(ngx_http_webauthn_store_t *st)
{
    redisAsyncContext  *ac;

    ac = st->tracker.ac;

    if (redisAsyncCommand(ac, ngx_http_webauthn_tracker_id, NULL,
                          "CLIENT ID")
        != REDIS_OK
        || redisAsyncCommand(ac, ngx_http_webauthn_tracker_message, NULL,
                             "SUBSCRIBE %s %s", ngx_http_webauthn_invalidate,
                             st->channel)
           != REDIS_OK)
    {
        ngx_http_webauthn_store_drop(&st->tracker);
        ngx_http_webauthn_store_schedule(&st->tracker);
    }
}


static void
ngx_http_webauthn_tracker_id(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply                      *rr = reply;
    ngx_http_webauthn_store_conn_t  *conn = ac->data;

    ngx_http_webauthn_store_t  *st;

    st = conn->store;

    if (rr == NULL || st->tracker.ac != ac) {
        return;
    }

    if (rr->type != REDIS_REPLY_INTEGER) {
        ngx_http_webauthn_cache_refuse(st, "CLIENT ID",
                                       rr->type == REDIS_REPLY_ERROR
                                       ? rr : NULL);
        return;
    }

    st->tracker_id = rr->integer;
}


static void
ngx_http_webauthn_tracker_message(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    size_t                           i;
    redisReply                      *rr = reply, *kind, *channel, *keys;
    ngx_http_webauthn_store_conn_t  *conn = ac->data;

    ngx_http_webauthn_store_t  *st;

    st = conn->store;

    if (rr == NULL || st->tracker.ac != ac) {
        return;
    }

    if (rr->type == REDIS_REPLY_ERROR) {
        ngx_http_webauthn_cache_refuse(st, "SUBSCRIBE", rr);
        return;
    }

    if (rr->type != REDIS_REPLY_ARRAY || rr->elements != 3
        || rr->element[0]->type != REDIS_REPLY_STRING
        || rr->element[1]->type != REDIS_REPLY_STRING)
    {
        return;
    }

    kind = rr->element[0];
    channel = rr->element[1];

    if (kind->len == sizeof("subscribe") - 1
        && ngx_strncmp(kind->str, "subscribe", kind->len) == 0)
    {
        if (++st->subscribed == 2) {
            st->heard = ngx_current_msec;
            ngx_http_webauthn_tracking_on(st);
        }

        return;
    }

    if (kind->len != sizeof("message") - 1
        || ngx_strncmp(kind->str, "message", kind->len) != 0)
    {
        return;
    }

    if ((size_t) channel->len != sizeof(ngx_http_webauthn_invalidate) - 1
        || ngx_strncmp(channel->str, ngx_http_webauthn_invalidate,
                       channel->len)
           != 0)
    {
        /* the heartbeat: invalidations are heard */
        st->heard = ngx_current_msec;
        return;
    }

    st->seq++;

    if (st->cache == NULL) {
        return;
    }

    keys = rr->element[2];

    if (keys->type != REDIS_REPLY_ARRAY) {
        /* FLUSHDB, FLUSHALL: every key */
        ngx_http_webauthn_cache_flush(st->cache);
        return;
    }

    for (i = 0; i < keys->elements; i++) {
        if (keys->element[i]->type == REDIS_REPLY_STRING) {
            ngx_http_webauthn_cache_delete(st->cache,
                                           (u_char *) keys->element[i]->str,
                                           keys->element[i]->len);
        }
    }
}


/*
 * CLIENT TRACKING on the main connection, once both are there; sent again
 * for a new tracker (a new CLIENT ID), queued behind AUTH and SELECT for
 * a new main connection.
 */

static void
ngx_http_webauthn_tracking_on(ngx_http_webauthn_store_t *st)
{
    if (st->cache == NULL || st->refused || st->main.ac == NULL
        || st->tracker.ac == NULL || st->tracker_id < 0
        || st->subscribed != 2)
    {
        return;
    }

    st->tracking = NULL;

    if (redisAsyncCommand(st->main.ac, ngx_http_webauthn_tracking_reply,
                          (void *) (intptr_t) st->tracker_id,
                          "CLIENT TRACKING on REDIRECT %lld OPTIN",
                          st->tracker_id)
        != REDIS_OK)
    {
        ngx_http_webauthn_store_drop(&st->main);
        ngx_http_webauthn_store_schedule(&st->main);
    }
}


static void
ngx_http_webauthn_tracking_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply                      *rr = reply;
    ngx_http_webauthn_store_conn_t  *conn = ac->data;

    ngx_http_webauthn_store_t  *st;

    st = conn->store;

    if (rr == NULL || st->main.ac != ac) {
        return;
    }

    /* the answer about a tracker since replaced counts for nothing */

    if ((intptr_t) privdata != st->tracker_id || st->subscribed != 2) {
        return;
    }

    if (rr->type == REDIS_REPLY_ERROR) {
        ngx_http_webauthn_cache_refuse(st, "CLIENT TRACKING", rr);
        return;
    }

    st->seq++;
    st->tracking = ac;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, st->log, 0,
                   "webauthn: session cache on, tracker %L",
                   (int64_t) st->tracker_id);
}


static void
ngx_http_webauthn_heartbeat_handler(ngx_event_t *ev)
{
    ngx_http_webauthn_store_t  *st = ev->data;

    if (st->exiting || st->refused) {
        return;
    }

    if (st->tracker.ac && st->subscribed == 2 && st->main.ac
        && st->main.state == NGX_HTTP_WEBAUTHN_STORE_READY)
    {
        (void) redisAsyncCommand(st->main.ac, NULL, NULL, "PUBLISH %s 1",
                                 st->channel);

        /*
         * Unheard for two timeouts: the tracker, or Redis, is stuck.  A
         * new tracker starts the cache over once Redis answers again.
         */

        if (ngx_current_msec - st->heard
            > 2 * st->conf->timeout + st->interval)
        {
            ngx_log_error(NGX_LOG_ERR, st->log, 0,
                          "webauthn: redis \"%V\": invalidations unheard "
                          "for %M ms, the session cache starts over",
                          &st->conf->name, ngx_current_msec - st->heard);

            ngx_http_webauthn_store_drop(&st->tracker);
            ngx_http_webauthn_store_schedule(&st->tracker);
        }
    }

    ngx_add_timer(&st->heartbeat, st->interval);
}


/* hiredis' event hooks on an nginx connection */


static void
ngx_http_webauthn_event_read(ngx_event_t *ev)
{
    ngx_connection_t  *c = ev->data;

    if (c->data) {
        redisAsyncHandleRead(c->data);
    }
}


static void
ngx_http_webauthn_event_write(ngx_event_t *ev)
{
    ngx_connection_t  *c = ev->data;

    redisAsyncContext               *ac;
    ngx_http_webauthn_store_conn_t  *conn;

    ac = c->data;

    if (ac == NULL) {
        return;
    }

    conn = ac->data;

    conn->writing = 1;
    redisAsyncHandleWrite(ac);

    /* the context may be gone; conn is the worker's and outlives it */
    conn->writing = 0;
}


static void
ngx_http_webauthn_event_add_read(void *privdata)
{
    ngx_connection_t  *c = privdata;

    if (!c->read->active) {
        (void) ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT);
    }
}


static void
ngx_http_webauthn_event_del_read(void *privdata)
{
    ngx_connection_t  *c = privdata;

    if (c->read->active) {
        (void) ngx_del_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT);
    }
}


/*
 * hiredis asks to write whenever a command is queued.  On a connected
 * socket the write is posted to the end of this turn of the event loop:
 * every command of the turn then goes out in one write(), with no
 * epoll_ctl() to arm and disarm a write event.  Only while connecting, or
 * when the socket did not take everything, does an event wait for it.
 */

static void
ngx_http_webauthn_event_add_write(void *privdata)
{
    ngx_connection_t  *c = privdata;

    ngx_http_webauthn_store_conn_t  *conn;

    if (c->write->active || c->write->posted) {
        return;
    }

    conn = ((redisAsyncContext *) c->data)->data;

    if (conn->state == NGX_HTTP_WEBAUTHN_STORE_READY && !conn->writing) {
        ngx_post_event(c->write, &ngx_posted_events);
        return;
    }

    (void) ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT);
}


static void
ngx_http_webauthn_event_del_write(void *privdata)
{
    ngx_connection_t  *c = privdata;

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    if (c->write->active) {
        (void) ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT);
    }
}


/*
 * Called by hiredis before it closes the socket: the events go, and the
 * nginx connection is freed without closing the descriptor.
 */

static void
ngx_http_webauthn_event_cleanup(void *privdata)
{
    ngx_connection_t  *c = privdata;

    ngx_http_webauthn_event_del_read(c);
    ngx_http_webauthn_event_del_write(c);

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    c->data = NULL;
    c->fd = (ngx_socket_t) -1;

    ngx_free_connection(c);
}


/* a monotonic clock in microseconds: ngx_current_msec is too coarse */

static uint64_t
ngx_http_webauthn_store_now(void)
{
    struct timespec  ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        return 0;
    }

    return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}
