/* OpenID Connect through the installed C library, against the emulator's Kontur dialect:
 * discovery, id_token validation and a faulty id_token, UserInfo, revocation and
 * introspection, the device flow (polled, waited for on a thread, cancelled, with a
 * server's absurd interval, saved as JSON and resumed by a new client), and the loopback
 * sign-in with the test playing the browser (and a stalled local peer or a wrong `state`
 * that cannot hold it up or end it). */
#include "harness.h"

#define KONTUR_TOKEN_PATH "/connect/token"

/* A Kontur client configured by discovery (issuer = the emulator's base URL). */
static authgate_client *kontur(const char *scopes) {
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  if (authgate_config_new(AUTHGATE_PROVIDER_KONTUR, &cfg) != AUTHGATE_OK ||
      authgate_config_set_client_id(cfg, "kontur-service") != AUTHGATE_OK ||
      authgate_config_set_client_secret(cfg, "kontur-api-key") != AUTHGATE_OK ||
      authgate_config_set_redirect_uri(cfg, "http://127.0.0.1/callback") != AUTHGATE_OK ||
      authgate_config_set_timeout_ms(cfg, 10000) != AUTHGATE_OK ||
      (scopes != NULL && authgate_config_set_scopes(cfg, scopes) != AUTHGATE_OK) ||
      authgate_config_discover(cfg, emulator_url()) != AUTHGATE_OK ||
      authgate_client_new(cfg, &client) != AUTHGATE_OK) {
    fprintf(stderr, "  kontur client: %s\n", authgate_last_error_message());
    client = NULL;
  }
  authgate_config_free(cfg);
  return client;
}

static int test_discovery(void) {
  int failed = 1;
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  const char *s = NULL;
  char bad[512], expected[512];

  CHECK_OK(authgate_config_new(AUTHGATE_PROVIDER_KONTUR, &cfg));
  CHECK_OK(authgate_config_set_client_id(cfg, "kontur-service"));
  CHECK_OK(authgate_config_set_client_secret(cfg, "kontur-api-key"));
  CHECK_RC(authgate_config_discover(cfg, NULL), AUTHGATE_NULL_POINTER);
  CHECK_RC(authgate_config_discover(cfg, ""), AUTHGATE_INVALID_ARGUMENT);
  CHECK_RC(authgate_config_discover((authgate_config *)NULL, emulator_url()),
           AUTHGATE_NULL_POINTER);
  /* A document naming another issuer is refused; the configuration is unchanged. */
  snprintf(bad, sizeof bad, "%s/other", emulator_url());
  authgate_result rc = authgate_config_discover(cfg, bad);
  CHECK(rc == AUTHGATE_CONFIG || rc == AUTHGATE_UNEXPECTED_RESPONSE);
  CHECK_OK(authgate_config_discover(cfg, emulator_url()));
  CHECK_OK(authgate_client_new(cfg, &client));
  CHECK_OK(authgate_client_token_endpoint(client, &s));
  snprintf(expected, sizeof expected, "%s/connect/token", emulator_url());
  CHECK_STR(s, expected);
  CHECK_OK(authgate_client_authorization_endpoint(client, &s));
  snprintf(expected, sizeof expected, "%s/connect/authorize", emulator_url());
  CHECK_STR(s, expected);
  failed = 0;
cleanup:
  authgate_client_free(client);
  authgate_config_free(cfg);
  return failed;
}

static int test_setters_without_discovery(void) {
  int failed = 1;
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  char *claims = NULL, url[512];

  cfg = emulator_config(AUTHGATE_PROVIDER_KONTUR, "kontur-service", "kontur-api-key");
  CHECK(cfg != NULL);
  CHECK_RC(authgate_config_set_issuer(cfg, ""), AUTHGATE_INVALID_ARGUMENT);
  CHECK_OK(authgate_config_set_issuer(cfg, emulator_url()));
  snprintf(url, sizeof url, "%s/.well-known/openid-configuration/jwks", emulator_url());
  CHECK_OK(authgate_config_set_jwks_uri(cfg, url));
  snprintf(url, sizeof url, "%s/connect/userinfo", emulator_url());
  CHECK_OK(authgate_config_set_userinfo_endpoint(cfg, url));
  snprintf(url, sizeof url, "%s/connect/revocation", emulator_url());
  CHECK_OK(authgate_config_set_revocation_endpoint(cfg, url));
  snprintf(url, sizeof url, "%s/connect/introspect", emulator_url());
  CHECK_OK(authgate_config_set_introspection_endpoint(cfg, url));
  snprintf(url, sizeof url, "%s/connect/deviceauthorization", emulator_url());
  CHECK_OK(authgate_config_set_device_authorization_endpoint(cfg, url));
  CHECK_OK(authgate_config_set_id_token_leeway_ms(cfg, 30000));
  CHECK_OK(authgate_client_new(cfg, &client));
  /* A malformed id_token is refused before any key is fetched. */
  CHECK_RC(authgate_client_validate_id_token(client, "not-a-jwt", NULL, &claims),
           AUTHGATE_ID_TOKEN_MALFORMED);
  CHECK(claims == NULL);
  failed = 0;
cleanup:
  authgate_string_free(claims);
  authgate_client_free(client);
  authgate_config_free(cfg);
  return failed;
}

static int test_validate_id_token_and_a_fault(void) {
  int failed = 1;
  authgate_client *client = NULL, *plain = NULL;
  authgate_token_set *ts = NULL, *bad = NULL;
  const char *id = NULL;
  char nonce[256];
  char *claims = NULL, *none = NULL;

  client = kontur(NULL);
  CHECK(client != NULL);
  CHECK(sign_in_code(client, NULL, &ts, nonce, sizeof nonce) == 0);
  CHECK_OK(authgate_token_set_id_token(ts, &id));
  CHECK(id != NULL);
  CHECK_RC(authgate_client_validate_id_token(client, id, nonce, NULL), AUTHGATE_NULL_POINTER);
  CHECK_OK(authgate_client_validate_id_token(client, id, nonce, &claims));
  CHECK(strstr(claims, "\"sub\":\"user-1\"") != NULL);
  CHECK(strstr(claims, nonce) != NULL);
  /* NULL nonce: the nonce is not checked. */
  CHECK_OK(authgate_client_validate_id_token(client, id, NULL, &none));
  CHECK_RC(authgate_client_validate_id_token(client, id, "another-nonce", &none),
           AUTHGATE_ID_TOKEN_NONCE);

  /* One faulty id_token: its own code, and the token never in the message. */
  CHECK(emulator_control("fault", "{\"path\":\"" KONTUR_TOKEN_PATH
                                  "\",\"kind\":\"id_token_wrong_audience\"}") == 0);
  CHECK(sign_in_code(client, NULL, &bad, nonce, sizeof nonce) == 0);
  CHECK_OK(authgate_token_set_id_token(bad, &id));
  CHECK_RC(authgate_client_validate_id_token(client, id, nonce, &none), AUTHGATE_ID_TOKEN_AUDIENCE);
  CHECK(strstr(authgate_last_error_message(), id) == NULL);
  CHECK(none != NULL && strstr(none, "user-1") != NULL); /* the earlier success's string */

  /* A client without an issuer cannot validate. */
  plain = emulator_client(AUTHGATE_PROVIDER_KONTUR, "kontur-service", "kontur-api-key");
  CHECK(plain != NULL);
  CHECK_RC(authgate_client_validate_id_token(plain, id, NULL, &claims), AUTHGATE_CONFIG);
  failed = 0;
cleanup:
  authgate_string_free(claims);
  authgate_string_free(none);
  authgate_token_set_free(ts);
  authgate_token_set_free(bad);
  authgate_client_free(client);
  authgate_client_free(plain);
  return failed;
}

static int test_userinfo_revoke_introspect(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  const char *access = NULL, *refresh = NULL;
  char *user = NULL, *info = NULL, *after = NULL, *dead = NULL;

  client = kontur("openid extern.api offline_access");
  CHECK(client != NULL);
  CHECK(sign_in_code(client, NULL, &ts, NULL, 0) == 0);
  CHECK_OK(authgate_token_set_access_token(ts, &access));
  CHECK_OK(authgate_token_set_refresh_token(ts, &refresh));
  CHECK(refresh != NULL);

  CHECK_OK(authgate_client_userinfo(client, access, &user));
  CHECK(strstr(user, "\"sub\":\"user-1\"") != NULL);
  CHECK(strstr(user, "\"email\":\"user1@example.test\"") != NULL);

  CHECK_OK(authgate_client_introspect(client, access, &info));
  CHECK(strstr(info, "\"active\":true") != NULL);
  CHECK(strstr(info, "\"sub\":\"user-1\"") != NULL);

  CHECK_RC(authgate_client_revoke(client, "", NULL), AUTHGATE_INVALID_ARGUMENT);
  CHECK_OK(authgate_client_revoke(client, refresh, "refresh_token"));
  CHECK_OK(authgate_client_introspect(client, access, &after));
  CHECK(strstr(after, "\"active\":false") != NULL);
  CHECK_RC(authgate_client_userinfo(client, access, &dead), AUTHGATE_OAUTH);
  CHECK(authgate_last_error_http_status() == 401);
  CHECK_STR(authgate_last_error_oauth_error(), "invalid_token");
  /* The resource server's challenge, as Rust's `www_authenticate` and Python's. */
  CHECK(authgate_last_error_www_authenticate() != NULL);
  CHECK(strncmp(authgate_last_error_www_authenticate(), "Bearer ", 7) == 0);
  CHECK(strstr(authgate_last_error_www_authenticate(), "invalid_token") != NULL);
  CHECK(strstr(authgate_last_error_json(), "\"www_authenticate\":\"Bearer ") != NULL);
  CHECK(dead == NULL);
  /* Revoking again succeeds (RFC 7009 §2.2). */
  CHECK_OK(authgate_client_revoke(client, refresh, NULL));
  failed = 0;
cleanup:
  authgate_string_free(user);
  authgate_string_free(info);
  authgate_string_free(after);
  authgate_string_free(dead);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

/* --- the device flow ------------------------------------------------------------- */

static int approve(authgate_device *device) {
  const char *code = NULL;
  char body[256];
  if (authgate_device_user_code(device, &code) != AUTHGATE_OK) return -1;
  snprintf(body, sizeof body, "{\"user_code\":\"%s\",\"approve\":true}", code);
  return emulator_control("device/approve", body);
}

static int test_device_polled(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_device *device = NULL;
  authgate_token_set *ts = NULL;
  const char *s = NULL, *code = NULL;
  char *svg = NULL, *text = NULL;
  uint64_t n = 0, interval = 0;
  authgate_result rc;

  client = kontur(NULL);
  CHECK(client != NULL);
  CHECK_RC(authgate_client_device_authorization(client, NULL, NULL), AUTHGATE_NULL_POINTER);
  CHECK_OK(authgate_client_device_authorization(client, NULL, &device));
  CHECK_OK(authgate_device_user_code(device, &code));
  CHECK(code != NULL && strlen(code) == 9 && code[4] == '-');
  CHECK_OK(authgate_device_verification_uri(device, &s));
  CHECK(s != NULL && strstr(s, "/device") != NULL);
  CHECK_OK(authgate_device_verification_uri_complete(device, &s));
  CHECK(s != NULL && strstr(s, code) != NULL);
  CHECK_OK(authgate_device_expires_in(device, &n));
  CHECK(n == 300);
  CHECK_OK(authgate_device_interval(device, &interval));
  CHECK(interval == 1);
  CHECK_OK(authgate_device_qr_svg(device, &svg));
  CHECK(strstr(svg, "<svg") != NULL);
  CHECK_OK(authgate_device_qr_text(device, &text));
  CHECK(strlen(text) > 100 && strchr(text, '\n') != NULL);

  /* Not yet: PENDING, then (polling at once again) SLOW_DOWN; neither writes *out. */
  CHECK_RC(authgate_client_poll_device_token(client, device, &ts), AUTHGATE_PENDING);
  CHECK(authgate_last_error_code() == AUTHGATE_PENDING);
  CHECK(ts == NULL);
  CHECK_RC(authgate_client_poll_device_token(client, device, &ts), AUTHGATE_SLOW_DOWN);
  CHECK(authgate_last_error_code() == AUTHGATE_SLOW_DOWN);
  CHECK(ts == NULL);
  CHECK_OK(authgate_device_interval(device, &interval));
  CHECK(interval == 6); /* RFC 8628 §3.5: 5 s more */

  CHECK(approve(device) == 0);
  /* The emulator's own interval for this code is 2 s now: its clock moves on instead of
   * the test sleeping. */
  CHECK(emulator_control("clock", "{\"advance\":2}") == 0);
  rc = authgate_client_poll_device_token(client, device, &ts);
  CHECK_RC(rc, AUTHGATE_OK);
  CHECK_OK(authgate_token_set_access_token(ts, &s));
  CHECK(s != NULL && s[0] != '\0');
  failed = 0;
cleanup:
  authgate_string_free(svg);
  authgate_string_free(text);
  authgate_token_set_free(ts);
  authgate_device_free(device);
  authgate_client_free(client);
  return failed;
}

static int test_device_waited_on_a_thread(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_device *device = NULL;
  authgate_operation *op = NULL;
  authgate_token_set *ts = NULL;
  const char *s = NULL;
  uint32_t state = 99;

  client = kontur(NULL);
  CHECK(client != NULL);
  CHECK_OK(authgate_client_device_authorization(client, "openid extern.api", &device));
  CHECK_OK(authgate_client_wait_for_device_token_start(client, device, &op));
  /* The device handle may go: the operation has its own copy. */
  CHECK(approve(device) == 0);
  authgate_device_free(device);
  device = NULL;
  CHECK_OK(authgate_operation_state(op, &state));
  CHECK(state == AUTHGATE_OPERATION_WAITING || state == AUTHGATE_OPERATION_QUEUED ||
        state == AUTHGATE_OPERATION_DONE);
  CHECK_OK(authgate_operation_wait(op, 20000));
  CHECK_OK(authgate_operation_state(op, &state));
  CHECK(state == AUTHGATE_OPERATION_DONE);
  CHECK_OK(authgate_operation_take_result(op, &ts));
  CHECK_OK(authgate_token_set_id_token(ts, &s));
  CHECK(s != NULL);
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_operation_free(op);
  authgate_device_free(device);
  authgate_client_free(client);
  return failed;
}

static int test_device_cancelled(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_device *device = NULL;
  authgate_operation *op = NULL;
  authgate_token_set *ts = NULL;
  uint32_t state = 99;
  double t0, waited;

  client = kontur(NULL);
  CHECK(client != NULL);
  CHECK_OK(authgate_client_device_authorization(client, NULL, &device));
  CHECK_OK(authgate_client_device_token_start(client, device, &op));
  CHECK_RC(authgate_operation_wait(op, 300), AUTHGATE_PENDING);
  CHECK_OK(authgate_operation_state(op, &state));
  CHECK(state == AUTHGATE_OPERATION_WAITING);
  t0 = monotonic_ms();
  CHECK_OK(authgate_operation_cancel(op));
  CHECK_OK(authgate_operation_wait(op, 10000));
  waited = monotonic_ms() - t0;
  fprintf(stderr, "  stopped %.0f ms after cancel\n", waited);
  CHECK(waited < 1500); /* promptly, not after the next poll or the code's expiry */
  CHECK_OK(authgate_operation_state(op, &state));
  CHECK(state == AUTHGATE_OPERATION_CANCELLED);
  CHECK_RC(authgate_operation_take_result(op, &ts), AUTHGATE_CANCELLED);
  CHECK(ts == NULL);
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_operation_free(op);
  authgate_device_free(device);
  authgate_client_free(client);
  return failed;
}

static int test_device_huge_interval_is_capped(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_device *device = NULL;
  authgate_token_set *ts = NULL;
  uint64_t interval = 0;

  client = kontur(NULL);
  CHECK(client != NULL);
  /* 2^64 - 3 seconds: then every poll is too soon and answered slow_down. */
  CHECK(emulator_control("device", "{\"interval\":18446744073709551613}") == 0);
  CHECK_OK(authgate_client_device_authorization(client, NULL, &device));
  CHECK_OK(authgate_device_interval(device, &interval));
  CHECK(interval == 60);
  CHECK_RC(authgate_client_poll_device_token(client, device, &ts), AUTHGATE_PENDING);
  CHECK_RC(authgate_client_poll_device_token(client, device, &ts), AUTHGATE_SLOW_DOWN);
  CHECK_RC(authgate_client_poll_device_token(client, device, &ts), AUTHGATE_SLOW_DOWN);
  CHECK_OK(authgate_device_interval(device, &interval));
  CHECK(interval == 60);
  failed = 0;
cleanup:
  emulator_control("device", "{\"interval\":1}");
  authgate_token_set_free(ts);
  authgate_device_free(device);
  authgate_client_free(client);
  return failed;
}

static int test_device_resumed_after_a_restart(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_device *device = NULL;
  authgate_operation *op = NULL;
  authgate_token_set *ts = NULL;
  char *json = NULL, *expired = NULL, user_code[32];
  const char *s = NULL;
  uint64_t interval = 0;
  long before;

  /* Before the restart: start, save, and drop the client and the device. */
  client = kontur(NULL);
  CHECK(client != NULL);
  CHECK_OK(authgate_client_device_authorization(client, "openid", &device));
  CHECK_OK(authgate_device_user_code(device, &s));
  snprintf(user_code, sizeof user_code, "%s", s);
  CHECK_RC(authgate_device_to_json(device, NULL), AUTHGATE_NULL_POINTER);
  CHECK_OK(authgate_device_to_json(device, &json));
  CHECK(strstr(json, "\"device_code\":") != NULL && strstr(json, "\"expires_at\":") != NULL);
  CHECK(strstr(json, "\"scopes\":[\"openid\"]") != NULL);
  authgate_device_free(device);
  device = NULL;
  authgate_client_free(client);
  client = NULL;

  /* After it: a new client polls on the saved authorization. */
  client = kontur(NULL);
  CHECK(client != NULL);
  CHECK_RC(authgate_device_from_json("{}", &device), AUTHGATE_INVALID_ARGUMENT);
  CHECK_RC(authgate_device_from_json("not json", &device), AUTHGATE_INVALID_ARGUMENT);
  CHECK(device == NULL);
  CHECK_OK(authgate_device_from_json(json, &device));
  CHECK_OK(authgate_device_user_code(device, &s));
  CHECK_STR(s, user_code);
  CHECK_OK(authgate_device_interval(device, &interval));
  CHECK(interval == 1);
  CHECK(approve(device) == 0);
  CHECK_OK(authgate_client_device_token_start(client, device, &op));
  CHECK_OK(authgate_operation_wait(op, 20000));
  CHECK_OK(authgate_operation_take_result(op, &ts));
  CHECK_OK(authgate_token_set_scope(ts, &s));
  CHECK_STR(s, "openid");

  /* Saved codes that expired while the till was off: expired_token, no request. */
  authgate_device_free(device);
  device = NULL;
  {
    const char *at = strstr(json, "\"expires_at\":");
    size_t head = (size_t)(at - json);
    const char *rest = strchr(at, ',');
    expired = malloc(strlen(json) + 32);
    CHECK(expired != NULL && rest != NULL);
    snprintf(expired, strlen(json) + 32, "%.*s\"expires_at\":1000%s", (int)head, json, rest);
  }
  CHECK_OK(authgate_device_from_json(expired, &device));
  before = emulator_count(KONTUR_TOKEN_PATH);
  authgate_token_set_free(ts);
  ts = NULL;
  CHECK_RC(authgate_client_poll_device_token(client, device, &ts), AUTHGATE_OAUTH);
  CHECK_STR(authgate_last_error_oauth_error(), "expired_token");
  CHECK(emulator_count(KONTUR_TOKEN_PATH) == before);
  failed = 0;
cleanup:
  free(expired);
  authgate_string_free(json);
  authgate_token_set_free(ts);
  authgate_operation_free(op);
  authgate_device_free(device);
  authgate_client_free(client);
  return failed;
}

/* --- the loopback sign-in -------------------------------------------------------- */

/* Waits until the operation has built its authorization URL. */
static const char *wait_for_url(authgate_operation *op) {
  const char *url = NULL;
  for (int i = 0; i < 500 && url == NULL; i++) {
    if (authgate_operation_authorization_url(op, &url) != AUTHGATE_OK) return NULL;
    if (url == NULL) sleep_ms(10);
  }
  return url;
}

static int test_loopback_sign_in(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_operation *op = NULL;
  authgate_token_set *ts = NULL;
  const char *url = NULL, *s = NULL;
  char location[4096], page[8192];

  client = kontur(NULL);
  CHECK(client != NULL);
  CHECK_RC(authgate_client_sign_in_loopback_start(client, "{\"bogus\":1}", &op),
           AUTHGATE_INVALID_ARGUMENT);
  CHECK_RC(authgate_client_sign_in_loopback_start(client, "{\"port\":70000}", &op),
           AUTHGATE_INVALID_ARGUMENT);
  CHECK_RC(authgate_client_sign_in_loopback_start(client, "{\"browser_command\":\" \"}", &op),
           AUTHGATE_INVALID_ARGUMENT);
  CHECK(op == NULL);
  CHECK_OK(authgate_client_sign_in_loopback_start(
      client, "{\"browser_command\":\"none\",\"timeout_ms\":30000,\"path\":\"/callback\"}", &op));
  url = wait_for_url(op);
  CHECK(url != NULL);
  CHECK(strstr(url, "redirect_uri=http%3A%2F%2F127.0.0.1%3A") != NULL);
  CHECK(strstr(url, "nonce=") != NULL && strstr(url, "code_challenge=") != NULL);
  /* The test is the browser: the provider redirects to the loopback listener. */
  CHECK(follow_authorize(url, location, sizeof location) == 0);
  CHECK(strncmp(location, "http://127.0.0.1:", 17) == 0);
  CHECK(strstr(location, "/callback?code=") != NULL);
  CHECK(http_request("GET", location, NULL, page, sizeof page) == 200);
  CHECK(strstr(page, "Signed in") != NULL);
  CHECK_OK(authgate_operation_wait(op, 20000));
  CHECK_OK(authgate_operation_take_result(op, &ts));
  CHECK_OK(authgate_token_set_id_token(ts, &s)); /* validated on the way */
  CHECK(s != NULL);
  CHECK_OK(authgate_operation_authorization_url(op, &s));
  CHECK(s == url); /* stable for the operation's life */
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_operation_free(op);
  authgate_client_free(client);
  return failed;
}

static int test_loopback_cancelled(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_operation *op = NULL, *other = NULL;
  authgate_token_set *ts = NULL;
  const char *url = NULL;
  uint32_t state = 99;
  double t0, waited;

  client = kontur(NULL);
  CHECK(client != NULL);
  CHECK_OK(authgate_client_sign_in_loopback_start(client, "{\"browser_command\":\"none\"}", &op));
  CHECK(wait_for_url(op) != NULL);
  CHECK_OK(authgate_operation_state(op, &state));
  CHECK(state == AUTHGATE_OPERATION_WAITING);
  t0 = monotonic_ms();
  CHECK_OK(authgate_operation_cancel(op));
  CHECK_OK(authgate_operation_wait(op, 10000));
  waited = monotonic_ms() - t0;
  CHECK(waited < 1500);
  CHECK_OK(authgate_operation_state(op, &state));
  CHECK(state == AUTHGATE_OPERATION_CANCELLED);
  CHECK_RC(authgate_operation_take_result(op, &ts), AUTHGATE_CANCELLED);

  /* A token request operation has no authorization URL. */
  CHECK_OK(authgate_client_client_credentials_start(client, NULL, NULL, &other));
  CHECK_OK(authgate_operation_authorization_url(other, &url));
  CHECK(url == NULL);
  authgate_operation_wait(other, 10000);
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_operation_free(op);
  authgate_operation_free(other);
  authgate_client_free(client);
  return failed;
}

/* Connects to the listener of the sign-in whose URL this is and sends the start of a
 * request head, never its end. Returns the socket (close it), or -1. */
static int stall(const char *url) {
  const char *p = strstr(url, "redirect_uri=http%3A%2F%2F127.0.0.1%3A");
  if (p == NULL) return -1;
  int port = atoi(p + strlen("redirect_uri=http%3A%2F%2F127.0.0.1%3A"));
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const char part[] = "GET /callback?code=x";
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      write(fd, part, sizeof part - 1) != (ssize_t)(sizeof part - 1)) {
    close(fd);
    return -1;
  }
  return fd;
}

/* A local peer that connects and stalls holds up neither the timeout nor a cancel. */
static int test_loopback_stalled_peer(void) {
  int failed = 1, fd = -1;
  authgate_client *client = NULL;
  authgate_operation *op = NULL;
  authgate_token_set *ts = NULL;
  uint32_t state = 99;
  double t0, took;

  client = kontur(NULL);
  CHECK(client != NULL);
  t0 = monotonic_ms();
  CHECK_OK(authgate_client_sign_in_loopback_start(
      client, "{\"browser_command\":\"none\",\"timeout_ms\":2000}", &op));
  fd = stall(wait_for_url(op));
  CHECK(fd >= 0);
  CHECK_OK(authgate_operation_wait(op, 20000));
  took = monotonic_ms() - t0;
  fprintf(stderr, "  timed out after %.0f ms\n", took);
  CHECK_RC(authgate_operation_take_result(op, &ts), AUTHGATE_TIMEOUT);
  CHECK(took < 3500);
  close(fd);
  authgate_operation_free(op);
  op = NULL;

  CHECK_OK(authgate_client_sign_in_loopback_start(client, "{\"browser_command\":\"none\"}", &op));
  fd = stall(wait_for_url(op));
  CHECK(fd >= 0);
  sleep_ms(200); /* the listener has taken the connection */
  t0 = monotonic_ms();
  CHECK_OK(authgate_operation_cancel(op));
  CHECK_OK(authgate_operation_wait(op, 10000));
  took = monotonic_ms() - t0;
  fprintf(stderr, "  stopped %.0f ms after cancel\n", took);
  CHECK(took < 1500);
  CHECK_OK(authgate_operation_state(op, &state));
  CHECK(state == AUTHGATE_OPERATION_CANCELLED);
  failed = 0;
cleanup:
  if (fd >= 0) close(fd);
  authgate_token_set_free(ts);
  authgate_operation_free(op);
  authgate_client_free(client);
  return failed;
}

static int test_loopback_wrong_state_then_the_right_one(void) {
  int failed = 1, fd = -1;
  authgate_client *client = NULL;
  authgate_operation *op = NULL;
  authgate_token_set *ts = NULL;
  const char *url = NULL;
  char location[4096], forged[4096], page[8192];

  client = kontur(NULL);
  CHECK(client != NULL);
  CHECK_OK(authgate_client_sign_in_loopback_start(
      client, "{\"browser_command\":\"none\",\"timeout_ms\":30000}", &op));
  url = wait_for_url(op);
  CHECK(url != NULL);
  fd = stall(url);
  CHECK(fd >= 0);
  CHECK(follow_authorize(url, location, sizeof location) == 0);
  /* Another path, and the redirect with another state: answered, and ignored. */
  snprintf(forged, sizeof forged, "%.*s/favicon.ico", (int)(strstr(location, "/callback") - location),
           location);
  CHECK(http_request("GET", forged, NULL, page, sizeof page) == 404);
  snprintf(forged, sizeof forged, "%.*s/callback?code=forged&state=wrong",
           (int)(strstr(location, "/callback") - location), location);
  CHECK(http_request("GET", forged, NULL, page, sizeof page) == 400);
  CHECK_RC(authgate_operation_wait(op, 200), AUTHGATE_PENDING);
  /* Then the real one. */
  CHECK(http_request("GET", location, NULL, page, sizeof page) == 200);
  CHECK(strstr(page, "Signed in") != NULL);
  CHECK_OK(authgate_operation_wait(op, 20000));
  CHECK_OK(authgate_operation_take_result(op, &ts));
  failed = 0;
cleanup:
  if (fd >= 0) close(fd);
  authgate_token_set_free(ts);
  authgate_operation_free(op);
  authgate_client_free(client);
  return failed;
}

int main(void) {
  RUN(test_discovery);
  RUN(test_setters_without_discovery);
  RUN(test_validate_id_token_and_a_fault);
  RUN(test_userinfo_revoke_introspect);
  RUN(test_device_polled);
  RUN(test_device_waited_on_a_thread);
  RUN(test_device_cancelled);
  RUN(test_loopback_sign_in);
  RUN(test_loopback_cancelled);
  RUN(test_device_huge_interval_is_capped);
  RUN(test_device_resumed_after_a_restart);
  RUN(test_loopback_stalled_peer);
  RUN(test_loopback_wrong_state_then_the_right_one);
  return harness_report();
}
