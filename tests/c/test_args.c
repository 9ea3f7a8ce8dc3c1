/* Bad arguments: NULL everywhere, invalid UTF-8, handles of the wrong kind, empty
 * required strings. Each must be an error code with a message, never a crash. Needs no
 * server. */
#include "harness.h"

#define EXPECT(call, code)                                                             \
  do {                                                                                 \
    CHECK_RC(call, code);                                                              \
    CHECK(authgate_last_error_code() == (authgate_result)(code));                      \
    CHECK(strlen(authgate_last_error_message()) > 0);                                  \
  } while (0)

static const char BAD_UTF8[] = {'a', (char)0xff, 'b', 0};

static int test_null_pointers(void) {
  int failed = 1;
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  authgate_authorization *auth = NULL;
  authgate_token_set *ts = NULL;
  authgate_operation *op = NULL;
  const char *s = NULL;
  char *owned = NULL;
  int64_t n = 0;
  int32_t b = 0;
  uint32_t u = 0;

  EXPECT(authgate_config_new(AUTHGATE_PROVIDER_CUBA, NULL), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_config_new_by_name(NULL, &cfg), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_config_new_from_json(NULL, &cfg), AUTHGATE_NULL_POINTER);
  CHECK(strstr(authgate_last_error_message(), "json") != NULL); /* names the argument */
  EXPECT(authgate_config_set_base_url(NULL, "https://x.example"), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_config_set_pkce(NULL, 1), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_config_set_timeout_ms(NULL, 1), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_new(NULL, &client), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_new_from_json(NULL, &client), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_provider(NULL, &u), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_token_endpoint(NULL, &s), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_authorization_url(NULL, NULL, NULL, NULL, NULL, NULL, NULL, &auth),
         AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_authorization_url_with(NULL, NULL, &auth), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_exchange_code_with(NULL, "c", NULL, &ts), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_authorization_pkce_verifier(NULL, &s), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_manager_invalidate_token(NULL, "t", &b), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_token_set_is_expired_ms(NULL, 0, &b), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_authorization_url(NULL, &s), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_authorization_parse_callback(NULL, "?code=a&state=b", &owned),
         AUTHGATE_NULL_POINTER);
  EXPECT(authgate_parse_callback(NULL, "s", &owned), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_parse_callback("?code=a&state=s", NULL, &owned), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_parse_callback("?code=a&state=s", "s", NULL), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_exchange_code(NULL, "c", NULL, NULL, NULL, &ts), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_refresh(NULL, "r", NULL, NULL, &ts), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_password(NULL, "u", "p", NULL, NULL, &ts), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_client_credentials(NULL, NULL, NULL, &ts), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_refresh_start(NULL, "r", NULL, NULL, &op), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_operation_poll(NULL), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_operation_wait(NULL, 1), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_operation_cancel(NULL), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_operation_state(NULL, &u), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_operation_take_result(NULL, &ts), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_token_set_new_from_json(NULL, &ts), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_token_set_access_token(NULL, &s), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_token_set_expires_at(NULL, &n), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_token_set_is_expired(NULL, 0, &b), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_token_set_to_json(NULL, &owned), AUTHGATE_NULL_POINTER);

  /* NULL required strings and out-parameters on valid handles. */
  CHECK_OK(authgate_config_new(AUTHGATE_PROVIDER_CUBA, &cfg));
  EXPECT(authgate_config_set_client_id(cfg, NULL), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_config_set_scopes(cfg, NULL), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_config_add_token_param(cfg, "a", NULL), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_config_set_proxy(cfg, NULL), AUTHGATE_NULL_POINTER);
  CHECK_OK(authgate_config_set_base_url(cfg, "http://127.0.0.1:1"));
  CHECK_OK(authgate_config_set_client_id(cfg, "client"));
  CHECK_OK(authgate_config_set_client_secret(cfg, "secret"));
  EXPECT(authgate_client_new(cfg, NULL), AUTHGATE_NULL_POINTER);
  CHECK_OK(authgate_client_new(cfg, &client));
  EXPECT(authgate_client_token_endpoint(client, NULL), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_password(client, NULL, "p", NULL, NULL, &ts), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_password(client, "u", NULL, NULL, NULL, &ts), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_password(client, "u", "p", NULL, NULL, NULL), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_refresh(client, NULL, NULL, NULL, &ts), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_password_start(client, "u", "p", NULL, NULL, NULL), AUTHGATE_NULL_POINTER);
  CHECK(ts == NULL && op == NULL);

  /* Every _free accepts NULL. */
  authgate_config_free(NULL);
  authgate_client_free(NULL);
  authgate_authorization_free(NULL);
  authgate_token_set_free(NULL);
  authgate_operation_free(NULL);
  authgate_string_free(NULL);
  failed = 0;
cleanup:
  authgate_client_free(client);
  authgate_config_free(cfg);
  return failed;
}

static int test_invalid_utf8(void) {
  int failed = 1;
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  authgate_authorization *auth = NULL;
  char *owned = NULL;
  EXPECT(authgate_config_new_by_name(BAD_UTF8, &cfg), AUTHGATE_INVALID_UTF8);
  CHECK(strstr(authgate_last_error_message(), "UTF-8") != NULL);
  EXPECT(authgate_config_new_from_json(BAD_UTF8, &cfg), AUTHGATE_INVALID_UTF8);
  CHECK_OK(authgate_config_new(AUTHGATE_PROVIDER_GEARCODE, &cfg));
  EXPECT(authgate_config_set_client_id(cfg, BAD_UTF8), AUTHGATE_INVALID_UTF8);
  EXPECT(authgate_config_add_authorization_param(cfg, "x", BAD_UTF8), AUTHGATE_INVALID_UTF8);
  CHECK_OK(authgate_config_set_base_url(cfg, "https://gc.example"));
  CHECK_OK(authgate_config_set_client_id(cfg, "id"));
  CHECK_OK(authgate_config_set_client_secret(cfg, "s"));
  CHECK_OK(authgate_client_new(cfg, &client));
  EXPECT(authgate_client_password(client, "user", BAD_UTF8, NULL, NULL, &ts), AUTHGATE_INVALID_UTF8);
  EXPECT(authgate_client_authorization_url(client, NULL, BAD_UTF8, NULL, NULL, NULL, NULL, &auth),
         AUTHGATE_INVALID_UTF8);
  EXPECT(authgate_client_authorization_url_with(client, BAD_UTF8, &auth), AUTHGATE_INVALID_UTF8);
  EXPECT(authgate_client_exchange_code_with(client, "c", BAD_UTF8, &ts), AUTHGATE_INVALID_UTF8);
  EXPECT(authgate_parse_callback(BAD_UTF8, "s", &owned), AUTHGATE_INVALID_UTF8);
  EXPECT(authgate_token_set_new_from_json(BAD_UTF8, &ts), AUTHGATE_INVALID_UTF8);
  failed = 0;
cleanup:
  authgate_client_free(client);
  authgate_config_free(cfg);
  return failed;
}

static int test_wrong_handle_kind(void) {
  int failed = 1;
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  authgate_authorization *auth = NULL;
  const char *s = NULL;
  CHECK_OK(authgate_config_new(AUTHGATE_PROVIDER_GEARCODE, &cfg));
  CHECK_OK(authgate_config_set_base_url(cfg, "https://gc.example"));
  CHECK_OK(authgate_config_set_client_id(cfg, "id"));
  CHECK_OK(authgate_config_set_client_secret(cfg, "s"));
  CHECK_OK(authgate_client_new(cfg, &client));
  CHECK_OK(authgate_token_set_new_from_json("{\"access_token\":\"a\",\"token_type\":\"Bearer\"}", &ts));

  /* C would warn about these casts; a Pascal or 1C caller would not. */
  EXPECT(authgate_client_new((const authgate_config *)client, &client), AUTHGATE_WRONG_HANDLE);
  CHECK(strstr(authgate_last_error_message(), "authgate_client") != NULL);
  EXPECT(authgate_config_set_client_id((authgate_config *)ts, "x"), AUTHGATE_WRONG_HANDLE);
  EXPECT(authgate_token_set_access_token((const authgate_token_set *)cfg, &s), AUTHGATE_WRONG_HANDLE);
  EXPECT(authgate_client_client_credentials((const authgate_client *)ts, NULL, NULL, &ts),
         AUTHGATE_WRONG_HANDLE);
  EXPECT(authgate_authorization_url((const authgate_authorization *)client, &s),
         AUTHGATE_WRONG_HANDLE);
  EXPECT(authgate_operation_poll((const authgate_operation *)client), AUTHGATE_WRONG_HANDLE);
  /* A _free of the wrong kind does nothing (the handle stays usable). */
  authgate_token_set_free((authgate_token_set *)client);
  authgate_client_free((authgate_client *)cfg);
  CHECK_OK(authgate_client_client_id(client, &s));
  CHECK_STR(s, "id");
  CHECK_OK(authgate_config_set_client_id(cfg, "still-alive"));
  CHECK_OK(authgate_token_set_access_token(ts, &s));
  CHECK_STR(s, "a");
  (void)auth;
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_client_free(client);
  authgate_config_free(cfg);
  return failed;
}

static int test_empty_and_invalid_values(void) {
  int failed = 1;
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  authgate_authorization *auth = NULL;
  authgate_operation *op = NULL;
  char *owned = NULL;
  EXPECT(authgate_config_new(99, &cfg), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_config_new_by_name("", &cfg), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_config_new_by_name("nope", &cfg), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_config_new_from_json("", &cfg), AUTHGATE_INVALID_ARGUMENT);
  CHECK(cfg == NULL);
  CHECK_OK(authgate_config_new(AUTHGATE_PROVIDER_GEARCODE, &cfg));
  EXPECT(authgate_config_set_client_id(cfg, ""), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_config_set_base_url(cfg, ""), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_config_set_client_secret(cfg, ""), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_config_add_token_param(cfg, "", "v"), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_config_set_auth_method(cfg, 7), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_config_set_basic_encoding(cfg, 7), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_config_set_trust_roots(cfg, 7), AUTHGATE_INVALID_ARGUMENT);
  CHECK_OK(authgate_config_set_base_url(cfg, "https://gc.example"));
  CHECK_OK(authgate_config_set_client_id(cfg, "id"));
  CHECK_OK(authgate_config_set_client_secret(cfg, "s"));
  CHECK_OK(authgate_client_new(cfg, &client));
  EXPECT(authgate_client_exchange_code(client, "", NULL, NULL, NULL, &ts), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_client_refresh(client, "", NULL, NULL, &ts), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_client_password(client, "", "p", NULL, NULL, &ts), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_client_client_credentials(client, NULL, "[1,2]", &ts), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_client_client_credentials(client, NULL, "{\"a\":1}", &ts), AUTHGATE_INVALID_ARGUMENT);
  /* A parameter without a name (the core's rule): refused before anything is sent, and
     before an operation starts. */
  EXPECT(authgate_client_client_credentials(client, NULL, "{\"\":\"v\"}", &ts),
         AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_client_client_credentials_start(client, NULL, "{\"\":\"v\"}", &op),
         AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_client_refresh_start(client, "rt", "a\001b", NULL, &op),
         AUTHGATE_INVALID_ARGUMENT); /* a scope with a control character */
  EXPECT(authgate_client_authorization_url(client, NULL, "", NULL, NULL, NULL, NULL, &auth),
         AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_client_authorization_url(client, NULL, NULL, NULL, "short", NULL, NULL, &auth),
         AUTHGATE_INVALID_ARGUMENT);
  /* The options object: the same checks, a typo or a wrong type is an error too. */
  EXPECT(authgate_client_authorization_url_with(client, "{\"state\":\"\"}", &auth),
         AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_client_authorization_url_with(client, "{\"pkce_verifier\":\"short\"}", &auth),
         AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_client_authorization_url_with(client, "{\"code_verifier\":\"x\"}", &auth),
         AUTHGATE_INVALID_ARGUMENT);
  CHECK(strstr(authgate_last_error_message(), "code_verifier") != NULL);
  EXPECT(authgate_client_authorization_url_with(client, "{\"params\":{\"a\":1}}", &auth),
         AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_client_authorization_url_with(client, "{\"params\":{\"\":\"v\"}}", &auth),
         AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_client_authorization_url_with(client, "{\"scopes\":7}", &auth),
         AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_client_authorization_url_with(client, "[]", &auth), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_client_exchange_code_with(client, "", NULL, &ts), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_client_exchange_code_with(client, "c", "{\"state\":\"s\"}", &ts),
         AUTHGATE_INVALID_ARGUMENT); /* not an option of the exchange */
  EXPECT(authgate_client_exchange_code_with(client, "c", "{\"redirect_uri\":5}", &ts),
         AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_parse_callback("", "s", &owned), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_parse_callback("?code=a&state=s", "", &owned), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_token_set_new_from_json("{\"token_type\":\"Bearer\"}", &ts),
         AUTHGATE_UNEXPECTED_RESPONSE);
  CHECK(ts == NULL && auth == NULL && op == NULL && owned == NULL);
  failed = 0;
cleanup:
  authgate_operation_free(op);
  authgate_client_free(client);
  authgate_config_free(cfg);
  return failed;
}

static int test_result_names(void) {
  int failed = 1;
  CHECK_STR(authgate_result_str(AUTHGATE_OK), "ok");
  CHECK_STR(authgate_result_str(AUTHGATE_NULL_POINTER), "null_pointer");
  CHECK_STR(authgate_result_str(AUTHGATE_WRONG_HANDLE), "wrong_handle");
  CHECK_STR(authgate_result_str(AUTHGATE_STATE_MISMATCH), "state_mismatch");
  CHECK_STR(authgate_result_str(AUTHGATE_PENDING), "pending");
  CHECK_STR(authgate_result_str(AUTHGATE_SLOW_DOWN), "slow_down");
  CHECK_STR(authgate_result_str(AUTHGATE_SIGN_IN_REQUIRED), "sign_in_required");
  CHECK_STR(authgate_result_str(AUTHGATE_ID_TOKEN_AUDIENCE), "id_token_audience");
  CHECK_STR(authgate_result_str(123456), "unknown");
  failed = 0;
cleanup:
  return failed;
}

/* The store, manager, device and OpenID Connect functions: no network needed. */
static int test_manager_device_oidc_arguments(void) {
  int failed = 1;
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  authgate_store *store = NULL;
  authgate_manager *manager = NULL;
  authgate_device *device = NULL;
  authgate_operation *op = NULL;
  authgate_token_set *ts = NULL;
  const char *s = NULL;
  char *owned = NULL;
  uint64_t u = 0;
  int32_t b = 0;
  const char bad_utf8[] = {'h', (char)0xff, 0};

  CHECK_OK(authgate_config_new(AUTHGATE_PROVIDER_KONTUR, &cfg));
  EXPECT(authgate_config_set_issuer(cfg, NULL), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_config_set_jwks_uri(cfg, bad_utf8), AUTHGATE_INVALID_UTF8);
  EXPECT(authgate_config_set_userinfo_endpoint(cfg, ""), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_config_set_revocation_endpoint(NULL, "https://x"), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_config_set_introspection_endpoint(cfg, NULL), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_config_set_device_authorization_endpoint(cfg, NULL), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_config_set_id_token_leeway_ms(NULL, 1), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_config_discover(cfg, bad_utf8), AUTHGATE_INVALID_UTF8);
  CHECK_OK(authgate_config_set_base_url(cfg, "https://kontur.example"));
  CHECK_OK(authgate_config_set_client_id(cfg, "id"));
  CHECK_OK(authgate_config_set_client_secret(cfg, "s"));
  CHECK_OK(authgate_client_new(cfg, &client));

  EXPECT(authgate_store_new_memory(NULL), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_store_new_file(NULL, &store), AUTHGATE_NULL_POINTER);
  CHECK_OK(authgate_store_new_memory(&store));
  EXPECT(authgate_manager_new((const authgate_client *)store, NULL, NULL, &manager),
         AUTHGATE_WRONG_HANDLE);
  CHECK(strstr(authgate_last_error_message(), "authgate_store") != NULL);
  EXPECT(authgate_manager_new(client, store, bad_utf8, &manager), AUTHGATE_INVALID_UTF8);
  EXPECT(authgate_manager_new(client, store, "{\"max_attempts\":-1}", &manager),
         AUTHGATE_INVALID_ARGUMENT);
  CHECK(manager == NULL);
  CHECK_OK(authgate_manager_new(client, store, "{\"leeway_ms\":0,\"allow_client_credentials\":false,"
                                               "\"max_attempts\":1,\"max_backoff_ms\":0,"
                                               "\"wait_timeout_ms\":1000}",
                                &manager));
  EXPECT(authgate_manager_access_token_valid_for(manager, 1, NULL), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_manager_access_token_valid_for_ms(manager, 1, NULL), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_manager_invalidate_token(manager, NULL, &b), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_manager_invalidate_token(manager, bad_utf8, &b), AUTHGATE_INVALID_UTF8);
  EXPECT(authgate_manager_token_set(manager, NULL), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_manager_invalidate(NULL), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_manager_clear((const authgate_manager *)client), AUTHGATE_WRONG_HANDLE);
  EXPECT(authgate_manager_set_tokens(manager, (const authgate_token_set *)manager),
         AUTHGATE_WRONG_HANDLE);
  CHECK_OK(authgate_token_set_new_from_json("{\"access_token\":\"a\",\"expires_in\":600}", &ts));
  CHECK_OK(authgate_manager_set_tokens(manager, ts));
  CHECK_OK(authgate_manager_access_token(manager, &owned));
  CHECK_STR(owned, "a");

  EXPECT(authgate_client_device_authorization(client, bad_utf8, &device), AUTHGATE_INVALID_UTF8);
  EXPECT(authgate_client_device_authorization(client, NULL, &device), AUTHGATE_CONFIG);
  EXPECT(authgate_device_user_code((const authgate_device *)client, &s), AUTHGATE_WRONG_HANDLE);
  EXPECT(authgate_device_interval(NULL, &u), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_device_qr_svg((const authgate_device *)ts, &owned), AUTHGATE_WRONG_HANDLE);
  EXPECT(authgate_client_poll_device_token(client, NULL, &ts), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_device_token_start(client, (const authgate_device *)store, &op),
         AUTHGATE_WRONG_HANDLE);
  EXPECT(authgate_client_wait_for_device_token_start(client, NULL, &op), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_sign_in_loopback_start(client, "{\"timeout_ms\":true}", &op),
         AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_operation_authorization_url((const authgate_operation *)client, &s),
         AUTHGATE_WRONG_HANDLE);
  CHECK(op == NULL && device == NULL);

  EXPECT(authgate_client_validate_id_token(client, NULL, NULL, &owned), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_validate_id_token(client, "a.b.c", NULL, &owned), AUTHGATE_CONFIG);
  EXPECT(authgate_client_userinfo(client, "", &owned), AUTHGATE_INVALID_ARGUMENT);
  EXPECT(authgate_client_userinfo(client, "t", &owned), AUTHGATE_CONFIG);
  EXPECT(authgate_client_revoke(client, "t", bad_utf8), AUTHGATE_INVALID_UTF8);
  EXPECT(authgate_client_revoke(client, "t", NULL), AUTHGATE_CONFIG);
  EXPECT(authgate_client_introspect(client, "t", NULL), AUTHGATE_NULL_POINTER);
  EXPECT(authgate_client_introspect(client, "t", &owned), AUTHGATE_CONFIG);
  CHECK_STR(owned, "a"); /* untouched by every failure above */
  failed = 0;
cleanup:
  authgate_string_free(owned);
  authgate_token_set_free(ts);
  authgate_device_free(device);
  authgate_operation_free(op);
  authgate_manager_free(manager);
  authgate_store_free(store);
  authgate_client_free(client);
  authgate_config_free(cfg);
  return failed;
}

/* Issue 13.3: each rule lives once, in the core, so a mistake reads the same in every
 * language; tests/python/test_arguments.py::test_the_core_words_each_mistake asserts the
 * same texts. */
static int test_the_core_words_each_mistake(void) {
  int failed = 1;
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  authgate_manager *manager = NULL;
  CHECK_OK(authgate_config_new(AUTHGATE_PROVIDER_GEARCODE, &cfg));
  CHECK_OK(authgate_config_set_base_url(cfg, "https://gc.example"));
  CHECK_OK(authgate_config_set_client_id(cfg, "id"));
  CHECK_OK(authgate_config_set_client_secret(cfg, "s3cr3t-value"));
  CHECK_OK(authgate_config_set_timeout_ms(cfg, 0));
  EXPECT(authgate_client_new(cfg, &client), AUTHGATE_CONFIG);
  CHECK_STR(authgate_last_error_message(),
            "configuration error: timeout must be greater than zero "
            "(zero timeouts would end every call at once)");
  CHECK_OK(authgate_config_set_timeout_ms(cfg, 5000));
  CHECK_OK(authgate_config_add_token_param(cfg, "grant_type", "x"));
  EXPECT(authgate_client_new(cfg, &client), AUTHGATE_CONFIG);
  CHECK_STR(authgate_last_error_message(),
            "configuration error: token_param `grant_type` is set by authgate itself and "
            "cannot be overridden");
  authgate_config_free(cfg);
  cfg = NULL;

  CHECK_OK(authgate_client_new_from_json("{\"provider\":\"gearcode\",\"base_url\":\"https://gc.example\","
                                         "\"client_id\":\"id\",\"client_secret\":\"s3cr3t-value\"}",
                                         &client));
  /* Checked before anything is sent (nothing listens at gc.example). */
  EXPECT(authgate_client_password(client, "user", "pw", NULL, "{\"grant_type\":\"x\"}", &ts),
         AUTHGATE_INVALID_ARGUMENT);
  CHECK_STR(authgate_last_error_message(),
            "invalid argument: param `grant_type` is set by authgate itself and cannot be "
            "overridden");
  EXPECT(authgate_manager_new(client, NULL, "{\"wait_timeout_ms\":0}", &manager), AUTHGATE_CONFIG);
  CHECK_STR(authgate_last_error_message(),
            "configuration error: wait_timeout must be greater than zero "
            "(zero timeouts would end every call at once)");
  CHECK(ts == NULL && manager == NULL);
  failed = 0;
cleanup:
  authgate_manager_free(manager);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  authgate_config_free(cfg);
  return failed;
}

int main(void) {
  RUN(test_null_pointers);
  RUN(test_invalid_utf8);
  RUN(test_wrong_handle_kind);
  RUN(test_empty_and_invalid_values);
  RUN(test_result_names);
  RUN(test_manager_device_oidc_arguments);
  RUN(test_the_core_words_each_mistake);
  return harness_report();
}
