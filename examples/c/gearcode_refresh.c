/*
 * GearCode: the authorization code flow (the preset adds `resource_id` = client id to
 * every token request), then a refresh. GearCode rotates refresh tokens: once a refresh
 * succeeds, the old refresh token is dead, so the new set must be stored before it is
 * used (the token manager, see token_manager.c, does that for you).
 *
 *   gearcode_refresh BASE_URL [CLIENT_ID CLIENT_SECRET REDIRECT_URI]
 */
#include "example.h"

int main(int argc, char **argv) {
  authgate_client *client =
      client_from_args("gearcode", argc, argv, "gearcode-client", "gearcode-secret");
  authgate_token_set *tokens = NULL, *fresh = NULL;
  const char *refresh_token = NULL, *new_refresh_token = NULL;
  int status = 1;
  if (client == NULL) return 1;
  if (sign_in_with_code(client, &tokens, NULL, 0) != 0) goto done;
  if (authgate_token_set_refresh_token(tokens, &refresh_token) != AUTHGATE_OK ||
      refresh_token == NULL) {
    fprintf(stderr, "the provider sent no refresh token\n");
    goto done;
  }
  if (authgate_client_refresh(client, refresh_token, NULL, NULL, &fresh) != AUTHGATE_OK) {
    print_last_error("refresh");
    goto done;
  }
  /* Store `fresh` now (authgate_token_set_to_json), before anything else can fail. */
  if (authgate_token_set_refresh_token(fresh, &new_refresh_token) != AUTHGATE_OK) {
    print_last_error("token set");
    goto done;
  }
  printf("refreshed: the refresh token was %s\n",
         new_refresh_token != NULL && strcmp(new_refresh_token, refresh_token) != 0
             ? "rotated (the old one is dead now)"
             : "kept");
  status = 0;
done:
  authgate_token_set_free(fresh);
  authgate_token_set_free(tokens);
  authgate_client_free(client);
  return status;
}
