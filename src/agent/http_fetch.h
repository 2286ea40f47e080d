/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_AGENT_HTTP_FETCH_H
#define PALISADE_AGENT_HTTP_FETCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * One HTTP GET through libcurl's easy API, for the threat-feed puller (DESIGN §8, feeds.h).
 *
 * Only http:// and https:// are spoken, also after a redirect (at most HTTP_FETCH_REDIRECTS
 * are followed).  TLS certificates and host names are always verified, against the system's
 * CA bundle and, when ca_file is given, that file instead.  Four limits bound a transfer: the
 * connect timeout, the total timeout, the low-speed limit (no byte for low_speed_time_s once
 * connected aborts a server that stops sending in the middle of a body) and max_body,
 * enforced while the body arrives: a Content-Length above it is refused before the body is
 * read, and a body without one is cut off as soon as it passes the limit.  Compressed bodies
 * are accepted and the limit applies to what they expand to.
 *
 * A conditional request sends If-None-Match with the stored ETag and If-Modified-Since with
 * the stored Last-Modified (both as the server wrote them); a 304 then means "unchanged".
 */

#define HTTP_FETCH_REDIRECTS 5

struct http_header {
	const char *name;
	const char *value;
};

struct http_fetch_opts {
	const char *url;
	const struct http_header *headers; /* sent as given, after the conditional headers */
	size_t nheaders;
	const char *etag;	   /* If-None-Match; NULL or "": none */
	const char *last_modified; /* If-Modified-Since; NULL or "": none */
	const char *ca_file;	   /* NULL: the system's CA bundle */
	long connect_timeout_ms;   /* <= 0: 10 s */
	long timeout_ms;	   /* the whole transfer; <= 0: 60 s */
	long low_speed_time_s;	   /* <= 0: 30 s */
	size_t max_body;	   /* 0: 32 MiB */
	const atomic_bool *cancel; /* when it becomes true the transfer stops (-ECANCELED) */
};

struct http_result {
	long status;	     /* the final response's status; 0 when there was none */
	char *body;	     /* owned, NUL-terminated; the final response's body */
	size_t len;	     /* bytes of body, without the NUL */
	char *etag;	     /* owned; the final response's ETag, or NULL */
	char *last_modified; /* owned; its Last-Modified, or NULL */
	unsigned redirects;  /* redirects followed */
	double seconds;	     /* the whole transfer */
	/* Why the fetch failed, for a status message: "HTTP 500 Internal Server Error",
	 * "timed out after 3 s", "connection refused", "body larger than 1048576 bytes",
	 * "TLS: ...".  "" on success. */
	char error[256];
};

/*
 * Initialises libcurl for the whole process (curl_global_init) once; call it from the main
 * thread before any thread fetches.  0, or -EIO when libcurl cannot be initialised.
 */
int http_fetch_global_init(void);

void http_result_init(struct http_result *r);
/* Frees what r owns and leaves it as http_result_init() does. */
void http_result_fini(struct http_result *r);

/*
 * Fetches o->url into r (initialised by the caller; whatever it held is freed first).  o and
 * its strings are borrowed.  Returns 0 when the final response is a 2xx (the body is in r) or
 * a 304 (r->status says which; no body); otherwise a negative errno with r->error set:
 * -EPROTO another HTTP status, -ETIMEDOUT a timeout or the low-speed limit, -ECONNREFUSED,
 * -EHOSTUNREACH, -EFBIG the body limit, -ELOOP too many redirects, -EINVAL a URL or scheme
 * that is not http(s), -ECONNABORTED a TLS failure, -ECANCELED o->cancel, -ENOMEM, -EIO
 * anything else.  Safe to call from several threads at once (each call has its own handle).
 */
int http_fetch(const struct http_fetch_opts *o, struct http_result *r);

#endif
