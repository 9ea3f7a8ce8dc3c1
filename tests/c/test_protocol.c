/* Protocol correctness through the installed C library: the `iss` of RFC 9207 (a
 * mix-up attack is refused), tokens that would inject headers, token types the client
 * does not understand, and a callback `code` that is not UTF-8. */
#include "harness.h"

#define WRONG_ISS_FAULT                                                                \
  "{\"path\":\"/connect/authorize\",\"kind\":\"callback\",\"name\":\"iss\","           \
  "\"value\":\"https%3A%2F%2Fissuer.invalid\"}"

/* A Kontur client configured by discovery: its issuer is the emulator's base URL, and the
 * metadata promises `iss` in every redirect. */
static authgate_client *kontur(void) {
  authgate_config *cfg = emulator_config(AUTHGATE_PROVIDER_KONTUR, "kontur-service",
                                         "kontur-api-key");
  authgate_client *client = NULL;
  if (cfg == NULL || authgate_config_discover(cfg, emulator_url()) != AUTHGATE_OK ||
      authgate_client_new(cfg, &client) != AUTHGATE_OK) {
    fprintf(stderr, "  kontur client: %s\n", authgate_last_error_message());
    client = NULL;
  }
  authgate_config_free(cfg);
  return client;
}

/* Queues `fault` (a control API fault, or NULL), starts a sign-in, plays the browser into
 * `location` and reads the redirect back: parse_callback's result, or AUTHGATE_INTERNAL
 * when the sign-in could not get that far. *auth_out must be freed by the caller. */
static authgate_result sign_in_callback(authgate_client *client, const char *fault,
                                        authgate_authorization **auth_out, char *location,
                                        size_t cap, char **code_out) {
  const char *url = NULL;
  if ((fault != NULL && emulator_control("fault", fault) != 0) ||
      authgate_client_authorization_url(client, NULL, NULL, NULL, NULL, NULL, NULL, auth_out) !=
          AUTHGATE_OK ||
      authgate_authorization_url(*auth_out, &url) != AUTHGATE_OK ||
      follow_authorize(url, location, cap) != 0) {
    return AUTHGATE_INTERNAL;
  }
  return authgate_authorization_parse_callback(*auth_out, location, code_out);
}

static int test_a_wrong_iss_is_refused(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_authorization *auth = NULL;
  const char *state = NULL;
  char location[4096];
  char *code = NULL;

  client = kontur();
  CHECK(client != NULL);
  CHECK_RC(sign_in_callback(client, WRONG_ISS_FAULT, &auth, location, sizeof location, &code),
           AUTHGATE_ISSUER_MISMATCH);
  CHECK(strstr(location, "iss=https%3A%2F%2Fissuer.invalid") != NULL);
  CHECK(code == NULL);
  CHECK_STR(authgate_result_str(AUTHGATE_ISSUER_MISMATCH), "issuer_mismatch");
  CHECK(strstr(authgate_last_error_message(), "mix-up") != NULL);

  /* The free function checks it when given the issuer, and not otherwise. */
  CHECK_OK(authgate_authorization_state(auth, &state));
  CHECK_RC(authgate_parse_callback_with_issuer(location, state, emulator_url(), 0, &code),
           AUTHGATE_ISSUER_MISMATCH);
  CHECK_RC(authgate_parse_callback_with_issuer(location, state, NULL, 1, &code),
           AUTHGATE_INVALID_ARGUMENT);
  CHECK_OK(authgate_parse_callback(location, state, &code));
  authgate_string_free(code);
  code = NULL;

  /* The right iss passes. */
  authgate_authorization_free(auth);
  auth = NULL;
  CHECK_OK(sign_in_callback(client, NULL, &auth, location, sizeof location, &code));
  failed = 0;
cleanup:
  authgate_string_free(code);
  authgate_authorization_free(auth);
  authgate_client_free(client);
  return failed;
}

static int test_a_missing_promised_iss_is_refused(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_authorization *auth = NULL;
  char location[4096];
  char *code = NULL;

  client = kontur();
  CHECK(client != NULL);
  CHECK_RC(sign_in_callback(client,
                            "{\"path\":\"/connect/authorize\",\"kind\":\"callback\",\"name\":\"iss\"}",
                            &auth, location, sizeof location, &code),
           AUTHGATE_ISSUER_MISMATCH);
  CHECK(strstr(location, "iss=") == NULL);
  failed = 0;
cleanup:
  authgate_string_free(code);
  authgate_authorization_free(auth);
  authgate_client_free(client);
  return failed;
}

static int test_header_injection_and_unknown_token_types(void) {
  int failed = 1;
  authgate_config *cfg = NULL;
  authgate_client *cuba = NULL, *lenient = NULL;
  authgate_token_set *ts = NULL;
  const char *s = NULL;

  cfg = emulator_config(AUTHGATE_PROVIDER_CUBA, "client", "secret");
  CHECK(cfg != NULL);
  CHECK_OK(authgate_client_new(cfg, &cuba));
  CHECK(emulator_control("fault", "{\"path\":\"/app/rest/v2/oauth/token\",\"kind\":"
                                  "\"answer_field\",\"name\":\"access_token\","
                                  "\"raw\":\"\\\"a\\\\r\\\\nX-Injected: 1\\\"\"}") == 0);
  CHECK_RC(authgate_client_password(cuba, "admin", "admin", NULL, NULL, &ts),
           AUTHGATE_UNEXPECTED_RESPONSE);
  CHECK(strstr(authgate_last_error_message(), "access_token") != NULL);
  CHECK(strstr(authgate_last_error_message(), "X-Injected") == NULL);

  CHECK(emulator_control("fault", "{\"path\":\"/app/rest/v2/oauth/token\",\"kind\":"
                                  "\"answer_field\",\"name\":\"token_type\","
                                  "\"raw\":\"\\\"mac\\\"\",\"count\":2}") == 0);
  CHECK_RC(authgate_client_password(cuba, "admin", "admin", NULL, NULL, &ts),
           AUTHGATE_UNEXPECTED_RESPONSE);
  CHECK_RC(authgate_config_set_accept_unknown_token_type(NULL, 1), AUTHGATE_NULL_POINTER);
  CHECK_OK(authgate_config_set_accept_unknown_token_type(cfg, 1));
  CHECK_OK(authgate_client_new(cfg, &lenient));
  CHECK_OK(authgate_client_password(lenient, "admin", "admin", NULL, NULL, &ts));
  CHECK_OK(authgate_token_set_token_type(ts, &s));
  CHECK_STR(s, "mac");
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_client_free(lenient);
  authgate_client_free(cuba);
  authgate_config_free(cfg);
  return failed;
}

static int test_a_code_that_is_not_utf8_is_refused(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_authorization *auth = NULL;
  char location[4096];
  char *code = NULL;

  client = emulator_client(AUTHGATE_PROVIDER_GEARCODE, "gearcode-client", "gearcode-secret");
  CHECK(client != NULL);
  CHECK_RC(sign_in_callback(client,
                            "{\"path\":\"/oauth/authorize\",\"kind\":\"callback\","
                            "\"name\":\"code\",\"value\":\"%FF%FE\"}",
                            &auth, location, sizeof location, &code),
           AUTHGATE_INVALID_ARGUMENT);
  CHECK(strstr(authgate_last_error_message(), "`code`") != NULL);
  failed = 0;
cleanup:
  authgate_string_free(code);
  authgate_authorization_free(auth);
  authgate_client_free(client);
  return failed;
}

int main(void) {
  RUN(test_a_wrong_iss_is_refused);
  RUN(test_a_missing_promised_iss_is_refused);
  RUN(test_header_injection_and_unknown_token_types);
  RUN(test_a_code_that_is_not_utf8_is_refused);
  return harness_report();
}
