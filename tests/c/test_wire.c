/*
 * The requests the C library puts on the wire are the core's, byte for byte: compared with
 * the expectations of core/tests/wire.rs, as the emulator recorded them.
 */
#include "harness.h"

#define CUBA_TOKEN_PATH "/app/rest/v2/oauth/token"
/* base64("client:secret"), raw (PROVIDERS.md), as in core/tests/wire.rs. */
#define CUBA_BASIC "Basic Y2xpZW50OnNlY3JldA=="

/* core/tests/wire.rs: cuba_refresh_expected, the whole request. */
static int test_refresh_request_is_the_rust_one(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *first = NULL, *second = NULL;
  const char *rt = NULL;
  char json[16384] = "", body[512], needle[600], host[64], length[16];

  client = emulator_client(AUTHGATE_PROVIDER_CUBA, "client", "secret");
  CHECK(client != NULL);
  CHECK_OK(authgate_client_password(client, "admin", "admin", NULL, NULL, &first));
  CHECK_OK(authgate_token_set_refresh_token(first, &rt));
  CHECK(rt != NULL && rt[0] != '\0');
  CHECK_OK(authgate_client_refresh(client, rt, NULL, NULL, &second));

  CHECK(emulator_last_request(CUBA_TOKEN_PATH, json, sizeof json) == 200);
  /* CUBA's refresh tokens are UUIDs: form-encoding leaves them as they are. */
  snprintf(body, sizeof body, "grant_type=refresh_token&refresh_token=%s", rt);
  snprintf(needle, sizeof needle, "\"body\":\"%s\"", body);
  CHECK(strstr(json, needle) != NULL);
  CHECK(strstr(json, "\"method\":\"POST\"") != NULL);
  CHECK(strstr(json, "\"path\":\"" CUBA_TOKEN_PATH "\"") != NULL);
  CHECK(strstr(json, "\"query\":\"\"") != NULL);
  snprintf(host, sizeof host, "127.0.0.1:%d", emulator_port());
  snprintf(length, sizeof length, "%zu", strlen(body));
  CHECK(recorded_header_is(json, "authorization", CUBA_BASIC));
  CHECK(recorded_header_is(json, "content-type", "application/x-www-form-urlencoded"));
  CHECK(recorded_header_is(json, "accept", "application/json"));
  CHECK(recorded_header_is(json, "user-agent", "authgate/" AUTHGATE_VERSION_STRING));
  CHECK(recorded_header_is(json, "host", host));
  CHECK(recorded_header_is(json, "content-length", length));
  CHECK(recorded_header_count(json) == 6); /* and no other */
  failed = 0;
cleanup:
  if (failed) fprintf(stderr, "  recorded: %s\n", json);
  authgate_token_set_free(second);
  authgate_token_set_free(first);
  authgate_client_free(client);
  return failed;
}

static int test_nothing_recorded_is_404(void) {
  int failed = 1;
  char json[1024];
  CHECK(emulator_control("reset", NULL) == 0);
  CHECK(emulator_last_request("/never/asked", json, sizeof json) == 404);
  failed = 0;
cleanup:
  return failed;
}

int main(void) {
  RUN(test_refresh_request_is_the_rust_one);
  RUN(test_nothing_recorded_is_404);
  return harness_report();
}
