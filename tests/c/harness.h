/*
 * A tiny test harness for the C tests: CHECK macros in the goto-cleanup idiom, a
 * counter per program, and a minimal HTTP/1.1 client over POSIX sockets that plays the
 * browser against the emulator (authorize endpoints answer 302 with the code) and drives
 * its control API. Header-only: each test program includes it once.
 *
 * The emulator's base URL comes from AUTHGATE_EMULATOR_URL (tests/c/run.sh sets it).
 */
#ifndef AUTHGATE_TEST_HARNESS_H
#define AUTHGATE_TEST_HARNESS_H

#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <authgate.h>

static int g_passed, g_failed;

/* Fails the current test (jumps to its `cleanup:` label) with a message. */
#define CHECK(cond)                                                                    \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      fprintf(stderr, "  FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond);            \
      goto cleanup;                                                                    \
    }                                                                                  \
  } while (0)

/* Expects an authgate call to return `expected`; prints the last error otherwise. */
#define CHECK_RC(call, expected)                                                       \
  do {                                                                                 \
    authgate_result rc_ = (call);                                                      \
    if (rc_ != (authgate_result)(expected)) {                                          \
      fprintf(stderr, "  FAILED %s:%d: %s returned %u (%s), expected %u: %s\n",        \
              __FILE__, __LINE__, #call, rc_, authgate_result_str(rc_),                \
              (unsigned)(expected), authgate_last_error_message());                    \
      goto cleanup;                                                                    \
    }                                                                                  \
  } while (0)

#define CHECK_OK(call) CHECK_RC(call, AUTHGATE_OK)

#define CHECK_STR(actual, expected)                                                    \
  do {                                                                                 \
    const char *a_ = (actual), *e_ = (expected);                                       \
    if (a_ == NULL || e_ == NULL || strcmp(a_, e_) != 0) {                             \
      fprintf(stderr, "  FAILED %s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__,     \
              __LINE__, #actual, a_ ? a_ : "(null)", e_ ? e_ : "(null)");              \
      goto cleanup;                                                                    \
    }                                                                                  \
  } while (0)

/* Runs one test function (returning 0 on success) and counts it. */
#define RUN(test)                                                                      \
  do {                                                                                 \
    fprintf(stderr, "%s ...\n", #test);                                                \
    if (test() == 0) {                                                                 \
      g_passed++;                                                                      \
      fprintf(stderr, "  ok\n");                                                       \
    } else {                                                                           \
      g_failed++;                                                                      \
    }                                                                                  \
  } while (0)

/* Prints the closing line and returns the exit status. */
static inline int harness_report(void) {
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}

static inline const char *emulator_url(void) {
  const char *u = getenv("AUTHGATE_EMULATOR_URL");
  if (u == NULL || u[0] == '\0') {
    fprintf(stderr, "AUTHGATE_EMULATOR_URL is not set (run tests/c/run.sh)\n");
    exit(2);
  }
  return u;
}

static inline int emulator_port(void) {
  const char *u = emulator_url();
  const char *colon = strrchr(u, ':');
  return colon ? atoi(colon + 1) : 0;
}

/*
 * One HTTP request to 127.0.0.1. `target` is a path with query (sent to the emulator), or
 * an absolute http://127.0.0.1:PORT/... URL (sent to that port: the emulator, or a
 * loopback sign-in's listener). Writes the whole response (headers and body,
 * NUL-terminated, truncated to cap-1 bytes) into `buf`. Returns the status, or -1.
 */
static inline int http_request_with(const char *method, const char *target, const char *headers,
                                    const char *body, char *buf, size_t cap);
static inline int http_request(const char *method, const char *target, const char *body, char *buf,
                        size_t cap) {
  return http_request_with(method, target, NULL, body, buf, cap);
}

/* http_request with extra header lines (`headers`: "Name: value\r\n" each, or NULL). */
static inline int http_request_with(const char *method, const char *target, const char *headers,
                                    const char *body, char *buf, size_t cap) {
  int fd = -1, status = -1;
  size_t used = 0;
  char *req = NULL;
  const char *path = target;
  int port = emulator_port();
  if (strncmp(target, "http://", 7) == 0) {
    const char *colon = strchr(target + 7, ':');
    path = strchr(target + 7, '/');
    if (colon != NULL && (path == NULL || colon < path)) port = atoi(colon + 1);
    if (path == NULL) path = "/";
  }
  size_t body_len = body ? strlen(body) : 0;
  size_t req_cap = strlen(path) + body_len + (headers ? strlen(headers) : 0) + 256;
  req = malloc(req_cap);
  if (req == NULL) goto done;
  int n = snprintf(req, req_cap,
                   "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n%s"
                   "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                   method, path, port, headers ? headers : "", body_len, body ? body : "");
  fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) goto done;
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) goto done;
  for (int sent = 0; sent < n;) {
    ssize_t w = write(fd, req + sent, (size_t)(n - sent));
    if (w <= 0) goto done;
    sent += (int)w;
  }
  for (;;) {
    if (used + 1 >= cap) break;
    ssize_t r = read(fd, buf + used, cap - 1 - used);
    if (r <= 0) break;
    used += (size_t)r;
  }
  buf[used] = '\0';
  if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) status = -1;
done:
  if (fd >= 0) close(fd);
  free(req);
  if (cap > 0 && status < 0 && used == 0) buf[0] = '\0';
  return status;
}

/* Plays the browser: GETs an authorization URL and copies the Location header. */
static inline int follow_authorize(const char *url, char *location, size_t cap) {
  char buf[8192];
  int status = http_request("GET", url, NULL, buf, sizeof buf);
  if (status != 302) {
    fprintf(stderr, "  authorize answered %d:\n%s\n", status, buf);
    return -1;
  }
  const char *h = strstr(buf, "\r\nLocation: ");
  if (h == NULL) h = strstr(buf, "\r\nlocation: ");
  if (h == NULL) return -1;
  h += 12;
  const char *end = strstr(h, "\r\n");
  size_t len = end ? (size_t)(end - h) : strlen(h);
  if (len + 1 > cap) return -1;
  memcpy(location, h, len);
  location[len] = '\0';
  return 0;
}

/* POSTs a control command (`/_emulator/...`) with a JSON body; returns 0 on 200. */
static inline int emulator_control(const char *command, const char *json) {
  char buf[4096];
  char path[256];
  snprintf(path, sizeof path, "/_emulator/%s", command);
  int status = http_request("POST", path, json ? json : "{}", buf, sizeof buf);
  if (status != 200) fprintf(stderr, "  control %s answered %d\n", command, status);
  return status == 200 ? 0 : -1;
}

/* How many requests the emulator received on `path` (GET /_emulator/counts); -1 on error. */
static inline long emulator_count(const char *path) {
  char buf[8192], key[256];
  if (http_request("GET", "/_emulator/counts", NULL, buf, sizeof buf) != 200) return -1;
  snprintf(key, sizeof key, "\"%s\":", path);
  const char *at = strstr(buf, key);
  if (at == NULL) return 0; /* never requested */
  return strtol(at + strlen(key), NULL, 10);
}

/*
 * The last request the emulator received on `path` (GET /_emulator/last_request): copies its
 * JSON, {"body":…,"headers":[[name,value],…],"method":…,"path":…,"query":…} with header names
 * lower-case and in the order received, NUL-terminated, into `json`. Returns the HTTP
 * status: 200, or 404 when nothing was received on that path; -1 on failure.
 */
static inline int emulator_last_request(const char *path, char *json, size_t cap) {
  char buf[16384], target[512];
  snprintf(target, sizeof target, "/_emulator/last_request?path=%s", path);
  int status = http_request("GET", target, NULL, buf, sizeof buf);
  const char *body = strstr(buf, "\r\n\r\n");
  if (status < 0 || body == NULL || cap == 0) return -1;
  snprintf(json, cap, "%s", body + 4);
  return status;
}

/* Whether the recorded request (emulator_last_request's JSON) has the header `name` with
 * exactly `value`. */
static inline int recorded_header_is(const char *json, const char *name, const char *value) {
  char needle[1024];
  snprintf(needle, sizeof needle, "[\"%s\",\"%s\"]", name, value);
  return strstr(json, needle) != NULL;
}

/* How many headers the recorded request has. */
static inline int recorded_header_count(const char *json) {
  const char *at = strstr(json, "\"headers\":[");
  const char *end = at ? strstr(at, "]]") : NULL;
  int n = 0;
  if (at == NULL) return -1;
  if (end == NULL) return 0; /* "headers":[] */
  for (const char *p = at; p != NULL && p < end; p = strstr(p + 1, "[\"")) {
    if (p != at) n++;
  }
  return n;
}

static inline double monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * The authorization code flow through the emulator's auto-approving authorize endpoint:
 * URL (with `scopes`, NULL for the client's) → browser → callback → code exchange.
 * On success *out is the token set and, if nonce_out is given, the nonce sent is copied.
 */
static inline int sign_in_code(authgate_client *client, const char *scopes,
                               authgate_token_set **out, char *nonce_out, size_t nonce_cap) {
  int failed = 1;
  authgate_authorization *auth = NULL;
  const char *url = NULL, *verifier = NULL, *nonce = NULL;
  char location[4096], options[512];
  char *code = NULL;
  snprintf(options, sizeof options, "{\"scopes\":\"%s\"}", scopes ? scopes : "");
  if (authgate_client_authorization_url_with(client, scopes ? options : NULL, &auth) !=
          AUTHGATE_OK ||
      authgate_authorization_url(auth, &url) != AUTHGATE_OK ||
      follow_authorize(url, location, sizeof location) != 0 ||
      authgate_authorization_parse_callback(auth, location, &code) != AUTHGATE_OK ||
      authgate_authorization_pkce_verifier(auth, &verifier) != AUTHGATE_OK ||
      authgate_authorization_nonce(auth, &nonce) != AUTHGATE_OK ||
      authgate_client_exchange_code(client, code, verifier, NULL, NULL, out) != AUTHGATE_OK) {
    fprintf(stderr, "  sign-in failed: %s\n", authgate_last_error_message());
    goto done;
  }
  if (nonce_out != NULL) snprintf(nonce_out, nonce_cap, "%s", nonce ? nonce : "");
  failed = 0;
done:
  authgate_string_free(code);
  authgate_authorization_free(auth);
  return failed;
}

static inline void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* A config for a preset pointed at the emulator; NULL on failure. */
static inline authgate_config *emulator_config(uint32_t provider, const char *client_id,
                                        const char *secret) {
  authgate_config *cfg = NULL;
  if (authgate_config_new(provider, &cfg) != AUTHGATE_OK) return NULL;
  if (authgate_config_set_base_url(cfg, emulator_url()) != AUTHGATE_OK ||
      authgate_config_set_client_id(cfg, client_id) != AUTHGATE_OK ||
      authgate_config_set_client_secret(cfg, secret) != AUTHGATE_OK ||
      authgate_config_set_redirect_uri(cfg, "http://127.0.0.1/callback") != AUTHGATE_OK ||
      authgate_config_set_timeout_ms(cfg, 10000) != AUTHGATE_OK) {
    authgate_config_free(cfg);
    return NULL;
  }
  return cfg;
}

static inline authgate_client *emulator_client(uint32_t provider, const char *client_id,
                                        const char *secret) {
  authgate_client *client = NULL;
  authgate_config *cfg = emulator_config(provider, client_id, secret);
  if (cfg == NULL) return NULL;
  if (authgate_client_new(cfg, &client) != AUTHGATE_OK) {
    fprintf(stderr, "  client: %s\n", authgate_last_error_message());
    client = NULL;
  }
  authgate_config_free(cfg);
  return client;
}

#endif
