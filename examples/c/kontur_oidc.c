/*
 * Kontur.Extern: OpenID Connect. The endpoints, signing keys and issuer come from the
 * provider's discovery document; the flow adds a nonce, the redirect's `iss` is checked
 * (RFC 9207), and the id_token is validated (signature, issuer, audience, expiry, nonce).
 *
 *   kontur_oidc ISSUER [SERVICE_NAME API_KEY REDIRECT_URI]
 *
 * The real issuer is https://identity.kontur.ru (test: https://identity.testkontur.ru);
 * the client id is the service name issued with the api-key, which is the secret.
 */
#include "example.h"

int main(int argc, char **argv) {
  authgate_config *config = NULL;
  authgate_client *client = NULL;
  authgate_token_set *tokens = NULL;
  const char *id_token = NULL;
  char *claims = NULL;
  char nonce[256];
  int status = 1;
  if (argc < 2) {
    fprintf(stderr, "usage: %s ISSUER [SERVICE_NAME API_KEY REDIRECT_URI]\n", argv[0]);
    return 2;
  }
  if (authgate_config_new(AUTHGATE_PROVIDER_KONTUR, &config) != AUTHGATE_OK ||
      authgate_config_set_client_id(config, argc > 2 ? argv[2] : "kontur-service") != AUTHGATE_OK ||
      authgate_config_set_client_secret(config, argc > 3 ? argv[3] : "kontur-api-key") !=
          AUTHGATE_OK ||
      authgate_config_set_redirect_uri(config, argc > 4 ? argv[4] : "http://127.0.0.1/callback") !=
          AUTHGATE_OK ||
      authgate_config_discover(config, argv[1]) != AUTHGATE_OK || /* one GET, cached an hour */
      authgate_client_new(config, &client) != AUTHGATE_OK) {
    print_last_error("configuration");
    goto done;
  }
  if (sign_in_with_code(client, &tokens, nonce, sizeof nonce) != 0) goto done;
  if (authgate_token_set_id_token(tokens, &id_token) != AUTHGATE_OK || id_token == NULL) {
    fprintf(stderr, "the provider sent no id_token\n");
    goto done;
  }
  if (authgate_client_validate_id_token(client, id_token, nonce, &claims) != AUTHGATE_OK) {
    print_last_error("id_token validation");
    goto done;
  }
  printf("signed in; id_token claims: %s\n", claims);
  status = 0;
done:
  authgate_string_free(claims);
  authgate_token_set_free(tokens);
  authgate_client_free(client);
  authgate_config_free(config);
  return status;
}
