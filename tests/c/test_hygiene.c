/* Configuration values and a shared file store that could hang or crash a till: a
 * user agent with a line break (a configuration error at client creation, not a panic in
 * the first request), and a token store whose lock another process holds (a transient
 * timeout, not a hang). */
#include "harness.h"

#include <fcntl.h>
#include <sys/file.h>

static int test_user_agent_with_a_line_break_is_a_config_error(void) {
  int failed = 1;
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;

  cfg = emulator_config(AUTHGATE_PROVIDER_CUBA, "client", "secret");
  CHECK(cfg != NULL);
  CHECK_OK(authgate_config_set_user_agent(cfg, "pos/1\r\nX-Evil: 1"));
  /* Before the check, the client was built and the first request panicked. */
  authgate_result rc = authgate_client_new(cfg, &client);
  if (rc == AUTHGATE_OK) authgate_client_password(client, "user", "pass", NULL, NULL, &ts);
  CHECK_RC(rc, AUTHGATE_CONFIG);
  CHECK(strstr(authgate_last_error_message(), "user_agent") != NULL);
  CHECK(client == NULL);

  CHECK_RC(authgate_client_new_from_json("{\"base_url\":\"http://127.0.0.1:1\",\"client_id\":"
                                         "\"c\",\"client_secret\":\"s\",\"user_agent\":\"a\\u0000b\"}",
                                         &client),
           AUTHGATE_CONFIG);
  CHECK(strstr(authgate_last_error_message(), "user_agent") != NULL);
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_client_free(client);
  authgate_config_free(cfg);
  return failed;
}

static int test_a_held_store_lock_is_a_transient_timeout(void) {
  int failed = 1, fd = -1;
  authgate_client *client = NULL;
  authgate_store *store = NULL;
  authgate_manager *manager = NULL;
  authgate_token_set *ts = NULL;
  char *token = NULL;
  char path[128], lock_path[160];
  struct timespec t0, t1;

  snprintf(path, sizeof path, "/tmp/authgate-c-hygiene-%d.json", (int)getpid());
  snprintf(lock_path, sizeof lock_path, "%s.lock", path);
  client = emulator_client(AUTHGATE_PROVIDER_CUBA, "client", "secret");
  CHECK(client != NULL);
  CHECK_OK(authgate_store_new_file(path, &store));
  CHECK_OK(authgate_manager_new(client, store, "{\"wait_timeout_ms\":300,\"max_attempts\":1}",
                                &manager));
  /* An expired token: the next access_token must refresh, under the store's lock. */
  CHECK_OK(authgate_token_set_new_from_json(
      "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expires_in\":0}", &ts));
  CHECK_OK(authgate_manager_set_tokens(manager, ts));

  /* Another holder of the lock (a process frozen while refreshing, say). */
  fd = open(lock_path, O_RDWR | O_CREAT, 0600);
  CHECK(fd >= 0);
  CHECK(flock(fd, LOCK_EX) == 0);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK_RC(authgate_manager_access_token(manager, &token), AUTHGATE_TIMEOUT);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  CHECK(token == NULL);
  CHECK(authgate_last_error_is_transient() == 1);
  CHECK(strstr(authgate_last_error_message(), "lock") != NULL);
  /* Bounded by the wait timeout once the manager passes it on to the store (at most the
   * store's own 30 s default otherwise). */
  fprintf(stderr, "  waited %ld ms: %s\n", (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000), authgate_last_error_message());
  CHECK(t1.tv_sec - t0.tv_sec < 40);
  failed = 0;
cleanup:
  if (fd >= 0) close(fd);
  unlink(lock_path);
  unlink(path);
  authgate_string_free(token);
  authgate_token_set_free(ts);
  authgate_manager_free(manager);
  authgate_store_free(store);
  authgate_client_free(client);
  return failed;
}

int main(void) {
  RUN(test_user_agent_with_a_line_break_is_a_config_error);
  RUN(test_a_held_store_lock_is_a_transient_timeout);
  return harness_report();
}
