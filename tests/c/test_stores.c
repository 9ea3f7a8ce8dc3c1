/* Issue 16 through the installed C library: the tokens-changed callback sees every rotated
 * refresh token (after it is saved), a store written in C (a struct of callbacks)
 * round-trips, a save that fails once loses no rotated refresh token, a failing callback
 * is AUTHGATE_STORE with its message, and an encrypted file store refuses another key. */
#include "harness.h"

#include <pthread.h>

#define GC_TOKEN_PATH "/oauth/token"

static authgate_client *gearcode(void) {
  return emulator_client(AUTHGATE_PROVIDER_GEARCODE, "gearcode-client", "gearcode-secret");
}

/* What the tokens-changed callback saw: the last refresh token (a copy) and a count. */
struct seen {
  int calls;
  char refresh[512];
};

static void on_tokens_changed(void *user_data, const authgate_token_set *tokens) {
  struct seen *seen = user_data;
  const char *rt = NULL;
  seen->calls++;
  if (authgate_token_set_refresh_token(tokens, &rt) == AUTHGATE_OK && rt != NULL)
    snprintf(seen->refresh, sizeof seen->refresh, "%s", rt);
}

/* The refresh token in a token set, copied into buf ("" if none). */
static void refresh_of(const authgate_token_set *ts, char *buf, size_t cap) {
  const char *rt = NULL;
  buf[0] = '\0';
  if (authgate_token_set_refresh_token(ts, &rt) == AUTHGATE_OK && rt != NULL)
    snprintf(buf, cap, "%s", rt);
}

/* Issue 16.2: each rotation is reported, with the new refresh token; set_tokens is not. */
static int test_tokens_changed_sees_each_rotated_refresh_token(void) {
  int failed = 1;
  authgate_client *client = gearcode();
  authgate_token_set *ts = NULL, *current = NULL;
  authgate_manager *manager = NULL;
  struct seen seen = {0, ""};
  char *token = NULL;
  char rt[512];

  CHECK(client != NULL);
  CHECK(sign_in_code(client, NULL, &ts, NULL, 0) == 0);
  CHECK_OK(authgate_manager_new(client, NULL, NULL, &manager));
  CHECK_OK(authgate_manager_set_tokens_changed_callback(manager, on_tokens_changed, &seen));
  CHECK_OK(authgate_manager_set_tokens(manager, ts));
  CHECK(seen.calls == 0);
  for (int n = 1; n <= 2; n++) {
    CHECK_OK(authgate_manager_invalidate(manager));
    CHECK_OK(authgate_manager_access_token(manager, &token));
    authgate_string_free(token);
    token = NULL;
    CHECK(seen.calls == n);
    CHECK_OK(authgate_manager_token_set(manager, &current));
    refresh_of(current, rt, sizeof rt);
    authgate_token_set_free(current);
    current = NULL;
    CHECK(rt[0] != '\0');
    CHECK_STR(seen.refresh, rt);
  }
  /* Removed: no more calls. */
  CHECK_OK(authgate_manager_set_tokens_changed_callback(manager, NULL, NULL));
  CHECK_OK(authgate_manager_invalidate(manager));
  CHECK_OK(authgate_manager_access_token(manager, &token));
  CHECK(seen.calls == 2);
  CHECK_RC(authgate_manager_set_tokens_changed_callback(NULL, on_tokens_changed, &seen),
           AUTHGATE_NULL_POINTER);
  failed = 0;
cleanup:
  authgate_string_free(token);
  authgate_token_set_free(current);
  authgate_token_set_free(ts);
  authgate_manager_free(manager);
  authgate_client_free(client);
  return failed;
}

/* A store written in C: one token set in a buffer, with failures on demand. */
struct buffer_store {
  pthread_mutex_t mutex; /* the lock callback's "cross-process" lock */
  char json[8192];
  int has;
  int fail_saves;        /* saves left to fail */
  authgate_result load_rc; /* what load returns (AUTHGATE_OK normally) */
  authgate_result lock_rc;
  int saves, locks, unlocks, freed;
};

static authgate_result bs_load(void *user_data, authgate_store_call *call) {
  struct buffer_store *s = user_data;
  if (s->load_rc != AUTHGATE_OK) {
    authgate_store_call_set_error(call, "injected: the database is offline");
    return s->load_rc;
  }
  return s->has ? authgate_store_call_set_json(call, s->json) : AUTHGATE_OK;
}

static authgate_result bs_save(void *user_data, const char *json, authgate_store_call *call) {
  struct buffer_store *s = user_data;
  if (s->fail_saves > 0) {
    s->fail_saves--;
    authgate_store_call_set_error(call, "injected: disk full");
    return AUTHGATE_IO;
  }
  if (strlen(json) >= sizeof s->json) return AUTHGATE_INVALID_ARGUMENT;
  strcpy(s->json, json);
  s->has = 1;
  s->saves++;
  return AUTHGATE_OK;
}

static authgate_result bs_clear(void *user_data, authgate_store_call *call) {
  struct buffer_store *s = user_data;
  (void)call;
  s->has = 0;
  memset(s->json, 0, sizeof s->json);
  return AUTHGATE_OK;
}

static authgate_result bs_lock(void *user_data, uint64_t timeout_ms, authgate_store_call *call) {
  struct buffer_store *s = user_data;
  (void)timeout_ms;
  if (s->lock_rc != AUTHGATE_OK) {
    authgate_store_call_set_error(call, "injected: another till holds the lock");
    return s->lock_rc;
  }
  pthread_mutex_lock(&s->mutex);
  s->locks++;
  return AUTHGATE_OK;
}

static void bs_unlock(void *user_data) {
  struct buffer_store *s = user_data;
  s->unlocks++;
  pthread_mutex_unlock(&s->mutex);
}

static void bs_free(void *user_data) { ((struct buffer_store *)user_data)->freed++; }

static const authgate_store_callbacks BUFFER_STORE = {bs_load, bs_save, bs_clear,
                                                      bs_lock, bs_unlock, bs_free};

static void buffer_store_init(struct buffer_store *s) {
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->mutex, NULL);
}

/* The refresh token in the stored JSON, copied into buf ("" if none). */
static void stored_refresh(const struct buffer_store *s, char *buf, size_t cap) {
  authgate_token_set *ts = NULL;
  buf[0] = '\0';
  if (s->has && authgate_token_set_new_from_json(s->json, &ts) == AUTHGATE_OK) refresh_of(ts, buf, cap);
  authgate_token_set_free(ts);
}

/* A signed-in GearCode client and a manager on a buffer store (the set not handed over yet). */
struct fixture {
  struct buffer_store s;
  authgate_client *client;
  authgate_token_set *ts;
  authgate_store *store;
  authgate_manager *manager;
};

static int fixture_open(struct fixture *f) {
  memset(f, 0, sizeof *f);
  buffer_store_init(&f->s);
  f->client = gearcode();
  if (f->client == NULL || sign_in_code(f->client, NULL, &f->ts, NULL, 0) != 0 ||
      authgate_store_new_callbacks(&BUFFER_STORE, &f->s, &f->store) != AUTHGATE_OK ||
      authgate_manager_new(f->client, f->store, NULL, &f->manager) != AUTHGATE_OK)
    return -1;
  return 0;
}

static void fixture_close(struct fixture *f) {
  authgate_manager_free(f->manager);
  authgate_store_free(f->store);
  authgate_token_set_free(f->ts);
  authgate_client_free(f->client);
  pthread_mutex_destroy(&f->s.mutex);
}

/* Issue 16.1: a store of the application's own round-trips through two managers, with its
 * lock taken and released around each save; user_data is freed with the last reference. */
static int test_callback_store_round_trips(void) {
  int failed = 1;
  struct fixture f;
  authgate_manager *second = NULL;
  char *a = NULL, *b = NULL;
  long before;

  CHECK(fixture_open(&f) == 0);
  CHECK_OK(authgate_manager_set_tokens(f.manager, f.ts));
  CHECK(f.s.has && f.s.saves == 1 && f.s.locks == 1 && f.s.unlocks == 1);
  CHECK(strstr(f.s.json, "\"refresh_token\"") != NULL);
  CHECK_OK(authgate_manager_access_token(f.manager, &a));
  /* Another manager (a restarted program) reads the same set: no request. */
  before = emulator_count(GC_TOKEN_PATH);
  CHECK_OK(authgate_manager_new(f.client, f.store, NULL, &second));
  CHECK_OK(authgate_manager_access_token(second, &b));
  CHECK_STR(a, b);
  CHECK(emulator_count(GC_TOKEN_PATH) == before);
  CHECK_OK(authgate_manager_clear(second));
  CHECK(!f.s.has);
  authgate_store_free(f.store);
  f.store = NULL;
  authgate_manager_free(f.manager);
  f.manager = NULL;
  CHECK(f.s.freed == 0); /* the second manager still uses it */
  authgate_manager_free(second);
  second = NULL;
  CHECK(f.s.freed == 1);
  CHECK(f.s.locks == f.s.unlocks);
  failed = 0;
cleanup:
  authgate_string_free(a);
  authgate_string_free(b);
  authgate_manager_free(second);
  fixture_close(&f);
  return failed;
}

/* Issue 16.1: GearCode rotates RT1 -> RT2 while the C store's save fails once. RT2 stays in
 * use, is saved by the next call (without a request), and is the live one. */
static int test_callback_store_failed_save_keeps_the_rotated_refresh_token(void) {
  int failed = 1;
  struct fixture f;
  authgate_token_set *fresh = NULL;
  struct seen seen = {0, ""};
  char *token = NULL;
  char rt1[512], rt[512];
  long before;

  CHECK(fixture_open(&f) == 0);
  CHECK_OK(authgate_manager_set_tokens_changed_callback(f.manager, on_tokens_changed, &seen));
  CHECK_OK(authgate_manager_set_tokens(f.manager, f.ts));
  stored_refresh(&f.s, rt1, sizeof rt1);
  CHECK(rt1[0] != '\0');

  f.s.fail_saves = 1;
  before = emulator_count(GC_TOKEN_PATH);
  CHECK_OK(authgate_manager_invalidate(f.manager));
  CHECK_RC(authgate_manager_access_token(f.manager, &token), AUTHGATE_STORE);
  CHECK(strstr(authgate_last_error_message(), "injected: disk full") != NULL);
  CHECK(strstr(authgate_last_error_message(), "kept in memory") != NULL);
  stored_refresh(&f.s, rt, sizeof rt);
  CHECK_STR(rt, rt1); /* the save failed: the store still has the dead RT1 */
  CHECK(seen.calls == 1 && strcmp(seen.refresh, rt1) != 0); /* the hook has RT2 */

  CHECK_OK(authgate_manager_access_token(f.manager, &token));
  CHECK(emulator_count(GC_TOKEN_PATH) == before + 1); /* saved, not refreshed again */
  stored_refresh(&f.s, rt, sizeof rt);
  CHECK_STR(rt, seen.refresh);
  /* RT2, from the store, is live at the server. */
  CHECK_OK(authgate_client_refresh(f.client, rt, NULL, NULL, &fresh));
  failed = 0;
cleanup:
  authgate_string_free(token);
  authgate_token_set_free(fresh);
  fixture_close(&f);
  return failed;
}

/* Issue 16.1: a callback's failure is AUTHGATE_STORE with its message (AUTHGATE_TIMEOUT from
 * lock); a struct missing a required callback is refused. */
static int test_callback_store_failures_are_typed(void) {
  int failed = 1;
  struct fixture f;
  authgate_store *bad = NULL;
  authgate_store_callbacks partial = BUFFER_STORE;
  char *token = NULL;

  CHECK(fixture_open(&f) == 0);
  f.s.load_rc = AUTHGATE_IO;
  CHECK_RC(authgate_manager_access_token(f.manager, &token), AUTHGATE_STORE);
  CHECK(strstr(authgate_last_error_message(),
               "load callback failed: injected: the database is offline") != NULL);
  f.s.load_rc = AUTHGATE_OK;
  f.s.lock_rc = AUTHGATE_TIMEOUT;
  CHECK_RC(authgate_manager_set_tokens(f.manager, f.ts), AUTHGATE_TIMEOUT);
  CHECK(strstr(authgate_last_error_message(), "another till holds the lock") != NULL);
  f.s.lock_rc = AUTHGATE_OK;
  CHECK_OK(authgate_manager_set_tokens(f.manager, f.ts));

  partial.save = NULL;
  CHECK_RC(authgate_store_new_callbacks(&partial, &f.s, &bad), AUTHGATE_INVALID_ARGUMENT);
  CHECK(strstr(authgate_last_error_message(), "save") != NULL);
  partial = BUFFER_STORE;
  partial.unlock = NULL;
  CHECK_RC(authgate_store_new_callbacks(&partial, &f.s, &bad), AUTHGATE_INVALID_ARGUMENT);
  CHECK_RC(authgate_store_new_callbacks(NULL, &f.s, &bad), AUTHGATE_NULL_POINTER);
  CHECK(bad == NULL);
  CHECK_RC(authgate_store_call_set_json(NULL, "{}"), AUTHGATE_NULL_POINTER);
  failed = 0;
cleanup:
  authgate_string_free(token);
  fixture_close(&f);
  if (f.s.freed != 1) failed = 1;
  return failed;
}

/* Issue 16.3: an encrypted file store hides the tokens; a copy does not open with another key. */
static int test_encrypted_file_store_refuses_another_key(void) {
  int failed = 1;
  authgate_client *client = gearcode();
  authgate_token_set *ts = NULL;
  authgate_store *store = NULL, *other = NULL;
  authgate_manager *manager = NULL, *thief = NULL;
  char dir[64], path[256], lock[300], content[8192], rt[512];
  unsigned char key[32], wrong[32];
  char *token = NULL;
  FILE *file = NULL;
  size_t n;

  memset(key, 7, sizeof key);
  memset(wrong, 8, sizeof wrong);
  snprintf(dir, sizeof dir, "/tmp/authgate-c-enc-XXXXXX");
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof path, "%s/tokens.json", dir);
  snprintf(lock, sizeof lock, "%s.lock", path);
  CHECK(client != NULL);
  CHECK(sign_in_code(client, NULL, &ts, NULL, 0) == 0);
  refresh_of(ts, rt, sizeof rt);
  CHECK_OK(authgate_store_new_file_encrypted(path, key, sizeof key, &store));
  CHECK_OK(authgate_manager_new(client, store, NULL, &manager));
  CHECK_OK(authgate_manager_set_tokens(manager, ts));
  file = fopen(path, "r");
  CHECK(file != NULL);
  n = fread(content, 1, sizeof content - 1, file);
  content[n] = '\0';
  CHECK(strstr(content, "chacha20-poly1305") != NULL);
  CHECK(strstr(content, rt) == NULL);
  CHECK_OK(authgate_store_new_file_encrypted(path, wrong, sizeof wrong, &other));
  CHECK_OK(authgate_manager_new(client, other, NULL, &thief));
  CHECK_RC(authgate_manager_access_token(thief, &token), AUTHGATE_STORE);
  CHECK(strstr(authgate_last_error_message(), "the key does not match") != NULL);
  CHECK_RC(authgate_store_new_file_encrypted(path, key, 31, &other), AUTHGATE_INVALID_ARGUMENT);
  failed = 0;
cleanup:
  if (file != NULL) fclose(file);
  authgate_string_free(token);
  authgate_manager_free(manager);
  authgate_manager_free(thief);
  authgate_store_free(store);
  authgate_store_free(other);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  unlink(path);
  unlink(lock);
  rmdir(dir);
  return failed;
}

int main(void) {
  RUN(test_tokens_changed_sees_each_rotated_refresh_token);
  RUN(test_callback_store_round_trips);
  RUN(test_callback_store_failed_save_keeps_the_rotated_refresh_token);
  RUN(test_callback_store_failures_are_typed);
  RUN(test_encrypted_file_store_refuses_another_key);
  return harness_report();
}
