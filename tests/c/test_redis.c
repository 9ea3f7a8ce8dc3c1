/* The Redis token store through the C library: two managers (two machines of a fleet) share
 * one token set through one redis-server; one refresh serves both; an unreachable Redis is
 * a transient AUTHGATE_STORE and a bad URL AUTHGATE_CONFIG, neither repeating the URL's
 * password; a set sealed with a key (authgate_store_new_redis_encrypted) is not read with
 * another; a rediss:// store trusting the server's CA (option ca_file) shares the set, and
 * one trusting another CA is AUTHGATE_STORE saying so.
 *
 * tests/c/run.sh builds libauthgate with the cargo feature `redis` and starts a
 * redis-server, whose URL it passes in AUTHGATE_REDIS_URL. Without that variable, the
 * library is taken for a default build, which must answer AUTHGATE_CONFIG ("no Redis
 * support"). */
#include "harness.h"

#define GC_TOKEN_PATH "/oauth/token"

static const char *redis_url(void) {
  const char *u = getenv("AUTHGATE_REDIS_URL");
  return (u != NULL && u[0] != '\0') ? u : NULL;
}

static authgate_client *gearcode(void) {
  return emulator_client(AUTHGATE_PROVIDER_GEARCODE, "gearcode-client", "gearcode-secret");
}

static int test_arguments_and_builds_without_redis(void) {
  int failed = 1;
  authgate_client *client = gearcode();
  authgate_store *store = NULL;
  const char *url = redis_url() ? redis_url() : "redis://127.0.0.1:6379/0";

  CHECK(client != NULL);
  CHECK_RC(authgate_store_new_redis(NULL, client, NULL, &store), AUTHGATE_NULL_POINTER);
  CHECK_RC(authgate_store_new_redis(url, NULL, NULL, &store), AUTHGATE_NULL_POINTER);
  CHECK_RC(authgate_store_new_redis(url, client, NULL, NULL), AUTHGATE_NULL_POINTER);
  CHECK_RC(authgate_store_new_redis(url, client, "{\"expiry_ms\":5}", &store),
           AUTHGATE_INVALID_ARGUMENT);
  CHECK(strstr(authgate_last_error_message(), "lock_expiry_ms") != NULL);
  CHECK(store == NULL);
  if (redis_url() == NULL) {
    CHECK_RC(authgate_store_new_redis(url, client, NULL, &store), AUTHGATE_CONFIG);
    CHECK(strstr(authgate_last_error_message(), "no Redis support") != NULL);
    CHECK(store == NULL);
    fprintf(stderr, "  (this libauthgate has no Redis support, as a default build)\n");
  }
  failed = 0;
cleanup:
  authgate_store_free(store);
  authgate_client_free(client);
  return failed;
}

static int test_two_managers_share_one_set_through_redis(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  authgate_store *store_a = NULL, *store_b = NULL;
  authgate_manager *a = NULL, *b = NULL;
  char *t_a = NULL, *t_b = NULL, *t_a2 = NULL, *t_b2 = NULL;
  long before;

  if (redis_url() == NULL) return 0; /* a default build: nothing to share through */
  client = gearcode();
  CHECK(client != NULL);
  CHECK(sign_in_code(client, NULL, &ts, NULL, 0) == 0);
  CHECK_OK(authgate_store_new_redis(redis_url(), client, "{\"lock_expiry_ms\":2000}", &store_a));
  CHECK_OK(authgate_store_new_redis(redis_url(), client, NULL, &store_b));
  CHECK_OK(authgate_manager_new(client, store_a, NULL, &a));
  CHECK_OK(authgate_manager_new(client, store_b, NULL, &b));
  CHECK_OK(authgate_manager_set_tokens(a, ts));

  /* The other machine reads the same set: no request. */
  before = emulator_count(GC_TOKEN_PATH);
  CHECK_OK(authgate_manager_access_token(a, &t_a));
  CHECK_OK(authgate_manager_access_token(b, &t_b));
  CHECK_STR(t_b, t_a);
  CHECK(emulator_count(GC_TOKEN_PATH) == before);

  /* A 401 on both: one refresh for the fleet (the second finds the new set in Redis). */
  CHECK(authgate_manager_invalidate(a) == AUTHGATE_OK);
  CHECK(authgate_manager_invalidate(b) == AUTHGATE_OK);
  CHECK_OK(authgate_manager_access_token(a, &t_a2));
  CHECK_OK(authgate_manager_access_token(b, &t_b2));
  CHECK(strcmp(t_a2, t_a) != 0);
  CHECK_STR(t_b2, t_a2);
  CHECK(emulator_count(GC_TOKEN_PATH) == before + 1);

  CHECK_OK(authgate_manager_clear(b));
  failed = 0;
cleanup:
  authgate_string_free(t_a);
  authgate_string_free(t_b);
  authgate_string_free(t_a2);
  authgate_string_free(t_b2);
  authgate_manager_free(a);
  authgate_manager_free(b);
  authgate_store_free(store_a);
  authgate_store_free(store_b);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

static int test_unreachable_redis_and_bad_urls(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  authgate_store *store = NULL;
  authgate_manager *manager = NULL;

  if (redis_url() == NULL) return 0;
  client = gearcode();
  CHECK(client != NULL);
  CHECK_RC(authgate_store_new_redis("http://:pa55w0rd@x/", client, NULL, &store), AUTHGATE_CONFIG);
  CHECK(strstr(authgate_last_error_message(), "pa55w0rd") == NULL);
  /* Port 9 (discard): nothing listens. Nothing is connected until a manager needs it. */
  CHECK_OK(authgate_store_new_redis("redis://:pa55w0rd@127.0.0.1:9/0", client,
                                    "{\"timeout_ms\":500}", &store));
  CHECK_OK(authgate_manager_new(client, store, "{\"wait_timeout_ms\":3000}", &manager));
  CHECK(sign_in_code(client, NULL, &ts, NULL, 0) == 0);
  CHECK_RC(authgate_manager_set_tokens(manager, ts), AUTHGATE_STORE);
  CHECK(strstr(authgate_last_error_message(), "127.0.0.1:9") != NULL);
  CHECK(strstr(authgate_last_error_message(), "pa55w0rd") == NULL);
  CHECK(authgate_last_error_is_transient() == 1); /* an outage: try again later */
  failed = 0;
cleanup:
  authgate_manager_free(manager);
  authgate_store_free(store);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

static int test_a_sealed_set_needs_its_key(void) {
  int failed = 1;
  static const unsigned char key[32] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
                                        7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};
  static const unsigned char other[32] = {8};
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  authgate_store *sealed = NULL, *wrong = NULL;
  authgate_manager *a = NULL, *b = NULL;
  char *t_a = NULL, *t_b = NULL;

  if (redis_url() == NULL) return 0;
  client = gearcode();
  CHECK(client != NULL);
  CHECK_RC(authgate_store_new_redis_encrypted(redis_url(), client, key, 31, NULL, &sealed),
           AUTHGATE_INVALID_ARGUMENT);
  CHECK_RC(authgate_store_new_redis_encrypted(redis_url(), client, NULL, 32, NULL, &sealed),
           AUTHGATE_NULL_POINTER);
  CHECK_OK(authgate_store_new_redis_encrypted(redis_url(), client, key, 32, NULL, &sealed));
  CHECK_OK(authgate_store_new_redis_encrypted(redis_url(), client, other, 32, NULL, &wrong));
  CHECK(sign_in_code(client, NULL, &ts, NULL, 0) == 0);
  CHECK_OK(authgate_manager_new(client, sealed, NULL, &a));
  CHECK_OK(authgate_manager_set_tokens(a, ts));
  CHECK_OK(authgate_manager_access_token(a, &t_a));
  /* Another key: a store error that says so, not an outage, never a garbled token. */
  CHECK_OK(authgate_manager_new(client, wrong, NULL, &b));
  CHECK_RC(authgate_manager_access_token(b, &t_b), AUTHGATE_STORE);
  CHECK(strstr(authgate_last_error_message(), "the key does not match") != NULL);
  CHECK(authgate_last_error_is_transient() == 0);
  CHECK_OK(authgate_manager_clear(a));
  failed = 0;
cleanup:
  authgate_string_free(t_a);
  authgate_string_free(t_b);
  authgate_manager_free(a);
  authgate_manager_free(b);
  authgate_store_free(sealed);
  authgate_store_free(wrong);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

/* {"ca_file":"<dir of AUTHGATE_REDIS_CA_FILE>/<name>"} into buf. */
static void ca_option(char *buf, size_t size, const char *name) {
  const char *ca = getenv("AUTHGATE_REDIS_CA_FILE");
  const char *slash = strrchr(ca, '/');
  snprintf(buf, size, "{\"ca_file\":\"%.*s/%s\"}", (int)(slash - ca), ca, name);
}

static int test_rediss_with_the_servers_ca(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  authgate_store *tls = NULL, *plain = NULL, *untrusted = NULL;
  authgate_manager *a = NULL, *b = NULL, *c = NULL;
  char *t_a = NULL, *t_b = NULL, *t_c = NULL;
  const char *url = getenv("AUTHGATE_REDIS_TLS_URL");
  char options[1024];

  if (redis_url() == NULL || url == NULL) return 0;
  client = gearcode();
  CHECK(client != NULL);
  CHECK(sign_in_code(client, NULL, &ts, NULL, 0) == 0);
  ca_option(options, sizeof options, "ca.pem");
  CHECK_OK(authgate_store_new_redis(url, client, options, &tls));
  CHECK_OK(authgate_manager_new(client, tls, NULL, &a));
  CHECK_OK(authgate_manager_set_tokens(a, ts));
  CHECK_OK(authgate_manager_access_token(a, &t_a));
  /* The set went through TLS to the same Redis: the plain port reads it. */
  CHECK_OK(authgate_store_new_redis(redis_url(), client, NULL, &plain));
  CHECK_OK(authgate_manager_new(client, plain, NULL, &b));
  CHECK_OK(authgate_manager_access_token(b, &t_b));
  CHECK_STR(t_b, t_a);
  /* Another CA: refused, in words, not an outage. */
  ca_option(options, sizeof options, "expired-ca.pem");
  CHECK_OK(authgate_store_new_redis(url, client, options, &untrusted));
  CHECK_OK(authgate_manager_new(client, untrusted, NULL, &c));
  CHECK_RC(authgate_manager_access_token(c, &t_c), AUTHGATE_STORE);
  CHECK(strstr(authgate_last_error_message(), "not signed by") != NULL);
  CHECK(strstr(authgate_last_error_message(), "expired-ca.pem") != NULL);
  CHECK_OK(authgate_manager_clear(a));
  failed = 0;
cleanup:
  authgate_string_free(t_a);
  authgate_string_free(t_b);
  authgate_string_free(t_c);
  authgate_manager_free(a);
  authgate_manager_free(b);
  authgate_manager_free(c);
  authgate_store_free(tls);
  authgate_store_free(plain);
  authgate_store_free(untrusted);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

int main(void) {
  RUN(test_arguments_and_builds_without_redis);
  RUN(test_two_managers_share_one_set_through_redis);
  RUN(test_unreachable_redis_and_bad_urls);
  RUN(test_a_sealed_set_needs_its_key);
  RUN(test_rediss_with_the_servers_ca);
  return harness_report();
}
