/* Strong client authentication through the installed C library, against the emulator's
 * Kontur dialect: private_key_jwt with the registered RSA and EC keys (by path and as PEM
 * text), client_secret_jwt, the failures the server reports (a wrong audience, an expired
 * assertion) as AUTHGATE_INVALID_CLIENT without the assertion in the message, a key that
 * does not parse, the keys as a JWK and a JWK Set, and pushed authorization requests (RFC 9126) with a single-use
 * request_uri. Run from the repository root (tests/c/run.sh does). */
#include "harness.h"

#define KONTUR_TOKEN_PATH "/connect/token"
#define KONTUR_PAR_PATH "/connect/par"
#define RSA_KEY "tests/emulator/keys/client-rsa.pem"
#define EC_KEY "tests/emulator/keys/client-ec.pem"
#define RSA_JWK "tests/emulator/keys/client-rsa.jwk.json"
#define EC_JWKS "tests/emulator/keys/client-ec.jwks.json"
#define SCOPES "openid extern.api offline_access"

/* A Kontur client on the emulator without a secret, signing with `key` (a path or PEM
 * text); `alg` is an AUTHGATE_ASSERTION_ALG_* or UINT32_MAX for the key's default. */
static authgate_client *keyed(const char *key, uint32_t alg, const char *token_endpoint) {
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  if (authgate_config_new(AUTHGATE_PROVIDER_KONTUR, &cfg) != AUTHGATE_OK ||
      authgate_config_set_base_url(cfg, emulator_url()) != AUTHGATE_OK ||
      authgate_config_set_client_id(cfg, "kontur-service") != AUTHGATE_OK ||
      authgate_config_set_client_key(cfg, key) != AUTHGATE_OK ||
      authgate_config_set_client_key_id(cfg, "till-7") != AUTHGATE_OK ||
      (alg != UINT32_MAX && authgate_config_set_client_assertion_alg(cfg, alg) != AUTHGATE_OK) ||
      (token_endpoint != NULL &&
       authgate_config_set_token_endpoint(cfg, token_endpoint) != AUTHGATE_OK) ||
      authgate_config_set_redirect_uri(cfg, "http://127.0.0.1/callback") != AUTHGATE_OK ||
      authgate_config_set_timeout_ms(cfg, 10000) != AUTHGATE_OK ||
      authgate_client_new(cfg, &client) != AUTHGATE_OK) {
    fprintf(stderr, "  keyed client: %s\n", authgate_last_error_message());
    client = NULL;
  }
  authgate_config_free(cfg);
  return client;
}

/* Whether the last token request carried a client assertion and no secret. */
static int last_token_request_signed(void) {
  char json[16384];
  if (emulator_last_request(KONTUR_TOKEN_PATH, json, sizeof json) != 200) return 0;
  return strstr(json, "client_assertion=ey") != NULL &&
         strstr(json, "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer") != NULL &&
         strstr(json, "client_secret") == NULL;
}

/* Reads a whole file into a new string (NULL on failure). */
static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  char *text = NULL;
  long n;
  if (f == NULL) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
    text = calloc((size_t)n + 1, 1);
    if (text != NULL && fread(text, 1, (size_t)n, f) != (size_t)n) {
      free(text);
      text = NULL;
    }
  }
  fclose(f);
  return text;
}

static int test_private_key_jwt_rsa_and_ec(void) {
  int failed = 1;
  authgate_client *rsa = NULL, *ec = NULL;
  authgate_token_set *ts = NULL, *refreshed = NULL;
  const char *rt = NULL;
  char *pem = read_file(EC_KEY);
  CHECK(pem != NULL);
  CHECK((rsa = keyed(RSA_KEY, AUTHGATE_ASSERTION_ALG_PS256, NULL)) != NULL);
  CHECK(sign_in_code(rsa, SCOPES, &ts, NULL, 0) == 0);
  CHECK(last_token_request_signed());
  CHECK_OK(authgate_token_set_refresh_token(ts, &rt));
  CHECK_OK(authgate_client_refresh(rsa, rt, NULL, NULL, &refreshed));
  CHECK(last_token_request_signed());
  authgate_token_set_free(ts);
  ts = NULL;
  /* The EC key given as PEM text rather than a path. */
  CHECK((ec = keyed(pem, UINT32_MAX, NULL)) != NULL);
  CHECK(sign_in_code(ec, SCOPES, &ts, NULL, 0) == 0);
  CHECK(last_token_request_signed());
  failed = 0;
cleanup:
  free(pem);
  authgate_token_set_free(ts);
  authgate_token_set_free(refreshed);
  authgate_client_free(rsa);
  authgate_client_free(ec);
  return failed;
}

static int test_client_secret_jwt(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  authgate_config *cfg = emulator_config(AUTHGATE_PROVIDER_KONTUR, "kontur-service", "kontur-api-key");
  CHECK(cfg != NULL);
  CHECK_OK(authgate_config_set_auth_method(cfg, AUTHGATE_AUTH_METHOD_CLIENT_SECRET_JWT));
  CHECK_OK(authgate_config_set_issuer(cfg, emulator_url()));
  CHECK_OK(authgate_config_set_client_assertion_audience(cfg, AUTHGATE_ASSERTION_AUDIENCE_ISSUER));
  CHECK_RC(authgate_config_set_client_assertion_alg(cfg, 9), AUTHGATE_INVALID_ARGUMENT);
  CHECK_OK(authgate_client_new(cfg, &client));
  CHECK(sign_in_code(client, SCOPES, &ts, NULL, 0) == 0);
  CHECK(last_token_request_signed());
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_client_free(client);
  authgate_config_free(cfg);
  return failed;
}

static int test_wrong_audience_is_invalid_client(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  char endpoint[256], json[16384];
  long before;
  /* The emulator under another name: the assertion's aud is not one it answers to. */
  snprintf(endpoint, sizeof endpoint, "http://localhost:%d" KONTUR_TOKEN_PATH, emulator_port());
  CHECK((client = keyed(RSA_KEY, UINT32_MAX, endpoint)) != NULL);
  before = emulator_count(KONTUR_TOKEN_PATH);
  CHECK(sign_in_code(client, SCOPES, &ts, NULL, 0) != 0);
  CHECK(authgate_last_error_code() == AUTHGATE_INVALID_CLIENT);
  CHECK(strstr(authgate_last_error_message(), "aud") != NULL);
  CHECK(emulator_count(KONTUR_TOKEN_PATH) == before + 1); /* never retried */
  CHECK(emulator_last_request(KONTUR_TOKEN_PATH, json, sizeof json) == 200);
  CHECK(strstr(authgate_last_error_message(), "eyJ") == NULL);
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

static int test_expired_assertion_is_invalid_client(void) {
  int failed = 1;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  CHECK((client = keyed(EC_KEY, UINT32_MAX, NULL)) != NULL);
  /* The server's clock is two minutes ahead: exp = now + 60 s has passed for it. */
  CHECK(emulator_control("clock", "{\"advance\":120}") == 0);
  CHECK(sign_in_code(client, SCOPES, &ts, NULL, 0) != 0);
  CHECK(authgate_last_error_code() == AUTHGATE_INVALID_CLIENT);
  CHECK(strstr(authgate_last_error_message(), "expired") != NULL);
  failed = 0;
cleanup:
  emulator_control("reset", NULL);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  return failed;
}

static int test_a_bad_key_is_a_config_error_without_the_key(void) {
  int failed = 1;
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  CHECK_OK(authgate_config_new(AUTHGATE_PROVIDER_KONTUR, &cfg));
  CHECK_OK(authgate_config_set_base_url(cfg, emulator_url()));
  CHECK_OK(authgate_config_set_client_id(cfg, "kontur-service"));
  CHECK_OK(authgate_config_set_client_key(
      cfg, "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END PRIVATE KEY-----\n"));
  CHECK_RC(authgate_client_new(cfg, &client), AUTHGATE_CONFIG);
  CHECK(strstr(authgate_last_error_message(), "client_key") != NULL);
  CHECK(strstr(authgate_last_error_message(), "c2VjcmV0") == NULL);
  failed = 0;
cleanup:
  authgate_client_free(client);
  authgate_config_free(cfg);
  return failed;
}

/* The keys as the JWK and JWK Set a provider's console hands out. */
static int test_private_key_jwt_with_a_jwk(void) {
  int failed = 1;
  authgate_client *rsa = NULL, *ec = NULL;
  authgate_token_set *ts = NULL;
  char *jwk = read_file(RSA_JWK);
  CHECK(jwk != NULL);
  /* The JWK's JSON text itself; the configured key id replaces its kid. */
  CHECK((rsa = keyed(jwk, UINT32_MAX, NULL)) != NULL);
  CHECK(sign_in_code(rsa, SCOPES, &ts, NULL, 0) == 0);
  CHECK(last_token_request_signed());
  /* A JWK Set by path: the configured key id ("till-7") must name one of its keys. */
  CHECK((ec = keyed(EC_JWKS, UINT32_MAX, NULL)) == NULL);
  CHECK(authgate_last_error_code() == AUTHGATE_CONFIG);
  CHECK(strstr(authgate_last_error_message(), "till-7") != NULL);
  CHECK(strstr(authgate_last_error_message(), "kontur-ec-jwk") != NULL);
  /* The public half only: a configuration error saying so. */
  CHECK(keyed("{\"kty\":\"EC\",\"crv\":\"P-256\","
              "\"x\":\"tuCJTMKK-_5QFpa3LHR0j3uGyc77Z1VPlqVRUIcfhUc\","
              "\"y\":\"L0o7RpxvsMKKgUXH8pIrQAgGlCAWOezGjExaKYpdT1Y\"}",
              UINT32_MAX, NULL) == NULL);
  CHECK(authgate_last_error_code() == AUTHGATE_CONFIG);
  CHECK(strstr(authgate_last_error_message(), "public half") != NULL);
  failed = 0;
cleanup:
  free(jwk);
  authgate_token_set_free(ts);
  authgate_client_free(rsa);
  authgate_client_free(ec);
  return failed;
}

/* Plays the browser on `url`, reads the redirect back and exchanges the code; 0 on success. */
static int redeem(authgate_client *client, authgate_authorization *auth, const char *url,
                  authgate_token_set **ts) {
  const char *verifier = NULL;
  char location[4096], options[256];
  char *code = NULL;
  int failed = follow_authorize(url, location, sizeof location) != 0 ||
               authgate_authorization_parse_callback(auth, location, &code) != AUTHGATE_OK ||
               authgate_authorization_pkce_verifier(auth, &verifier) != AUTHGATE_OK;
  if (!failed) {
    snprintf(options, sizeof options, "{\"pkce_verifier\":\"%s\"}", verifier);
    failed = authgate_client_exchange_code_with(client, code, options, ts) != AUTHGATE_OK;
  }
  if (failed) fprintf(stderr, "  redeem: %s\n", authgate_last_error_message());
  authgate_string_free(code);
  return failed;
}

static int test_pushed_authorization_request(void) {
  int failed = 1;
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  authgate_authorization *auth = NULL;
  authgate_token_set *ts = NULL;
  const char *url = NULL;
  char par[256], page[4096], json[16384];
  snprintf(par, sizeof par, "%s" KONTUR_PAR_PATH, emulator_url());
  cfg = emulator_config(AUTHGATE_PROVIDER_KONTUR, "kontur-service", "kontur-api-key");
  CHECK(cfg != NULL);
  CHECK_OK(authgate_config_set_client_key(cfg, RSA_KEY));
  CHECK_OK(authgate_config_set_pushed_authorization_request_endpoint(cfg, par));
  CHECK_OK(authgate_client_new(cfg, &client));
  /* Not pushed by default, unless asked for this URL. */
  CHECK_OK(authgate_client_authorization_url_with(client, NULL, &auth));
  CHECK_OK(authgate_authorization_url(auth, &url));
  CHECK(strstr(url, "code_challenge=") != NULL);
  authgate_authorization_free(auth);
  auth = NULL;
  CHECK_OK(authgate_client_authorization_url_with(client, "{\"push\":true}", &auth));
  CHECK_OK(authgate_authorization_url(auth, &url));
  CHECK(strstr(url, "request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A") != NULL);
  CHECK(strstr(url, "code_challenge") == NULL);
  /* The push was authenticated like a token request. */
  CHECK(emulator_last_request(KONTUR_PAR_PATH, json, sizeof json) == 200);
  CHECK(strstr(json, "client_assertion=ey") != NULL);
  CHECK(redeem(client, auth, url, &ts) == 0);
  /* The request_uri was good once. */
  CHECK(http_request("GET", url, NULL, page, sizeof page) == 400);
  CHECK(strstr(page, "invalid_request_uri") != NULL);
  authgate_token_set_free(ts);
  ts = NULL;
  authgate_authorization_free(auth);
  auth = NULL;
  /* Pushed by default once the client is configured so. */
  authgate_client_free(client);
  client = NULL;
  CHECK_OK(authgate_config_set_pushed_authorization_requests(cfg, 1));
  CHECK_OK(authgate_client_new(cfg, &client));
  CHECK_OK(authgate_client_authorization_url_with(client, NULL, &auth));
  CHECK_OK(authgate_authorization_url(auth, &url));
  CHECK(strstr(url, "request_uri=") != NULL);
  CHECK(redeem(client, auth, url, &ts) == 0);
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_authorization_free(auth);
  authgate_client_free(client);
  authgate_config_free(cfg);
  return failed;
}

int main(void) {
  RUN(test_private_key_jwt_rsa_and_ec);
  RUN(test_client_secret_jwt);
  RUN(test_wrong_audience_is_invalid_client);
  RUN(test_a_bad_key_is_a_config_error_without_the_key);
  RUN(test_private_key_jwt_with_a_jwk);
  RUN(test_pushed_authorization_request);
  RUN(test_expired_assertion_is_invalid_client);
  return harness_report();
}
