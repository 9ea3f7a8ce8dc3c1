// The CUBA password flow through the RAII wrapper: sign in with a Cyrillic login and a
// password full of form-encoding traps, refresh, the token manager with a password
// callback, and show a failure as an exception, with authgate's log records on stderr.
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
    // authgate's own log records (leniencies, retries, one per token request) to stderr.
    authgate::set_log_function(
        [](uint32_t level, const char *target, const char *message) {
          std::cerr << "[" << target << " " << level << "] " << message << "\n";
        },
        AUTHGATE_LOG_DEBUG);
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

    // The token manager: a password callback instead of a stored sign-in, a cached token.
    authgate::Manager manager(client, nullptr, std::string(R"({"leeway_ms":30000})"));
    int asked = 0;
    manager.set_password_credentials([&asked]() {
      ++asked;
      return std::make_optional(std::make_pair(std::string("кассир"), std::string("p&s=w+o%rd 1 ё")));
    });
    auto first = manager.access_token();
    if (manager.access_token() != first || asked != 1) throw std::runtime_error("not cached");
    manager.invalidate();
    if (manager.access_token() == first) throw std::runtime_error("not refreshed");
    std::cout << "manager: cached, then refreshed after invalidate (credentials asked " << asked
              << " time)\n";

    try {
      client.password("admin", "wrong password");
      std::cerr << "a wrong password was accepted\n";
      return 1;
    } catch (const authgate::Error &e) {
      std::cout << "wrong password: " << e.name() << " (HTTP " << e.http_status()
                << ", terminal " << e.is_terminal() << "): " << e.what() << "\n";
      if (e.code() != AUTHGATE_INVALID_GRANT) return 1;
    }
    authgate::set_log_function(nullptr);
    return 0;
  } catch (const authgate::Error &e) {
    std::cerr << "authgate error " << e.code() << " (" << e.name() << "): " << e.what() << "\n";
  } catch (const std::exception &e) {
    std::cerr << "error: " << e.what() << "\n";
  }
  return 1;
}
