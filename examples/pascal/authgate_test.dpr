{ A full flow against the provider emulator through the shared library, in Delphi
  syntax: CUBA's password grant with a Cyrillic login and a special-character password,
  refresh, store and restore, the same through an asynchronous operation (as a UI
  thread would poll it), an OAuth error read from the last error, an authorization
  URL with its callback, the token manager with a Delphi password credentials callback,
  the device flow (poll, cancelled wait), and a log callback. Prints "N passed, M failed".

  fpc -Mdelphi -Fu. authgate_test.dpr   then   AUTHGATE_EMULATOR_URL=http://127.0.0.1:PORT ./authgate_test }
program authgate_test;

{$IFDEF FPC}{$MODE DELPHI}{$ENDIF}
{$IFDEF MSWINDOWS}{$APPTYPE CONSOLE}{$ENDIF}

uses
  SysUtils, authgate;

var
  Passed, Failed: Integer;
  BaseUrl: UTF8String;

procedure Expect(Cond: Boolean; const What: string);
begin
  if Cond then
    Inc(Passed)
  else
  begin
    Inc(Failed);
    WriteLn(ErrOutput, 'FAILED: ', What, ' (last error: ',
      string(AuthgateStr(authgate_last_error_message)), ')');
  end;
end;

function NewCubaClient: PAuthgateClient;
var
  Config: PAuthgateConfig;
begin
  Result := nil;
  AuthgateCheck(authgate_config_new(AUTHGATE_PROVIDER_CUBA, Config));
  try
    AuthgateCheck(authgate_config_set_base_url(Config, PAnsiChar(BaseUrl)));
    AuthgateCheck(authgate_config_set_client_id(Config, 'client'));
    AuthgateCheck(authgate_config_set_client_secret(Config, 'secret'));
    AuthgateCheck(authgate_config_set_timeout_ms(Config, 10000));
    AuthgateCheck(authgate_client_new(Config, Result));
  finally
    authgate_config_free(Config);
  end;
end;

procedure TestVersion;
begin
  Expect(AuthgateStr(authgate_version) = UTF8String(Format('%d.%d.%d',
    [AUTHGATE_VERSION_MAJOR, AUTHGATE_VERSION_MINOR, AUTHGATE_VERSION_PATCH])),
    'unit version constants match the library');
end;

procedure TestPasswordRefreshRestore;
var
  Client: PAuthgateClient;
  Tokens, Fresh, Restored: PAuthgateTokenSet;
  Login, Password: UTF8String;
  P: PAnsiChar;
  Json: PAnsiChar;
  ExpiresIn, At1, At2: Int64;
  Access: UTF8String;
begin
  Client := NewCubaClient;
  Tokens := nil; Fresh := nil; Restored := nil;
  try
    Login := UTF8String(#$043A#$0430#$0441#$0441#$0438#$0440);  { кассир }
    Password := UTF8String('p&s=w+o%rd 1 ' + #$0451);             { ..ё }
    Expect(authgate_client_password(Client, PAnsiChar(Login), PAnsiChar(Password), nil, nil,
      Tokens) = AUTHGATE_OK, 'password grant with a Cyrillic login');
    if Tokens = nil then Exit;
    AuthgateCheck(authgate_token_set_scope(Tokens, P));
    Expect(AuthgateStr(P) = 'rest-api', 'scope rest-api');
    AuthgateCheck(authgate_token_set_token_type(Tokens, P));
    Expect(AuthgateStr(P) = 'Bearer', 'token type Bearer');
    AuthgateCheck(authgate_token_set_expires_in(Tokens, ExpiresIn));
    Expect(ExpiresIn = 43198, 'expires_in 43198');
    AuthgateCheck(authgate_token_set_refresh_token(Tokens, P));
    Expect(P <> nil, 'a refresh token');

    Expect(authgate_client_refresh(Client, P, nil, nil, Fresh) = AUTHGATE_OK, 'refresh');
    if Fresh = nil then Exit;
    AuthgateCheck(authgate_token_set_access_token(Fresh, P));
    Access := AuthgateStr(P);
    AuthgateCheck(authgate_token_set_to_json(Fresh, Json));
    try
      AuthgateCheck(authgate_token_set_new_from_json(Json, Restored));
    finally
      authgate_string_free(Json);
    end;
    AuthgateCheck(authgate_token_set_access_token(Restored, P));
    Expect(AuthgateStr(P) = Access, 'restored access token');
    AuthgateCheck(authgate_token_set_expires_at(Fresh, At1));
    AuthgateCheck(authgate_token_set_expires_at(Restored, At2));
    Expect((At1 = At2) and (At1 > 0), 'restored expiry');
  finally
    authgate_token_set_free(Restored);
    authgate_token_set_free(Fresh);
    authgate_token_set_free(Tokens);
    authgate_client_free(Client);
  end;
end;

procedure TestAsyncOperation;
var
  Client: PAuthgateClient;
  Op: PAuthgateOperation;
  Tokens: PAuthgateTokenSet;
  State: UInt32;
  Rounds: Integer;
  P: PAnsiChar;
begin
  Client := NewCubaClient;
  Op := nil; Tokens := nil;
  try
    AuthgateCheck(authgate_client_password_start(Client, 'admin', 'admin', nil, nil, Op));
    Rounds := 0;
    { what a UI timer would do: a short wait, then back to the message loop }
    while authgate_operation_wait(Op, 20) = AUTHGATE_PENDING do
    begin
      Inc(Rounds);
      if Rounds > 500 then Break;
    end;
    AuthgateCheck(authgate_operation_state(Op, State));
    Expect(State = AUTHGATE_OPERATION_DONE, 'operation done');
    Expect(authgate_operation_take_result(Op, Tokens) = AUTHGATE_OK, 'take result');
    if Tokens <> nil then
    begin
      AuthgateCheck(authgate_token_set_authorization_header(Tokens, P));
      Expect(Copy(AuthgateStr(P), 1, 7) = 'Bearer ', 'authorization header');
    end;
  finally
    authgate_token_set_free(Tokens);
    authgate_operation_free(Op);
    authgate_client_free(Client);
  end;
end;

procedure TestErrors;
var
  Client: PAuthgateClient;
  Tokens: PAuthgateTokenSet;
  Raised: Boolean;
begin
  Client := NewCubaClient;
  Tokens := nil;
  try
    Expect(authgate_client_password(Client, 'admin', 'wrong', nil, nil, Tokens) =
      AUTHGATE_INVALID_GRANT, 'wrong password is invalid_grant');
    Expect(AuthgateStr(authgate_last_error_oauth_error) = 'invalid_grant', 'oauth error field');
    Expect(authgate_last_error_http_status = 400, 'HTTP 400');
    Expect(authgate_last_error_is_terminal = 1, 'terminal');
    Expect(Tokens = nil, 'no token set on failure');
    Raised := False;
    try
      AuthgateCheck(authgate_client_password(Client, '', 'x', nil, nil, Tokens));
    except
      on E: EAuthgate do
        Raised := E.Code = AUTHGATE_INVALID_ARGUMENT;
    end;
    Expect(Raised, 'empty username raises EAuthgate(AUTHGATE_INVALID_ARGUMENT)');
    Expect(authgate_client_password(nil, 'a', 'b', nil, nil, Tokens) = AUTHGATE_NULL_POINTER,
      'nil client');
  finally
    authgate_client_free(Client);
  end;
end;

procedure TestAuthorizationUrl;
var
  Config: PAuthgateConfig;
  Client: PAuthgateClient;
  Auth: PAuthgateAuthorization;
  P, Code: PAnsiChar;
  Callback: UTF8String;
begin
  Client := nil; Auth := nil;
  AuthgateCheck(authgate_config_new_by_name('gearcode', Config));
  try
    AuthgateCheck(authgate_config_set_base_url(Config, PAnsiChar(BaseUrl)));
    AuthgateCheck(authgate_config_set_client_id(Config, 'gearcode-client'));
    AuthgateCheck(authgate_config_set_client_secret(Config, 'gearcode-secret'));
    AuthgateCheck(authgate_config_set_redirect_uri(Config, 'http://127.0.0.1/callback'));
    AuthgateCheck(authgate_client_new(Config, Client));
    AuthgateCheck(authgate_client_authorization_url_with(Client,
      '{"state":"pascal-state","params":{"prompt":"login"}}', Auth));
    AuthgateCheck(authgate_authorization_url(Auth, P));
    Expect(Pos('state=pascal-state', string(AuthgateStr(P))) > 0, 'state in the URL');
    Expect(Pos('prompt=login', string(AuthgateStr(P))) > 0, 'params in the URL');
    AuthgateCheck(authgate_authorization_pkce_verifier(Auth, P));
    Expect(Length(AuthgateStr(P)) = 43, 'a PKCE verifier');
    Callback := 'http://127.0.0.1/callback?code=abc&state=pascal-state';
    Expect(authgate_authorization_parse_callback(Auth, PAnsiChar(Callback), Code) = AUTHGATE_OK,
      'parse callback');
    if Code <> nil then
    begin
      Expect(AuthgateStr(Code) = 'abc', 'the code');
      authgate_string_free(Code);
    end;
    Callback := 'http://127.0.0.1/callback?code=abc&state=evil';
    Expect(authgate_authorization_parse_callback(Auth, PAnsiChar(Callback), Code) =
      AUTHGATE_STATE_MISMATCH, 'state mismatch');
  finally
    authgate_authorization_free(Auth);
    authgate_client_free(Client);
    authgate_config_free(Config);
  end;
end;

var
  CallbackCalls: Integer;

{ The manager's password credentials callback, as a Delphi program declares it: it writes
  into the library's buffers and returns AUTHGATE_OK. }
function SupplyCredentials(UserData: Pointer; Username: PAnsiChar; UsernameCapacity: NativeUInt;
  Password: PAnsiChar; PasswordCapacity: NativeUInt): TAuthgateResult; cdecl;
var
  Login, Secret: UTF8String;
begin
  Inc(PInteger(UserData)^);
  Login := UTF8String(#$043A#$0430#$0441#$0441#$0438#$0440);  { кассир }
  Secret := UTF8String('p&s=w+o%rd 1 ' + #$0451);
  StrPLCopy(Username, Login, UsernameCapacity - 1);
  StrPLCopy(Password, Secret, PasswordCapacity - 1);
  Result := AUTHGATE_OK;
end;

procedure TestManager;
var
  Client: PAuthgateClient;
  Store: PAuthgateStore;
  Manager: PAuthgateManager;
  Tokens: PAuthgateTokenSet;
  T1, T2: PAnsiChar;
  P: PAnsiChar;
  Invalidated: Int32;
begin
  Client := NewCubaClient;
  Store := nil; Manager := nil; Tokens := nil; T1 := nil; T2 := nil;
  CallbackCalls := 0;
  try
    AuthgateCheck(authgate_store_new_memory(Store));
    AuthgateCheck(authgate_manager_new(Client, Store, '{"leeway_ms":30000}', Manager));
    authgate_store_free(Store);
    Store := nil;
    Expect(authgate_manager_access_token(Manager, T1) = AUTHGATE_SIGN_IN_REQUIRED,
      'no tokens, no callback: sign in');
    AuthgateCheck(authgate_manager_set_password_credentials(Manager, SupplyCredentials,
      @CallbackCalls));
    Expect(authgate_manager_access_token(Manager, T1) = AUTHGATE_OK, 'token through the callback');
    Expect(CallbackCalls = 1, 'callback called once');
    Expect(authgate_manager_access_token(Manager, T2) = AUTHGATE_OK, 'cached token');
    Expect((T1 <> nil) and (T2 <> nil) and (AuthgateStr(T1) = AuthgateStr(T2)), 'the same token');
    Expect(CallbackCalls = 1, 'no second callback');
    AuthgateCheck(authgate_manager_token_set(Manager, Tokens));
    AuthgateCheck(authgate_token_set_refresh_token(Tokens, P));
    Expect(P <> nil, 'manager token set has a refresh token');
    { the resource server refused T1: the manager drops it once, however often it hears so }
    AuthgateCheck(authgate_manager_invalidate_token(Manager, T1, Invalidated));
    Expect(Invalidated = 1, 'the refused token was the current one');
    authgate_string_free(T2);
    T2 := nil;
    Expect(authgate_manager_access_token(Manager, T2) = AUTHGATE_OK, 'refreshed token');
    Expect((T2 <> nil) and (AuthgateStr(T1) <> AuthgateStr(T2)), 'a new token after invalidate');
    Expect(CallbackCalls = 1, 'refreshed with the refresh token, not the callback');
    AuthgateCheck(authgate_manager_invalidate_token(Manager, T1, Invalidated));
    Expect(Invalidated = 0, 'an old refused token does not invalidate the new one');
  finally
    authgate_string_free(T1);
    authgate_string_free(T2);
    authgate_token_set_free(Tokens);
    authgate_manager_free(Manager);
    authgate_store_free(Store);
    authgate_client_free(Client);
  end;
end;

var
  LogRecords: Integer;
  LogSawDebug: Boolean;

{ A log callback, as a Delphi program declares it. Records arrive on the calling thread
  here (synchronous calls); with operations they may arrive on other threads. }
procedure OnLog(UserData: Pointer; Level: UInt32; Target: PAnsiChar; Message: PAnsiChar); cdecl;
begin
  Inc(PInteger(UserData)^);
  if (Level = AUTHGATE_LOG_DEBUG) and (AuthgateStr(Target) = 'authgate') and
     (Pos('grant_type=password', string(AuthgateStr(Message))) > 0) then
    LogSawDebug := True;
end;

procedure TestLogCallback;
var
  Client: PAuthgateClient;
  Tokens: PAuthgateTokenSet;
  Seen: Integer;
begin
  Client := NewCubaClient;
  Tokens := nil;
  LogRecords := 0;
  LogSawDebug := False;
  try
    AuthgateCheck(authgate_set_log_callback(OnLog, AUTHGATE_LOG_DEBUG, @LogRecords));
    AuthgateCheck(authgate_client_password(Client, 'admin', 'admin', nil, nil, Tokens));
    Expect(LogSawDebug, 'a DEBUG record for the token request');
    AuthgateCheck(authgate_set_log_callback(nil, 0, nil));
    Seen := LogRecords;
    authgate_token_set_free(Tokens);
    Tokens := nil;
    AuthgateCheck(authgate_client_password(Client, 'admin', 'admin', nil, nil, Tokens));
    Expect(LogRecords = Seen, 'no record once the callback is removed');
  finally
    authgate_set_log_callback(nil, 0, nil);
    authgate_token_set_free(Tokens);
    authgate_client_free(Client);
  end;
end;

procedure TestDeviceFlow;
var
  Config: PAuthgateConfig;
  Client: PAuthgateClient;
  Device: PAuthgateDevice;
  Tokens: PAuthgateTokenSet;
  Op: PAuthgateOperation;
  P, Svg: PAnsiChar;
  Interval: UInt64;
begin
  Client := nil; Device := nil; Tokens := nil; Op := nil;
  AuthgateCheck(authgate_config_new(AUTHGATE_PROVIDER_KONTUR, Config));
  try
    AuthgateCheck(authgate_config_set_client_id(Config, 'kontur-service'));
    AuthgateCheck(authgate_config_set_client_secret(Config, 'kontur-api-key'));
    AuthgateCheck(authgate_config_discover(Config, PAnsiChar(BaseUrl)));
    AuthgateCheck(authgate_client_new(Config, Client));
    AuthgateCheck(authgate_client_device_authorization(Client, nil, Device));
    AuthgateCheck(authgate_device_user_code(Device, P));
    Expect(Length(AuthgateStr(P)) = 9, 'user code ABCD-EFGH');
    AuthgateCheck(authgate_device_interval(Device, Interval));
    Expect(Interval >= 1, 'interval');
    AuthgateCheck(authgate_device_qr_svg(Device, Svg));
    Expect(Pos('<svg', string(AuthgateStr(Svg))) > 0, 'QR code SVG');
    authgate_string_free(Svg);
    Expect(authgate_client_poll_device_token(Client, Device, Tokens) = AUTHGATE_PENDING,
      'device poll pending');
    { the user never comes: cancel the wait, as a Cancel button would }
    AuthgateCheck(authgate_client_wait_for_device_token_start(Client, Device, Op));
    AuthgateCheck(authgate_operation_cancel(Op));
    Expect(authgate_operation_wait(Op, 5000) = AUTHGATE_OK, 'cancelled promptly');
    Expect(authgate_operation_take_result(Op, Tokens) = AUTHGATE_CANCELLED, 'cancelled result');
  finally
    authgate_operation_free(Op);
    authgate_token_set_free(Tokens);
    authgate_device_free(Device);
    authgate_client_free(Client);
    authgate_config_free(Config);
  end;
end;

begin
  Passed := 0;
  Failed := 0;
  BaseUrl := UTF8String(GetEnvironmentVariable('AUTHGATE_EMULATOR_URL'));
  if BaseUrl = '' then
  begin
    WriteLn(ErrOutput, 'AUTHGATE_EMULATOR_URL is not set');
    Halt(2);
  end;
  try
    TestVersion;
    TestPasswordRefreshRestore;
    TestAsyncOperation;
    TestErrors;
    TestAuthorizationUrl;
    TestManager;
    TestDeviceFlow;
    TestLogCallback;
  except
    on E: Exception do
    begin
      Inc(Failed);
      WriteLn(ErrOutput, 'FAILED with exception: ', E.ClassName, ': ', E.Message);
    end;
  end;
  WriteLn(Passed, ' passed, ', Failed, ' failed');
  if Failed > 0 then
    Halt(1);
end.
