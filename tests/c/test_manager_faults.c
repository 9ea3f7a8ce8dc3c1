/* The token manager when things break, through the installed C library: a save that fails
 * (the store's path is a folder for a while) loses no rotated refresh token, a refused
 * refresh token is not sent again, and invalid settings are AUTHGATE_CONFIG. */
#include "harness.h"

#include <pthread.h>
#include <sys/stat.h>

#define GC_TOKEN_PATH "/oauth/token"

static authgate_client *gearcode(void) {
  return emulator_client(AUTHGATE_PROVIDER_GEARCODE, "gearcode-client", "gearcode-secret");
}

/* A signed-in GearCode manager on a file store in a fresh folder. */
struct fixture {
  char dir[64];
  char path[256];
  char lock[300];
  authgate_client *client;
  authgate_token_set *ts;
  authgate_store *store;
  authgate_manager *manager;
};

static int fixture_open(struct fixture *f) {
  memset(f, 0, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/authgate-c-faults-XXXXXX");
  if (mkdtemp(f->dir) == NULL) return -1;
  snprintf(f->path, sizeof f->path, "%s/tokens.json", f->dir);
  snprintf(f->lock, sizeof f->lock, "%s.lock", f->path);
  f->client = gearcode();
  if (f->client == NULL || sign_in_code(f->client, NULL, &f->ts, NULL, 0) != 0 ||
      authgate_store_new_file(f->path, &f->store) != AUTHGATE_OK ||
      authgate_manager_new(f->client, f->store, NULL, &f->manager) != AUTHGATE_OK ||
      authgate_manager_set_tokens(f->manager, f->ts) != AUTHGATE_OK)
    return -1;
  return 0;
}

static void fixture_close(struct fixture *f) {
  authgate_token_set_free(f->ts);
  authgate_manager_free(f->manager);
  authgate_store_free(f->store);
  authgate_client_free(f->client);
  rmdir(f->path);
  unlink(f->path);
  unlink(f->lock);
  rmdir(f->dir);
}

struct call {
  const authgate_manager *manager;
  authgate_result rc;
};

static void *access_token_in_thread(void *arg) {
  struct call *c = arg;
  char *token = NULL;
  c->rc = authgate_manager_access_token(c->manager, &token);
  authgate_string_free(token);
  return NULL;
}

/* Issue 10.1: GearCode rotates RT1 -> RT2 while the store cannot be written. RT1 is dead;
 * RT2 must stay in use, and be saved once the store works again. */
static int test_failed_save_keeps_the_rotated_refresh_token(void) {
  int failed = 1;
  struct fixture f;
  authgate_manager *restarted = NULL;
  char *kept = NULL, *token = NULL;
  long before;
  pthread_t thread;
  int started = 0;
  struct call call = {NULL, AUTHGATE_OK};

  CHECK(fixture_open(&f) == 0);
  /* The refresh is held at the server; meanwhile the store's path becomes a folder, so
   * that the rename of the new set onto it fails (even as root). */
  CHECK(emulator_control("fault", "{\"path\":\"/oauth/token\",\"kind\":\"delay\",\"ms\":1500}") == 0);
  before = emulator_count(GC_TOKEN_PATH);
  CHECK_OK(authgate_manager_invalidate(f.manager));
  call.manager = f.manager;
  CHECK(pthread_create(&thread, NULL, access_token_in_thread, &call) == 0);
  started = 1;
  for (int i = 0; i < 600 && emulator_count(GC_TOKEN_PATH) == before; i++) sleep_ms(10);
  CHECK(emulator_count(GC_TOKEN_PATH) == before + 1); /* the refresh reached the server */
  CHECK(unlink(f.path) == 0);
  CHECK(mkdir(f.path, 0700) == 0);
  pthread_join(thread, NULL);
  started = 0;
  CHECK(call.rc == AUTHGATE_STORE); /* the caller learns of it */

  /* The folder goes: the next call saves the newest set, without a request. */
  CHECK(rmdir(f.path) == 0);
  CHECK_OK(authgate_manager_access_token(f.manager, &kept));
  CHECK(emulator_count(GC_TOKEN_PATH) == before + 1);
  CHECK(access(f.path, F_OK) == 0);

  /* A restarted manager reads that set, and its refresh token (RT2) is the live one. */
  CHECK_OK(authgate_manager_new(f.client, f.store, NULL, &restarted));
  CHECK_OK(authgate_manager_access_token(restarted, &token));
  CHECK_STR(token, kept);
  authgate_string_free(token);
  token = NULL;
  CHECK_OK(authgate_manager_invalidate(restarted));
  CHECK_OK(authgate_manager_access_token(restarted, &token));
  CHECK(strcmp(token, kept) != 0);
  failed = 0;
cleanup:
  if (started) pthread_join(thread, NULL);
  authgate_string_free(kept);
  authgate_string_free(token);
  authgate_manager_free(restarted);
  fixture_close(&f);
  return failed;
}

/* Issue 10.7: after invalid_grant, the dead refresh token is not sent again, and it
 * leaves the store; a new sign-in starts afresh. */
static int test_refused_refresh_token_is_not_sent_again(void) {
  int failed = 1;
  struct fixture f;
  authgate_token_set *again = NULL;
  char content[8192];
  char *token = NULL;
  long before;
  FILE *file = NULL;
  size_t n;

  CHECK(fixture_open(&f) == 0);
  CHECK(emulator_control("revoke", NULL) == 0);
  CHECK_OK(authgate_manager_invalidate(f.manager));
  before = emulator_count(GC_TOKEN_PATH);
  CHECK_RC(authgate_manager_access_token(f.manager, &token), AUTHGATE_SIGN_IN_REQUIRED);
  CHECK(emulator_count(GC_TOKEN_PATH) == before + 1);
  for (int i = 0; i < 3; i++) {
    CHECK_RC(authgate_manager_access_token(f.manager, &token), AUTHGATE_SIGN_IN_REQUIRED);
    CHECK(strstr(authgate_last_error_message(), "refused") != NULL);
  }
  CHECK(emulator_count(GC_TOKEN_PATH) == before + 1); /* no request with the dead token */
  file = fopen(f.path, "r");
  CHECK(file != NULL);
  n = fread(content, 1, sizeof content - 1, file);
  content[n] = '\0';
  CHECK(strstr(content, "\"access_token\"") != NULL);
  CHECK(strstr(content, "\"refresh_token\"") == NULL);

  CHECK(sign_in_code(f.client, NULL, &again, NULL, 0) == 0);
  CHECK_OK(authgate_manager_set_tokens(f.manager, again));
  CHECK_OK(authgate_manager_invalidate(f.manager));
  CHECK_OK(authgate_manager_access_token(f.manager, &token));
  failed = 0;
cleanup:
  if (file != NULL) fclose(file);
  authgate_string_free(token);
  authgate_token_set_free(again);
  fixture_close(&f);
  return failed;
}

/* Issue 11.8: settings that cannot work are refused, not silently changed. */
static int test_invalid_settings_are_a_config_error(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_manager *manager = NULL;

  client = gearcode();
  CHECK(client != NULL);
  CHECK_RC(authgate_manager_new(client, NULL, "{\"max_attempts\":0}", &manager), AUTHGATE_CONFIG);
  CHECK(strstr(authgate_last_error_message(), "max_attempts") != NULL);
  CHECK_RC(authgate_manager_new(client, NULL, "{\"wait_timeout_ms\":0}", &manager),
           AUTHGATE_CONFIG);
  CHECK(strstr(authgate_last_error_message(), "wait_timeout") != NULL);
  CHECK(manager == NULL);
  CHECK_OK(authgate_manager_new(client, NULL, "{\"max_attempts\":1,\"wait_timeout_ms\":1}",
                                &manager));
  failed = 0;
cleanup:
  authgate_manager_free(manager);
  authgate_client_free(client);
  return failed;
}

int main(void) {
  RUN(test_failed_save_keeps_the_rotated_refresh_token);
  RUN(test_refused_refresh_token_is_not_sent_again);
  RUN(test_invalid_settings_are_a_config_error);
  return harness_report();
}
