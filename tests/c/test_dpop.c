/* DPoP (RFC 9449) through the C ABI against the emulator: a DPoP-bound token from the
 * token endpoint (with the nonce dance), the two headers for an API request, the
 * resource server's nonce, UserInfo with a DPoP-bound token, and the typed failures. */
#include "harness.h"

static authgate_client *dpop_client(void) {
  authgate_client *client = NULL;
  authgate_config *cfg = emulator_config(AUTHGATE_PROVIDER_CUBA, "client", "secret");
  if (cfg == NULL) return NULL;
  if (authgate_config_set_dpop(cfg, 1) != AUTHGATE_OK ||
      authgate_client_new(cfg, &client) != AUTHGATE_OK) {
    fprintf(stderr, "  client: %s\n", authgate_last_error_message());
    client = NULL;
  }
  authgate_config_free(cfg);
  return client;
}

/* GETs /api/me with the DPoP headers for `url`; the answer (head and body) in buf. */
static int call_api(authgate_client *client, const char *url, const char *token, char *buf,
                    size_t cap) {
  char *authorization = NULL, *dpop = NULL;
  char headers[4096];
  int status = -1;
  if (authgate_client_dpop_headers(client, "GET", url, token, &authorization, &dpop) !=
      AUTHGATE_OK)
    return -1;
  snprintf(headers, sizeof headers, "Authorization: %s\r\nDPoP: %s\r\n", authorization, dpop);
  status = http_request_with("GET", "/api/me", headers, NULL, buf, cap);
  authgate_string_free(authorization);
  authgate_string_free(dpop);
  return status;
}

/* The DPoP-Nonce header of a raw answer, copied into out (empty if none). */
static void nonce_of(const char *answer, char *out, size_t cap) {
  const char *h = strstr(answer, "dpop-nonce: ");
  if (h == NULL) h = strstr(answer, "DPoP-Nonce: ");
  out[0] = '\0';
  if (h == NULL) return;
  h += strlen("DPoP-Nonce: ");
  size_t n = strcspn(h, "\r\n");
  if (n >= cap) n = cap - 1;
  memcpy(out, h, n);
  out[n] = '\0';
}

static int test_bound_tokens_and_api_headers(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  const char *s = NULL, *token = NULL;
  char *authorization = NULL, *dpop = NULL;
  char url[256], buf[8192];
  snprintf(url, sizeof url, "%s/api/me", emulator_url());

  emulator_control("reset", NULL);
  CHECK(emulator_control("dpop", "{\"nonce\":true}") == 0);
  client = dpop_client();
  CHECK(client != NULL);
  CHECK_OK(authgate_client_password(client, "admin", "admin", NULL, NULL, &ts));
  CHECK(emulator_count("/app/rest/v2/oauth/token") == 2); /* the nonce dance */
  CHECK_OK(authgate_token_set_token_type(ts, &s));
  CHECK_STR(s, "DPoP");
  CHECK_OK(authgate_token_set_authorization_header(ts, &s));
  CHECK(strncmp(s, "DPoP ", 5) == 0);
  CHECK_OK(authgate_token_set_access_token(ts, &token));

  /* The headers: the token with the DPoP scheme, and a three-part proof. */
  CHECK_OK(authgate_client_dpop_headers(client, "GET", url, token, &authorization, &dpop));
  CHECK(strncmp(authorization, "DPoP ", 5) == 0 && strcmp(authorization + 5, token) == 0);
  CHECK(strchr(dpop, '.') != NULL && strchr(strchr(dpop, '.') + 1, '.') != NULL);

  /* Same server: its nonce is known, the API takes the token at once. */
  CHECK(call_api(client, url, token, buf, sizeof buf) == 200);
  /* A proof for another URL is refused. */
  char other[256];
  snprintf(other, sizeof other, "%s/api/other", emulator_url());
  CHECK(call_api(client, other, token, buf, sizeof buf) == 401);
  CHECK(strstr(buf, "htu") != NULL);
  failed = 0;
cleanup:
  emulator_control("reset", NULL);
  authgate_string_free(authorization);
  authgate_string_free(dpop);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

static int test_resource_nonce_retry(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  const char *token = NULL;
  char url[256], buf[8192], nonce[256];
  int32_t is_new = -1;
  snprintf(url, sizeof url, "%s/api/me", emulator_url());

  emulator_control("reset", NULL);
  client = dpop_client();
  CHECK(client != NULL);
  CHECK_OK(authgate_client_password(client, "admin", "admin", NULL, NULL, &ts));
  CHECK_OK(authgate_token_set_access_token(ts, &token));
  /* The API now wants a nonce the client has not seen. */
  CHECK(emulator_control("dpop", "{\"nonce\":true}") == 0);
  CHECK(call_api(client, url, token, buf, sizeof buf) == 401);
  CHECK(strstr(buf, "use_dpop_nonce") != NULL);
  nonce_of(buf, nonce, sizeof nonce);
  CHECK(nonce[0] != '\0');
  CHECK_OK(authgate_client_remember_dpop_nonce(client, url, nonce, &is_new));
  CHECK(is_new == 1);
  CHECK_OK(authgate_client_remember_dpop_nonce(client, url, nonce, NULL));
  CHECK_OK(authgate_client_remember_dpop_nonce(client, url, nonce, &is_new));
  CHECK(is_new == 0);
  CHECK(call_api(client, url, token, buf, sizeof buf) == 200);
  failed = 0;
cleanup:
  emulator_control("reset", NULL);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

static int test_userinfo_with_a_bound_token(void) {
  int failed = 1;
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  const char *s = NULL, *token = NULL;
  char *user = NULL;
  char sent[16384], expected[4096];

  emulator_control("reset", NULL);
  /* A Kontur client by discovery (it has a UserInfo endpoint), with DPoP. */
  CHECK_OK(authgate_config_new(AUTHGATE_PROVIDER_KONTUR, &cfg));
  CHECK_OK(authgate_config_set_client_id(cfg, "kontur-service"));
  CHECK_OK(authgate_config_set_client_secret(cfg, "kontur-api-key"));
  CHECK_OK(authgate_config_set_redirect_uri(cfg, "http://127.0.0.1/callback"));
  CHECK_OK(authgate_config_set_timeout_ms(cfg, 10000));
  CHECK_OK(authgate_config_set_dpop(cfg, 1));
  CHECK_OK(authgate_config_discover(cfg, emulator_url()));
  CHECK_OK(authgate_client_new(cfg, &client));
  CHECK(sign_in_code(client, NULL, &ts, NULL, 0) == 0);
  CHECK_OK(authgate_token_set_token_type(ts, &s));
  CHECK_STR(s, "DPoP");
  CHECK_OK(authgate_token_set_access_token(ts, &token));

  /* UserInfo now wants a nonce: refused once, sent again with it, answered. */
  CHECK(emulator_control("dpop", "{\"nonce\":true}") == 0);
  CHECK_OK(authgate_client_userinfo(client, token, &user));
  CHECK(strstr(user, "\"sub\":\"user-1\"") != NULL);
  CHECK(emulator_count("/connect/userinfo") == 2);
  CHECK(emulator_last_request("/connect/userinfo", sent, sizeof sent) == 200);
  snprintf(expected, sizeof expected, "[\"authorization\",\"DPoP %s\"]", token);
  CHECK(strstr(sent, expected) != NULL);
  CHECK(strstr(sent, "[\"dpop\",\"") != NULL);
  failed = 0;
cleanup:
  emulator_control("reset", NULL);
  authgate_string_free(user);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  authgate_config_free(cfg);
  return failed;
}

static int test_typed_failures(void) {
  int failed = 1;
  authgate_client *client = NULL, *plain = NULL;
  authgate_token_set *ts = NULL;
  char *authorization = NULL, *dpop = NULL;

  emulator_control("reset", NULL);
  client = dpop_client();
  CHECK(client != NULL);
  /* A server that keeps asking for a new nonce: one retry, then its error. */
  CHECK(emulator_control("dpop", "{\"keep_asking\":true}") == 0);
  CHECK_RC(authgate_client_password(client, "admin", "admin", NULL, NULL, &ts), AUTHGATE_OAUTH);
  CHECK(strstr(authgate_last_error_message(), "use_dpop_nonce") != NULL);
  CHECK(emulator_count("/app/rest/v2/oauth/token") == 2);
  /* Headers from a client without DPoP: a configuration error, nothing written. */
  plain = emulator_client(AUTHGATE_PROVIDER_CUBA, "client", "secret");
  CHECK(plain != NULL);
  CHECK_RC(authgate_client_dpop_headers(plain, "GET", "http://127.0.0.1/x", "tok", &authorization,
                                        &dpop),
           AUTHGATE_CONFIG);
  CHECK(authorization == NULL && dpop == NULL);
  CHECK_RC(authgate_client_dpop_headers(client, "GET", "not a url", "tok", &authorization, &dpop),
           AUTHGATE_INVALID_ARGUMENT);
  CHECK_RC(authgate_client_dpop_headers(client, "GET", "http://127.0.0.1/x", "tok", NULL, &dpop),
           AUTHGATE_NULL_POINTER);
  failed = 0;
cleanup:
  emulator_control("reset", NULL);
  authgate_string_free(authorization);
  authgate_string_free(dpop);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  authgate_client_free(plain);
  return failed;
}

int main(void) {
  RUN(test_bound_tokens_and_api_headers);
  RUN(test_resource_nonce_retry);
  RUN(test_userinfo_with_a_bound_token);
  RUN(test_typed_failures);
  return harness_report();
}
