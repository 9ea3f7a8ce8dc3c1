/* The C ABI's cost per call, next to the same calls in Rust (ffi/examples/bench_rust.rs).
 * No network: building an authorization URL (state, PKCE verifier and challenge from the
 * OS random source), reading a token set's fields, and a token manager's cached access
 * token (the call an application makes before every API request).
 *
 *   cc -O2 examples/c/bench.c $(pkg-config --cflags --libs authgate) -o bench && ./bench
 *   cargo run -p authgate-ffi --release --example bench_rust
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

int main(void) {
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

  const int url_n = 100000;
  double t0 = now_ns();
  for (int i = 0; i < url_n; i++) {
    authgate_authorization *a = NULL;
    const char *url = NULL;
    if (authgate_client_authorization_url(client, NULL, NULL, NULL, NULL, NULL, NULL, &a) != AUTHGATE_OK ||
        authgate_authorization_url(a, &url) != AUTHGATE_OK)
      die("authorization_url");
    authgate_authorization_free(a);
  }
  double url_ns = (now_ns() - t0) / url_n;

  const int get_n = 5000000;
  size_t sink = 0;
  t0 = now_ns();
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
  const int mgr_n = 1000000;
  t0 = now_ns();
  for (int i = 0; i < mgr_n; i++) {
    char *token = NULL;
    if (authgate_manager_access_token(manager, &token) != AUTHGATE_OK) die("access_token");
    sink += (size_t)token[0];
    authgate_string_free(token);
  }
  double mgr_ns = (now_ns() - t0) / mgr_n;

  printf("C ABI  authorization_url (build + url + free): %8.0f ns/call\n", url_ns);
  printf("C ABI  token set access_token + expires_at:    %8.1f ns/pair\n", get_ns);
  printf("C ABI  failing call (wrong handle, last error): %8.1f ns/call\n", err_ns);
  printf("C ABI  manager access_token, cached (+ free):   %8.1f ns/call\n", mgr_ns);
  authgate_manager_free(manager);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return sink == 42 ? 1 : 0;
}
