/*
 * The leak matrix through the C ABI: the emulator repeats the request's secrets back in
 * every place (WWW-Authenticate, Content-Type, Location, JSON keys and values,
 * error_description, an HTML page) and every encoding (plain, form, percent, base64, HTML,
 * JSON); none may appear in the last error (message, OAuth error, description, URI, JSON),
 * the token set's warnings, or any record the log callback receives at
 * AUTHGATE_LOG_TRACE, the most verbose level.
 */
#include "harness.h"

#include <pthread.h>

#define CUBA_TOKEN "/app/rest/v2/oauth/token"

static const char *const PLACES[] = {
    "www_authenticate", "content_type", "content_type_error", "location",
    "json_key",         "json_broken",  "error_description",  "html",
};
static const char *const ENCODINGS[] = {"plain", "form", "percent", "base64", "html", "json"};

/* Each secret of a request in each encoding the emulator echoes it in (generated with the
 * emulator's encoders): the client secret, the password and the Basic `id:secret`. */
static const char *const PIN_NEEDLES[] = {
    "cEBzcyt3b3JkJQ==",
    "p%40ss%2Bword%25",
    "p@ss+word%",
    "739",
    "NzM5",
    "cG9zLXRlcm1pbmFsOnBAc3Mrd29yZCU=",
    "pos-terminal%3Ap%40ss%2Bword%25",
    "pos-terminal:p@ss+word%",
    NULL,
};
static const char *const CYRILLIC_NEEDLES[] = {
    "c2VjcmV0",
    "secret",
    "cCZzPXcrbyVyZCAxINGR",
    "p%26s%3Dw%2Bo%25rd%201%20%D1%91",
    "p%26s%3Dw%2Bo%25rd+1+%D1%91",
    "p&amp;s=w+o%rd 1 &#x451;",
    "p&s=w+o%rd 1 \\u0451",
    "p&s=w+o%rd 1 \xd1\x91",
    "Y2xpZW50OnNlY3JldA==",
    "client%3Asecret",
    "client:secret",
    NULL,
};

/* Every record the callback received since the last reset, one per line. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static char g_records[65536];
static size_t g_len;
static int g_foreign; /* records whose target is not authgate's */

static void on_log(void *user_data, uint32_t level, const char *target, const char *message) {
  (void)user_data;
  (void)level;
  pthread_mutex_lock(&g_lock);
  if (strncmp(target, "authgate", 8) != 0) g_foreign++;
  int n = snprintf(g_records + g_len, sizeof g_records - g_len, "%s %s\n", target, message);
  if (n > 0) g_len = g_len + (size_t)n < sizeof g_records ? g_len + (size_t)n : sizeof g_records - 1;
  pthread_mutex_unlock(&g_lock);
}

static void records_reset(void) {
  pthread_mutex_lock(&g_lock);
  g_len = 0;
  g_records[0] = '\0';
  g_foreign = 0;
  pthread_mutex_unlock(&g_lock);
}

/* The wire trace's own labels: not secrets, even when the client's secret is the word
 * "secret" (CUBA's); only values are masked. */
static const char *const TRACE_LABELS[] = {"client_secret_basic", "client_secret_post",
                                           "client_secret_jwt", "client_secret=[masked]", NULL};

/* The first needle found in `text` (its trace labels left out), or NULL. */
static const char *leaked(const char *text, const char *const *needles) {
  const char *found = NULL;
  char *copy;
  if (text == NULL) return NULL;
  copy = malloc(strlen(text) + 1);
  if (copy == NULL) return "(out of memory)";
  strcpy(copy, text);
  for (int l = 0; TRACE_LABELS[l] != NULL; l++) {
    size_t len = strlen(TRACE_LABELS[l]);
    for (char *at = strstr(copy, TRACE_LABELS[l]); at != NULL; at = strstr(at, TRACE_LABELS[l]))
      memset(at, '#', len);
  }
  for (int i = 0; needles[i] != NULL && found == NULL; i++)
    if (strstr(copy, needles[i]) != NULL) found = needles[i];
  free(copy);
  return found;
}

/* Runs the matrix for one client and one password grant; returns the number of leaks. */
static int matrix(const char *client_id, const char *secret, const char *user, const char *password,
                  const char *const *needles, int *runs) {
  int leaks = 0;
  authgate_client *client = emulator_client(AUTHGATE_PROVIDER_CUBA, client_id, secret);
  if (client == NULL) return 1;
  for (size_t p = 0; p < sizeof PLACES / sizeof *PLACES; p++) {
    for (size_t e = 0; e < sizeof ENCODINGS / sizeof *ENCODINGS; e++) {
      char fault[256];
      snprintf(fault, sizeof fault,
               "{\"path\":\"" CUBA_TOKEN "\",\"kind\":\"echo\",\"place\":\"%s\",\"encoding\":\"%s\"}",
               PLACES[p], ENCODINGS[e]);
      if (emulator_control("fault", fault) != 0) {
        leaks++;
        continue;
      }
      records_reset();
      authgate_token_set *ts = NULL;
      authgate_result rc = authgate_client_password(client, user, password, NULL, NULL, &ts);
      const char *shown[7] = {NULL};
      if (rc == AUTHGATE_OK) {
        authgate_token_set_warnings_json(ts, &shown[0]);
        if (strcmp(PLACES[p], "content_type") != 0) fprintf(stderr, "  %s: no error\n", PLACES[p]);
      } else {
        shown[0] = authgate_last_error_message();
        shown[1] = authgate_last_error_json();
        shown[2] = authgate_last_error_description();
        shown[3] = authgate_last_error_oauth_error();
        shown[4] = authgate_last_error_uri();
        shown[6] = authgate_last_error_www_authenticate();
      }
      pthread_mutex_lock(&g_lock);
      shown[5] = g_records;
      for (int i = 0; i < 7; i++) {
        const char *n = leaked(shown[i], needles);
        if (n != NULL) {
          fprintf(stderr, "  %s/%s: \"%s\" leaked into: %s\n", PLACES[p], ENCODINGS[e], n, shown[i]);
          leaks++;
          break;
        }
      }
      if (g_foreign != 0) {
        fprintf(stderr, "  %s/%s: a record of another library reached the callback\n", PLACES[p],
                ENCODINGS[e]);
        leaks++;
      }
      pthread_mutex_unlock(&g_lock);
      authgate_token_set_free(ts);
      (*runs)++;
    }
  }
  authgate_client_free(client);
  return leaks;
}

static int test_no_echoed_secret_reaches_c(void) {
  int failed = 1, runs = 0, leaks = 0;
  CHECK(emulator_control("reset", NULL) == 0);
  CHECK_OK(authgate_set_log_callback(on_log, AUTHGATE_LOG_TRACE, NULL));
  leaks += matrix("pos-terminal", "p@ss+word%", "cashier-7", "739", PIN_NEEDLES, &runs);
  leaks += matrix("client", "secret", "кассир", "p&s=w+o%rd 1 ё", CYRILLIC_NEEDLES, &runs);
  CHECK(runs == 96);
  CHECK(leaks == 0);
  failed = 0;
cleanup:
  authgate_set_log_callback(NULL, 0, NULL);
  return failed;
}

/* At the most verbose level a plain token request (Basic header, password in the body)
 * logs its DEBUG records (its own and the wire trace's, every secret masked) and nothing
 * of the HTTP library's request dump. */
static int test_trace_level_shows_no_request(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  CHECK(emulator_control("reset", NULL) == 0);
  client = emulator_client(AUTHGATE_PROVIDER_CUBA, "pos-terminal", "p@ss+word%");
  CHECK(client != NULL);
  records_reset();
  CHECK_OK(authgate_set_log_callback(on_log, AUTHGATE_LOG_TRACE, NULL));
  CHECK_OK(authgate_client_password(client, "cashier-7", "739", NULL, NULL, &ts));
  CHECK_OK(authgate_set_log_callback(NULL, 0, NULL));
  CHECK(strstr(g_records, "grant_type=password") != NULL);
  CHECK(g_foreign == 0);
  CHECK(leaked(g_records, PIN_NEEDLES) == NULL);
  /* The wire trace (authgate::wire) names the Authorization header, its value masked;
     nothing of the HTTP library's own dump (hex: "4261 7369" is "Basi") arrives. */
  CHECK(strstr(g_records, "4261 7369") == NULL);
  for (const char *a = strstr(g_records, "Authorization"); a != NULL;
       a = strstr(a + 1, "Authorization"))
    CHECK(strncmp(a, "Authorization: Basic [masked", 28) == 0);
  failed = 0;
cleanup:
  authgate_set_log_callback(NULL, 0, NULL);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

int main(void) {
  RUN(test_no_echoed_secret_reaches_c);
  RUN(test_trace_level_shows_no_request);
  return harness_report();
}
