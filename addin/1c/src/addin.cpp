// The AuthGate add-in for 1C:Enterprise: a Native API component over the authgate C ABI.
//
// A thin translation layer: 1C values (tVariant, UTF-16) in, C ABI calls, 1C values
// out. It holds no OAuth logic: every request, check and token rule is the library's.
//
// Error model. The platform turns a `false` from CallAsFunc/CallAsProc into an exception
// in the 1C code, so a failure the 1C developer should handle is NOT a `false` here:
// the method's 1C result says it (Ложь, or Неопределено for a value method) and the
// error properties (ОписаниеОшибки, КодОшибки, ОшибкаOAuth, …) describe it. With
// ВызыватьИсключения = Истина a failure is also reported through IAddInDefBase::AddError
// and the call returns `false`, so 1C raises an exception carrying the description.
// Calls the platform itself never makes (an unknown method index, a wrong number of
// parameters, a NULL pointer) always return `false`.
//
// No C++ exception leaves this file through a platform entry point: every one of them
// runs its body inside guarded(); the library itself catches Rust panics.
//
// Threads. 1C calls an add-in object synchronously, from one thread at a time; a network
// call blocks that thread until the answer or the client's timeout (connect 10 s, total
// 30 s by default; "connect_timeout_ms" / "timeout_ms" in the options). The library's
// per-thread last error is copied into the object right after the failed call, so the
// error properties may be read later from any thread. The log (EnableLog, ReadLog) is the
// one state shared by the objects of a process: see "the log" below.

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "authgate.h"
#include "native_api.h"
#include "utf.h"

#if defined(_WINDOWS)
#define AUTHGATE_1C_EXPORT
#else
#define AUTHGATE_1C_EXPORT __attribute__((visibility("default")))
#endif

namespace authgate1c {
namespace {

// ---- names ------------------------------------------------------------------------

// The class name 1C uses in Новый("AddIn.<ИмяКомпоненты>.AuthGate").
constexpr char16_t kClassName[] = u"AuthGate";
// The external event of a new token set (see on_tokens_changed) and the platform event
// buffer's depth the add-in asks for.
constexpr char16_t kTokensChangedEvent[] = u"ТокеныИзменены";
constexpr long kEventBufferDepth = 16;

// Code units of the platform strings we hand out statically (GetClassNames).
const WCHAR_T kClassNameUnits[] = {u'A', u'u', u't', u'h', u'G', u'a', u't', u'e', 0};

// 1C compares names without regard to case, for Cyrillic too.
char16_t fold(char16_t c) {
  if (c >= u'A' && c <= u'Z') return char16_t(c + 32);
  if (c >= 0x0410 && c <= 0x042F) return char16_t(c + 32);  // А-Я
  if (c >= 0x0400 && c <= 0x040F) return char16_t(c + 80);  // Ѐ-Џ, Ё
  return c;
}

bool same_name(const WCHAR_T *platform, const char16_t *ours) {
  size_t i = 0;
  for (; ours[i] != 0; ++i) {
    if (platform[i] == 0 || fold(char16_t(platform[i])) != fold(ours[i])) return false;
  }
  return platform[i] == 0;
}

enum Prop : long {
  P_ACCESS_TOKEN,
  P_TOKEN_TYPE,
  P_EXPIRES_AT,
  P_REFRESH_TOKEN,
  P_SCOPE,
  P_ID_TOKEN,
  P_AUTHORIZATION_HEADER,
  P_TOKEN_JSON,
  P_AUTHORIZATION_URL,
  P_STATE,
  P_CODE_VERIFIER,
  P_NONCE,
  P_REDIRECT_URI,
  P_ERROR_MESSAGE,
  P_ERROR_CODE,
  P_ERROR_NAME,
  P_OAUTH_ERROR,
  P_OAUTH_ERROR_DESCRIPTION,
  P_HTTP_STATUS,
  P_ERROR_IS_TERMINAL,
  P_ERROR_IS_TRANSIENT,
  P_RETRY_AFTER,
  P_ERROR_JSON,
  P_THROW_ERRORS,
  P_CONFIGURED,
  P_MANAGER_ENABLED,
  P_VERSION,
  P_USER_CODE,
  P_VERIFICATION_URI,
  P_VERIFICATION_URI_COMPLETE,
  P_POLL_INTERVAL,
  P_QR_SVG,
  P_QR_TEXT,
  P_COUNT
};

struct PropDef {
  const char16_t *en;
  const char16_t *ru;
  bool writable;
};

// Index order = the Prop enum. Alias 0 is English, 1 Russian ([ITS] GetPropName).
const PropDef kProps[P_COUNT] = {
    {u"AccessToken", u"ТокенДоступа", false},
    {u"TokenType", u"ТипТокена", false},
    {u"ExpiresAt", u"ИстекаетВ", false},
    {u"RefreshToken", u"ТокенОбновления", false},
    {u"Scope", u"Область", false},
    {u"IdToken", u"ТокенИдентификации", false},
    {u"AuthorizationHeader", u"ЗаголовокАвторизации", false},
    {u"TokenJson", u"ТокенJSON", true},
    {u"AuthorizationUrl", u"АдресАвторизации", false},
    {u"State", u"Состояние", false},
    {u"CodeVerifier", u"ПроверочныйКод", false},
    {u"Nonce", u"ЗначениеNonce", false},
    {u"RedirectUri", u"АдресПеренаправления", false},
    {u"ErrorMessage", u"ОписаниеОшибки", false},
    {u"ErrorCode", u"КодОшибки", false},
    {u"ErrorName", u"ИмяОшибки", false},
    {u"OAuthError", u"ОшибкаOAuth", false},
    {u"OAuthErrorDescription", u"ОписаниеОшибкиOAuth", false},
    {u"HttpStatus", u"HTTPСтатус", false},
    {u"ErrorIsTerminal", u"ОшибкаОкончательная", false},
    {u"ErrorIsTransient", u"ОшибкаВременная", false},
    {u"RetryAfter", u"ПовторитьЧерез", false},
    {u"ErrorJson", u"ОшибкаJSON", false},
    {u"ThrowErrors", u"ВызыватьИсключения", true},
    {u"Configured", u"Настроена", false},
    {u"ManagerEnabled", u"МенеджерВключен", false},
    {u"Version", u"Версия", false},
    {u"UserCode", u"КодПользователя", false},
    {u"VerificationUri", u"АдресПроверки", false},
    {u"VerificationUriComplete", u"АдресПроверкиСКодом", false},
    {u"PollInterval", u"ИнтервалОпроса", false},
    {u"QrCodeSvg", u"QRКодSVG", false},
    {u"QrCodeText", u"QRКодТекст", false},
};

enum Method : long {
  M_CONFIGURE,
  M_AUTHORIZATION_URL,
  M_PARSE_CALLBACK,
  M_EXCHANGE_CODE,
  M_REFRESH,
  M_PASSWORD,
  M_CLIENT_CREDENTIALS,
  M_CLEAR_TOKENS,
  M_START_DEVICE,
  M_POLL_DEVICE,
  M_DEVICE_JSON,
  M_RESUME_DEVICE,
  M_ENABLE_LOG,
  M_READ_LOG,
#ifdef AUTHGATE_1C_WITH_MANAGER
  M_ENABLE_MANAGER,
  M_VALID_ACCESS_TOKEN,
  M_ACCESS_TOKEN_VALID_FOR,
  M_INVALIDATE,
#endif
  M_COUNT
};

struct MethodDef {
  const char16_t *en;
  const char16_t *ru;
  long nparams;    // what the platform always passes (omitted ones as defaults)
  long nrequired;  // the first nrequired have no default
  bool retval;
};

const MethodDef kMethods[M_COUNT] = {
    {u"Configure", u"Настроить", 2, 1, true},
    {u"GetAuthorizationUrl", u"ПолучитьАдресАвторизации", 2, 0, true},
    {u"ParseCallback", u"РазобратьОтвет", 1, 1, true},
    {u"ExchangeCode", u"ОбменятьКод", 1, 1, true},
    {u"Refresh", u"Обновить", 1, 0, true},
    {u"Password", u"ВойтиПоПаролю", 3, 2, true},
    {u"ClientCredentials", u"УчетныеДанныеКлиента", 1, 0, true},
    {u"ClearTokens", u"ОчиститьТокены", 0, 0, true},
    {u"StartDeviceSignIn", u"НачатьВходНаУстройстве", 1, 0, true},
    {u"PollDeviceSignIn", u"ОпроситьВходНаУстройстве", 0, 0, true},
    {u"DeviceSignInJson", u"ВходНаУстройствеJSON", 0, 0, true},
    {u"ResumeDeviceSignIn", u"ПродолжитьВходНаУстройстве", 1, 1, true},
    {u"EnableLog", u"ВключитьЖурнал", 1, 1, true},
    {u"ReadLog", u"ПрочитатьЖурнал", 0, 0, true},
#ifdef AUTHGATE_1C_WITH_MANAGER
    {u"EnableManager", u"ВключитьМенеджер", 2, 0, true},
    {u"ValidAccessToken", u"ДействующийТокен", 0, 0, true},
    {u"AccessTokenValidFor", u"ТокенДействующийСекунд", 1, 1, true},
    {u"Invalidate", u"СброситьТокен", 0, 0, true},
#endif
};

// ---- values -----------------------------------------------------------------------

// A result on its way to a tVariant (strings are UTF-8 until then).
struct Value {
  enum Kind { Empty, Bool, Int, Real, Str } kind = Empty;
  bool b = false;
  int32_t i = 0;
  double d = 0;
  std::string s;
  static Value boolean(bool v) { Value x; x.kind = Bool; x.b = v; return x; }
  static Value integer(int32_t v) { Value x; x.kind = Int; x.i = v; return x; }
  static Value real(double v) { Value x; x.kind = Real; x.d = v; return x; }
  static Value string(std::string v) { Value x; x.kind = Str; x.s = std::move(v); return x; }
  static Value optional(const char *v) { return v ? string(v) : Value(); }
};

// Overwrites a string that held a secret before its memory is released.
void wipe(std::string &s) {
  volatile char *p = s.empty() ? nullptr : &s[0];
  for (size_t i = 0; i < s.size(); ++i) p[i] = 0;
  s.clear();
}

struct Wipe {
  std::string *a;
  std::string *b;
  ~Wipe() {
    if (a) wipe(*a);
    if (b) wipe(*b);
  }
};

std::string json_escape(const std::string &s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(char(c));
        }
    }
  }
  return out;
}

size_t skip_ws(const std::string &s, size_t i = 0) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
  return i;
}

const char *vtype_name(TYPEVAR vt) {
  switch (vt) {
    case VTYPE_EMPTY: return "Undefined (VTYPE_EMPTY)";
    case VTYPE_NULL: return "Null (VTYPE_NULL)";
    case VTYPE_BOOL: return "Boolean (VTYPE_BOOL)";
    case VTYPE_PWSTR: return "String (VTYPE_PWSTR)";
    case VTYPE_PSTR: return "narrow string (VTYPE_PSTR)";
    case VTYPE_DATE: case VTYPE_TM: return "Date";
    case VTYPE_BLOB: return "BinaryData (VTYPE_BLOB)";
    case VTYPE_I1: case VTYPE_I2: case VTYPE_I4: case VTYPE_I8: case VTYPE_UI1:
    case VTYPE_UI2: case VTYPE_UI4: case VTYPE_UI8: case VTYPE_INT: case VTYPE_UINT:
    case VTYPE_R4: case VTYPE_R8: return "Number";
    default: return "an unsupported type";
  }
}

// ---- the log ----------------------------------------------------------------------
//
// ВключитьЖурнал / ПрочитатьЖурнал: authgate's log records (authgate_set_log_callback, one
// callback for the whole process) collected as text lines in one buffer that every add-in
// object of the process shares, until ReadLog takes them. The library calls the callback
// on whichever thread logged, several at once. The buffer is freed only when the last
// add-in object is gone, after the callback was removed: authgate_set_log_callback
// returns once no delivery to the old callback runs on any thread, so the library never
// calls into freed memory.

// Between two reads the newest records are kept; older ones are dropped and counted.
constexpr size_t kLogMaxRecords = 1000;
constexpr size_t kLogMaxBytes = 256 * 1024;
// A longer message is cut (at a character boundary).
constexpr size_t kLogMaxMessage = 8 * 1024;

// The levels' names in a line, indexed by AUTHGATE_LOG_* (0 never reaches a line).
const char *const kLogLevelNames[] = {"OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"};

// The words EnableLog takes for a level, in both languages (any case).
struct LogLevelWord {
  const char16_t *word;
  uint32_t level;
};
const LogLevelWord kLogLevelWords[] = {
    {u"off", 0},   {u"выкл", 0},          {u"error", 1}, {u"ошибка", 1},
    {u"warn", 2},  {u"предупреждение", 2}, {u"info", 3},  {u"информация", 3},
    {u"debug", 4}, {u"отладка", 4},        {u"trace", 5}, {u"трассировка", 5},
};
constexpr char kLogLevelHelp[] =
    "a log level: 0 (off), 1 (error), 2 (warn), 3 (info), 4 (debug), 5 (trace, which "
    "collects what debug does), or one of the words off, error, warn, info, debug, trace "
    "(выкл, ошибка, предупреждение, информация, отладка, трассировка)";

// "2026-11-30T14:05:07.123Z": `ms` milliseconds after 1970-01-01T00:00:00Z.
std::string utc_timestamp(int64_t ms) {
  int64_t days = ms / 86400000, rest = ms % 86400000;
  if (rest < 0) {
    rest += 86400000;
    --days;
  }
  // The civil date of a day number (proleptic Gregorian, counted in 400-year eras that
  // start on 0000-03-01, so that the leap day ends a year); no gmtime_r/gmtime_s split.
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(year), static_cast<long long>(month),
                static_cast<long long>(day), static_cast<long long>(rest / 3600000),
                static_cast<long long>(rest / 60000 % 60),
                static_cast<long long>(rest / 1000 % 60), static_cast<long long>(rest % 1000));
  return buf;
}

class LogBuffer {
 public:
  // The callback given to authgate_set_log_callback with this buffer as its user data.
  static void on_record(void *self, uint32_t level, const char *target, const char *message) {
    auto *buffer = static_cast<LogBuffer *>(self);
    try {
      buffer->add(level, target, message);
    } catch (...) {
      buffer->count_dropped();  // out of memory; nothing may unwind into the library
    }
  }

  // The records since the last call, one line each, oldest first, after a line saying
  // how many were dropped, if any; "" without records. Empties the buffer.
  std::string take() {
    std::deque<std::string> lines;
    uint64_t dropped = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      lines.swap(lines_);
      dropped = dropped_;
      dropped_ = 0;
      bytes_ = 0;
    }
    std::string text;
    if (dropped != 0) {
      text = std::to_string(dropped) +
             (dropped == 1 ? " earlier record was" : " earlier records were") +
             " dropped: the log keeps the newest " + std::to_string(kLogMaxRecords) +
             " records (" + std::to_string(kLogMaxBytes / 1024) + " KiB) between two reads";
    }
    for (const std::string &line : lines) {
      if (!text.empty()) text += '\n';
      text += line;
    }
    return text;
  }

 private:
  std::mutex mu_;
  std::deque<std::string> lines_;
  size_t bytes_ = 0;
  uint64_t dropped_ = 0;

  void add(uint32_t level, const char *target, const char *message) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    std::string line =
        utc_timestamp(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
    line += ' ';
    line += kLogLevelNames[level < 6 ? level : 5];
    line += ' ';
    line += target != nullptr ? target : "authgate";
    line += ": ";
    size_t at = line.size();
    line += message != nullptr ? message : "";
    if (line.size() - at > kLogMaxMessage) {
      size_t cut = at + kLogMaxMessage;
      while (cut > at && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
      line.resize(cut);
      line += " [cut]";
    }
    for (; at < line.size(); ++at) {
      if (line[at] == '\n' || line[at] == '\r') line[at] = ' ';  // one line per record
    }
    std::lock_guard<std::mutex> lock(mu_);
    lines_.push_back(std::move(line));
    bytes_ += lines_.back().size();
    while (lines_.size() > kLogMaxRecords || bytes_ > kLogMaxBytes) {
      bytes_ -= lines_.front().size();
      lines_.pop_front();
      ++dropped_;
    }
  }

  void count_dropped() noexcept {
    try {
      std::lock_guard<std::mutex> lock(mu_);
      ++dropped_;
    } catch (...) {
    }
  }
};

// The process's add-in objects and the buffer the callback writes to, if logging was
// ever enabled while one of them exists. g_log_mutex is never held by the callback, so
// it may be held while authgate_set_log_callback waits for deliveries to return.
std::mutex g_log_mutex;
long g_log_objects = 0;
LogBuffer *g_log_buffer = nullptr;

void log_object_created() {
  std::lock_guard<std::mutex> lock(g_log_mutex);
  ++g_log_objects;
}

// The last object gone, no one can read the records: the callback is removed (which
// returns once no delivery runs), then the buffer freed. Logging is off until enabled again.
void log_object_destroyed() noexcept {
  try {
    std::lock_guard<std::mutex> lock(g_log_mutex);
    if (--g_log_objects > 0 || g_log_buffer == nullptr) return;
    // Should removal ever fail, the buffer stays: a leak, never a call into freed memory.
    if (authgate_set_log_callback(nullptr, 0, nullptr) != AUTHGATE_OK) return;
    delete g_log_buffer;
    g_log_buffer = nullptr;
  } catch (...) {
  }
}

// Collects records up to `level` (AUTHGATE_LOG_*) from now on, for the whole process;
// 0 stops collecting (the records collected so far stay for ReadLog).
authgate_result log_enable(uint32_t level) {
  std::lock_guard<std::mutex> lock(g_log_mutex);
  if (level == 0) return authgate_set_log_callback(nullptr, 0, nullptr);
  if (g_log_buffer == nullptr) g_log_buffer = new LogBuffer();
  return authgate_set_log_callback(&LogBuffer::on_record, level, g_log_buffer);
}

std::string log_read() {
  std::lock_guard<std::mutex> lock(g_log_mutex);
  return g_log_buffer != nullptr ? g_log_buffer->take() : std::string();
}

// ---- the component ----------------------------------------------------------------

class AuthGate final : public IComponentBase {
 public:
  AuthGate() { log_object_created(); }
  AuthGate(const AuthGate &) = delete;
  AuthGate &operator=(const AuthGate &) = delete;
  ~AuthGate() override {
    release_handles();
    log_object_destroyed();
  }

  // IInitDoneBase
  bool ADDIN_API Init(void *disp) override {
    return guarded(false, [&] {
      host_ = static_cast<IAddInDefBase *>(disp);
      return true;
    });
  }
  bool ADDIN_API setMemManager(void *mem) override {
    return guarded(false, [&] {
      mem_ = static_cast<IMemoryManager *>(mem);
      return mem_ != nullptr;
    });
  }
  long ADDIN_API GetInfo() override { return 2000; }
  void ADDIN_API Done() override {
    guarded(0, [&] {
      release_handles();
      host_ = nullptr;
      return 0;
    });
  }

  // ILanguageExtenderBase
  bool ADDIN_API RegisterExtensionAs(WCHAR_T **name) override {
    return guarded(false, [&] {
      if (name == nullptr) return false;
      *name = alloc_units(kClassName);
      return *name != nullptr;
    });
  }
  long ADDIN_API GetNProps() override { return P_COUNT; }
  long ADDIN_API FindProp(const WCHAR_T *name) override {
    return guarded(-1L, [&] {
      if (name == nullptr) return -1L;
      for (long i = 0; i < P_COUNT; ++i)
        if (same_name(name, kProps[i].en) || same_name(name, kProps[i].ru)) return i;
      return -1L;
    });
  }
  const WCHAR_T *ADDIN_API GetPropName(long num, long alias) override {
    return guarded(static_cast<WCHAR_T *>(nullptr), [&]() -> WCHAR_T * {
      if (num < 0 || num >= P_COUNT) return nullptr;
      return alloc_units(alias == 0 ? kProps[num].en : kProps[num].ru);
    });
  }
  bool ADDIN_API GetPropVal(const long num, tVariant *out) override {
    return guarded(false, [&] {
      if (out == nullptr || num < 0 || num >= P_COUNT) {
        return protocol_error("GetPropVal: unknown property index " + std::to_string(num));
      }
      Value v;
      bool ok = property(num, v) && put(out, v);
      wipe(v.s);
      if (ok) return true;
      std::memset(out, 0, sizeof *out);  // Неопределено, unless ThrowErrors raises
      out->vt = VTYPE_EMPTY;
      return report_failure();
    });
  }
  bool ADDIN_API SetPropVal(const long num, tVariant *value) override {
    return guarded(false, [&] {
      if (value == nullptr || num < 0 || num >= P_COUNT || !kProps[num].writable) {
        return protocol_error("SetPropVal: property " + std::to_string(num) +
                              " does not exist or is read-only");
      }
      clear_error();
      // A property assignment has no result to carry a failure: the platform raises
      // an exception for `false` whatever ThrowErrors says.
      return set_property(num, value) || report_failure(true);
    });
  }
  bool ADDIN_API IsPropReadable(const long num) override { return num >= 0 && num < P_COUNT; }
  bool ADDIN_API IsPropWritable(const long num) override {
    return num >= 0 && num < P_COUNT && kProps[num].writable;
  }
  long ADDIN_API GetNMethods() override { return M_COUNT; }
  long ADDIN_API FindMethod(const WCHAR_T *name) override {
    return guarded(-1L, [&] {
      if (name == nullptr) return -1L;
      for (long i = 0; i < M_COUNT; ++i)
        if (same_name(name, kMethods[i].en) || same_name(name, kMethods[i].ru)) return i;
      return -1L;
    });
  }
  const WCHAR_T *ADDIN_API GetMethodName(const long num, const long alias) override {
    return guarded(static_cast<WCHAR_T *>(nullptr), [&]() -> WCHAR_T * {
      if (num < 0 || num >= M_COUNT) return nullptr;
      return alloc_units(alias == 0 ? kMethods[num].en : kMethods[num].ru);
    });
  }
  long ADDIN_API GetNParams(const long num) override {
    return num >= 0 && num < M_COUNT ? kMethods[num].nparams : 0;
  }
  // [ITS "GetParamDefValue"]: true with the default for an optional parameter. Every
  // default here is Неопределено (VTYPE_EMPTY), which the methods read as "not given",
  // so no memory is allocated for defaults.
  bool ADDIN_API GetParamDefValue(const long num, const long param, tVariant *def) override {
    return guarded(false, [&] {
      if (def == nullptr || num < 0 || num >= M_COUNT) return false;
      if (param < kMethods[num].nrequired || param >= kMethods[num].nparams) return false;
      std::memset(def, 0, sizeof *def);
      def->vt = VTYPE_EMPTY;
      return true;
    });
  }
  bool ADDIN_API HasRetVal(const long num) override {
    return num >= 0 && num < M_COUNT && kMethods[num].retval;
  }
  bool ADDIN_API CallAsProc(const long num, tVariant *params, const long count) override {
    return guarded(false, [&] { return call(num, nullptr, params, count); });
  }
  bool ADDIN_API CallAsFunc(const long num, tVariant *ret, tVariant *params,
                            const long count) override {
    return guarded(false, [&] {
      if (ret == nullptr) return protocol_error("CallAsFunc: no place for the result");
      return call(num, ret, params, count);
    });
  }

  // LocaleBase, UserLanguageBase: messages come from the library, in English; the
  // locale is kept for a later translation and otherwise ignored.
  void ADDIN_API SetLocale(const WCHAR_T *loc) override {
    guarded(0, [&] {
      locale_ = copy_units(loc);
      return 0;
    });
  }
  void ADDIN_API SetUserInterfaceLanguageCode(const WCHAR_T *lang) override {
    guarded(0, [&] {
      language_ = copy_units(lang);
      return 0;
    });
  }

 private:
  struct LastError {
    uint32_t code = AUTHGATE_OK;
    std::string name, message, oauth_error, oauth_description, json;
    int32_t http_status = 0;
    bool terminal = false, transient = false;
    int64_t retry_after = -1;
  };

  IAddInDefBase *host_ = nullptr;
  IMemoryManager *mem_ = nullptr;
  authgate_client *client_ = nullptr;
  authgate_authorization *auth_ = nullptr;
  authgate_token_set *tokens_ = nullptr;
  authgate_device *device_ = nullptr;
#ifdef AUTHGATE_1C_WITH_MANAGER
  authgate_store *store_ = nullptr;
  authgate_manager *manager_ = nullptr;
#endif
  bool throw_errors_ = false;
  LastError error_;
  std::u16string locale_, language_;

  // Runs an entry point's body; nothing thrown gets past it.
  template <class R, class F>
  R guarded(R fallback, F &&body) noexcept {
    try {
      return body();
    } catch (const std::bad_alloc &) {
      internal_error("out of memory");
    } catch (const std::exception &e) {
      internal_error(e.what());
    } catch (...) {
      internal_error("unknown C++ exception");
    }
    return fallback;
  }

  void internal_error(const char *what) noexcept {
    try {
      set_error(AUTHGATE_INTERNAL, std::string("internal error in the add-in: ") + what);
    } catch (...) {
      error_.code = AUTHGATE_INTERNAL;
    }
  }

  void release_handles() noexcept {
#ifdef AUTHGATE_1C_WITH_MANAGER
    authgate_manager_free(manager_);
    manager_ = nullptr;
    authgate_store_free(store_);
    store_ = nullptr;
#endif
    authgate_token_set_free(tokens_);
    tokens_ = nullptr;
    authgate_device_free(device_);
    device_ = nullptr;
    authgate_authorization_free(auth_);
    auth_ = nullptr;
    authgate_client_free(client_);
    client_ = nullptr;
  }

  // -- errors --

  void clear_error() { error_ = LastError(); }

  void set_error(uint32_t code, std::string message) {
    error_ = LastError();
    error_.code = code;
    error_.name = authgate_result_str(code);
    error_.message = std::move(message);
    error_.json = "{\"code\":" + std::to_string(code) + ",\"name\":\"" +
                  json_escape(error_.name) + "\",\"message\":\"" + json_escape(error_.message) +
                  "\",\"error\":null,\"error_description\":null,\"error_uri\":null,"
                  "\"http_status\":null,\"is_terminal\":false,\"is_transient\":false,"
                  "\"retry_after\":null}";
  }

  // Copies this thread's last error of the C ABI; call right after the failed call.
  bool library_error(authgate_result rc) {
    error_ = LastError();
    error_.code = rc;
    error_.name = authgate_result_str(rc);
    const char *s = authgate_last_error_message();
    error_.message = s ? s : "";
    if ((s = authgate_last_error_oauth_error()) != nullptr) error_.oauth_error = s;
    if ((s = authgate_last_error_description()) != nullptr) error_.oauth_description = s;
    if ((s = authgate_last_error_json()) != nullptr) error_.json = s;
    error_.http_status = authgate_last_error_http_status();
    error_.terminal = authgate_last_error_is_terminal() != 0;
    error_.transient = authgate_last_error_is_transient() != 0;
    error_.retry_after = authgate_last_error_retry_after();
    return false;
  }

  bool fail(uint32_t code, std::string message) {
    set_error(code, std::move(message));
    return false;
  }

  // A call the platform never makes: always `false` (1C would raise its own error).
  bool protocol_error(std::string message) {
    set_error(AUTHGATE_INVALID_ARGUMENT, std::move(message));
    report_failure(true);
    return false;
  }

  // UTF-8 as the NUL-terminated UTF-16 units the platform's callbacks take.
  static bool platform_string(const std::string &text, std::vector<WCHAR_T> &out) {
    std::u16string units;
    std::string conversion_error;
    if (!utf8_to_utf16(text.data(), text.size(), units, conversion_error)) return false;
    out.assign(units.begin(), units.end());
    out.push_back(0);
    std::fill(units.begin(), units.end(), u'\0');  // it may be a token set
    return true;
  }

  // The manager's tokens-changed callback (authgate_manager_set_tokens_changed_callback):
  // every new set it obtains (a refresh, which with GearCode rotates the refresh token)
  // is told to 1C as the external event Источник "AuthGate", Событие "ТокеныИзменены",
  // Данные = the set's ТокенJSON, so that a module keeping the tokens in the infobase
  // (ОбработкаВнешнегоСобытия) always holds the newest refresh token. It runs on the
  // thread that refreshed: the 1C thread, inside the add-in's call. It must not unwind.
  static void on_tokens_changed(void *self, const authgate_token_set *tokens) {
    AuthGate *addin = static_cast<AuthGate *>(self);
    if (addin->host_ == nullptr) return;
    try {
      char *json = nullptr;
      if (authgate_token_set_to_json(tokens, &json) != AUTHGATE_OK) return;
      std::string text(json);
      authgate_string_free(json);
      std::vector<WCHAR_T> data;
      bool converted = platform_string(text, data);
      Wipe w{&text, nullptr};
      if (!converted) return;
      std::vector<WCHAR_T> source(kClassNameUnits, kClassNameUnits + 9);
      const std::u16string event(kTokensChangedEvent);
      std::vector<WCHAR_T> message(event.begin(), event.end());
      message.push_back(0);
      addin->host_->ExternalEvent(source.data(), message.data(), data.data());
      std::fill(data.begin(), data.end(), WCHAR_T(0));
    } catch (...) {
      // nothing may unwind into the library; 1C reads ТокенJSON after the call anyway
    }
  }

  // The entry point's result after a failure already recorded in error_: `true` (the
  // 1C result carries the failure) unless ThrowErrors asks for an exception.
  bool report_failure(bool always_false = false) {
    bool raise = throw_errors_ || always_false;
    if (throw_errors_ && host_ != nullptr) {
      std::string text = error_.message;
      if (!error_.name.empty()) text = "[" + error_.name + "] " + text;
      std::vector<WCHAR_T> descr;
      if (!platform_string(text, descr)) {
        platform_string("authgate: an error whose text is not valid UTF-8", descr);
      }
      std::vector<WCHAR_T> source(kClassNameUnits, kClassNameUnits + 9);
      // scode: a failure HRESULT (E_FAIL); [ITS "AddError"].
      host_->AddError(ADDIN_E_FAIL, source.data(), descr.data(),
                      static_cast<long>(static_cast<int32_t>(0x80004005u)));
    }
    return !raise;
  }

  // -- strings to the platform --

  WCHAR_T *alloc_units(const char16_t *units, size_t n) {
    if (mem_ == nullptr) {
      set_error(AUTHGATE_INTERNAL, "the platform gave no memory manager (setMemManager)");
      return nullptr;
    }
    void *p = nullptr;
    if (!mem_->AllocMemory(&p, static_cast<unsigned long>((n + 1) * sizeof(WCHAR_T))) || !p) {
      set_error(AUTHGATE_INTERNAL, "the platform's memory manager refused an allocation");
      return nullptr;
    }
    auto *w = static_cast<WCHAR_T *>(p);
    for (size_t i = 0; i < n; ++i) w[i] = static_cast<WCHAR_T>(units[i]);
    w[n] = 0;
    return w;
  }
  WCHAR_T *alloc_units(const char16_t *units) {
    return alloc_units(units, std::char_traits<char16_t>::length(units));
  }

  static std::u16string copy_units(const WCHAR_T *s) {
    std::u16string out;
    if (s != nullptr)
      for (size_t i = 0; s[i] != 0 && i < 256; ++i) out.push_back(char16_t(s[i]));
    return out;
  }

  bool put(tVariant *out, const Value &v) {
    std::memset(out, 0, sizeof *out);
    out->vt = VTYPE_EMPTY;
    switch (v.kind) {
      case Value::Empty: return true;
      case Value::Bool: out->bVal = v.b; out->vt = VTYPE_BOOL; return true;
      case Value::Int: out->lVal = v.i; out->vt = VTYPE_I4; return true;
      case Value::Real: out->dblVal = v.d; out->vt = VTYPE_R8; return true;
      case Value::Str: {
        std::u16string units;
        std::string err;
        if (!utf8_to_utf16(v.s.data(), v.s.size(), units, err))
          return fail(AUTHGATE_INTERNAL, "the library returned " + err);
        if (units.size() > UINT32_MAX - 1) return fail(AUTHGATE_INTERNAL, "string too long");
        WCHAR_T *w = alloc_units(units.data(), units.size());
        if (!units.empty()) std::memset(&units[0], 0, units.size() * sizeof(char16_t));
        if (w == nullptr) return false;
        out->pwstrVal = w;
        out->wstrLen = static_cast<uint32_t>(units.size());
        out->vt = VTYPE_PWSTR;
        return true;
      }
    }
    return true;
  }

  // -- arguments from the platform --

  static std::string method_name(long method) {
    std::string name, ignore;
    const char16_t *en = kMethods[method].en;
    utf16_to_utf8(en, std::char_traits<char16_t>::length(en), name, ignore);
    return name;
  }

  static std::string where(long method, long param) {
    return "parameter " + std::to_string(param + 1) + " of " + method_name(method);
  }

  // A string argument. VTYPE_EMPTY (omitted) gives nullopt, or an error if `required`.
  bool arg_string(long method, tVariant *params, long i, bool required,
                  std::optional<std::string> &out) {
    const tVariant &v = params[i];
    if (v.vt == VTYPE_EMPTY && !required) {
      out.reset();
      return true;
    }
    if (v.vt != VTYPE_PWSTR) {
      return fail(AUTHGATE_INVALID_ARGUMENT,
                  where(method, i) + " must be a String, not " + vtype_name(v.vt));
    }
    if (v.pwstrVal == nullptr && v.wstrLen != 0)
      return fail(AUTHGATE_INVALID_ARGUMENT, where(method, i) + ": a NULL string");
    std::string s, err;
    if (v.wstrLen != 0 && !utf16_to_utf8(v.pwstrVal, v.wstrLen, s, err))
      return fail(AUTHGATE_INVALID_ARGUMENT, where(method, i) + ": " + err);
    if (s.find('\0') != std::string::npos) {
      wipe(s);
      return fail(AUTHGATE_INVALID_ARGUMENT, where(method, i) + " contains a NUL character");
    }
    out = std::move(s);
    return true;
  }

  // A whole number in [min, max] (1C passes numbers as I4 or R8, sometimes others).
  bool arg_integer(long method, tVariant *params, long i, bool required, int64_t min,
                   int64_t max, std::optional<int64_t> &out) {
    const tVariant &v = params[i];
    int64_t n = 0;
    double d = 0;
    bool is_real = false;
    switch (v.vt) {
      case VTYPE_EMPTY:
        if (!required) {
          out.reset();
          return true;
        }
        return fail(AUTHGATE_INVALID_ARGUMENT, where(method, i) + " is required");
      case VTYPE_I1: n = v.i8Val; break;
      case VTYPE_I2: n = v.shortVal; break;
      case VTYPE_I4: n = v.lVal; break;
      case VTYPE_I8: n = v.llVal; break;
      case VTYPE_INT: n = v.intVal; break;
      case VTYPE_UI1: n = v.ui8Val; break;
      case VTYPE_UI2: n = v.ushortVal; break;
      case VTYPE_UI4: n = v.ulVal; break;
      case VTYPE_UINT: n = v.uintVal; break;
      case VTYPE_UI8:
        n = v.ullVal > uint64_t(INT64_MAX) ? INT64_MAX : int64_t(v.ullVal);
        break;
      case VTYPE_R4: d = v.fltVal; is_real = true; break;
      case VTYPE_R8: d = v.dblVal; is_real = true; break;
      default:
        return fail(AUTHGATE_INVALID_ARGUMENT,
                    where(method, i) + " must be a Number, not " + vtype_name(v.vt));
    }
    if (is_real) {
      if (!std::isfinite(d) || d != std::floor(d) || d < double(min) || d > double(max))
        return fail(AUTHGATE_INVALID_ARGUMENT,
                    where(method, i) + " must be a whole number from " + std::to_string(min) +
                        " to " + std::to_string(max));
      n = static_cast<int64_t>(d);
    }
    if (n < min || n > max)
      return fail(AUTHGATE_INVALID_ARGUMENT, where(method, i) + " must be from " +
                                                 std::to_string(min) + " to " +
                                                 std::to_string(max));
    out = n;
    return true;
  }

  static const char *opt(const std::optional<std::string> &s) {
    return s && !s->empty() ? s->c_str() : nullptr;
  }

  // -- methods --

  bool call(long num, tVariant *ret, tVariant *params, long count) {
    if (num < 0 || num >= M_COUNT)
      return protocol_error("unknown method index " + std::to_string(num));
    const MethodDef &m = kMethods[num];
    if (count != m.nparams || (count > 0 && params == nullptr)) {
      return protocol_error(method_name(num) + " takes " +
                            std::to_string(m.nparams) + " parameters, the call passed " +
                            std::to_string(count));
    }
    // ReadLog leaves the last error alone: it is read right after a failure, with it.
    if (num != M_READ_LOG) clear_error();
    Value result;
    bool ok = invoke(num, params, result);
    if (!ok) {
      // The 1C result of a failed call: Ложь, or Неопределено for a value method.
      result = (num == M_AUTHORIZATION_URL || num == M_PARSE_CALLBACK || num == M_POLL_DEVICE ||
                num == M_DEVICE_JSON || num == M_READ_LOG
#ifdef AUTHGATE_1C_WITH_MANAGER
                || num == M_VALID_ACCESS_TOKEN || num == M_ACCESS_TOKEN_VALID_FOR
#endif
                )
                   ? Value()
                   : Value::boolean(false);
    }
    bool delivered = true;
    if (ret != nullptr) {
      delivered = put(ret, result);
    }
    wipe(result.s);
    if (!ok || !delivered) return report_failure();
    return true;
  }

  bool need_client() {
    return client_ != nullptr ||
           fail(AUTHGATE_CONFIG, "the add-in is not configured: call Configure (Настроить) first");
  }

  bool invoke(long num, tVariant *p, Value &result) {
    switch (num) {
      case M_CONFIGURE: return configure(p, result);
      case M_AUTHORIZATION_URL: return authorization_url(p, result);
      case M_PARSE_CALLBACK: return parse_callback(p, result);
      case M_EXCHANGE_CODE: return exchange_code(p, result);
      case M_REFRESH: return refresh(p, result);
      case M_PASSWORD: return password(p, result);
      case M_CLIENT_CREDENTIALS: return client_credentials(p, result);
      case M_CLEAR_TOKENS:
        // Local sign-out: the tokens are forgotten here and in the manager's store (they
        // are not revoked at the server).
        set_tokens(nullptr);
#ifdef AUTHGATE_1C_WITH_MANAGER
        if (manager_ != nullptr) {
          authgate_result rc = authgate_manager_clear(manager_);
          if (rc != AUTHGATE_OK) return library_error(rc);
        }
#endif
        result = Value::boolean(true);
        return true;
      case M_START_DEVICE: return start_device(p, result);
      case M_POLL_DEVICE: return poll_device(result);
      case M_DEVICE_JSON: return device_json(result);
      case M_RESUME_DEVICE: return resume_device(p, result);
      case M_ENABLE_LOG: return enable_log(p, result);
      case M_READ_LOG: result = Value::string(log_read()); return true;
#ifdef AUTHGATE_1C_WITH_MANAGER
      case M_ENABLE_MANAGER: return enable_manager(p, result);
      case M_VALID_ACCESS_TOKEN: return valid_access_token(nullptr, result);
      case M_ACCESS_TOKEN_VALID_FOR: {
        std::optional<int64_t> seconds;
        if (!arg_integer(num, p, 0, true, 0, UINT32_MAX, seconds)) return false;
        return valid_access_token(&seconds, result);
      }
      case M_INVALIDATE: {
        if (!need_manager()) return false;
        authgate_result rc = authgate_manager_invalidate(manager_);
        if (rc != AUTHGATE_OK) return library_error(rc);
        result = Value::boolean(true);
        return true;
      }
#endif
    }
    return fail(AUTHGATE_INVALID_ARGUMENT, "unknown method index " + std::to_string(num));
  }

  // Настроить(Провайдер, Параметры) / Configure(Preset, OptionsJson): a preset name
  // ("taxcom", "kontur", "gearcode", "cuba", "generic") with an optional JSON object of
  // options, or one JSON configuration with its own "provider" key. The keys are the C
  // ABI's (authgate_config_new_from_json). On failure the previous client stays.
  bool configure(tVariant *p, Value &result) {
    std::optional<std::string> preset, options;
    if (!arg_string(M_CONFIGURE, p, 0, true, preset) ||
        !arg_string(M_CONFIGURE, p, 1, false, options))
      return false;
    std::string json;
    Wipe w{&json, options ? &*options : nullptr};
    size_t at = skip_ws(*preset);
    if (at < preset->size() && (*preset)[at] == '{') {
      if (options && skip_ws(*options) < options->size())
        return fail(AUTHGATE_INVALID_ARGUMENT,
                    "Configure: give either a preset name and options, or one JSON "
                    "configuration, not a JSON configuration and options");
      json = *preset;
    } else {
      if (preset->empty()) return fail(AUTHGATE_INVALID_ARGUMENT, "Configure: the preset name is empty");
      json = "{\"provider\":\"" + json_escape(*preset) + "\"";
      if (options && skip_ws(*options) < options->size()) {
        size_t open = skip_ws(*options);
        if ((*options)[open] != '{')
          return fail(AUTHGATE_INVALID_ARGUMENT,
                      "Configure: the options must be a JSON object, e.g. {\"client_id\":\"…\"}");
        size_t next = skip_ws(*options, open + 1);
        if (next < options->size() && (*options)[next] != '}') json += ",";
        json.append(*options, open + 1, std::string::npos);
      } else {
        json += "}";
      }
    }
    authgate_client *client = nullptr;
    authgate_result rc = authgate_client_new_from_json(json.c_str(), &client);
    if (rc != AUTHGATE_OK) return library_error(rc);
    release_handles();
    client_ = client;
    result = Value::boolean(true);
    return true;
  }

  // ПолучитьАдресАвторизации(Области, ДопПараметры) / GetAuthorizationUrl(Scopes,
  // ExtraParamsJson): the URL to open; State, CodeVerifier, Nonce become readable.
  bool authorization_url(tVariant *p, Value &result) {
    std::optional<std::string> scopes, extra;
    if (!arg_string(M_AUTHORIZATION_URL, p, 0, false, scopes) ||
        !arg_string(M_AUTHORIZATION_URL, p, 1, false, extra) || !need_client())
      return false;
    // The options object of authgate_client_authorization_url_with; an empty argument
    // is the default (the client's scopes, no parameters). The parameters are JSON as
    // given: the library reports one that is not an object of strings.
    std::string options;
    if (opt(scopes)) options += ",\"scopes\":\"" + json_escape(*scopes) + "\"";
    if (opt(extra)) options += ",\"params\":" + *extra;
    if (!options.empty()) options = "{" + options.substr(1) + "}";
    authgate_authorization *auth = nullptr;
    authgate_result rc = authgate_client_authorization_url_with(
        client_, options.empty() ? nullptr : options.c_str(), &auth);
    if (rc != AUTHGATE_OK) return library_error(rc);
    authgate_authorization_free(auth_);
    auth_ = auth;
    const char *url = nullptr;
    rc = authgate_authorization_url(auth_, &url);
    if (rc != AUTHGATE_OK) return library_error(rc);
    result = Value::string(url);
    return true;
  }

  // РазобратьОтвет(АдресВозврата) / ParseCallback(CallbackUrl): the code from the
  // redirect, after the library checked its state against the pending authorization.
  bool parse_callback(tVariant *p, Value &result) {
    std::optional<std::string> callback;
    if (!arg_string(M_PARSE_CALLBACK, p, 0, true, callback)) return false;
    Wipe w{&*callback, nullptr};
    if (auth_ == nullptr)
      return fail(AUTHGATE_INVALID_ARGUMENT,
                  "ParseCallback: no authorization is pending: call GetAuthorizationUrl "
                  "(ПолучитьАдресАвторизации) first");
    char *code = nullptr;
    authgate_result rc = authgate_authorization_parse_callback(auth_, callback->c_str(), &code);
    return took_string(rc, code, result);
  }

  // The outcome of a call that hands out a string the caller owns: the string (then freed
  // and wiped), or the failure.
  bool took_string(authgate_result rc, char *s, Value &result) {
    if (rc != AUTHGATE_OK) return library_error(rc);
    result = Value::string(s);
    authgate_string_free(s);
    return true;
  }

  // ОбменятьКод(Код) / ExchangeCode(Code): with the pending authorization's PKCE
  // verifier and redirect URI, if there is one.
  bool exchange_code(tVariant *p, Value &result) {
    std::optional<std::string> code;
    if (!arg_string(M_EXCHANGE_CODE, p, 0, true, code) || !need_client()) return false;
    Wipe w{&*code, nullptr};
    const char *verifier = nullptr, *redirect = nullptr;
    if (auth_ != nullptr) {
      authgate_result rc = authgate_authorization_pkce_verifier(auth_, &verifier);
      if (rc == AUTHGATE_OK) rc = authgate_authorization_redirect_uri(auth_, &redirect);
      if (rc != AUTHGATE_OK) return library_error(rc);
    }
    authgate_token_set *ts = nullptr;
    authgate_result rc =
        authgate_client_exchange_code(client_, code->c_str(), verifier, redirect, nullptr, &ts);
    if (rc != AUTHGATE_OK) return library_error(rc);
    return took(ts, result);
  }

  // Обновить(ТокенОбновления) / Refresh(RefreshToken): by default the refresh token
  // of the current tokens.
  bool refresh(tVariant *p, Value &result) {
    std::optional<std::string> given;
    if (!arg_string(M_REFRESH, p, 0, false, given) || !need_client()) return false;
    Wipe w{given ? &*given : nullptr, nullptr};
    const char *rt = opt(given);
    if (rt == nullptr && tokens_ != nullptr) {
      authgate_result rc = authgate_token_set_refresh_token(tokens_, &rt);
      if (rc != AUTHGATE_OK) return library_error(rc);
    }
    if (rt == nullptr)
      return fail(AUTHGATE_INVALID_ARGUMENT,
                  "Refresh: there is no refresh token (none given, none in the current tokens)");
    authgate_token_set *ts = nullptr;
    authgate_result rc = authgate_client_refresh(client_, rt, nullptr, nullptr, &ts);
    if (rc != AUTHGATE_OK) return library_error(rc);
    return took(ts, result);
  }

  // ВойтиПоПаролю(Логин, Пароль, Области) / Password(Username, Password, Scopes).
  bool password(tVariant *p, Value &result) {
    std::optional<std::string> user, pass, scopes;
    bool ok = arg_string(M_PASSWORD, p, 0, true, user) && arg_string(M_PASSWORD, p, 1, true, pass) &&
              arg_string(M_PASSWORD, p, 2, false, scopes);
    Wipe w{user ? &*user : nullptr, pass ? &*pass : nullptr};
    if (!ok || !need_client()) return false;
    authgate_token_set *ts = nullptr;
    authgate_result rc =
        authgate_client_password(client_, user->c_str(), pass->c_str(), opt(scopes), nullptr, &ts);
    if (rc != AUTHGATE_OK) return library_error(rc);
    return took(ts, result);
  }

  // УчетныеДанныеКлиента(Области) / ClientCredentials(Scopes).
  bool client_credentials(tVariant *p, Value &result) {
    std::optional<std::string> scopes;
    if (!arg_string(M_CLIENT_CREDENTIALS, p, 0, false, scopes) || !need_client()) return false;
    authgate_token_set *ts = nullptr;
    authgate_result rc = authgate_client_client_credentials(client_, opt(scopes), nullptr, &ts);
    if (rc != AUTHGATE_OK) return library_error(rc);
    return took(ts, result);
  }

  // -- the device flow (RFC 8628): a till shows a code, the user approves on a phone --

  bool need_device(long method) {
    return device_ != nullptr ||
           fail(AUTHGATE_INVALID_ARGUMENT,
                method_name(method) + ": no device sign-in is under way: call StartDeviceSignIn "
                "(НачатьВходНаУстройстве) or ResumeDeviceSignIn (ПродолжитьВходНаУстройстве) first");
  }

  void set_device(authgate_device *device) {
    authgate_device_free(device_);
    device_ = device;
  }

  // НачатьВходНаУстройстве(Области) / StartDeviceSignIn(Scopes): asks for a user code;
  // КодПользователя, АдресПроверки, АдресПроверкиСКодом (the QR code's target) and
  // ИнтервалОпроса become readable. Then call ОпроситьВходНаУстройстве every
  // ИнтервалОпроса seconds (a wait handler).
  bool start_device(tVariant *p, Value &result) {
    std::optional<std::string> scopes;
    if (!arg_string(M_START_DEVICE, p, 0, false, scopes) || !need_client()) return false;
    authgate_device *device = nullptr;
    authgate_result rc = authgate_client_device_authorization(client_, opt(scopes), &device);
    if (rc != AUTHGATE_OK) return library_error(rc);
    set_device(device);
    result = Value::boolean(true);
    return true;
  }

  // ОпроситьВходНаУстройстве() / PollDeviceSignIn(): one poll. Истина: signed in (the
  // tokens are set, the device sign-in is over: delete its saved JSON). Ложь: not yet,
  // which is no failure (КодОшибки says AUTHGATE_PENDING, or AUTHGATE_SLOW_DOWN when
  // ИнтервалОпроса has grown); poll again after ИнтервалОпроса seconds. Неопределено: it
  // failed (declined, expired, transport), as the error properties say.
  bool poll_device(Value &result) {
    if (!need_client() || !need_device(M_POLL_DEVICE)) return false;
    authgate_token_set *ts = nullptr;
    authgate_result rc = authgate_client_poll_device_token(client_, device_, &ts);
    if (rc == AUTHGATE_PENDING || rc == AUTHGATE_SLOW_DOWN) {
      library_error(rc);
      result = Value::boolean(false);
      return true;
    }
    if (rc != AUTHGATE_OK) return library_error(rc);
    if (!took(ts, result)) return false;
    set_device(nullptr);
    return true;
  }

  // ВходНаУстройствеJSON() / DeviceSignInJson(): the device sign-in as JSON, to save
  // while the user approves and resume after a restart with ПродолжитьВходНаУстройстве.
  // It holds the device code, a secret: store it like a refresh token.
  bool device_json(Value &result) {
    if (!need_device(M_DEVICE_JSON)) return false;
    char *json = nullptr;
    authgate_result rc = authgate_device_to_json(device_, &json);
    return took_string(rc, json, result);
  }

  // ПродолжитьВходНаУстройстве(JSON) / ResumeDeviceSignIn(Json): takes up a saved device
  // sign-in (no network); then poll as usual. Codes that expired meanwhile make the next
  // poll fail at once with ОшибкаOAuth "expired_token", without a request.
  bool resume_device(tVariant *p, Value &result) {
    std::optional<std::string> json;
    if (!arg_string(M_RESUME_DEVICE, p, 0, true, json)) return false;
    Wipe w{&*json, nullptr};
    authgate_device *device = nullptr;
    authgate_result rc = authgate_device_from_json(json->c_str(), &device);
    if (rc != AUTHGATE_OK) return library_error(rc);
    set_device(device);
    result = Value::boolean(true);
    return true;
  }

  // -- the log --

  // ВключитьЖурнал(Уровень) / EnableLog(Level): collect authgate's records up to Level,
  // for the whole process (the last call wins), until the last add-in object is gone.
  // Level: 0 (off) .. 5 (trace), or a word (kLogLevelWords). A bad level changes nothing.
  bool enable_log(tVariant *p, Value &result) {
    std::optional<int64_t> level;
    const tVariant &v = p[0];
    if (v.vt == VTYPE_PWSTR && v.pwstrVal != nullptr) {
      std::vector<WCHAR_T> word(v.pwstrVal, v.pwstrVal + v.wstrLen);
      word.push_back(0);
      for (const LogLevelWord &w : kLogLevelWords)
        if (same_name(word.data(), w.word)) level = w.level;
      if (!level)
        return fail(AUTHGATE_INVALID_ARGUMENT, where(M_ENABLE_LOG, 0) + " must be " + kLogLevelHelp);
    } else if (!arg_integer(M_ENABLE_LOG, p, 0, true, 0, AUTHGATE_LOG_TRACE, level)) {
      return fail(AUTHGATE_INVALID_ARGUMENT, error_.message + "; give " + kLogLevelHelp);
    }
    authgate_result rc = log_enable(uint32_t(*level));
    if (rc != AUTHGATE_OK) return library_error(rc);
    result = Value::boolean(true);
    return true;
  }

  // New tokens from a grant: kept, and handed to the token manager if it is on.
  bool took(authgate_token_set *ts, Value &result) {
    if (!set_tokens(ts)) return false;
    result = Value::boolean(true);
    return true;
  }

  bool set_tokens(authgate_token_set *ts) {
    authgate_token_set_free(tokens_);
    tokens_ = ts;
#ifdef AUTHGATE_1C_WITH_MANAGER
    if (ts != nullptr && manager_ != nullptr) {
      authgate_result rc = authgate_manager_set_tokens(manager_, ts);
      if (rc != AUTHGATE_OK) return library_error(rc);
    }
#endif
    return true;
  }

#ifdef AUTHGATE_1C_WITH_MANAGER
  bool need_manager() {
    return manager_ != nullptr ||
           fail(AUTHGATE_INVALID_ARGUMENT,
                "the token manager is off: call EnableManager (ВключитьМенеджер) first");
  }

  // ВключитьМенеджер(ПутьКФайлу, ЗапасСекунд) / EnableManager(StorePath, LeewaySeconds):
  // a token manager over the client, with a file store (or in memory without a path).
  // The current tokens, if any, are handed to it.
  bool enable_manager(tVariant *p, Value &result) {
    std::optional<std::string> path;
    std::optional<int64_t> leeway;
    if (!arg_string(M_ENABLE_MANAGER, p, 0, false, path) ||
        !arg_integer(M_ENABLE_MANAGER, p, 1, false, 0, 86400 * 365, leeway) || !need_client())
      return false;
    authgate_store *store = nullptr;
    authgate_result rc = AUTHGATE_OK;
    if (opt(path) != nullptr) {
      rc = authgate_store_new_file(path->c_str(), &store);
      if (rc != AUTHGATE_OK) return library_error(rc);
    }
    std::string options;
    if (leeway) options = "{\"leeway_ms\":" + std::to_string(*leeway * 1000) + "}";
    authgate_manager *manager = nullptr;
    rc = authgate_manager_new(client_, store, options.empty() ? nullptr : options.c_str(), &manager);
    if (rc != AUTHGATE_OK) {
      library_error(rc);
      authgate_store_free(store);
      return false;
    }
    if (tokens_ != nullptr) {
      rc = authgate_manager_set_tokens(manager, tokens_);
      if (rc != AUTHGATE_OK) {
        library_error(rc);
        authgate_manager_free(manager);
        authgate_store_free(store);
        return false;
      }
    }
    rc = authgate_manager_set_tokens_changed_callback(manager, &AuthGate::on_tokens_changed, this);
    if (rc != AUTHGATE_OK) {
      library_error(rc);
      authgate_manager_free(manager);
      authgate_store_free(store);
      return false;
    }
    // The platform's buffer holds one event by default and refuses the next while 1C has
    // not handled it: a burst of refreshes must not lose the newest set.
    if (host_ != nullptr && host_->GetEventBufferDepth() < kEventBufferDepth) {
      host_->SetEventBufferDepth(kEventBufferDepth);
    }
    authgate_manager_free(manager_);
    authgate_store_free(store_);
    manager_ = manager;
    store_ = store;
    result = Value::boolean(true);
    return true;
  }

  // ДействующийТокен() / ValidAccessToken() and ТокенДействующийСекунд(N) /
  // AccessTokenValidFor(N): an access token valid now (for N more seconds), refreshed
  // by the manager when needed.
  bool valid_access_token(const std::optional<int64_t> *seconds, Value &result) {
    if (!need_manager()) return false;
    char *token = nullptr;
    authgate_result rc =
        seconds ? authgate_manager_access_token_valid_for_ms(
                      manager_, uint64_t(uint32_t(**seconds)) * 1000, &token)
                : authgate_manager_access_token(manager_, &token);
    if (rc != AUTHGATE_OK) return library_error(rc);
    result = Value::string(token);
    authgate_string_free(token);
    // Mirror the manager's set (refreshed, perhaps with a rotated refresh token) in the
    // token properties, so that ТокенJSON saved now is the live one. Cached: no network.
    authgate_token_set *ts = nullptr;
    rc = authgate_manager_token_set(manager_, &ts);
    if (rc != AUTHGATE_OK) {
      wipe(result.s);
      result = Value();
      return library_error(rc);
    }
    authgate_token_set_free(tokens_);
    tokens_ = ts;
    return true;
  }
#endif

  // -- properties --

  // A string getter of a handle: Неопределено without the handle (or for a NULL).
  template <class Handle, class Getter>
  bool handle_string(const Handle *h, Getter getter, Value &v) {
    if (h == nullptr) return true;
    const char *s = nullptr;
    authgate_result rc = getter(h, &s);
    if (rc != AUTHGATE_OK) return library_error(rc);
    v = Value::optional(s);
    return true;
  }
  template <class Getter>
  bool token_string(Getter getter, Value &v) {
    return handle_string(tokens_, getter, v);
  }
  template <class Getter>
  bool auth_string(Getter getter, Value &v) {
    return handle_string(auth_, getter, v);
  }
  template <class Getter>
  bool device_string(Getter getter, Value &v) {
    return handle_string(device_, getter, v);
  }

  // A QR code of the device sign-in (a string the caller frees): Неопределено without one.
  template <class Getter>
  bool device_qr(Getter getter, Value &v) {
    if (device_ == nullptr) return true;
    char *s = nullptr;
    authgate_result rc = getter(device_, &s);  // before s is read
    return took_string(rc, s, v);
  }

  bool property(long num, Value &v) {
    switch (num) {
      case P_ACCESS_TOKEN: return token_string(authgate_token_set_access_token, v);
      case P_TOKEN_TYPE: return token_string(authgate_token_set_token_type, v);
      case P_REFRESH_TOKEN: return token_string(authgate_token_set_refresh_token, v);
      case P_SCOPE: return token_string(authgate_token_set_scope, v);
      case P_ID_TOKEN: return token_string(authgate_token_set_id_token, v);
      case P_AUTHORIZATION_HEADER: return token_string(authgate_token_set_authorization_header, v);
      case P_EXPIRES_AT: {
        if (tokens_ == nullptr) return true;
        int64_t at = -1;
        authgate_result rc = authgate_token_set_expires_at(tokens_, &at);
        if (rc != AUTHGATE_OK) return library_error(rc);
        if (at >= 0) v = Value::real(double(at));  // Unix seconds, UTC; exact in a double
        return true;
      }
      case P_TOKEN_JSON: {
        if (tokens_ == nullptr) {
          v = Value::string("");
          return true;
        }
        char *json = nullptr;
        authgate_result rc = authgate_token_set_to_json(tokens_, &json);
        if (rc != AUTHGATE_OK) return library_error(rc);
        v = Value::string(json);
        authgate_string_free(json);
        return true;
      }
      case P_AUTHORIZATION_URL: return auth_string(authgate_authorization_url, v);
      case P_STATE: return auth_string(authgate_authorization_state, v);
      case P_CODE_VERIFIER: return auth_string(authgate_authorization_pkce_verifier, v);
      case P_NONCE: return auth_string(authgate_authorization_nonce, v);
      case P_REDIRECT_URI: return auth_string(authgate_authorization_redirect_uri, v);
      case P_ERROR_MESSAGE: v = Value::string(error_.message); return true;
      case P_ERROR_CODE: v = Value::integer(int32_t(error_.code)); return true;
      case P_ERROR_NAME: v = Value::string(error_.code ? error_.name : ""); return true;
      case P_OAUTH_ERROR: v = Value::string(error_.oauth_error); return true;
      case P_OAUTH_ERROR_DESCRIPTION: v = Value::string(error_.oauth_description); return true;
      case P_HTTP_STATUS: v = Value::integer(error_.http_status); return true;
      case P_ERROR_IS_TERMINAL: v = Value::boolean(error_.terminal); return true;
      case P_ERROR_IS_TRANSIENT: v = Value::boolean(error_.transient); return true;
      case P_RETRY_AFTER: v = Value::real(double(error_.retry_after)); return true;
      case P_ERROR_JSON: v = Value::string(error_.json); return true;
      case P_THROW_ERRORS: v = Value::boolean(throw_errors_); return true;
      case P_CONFIGURED: v = Value::boolean(client_ != nullptr); return true;
      case P_MANAGER_ENABLED:
#ifdef AUTHGATE_1C_WITH_MANAGER
        v = Value::boolean(manager_ != nullptr);
#else
        v = Value::boolean(false);
#endif
        return true;
      case P_VERSION: v = Value::string(authgate_version()); return true;
      case P_USER_CODE: return device_string(authgate_device_user_code, v);
      case P_VERIFICATION_URI: return device_string(authgate_device_verification_uri, v);
      case P_VERIFICATION_URI_COMPLETE:
        return device_string(authgate_device_verification_uri_complete, v);
      case P_POLL_INTERVAL: {
        if (device_ == nullptr) return true;
        uint64_t seconds = 0;
        authgate_result rc = authgate_device_interval(device_, &seconds);
        if (rc != AUTHGATE_OK) return library_error(rc);
        v = Value::integer(int32_t(seconds));  // at most AUTHGATE_MAX_POLL_INTERVAL
        return true;
      }
      // The QR code of АдресПроверкиСКодом (or АдресПроверки), for the till's screen.
      case P_QR_SVG: return device_qr(authgate_device_qr_svg, v);
      case P_QR_TEXT: return device_qr(authgate_device_qr_text, v);
    }
    return fail(AUTHGATE_INVALID_ARGUMENT, "unknown property index " + std::to_string(num));
  }

  bool set_property(long num, tVariant *value) {
    switch (num) {
      case P_THROW_ERRORS:
        if (value->vt == VTYPE_BOOL) {
          throw_errors_ = value->bVal;
          return true;
        }
        return fail(AUTHGATE_INVALID_ARGUMENT,
                    std::string("ThrowErrors must be a Boolean, not ") + vtype_name(value->vt));
      case P_TOKEN_JSON: {
        // ТокенJSON = "" (or Неопределено) forgets the tokens; otherwise restores them
        // from the form this property returns (or a token endpoint answer).
        if (value->vt == VTYPE_EMPTY) return set_tokens(nullptr);
        if (value->vt != VTYPE_PWSTR)
          return fail(AUTHGATE_INVALID_ARGUMENT,
                      std::string("TokenJson must be a String, not ") + vtype_name(value->vt));
        std::string json, err;
        Wipe w{&json, nullptr};
        if (value->pwstrVal == nullptr && value->wstrLen != 0)
          return fail(AUTHGATE_INVALID_ARGUMENT, "TokenJson: a NULL string");
        if (value->wstrLen != 0 && !utf16_to_utf8(value->pwstrVal, value->wstrLen, json, err))
          return fail(AUTHGATE_INVALID_ARGUMENT, "TokenJson: " + err);
        if (skip_ws(json) == json.size()) return set_tokens(nullptr);
        if (json.find('\0') != std::string::npos)
          return fail(AUTHGATE_INVALID_ARGUMENT, "TokenJson contains a NUL character");
        authgate_token_set *ts = nullptr;
        authgate_result rc = authgate_token_set_new_from_json(json.c_str(), &ts);
        if (rc != AUTHGATE_OK) return library_error(rc);
        return set_tokens(ts);
      }
    }
    return fail(AUTHGATE_INVALID_ARGUMENT, "property " + std::to_string(num) + " is read-only");
  }
};

AppCapabilities g_capabilities = eAppCapabilitiesInvalid;

}  // namespace
}  // namespace authgate1c

// ---- the exported entry points [ITS, TPL ComponentBase.h] ----------------------------

extern "C" AUTHGATE_1C_EXPORT const WCHAR_T *GetClassNames() {
  // Static: the platform does not free it. "|"-separated if there were several classes.
  return authgate1c::kClassNameUnits;
}

extern "C" AUTHGATE_1C_EXPORT long GetClassObject(const WCHAR_T *wsName, IComponentBase **pIntf) {
  try {
    if (pIntf == nullptr || *pIntf != nullptr || wsName == nullptr) return 0;
    if (!authgate1c::same_name(wsName, authgate1c::kClassName)) return 0;
    *pIntf = new (std::nothrow) authgate1c::AuthGate();
    return *pIntf != nullptr ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

extern "C" AUTHGATE_1C_EXPORT long DestroyObject(IComponentBase **pIntf) {
  try {
    if (pIntf == nullptr || *pIntf == nullptr) return -1;
    delete *pIntf;
    *pIntf = nullptr;
    return 0;
  } catch (...) {
    return -1;
  }
}

extern "C" AUTHGATE_1C_EXPORT AppCapabilities
SetPlatformCapabilities(const AppCapabilities capabilities) {
  authgate1c::g_capabilities = capabilities;
  return eAppCapabilitiesLast;
}

// The add-in keeps no global state a separate process would break, and does not need
// the platform's window: it may run inside the platform's process or isolated.
extern "C" AUTHGATE_1C_EXPORT AttachType GetAttachType() { return eCanAttachAny; }
