/* Error paths: OAuth errors, faults, timeouts, state mismatch, configuration mistakes. */
#include "harness.h"

#include <pthread.h>

static int test_invalid_grant_details(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  client = emulator_client(AUTHGATE_PROVIDER_GEARCODE, "gearcode-client", "gearcode-secret");
  CHECK(client != NULL);
  CHECK_RC(authgate_client_exchange_code(client, "not-a-code", NULL, NULL, NULL, &ts),
           AUTHGATE_INVALID_GRANT);
  CHECK(ts == NULL);
  CHECK(authgate_last_error_code() == AUTHGATE_INVALID_GRANT);
  CHECK_STR(authgate_last_error_oauth_error(), "invalid_grant");
  CHECK(authgate_last_error_description() != NULL);
  CHECK(authgate_last_error_http_status() == 400);
  CHECK(authgate_last_error_is_terminal() == 1);
  CHECK(authgate_last_error_is_transient() == 0);
  CHECK(authgate_last_error_retry_after() == -1);
  CHECK(strstr(authgate_last_error_message(), "invalid_grant") != NULL);
  CHECK(strstr(authgate_last_error_json(), "\"error\":\"invalid_grant\"") != NULL);
  CHECK(strstr(authgate_last_error_json(), "\"is_terminal\":true") != NULL);
  /* The description under the name every language uses, and the older key too. */
  {
    char key[512];
    snprintf(key, sizeof key, "\"description\":\"%s\"", authgate_last_error_description());
    CHECK(strstr(authgate_last_error_json(), key) != NULL);
    snprintf(key, sizeof key, "\"error_description\":\"%s\"", authgate_last_error_description());
    CHECK(strstr(authgate_last_error_json(), key) != NULL);
  }
  CHECK(authgate_last_error_www_authenticate() == NULL); /* a token endpoint's 400 */
  CHECK(strstr(authgate_last_error_message(), "not-a-code") == NULL); /* no secrets */
  CHECK_STR(authgate_result_str(AUTHGATE_INVALID_GRANT), "invalid_grant");
  /* A successful call clears the last error. */
  CHECK_OK(authgate_client_client_credentials(client, NULL, NULL, &ts));
  CHECK(authgate_last_error_code() == AUTHGATE_OK);
  CHECK_STR(authgate_last_error_message(), "");
  CHECK(authgate_last_error_json() == NULL);
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

static int test_503_is_transient_with_retry_after(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  CHECK(emulator_control("reset", NULL) == 0);
  CHECK(emulator_control("fault", "{\"path\":\"/app/rest/v2/oauth/token\",\"kind\":\"status\","
                                  "\"status\":503,\"retry_after\":2,\"count\":1}") == 0);
  client = emulator_client(AUTHGATE_PROVIDER_CUBA, "client", "secret");
  CHECK(client != NULL);
  CHECK_RC(authgate_client_password(client, "admin", "admin", NULL, NULL, &ts),
           AUTHGATE_UNEXPECTED_RESPONSE);
  CHECK(authgate_last_error_http_status() == 503);
  CHECK(authgate_last_error_is_transient() == 1);
  CHECK(authgate_last_error_is_terminal() == 0);
  CHECK(authgate_last_error_retry_after() == 2);
  CHECK(strstr(authgate_last_error_json(), "\"retry_after\":2") != NULL);
  /* The fault was for one request: the retry succeeds. */
  CHECK_OK(authgate_client_password(client, "admin", "admin", NULL, NULL, &ts));
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

static int test_html_page_is_an_unexpected_response(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  CHECK(emulator_control("reset", NULL) == 0);
  CHECK(emulator_control("fault", "{\"path\":\"/app/rest/v2/oauth/token\",\"kind\":\"html\","
                                  "\"status\":502}") == 0);
  client = emulator_client(AUTHGATE_PROVIDER_CUBA, "client", "secret");
  CHECK(client != NULL);
  CHECK_RC(authgate_client_password(client, "admin", "admin", NULL, NULL, &ts),
           AUTHGATE_UNEXPECTED_RESPONSE);
  CHECK(authgate_last_error_http_status() == 502);
  CHECK(strstr(authgate_last_error_message(), "HTML") != NULL);
  CHECK(authgate_last_error_oauth_error() == NULL);
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

static int test_ok_with_error_body(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  CHECK(emulator_control("reset", NULL) == 0);
  CHECK(emulator_control("fault", "{\"path\":\"/app/rest/v2/oauth/token\",\"kind\":\"ok_with_error\"}") == 0);
  client = emulator_client(AUTHGATE_PROVIDER_CUBA, "client", "secret");
  CHECK(client != NULL);
  CHECK_RC(authgate_client_password(client, "admin", "admin", NULL, NULL, &ts),
           AUTHGATE_INVALID_GRANT);
  CHECK(authgate_last_error_http_status() == 200);
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

static int test_timeout_is_the_deadline(void) {
  int failed = 1;
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  CHECK(emulator_control("reset", NULL) == 0);
  CHECK(emulator_control("fault", "{\"path\":\"/app/rest/v2/oauth/token\",\"kind\":\"delay\","
                                  "\"ms\":3000}") == 0);
  cfg = emulator_config(AUTHGATE_PROVIDER_CUBA, "client", "secret");
  CHECK(cfg != NULL);
  CHECK_OK(authgate_config_set_timeout_ms(cfg, 500));
  CHECK_OK(authgate_client_new(cfg, &client));
  time_t start = time(NULL);
  CHECK_RC(authgate_client_password(client, "admin", "admin", NULL, NULL, &ts), AUTHGATE_TIMEOUT);
  CHECK(time(NULL) - start <= 2);
  CHECK(authgate_last_error_is_transient() == 1);
  failed = 0;
cleanup:
  emulator_control("reset", NULL);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  authgate_config_free(cfg);
  return failed;
}

static int test_connection_refused(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  CHECK_OK(authgate_client_new_from_json(
      "{\"provider\":\"cuba\",\"base_url\":\"http://127.0.0.1:1\",\"client_id\":\"client\","
      "\"client_secret\":\"secret\",\"proxy\":\"none\"}",
      &client));
  CHECK_RC(authgate_client_password(client, "admin", "admin", NULL, NULL, &ts), AUTHGATE_CONNECT);
  CHECK(authgate_last_error_is_transient() == 1);
  CHECK(authgate_last_error_http_status() == 0);
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

static int test_state_mismatch_and_redirect_errors(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_authorization *auth = NULL;
  const char *url = NULL;
  char location[4096];
  char *code = NULL;
  client = emulator_client(AUTHGATE_PROVIDER_GEARCODE, "gearcode-client", "gearcode-secret");
  CHECK(client != NULL);
  CHECK_OK(authgate_client_authorization_url(client, NULL, "expected-state", NULL, NULL, NULL,
                                             NULL, &auth));
  CHECK_OK(authgate_authorization_url(auth, &url));
  CHECK(follow_authorize(url, location, sizeof location) == 0);
  CHECK_RC(authgate_parse_callback(location, "another-state", &code), AUTHGATE_STATE_MISMATCH);
  CHECK(code == NULL);
  CHECK_RC(authgate_authorization_parse_callback(
               auth, "http://127.0.0.1/callback?code=abc&state=evil", &code),
           AUTHGATE_STATE_MISMATCH);
  CHECK_RC(authgate_authorization_parse_callback(auth, "http://127.0.0.1/callback?code=abc", &code),
           AUTHGATE_STATE_MISMATCH);
  CHECK_RC(authgate_parse_callback(
               "?error=access_denied&error_description=User+said+no&state=s", "s", &code),
           AUTHGATE_ACCESS_DENIED);
  CHECK_STR(authgate_last_error_description(), "User said no");
  CHECK(authgate_last_error_http_status() == 0);
  CHECK(authgate_last_error_is_terminal() == 1);
  CHECK_OK(authgate_authorization_parse_callback(auth, location, &code));
  failed = 0;
cleanup:
  authgate_string_free(code);
  authgate_authorization_free(auth);
  authgate_client_free(client);
  return failed;
}

static int test_configuration_errors(void) {
  int failed = 1;
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  CHECK_OK(authgate_config_new(AUTHGATE_PROVIDER_CUBA, &cfg));
  CHECK_OK(authgate_config_set_base_url(cfg, "http://cuba.lan:8080"));
  CHECK_RC(authgate_client_new(cfg, &client), AUTHGATE_CONFIG);
  CHECK(strstr(authgate_last_error_message(), "client_id") != NULL);
  CHECK(authgate_last_error_is_terminal() == 1);
  CHECK_OK(authgate_config_set_client_id(cfg, "client"));
  CHECK_OK(authgate_config_set_client_secret(cfg, "secret"));
  CHECK_RC(authgate_client_new(cfg, &client), AUTHGATE_CONFIG);
  CHECK(strstr(authgate_last_error_message(), "allow_insecure_http") != NULL);
  CHECK_OK(authgate_config_set_allow_insecure_http(cfg, 1));
  CHECK_OK(authgate_client_new(cfg, &client));
  authgate_client_free(client);
  client = NULL;
  CHECK_OK(authgate_config_set_timeout_ms(cfg, 0));
  CHECK_RC(authgate_client_new(cfg, &client), AUTHGATE_CONFIG);
  CHECK_RC(authgate_client_new_from_json("{\"client_idd\":\"x\"}", &client), AUTHGATE_CONFIG);
  CHECK(strstr(authgate_last_error_message(), "client_idd") != NULL);
  CHECK_RC(authgate_client_new_from_json("{", &client), AUTHGATE_CONFIG);
  CHECK(client == NULL);
  failed = 0;
cleanup:
  authgate_client_free(client);
  authgate_config_free(cfg);
  return failed;
}

static void *fail_in_thread(void *arg) {
  (void)arg;
  authgate_config *cfg = NULL;
  authgate_config_new(12345, &cfg); /* fails: unknown provider */
  return (void *)(intptr_t)authgate_last_error_code();
}

static int test_last_error_is_per_thread(void) {
  int failed = 1;
  pthread_t t;
  void *their_code = NULL;
  authgate_token_set *ts = NULL;
  CHECK_RC(authgate_token_set_new_from_json("[]", &ts), AUTHGATE_INVALID_ARGUMENT);
  CHECK(pthread_create(&t, NULL, fail_in_thread, NULL) == 0);
  CHECK(pthread_join(t, &their_code) == 0);
  CHECK((intptr_t)their_code == AUTHGATE_INVALID_ARGUMENT);
  CHECK(authgate_last_error_code() == AUTHGATE_INVALID_ARGUMENT);
  CHECK(strstr(authgate_last_error_message(), "JSON object") != NULL);
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  return failed;
}

int main(void) {
  RUN(test_invalid_grant_details);
  RUN(test_503_is_transient_with_retry_after);
  RUN(test_html_page_is_an_unexpected_response);
  RUN(test_ok_with_error_body);
  RUN(test_timeout_is_the_deadline);
  RUN(test_connection_refused);
  RUN(test_state_mismatch_and_redirect_errors);
  RUN(test_configuration_errors);
  RUN(test_last_error_is_per_thread);
  emulator_control("reset", NULL);
  return harness_report();
}
