// The test host: plays the 1C:Enterprise platform for the AuthGate add-in.
//
// It loads the add-in as the platform does (dlopen, the exported entry points,
// SetPlatformCapabilities, GetClassNames, GetClassObject, then Init with a host object
// implementing IAddInDefBase, setMemManager with a host IMemoryManager, and
// RegisterExtensionAs), finds methods and properties by name in either language and any
// case, fills omitted parameters through GetParamDefValue, calls CallAsFunc/CallAsProc
// with tVariant arguments and frees every string the add-in returns with FreeMemory.
// The memory manager records each allocation, so the test proves that returned strings
// come from it and that none is leaked or freed twice.
//
// Each preset's flow runs against the provider emulator (AUTHGATE_EMULATOR_URL); the host
// plays the browser for the authorization endpoints with a plain socket GET.
//
// usage: authgate-1c-host path/to/libAuthGate1C.so   (prints "N passed, M failed")

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "native_api.h"

namespace {

int g_passed = 0, g_failed = 0;

#define CHECK(cond)                                                              \
  do {                                                                           \
    if (!(cond)) {                                                               \
      std::fprintf(stderr, "  FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond);   \
      return false;                                                              \
    }                                                                            \
  } while (0)

// ---- text helpers (independent of the add-in's converter) -------------------------

std::string to_utf8(const std::u16string &s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    uint32_t c = s[i];
    if (c >= 0xD800 && c < 0xDC00 && i + 1 < s.size()) {
      c = 0x10000 + ((c - 0xD800) << 10) + (s[++i] - 0xDC00);
    }
    if (c < 0x80) {
      out += char(c);
    } else if (c < 0x800) {
      out += char(0xC0 | (c >> 6));
      out += char(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += char(0xE0 | (c >> 12));
      out += char(0x80 | ((c >> 6) & 0x3F));
      out += char(0x80 | (c & 0x3F));
    } else {
      out += char(0xF0 | (c >> 18));
      out += char(0x80 | ((c >> 12) & 0x3F));
      out += char(0x80 | ((c >> 6) & 0x3F));
      out += char(0x80 | (c & 0x3F));
    }
  }
  return out;
}

// ASCII only (URLs, JSON of ASCII text); enough for the host's own strings.
std::u16string ascii16(const std::string &s) { return std::u16string(s.begin(), s.end()); }

std::u16string units_to_u16(const WCHAR_T *w, size_t n) {
  std::u16string s;
  for (size_t i = 0; i < n; ++i) s.push_back(char16_t(w[i]));
  return s;
}

std::u16string units_to_u16(const WCHAR_T *w) {
  size_t n = 0;
  while (w[n] != 0) ++n;
  return units_to_u16(w, n);
}

std::vector<WCHAR_T> to_units(const std::u16string &s) {
  std::vector<WCHAR_T> v(s.begin(), s.end());
  v.push_back(0);
  return v;
}

// ---- the platform's side -----------------------------------------------------------

// Records every allocation made through it. Thread-safe: objects on several threads
// share it, as sessions of a 1C server share a process.
class HostMemory final : public IMemoryManager {
 public:
  std::map<void *, unsigned long> live;
  long allocations = 0, frees = 0, bad_frees = 0;
  bool refuse = false;
  std::mutex mu;

  bool ADDIN_API AllocMemory(void **p, unsigned long bytes) override {
    if (p == nullptr) return false;
    std::lock_guard<std::mutex> lock(mu);
    if (refuse) {
      *p = nullptr;
      return false;
    }
    *p = std::malloc(bytes ? bytes : 1);
    if (*p == nullptr) return false;
    live[*p] = bytes;
    ++allocations;
    return true;
  }
  void ADDIN_API FreeMemory(void **p) override {
    if (p == nullptr || *p == nullptr) return;
    std::lock_guard<std::mutex> lock(mu);
    auto it = live.find(*p);
    if (it == live.end()) {
      ++bad_frees;
      return;
    }
    live.erase(it);
    std::free(*p);
    *p = nullptr;
    ++frees;
  }
  bool owns(const void *p) {
    std::lock_guard<std::mutex> lock(mu);
    return live.count(const_cast<void *>(p)) != 0;
  }
};

// The platform object handed to Init: records what the add-in tells it.
class HostConnection final : public IAddInDefBaseEx {
 public:
  struct Error {
    unsigned short wcode;
    std::u16string source, descr;
    long scode;
  };
  std::vector<Error> errors;
  struct Event {
    std::u16string source, message, data;
  };
  std::vector<std::u16string> profiles, events, status;
  std::vector<Event> event_details;
  long depth = 1;

  bool ADDIN_API AddError(unsigned short wcode, const WCHAR_T *source, const WCHAR_T *descr,
                          long scode) override {
    errors.push_back({wcode, source ? units_to_u16(source) : u"", descr ? units_to_u16(descr) : u"",
                      scode});
    return true;
  }
  bool ADDIN_API Read(WCHAR_T *, tVariant *, long *, WCHAR_T **) override { return false; }
  bool ADDIN_API Write(WCHAR_T *, tVariant *) override { return false; }
  bool ADDIN_API RegisterProfileAs(WCHAR_T *name) override {
    profiles.push_back(name ? units_to_u16(name) : u"");
    return true;
  }
  bool ADDIN_API SetEventBufferDepth(long d) override {
    depth = d;
    return true;
  }
  long ADDIN_API GetEventBufferDepth() override { return depth; }
  bool ADDIN_API ExternalEvent(WCHAR_T *source, WCHAR_T *message, WCHAR_T *data) override {
    events.push_back(source ? units_to_u16(source) : u"");
    event_details.push_back({source ? units_to_u16(source) : u"",
                             message ? units_to_u16(message) : u"", data ? units_to_u16(data) : u""});
    return true;
  }
  void ADDIN_API CleanEventBuffer() override {
    events.clear();
    event_details.clear();
  }
  bool ADDIN_API SetStatusLine(WCHAR_T *line) override {
    status.push_back(line ? units_to_u16(line) : u"");
    return true;
  }
  void ADDIN_API ResetStatusLine() override { status.clear(); }
  IInterface *ADDIN_API GetInterface(Interfaces) override { return nullptr; }
};

struct Library {
  void *handle = nullptr;
  GetClassNamesPtr get_class_names = nullptr;
  GetClassObjectPtr get_class_object = nullptr;
  DestroyObjectPtr destroy_object = nullptr;
  SetPlatformCapabilitiesPtr set_capabilities = nullptr;
  GetAttachTypePtr get_attach_type = nullptr;
};

Library g_lib;
HostMemory g_mem;
std::string g_emulator;  // http://127.0.0.1:PORT
int g_port = 0;

// ---- values --------------------------------------------------------------------------

// Arguments as the platform builds them: strings in memory the platform owns.
struct Args {
  std::vector<std::vector<WCHAR_T>> strings;
  std::vector<tVariant> v;

  static tVariant blank() {
    tVariant t;
    std::memset(&t, 0, sizeof t);
    t.vt = VTYPE_EMPTY;
    return t;
  }
  Args &str(const std::u16string &s) {
    strings.push_back(to_units(s));
    tVariant t = blank();
    t.vt = VTYPE_PWSTR;
    t.pwstrVal = strings.back().data();
    t.wstrLen = uint32_t(s.size());
    v.push_back(t);
    return *this;
  }
  Args &str(const std::string &ascii_or_utf8_free) { return str(ascii16(ascii_or_utf8_free)); }
  Args &str(const char *s) { return str(std::string(s)); }
  Args &i4(int32_t n) {
    tVariant t = blank();
    t.vt = VTYPE_I4;
    t.lVal = n;
    v.push_back(t);
    return *this;
  }
  Args &r8(double d) {
    tVariant t = blank();
    t.vt = VTYPE_R8;
    t.dblVal = d;
    v.push_back(t);
    return *this;
  }
  Args &boolean(bool b) {
    tVariant t = blank();
    t.vt = VTYPE_BOOL;
    t.bVal = b;
    v.push_back(t);
    return *this;
  }
  Args &empty() {
    v.push_back(blank());
    return *this;
  }
};

// Reads a returned value and frees its string through the host memory manager, as the
// platform does after copying it into a 1C value. Remembers whether the string came
// from the host's allocator.
struct Got {
  TYPEVAR vt = VTYPE_EMPTY;
  std::u16string s;
  bool b = false;
  double n = 0;
  bool string_from_host_allocator = true;

  std::string utf8() const { return to_utf8(s); }
  bool is_empty() const { return vt == VTYPE_EMPTY; }
  bool is_true() const { return vt == VTYPE_BOOL && b; }
  bool is_false() const { return vt == VTYPE_BOOL && !b; }
};

bool g_foreign_string = false;  // a string not allocated by the host's memory manager

Got take(tVariant &t) {
  Got g;
  g.vt = t.vt;
  switch (t.vt) {
    case VTYPE_PWSTR:
      if (!g_mem.owns(t.pwstrVal)) {
        g.string_from_host_allocator = false;
        g_foreign_string = true;
      }
      g.s = units_to_u16(t.pwstrVal, t.wstrLen);
      if (t.pwstrVal[t.wstrLen] != 0) g_foreign_string = true;  // must be NUL-terminated
      {
        void *p = t.pwstrVal;
        g_mem.FreeMemory(&p);
      }
      break;
    case VTYPE_BOOL: g.b = t.bVal; break;
    case VTYPE_I4: g.n = t.lVal; break;
    case VTYPE_R8: g.n = t.dblVal; break;
    default: break;
  }
  std::memset(&t, 0, sizeof t);
  return g;
}

// One add-in object, created and initialised as the platform does.
struct Object {
  IComponentBase *obj = nullptr;
  HostConnection host;
  bool ok = false;

  Object() {
    if (g_lib.get_class_object(to_units(u"AuthGate").data(), &obj) == 0 || obj == nullptr) return;
    if (!obj->Init(static_cast<IAddInDefBase *>(&host))) return;
    if (!obj->setMemManager(static_cast<IMemoryManager *>(&g_mem))) return;
    if (obj->GetInfo() != 2000) return;
    WCHAR_T *name = nullptr;
    if (!obj->RegisterExtensionAs(&name) || name == nullptr) return;
    bool right = g_mem.owns(name) && units_to_u16(name) == u"AuthGate";
    void *p = name;
    g_mem.FreeMemory(&p);
    obj->SetLocale(to_units(u"ru_RU").data());
    obj->SetUserInterfaceLanguageCode(to_units(u"ru").data());
    ok = right;
  }
  ~Object() {
    if (obj != nullptr) {
      obj->Done();
      g_lib.destroy_object(&obj);
    }
  }

  long method(const std::u16string &name) { return obj->FindMethod(to_units(name).data()); }
  long prop(const std::u16string &name) { return obj->FindProp(to_units(name).data()); }

  // Calls a method by name as the platform does: omitted parameters are filled from
  // GetParamDefValue; `ok_out` receives CallAsFunc's own result.
  Got call(const std::u16string &name, Args args = Args(), bool *ok_out = nullptr) {
    Got none;
    long m = method(name);
    if (m < 0) {
      std::fprintf(stderr, "  no method %s\n", to_utf8(name).c_str());
      if (ok_out) *ok_out = false;
      return none;
    }
    long n = obj->GetNParams(m);
    for (long i = long(args.v.size()); i < n; ++i) {
      tVariant d = Args::blank();
      if (!obj->GetParamDefValue(m, i, &d)) {
        std::fprintf(stderr, "  %s: parameter %ld has no default\n", to_utf8(name).c_str(), i + 1);
        if (ok_out) *ok_out = false;
        return none;
      }
      args.v.push_back(d);
    }
    tVariant ret = Args::blank();
    bool ok = obj->CallAsFunc(m, &ret, args.v.empty() ? nullptr : args.v.data(), long(args.v.size()));
    if (ok_out) *ok_out = ok;
    Got g = take(ret);
    if (!ok && g.vt != VTYPE_EMPTY && g.vt != VTYPE_BOOL) g_foreign_string = true;
    return g;
  }

  Got get(const std::u16string &name) {
    long p = prop(name);
    if (p < 0 || !obj->IsPropReadable(p)) {
      std::fprintf(stderr, "  no readable property %s\n", to_utf8(name).c_str());
      return Got();
    }
    tVariant v = Args::blank();
    if (!obj->GetPropVal(p, &v)) return Got();
    return take(v);
  }

  bool set(const std::u16string &name, tVariant v) {
    long p = prop(name);
    if (p < 0 || !obj->IsPropWritable(p)) return false;
    return obj->SetPropVal(p, &v);
  }

  std::string error() { return get(u"ErrorMessage").utf8(); }
};

// ---- the browser ---------------------------------------------------------------------

// Sends one request to 127.0.0.1:port and returns the whole response ("" on failure).
std::string round_trip(int port, const std::string &request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0 &&
      write(fd, request.data(), request.size()) == ssize_t(request.size())) {
    char buf[4096];
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0) response.append(buf, size_t(r));
  }
  close(fd);
  return response;
}

// GETs an http://127.0.0.1:PORT/... URL and returns the Location header of a 302.
std::string browse(const std::string &url) {
  const std::string prefix = "http://127.0.0.1:";
  if (url.compare(0, prefix.size(), prefix) != 0) return "";
  size_t slash = url.find('/', prefix.size());
  int port = std::atoi(url.substr(prefix.size(), slash - prefix.size()).c_str());
  std::string path = slash == std::string::npos ? "/" : url.substr(slash);
  std::string response = round_trip(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                                              std::to_string(port) + "\r\nConnection: close\r\n\r\n");
  if (response.compare(0, 12, "HTTP/1.1 302") != 0) {
    std::fprintf(stderr, "  authorize answered: %.200s\n", response.c_str());
    return "";
  }
  for (const char *h : {"\r\nLocation: ", "\r\nlocation: "}) {
    size_t at = response.find(h);
    if (at != std::string::npos) {
      at += std::strlen(h);
      return response.substr(at, response.find("\r\n", at) - at);
    }
  }
  return "";
}

// POSTs a control command (/_emulator/...) with a JSON body; true on 200.
bool emulator_control(const std::string &command, const std::string &json) {
  std::string response = round_trip(
      g_port, "POST /_emulator/" + command + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                  "Connection: close\r\nContent-Type: application/json\r\nContent-Length: " +
                  std::to_string(json.size()) + "\r\n\r\n" + json);
  return response.compare(0, 12, "HTTP/1.1 200") == 0;
}

std::string emulator_options(const std::string &id, const std::string &secret) {
  return "{\"base_url\":\"" + g_emulator + "\",\"client_id\":\"" + id + "\",\"client_secret\":\"" +
         secret + "\",\"redirect_uri\":\"http://127.0.0.1/callback\",\"timeout_ms\":10000}";
}

// Authorization URL -> browser -> ParseCallback -> ExchangeCode, through the add-in.
bool code_flow(Object &o) {
  Got url = o.call(u"ПолучитьАдресАвторизации");
  CHECK(url.vt == VTYPE_PWSTR && url.string_from_host_allocator);
  CHECK(o.get(u"АдресАвторизации").s == url.s);
  Got state = o.get(u"State");
  CHECK(state.vt == VTYPE_PWSTR && state.s.size() >= 16);
  CHECK(url.utf8().find("state=" + state.utf8()) != std::string::npos);
  Got verifier = o.get(u"ПроверочныйКод");
  CHECK(verifier.vt == VTYPE_PWSTR && verifier.s.size() >= 43);
  std::string location = browse(url.utf8());
  CHECK(location.rfind("http://127.0.0.1/callback?", 0) == 0);
  Got code = o.call(u"РазобратьОтвет", Args().str(location));
  CHECK(code.vt == VTYPE_PWSTR && !code.s.empty());
  Got exchanged = o.call(u"ОбменятьКод", Args().str(code.s));
  if (!exchanged.is_true()) std::fprintf(stderr, "  exchange: %s\n", o.error().c_str());
  CHECK(exchanged.is_true());
  CHECK(o.get(u"ErrorCode").n == 0 && o.get(u"ОписаниеОшибки").s.empty());
  return true;
}

// ---- tests ---------------------------------------------------------------------------

bool test_entry_points() {
  CHECK(units_to_u16(g_lib.get_class_names()) == u"AuthGate");
  CHECK(g_lib.set_capabilities(eAppCapabilities3) == eAppCapabilitiesLast);
  AttachType t = g_lib.get_attach_type();
  CHECK(t == eCanAttachAny || t == eCanAttachIsolated || t == eCanAttachNotIsolated);
  IComponentBase *obj = nullptr;
  CHECK(g_lib.get_class_object(to_units(u"NoSuchClass").data(), &obj) == 0 && obj == nullptr);
  CHECK(g_lib.get_class_object(nullptr, &obj) == 0);
  CHECK(g_lib.destroy_object(&obj) != 0);  // nothing to destroy
  Object o;
  CHECK(o.ok);
  return true;
}

bool test_names_in_both_languages() {
  Object o;
  CHECK(o.ok);
  long nm = o.obj->GetNMethods();
  CHECK(nm >= 8);
  for (long i = 0; i < nm; ++i) {
    for (long alias = 0; alias < 2; ++alias) {
      const WCHAR_T *name = o.obj->GetMethodName(i, alias);
      CHECK(name != nullptr && g_mem.owns(name));
      std::u16string s = units_to_u16(name);
      void *p = const_cast<WCHAR_T *>(name);
      g_mem.FreeMemory(&p);
      CHECK(!s.empty());
      CHECK(o.method(s) == i);
      // 1C ignores case, Cyrillic included.
      std::u16string upper = s, lower = s;
      for (auto &c : upper) {
        if (c >= u'a' && c <= u'z') c = char16_t(c - 32);
        else if (c >= 0x0430 && c <= 0x044F) c = char16_t(c - 32);
        else if (c == 0x0451) c = 0x0401;
      }
      for (auto &c : lower) {
        if (c >= u'A' && c <= u'Z') c = char16_t(c + 32);
        else if (c >= 0x0410 && c <= 0x042F) c = char16_t(c + 32);
      }
      CHECK(o.method(upper) == i);
      CHECK(o.method(lower) == i);
    }
    CHECK(o.obj->HasRetVal(i));
  }
  long np = o.obj->GetNProps();
  CHECK(np >= 20);
  for (long i = 0; i < np; ++i) {
    for (long alias = 0; alias < 2; ++alias) {
      const WCHAR_T *name = o.obj->GetPropName(i, alias);
      CHECK(name != nullptr && g_mem.owns(name));
      std::u16string s = units_to_u16(name);
      void *p = const_cast<WCHAR_T *>(name);
      g_mem.FreeMemory(&p);
      CHECK(o.prop(s) == i);
    }
    CHECK(o.obj->IsPropReadable(i));
  }
  CHECK(o.obj->GetMethodName(nm, 0) == nullptr);
  CHECK(o.obj->GetPropName(-1, 1) == nullptr);
  CHECK(o.method(u"NoSuchMethod") == -1 && o.prop(u"НетТакого") == -1);
  CHECK(o.obj->FindMethod(nullptr) == -1);
  // The names a 1C developer writes.
  for (const char16_t *n : {u"Настроить", u"Configure", u"ПолучитьАдресАвторизации",
                            u"GetAuthorizationUrl", u"РазобратьОтвет", u"ParseCallback",
                            u"ОбменятьКод", u"ExchangeCode", u"Обновить", u"Refresh",
                            u"ВойтиПоПаролю", u"Password", u"УчетныеДанныеКлиента",
                            u"ClientCredentials", u"ВключитьМенеджер", u"EnableManager",
                            u"ДействующийТокен", u"ValidAccessToken", u"ТокенДействующийСекунд",
                            u"AccessTokenValidFor", u"СброситьТокен", u"Invalidate",
                            u"НачатьВходНаУстройстве", u"StartDeviceSignIn",
                            u"ОпроситьВходНаУстройстве", u"PollDeviceSignIn",
                            u"ВходНаУстройствеJSON", u"DeviceSignInJson",
                            u"ПродолжитьВходНаУстройстве", u"ResumeDeviceSignIn",
                            u"ВключитьЖурнал", u"EnableLog", u"ПрочитатьЖурнал", u"ReadLog"})
    CHECK(o.method(n) >= 0);
  for (const char16_t *n :
       {u"ТокенДоступа", u"AccessToken", u"ТипТокена", u"TokenType", u"ИстекаетВ", u"ExpiresAt",
        u"ТокенОбновления", u"RefreshToken", u"Область", u"Scope", u"IdToken", u"ТокенJSON",
        u"TokenJson", u"ОписаниеОшибки", u"ErrorMessage", u"КодОшибки", u"ErrorCode",
        u"ОшибкаOAuth", u"OAuthError", u"ОписаниеОшибкиOAuth", u"OAuthErrorDescription",
        u"HTTPСтатус", u"HttpStatus", u"ОшибкаОкончательная", u"ErrorIsTerminal",
        u"ОшибкаВременная", u"ErrorIsTransient", u"ВызыватьИсключения", u"ThrowErrors",
        u"тОкЕнJsOn", u"httpстатус", u"КодПользователя", u"UserCode", u"АдресПроверки",
        u"VerificationUri", u"АдресПроверкиСКодом", u"VerificationUriComplete",
        u"ИнтервалОпроса", u"PollInterval", u"QRКодSVG", u"QrCodeSvg", u"QRКодТекст",
        u"QrCodeText"})
    CHECK(o.prop(n) >= 0);
  CHECK(o.obj->IsPropWritable(o.prop(u"ТокенJSON")));
  CHECK(o.obj->IsPropWritable(o.prop(u"ВызыватьИсключения")));
  CHECK(!o.obj->IsPropWritable(o.prop(u"AccessToken")));
  return true;
}

bool test_parameters_and_defaults() {
  Object o;
  CHECK(o.ok);
  struct Expect {
    const char16_t *name;
    long n, required;
  };
  for (const Expect &e : {Expect{u"Configure", 2, 1}, Expect{u"GetAuthorizationUrl", 2, 0},
                          Expect{u"ParseCallback", 1, 1}, Expect{u"ExchangeCode", 1, 1},
                          Expect{u"Refresh", 1, 0}, Expect{u"Password", 3, 2},
                          Expect{u"ClientCredentials", 1, 0}, Expect{u"EnableManager", 2, 0},
                          Expect{u"ValidAccessToken", 0, 0}, Expect{u"AccessTokenValidFor", 1, 1},
                          Expect{u"Invalidate", 0, 0}, Expect{u"StartDeviceSignIn", 1, 0},
                          Expect{u"PollDeviceSignIn", 0, 0}, Expect{u"DeviceSignInJson", 0, 0},
                          Expect{u"ResumeDeviceSignIn", 1, 1}, Expect{u"EnableLog", 1, 1},
                          Expect{u"ReadLog", 0, 0}}) {
    long m = o.method(e.name);
    CHECK(m >= 0 && o.obj->GetNParams(m) == e.n);
    for (long i = 0; i < e.n; ++i) {
      tVariant d = Args::blank();
      d.vt = VTYPE_NULL;
      bool has = o.obj->GetParamDefValue(m, i, &d);
      CHECK(has == (i >= e.required));
      if (has) CHECK(d.vt == VTYPE_EMPTY);
    }
    tVariant d = Args::blank();
    CHECK(!o.obj->GetParamDefValue(m, e.n, &d));
  }
  CHECK(o.obj->GetNParams(9999) == 0);
  tVariant d = Args::blank();
  CHECK(!o.obj->GetParamDefValue(9999, 0, &d));
  CHECK(!o.obj->GetParamDefValue(0, 1, nullptr));
  return true;
}

bool test_taxcom_code_flow() {
  Object o;
  CHECK(o.ok);
  Got r = o.call(u"Настроить", Args().str("taxcom").str(emulator_options("taxcom-app", "taxcom-secret")));
  if (!r.is_true()) std::fprintf(stderr, "  configure: %s\n", o.error().c_str());
  CHECK(r.is_true());
  CHECK(o.get(u"Настроена").is_true());
  CHECK(o.get(u"AccessToken").is_empty());  // no tokens yet: Неопределено
  CHECK(code_flow(o));
  CHECK(o.get(u"Nonce").is_empty());  // no openid scope, no nonce
  Got token = o.get(u"ТокенДоступа");
  CHECK(token.vt == VTYPE_PWSTR && !token.s.empty() && token.string_from_host_allocator);
  CHECK(o.get(u"ТипТокена").s == u"Bearer");
  Got at = o.get(u"ИстекаетВ");
  CHECK(at.vt == VTYPE_R8 && at.n > double(std::time(nullptr)) + 3599000.0);
  CHECK(o.get(u"ТокенОбновления").is_empty());  // Taxcom issues none
  CHECK(o.get(u"ЗаголовокАвторизации").s == u"Bearer " + token.s);
  CHECK(o.get(u"Область").s == u"api");
  // The code is one-time: a second exchange fails with invalid_grant, as a result.
  return true;
}

// GetAuthorizationUrl's Scopes and ExtraParamsJson reach the URL (the add-in hands them to
// authgate_client_authorization_url_with as one options object); a parameters argument
// that is not a JSON object of strings is the library's invalid-argument error.
bool test_authorization_url_scopes_and_params() {
  Object o;
  CHECK(o.ok);
  CHECK(o.call(u"Configure", Args().str("generic").str(emulator_options("client", "secret"))).is_true());
  Got url = o.call(u"GetAuthorizationUrl", Args().str("openid \"profile\"").str("{\"prompt\":\"login\"}"));
  CHECK(url.vt == VTYPE_PWSTR);
  CHECK(url.utf8().find("scope=openid+%22profile%22") != std::string::npos);
  CHECK(url.utf8().find("prompt=login") != std::string::npos);
  Got plain = o.call(u"GetAuthorizationUrl", Args().str("").str(""));
  CHECK(plain.vt == VTYPE_PWSTR && plain.utf8().find("prompt=") == std::string::npos);
  CHECK(o.call(u"GetAuthorizationUrl", Args().str("openid").str("[1]")).is_empty());
  CHECK(o.get(u"ErrorCode").n == 100);
  CHECK(o.call(u"GetAuthorizationUrl", Args().str("").str("{\"state\":\"mine\"}")).is_empty());
  CHECK(o.get(u"ErrorCode").n != 0);
  return true;
}

bool test_kontur_code_flow_one_json() {
  Object o;
  CHECK(o.ok);
  std::string json = emulator_options("kontur-service", "kontur-api-key");
  json.insert(1, "\"provider\":\"kontur\",");
  Got r = o.call(u"Configure", Args().str(json));  // one JSON string, Options omitted
  if (!r.is_true()) std::fprintf(stderr, "  configure: %s\n", o.error().c_str());
  CHECK(r.is_true());
  Got url = o.call(u"GetAuthorizationUrl");
  CHECK(url.utf8().find("scope=openid+extern.api") != std::string::npos);
  Got nonce = o.get(u"ЗначениеNonce");
  CHECK(nonce.vt == VTYPE_PWSTR && nonce.s.size() >= 16);
  CHECK(url.utf8().find("nonce=" + nonce.utf8()) != std::string::npos);
  CHECK(o.get(u"RedirectUri").s == u"http://127.0.0.1/callback");
  CHECK(code_flow(o));
  Got id = o.get(u"IdToken");
  CHECK(id.vt == VTYPE_PWSTR && id.utf8().find('.') != std::string::npos);
  CHECK(o.get(u"Scope").utf8().find("extern.api") != std::string::npos);
  return true;
}

bool test_gearcode_rotation_and_client_credentials() {
  Object o;
  CHECK(o.ok);
  CHECK(o.call(u"Configure", Args().str("gearcode").str(emulator_options("gearcode-client", "gearcode-secret"))).is_true());
  CHECK(code_flow(o));
  CHECK(o.get(u"TokenType").s == u"Bearer");  // GearCode sends "bearer"
  Got rt1 = o.get(u"RefreshToken");
  CHECK(rt1.vt == VTYPE_PWSTR && !rt1.s.empty());
  CHECK(o.call(u"Обновить").is_true());  // the current refresh token
  Got rt2 = o.get(u"RefreshToken");
  CHECK(!rt2.s.empty() && rt2.s != rt1.s);  // rotated
  // The old refresh token is dead: a failed result, not a failed call.
  bool ok = false;
  Got r = o.call(u"Refresh", Args().str(rt1.s), &ok);
  CHECK(ok && r.is_false());
  CHECK(o.get(u"КодОшибки").n == 301);
  CHECK(o.get(u"ИмяОшибки").s == u"invalid_grant");
  CHECK(o.get(u"ОшибкаOAuth").s == u"invalid_grant");
  CHECK(o.get(u"HTTPСтатус").n == 400);
  CHECK(o.get(u"ОшибкаОкончательная").is_true());
  CHECK(o.get(u"ОшибкаВременная").is_false());
  CHECK(!o.get(u"ОписаниеОшибки").s.empty());
  CHECK(o.get(u"ОшибкаJSON").utf8().find("\"invalid_grant\"") != std::string::npos);
  // The tokens are unchanged by the failure; the new refresh token works.
  CHECK(o.get(u"RefreshToken").s == rt2.s);
  CHECK(o.call(u"Refresh").is_true());
  CHECK(o.get(u"ErrorCode").n == 0 && o.get(u"ОшибкаOAuth").s.empty());
  CHECK(o.call(u"УчетныеДанныеКлиента").is_true());
  CHECK(!o.get(u"AccessToken").s.empty());
  return true;
}

bool test_cuba_password_cyrillic_refresh_and_persistence() {
  std::u16string saved;
  std::u16string access;
  {
    Object o;
    CHECK(o.ok);
    std::string opts = "{\"base_url\":\"" + g_emulator +
                       "\",\"client_id\":\"client\",\"client_secret\":\"secret\",\"timeout_ms\":10000}";
    CHECK(o.call(u"Настроить", Args().str("CUBA").str(opts)).is_true());
    // A Cyrillic login and a password with & = + % spaces and ё, as UTF-16 from 1C.
    Got r = o.call(u"ВойтиПоПаролю", Args().str(u"кассир").str(u"p&s=w+o%rd 1 ё"));
    if (!r.is_true()) std::fprintf(stderr, "  password: %s\n", o.error().c_str());
    CHECK(r.is_true());
    CHECK(o.get(u"Scope").s == u"rest-api");
    Got rt = o.get(u"RefreshToken");
    CHECK(!rt.s.empty());
    CHECK(o.call(u"Refresh").is_true());
    CHECK(o.get(u"RefreshToken").s == rt.s);  // CUBA does not rotate: the old one is kept
    // A wrong password is an OAuth failure with its fields.
    Got bad = o.call(u"Password", Args().str(u"кассир").str(u"неверный"));
    CHECK(bad.is_false());
    CHECK(o.get(u"OAuthError").s == u"invalid_grant");
    CHECK(o.get(u"ErrorIsTerminal").is_true());
    // The successful tokens stay; persist them.
    Got json = o.get(u"ТокенJSON");
    CHECK(json.vt == VTYPE_PWSTR && json.utf8().find("expires_at") != std::string::npos);
    saved = json.s;
    access = o.get(u"AccessToken").s;
  }
  Object o2;
  CHECK(o2.ok);
  Args restore;
  restore.str(saved);
  CHECK(o2.set(u"ТокенJSON", restore.v[0]));
  CHECK(o2.get(u"AccessToken").s == access);
  CHECK(o2.get(u"Scope").s == u"rest-api");
  // Restored tokens + a configured client: refresh works after a "restart".
  std::string opts = "{\"base_url\":\"" + g_emulator +
                     "\",\"client_id\":\"client\",\"client_secret\":\"secret\"}";
  CHECK(o2.call(u"Configure", Args().str("cuba").str(opts)).is_true());
  CHECK(o2.get(u"AccessToken").is_empty());  // Configure starts afresh
  Args a;
  a.str(saved);
  CHECK(o2.set(u"TokenJson", a.v[0]));
  CHECK(o2.call(u"Обновить").is_true());
  CHECK(o2.get(u"AccessToken").s != access);
  // Clearing: "" forgets the tokens.
  Args e;
  e.str(u"");
  CHECK(o2.set(u"TokenJson", e.v[0]));
  CHECK(o2.get(u"AccessToken").is_empty() && o2.get(u"TokenJson").s.empty());
  return true;
}

bool test_token_manager() {
  Object o;
  CHECK(o.ok);
  std::string opts = "{\"base_url\":\"" + g_emulator +
                     "\",\"client_id\":\"client\",\"client_secret\":\"secret\",\"timeout_ms\":10000}";
  CHECK(o.call(u"Configure", Args().str("cuba").str(opts)).is_true());
  // Before it is on: a failed result explaining why.
  Got r = o.call(u"ДействующийТокен");
  CHECK(r.is_empty() && o.error().find("EnableManager") != std::string::npos);
  CHECK(o.call(u"ВключитьМенеджер").is_true());
  CHECK(o.get(u"МенеджерВключен").is_true());
  // No tokens yet: sign-in required (330), a value method answers Неопределено.
  r = o.call(u"ValidAccessToken");
  CHECK(r.is_empty() && o.get(u"ErrorCode").n == 330);
  CHECK(o.call(u"Password", Args().str(u"admin").str(u"admin")).is_true());
  std::u16string first = o.get(u"AccessToken").s;
  CHECK(o.host.event_details.empty());  // the module's own sign-in: not an event
  Got valid = o.call(u"ДействующийТокен");
  CHECK(valid.vt == VTYPE_PWSTR && valid.s == first);  // cached, still valid
  // Valid for N more seconds: the fresh token covers 43000 s of CUBA's 43198 s lifetime;
  // more than the lifetime is refused by the library (a refresh could not help).
  Got longer = o.call(u"ТокенДействующийСекунд", Args().r8(43000));
  CHECK(longer.vt == VTYPE_PWSTR && longer.s == first);
  CHECK(o.call(u"ТокенДействующийСекунд", Args().i4(50000)).is_empty());
  CHECK(o.get(u"ErrorCode").n == 100 && o.error().find("43198") != std::string::npos);
  // After a 401 from the API: invalidate, and the next call refreshes.
  CHECK(o.call(u"СброситьТокен").is_true());
  Got after = o.call(u"ValidAccessToken");
  CHECK(after.vt == VTYPE_PWSTR && after.s != first);
  CHECK(o.get(u"AccessToken").s == after.s);  // the properties follow the manager
  // Every new set the manager obtains is told to 1C as the external event
  // ("AuthGate", "ТокеныИзменены", ТокенJSON), for a module keeping tokens in the infobase;
  // sets given to it (the sign-in above, ТокенJSON) are the module's own and not told.
  CHECK(o.host.depth >= 16);  // a burst of refreshes is not refused by a full buffer
  CHECK(!o.host.event_details.empty());
  if (!o.host.event_details.empty()) {
    const HostConnection::Event &e = o.host.event_details.back();  // the newest set
    CHECK(e.source == u"AuthGate" && e.message == u"ТокеныИзменены");
    CHECK(e.data == o.get(u"ТокенJSON").s);
    CHECK(to_utf8(e.data).find(to_utf8(after.s)) != std::string::npos);
  }
  size_t told = o.host.event_details.size();
  CHECK(o.call(u"СброситьТокен").is_true());
  Got again = o.call(u"ValidAccessToken");
  CHECK(again.vt == VTYPE_PWSTR && again.s != after.s);
  CHECK(o.host.event_details.size() == told + 1);  // one refresh, one event
  CHECK(o.host.event_details.back().data == o.get(u"ТокенJSON").s);
  // Wrong argument types and ranges.
  CHECK(o.call(u"AccessTokenValidFor", Args().str("60")).is_empty());
  CHECK(o.get(u"ErrorCode").n == 100);
  CHECK(o.call(u"AccessTokenValidFor", Args().r8(-1)).is_empty());
  CHECK(o.call(u"AccessTokenValidFor", Args().r8(1.5)).is_empty());
  CHECK(o.call(u"AccessTokenValidFor", Args().i4(30)).vt == VTYPE_PWSTR);
  // Local sign-out.
  CHECK(o.call(u"ОчиститьТокены").is_true());
  CHECK(o.call(u"ValidAccessToken").is_empty() && o.get(u"ErrorCode").n == 330);
  return true;
}

bool test_token_manager_file_store() {
  char dir[] = "/tmp/authgate-1c-store.XXXXXX";
  CHECK(mkdtemp(dir) != nullptr);
  std::string path = std::string(dir) + "/токены.json";  // a Cyrillic file name
  std::string opts = "{\"base_url\":\"" + g_emulator +
                     "\",\"client_id\":\"gearcode-client\",\"client_secret\":\"gearcode-secret\","
                     "\"redirect_uri\":\"http://127.0.0.1/callback\"}";
  std::u16string token;
  bool ok = true;
  {
    Object o;
    ok = ok && o.ok && o.call(u"Configure", Args().str("gearcode").str(opts)).is_true() && code_flow(o);
    std::u16string upath = u"/токены.json";
    std::u16string full = ascii16(dir) + upath;
    ok = ok && o.call(u"EnableManager", Args().str(full).i4(120)).is_true();
    if (!ok) std::fprintf(stderr, "  %s\n", o.error().c_str());
    Got t = o.call(u"ValidAccessToken");
    ok = ok && t.vt == VTYPE_PWSTR;
    token = t.s;
  }
  // Another object (a restarted 1C session) reads the same file.
  if (ok) {
    Object o;
    std::u16string full = ascii16(dir) + u"/токены.json";
    ok = o.ok && o.call(u"Configure", Args().str("gearcode").str(opts)).is_true() &&
         o.call(u"ВключитьМенеджер", Args().str(full)).is_true();
    Got t = o.call(u"ДействующийТокен");
    if (t.s != token) std::fprintf(stderr, "  restored: %s\n", o.error().c_str());
    ok = ok && t.s == token && o.get(u"RefreshToken").vt == VTYPE_PWSTR;
  }
  std::remove(path.c_str());
  std::remove((path + ".lock").c_str());
  rmdir(dir);
  CHECK(ok);
  return true;
}

// A device sign-in on a till that is switched off while the customer approves on a
// phone: the JSON saved by one add-in object is resumed by another.
bool test_device_sign_in_resumed_after_a_restart() {
  std::string options = emulator_options("kontur-service", "kontur-api-key");
  options.insert(1, "\"device_authorization_endpoint\":\"" + g_emulator +
                        "/connect/deviceauthorization\",");
  std::u16string saved, user_code;
  std::string qr_svg;
  {
    Object before;
    CHECK(before.ok);
    CHECK(before.get(u"КодПользователя").is_empty());
    CHECK(before.get(u"QRКодSVG").is_empty());
    CHECK(before.call(u"Настроить", Args().str("kontur").str(options)).is_true());
    bool ok = true;
    Got r = before.call(u"ОпроситьВходНаУстройстве", Args(), &ok);  // nothing under way
    CHECK(ok && r.is_empty() && before.get(u"ErrorCode").n == 100);
    r = before.call(u"НачатьВходНаУстройстве", Args().str("openid"));
    if (!r.is_true()) std::fprintf(stderr, "  start: %s\n", before.error().c_str());
    CHECK(r.is_true());
    user_code = before.get(u"КодПользователя").s;
    CHECK(user_code.size() == 9 && user_code[4] == u'-');
    CHECK(before.get(u"АдресПроверки").utf8() == g_emulator + "/device");
    CHECK(before.get(u"АдресПроверкиСКодом").s.find(user_code) != std::u16string::npos);
    CHECK(before.get(u"ИнтервалОпроса").n == 1);
    // The QR code of АдресПроверкиСКодом, for the till's screen: SVG and text.
    qr_svg = before.get(u"QRКодSVG").utf8();
    CHECK(qr_svg.find("<svg") != std::string::npos);
    CHECK(!before.get(u"QrCodeText").s.empty());
    // Not yet: Ложь, no failure, and the reason in КодОшибки.
    r = before.call(u"PollDeviceSignIn", Args(), &ok);
    CHECK(ok && r.is_false() && before.get(u"ErrorCode").n == 600);  // AUTHGATE_PENDING
    Got json = before.call(u"ВходНаУстройствеJSON");
    CHECK(json.vt == VTYPE_PWSTR && json.utf8().find("\"device_code\":") != std::string::npos);
    saved = json.s;
  }  // the till is switched off
  Object after;
  CHECK(after.ok);
  CHECK(after.call(u"Configure", Args().str("kontur").str(options)).is_true());
  bool ok = true;
  Got r = after.call(u"ResumeDeviceSignIn", Args().str("{}"), &ok);
  CHECK(ok && r.is_false() && after.get(u"ErrorCode").n == 100);
  CHECK(after.call(u"ПродолжитьВходНаУстройстве", Args().str(saved)).is_true());
  CHECK(after.get(u"UserCode").s == user_code);
  CHECK(after.get(u"QrCodeSvg").utf8() == qr_svg);  // the same QR code after the restart
  CHECK(emulator_control("device/approve", "{\"user_code\":\"" + to_utf8(user_code) +
                                               "\",\"approve\":true}"));
  r = Got();
  for (int i = 0; i < 10 && !r.is_true(); ++i) {
    r = after.call(u"ОпроситьВходНаУстройстве", Args(), &ok);
    CHECK(ok && !r.is_empty());
    if (!r.is_true()) usleep(useconds_t(after.get(u"ИнтервалОпроса").n * 1e6));
  }
  CHECK(r.is_true());
  CHECK(after.get(u"Область").s == u"openid");
  CHECK(!after.get(u"ТокенДоступа").s.empty());
  CHECK(after.get(u"КодПользователя").is_empty());  // the device sign-in is over
  CHECK(after.get(u"QRКодТекст").is_empty());

  // Codes that expired while the till was off: the poll fails without a request.
  std::string expired = to_utf8(saved);
  size_t at = expired.find("\"expires_at\":") + 13;
  expired.replace(at, expired.find(',', at) - at, "1000");
  CHECK(after.call(u"ПродолжитьВходНаУстройстве", Args().str(expired)).is_true());
  r = after.call(u"ОпроситьВходНаУстройстве", Args(), &ok);
  CHECK(ok && r.is_empty());
  CHECK(after.get(u"ОшибкаOAuth").s == u"expired_token");
  return true;
}

bool test_unicode_round_trip() {
  Object o;
  CHECK(o.ok);
  // Cyrillic and an emoji outside the BMP (a surrogate pair) go in as UTF-16, through
  // UTF-8 into the library and back.
  std::u16string token = u"токен-ёЁ-\U0001F600-end";
  std::u16string scope = u"чтение запись \U0001F510";
  std::u16string json = u"{\"access_token\":\"" + token + u"\",\"token_type\":\"bearer\",\"scope\":\"" +
                        scope + u"\",\"expires_in\":60}";
  Args a;
  a.str(json);
  CHECK(o.set(u"TokenJson", a.v[0]));
  Got t = o.get(u"AccessToken");
  CHECK(t.s == token);
  CHECK(t.s.size() == 15);  // the emoji is two UTF-16 units, a surrogate pair
  CHECK(o.get(u"Область").s == scope);
  CHECK(o.get(u"ЗаголовокАвторизации").s == u"Bearer " + token);
  Got back = o.get(u"ТокенJSON");
  CHECK(back.s.find(token) != std::u16string::npos);
  return true;
}

bool test_malformed_utf16_rejected() {
  Object o;
  CHECK(o.ok);
  for (std::u16string bad : {std::u16string(u"abc") + char16_t(0xD800),          // lone high at the end
                             std::u16string(u"a") + char16_t(0xDC00) + u"b",      // lone low
                             std::u16string(1, char16_t(0xD83D)) + u"x"}) {       // high + non-low
    Got r = o.call(u"Configure", Args().str(bad));
    CHECK(r.is_false());
    CHECK(o.get(u"ErrorCode").n == 100);
    CHECK(o.error().find("surrogate") != std::string::npos);
    Args a;
    a.str(u"{\"access_token\":\"" + bad + u"\"}");
    CHECK(!o.set(u"TokenJson", a.v[0]));  // a property cannot return a failed result
    CHECK(o.error().find("surrogate") != std::string::npos);
  }
  return true;
}

bool test_bad_argument_types() {
  Object o;
  CHECK(o.ok);
  bool ok = false;
  // A Number where a String is expected: a failed result (the call itself succeeds).
  Got r = o.call(u"Configure", Args().i4(4), &ok);
  CHECK(ok && r.is_false());
  CHECK(o.error().find("parameter 1 of Configure must be a String") != std::string::npos);
  CHECK(o.get(u"ErrorCode").n == 100 && o.get(u"ИмяОшибки").s == u"invalid_argument");
  r = o.call(u"Configure", Args().boolean(true).str("{}"), &ok);
  CHECK(ok && r.is_false());
  r = o.call(u"Configure", Args().str("cuba").r8(1.0), &ok);
  CHECK(ok && r.is_false() && o.error().find("parameter 2") != std::string::npos);
  // Required parameter given as Неопределено.
  r = o.call(u"Configure", Args().empty(), &ok);
  CHECK(ok && r.is_false());
  // Configure a client, then bad types in the grants.
  CHECK(o.call(u"Configure", Args().str("cuba").str(emulator_options("client", "secret"))).is_true());
  CHECK(o.call(u"Password", Args().i4(1).str("x")).is_false());
  CHECK(o.call(u"Password", Args().str("admin").boolean(false)).is_false());
  CHECK(o.call(u"ExchangeCode", Args().r8(3.0)).is_false());
  CHECK(o.call(u"GetAuthorizationUrl", Args().i4(1)).is_empty());
  CHECK(o.call(u"ParseCallback", Args().i4(1)).is_empty());
  // Unusable JSON options, a non-object, an unknown key, an unknown preset (Cyrillic).
  CHECK(o.call(u"Configure", Args().str("cuba").str("[1,2]")).is_false());
  CHECK(o.call(u"Configure", Args().str("cuba").str("{\"no_such_key\":1}")).is_false());
  CHECK(o.get(u"ErrorCode").n == 101);
  CHECK(o.call(u"Configure", Args().str(u"неизвестный")).is_false());
  CHECK(!o.error().empty());
  CHECK(o.call(u"Configure", Args().str("{\"provider\":\"cuba\"}").str("{}")).is_false());
  // The failed Configure calls kept the working client.
  CHECK(o.get(u"Настроена").is_true());
  CHECK(o.call(u"Password", Args().str("admin").str("admin")).is_true());
  // Properties: wrong types.
  tVariant v = Args::blank();
  v.vt = VTYPE_I4;
  v.lVal = 1;
  CHECK(!o.set(u"ThrowErrors", v));
  CHECK(o.error().find("Boolean") != std::string::npos);
  CHECK(!o.set(u"TokenJson", v));
  Args junk;
  junk.str("not json");
  CHECK(!o.set(u"TokenJson", junk.v[0]));
  CHECK(o.get(u"ErrorCode").n == 100);
  CHECK(!o.get(u"AccessToken").s.empty());  // the tokens survived the failed assignment
  return true;
}

bool test_wrong_count_and_unknown_index() {
  Object o;
  CHECK(o.ok);
  long m = o.method(u"Configure");
  Args one;
  one.str("cuba");
  tVariant ret = Args::blank();
  // Fewer parameters than GetNParams: the platform never does this; the add-in says no.
  CHECK(!o.obj->CallAsFunc(m, &ret, one.v.data(), 1));
  CHECK(ret.vt == VTYPE_EMPTY);
  CHECK(o.error().find("takes 2 parameters") != std::string::npos);
  Args three;
  three.str("a").str("b").str("c");
  CHECK(!o.obj->CallAsFunc(m, &ret, three.v.data(), 3));
  CHECK(!o.obj->CallAsFunc(m, &ret, nullptr, 2));  // NULL array
  CHECK(!o.obj->CallAsFunc(m, nullptr, one.v.data(), 2));  // no place for the result
  CHECK(!o.obj->CallAsFunc(9999, &ret, nullptr, 0));
  CHECK(o.error().find("unknown method index 9999") != std::string::npos);
  CHECK(!o.obj->CallAsFunc(-1, &ret, nullptr, 0));
  CHECK(!o.obj->CallAsProc(9999, nullptr, 0));
  CHECK(!o.obj->GetPropVal(9999, &ret));
  CHECK(!o.obj->GetPropVal(0, nullptr));
  CHECK(!o.obj->SetPropVal(9999, &ret));
  CHECK(!o.obj->SetPropVal(o.prop(u"AccessToken"), &ret));  // read-only
  CHECK(!o.obj->IsPropReadable(9999) && !o.obj->IsPropWritable(-5));
  CHECK(!o.obj->HasRetVal(9999));
  CHECK(o.host.errors.empty());  // ThrowErrors is off
  return true;
}

bool test_empty_strings() {
  Object o;
  CHECK(o.ok);
  CHECK(o.call(u"Configure", Args().str("")).is_false());
  CHECK(o.error().find("empty") != std::string::npos);
  CHECK(o.call(u"Configure", Args().str("cuba").str(emulator_options("client", "secret"))).is_true());
  // Empty required strings: the library refuses them, with a message.
  CHECK(o.call(u"Password", Args().str("").str("admin")).is_false());
  CHECK(!o.error().empty() && o.get(u"ErrorCode").n == 100);
  CHECK(o.call(u"ExchangeCode", Args().str("")).is_false());
  CHECK(!o.error().empty());
  CHECK(o.call(u"ParseCallback", Args().str("")).is_empty());
  CHECK(!o.error().empty());
  CHECK(o.call(u"Refresh", Args().str("")).is_false());  // no refresh token anywhere
  CHECK(o.error().find("refresh token") != std::string::npos);
  // An empty optional string is "not given": the defaults apply.
  CHECK(o.call(u"Password", Args().str("admin").str("admin").str("")).is_true());
  return true;
}

bool test_not_configured_and_transport_errors() {
  Object o;
  CHECK(o.ok);
  CHECK(o.get(u"Настроена").is_false());
  CHECK(o.call(u"ExchangeCode", Args().str("abc")).is_false());
  CHECK(o.get(u"ErrorCode").n == 101 && o.error().find("Configure") != std::string::npos);
  CHECK(o.call(u"GetAuthorizationUrl").is_empty());
  CHECK(o.call(u"EnableManager").is_false());
  // CUBA has no authorization endpoint.
  std::string opts = "{\"base_url\":\"http://127.0.0.1:1\",\"client_id\":\"client\","
                     "\"client_secret\":\"secret\",\"connect_timeout_ms\":2000,\"timeout_ms\":4000}";
  CHECK(o.call(u"Configure", Args().str("cuba").str(opts)).is_true());
  CHECK(o.call(u"GetAuthorizationUrl").is_empty() && o.get(u"ErrorCode").n == 101);
  CHECK(o.call(u"ParseCallback", Args().str("http://127.0.0.1/callback?code=x")).is_empty());
  // Nothing listens on port 1: a transport failure, transient, with no HTTP status.
  CHECK(o.call(u"Password", Args().str("admin").str("admin")).is_false());
  double code = o.get(u"ErrorCode").n;
  CHECK(code >= 200 && code < 300);
  CHECK(o.get(u"ErrorIsTransient").is_true() && o.get(u"ErrorIsTerminal").is_false());
  CHECK(o.get(u"HttpStatus").n == 0);
  CHECK(o.get(u"RetryAfter").n == -1);
  Got v = o.get(u"Версия");
  CHECK(v.vt == VTYPE_PWSTR && !v.s.empty());
  return true;
}

bool test_throw_errors_reports_add_error() {
  Object o;
  CHECK(o.ok);
  tVariant t = Args::blank();
  t.vt = VTYPE_BOOL;
  t.bVal = true;
  CHECK(o.set(u"ВызыватьИсключения", t));
  CHECK(o.get(u"ThrowErrors").is_true());
  bool ok = true;
  Got r = o.call(u"ОбменятьКод", Args().str("abc"), &ok);
  CHECK(!ok);  // the platform raises an exception with the AddError text
  CHECK(r.is_false() || r.is_empty());
  CHECK(o.host.errors.size() == 1);
  CHECK(o.host.errors[0].wcode == ADDIN_E_FAIL);
  CHECK(o.host.errors[0].source == u"AuthGate");
  CHECK(to_utf8(o.host.errors[0].descr).find("Configure") != std::string::npos);
  CHECK(o.host.errors[0].scode != 0);
  // The error properties are still there for a handler.
  CHECK(o.get(u"ErrorCode").n == 101);
  // A success raises nothing.
  CHECK(o.call(u"Configure", Args().str("cuba").str(emulator_options("client", "secret")), &ok).is_true() && ok);
  CHECK(o.host.errors.size() == 1);
  // An OAuth failure with a Cyrillic description would pass through AddError too.
  o.call(u"Password", Args().str(u"кассир").str(u"неверный"), &ok);
  CHECK(!ok && o.host.errors.size() == 2);
  CHECK(to_utf8(o.host.errors[1].descr).find("invalid_grant") != std::string::npos);
  t.bVal = false;
  CHECK(o.set(u"ThrowErrors", t));
  o.call(u"Password", Args().str(u"кассир").str(u"неверный"), &ok);
  CHECK(ok && o.host.errors.size() == 2);
  return true;
}

bool test_call_as_proc() {
  Object o;
  CHECK(o.ok);
  long m = o.method(u"Configure");
  Args a;
  a.str("cuba").str(emulator_options("client", "secret"));
  CHECK(o.obj->CallAsProc(m, a.v.data(), 2));
  long p = o.method(u"Password");
  Args b;
  b.str("admin").str("admin").empty();
  long before = g_mem.allocations;
  CHECK(o.obj->CallAsProc(p, b.v.data(), 3));
  CHECK(g_mem.allocations == before);  // no result, nothing handed over
  // A value method called as a procedure: the value is dropped, nothing leaks.
  long v = o.method(u"ClientCredentials");
  Args c;
  c.empty();
  CHECK(o.obj->CallAsProc(v, c.v.data(), 1));  // CUBA refuses it: a failed result, no exception
  CHECK(o.get(u"ErrorCode").n != 0);
  return true;
}

bool test_memory_manager_refusal() {
  Object o;
  CHECK(o.ok);
  g_mem.refuse = true;
  tVariant v = Args::blank();
  bool got = o.obj->GetPropVal(o.prop(u"Version"), &v);
  const WCHAR_T *name = o.obj->GetMethodName(0, 1);
  g_mem.refuse = false;
  CHECK(got && v.vt == VTYPE_EMPTY);  // Неопределено, no crash
  CHECK(name == nullptr);
  CHECK(o.error().find("memory manager") != std::string::npos);
  return true;
}

// ---- the log (EnableLog / ReadLog) ---------------------------------------------------

std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return lines;
}

size_t count_of(const std::string &text, const std::string &what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// "2026-11-30T14:05" now, in UTC.
std::string utc_minute() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M", &tm);
  return buf;
}

// A token set whose string expires_in makes the library log one WARN record, locally.
bool lenient_tokens(Object &o) {
  Args a;
  a.str("{\"access_token\":\"lenient-at\",\"token_type\":\"Bearer\",\"expires_in\":\"60\"}");
  return o.set(u"TokenJson", a.v[0]);
}

// EnableLog(4), then a code exchange and a refresh against the emulator: ReadLog has both
// token requests as lines "<UTC time> DEBUG authgate: POST … grant_type=…", and none of
// the client secret, the refresh tokens or the access tokens; a second read is empty;
// after EnableLog(0) nothing more is collected.
bool test_log_token_request_without_secrets() {
  Object o;
  CHECK(o.ok);
  Got empty = o.call(u"ПрочитатьЖурнал");
  CHECK(empty.vt == VTYPE_PWSTR && empty.s.empty());
  CHECK(o.call(u"Configure", Args().str("gearcode").str(emulator_options("gearcode-client", "gearcode-secret"))).is_true());
  bool ok = false;
  CHECK(o.call(u"ВключитьЖурнал", Args().i4(4), &ok).is_true() && ok);
  std::string before = utc_minute();
  CHECK(code_flow(o));
  std::string access1 = o.get(u"AccessToken").utf8(), refresh1 = o.get(u"RefreshToken").utf8();
  CHECK(o.call(u"Refresh").is_true());
  std::string access2 = o.get(u"AccessToken").utf8(), refresh2 = o.get(u"RefreshToken").utf8();
  std::string after = utc_minute();
  CHECK(!access1.empty() && !refresh1.empty() && refresh2 != refresh1 && access2 != access1);
  Got read = o.call(u"ReadLog", Args(), &ok);
  CHECK(ok && read.vt == VTYPE_PWSTR && read.string_from_host_allocator);
  std::string log = read.utf8();
  std::vector<std::string> lines = lines_of(log);
  CHECK(lines.size() >= 2);
  size_t exchanged = 0, refreshed = 0;
  for (const std::string &line : lines) {
    // 2026-11-30T14:05:07.123Z LEVEL target: message
    CHECK(line.size() > 25 && line[10] == 'T' && line[19] == '.' && line[23] == 'Z');
    CHECK(line.substr(0, 16) >= before && line.substr(0, 16) <= after);  // UTC
    if (line.find(" DEBUG authgate: POST " + g_emulator) != 24) continue;  // the request's record
    exchanged += line.find("grant_type=authorization_code") != std::string::npos;
    refreshed += line.find("grant_type=refresh_token") != std::string::npos;
  }
  if (exchanged != 1 || refreshed != 1) std::fprintf(stderr, "  log:\n%s\n", log.c_str());
  CHECK(exchanged == 1 && refreshed == 1);
  for (const std::string &secret :
       {std::string("gearcode-secret"), access1, refresh1, access2, refresh2})
    CHECK(log.find(secret) == std::string::npos);
  CHECK(log.back() != '\n');  // lines separated by Символы.ПС, no trailing empty one
  // Read: the buffer is empty.
  read = o.call(u"ReadLog");
  CHECK(read.vt == VTYPE_PWSTR && read.s.empty());
  // A failure's record is read after it, and reading leaves the error properties as they
  // are (GearCode rotated refresh1 away: invalid_grant).
  CHECK(o.call(u"Refresh", Args().str(refresh1)).is_false());
  log = o.call(u"ПрочитатьЖурнал").utf8();
  CHECK(count_of(log, " DEBUG authgate: POST ") == 1 && log.find("HTTP 400") != std::string::npos);
  CHECK(log.find(refresh1) == std::string::npos);
  CHECK(o.get(u"ОшибкаOAuth").s == u"invalid_grant" && o.get(u"КодОшибки").n == 301);
  // Level 0 collects nothing.
  CHECK(o.call(u"EnableLog", Args().r8(0)).is_true());
  CHECK(o.call(u"Обновить").is_true());
  CHECK(o.call(u"ReadLog").s.empty());
  return true;
}

// The words, in both languages and any case; WARN collects a lenient token answer but no
// DEBUG record; trace collects what debug does; a bad level is the usual invalid-argument
// failure (ThrowErrors honoured) and changes nothing.
bool test_log_levels_words_and_bad_levels() {
  Object o;
  CHECK(o.ok);
  CHECK(o.call(u"Configure", Args().str("cuba").str(emulator_options("client", "secret"))).is_true());
  CHECK(o.call(u"EnableLog", Args().str(u"Предупреждение")).is_true());
  CHECK(lenient_tokens(o));
  CHECK(o.call(u"Password", Args().str("admin").str("admin")).is_true());
  std::string log = o.call(u"ReadLog").utf8();
  CHECK(count_of(log, " WARN authgate: lenient token response: expires_in is a string") == 1);
  CHECK(log.find(" DEBUG ") == std::string::npos);
  CHECK(log.find("lenient-at") == std::string::npos);
  for (const char16_t *word : {u"TRACE", u"debug", u"ОТЛАДКА", u"трассировка"}) {
    CHECK(o.call(u"EnableLog", Args().str(word)).is_true());
    CHECK(o.call(u"Password", Args().str("admin").str("admin")).is_true());
    CHECK(count_of(o.call(u"ReadLog").utf8(), " DEBUG authgate: POST ") == 1);
  }
  for (const char16_t *word : {u"off", u"ВЫКЛ"}) {
    CHECK(o.call(u"EnableLog", Args().str(word)).is_true());
    CHECK(o.call(u"Password", Args().str("admin").str("admin")).is_true());
    CHECK(o.call(u"ReadLog").s.empty());
  }
  CHECK(o.call(u"EnableLog", Args().str("error")).is_true());
  CHECK(lenient_tokens(o));
  CHECK(o.call(u"ReadLog").s.empty());  // a warning is above "error"
  CHECK(o.call(u"EnableLog", Args().i4(2)).is_true());
  // Bad levels: a failed result (Ложь) and the error properties; the level stays WARN.
  bool ok = false;
  Args bad[7];  // built in place: an Args' strings must outlive its tVariants
  bad[0].i4(6);
  bad[1].r8(-1);
  bad[2].r8(2.5);
  bad[3].str("verbose");
  bad[4].str("");
  bad[5].boolean(true);
  bad[6].empty();
  for (Args &a : bad) {
    Got r = o.call(u"ВключитьЖурнал", a, &ok);
    CHECK(ok && r.is_false());
    CHECK(o.get(u"ErrorCode").n == 100 && o.get(u"ErrorName").s == u"invalid_argument");
    CHECK(o.error().find("parameter 1 of EnableLog") != std::string::npos);
    CHECK(o.error().find("0 (off)") != std::string::npos);
  }
  CHECK(o.host.errors.empty());
  CHECK(lenient_tokens(o));
  CHECK(count_of(o.call(u"ReadLog").utf8(), " WARN ") == 1);
  // With ThrowErrors the platform raises an exception with the text.
  tVariant t = Args::blank();
  t.vt = VTYPE_BOOL;
  t.bVal = true;
  CHECK(o.set(u"ThrowErrors", t));
  o.call(u"EnableLog", Args().i4(9), &ok);
  CHECK(!ok && o.host.errors.size() == 1);
  CHECK(to_utf8(o.host.errors[0].descr).find("[invalid_argument] parameter 1 of EnableLog") != std::string::npos);
  return true;
}

// Between two reads the newest 1000 records are kept; the text then starts with a line
// saying how many were dropped, and the count starts afresh.
bool test_log_keeps_the_newest_records() {
  Object o;
  CHECK(o.ok);
  CHECK(o.call(u"EnableLog", Args().str("warn")).is_true());
  for (int i = 0; i < 1100; ++i) CHECK(lenient_tokens(o));
  std::vector<std::string> lines = lines_of(o.call(u"ReadLog").utf8());
  CHECK(lines.size() == 1001);
  CHECK(lines[0].rfind("100 earlier records were dropped: the log keeps the newest 1000", 0) == 0);
  CHECK(lines[1].find(" WARN authgate: lenient token response") == 24);
  for (int i = 0; i < 3; ++i) CHECK(lenient_tokens(o));
  lines = lines_of(o.call(u"ReadLog").utf8());
  CHECK(lines.size() == 3 && lines[0].find(" WARN ") == 24);
  return true;
}

// One log for the process: records of one object's calls are read through another; the
// log stays on while any object exists, and goes off with the last one (the callback is
// removed, the buffer freed: valgrind and ASan see any call into it afterwards).
bool test_log_shared_and_removed_with_the_last_object() {
  {
    Object a;
    CHECK(a.ok);
    {
      Object b;
      CHECK(b.ok);
      CHECK(b.call(u"EnableLog", Args().str("warn")).is_true());
      CHECK(lenient_tokens(a));
    }
    CHECK(lenient_tokens(a));  // b is gone, a still collects
    CHECK(count_of(a.call(u"ReadLog").utf8(), " WARN ") == 2);
    CHECK(lenient_tokens(a));
  }  // the last object: unread records go with the buffer
  Object c;
  CHECK(c.ok);
  CHECK(lenient_tokens(c));
  Got r = c.call(u"ReadLog");
  CHECK(r.vt == VTYPE_PWSTR && r.s.empty());
  return true;
}

// Objects on several threads (sessions of a 1C server) log into the one buffer at once
// while another thread reads it: every record arrives once, whole.
bool test_log_from_several_threads() {
  Object reader;
  CHECK(reader.ok);
  CHECK(reader.call(u"EnableLog", Args().i4(4)).is_true());
  const int kThreads = 3, kCalls = 4;
  std::vector<int> ok(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &ok] {
      Object o;
      if (!o.ok || !o.call(u"Configure", Args().str("cuba").str(emulator_options("client", "secret"))).is_true())
        return;
      for (int i = 0; i < kCalls; ++i)
        ok[size_t(t)] += o.call(u"Password", Args().str("admin").str("admin")).is_true();
    });
  }
  std::string log;
  for (int i = 0; i < 20; ++i) {
    log += reader.call(u"ReadLog").utf8() + "\n";
    usleep(1000);
  }
  for (std::thread &t : threads) t.join();
  log += reader.call(u"ReadLog").utf8();
  for (int t = 0; t < kThreads; ++t) CHECK(ok[size_t(t)] == kCalls);
  CHECK(count_of(log, " DEBUG authgate: POST ") == size_t(kThreads * kCalls));
  for (const std::string &line : lines_of(log))
    CHECK(line.empty() || (line.size() > 25 && line[23] == 'Z' && line.find("authgate") != std::string::npos));
  return true;
}

bool test_memory_balanced() {
  CHECK(!g_foreign_string);
  CHECK(g_mem.bad_frees == 0);
  if (!g_mem.live.empty()) std::fprintf(stderr, "  %zu blocks still allocated\n", g_mem.live.size());
  CHECK(g_mem.live.empty());
  CHECK(g_mem.allocations > 100 && g_mem.allocations == g_mem.frees);
  return true;
}

#define RUN(test)                                   \
  do {                                              \
    std::fprintf(stderr, "%s ...\n", #test);        \
    if (test()) {                                   \
      ++g_passed;                                   \
      std::fprintf(stderr, "  ok\n");               \
    } else {                                        \
      ++g_failed;                                   \
    }                                               \
  } while (0)

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s path/to/libAuthGate1C.so\n", argv[0]);
    return 2;
  }
  const char *url = std::getenv("AUTHGATE_EMULATOR_URL");
  if (url == nullptr || std::strncmp(url, "http://127.0.0.1:", 17) != 0) {
    std::fprintf(stderr, "AUTHGATE_EMULATOR_URL must be http://127.0.0.1:PORT (run test/run.sh)\n");
    return 2;
  }
  g_emulator = url;
  g_port = std::atoi(url + 17);

  // As the platform: load, resolve the entry points, announce the capabilities.
  g_lib.handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (g_lib.handle == nullptr) {
    std::fprintf(stderr, "dlopen: %s\n", dlerror());
    std::printf("0 passed, 1 failed\n");
    return 1;
  }
  g_lib.get_class_names = reinterpret_cast<GetClassNamesPtr>(dlsym(g_lib.handle, "GetClassNames"));
  g_lib.get_class_object = reinterpret_cast<GetClassObjectPtr>(dlsym(g_lib.handle, "GetClassObject"));
  g_lib.destroy_object = reinterpret_cast<DestroyObjectPtr>(dlsym(g_lib.handle, "DestroyObject"));
  g_lib.set_capabilities =
      reinterpret_cast<SetPlatformCapabilitiesPtr>(dlsym(g_lib.handle, "SetPlatformCapabilities"));
  g_lib.get_attach_type = reinterpret_cast<GetAttachTypePtr>(dlsym(g_lib.handle, "GetAttachType"));
  if (!g_lib.get_class_names || !g_lib.get_class_object || !g_lib.destroy_object ||
      !g_lib.set_capabilities || !g_lib.get_attach_type) {
    std::fprintf(stderr, "an entry point is missing\n");
    std::printf("0 passed, 1 failed\n");
    return 1;
  }
  // The Rust and C++ internals must stay hidden.
  if (dlsym(g_lib.handle, "authgate_client_new") != nullptr) {
    std::fprintf(stderr, "the add-in exports the C ABI too\n");
    ++g_failed;
  }

  RUN(test_entry_points);
  RUN(test_names_in_both_languages);
  RUN(test_parameters_and_defaults);
  RUN(test_taxcom_code_flow);
  RUN(test_kontur_code_flow_one_json);
  RUN(test_authorization_url_scopes_and_params);
  RUN(test_gearcode_rotation_and_client_credentials);
  RUN(test_cuba_password_cyrillic_refresh_and_persistence);
  RUN(test_token_manager);
  RUN(test_token_manager_file_store);
  RUN(test_device_sign_in_resumed_after_a_restart);
  RUN(test_unicode_round_trip);
  RUN(test_malformed_utf16_rejected);
  RUN(test_bad_argument_types);
  RUN(test_wrong_count_and_unknown_index);
  RUN(test_empty_strings);
  RUN(test_not_configured_and_transport_errors);
  RUN(test_throw_errors_reports_add_error);
  RUN(test_call_as_proc);
  RUN(test_memory_manager_refusal);
  RUN(test_log_token_request_without_secrets);
  RUN(test_log_levels_words_and_bad_levels);
  RUN(test_log_keeps_the_newest_records);
  RUN(test_log_shared_and_removed_with_the_last_object);
  RUN(test_log_from_several_threads);
  RUN(test_memory_balanced);

  dlclose(g_lib.handle);
  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
