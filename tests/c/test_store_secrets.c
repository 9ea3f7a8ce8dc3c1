/* A store written in C whose callbacks fail quoting what they were given (or what they
 * hold): the manager's error (last error message and JSON) says what happened, without
 * the tokens. */
#include "harness.h"

struct quoting_store {
  char json[8192];
  int has;
  int fail_save, fail_load;
};

static authgate_result qs_load(void *user_data, authgate_store_call *call) {
  struct quoting_store *s = user_data;
  char message[9000];
  if (s->has && s->fail_load) {
    snprintf(message, sizeof message, "cannot parse the row %s: check the database", s->json);
    authgate_store_call_set_error(call, message);
    return AUTHGATE_IO;
  }
  return s->has ? authgate_store_call_set_json(call, s->json) : AUTHGATE_OK;
}

static authgate_result qs_save(void *user_data, const char *json, authgate_store_call *call) {
  struct quoting_store *s = user_data;
  char message[9000];
  if (s->fail_save) {
    snprintf(message, sizeof message, "cannot write %s: disk full", json);
    authgate_store_call_set_error(call, message);
    return AUTHGATE_IO;
  }
  if (strlen(json) >= sizeof s->json) return AUTHGATE_INVALID_ARGUMENT;
  strcpy(s->json, json);
  s->has = 1;
  return AUTHGATE_OK;
}

static authgate_result qs_clear(void *user_data, authgate_store_call *call) {
  (void)call;
  ((struct quoting_store *)user_data)->has = 0;
  return AUTHGATE_OK;
}

static const authgate_store_callbacks QUOTING_STORE = {qs_load, qs_save, qs_clear, NULL, NULL, NULL};

/* Neither the message nor the JSON of the last error holds `token`. */
static int no_token_in_last_error(const char *token) {
  return strstr(authgate_last_error_message(), token) == NULL &&
         strstr(authgate_last_error_json(), token) == NULL;
}

static int test_a_store_quoting_the_tokens_it_was_given_leaks_none(void) {
  int failed = 1;
  struct quoting_store s;
  authgate_client *client =
      emulator_client(AUTHGATE_PROVIDER_GEARCODE, "gearcode-client", "gearcode-secret");
  authgate_token_set *ts = NULL;
  authgate_store *store = NULL;
  authgate_manager *manager = NULL, *other = NULL;
  char *token = NULL;
  char at[512] = "", rt[512] = "";
  const char *v = NULL;

  memset(&s, 0, sizeof s);
  CHECK(client != NULL);
  CHECK(sign_in_code(client, NULL, &ts, NULL, 0) == 0);
  CHECK_OK(authgate_token_set_access_token(ts, &v));
  snprintf(at, sizeof at, "%s", v);
  CHECK_OK(authgate_token_set_refresh_token(ts, &v));
  snprintf(rt, sizeof rt, "%s", v);
  CHECK_OK(authgate_store_new_callbacks(&QUOTING_STORE, &s, &store));
  CHECK_OK(authgate_manager_new(client, store, NULL, &manager));

  s.fail_save = 1;
  CHECK_RC(authgate_manager_set_tokens(manager, ts), AUTHGATE_STORE);
  CHECK(strstr(authgate_last_error_message(), "cannot write") != NULL);
  CHECK(strstr(authgate_last_error_message(), "disk full") != NULL);
  CHECK(no_token_in_last_error(at));
  CHECK(no_token_in_last_error(rt));

  /* Saved after all; then another manager (a restarted till) cannot read it back. */
  s.fail_save = 0;
  CHECK_OK(authgate_manager_access_token(manager, &token));
  CHECK(s.has);
  s.fail_load = 1;
  CHECK_OK(authgate_manager_new(client, store, NULL, &other));
  CHECK_RC(authgate_manager_access_token(other, &token), AUTHGATE_STORE);
  CHECK(strstr(authgate_last_error_message(), "cannot parse the row") != NULL);
  CHECK(strstr(authgate_last_error_message(), "check the database") != NULL);
  CHECK(no_token_in_last_error(at));
  CHECK(no_token_in_last_error(rt));
  failed = 0;
cleanup:
  authgate_string_free(token);
  authgate_manager_free(other);
  authgate_manager_free(manager);
  authgate_store_free(store);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

int main(void) {
  RUN(test_a_store_quoting_the_tokens_it_was_given_leaks_none);
  return harness_report();
}
