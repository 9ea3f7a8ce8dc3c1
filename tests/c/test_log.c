/*
 * authgate_set_log_callback: a leniency warning reaches the callback without secrets,
 * max_level filtering, removal, records from an operation's thread, re-entrant calls
 * from inside the callback, and 4 threads logging and replacing the callback at once.
 */
#include "harness.h"

#include <pthread.h>

#define MAX_RECORDS 512
/* A token request logs one DEBUG record of its own (target "authgate") and three of the
   wire trace ("authgate::wire"): the request, the status with the time, the body's shape. */
#define RECORDS_PER_REQUEST 4

/* What a callback saw: copies of the records (the strings live during the call only). */
typedef struct {
  uint32_t magic;
  pthread_mutex_t lock;
  int count;
  int dropped;
  uint32_t levels[MAX_RECORDS];
  char *targets[MAX_RECORDS];
  char *messages[MAX_RECORDS];
  pthread_t threads[MAX_RECORDS];
} log_sink;

#define SINK_MAGIC 0x106106u

static void sink_init(log_sink *s) {
  memset(s, 0, sizeof *s);
  s->magic = SINK_MAGIC;
  pthread_mutex_init(&s->lock, NULL);
}

static void sink_clear(log_sink *s) {
  pthread_mutex_lock(&s->lock);
  for (int i = 0; i < s->count; i++) {
    free(s->targets[i]);
    free(s->messages[i]);
    s->targets[i] = s->messages[i] = NULL;
  }
  s->count = 0;
  s->dropped = 0;
  pthread_mutex_unlock(&s->lock);
}

static void sink_destroy(log_sink *s) {
  sink_clear(s);
  s->magic = 0;
  pthread_mutex_destroy(&s->lock);
}

static int sink_count(log_sink *s) {
  pthread_mutex_lock(&s->lock);
  int n = s->count + s->dropped;
  pthread_mutex_unlock(&s->lock);
  return n;
}

static void on_log(void *user_data, uint32_t level, const char *target, const char *message) {
  log_sink *s = user_data;
  if (s == NULL || s->magic != SINK_MAGIC) abort(); /* a stale or wrong user_data */
  pthread_mutex_lock(&s->lock);
  if (s->count < MAX_RECORDS) {
    s->levels[s->count] = level;
    s->targets[s->count] = strdup(target);
    s->messages[s->count] = strdup(message);
    s->threads[s->count] = pthread_self();
    s->count++;
  } else {
    s->dropped++;
  }
  pthread_mutex_unlock(&s->lock);
}

/* The index of the first record at `level` whose message contains `needle`, or -1. */
static int sink_find(log_sink *s, uint32_t level, const char *needle) {
  int found = -1;
  pthread_mutex_lock(&s->lock);
  for (int i = 0; i < s->count && found < 0; i++)
    if (s->levels[i] == level && strstr(s->messages[i], needle) != NULL) found = i;
  pthread_mutex_unlock(&s->lock);
  return found;
}

/* Whether any record (target or message) contains `secret`. */
static int sink_contains(log_sink *s, const char *secret) {
  int found = 0;
  if (secret == NULL || secret[0] == '\0') return 0;
  pthread_mutex_lock(&s->lock);
  for (int i = 0; i < s->count; i++)
    if (strstr(s->messages[i], secret) != NULL || strstr(s->targets[i], secret) != NULL)
      found = 1;
  pthread_mutex_unlock(&s->lock);
  return found;
}

static int test_leniency_warning_without_secrets(void) {
  int failed = 1;
  log_sink sink;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL, *ts2 = NULL;
  const char *at = NULL, *rt = NULL, *at2 = NULL, *rt2 = NULL, *warnings = NULL;
  sink_init(&sink);

  CHECK(emulator_control("reset", NULL) == 0);
  client = emulator_client(AUTHGATE_PROVIDER_GEARCODE, "gearcode-client", "gearcode-secret");
  CHECK(client != NULL);
  CHECK_OK(authgate_set_log_callback(on_log, AUTHGATE_LOG_TRACE, &sink));
  CHECK(sign_in_code(client, NULL, &ts, NULL, 0) == 0);
  CHECK_OK(authgate_token_set_access_token(ts, &at));
  CHECK_OK(authgate_token_set_refresh_token(ts, &rt));
  CHECK(at != NULL && rt != NULL);
  /* The next token answer is JSON served as text/plain: accepted, with a warning. */
  CHECK(emulator_control("fault", "{\"path\":\"/oauth/token\",\"kind\":\"wrong_content_type\"}") == 0);
  CHECK_OK(authgate_client_refresh(client, rt, NULL, NULL, &ts2));
  CHECK_OK(authgate_token_set_access_token(ts2, &at2));
  CHECK_OK(authgate_token_set_refresh_token(ts2, &rt2));
  CHECK_OK(authgate_token_set_warnings_json(ts2, &warnings));
  CHECK(warnings != NULL && strstr(warnings, "text/plain") != NULL);

  int w = sink_find(&sink, AUTHGATE_LOG_WARN, "text/plain");
  CHECK(w >= 0);
  CHECK_STR(sink.targets[w], "authgate");
  /* One DEBUG record per token request: the code exchange and the refresh. */
  CHECK(sink_find(&sink, AUTHGATE_LOG_DEBUG, "grant_type=authorization_code") >= 0);
  CHECK(sink_find(&sink, AUTHGATE_LOG_DEBUG, "grant_type=refresh_token") >= 0);
  /* Every record is authgate's own, and none holds a secret. */
  for (int i = 0; i < sink.count; i++) {
    CHECK(strncmp(sink.targets[i], "authgate", 8) == 0);
    CHECK(sink.levels[i] >= AUTHGATE_LOG_ERROR && sink.levels[i] <= AUTHGATE_LOG_TRACE);
  }
  CHECK(!sink_contains(&sink, at));
  CHECK(!sink_contains(&sink, rt));
  CHECK(!sink_contains(&sink, at2));
  CHECK(!sink_contains(&sink, rt2));
  CHECK(!sink_contains(&sink, "gearcode-secret"));
  failed = 0;
cleanup:
  authgate_set_log_callback(NULL, 0, NULL);
  authgate_token_set_free(ts2);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  sink_destroy(&sink);
  return failed;
}

static int test_max_level_filtering(void) {
  int failed = 1;
  log_sink sink;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  sink_init(&sink);
  client = emulator_client(AUTHGATE_PROVIDER_GEARCODE, "gearcode-client", "gearcode-secret");
  CHECK(client != NULL);

  /* A plain request logs DEBUG records only: WARN and 0 ("none") let nothing through. */
  CHECK_OK(authgate_set_log_callback(on_log, AUTHGATE_LOG_WARN, &sink));
  CHECK_OK(authgate_client_client_credentials(client, NULL, NULL, &ts));
  CHECK(sink_count(&sink) == 0);
  authgate_token_set_free(ts);
  ts = NULL;
  CHECK_OK(authgate_set_log_callback(on_log, 0, &sink));
  CHECK_OK(authgate_client_client_credentials(client, NULL, NULL, &ts));
  CHECK(sink_count(&sink) == 0);
  authgate_token_set_free(ts);
  ts = NULL;

  /* An invalid level is refused and keeps the callback in place. */
  CHECK_OK(authgate_set_log_callback(on_log, AUTHGATE_LOG_DEBUG, &sink));
  CHECK_RC(authgate_set_log_callback(on_log, 6, &sink), AUTHGATE_INVALID_ARGUMENT);
  CHECK(strstr(authgate_last_error_message(), "max_level") != NULL);
  CHECK_OK(authgate_client_client_credentials(client, NULL, NULL, &ts));
  /* The request's own DEBUG record first, then the wire trace's. */
  CHECK(sink_count(&sink) == RECORDS_PER_REQUEST);
  CHECK(sink.levels[0] == AUTHGATE_LOG_DEBUG);
  CHECK(strstr(sink.messages[0], "grant_type=client_credentials") != NULL);
  CHECK(strstr(sink.messages[0], "/oauth/token") != NULL);
  CHECK_STR(sink.targets[0], "authgate");
  int wire = sink_find(&sink, AUTHGATE_LOG_DEBUG, "HTTP 200 after");
  CHECK(wire > 0);
  CHECK_STR(sink.targets[wire], "authgate::wire");
  CHECK(strstr(sink.messages[wire], " ms (") != NULL);
  for (int i = 0; i < sink.count; i++) CHECK(strchr(sink.messages[i], '\n') == NULL);
  failed = 0;
cleanup:
  authgate_set_log_callback(NULL, 0, NULL);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  sink_destroy(&sink);
  return failed;
}

static int test_removal_stops_records(void) {
  int failed = 1;
  log_sink *sink = malloc(sizeof *sink);
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  CHECK(sink != NULL);
  sink_init(sink);
  client = emulator_client(AUTHGATE_PROVIDER_GEARCODE, "gearcode-client", "gearcode-secret");
  CHECK(client != NULL);
  CHECK_OK(authgate_set_log_callback(on_log, AUTHGATE_LOG_DEBUG, sink));
  CHECK_OK(authgate_client_client_credentials(client, NULL, NULL, &ts));
  CHECK(sink_count(sink) == RECORDS_PER_REQUEST);
  CHECK_OK(authgate_set_log_callback(NULL, AUTHGATE_LOG_TRACE, NULL));
  /* Removed: user_data may go at once (valgrind would see a late use), nothing arrives. */
  sink_destroy(sink);
  free(sink);
  sink = NULL;
  authgate_token_set_free(ts);
  ts = NULL;
  CHECK_OK(authgate_client_client_credentials(client, NULL, NULL, &ts));
  /* Removing twice is fine. */
  CHECK_OK(authgate_set_log_callback(NULL, 0, NULL));
  failed = 0;
cleanup:
  authgate_set_log_callback(NULL, 0, NULL);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  if (sink != NULL) {
    sink_destroy(sink);
    free(sink);
  }
  return failed;
}

static int test_records_from_an_operation_thread(void) {
  int failed = 1;
  log_sink sink;
  authgate_client *client = NULL;
  authgate_operation *op = NULL;
  authgate_token_set *ts = NULL;
  sink_init(&sink);
  client = emulator_client(AUTHGATE_PROVIDER_GEARCODE, "gearcode-client", "gearcode-secret");
  CHECK(client != NULL);
  CHECK_OK(authgate_set_log_callback(on_log, AUTHGATE_LOG_DEBUG, &sink));
  CHECK_OK(authgate_client_client_credentials_start(client, NULL, NULL, &op));
  CHECK_OK(authgate_operation_wait(op, 10000));
  CHECK_OK(authgate_operation_take_result(op, &ts));
  int i = sink_find(&sink, AUTHGATE_LOG_DEBUG, "grant_type=client_credentials");
  CHECK(i >= 0);
  CHECK(!pthread_equal(sink.threads[i], pthread_self()));
  failed = 0;
cleanup:
  authgate_set_log_callback(NULL, 0, NULL);
  authgate_token_set_free(ts);
  authgate_operation_free(op);
  authgate_client_free(client);
  sink_destroy(&sink);
  return failed;
}

/* A callback that calls back into authgate: a request (which logs) and a replacement. */
static authgate_client *g_reentrant_client;
static int g_reentrant_calls, g_reentrant_inner_rc = -1, g_reentrant_set_rc = -1;

static void on_log_reentrant(void *user_data, uint32_t level, const char *target,
                             const char *message) {
  (void)level;
  (void)target;
  (void)message;
  log_sink *s = user_data;
  g_reentrant_calls++;
  if (g_reentrant_calls == 1) {
    authgate_token_set *ts = NULL;
    g_reentrant_inner_rc =
        (int)authgate_client_client_credentials(g_reentrant_client, NULL, NULL, &ts);
    authgate_token_set_free(ts);
    /* Replacing the callback from inside it returns (no waiting for itself). */
    g_reentrant_set_rc = (int)authgate_set_log_callback(on_log, AUTHGATE_LOG_DEBUG, s);
  }
}

static int test_reentrant_callback(void) {
  int failed = 1;
  log_sink sink;
  authgate_token_set *ts = NULL;
  sink_init(&sink);
  g_reentrant_client =
      emulator_client(AUTHGATE_PROVIDER_GEARCODE, "gearcode-client", "gearcode-secret");
  CHECK(g_reentrant_client != NULL);
  CHECK_OK(authgate_set_log_callback(on_log_reentrant, AUTHGATE_LOG_DEBUG, &sink));
  CHECK_OK(authgate_client_client_credentials(g_reentrant_client, NULL, NULL, &ts));
  CHECK(g_reentrant_calls == 1); /* the inner request's record was not delivered */
  CHECK(g_reentrant_inner_rc == AUTHGATE_OK);
  CHECK(g_reentrant_set_rc == AUTHGATE_OK);
  authgate_token_set_free(ts);
  ts = NULL;
  /* The replacement made inside the callback is in place. */
  CHECK_OK(authgate_client_client_credentials(g_reentrant_client, NULL, NULL, &ts));
  /* The outer request's wire records after the replacement, then the second request's. */
  CHECK(sink_count(&sink) == 2 * RECORDS_PER_REQUEST - 1);
  CHECK(g_reentrant_calls == 1);
  failed = 0;
cleanup:
  authgate_set_log_callback(NULL, 0, NULL);
  authgate_token_set_free(ts);
  authgate_client_free(g_reentrant_client);
  g_reentrant_client = NULL;
  sink_destroy(&sink);
  return failed;
}

/* 4 threads at once: each makes requests (which log) and replaces the callback. */
#define THREADS 4
#define ROUNDS 8

typedef struct {
  authgate_client *client;
  log_sink *sinks; /* THREADS of them, shared */
  int index;
  int failures;
} worker_args;

static void *worker(void *p) {
  worker_args *a = p;
  for (int r = 0; r < ROUNDS; r++) {
    if (authgate_set_log_callback(on_log, AUTHGATE_LOG_DEBUG, &a->sinks[(a->index + r) % THREADS]) !=
        AUTHGATE_OK)
      a->failures++;
    authgate_token_set *ts = NULL;
    if (authgate_client_client_credentials(a->client, NULL, NULL, &ts) != AUTHGATE_OK)
      a->failures++;
    authgate_token_set_free(ts);
  }
  return NULL;
}

static int test_four_threads(void) {
  int failed = 1;
  log_sink sinks[THREADS];
  pthread_t threads[THREADS];
  worker_args args[THREADS];
  int started = 0, total = 0;
  authgate_client *client = NULL;
  for (int i = 0; i < THREADS; i++) sink_init(&sinks[i]);
  client = emulator_client(AUTHGATE_PROVIDER_GEARCODE, "gearcode-client", "gearcode-secret");
  CHECK(client != NULL);
  for (int i = 0; i < THREADS; i++) {
    args[i] = (worker_args){client, sinks, i, 0};
    CHECK(pthread_create(&threads[i], NULL, worker, &args[i]) == 0);
    started++;
  }
cleanup:
  for (int i = 0; i < started; i++) pthread_join(threads[i], NULL);
  if (started == THREADS) {
    int failures = 0;
    for (int i = 0; i < THREADS; i++) failures += args[i].failures;
    /* Removing waits for deliveries in flight: afterwards the sinks stay still. */
    if (authgate_set_log_callback(NULL, 0, NULL) == AUTHGATE_OK) {
      for (int i = 0; i < THREADS; i++) total += sink_count(&sinks[i]);
      int again = 0;
      for (int i = 0; i < THREADS; i++) again += sink_count(&sinks[i]);
      /* Each request's records went into whichever sink was current. */
      if (failures == 0 && total == THREADS * ROUNDS * RECORDS_PER_REQUEST && again == total)
        failed = 0;
      else
        fprintf(stderr, "  FAILED: %d failures, %d records (expected %d)\n", failures, total,
                THREADS * ROUNDS * RECORDS_PER_REQUEST);
    }
  }
  authgate_set_log_callback(NULL, 0, NULL);
  authgate_client_free(client);
  for (int i = 0; i < THREADS; i++) sink_destroy(&sinks[i]);
  return failed;
}

int main(void) {
  RUN(test_leniency_warning_without_secrets);
  RUN(test_max_level_filtering);
  RUN(test_removal_stops_records);
  RUN(test_records_from_an_operation_thread);
  RUN(test_reentrant_callback);
  RUN(test_four_threads);
  return harness_report();
}
