/* The interactive sign-ins through the installed C library, against the emulator's Kontur
 * dialect: a device flow with a server's absurd interval, a device flow saved as JSON and
 * resumed by a new client, and a loopback sign-in that a stalled local peer or a wrong
 * `state` cannot hold up or end. */
#include "harness.h"

#define KONTUR_TOKEN_PATH "/connect/token"

static authgate_client *kontur(void) {
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  if (authgate_config_new(AUTHGATE_PROVIDER_KONTUR, &cfg) != AUTHGATE_OK ||
      authgate_config_set_client_id(cfg, "kontur-service") != AUTHGATE_OK ||
      authgate_config_set_client_secret(cfg, "kontur-api-key") != AUTHGATE_OK ||
      authgate_config_set_redirect_uri(cfg, "http://127.0.0.1/callback") != AUTHGATE_OK ||
      authgate_config_set_timeout_ms(cfg, 10000) != AUTHGATE_OK ||
      authgate_config_discover(cfg, emulator_url()) != AUTHGATE_OK ||
      authgate_client_new(cfg, &client) != AUTHGATE_OK) {
    fprintf(stderr, "  kontur client: %s\n", authgate_last_error_message());
    client = NULL;
  }
  authgate_config_free(cfg);
  return client;
}

static int approve(const char *user_code) {
  char body[256];
  snprintf(body, sizeof body, "{\"user_code\":\"%s\",\"approve\":true}", user_code);
  return emulator_control("device/approve", body);
}

/* --- the device flow ------------------------------------------------------------- */

static int test_device_huge_interval_is_capped(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_device *device = NULL;
  authgate_token_set *ts = NULL;
  uint64_t interval = 0;

  client = kontur();
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
  client = kontur();
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
  client = kontur();
  CHECK(client != NULL);
  CHECK_RC(authgate_device_from_json("{}", &device), AUTHGATE_INVALID_ARGUMENT);
  CHECK_RC(authgate_device_from_json("not json", &device), AUTHGATE_INVALID_ARGUMENT);
  CHECK(device == NULL);
  CHECK_OK(authgate_device_from_json(json, &device));
  CHECK_OK(authgate_device_user_code(device, &s));
  CHECK_STR(s, user_code);
  CHECK_OK(authgate_device_interval(device, &interval));
  CHECK(interval == 1);
  CHECK(approve(user_code) == 0);
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

static const char *wait_for_url(authgate_operation *op) {
  const char *url = NULL;
  for (int i = 0; i < 500 && url == NULL; i++) {
    if (authgate_operation_authorization_url(op, &url) != AUTHGATE_OK) return NULL;
    if (url == NULL) sleep_ms(10);
  }
  return url;
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

static int test_loopback_timeout_with_a_stalled_peer(void) {
  int failed = 1, fd = -1;
  authgate_client *client = NULL;
  authgate_operation *op = NULL;
  authgate_token_set *ts = NULL;
  double t0, took;

  client = kontur();
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
  failed = 0;
cleanup:
  if (fd >= 0) close(fd);
  authgate_token_set_free(ts);
  authgate_operation_free(op);
  authgate_client_free(client);
  return failed;
}

static int test_loopback_cancel_with_a_stalled_peer(void) {
  int failed = 1, fd = -1;
  authgate_client *client = NULL;
  authgate_operation *op = NULL;
  uint32_t state = 99;
  double t0, waited;

  client = kontur();
  CHECK(client != NULL);
  CHECK_OK(authgate_client_sign_in_loopback_start(client, "{\"browser_command\":\"none\"}", &op));
  fd = stall(wait_for_url(op));
  CHECK(fd >= 0);
  sleep_ms(200); /* the listener has taken the connection */
  t0 = monotonic_ms();
  CHECK_OK(authgate_operation_cancel(op));
  CHECK_OK(authgate_operation_wait(op, 10000));
  waited = monotonic_ms() - t0;
  fprintf(stderr, "  stopped %.0f ms after cancel\n", waited);
  CHECK(waited < 1500);
  CHECK_OK(authgate_operation_state(op, &state));
  CHECK(state == AUTHGATE_OPERATION_CANCELLED);
  failed = 0;
cleanup:
  if (fd >= 0) close(fd);
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

  client = kontur();
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
  RUN(test_device_huge_interval_is_capped);
  RUN(test_device_resumed_after_a_restart);
  RUN(test_loopback_timeout_with_a_stalled_peer);
  RUN(test_loopback_cancel_with_a_stalled_peer);
  RUN(test_loopback_wrong_state_then_the_right_one);
  return harness_report();
}
