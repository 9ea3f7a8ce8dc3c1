// The CUBA password flow through the RAII wrapper: sign in with a Cyrillic login and a
// password full of form-encoding traps, refresh, and show a failure as an exception.
// Runs against the emulator (AUTHGATE_EMULATOR_URL) or any CUBA server given as argv[1].
#include <cstdlib>
#include <iostream>

#include "authgate.hpp"

int main(int argc, char **argv) {
  const char *base = argc > 1 ? argv[1] : std::getenv("AUTHGATE_EMULATOR_URL");
  if (base == nullptr) {
    std::cerr << "usage: cuba_password BASE_URL (or set AUTHGATE_EMULATOR_URL)\n";
    return 2;
  }
  try {
    auto client = authgate::Client::from_json(std::string(R"({"provider":"cuba","base_url":")") +
                                              base +
                                              R"(","client_id":"client","client_secret":"secret"})");
    auto tokens = client.password("кассир", "p&s=w+o%rd 1 ё");
    std::cout << "authgate " << authgate::version() << ": signed in, " << tokens.token_type()
              << " token for scope " << tokens.scope().value_or("?") << ", expires in "
              << tokens.expires_in() << " s\n";
    if (!tokens.refresh_token()) throw std::runtime_error("no refresh token");
    auto fresh = client.refresh(*tokens.refresh_token());
    std::cout << "refreshed; new token expires at " << fresh.expires_at() << " (Unix)\n";
    auto restored = authgate::TokenSet::from_json(fresh.to_json());
    if (restored.access_token() != fresh.access_token()) throw std::runtime_error("restore");

    try {
      client.password("admin", "wrong password");
      std::cerr << "a wrong password was accepted\n";
      return 1;
    } catch (const authgate::Error &e) {
      std::cout << "wrong password: " << e.name() << " (HTTP " << e.http_status()
                << ", terminal " << e.is_terminal() << "): " << e.what() << "\n";
      if (e.code() != AUTHGATE_INVALID_GRANT) return 1;
    }
    return 0;
  } catch (const authgate::Error &e) {
    std::cerr << "authgate error " << e.code() << " (" << e.name() << "): " << e.what() << "\n";
  } catch (const std::exception &e) {
    std::cerr << "error: " << e.what() << "\n";
  }
  return 1;
}
