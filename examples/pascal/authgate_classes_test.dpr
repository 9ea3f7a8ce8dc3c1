{ Tests of AuthGate.Classes against the provider emulator, compiled by the test command
  (tests/c/run.sh) with Free Pascal in both -Mdelphi and -Mobjfpc (so this program sets
  no mode of its own). The library is loaded from AUTHGATE_LIBRARY, or by its system name
  (LD_LIBRARY_PATH); AUTHGATE_OLD_LIBRARY names a stand-in whose authgate_version is
  0.0.9. The emulator's control API is driven with curl. Prints
  "N passed, M failed".

  fpc -Mobjfpc -Fu. authgate_classes_test.dpr
  AUTHGATE_EMULATOR_URL=http://127.0.0.1:PORT AUTHGATE_LIBRARY=/path/libauthgate.so ./authgate_classes_test }
program authgate_classes_test;

{$H+}
{$IFDEF MSWINDOWS}{$APPTYPE CONSOLE}{$ENDIF}
{ objfpc mode takes a method's address with @; decided here, before the uses clause
  (compiling a unit in another mode on the way may change FPC's mode macros) }
{$IFDEF FPC_OBJFPC}{$DEFINE METHOD_ADDRESS_AT}{$ENDIF}

uses
  SysUtils, DateUtils, AuthGate.Classes;

var
  Passed, Failed: Integer;
  BaseUrl: string;
  TempDir: string;

procedure Expect(Cond: Boolean; const What: string);
begin
  if Cond then
    Inc(Passed)
  else
  begin
    Inc(Failed);
    WriteLn(ErrOutput, 'FAILED: ', What);
  end;
end;

procedure Unexpected(E: Exception; const What: string);
begin
  Inc(Failed);
  WriteLn(ErrOutput, 'FAILED: ', What, ': unexpected ', E.ClassName, ': ', E.Message);
end;

{ кассир and a password with characters a form encoding must escape, in `string` }
function Cashier: string;
begin
{$IFDEF UNICODE}
  Result := #$043A#$0430#$0441#$0441#$0438#$0440;
{$ELSE}
  Result := #$D0#$BA#$D0#$B0#$D1#$81#$D1#$81#$D0#$B8#$D1#$80; { the same in UTF-8 }
{$ENDIF}
end;

function CashierPassword: string;
begin
{$IFDEF UNICODE}
  Result := 'p&s=w+o%rd 1 ' + #$0451;
{$ELSE}
  Result := 'p&s=w+o%rd 1 ' + #$D1#$91;
{$ENDIF}
end;

{ POST a JSON body to the emulator's control API }
procedure Control(const Command, Body: string);
begin
  if ExecuteProcess('/usr/bin/env', ['curl', '-sf', '-o', '/dev/null', '-X', 'POST',
    '-H', 'Content-Type: application/json', '-d', Body, BaseUrl + '/_emulator/' + Command]) <> 0 then
    raise Exception.Create('emulator control ' + Command + ' failed');
end;

{ how many requests the emulator's CUBA token endpoint has had (GET /_emulator/counts) }
function CubaTokenRequests: Integer;
const
  Key = '"/app/rest/v2/oauth/token":';
var
  F: TextFile;
  Path, Line: string;
  At: Integer;
begin
  Path := TempDir + 'authgate-classes-counts.json';
  if ExecuteProcess('/bin/sh', ['-c', 'curl -sf "$0/_emulator/counts" > "$1"', BaseUrl, Path]) <> 0 then
    raise Exception.Create('emulator counts failed');
  AssignFile(F, Path);
  Reset(F);
  try
    ReadLn(F, Line);
  finally
    CloseFile(F);
    DeleteFile(Path);
  end;
  Result := 0;
  At := Pos(Key, Line);
  if At > 0 then
  begin
    Line := Trim(Copy(Line, At + Length(Key), 20));
    At := 1;
    while (At <= Length(Line)) and CharInSet(Line[At], ['0'..'9']) do
      Inc(At);
    Result := StrToIntDef(Copy(Line, 1, At - 1), 0);
  end;
end;

function NewConfig(const Provider, Url: string): TAuthgateConfig;
begin
  Result := TAuthgateConfig.Create(Provider);
  try
    Result.BaseUrl := Url;
    Result.ClientId := 'client';
    Result.ClientSecret := 'secret';
    Result.TimeoutMs := 10000;
  except
    Result.Free;
    raise;
  end;
end;

function NewCubaClient(const Url: string): TAuthgateClient;
var
  Config: TAuthgateConfig;
begin
  Config := NewConfig('cuba', Url);
  try
    Result := TAuthgateClient.Create(Config);
  finally
    Config.Free;
  end;
end;

procedure TestLibraryLoading;
var
  Found: string;
begin
  Found := GetEnvironmentVariable('AUTHGATE_LIBRARY');
  { missing: a clear EAuthgateLibrary, and nothing else breaks }
  AuthgateLibraryPath := '/nonexistent/libauthgate.so';
  try
    TAuthgateConfig.Create('cuba').Free;
    Expect(False, 'a missing library raises');
  except
    on E: EAuthgateLibrary do
      Expect((Pos('/nonexistent/libauthgate.so', E.Message) > 0) and
        (Pos('AuthgateLibraryPath', E.Message) > 0) and E.IsTerminal,
        'missing library: names the file and the remedy: ' + E.Message);
    on E: Exception do Unexpected(E, 'missing library');
  end;
  { a library that is not authgate (or an authgate too old to have a function) }
  AuthgateLibraryPath := 'libc.so.6';
  try
    AuthgateLoadLibrary;
    Expect(False, 'a library that is not authgate raises');
  except
    on E: EAuthgateLibrary do
      Expect(Pos('lacks authgate_version', E.Message) > 0, 'not authgate: ' + E.Message);
    on E: Exception do Unexpected(E, 'not authgate');
  end;
  { an authgate older than the unit needs (tests/c/run.sh builds a stand-in whose
    authgate_version answers 0.0.9) }
  AuthgateLibraryPath := GetEnvironmentVariable('AUTHGATE_OLD_LIBRARY');
  try
    if AuthgateLibraryPath = '' then
      raise Exception.Create('AUTHGATE_OLD_LIBRARY is not set');
    AuthgateLoadLibrary;
    Expect(False, 'a library too old raises');
  except
    on E: EAuthgateLibrary do
      Expect((Pos('is authgate 0.0.9', E.Message) > 0) and (Pos('needs ' + AuthgateMinimumVersion,
        E.Message) > 0), 'too old: ' + E.Message);
    on E: Exception do Unexpected(E, 'too old');
  end;
  { the version check }
  Expect(AuthgateVersionAtLeast('0.1.0', '0.1.0'), '0.1.0 >= 0.1.0');
  Expect(not AuthgateVersionAtLeast('0.0.9', '0.1.0'), '0.0.9 < 0.1.0');
  Expect(AuthgateVersionAtLeast('0.10.0', '0.9.1'), '0.10.0 >= 0.9.1 (numeric, not text)');
  Expect(not AuthgateVersionAtLeast('0.1', '0.1.1'), '0.1 < 0.1.1');
  Expect(AuthgateVersionAtLeast('1.2.0-beta', '1.2.0'), 'a pre-release tail is ignored');
  { the real one }
  AuthgateLibraryPath := Found;
  Expect(AuthgateVersionAtLeast(AuthgateVersion, AuthgateMinimumVersion), 'loads: version ' +
    AuthgateVersion);
end;

procedure TestPasswordRefreshRestore;
var
  Client: TAuthgateClient;
  Tokens, Fresh, Restored: TAuthgateTokenSet;
begin
  Client := NewCubaClient(BaseUrl);
  Tokens := nil; Fresh := nil; Restored := nil;
  try
    Tokens := Client.Password(Cashier, CashierPassword);
    Expect(Tokens.Scope = 'rest-api', 'scope rest-api');
    Expect(Tokens.TokenType = 'Bearer', 'token type Bearer');
    Expect(Tokens.ExpiresIn = 43198, 'expires_in 43198');
    Expect(Abs(SecondsBetween(Tokens.ExpiresAt, IncSecond(Now, 43198))) < 120,
      'ExpiresAt is local time, about now + expires_in: ' + DateTimeToStr(Tokens.ExpiresAt));
    Expect(Abs(SecondsBetween(Tokens.ExpiresAtUtc, IncSecond(LocalTimeToUniversal(Now), 43198))) < 120,
      'ExpiresAtUtc is UTC');
    Expect(not Tokens.IsExpired(60) and Tokens.IsExpired(43200), 'IsExpired with a leeway');
    Expect(Tokens.RefreshToken <> '', 'a refresh token');
    Expect(Copy(Tokens.AuthorizationHeader, 1, 7) = 'Bearer ', 'authorization header');

    Fresh := Client.Refresh(Tokens.RefreshToken);
    Expect(Fresh.AccessToken <> Tokens.AccessToken, 'refresh gives a new access token');
    Restored := TAuthgateTokenSet.CreateFromJson(Fresh.ToJson);
    Expect(Restored.AccessToken = Fresh.AccessToken, 'ToJson/CreateFromJson: access token');
    Expect(Restored.RefreshToken = Fresh.RefreshToken, 'ToJson/CreateFromJson: refresh token');
    Expect(Restored.ExpiresAtUtc = Fresh.ExpiresAtUtc, 'ToJson/CreateFromJson: expiry');
  finally
    Restored.Free;
    Fresh.Free;
    Tokens.Free;
    Client.Free;
  end;
end;

procedure TestErrors;
var
  Client, Offline: TAuthgateClient;
begin
  Client := NewCubaClient(BaseUrl);
  Offline := NewCubaClient('http://127.0.0.1:9');
  try
    try
      Client.Password('admin', 'wrong-password-42').Free;
      Expect(False, 'a wrong password raises');
    except
      on E: EAuthgateSignInRequired do
      begin
        Expect(E.Code = AUTHGATE_INVALID_GRANT, 'wrong password: code 301');
        Expect(E.CodeName = 'invalid_grant', 'wrong password: code name ' + E.CodeName);
        Expect(E.OAuthError = 'invalid_grant', 'wrong password: OAuthError');
        Expect(E.HttpStatus = 400, 'wrong password: HTTP 400');
        Expect(E.IsTerminal and not E.IsTransient, 'wrong password: terminal');
        Expect((E.Message <> '') and (Pos('wrong-password-42', E.Message) = 0),
          'wrong password: a message without the password: ' + E.Message);
      end;
      on E: Exception do Unexpected(E, 'wrong password');
    end;

    try
      Client.Password('', 'x').Free;
      Expect(False, 'an empty username raises');
    except
      on E: EAuthgateConfig do Expect(E.Code = AUTHGATE_INVALID_ARGUMENT, 'empty username: code 100');
      on E: Exception do Unexpected(E, 'empty username');
    end;

    try
      TAuthgateConfig.Create('no-such-provider').Free;
      Expect(False, 'an unknown provider raises');
    except
      on E: EAuthgateConfig do Expect(Pos('no-such-provider', E.Message) > 0,
        'unknown provider: ' + E.Message);
      on E: Exception do Unexpected(E, 'unknown provider');
    end;

    try
      Offline.Password('admin', 'admin').Free;
      Expect(False, 'nothing listening raises');
    except
      on E: EAuthgateTransient do
        Expect((E.Code = AUTHGATE_CONNECT) and (E.HttpStatus = 0) and (E.RetryAfter = -1),
          'nothing listening: transient connect error ' + E.CodeName);
      on E: Exception do Unexpected(E, 'nothing listening');
    end;

    Control('fault', '{"path":"/app/rest/v2/oauth/token","kind":"status","status":503,"retry_after":2,"count":1}');
    try
      Client.Password('admin', 'admin').Free;
      Expect(False, 'a 503 raises');
    except
      on E: EAuthgateTransient do
        Expect((E.HttpStatus = 503) and (E.RetryAfter = 2) and E.IsTransient,
          Format('503: transient, HTTP %d, RetryAfter %d', [E.HttpStatus, E.RetryAfter]));
      on E: Exception do Unexpected(E, '503');
    end;
  finally
    Offline.Free;
    Client.Free;
  end;
end;

type
  { answers the manager's OnPasswordCredentials, as a form would }
  TCredentials = class
  public
    Calls: Integer;
    Fail: Boolean;
    TooLong: Boolean;
    procedure Supply(Sender: TObject; var Username, Password: string; var Supplied: Boolean);
  end;

procedure TCredentials.Supply(Sender: TObject; var Username, Password: string; var Supplied: Boolean);
begin
  Inc(Calls);
  if Fail then
    raise Exception.Create('the cashier closed the dialog');
  Username := Cashier;
  Password := CashierPassword;
  if TooLong then
    Password := StringOfChar('x', 5000); { more than the library's buffer holds }
  Supplied := True;
end;

type
  { keeps what the manager's OnTokensChanged reports, as an application's database would }
  TTokensSeen = class
  public
    Calls: Integer;
    LastRefreshToken: string;
    Fail: Boolean;
    procedure Changed(Sender: TObject; Tokens: TAuthgateTokenSet);
  end;

procedure TTokensSeen.Changed(Sender: TObject; Tokens: TAuthgateTokenSet);
begin
  Inc(Calls);
  LastRefreshToken := Tokens.RefreshToken;
  if Fail then
    raise Exception.Create('the database is offline');
end;

procedure TestManager;
var
  Seen: TTokensSeen;
  Client: TAuthgateClient;
  Manager, Again: TAuthgateTokenManager;
  Credentials: TCredentials;
  Tokens: TAuthgateTokenSet;
  T1, T2, StoreFile: string;
  Requests: Integer;
begin
  Client := NewCubaClient(BaseUrl);
  Credentials := TCredentials.Create;
  Seen := TTokensSeen.Create;
  StoreFile := TempDir + 'authgate-classes-tokens.json';
  DeleteFile(StoreFile);
  Manager := nil; Again := nil; Tokens := nil;
  try
    Manager := TAuthgateTokenManager.Create(Client, StoreFile, '{"leeway_ms":30000}');
    try
      Manager.AccessToken;
      Expect(False, 'no tokens, no credentials: raises');
    except
      on E: EAuthgateSignInRequired do Expect(E.Code = AUTHGATE_SIGN_IN_REQUIRED, 'sign in required');
      on E: Exception do Unexpected(E, 'no tokens');
    end;
    Manager.OnPasswordCredentials := {$IFDEF METHOD_ADDRESS_AT}@{$ENDIF}Credentials.Supply;
    Manager.OnTokensChanged := {$IFDEF METHOD_ADDRESS_AT}@{$ENDIF}Seen.Changed;
    T1 := Manager.AccessToken;
    T2 := Manager.AccessToken;
    Expect((T1 <> '') and (T1 = T2) and (Credentials.Calls = 1), 'one password grant, then the cached token');
    Tokens := Manager.Tokens;
    Expect(Tokens.RefreshToken <> '', 'the manager''s token set has a refresh token');
    Expect((Seen.Calls = 1) and (Seen.LastRefreshToken = Tokens.RefreshToken),
      'OnTokensChanged: told of the password grant''s set');
    Manager.Invalidate;
    T2 := Manager.AccessTokenValidFor(60);
    Expect((T2 <> T1) and (Credentials.Calls = 1), 'invalidate: refreshed, not the password again');
    FreeAndNil(Tokens);
    Tokens := Manager.Tokens;
    Expect((Seen.Calls = 2) and (Seen.LastRefreshToken = Tokens.RefreshToken),
      'OnTokensChanged: told of the refreshed set and its refresh token');
    { a raising handler does not lose the new tokens }
    Seen.Fail := True;
    Manager.Invalidate;
    T1 := Manager.AccessToken;
    Expect((T1 <> T2) and (Seen.Calls = 3), 'OnTokensChanged raising: the refreshed token is still handed out');
    Seen.Fail := False;
    Manager.OnTokensChanged := nil;
    Manager.Invalidate;
    T2 := Manager.AccessToken;
    Expect(Seen.Calls = 3, 'OnTokensChanged removed: not called');
    T1 := Tokens.AccessToken;
    { after a 401: only the current token causes a refresh }
    Expect(not Manager.InvalidateToken(T1), 'InvalidateToken of an old token: False');
    Expect(Manager.AccessToken = T2, 'an old token rejected: no refresh');
    Expect(Manager.InvalidateToken(T2), 'InvalidateToken of the current token: True');
    T2 := Manager.AccessToken;
    Expect((T2 <> T1) and (Credentials.Calls = 1), 'the current token rejected: refreshed');

    { a second manager on the same file (another till, a restart) needs no password }
    FreeAndNil(Client); { the first manager keeps its own reference }
    Client := NewCubaClient(BaseUrl);
    Again := TAuthgateTokenManager.Create(Client, StoreFile);
    Expect(Again.AccessToken = T2, 'the stored token, read by another manager');

    Manager.Clear;
    Credentials.Fail := True;
    try
      Manager.AccessToken;
      Expect(False, 'a raising credentials handler declines');
    except
      on E: EAuthgateSignInRequired do Expect(Credentials.Calls = 2, 'declined by an exception');
      on E: Exception do Unexpected(E, 'raising credentials handler');
    end;
    Credentials.Fail := False;
    Credentials.TooLong := True;
    Requests := CubaTokenRequests;
    try
      Manager.AccessToken;
      Expect(False, 'a password too long for the buffer declines');
    except
      on E: EAuthgateSignInRequired do
        Expect((Credentials.Calls = 3) and (CubaTokenRequests = Requests),
          'too long: declined, not truncated (no request sent)');
      on E: Exception do Unexpected(E, 'password too long');
    end;

    try
      TAuthgateTokenManager.Create(nil).Free;
      Expect(False, 'a manager without a client raises');
    except
      on E: EAuthgateConfig do
        Expect(E.Code = AUTHGATE_NULL_POINTER, 'a manager without a client: ' + E.CodeName);
      on E: Exception do Unexpected(E, 'manager without a client');
    end;
  finally
    Again.Free;
    Tokens.Free;
    Manager.Free;
    Credentials.Free;
    Seen.Free;
    Client.Free;
    DeleteFile(StoreFile);
  end;
end;

procedure TestOperation;
var
  Client: TAuthgateClient;
  Op: TAuthgateOperation;
  Tokens: TAuthgateTokenSet;
  Ticks: Integer;
begin
  Client := NewCubaClient(BaseUrl);
  Op := nil; Tokens := nil;
  try
    Op := Client.StartPassword('admin', 'admin');
    { what a TTimer's OnTimer does: look, and return to the message loop }
    Ticks := 0;
    while not Op.Finished and (Ticks < 500) do
    begin
      Inc(Ticks);
      Sleep(20);
    end;
    Expect(Op.State = osDone, 'operation done');
    Tokens := Op.TakeResult;
    Expect(Tokens.AccessToken <> '', 'the operation''s tokens');
    try
      Op.TakeResult.Free;
      Expect(False, 'a second TakeResult raises');
    except
      on E: EAuthgateConfig do Expect(E.Code = AUTHGATE_RESULT_TAKEN, 'result taken');
      on E: Exception do Unexpected(E, 'second TakeResult');
    end;
  finally
    Tokens.Free;
    Op.Free;
    Client.Free;
  end;
end;

function NewKonturClient: TAuthgateClient;
var
  Config: TAuthgateConfig;
begin
  Config := TAuthgateConfig.Create('kontur');
  try
    Config.ClientId := 'kontur-service';
    Config.ClientSecret := 'kontur-api-key';
    Config.Discover(BaseUrl);
    Result := TAuthgateClient.Create(Config);
  finally
    Config.Free;
  end;
end;

procedure TestDeviceFlow;
var
  Client: TAuthgateClient;
  Device: TAuthgateDevice;
  Tokens: TAuthgateTokenSet;
  Op: TAuthgateOperation;
  Saved, UserCode: string;
begin
  Control('device', '{"interval":1}');
  Client := NewKonturClient;
  Device := nil; Tokens := nil; Op := nil;
  try
    Device := Client.DeviceAuthorization;
    UserCode := Device.UserCode;
    Expect(Length(UserCode) = 9, 'user code ABCD-EFGH');
    Expect(Device.Interval = 1, 'interval');
    Expect(Device.ExpiresIn > 0, 'expires in');
    Expect(Pos('<svg', Device.QrSvg) > 0, 'QR code SVG');
    Expect(Device.QrText <> '', 'QR code text');
    Expect(Pos(UserCode, Device.VerificationUriComplete) > 0, 'complete URI carries the code');
    { the till restarts: the device is saved, freed, and read back }
    Saved := Device.ToJson;
    FreeAndNil(Device);
    Device := TAuthgateDevice.CreateFromJson(Saved);
    Expect(Device.UserCode = UserCode, 'resumed device: same user code');
    Expect(not Client.PollDeviceToken(Device, Tokens) and (Tokens = nil), 'pending before approval');
    Op := Client.StartWaitForDeviceToken(Device);
    Control('device/approve', '{"user_code":"' + UserCode + '","approve":true}');
    Expect(Op.Wait(15000), 'approved: the wait finishes');
    Tokens := Op.TakeResult;
    Expect(Tokens.AccessToken <> '', 'the resumed device flow gives tokens');
    FreeAndNil(Op);
    FreeAndNil(Device);

    { the user never comes: Cancel, as a Cancel button would }
    Device := Client.DeviceAuthorization;
    Op := Client.StartWaitForDeviceToken(Device);
    Op.Cancel;
    Expect(Op.Wait(5000), 'cancelled promptly');
    try
      Op.TakeResult.Free;
      Expect(False, 'a cancelled operation raises');
    except
      on E: EAuthgateCancelled do Expect(E.Code = AUTHGATE_CANCELLED, 'EAuthgateCancelled');
      on E: Exception do Unexpected(E, 'cancelled');
    end;
  finally
    Op.Free;
    Tokens.Free;
    Device.Free;
    Client.Free;
  end;
end;

begin
  Passed := 0;
  Failed := 0;
  BaseUrl := GetEnvironmentVariable('AUTHGATE_EMULATOR_URL');
  if BaseUrl = '' then
  begin
    WriteLn(ErrOutput, 'AUTHGATE_EMULATOR_URL is not set');
    Halt(2);
  end;
  TempDir := IncludeTrailingPathDelimiter(GetTempDir);
  try
    TestLibraryLoading;
    TestPasswordRefreshRestore;
    TestErrors;
    TestManager;
    TestOperation;
    TestDeviceFlow;
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
