{ AuthGate.Classes: authgate for Delphi and Free Pascal, the way Delphi code is written.

  Classes (TAuthgateConfig, TAuthgateClient, TAuthgateTokenSet, TAuthgateTokenManager,
  TAuthgateDevice, TAuthgateOperation) that take and return `string` and `TDateTime`,
  raise exceptions (EAuthgate and its descendants, below) instead of returning codes, and
  load the library at run time: a program that uses this unit starts without the library,
  and the first authgate object it creates raises EAuthgateLibrary saying which file was
  looked for and why it could not be used (missing, not authgate, or too old).

  Requirements: Delphi XE or later (Unicode `string`, TTimeZone for local times); Free
  Pascal 3.2 or later in any mode (the test command compiles its programs with -Mdelphi
  and -Mobjfpc). Under Free Pascal `string` is the AnsiString holding UTF-8, as in
  Lazarus; in mode objfpc switch long strings on in your program (the H+ directive, as
  Lazarus does), or `string` is a ShortString of 255 bytes at most.

  The library: authgate.dll (Windows), libauthgate.dylib (macOS), libauthgate.so.0 (other
  systems), found the way the system finds libraries (beside the .exe on Windows;
  LD_LIBRARY_PATH or the system's directories on Linux), or at the path you put into
  AuthgateLibraryPath before the first authgate object is created.

  Errors: every failure raises an EAuthgate descendant that says what to do:
    EAuthgateSignInRequired  the user must sign in again (no tokens, refused refresh token,
                             wrong password, access denied)
    EAuthgateTransient       try again later: network down, timeout, 5xx, 429 (RetryAfter)
    EAuthgateConfig          fix the configuration or the registration (bad argument,
                             invalid_client, unauthorized_client, invalid_scope, ...)
    EAuthgateSecurity        do not trust this sign-in (state or issuer mismatch, id_token)
    EAuthgateTransport       the request did not get through and retrying will not help
                             by itself (TLS failure, an answer larger than the cap)
    EAuthgateOAuth           another OAuth error from the server
    EAuthgateProtocol        the server's answer is not OAuth (an HTML page from a proxy)
    EAuthgateStore           the token store could not be read or written
    EAuthgateCancelled       the operation was cancelled
    EAuthgateLibrary         the library is missing, is not authgate, or is too old
    EAuthgateInternal        a defect in authgate (please report it)
  Each carries Code (the C result code), CodeName, OAuthError, Description, ErrorUri,
  HttpStatus (0 when there was no answer), RetryAfter (seconds, -1 when not said),
  IsTransient and IsTerminal. No message or field ever holds a token, secret or password.

  Threads: objects may be used from several threads at once (the C handles are
  thread-safe); do not free one that another thread uses. A blocking call (Password,
  Refresh, TAuthgateTokenManager.AccessToken) blocks for at most the configured timeouts:
  on a UI thread, start an operation (StartPassword, StartWaitForDeviceToken, ...) and poll it
  from a TTimer instead (see authgate_timer_example.dpr).

  Floating-point exceptions: Delphi and Free Pascal unmask FPU exceptions that C and Rust
  code expects masked; authgate does no floating-point work on the calling thread today,
  but if another library complains, mask them around its calls (SetExceptionMask). }
unit AuthGate.Classes;

{$IFDEF FPC}{$MODE DELPHI}{$H+}{$ENDIF}

interface

uses
  SysUtils;

const
  { The oldest library this unit works with (its functions and semantics). }
  AuthgateMinimumVersion = '0.1.0';

  { C result codes (authgate_result), for EAuthgate.Code }
  AUTHGATE_OK = 0;
  AUTHGATE_INVALID_ARGUMENT = 100;
  AUTHGATE_CONFIG = 101;
  AUTHGATE_NULL_POINTER = 110;
  AUTHGATE_INVALID_UTF8 = 111;
  AUTHGATE_WRONG_HANDLE = 112;
  AUTHGATE_INTERIOR_NUL = 113;
  AUTHGATE_TRANSPORT = 200;
  AUTHGATE_DNS = 201;
  AUTHGATE_CONNECT = 202;
  AUTHGATE_TLS = 203;
  AUTHGATE_TIMEOUT = 204;
  AUTHGATE_BODY_TOO_LARGE = 205;
  AUTHGATE_PROXY = 206;
  AUTHGATE_IO = 207;
  AUTHGATE_OAUTH = 300;
  AUTHGATE_INVALID_GRANT = 301;
  AUTHGATE_INVALID_CLIENT = 302;
  AUTHGATE_INVALID_REQUEST = 303;
  AUTHGATE_UNAUTHORIZED_CLIENT = 304;
  AUTHGATE_UNSUPPORTED_GRANT_TYPE = 305;
  AUTHGATE_INVALID_SCOPE = 306;
  AUTHGATE_ACCESS_DENIED = 307;
  AUTHGATE_STATE_MISMATCH = 320;
  AUTHGATE_ISSUER_MISMATCH = 321;
  AUTHGATE_SIGN_IN_REQUIRED = 330;
  AUTHGATE_STORE = 340;
  AUTHGATE_CANCELLED = 350;
  AUTHGATE_UNEXPECTED_RESPONSE = 400;
  AUTHGATE_ID_TOKEN_MALFORMED = 500;
  AUTHGATE_ID_TOKEN_NONCE = 508;
  AUTHGATE_PENDING = 600;
  AUTHGATE_RESULT_TAKEN = 601;
  AUTHGATE_SLOW_DOWN = 602;
  AUTHGATE_PANIC = 900;
  AUTHGATE_INTERNAL = 901;

type
  { The base of every authgate exception. }
  EAuthgate = class(Exception)
  private
    FCode: Cardinal;
    FCodeName: string;
    FOAuthError: string;
    FDescription: string;
    FErrorUri: string;
    FHttpStatus: Integer;
    FRetryAfter: Int64;
    FIsTransient: Boolean;
    FIsTerminal: Boolean;
  public
    { The C result code (AUTHGATE_*), 0 for EAuthgateLibrary. }
    property Code: Cardinal read FCode;
    { The code's name, e.g. 'invalid_grant' ('library' for EAuthgateLibrary). }
    property CodeName: string read FCodeName;
    { The OAuth `error` the server sent ('invalid_grant'), or ''. }
    property OAuthError: string read FOAuthError;
    { The server's `error_description` (scrubbed of secrets), or ''. }
    property Description: string read FDescription;
    { The server's `error_uri`, or ''. }
    property ErrorUri: string read FErrorUri;
    { The HTTP status of the answer, or 0 when there was no answer. }
    property HttpStatus: Integer read FHttpStatus;
    { Seconds the server asked to wait (Retry-After), or -1 when it did not say. }
    property RetryAfter: Int64 read FRetryAfter;
    { The same call may succeed later. }
    property IsTransient: Boolean read FIsTransient;
    { Retrying cannot help: sign in again or fix the configuration. }
    property IsTerminal: Boolean read FIsTerminal;
  end;
  EAuthgateClass = class of EAuthgate;

  EAuthgateSignInRequired = class(EAuthgate);
  EAuthgateTransient = class(EAuthgate);
  EAuthgateConfig = class(EAuthgate);
  EAuthgateSecurity = class(EAuthgate);
  EAuthgateTransport = class(EAuthgate);
  EAuthgateOAuth = class(EAuthgate);
  EAuthgateProtocol = class(EAuthgate);
  EAuthgateStore = class(EAuthgate);
  EAuthgateCancelled = class(EAuthgate);
  EAuthgateLibrary = class(EAuthgate);
  EAuthgateInternal = class(EAuthgate);

  TAuthgateOperationState = (osQueued, osSending, osDone, osCancelled, osWaiting);

  { The base of the classes below: owns one handle of the C API and frees it. }
  TAuthgateObject = class
  protected
    FHandle: Pointer;
    { Frees FHandle (Destroy calls it when FHandle is set). }
    procedure FreeHandle; virtual; abstract;
  public
    { Takes ownership of a C handle of the class's kind (authgate_token_set for
      TAuthgateTokenSet, ...). }
    constructor CreateFromHandle(AHandle: Pointer);
    destructor Destroy; override;
    { The C handle, owned by this object. }
    property Handle: Pointer read FHandle;
  end;

  { A token response: access token, refresh token, expiry. Holds secrets: never log
    ToJson, AccessToken or RefreshToken. }
  TAuthgateTokenSet = class(TAuthgateObject)
  protected
    procedure FreeHandle; override;
  private
    function Get(Index: Integer): string;
    function GetExpiresAtUtc: TDateTime;
    function GetExpiresAt: TDateTime;
    function GetExpiresIn: Int64;
  public
    { Reads what ToJson wrote. }
    constructor CreateFromJson(const Json: string);
    { The token set as JSON, to keep it somewhere (it holds the refresh token: keep it
      like a password). }
    function ToJson: string;
    { True when the access token expires within LeewaySeconds (False when the expiry is
      unknown). }
    function IsExpired(LeewaySeconds: Cardinal = 0): Boolean;
    property AccessToken: string index 0 read Get;
    property TokenType: string index 1 read Get;
    { '' when the server sent none. }
    property RefreshToken: string index 2 read Get;
    property Scope: string index 3 read Get;
    property IdToken: string index 4 read Get;
    { 'Bearer <access token>', for the Authorization header. }
    property AuthorizationHeader: string index 5 read Get;
    { The lifetime in seconds as the server sent it, or -1. }
    property ExpiresIn: Int64 read GetExpiresIn;
    { When the access token expires, in local time; 0 when unknown. }
    property ExpiresAt: TDateTime read GetExpiresAt;
    { When the access token expires, in UTC; 0 when unknown. }
    property ExpiresAtUtc: TDateTime read GetExpiresAtUtc;
  end;

  { A device authorization (RFC 8628): show UserCode and VerificationUri (or the QR code
    of VerificationUriComplete) to the user, then wait for the tokens. ToJson/CreateFromJson
    resume the wait after a restart; the JSON holds the device code, a secret. }
  TAuthgateDevice = class(TAuthgateObject)
  protected
    procedure FreeHandle; override;
  private
    function Get(Index: Integer): string;
    function GetSeconds(Index: Integer): Int64;
  public
    constructor CreateFromJson(const Json: string);
    function ToJson: string;
    { The QR code of VerificationUriComplete (or VerificationUri) as an SVG document. }
    function QrSvg: string;
    { The same QR code as text (block characters), for a console or a fixed-width font. }
    function QrText: string;
    property UserCode: string index 0 read Get;
    property VerificationUri: string index 1 read Get;
    { '' when the server sent none. }
    property VerificationUriComplete: string index 2 read Get;
    property ExpiresIn: Int64 index 0 read GetSeconds;
    property Interval: Int64 index 1 read GetSeconds;
  end;

  { A request running on its own thread: poll Finished from a timer, then TakeResult.
    Freeing an unfinished operation discards its result (and a rotated refresh token in
    it): Cancel, wait for Finished, TakeResult, then free. }
  TAuthgateOperation = class(TAuthgateObject)
  protected
    procedure FreeHandle; override;
  private
    function GetFinished: Boolean;
    function GetState: TAuthgateOperationState;
  public
    { Waits at most TimeoutMs milliseconds; True when finished. }
    function Wait(TimeoutMs: Cardinal): Boolean;
    { Skips the request if not sent yet, stops waiting for a user; a request already sent
      still delivers its result through TakeResult. }
    procedure Cancel;
    { The tokens (the caller frees them); raises the request's error, EAuthgateCancelled,
      or EAuthgateConfig when called before Finished or twice. }
    function TakeResult: TAuthgateTokenSet;
    { True once the operation has finished (non-blocking). }
    property Finished: Boolean read GetFinished;
    property State: TAuthgateOperationState read GetState;
  end;

  { The settings of a client: a provider preset ('generic', 'taxcom', 'kontur',
    'gearcode', 'cuba') and the values your registration needs. Setting a property
    validates the value at once (EAuthgateConfig). }
  TAuthgateConfig = class(TAuthgateObject)
  protected
    procedure FreeHandle; override;
  private
    procedure SetText(Index: Integer; const Value: string);
    procedure SetMs(Index: Integer; Value: Cardinal);
    procedure SetAllowInsecureHttp(Value: Boolean);
  public
    constructor Create(const Provider: string);
    { OpenID Connect discovery (one blocking GET): fills the endpoints from the issuer. }
    procedure Discover(const Issuer: string);
    { An extra parameter sent with every token request. }
    procedure AddTokenParam(const Name, Value: string);
    property BaseUrl: string index 0 write SetText;
    property ClientId: string index 1 write SetText;
    property ClientSecret: string index 2 write SetText;
    { Space-separated. }
    property Scopes: string index 3 write SetText;
    property RedirectUri: string index 4 write SetText;
    property TokenEndpoint: string index 5 write SetText;
    property AuthorizationEndpoint: string index 6 write SetText;
    property Proxy: string index 7 write SetText;
    property CaFile: string index 8 write SetText;
    property UserAgent: string index 9 write SetText;
    { Milliseconds. }
    property TimeoutMs: Cardinal index 0 write SetMs;
    property ConnectTimeoutMs: Cardinal index 1 write SetMs;
    property AllowInsecureHttp: Boolean write SetAllowInsecureHttp;
  end;

  { A client of one authorization server. Every method raises an EAuthgate descendant
    on failure. }
  TAuthgateClient = class(TAuthgateObject)
  protected
    procedure FreeHandle; override;
  public
    { The config may be freed afterwards. }
    constructor Create(Config: TAuthgateConfig);
    { A client from a JSON configuration (see the README). }
    constructor CreateFromJson(const Json: string);
    { Blocking token requests (the caller frees the result). }
    function Password(const Username, Password: string; const Scopes: string = ''): TAuthgateTokenSet;
    function Refresh(const RefreshToken: string; const Scopes: string = ''): TAuthgateTokenSet;
    function ClientCredentials(const Scopes: string = ''): TAuthgateTokenSet;
    { The same on their own thread: for a UI thread (the caller frees the operation). }
    function StartPassword(const Username, Password: string; const Scopes: string = ''): TAuthgateOperation;
    function StartRefresh(const RefreshToken: string; const Scopes: string = ''): TAuthgateOperation;
    function StartClientCredentials(const Scopes: string = ''): TAuthgateOperation;
    { The device flow: start it (blocking, one request), then either poll yourself or
      let an operation wait for the user. }
    function DeviceAuthorization(const Scopes: string = ''): TAuthgateDevice;
    { One poll: True and Tokens when the user approved, False while pending; raises when
      denied or expired. }
    function PollDeviceToken(Device: TAuthgateDevice; out Tokens: TAuthgateTokenSet): Boolean;
    { Waits for the user on its own thread, polling at the server's interval. }
    function StartWaitForDeviceToken(Device: TAuthgateDevice): TAuthgateOperation;
  end;

  { Supplies the username and password when the manager must run the password grant.
    Set Supplied to True to send them; leave it False to decline (the call then raises
    EAuthgateSignInRequired). Runs on the thread whose call needs tokens; must not use
    the same manager. An exception raised in it declines. }
  TAuthgateCredentialsEvent = procedure(Sender: TObject; var Username, Password: string;
    var Supplied: Boolean) of object;

  { Told of every new token set the manager obtains from the server (a refresh, which
    with GearCode rotates the refresh token; a client credentials or password grant),
    after it tried to save it to its store: for an application that also keeps the
    tokens elsewhere (its database). Tokens is borrowed for the call: read it (ToJson to
    keep it), do not free it. Runs on the thread whose call refreshed while other threads
    wait: keep it short, do not use the same manager. An exception raised in it is
    swallowed (the tokens stay in use and in the store). Sets given to SetTokens are not
    reported. }
  TAuthgateTokensChangedEvent = procedure(Sender: TObject; Tokens: TAuthgateTokenSet) of object;

  { Keeps a valid access token: refreshes it before it expires, once however many
    threads ask, and saves every new token set to its store (a file, or memory). }
  TAuthgateTokenManager = class(TAuthgateObject)
  protected
    procedure FreeHandle; override;
  private
    FOnPasswordCredentials: TAuthgateCredentialsEvent;
    FOnTokensChanged: TAuthgateTokensChangedEvent;
    procedure SetOnPasswordCredentials(Value: TAuthgateCredentialsEvent);
    procedure SetOnTokensChanged(Value: TAuthgateTokensChangedEvent);
  public
    { StoreFile '' keeps the tokens in memory only. OptionsJson: '' or a JSON object
      with leeway_ms, allow_client_credentials, max_attempts, max_backoff_ms,
      wait_timeout_ms. The client may be freed afterwards. }
    constructor Create(Client: TAuthgateClient; const StoreFile: string = '';
      const OptionsJson: string = '');
    { A valid access token (blocking when it must be refreshed). Raises
      EAuthgateSignInRequired when the user must sign in again. }
    function AccessToken: string;
    { A token valid for at least Seconds more. }
    function AccessTokenValidFor(Seconds: Cardinal): string;
    { A copy of the current token set (the caller frees it). }
    function Tokens: TAuthgateTokenSet;
    { Hands the manager the tokens of a sign-in; saved before this returns. }
    procedure SetTokens(Tokens: TAuthgateTokenSet);
    { The next AccessToken refreshes, whatever the expiry said. }
    procedure Invalidate;
    { After the API answered 401 to the access token Rejected: the next AccessToken
      refreshes if Rejected is still the current token (True), else a newer one is in
      use already (False: just ask again). Many requests refused with one token cause
      one refresh. }
    function InvalidateToken(const Rejected: string): Boolean;
    { Forgets the tokens (sign out), in memory and in the store. }
    procedure Clear;
    property OnPasswordCredentials: TAuthgateCredentialsEvent read FOnPasswordCredentials
      write SetOnPasswordCredentials;
    property OnTokensChanged: TAuthgateTokensChangedEvent read FOnTokensChanged
      write SetOnTokensChanged;
  end;

var
  { The library to load; '' = the system's name for it (see the unit's header). Set it
    before the first authgate object is created. }
  AuthgateLibraryPath: string = '';

{ Loads the library now (constructors do it on first use); raises EAuthgateLibrary when it
  is missing, is not authgate or is older than AuthgateMinimumVersion. Thread-safe. }
procedure AuthgateLoadLibrary;
{ The loaded library's version, e.g. '0.1.0' (loads it). }
function AuthgateVersion: string;
{ True when the dotted version Version ('0.1.2') is at least Minimum. }
function AuthgateVersionAtLeast(const Version, Minimum: string): Boolean;
{ Raises the EAuthgate descendant for Code with this thread's last error (Code <> 0). }
procedure AuthgateRaise(Code: Cardinal);
{ The exception class for a code and the last error's transient flag. }
function AuthgateExceptionClass(Code: Cardinal; Transient: Boolean): EAuthgateClass;

implementation

uses
{$IFDEF FPC}
  dynlibs,
{$ELSE}
  {$IFDEF MSWINDOWS}Windows,{$ENDIF}
{$ENDIF}
  DateUtils;

type
  TRes = Cardinal;
  PP = Pointer;
  TStrFn = function(H: PP; out Value: PAnsiChar): TRes; cdecl;
  { a new handle from one string: a name or a JSON document }
  TNewFn = function(Text: PAnsiChar; out Handle: PP): TRes; cdecl;
  { a grant, blocking or started as an operation: a token set or an operation }
  TPasswordFn = function(Client: PP; Username, Password, Scopes, Extra: PAnsiChar;
    out Result: PP): TRes; cdecl;
  TRefreshFn = function(Client: PP; RefreshToken, Scopes, Extra: PAnsiChar; out Result: PP): TRes; cdecl;
  TScopesFn = function(Client: PP; Scopes, Extra: PAnsiChar; out Result: PP): TRes; cdecl;
  TCredentialsCallback = function(UserData: Pointer; Username: PAnsiChar; UsernameCapacity: NativeUInt;
    Password: PAnsiChar; PasswordCapacity: NativeUInt): TRes; cdecl;
  TTokensChangedCallback = procedure(UserData: Pointer; Tokens: PP); cdecl;

  { The C functions this unit uses, bound by name in Bind (same order as ApiNames). }
  TApi = record
    version: function: PAnsiChar; cdecl;
    result_str: function(Code: TRes): PAnsiChar; cdecl;
    string_free: procedure(S: PAnsiChar); cdecl;
    last_error_message: function: PAnsiChar; cdecl;
    last_error_oauth_error: function: PAnsiChar; cdecl;
    last_error_description: function: PAnsiChar; cdecl;
    last_error_uri: function: PAnsiChar; cdecl;
    last_error_http_status: function: Integer; cdecl;
    last_error_is_terminal: function: Integer; cdecl;
    last_error_is_transient: function: Integer; cdecl;
    last_error_retry_after: function: Int64; cdecl;
    config_new_by_name: TNewFn;
    config_free: procedure(Config: PP); cdecl;
    config_set_base_url, config_set_client_id, config_set_client_secret, config_set_scopes,
    config_set_redirect_uri, config_set_token_endpoint, config_set_authorization_endpoint,
    config_set_proxy, config_set_ca_file, config_set_user_agent, config_discover:
      function(Config: PP; Value: PAnsiChar): TRes; cdecl;
    config_set_timeout_ms, config_set_connect_timeout_ms: function(Config: PP; Ms: UInt64): TRes; cdecl;
    config_set_allow_insecure_http: function(Config: PP; Allow: Integer): TRes; cdecl;
    config_add_token_param: function(Config: PP; Name, Value: PAnsiChar): TRes; cdecl;
    client_new: function(Config: PP; out Client: PP): TRes; cdecl;
    client_new_from_json: TNewFn;
    client_free: procedure(Client: PP); cdecl;
    client_password, client_password_start: TPasswordFn;
    client_refresh, client_refresh_start: TRefreshFn;
    client_client_credentials, client_client_credentials_start: TScopesFn;
    client_device_authorization: function(Client: PP; Scopes: PAnsiChar; out Device: PP): TRes; cdecl;
    client_poll_device_token, client_wait_for_device_token_start: function(Client, Device: PP;
      out Result: PP): TRes; cdecl;
    device_free: procedure(Device: PP); cdecl;
    device_user_code, device_verification_uri, device_verification_uri_complete: TStrFn;
    device_expires_in, device_interval: function(Device: PP; out Seconds: UInt64): TRes; cdecl;
    device_qr_svg, device_qr_text, device_to_json: TStrFn;
    device_from_json: TNewFn;
    operation_poll: function(Op: PP): TRes; cdecl;
    operation_wait: function(Op: PP; TimeoutMs: Cardinal): TRes; cdecl;
    operation_state: function(Op: PP; out State: Cardinal): TRes; cdecl;
    operation_take_result: function(Op: PP; out Tokens: PP): TRes; cdecl;
    operation_cancel: function(Op: PP): TRes; cdecl;
    operation_free: procedure(Op: PP); cdecl;
    store_new_memory: function(out Store: PP): TRes; cdecl;
    store_new_file: function(Path: PAnsiChar; out Store: PP): TRes; cdecl;
    store_free: procedure(Store: PP); cdecl;
    manager_new: function(Client, Store: PP; Options: PAnsiChar; out Manager: PP): TRes; cdecl;
    manager_set_password_credentials: function(Manager: PP; Callback: TCredentialsCallback;
      UserData: Pointer): TRes; cdecl;
    manager_set_tokens_changed_callback: function(Manager: PP; Callback: TTokensChangedCallback;
      UserData: Pointer): TRes; cdecl;
    manager_set_tokens: function(Manager, Tokens: PP): TRes; cdecl;
    manager_access_token: function(Manager: PP; out Token: PAnsiChar): TRes; cdecl;
    manager_access_token_valid_for_ms: function(Manager: PP; MinMs: UInt64;
      out Token: PAnsiChar): TRes; cdecl;
    manager_invalidate_token: function(Manager: PP; Rejected: PAnsiChar;
      out Invalidated: Integer): TRes; cdecl;
    manager_token_set: function(Manager: PP; out Tokens: PP): TRes; cdecl;
    manager_invalidate, manager_clear: function(Manager: PP): TRes; cdecl;
    manager_free: procedure(Manager: PP); cdecl;
    token_set_new_from_json: TNewFn;
    token_set_to_json: TStrFn;
    token_set_free: procedure(Tokens: PP); cdecl;
    token_set_access_token, token_set_token_type, token_set_refresh_token, token_set_scope,
    token_set_id_token, token_set_authorization_header: TStrFn;
    token_set_expires_in, token_set_expires_at: function(Tokens: PP; out Value: Int64): TRes; cdecl;
    token_set_is_expired_ms: function(Tokens: PP; LeewayMs: UInt64; out Expired: Integer): TRes; cdecl;
  end;

const
  ApiCount = 82;
{$IF SizeOf(TApi) <> ApiCount * SizeOf(Pointer)}
  {$MESSAGE ERROR 'TApi and ApiNames must list the same functions'}
{$IFEND}

  { The C names of TApi's fields, in the same order (without the authgate_ prefix). }
  ApiNames: array[0..ApiCount - 1] of AnsiString = (
    'version', 'result_str', 'string_free', 'last_error_message', 'last_error_oauth_error',
    'last_error_description', 'last_error_uri', 'last_error_http_status',
    'last_error_is_terminal', 'last_error_is_transient', 'last_error_retry_after',
    'config_new_by_name', 'config_free',
    'config_set_base_url', 'config_set_client_id', 'config_set_client_secret', 'config_set_scopes',
    'config_set_redirect_uri', 'config_set_token_endpoint', 'config_set_authorization_endpoint',
    'config_set_proxy', 'config_set_ca_file', 'config_set_user_agent', 'config_discover',
    'config_set_timeout_ms', 'config_set_connect_timeout_ms', 'config_set_allow_insecure_http',
    'config_add_token_param', 'client_new', 'client_new_from_json', 'client_free',
    'client_password', 'client_password_start', 'client_refresh', 'client_refresh_start',
    'client_client_credentials', 'client_client_credentials_start',
    'client_device_authorization', 'client_poll_device_token',
    'client_wait_for_device_token_start',
    'device_free', 'device_user_code', 'device_verification_uri',
    'device_verification_uri_complete', 'device_expires_in', 'device_interval',
    'device_qr_svg', 'device_qr_text', 'device_to_json', 'device_from_json',
    'operation_poll', 'operation_wait', 'operation_state', 'operation_take_result',
    'operation_cancel', 'operation_free', 'store_new_memory', 'store_new_file', 'store_free',
    'manager_new', 'manager_set_password_credentials', 'manager_set_tokens_changed_callback',
    'manager_set_tokens',
    'manager_access_token', 'manager_access_token_valid_for_ms', 'manager_invalidate_token',
    'manager_token_set',
    'manager_invalidate', 'manager_clear', 'manager_free', 'token_set_new_from_json',
    'token_set_to_json', 'token_set_free', 'token_set_access_token', 'token_set_token_type',
    'token_set_refresh_token', 'token_set_scope', 'token_set_id_token',
    'token_set_authorization_header', 'token_set_expires_in', 'token_set_expires_at',
    'token_set_is_expired_ms');

{$IFDEF MSWINDOWS}
  DefaultLibrary = 'authgate.dll';
{$ELSE}
  {$IF Defined(DARWIN) or Defined(MACOS)}
  DefaultLibrary = 'libauthgate.dylib';
  {$ELSE}
  DefaultLibrary = 'libauthgate.so.0'; { the soname: the runtime file, without the dev symlink }
  {$IFEND}
{$ENDIF}

var
  Api: TApi;
  Loaded: Boolean = False;
  LibHandle: {$IFDEF FPC}TLibHandle{$ELSE}HMODULE{$ENDIF} = 0;
  LoadLock: TSimpleRWSync = nil;

{ strings: `string` <-> the C side's UTF-8 }

type
  TUtf8 = {$IFDEF UNICODE}UTF8String{$ELSE}RawByteString{$ENDIF};

function U8(const S: string): TUtf8;
begin
{$IFDEF UNICODE}
  Result := UTF8String(S);
{$ELSE}
  Result := S; { Free Pascal: the string already holds UTF-8 (no conversion) }
{$ENDIF}
end;

{ nil for '' (the C API's "not given") }
function Opt(const S: TUtf8): PAnsiChar;
begin
  if S = '' then
    Result := nil
  else
    Result := PAnsiChar(S);
end;

function Str(P: PAnsiChar): string;
begin
  if P = nil then
    Result := ''
  else
{$IFDEF UNICODE}
    Result := string(UTF8String(P));
{$ELSE}
    Result := string(P);
{$ENDIF}
end;

{ a string the caller owns: copied, then wiped and freed by the library }
function TakeStr(P: PAnsiChar): string;
begin
  try
    Result := Str(P);
  finally
    if P <> nil then
      Api.string_free(P);
  end;
end;

{ overwrites a string's characters (best effort for passwords: other copies may exist) }
procedure Wipe(var S: TUtf8);
begin
  if S <> '' then
  begin
    UniqueString(AnsiString(S));
    FillChar(PAnsiChar(S)^, Length(S), 0);
  end;
  S := '';
end;

{ errors }

function AuthgateExceptionClass(Code: Cardinal; Transient: Boolean): EAuthgateClass;
begin
  case Code of
    AUTHGATE_SIGN_IN_REQUIRED, AUTHGATE_INVALID_GRANT, AUTHGATE_ACCESS_DENIED:
      Result := EAuthgateSignInRequired;
    AUTHGATE_INVALID_ARGUMENT, AUTHGATE_CONFIG, AUTHGATE_NULL_POINTER..AUTHGATE_INTERIOR_NUL,
    AUTHGATE_INVALID_CLIENT, AUTHGATE_UNAUTHORIZED_CLIENT, AUTHGATE_UNSUPPORTED_GRANT_TYPE,
    AUTHGATE_INVALID_SCOPE, AUTHGATE_PENDING, AUTHGATE_RESULT_TAKEN:
      Result := EAuthgateConfig;
    AUTHGATE_STATE_MISMATCH, AUTHGATE_ISSUER_MISMATCH,
    AUTHGATE_ID_TOKEN_MALFORMED..AUTHGATE_ID_TOKEN_NONCE:
      Result := EAuthgateSecurity;
    AUTHGATE_STORE:
      Result := EAuthgateStore;
    AUTHGATE_CANCELLED:
      Result := EAuthgateCancelled;
  else
    if Transient then
      Result := EAuthgateTransient
    else
      case Code of
        AUTHGATE_TRANSPORT..AUTHGATE_IO: Result := EAuthgateTransport;
        AUTHGATE_OAUTH..AUTHGATE_ACCESS_DENIED: Result := EAuthgateOAuth;
        AUTHGATE_UNEXPECTED_RESPONSE: Result := EAuthgateProtocol;
      else
        Result := EAuthgateInternal;
      end;
  end;
end;

procedure AuthgateRaise(Code: Cardinal);
var
  Transient: Boolean;
  E: EAuthgate;
  Message: string;
begin
  Transient := Api.last_error_is_transient <> 0;
  Message := Str(Api.last_error_message);
  if Message = '' then
    Message := Str(Api.result_str(Code));
  E := AuthgateExceptionClass(Code, Transient).Create(Message);
  E.FCode := Code;
  E.FCodeName := Str(Api.result_str(Code));
  E.FOAuthError := Str(Api.last_error_oauth_error);
  E.FDescription := Str(Api.last_error_description);
  E.FErrorUri := Str(Api.last_error_uri);
  E.FHttpStatus := Api.last_error_http_status;
  E.FRetryAfter := Api.last_error_retry_after;
  E.FIsTransient := Transient;
  E.FIsTerminal := Api.last_error_is_terminal <> 0;
  raise E;
end;

procedure Check(Code: TRes);
begin
  if Code <> AUTHGATE_OK then
    AuthgateRaise(Code);
end;

function GetStr(Fn: TStrFn; Handle: PP): string;
var
  P: PAnsiChar;
begin
  Check(Fn(Handle, P));
  Result := Str(P);
end;

function TakeJson(Fn: TStrFn; Handle: PP): string;
var
  P: PAnsiChar;
begin
  Check(Fn(Handle, P));
  Result := TakeStr(P);
end;

procedure LibraryError(const Message: string);
var
  E: EAuthgateLibrary;
begin
  E := EAuthgateLibrary.Create(Message);
  E.FCodeName := 'library';
  E.FRetryAfter := -1;
  E.FIsTerminal := True;
  raise E;
end;

{ loading }

function VersionPart(const Version: string; Index: Integer): Integer;
var
  I, Part, Start: Integer;
begin
  Part := 0;
  Start := 1;
  Result := 0;
  for I := 1 to Length(Version) + 1 do
    if (I > Length(Version)) or not CharInSet(Version[I], ['0'..'9']) then
    begin
      if Part = Index then
      begin
        Result := StrToIntDef(Copy(Version, Start, I - Start), 0);
        Exit;
      end;
      if (I <= Length(Version)) and (Version[I] <> '.') then
        Exit; { '0.2.0-beta': the pre-release tail is ignored }
      Inc(Part);
      Start := I + 1;
    end;
end;

function AuthgateVersionAtLeast(const Version, Minimum: string): Boolean;
var
  I, A, B: Integer;
begin
  for I := 0 to 2 do
  begin
    A := VersionPart(Version, I);
    B := VersionPart(Minimum, I);
    if A <> B then
    begin
      Result := A > B;
      Exit;
    end;
  end;
  Result := True;
end;

procedure Unload;
begin
  if LibHandle <> 0 then
    FreeLibrary(LibHandle);
  LibHandle := 0;
  FillChar(Api, SizeOf(Api), 0);
end;

function Symbol(const Name: AnsiString; const Path: string): Pointer;
begin
{$IFDEF FPC}
  Result := GetProcAddress(LibHandle, 'authgate_' + Name);
{$ELSE}
  {$IFDEF MSWINDOWS}
  Result := GetProcAddress(LibHandle, PAnsiChar('authgate_' + Name));
  {$ELSE}
  Result := GetProcAddress(LibHandle, PChar(string('authgate_' + Name)));
  {$ENDIF}
{$ENDIF}
  if Result = nil then
  begin
    Unload;
    LibraryError(Format('%s is not libauthgate %s or later: it lacks authgate_%s (install a newer ' +
      'authgate library, or set AuthgateLibraryPath to one)', [Path, AuthgateMinimumVersion, string(Name)]));
  end;
end;

procedure Bind(const Path: string);
var
  Slots: PPointer;
  I: Integer;
  Version: string;
begin
  { authgate_version first: a library without it is not authgate at all }
  @Api.version := Symbol(ApiNames[0], Path);
  Version := Str(Api.version);
  if not AuthgateVersionAtLeast(Version, AuthgateMinimumVersion) or
     (VersionPart(Version, 0) <> VersionPart(AuthgateMinimumVersion, 0)) then
  begin
    Unload;
    LibraryError(Format('%s is authgate %s; this program needs %s or later (with the same major ' +
      'version): install a newer authgate library', [Path, Version, AuthgateMinimumVersion]));
  end;
  Slots := PPointer(@Api);
  for I := Low(ApiNames) to High(ApiNames) do
  begin
    Slots^ := Symbol(ApiNames[I], Path);
    Inc(Slots);
  end;
end;

procedure AuthgateLoadLibrary;
var
  Path, Reason: string;
begin
  if Loaded then
    Exit;
  LoadLock.BeginWrite;
  try
    if Loaded then
      Exit;
    Path := AuthgateLibraryPath;
    if Path = '' then
      Path := DefaultLibrary;
{$IFDEF FPC}
    LibHandle := LoadLibrary(Path);
    if LibHandle = NilHandle then
      Reason := GetLoadErrorStr;
{$ELSE}
  {$IFDEF MSWINDOWS}
    LibHandle := SafeLoadLibrary(Path);
    if LibHandle = 0 then
      Reason := SysErrorMessage(GetLastError);
  {$ELSE}
    LibHandle := LoadLibrary(PChar(Path));
    if LibHandle = 0 then
      Reason := 'not found or not loadable';
  {$ENDIF}
{$ENDIF}
    if LibHandle = 0 then
      LibraryError(Format('the authgate library %s could not be loaded: %s (put it beside the ' +
        'program or on the library path, or set AuthgateLibraryPath)', [Path, Reason]));
    Bind(Path);
    Loaded := True;
  finally
    LoadLock.EndWrite;
  end;
end;

function AuthgateVersion: string;
begin
  AuthgateLoadLibrary;
  Result := Str(Api.version);
end;

{ the local time of a UTC TDateTime }
function UtcToLocal(Utc: TDateTime): TDateTime;
begin
{$IFDEF FPC}
  Result := UniversalTimeToLocal(Utc);
{$ELSE}
  Result := TTimeZone.Local.ToLocalTime(Utc);
{$ENDIF}
end;

{ TAuthgateObject }

constructor TAuthgateObject.CreateFromHandle(AHandle: Pointer);
begin
  inherited Create;
  FHandle := AHandle;
end;

destructor TAuthgateObject.Destroy;
begin
  if FHandle <> nil then
    FreeHandle;
  inherited;
end;

{ a new handle from a name or a JSON document (the library is loaded: Fn is one of Api's) }
function NewHandle(Fn: TNewFn; const Text: string): PP;
var
  T: TUtf8;
begin
  T := U8(Text);
  Check(Fn(PAnsiChar(T), Result));
end;

{ TAuthgateTokenSet }

constructor TAuthgateTokenSet.CreateFromJson(const Json: string);
begin
  AuthgateLoadLibrary;
  inherited CreateFromHandle(NewHandle(Api.token_set_new_from_json, Json));
end;

procedure TAuthgateTokenSet.FreeHandle;
begin
  Api.token_set_free(FHandle);
end;

function TAuthgateTokenSet.Get(Index: Integer): string;
begin
  case Index of
    0: Result := GetStr(Api.token_set_access_token, FHandle);
    1: Result := GetStr(Api.token_set_token_type, FHandle);
    2: Result := GetStr(Api.token_set_refresh_token, FHandle);
    3: Result := GetStr(Api.token_set_scope, FHandle);
    4: Result := GetStr(Api.token_set_id_token, FHandle);
  else
    Result := GetStr(Api.token_set_authorization_header, FHandle);
  end;
end;

function TAuthgateTokenSet.ToJson: string;
begin
  Result := TakeJson(Api.token_set_to_json, FHandle);
end;

function TAuthgateTokenSet.IsExpired(LeewaySeconds: Cardinal): Boolean;
var
  Expired: Integer;
begin
  Check(Api.token_set_is_expired_ms(FHandle, UInt64(LeewaySeconds) * 1000, Expired));
  Result := Expired <> 0;
end;

function TAuthgateTokenSet.GetExpiresIn: Int64;
begin
  Check(Api.token_set_expires_in(FHandle, Result));
end;

function TAuthgateTokenSet.GetExpiresAtUtc: TDateTime;
var
  At: Int64;
begin
  Check(Api.token_set_expires_at(FHandle, At));
  if At < 0 then
    Result := 0
  else
    Result := UnixToDateTime(At);
end;

function TAuthgateTokenSet.GetExpiresAt: TDateTime;
begin
  Result := GetExpiresAtUtc;
  if Result <> 0 then
    Result := UtcToLocal(Result);
end;

{ TAuthgateDevice }

constructor TAuthgateDevice.CreateFromJson(const Json: string);
begin
  AuthgateLoadLibrary;
  inherited CreateFromHandle(NewHandle(Api.device_from_json, Json));
end;

procedure TAuthgateDevice.FreeHandle;
begin
  Api.device_free(FHandle);
end;

function TAuthgateDevice.Get(Index: Integer): string;
begin
  case Index of
    0: Result := GetStr(Api.device_user_code, FHandle);
    1: Result := GetStr(Api.device_verification_uri, FHandle);
  else
    Result := GetStr(Api.device_verification_uri_complete, FHandle);
  end;
end;

function TAuthgateDevice.GetSeconds(Index: Integer): Int64;
var
  Seconds: UInt64;
begin
  if Index = 0 then
    Check(Api.device_expires_in(FHandle, Seconds))
  else
    Check(Api.device_interval(FHandle, Seconds));
  Result := Int64(Seconds);
end;

function TAuthgateDevice.ToJson: string;
begin
  Result := TakeJson(Api.device_to_json, FHandle);
end;

function TAuthgateDevice.QrSvg: string;
begin
  Result := TakeJson(Api.device_qr_svg, FHandle);
end;

function TAuthgateDevice.QrText: string;
begin
  Result := TakeJson(Api.device_qr_text, FHandle);
end;

{ TAuthgateOperation }

procedure TAuthgateOperation.FreeHandle;
begin
  Api.operation_free(FHandle);
end;

function TAuthgateOperation.GetFinished: Boolean;
begin
  Result := Api.operation_poll(FHandle) = AUTHGATE_OK;
end;

function TAuthgateOperation.Wait(TimeoutMs: Cardinal): Boolean;
begin
  Result := Api.operation_wait(FHandle, TimeoutMs) = AUTHGATE_OK;
end;

procedure TAuthgateOperation.Cancel;
begin
  Check(Api.operation_cancel(FHandle));
end;

function TAuthgateOperation.GetState: TAuthgateOperationState;
var
  S: Cardinal;
begin
  Check(Api.operation_state(FHandle, S));
  if S > Cardinal(Ord(High(TAuthgateOperationState))) then
    S := Ord(osSending); { a state newer than this unit: still running }
  Result := TAuthgateOperationState(S);
end;

function TAuthgateOperation.TakeResult: TAuthgateTokenSet;
var
  H: PP;
begin
  Check(Api.operation_take_result(FHandle, H));
  Result := TAuthgateTokenSet.CreateFromHandle(H);
end;

{ TAuthgateConfig }

constructor TAuthgateConfig.Create(const Provider: string);
begin
  AuthgateLoadLibrary;
  inherited CreateFromHandle(NewHandle(Api.config_new_by_name, Provider));
end;

procedure TAuthgateConfig.FreeHandle;
begin
  Api.config_free(FHandle);
end;

procedure TAuthgateConfig.SetText(Index: Integer; const Value: string);
var
  V: TUtf8;
begin
  V := U8(Value);
  try
    case Index of
      0: Check(Api.config_set_base_url(FHandle, PAnsiChar(V)));
      1: Check(Api.config_set_client_id(FHandle, PAnsiChar(V)));
      2: Check(Api.config_set_client_secret(FHandle, PAnsiChar(V)));
      3: Check(Api.config_set_scopes(FHandle, PAnsiChar(V)));
      4: Check(Api.config_set_redirect_uri(FHandle, PAnsiChar(V)));
      5: Check(Api.config_set_token_endpoint(FHandle, PAnsiChar(V)));
      6: Check(Api.config_set_authorization_endpoint(FHandle, PAnsiChar(V)));
      7: Check(Api.config_set_proxy(FHandle, PAnsiChar(V)));
      8: Check(Api.config_set_ca_file(FHandle, PAnsiChar(V)));
    else
      Check(Api.config_set_user_agent(FHandle, PAnsiChar(V)));
    end;
  finally
    if Index = 2 then
      Wipe(V);
  end;
end;

procedure TAuthgateConfig.SetMs(Index: Integer; Value: Cardinal);
begin
  if Index = 0 then
    Check(Api.config_set_timeout_ms(FHandle, Value))
  else
    Check(Api.config_set_connect_timeout_ms(FHandle, Value));
end;

procedure TAuthgateConfig.SetAllowInsecureHttp(Value: Boolean);
begin
  Check(Api.config_set_allow_insecure_http(FHandle, Ord(Value)));
end;

procedure TAuthgateConfig.Discover(const Issuer: string);
var
  V: TUtf8;
begin
  V := U8(Issuer);
  Check(Api.config_discover(FHandle, PAnsiChar(V)));
end;

procedure TAuthgateConfig.AddTokenParam(const Name, Value: string);
var
  N, V: TUtf8;
begin
  N := U8(Name);
  V := U8(Value);
  Check(Api.config_add_token_param(FHandle, PAnsiChar(N), PAnsiChar(V)));
end;

{ TAuthgateClient }

procedure TAuthgateClient.FreeHandle;
begin
  Api.client_free(FHandle);
end;

constructor TAuthgateClient.CreateFromJson(const Json: string);
begin
  AuthgateLoadLibrary;
  inherited CreateFromHandle(NewHandle(Api.client_new_from_json, Json));
end;

{ the grants, for the blocking call and its operation alike: the new handle }
function RunPassword(Fn: TPasswordFn; Client: PP; const Username, Password, Scopes: string): PP;
var
  U, P, S: TUtf8;
begin
  U := U8(Username);
  P := U8(Password);
  S := U8(Scopes);
  try
    Check(Fn(Client, PAnsiChar(U), PAnsiChar(P), Opt(S), nil, Result));
  finally
    Wipe(P);
  end;
end;

function RunRefresh(Fn: TRefreshFn; Client: PP; const RefreshToken, Scopes: string): PP;
var
  R, S: TUtf8;
begin
  R := U8(RefreshToken);
  S := U8(Scopes);
  Check(Fn(Client, PAnsiChar(R), Opt(S), nil, Result));
end;

function RunScopes(Fn: TScopesFn; Client: PP; const Scopes: string): PP;
var
  S: TUtf8;
begin
  S := U8(Scopes);
  Check(Fn(Client, Opt(S), nil, Result));
end;

function TAuthgateClient.Password(const Username, Password, Scopes: string): TAuthgateTokenSet;
begin
  Result := TAuthgateTokenSet.CreateFromHandle(RunPassword(Api.client_password, FHandle,
    Username, Password, Scopes));
end;

function TAuthgateClient.StartPassword(const Username, Password, Scopes: string): TAuthgateOperation;
begin
  Result := TAuthgateOperation.CreateFromHandle(RunPassword(Api.client_password_start, FHandle,
    Username, Password, Scopes));
end;

function TAuthgateClient.Refresh(const RefreshToken, Scopes: string): TAuthgateTokenSet;
begin
  Result := TAuthgateTokenSet.CreateFromHandle(RunRefresh(Api.client_refresh, FHandle,
    RefreshToken, Scopes));
end;

function TAuthgateClient.StartRefresh(const RefreshToken, Scopes: string): TAuthgateOperation;
begin
  Result := TAuthgateOperation.CreateFromHandle(RunRefresh(Api.client_refresh_start, FHandle,
    RefreshToken, Scopes));
end;

function TAuthgateClient.ClientCredentials(const Scopes: string): TAuthgateTokenSet;
begin
  Result := TAuthgateTokenSet.CreateFromHandle(RunScopes(Api.client_client_credentials, FHandle,
    Scopes));
end;

function TAuthgateClient.StartClientCredentials(const Scopes: string): TAuthgateOperation;
begin
  Result := TAuthgateOperation.CreateFromHandle(RunScopes(Api.client_client_credentials_start,
    FHandle, Scopes));
end;

constructor TAuthgateClient.Create(Config: TAuthgateConfig);
begin
  inherited Create;
  AuthgateLoadLibrary;
  if Config = nil then
    Check(Api.client_new(nil, FHandle)) { raises the library's own "null" error }
  else
    Check(Api.client_new(Config.Handle, FHandle));
end;

function TAuthgateClient.DeviceAuthorization(const Scopes: string): TAuthgateDevice;
var
  S: TUtf8;
  H: PP;
begin
  S := U8(Scopes);
  Check(Api.client_device_authorization(FHandle, Opt(S), H));
  Result := TAuthgateDevice.CreateFromHandle(H);
end;

function TAuthgateClient.PollDeviceToken(Device: TAuthgateDevice; out Tokens: TAuthgateTokenSet): Boolean;
var
  Code: TRes;
  H: PP;
begin
  Tokens := nil;
  Code := Api.client_poll_device_token(FHandle, Device.Handle, H);
  Result := Code = AUTHGATE_OK;
  if Result then
    Tokens := TAuthgateTokenSet.CreateFromHandle(H)
  else if (Code <> AUTHGATE_PENDING) and (Code <> AUTHGATE_SLOW_DOWN) then
    AuthgateRaise(Code);
end;

function TAuthgateClient.StartWaitForDeviceToken(Device: TAuthgateDevice): TAuthgateOperation;
var
  H: PP;
begin
  Check(Api.client_wait_for_device_token_start(FHandle, Device.Handle, H));
  Result := TAuthgateOperation.CreateFromHandle(H);
end;

{ TAuthgateTokenManager }

constructor TAuthgateTokenManager.Create(Client: TAuthgateClient; const StoreFile, OptionsJson: string);
var
  Store: PP;
  F, O: TUtf8;
  Code: TRes;
begin
  inherited Create;
  AuthgateLoadLibrary;
  F := U8(StoreFile);
  O := U8(OptionsJson);
  if F = '' then
    Check(Api.store_new_memory(Store))
  else
    Check(Api.store_new_file(PAnsiChar(F), Store));
  try
    if Client = nil then
      Code := Api.manager_new(nil, Store, Opt(O), FHandle)
    else
      Code := Api.manager_new(Client.Handle, Store, Opt(O), FHandle);
    Check(Code);
  finally
    Api.store_free(Store);
  end;
end;

procedure TAuthgateTokenManager.FreeHandle;
begin
  Api.manager_free(FHandle);
end;

{ the C callback behind OnPasswordCredentials: UserData is the manager object }
function CredentialsThunk(UserData: Pointer; Username: PAnsiChar; UsernameCapacity: NativeUInt;
  Password: PAnsiChar; PasswordCapacity: NativeUInt): TRes; cdecl;
var
  Manager: TAuthgateTokenManager;
  Login, Secret: string;
  U, P: TUtf8;
  Supplied: Boolean;
begin
  Result := AUTHGATE_SIGN_IN_REQUIRED;
  try
    Manager := TAuthgateTokenManager(UserData);
    Supplied := False;
    if Assigned(Manager.FOnPasswordCredentials) then
      Manager.FOnPasswordCredentials(Manager, Login, Secret, Supplied);
    U := U8(Login);
    P := U8(Secret);
    { too long: decline rather than send a truncated password }
    if Supplied and (NativeUInt(Length(U)) < UsernameCapacity) and
       (NativeUInt(Length(P)) < PasswordCapacity) then
    begin
      Move(PAnsiChar(U)^, Username^, Length(U) + 1); { with its NUL }
      Move(PAnsiChar(P)^, Password^, Length(P) + 1);
      Result := AUTHGATE_OK;
    end;
    Wipe(P);
  except
    { an exception must not unwind into the library: decline }
    Result := AUTHGATE_SIGN_IN_REQUIRED;
  end;
end;

procedure TAuthgateTokenManager.SetOnPasswordCredentials(Value: TAuthgateCredentialsEvent);
begin
  FOnPasswordCredentials := Value;
  if Assigned(Value) then
    Check(Api.manager_set_password_credentials(FHandle, CredentialsThunk, Self))
  else
    Check(Api.manager_set_password_credentials(FHandle, nil, nil));
end;

{ the C callback behind OnTokensChanged: UserData is the manager object }
procedure TokensChangedThunk(UserData: Pointer; Tokens: PP); cdecl;
var
  Manager: TAuthgateTokenManager;
  Borrowed: TAuthgateTokenSet;
begin
  try
    Manager := TAuthgateTokenManager(UserData);
    if Assigned(Manager.FOnTokensChanged) then
    begin
      Borrowed := TAuthgateTokenSet.CreateFromHandle(Tokens);
      try
        Manager.FOnTokensChanged(Manager, Borrowed);
      finally
        Borrowed.FHandle := nil; { the library's: not freed here }
        Borrowed.Free;
      end;
    end;
  except
    { an exception must not unwind into the library; the tokens are in use and saved }
  end;
end;

procedure TAuthgateTokenManager.SetOnTokensChanged(Value: TAuthgateTokensChangedEvent);
begin
  FOnTokensChanged := Value;
  if Assigned(Value) then
    Check(Api.manager_set_tokens_changed_callback(FHandle, TokensChangedThunk, Self))
  else
    Check(Api.manager_set_tokens_changed_callback(FHandle, nil, nil));
end;

function TAuthgateTokenManager.AccessToken: string;
var
  P: PAnsiChar;
begin
  Check(Api.manager_access_token(FHandle, P));
  Result := TakeStr(P);
end;

function TAuthgateTokenManager.AccessTokenValidFor(Seconds: Cardinal): string;
var
  P: PAnsiChar;
begin
  Check(Api.manager_access_token_valid_for_ms(FHandle, UInt64(Seconds) * 1000, P));
  Result := TakeStr(P);
end;

function TAuthgateTokenManager.Tokens: TAuthgateTokenSet;
var
  H: PP;
begin
  Check(Api.manager_token_set(FHandle, H));
  Result := TAuthgateTokenSet.CreateFromHandle(H);
end;

procedure TAuthgateTokenManager.SetTokens(Tokens: TAuthgateTokenSet);
begin
  if Tokens = nil then
    Check(Api.manager_set_tokens(FHandle, nil))
  else
    Check(Api.manager_set_tokens(FHandle, Tokens.Handle));
end;

procedure TAuthgateTokenManager.Invalidate;
begin
  Check(Api.manager_invalidate(FHandle));
end;

function TAuthgateTokenManager.InvalidateToken(const Rejected: string): Boolean;
var
  R: TUtf8;
  Invalidated: Integer;
begin
  R := U8(Rejected);
  Check(Api.manager_invalidate_token(FHandle, PAnsiChar(R), Invalidated));
  Result := Invalidated <> 0;
end;

procedure TAuthgateTokenManager.Clear;
begin
  Check(Api.manager_clear(FHandle));
end;

initialization
  LoadLock := TSimpleRWSync.Create;

finalization
  { the library stays loaded until the process ends: an operation's thread may still run }
  LoadLock.Free;

end.
