/*
 * CUBA: the password grant with the REST client's id and secret in a raw HTTP Basic
 * header. CUBA servers often run plain HTTP inside a shop's LAN: authgate refuses http://
 * except on loopback unless authgate_config_set_allow_insecure_http(config, 1) says so.
 *
 *   cuba_password BASE_URL [USERNAME PASSWORD]
 */
#include "example.h"

int main(int argc, char **argv) {
  authgate_config *config = NULL;
  authgate_client *client = NULL;
  authgate_token_set *tokens = NULL;
  const char *scope = NULL;
  int status = 1;
  if (argc < 2) {
    fprintf(stderr, "usage: %s BASE_URL [USERNAME PASSWORD]\n", argv[0]);
    return 2;
  }
  if (authgate_config_new(AUTHGATE_PROVIDER_CUBA, &config) != AUTHGATE_OK ||
      authgate_config_set_base_url(config, argv[1]) != AUTHGATE_OK ||
      authgate_config_set_client_id(config, "client") != AUTHGATE_OK || /* cuba.rest.client.id */
      authgate_config_set_client_secret(config, "secret") != AUTHGATE_OK ||
      authgate_client_new(config, &client) != AUTHGATE_OK) {
    print_last_error("configuration");
    goto done;
  }
  if (authgate_client_password(client, argc > 2 ? argv[2] : "кассир",
                               argc > 3 ? argv[3] : "p&s=w+o%rd 1 ё", NULL, NULL,
                               &tokens) != AUTHGATE_OK) {
    print_last_error("sign-in"); /* a wrong password is AUTHGATE_INVALID_GRANT, terminal */
    goto done;
  }
  if (authgate_token_set_scope(tokens, &scope) != AUTHGATE_OK) {
    print_last_error("token set");
    goto done;
  }
  printf("signed in (scope %s)\n", scope != NULL ? scope : "not given");
  status = 0;
done:
  authgate_token_set_free(tokens);
  authgate_client_free(client);
  authgate_config_free(config);
  return status;
}
