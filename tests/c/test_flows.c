/* Each preset's full flow against the emulator, through the installed C library. */
#include "harness.h"

/* Authorization URL → browser → callback → code exchange. On success *out is the set. */
static int code_flow(authgate_client *client, authgate_authorization *auth,
                     authgate_token_set **out) {
  int failed = 1;
  const char *url = NULL, *verifier = NULL;
  char location[4096];
  char *code = NULL;
  CHECK_OK(authgate_authorization_url(auth, &url));
  CHECK(follow_authorize(url, location, sizeof location) == 0);
  CHECK_OK(authgate_authorization_parse_callback(auth, location, &code));
  CHECK(strlen(code) > 0);
  CHECK_OK(authgate_authorization_code_verifier(auth, &verifier));
  CHECK(verifier != NULL);
  CHECK_OK(authgate_client_exchange_code(client, code, verifier, NULL, NULL, out));
  failed = 0;
cleanup:
  authgate_string_free(code);
  return failed;
}

static int test_taxcom_code_flow(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_authorization *auth = NULL;
  authgate_token_set *ts = NULL;
  const char *s = NULL;
  int64_t n = 0, at = 0;

  client = emulator_client(AUTHGATE_PROVIDER_TAXCOM, "taxcom-app", "taxcom-secret");
  CHECK(client != NULL);
  CHECK_OK(authgate_client_authorization_url(client, NULL, NULL, NULL, NULL, NULL, NULL, &auth));
  CHECK_OK(authgate_authorization_url(auth, &s));
  CHECK(strstr(s, "/core/connect/authorize?response_type=code") != NULL);
  CHECK(strstr(s, "scope=api") != NULL);
  CHECK_OK(authgate_authorization_nonce(auth, &s));
  CHECK(s == NULL); /* no openid scope, no nonce */
  CHECK(code_flow(client, auth, &ts) == 0);
  CHECK_OK(authgate_token_set_access_token(ts, &s));
  CHECK(s != NULL && strlen(s) > 0);
  CHECK_OK(authgate_token_set_token_type(ts, &s));
  CHECK_STR(s, "Bearer");
  CHECK_OK(authgate_token_set_expires_in(ts, &n));
  CHECK(n == 3600000);
  CHECK_OK(authgate_token_set_expires_at(ts, &at));
  CHECK(at > (int64_t)time(NULL) + 3599000);
  CHECK_OK(authgate_token_set_refresh_token(ts, &s));
  CHECK(s == NULL); /* Taxcom issues none */
  CHECK_OK(authgate_token_set_authorization_header(ts, &s));
  CHECK(strncmp(s, "Bearer ", 7) == 0);
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_authorization_free(auth);
  authgate_client_free(client);
  return failed;
}

static int test_kontur_code_flow_with_nonce(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_authorization *auth = NULL;
  authgate_token_set *ts = NULL;
  const char *s = NULL, *nonce = NULL;

  client = emulator_client(AUTHGATE_PROVIDER_KONTUR, "kontur-service", "kontur-api-key");
  CHECK(client != NULL);
  CHECK_OK(authgate_client_authorization_url(client, NULL, NULL, NULL, NULL, NULL, NULL, &auth));
  CHECK_OK(authgate_authorization_nonce(auth, &nonce));
  CHECK(nonce != NULL && strlen(nonce) >= 16);
  CHECK_OK(authgate_authorization_url(auth, &s));
  CHECK(strstr(s, "scope=openid+extern.api") != NULL);
  CHECK(strstr(s, "nonce=") != NULL && strstr(s, "code_challenge_method=S256") != NULL);
  CHECK(code_flow(client, auth, &ts) == 0);
  CHECK_OK(authgate_token_set_id_token(ts, &s));
  CHECK(s != NULL && strchr(s, '.') != NULL); /* a JWT */
  CHECK_OK(authgate_token_set_scope(ts, &s));
  CHECK(s != NULL && strstr(s, "extern.api") != NULL);
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_authorization_free(auth);
  authgate_client_free(client);
  return failed;
}

static int test_caller_supplied_state_nonce_verifier(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_authorization *auth = NULL;
  authgate_token_set *ts = NULL;
  const char *s = NULL;
  const char *verifier = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH-._~";

  client = emulator_client(AUTHGATE_PROVIDER_KONTUR, "kontur-service", "kontur-api-key");
  CHECK(client != NULL);
  CHECK_OK(authgate_client_authorization_url(client, "openid extern.api", "my-state-1",
                                             "my-nonce-1", verifier, NULL,
                                             "{\"prompt\":\"login\"}", &auth));
  CHECK_OK(authgate_authorization_state(auth, &s));
  CHECK_STR(s, "my-state-1");
  CHECK_OK(authgate_authorization_nonce(auth, &s));
  CHECK_STR(s, "my-nonce-1");
  CHECK_OK(authgate_authorization_code_verifier(auth, &s));
  CHECK_STR(s, verifier);
  CHECK_OK(authgate_authorization_redirect_uri(auth, &s));
  CHECK_STR(s, "http://127.0.0.1/callback");
  CHECK_OK(authgate_authorization_url(auth, &s));
  CHECK(strstr(s, "state=my-state-1") && strstr(s, "prompt=login"));
  CHECK(code_flow(client, auth, &ts) == 0);
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_authorization_free(auth);
  authgate_client_free(client);
  return failed;
}

/* The code flow with options objects: the authorization URL's, and the exchange's with
 * scopes and extra parameters (which the positional exchange cannot send). */
static int test_code_flow_with_options(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_authorization *auth = NULL;
  authgate_token_set *ts = NULL;
  const char *s = NULL, *url = NULL, *verifier = NULL;
  char *code = NULL;
  char location[4096], options[512], recorded[8192];

  client = emulator_client(AUTHGATE_PROVIDER_KONTUR, "kontur-service", "kontur-api-key");
  CHECK(client != NULL);
  CHECK_OK(authgate_client_authorization_url_with(
      client,
      "{\"scopes\":[\"openid\",\"extern.api\"],\"state\":\"opt-state\",\"nonce\":\"opt-nonce\","
      "\"params\":{\"prompt\":\"login\",\"ui_locales\":\"ru\"}}",
      &auth));
  CHECK_OK(authgate_authorization_url(auth, &url));
  CHECK(strstr(url, "scope=openid+extern.api") != NULL);
  CHECK(strstr(url, "state=opt-state") != NULL && strstr(url, "nonce=opt-nonce") != NULL);
  CHECK(strstr(url, "prompt=login") != NULL && strstr(url, "ui_locales=ru") != NULL);
  CHECK(strstr(url, "code_challenge_method=S256") != NULL);
  CHECK_OK(authgate_authorization_state(auth, &s));
  CHECK_STR(s, "opt-state");
  CHECK_OK(authgate_authorization_nonce(auth, &s));
  CHECK_STR(s, "opt-nonce");
  CHECK_OK(authgate_authorization_pkce_verifier(auth, &verifier));
  CHECK(verifier != NULL && strlen(verifier) == 43);
  /* The deprecated name hands out the same string. */
  CHECK_OK(authgate_authorization_code_verifier(auth, &s));
  CHECK(s == verifier);

  CHECK(follow_authorize(url, location, sizeof location) == 0);
  CHECK_OK(authgate_authorization_parse_callback(auth, location, &code));
  snprintf(options, sizeof options,
           "{\"pkce_verifier\":\"%s\",\"scopes\":\"openid extern.api\","
           "\"params\":{\"tenant\":\"t-1\"}}",
           verifier);
  CHECK_OK(authgate_client_exchange_code_with(client, code, options, &ts));
  CHECK_OK(authgate_token_set_id_token(ts, &s));
  CHECK(s != NULL);
  CHECK(emulator_last_request("/connect/token", recorded, sizeof recorded) == 200);
  CHECK(strstr(recorded, "grant_type=authorization_code") != NULL);
  CHECK(strstr(recorded, "scope=openid+extern.api") != NULL);
  CHECK(strstr(recorded, "tenant=t-1") != NULL);
  CHECK(strstr(recorded, "code_verifier=") != NULL);
  failed = 0;
cleanup:
  authgate_string_free(code);
  authgate_token_set_free(ts);
  authgate_authorization_free(auth);
  authgate_client_free(client);
  return failed;
}

static int test_gearcode_code_flow_and_rotation(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_authorization *auth = NULL;
  authgate_token_set *ts = NULL, *ts2 = NULL, *ts3 = NULL;
  const char *rt1 = NULL, *rt2 = NULL, *s = NULL;
  char *old_rt = NULL;

  client = emulator_client(AUTHGATE_PROVIDER_GEARCODE, "gearcode-client", "gearcode-secret");
  CHECK(client != NULL);
  CHECK_OK(authgate_client_authorization_url(client, NULL, NULL, NULL, NULL, NULL, NULL, &auth));
  CHECK(code_flow(client, auth, &ts) == 0);
  CHECK_OK(authgate_token_set_token_type(ts, &s));
  CHECK_STR(s, "Bearer"); /* GearCode sends lower-case "bearer" */
  CHECK_OK(authgate_token_set_refresh_token(ts, &rt1));
  CHECK(rt1 != NULL);
  old_rt = strdup(rt1);
  CHECK(old_rt != NULL);

  CHECK_OK(authgate_client_refresh(client, rt1, NULL, NULL, &ts2));
  CHECK_OK(authgate_token_set_refresh_token(ts2, &rt2));
  CHECK(rt2 != NULL && strcmp(rt2, old_rt) != 0); /* rotated */

  /* The old refresh token is dead now. */
  CHECK_RC(authgate_client_refresh(client, old_rt, NULL, NULL, &ts3), AUTHGATE_INVALID_GRANT);
  CHECK(ts3 == NULL); /* out-parameters are written only on success */
  CHECK(authgate_last_error_is_terminal() == 1);
  /* The new one works. */
  CHECK_OK(authgate_client_refresh(client, rt2, NULL, NULL, &ts3));
  failed = 0;
cleanup:
  free(old_rt);
  authgate_token_set_free(ts3);
  authgate_token_set_free(ts2);
  authgate_token_set_free(ts);
  authgate_authorization_free(auth);
  authgate_client_free(client);
  return failed;
}

static int test_gearcode_client_credentials(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  const char *s = NULL;
  client = emulator_client(AUTHGATE_PROVIDER_GEARCODE, "gearcode-client", "gearcode-secret");
  CHECK(client != NULL);
  CHECK_OK(authgate_client_client_credentials(client, NULL, NULL, &ts));
  CHECK_OK(authgate_token_set_access_token(ts, &s));
  CHECK(s != NULL && strlen(s) > 0);
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

static int test_cuba_password_cyrillic_and_refresh(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL, *ts2 = NULL;
  const char *s = NULL, *rt = NULL;
  int64_t n = 0;
  const char *json =
      "{\"provider\":\"cuba\",\"client_id\":\"client\",\"client_secret\":\"secret\","
      "\"timeout_ms\":10000,\"base_url\":\"%s\"}";
  char cfg[512];
  snprintf(cfg, sizeof cfg, json, emulator_url());

  CHECK_OK(authgate_client_new_from_json(cfg, &client));
  CHECK_OK(authgate_client_password(client, "\xd0\xba\xd0\xb0\xd1\x81\xd1\x81\xd0\xb8\xd1\x80",
                                    "p&s=w+o%rd 1 \xd1\x91", NULL, NULL, &ts));
  CHECK_OK(authgate_token_set_scope(ts, &s));
  CHECK_STR(s, "rest-api");
  CHECK_OK(authgate_token_set_expires_in(ts, &n));
  CHECK(n == 43198);
  CHECK_OK(authgate_token_set_refresh_token(ts, &rt));
  CHECK(rt != NULL);
  CHECK_OK(authgate_client_refresh(client, rt, NULL, NULL, &ts2));
  CHECK_OK(authgate_token_set_refresh_token(ts2, &s));
  CHECK(s != NULL);
  /* A wrong password is invalid_grant with the server's description. */
  authgate_token_set_free(ts2);
  ts2 = NULL;
  CHECK_RC(authgate_client_password(client, "admin", "wrong", NULL, NULL, &ts2),
           AUTHGATE_INVALID_GRANT);
  CHECK_STR(authgate_last_error_oauth_error(), "invalid_grant");
  CHECK(authgate_last_error_http_status() == 400);
  failed = 0;
cleanup:
  authgate_token_set_free(ts2);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

static int test_token_set_json_round_trip(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL, *back = NULL;
  char *json = NULL;
  const char *a = NULL, *b = NULL, *w = NULL;
  int64_t at1 = 0, at2 = 0;
  int32_t expired = -1;

  client = emulator_client(AUTHGATE_PROVIDER_CUBA, "client", "secret");
  CHECK(client != NULL);
  CHECK_OK(authgate_client_password(client, "admin", "admin", NULL, NULL, &ts));
  CHECK_OK(authgate_token_set_to_json(ts, &json));
  CHECK(strstr(json, "\"expires_at\":") != NULL);
  sleep_ms(1100); /* a restored set keeps its expiry; it is not recomputed from now */
  CHECK_OK(authgate_token_set_new_from_json(json, &back));
  CHECK_OK(authgate_token_set_access_token(ts, &a));
  CHECK_OK(authgate_token_set_access_token(back, &b));
  CHECK_STR(b, a);
  CHECK_OK(authgate_token_set_refresh_token(ts, &a));
  CHECK_OK(authgate_token_set_refresh_token(back, &b));
  CHECK_STR(b, a);
  CHECK_OK(authgate_token_set_expires_at(ts, &at1));
  CHECK_OK(authgate_token_set_expires_at(back, &at2));
  CHECK(at1 == at2 && at1 > 0);
  CHECK_OK(authgate_token_set_is_expired(back, 60, &expired));
  CHECK(expired == 0);
  CHECK_OK(authgate_token_set_is_expired(back, 50000, &expired));
  CHECK(expired == 1);
  CHECK_OK(authgate_token_set_is_expired_ms(back, 60000, &expired));
  CHECK(expired == 0);
  CHECK_OK(authgate_token_set_is_expired_ms(back, 50000000, &expired));
  CHECK(expired == 1);
  CHECK_OK(authgate_token_set_warnings_json(ts, &w));
  CHECK(w != NULL && w[0] == '[');
  CHECK_OK(authgate_token_set_raw_json(ts, &w));
  CHECK(strstr(w, "\"access_token\"") != NULL);
  failed = 0;
cleanup:
  authgate_string_free(json);
  authgate_token_set_free(back);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

static int test_client_getters_and_config_setters(void) {
  int failed = 1;
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  const char *s = NULL;
  uint32_t p = 99;

  CHECK_OK(authgate_config_new_by_name("Taxcom", &cfg));
  CHECK_OK(authgate_config_set_authorization_endpoint(cfg, "https://auth-x.example/core/connect/authorize"));
  CHECK_OK(authgate_config_set_token_endpoint(cfg, "https://x.example/core/connect/token"));
  CHECK_OK(authgate_config_set_client_id(cfg, "id"));
  CHECK_OK(authgate_config_set_client_secret(cfg, "s"));
  CHECK_OK(authgate_config_set_auth_method(cfg, AUTHGATE_AUTH_METHOD_CLIENT_SECRET_POST));
  CHECK_OK(authgate_config_set_basic_encoding(cfg, AUTHGATE_BASIC_ENCODING_RAW));
  CHECK_OK(authgate_config_set_scopes(cfg, "api extra"));
  CHECK_OK(authgate_config_add_authorization_param(cfg, "prompt", "login"));
  CHECK_OK(authgate_config_add_token_param(cfg, "resource_id", "r"));
  CHECK_OK(authgate_config_set_redirect_uri(cfg, "http://127.0.0.1/callback"));
  CHECK_OK(authgate_config_set_redirect_param(cfg, "redirect_url"));
  CHECK_OK(authgate_config_set_pkce(cfg, 0));
  CHECK_OK(authgate_config_set_allow_insecure_http(cfg, 0));
  CHECK_OK(authgate_config_set_connect_timeout_ms(cfg, 500));
  CHECK_OK(authgate_config_set_timeout_ms(cfg, 2000));
  CHECK_OK(authgate_config_set_max_response_bytes(cfg, 4096));
  CHECK_OK(authgate_config_set_proxy(cfg, "none"));
  /* Every other setter too (ffi/src/config.rs checks their number against the core's
     table); the CA file is replaced by the trust roots set after it. */
  CHECK_OK(authgate_config_set_base_url(cfg, "https://x.example"));
  CHECK_OK(authgate_config_set_accept_unknown_token_type(cfg, 1));
  CHECK_OK(authgate_config_set_ca_file(cfg, "/nonexistent/ca.pem"));
  CHECK_OK(authgate_config_set_issuer(cfg, "https://x.example"));
  CHECK_OK(authgate_config_set_jwks_uri(cfg, "https://x.example/jwks"));
  CHECK_OK(authgate_config_set_userinfo_endpoint(cfg, "https://x.example/userinfo"));
  CHECK_OK(authgate_config_set_revocation_endpoint(cfg, "https://x.example/revoke"));
  CHECK_OK(authgate_config_set_introspection_endpoint(cfg, "https://x.example/introspect"));
  CHECK_OK(authgate_config_set_device_authorization_endpoint(cfg, "https://x.example/device"));
  CHECK_OK(authgate_config_set_id_token_leeway_ms(cfg, 5000));
  CHECK_OK(authgate_config_set_trust_roots(cfg, AUTHGATE_TRUST_ROOTS_BUNDLED));
  CHECK_OK(authgate_config_set_user_agent(cfg, "pos/1"));
  CHECK_OK(authgate_client_new(cfg, &client));
  CHECK_OK(authgate_client_provider(client, &p));
  CHECK(p == AUTHGATE_PROVIDER_TAXCOM);
  CHECK_OK(authgate_client_client_id(client, &s));
  CHECK_STR(s, "id");
  CHECK_OK(authgate_client_token_endpoint(client, &s));
  CHECK_STR(s, "https://x.example/core/connect/token");
  CHECK_OK(authgate_client_authorization_endpoint(client, &s));
  CHECK_STR(s, "https://auth-x.example/core/connect/authorize");
  authgate_client_free(client);
  client = NULL;
  /* CUBA has no authorization endpoint. */
  CHECK_OK(authgate_client_new_from_json(
      "{\"provider\":\"cuba\",\"base_url\":\"http://127.0.0.1:1\",\"client_id\":\"c\","
      "\"client_secret\":\"s\"}",
      &client));
  CHECK_OK(authgate_client_authorization_endpoint(client, &s));
  CHECK(s == NULL);
  failed = 0;
cleanup:
  authgate_client_free(client);
  authgate_config_free(cfg);
  return failed;
}

static int test_version(void) {
  int failed = 1;
  char expected[64];
  snprintf(expected, sizeof expected, "%d.%d.%d", AUTHGATE_VERSION_MAJOR,
           AUTHGATE_VERSION_MINOR, AUTHGATE_VERSION_PATCH);
  CHECK_STR(authgate_version(), expected);
  CHECK_STR(AUTHGATE_VERSION_STRING, expected);
  failed = 0;
cleanup:
  return failed;
}

int main(void) {
  RUN(test_version);
  RUN(test_taxcom_code_flow);
  RUN(test_kontur_code_flow_with_nonce);
  RUN(test_caller_supplied_state_nonce_verifier);
  RUN(test_code_flow_with_options);
  RUN(test_gearcode_code_flow_and_rotation);
  RUN(test_gearcode_client_credentials);
  RUN(test_cuba_password_cyrillic_and_refresh);
  RUN(test_token_set_json_round_trip);
  RUN(test_client_getters_and_config_setters);
  return harness_report();
}
