
/*
 * What the files of the nginx glue share.  The wa core has its own public
 * header, include/wa.h, and knows nothing of this one.
 */


#ifndef _NGX_HTTP_WEBAUTHN_MODULE_H_INCLUDED_
#define _NGX_HTTP_WEBAUTHN_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/*
 * Sends {"error":code,"message":message,"action":action} (action may be
 * NULL) as application/json with the given status, and records code as
 * $webauthn_reason.  code is one of the stable codes of docs and DESIGN.md;
 * message and action are escaped.  Returns what a content handler returns.
 */
ngx_int_t ngx_http_webauthn_send_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *message,
    const char *action);


extern ngx_module_t  ngx_http_webauthn_module;


#endif /* _NGX_HTTP_WEBAUTHN_MODULE_H_INCLUDED_ */
