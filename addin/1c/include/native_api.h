/*
 * The 1C:Enterprise "Native API" interface, as declared by the platform vendor.
 *
 * The platform (1cv8, 1cv8c, the server process, the external connection) loads an add-in
 * library, resolves a handful of C entry points and then talks to the objects it gets
 * through C++ virtual calls. It was compiled against the vendor's own headers, so the
 * objects we hand out must have exactly the vtable layout it expects: the same base
 * classes in the same order, the same virtual methods in the same order, with the same
 * parameter types and calling convention. Nothing here may be reordered, and no virtual
 * method may be added to these classes.
 *
 * Sources. These declarations were written for authgate from the published description
 * of the Native API:
 *   [ITS]   1C:Enterprise 8 documentation, "Технология создания внешних компонент" (the
 *           add-in development technology, ITS), chapter "Создание компонент с
 *           использованием технологии Native API", also published in English by 1C as
 *           "Add-in creation technology" (1c-dn.com/library/add_in_creation_technology_*
 *           and support.1ci.com "Add-in Development Technology"), and
 *   [TPL]   the header files of the Native API template shipped with that documentation
 *           (ComponentBase.h, AddInDefBase.h, IMemoryManager.h, types.h, com.h), which
 *           many public add-in repositories carry unchanged (for example the
 *           "addin-template" and "VanessaExt" repositories on GitHub).
 * Each block below names the file it corresponds to. The names of the classes, methods,
 * enums and constants are the platform's (a 1C developer recognises them); the
 * comments are ours. Only what authgate needs from com.h is reproduced (DATE, IID).
 */
#ifndef AUTHGATE_1C_NATIVE_API_H
#define AUTHGATE_1C_NATIVE_API_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#if defined(_WIN32) && !defined(_WINDOWS)
#define _WINDOWS
#endif

#if defined(_WINDOWS)
#include <windows.h> /* DATE, IID (GUID) */
#endif

/* ---- types.h [TPL] ------------------------------------------------------------------ */

/* The calling convention of every virtual method of every Native API interface. [TPL]
 * types.h: __stdcall on Windows (it matters only on 32-bit x86, where it is not the
 * default for member functions; x64 has one convention), nothing elsewhere (the template
 * keeps `__attribute__((__stdcall__))` commented out for Linux). The five exported
 * functions carry no ADDIN_API: they are plain cdecl `extern "C"` functions everywhere. */
#ifndef ADDIN_API
#ifdef _WINDOWS
#define ADDIN_API __stdcall
#else
#define ADDIN_API
#endif
#endif

/* A platform string unit. [TPL] types.h: `wchar_t` on Windows (2 bytes there) and
 * `uint16_t` elsewhere: on Linux the platform's strings are UTF-16 code units, NOT the
 * 4-byte wchar_t of the C library. Strings are NUL-terminated; a tVariant string also
 * carries its length in units. */
#ifdef _WINDOWS
#define WCHAR_T wchar_t
#else
#define WCHAR_T uint16_t
#endif

/* [TPL] com.h on Linux: `typedef double DATE;` and `typedef uuid_t IID;` (uuid_t being
 * `unsigned char[16]` from libuuid). Declared here without libuuid; only their size and
 * alignment matter, because they are members of the tVariant union. On Windows they come
 * from <windows.h>. */
#ifndef _WINDOWS
typedef double DATE;
typedef unsigned char IID[16];
#endif

/* AddError message codes. [TPL] types.h; meaning in [ITS] "AddError": the icon shown in
 * the message window; the MSGBOX ones open a dialog. Codes 1000-2000 are reserved. */
#define ADDIN_E_NONE 1000
#define ADDIN_E_ORDINARY 1001
#define ADDIN_E_ATTENTION 1002
#define ADDIN_E_IMPORTANT 1003
#define ADDIN_E_VERY_IMPORTANT 1004
#define ADDIN_E_INFO 1005
#define ADDIN_E_FAIL 1006
#define ADDIN_E_MSGBOX_ATTENTION 1007
#define ADDIN_E_MSGBOX_INFO 1008
#define ADDIN_E_MSGBOX_FAIL 1009

/* The type tag of a tVariant. [TPL] types.h: `typedef unsigned short TYPEVAR;` and
 * `enum ENUMVAR` with these values, in this order (the numbers are the wire format). */
typedef unsigned short TYPEVAR;
enum ENUMVAR {
  VTYPE_EMPTY = 0,
  VTYPE_NULL,      /* 1 */
  VTYPE_I2,        /* 2: int16_t */
  VTYPE_I4,        /* 3: int32_t */
  VTYPE_R4,        /* 4: float */
  VTYPE_R8,        /* 5: double */
  VTYPE_DATE,      /* 6: DATE (double) */
  VTYPE_TM,        /* 7: struct tm */
  VTYPE_PSTR,      /* 8: narrow string (pstrVal, strLen in bytes) */
  VTYPE_INTERFACE, /* 9 */
  VTYPE_ERROR,     /* 10: int32_t errCode */
  VTYPE_BOOL,      /* 11: bool */
  VTYPE_VARIANT,   /* 12: struct _tVariant * */
  VTYPE_I1,        /* 13: int8_t */
  VTYPE_UI1,       /* 14: uint8_t */
  VTYPE_UI2,       /* 15: uint16_t */
  VTYPE_UI4,       /* 16: uint32_t */
  VTYPE_I8,        /* 17: int64_t */
  VTYPE_UI8,       /* 18: uint64_t */
  VTYPE_INT,       /* 19: int */
  VTYPE_UINT,      /* 20: unsigned int */
  VTYPE_HRESULT,   /* 21: long */
  VTYPE_PWSTR,     /* 22: platform string (pwstrVal, wstrLen in units) */
  VTYPE_BLOB,      /* 23: binary data in pstrVal/strLen */
  VTYPE_CLSID,     /* 24: UUID */
  VTYPE_STR_BLOB = 0xfff,
  VTYPE_VECTOR = 0x1000,
  VTYPE_ARRAY = 0x2000,
  VTYPE_BYREF = 0x4000,
  VTYPE_RESERVED = 0x8000,
  VTYPE_ILLEGAL = 0xffff,
  VTYPE_ILLEGALMASKED = 0xfff,
  VTYPE_TYPEMASK = 0xfff
};

/* A value crossing the boundary. [TPL] types.h `struct _tVariant`: an anonymous union
 * of every representation, then `cbElements`, then the type tag `vt`. The union's size
 * is set by its largest members (`struct tm` and the interface pair), so every member is
 * reproduced, in the template's order, even those authgate never reads: the platform
 * passes arrays of tVariant, and a different size would shift every element after the
 * first. Strings returned to the platform are allocated with IMemoryManager::AllocMemory
 * [ITS "setMemManager"]; `wstrLen` counts UTF-16 units without the terminating NUL. */
#if defined(__GNUC__)
__extension__
#endif
struct _tVariant {
#if defined(__GNUC__)
  __extension__
#endif
  union {
    int8_t i8Val;
    int16_t shortVal;
    int32_t lVal;
    int intVal;
    unsigned int uintVal;
    int64_t llVal;
    uint8_t ui8Val;
    uint16_t ushortVal;
    uint32_t ulVal;
    uint64_t ullVal;
    int32_t errCode;
    long hRes;
    float fltVal;
    double dblVal;
    bool bVal;
    char chVal;
    wchar_t wchVal;
    DATE date;
    IID IDVal;
    struct _tVariant *pvarVal;
    struct tm tmVal;
#if defined(__GNUC__)
    __extension__
#endif
    struct {
      void *pInterfaceVal;
      IID InterfaceID;
    };
#if defined(__GNUC__)
    __extension__
#endif
    struct {
      char *pstrVal;
      uint32_t strLen; /* bytes */
    };
#if defined(__GNUC__)
    __extension__
#endif
    struct {
      WCHAR_T *pwstrVal;
      uint32_t wstrLen; /* UTF-16 units */
    };
  };
  uint32_t cbElements; /* dimension of a one-dimensional array in pvarVal */
  TYPEVAR vt;
};
typedef struct _tVariant tVariant;
typedef tVariant tVariantArg;

#if defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__)
/* glibc's struct tm is 56 bytes on x86_64, so the platform's tVariant is 64. */
static_assert(sizeof(tVariant) == 64, "tVariant must match the platform's layout");
static_assert(offsetof(tVariant, cbElements) == 56, "tVariant.cbElements offset");
static_assert(offsetof(tVariant, vt) == 60, "tVariant.vt offset");
#endif

/* ---- IMemoryManager.h [TPL] --------------------------------------------------------- */

/* The platform's allocator, handed to the object by setMemManager. [ITS "setMemManager"]:
 * a value that does not fit in the tVariant itself (a string) must be allocated with
 * AllocMemory; the platform releases it with FreeMemory. new/malloc are not allowed for
 * such values. Vtable: destructor, AllocMemory, FreeMemory. */
class IMemoryManager {
 public:
  virtual ~IMemoryManager() {}
  virtual bool ADDIN_API AllocMemory(void **pMemory, unsigned long ulCountByte) = 0;
  virtual void ADDIN_API FreeMemory(void **pMemory) = 0;
};

/* ---- AddInDefBase.h [TPL] ----------------------------------------------------------- */

/* The marker base of the interfaces returned by IAddInDefBaseEx::GetInterface. */
struct IInterface {};

/* Which extra interface GetInterface returns. [TPL] AddInDefBase.h (the Android-only
 * member sits between eIPlatformInfo and eIAttachedInfo there, shifting the latter). */
enum Interfaces {
  eIMsgBox = 0,
  eIPlatformInfo,
#if defined(__ANDROID__)
  eIAndroidComponentHelper,
#endif
  eIAttachedInfo,
};

/* The platform as the add-in sees it: the `void* disp` given to Init points to one.
 * [ITS "Интерфейс 1С:Предприятия"]. Vtable, in this order: destructor, AddError, Read,
 * Write, RegisterProfileAs, SetEventBufferDepth, GetEventBufferDepth, ExternalEvent,
 * CleanEventBuffer, SetStatusLine, ResetStatusLine. */
class IAddInDefBase {
 public:
  virtual ~IAddInDefBase() {}
  /* Queues a message for the user; returned with a `false` from a method, it becomes
   * the text of the exception the platform raises in the 1C code. */
  virtual bool ADDIN_API AddError(unsigned short wcode, const WCHAR_T *source,
                                  const WCHAR_T *descr, long scode) = 0;
  virtual bool ADDIN_API Read(WCHAR_T *wszPropName, tVariant *pVal, long *pErrCode,
                              WCHAR_T **errDescriptor) = 0;
  virtual bool ADDIN_API Write(WCHAR_T *wszPropName, tVariant *pVar) = 0;
  virtual bool ADDIN_API RegisterProfileAs(WCHAR_T *wszProfileName) = 0;
  virtual bool ADDIN_API SetEventBufferDepth(long lDepth) = 0;
  virtual long ADDIN_API GetEventBufferDepth() = 0;
  virtual bool ADDIN_API ExternalEvent(WCHAR_T *wszSource, WCHAR_T *wszMessage,
                                       WCHAR_T *wszData) = 0;
  virtual void ADDIN_API CleanEventBuffer() = 0;
  virtual bool ADDIN_API SetStatusLine(WCHAR_T *wszStatusLine) = 0;
  virtual void ADDIN_API ResetStatusLine() = 0;
};

/* The same object, on platform versions that offer more (8.3: message boxes, platform
 * information). [TPL] AddInDefBase.h: one method appended after IAddInDefBase's. */
class IAddInDefBaseEx : public IAddInDefBase {
 public:
  virtual ~IAddInDefBaseEx() {}
  virtual IInterface *ADDIN_API GetInterface(Interfaces iface) = 0;
};

/* [TPL] AddInDefBase.h. Not used by authgate; declared for completeness of the host. */
struct IMsgBox : public IInterface {
  virtual bool ADDIN_API Confirm(const WCHAR_T *queryText, tVariant *retVal) = 0;
  virtual bool ADDIN_API Alert(const WCHAR_T *text) = 0;
};

struct IPlatformInfo : public IInterface {
  enum AppType {
    eAppUnknown = -1,
    eAppThinClient = 0,
    eAppThickClient,
    eAppWebClient,
    eAppServer,
    eAppExtConn,
    eAppMobileClient,
    eAppMobileServer,
  };
  struct AppInfo {
    const WCHAR_T *AppVersion;
    const WCHAR_T *UserAgentInformation;
    AppType Application;
  };
  virtual const AppInfo *ADDIN_API GetPlatformInfo() = 0;
};

struct IAttachedInfo : public IInterface {
  enum AttachedType {
    eAttachedIsolated = 0,
    eAttachedNotIsolated,
  };
  /* The template writes `const AttachedType`; a const on a returned enum is ignored by
   * the language (and the ABI), so it is left out here to keep -Wignored-qualifiers quiet. */
  virtual AttachedType ADDIN_API GetAttachedInfo() = 0;
};

/* ---- ComponentBase.h [TPL] ---------------------------------------------------------- */

/* IComponentBase derives from four interfaces, in this order; with the Itanium C++ ABI
 * (GCC, Clang) and with MSVC alike, the object then holds four vtable pointers, the
 * first shared with IInitDoneBase, and the platform casts between them. The order of
 * the bases is therefore as binding as the order of the methods. */

/* Life cycle. [ITS "Init", "setMemManager", "GetInfo", "Done"]. Vtable: destructor,
 * Init, setMemManager, GetInfo, Done. */
class IInitDoneBase {
 public:
  virtual ~IInitDoneBase() {}
  /* `disp` is the platform's IAddInDefBase. */
  virtual bool ADDIN_API Init(void *disp) = 0;
  /* `mem` is the platform's IMemoryManager. */
  virtual bool ADDIN_API setMemManager(void *mem) = 0;
  /* The component's Native API version: 2000 for version 2. */
  virtual long ADDIN_API GetInfo() = 0;
  /* Called when the platform is done with the object, whatever Init returned. */
  virtual void ADDIN_API Done() = 0;
};

/* The 1C language extension: properties and methods. [ITS "RegisterExtensionAs" …
 * "CallAsFunc"]. Vtable: destructor, RegisterExtensionAs, GetNProps, FindProp,
 * GetPropName, GetPropVal, SetPropVal, IsPropReadable, IsPropWritable, GetNMethods,
 * FindMethod, GetMethodName, GetNParams, GetParamDefValue, HasRetVal, CallAsProc,
 * CallAsFunc. Indexes start at 0; an alias of 0 is the English name, 1 the Russian one.
 * Names returned (RegisterExtensionAs, GetPropName, GetMethodName) are allocated with
 * the memory manager and released by the platform. */
class ILanguageExtenderBase {
 public:
  virtual ~ILanguageExtenderBase() {}
  virtual bool ADDIN_API RegisterExtensionAs(WCHAR_T **wsExtensionName) = 0;
  virtual long ADDIN_API GetNProps() = 0;
  virtual long ADDIN_API FindProp(const WCHAR_T *wsPropName) = 0;
  virtual const WCHAR_T *ADDIN_API GetPropName(long lPropNum, long lPropAlias) = 0;
  virtual bool ADDIN_API GetPropVal(const long lPropNum, tVariant *pvarPropVal) = 0;
  virtual bool ADDIN_API SetPropVal(const long lPropNum, tVariant *varPropVal) = 0;
  virtual bool ADDIN_API IsPropReadable(const long lPropNum) = 0;
  virtual bool ADDIN_API IsPropWritable(const long lPropNum) = 0;
  virtual long ADDIN_API GetNMethods() = 0;
  virtual long ADDIN_API FindMethod(const WCHAR_T *wsMethodName) = 0;
  virtual const WCHAR_T *ADDIN_API GetMethodName(const long lMethodNum,
                                                 const long lMethodAlias) = 0;
  virtual long ADDIN_API GetNParams(const long lMethodNum) = 0;
  virtual bool ADDIN_API GetParamDefValue(const long lMethodNum, const long lParamNum,
                                          tVariant *pvarParamDefValue) = 0;
  virtual bool ADDIN_API HasRetVal(const long lMethodNum) = 0;
  virtual bool ADDIN_API CallAsProc(const long lMethodNum, tVariant *paParams,
                                    const long lSizeArray) = 0;
  virtual bool ADDIN_API CallAsFunc(const long lMethodNum, tVariant *pvarRetValue,
                                    tVariant *paParams, const long lSizeArray) = 0;
};

/* [ITS "SetLocale"]: `loc` is e.g. "rus_RUS" on Windows, "ru_RU" on Linux. Vtable:
 * destructor, SetLocale. */
class LocaleBase {
 public:
  virtual ~LocaleBase() {}
  virtual void ADDIN_API SetLocale(const WCHAR_T *loc) = 0;
};

/* The user interface language ("ru", "en", …), added in 8.3.x templates. [TPL]
 * ComponentBase.h. Vtable: destructor, SetUserInterfaceLanguageCode. A platform that
 * predates it never reaches this fourth vtable. */
class UserLanguageBase {
 public:
  virtual ~UserLanguageBase() {}
  virtual void ADDIN_API SetUserInterfaceLanguageCode(const WCHAR_T *lang) = 0;
};

/* What GetClassObject hands out. [TPL] ComponentBase.h. */
class IComponentBase : public IInitDoneBase,
                       public ILanguageExtenderBase,
                       public LocaleBase,
                       public UserLanguageBase {
 public:
  virtual ~IComponentBase() {}
};

/* [TPL] ComponentBase.h; [ITS "SetPlatformCapabilities"]. */
enum AppCapabilities {
  eAppCapabilitiesInvalid = -1,
  eAppCapabilities1 = 1,
  eAppCapabilities2 = 2,
  eAppCapabilities3 = 3,
  eAppCapabilitiesLast = eAppCapabilities3,
};

/* Whether the add-in may run in the platform's process or only in a separate one.
 * [TPL] ComponentBase.h (8.3.x templates). */
enum AttachType {
  eCanAttachNotIsolated = 1,
  eCanAttachIsolated,
  eCanAttachAny,
};

/* The exported entry points. [TPL] ComponentBase.h; [ITS "GetClassNames",
 * "GetClassObject", "DestroyObject", "SetPlatformCapabilities"]. `long` results: on
 * success GetClassObject returns non-zero and DestroyObject returns 0. */
extern "C" {
long GetClassObject(const WCHAR_T *wsName, IComponentBase **pIntf);
long DestroyObject(IComponentBase **pIntf);
const WCHAR_T *GetClassNames();
AppCapabilities SetPlatformCapabilities(const AppCapabilities capabilities);
AttachType GetAttachType();
}

typedef long (*GetClassObjectPtr)(const WCHAR_T *wsName, IComponentBase **pIntf);
typedef long (*DestroyObjectPtr)(IComponentBase **pIntf);
typedef const WCHAR_T *(*GetClassNamesPtr)();
typedef AppCapabilities (*SetPlatformCapabilitiesPtr)(const AppCapabilities capabilities);
typedef AttachType (*GetAttachTypePtr)();

#endif /* AUTHGATE_1C_NATIVE_API_H */
