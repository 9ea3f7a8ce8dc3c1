/*
 * Taxcom: the authorization code flow with PKCE (scope `api`). Taxcom's tokens live
 * 3,600,000 seconds and come without a refresh token: sign in again when it expires.
 *
 *   taxcom_code BASE_URL [CLIENT_ID CLIENT_SECRET REDIRECT_URI]
 *
 * Against a real Taxcom, whose authorization and token endpoints are on two hosts, set
 * them with authgate_config_set_authorization_endpoint / _set_token_endpoint instead of
 * one base URL.
 */
#include "example.h"

int main(int argc, char **argv) {
  authgate_client *client = client_from_args("taxcom", argc, argv, "taxcom-app", "taxcom-secret");
  authgate_token_set *tokens = NULL;
  const char *header = NULL;
  int64_t expires_in = 0;
  int status = 1;
  if (client == NULL) return 1;
  if (sign_in_with_code(client, &tokens, NULL, 0) != 0) goto done;
  if (authgate_token_set_authorization_header(tokens, &header) != AUTHGATE_OK ||
      authgate_token_set_expires_in(tokens, &expires_in) != AUTHGATE_OK) {
    print_last_error("token set");
    goto done;
  }
  /* Never print the header itself in a real program: it is a secret. */
  printf("signed in: a %s token, valid for %lld s\n", strncmp(header, "Bearer ", 7) == 0 ? "Bearer" : "other",
         (long long)expires_in);
  status = 0;
done:
  authgate_token_set_free(tokens);
  authgate_client_free(client);
  return status;
}
