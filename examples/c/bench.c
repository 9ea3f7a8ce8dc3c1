/* The C ABI's cost per call, next to the same calls in Rust (ffi/examples/bench_rust.rs).
 * Building an authorization URL (state, PKCE verifier and challenge from the OS random
 * source), reading a token set's fields, and a token manager's cached access token (the
 * call an application makes before every API request), next to a floor (a mutex, a clock
 * read and a string copy). Given the URL of the minimal token server
 * (`authgate-emulator --wire`), also a refresh over keep-alive next to a raw socket that
 * writes a prebuilt request and reads the answer. Each row is the median of 7 rounds, but
 * the authorization URL's: the fastest of 400 rounds of 50 calls, as the Rust row it is
 * compared with (AUTHGATE_BENCH_RUST_URL_NS, in ns, prints the ratio).
 * A second argument divides every call count (scripts/hot-symbols.sh runs the same calls
 * under callgrind with 1000). With AUTHGATE_BENCH_HTTPS_URL (an HTTPS token server that
 * answers one request per connection: the emulator's POST /_emulator/tls) and
 * AUTHGATE_BENCH_CA_FILE (its CA), also client-credentials requests over HTTPS, each a new
 * connection and TLS handshake: the TLS code every real client runs counts in the peak RSS.
 *
 *   cc -O2 examples/c/bench.c $(pkg-config --cflags --libs authgate) -lpthread -o bench
 *   ./bench [http://127.0.0.1:PORT [DIVISOR]]
 *   cargo run -p authgate-ffi --release --example bench_rust
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <authgate.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "%s: %s\n", what, authgate_last_error_message());
  exit(1);
}

#define ROUNDS 7

static int divisor = 1;

/* n calls, or n / the divisor given on the command line (at least one). */
static int calls(int n) { return n / divisor > 0 ? n / divisor : 1; }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The median over ROUNDS rounds of n calls of f(arg), in nanoseconds per call. */
static double median_ns(int n, void (*f)(void *), void *arg) {
  double r[ROUNDS];
  for (int k = 0; k < ROUNDS; k++) {
    double t0 = now_ns();
    for (int i = 0; i < n; i++) f(arg);
    r[k] = (now_ns() - t0) / n;
  }
  qsort(r, ROUNDS, sizeof r[0], cmp_double);
  return r[ROUNDS / 2];
}

/* The fastest of `rounds` short rounds of `n` calls (the least disturbed round), in ns per
 * call: how the Rust bench times its authorization URL row, which the C row is compared
 * with (a median of long rounds would also measure the machine's other load). */
static double fastest_ns(int rounds, int n, void (*f)(void *), void *arg) {
  double best = 0;
  for (int k = 0; k < rounds; k++) {
    double t0 = now_ns();
    for (int i = 0; i < n; i++) f(arg);
    double t = (now_ns() - t0) / n;
    if (k == 0 || t < best) best = t;
  }
  return best;
}

/* The raw-socket floor: one kept-alive connection, a prebuilt request in one write, read
 * until the whole answer (head and Content-Length bytes) is in. */
typedef struct {
  int fd;
  char request[512];
  size_t request_len;
} raw_client;

static void raw_call(void *arg) {
  raw_client *c = arg;
  char buf[4096];
  size_t filled = 0;
  if (write(c->fd, c->request, c->request_len) != (ssize_t)c->request_len) exit(2);
  for (;;) {
    ssize_t n = read(c->fd, buf + filled, sizeof buf - 1 - filled);
    if (n <= 0) exit(3);
    filled += (size_t)n;
    buf[filled] = 0;
    char *end = strstr(buf, "\r\n\r\n");
    if (end) {
      const char *cl = strstr(buf, "Content-Length: ");
      size_t want = (size_t)(end + 4 - buf) + (cl ? (size_t)atoi(cl + 16) : 0);
      if (filled >= want) return;
    }
  }
}

typedef struct {
  authgate_client *client;
  const char *refresh_token;
} refresh_args;

static void refresh_call(void *arg) {
  refresh_args *a = arg;
  authgate_token_set *ts = NULL;
  if (authgate_client_refresh(a->client, a->refresh_token, NULL, NULL, &ts) != AUTHGATE_OK)
    die("refresh");
  authgate_token_set_free(ts);
}

typedef struct {
  pthread_mutex_t lock;
  double valid_until_ns;
  char token[64];
} floor_cache;

static void floor_call(void *arg) {
  floor_cache *c = arg;
  pthread_mutex_lock(&c->lock);
  char *copy = NULL;
  if (now_ns() + 60e9 < c->valid_until_ns) copy = strdup(c->token);
  pthread_mutex_unlock(&c->lock);
  if (!copy || copy[0] == 0) exit(4);
  free(copy);
}

static void manager_call(void *arg) {
  char *token = NULL;
  if (authgate_manager_access_token(arg, &token) != AUTHGATE_OK) die("access_token");
  authgate_string_free(token);
}

/* Builds an authorization URL with the defaults (state, PKCE verifier and challenge),
 * reads it, frees it: what an application does per sign-in. */
static void url_call(void *client) {
  authgate_authorization *a = NULL;
  const char *url = NULL;
  if (authgate_client_authorization_url_with(client, NULL, &a) != AUTHGATE_OK ||
      authgate_authorization_url(a, &url) != AUTHGATE_OK)
    die("authorization_url");
  authgate_authorization_free(a);
}

/* Refresh over keep-alive against the wire server at `url` (http://127.0.0.1:PORT). */
static void bench_refresh(const char *url) {
  int port = 0;
  if (sscanf(url, "http://127.0.0.1:%d", &port) != 1) {
    fprintf(stderr, "expected http://127.0.0.1:PORT, got %s\n", url);
    exit(2);
  }
  const char *rt = "rt-0123456789abcdef0123456789abcdef";
  raw_client raw = {0};
  raw.fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  setsockopt(raw.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(raw.fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    perror("connect");
    exit(2);
  }
  char body[128];
  int body_len = snprintf(body, sizeof body, "grant_type=refresh_token&refresh_token=%s", rt);
  raw.request_len = (size_t)snprintf(
      raw.request, sizeof raw.request,
      "POST /token HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Basic Y2xpZW50OnNlY3JldA==\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n"
      "Content-Length: %d\r\n\r\n%s",
      port, body_len, body);

  char config[256];
  snprintf(config, sizeof config,
           "{\"provider\":\"generic\",\"token_endpoint\":\"%s/token\",\"client_id\":\"client\","
           "\"client_secret\":\"secret\",\"proxy\":\"none\"}",
           url);
  refresh_args args = {NULL, rt};
  if (authgate_client_new_from_json(config, &args.client) != AUTHGATE_OK) die("wire client");
  const int n = calls(2000);
  for (int i = 0; i < calls(200); i++) raw_call(&raw), refresh_call(&args);
  double raw_ns = median_ns(n, raw_call, &raw);
  double refresh_ns = median_ns(n, refresh_call, &args);
  printf("refresh: raw socket (floor)             %8.2f us  %6.2fx\n", raw_ns / 1e3, 1.0);
  printf("refresh: C ABI authgate_client_refresh  %8.2f us  %6.2fx\n", refresh_ns / 1e3,
         refresh_ns / raw_ns);
  authgate_client_free(args.client);
  close(raw.fd);
}

/* Prints the peak resident memory of this whole C client so far (library, buffers). */
static void peak_rss(const char *label) {
  FILE *status = fopen("/proc/self/status", "r");
  char line[256];
  while (status && fgets(line, sizeof line, status))
    if (strncmp(line, "VmHWM:", 6) == 0) printf("%s %s", label, line + 6);
  if (status) fclose(status);
}

/* Client-credentials requests to an HTTPS token server (see the top of this file), each on
 * a new connection: the handshake, certificate verification and TLS records. */
static void bench_https(const char *url, const char *ca_file) {
  char config[1024];
  snprintf(config, sizeof config,
           "{\"provider\":\"generic\",\"token_endpoint\":\"%s/token\",\"client_id\":\"client\","
           "\"client_secret\":\"secret\",\"proxy\":\"none\",\"ca_file\":\"%s\"}",
           url, ca_file);
  authgate_client *client = NULL;
  if (authgate_client_new_from_json(config, &client) != AUTHGATE_OK) die("https client");
  const int n = calls(200);
  double t0 = now_ns();
  for (int i = 0; i < n; i++) {
    authgate_token_set *ts = NULL;
    if (authgate_client_client_credentials(client, NULL, NULL, &ts) != AUTHGATE_OK) die("https request");
    authgate_token_set_free(ts);
  }
  printf("https: client credentials, a handshake each  %8.2f us\n", (now_ns() - t0) / n / 1e3);
  authgate_client_free(client);
}

int main(int argc, char **argv) {
  if (argc > 2) divisor = atoi(argv[2]) > 0 ? atoi(argv[2]) : 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  if (authgate_client_new_from_json(
          "{\"provider\":\"gearcode\",\"base_url\":\"https://gc.example\",\"client_id\":\"pos-42\","
          "\"client_secret\":\"s3cret\",\"redirect_uri\":\"https://pos.example/callback\"}",
          &client) != AUTHGATE_OK)
    die("client");
  if (authgate_token_set_new_from_json(
          "{\"access_token\":\"eyJhbGciOiJIUzI1NiJ9.e30.abc\",\"token_type\":\"bearer\","
          "\"expires_in\":899,\"refresh_token\":\"r-1\",\"scope\":\"read\"}",
          &ts) != AUTHGATE_OK)
    die("token set");

  double url_ns = fastest_ns(calls(400), 50, url_call, client);

  const int get_n = calls(5000000);
  size_t sink = 0;
  double t0 = now_ns();
  for (int i = 0; i < get_n; i++) {
    const char *s = NULL;
    int64_t at = 0;
    authgate_token_set_access_token(ts, &s);
    authgate_token_set_expires_at(ts, &at);
    sink += (size_t)s[0] + (size_t)at;
  }
  double get_ns = (now_ns() - t0) / get_n;

  t0 = now_ns();
  for (int i = 0; i < get_n; i++) {
    const char *s = NULL;
    authgate_token_set_access_token((const authgate_token_set *)client, &s); /* wrong kind */
  }
  double err_ns = (now_ns() - t0) / get_n;

  authgate_manager *manager = NULL;
  if (authgate_manager_new(client, NULL, NULL, &manager) != AUTHGATE_OK ||
      authgate_manager_set_tokens(manager, ts) != AUTHGATE_OK)
    die("manager");
  const int mgr_n = calls(200000);
  floor_cache fc;
  pthread_mutex_init(&fc.lock, NULL);
  fc.valid_until_ns = now_ns() + 3600e9;
  strcpy(fc.token, "wire-access-token-0123456789abcdef");
  double floor_ns = median_ns(mgr_n, floor_call, &fc);
  double mgr_ns = median_ns(mgr_n, manager_call, manager);

  printf("C ABI  authorization_url (build + url + free): %8.0f ns/call", url_ns);
  /* scripts/bench.sh passes the Rust row's figure of the same run. */
  const char *rust_url = getenv("AUTHGATE_BENCH_RUST_URL_NS");
  if (rust_url && atof(rust_url) > 0) printf("  %6.2fx Rust", url_ns / atof(rust_url));
  printf("\n");
  printf("C ABI  token set access_token + expires_at:    %8.1f ns/pair\n", get_ns);
  printf("C ABI  failing call (wrong handle, last error): %8.1f ns/call\n", err_ns);
  printf("C ABI  manager access_token, cached (+ free):   %8.1f ns/call  %6.2fx\n", mgr_ns,
         mgr_ns / floor_ns);
  printf("C      floor: mutex + clock + strdup/free:      %8.1f ns/call\n", floor_ns);
  if (argc > 1) bench_refresh(argv[1]);
  const char *https_url = getenv("AUTHGATE_BENCH_HTTPS_URL");
  const char *ca_file = getenv("AUTHGATE_BENCH_CA_FILE");
  if (https_url && *https_url && ca_file && *ca_file) {
    peak_rss("C client peak RSS (plain http):");
    bench_https(https_url, ca_file);
  }
  peak_rss("C client peak RSS:");
  authgate_manager_free(manager);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return sink == 42 ? 1 : 0;
}
