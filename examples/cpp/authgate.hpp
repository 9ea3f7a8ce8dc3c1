// A small RAII wrapper over the authgate C ABI: handles in std::unique_ptr with the
// library's own deleters, strings copied into std::string, failures thrown as
// authgate::Error carrying the thread's last error. Header-only, C++17.
#pragma once

#include <authgate.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace authgate {

/// A failed call: the status code and the details of the thread's last error.
class Error : public std::runtime_error {
 public:
  explicit Error(authgate_result code)
      : std::runtime_error(authgate_last_error_message()),
        code_(code),
        oauth_error_(opt(authgate_last_error_oauth_error())),
        description_(opt(authgate_last_error_description())),
        http_status_(authgate_last_error_http_status()),
        terminal_(authgate_last_error_is_terminal() != 0),
        transient_(authgate_last_error_is_transient() != 0),
        retry_after_(authgate_last_error_retry_after()) {}

  authgate_result code() const noexcept { return code_; }
  const char *name() const noexcept { return authgate_result_str(code_); }
  const std::optional<std::string> &oauth_error() const noexcept { return oauth_error_; }
  const std::optional<std::string> &description() const noexcept { return description_; }
  int32_t http_status() const noexcept { return http_status_; }
  bool is_terminal() const noexcept { return terminal_; }
  bool is_transient() const noexcept { return transient_; }
  /// Seconds the server asked to wait, or -1.
  int64_t retry_after() const noexcept { return retry_after_; }

 private:
  static std::optional<std::string> opt(const char *s) {
    return s ? std::optional<std::string>(s) : std::nullopt;
  }
  authgate_result code_;
  std::optional<std::string> oauth_error_, description_;
  int32_t http_status_;
  bool terminal_, transient_;
  int64_t retry_after_;
};

inline void check(authgate_result rc) {
  if (rc != AUTHGATE_OK) throw Error(rc);
}

template <class T, void (*Free)(T *)>
struct Deleter {
  void operator()(T *p) const noexcept { Free(p); }
};

using ConfigPtr = std::unique_ptr<authgate_config, Deleter<authgate_config, authgate_config_free>>;
using ClientPtr = std::unique_ptr<authgate_client, Deleter<authgate_client, authgate_client_free>>;
using AuthorizationPtr =
    std::unique_ptr<authgate_authorization, Deleter<authgate_authorization, authgate_authorization_free>>;
using TokenSetPtr =
    std::unique_ptr<authgate_token_set, Deleter<authgate_token_set, authgate_token_set_free>>;
using OperationPtr =
    std::unique_ptr<authgate_operation, Deleter<authgate_operation, authgate_operation_free>>;
using StringPtr = std::unique_ptr<char, Deleter<char, authgate_string_free>>;
using StorePtr = std::unique_ptr<authgate_store, Deleter<authgate_store, authgate_store_free>>;
using ManagerPtr =
    std::unique_ptr<authgate_manager, Deleter<authgate_manager, authgate_manager_free>>;

inline const char *c_or_null(const std::optional<std::string> &s) {
  return s ? s->c_str() : nullptr;
}

/// The tokens; copyable views are taken as std::string.
class TokenSet {
 public:
  explicit TokenSet(authgate_token_set *raw) : p_(raw) {}
  static TokenSet from_json(const std::string &json) {
    authgate_token_set *raw = nullptr;
    check(authgate_token_set_new_from_json(json.c_str(), &raw));
    return TokenSet(raw);
  }
  std::string access_token() const { return get(authgate_token_set_access_token).value_or(""); }
  std::string token_type() const { return get(authgate_token_set_token_type).value_or(""); }
  std::optional<std::string> refresh_token() const { return get(authgate_token_set_refresh_token); }
  std::optional<std::string> scope() const { return get(authgate_token_set_scope); }
  std::optional<std::string> id_token() const { return get(authgate_token_set_id_token); }
  std::string authorization_header() const {
    return get(authgate_token_set_authorization_header).value_or("");
  }
  int64_t expires_in() const {
    int64_t v = -1;
    check(authgate_token_set_expires_in(p_.get(), &v));
    return v;
  }
  int64_t expires_at() const {
    int64_t v = -1;
    check(authgate_token_set_expires_at(p_.get(), &v));
    return v;
  }
  std::string to_json() const {
    char *s = nullptr;
    check(authgate_token_set_to_json(p_.get(), &s));
    StringPtr owned(s);
    return std::string(owned.get());
  }
  const authgate_token_set *get() const noexcept { return p_.get(); }

 private:
  using Getter = authgate_result (*)(const authgate_token_set *, const char **);
  std::optional<std::string> get(Getter g) const {
    const char *s = nullptr;
    check(g(p_.get(), &s));
    return s ? std::optional<std::string>(s) : std::nullopt;
  }
  TokenSetPtr p_;
};

/// A client; thread-safe, so one instance may serve every thread.
class Client {
 public:
  static Client from_json(const std::string &json) {
    authgate_client *raw = nullptr;
    check(authgate_client_new_from_json(json.c_str(), &raw));
    return Client(raw);
  }
  static Client from_config(const authgate_config *config) {
    authgate_client *raw = nullptr;
    check(authgate_client_new(config, &raw));
    return Client(raw);
  }

  TokenSet password(const std::string &user, const std::string &password,
                    const std::optional<std::string> &scopes = std::nullopt) const {
    authgate_token_set *raw = nullptr;
    check(authgate_client_password(p_.get(), user.c_str(), password.c_str(), c_or_null(scopes),
                                   nullptr, &raw));
    return TokenSet(raw);
  }
  TokenSet refresh(const std::string &refresh_token) const {
    authgate_token_set *raw = nullptr;
    check(authgate_client_refresh(p_.get(), refresh_token.c_str(), nullptr, nullptr, &raw));
    return TokenSet(raw);
  }
  TokenSet client_credentials(const std::optional<std::string> &scopes = std::nullopt) const {
    authgate_token_set *raw = nullptr;
    check(authgate_client_client_credentials(p_.get(), c_or_null(scopes), nullptr, &raw));
    return TokenSet(raw);
  }
  TokenSet exchange_code(const std::string &code, const std::optional<std::string> &verifier) const {
    authgate_token_set *raw = nullptr;
    check(authgate_client_exchange_code(p_.get(), code.c_str(), c_or_null(verifier), nullptr,
                                        nullptr, &raw));
    return TokenSet(raw);
  }
  const authgate_client *get() const noexcept { return p_.get(); }

 private:
  explicit Client(authgate_client *raw) : p_(raw) {}
  ClientPtr p_;
};

/// Where a manager keeps its tokens: in memory, or in a file several processes may share.
class Store {
 public:
  static Store memory() {
    authgate_store *raw = nullptr;
    check(authgate_store_new_memory(&raw));
    return Store(raw);
  }
  static Store file(const std::string &path) {
    authgate_store *raw = nullptr;
    check(authgate_store_new_file(path.c_str(), &raw));
    return Store(raw);
  }
  const authgate_store *get() const noexcept { return p_.get(); }

 private:
  explicit Store(authgate_store *raw) : p_(raw) {}
  StorePtr p_;
};

/// A valid access token on demand for the whole process; thread-safe, so one instance
/// serves every thread. Keeps its own references to the client and the store.
class Manager {
 public:
  /// Returns {username, password}; throw nothing out of it (return std::nullopt to
  /// decline). Called on the thread that needs new tokens.
  using Credentials = std::function<std::optional<std::pair<std::string, std::string>>()>;

  Manager(const Client &client, const Store *store = nullptr,
          const std::optional<std::string> &options_json = std::nullopt) {
    authgate_manager *raw = nullptr;
    check(authgate_manager_new(client.get(), store ? store->get() : nullptr,
                               c_or_null(options_json), &raw));
    p_.reset(raw);
  }

  /// Runs the password grant with these credentials when there is no usable refresh
  /// token. The function lives as long as the manager.
  void set_password_credentials(Credentials credentials) {
    credentials_ = std::make_unique<Credentials>(std::move(credentials));
    check(authgate_manager_set_password_credentials(p_.get(), &Manager::trampoline,
                                                    credentials_.get()));
  }
  void set_tokens(const TokenSet &tokens) {
    check(authgate_manager_set_tokens(p_.get(), tokens.get()));
  }
  std::string access_token() const {
    char *s = nullptr;
    check(authgate_manager_access_token(p_.get(), &s));
    return take(s);
  }
  std::string access_token_valid_for(uint32_t seconds) const {
    char *s = nullptr;
    check(authgate_manager_access_token_valid_for(p_.get(), seconds, &s));
    return take(s);
  }
  TokenSet token_set() const {
    authgate_token_set *raw = nullptr;
    check(authgate_manager_token_set(p_.get(), &raw));
    return TokenSet(raw);
  }
  void invalidate() { check(authgate_manager_invalidate(p_.get())); }
  void clear() { check(authgate_manager_clear(p_.get())); }

 private:
  static std::string take(char *s) {
    StringPtr owned(s);
    return std::string(owned.get());
  }
  static authgate_result trampoline(void *user_data, char *username, size_t username_cap,
                                    char *password, size_t password_cap) noexcept {
    try {
      auto answer = (*static_cast<Credentials *>(user_data))();
      if (!answer || answer->first.size() >= username_cap || answer->second.size() >= password_cap)
        return AUTHGATE_SIGN_IN_REQUIRED;
      answer->first.copy(username, answer->first.size());
      username[answer->first.size()] = '\0';
      answer->second.copy(password, answer->second.size());
      password[answer->second.size()] = '\0';
      return AUTHGATE_OK;
    } catch (...) {
      return AUTHGATE_SIGN_IN_REQUIRED;  // never let an exception cross into the library
    }
  }
  // Declared before p_, so the manager is freed first and never calls a dead function.
  std::unique_ptr<Credentials> credentials_;
  ManagerPtr p_;
};

inline std::string version() { return authgate_version(); }

/// Receives authgate's log records: level (AUTHGATE_LOG_ERROR .. AUTHGATE_LOG_TRACE), target
/// ("authgate") and message, both valid during the call only. Records hold no secrets.
using LogFunction = std::function<void(uint32_t level, const char *target, const char *message)>;

namespace detail {
inline void log_trampoline(void *user_data, uint32_t level, const char *target,
                           const char *message) noexcept {
  try {
    (*static_cast<LogFunction *>(user_data))(level, target, message);
  } catch (...) {
    // never let an exception cross into the library
  }
}
}  // namespace detail

/// Sends authgate's log records up to `max_level` to `log` (an empty function removes it),
/// for the whole process. It is called from any thread, several at once (operation threads
/// included): make it thread-safe. Do not call set_log_function from inside it. When this
/// returns, the previous function is no longer running anywhere and has been destroyed.
inline void set_log_function(LogFunction log, uint32_t max_level = AUTHGATE_LOG_WARN) {
  static std::mutex mutex;
  static std::unique_ptr<LogFunction> current;
  std::lock_guard<std::mutex> lock(mutex);
  auto next = log ? std::make_unique<LogFunction>(std::move(log)) : nullptr;
  check(authgate_set_log_callback(next ? &detail::log_trampoline : nullptr, max_level,
                                  next.get()));
  current = std::move(next);  // the previous one is no longer called: destroy it
}

}  // namespace authgate
