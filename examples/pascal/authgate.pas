{ authgate: Delphi / Free Pascal declarations of the C ABI (include/authgate.h).

  Every function is cdecl and lives in authgate.dll (Windows) or libauthgate.so
  (elsewhere). Strings are UTF-8 PAnsiChar: pass PAnsiChar(UTF8String(S)), read results
  with AuthgateStr. Results come through `out` parameters and are written only on
  success; every function returning TAuthgateResult returns AUTHGATE_OK (0) or a code,
  with the details in the per-thread last error (AuthgateLastError*).
  Strings from getters (`out Value: PAnsiChar`) belong to their handle; strings returned
  as PAnsiChar by *_to_json, parse_callback, the manager's access_token, the OIDC JSON
  answers and the QR codes must be freed with authgate_string_free.
  Handles may be used from several threads at once; never free one that another thread
  uses. Use after free cannot be detected.

  Compile with FPC:  fpc -Mdelphi -Fu<dir of this unit> yourprogram.dpr
  In Delphi: add the unit; put authgate.dll beside the executable. }
unit authgate;

{$IFDEF FPC}{$MODE DELPHI}{$ENDIF}

interface

uses
  SysUtils;

const
{$IFDEF MSWINDOWS}
  AuthgateLib = 'authgate.dll';
{$ELSE}
  {$IFDEF FPC}
  AuthgateLib = 'authgate';        { links -lauthgate: libauthgate.so }
  {$ELSE}
  AuthgateLib = 'libauthgate.so';
  {$ENDIF}
{$ENDIF}

  AUTHGATE_VERSION_MAJOR = 0;
  AUTHGATE_VERSION_MINOR = 1;
  AUTHGATE_VERSION_PATCH = 0;

  { status codes }
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
  AUTHGATE_ID_TOKEN_ALGORITHM = 501;
  AUTHGATE_ID_TOKEN_UNKNOWN_KEY = 502;
  AUTHGATE_ID_TOKEN_SIGNATURE = 503;
  AUTHGATE_ID_TOKEN_ISSUER = 504;
  AUTHGATE_ID_TOKEN_AUDIENCE = 505;
  AUTHGATE_ID_TOKEN_EXPIRED = 506;
  AUTHGATE_ID_TOKEN_NOT_YET_VALID = 507;
  AUTHGATE_ID_TOKEN_NONCE = 508;
  AUTHGATE_PENDING = 600;
  AUTHGATE_RESULT_TAKEN = 601;
  AUTHGATE_SLOW_DOWN = 602;
  AUTHGATE_PANIC = 900;
  AUTHGATE_INTERNAL = 901;

  { presets, client authentication, Basic encodings, trust roots }
  AUTHGATE_PROVIDER_GENERIC = 0;
  AUTHGATE_PROVIDER_TAXCOM = 1;
  AUTHGATE_PROVIDER_KONTUR = 2;
  AUTHGATE_PROVIDER_GEARCODE = 3;
  AUTHGATE_PROVIDER_CUBA = 4;
  AUTHGATE_AUTH_METHOD_CLIENT_SECRET_BASIC = 0;
  AUTHGATE_AUTH_METHOD_CLIENT_SECRET_POST = 1;
  AUTHGATE_AUTH_METHOD_NONE = 2;
  AUTHGATE_AUTH_METHOD_PRIVATE_KEY_JWT = 3;
  AUTHGATE_AUTH_METHOD_CLIENT_SECRET_JWT = 4;
  AUTHGATE_AUTH_METHOD_TLS_CLIENT_AUTH = 5;
  AUTHGATE_AUTH_METHOD_SELF_SIGNED_TLS_CLIENT_AUTH = 6;
  AUTHGATE_ASSERTION_ALG_RS256 = 0;
  AUTHGATE_ASSERTION_ALG_PS256 = 1;
  AUTHGATE_ASSERTION_ALG_ES256 = 2;
  AUTHGATE_ASSERTION_ALG_HS256 = 3;
  AUTHGATE_ASSERTION_AUDIENCE_TOKEN_ENDPOINT = 0;
  AUTHGATE_ASSERTION_AUDIENCE_ISSUER = 1;
  AUTHGATE_BASIC_ENCODING_FORM = 0;
  AUTHGATE_BASIC_ENCODING_RAW = 1;
  AUTHGATE_TRUST_ROOTS_BUNDLED = 0;
  AUTHGATE_TRUST_ROOTS_SYSTEM = 1;

  { operation states }
  AUTHGATE_OPERATION_QUEUED = 0;
  AUTHGATE_OPERATION_SENDING = 1;
  AUTHGATE_OPERATION_DONE = 2;
  AUTHGATE_OPERATION_CANCELLED = 3;
  AUTHGATE_OPERATION_WAITING = 4;

  { the size of each buffer a credentials callback writes into }
  AUTHGATE_CREDENTIALS_CAPACITY = 1024;

  { log levels (authgate_set_log_callback) }
  AUTHGATE_LOG_ERROR = 1;
  AUTHGATE_LOG_WARN = 2;
  AUTHGATE_LOG_INFO = 3;
  AUTHGATE_LOG_DEBUG = 4;
  AUTHGATE_LOG_TRACE = 5;

type
  TAuthgateResult = UInt32;

  { opaque handles: distinct pointer types, so the compiler catches mix-ups }
  TAuthgateConfig = record end;
  PAuthgateConfig = ^TAuthgateConfig;
  TAuthgateClient = record end;
  PAuthgateClient = ^TAuthgateClient;
  TAuthgateAuthorization = record end;
  PAuthgateAuthorization = ^TAuthgateAuthorization;
  TAuthgateTokenSet = record end;
  PAuthgateTokenSet = ^TAuthgateTokenSet;
  TAuthgateOperation = record end;
  PAuthgateOperation = ^TAuthgateOperation;
  TAuthgateStore = record end;
  PAuthgateStore = ^TAuthgateStore;
  TAuthgateManager = record end;
  PAuthgateManager = ^TAuthgateManager;
  TAuthgateDevice = record end;
  PAuthgateDevice = ^TAuthgateDevice;

  { Supplies a username and password when a token manager must run the password grant.
    Write each as NUL-terminated UTF-8 into the library's buffers (at most Capacity - 1
    bytes; e.g. StrPLCopy(Username, UTF8String(Login), UsernameCapacity - 1)) and return
    AUTHGATE_OK; any other result declines. Runs on the thread that needs new tokens;
    must not raise exceptions out of itself, nor call the same manager. }
  TAuthgateCredentialsCallback = function(UserData: Pointer; Username: PAnsiChar;
    UsernameCapacity: NativeUInt; Password: PAnsiChar; PasswordCapacity: NativeUInt): TAuthgateResult; cdecl;

  { Told of every new token set a manager obtains (a rotated refresh token included),
    after it was saved (or failed to be). Tokens is borrowed for the call: read it with
    authgate_token_set_to_json etc., do not free it. Runs on the thread that refreshed;
    must not raise exceptions out of itself, nor call the same manager. }
  TAuthgateTokensChangedCallback = procedure(UserData: Pointer; Tokens: PAuthgateTokenSet); cdecl;

  { A token store written in Pascal (authgate_store_new_callbacks): see
    authgate_store_callbacks in authgate.h for the contract (Save returns AUTHGATE_OK only
    once the set is durable) and the thread rules. Call is valid during the callback. }
  TAuthgateStoreCallbacks = record
    Load: function(UserData: Pointer; Call: Pointer): TAuthgateResult; cdecl;
    Save: function(UserData: Pointer; Json: PAnsiChar; Call: Pointer): TAuthgateResult; cdecl;
    Clear: function(UserData: Pointer; Call: Pointer): TAuthgateResult; cdecl;
    Lock: function(UserData: Pointer; TimeoutMs: UInt64; Call: Pointer): TAuthgateResult; cdecl;
    Unlock: procedure(UserData: Pointer); cdecl;
    FreeUserData: procedure(UserData: Pointer); cdecl;
  end;
  PAuthgateStoreCallbacks = ^TAuthgateStoreCallbacks;

  { Receives authgate's log records (authgate_set_log_callback). Level is
    AUTHGATE_LOG_ERROR .. AUTHGATE_LOG_TRACE; Target ('authgate') and Message are UTF-8,
    valid during the call only (copy them with AuthgateStr). Records hold no secrets.
    Runs on any thread, several at once (operation threads included): make it
    thread-safe, set IsMultiThread := True before installing it, return promptly, and
    raise no exception out of it. It may call authgate functions (records those log on
    its thread meanwhile are dropped). }
  TAuthgateLogCallback = procedure(UserData: Pointer; Level: UInt32; Target: PAnsiChar;
    Message: PAnsiChar); cdecl;

  { raised by AuthgateCheck with the thread's last error }
  EAuthgate = class(Exception)
  public
    Code: TAuthgateResult;
    OAuthError: UTF8String;
    Description: UTF8String;
    ErrorDescription: UTF8String;  { deprecated: the same as Description }
    WwwAuthenticate: UTF8String;
    HttpStatus: Int32;
    IsTerminal: Boolean;
    IsTransient: Boolean;
    RetryAfter: Int64;
  end;

{ general }
function authgate_version: PAnsiChar; cdecl; external AuthgateLib;
function authgate_result_str(code: TAuthgateResult): PAnsiChar; cdecl; external AuthgateLib;
procedure authgate_string_free(s: PAnsiChar); cdecl; external AuthgateLib;

{ per-thread last error }
function authgate_last_error_code: TAuthgateResult; cdecl; external AuthgateLib;
function authgate_last_error_message: PAnsiChar; cdecl; external AuthgateLib;
function authgate_last_error_oauth_error: PAnsiChar; cdecl; external AuthgateLib;
function authgate_last_error_description: PAnsiChar; cdecl; external AuthgateLib;
function authgate_last_error_uri: PAnsiChar; cdecl; external AuthgateLib;
function authgate_last_error_www_authenticate: PAnsiChar; cdecl; external AuthgateLib;
function authgate_last_error_url: PAnsiChar; cdecl; external AuthgateLib;
function authgate_last_error_endpoint: PAnsiChar; cdecl; external AuthgateLib;
function authgate_last_error_http_status: Int32; cdecl; external AuthgateLib;
function authgate_last_error_is_terminal: Int32; cdecl; external AuthgateLib;
function authgate_last_error_is_transient: Int32; cdecl; external AuthgateLib;
function authgate_last_error_retry_after: Int64; cdecl; external AuthgateLib;
function authgate_last_error_json: PAnsiChar; cdecl; external AuthgateLib;

{ logging: Callback nil removes it; when this returns the previous callback is no longer
  running on another thread, so its UserData may be freed }
function authgate_set_log_callback(callback: TAuthgateLogCallback; max_level: UInt32;
  user_data: Pointer): TAuthgateResult; cdecl; external AuthgateLib;

{ configuration }
function authgate_config_new(provider: UInt32; out config: PAuthgateConfig): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_new_by_name(provider: PAnsiChar; out config: PAuthgateConfig): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_new_from_json(json: PAnsiChar; out config: PAuthgateConfig): TAuthgateResult; cdecl; external AuthgateLib;
procedure authgate_config_free(config: PAuthgateConfig); cdecl; external AuthgateLib;
function authgate_config_set_base_url(config: PAuthgateConfig; url: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_authorization_endpoint(config: PAuthgateConfig; url: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_token_endpoint(config: PAuthgateConfig; url: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_client_id(config: PAuthgateConfig; client_id: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_client_secret(config: PAuthgateConfig; client_secret: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_auth_method(config: PAuthgateConfig; method: UInt32): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_basic_encoding(config: PAuthgateConfig; encoding: UInt32): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_scopes(config: PAuthgateConfig; scopes: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_add_authorization_param(config: PAuthgateConfig; name, value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_add_token_param(config: PAuthgateConfig; name, value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_redirect_uri(config: PAuthgateConfig; uri: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_redirect_param(config: PAuthgateConfig; name: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_pkce(config: PAuthgateConfig; enabled: Int32): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_accept_unknown_token_type(config: PAuthgateConfig; accept: Int32): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_allow_insecure_http(config: PAuthgateConfig; allow: Int32): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_connect_timeout_ms(config: PAuthgateConfig; timeout_ms: UInt64): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_timeout_ms(config: PAuthgateConfig; timeout_ms: UInt64): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_max_response_bytes(config: PAuthgateConfig; max_bytes: UInt64): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_proxy(config: PAuthgateConfig; proxy: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_trust_roots(config: PAuthgateConfig; roots: UInt32): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_ca_file(config: PAuthgateConfig; path: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
{ mutual TLS (RFC 8705): the client certificate and its key, PEM files }
function authgate_config_set_tls_client_cert_file(config: PAuthgateConfig; path: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_tls_client_key_file(config: PAuthgateConfig; path: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
{ DPoP (RFC 9449): proofs on token requests; a key generated, or read from a PKCS#8 PEM file }
function authgate_config_set_dpop(config: PAuthgateConfig; enabled: Int32): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_dpop_key_file(config: PAuthgateConfig; path: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_user_agent(config: PAuthgateConfig; user_agent: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
{ OpenID Connect: discovery is blocking (one GET with the configuration's timeouts) }
function authgate_config_discover(config: PAuthgateConfig; issuer: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_issuer(config: PAuthgateConfig; issuer: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_jwks_uri(config: PAuthgateConfig; url: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_userinfo_endpoint(config: PAuthgateConfig; url: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_revocation_endpoint(config: PAuthgateConfig; url: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_introspection_endpoint(config: PAuthgateConfig; url: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_device_authorization_endpoint(config: PAuthgateConfig; url: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_id_token_leeway_ms(config: PAuthgateConfig; leeway_ms: UInt64): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_client_key(config: PAuthgateConfig; pem_or_path: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_client_key_id(config: PAuthgateConfig; kid: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_client_assertion_alg(config: PAuthgateConfig; alg: UInt32): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_client_assertion_audience(config: PAuthgateConfig; audience: UInt32): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_pushed_authorization_request_endpoint(config: PAuthgateConfig; url: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_config_set_pushed_authorization_requests(config: PAuthgateConfig; enabled: Int32): TAuthgateResult; cdecl; external AuthgateLib;

{ client }
function authgate_client_new(config: PAuthgateConfig; out client: PAuthgateClient): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_client_new_from_json(json: PAnsiChar; out client: PAuthgateClient): TAuthgateResult; cdecl; external AuthgateLib;
procedure authgate_client_free(client: PAuthgateClient); cdecl; external AuthgateLib;
function authgate_client_provider(client: PAuthgateClient; out provider: UInt32): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_client_client_id(client: PAuthgateClient; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_client_token_endpoint(client: PAuthgateClient; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_client_authorization_endpoint(client: PAuthgateClient; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;

{ authorization code flow: front channel. options_json: nil for the defaults, or a JSON
  object with any of scopes, state, nonce, pkce_verifier, redirect_uri, params }
function authgate_client_authorization_url_with(client: PAuthgateClient; options_json: PAnsiChar;
  out authorization: PAuthgateAuthorization): TAuthgateResult; cdecl; external AuthgateLib;
{ deprecated: use authgate_client_authorization_url_with (nil = default for every optional string) }
function authgate_client_authorization_url(client: PAuthgateClient; scopes, state, nonce, code_verifier,
  redirect_uri, extra_params_json: PAnsiChar; out authorization: PAuthgateAuthorization): TAuthgateResult; cdecl; external AuthgateLib;
procedure authgate_authorization_free(authorization: PAuthgateAuthorization); cdecl; external AuthgateLib;
function authgate_authorization_url(authorization: PAuthgateAuthorization; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_authorization_state(authorization: PAuthgateAuthorization; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_authorization_nonce(authorization: PAuthgateAuthorization; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_authorization_pkce_verifier(authorization: PAuthgateAuthorization; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
{ deprecated: use authgate_authorization_pkce_verifier }
function authgate_authorization_code_verifier(authorization: PAuthgateAuthorization; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_authorization_redirect_uri(authorization: PAuthgateAuthorization; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
{ code: free with authgate_string_free }
function authgate_authorization_parse_callback(authorization: PAuthgateAuthorization; callback: PAnsiChar;
  out code: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_parse_callback(callback, expected_state: PAnsiChar; out code: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_parse_callback_with_issuer(callback, expected_state, expected_issuer: PAnsiChar; issuer_required: Int32; out code: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;

{ token requests, blocking (bounded by the client's timeouts) }
function authgate_client_exchange_code(client: PAuthgateClient; code, pkce_verifier, redirect_uri,
  params_json: PAnsiChar; out token_set: PAuthgateTokenSet): TAuthgateResult; cdecl; external AuthgateLib;
{ options_json: nil or a JSON object with any of pkce_verifier, redirect_uri, scopes, params }
function authgate_client_exchange_code_with(client: PAuthgateClient; code, options_json: PAnsiChar;
  out token_set: PAuthgateTokenSet): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_client_refresh(client: PAuthgateClient; refresh_token, scopes, params_json: PAnsiChar;
  out token_set: PAuthgateTokenSet): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_client_password(client: PAuthgateClient; username, password, scopes, params_json: PAnsiChar;
  out token_set: PAuthgateTokenSet): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_client_client_credentials(client: PAuthgateClient; scopes, params_json: PAnsiChar;
  out token_set: PAuthgateTokenSet): TAuthgateResult; cdecl; external AuthgateLib;

{ token requests on their own thread: for a UI thread }
function authgate_client_exchange_code_start(client: PAuthgateClient; code, pkce_verifier, redirect_uri,
  params_json: PAnsiChar; out operation: PAuthgateOperation): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_client_refresh_start(client: PAuthgateClient; refresh_token, scopes, params_json: PAnsiChar;
  out operation: PAuthgateOperation): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_client_password_start(client: PAuthgateClient; username, password, scopes, params_json: PAnsiChar;
  out operation: PAuthgateOperation): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_client_client_credentials_start(client: PAuthgateClient; scopes, params_json: PAnsiChar;
  out operation: PAuthgateOperation): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_operation_poll(operation: PAuthgateOperation): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_operation_wait(operation: PAuthgateOperation; timeout_ms: UInt32): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_operation_state(operation: PAuthgateOperation; out state: UInt32): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_operation_take_result(operation: PAuthgateOperation; out token_set: PAuthgateTokenSet): TAuthgateResult; cdecl; external AuthgateLib;
{ cancel = "skip if not sent yet, stop waiting": a request already sent still hands out
  its result (maybe a rotated refresh token) through authgate_operation_take_result }
function authgate_operation_cancel(operation: PAuthgateOperation): TAuthgateResult; cdecl; external AuthgateLib;
procedure authgate_operation_free(operation: PAuthgateOperation); cdecl; external AuthgateLib;

{ the URL a loopback sign-in opened (nil until known, and for other operations); owned by the operation }
function authgate_operation_authorization_url(operation: PAuthgateOperation; out url: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;

{ DPoP-bound API requests (no network): the Authorization and DPoP header values, both
  freed with authgate_string_free; a server's DPoP-Nonce remembered (is_new: 1 when new) }
function authgate_client_dpop_headers(client: PAuthgateClient; method, url, access_token: PAnsiChar;
  out authorization, dpop: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_client_remember_dpop_nonce(client: PAuthgateClient; url, nonce: PAnsiChar;
  var is_new: Int32): TAuthgateResult; cdecl; external AuthgateLib;

{ OpenID Connect on a client (blocking); every JSON string out: free with authgate_string_free }
function authgate_client_validate_id_token(client: PAuthgateClient; id_token, nonce: PAnsiChar;
  out claims_json: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_client_userinfo(client: PAuthgateClient; access_token: PAnsiChar; out json: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_client_revoke(client: PAuthgateClient; token, token_type_hint: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_client_introspect(client: PAuthgateClient; token: PAnsiChar; out json: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;

{ device flow (RFC 8628): poll answers AUTHGATE_OK, AUTHGATE_PENDING or AUTHGATE_SLOW_DOWN
  (not failures), or a failure; wait_for_device_token_start waits on a thread, cancellable }
function authgate_client_device_authorization(client: PAuthgateClient; scopes: PAnsiChar;
  out device: PAuthgateDevice): TAuthgateResult; cdecl; external AuthgateLib;
procedure authgate_device_free(device: PAuthgateDevice); cdecl; external AuthgateLib;
function authgate_device_user_code(device: PAuthgateDevice; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_device_verification_uri(device: PAuthgateDevice; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_device_verification_uri_complete(device: PAuthgateDevice; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_device_expires_in(device: PAuthgateDevice; out seconds: UInt64): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_device_interval(device: PAuthgateDevice; out seconds: UInt64): TAuthgateResult; cdecl; external AuthgateLib;
{ svg / text: free with authgate_string_free }
function authgate_device_qr_svg(device: PAuthgateDevice; out svg: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_device_qr_text(device: PAuthgateDevice; out text: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
{ resume after a restart: json holds the device code (a secret; store it like a refresh
  token); free it with authgate_string_free }
function authgate_device_to_json(device: PAuthgateDevice; out json: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_device_from_json(json: PAnsiChar; out device: PAuthgateDevice): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_client_poll_device_token(client: PAuthgateClient; device: PAuthgateDevice;
  out token_set: PAuthgateTokenSet): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_client_wait_for_device_token_start(client: PAuthgateClient; device: PAuthgateDevice;
  out operation: PAuthgateOperation): TAuthgateResult; cdecl; external AuthgateLib;
{ deprecated: use authgate_client_wait_for_device_token_start }
function authgate_client_device_token_start(client: PAuthgateClient; device: PAuthgateDevice;
  out operation: PAuthgateOperation): TAuthgateResult; cdecl; external AuthgateLib;

{ loopback sign-in (RFC 8252) on a thread; options_json: nil or timeout_ms, browser_command
  ('none' opens nothing: show authgate_operation_authorization_url), scopes, port, path }
function authgate_client_sign_in_loopback_start(client: PAuthgateClient; options_json: PAnsiChar;
  out operation: PAuthgateOperation): TAuthgateResult; cdecl; external AuthgateLib;

{ token stores and the token manager; client and store may be freed once the manager exists }
function authgate_store_new_memory(out store: PAuthgateStore): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_store_new_file(path: PAnsiChar; out store: PAuthgateStore): TAuthgateResult; cdecl; external AuthgateLib;
{ key: KeyLen (32) bytes; the file is sealed with ChaCha20-Poly1305 }
function authgate_store_new_file_encrypted(path: PAnsiChar; key: PByte; key_len: NativeUInt;
  out store: PAuthgateStore): TAuthgateResult; cdecl; external AuthgateLib;
{ a store written in Pascal }
function authgate_store_new_callbacks(callbacks: PAuthgateStoreCallbacks; user_data: Pointer;
  out store: PAuthgateStore): TAuthgateResult; cdecl; external AuthgateLib;
{ from a store callback: hand back the stored JSON (load) / say why it failed }
function authgate_store_call_set_json(call: Pointer; json: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_store_call_set_error(call: Pointer; message: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
{ a store shared by a fleet through Redis (libauthgate built with the cargo feature redis;
  the default build answers AUTHGATE_CONFIG); options_json: nil or lock_expiry_ms, timeout_ms }
function authgate_store_new_redis(url: PAnsiChar; client: PAuthgateClient; options_json: PAnsiChar;
  out store: PAuthgateStore): TAuthgateResult; cdecl; external AuthgateLib;
{ the same, the stored set sealed with key: KeyLen (32) bytes, as the encrypted file store }
function authgate_store_new_redis_encrypted(url: PAnsiChar; client: PAuthgateClient; key: PByte;
  key_len: NativeUInt; options_json: PAnsiChar; out store: PAuthgateStore): TAuthgateResult; cdecl;
  external AuthgateLib;
procedure authgate_store_free(store: PAuthgateStore); cdecl; external AuthgateLib;
{ store: nil for a memory store; options_json: nil or leeway_ms, allow_client_credentials,
  max_attempts, max_backoff_ms, wait_timeout_ms }
function authgate_manager_new(client: PAuthgateClient; store: PAuthgateStore; options_json: PAnsiChar;
  out manager: PAuthgateManager): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_manager_set_password_credentials(manager: PAuthgateManager;
  callback: TAuthgateCredentialsCallback; user_data: Pointer): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_manager_set_tokens_changed_callback(manager: PAuthgateManager;
  callback: TAuthgateTokensChangedCallback; user_data: Pointer): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_manager_set_tokens(manager: PAuthgateManager; tokens: PAuthgateTokenSet): TAuthgateResult; cdecl; external AuthgateLib;
{ token: free with authgate_string_free }
function authgate_manager_access_token(manager: PAuthgateManager; out token: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_manager_access_token_valid_for_ms(manager: PAuthgateManager; min_ms: UInt64;
  out token: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
{ deprecated: use authgate_manager_access_token_valid_for_ms }
function authgate_manager_access_token_valid_for(manager: PAuthgateManager; seconds: UInt32;
  out token: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_manager_token_set(manager: PAuthgateManager; out tokens: PAuthgateTokenSet): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_manager_invalidate(manager: PAuthgateManager): TAuthgateResult; cdecl; external AuthgateLib;
{ after a 401 for the token Rejected: invalidated is 1 if it was still the current one }
function authgate_manager_invalidate_token(manager: PAuthgateManager; rejected: PAnsiChar;
  out invalidated: Int32): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_manager_clear(manager: PAuthgateManager): TAuthgateResult; cdecl; external AuthgateLib;
procedure authgate_manager_free(manager: PAuthgateManager); cdecl; external AuthgateLib;

{ token set }
function authgate_token_set_new_from_json(json: PAnsiChar; out token_set: PAuthgateTokenSet): TAuthgateResult; cdecl; external AuthgateLib;
{ json: free with authgate_string_free }
function authgate_token_set_to_json(token_set: PAuthgateTokenSet; out json: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
procedure authgate_token_set_free(token_set: PAuthgateTokenSet); cdecl; external AuthgateLib;
function authgate_token_set_access_token(token_set: PAuthgateTokenSet; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_token_set_token_type(token_set: PAuthgateTokenSet; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_token_set_refresh_token(token_set: PAuthgateTokenSet; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_token_set_scope(token_set: PAuthgateTokenSet; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_token_set_id_token(token_set: PAuthgateTokenSet; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_token_set_authorization_header(token_set: PAuthgateTokenSet; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_token_set_raw_json(token_set: PAuthgateTokenSet; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_token_set_warnings_json(token_set: PAuthgateTokenSet; out value: PAnsiChar): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_token_set_expires_in(token_set: PAuthgateTokenSet; out seconds: Int64): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_token_set_expires_at(token_set: PAuthgateTokenSet; out unix_seconds: Int64): TAuthgateResult; cdecl; external AuthgateLib;
function authgate_token_set_is_expired_ms(token_set: PAuthgateTokenSet; leeway_ms: UInt64; out expired: Int32): TAuthgateResult; cdecl; external AuthgateLib;
{ deprecated: use authgate_token_set_is_expired_ms }
function authgate_token_set_is_expired(token_set: PAuthgateTokenSet; leeway_seconds: UInt32; out expired: Int32): TAuthgateResult; cdecl; external AuthgateLib;

{ helpers }
{ A UTF-8 C string as a UTF8String ('' for nil). }
function AuthgateStr(P: PAnsiChar): UTF8String;
{ Raises EAuthgate with the thread's last error unless Code = AUTHGATE_OK. }
procedure AuthgateCheck(Code: TAuthgateResult);

implementation

function AuthgateStr(P: PAnsiChar): UTF8String;
begin
  if P = nil then
    Result := ''
  else
    Result := UTF8String(P);
end;

procedure AuthgateCheck(Code: TAuthgateResult);
var
  E: EAuthgate;
begin
  if Code = AUTHGATE_OK then
    Exit;
  E := EAuthgate.Create(string(AuthgateStr(authgate_last_error_message)));
  E.Code := Code;
  E.OAuthError := AuthgateStr(authgate_last_error_oauth_error);
  E.Description := AuthgateStr(authgate_last_error_description);
  E.ErrorDescription := E.Description;
  E.WwwAuthenticate := AuthgateStr(authgate_last_error_www_authenticate);
  E.HttpStatus := authgate_last_error_http_status;
  E.IsTerminal := authgate_last_error_is_terminal <> 0;
  E.IsTransient := authgate_last_error_is_transient <> 0;
  E.RetryAfter := authgate_last_error_retry_after;
  raise E;
end;

end.
