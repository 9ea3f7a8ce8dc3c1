/*
 * What the examples in this folder share: printing the last error the way a POS front end
 * would show it, and the "browser" step of the authorization code flow.
 *
 * The code flow needs a person with a browser: the program prints the authorization URL
 * on its first line of output, the person signs in, and the program reads the URL the
 * browser was sent back to (the redirect URI with `code` and `state`) from standard input.
 * A desktop application would open the browser itself (or use
 * authgate_client_sign_in_loopback_start); tests/c/run.sh plays the person with curl.
 */
#ifndef AUTHGATE_EXAMPLE_H
#define AUTHGATE_EXAMPLE_H

#include <stdio.h>
#include <string.h>

#include <authgate.h>

/* Prints why the last authgate call on this thread failed. Every field but the message
 * may be absent: the OAuth error only when the server sent one, the HTTP status only
 * when an answer came. */
static inline void print_last_error(const char *what) {
  const char *oauth_error = authgate_last_error_oauth_error();
  int status = (int)authgate_last_error_http_status();
  fprintf(stderr, "%s failed: %s: %s\n", what, authgate_result_str(authgate_last_error_code()),
          authgate_last_error_message());
  if (oauth_error != NULL) fprintf(stderr, "  the server said: %s\n", oauth_error);
  if (status > 0) fprintf(stderr, "  HTTP status: %d\n", status);
  fprintf(stderr, "  %s\n", authgate_last_error_is_terminal()
                                ? "sign in again or fix the settings"
                                : "try again later");
}

/* Shows the authorization URL and reads back the redirect URL (one line) into `buf`.
 * Returns 0 on success. */
static inline int ask_user_to_sign_in(const char *url, char *buf, size_t cap) {
  size_t len;
  printf("%s\n", url);
  fflush(stdout);
  fprintf(stderr, "Open the URL above, sign in, and paste the address you were sent to:\n");
  if (fgets(buf, (int)cap, stdin) == NULL) return -1;
  len = strlen(buf);
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = '\0';
  return len > 0 ? 0 : -1;
}

/* The authorization code flow: URL, the person's sign-in, the redirect back (state, and
 * iss when the issuer is known, are checked), the code exchange with the PKCE verifier.
 * The nonce sent (OpenID Connect), if any, is copied to nonce_out. Returns 0 on success
 * with *tokens_out set. */
static inline int sign_in_with_code(const authgate_client *client, authgate_token_set **tokens_out,
                             char *nonce_out, size_t nonce_cap) {
  authgate_authorization *auth = NULL;
  const char *url = NULL, *verifier = NULL, *nonce = NULL;
  char *code = NULL;
  char redirect[4096];
  int failed = 1;
  if (authgate_client_authorization_url_with(client, NULL, &auth) != AUTHGATE_OK ||
      authgate_authorization_url(auth, &url) != AUTHGATE_OK) {
    print_last_error("authorization URL");
    goto done;
  }
  if (ask_user_to_sign_in(url, redirect, sizeof redirect) != 0) {
    fprintf(stderr, "no redirect URL given\n");
    goto done;
  }
  if (authgate_authorization_parse_callback(auth, redirect, &code) != AUTHGATE_OK) {
    print_last_error("the redirect");
    goto done;
  }
  if (authgate_authorization_pkce_verifier(auth, &verifier) != AUTHGATE_OK ||
      authgate_authorization_nonce(auth, &nonce) != AUTHGATE_OK ||
      authgate_client_exchange_code(client, code, verifier, NULL, NULL, tokens_out) !=
          AUTHGATE_OK) {
    print_last_error("code exchange");
    goto done;
  }
  if (nonce_out != NULL && nonce_cap > 0) {
    nonce_out[0] = '\0';
    if (nonce != NULL) strncat(nonce_out, nonce, nonce_cap - 1);
  }
  failed = 0;
done:
  authgate_string_free(code); /* wiped */
  authgate_authorization_free(auth);
  return failed;
}

/* A client for a preset, from the command line: argv[1] base URL, then optional client
 * id, secret and redirect URI (defaults: the emulator's registration for that preset).
 * NULL (with the error printed) on failure. */
static inline authgate_client *client_from_args(const char *preset, int argc, char **argv,
                                         const char *default_id, const char *default_secret) {
  authgate_config *config = NULL;
  authgate_client *client = NULL;
  if (argc < 2) {
    fprintf(stderr, "usage: %s BASE_URL [CLIENT_ID CLIENT_SECRET REDIRECT_URI]\n", argv[0]);
    return NULL;
  }
  if (authgate_config_new_by_name(preset, &config) != AUTHGATE_OK ||
      authgate_config_set_base_url(config, argv[1]) != AUTHGATE_OK ||
      authgate_config_set_client_id(config, argc > 2 ? argv[2] : default_id) != AUTHGATE_OK ||
      authgate_config_set_client_secret(config, argc > 3 ? argv[3] : default_secret) !=
          AUTHGATE_OK ||
      authgate_config_set_redirect_uri(config, argc > 4 ? argv[4] : "http://127.0.0.1/callback") !=
          AUTHGATE_OK ||
      authgate_client_new(config, &client) != AUTHGATE_OK) {
    print_last_error("configuration");
    client = NULL;
  }
  authgate_config_free(config);
  return client;
}

#endif
