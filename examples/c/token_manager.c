/*
 * The token manager with a file store: the way a POS keeps a CUBA session across
 * restarts and threads. The manager signs in through the credentials callback when it
 * has no usable tokens, refreshes before expiry, and saves every new token set to the
 * file (atomically, mode 0600, locked across processes) before handing it out, so a
 * rotated refresh token is never lost. Run it twice: the second run finds the tokens in
 * the file and sends nothing.
 *
 *   token_manager BASE_URL TOKEN_FILE [USERNAME PASSWORD]
 */
#include "example.h"

struct login {
  const char *username;
  const char *password;
};

/* Called by the manager, on the thread that needs tokens, when it must sign in. A real
 * POS would ask the cashier here; the buffers are the library's and are wiped after. */
static authgate_result ask_credentials(void *user_data, char *username, size_t username_cap,
                                       char *password, size_t password_cap) {
  const struct login *login = (const struct login *)user_data;
  if (strlen(login->username) >= username_cap || strlen(login->password) >= password_cap)
    return AUTHGATE_CANCELLED;
  strcpy(username, login->username);
  strcpy(password, login->password);
  return AUTHGATE_OK;
}

int main(int argc, char **argv) {
  struct login login;
  authgate_config *config = NULL;
  authgate_client *client = NULL;
  authgate_store *store = NULL;
  authgate_manager *manager = NULL;
  char *token = NULL;
  int status = 1;
  if (argc < 3) {
    fprintf(stderr, "usage: %s BASE_URL TOKEN_FILE [USERNAME PASSWORD]\n", argv[0]);
    return 2;
  }
  login.username = argc > 3 ? argv[3] : "кассир";
  login.password = argc > 4 ? argv[4] : "p&s=w+o%rd 1 ё";
  if (authgate_config_new(AUTHGATE_PROVIDER_CUBA, &config) != AUTHGATE_OK ||
      authgate_config_set_base_url(config, argv[1]) != AUTHGATE_OK ||
      authgate_config_set_client_id(config, "client") != AUTHGATE_OK ||
      authgate_config_set_client_secret(config, "secret") != AUTHGATE_OK ||
      authgate_client_new(config, &client) != AUTHGATE_OK ||
      authgate_store_new_file(argv[2], &store) != AUTHGATE_OK ||
      authgate_manager_new(client, store, "{\"leeway_ms\": 300000}", &manager) != AUTHGATE_OK ||
      authgate_manager_set_password_credentials(manager, ask_credentials, &login) !=
          AUTHGATE_OK) {
    print_last_error("set-up");
    goto done;
  }
  /* Any thread, any time: the cached token, or one refresh (or sign-in) for all threads. */
  if (authgate_manager_access_token(manager, &token) != AUTHGATE_OK) {
    print_last_error("access token"); /* AUTHGATE_SIGN_IN_REQUIRED: ask the cashier again */
    goto done;
  }
  printf("have an access token (%zu characters); tokens kept in %s\n", strlen(token), argv[2]);
  status = 0;
done:
  authgate_string_free(token); /* wiped */
  authgate_manager_free(manager);
  authgate_store_free(store);
  authgate_client_free(client);
  authgate_config_free(config);
  return status;
}
