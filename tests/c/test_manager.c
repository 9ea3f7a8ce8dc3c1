/* The token manager and its stores through the installed C library: the cached token,
 * invalidate, valid_for, a file store read by a second manager, a revoked refresh token,
 * the password credentials callback, and 8 threads on an expiring token. */
#include "harness.h"

#include <pthread.h>

#define GC_TOKEN_PATH "/oauth/token"

static authgate_client *gearcode(void) {
  return emulator_client(AUTHGATE_PROVIDER_GEARCODE, "gearcode-client", "gearcode-secret");
}

static int test_manager_arguments(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_store *store = NULL;
  authgate_manager *manager = NULL;
  char *token = NULL;

  client = gearcode();
  CHECK(client != NULL);
  CHECK_RC(authgate_manager_new(NULL, NULL, NULL, &manager), AUTHGATE_NULL_POINTER);
  CHECK_RC(authgate_manager_new(client, NULL, NULL, NULL), AUTHGATE_NULL_POINTER);
  CHECK_RC(authgate_manager_new(client, (const authgate_store *)client, NULL, &manager),
           AUTHGATE_WRONG_HANDLE);
  CHECK_RC(authgate_manager_new(client, NULL, "{\"leeway\":1}", &manager),
           AUTHGATE_INVALID_ARGUMENT);
  CHECK(strstr(authgate_last_error_message(), "leeway_ms") != NULL); /* lists the known keys */
  CHECK_RC(authgate_manager_new(client, NULL, "{\"leeway_ms\":\"5\"}", &manager),
           AUTHGATE_INVALID_ARGUMENT);
  CHECK_RC(authgate_manager_new(client, NULL, "[1]", &manager), AUTHGATE_INVALID_ARGUMENT);
  CHECK(manager == NULL); /* out-params untouched on failure */
  CHECK_RC(authgate_store_new_file("", &store), AUTHGATE_INVALID_ARGUMENT);
  CHECK_RC(authgate_store_new_file("/tmp/x.json", NULL), AUTHGATE_NULL_POINTER);
  CHECK_OK(authgate_store_new_memory(&store));
  CHECK_OK(authgate_manager_new(client, store, "", &manager));
  CHECK_RC(authgate_manager_access_token(manager, NULL), AUTHGATE_NULL_POINTER);
  CHECK_RC(authgate_manager_access_token((const authgate_manager *)store, &token),
           AUTHGATE_WRONG_HANDLE);
  CHECK_RC(authgate_manager_set_tokens(manager, NULL), AUTHGATE_NULL_POINTER);
  CHECK_RC(authgate_manager_set_password_credentials(NULL, NULL, NULL), AUTHGATE_NULL_POINTER);
  CHECK_OK(authgate_manager_set_password_credentials(manager, NULL, NULL));
  /* No tokens yet: sign in first. */
  CHECK_RC(authgate_manager_access_token(manager, &token), AUTHGATE_SIGN_IN_REQUIRED);
  CHECK(token == NULL);
  CHECK(authgate_last_error_code() == AUTHGATE_SIGN_IN_REQUIRED);
  CHECK_OK(authgate_manager_invalidate(manager));
  CHECK_OK(authgate_manager_clear(manager));
  failed = 0;
cleanup:
  authgate_string_free(token);
  authgate_manager_free(manager);
  authgate_store_free(store);
  authgate_client_free(client);
  authgate_manager_free(NULL);
  authgate_store_free(NULL);
  return failed;
}

static int test_cached_invalidate_valid_for_clear(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL, *current = NULL;
  authgate_manager *manager = NULL;
  char *t1 = NULL, *t2 = NULL, *t3 = NULL, *t4 = NULL, *t5 = NULL;
  const char *s = NULL;
  long before;
  int32_t invalidated = -1;

  client = gearcode();
  CHECK(client != NULL);
  CHECK(sign_in_code(client, NULL, &ts, NULL, 0) == 0);
  /* The client and the (default memory) store may go: the manager keeps references. */
  CHECK_OK(authgate_manager_new(client, NULL, "{\"leeway_ms\":60000,\"max_attempts\":2}",
                                &manager));
  authgate_client_free(client);
  client = NULL;
  CHECK_OK(authgate_manager_set_tokens(manager, ts));
  CHECK_OK(authgate_token_set_access_token(ts, &s));

  before = emulator_count(GC_TOKEN_PATH);
  CHECK_OK(authgate_manager_access_token(manager, &t1));
  CHECK_STR(t1, s);
  CHECK_OK(authgate_manager_access_token(manager, &t2));
  CHECK_STR(t2, s);
  CHECK(emulator_count(GC_TOKEN_PATH) == before); /* cached: no request */

  /* After a 401 from the API: the next call refreshes, once. */
  CHECK_OK(authgate_manager_invalidate(manager));
  CHECK_OK(authgate_manager_access_token(manager, &t3));
  CHECK(strcmp(t3, t1) != 0);
  CHECK(emulator_count(GC_TOKEN_PATH) == before + 1);

  /* GearCode tokens live 899 s: "valid for a minute" is the cached token; "for an hour"
   * refreshes, and then fails, since no token the server issues lasts that long. */
  CHECK_OK(authgate_manager_access_token_valid_for(manager, 60, &t4));
  CHECK_STR(t4, t3);
  authgate_string_free(t4);
  t4 = NULL;
  CHECK_RC(authgate_manager_access_token_valid_for_ms(manager, 3600000, &t4),
           AUTHGATE_INVALID_ARGUMENT);
  CHECK(t4 == NULL);
  CHECK(emulator_count(GC_TOKEN_PATH) == before + 2);
  CHECK_OK(authgate_manager_access_token_valid_for_ms(manager, 60000, &t4));
  CHECK(strcmp(t4, t3) != 0); /* the refreshed one, kept */
  CHECK(emulator_count(GC_TOKEN_PATH) == before + 2);

  /* A 401 for a token the manager no longer hands out changes nothing; for the current
   * one, the next call refreshes, once however many requests were refused with it. */
  CHECK_RC(authgate_manager_invalidate_token(manager, t1, NULL), AUTHGATE_NULL_POINTER);
  CHECK_OK(authgate_manager_invalidate_token(manager, t1, &invalidated));
  CHECK(invalidated == 0);
  CHECK_OK(authgate_manager_access_token(manager, &t5));
  CHECK_STR(t5, t4);
  authgate_string_free(t5);
  t5 = NULL;
  CHECK(emulator_count(GC_TOKEN_PATH) == before + 2);
  CHECK_OK(authgate_manager_invalidate_token(manager, t4, &invalidated));
  CHECK(invalidated == 1);
  CHECK_OK(authgate_manager_access_token(manager, &t5));
  CHECK(strcmp(t5, t4) != 0);
  CHECK(emulator_count(GC_TOKEN_PATH) == before + 3);
  CHECK_OK(authgate_manager_invalidate_token(manager, t4, &invalidated));
  CHECK(invalidated == 0);

  CHECK_OK(authgate_manager_token_set(manager, &current));
  CHECK_OK(authgate_token_set_access_token(current, &s));
  CHECK_STR(s, t5);
  CHECK_OK(authgate_token_set_refresh_token(current, &s));
  CHECK(s != NULL);

  CHECK_OK(authgate_manager_clear(manager));
  authgate_string_free(t2);
  t2 = NULL;
  CHECK_RC(authgate_manager_access_token(manager, &t2), AUTHGATE_SIGN_IN_REQUIRED);
  failed = 0;
cleanup:
  authgate_string_free(t1);
  authgate_string_free(t2);
  authgate_string_free(t3);
  authgate_string_free(t4);
  authgate_string_free(t5);
  authgate_token_set_free(current);
  authgate_token_set_free(ts);
  authgate_manager_free(manager);
  authgate_client_free(client);
  return failed;
}

static int test_file_store_is_read_by_a_second_manager(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL, *back = NULL;
  authgate_store *store = NULL;
  authgate_manager *a = NULL, *b = NULL;
  char path[256], lock[300];
  char *token = NULL;
  const char *s = NULL, *rt = NULL, *rt_back = NULL;
  int64_t at = 0, at_back = 0;
  long before;

  snprintf(path, sizeof path, "/tmp/authgate-c-store-%d.json", (int)getpid());
  snprintf(lock, sizeof lock, "%s.lock", path);
  unlink(path);
  client = gearcode();
  CHECK(client != NULL);
  CHECK(sign_in_code(client, NULL, &ts, NULL, 0) == 0);
  CHECK_OK(authgate_store_new_file(path, &store));
  CHECK_OK(authgate_manager_new(client, store, NULL, &a));
  authgate_store_free(store);
  store = NULL;
  CHECK(access(path, F_OK) != 0); /* nothing written before the first save */
  CHECK_OK(authgate_manager_set_tokens(a, ts));
  CHECK(access(path, F_OK) == 0);
  authgate_manager_free(a);
  a = NULL;

  /* Another manager (as after a restart) on the same file: the same tokens, no request. */
  before = emulator_count(GC_TOKEN_PATH);
  CHECK_OK(authgate_store_new_file(path, &store));
  CHECK_OK(authgate_manager_new(client, store, NULL, &b));
  CHECK_OK(authgate_manager_access_token(b, &token));
  CHECK_OK(authgate_token_set_access_token(ts, &s));
  CHECK_STR(token, s);
  CHECK(emulator_count(GC_TOKEN_PATH) == before);
  /* The absolute expiry and the refresh token survive the file. */
  CHECK_OK(authgate_manager_token_set(b, &back));
  CHECK_OK(authgate_token_set_expires_at(ts, &at));
  CHECK_OK(authgate_token_set_expires_at(back, &at_back));
  CHECK(at > 0 && at == at_back);
  CHECK_OK(authgate_token_set_refresh_token(ts, &rt));
  CHECK_OK(authgate_token_set_refresh_token(back, &rt_back));
  CHECK_STR(rt_back, rt);
  failed = 0;
cleanup:
  authgate_string_free(token);
  authgate_token_set_free(back);
  authgate_token_set_free(ts);
  authgate_manager_free(a);
  authgate_manager_free(b);
  authgate_store_free(store);
  authgate_client_free(client);
  unlink(path);
  unlink(lock);
  return failed;
}

static int test_revoked_refresh_token_needs_a_sign_in(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  authgate_manager *manager = NULL;
  char *token = NULL;

  client = gearcode();
  CHECK(client != NULL);
  CHECK(sign_in_code(client, NULL, &ts, NULL, 0) == 0);
  CHECK_OK(authgate_manager_new(client, NULL, NULL, &manager));
  CHECK_OK(authgate_manager_set_tokens(manager, ts));
  CHECK(emulator_control("revoke", NULL) == 0);
  CHECK_OK(authgate_manager_invalidate(manager));
  CHECK_RC(authgate_manager_access_token(manager, &token), AUTHGATE_SIGN_IN_REQUIRED);
  CHECK(token == NULL);
  CHECK(authgate_last_error_is_terminal() == 1);
  failed = 0;
cleanup:
  authgate_string_free(token);
  authgate_token_set_free(ts);
  authgate_manager_free(manager);
  authgate_client_free(client);
  return failed;
}

/* --- the password credentials callback (CUBA) ------------------------------------- */

struct credentials {
  int calls;
  authgate_result answer;
};

static authgate_result supply_credentials(void *user_data, char *username, size_t username_cap,
                                          char *password, size_t password_cap) {
  struct credentials *c = user_data;
  c->calls++;
  if (c->answer != AUTHGATE_OK) return c->answer;
  snprintf(username, username_cap, "%s", "кассир");
  snprintf(password, password_cap, "%s", "p&s=w+o%rd 1 ё");
  return AUTHGATE_OK;
}

static int test_password_credentials_callback(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_manager *manager = NULL;
  char *t1 = NULL, *t2 = NULL, *t3 = NULL;
  struct credentials creds = {0, AUTHGATE_OK};

  client = emulator_client(AUTHGATE_PROVIDER_CUBA, "client", "secret");
  CHECK(client != NULL);
  CHECK_OK(authgate_manager_new(client, NULL, NULL, &manager));
  CHECK_OK(authgate_manager_set_password_credentials(manager, supply_credentials, &creds));
  CHECK_OK(authgate_manager_access_token(manager, &t1));
  CHECK(creds.calls == 1);
  CHECK_OK(authgate_manager_access_token(manager, &t2));
  CHECK_STR(t2, t1);
  CHECK(creds.calls == 1); /* cached */

  /* Declining: the callback's AUTHGATE_CANCELLED comes back; anything else is a sign-in. */
  CHECK_OK(authgate_manager_clear(manager));
  creds.answer = AUTHGATE_CANCELLED;
  CHECK_RC(authgate_manager_access_token(manager, &t3), AUTHGATE_CANCELLED);
  creds.answer = AUTHGATE_INVALID_ARGUMENT;
  CHECK_RC(authgate_manager_access_token(manager, &t3), AUTHGATE_SIGN_IN_REQUIRED);
  CHECK(creds.calls == 3);
  /* Removed: no callback, no tokens. */
  CHECK_OK(authgate_manager_set_password_credentials(manager, NULL, NULL));
  CHECK_RC(authgate_manager_access_token(manager, &t3), AUTHGATE_SIGN_IN_REQUIRED);
  CHECK(creds.calls == 3);
  CHECK(t3 == NULL);
  failed = 0;
cleanup:
  authgate_string_free(t1);
  authgate_string_free(t2);
  authgate_string_free(t3);
  authgate_manager_free(manager);
  authgate_client_free(client);
  return failed;
}

/* --- 8 threads on an expiring token: one refresh per expiry ---------------------- */

#define THREADS 8
#define MAX_SEEN 64

struct shared {
  authgate_manager *manager;
  pthread_mutex_t lock;
  char *seen[MAX_SEEN];
  int n_seen;
  int errors;
  double until_ms;
};

static void *worker(void *arg) {
  struct shared *sh = arg;
  while (monotonic_ms() < sh->until_ms) {
    char *token = NULL;
    authgate_result rc = authgate_manager_access_token(sh->manager, &token);
    pthread_mutex_lock(&sh->lock);
    if (rc != AUTHGATE_OK) {
      fprintf(stderr, "  worker: %u %s\n", rc, authgate_last_error_message());
      sh->errors++;
    } else {
      int known = 0;
      for (int i = 0; i < sh->n_seen; i++) known |= strcmp(sh->seen[i], token) == 0;
      if (!known && sh->n_seen < MAX_SEEN) {
        sh->seen[sh->n_seen++] = token;
        token = NULL;
      }
    }
    pthread_mutex_unlock(&sh->lock);
    authgate_string_free(token);
    sleep_ms(20);
  }
  return NULL;
}

static int test_eight_threads_one_refresh_per_expiry(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  struct shared sh;
  pthread_t threads[THREADS];
  int started = 0;
  long before = -1, refreshes = 0;

  memset(&sh, 0, sizeof sh);
  pthread_mutex_init(&sh.lock, NULL);
  CHECK(emulator_control("expires_in", "{\"dialect\":\"gearcode\",\"seconds\":3}") == 0);
  client = gearcode();
  CHECK(client != NULL);
  CHECK(sign_in_code(client, NULL, &ts, NULL, 0) == 0);
  CHECK_OK(authgate_manager_new(client, NULL, "{\"leeway_ms\":1000}", &sh.manager));
  CHECK_OK(authgate_manager_set_tokens(sh.manager, ts));
  before = emulator_count(GC_TOKEN_PATH);
  /* 3 s tokens refreshed 1 s early: a refresh about every 2 s, 3 or 4 in 7 s. */
  sh.until_ms = monotonic_ms() + 7000;
  for (; started < THREADS; started++)
    CHECK(pthread_create(&threads[started], NULL, worker, &sh) == 0);
  for (int i = 0; i < started; i++) pthread_join(threads[i], NULL);
  started = 0;
  refreshes = emulator_count(GC_TOKEN_PATH) - before;
  fprintf(stderr, "  %d distinct tokens, %ld refreshes\n", sh.n_seen, refreshes);
  CHECK(sh.errors == 0);
  CHECK(refreshes >= 2);
  CHECK(sh.n_seen == refreshes + 1);
  failed = 0;
cleanup:
  for (int i = 0; i < started; i++) pthread_join(threads[i], NULL);
  emulator_control("expires_in", "{\"dialect\":\"gearcode\",\"seconds\":899}");
  for (int i = 0; i < sh.n_seen; i++) authgate_string_free(sh.seen[i]);
  pthread_mutex_destroy(&sh.lock);
  authgate_manager_free(sh.manager);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

int main(void) {
  RUN(test_manager_arguments);
  RUN(test_cached_invalidate_valid_for_clear);
  RUN(test_file_store_is_read_by_a_second_manager);
  RUN(test_revoked_refresh_token_needs_a_sign_in);
  RUN(test_password_credentials_callback);
  RUN(test_eight_threads_one_refresh_per_expiry);
  return harness_report();
}
