/* Asynchronous operations (start, poll, wait, take, cancel) and sharing one client
 * between threads. */
#include "harness.h"

#include <pthread.h>

static int wait_for_state(authgate_operation *op, uint32_t wanted, int max_ms) {
  uint32_t st = 99;
  for (int i = 0; i < max_ms / 10; i++) {
    if (authgate_operation_state(op, &st) != AUTHGATE_OK) return -1;
    if (st == wanted) return 0;
    sleep_ms(10);
  }
  return -1;
}

static int test_start_poll_take(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_operation *op = NULL;
  authgate_token_set *ts = NULL, *again = NULL;
  const char *s = NULL;
  uint32_t st = 99;
  int polls = 0;
  client = emulator_client(AUTHGATE_PROVIDER_CUBA, "client", "secret");
  CHECK(client != NULL);
  CHECK_OK(authgate_client_password_start(client, "admin", "admin", NULL, NULL, &op));
  for (;;) {
    authgate_result rc = authgate_operation_poll(op);
    if (rc == AUTHGATE_OK) break;
    CHECK(rc == AUTHGATE_PENDING);
    CHECK(++polls < 1000);
    sleep_ms(10); /* a UI would handle its messages here */
  }
  CHECK_OK(authgate_operation_state(op, &st));
  CHECK(st == AUTHGATE_OPERATION_DONE);
  CHECK_OK(authgate_operation_take_result(op, &ts));
  CHECK_OK(authgate_token_set_scope(ts, &s));
  CHECK_STR(s, "rest-api");
  CHECK_RC(authgate_operation_take_result(op, &again), AUTHGATE_RESULT_TAKEN);
  CHECK(again == NULL);
  failed = 0;
cleanup:
  authgate_token_set_free(again);
  authgate_token_set_free(ts);
  authgate_operation_free(op);
  authgate_client_free(client);
  return failed;
}

static int test_failure_comes_through_take_result(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_operation *op = NULL;
  authgate_token_set *ts = NULL;
  client = emulator_client(AUTHGATE_PROVIDER_GEARCODE, "gearcode-client", "gearcode-secret");
  CHECK(client != NULL);
  CHECK_OK(authgate_client_exchange_code_start(client, "bogus-code", NULL, NULL, NULL, &op));
  CHECK_OK(authgate_operation_wait(op, 10000));
  CHECK_RC(authgate_operation_take_result(op, &ts), AUTHGATE_INVALID_GRANT);
  CHECK_STR(authgate_last_error_oauth_error(), "invalid_grant");
  CHECK(authgate_last_error_http_status() == 400);
  /* Arguments are checked before the thread starts. */
  authgate_operation_free(op);
  op = NULL;
  CHECK_RC(authgate_client_exchange_code_start(client, "", NULL, NULL, NULL, &op),
           AUTHGATE_INVALID_ARGUMENT);
  CHECK(op == NULL);
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_operation_free(op);
  authgate_client_free(client);
  return failed;
}

/* A refresh already on its way when cancelled still hands out its (rotated) result. */
static int test_cancel_after_send_keeps_rotated_token(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_operation *op = NULL;
  authgate_token_set *first = NULL, *fresh = NULL, *stale = NULL, *next = NULL;
  const char *rt = NULL, *new_rt = NULL;
  char *old_rt = NULL;
  uint32_t st = 99;

  CHECK(emulator_control("reset", NULL) == 0);
  client = emulator_client(AUTHGATE_PROVIDER_GEARCODE, "gearcode-client", "gearcode-secret");
  CHECK(client != NULL);
  CHECK_OK(authgate_client_client_credentials(client, NULL, NULL, &first));
  /* client_credentials may carry no refresh token; get one through the code flow. */
  {
    authgate_authorization *auth = NULL;
    const char *url = NULL, *verifier = NULL;
    char location[4096];
    char *code = NULL;
    int ok = authgate_client_authorization_url(client, NULL, NULL, NULL, NULL, NULL, NULL,
                                               &auth) == AUTHGATE_OK &&
             authgate_authorization_url(auth, &url) == AUTHGATE_OK &&
             follow_authorize(url, location, sizeof location) == 0 &&
             authgate_authorization_parse_callback(auth, location, &code) == AUTHGATE_OK &&
             authgate_authorization_code_verifier(auth, &verifier) == AUTHGATE_OK;
    authgate_token_set_free(first);
    first = NULL;
    if (ok)
      ok = authgate_client_exchange_code(client, code, verifier, NULL, NULL, &first) ==
           AUTHGATE_OK;
    authgate_string_free(code);
    authgate_authorization_free(auth);
    CHECK(ok);
  }
  CHECK_OK(authgate_token_set_refresh_token(first, &rt));
  CHECK(rt != NULL);
  old_rt = strdup(rt);

  CHECK(emulator_control("fault", "{\"path\":\"/oauth/token\",\"kind\":\"delay\",\"ms\":1500}") == 0);
  CHECK_OK(authgate_client_refresh_start(client, old_rt, NULL, NULL, &op));
  CHECK_RC(authgate_operation_wait(op, 100), AUTHGATE_PENDING);
  CHECK_RC(authgate_operation_take_result(op, &fresh), AUTHGATE_PENDING);
  CHECK(wait_for_state(op, AUTHGATE_OPERATION_SENDING, 2000) == 0);
  CHECK_OK(authgate_operation_cancel(op));
  CHECK_OK(authgate_operation_state(op, &st));
  CHECK(st == AUTHGATE_OPERATION_SENDING); /* too late to skip: it runs to its end */
  CHECK_OK(authgate_operation_wait(op, 10000));
  CHECK_OK(authgate_operation_take_result(op, &fresh));
  CHECK_OK(authgate_token_set_refresh_token(fresh, &new_rt));
  CHECK(new_rt != NULL && strcmp(new_rt, old_rt) != 0);
  /* The server has rotated: the old token is dead, the one we kept works. */
  CHECK_RC(authgate_client_refresh(client, old_rt, NULL, NULL, &stale), AUTHGATE_INVALID_GRANT);
  CHECK_OK(authgate_client_refresh(client, new_rt, NULL, NULL, &next));
  failed = 0;
cleanup:
  emulator_control("reset", NULL);
  free(old_rt);
  authgate_token_set_free(next);
  authgate_token_set_free(stale);
  authgate_token_set_free(fresh);
  authgate_token_set_free(first);
  authgate_operation_free(op);
  authgate_client_free(client);
  return failed;
}

static int test_cancel_right_away(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_operation *op = NULL;
  authgate_token_set *ts = NULL;
  uint32_t st = 99;
  client = emulator_client(AUTHGATE_PROVIDER_CUBA, "client", "secret");
  CHECK(client != NULL);
  for (int i = 0; i < 5; i++) {
    CHECK_OK(authgate_client_password_start(client, "admin", "admin", NULL, NULL, &op));
    CHECK_OK(authgate_operation_cancel(op));
    CHECK_OK(authgate_operation_wait(op, 10000));
    CHECK_OK(authgate_operation_state(op, &st));
    if (st == AUTHGATE_OPERATION_CANCELLED) {
      /* Skipped before sending: nothing reached the server, and there is no result. */
      CHECK_RC(authgate_operation_take_result(op, &ts), AUTHGATE_CANCELLED);
      CHECK(ts == NULL);
    } else {
      /* It had already been sent: the result is still there. */
      CHECK(st == AUTHGATE_OPERATION_DONE);
      CHECK_OK(authgate_operation_take_result(op, &ts));
    }
    authgate_token_set_free(ts);
    ts = NULL;
    authgate_operation_free(op);
    op = NULL;
  }
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_operation_free(op);
  authgate_client_free(client);
  return failed;
}

static int test_free_while_running(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_operation *op = NULL;
  CHECK(emulator_control("reset", NULL) == 0);
  CHECK(emulator_control("fault", "{\"path\":\"/app/rest/v2/oauth/token\",\"kind\":\"delay\",\"ms\":300}") == 0);
  client = emulator_client(AUTHGATE_PROVIDER_CUBA, "client", "secret");
  CHECK(client != NULL);
  CHECK_OK(authgate_client_password_start(client, "admin", "admin", NULL, NULL, &op));
  authgate_operation_free(op); /* does not block; the thread finishes on its own */
  op = NULL;
  authgate_client_free(client); /* the operation keeps its own reference */
  client = NULL;
  sleep_ms(1500);
  failed = 0;
cleanup:
  emulator_control("reset", NULL);
  authgate_operation_free(op);
  authgate_client_free(client);
  return failed;
}

struct shared_client {
  authgate_client *client;
  int failures;
};

static void *hammer(void *arg) {
  struct shared_client *sc = arg;
  for (int i = 0; i < 3; i++) {
    authgate_token_set *ts = NULL;
    if (authgate_client_password(sc->client, "admin", "admin", NULL, NULL, &ts) != AUTHGATE_OK)
      __atomic_add_fetch(&sc->failures, 1, __ATOMIC_SEQ_CST);
    authgate_token_set_free(ts);
  }
  return NULL;
}

static int test_one_client_many_threads(void) {
  int failed = 1;
  struct shared_client sc = {NULL, 0};
  pthread_t threads[4];
  int started = 0;
  sc.client = emulator_client(AUTHGATE_PROVIDER_CUBA, "client", "secret");
  CHECK(sc.client != NULL);
  for (; started < 4; started++)
    CHECK(pthread_create(&threads[started], NULL, hammer, &sc) == 0);
  failed = 0;
cleanup:
  for (int i = 0; i < started; i++) pthread_join(threads[i], NULL);
  if (sc.failures != 0) {
    fprintf(stderr, "  FAILED: %d concurrent calls failed\n", sc.failures);
    failed = 1;
  }
  authgate_client_free(sc.client);
  return failed;
}

int main(void) {
  RUN(test_start_poll_take);
  RUN(test_failure_comes_through_take_result);
  RUN(test_cancel_after_send_keeps_rotated_token);
  RUN(test_cancel_right_away);
  RUN(test_free_while_running);
  RUN(test_one_client_many_threads);
  return harness_report();
}
