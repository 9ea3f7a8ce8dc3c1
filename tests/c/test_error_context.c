/* Errors that say where and what to do: the address and the endpoint in the last error
 * (accessors and JSON), and TLS failures in plain words over real loopback HTTPS (the
 * emulator's `tls` command serves the test certificates). */
#include "harness.h"

/* Copies the string value of `"key":"…"` in `json` into out; 0 on success. */
static int json_string(const char *json, const char *key, char *out, size_t cap) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  const char *at = strstr(json, pattern);
  if (at == NULL) return -1;
  at += strlen(pattern);
  const char *end = strchr(at, '"');
  if (end == NULL || (size_t)(end - at) + 1 > cap) return -1;
  memcpy(out, at, (size_t)(end - at));
  out[end - at] = '\0';
  return 0;
}

/* Starts an HTTPS token server with the emulator's certificate `cert`; writes its base
 * URL and the folder of the TLS material (ending in '/'). 0 on success. */
static int https_server(const char *cert, char *url, size_t url_cap, char *dir, size_t dir_cap) {
  char body[128], buf[4096];
  snprintf(body, sizeof body, "{\"cert\":\"%s\"}", cert);
  if (http_request("POST", "/_emulator/tls", body, buf, sizeof buf) != 200) return -1;
  const char *json = strstr(buf, "\r\n\r\n");
  if (json == NULL) return -1;
  if (json_string(json, "url", url, url_cap) != 0) return -1;
  return json_string(json, "dir", dir, dir_cap);
}

/* The password grant against `base` trusting `ca_file` (NULL: the default roots). */
static authgate_result sign_in(const char *base, const char *ca_file) {
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  authgate_result rc = authgate_config_new(AUTHGATE_PROVIDER_CUBA, &cfg);
  if (rc == AUTHGATE_OK) rc = authgate_config_set_base_url(cfg, base);
  if (rc == AUTHGATE_OK) rc = authgate_config_set_client_id(cfg, "client");
  if (rc == AUTHGATE_OK) rc = authgate_config_set_client_secret(cfg, "secret");
  if (rc == AUTHGATE_OK && ca_file != NULL) rc = authgate_config_set_ca_file(cfg, ca_file);
  if (rc == AUTHGATE_OK) rc = authgate_client_new(cfg, &client);
  if (rc == AUTHGATE_OK) rc = authgate_client_password(client, "admin", "admin", NULL, NULL, &ts);
  authgate_token_set_free(ts);
  authgate_client_free(client);
  authgate_config_free(cfg);
  return rc;
}

static int test_a_wrong_path_names_the_address_and_the_endpoint(void) {
  int failed = 1;
  authgate_config *cfg = NULL;
  authgate_client *client = NULL;
  authgate_token_set *ts = NULL;
  char endpoint[512], shown[512], json_url[600];
  snprintf(endpoint, sizeof endpoint, "%s/wrong/token?tenant=t-s3cret", emulator_url());
  snprintf(shown, sizeof shown, "%s/wrong/token", emulator_url());
  snprintf(json_url, sizeof json_url, "\"url\":\"%s\"", shown);
  cfg = emulator_config(AUTHGATE_PROVIDER_CUBA, "client", "secret");
  CHECK(cfg != NULL);
  CHECK_OK(authgate_config_set_token_endpoint(cfg, endpoint));
  CHECK_OK(authgate_client_new(cfg, &client));
  CHECK_RC(authgate_client_password(client, "admin", "admin", NULL, NULL, &ts),
           AUTHGATE_UNEXPECTED_RESPONSE);
  CHECK_STR(authgate_last_error_url(), shown);
  CHECK_STR(authgate_last_error_endpoint(), "token");
  CHECK(strstr(authgate_last_error_json(), json_url) != NULL);
  CHECK(strstr(authgate_last_error_json(), "\"endpoint\":\"token\"") != NULL);
  CHECK(strstr(authgate_last_error_message(), "the token endpoint") != NULL);
  CHECK(strstr(authgate_last_error_message(), shown) != NULL);
  CHECK(strstr(authgate_last_error_json(), "t-s3cret") == NULL);
  /* An error without a request has neither. */
  CHECK_RC(authgate_client_password(client, "", "admin", NULL, NULL, &ts),
           AUTHGATE_INVALID_ARGUMENT);
  CHECK(authgate_last_error_url() == NULL);
  CHECK(authgate_last_error_endpoint() == NULL);
  CHECK(strstr(authgate_last_error_json(), "\"url\":null") != NULL);
  failed = 0;
cleanup:
  authgate_token_set_free(ts);
  authgate_client_free(client);
  authgate_config_free(cfg);
  return failed;
}

static int test_tls_failures_in_plain_words(void) {
  int failed = 1;
  char url[256], dir[1024], ca[1200];
  CHECK(https_server("server", url, sizeof url, dir, sizeof dir) == 0);
  CHECK_RC(sign_in(url, NULL), AUTHGATE_TLS);
  CHECK(strstr(authgate_last_error_message(),
               "the server's certificate is not trusted by this computer") != NULL);
  CHECK(strstr(authgate_last_error_message(), "ca_file") != NULL);
  CHECK_STR(authgate_last_error_endpoint(), "token");
  CHECK(strncmp(authgate_last_error_url(), url, strlen(url)) == 0);
  snprintf(ca, sizeof ca, "%sca.pem", dir);
  CHECK_OK(sign_in(url, ca));

  CHECK(https_server("expired", url, sizeof url, dir, sizeof dir) == 0);
  snprintf(ca, sizeof ca, "%sexpired-ca.pem", dir);
  CHECK_RC(sign_in(url, ca), AUTHGATE_TLS);
  CHECK(strstr(authgate_last_error_message(),
               "the certificate is valid from 2020-01-01 00:00:00 UTC to 2021-01-01 00:00:00 "
               "UTC but this computer's clock says") != NULL);

  /* A self-signed certificate given as the CA file is trusted, as curl trusts it. */
  CHECK(https_server("self-signed", url, sizeof url, dir, sizeof dir) == 0);
  snprintf(ca, sizeof ca, "%sself-signed.pem", dir);
  CHECK_OK(sign_in(url, ca));
  failed = 0;
cleanup:
  if (failed) fprintf(stderr, "  last error: %s\n", authgate_last_error_message());
  return failed;
}

int main(void) {
  RUN(test_a_wrong_path_names_the_address_and_the_endpoint);
  RUN(test_tls_failures_in_plain_words);
  return harness_report();
}
