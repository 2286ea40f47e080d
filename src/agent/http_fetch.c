/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/http_fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CONNECT_TIMEOUT_DEFAULT_MS 10000
#define TIMEOUT_DEFAULT_MS	   60000
#define LOW_SPEED_TIME_DEFAULT_S   30
#define MAX_BODY_DEFAULT	   (32u << 20)
#define USER_AGENT		   "palisade-controller (threat feeds)"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
	/* Never cleaned up: other parts of the process (the webhook) use libcurl as well. */
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int http_fetch_global_init(void)
{
	pthread_once(&curl_once, curl_init);
	return curl_init_rc == CURLE_OK ? 0 : -EIO;
}

void http_result_init(struct http_result *r)
{
	memset(r, 0, sizeof(*r));
}

void http_result_fini(struct http_result *r)
{
	free(r->body);
	free(r->etag);
	free(r->last_modified);
	http_result_init(r);
}

/* What one transfer collects while it runs. */
struct xfer {
	CURL *h;
	const struct http_fetch_opts *o;
	struct http_result *r;
	size_t max_body, cap;
	bool too_big, oom, stalled;
	char reason[64];     /* the reason phrase of the last status line */
	long low_speed_ms;   /* the longest wait for a byte */
	long long last_byte; /* when the last byte (head or body) came, CLOCK_MONOTONIC ms */
};

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	x->last_byte = mono_ms();
	if (len > x->max_body - x->r->len) {
		x->too_big = true;
		return 0; /* libcurl stops with CURLE_WRITE_ERROR */
	}
	if (x->r->len + len + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 16384;
		char *b;

		while (cap < x->r->len + len + 1)
			cap *= 2;
		b = realloc(x->r->body, cap);
		if (!b) {
			x->oom = true;
			return 0;
		}
		x->r->body = b;
		x->cap = cap;
	}
	memcpy(x->r->body + x->r->len, data, len);
	x->r->len += len;
	x->r->body[x->r->len] = '\0';
	return len;
}

/* The value of header line h ("Name: value\r\n") when its name is name, trimmed, malloc'd. */
static char *header_value(const char *h, size_t len, const char *name)
{
	size_t n = strlen(name), a, b;

	if (len <= n || strncasecmp(h, name, n) || h[n] != ':')
		return NULL;
	a = n + 1;
	b = len;
	while (a < b && (h[a] == ' ' || h[a] == '\t'))
		a++;
	while (b > a &&
	       (h[b - 1] == '\r' || h[b - 1] == '\n' || h[b - 1] == ' ' || h[b - 1] == '\t'))
		b--;
	return strndup(h + a, b - a);
}

/*
 * Every header line of every response, redirects included: a status line starts a new
 * response, so the validators kept are the final response's.
 */
static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	char *v;

	x->last_byte = mono_ms();
	if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		const char *sp = memchr(data, ' ', len), *end = data + len, *rs;
		size_t k = 0;

		free(x->r->etag);
		free(x->r->last_modified);
		x->r->etag = x->r->last_modified = NULL;
		/* "HTTP/1.1 500 Internal Server Error": the reason follows the code (HTTP/2
		 * has none).  Printable ASCII only: it ends up in a status message. */
		rs = sp ? memchr(sp + 1, ' ', (size_t)(end - sp - 1)) : NULL;
		for (rs = rs ? rs + 1 : end; rs < end && k + 1 < sizeof(x->reason); rs++) {
			if (*rs == '\r' || *rs == '\n')
				break;
			x->reason[k++] = (*rs >= 0x20 && *rs < 0x7f) ? *rs : '?';
		}
		x->reason[k] = '\0';
		return len;
	}
	if ((v = header_value(data, len, "ETag"))) {
		free(x->r->etag);
		x->r->etag = v;
	} else if ((v = header_value(data, len, "Last-Modified"))) {
		free(x->r->last_modified);
		x->r->last_modified = v;
	}
	return len;
}

/*
 * Called about once a second, and whenever data moves.  libcurl's own low-speed check
 * averages over a window of several seconds, so a server that sent a burst and then stopped
 * would be caught late; this one aborts low_speed_time_s after the last byte (or after the
 * connection came up, when nothing came yet), whatever came before.
 */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct xfer *x = arg;
	curl_off_t connected = 0;

	if (x->o->cancel && atomic_load(x->o->cancel))
		return 1;
	/* The connect timeout covers the time before the connection is up. */
	if (curl_easy_getinfo(x->h, CURLINFO_CONNECT_TIME_T, &connected) || !connected)
		x->last_byte = mono_ms();
	else if (mono_ms() - x->last_byte >= x->low_speed_ms) {
		x->stalled = true;
		return 1;
	}
	return 0;
}

/* Seconds for messages: "3", "1.5". */
static void secs(char *buf, size_t size, long ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, size, "%ld", ms / 1000);
	else
		snprintf(buf, size, "%.3g", (double)ms / 1000);
}

/* r->error from a failed transfer; returns the errno to report. */
static int explain(CURL *h, CURLcode rc, const struct xfer *x, const char *errbuf, long conn_ms,
		   long total_ms, long low_speed_s)
{
	struct http_result *r = x->r;
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
	long oserr = 0;
	curl_off_t connect_us = 0;
	char s[32];

	switch (rc) {
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		if (x->oom) {
			snprintf(r->error, sizeof(r->error), "out of memory for the body");
			return -ENOMEM;
		}
		if (x->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
			snprintf(r->error, sizeof(r->error), "body larger than %zu bytes",
				 x->max_body);
			return -EFBIG;
		}
		break;
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
		if (!connect_us) {
			secs(s, sizeof(s), conn_ms < total_ms ? conn_ms : total_ms);
			snprintf(r->error, sizeof(r->error), "could not connect within %s s", s);
		} else {
			secs(s, sizeof(s), total_ms);
			snprintf(r->error, sizeof(r->error), "timed out after %s s", s);
		}
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
		if (oserr == ECONNREFUSED) {
			snprintf(r->error, sizeof(r->error), "connection refused");
			return -ECONNREFUSED;
		}
		if (oserr == EHOSTUNREACH || oserr == ENETUNREACH) {
			snprintf(r->error, sizeof(r->error), "cannot connect: %s",
				 strerror((int)oserr));
			return -EHOSTUNREACH;
		}
		snprintf(r->error, sizeof(r->error), "cannot connect: %s", detail);
		return -EIO;
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(r->error, sizeof(r->error), "cannot resolve the host: %s", detail);
		return -EHOSTUNREACH;
	case CURLE_TOO_MANY_REDIRECTS:
		snprintf(r->error, sizeof(r->error), "more than %d redirects",
			 HTTP_FETCH_REDIRECTS);
		return -ELOOP;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		snprintf(r->error, sizeof(r->error), "not an http(s) URL: %s", detail);
		return -EINVAL;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		snprintf(r->error, sizeof(r->error), "TLS: %s", detail);
		return -ECONNABORTED;
	case CURLE_ABORTED_BY_CALLBACK:
		if (x->stalled) {
			snprintf(r->error, sizeof(r->error), "stalled: no data for %ld s",
				 low_speed_s);
			return -ETIMEDOUT;
		}
		snprintf(r->error, sizeof(r->error), "cancelled");
		return -ECANCELED;
	case CURLE_GOT_NOTHING:
		snprintf(r->error, sizeof(r->error), "empty reply from the server");
		return -EIO;
	case CURLE_OUT_OF_MEMORY:
		snprintf(r->error, sizeof(r->error), "out of memory");
		return -ENOMEM;
	default:
		break;
	}
	snprintf(r->error, sizeof(r->error), "%s", detail);
	return -EIO;
}

int http_fetch(const struct http_fetch_opts *o, struct http_result *r)
{
	long conn_ms =
		o->connect_timeout_ms > 0 ? o->connect_timeout_ms : CONNECT_TIMEOUT_DEFAULT_MS;
	long total_ms = o->timeout_ms > 0 ? o->timeout_ms : TIMEOUT_DEFAULT_MS;
	long low_s = o->low_speed_time_s > 0 ? o->low_speed_time_s : LOW_SPEED_TIME_DEFAULT_S;
	struct xfer x = {.o = o,
			 .r = r,
			 .max_body = o->max_body ? o->max_body : MAX_BODY_DEFAULT,
			 .low_speed_ms = low_s * 1000,
			 .last_byte = mono_ms()};
	struct curl_slist *hdrs = NULL, *t;
	char errbuf[CURL_ERROR_SIZE] = "", *line = NULL;
	CURL *h = NULL;
	CURLcode rc;
	long redirects = 0;
	int err = 0;

	http_result_fini(r);
	if (http_fetch_global_init()) {
		snprintf(r->error, sizeof(r->error), "libcurl cannot be initialised");
		return -EIO;
	}
	if (!o->url || (strncasecmp(o->url, "http://", 7) && strncasecmp(o->url, "https://", 8))) {
		snprintf(r->error, sizeof(r->error), "not an http:// or https:// URL");
		return -EINVAL;
	}
	h = curl_easy_init();
	if (!h)
		goto nomem;
	x.h = h;
	/* Conditional headers first, then the feed's own (which may not repeat them). */
	if (o->etag && *o->etag) {
		if (asprintf(&line, "If-None-Match: %s", o->etag) < 0 ||
		    !(t = curl_slist_append(hdrs, line)))
			goto nomem;
		hdrs = t;
		free(line);
		line = NULL;
	}
	if (o->last_modified && *o->last_modified) {
		if (asprintf(&line, "If-Modified-Since: %s", o->last_modified) < 0 ||
		    !(t = curl_slist_append(hdrs, line)))
			goto nomem;
		hdrs = t;
		free(line);
		line = NULL;
	}
	for (size_t i = 0; i < o->nheaders; i++) {
		/* "Name;" is libcurl's way to send a header with an empty value. */
		int n = o->headers[i].value && *o->headers[i].value
				? asprintf(&line, "%s: %s", o->headers[i].name, o->headers[i].value)
				: asprintf(&line, "%s;", o->headers[i].name);

		if (n < 0 || !(t = curl_slist_append(hdrs, line)))
			goto nomem;
		hdrs = t;
		free(line);
		line = NULL;
	}
	if (curl_easy_setopt(h, CURLOPT_URL, o->url) ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L) ||
	    curl_easy_setopt(h, CURLOPT_MAXREDIRS, (long)HTTP_FETCH_REDIRECTS) ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) ||
	    (o->ca_file && curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file)) ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, conn_ms) ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms) ||
	    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x.max_body) ||
	    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "") ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT) ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x) ||
	    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) ||
	    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x) ||
	    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress) ||
	    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x) ||
	    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf)) {
		snprintf(r->error, sizeof(r->error), "libcurl refused an option");
		err = -EIO;
		goto out;
	}
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &redirects);
	curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &r->seconds);
	r->redirects = (unsigned)redirects;
	if (rc != CURLE_OK) {
		err = explain(h, rc, &x, errbuf, conn_ms, total_ms, low_s);
		goto out;
	}
	if (r->status == 304 || (r->status >= 200 && r->status < 300)) {
		if (r->status == 304 || !r->body) {
			/* No body (or an empty one): an empty string, never NULL. */
			free(r->body);
			r->body = strdup("");
			r->len = 0;
			if (!r->body)
				goto nomem;
		}
		goto out;
	}
	snprintf(r->error, sizeof(r->error), "HTTP %ld%s%s", r->status, x.reason[0] ? " " : "",
		 x.reason);
	err = -EPROTO;
	goto out;
nomem:
	snprintf(r->error, sizeof(r->error), "out of memory");
	err = -ENOMEM;
out:
	if (err) {
		free(r->body);
		r->body = NULL;
		r->len = 0;
	}
	free(line);
	curl_slist_free_all(hdrs);
	if (h)
		curl_easy_cleanup(h);
	return err;
}
