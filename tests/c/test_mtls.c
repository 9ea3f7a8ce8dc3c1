/* Mutual TLS (RFC 8705) through the C ABI against the emulator's mTLS listener: the
 * options tls_client_cert_file and tls_client_key_file, client authentication by
 * certificate (tls_client_auth) with the token endpoint discovery names in
 * mtls_endpoint_aliases, and the typed refusals (a certificate registered for no client,
 * one from a CA the server does not trust, a key that is not the certificate's). */
#include "harness.h"

static char g_front[256]; /* the listener, https://127.0.0.1:PORT */
static char g_dir[1024];  /* the emulator's certificates and keys */

/* Starts (or finds) the mTLS listener: reads its URL and the certificates' folder. */
static int start_mtls(void) {
  char buf[4096];
  if (http_request("POST", "/_emulator/mtls", "{}", buf, sizeof buf) != 200) return -1;
  const char *keys[] = {"\"url\":\"", "\"dir\":\""};
  char *outs[] = {g_front, g_dir};
  size_t caps[] = {sizeof g_front, sizeof g_dir};
  for (int i = 0; i < 2; i++) {
    const char *at = strstr(buf, keys[i]);
    if (at == NULL) return -1;
    at += strlen(keys[i]);
    size_t n = strcspn(at, "\"");
    if (n >= caps[i]) return -1;
    memcpy(outs[i], at, n);
    outs[i][n] = '\0';
  }
  return 0;
}

/* A client of the mTLS provider presenting `cert`.pem with `key`.key; `discover`: its
 * endpoints from the issuer's discovery document, else the listener's token endpoint
 * with tls_client_auth. Returns the first failure's code, or AUTHGATE_OK. */
static authgate_result mtls_client(const char *cert, const char *key, int discover,
                                   authgate_client **client) {
  char json[4096], issuer[512];
  int n = snprintf(json, sizeof json,
                   "{\"client_id\":\"mtls-client\",\"scopes\":[],\"proxy\":\"none\","
                   "\"timeout_ms\":10000,\"ca_file\":\"%s/ca.pem\","
                   "\"tls_client_cert_file\":\"%s/%s.pem\",\"tls_client_key_file\":\"%s/%s.key\"",
                   g_dir, g_dir, cert, g_dir, key);
  if (discover)
    snprintf(json + n, sizeof json - (size_t)n, "}");
  else
    snprintf(json + n, sizeof json - (size_t)n,
             ",\"token_endpoint\":\"%s/mtls/token\",\"auth_method\":\"tls_client_auth\"}", g_front);
  authgate_config *cfg = NULL;
  snprintf(issuer, sizeof issuer, "%s/mtls", emulator_url());
  authgate_result rc = authgate_config_new_from_json(json, &cfg);
  if (rc == AUTHGATE_OK && discover) rc = authgate_config_discover(cfg, issuer);
  if (rc == AUTHGATE_OK) rc = authgate_client_new(cfg, client);
  authgate_config_free(cfg);
  return rc;
}

static int test_discovery_and_certificate_authentication(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  const char *s = NULL;
  char want[512], sent[16384];

  CHECK(start_mtls() == 0);
  CHECK_OK(mtls_client("client", "client", 1, &client));
  /* Discovery picked the certificate's endpoint (mtls_endpoint_aliases). */
  CHECK_OK(authgate_client_token_endpoint(client, &s));
  snprintf(want, sizeof want, "%s/mtls/token", g_front);
  CHECK_STR(s, want);
  CHECK_OK(authgate_client_client_credentials(client, NULL, NULL, &ts));
  CHECK_OK(authgate_token_set_token_type(ts, &s));
  CHECK_STR(s, "Bearer");
  /* The certificate authenticated the client: no secret, no Authorization header. */
  CHECK(emulator_last_request("/mtls/token", sent, sizeof sent) == 200);
  CHECK(strstr(sent, "client_id=mtls-client") != NULL);
  CHECK(strstr(sent, "client_secret") == NULL && strstr(sent, "[\"authorization\"") == NULL);
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

static int test_refusals_are_typed(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;

  CHECK(start_mtls() == 0);
  /* Signed by the trusted CA but registered for no client: invalid_client. */
  CHECK_OK(mtls_client("other-client", "other-client", 0, &client));
  CHECK_RC(authgate_client_client_credentials(client, NULL, NULL, &ts), AUTHGATE_INVALID_CLIENT);
  CHECK(strstr(authgate_last_error_description(), "not the one registered") != NULL);
  authgate_client_free(client);
  client = NULL;
  /* From a CA the server does not trust: refused in the handshake. */
  CHECK_OK(mtls_client("stranger-client", "stranger-client", 0, &client));
  CHECK_RC(authgate_client_client_credentials(client, NULL, NULL, &ts), AUTHGATE_TLS);
  authgate_client_free(client);
  client = NULL;
  /* A key that is not the certificate's: a configuration error when the client is made. */
  CHECK_RC(mtls_client("client", "other-client", 0, &client), AUTHGATE_CONFIG);
  CHECK(strstr(authgate_last_error_message(), "cannot be used with the certificate") != NULL);
  CHECK(client == NULL);
  /* The right pair works. */
  CHECK_OK(mtls_client("client", "client", 0, &client));
  CHECK_OK(authgate_client_client_credentials(client, NULL, NULL, &ts));
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

int main(void) {
  RUN(test_discovery_and_certificate_authentication);
  RUN(test_refusals_are_typed);
  return harness_report();
}
