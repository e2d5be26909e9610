
/*
 * The store: Redis through hiredis' asynchronous API on nginx's event loop.
 *
 * Each worker keeps one connection, made when the worker starts and made
 * again, with a growing delay, whenever it is lost.  Nothing here blocks:
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


typedef struct {
    ngx_http_webauthn_redis_conf_t  *conf;
    redisAsyncContext               *ac;
    ngx_uint_t                       state;
    ngx_event_t                      reconnect;
    ngx_msec_t                       backoff;
    ngx_log_t                       *log;
    unsigned                         exiting:1;
    unsigned                         writing:1;
} ngx_http_webauthn_store_t;


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
    int                              argc;
    const char                      *argv[NGX_HTTP_WEBAUTHN_ARGV_MAX];
    size_t                           argvlen[NGX_HTTP_WEBAUTHN_ARGV_MAX];
} ngx_http_webauthn_store_op_t;


static void ngx_http_webauthn_store_connect(ngx_http_webauthn_store_t *st);
static void ngx_http_webauthn_store_schedule(ngx_http_webauthn_store_t *st);
static void ngx_http_webauthn_store_reconnect_handler(ngx_event_t *ev);
static void ngx_http_webauthn_store_drop(ngx_http_webauthn_store_t *st);
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
static void ngx_http_webauthn_store_deliver(ngx_http_webauthn_store_op_t *op,
    redisReply *reply);
static void ngx_http_webauthn_store_timeout(ngx_event_t *ev);
static void ngx_http_webauthn_store_cleanup(void *data);
static void ngx_http_webauthn_store_free_op(ngx_http_webauthn_store_op_t *op);
static uint64_t ngx_http_webauthn_store_now(void);

static void ngx_http_webauthn_event_read(ngx_event_t *ev);
static void ngx_http_webauthn_event_write(ngx_event_t *ev);
static void ngx_http_webauthn_event_add_read(void *privdata);
static void ngx_http_webauthn_event_del_read(void *privdata);
static void ngx_http_webauthn_event_add_write(void *privdata);
static void ngx_http_webauthn_event_del_write(void *privdata);
static void ngx_http_webauthn_event_cleanup(void *privdata);


/* the worker's store; NULL without webauthn_redis */
static ngx_http_webauthn_store_t  *ngx_http_webauthn_store;


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
    st->backoff = NGX_HTTP_WEBAUTHN_BACKOFF_MIN;

    st->reconnect.handler = ngx_http_webauthn_store_reconnect_handler;
    st->reconnect.data = st;
    st->reconnect.log = cycle->log;
    st->reconnect.cancelable = 1;

    ngx_http_webauthn_store = st;

    ngx_http_webauthn_store_connect(st);

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

    if (st->reconnect.timer_set) {
        ngx_del_timer(&st->reconnect);
    }

    /* hiredis closes its socket; nginx must not find it open at exit */
    ngx_http_webauthn_store_drop(st);

    ngx_http_webauthn_store = NULL;
}


static void
ngx_http_webauthn_store_connect(ngx_http_webauthn_store_t *st)
{
    ngx_connection_t                *c;
    redisAsyncContext               *ac;
    ngx_http_webauthn_redis_conf_t  *rc;

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
        ngx_http_webauthn_store_schedule(st);
        return;
    }

    if (ac->err) {
        ngx_log_error(NGX_LOG_ERR, st->log, 0,
                      "webauthn: redis \"%V\": connect failed: %s",
                      &rc->name, ac->errstr);
        redisAsyncFree(ac);
        ngx_http_webauthn_store_schedule(st);
        return;
    }

    c = ngx_get_connection(ac->c.fd, st->log);
    if (c == NULL) {
        redisAsyncFree(ac);
        ngx_http_webauthn_store_schedule(st);
        return;
    }

    c->data = ac;
    c->read->handler = ngx_http_webauthn_event_read;
    c->write->handler = ngx_http_webauthn_event_write;
    c->read->log = st->log;
    c->write->log = st->log;

    ac->data = st;
    ac->ev.data = c;
    ac->ev.addRead = ngx_http_webauthn_event_add_read;
    ac->ev.delRead = ngx_http_webauthn_event_del_read;
    ac->ev.addWrite = ngx_http_webauthn_event_add_write;
    ac->ev.delWrite = ngx_http_webauthn_event_del_write;
    ac->ev.cleanup = ngx_http_webauthn_event_cleanup;

    redisAsyncSetConnectCallback(ac, ngx_http_webauthn_store_connected);
    redisAsyncSetDisconnectCallback(ac, ngx_http_webauthn_store_disconnected);

    st->ac = ac;
    st->state = NGX_HTTP_WEBAUTHN_STORE_CONNECTING;

    /* AUTH and SELECT go first, pipelined before any command */

    if (rc->password.len) {
        if (redisAsyncCommand(ac, ngx_http_webauthn_store_setup_reply,
                              "AUTH", "AUTH %b", rc->password.data,
                              rc->password.len)
            != REDIS_OK)
        {
            ngx_http_webauthn_store_drop(st);
            ngx_http_webauthn_store_schedule(st);
            return;
        }
    }

    if (rc->db) {
        if (redisAsyncCommand(ac, ngx_http_webauthn_store_setup_reply,
                              "SELECT", "SELECT %d", (int) rc->db)
            != REDIS_OK)
        {
            ngx_http_webauthn_store_drop(st);
            ngx_http_webauthn_store_schedule(st);
            return;
        }
    }
}


static void
ngx_http_webauthn_store_schedule(ngx_http_webauthn_store_t *st)
{
    if (st->exiting || ngx_exiting || ngx_quit || ngx_terminate) {
        return;
    }

    if (st->reconnect.timer_set) {
        return;
    }

    ngx_add_timer(&st->reconnect, st->backoff);

    st->backoff *= 2;

    if (st->backoff > NGX_HTTP_WEBAUTHN_BACKOFF_MAX) {
        st->backoff = NGX_HTTP_WEBAUTHN_BACKOFF_MAX;
    }
}


static void
ngx_http_webauthn_store_reconnect_handler(ngx_event_t *ev)
{
    ngx_http_webauthn_store_t  *st = ev->data;

    if (st->ac == NULL && !st->exiting) {
        ngx_http_webauthn_store_connect(st);
    }
}


/*
 * Frees the connection from outside hiredis' callbacks: every command
 * still waiting is answered NULL through its callback.  st->ac is cleared
 * first, so that a request handler that runs meanwhile finds the store
 * unavailable instead of a context being freed.
 */

static void
ngx_http_webauthn_store_drop(ngx_http_webauthn_store_t *st)
{
    redisAsyncContext  *ac;

    ac = st->ac;

    if (ac == NULL) {
        return;
    }

    st->ac = NULL;
    st->state = NGX_HTTP_WEBAUTHN_STORE_DISCONNECTED;

    ngx_http_webauthn_metric_store_state(0, 0);

    redisAsyncFree(ac);
}


static void
ngx_http_webauthn_store_connected(const redisAsyncContext *ac, int status)
{
    ngx_http_webauthn_store_t  *st = ac->data;

    if (status != REDIS_OK) {
        /* hiredis frees the context when this returns */

        ngx_log_error(NGX_LOG_ERR, st->log, 0,
                      "webauthn: redis \"%V\": connect failed: %s",
                      &st->conf->name, ac->errstr);

        if (st->ac == ac) {
            st->ac = NULL;
            st->state = NGX_HTTP_WEBAUTHN_STORE_DISCONNECTED;
        }

        ngx_http_webauthn_metric_store_state(0, 1);
        ngx_http_webauthn_store_schedule(st);
        return;
    }

    ngx_log_error(NGX_LOG_INFO, st->log, 0,
                  "webauthn: redis \"%V\": connected", &st->conf->name);

    st->state = NGX_HTTP_WEBAUTHN_STORE_READY;

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
    ngx_http_webauthn_store_t  *st = ac->data;

    /* hiredis frees the context when this returns */

    if (st->ac == ac) {
        st->ac = NULL;
        st->state = NGX_HTTP_WEBAUTHN_STORE_DISCONNECTED;
    }

    ngx_http_webauthn_metric_store_state(0, 0);

    if (st->exiting) {
        return;
    }

    if (status != REDIS_OK) {
        ngx_log_error(NGX_LOG_ERR, st->log, 0,
                      "webauthn: redis \"%V\": connection lost: %s",
                      &st->conf->name, ac->errstr);

    } else {
        ngx_log_error(NGX_LOG_WARN, st->log, 0,
                      "webauthn: redis \"%V\": disconnected",
                      &st->conf->name);
    }

    ngx_http_webauthn_store_schedule(st);
}


/* AUTH and SELECT: a refusal makes the connection useless */

static void
ngx_http_webauthn_store_setup_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply                 *rr = reply;
    ngx_http_webauthn_store_t  *st = ac->data;

    if (rr == NULL || rr->type != REDIS_REPLY_ERROR) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, st->log, 0,
                  "webauthn: redis \"%V\": %s refused: %*s",
                  &st->conf->name, (char *) privdata,
                  (size_t) rr->len, rr->str);

    /* inside a callback: only a deferred disconnect is allowed */
    redisAsyncDisconnect(ac);
}


ngx_int_t
ngx_http_webauthn_store_command(ngx_http_request_t *r,
    ngx_http_webauthn_store_pt handler, void *data, ngx_uint_t script,
    int nkeys, int argc, const char **argv, const size_t *argvlen)
{
    int                            i, n;
    u_char                        *p;
    size_t                         size;
    ngx_http_webauthn_store_t     *st;
    ngx_http_webauthn_store_op_t  *op;

    st = ngx_http_webauthn_store;

    if (st == NULL) {
        return NGX_DECLINED;
    }

    if (st->ac == NULL || st->state == NGX_HTTP_WEBAUTHN_STORE_DISCONNECTED) {
        ngx_http_webauthn_metric_store_error(
            NGX_HTTP_WEBAUTHN_STORE_UNAVAILABLE);
        return NGX_DECLINED;
    }

    n = script ? 3 : 0;

    if (argc + n > NGX_HTTP_WEBAUTHN_ARGV_MAX) {
        return NGX_ERROR;
    }

    /* the arguments are copied: a NOSCRIPT answer sends them again */

    size = sizeof(ngx_http_webauthn_store_op_t) + NGX_INT_T_LEN;

    for (i = 0; i < argc; i++) {
        size += argvlen[i];
    }

    op = ngx_calloc(size, st->log);
    if (op == NULL) {
        return NGX_ERROR;
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
            return NGX_ERROR;
        }

        op->cln->handler = ngx_http_webauthn_store_cleanup;
        op->cln->data = op;

        op->timer.handler = ngx_http_webauthn_store_timeout;
        op->timer.data = op;
        op->timer.log = r->connection->log;
    }

    if (ngx_http_webauthn_store_send(st, op, 0) != NGX_OK) {
        ngx_http_webauthn_store_free_op(op);
        return NGX_DECLINED;
    }

    if (r) {
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

    if (redisAsyncCommandArgv(st->ac, ngx_http_webauthn_store_reply, op,
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
    redisReply                    *rr = reply;
    ngx_http_webauthn_store_t     *st = ac->data;
    ngx_http_webauthn_store_op_t  *op = privdata;

    /*
     * A Redis restarted or flushed forgets its scripts: send the text,
     * also for a command nobody waits for (its effect is wanted all the
     * same); the op holds its own copy of the arguments.
     */

    if (rr && rr->type == REDIS_REPLY_ERROR && op->script && !op->retried
        && rr->len >= 8 && ngx_strncmp(rr->str, "NOSCRIPT", 8) == 0
        && st->ac == ac)
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
        st->backoff = NGX_HTTP_WEBAUTHN_BACKOFF_MIN;
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

    ngx_http_webauthn_store_drop(st);
    ngx_http_webauthn_store_schedule(st);

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

    redisAsyncContext          *ac;
    ngx_http_webauthn_store_t  *st;

    ac = c->data;

    if (ac == NULL) {
        return;
    }

    st = ac->data;

    st->writing = 1;
    redisAsyncHandleWrite(ac);

    /* the context may be gone; st is the worker's and outlives it */
    st->writing = 0;
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

    ngx_http_webauthn_store_t  *st;

    if (c->write->active || c->write->posted) {
        return;
    }

    st = ((redisAsyncContext *) c->data)->data;

    if (st->state == NGX_HTTP_WEBAUTHN_STORE_READY && !st->writing) {
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
